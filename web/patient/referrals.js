// Patient · my referrals (我的转诊): up- and down-referrals with where to go
// and when (the appointment), and remote consultations I take part in.
// GET /api/v1/referrals, /api/v1/remote-consultations;
// POST /api/v1/referrals/{id}/cancel.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader } from '../ui.js';
import { backLink } from '../home.js';
import { local, statePill, when, referralItem, button, attempt, loader } from '../doctor/referral-ui.js';

const CANCELLABLE = new Set(['requested', 'accepted', 'scheduled']);

function item(r, status, reload) {
  const cancel = CANCELLABLE.has(r.state) && !(r.direction === 'down' && r.state !== 'requested')
    ? [button(t('referral.do.cancel'), 'cancel', async () => {
      if (await attempt(status, () => api('POST', `/api/v1/referrals/${r.id}/cancel`, { body: {} }))) reload();
    })] : [];
  return referralItem(r, cancel);
}

function remoteItem(r) {
  return h('li', { class: 'list-item', 'data-remote': r.id },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: `${t('remote.title')} · ${local(r, 'department_name')}` }),
      h('span', { class: 'list-sub', text: `${local(r, 'gp_name')} → ${local(r, 'specialist_name') || local(r, 'department_name')}` }),
      r.scheduled_for ? h('span', { class: 'list-sub', text: t('remote.call_at', { time: when(r.scheduled_for) }) }) : null,
      h('span', {}, statePill(r.state, 'remote.state'))));
}

export function render(main, ctx) {
  const status = h('div', { 'aria-live': 'polite' });
  const box = h('section', { class: 'card', 'data-section': 'referrals', 'aria-live': 'polite' });
  const remote = h('section', { class: 'card', 'data-section': 'remote', 'aria-live': 'polite' });
  main.replaceChildren(backLink(ctx.segment),
    pageHeader(t('nav.patient.referrals'), t('screen.patient.referrals.desc')), status, box,
    h('h2', { class: 'section-title', text: t('remote.mine') }), remote);
  const reload = loader(box, ctx, () => api('GET', '/api/v1/referrals?limit=100'), (data) => (data.items.length
    ? h('ul', { class: 'list' }, data.items.map((r) => item(r, status, () => reload()))) : null),
  { icon: 'referral', title: t('referral.empty.patient'), text: t('referral.empty.patient_text') });
  loader(remote, ctx, () => api('GET', '/api/v1/remote-consultations'), (data) => (data.items.length
    ? h('ul', { class: 'list' }, data.items.map(remoteItem)) : null), { icon: 'video', title: t('remote.empty') });
}
