// Patient · where my medicine stands (shown by pharmacy-choice.js once a
// prescription is dispatched): waiting for the pharmacy (until its
// deadline), being prepared, out for delivery with the 6-digit code to give
// the courier (a new code after too many wrong tries), failed, or done with
// the server-signed receipt. Updates live ("rx.dispatch_changed").
// GET /api/v1/prescriptions/{id}/dispatch, POST …/delivery/reset-code.

import { t, tOr } from '../i18n.js';
import { api } from '../api.js';
import { h } from '../ui.js';
import { ensureStyles, localName, badge, when, errorLine, actionBtn, live, receiptCard, fact } from '../pharmacy/common.js';

function pharmacyCard(p, title) {
  if (!p) return null;
  return h('section', { class: 'ph-card', 'data-testid': 'pd-pharmacy', 'data-pharmacy': p.id },
    h('h2', { class: 'ph-title', text: title }),
    h('dl', { class: 'ph-facts' }, fact(t('pd.pharmacy'), localName(p)), fact(t('pd.address'), p.address),
      fact(t('pd.phone'), p.phone), fact(t('pd.hours'), `${p.opens}–${p.closes}`)));
}

function stepText(st) {
  const d = st.dispatch, dl = st.delivery;
  if (st.state === 'completed') return t('pd.step.completed');
  if (st.state === 'ready' && d && d.state === 'open') return t('pd.step.waiting', { until: when(d.deadline_at) });
  if (dl) return t(`pd.step.delivery.${dl.state}`);
  if (st.state === 'in_progress') return t('pd.step.preparing_pickup');
  return tOr(`ph.rx_state.${st.state}`, st.state);
}

function deliveryCard(st, id, reload) {
  const dl = st.delivery;
  if (!dl || st.state === 'completed') return null;
  const err = errorLine();
  const reset = actionBtn(t('pd.new_code'), async () => {
    await api('POST', `/api/v1/prescriptions/${encodeURIComponent(id)}/delivery/reset-code`);
    reload();
  }, { action: 'reset-code', cls: dl.locked ? 'btn btn-primary' : 'btn btn-ghost', errEl: err });
  return h('section', { class: 'ph-card', 'data-testid': 'pd-delivery', 'data-delivery': dl.state },
    h('h2', { class: 'ph-title', text: t('pd.code_title') }),
    dl.code ? h('p', { class: 'ph-code', 'data-testid': 'pd-code', text: dl.code }) : null,
    h('p', { class: 'ph-sub', text: dl.locked ? t('pd.locked') : t('pd.code_hint') }),
    h('ul', { class: 'ph-steps' }, (dl.events || []).filter((e) => e.action !== 'wrong_code').map((e) => h('li', {},
      `${when(e.at)} · ${tOr(`pd.event.${e.action}`, e.action)}${e.reason ? ` — ${e.reason}` : ''}`))),
    err, h('div', { class: 'ph-actions' }, reset));
}

// st: the status already fetched; choose() shows the chooser; reload() fetches again.
export function render(main, ctx, id, st, choose, reload) {
  ensureStyles();
  const claimP = st.claim && st.claim.state !== 'released' ? st.claim.pharmacy : null;
  const waiting = st.state === 'ready' && st.dispatch && st.dispatch.state === 'open';
  const status = h('section', { class: 'ph-card', 'data-testid': 'pd-status', 'data-state': st.state },
    h('h2', { class: 'ph-title', text: t('pd.status') }),
    h('p', { 'data-testid': 'pd-step' }, badge(stepText(st))),
    st.dispatch ? h('p', { class: 'ph-sub', text: t(`ph.mode.${st.dispatch.mode}`) }) : null,
    waiting ? h('div', { class: 'ph-actions' }, h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'change',
      text: t('pd.change'), onclick: () => { status.remove(); choose(); } })) : null);
  const dot = live(ctx, ['rx.dispatch_changed'], (d) => { if (d.prescription_id === id) reload(); }, { pollMs: 15000, poll: reload });
  main.append(...[h('p', {}, dot), status,
    pharmacyCard(claimP || (st.dispatch && st.dispatch.pharmacy), t(claimP ? 'pd.filled_by' : 'pd.sent_to')),
    deliveryCard(st, id, reload),
    st.receipt ? receiptCard(st.receipt) : null].filter(Boolean));
}
