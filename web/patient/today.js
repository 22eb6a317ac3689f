// Patient home, above the tiles: my chronic conditions (each with "book a
// follow-up"), my family doctor, and what is waiting for me now — an open
// follow-up (enter the waiting room), an approved prescription (choose a
// pharmacy), medicine on its way, a new bill. Every item is a link to the
// screen where the next step is done, so the journey never needs a typed URL.
// Refreshes itself when a notification arrives.

import { t, getLang } from '../i18n.js';
import { api } from '../api.js';
import { h, loadingState, errorState } from '../ui.js';
import { icon } from '../icons.js';
import { subscribe } from '../notify.js';
import { myConditions } from './book-choices.js';

const OPEN = new Set(['booked', 'waiting', 'called', 'in_call']);
const RECENT_BILL_MS = 14 * 24 * 3600 * 1000;

const local = (o, zh = 'name', en = 'name_en') => (o ? (getLang() === 'en' && o[en]) || o[zh] || '' : '');
const money = (fen) => `¥${(fen / 100).toFixed(2)}`;

async function fetchAll(pid) {
  const [fd, conditions, cons, rx, bills] = await Promise.all([
    api('GET', '/api/v1/me/family-doctor'),
    myConditions(pid),
    api('GET', '/api/v1/consultations?limit=20'),
    api('GET', '/api/v1/prescriptions?limit=20'),
    api('GET', '/api/v1/claims?limit=5').catch((e) => { if (e.handled) throw e; return { items: [] }; }),
  ]);
  return { contract: fd.contract, conditions, cons: cons.items || [], rx: rx.prescriptions || [], bills: bills.items || [] };
}

function step(href, ic, title, sub, testid) {
  return h('li', {},
    h('a', { class: 'next-step', href, 'data-testid': testid },
      h('span', { class: 'tile-icon' }, icon(ic)),
      h('span', { class: 'tile-body' }, h('span', { class: 'tile-title', text: title }),
        sub ? h('span', { class: 'tile-desc', text: sub }) : null),
      h('span', { class: 'tile-chevron' }, icon('chevron'))));
}

function nextSteps(d) {
  const out = [];
  for (const c of d.cons.filter((x) => OPEN.has(x.state))) {
    out.push(step(`#/patient/followup?open=${c.id}`, 'video', t(c.state === 'called' ? 'today.called' : 'today.open_followup',
      { doctor: local(c.doctor) }), t(`followup.state.${c.state}`), 'next-followup'));
  }
  for (const p of d.rx) {
    if (p.state === 'ready') out.push(step(`#/patient/pharmacy?id=${p.id}`, 'truck', t('today.rx_ready'), p.drugs, 'next-rx-ready'));
    else if (p.state === 'in_progress') out.push(step(`#/patient/pharmacy?id=${p.id}`, 'truck', t('today.rx_on_way'), p.drugs, 'next-rx-on-way'));
    else if (p.state === 'pending_review') out.push(step(`#/patient/prescriptions?id=${p.id}`, 'pill', t('today.rx_review'), p.drugs, 'next-rx-review'));
  }
  const now = Date.now();
  for (const b of d.bills.filter((x) => x.status === 'settled' && now - x.service_at < RECENT_BILL_MS).slice(0, 2)) {
    out.push(step(`#/patient/bills?id=${b.id}`, 'receipt', t('today.bill', { total: money(b.total_fen), fund: money(b.fund_fen) }),
      null, 'next-bill'));
  }
  return out;
}

function conditionsCard(d) {
  return h('section', { class: 'card card-pad', 'data-testid': 'my-conditions' },
    h('h2', { class: 'section-title', text: t('today.conditions') }),
    d.conditions.length === 0 ? h('p', { class: 'field-hint', text: t('today.no_conditions') })
      : h('ul', { class: 'list list-compact' }, d.conditions.map((c) => h('li', { class: 'list-item', 'data-icd10': c.icd10 },
        h('div', { class: 'list-main' }, h('span', { class: 'list-title', text: local(c) || c.icd10 }),
          h('span', { class: 'list-sub', text: c.icd10 })),
        h('a', { class: 'btn btn-secondary', href: `#/patient/followup?icd=${encodeURIComponent(c.icd10)}`,
          'data-action': 'book-followup', 'aria-label': t('today.book_for', { condition: local(c) || c.icd10 }) },
        t('today.book'))))));
}

function doctorCard(d) {
  const c = d.contract;
  return h('section', { class: 'card card-pad', 'data-testid': 'my-family-doctor' },
    h('h2', { class: 'section-title', text: t('today.family_doctor') }),
    c ? h('div', { class: 'list-item', 'data-doctor': c.doctor_id },
      h('div', { class: 'list-main' }, h('span', { class: 'list-title', text: local(c, 'doctor_name', 'doctor_name_en') }),
        h('span', { class: 'list-sub', text: local(c, 'facility_name', 'facility_name_en') })),
      h('a', { class: 'btn btn-ghost', href: '#/patient/family-doctor' }, t('today.details')))
      : h('div', {}, h('p', { class: 'field-hint', text: t('today.no_family_doctor') }),
        h('a', { class: 'btn btn-secondary', href: '#/patient/family-doctor', 'data-action': 'choose-family-doctor' },
          t('today.choose_family_doctor'))));
}

// Fills `box` (and keeps it fresh while it is on the page).
export function renderToday(box, ctx) {
  let busy = false;
  async function load(first) {
    if (busy) return;
    busy = true;
    if (first) box.replaceChildren(loadingState());
    let d;
    try {
      d = await fetchAll(ctx.account.patient_id);
    } catch (err) {
      busy = false;
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load(true)));
      return;
    }
    busy = false;
    if (!ctx.alive()) return;
    const steps = nextSteps(d);
    box.replaceChildren(
      steps.length ? h('section', { class: 'card card-pad', 'data-testid': 'next-steps' },
        h('h2', { class: 'section-title', text: t('today.next') }), h('ul', { class: 'next-steps' }, steps)) : '',
      h('div', { class: 'today-grid' }, conditionsCard(d), doctorCard(d)));
    box.dataset.loaded = 'true';
  }
  const off = subscribe(() => { if (!ctx.alive() || !box.isConnected) { off(); return; } load(false); });
  load(true);
}
