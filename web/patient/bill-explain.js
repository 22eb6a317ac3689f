// How one line of a bill came out, step by step in plain words, in the
// order the engine adjudicates it (docs/insurance.md): total → fully
// self-paid → 乙 self-pay share → in scope → deductible → fund → personal
// account → cash. `terms` is {ratio_bp, self_pay_bp} of the policy in force
// (null when unknown: the sentences then leave the percentages out).

import { t } from '../i18n.js';
import { h } from '../ui.js';
import { money, percent } from '../insurance-view.js';

function step(key, fen, why, { strong = false } = {}) {
  return h('div', { class: `step${fen ? '' : ' step-zero'}${strong ? ' step-strong' : ''}`, 'data-step': key },
    h('dt', { text: t(`bill.step.${key}`) }),
    h('dd', { text: money(fen) }),
    why ? h('p', { class: 'step-why', text: why }) : null);
}

function fullySelfWhy(l, notes) {
  if (notes.has('delivery_not_covered')) return t('bill.why.delivery');
  if (notes.has('category_c')) return t('bill.why.category_c');
  if (notes.has('not_covered')) return t('bill.why.not_covered');
  return null;
}

function inScopeWhy(l) {
  if (!l.in_scope_fen) return null;
  if (l.kind === 'fee') return t('bill.why.fee_in_scope');
  if (l.category === '甲') return t('bill.why.category_a');
  return t('bill.why.category_b_rest');
}

function fundWhy(l, notes, terms) {
  if (notes.has('cap_reached')) return t('bill.why.cap');
  if (!l.fund_fen) return null;
  return terms ? t('bill.why.fund', { ratio: percent(terms.ratio_bp) }) : t('bill.why.fund_plain');
}

function accountWhy(l, notes) {
  if (l.kind === 'delivery') return t('bill.why.delivery_no_account');
  if (notes.has('account_short')) return t('bill.why.account_short');
  if (l.account_fen) return t('bill.why.account');
  return null;
}

// The steps of one line (a <dl>).
export function lineSteps(l, terms) {
  const notes = new Set(l.notes || []);
  const share = terms && terms.self_pay_bp ? percent(terms.self_pay_bp) : null;
  return h('dl', { class: 'steps', 'data-line': l.line_no },
    step('total', l.total_fen, t('bill.qty_price', { qty: l.quantity, price: money(l.unit_price_fen) }), { strong: true }),
    step('fully_self', l.fully_self_fen, l.fully_self_fen ? fullySelfWhy(l, notes) : null),
    step('pre_self', l.pre_self_fen, l.pre_self_fen
      ? (share ? t('bill.why.self_share', { percent: share }) : t('bill.why.self_share_plain')) : null),
    step('in_scope', l.in_scope_fen, inScopeWhy(l)),
    step('deductible', l.deductible_fen, l.deductible_fen ? t('bill.why.deductible') : null),
    step('fund', l.fund_fen, fundWhy(l, notes, terms), { strong: true }),
    step('account', l.account_fen, accountWhy(l, notes)),
    step('cash', l.cash_fen, l.cash_fen ? t('bill.why.cash') : null, { strong: true }));
}
