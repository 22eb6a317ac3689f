// Patient · my coverage (我的医保) card on the bills screen: the plan, the
// personal account, and for this year what is left of the deductible at
// each facility level and of the annual cap (one cap over all levels).
// Takes the `coverage` object of GET /api/v1/me/coverage.

import { t, getLang } from '../i18n.js';
import { h } from '../ui.js';
import { formatDate } from '../rx-view.js';
import { money, percent, levelName } from '../insurance-view.js';

function levelRow(l) {
  return h('tr', { 'data-level': l.facility_level },
    h('th', { scope: 'row', text: levelName(l.facility_level) }),
    h('td', { text: `${percent(l.ratio_bp)}%` }),
    h('td', {}, h('span', { class: 'cov-left', text: money(l.deductible_remaining_fen) }),
      h('span', { class: 'cov-of', text: t('cov.of', { amount: money(l.deductible_fen) }) })));
}

export function coverageCard(c) {
  const plan = (getLang() === 'en' && c.plan_name_en) || c.plan_name;
  const cap = c.levels[0];
  return h('section', { class: 'card card-pad', 'data-testid': 'coverage', 'data-plan': c.plan_id },
    h('div', { class: 'detail-head' },
      h('h2', { class: 'section-title', text: t('cov.title') }),
      h('span', { class: 'pill pill-ok', text: plan })),
    h('p', { class: 'field-hint', text: t('cov.valid', { no: c.insured_no, until: formatDate(c.valid_to) }) }),
    h('dl', { class: 'cov-figures' },
      c.has_account ? h('div', { class: 'cov-figure', 'data-testid': 'account-balance' },
        h('dt', { text: t('cov.account') }), h('dd', { text: money(c.account_balance_fen) })) : null,
      cap ? h('div', { class: 'cov-figure', 'data-testid': 'cap-remaining' },
        h('dt', { text: t('cov.cap_left', { year: c.year }) }), h('dd', { text: money(cap.cap_remaining_fen) }),
        h('span', { class: 'cov-of', text: t('cov.of', { amount: money(cap.cap_fen) }) })) : null),
    h('div', { class: 'table-scroll' },
      h('table', { class: 'results cov-table' },
        h('caption', { text: t('cov.levels_caption', { year: c.year }) }),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: t('cov.level') }), h('th', { scope: 'col', text: t('cov.ratio') }),
          h('th', { scope: 'col', text: t('cov.deductible_left') }))),
        h('tbody', {}, c.levels.map(levelRow)))),
    h('p', { class: 'field-hint', text: t('cov.hint') }));
}
