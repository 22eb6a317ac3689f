// Doctor · records (病历): my consultations, newest first, each with its
// patient. '?consultation=<id>' opens the note editor (note-editor.js);
// '?patient=<id>' the patient's record (patient-record.js).
// GET /api/v1/consultations.

import { t, tOr } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { hashQuery, localName, formatDateTime } from '../rx-view.js';

const OPEN_STATES = new Set(['called', 'in_call', 'ended', 'notes_signed']);

function row(c) {
  const when = c.ended_at || c.started_at || c.booked_at;
  const canWrite = OPEN_STATES.has(c.state);
  return h('li', { class: 'list-item', 'data-consultation': c.id },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: localName(c.patient) }),
      h('span', { class: 'list-sub', text: `${c.icd10 || ''} · ${formatDateTime(when)}` }),
      h('span', { class: 'pill pill-muted', text: tOr(`consult.state.${c.state}`, c.state) })),
    h('div', { class: 'list-actions' },
      canWrite ? h('a', { class: 'btn btn-secondary', href: `#/doctor/records?consultation=${c.id}`,
        'data-action': 'write-note' }, t('note.write')) : null,
      canWrite ? h('a', { class: 'btn btn-secondary', href: `#/doctor/prescriptions?consultation=${c.id}`,
        'data-action': 'prescribe' }, t('rx.new')) : null,
      h('a', { class: 'btn btn-ghost', href: `#/doctor/records?patient=${c.patient.id}`,
        'data-action': 'patient-record' }, t('record.open'))));
}

export async function render(main, ctx) {
  const q = hashQuery();
  if (q.get('consultation')) {
    (await import('./note-editor.js')).render(main, ctx, q.get('consultation'));
    return;
  }
  if (q.get('patient')) {
    (await import('./patient-record.js')).render(main, ctx, q.get('patient'));
    return;
  }
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment),
    pageHeader(t('nav.doctor.records'), t('screen.doctor.records.desc')), box);

  async function load() {
    box.replaceChildren(loadingState());
    let items;
    try {
      items = (await api('GET', '/api/v1/consultations')).items || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    if (items.length === 0) {
      box.replaceChildren(emptyState({ icon: 'record', title: t('record.empty_title'), text: t('record.empty_text') }));
      return;
    }
    box.replaceChildren(h('ul', { class: 'list' }, items.map(row)));
  }
  load();
}
