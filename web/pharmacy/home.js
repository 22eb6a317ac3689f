// Pharmacy staff home: prescriptions dispatched here (live), scanning a
// patient's code, deliveries, stock. '#/pharmacy/queue?id=<rx>' opens one
// prescription (rx.js).

import { renderHome } from '../home.js';
import { api } from '../api.js';
import { h } from '../ui.js';
import { localName } from './common.js';

export const screens = [
  { id: 'queue', icon: 'inbox', load: () => import('./queue.js') },
  { id: 'scan', icon: 'scan', load: () => import('./scan.js') },
  { id: 'deliveries', icon: 'truck', load: () => import('./deliveries.js') },
  { id: 'stock', icon: 'box', load: () => import('./stock.js') },
];

// Which pharmacy this is (staff say it to patients on the phone), above the tiles.
export function render(main, ctx) {
  renderHome(main, { ...ctx, screens });
  const card = h('section', { class: 'card card-pad', 'data-testid': 'my-pharmacy', hidden: true });
  main.querySelector('.page-header').after(card);
  api('GET', '/api/v1/pharmacy/me').then((r) => {
    const p = r.pharmacy;
    if (!ctx.alive() || !p) return;
    card.hidden = false;
    card.dataset.pharmacy = p.id;
    card.replaceChildren(h('h2', { class: 'section-title', text: localName(p) }),
      h('p', { class: 'list-sub', text: p.address || '' }),
      h('p', { class: 'list-sub', text: `${p.phone || ''} · ${p.opens}–${p.closes}` }));
  }, () => { /* the tiles still work; the name is a convenience */ });
}
