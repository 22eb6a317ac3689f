// Doctor · renewal requests (续方): patients asking to renew a chronic
// prescription. Approve (a new prescription, signed at once and reviewed
// again) or decline with a reason; both are told.
// GET /api/v1/renewals?open=1, POST /api/v1/renewals/{id}/approve | /decline.

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, emptyState, errorState } from '../ui.js';
import { backLink } from '../home.js';
import { formatDateTime, actionButton, formError, idempotencyKey, violationsBox, fill } from '../rx-view.js';

function row(r, reload) {
  const reason = h('input', { type: 'text', name: 'decline_reason', 'aria-label': t('renewal.decline_reason'), placeholder: t('renewal.decline_reason') });
  const err = formError();
  const key = idempotencyKey();
  const show = (e) => { err.hidden = false; err.textContent = errorText(e); if (e.violations) err.append(violationsBox(e.violations)); };
  const approve = async () => {
    const res = await api('POST', `/api/v1/renewals/${r.id}/approve`, { headers: { 'Idempotency-Key': key } });
    reload(t('renewal.approved_doc', { id: res.prescription?.id || '' }));
  };
  const decline = async () => {
    if (!reason.value.trim()) { reason.focus(); throw Object.assign(new Error('reason'), { code: 'renewal.reason_required' }); }
    await api('POST', `/api/v1/renewals/${r.id}/decline`, { body: { reason: reason.value.trim() } });
    reload(t('renewal.declined_doc'));
  };
  return h('li', { class: 'list-item', 'data-renewal': r.id },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: r.patient_name }),
      h('span', { class: 'list-sub', text: formatDateTime(r.created_at) }),
      r.patient_note ? h('span', { class: 'list-sub', text: t('renewal.patient_note', { note: r.patient_note }) }) : null,
      h('a', { href: `#/doctor/prescriptions?id=${r.prescription_id}`, text: t('renewal.original') })),
    h('div', { class: 'renewal-actions' }, reason, err, h('div', { class: 'list-actions' },
      actionButton(t('renewal.decline'), decline, { cls: 'btn btn-secondary', action: 'decline', onError: show }),
      actionButton(t('renewal.approve'), approve, { action: 'approve', onError: show }))));
}

export function render(main, ctx) {
  const box = h('section', { class: 'card', 'aria-live': 'polite' });
  const msg = h('div');
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.doctor.renewals'), t('screen.doctor.renewals.desc')), msg, box);
  async function load(message) {
    fill(msg, message ? h('p', { class: 'notice', role: 'status', text: message }) : null);
    box.replaceChildren(loadingState());
    let list;
    try {
      list = (await api('GET', '/api/v1/renewals?open=1')).renewals || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    if (list.length === 0) {
      box.replaceChildren(emptyState({ icon: 'renew', title: t('renewal.empty_title'), text: t('renewal.empty_text') }));
      return;
    }
    box.replaceChildren(h('ul', { class: 'list' }, list.map((r) => row(r, load))));
  }
  load();
}
