// Admin · a new policy version: starts from a version's terms (the newest),
// takes effect at Beijing midnight of a future date, and sends every rate,
// the category shares and every fee row so the new version is exactly what
// the form shows. POST /api/v1/insurance/policies.

import { t, tOr } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h } from '../ui.js';
import { labeled, formError, localName } from '../rx-view.js';
import { percent, planName, levelName, fenOf, bpOf, beijingMidnight, nextBeijingDay } from '../insurance-view.js';

export function titleName(id) {
  return id === 'any' ? t('policy.any') : tOr(`ins.title.${id}`, id);
}

const input = (value, label, name) => h('input', { type: 'text', inputmode: 'decimal', value, 'aria-label': label, name });

function rateRow(r) {
  const label = `${planName(r.plan_id)} ${levelName(r.facility_level)}`;
  const ins = {
    ratio: input(percent(r.ratio_bp), `${label} ${t('policy.col.ratio')}`, 'ratio'),
    deductible: input(String(r.deductible_fen / 100), `${label} ${t('policy.col.deductible')}`, 'deductible'),
    cap: input(String(r.cap_fen / 100), `${label} ${t('policy.col.cap')}`, 'cap'),
  };
  const tr = h('tr', { class: 'rate-inputs', 'data-plan': r.plan_id, 'data-level': r.facility_level },
    h('td', { text: planName(r.plan_id) }), h('td', { text: levelName(r.facility_level) }),
    h('td', {}, ins.ratio), h('td', {}, ins.deductible), h('td', {}, ins.cap));
  tr.read = () => ({ plan_id: r.plan_id, facility_level: r.facility_level, ratio_bp: bpOf(ins.ratio.value),
    deductible_fen: fenOf(ins.deductible.value), cap_fen: fenOf(ins.cap.value) });
  return tr;
}

function feeRow(f) {
  const price = input(String(f.price_fen / 100), `${localName(f)} ${t('policy.col.price')}`, 'price');
  const tr = h('tr', { class: 'fee-inputs', 'data-item': f.item_code },
    h('td', { text: localName(f) }), h('td', { text: f.facility_level === 'any' ? t('policy.any') : levelName(f.facility_level) }),
    h('td', { text: titleName(f.doctor_title) }), h('td', {}, price));
  tr.read = () => ({ item_code: f.item_code, name: f.name, name_en: f.name_en, facility_level: f.facility_level,
    doctor_title: f.doctor_title, price_fen: fenOf(price.value), covered: !!f.covered });
  return tr;
}

export function policyForm(base, { onDone, onCancel }) {
  const date = h('input', { type: 'date', name: 'effective_from', value: nextBeijingDay(), min: nextBeijingDay(), required: true });
  const note = h('input', { type: 'text', name: 'note', maxlength: 200 });
  const share = h('input', { type: 'text', inputmode: 'decimal', name: 'yi_share', value: percent(base.categories['乙']) });
  const rates = base.rates.map(rateRow);
  const fees = base.fees.map(feeRow);
  const err = formError();
  const th = (k) => h('th', { scope: 'col', text: t(`policy.col.${k}`) });
  const form = h('form', { class: 'card card-pad form', 'data-form': 'policy' },
    h('h2', { class: 'section-title', text: t('policy.new') }),
    h('p', { class: 'field-hint', text: t('policy.new_hint') }),
    h('div', { class: 'policy-grid' }, labeled(t('policy.effective'), date, t('policy.effective_hint')),
      labeled(t('policy.note'), note), labeled(t('policy.yi_share'), share, t('policy.yi_share_hint'))),
    h('div', { class: 'table-scroll' }, h('table', { class: 'results', 'data-testid': 'rate-editor' },
      h('thead', {}, h('tr', {}, ['plan', 'level', 'ratio', 'deductible_yuan', 'cap_yuan'].map(th))), h('tbody', {}, rates))),
    h('details', { class: 'sample-details' }, h('summary', { text: t('policy.fees', { n: fees.length }) }),
      h('div', { class: 'table-scroll' }, h('table', { class: 'results' },
        h('thead', {}, h('tr', {}, ['item', 'level', 'title', 'price'].map(th))), h('tbody', {}, fees)))),
    err,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'create-version' }, t('policy.create')),
      h('button', { type: 'button', class: 'btn btn-secondary', onclick: onCancel }, t('policy.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { effective_from: beijingMidnight(date.value), rates: rates.map((r) => r.read()), fees: fees.map((f) => f.read()),
      categories: { 甲: base.categories['甲'], 乙: bpOf(share.value), 丙: base.categories['丙'] } };
    if (note.value.trim()) body.note = note.value.trim();
    const bad = !date.value || Number.isNaN(body.categories['乙']) || body.rates.some((r) => [r.ratio_bp, r.deductible_fen, r.cap_fen].some(Number.isNaN))
      || body.fees.some((f) => Number.isNaN(f.price_fen));
    err.hidden = !bad;
    if (bad) { err.textContent = t('policy.invalid'); return; }
    const btn = form.querySelector('[data-action="create-version"]');
    btn.disabled = true;
    try {
      await api('POST', '/api/v1/insurance/policies', { body });
      onDone(t('policy.created', { date: date.value }));
    } catch (x) {
      if (x.handled) return;
      err.hidden = false;
      err.textContent = errorText(x);
    } finally { btn.disabled = false; }
  });
  return form;
}
