// Supervisor home: dashboard, sampling review of consultations and prescriptions, data quality (the audit chain).
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'dashboard', icon: 'chart', load: () => import('../dashboard/dashboard.js') },
  { id: 'sampling', icon: 'sample', load: () => import('./sampling.js') },
  { id: 'audit', icon: 'audit', load: () => import('../dashboard/quality.js') },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
