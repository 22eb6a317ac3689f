// The dashboard's cards (dashboard.js). Each is (filters, {subdistricts,
// facilities}, ctx) → a card that loads its own figures and shows a loading,
// an error (with retry) or an empty state of its own, so one slow or failed
// figure never blanks the others.

import { t, tOr } from '../i18n.js';
import { api } from '../api.js';
import { h, loadingState, errorState, emptyState } from '../ui.js';
import { localName } from '../rx-view.js';
import { money, beijingMidnight } from '../insurance-view.js';
import { columnChart, barList, legend } from '../svg-chart.js';
import { apiQuery, days } from './filters.js';

const C = { teal: '#0f766e', blue: '#1d4ed8', orange: '#c2410c', grey: '#94a3b8', red: '#b91c1c' };
const DAY_MS = 86400e3;

function minutes(ms) {
  if (ms == null) return '—';
  return ms < 60000 ? t('dash.seconds', { n: Math.round(ms / 1000) }) : t('dash.minutes', { n: Math.round(ms / 6000) / 10 });
}

// Days grouped for the x axis: by day up to 45 days, by week up to 200, else by month.
function buckets(f) {
  const all = days(f);
  const by = all.length <= 45 ? 'day' : all.length <= 200 ? 'week' : 'month';
  const keyOf = (d) => (by === 'day' ? d : by === 'month' ? d.slice(0, 7)
    : all[Math.floor(all.indexOf(d) / 7) * 7]);
  const keys = [...new Set(all.map(keyOf))];
  const label = (k) => (by === 'month' ? k : k.slice(5));
  return { keys, labels: keys.map(label), keyOf, by };
}

// Sums rows [{day, …}] into the buckets: one array of values per field.
function perBucket(b, rows, field) {
  const out = new Array(b.keys.length).fill(0);
  for (const r of rows) {
    const i = b.keys.indexOf(b.keyOf(r.day));
    if (i >= 0) out[i] += r[field] || 0;
  }
  return out;
}

