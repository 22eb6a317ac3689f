// Doctor · consultation note editor ('#/doctor/records?consultation=<id>'):
// chief complaint, history, findings, ICD-10 diagnoses (searched over the
// district's conditions), advice; save, sign; earlier versions listed. A
// signed version is immutable: editing it makes a correction with a reason.
// GET/PUT /api/v1/consultations/{id}/notes, POST /api/v1/notes/{id}/sign,
// GET /api/v1/conditions?q=.

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { localName, formatDateTime, labeled, actionButton, formError, fill } from '../rx-view.js';
import { conditionPicker } from './condition-picker.js';
import { recordingPlayer } from '../recording-player.js';

const FIELDS = [
  ['chief_complaint', 'note.chief_complaint', 1],
  ['history', 'note.history', 3],
  ['findings', 'note.findings', 3],
  ['advice', 'note.advice', 2],
];

function backToRecords() {
  return h('a', { class: 'back-link back-link-always', href: '#/doctor/records' }, t('note.back'));
}

function versionItem(n) {
  return h('li', { class: 'list-item', 'data-version': n.version },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: t('note.version', { version: n.version }) }),
      h('span', { class: 'list-sub', text: n.signed ? t('note.signed_at', { at: formatDateTime(n.signed_at) })
        : t('note.draft') }),
      n.correction_reason ? h('span', { class: 'list-sub', text: t('note.correction', { reason: n.correction_reason }) }) : null,
      h('span', { class: 'list-sub', text: n.chief_complaint })));
}

function editor(ctx, consultation, notes, reload) {
  const last = notes[notes.length - 1];
  const correcting = notes.some((n) => n.signed); // any later version is a correction
  const src = last || {};
  if (last && last.signed) delete src.correction_reason;
  const inputs = {};
  const err = formError();
  const status = h('p', { class: 'form-status', role: 'status' });
  const form = h('form', { class: 'form', 'data-testid': 'note-form' });
  for (const [key, label, rows] of FIELDS) {
    const el = rows > 1 ? h('textarea', { rows: String(rows), name: key }) : h('input', { type: 'text', name: key });
    el.value = src[key] || '';
    inputs[key] = el;
    form.append(labeled(t(label), el));
  }
  const dx = conditionPicker((src.diagnoses || []).map((d) => ({ icd10: d.icd10, name: d.name })));
  form.append(dx.element);
  if (correcting) {
    inputs.correction_reason = h('input', { type: 'text', name: 'correction_reason' });
    inputs.correction_reason.value = last.signed ? '' : last.correction_reason || '';
    form.append(labeled(t('note.correction_reason'), inputs.correction_reason, t('note.correction_hint')));
  }
  const show = (e) => { err.hidden = false; err.textContent = errorText(e); };
  const body = () => {
    const b = { diagnoses: dx.codes() };
    for (const k of Object.keys(inputs)) { // empty texts are left out (the API refuses them)
      const v = inputs[k].value.trim();
      if (v) b[k] = v;
    }
    return b;
  };
  const save = async () => {
    err.hidden = true;
    const r = await api('PUT', `/api/v1/consultations/${consultation.id}/notes`, { body: body() });
    status.textContent = t('note.saved');
    return r.note;
  };
  const sign = async () => {
    const note = await save();
    await api('POST', `/api/v1/notes/${note.id}/sign`);
    reload(t('note.signed_ok'));
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); save().catch(show); });
  form.append(err, status, h('div', { class: 'form-actions' },
    actionButton(t('note.save'), save, { cls: 'btn btn-secondary', action: 'save-note', onError: show }),
    actionButton(t('note.sign'), sign, { action: 'sign-note', onError: show })));
  return h('section', { class: 'card card-pad' },
    h('h2', { class: 'section-title', text: correcting ? t('note.new_correction') : t('note.editing') }), form);
}

export function render(main, ctx, consultationId) {
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(backToRecords(), pageHeader(t('note.title')), box);

  async function load(message) {
    box.replaceChildren(loadingState());
    let consultation, notes;
    try {
      consultation = (await api('GET', `/api/v1/consultations/${consultationId}`)).consultation;
      notes = (await api('GET', `/api/v1/consultations/${consultationId}/notes`)).notes || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    const signed = notes.filter((n) => n.signed);
    fill(box,
      h('p', { class: 'page-intro', text: t('note.for', { patient: localName(consultation.patient), icd10: consultation.icd10 || '' }) }),
      message ? h('p', { class: 'notice', role: 'status', 'data-testid': 'note-message', text: message }) : null,
      signed.length ? h('div', { class: 'form-actions note-next' }, // the next step after the note: the prescription
        h('a', { class: 'btn btn-primary', href: `#/doctor/prescriptions?consultation=${consultation.id}`,
          'data-action': 'prescribe-after-note' }, t('note.prescribe_next'))) : null,
      editor(ctx, consultation, notes, load),
      recordingPlayer(consultationId),
      signed.length ? h('section', { class: 'card card-pad' },
        h('h2', { class: 'section-title', text: t('note.versions') }),
        h('ul', { class: 'list' }, notes.slice().reverse().map(versionItem))) : null);
  }
  load();
}
