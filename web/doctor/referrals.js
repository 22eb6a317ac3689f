// Doctor · referrals (双向转诊). Community GPs write up-referrals to hospital
// departments and receive down-referrals; hospital doctors receive their
// department's up-referrals (accept, schedule into a reserved slot, arrive,
// complete with a visit summary) and write down-referrals with a care plan.
// GET /api/v1/referrals/desk, /api/v1/referrals?box=…, /api/v1/contracts;
// POST /api/v1/referrals, /api/v1/referrals/{id}/{action}.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader } from '../ui.js';
import { backLink } from '../home.js';
import { local, referralItem, button, field, select, attempt, loader, hashParams } from './referral-ui.js';

// What the caller may do next, by box and state: [action, label key, needs text].
const NEXT = {
  incoming: {
    requested: [['accept', 'referral.do.accept'], ['reject', 'referral.do.reject', true]],
    accepted: [['schedule', 'referral.do.schedule'], ['complete', 'referral.do.complete_down', false, 'down']],
    scheduled: [['arrive', 'referral.do.arrive'], ['no_show', 'referral.do.no_show']],
    arrived: [['complete', 'referral.do.complete', true]],
  },
  outgoing: {
    requested: [['cancel', 'referral.do.cancel']],
    accepted: [['cancel', 'referral.do.cancel', false, 'up']],
    scheduled: [['cancel', 'referral.do.cancel']],
  },
};

function actionsFor(box, r, reload) {
  const note = h('input', { type: 'text', maxlength: 1000, 'data-field': 'note', placeholder: t('referral.note_ph') });
  const status = h('div', { 'aria-live': 'polite' });
  const steps = (NEXT[box][r.state] || []).filter(([, , , dir]) => !dir || dir === r.direction)
    .filter(([a]) => !(a === 'schedule' && r.direction === 'down'));
  if (steps.length === 0) return null;
  const buttons = steps.map(([action, label, needsText]) => button(t(label), action, async () => {
    const text = note.value.trim();
    if (needsText && !text) {
      note.focus();
      note.setAttribute('aria-invalid', 'true');
      return;
    }
    const body = action === 'complete' ? { outcome: text } : text ? { reason: text } : {};
    if (await attempt(status, () => api('POST', `/api/v1/referrals/${r.id}/${action}`, { body }))) reload();
  }, action === 'accept' || action === 'schedule' ? 'btn-primary' : 'btn-secondary'));
  return h('div', { class: 'referral-act' }, field(t('referral.note'), note), h('div', { class: 'list-actions' },
    buttons), status);
}

function list(box, ctx, which) {
  return loader(box, ctx, () => api('GET', `/api/v1/referrals?box=${which}&limit=100`),
    (data) => (data.items.length ? h('ul', { class: 'list' },
      data.items.map((r) => referralItem(r, [], actionsFor(which, r, () => reloadAll())))) : null),
    { icon: 'referral', title: t(`referral.empty.${which}`) });
}

let reloadAll = () => {};

// The up-referral composer (community GPs): a contracted patient, a department.
function upForm(desk, patients, preset, onDone) {
  const status = h('div', { 'aria-live': 'polite' });
  const patient = select('patient', patients.map((p) => [p.patient_id, `${local(p, 'name')} · ${p.birth_date}`]), preset);
  const dept = select('department', desk.targets.map((d) => [d.id,
    `${local(d, 'facility_name')} · ${local(d, 'name')}`]));
  const urgency = select('urgency', [['routine', t('referral.routine')], ['urgent', t('referral.urgent')]]);
  const icd10 = h('input', { name: 'icd10', required: true, maxlength: 16, placeholder: 'I10' });
  const reason = h('textarea', { name: 'reason', required: true, maxlength: 1000, rows: 3 });
  const summary = h('textarea', { name: 'summary', maxlength: 4000, rows: 3 });
  const form = h('form', { class: 'form', 'data-form': 'referral-up' },
    field(t('referral.patient'), patient), field(t('referral.department'), dept), field(t('referral.urgency'), urgency),
    field(t('referral.icd10'), icd10), field(t('referral.reason'), reason),
    field(t('referral.summary'), summary, t('referral.summary_hint')), status,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('referral.send'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { direction: 'up', patient_id: patient.value, to_department_id: dept.value, urgency: urgency.value,
      icd10: icd10.value.trim(), reason: reason.value.trim(), summary: summary.value.trim() };
    if (await attempt(status, () => api('POST', '/api/v1/referrals', { body }))) {
      form.reset();
      onDone();
    }
  });
  return form;
}

