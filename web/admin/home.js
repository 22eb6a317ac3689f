// District administrator home: dashboard, insurance policy, reconciliation statements, data quality.
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'dashboard', icon: 'chart', load: () => import('../dashboard/dashboard.js') },
  { id: 'policy', icon: 'shield', load: () => import('./policy.js') },
  { id: 'statements', icon: 'statement', load: () => import('./statements.js') },
  { id: 'quality', icon: 'audit', load: () => import('../dashboard/quality.js') },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
