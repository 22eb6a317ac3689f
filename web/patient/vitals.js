// Patient · my readings (健康监测): record blood pressure, glucose, weight or
// heart rate, and see each kind's trend as a chart drawn by the app.
// GET/POST /api/v1/patients/{me}/vitals (the account's patient_id).

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { labeled, actionButton, formError, formatDate, fill } from '../rx-view.js';
import { lineChart } from '../chart.js';

const KINDS = {
  bp: { unit: 'mmHg', two: true, color: '#0f766e', color2: '#1d4ed8' },
  glucose: { unit: 'mmol/L', color: '#b45309' },
  weight: { unit: 'kg', color: '#7c3aed' },
  heart_rate: { unit: '/min', color: '#be123c' },
};

function entryForm(patientId, onSaved) {
  const kind = h('select', { name: 'kind' }, Object.keys(KINDS).map((k) => h('option', { value: k, text: t(`vitals.kind.${k}`) })));
  const v1 = h('input', { type: 'number', name: 'value1', step: 'any', inputmode: 'decimal' });
  const v2 = h('input', { type: 'number', name: 'value2', step: 'any', inputmode: 'decimal' });
  const f1 = labeled(t('vitals.value'), v1);
  const f2 = labeled(t('vitals.diastolic'), v2);
  const err = formError();
  const sync = () => {
    const two = KINDS[kind.value].two;
    f1.querySelector('label').textContent = two ? t('vitals.systolic') : t('vitals.value_unit', { unit: KINDS[kind.value].unit });
    f2.hidden = !two;
  };
  kind.addEventListener('change', sync);
  sync();
  const save = async () => {
    err.hidden = true;
    const body = { kind: kind.value, value1: Number(v1.value) };
    if (KINDS[kind.value].two) body.value2 = Number(v2.value);
    const r = await api('POST', `/api/v1/patients/${patientId}/vitals`, { body });
    v1.value = ''; v2.value = '';
    onSaved(r.alerts > 0 ? t('vitals.saved_alert') : t('vitals.saved'));
  };
  return h('section', { class: 'card card-pad' }, h('h2', { class: 'section-title', text: t('vitals.add') }),
    h('form', { class: 'form', 'data-testid': 'vitals-form', onsubmit: (e) => e.preventDefault() },
      labeled(t('vitals.kind'), kind), h('div', { class: 'form-row' }, f1, f2), err,
      h('div', { class: 'form-actions' }, actionButton(t('vitals.save'), save, {
        action: 'save-vital', onError: (e) => { err.hidden = false; err.textContent = errorText(e); },
      }))));
}

function chartCard(kind, list) {
  const k = KINDS[kind];
  const points = list.map((v) => ({ at: v.measured_at, value1: v.value1, value2: v.value2 }));
  const series = [{ key: 'value1', label: k.two ? t('vitals.sys_short') : '', color: k.color }];
  if (k.two) series.push({ key: 'value2', label: t('vitals.dia_short'), color: k.color2 });
  return h('section', { class: 'card card-pad', 'data-chart': kind },
    h('h2', { class: 'section-title', text: t(`vitals.kind.${kind}`) }),
    lineChart(points, { series, unit: k.unit, title: t('vitals.chart_title', { kind: t(`vitals.kind.${kind}`) }), formatX: formatDate }));
}

export function render(main, ctx) {
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.patient.vitals'), t('vitals.intro')), box);
  const patientId = ctx.account.patient_id;
  async function load(message) {
    box.replaceChildren(loadingState());
    let vitals;
    try {
      vitals = (await api('GET', `/api/v1/patients/${patientId}/vitals`)).vitals || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    const kinds = Object.keys(KINDS).filter((k) => vitals.some((v) => v.kind === k));
    fill(box, message ? h('p', { class: 'notice', role: 'status', 'data-testid': 'vitals-message', text: message }) : null,
      entryForm(patientId, load),
      kinds.length ? kinds.map((k) => chartCard(k, vitals.filter((v) => v.kind === k)))
        : h('section', { class: 'card' }, emptyState({ icon: 'chart', title: t('vitals.empty_title'), text: t('vitals.empty_text') })));
  }
  load();
}
