// Online follow-up (线上复诊): my consultations, and booking a new one from
// the doctor directory (名医团队) — doctors who may consult online, with their
// title, facility, years of practice, rating and whether they are online now.
// Booking names the condition followed up (ICD-10); the server refuses a first
// visit (consult.first_visit_offline_only) and says why. An open consultation
// opens its waiting room (waiting.js).

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { ensureStyles, localName, presencePill, stateText, render as renderRoom } from './waiting.js';

const OPEN = new Set(['booked', 'waiting', 'called', 'in_call']);
const SPECIALTIES = ['', 'general_practice', 'cardiology', 'endocrinology', 'respiratory', 'neurology'];

export function render(main, ctx) {
  ensureStyles();
  const openRoom = (c) => renderRoom(main, ctx, c, { onBack: () => render(main, ctx) });
  const mine = h('section', { class: 'card', 'aria-live': 'polite' });
  const finder = h('section', { class: 'card card-pad' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.patient.followup'), t('followup.intro')),
    mine, finder);

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

  function bookForm(doctor, slot) {
    const icd = h('input', { type: 'text', id: `icd-${doctor.id}`, required: true, maxlength: 8, autocomplete: 'off',
      placeholder: 'I10' });
    const guardian = h('input', { type: 'text', id: `guardian-${doctor.id}`, maxlength: 64 });
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
    h('div', { class: 'field' }, h('label', { for: icd.id, text: t('followup.icd_label') }), icd,
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

  loadMine();
  drawFinder();
}

