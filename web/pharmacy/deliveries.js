// Pharmacy · deliveries (配送看板): this pharmacy's claimed prescriptions
// that go by delivery, in three columns — preparing, out for delivery,
// failed (back at the pharmacy). Live like the queue.
// GET /api/v1/pharmacy/work?state=active.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { ensureStyles, drugText, when, live } from './common.js';

const COLUMNS = ['preparing', 'out_for_delivery', 'failed'];

function card(w) {
  return h('li', { class: 'ph-row', 'data-rx': w.prescription_id },
    h('a', { href: `#/pharmacy/queue?id=${encodeURIComponent(w.prescription_id)}` },
      h('span', { class: 'ph-row-main', text: w.items.map((it) => `${drugText(it)} ×${it.quantity}`).join('、') }),
      h('span', { class: 'ph-row-sub', text: t('ph.claimed_at', { at: when(w.claimed_at) }) })));
}

export async function render(main, ctx) {
  ensureStyles();
  const board = h('div', { class: 'ph-board', 'data-testid': 'ph-board' });
  async function load() {
    let items;
    try {
      items = (await api('GET', '/api/v1/pharmacy/work?state=active&limit=200')).items;
    } catch (err) {
      if (!err.handled && ctx.alive()) board.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    board.replaceChildren(...COLUMNS.map((c) => {
      const mine = items.filter((w) => w.delivery_state === c);
      return h('section', { class: 'ph-card', 'data-column': c },
        h('h2', { class: 'ph-title', text: `${t(`ph.delivery_state.${c}`)} (${mine.length})` }),
        mine.length ? h('ul', { class: 'ph-list' }, mine.map(card)) : h('p', { class: 'ph-sub', text: t('ph.none') }));
    }));
  }
  const dot = live(ctx, ['pharmacy.changed'], load, { pollMs: 15000, poll: load });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.pharmacy.deliveries'), t('screen.pharmacy.deliveries.desc')),
    h('p', {}, dot), board);
  board.replaceChildren(loadingState());
  await load();
}
