// Admin · daily statement (对账单): one Beijing business day, per facility and
// plan — settled, reversed and net counts and sums of total / fund /
// personal account / cash — with the totals, the reconciliation check
// (lines add up to claims, claims to the accumulators) and the CSV.
// GET /api/v1/claims/statements?date=D&check=1 (&format=csv).

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { getToken } from '../session.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { fill, hashQuery, labeled } from '../rx-view.js';
import { ensureCss, money, planName, beijingDay } from '../insurance-view.js';

const COLS = ['count', 'total_fen', 'fund_fen', 'account_fen', 'cash_fen'];

function cells(m, tag = 'td') {
  return COLS.map((k) => h(tag, { class: 'num', 'data-col': k, text: k === 'count' ? String(m[k]) : money(m[k]) }));
}

function table(s) {
  const head = h('tr', {}, h('th', { scope: 'col', text: t('stmt.facility') }), h('th', { scope: 'col', text: t('stmt.plan') }),
    COLS.map((k) => h('th', { scope: 'col', class: 'num', text: t(`stmt.col.${k}`) })),
    h('th', { scope: 'col', class: 'num', text: t('stmt.col.reversed') }), h('th', { scope: 'col', class: 'num', text: t('stmt.col.rejected') }));
  const row = (r, tag) => h('tr', { 'data-facility': r.facility_id, 'data-plan': r.plan_id },
    h(tag, { scope: tag === 'th' ? 'row' : false, text: r.facility_id === '*' ? t('stmt.totals') : r.facility_id }),
    h(tag, { text: r.plan_id === '*' ? '' : planName(r.plan_id) }), cells(r.net, tag),
    h(tag, { class: 'num', text: `${r.reversed.count} · ${money(r.reversed.total_fen)}` }),
    h(tag, { class: 'num', text: String(r.rejected_count) }));
  return h('div', { class: 'table-scroll' }, h('table', { class: 'results', 'data-testid': 'statement-table' },
    h('caption', { class: 'field-hint', text: t('stmt.net_caption') }),
    h('thead', {}, head), h('tbody', {}, s.rows.map((r) => row(r, 'td'))), h('tfoot', {}, row(s.totals, 'th'))));
}

function checkBox(c) {
  if (!c) return null;
  const counts = t('stmt.check_counts', { claims: c.checked.claims, reversals: c.checked.reversals, accumulators: c.checked.accumulators, accounts: c.checked.accounts });
  return h('div', { class: `notice ${c.ok ? 'check-ok' : 'check-bad'}`, role: c.ok ? 'status' : 'alert', 'data-testid': 'statement-check', 'data-ok': String(c.ok) },
    h('strong', { text: c.ok ? t('stmt.check_ok') : t('stmt.check_bad', { n: c.differences }) }), h('br'), counts,
    c.ok ? null : h('ul', {}, c.diffs.map((d) => h('li', { text: `${d.what} ${d.key} ${d.field}: ${d.expected} ≠ ${d.actual}` }))));
}

function totalsCard(s) {
  const x = s.totals;
  return h('dl', { class: 'cov-figures', 'data-testid': 'statement-totals' },
    [['stmt.sum.claims', String(x.net.count)], ['stmt.sum.total', money(x.net.total_fen)], ['stmt.sum.fund', money(x.net.fund_fen)],
      ['stmt.sum.account', money(x.net.account_fen)], ['stmt.sum.cash', money(x.net.cash_fen)]]
      .map(([k, v]) => h('div', { class: 'cov-figure', 'data-sum': k.slice(9) }, h('dt', { text: t(k) }), h('dd', { text: v }))));
}

async function downloadCsv(day, status) {
  try {
    const res = await fetch(`/api/v1/claims/statements?date=${day}&format=csv`, { headers: { Authorization: `Bearer ${getToken()}` } });
    if (!res.ok) throw Object.assign(new Error(res.statusText), { code: `http.${res.status}` });
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: `statement-${day}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (err) { status.textContent = errorText(err.code ? err : { code: 'network' }); }
}

export function render(main, ctx) {
  ensureCss();
  const date = h('input', { type: 'date', name: 'date', value: hashQuery().get('date') || beijingDay(), max: beijingDay() });
  const box = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card card-pad stmt-form', 'data-form': 'statement' }, labeled(t('stmt.date'), date, t('stmt.date_hint')),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('stmt.show')));
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.admin.statements'), t('stmt.intro')), form, box);
  async function load() {
    const day = date.value;
    box.replaceChildren(loadingState());
    let s;
    try {
      s = await api('GET', `/api/v1/claims/statements?date=${encodeURIComponent(day)}&check=1`);
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    const status = h('p', { class: 'form-status', role: 'status' });
    fill(box, checkBox(s.check), h('section', { class: 'card card-pad', 'data-testid': 'statement', 'data-date': s.date },
      h('div', { class: 'detail-head' }, h('h2', { class: 'section-title', text: t('stmt.of_day', { date: s.date }) }),
        h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'csv', onclick: () => downloadCsv(s.date, status) }, t('stmt.csv'))),
      status, totalsCard(s),
      s.rows.length ? table(s) : emptyState({ icon: 'statement', title: t('stmt.empty_title'), text: t('stmt.empty_text') })));
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  load();
}