// The down-referral composer (hospital doctors): a patient referred to us,
// the care plan (interval, blood-pressure target) for the family doctor.
function downForm(patients, onDone) {
  const status = h('div', { 'aria-live': 'polite' });
  const patient = select('patient', patients.map((p) => [p.id, p.name]));
  const icd10 = h('input', { name: 'icd10', required: true, maxlength: 16, placeholder: 'I10' });
  const reason = h('textarea', { name: 'reason', required: true, maxlength: 1000, rows: 2 });
  const days = h('input', { name: 'follow_up_days', type: 'number', min: 1, max: 366, value: 14 });
  const sys = h('input', { name: 'bp_sys', type: 'number', min: 80, max: 200, value: 140 });
  const dia = h('input', { name: 'bp_dia', type: 'number', min: 40, max: 130, value: 90 });
  const note = h('textarea', { name: 'plan_note', maxlength: 1000, rows: 2 });
  const form = h('form', { class: 'form', 'data-form': 'referral-down' },
    field(t('referral.patient'), patient), field(t('referral.icd10'), icd10), field(t('referral.reason'), reason),
    field(t('referral.follow_up_days'), days), field(t('referral.bp_target_sys'), sys),
    field(t('referral.bp_target_dia'), dia), field(t('referral.plan_note'), note), status,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' },
      t('referral.send_down'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { direction: 'down', patient_id: patient.value, icd10: icd10.value.trim(),
      reason: reason.value.trim(), follow_up_days: Number(days.value), plan_note: note.value.trim(),
      targets: [{ kind: 'bp', high1: Number(sys.value), high2: Number(dia.value) }] };
    if (await attempt(status, () => api('POST', '/api/v1/referrals', { body }))) {
      form.reset();
      onDone();
    }
  });
  return form;
}

async function composer(box, desk) {
  if (desk.facility.level === 'community') {
    const patients = (await api('GET', '/api/v1/contracts')).items || [];
    if (!patients.length) return h('p', { class: 'notice', text: t('referral.no_contracted') });
    return upForm(desk, patients, hashParams().get('patient'), () => reloadAll());
  }
  const incoming = (await api('GET', '/api/v1/referrals?box=incoming&direction=up&limit=200')).items || [];
  const seen = new Map();
  for (const r of incoming) seen.set(r.patient_id, { id: r.patient_id, name: local(r, 'patient_name') });
  if (!seen.size) return h('p', { class: 'notice', text: t('referral.no_referred') });
  return downForm([...seen.values()], () => reloadAll());
}

export function render(main, ctx) {
  const composeBox = h('section', { class: 'card card-pad', 'data-section': 'compose' });
  const inBox = h('section', { class: 'card', 'data-section': 'incoming', 'aria-live': 'polite' });
  const outBox = h('section', { class: 'card', 'data-section': 'outgoing', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.doctor.referrals'), t('screen.doctor.referrals.desc')),
    h('h2', { class: 'section-title', text: t('referral.compose') }), composeBox,
    h('h2', { class: 'section-title', text: t('referral.incoming') }), inBox,
    h('h2', { class: 'section-title', text: t('referral.outgoing') }), outBox);
  let reloads = [];
  reloadAll = () => reloads.forEach((f) => f());
  loader(composeBox, ctx, async () => composer(composeBox, await api('GET', '/api/v1/referrals/desk')), (x) => x,
    { icon: 'referral', title: t('referral.no_referred') });
  reloads = [list(inBox, ctx, 'incoming'), list(outBox, ctx, 'outgoing')];
}
