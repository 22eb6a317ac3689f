// Pharmacy staff home: prescriptions dispatched here (live), scanning a
// patient's code, deliveries, stock. '#/pharmacy/queue?id=<rx>' opens one
// prescription (rx.js).

import { renderHome } from '../home.js';

export const screens = [
  { id: 'queue', icon: 'inbox', load: () => import('./queue.js') },
  { id: 'scan', icon: 'scan', load: () => import('./scan.js') },
  { id: 'deliveries', icon: 'truck', load: () => import('./deliveries.js') },
  { id: 'stock', icon: 'box', load: () => import('./stock.js') },
];

export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
}
