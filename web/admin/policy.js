// Admin · insurance policy (医保政策): the versions, newest first, each in
// force from its date (Beijing midnight) until the next; one version's
// rates per plan × facility level, category shares and fee schedule; and
// the editor for a new version (policy-form.js). A stored version is never
// changed: an edit is a new version from a future date.
// GET /api/v1/insurance/policies; '?id=<version>' shows that version.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { fill, hashQuery, localName } from '../rx-view.js';
import { ensureCss, money, percent, planName, levelName, beijingDay } from '../insurance-view.js';
import { policyForm, titleName } from './policy-form.js';

function phase(v, inForce) {
  if (v.id === inForce) return ['in_force', 'pill-ok'];
  return v.effective_from > Date.now() ? ['scheduled', 'pill-info'] : ['past', 'pill-muted'];
}

function versionRow(v, inForce, shown) {
  const [p, tone] = phase(v, inForce);
  return h('li', { class: 'list-item', 'data-version': v.id, 'data-phase': p, 'aria-current': v.id === shown ? 'true' : false },
    h('a', { class: 'list-link', href: `#/admin/policy?id=${v.id}` },
      h('div', { class: 'list-main' },
        h('span', { class: 'list-title', text: t('policy.from', { date: beijingDay(v.effective_from) }) }),
        h('span', { class: 'list-sub', text: v.note || t('policy.no_note') })),
      h('span', { class: `pill ${tone}`, text: t(`policy.phase.${p}`) })));
}

function ratesTable(v) {
  return h('div', { class: 'table-scroll' }, h('table', { class: 'results', 'data-testid': 'policy-rates' },
    h('thead', {}, h('tr', {}, ['plan', 'level', 'ratio', 'deductible', 'cap'].map((k) =>
      h('th', { scope: 'col', class: k === 'plan' || k === 'level' ? false : 'num', text: t(`policy.col.${k}`) })))),
    h('tbody', {}, v.rates.map((r) => h('tr', { 'data-plan': r.plan_id, 'data-level': r.facility_level },
      h('td', { text: planName(r.plan_id) }), h('td', { text: levelName(r.facility_level) }),
      h('td', { class: 'num', text: `${percent(r.ratio_bp)}%` }), h('td', { class: 'num', text: money(r.deductible_fen) }),
      h('td', { class: 'num', text: money(r.cap_fen) }))))));
}

function feesTable(v) {
  return h('details', { class: 'sample-details' }, h('summary', { text: t('policy.fees', { n: v.fees.length }) }),
    h('div', { class: 'table-scroll' }, h('table', { class: 'results' }, h('tbody', {}, v.fees.map((f) => h('tr', {},
      h('td', { text: localName(f) }), h('td', { text: f.facility_level === 'any' ? t('policy.any') : levelName(f.facility_level) }),
      h('td', { text: titleName(f.doctor_title) }), h('td', { class: 'num', text: money(f.price_fen) }),
      h('td', { text: f.covered ? t('policy.covered') : t('policy.not_covered') })))))));
}

function versionCard(v, inForce) {
  const [p, tone] = phase(v, inForce);
  return h('section', { class: 'card card-pad', 'data-testid': 'policy-version', 'data-version': v.id },
    h('div', { class: 'detail-head' }, h('h2', { class: 'section-title', text: t('policy.from', { date: beijingDay(v.effective_from) }) }),
      h('span', { class: `pill ${tone}`, text: t(`policy.phase.${p}`) })),
    v.note ? h('p', { class: 'field-hint', text: v.note }) : null,
    ratesTable(v),
    h('p', { class: 'field-hint', 'data-testid': 'policy-categories', text: t('policy.categories', {
      a: percent(v.categories['甲']), b: percent(v.categories['乙']), c: percent(v.categories['丙']) }) }),
    feesTable(v));
}

export function render(main, ctx) {
  ensureCss();
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.admin.policy'), t('policy.intro')), box);
  async function load(message) {
    box.replaceChildren(loadingState());
    let list;
    try {
      list = (await api('GET', '/api/v1/insurance/policies')).items || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    const now = Date.now();
    const inForce = (list.find((v) => v.effective_from <= now) || {}).id;
    const shown = list.find((v) => v.id === hashQuery().get('id')) || list.find((v) => v.id === inForce) || list[0];
    const formBox = h('div', {});
    const newBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'new-version', onclick: () => {
      newBtn.hidden = true;
      formBox.replaceChildren(policyForm(list[0], { onDone: (msg) => load(msg), onCancel: () => { formBox.replaceChildren(); newBtn.hidden = false; } }));
    } }, t('policy.new'));
    fill(box, message ? h('p', { class: 'notice', role: 'status', 'data-testid': 'policy-created', text: message }) : null,
      h('p', {}, newBtn), formBox,
      shown ? versionCard(shown, inForce) : null,
      h('h2', { class: 'section-title', text: t('policy.versions') }),
      h('section', { class: 'card' }, h('ul', { class: 'list version-list', 'data-testid': 'policy-versions' },
        list.map((v) => versionRow(v, inForce, shown && shown.id)))));
  }
  load();
}
