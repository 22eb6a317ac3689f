// Shared pieces of the records and prescription screens: the hash query,
// state pills, drug lines, the rules' violations in the UI language, dates.
// Screens with a detail view use '#/<segment>/<screen>?id=…' (app.js routes
// on the path and leaves the query to the screen).

import { t, tOr, getLang, formatDateTime } from './i18n.js';
import { h } from './ui.js';

export function hashQuery() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

export function en() { return getLang() === 'en'; }

// A person's or thing's name in the UI language ({name, name_en}).
export function localName(o, zhKey = 'name', enKey = 'name_en') {
  if (!o) return '';
  return (en() && o[enKey]) || o[zhKey] || '';
}

export function formatDate(ms) {
  if (!ms) return '';
  return new Intl.DateTimeFormat(getLang(), { year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(ms));
}

export { formatDateTime };

const STATE_TONE = {
  draft: 'pill-muted', pending_review: 'pill-info', ready: 'pill-ok', in_progress: 'pill-info',
  completed: 'pill-ok', returned: 'pill-warn', expired: 'pill-muted', cancelled: 'pill-muted',
};

export function statePill(state) {
  return h('span', {
    class: `pill ${STATE_TONE[state] || 'pill-muted'}`, 'data-state': state,
    text: tOr(`rx.state.${state}`, state),
  });
}

export function kindText(kind) { return tOr(`rx.kind.${kind}`, kind); }

export function drugName(item) {
  return (en() && item.generic_en) || item.generic_name || item.drug_id;
}

// "Amlodipine 5mg · 1 pack · 7 days · 5 mg by mouth once a day"
export function drugLine(item) {
  return t('rx.item_line', {
    drug: `${drugName(item)} ${item.strength || ''}`.trim(),
    quantity: item.quantity, days: item.days,
  });
}

export function itemsList(items = []) {
  return h('ul', { class: 'drug-list' }, items.map((it) => h('li', { class: 'drug-item' },
    h('span', { class: 'drug-name', text: drugLine(it) }),
    it.dose ? h('span', { class: 'drug-dose', text: it.dose }) : null)));
}

// The rules' sentence in the UI language.
export function violationText(v) {
  return (getLang() === 'zh-CN' ? v.message_zh : v.message) || v.message || v.code;
}

// Every violation with its sentence; an "all rules pass" line when none.
export function violationsBox(violations, { okText } = {}) {
  if (!violations || violations.length === 0) {
    return h('p', { class: 'rules-ok', 'data-testid': 'rules-ok', text: okText || t('rx.rules_ok') });
  }
  return h('ul', { class: 'violations', 'data-testid': 'violations', role: 'alert' },
    violations.map((v) => h('li', { class: 'violation', 'data-code': v.code },
      h('span', { class: 'violation-text', text: violationText(v) }),
      v.source ? h('span', { class: 'violation-source', text: v.source }) : null)));
}

// One label/value row of a detail list.
export function fact(label, value) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', { class: 'fact' }, h('dt', { text: label }),
    h('dd', {}, value instanceof Node ? value : String(value)));
}

// A button that disables itself while fn runs; errors go to onError.
export function actionButton(label, fn, { cls = 'btn btn-primary', action, onError } = {}) {
  const btn = h('button', { type: 'button', class: cls, 'data-action': action || false }, label);
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try { await fn(); } catch (err) {
      if (onError) onError(err); else console.warn(err);
    } finally { btn.disabled = false; }
  });
  return btn;
}

// A small form error line that shows an ApiError's sentence.
export function formError() {
  return h('p', { class: 'form-error', role: 'alert', hidden: true });
}

export function labeled(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control,
    hint ? h('p', { class: 'field-hint', text: hint }) : null);
}

// A fresh Idempotency-Key for one user action (a retry of it reuses the key).
export function idempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `k-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

// Age in full years on a 'YYYY-MM-DD' birth date.
export function ageOf(birth) {
  const [y, m, d] = String(birth || '').split('-').map(Number);
  if (!y) return null;
  const now = new Date();
  let age = now.getFullYear() - y;
  if (now.getMonth() + 1 < m || (now.getMonth() + 1 === m && now.getDate() < d)) age--;
  return age;
}

// el.replaceChildren() without the nulls of optional parts (which the DOM
// would print as "null").
export function fill(el, ...kids) {
  el.replaceChildren(...kids.flat().filter((k) => k != null && k !== false));
}
