// Pieces the referral screens share (doctor and patient): names in the
// current language, states as pills, a referral as a list item, a small
// inline form, and a loader that fills a card.

import { t, tOr, getLang, formatDateTime } from '../i18n.js';
import { h, loadingState, emptyState, errorState } from '../ui.js';
import { errorText } from '../api.js';

// The row's name field in the current language: local(r, 'to_department_name').
export function local(o, key) {
  if (!o) return '';
  return (getLang() === 'en' && o[`${key}_en`]) || o[key] || '';
}

const GOOD = new Set(['completed', 'arrived', 'scheduled', 'accepted']);
const BAD = new Set(['rejected', 'cancelled', 'no_show']);

export function statePill(state, prefix = 'referral.state') {
  const cls = GOOD.has(state) ? 'pill-ok' : BAD.has(state) ? 'pill-warn' : 'pill-muted';
  return h('span', { class: `pill ${cls}`, 'data-state': state, text: tOr(`${prefix}.${state}`, state) });
}

export function when(ms) {
  return ms ? formatDateTime(ms) : '';
}

// Where a referral goes, in words: "坪山区人民医院 · 心血管内科" or the GP.
export function destination(r) {
  if (r.direction === 'down') return `${local(r, 'to_facility_name')} · ${local(r, 'to_doctor_name')}`;
  return `${local(r, 'to_facility_name')} · ${local(r, 'to_department_name')}`;
}

// A referral as a list item; `actions` are buttons (or null).
export function referralItem(r, actions = [], extra = null) {
  const dir = t(r.direction === 'up' ? 'referral.up' : 'referral.down');
  const urgent = r.urgency === 'urgent' ? h('span', { class: 'pill pill-warn', text: t('referral.urgent') }) : null;
  return h('li', { class: 'list-item', 'data-referral': r.id, 'data-state': r.state },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: `${dir} · ${local(r, 'patient_name')}` }),
      h('span', { class: 'list-sub', text: `${r.icd10} ${local(r, 'condition_name')} → ${destination(r)}` }),
      h('span', { class: 'list-sub', text: r.reason }),
      r.scheduled_for ? h('span', { class: 'list-sub', 'data-field': 'appointment',
        text: t('referral.appointment_at', { time: when(r.scheduled_for) }) }) : null,
      r.outcome ? h('span', { class: 'list-sub', text: t('referral.outcome_is', { text: r.outcome }) }) : null,
      r.state_reason ? h('span', { class: 'list-sub', text: t('referral.reason_is', { text: r.state_reason }) }) : null,
      h('span', {}, statePill(r.state), ' ', urgent)),
    extra,
    actions.length ? h('div', { class: 'list-actions' }, actions) : null);
}

export function button(label, action, onclick, kind = 'btn-secondary') {
  return h('button', { type: 'button', class: `btn ${kind}`, 'data-action': action, onclick }, label);
}

// A labelled control: a label, the control, an optional hint below it.
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control,
    hint ? h('p', { class: 'field-hint', text: hint }) : null);
}

export function select(name, options, value) {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

// Runs fn (an async API call); on failure shows the error in `status`.
export async function attempt(status, fn) {
  status.replaceChildren();
  try {
    await fn();
    return true;
  } catch (err) {
    if (!err.handled) status.replaceChildren(h('p', { class: 'form-error', role: 'alert', text: errorText(err) }));
    return false;
  }
}

// Fills box with what render(data) returns after load() resolves, with the
// shared loading / empty / error states. Returns the reload function.
export function loader(box, ctx, load, render, empty) {
  async function run() {
    box.setAttribute('aria-busy', 'true');
    box.replaceChildren(loadingState());
    let data;
    try {
      data = await load();
    } catch (err) {
      box.removeAttribute('aria-busy');
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, run));
      return;
    }
    if (!ctx.alive()) return;
    box.removeAttribute('aria-busy');
    const content = render(data);
    box.replaceChildren(content || emptyState(empty));
  }
  run();
  return run;
}

// The query of the current hash route (#/doctor/referrals?patient=…).
export function hashParams() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i >= 0 ? location.hash.slice(i + 1) : '');
}
