// Online follow-up (线上复诊): my consultations, and booking a new one from
// the doctor directory (名医团队) — doctors who may consult online, with their
// title, facility, years of practice, rating and whether they are online now.
// Booking names the condition followed up, picked from my chronic conditions
// (ICD-10); the server refuses a first visit (consult.first_visit_offline_only)
// and says why. '?icd=<code>' (from the home's "book a follow-up") puts my
// family doctor and the doctor who diagnosed that condition first, with it
// chosen; '?open=<consultation>' opens its waiting room (waiting.js), which is
// where a booking lands.

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { hashQuery } from '../rx-view.js';
import { ensureStyles, localName, presencePill, stateText, render as renderRoom } from './waiting.js';
import { myConditions, suggestedDoctors } from './book-choices.js';

const OPEN = new Set(['booked', 'waiting', 'called', 'in_call']);
const SPECIALTIES = ['', 'general_practice', 'cardiology', 'endocrinology', 'respiratory', 'neurology'];

// The waiting room of one consultation, by id (a reload or a link lands here).
async function openById(main, ctx, id) {
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('followup.room_title')), loadingState());
  let c;
  try {
    c = (await api('GET', `/api/v1/consultations/${encodeURIComponent(id)}`)).consultation;
  } catch (err) {
    if (!err.handled && ctx.alive()) main.lastChild.replaceWith(errorState(err, () => openById(main, ctx, id)));
    return;
  }
  if (ctx.alive()) renderRoom(main, ctx, c, { onBack: () => { location.hash = '#/patient/followup'; } });
}

