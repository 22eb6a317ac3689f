// Pharmacy staff home: prescriptions waiting for pickup, scanning a patient's code, deliveries, stock.
// Screens without a `load` are not built yet and show the "coming soon" state.

import { renderHome } from '../home.js';

export const screens = [
  { id: 'queue', icon: 'inbox' },
  { id: 'scan', icon: 'scan' },
  { id: 'deliveries', icon: 'truck' },
  { id: 'stock', icon: 'box' },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
