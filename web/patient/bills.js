// Patient · bills (账单): my insurance coverage (plan, personal account,
// what is left of this year's deductible and cap), then my bills newest
// first; '?id=<claim>' opens one bill with its explanation (bill.js).
// GET /api/v1/me/coverage, GET /api/v1/claims; refreshed when the billing
// job tells us a claim settled or was reversed (WebSocket events).

import { t, formatDateTime } from '../i18n.js';
import { api } from '../api.js';
import { getSocket } from '../ws.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { hashQuery, fill } from '../rx-view.js';
import { ensureCss, money, statusPill, encounterTitle } from '../insurance-view.js';
import { coverageCard } from './coverage-card.js';

function row(c) {
  const paid = c.status === 'rejected' ? t('bill.not_reimbursed')
    : t('bill.list_split', { fund: money(c.fund_fen), account: money(c.account_fen), cash: money(c.cash_fen) });
  return h('li', { class: 'list-item', 'data-claim': c.id, 'data-status': c.status },
    h('a', { class: 'list-link', href: `#/patient/bills?id=${c.id}` },
      h('div', { class: 'list-main' },
        h('span', { class: 'list-title', text: encounterTitle(c) }),
        h('span', { class: 'list-sub', text: formatDateTime(c.service_at) }),
        h('span', { class: 'list-sub', text: paid })),
      h('div', { class: 'bill-amount' },
        h('span', { class: 'bill-total', text: money(c.total_fen) }), statusPill(c.status))));
}

export async function render(main, ctx) {
  ensureCss();
  const id = hashQuery().get('id');
  if (id) {
    (await import('./bill.js')).render(main, ctx, id);
    return;
  }
  const cov = h('div', { 'aria-live': 'polite' });
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.patient.bills'), t('bill.intro')), cov,
    h('h2', { class: 'section-title', text: t('bill.list_title') }), box);
  async function load() {
    cov.replaceChildren(loadingState());
    box.replaceChildren();
    let coverage = null, list;
    try {
      coverage = (await api('GET', '/api/v1/me/coverage')).coverage;
    } catch (err) {
      if (err.handled || !ctx.alive()) return;
      if (err.code !== 'insurance.no_coverage') { cov.replaceChildren(errorState(err, load)); return; }
    }
    try {
      list = (await api('GET', '/api/v1/claims?limit=100')).items || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, load));
      return;
    }
    if (!ctx.alive()) return;
    fill(cov, coverage ? coverageCard(coverage)
      : h('p', { class: 'notice notice-warn', 'data-testid': 'no-coverage', text: t('bill.no_coverage') }));
    if (list.length === 0) {
      box.replaceChildren(emptyState({ icon: 'receipt', title: t('bill.empty_title'), text: t('bill.empty_text') }));
      return;
    }
    box.replaceChildren(h('ul', { class: 'list', 'data-testid': 'bills' }, list.map(row)));
  }
  load();
  const ws = getSocket();
  const offs = ['claim.settled', 'claim.reversed'].map((type) => ws.on(type, () => {
    if (ctx.alive() && box.isConnected) load();
    else offs.forEach((off) => off());
  }));
}