function table(head, rows) {
  return h('details', { class: 'dash-table' }, h('summary', { text: t('dash.show_numbers') }),
    h('div', { class: 'table-scroll' }, h('table', { class: 'results' },
      h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col', text: x })))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x, i) => h(i ? 'td' : 'th', { scope: i ? false : 'row', text: String(x) }))))))));
}

function tiles(list) {
  return h('dl', { class: 'dash-tiles' }, list.map(([label, value, testid]) => h('div', { class: 'dash-tile', 'data-testid': testid || false },
    h('dt', { text: label }), h('dd', { text: value }))));
}

// A card that loads `fetch()` and draws `draw(data)` (null: the empty state).
function card(key, ctx, fetch, draw) {
  const body = h('div', { 'aria-live': 'polite' });
  const el = h('section', { class: 'card card-pad dash-card', 'data-section': key },
    h('h2', { class: 'section-title', text: t(`dash.${key}.title`) }), body);
  async function load() {
    body.replaceChildren(loadingState());
    el.removeAttribute('data-loaded');
    let data;
    try {
      data = await fetch();
    } catch (err) {
      if (!err.handled && ctx.alive()) body.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    const out = draw(data, body.clientWidth);
    body.replaceChildren(...(out ? [out].flat(Infinity).filter(Boolean) : [emptyState({ icon: 'chart', title: t('dash.empty') })]));
    el.dataset.loaded = 'true';
  }
  load();
  return el;
}

function consultations(f, _filters, ctx) {
  return card('consultations', ctx, () => api('GET', `/api/v1/stats/consultations?${apiQuery(f)}`), (d, width) => {
    const b = buckets(f);
    const series = [
      { label: t('dash.consultations.online'), color: C.teal, values: perBucket(b, d.online, 'count') },
      { label: t('dash.consultations.offline'), color: C.blue, values: perBucket(b, d.offline, 'count') },
    ];
    const sum = (s) => s.values.reduce((x, y) => x + y, 0);
    const w = d.waiting;
    return [
      tiles([[t('dash.consultations.online'), String(sum(series[0])), 'online-total'],
        [t('dash.consultations.offline'), String(sum(series[1])), 'offline-total'],
        [t('dash.wait.median'), minutes(w.wait_median_ms), 'wait-median'], [t('dash.wait.p90'), minutes(w.wait_p90_ms)]]),
      sum(series[0]) + sum(series[1]) ? [legend(series),
        columnChart({ labels: b.labels, series, width, title: t('dash.consultations.chart', { by: t(`dash.by.${b.by}`) }) })]
        : h('p', { class: 'field-hint', text: t('dash.empty') }),
      h('p', { class: 'field-hint', text: t('dash.wait.hint', { n: w.waits }) }),
      table([t('dash.day'), series[0].label, series[1].label], b.labels.map((l, i) => [l, series[0].values[i], series[1].values[i]])),
    ];
  });
}

function prescriptions(f, _filters, ctx) {
  return card('prescriptions', ctx, () => api('GET', `/api/v1/stats/prescriptions?${apiQuery(f)}`), (d, width) => {
    if (!d.by_state.length && !d.review.approved && !d.review.rejected) return null;
    const states = d.by_state.map((s) => ({ label: tOr(`rx.state.${s.state}`, s.state), values: [s.count] }));
    const reasons = d.review.reasons.map((r) => ({ label: r.reason || '—', values: [r.count] }));
    return [
      tiles([[t('dash.review.approved'), String(d.review.approved), 'approved'],
        [t('dash.review.rejected'), String(d.review.rejected), 'rejected']]),
      states.length ? barList({ rows: states, width, series: [{ label: t('dash.count'), color: C.teal }], title: t('dash.prescriptions.by_state') }) : null,
      h('h3', { class: 'subsection-title', text: t('dash.review.reasons') }),
      reasons.length ? h('ol', { class: 'dash-reasons', 'data-testid': 'reject-reasons' },
        reasons.map((r) => h('li', {}, h('span', { text: r.label }), h('strong', { text: String(r.values[0]) }))))
        : h('p', { class: 'field-hint', text: t('dash.review.none') }),
      table([t('dash.state'), t('dash.count')], states.map((s) => [s.label, s.values[0]])),
    ];
  });
}

const UNDER = [60000, 300000, 900000, 3600000, 7200000, null];

function dispatch(f, _filters, ctx) {
  return card('dispatch', ctx, () => api('GET', `/api/v1/stats/dispatch?${apiQuery(f)}`), (d, width) => {
    if (!d.dispatched) return null;
    const labels = UNDER.map((u) => (u == null ? t('dash.dispatch.over') : t('dash.dispatch.under', { t: minutes(u) })));
    const values = UNDER.map((u) => (d.buckets.find((x) => x.under_ms === u) || {}).count || 0);
    const series = [{ label: t('dash.dispatch.claims'), color: C.teal, values }];
    return [
      tiles([[t('dash.dispatch.dispatched'), String(d.dispatched)], [t('dash.dispatch.claimed'), String(d.claimed), 'claimed'],
        [t('dash.dispatch.lapsed'), String(d.lapsed)], [t('dash.dispatch.median'), minutes(d.claim_median_ms), 'claim-median'],
        [t('dash.dispatch.p90'), minutes(d.claim_p90_ms)]]),
      columnChart({ labels, series, width, title: t('dash.dispatch.chart'), height: 180 }),
      table([t('dash.dispatch.within'), t('dash.count')], labels.map((l, i) => [l, values[i]])),
    ];
  });
}

function referrals(f, filters, ctx) {
  const from = beijingMidnight(f.from), to = beijingMidnight(f.to) + DAY_MS;
  return card('referrals', ctx, () => api('GET', `/api/v1/stats/referrals?from=${from}&to=${to}`), (d, width) => {
    const here = new Map(filters.facilities.filter((x) => !f.sub || x.subdistrict_id === f.sub).map((x) => [x.id, x]));
    const per = new Map();
    for (const r of d.by_facility_month || []) {
      if (!here.has(r.facility_id)) continue;
      const p = per.get(r.facility_id) || { up: 0, down: 0 };
      p.up += (r.up_out || 0) + (r.up_in || 0);
      p.down += (r.down_out || 0) + (r.down_in || 0);
      per.set(r.facility_id, p);
    }
    if (!per.size) return null;
    const rows = [...per].map(([id, p]) => ({ label: localName(here.get(id)), values: [p.up, p.down] }))
      .sort((a, b) => b.values[0] + b.values[1] - a.values[0] - a.values[1]).slice(0, 12);
    const series = [{ label: t('dash.referrals.up'), color: C.teal }, { label: t('dash.referrals.down'), color: C.blue }];
    return [legend(series), barList({ rows, series, width, title: t('dash.referrals.chart') }),
      table([t('dash.facility'), series[0].label, series[1].label], rows.map((r) => [r.label, r.values[0], r.values[1]]))];
  });
}

function insurance(f, _filters, ctx) {
  return card('insurance', ctx, () => api('GET', `/api/v1/stats/claims?${apiQuery(f)}`), (d, width) => {
    if (!d.days.length) return null;
    const b = buckets(f);
    const series = [
      { label: t('dash.insurance.fund'), color: C.teal, values: perBucket(b, d.days, 'fund_fen') },
      { label: t('dash.insurance.account'), color: C.blue, values: perBucket(b, d.days, 'account_fen') },
      { label: t('dash.insurance.cash'), color: C.orange, values: perBucket(b, d.days, 'cash_fen') },
    ];
    const total = (k) => d.days.reduce((s, x) => s + x[k], 0);
    return [
      tiles([[t('dash.insurance.fund'), money(total('fund_fen')), 'fund-total'], [t('dash.insurance.total'), money(total('total_fen'))],
        [t('dash.insurance.claims'), String(total('count'))]]),
      legend(series),
      columnChart({ labels: b.labels, series, width, stacked: true, format: (v) => money(v).replace(/\.00$/, ''),
        title: t('dash.insurance.chart', { by: t(`dash.by.${b.by}`) }) }),
      table([t('dash.day'), ...series.map((s) => s.label)], b.labels.map((l, i) => [l, ...series.map((s) => money(s.values[i]))])),
    ];
  });
}

function quality(_f, _filters, ctx) {
  const el = h('section', { class: 'card card-pad dash-card', 'data-section': 'quality' },
    h('h2', { class: 'section-title', text: t('dash.quality.title') }),
    h('p', { class: 'field-hint', text: t('dash.quality.hint') }),
    h('a', { class: 'btn btn-secondary', href: `#/${ctx.segment}/${ctx.segment === 'admin' ? 'quality' : 'audit'}`,
      'data-action': 'to-quality' }, t('dash.quality.open')));
  el.dataset.loaded = 'true';
  return el;
}

export const SECTIONS = [consultations, prescriptions, dispatch, referrals, insurance, quality];
