// Pharmacy · queue (待接单): prescriptions the patients dispatched here,
// oldest first, and this pharmacy's work in progress. A new one appears the
// moment it is dispatched (WebSocket "pharmacy.dispatched"); the list is also
// polled every 5 s in case the socket is down. '?id=<rx>' opens one.
// GET /api/v1/pharmacy/queue, GET /api/v1/pharmacy/work?state=active.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { ensureStyles, hashQuery, drugText, when, badge, live } from './common.js';

const POLL_MS = 5000;

function items(list) {
  return list.map((it) => `${drugText(it)} ×${it.quantity}`).join('、');
}

function queueRow(r, fresh) {
  const mode = r.mode === 'delivery' ? badge(t('ph.mode.delivery')) : badge(t('ph.mode.pickup'), 'muted');
  return h('li', { class: `ph-row ${fresh ? 'ph-row-new' : ''}`, 'data-rx': r.prescription_id },
    h('a', { href: `#/pharmacy/queue?id=${encodeURIComponent(r.prescription_id)}` },
      h('span', { class: 'ph-row-main', text: `${r.patient.name_masked} · ${items(r.items)}` }),
      h('span', { class: 'ph-row-sub', text: t('ph.queue_line', { at: when(r.created_at), until: when(r.deadline_at) }) })),
    mode);
}

function workRow(w) {
  const state = w.delivery_state ? t(`ph.delivery_state.${w.delivery_state}`) : t('ph.rx_state.in_progress');
  return h('li', { class: 'ph-row', 'data-rx': w.prescription_id },
    h('a', { href: `#/pharmacy/queue?id=${encodeURIComponent(w.prescription_id)}` },
      h('span', { class: 'ph-row-main', text: items(w.items) }),
      h('span', { class: 'ph-row-sub', text: t('ph.claimed_at', { at: when(w.claimed_at) }) })),
    badge(state));
}

export async function render(main, ctx) {
  ensureStyles();
  const id = hashQuery().get('id');
  if (id) {
    (await import('./rx.js')).render(main, ctx, id);
    return;
  }
  const queueBox = h('section', { class: 'ph-card', 'data-testid': 'ph-queue', 'aria-live': 'polite' });
  const workBox = h('section', { class: 'ph-card', 'data-testid': 'ph-work' });
  const seen = new Set();
  let first = true;
  async function load() {
    let q, w;
    try {
      [q, w] = await Promise.all([api('GET', '/api/v1/pharmacy/queue?limit=100'),
        api('GET', '/api/v1/pharmacy/work?state=active&limit=100')]);
    } catch (err) {
      if (!err.handled && ctx.alive() && first) queueBox.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    const rows = q.items.map((r) => queueRow(r, !first && !seen.has(r.prescription_id)));
    for (const r of q.items) seen.add(r.prescription_id);
    first = false;
    queueBox.replaceChildren(h('h2', { class: 'ph-title', text: t('ph.queue_title', { n: q.total }) }),
      rows.length ? h('ul', { class: 'ph-list' }, rows)
        : emptyState({ icon: 'inbox', title: t('ph.queue_empty'), text: t('ph.queue_empty_text') }));
    workBox.replaceChildren(h('h2', { class: 'ph-title', text: t('ph.work_title') }),
      w.items.length ? h('ul', { class: 'ph-list' }, w.items.map(workRow)) : h('p', { class: 'ph-sub', text: t('ph.work_empty') }));
  }
  const dot = live(ctx, ['pharmacy.dispatched', 'pharmacy.withdrawn', 'pharmacy.changed'], load, { pollMs: POLL_MS, poll: load });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.pharmacy.queue'), t('screen.pharmacy.queue.desc')),
    h('p', {}, dot), queueBox, workBox);
  queueBox.replaceChildren(loadingState());
  await load();
}
