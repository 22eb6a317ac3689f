// Patient · my family doctor (家庭医生签约): the GP I have contracted, the
// GPs I can choose (my own subdistrict first), signing, switching, ending.
// GET/PUT/DELETE /api/v1/me/family-doctor, GET /api/v1/family-doctors.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader } from '../ui.js';
import { backLink } from '../home.js';
import { local, when, button, attempt, loader } from '../doctor/referral-ui.js';

function current(data, status, reload) {
  const c = data.contract;
  if (!c) return h('p', { class: 'notice', 'data-field': 'no-contract', text: t('family.none') });
  return h('div', { class: 'detail-head', 'data-field': 'contract', 'data-doctor': c.doctor_id },
    h('h2', { class: 'section-title', text: local(c, 'doctor_name') }),
    h('p', { class: 'list-sub', text: local(c, 'facility_name') }),
    h('p', { class: 'list-sub', text: t('family.since', { date: when(c.signed_at) }) }),
    h('div', { class: 'list-actions' }, button(t('family.end'), 'end-contract', async () => {
      if (await attempt(status, () => api('DELETE', '/api/v1/me/family-doctor', { body: {} }))) reload();
    })));
}

// GPs of the patient's own subdistrict come first; show 8, more on request.
const FIRST = 8;

function choices(items, mine, status, reload, all = false) {
  const shown = all ? items : items.slice(0, FIRST);
  const list = h('ul', { class: 'list' }, shown.map((g) => h('li', { class: 'list-item', 'data-doctor': g.doctor_id },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: local(g, 'name') }),
      h('span', { class: 'list-sub', text: local(g, 'facility_name') }),
      h('span', { class: 'list-sub', text: t('family.contracted_count', { count: g.contracted }) })),
    g.doctor_id === mine ? h('span', { class: 'pill pill-ok', text: t('family.current') })
      : h('div', { class: 'list-actions' }, button(t(mine ? 'family.switch' : 'family.sign'), 'sign', async () => {
        const body = { doctor_id: g.doctor_id };
        if (await attempt(status, () => api('PUT', '/api/v1/me/family-doctor', { body }))) reload();
      }, 'btn-primary')))));
  if (all || items.length <= FIRST) return list;
  const wrap = h('div', {}, list);
  wrap.append(h('div', { class: 'list-actions' }, button(t('family.more', { count: items.length - FIRST }), 'more',
    () => wrap.replaceWith(choices(items, mine, status, reload, true)))));
  return wrap;
}

export function render(main, ctx) {
  const box = h('section', { class: 'card card-pad', 'aria-live': 'polite' });
  const pick = h('section', { class: 'card', 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment),
    pageHeader(t('nav.patient.family-doctor'), t('screen.patient.family-doctor.desc')), status, box,
    h('h2', { class: 'section-title', text: t('family.choose') }), pick);
  let mine = null;
  const reload = () => {
    loader(box, ctx, () => api('GET', '/api/v1/me/family-doctor'), (data) => {
      mine = data.contract ? data.contract.doctor_id : null;
      loader(pick, ctx, () => api('GET', '/api/v1/family-doctors'), (d) => choices(d.items, mine, status, reload),
        { icon: 'user', title: t('family.no_gps') });
      return current(data, status, reload);
    }, { icon: 'user', title: t('family.none') });
  };
  reload();
}
