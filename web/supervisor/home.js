// Supervisor home: dashboard, sampling review of consultations and prescriptions, the audit trail.
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'dashboard', icon: 'chart' },
  { id: 'sampling', icon: 'sample', load: () => import('./sampling.js') },
  { id: 'audit', icon: 'audit' },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
