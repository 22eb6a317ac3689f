// Doctor · prescription editor: '#/doctor/prescriptions?consultation=<id>'
// (a new one) or '?id=<rx>' (a draft or a returned one; any other state is
// shown read-only by rx-detail.js). Every change is checked at once with
// POST /api/v1/prescriptions/check and every violation is shown with its
// rule's sentence; Save is POST (new) or PUT; Sign is POST …/sign.

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { localName, labeled, actionButton, formError, violationsBox, kindText, idempotencyKey, fill } from '../rx-view.js';
import { rxItems } from './rx-items.js';

const KINDS = ['normal', 'acute', 'chronic', 'long_term'];
const EDITABLE = new Set(['draft', 'returned']);

function select(name, options, value) {
  const el = h('select', { name }, options.map(([v, label]) => h('option', { value: v, text: label })));
  el.value = String(value);
  return el;
}

function fields(src, consultation) {
  return {
    icd10: h('input', { type: 'text', name: 'icd10', value: src.icd10 || consultation?.icd10 || '', autocomplete: 'off' }),
    kind: select('kind', KINDS.map((k) => [k, kindText(k)]), src.kind || 'normal'),
    validity_days: select('validity_days', [1, 2, 3].map((d) => [d, t('rx.validity_n', { days: d })]), src.validity_days || 1),
    chronic_reason: h('textarea', { name: 'chronic_reason', rows: '2' }),
    assessment: h('textarea', { name: 'assessment', rows: '2' }),
    patient_consent: h('input', { type: 'checkbox', name: 'patient_consent' }),
    guardian_name: h('input', { type: 'text', name: 'guardian_name', value: src.guardian_name || '' }),
    note: h('input', { type: 'text', name: 'note', value: src.note || '' }),
  };
}

function form(ctx, { rx, consultation, patientId }, main) {
  const f = fields(rx || {}, consultation);
  f.chronic_reason.value = rx?.chronic_reason || '';
  f.assessment.value = rx?.assessment || '';
  f.patient_consent.checked = !!rx?.patient_consent;
  const live = h('div', { class: 'rules-live', 'aria-live': 'polite', 'data-testid': 'rules-live' });
  const err = formError();
  let timer = null, seq = 0, id = rx?.id || null;
  const signKey = idempotencyKey(); // one signing action of this form, however often retried
  const body = () => {
    const b = {
      patient_id: patientId, consultation_id: rx ? undefined : consultation.id,
      icd10: f.icd10.value.trim(), kind: f.kind.value, validity_days: Number(f.validity_days.value),
      patient_consent: f.patient_consent.checked, items: items.items(),
    };
    // optional texts are sent only when written (the API refuses empty ones)
    for (const k of ['chronic_reason', 'assessment', 'guardian_name', 'note']) {
      const v = f[k].value.trim();
      if (v) b[k] = v;
    }
    return b;
  };
  async function check() {
    const my = ++seq;
    let violations;
    try {
      violations = (await api('POST', '/api/v1/prescriptions/check', { body: body() })).violations;
    } catch (e) {
      if (my !== seq || e.handled) return;
      if (e.violations) violations = e.violations;
      else { live.replaceChildren(h('p', { class: 'form-error', text: errorText(e) })); return; }
    }
    if (my === seq && ctx.alive()) live.replaceChildren(violationsBox(violations));
  }
  const reasonField = labeled(t('rx.chronic_reason'), f.chronic_reason);
  const longTerm = h('div', {}, labeled(t('rx.assessment'), f.assessment),
    h('label', { class: 'check' }, f.patient_consent, h('span', { text: t('rx.patient_consent') })));
  const changed = () => {
    const k = f.kind.value;
    reasonField.hidden = k !== 'chronic' && k !== 'long_term';
    longTerm.hidden = k !== 'long_term';
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  };
  const items = rxItems(rx?.items || [], changed); // calls changed() for its first lines
  const show = (e) => {
    err.hidden = false;
    err.textContent = errorText(e);
    if (e.violations) live.replaceChildren(violationsBox(e.violations));
  };
  async function save() {
    err.hidden = true;
    const r = id ? await api('PUT', `/api/v1/prescriptions/${id}`, { body: body() })
      : await api('POST', '/api/v1/prescriptions', { body: body() });
    id = r.prescription.id;
    live.replaceChildren(violationsBox(r.violations));
    history.replaceState(null, '', `#/doctor/prescriptions?id=${id}`);
    return id;
  }
  async function sign() {
    const rid = await save();
    await api('POST', `/api/v1/prescriptions/${rid}/sign`, { headers: { 'Idempotency-Key': signKey } });
    location.hash = `#/doctor/prescriptions?id=${rid}&signed=1`;
  }
  const el = h('form', { class: 'form', 'data-testid': 'rx-form', oninput: changed, onchange: changed },
    labeled(t('rx.icd10'), f.icd10, t('rx.icd10_hint')),
    h('div', { class: 'form-row' }, labeled(t('rx.kind'), f.kind), labeled(t('rx.validity'), f.validity_days)),
    reasonField, longTerm, items.element,
    labeled(t('rx.guardian'), f.guardian_name, t('rx.guardian_hint')), labeled(t('rx.note'), f.note),
    h('h3', { class: 'subsection-title', text: t('rx.rules_title') }), live, err,
    h('div', { class: 'form-actions' },
      actionButton(t('rx.save'), save, { cls: 'btn btn-secondary', action: 'save-rx', onError: show }),
      actionButton(t('rx.sign'), sign, { action: 'sign-rx', onError: show })));
  el.addEventListener('submit', (e) => e.preventDefault());
  changed();
  return el;
}

export function render(main, ctx, { id, consultationId }) {
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(h('a', { class: 'back-link back-link-always', href: '#/doctor/prescriptions' }, t('rx.back')),
    pageHeader(id ? t('rx.edit_title') : t('rx.new_title')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let rx = null, consultation = null;
    try {
      if (id) rx = (await api('GET', `/api/v1/prescriptions/${id}`)).prescription;
      const cid = consultationId || rx?.consultation_id;
      if (cid) consultation = (await api('GET', `/api/v1/consultations/${cid}`)).consultation;
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    if (rx && !EDITABLE.has(rx.state)) {
      (await import('./rx-detail.js')).render(box, ctx, rx);
      return;
    }
    const patientId = rx?.patient_id || consultation?.patient?.id;
    fill(box,
      consultation ? h('p', { class: 'page-intro', text: t('rx.for', { patient: localName(consultation.patient) }) }) : null,
      rx?.state === 'returned' ? h('div', { class: 'notice notice-warn', 'data-testid': 'returned-reason' },
        h('strong', { text: t('rx.returned_by_pharmacist') }), ' ', rx.review_reason || '') : null,
      h('section', { class: 'card card-pad' }, form(ctx, { rx, consultation, patientId }, main)));
  }
  load();
}