export function render(main, ctx) {
  ensureStyles();
  const q = hashQuery();
  if (q.get('open')) {
    openById(main, ctx, q.get('open'));
    return;
  }
  const wantIcd = (q.get('icd') || '').toUpperCase();
  const openRoom = (c) => { location.hash = `#/patient/followup?open=${encodeURIComponent(c.id)}`; };
  const mine = h('section', { class: 'card', 'aria-live': 'polite' });
  const suggested = h('section', { class: 'card card-pad', hidden: !wantIcd, 'data-testid': 'suggested-doctors' });
  const finder = h('section', { class: 'card card-pad' });
  const conditions = myConditions(ctx.account.patient_id);
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.patient.followup'), t('followup.intro')),
    mine, suggested, finder);

  async function loadMine() {
    mine.replaceChildren(loadingState());
    let items;
    try {
      items = (await api('GET', '/api/v1/consultations?limit=20')).items || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) mine.replaceChildren(errorState(err, loadMine));
      return;
    }
    if (!ctx.alive()) return;
    if (items.length === 0) {
      mine.replaceChildren(emptyState({ icon: 'video', title: t('followup.mine_empty'), text: t('followup.mine_empty_text') }));
      return;
    }
    mine.replaceChildren(h('h2', { class: 'section-title card-pad', text: t('followup.mine_title') }),
      h('ul', { class: 'list' }, items.map((c) => h('li', { class: 'list-item', 'data-consultation': c.id },
        h('div', { class: 'list-main' },
          h('span', { class: 'list-title', text: localName(c.doctor) }),
          h('span', { class: 'list-sub', text: t('followup.condition', { icd: c.icd10, state: stateText(c.state) }) })),
        OPEN.has(c.state)
          ? h('button', { type: 'button', class: 'btn btn-primary', onclick: () => openRoom(c) }, t('followup.enter'))
          : h('span', { class: 'pill pill-muted', text: stateText(c.state) })))));
  }

  let formSeq = 0; // a doctor may be listed twice (suggested and found): ids stay unique
  async function bookForm(doctor, slot) {
    const mineList = await conditions;
    const fid = `${doctor.id}-${++formSeq}`;
    const icd = h('input', { type: 'text', id: `icd-${fid}`, required: true, maxlength: 8, autocomplete: 'off',
      placeholder: 'I10', value: wantIcd || (mineList.length === 1 ? mineList[0].icd10 : false) });
    // my chronic conditions as buttons that fill the code in (no typing for the usual case)
    const picks = mineList.length ? h('div', { class: 'pick-chips', role: 'group', 'aria-label': t('followup.my_conditions') },
      mineList.map((c) => h('button', { type: 'button', class: 'pick-chip', 'data-icd10': c.icd10,
        'aria-pressed': String(icd.value === c.icd10), onclick: (ev) => {
          icd.value = c.icd10;
          for (const b of ev.currentTarget.parentNode.children) b.setAttribute('aria-pressed', String(b === ev.currentTarget));
        } }, `${localName(c) || c.icd10} (${c.icd10})`))) : null;
    const guardian = h('input', { type: 'text', id: `guardian-${fid}`, maxlength: 64 });
    const msg = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h('form', { class: 'form', onsubmit: async (ev) => {
      ev.preventDefault();
      msg.hidden = true;
      const body = { doctor_id: doctor.id, icd10: icd.value.trim().toUpperCase() };
      if (guardian.value.trim()) body.guardian_name = guardian.value.trim();
      try {
        const r = await api('POST', '/api/v1/consultations', { body });
        if (ctx.alive()) openRoom(r.consultation);
      } catch (err) {
        if (err.handled || !ctx.alive()) return;
        msg.textContent = errorText(err);
        msg.hidden = false;
      }
    } },
    h('h3', { class: 'subsection-title', text: t('followup.book_with', { name: localName(doctor) }) }),
    h('div', { class: 'field' }, h('label', { for: icd.id, text: t('followup.icd_label') }), picks, icd,
      h('p', { class: 'field-hint', text: t('followup.icd_hint') })),
    h('div', { class: 'field' }, h('label', { for: guardian.id, text: t('followup.guardian_label') }), guardian,
      h('p', { class: 'field-hint', text: t('followup.guardian_hint') })),
    msg,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('followup.submit')),
      h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => slot.replaceChildren() },
        t('followup.cancel_form'))));
    slot.replaceChildren(form);
    icd.focus();
  }

  function doctorItem(d) {
    const slot = h('div', { class: 'book-slot' });
    const rating = d.rating && d.rating.count
      ? t('followup.rating', { avg: d.rating.average, n: d.rating.count }) : t('followup.no_rating');
    return h('li', { class: 'list-item doctor-card', 'data-doctor': d.id },
      h('div', { class: 'list-main' },
        h('span', { class: 'list-title' }, h('span', { text: localName(d) }), presencePill(d.presence)),
        h('span', { class: 'list-sub', text: `${localName(d.title)} · ${localName(d.facility)}` }),
        h('span', { class: 'list-sub', text: `${t('followup.years', { n: d.years_of_practice })} · ${
          t('followup.done_count', { n: d.online_consultations })} · ${rating}` })),
      h('div', { class: 'list-actions' },
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => bookForm(d, slot) },
          t('followup.book'))),
      slot);
  }

  function drawFinder() {
    const q = h('input', { type: 'search', id: 'doctor-q', placeholder: t('followup.search_placeholder') });
    const spec = h('select', { id: 'doctor-specialty', 'aria-label': t('followup.specialty') },
      SPECIALTIES.map((s) => h('option', { value: s, text: s ? t(`followup.specialty.${s}`) : t('followup.specialty_any') })));
    const results = h('div', { 'aria-live': 'polite' });
    const search = async () => {
      const qs = new URLSearchParams({ limit: '20' });
      if (q.value.trim()) qs.set('q', q.value.trim());
      if (spec.value) qs.set('specialty', spec.value);
      results.replaceChildren(loadingState());
      try {
        const r = await api('GET', `/api/v1/doctors?${qs}`);
        if (!ctx.alive()) return;
        results.replaceChildren(r.items.length
          ? h('ul', { class: 'list' }, r.items.map(doctorItem))
          : h('p', { class: 'search-empty', text: t('followup.no_doctors') }));
      } catch (err) {
        if (!err.handled && ctx.alive()) results.replaceChildren(errorState(err, search));
      }
    };
    finder.replaceChildren(h('h2', { class: 'section-title', text: t('followup.find_title') }),
      h('form', { class: 'form', onsubmit: (ev) => { ev.preventDefault(); search(); } },
        h('div', { class: 'form-row' },
          h('div', { class: 'field' }, h('label', { for: 'doctor-q', text: t('followup.search_label') }), q),
          h('div', { class: 'field' }, h('label', { for: 'doctor-specialty', text: t('followup.specialty') }), spec)),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('followup.search'))),
      results);
    search();
  }

  async function drawSuggested() {
    suggested.replaceChildren(loadingState());
    let list;
    try {
      list = await suggestedDoctors(ctx.account.patient_id, wantIcd);
    } catch (err) {
      if (!err.handled && ctx.alive()) suggested.replaceChildren(errorState(err, drawSuggested));
      return;
    }
    if (!ctx.alive()) return;
    if (!list.length) { suggested.hidden = true; return; }
    suggested.replaceChildren(h('h2', { class: 'section-title', text: t('followup.suggested', { icd: wantIcd }) }),
      h('ul', { class: 'list' }, list.map(({ doctor, why }) => {
        const li = doctorItem(doctor);
        li.querySelector('.list-main').append(h('span', { class: 'pill pill-info', text: t(`followup.why.${why}`) }));
        return li;
      })));
  }

  loadMine();
  if (wantIcd) drawSuggested();
  drawFinder();
}

