// District administrator home: dashboard, insurance policy, reconciliation statements.
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'dashboard', icon: 'chart' },
  { id: 'policy', icon: 'shield', load: () => import('./policy.js') },
  { id: 'statements', icon: 'statement', load: () => import('./statements.js') },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
