// Doctor · remote consultations (远程会诊). A community GP, with the patient
// present, asks a hospital department to join a three-party call; the
// department's specialists accept, schedule the call and write their
// opinion; the GP can refer up from it in one step.
// GET/POST /api/v1/remote-consultations, POST …/{id}/{action}.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader } from '../ui.js';
import { backLink } from '../home.js';
import { local, statePill, when, button, field, select, attempt, loader, hashParams } from './referral-ui.js';

function act(r, action, body, status, reload) {
  return attempt(status, () => api('POST', `/api/v1/remote-consultations/${r.id}/${action}`, { body }))
    .then((ok) => ok && reload());
}

// The actions for the caller: the GP who asked, or the asked department.
function controls(r, me, reload) {
  const status = h('div', { 'aria-live': 'polite' });
  const text = h('textarea', { rows: 2, maxlength: 4000, 'data-field': 'text' });
  const at = h('input', { type: 'datetime-local', 'data-field': 'at' });
  const mine = r.gp_id === me;
  const out = [];
  if (!mine && r.state === 'requested') {
    out.push(button(t('remote.accept'), 'accept', () => act(r, 'accept', {}, status, reload), 'btn-primary'));
    out.push(button(t('remote.reject'), 'reject', () => act(r, 'reject', { reason: text.value }, status, reload)));
  }
  if (!mine && r.state === 'accepted') {
    out.push(button(t('remote.schedule'), 'schedule',
      () => act(r, 'schedule', { at: new Date(at.value).getTime() }, status, reload), 'btn-primary'));
  }
  if (!mine && r.state === 'scheduled') {
    out.push(button(t('remote.opinion'), 'opinion', () => act(r, 'opinion', { opinion: text.value }, status, reload),
      'btn-primary'));
  }
  if (mine && ['requested', 'accepted', 'scheduled'].includes(r.state)) {
    out.push(button(t('remote.cancel'), 'cancel', () => act(r, 'cancel', { reason: text.value }, status, reload)));
  }
  if (mine && r.state === 'scheduled' && r.consultation_id) { /* the call: once the specialist has called the patient in */
    out.push(h('a', { class: 'btn btn-primary', 'data-action': 'join-call',
      href: `#/doctor/console?join=${encodeURIComponent(r.consultation_id)}` }, t('remote.join_call')));
  }
  if (mine && r.state === 'completed' && !r.referral_id) {
    out.push(button(t('remote.refer_up'), 'refer-up', () => act(r, 'refer-up', { urgency: 'routine' }, status, reload),
      'btn-primary'));
  }
  if (!out.length) return null;
  return h('div', {}, r.state === 'accepted' && !mine ? field(t('remote.when'), at) : null,
    field(t(r.state === 'scheduled' && !mine ? 'remote.opinion_text' : 'remote.reason'), text),
    h('div', { class: 'list-actions' }, out), status);
}

function item(r, me, reload) {
  return h('li', { class: 'list-item', 'data-remote': r.id, 'data-state': r.state },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: `${local(r, 'patient_name')} · ${local(r, 'department_name')}` }),
      h('span', { class: 'list-sub', text: `${r.icd10} · ${r.question}` }),
      h('span', { class: 'list-sub', text: t(r.patient_location === 'home' ? 'remote.at_home' : 'remote.at_centre') }),
      r.scheduled_for ? h('span', { class: 'list-sub', text: t('remote.call_at', { time: when(r.scheduled_for) }) }) : null,
      r.opinion ? h('span', { class: 'list-sub', text: t('remote.opinion_is', { text: r.opinion }) }) : null,
      r.referral_id ? h('span', { class: 'list-sub', text: t('remote.referred') }) : null,
      h('span', {}, statePill(r.state, 'remote.state'))),
    controls(r, me, reload));
}

async function requestForm(onDone) {
  const desk = await api('GET', '/api/v1/referrals/desk');
  if (desk.facility.level !== 'community') return null;
  const patients = (await api('GET', '/api/v1/contracts')).items || [];
  const status = h('div', { 'aria-live': 'polite' });
  const patient = select('patient', patients.map((p) => [p.patient_id, local(p, 'name')]), hashParams().get('patient'));
  const dept = select('department', desk.targets.map((d) => [d.id, `${local(d, 'facility_name')} · ${local(d, 'name')}`]));
  const icd10 = h('input', { name: 'icd10', required: true, maxlength: 16, placeholder: 'I25.1' });
  const question = h('textarea', { name: 'question', required: true, rows: 3, maxlength: 4000 });
  const where = select('location', [['centre', t('remote.at_centre')], ['home', t('remote.at_home')]]);
  const form = h('form', { class: 'form', 'data-form': 'remote-request' },
    field(t('referral.patient'), patient), field(t('referral.department'), dept), field(t('referral.icd10'), icd10),
    field(t('remote.question'), question), field(t('remote.location'), where), status,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('remote.send'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { patient_id: patient.value, department_id: dept.value, icd10: icd10.value.trim(),
      question: question.value.trim(), location: where.value };
    if (await attempt(status, () => api('POST', '/api/v1/remote-consultations', { body }))) {
      form.reset();
      onDone();
    }
  });
  return form;
}

export function render(main, ctx) {
  const formBox = h('section', { class: 'card card-pad', 'data-section': 'request' });
  const box = h('section', { class: 'card', 'data-section': 'remote-list', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.doctor.remote'), t('screen.doctor.remote.desc')),
    formBox, h('h2', { class: 'section-title', text: t('remote.requests') }), box);
  const reload = loader(box, ctx, () => api('GET', '/api/v1/remote-consultations'), (data) => (data.items.length
    ? h('ul', { class: 'list' }, data.items.map((r) => item(r, ctx.account.id, () => reload()))) : null),
  { icon: 'video', title: t('remote.empty') });
  loader(formBox, ctx, () => requestForm(() => reload()), (x) => x || h('p', { class: 'notice', text: t('remote.hospital_hint') }),
    { icon: 'video', title: t('remote.empty') });
}
