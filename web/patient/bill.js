// Patient · one bill (结算单): what it was for, what insurance paid and why,
// line by line (bill-explain.js). GET /api/v1/claims/{id}; the policy in
// force (GET /api/v1/insurance/policies) for the percentages; the formulary
// for drug names in the UI language.

import { t, formatDateTime } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { fill, localName } from '../rx-view.js';
import {
  money, statusPill, encounterTitle, rejectText, levelName, planName, amountRow,
} from '../insurance-view.js';
import { lineSteps } from './bill-explain.js';
import { relatedCard } from './bill-related.js';

// {ratio_bp, self_pay_bp} of the claim's policy version, plan and level; the fee names.
async function termsOf(c) {
  try {
    const v = ((await api('GET', '/api/v1/insurance/policies')).items || []).find((p) => p.id === c.policy_version_id);
    if (!v) return { terms: null, fees: [] };
    const rate = v.rates.find((r) => r.plan_id === c.plan_id && r.facility_level === c.facility_level);
    return { terms: rate ? { ratio_bp: rate.ratio_bp, self_pay_bp: v.categories['乙'] } : null, fees: v.fees };
  } catch (err) {
    if (err.handled) throw err;
    return { terms: null, fees: [] }; // the explanation still stands without the percentages
  }
}

async function namesOf(c, fees) {
  const names = {};
  for (const f of fees) names[f.item_code] = { name: f.name, name_en: f.name_en };
  await Promise.all(c.lines.filter((l) => l.kind === 'drug').map(async (l) => {
    try {
      const d = (await api('GET', `/api/v1/formulary/${encodeURIComponent(l.code)}`)).drug;
      names[l.code] = { name: `${d.generic_name} ${d.strength}`, name_en: `${d.generic_en} ${d.strength}` };
    } catch (err) { if (err.handled) throw err; }
  }));
  return names;
}

function lineCard(l, terms, names) {
  const name = localName(names[l.code]) || l.name;
  return h('li', { class: 'bill-line', 'data-kind': l.kind, 'data-category': l.kind === 'drug' ? l.category : false },
    h('div', { class: 'detail-head' },
      h('h3', { class: 'bill-line-name', text: name }),
      l.kind === 'drug' ? h('span', { class: `pill cat cat-${l.category}`, text: t(`bill.cat.${l.category}`) })
        : h('span', { class: 'pill pill-muted', text: t(`bill.kind.${l.kind}`) })),
    lineSteps(l, terms));
}

function summary(c) {
  const x = c.totals;
  return h('section', { class: 'card card-pad', 'data-testid': 'bill-summary', 'data-status': c.status },
    h('div', { class: 'detail-head' }, h('h2', { class: 'section-title', text: encounterTitle(c) }), statusPill(c.status)),
    h('p', { class: 'field-hint', text: t('bill.where', {
      date: formatDateTime(c.service_at), level: levelName(c.facility_level), plan: planName(c.plan_id) }) }),
    c.status === 'rejected' ? h('p', { class: 'notice notice-warn', 'data-testid': 'bill-rejected',
      text: t('bill.rejected', { reason: rejectText(c.rejection.reason) }) }) : null,
    c.reversal ? h('p', { class: 'notice', 'data-testid': 'bill-reversed', text: t('bill.reversed', {
      date: formatDateTime(c.reversal.reversed_at), reason: c.reversal.reason }) }) : null,
    c.status === 'rejected' ? null : h('p', { class: 'bill-sentence', 'data-testid': 'bill-sentence', text: t('bill.summary', {
      total: money(x.total_fen), fund: money(x.fund_fen), account: money(x.account_fen), cash: money(x.cash_fen) }) }),
    c.status === 'rejected' ? null : h('dl', { class: 'amounts' },
      amountRow(t('bill.step.total'), x.total_fen, { testid: 'sum-total' }),
      amountRow(t('bill.step.fund'), x.fund_fen, { cls: 'amount-fund', testid: 'sum-fund' }),
      amountRow(t('bill.step.account'), x.account_fen, { testid: 'sum-account' }),
      amountRow(t('bill.step.cash'), x.cash_fen, { cls: 'amount-cash', testid: 'sum-cash' })));
}

export function render(main, ctx, id) {
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(h('a', { class: 'back-link back-link-always', href: '#/patient/bills' }, t('bill.back')),
    pageHeader(t('bill.title'), t('bill.detail_intro')), box);
  async function load() {
    box.replaceChildren(loadingState());
    let c, terms, names;
    try {
      c = (await api('GET', `/api/v1/claims/${encodeURIComponent(id)}`)).claim;
      const p = await termsOf(c);
      terms = p.terms;
      names = await namesOf(c, p.fees);
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    fill(box, summary(c), c.lines.length ? h('section', { class: 'card card-pad' },
      h('h2', { class: 'section-title', text: t('bill.lines_title') }),
      h('p', { class: 'field-hint', text: t('bill.lines_hint') }),
      h('ol', { class: 'bill-lines', 'data-testid': 'bill-lines' }, c.lines.map((l) => lineCard(l, terms, names)))) : null,
    relatedCard(c, ctx));
  }
  load();
}
