// Patient · get my medicine (取药): a ready prescription is sent to the
// pharmacy the patient picks — pickup at one that has every item in stock
// (nearest first, with opening hours) or delivery by one that delivers to
// the patient's subdistrict. Without '?id=' it lists the prescriptions to
// pick up; once dispatched, delivery.js shows where it stands.
// GET /api/v1/prescriptions/{id}/pharmacies, POST /api/v1/prescriptions/{id}/dispatch.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import {
  ensureStyles, hashQuery, localName, distanceText, badge, stateBadge, errorLine, showError, actionBtn, when,
} from '../pharmacy/common.js';

const SHOWN = new Set(['ready', 'in_progress', 'completed']);

async function listScreen(main, ctx) {
  const box = h('section', { class: 'ph-card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.patient.pharmacy'), t('pc.intro')), box);
  box.replaceChildren(loadingState());
  let list;
  try {
    list = ((await api('GET', '/api/v1/prescriptions?limit=50')).prescriptions || []).filter((p) => SHOWN.has(p.state));
  } catch (err) {
    if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => listScreen(main, ctx)));
    return;
  }
  if (!ctx.alive()) return;
  box.replaceChildren(list.length ? h('ul', { class: 'ph-list', 'data-testid': 'pc-list' }, list.map((p) => h('li', { class: 'ph-row', 'data-rx': p.id },
    h('a', { href: `#/patient/pharmacy?id=${encodeURIComponent(p.id)}` },
      h('span', { class: 'ph-row-main', text: p.drugs || p.icd10 }),
      h('span', { class: 'ph-row-sub', text: t('pc.valid_until', { at: when(p.valid_until) }) })),
    stateBadge(p.state))))
    : emptyState({ icon: 'pill', title: t('pc.none'), text: t('pc.none_text') }));
}

function pharmacyRow(p, mode, choose) {
  const hours = `${p.opens}–${p.closes}`;
  return h('li', { class: 'ph-row', 'data-pharmacy': p.id },
    h('div', { style: 'flex:1;min-width:0' },
      h('span', { class: 'ph-row-main', text: localName(p) }),
      h('span', { class: 'ph-row-sub', text: `${distanceText(p.distance_m)} · ${p.address}` }),
      h('span', { class: 'ph-row-sub' }, t('pc.hours', { hours }), ' ',
        badge(p.open_now ? t('pc.open_now') : t('pc.closed_now'), p.open_now ? '' : 'muted'), ' ',
        p.in_stock ? badge(t('pc.in_stock')) : badge(t('pc.not_all_in_stock'), 'warn'))),
    actionBtn(t(mode === 'delivery' ? 'pc.choose_delivery' : 'pc.choose_pickup'), () => choose(p), { action: 'choose' }));
}

function chooser(main, ctx, id, onDone) {
  let mode = 'pickup';
  let point = null;
  const list = h('div', { 'aria-live': 'polite', 'data-testid': 'pc-pharmacies' });
  const err = errorLine();
  const address = h('input', { type: 'text', class: 'ph-input', name: 'address', maxlength: '200', placeholder: t('pc.address_hint') });
  const addressBox = h('label', { class: 'ph-field', hidden: true }, h('span', { text: t('pc.address') }), address);
  const tabs = ['pickup', 'delivery'].map((m) => h('button', { type: 'button', class: 'btn btn-secondary', 'data-mode': m,
    'aria-pressed': m === mode ? 'true' : 'false', text: t(`ph.mode.${m}`), onclick: () => { mode = m; load(); } }));
  async function choose(p) {
    const body = { mode, pharmacy_id: p.id };
    if (mode === 'delivery' && address.value.trim()) body.address = address.value.trim();
    await api('POST', `/api/v1/prescriptions/${encodeURIComponent(id)}/dispatch`, { body });
    onDone();
  }
  async function load() {
    for (const b of tabs) b.setAttribute('aria-pressed', b.dataset.mode === mode ? 'true' : 'false');
    addressBox.hidden = mode !== 'delivery';
    list.replaceChildren(loadingState());
    const q = new URLSearchParams({ mode, limit: '20' });
    if (point) { q.set('lat', String(point.lat)); q.set('lon', String(point.lon)); }
    let res;
    try {
      res = await api('GET', `/api/v1/prescriptions/${encodeURIComponent(id)}/pharmacies?${q}`);
    } catch (e) {
      if (!e.handled && ctx.alive()) list.replaceChildren(errorState(e, load));
      return;
    }
    if (!ctx.alive()) return;
    const errBound = (p) => choose(p).catch((e) => { if (!e.handled) showError(err, e); throw e; });
    list.replaceChildren(res.pharmacies.length
      ? h('ul', { class: 'ph-list' }, res.pharmacies.map((p) => pharmacyRow(p, mode, errBound)))
      : emptyState({ icon: 'pill', title: t(mode === 'delivery' ? 'pc.no_delivery' : 'pc.no_pickup') }));
  }
  const here = navigator.geolocation ? h('button', { type: 'button', class: 'btn btn-ghost', text: t('pc.use_location'), onclick: () => {
    navigator.geolocation.getCurrentPosition((pos) => { point = { lat: pos.coords.latitude, lon: pos.coords.longitude }; load(); },
      () => { err.hidden = false; err.textContent = t('pc.no_location'); }, { timeout: 10000 });
  } }) : null;
  main.append(h('section', { class: 'ph-card', 'data-testid': 'pc-chooser' },
    h('h2', { class: 'ph-title', text: t('pc.choose_title') }), h('div', { class: 'ph-tabs' }, tabs), here, addressBox, err, list));
  load();
}

export async function render(main, ctx) {
  ensureStyles();
  const id = hashQuery().get('id');
  if (!id) return listScreen(main, ctx);
  const show = async () => {
    main.replaceChildren(h('a', { class: 'back-link', href: '#/patient/pharmacy' }, t('pc.back')), pageHeader(t('nav.patient.pharmacy')));
    let st;
    try {
      st = await api('GET', `/api/v1/prescriptions/${encodeURIComponent(id)}/dispatch`);
    } catch (err) {
      if (!err.handled && ctx.alive()) main.append(errorState(err, show));
      return;
    }
    if (!ctx.alive()) return;
    const open = st.dispatch && st.dispatch.state === 'open';
    if (st.state === 'ready' && !open) {
      if (st.dispatch && st.dispatch.state === 'lapsed') main.append(h('p', { class: 'notice', 'data-testid': 'pc-lapsed', text: t('pc.lapsed') }));
      chooser(main, ctx, id, show);
      return;
    }
    (await import('./delivery.js')).render(main, ctx, id, st, () => chooser(main, ctx, id, show), show);
  };
  await show();
}
