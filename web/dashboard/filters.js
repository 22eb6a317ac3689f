// The dashboard's filters: a period (district days, UTC+8) and a
// subdistrict, kept in the hash ('#/<segment>/dashboard?from=…&to=…&sub=…')
// so a reload or a shared link shows the same figures. read() gives the
// filters of the current hash (default: the last 30 days, the whole
// district); form(filters, subdistricts) the form that changes them.

import { t } from '../i18n.js';
import { h } from '../ui.js';
import { hashQuery, localName } from '../rx-view.js';
import { beijingDay } from '../insurance-view.js';

const DAY_MS = 86400e3;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function read() {
  const q = hashQuery();
  const today = beijingDay();
  let to = DATE.test(q.get('to') || '') ? q.get('to') : today;
  let from = DATE.test(q.get('from') || '') ? q.get('from') : beijingDay(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS);
  if (from > to) [from, to] = [to, from];
  return { from, to, sub: q.get('sub') || '' };
}

// The query string of the stats API for these filters.
export function apiQuery(f) {
  const q = new URLSearchParams({ from: f.from, to: f.to });
  if (f.sub) q.set('subdistrict', f.sub);
  return q.toString();
}

// Every district day from..to as "YYYY-MM-DD".
export function days(f) {
  const out = [];
  for (let ms = Date.parse(`${f.from}T00:00:00Z`); ms <= Date.parse(`${f.to}T00:00:00Z`) && out.length < 4000; ms += DAY_MS) {
    out.push(new Date(ms).toISOString().slice(0, 10));
  }
  return out;
}

export function form(f, subdistricts, { segment, screen = 'dashboard' }) {
  const sub = h('select', { id: 'dash-sub', name: 'sub' },
    h('option', { value: '', text: t('dash.all_subdistricts') }),
    subdistricts.map((s) => h('option', { value: s.id, selected: s.id === f.sub, text: localName(s) })));
  const from = h('input', { type: 'date', id: 'dash-from', name: 'from', value: f.from, max: beijingDay(), required: true });
  const to = h('input', { type: 'date', id: 'dash-to', name: 'to', value: f.to, max: beijingDay(), required: true });
  const go = (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({ from: from.value || f.from, to: to.value || f.to });
    if (sub.value) q.set('sub', sub.value);
    location.hash = `#/${segment}/${screen}?${q}`;
  };
  return h('form', { class: 'card card-pad dash-filters', 'data-testid': 'dash-filters', onsubmit: go },
    h('div', { class: 'field' }, h('label', { for: sub.id, text: t('dash.subdistrict') }), sub),
    h('div', { class: 'field' }, h('label', { for: from.id, text: t('dash.from') }), from),
    h('div', { class: 'field' }, h('label', { for: to.id, text: t('dash.to') }), to),
    h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'apply-filters' }, t('dash.apply')));
}
