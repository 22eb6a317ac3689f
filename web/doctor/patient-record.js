// Doctor · a patient's record ('#/doctor/records?patient=<id>'): offline
// diagnoses, signed notes of my consultations, lab/exam orders with results
// and a form to order one.
// POST /api/v1/patients/{id}/lab-orders {facility_id, kind, code, name, clinical_note}.

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { localName, labeled, actionButton, formError, fill } from '../rx-view.js';
import { loadRecord, diagnosesSection, notesSection, labsSection } from '../records-view.js';

function orderForm(patientId, consultation, reload) {
  const kind = h('select', { name: 'lab_kind' }, ['lab', 'exam'].map((k) => h('option', { value: k, text: t(`lab.kind.${k}`) })));
  const code = h('input', { type: 'text', name: 'lab_code', placeholder: 'HBA1C' });
  const name = h('input', { type: 'text', name: 'lab_name', placeholder: t('lab.name_placeholder') });
  const note = h('input', { type: 'text', name: 'lab_note' });
  const err = formError();
  const go = async () => {
    err.hidden = true;
    const body = { facility_id: consultation.facility_id, consultation_id: consultation.id, kind: kind.value,
      code: code.value.trim().toUpperCase(), name: name.value.trim() };
    if (note.value.trim()) body.clinical_note = note.value.trim();
    await api('POST', `/api/v1/patients/${patientId}/lab-orders`, { body });
    reload(t('lab.ordered'));
  };
  return h('details', { class: 'order-form' }, h('summary', { text: t('lab.order') }),
    h('div', { class: 'form' }, h('div', { class: 'form-row' }, labeled(t('lab.kind'), kind), labeled(t('lab.code'), code)),
      labeled(t('lab.name'), name), labeled(t('lab.note'), note), err,
      actionButton(t('lab.order_submit'), go, {
        action: 'order-lab', onError: (e) => { err.hidden = false; err.textContent = errorText(e); },
      })));
}

export function render(main, ctx, patientId) {
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(h('a', { class: 'back-link back-link-always', href: '#/doctor/records' }, t('note.back')),
    pageHeader(t('record.title')), box);
  async function load(message) {
    box.replaceChildren(loadingState());
    let rec, mine;
    try {
      mine = ((await api('GET', '/api/v1/consultations')).items || []).filter((c) => c.patient.id === patientId);
      rec = await loadRecord(patientId, mine);
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    const latest = mine[0];
    fill(box, latest ? h('p', { class: 'page-intro', text: localName(latest.patient) }) : null,
      message ? h('p', { class: 'notice', role: 'status', text: message }) : null,
      diagnosesSection(rec), labsSection(rec.orders, latest ? orderForm(patientId, latest, load) : null),
      notesSection(rec.notes));
  }
  load();
}
