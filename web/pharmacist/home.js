// Pharmacist home: the prescription review queue (审方).
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'review', icon: 'review', load: () => import('./review.js') },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
