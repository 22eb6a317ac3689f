// Pieces of a patient's clinical record shared by the patient's own view
// (patient/health.js) and the doctor's (doctor/patient-record.js): offline
// diagnoses, signed consultation notes, lab/exam orders with their results.
// loadRecord(patientId) fetches what the caller may read.

import { t, tOr } from './i18n.js';
import { api } from './api.js';
import { h } from './ui.js';
import { localName, formatDate, formatDateTime, fact } from './rx-view.js';

// ICD-10 code → condition (best effort: a missing name shows the code alone).
async function conditionNames(codes) {
  const out = {};
  await Promise.all([...new Set(codes)].map(async (code) => {
    try {
      const list = (await api('GET', `/api/v1/conditions?q=${encodeURIComponent(code)}&limit=1`)).conditions || [];
      if (list[0] && list[0].icd10 === code) out[code] = list[0];
    } catch { /* the code alone */ }
  }));
  return out;
}

export async function loadRecord(patientId, consultations = []) {
  const [dx, labs] = await Promise.all([
    api('GET', `/api/v1/patients/${patientId}/diagnoses`),
    api('GET', `/api/v1/patients/${patientId}/lab-orders`),
  ]);
  const orders = labs.orders || [];
  const detailed = await Promise.all(orders.map((o) => (o.state === 'resulted'
    ? api('GET', `/api/v1/lab-orders/${o.id}`).then((r) => r.order || o) : o)));
  const notes = [];
  for (const c of consultations.filter((x) => x.state === 'notes_signed' || x.state === 'ended')) {
    const list = (await api('GET', `/api/v1/consultations/${c.id}/notes`)).notes || [];
    const signed = list.filter((n) => n.signed);
    if (signed.length) notes.push({ consultation: c, note: signed[signed.length - 1] });
  }
  const diagnoses = dx.diagnoses || [];
  const names = await conditionNames(diagnoses.map((d) => d.icd10));
  return { diagnoses, names, orders: detailed, notes };
}

export function diagnosesSection({ diagnoses, names }) {
  return h('section', { class: 'card card-pad', 'data-testid': 'diagnoses' },
    h('h2', { class: 'section-title', text: t('record.diagnoses') }),
    diagnoses.length === 0 ? h('p', { class: 'field-hint', text: t('record.no_diagnoses') })
      : h('ul', { class: 'list list-compact' }, diagnoses.map((d) => h('li', { class: 'list-item', 'data-icd10': d.icd10 },
        h('div', { class: 'list-main' },
          h('span', { class: 'list-title', text: `${d.icd10} ${names[d.icd10] ? localName(names[d.icd10]) : ''}` }),
          h('span', { class: 'list-sub', text: t('record.diagnosed_on', { date: formatDate(d.diagnosed_at) }) })),
        h('span', { class: `pill ${d.verified ? 'pill-ok' : 'pill-muted'}`, text: d.verified ? t('record.verified') : t('record.unverified') })))));
}

export function notesSection(notes) {
  return h('section', { class: 'card card-pad', 'data-testid': 'notes' },
    h('h2', { class: 'section-title', text: t('record.notes') }),
    notes.length === 0 ? h('p', { class: 'field-hint', text: t('record.no_notes') })
      : notes.map(({ consultation, note }) => h('article', { class: 'note-card', 'data-note': note.id },
        h('h3', { class: 'subsection-title', text: t('record.note_head', { date: formatDate(note.signed_at), doctor: localName(consultation.doctor) }) }),
        h('dl', { class: 'facts' },
          fact(t('note.chief_complaint'), note.chief_complaint), fact(t('note.history'), note.history),
          fact(t('note.findings'), note.findings),
          fact(t('dx.label'), (note.diagnoses || []).map((d) => `${d.icd10} ${d.name || ''}`.trim()).join('、')),
          fact(t('note.advice'), note.advice)))));
}

function resultsTable(rows = []) {
  if (rows.length === 0) return null;
  return h('table', { class: 'results' },
    h('thead', {}, h('tr', {}, h('th', { text: t('lab.analyte') }), h('th', { text: t('lab.value') }), h('th', { text: t('lab.range') }))),
    h('tbody', {}, rows.map((r) => h('tr', { class: r.flag && r.flag !== 'N' ? 'result-flag' : '' },
      h('td', { text: r.analyte }),
      h('td', { text: `${r.value} ${r.unit || ''} ${r.flag && r.flag !== 'N' ? (r.flag === 'H' ? '↑' : '↓') : ''}`.trim() }),
      h('td', { text: r.ref_text || (r.ref_low != null && r.ref_high != null ? `${r.ref_low}–${r.ref_high}` : '') })))));
}

export function labsSection(orders, extra) {
  return h('section', { class: 'card card-pad', 'data-testid': 'lab-orders' },
    h('h2', { class: 'section-title', text: t('record.labs') }),
    orders.length === 0 ? h('p', { class: 'field-hint', text: t('record.no_labs') })
      : h('ul', { class: 'list list-compact' }, orders.map((o) => h('li', { class: 'list-item lab-item', 'data-order': o.id, 'data-state': o.state },
        h('div', { class: 'list-main' },
          h('span', { class: 'list-title', text: `${o.name} (${o.code})` }),
          h('span', { class: 'list-sub', text: `${tOr(`lab.kind.${o.kind}`, o.kind)} · ${formatDateTime(o.created_at)}` }),
          o.summary ? h('span', { class: 'list-sub', text: o.summary }) : null,
          resultsTable(o.results)),
        h('span', { class: 'pill pill-muted', text: tOr(`lab.state.${o.state}`, o.state) })))),
    extra || null);
}
