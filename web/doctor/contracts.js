// Doctor · contracted patients (签约居民): the family doctor's patients with
// their chronic conditions, care-plan status and open alerts, and the way to
// refer one up or ask a specialist to join a remote consultation.
// GET /api/v1/contracts.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader } from '../ui.js';
import { backLink } from '../home.js';
import { local, when, loader } from './referral-ui.js';

function patientItem(p) {
  const conditions = (p.conditions || []).map((c) => `${c.icd10} ${local(c, 'name')}`).join('、');
  const alerts = p.open_alerts > 0
    ? h('span', { class: 'pill pill-warn', 'data-field': 'alerts', text: t('contracts.alerts', { count: p.open_alerts }) })
    : h('span', { class: 'pill pill-ok', text: t('contracts.no_alerts') });
  return h('li', { class: 'list-item', 'data-patient': p.patient_id },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: `${local(p, 'name')} · ${t(p.sex === 'F' ? 'contracts.female' : 'contracts.male')} · ${p.birth_date}` }),
      h('span', { class: 'list-sub', text: conditions || t('contracts.no_conditions') }),
      h('span', { class: 'list-sub', text: p.active_plans
        ? t('contracts.plans', { count: p.active_plans, next: when(p.next_follow_up_at) })
        : t('contracts.no_plan') }),
      h('span', {}, alerts)),
    h('div', { class: 'list-actions' },
      h('a', { class: 'btn btn-secondary', 'data-action': 'refer', href: `#/doctor/referrals?patient=${p.patient_id}` },
        t('contracts.refer_up')),
      h('a', { class: 'btn btn-secondary', 'data-action': 'remote', href: `#/doctor/remote?patient=${p.patient_id}` },
        t('contracts.remote')),
      h('a', { class: 'btn btn-ghost', href: `#/doctor/records?patient=${p.patient_id}` }, t('contracts.record'))));
}

export function render(main, ctx) {
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment),
    pageHeader(t('nav.doctor.contracts'), t('screen.doctor.contracts.desc')), box);
  loader(box, ctx, () => api('GET', '/api/v1/contracts'), (data) => (data.items.length
    ? h('div', {}, h('p', { class: 'log-count', text: t('contracts.count', { count: data.items.length }) }),
      h('ul', { class: 'list' }, data.items.map(patientItem)))
    : null), { icon: 'user', title: t('contracts.empty_title'), text: t('contracts.empty_text') });
}
