// Doctor · one prescription, read-only (signed and beyond): state, drugs,
// validity, the rules' verdicts now, the pharmacist's reason, its history;
// cancel with a reason while it can still be cancelled.
// POST /api/v1/prescriptions/{id}/cancel.

import { t, tOr } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h } from '../ui.js';
import { hashQuery, statePill, kindText, itemsList, fact, formatDateTime, violationsBox, actionButton, formError, fill } from '../rx-view.js';

const CANCELLABLE = new Set(['draft', 'pending_review', 'returned', 'ready']);

function events(list = []) {
  return h('ol', { class: 'timeline' }, list.map((e) => h('li', {},
    h('span', { class: 'timeline-what', text: tOr(`rx.event.${e.action}`, e.action) }),
    h('time', { text: formatDateTime(e.at) }),
    e.reason ? h('span', { class: 'timeline-reason', text: e.reason }) : null)));
}

function cancelForm(rx) {
  const reason = h('input', { type: 'text', name: 'cancel_reason', 'aria-label': t('rx.cancel_reason') });
  const err = formError();
  const go = async () => {
    await api('POST', `/api/v1/prescriptions/${rx.id}/cancel`, { body: { reason: reason.value.trim() } });
    location.hash = `#/doctor/prescriptions?id=${rx.id}`;
  };
  return h('details', { class: 'danger-zone' }, h('summary', { text: t('rx.cancel') }),
    h('p', { class: 'field-hint', text: t('rx.cancel_hint') }), reason, err,
    actionButton(t('rx.cancel_confirm'), go, {
      cls: 'btn btn-secondary', action: 'cancel-rx',
      onError: (e) => { err.hidden = false; err.textContent = errorText(e); },
    }));
}

export function render(box, ctx, rx) {
  const justSigned = hashQuery().get('signed') === '1';
  fill(box,
    justSigned ? h('p', { class: 'notice', role: 'status', 'data-testid': 'rx-signed', text: t('rx.signed_ok') }) : null,
    h('section', { class: 'card card-pad', 'data-testid': 'rx-detail', 'data-state': rx.state },
      h('div', { class: 'detail-head' }, h('h2', { class: 'section-title', text: `${rx.icd10} · ${kindText(rx.kind)}` }),
        statePill(rx.state)),
      itemsList(rx.items),
      h('dl', { class: 'facts' },
        fact(t('rx.signed_at'), rx.signed_at ? formatDateTime(rx.signed_at) : null),
        fact(t('rx.valid_until'), rx.valid_until ? formatDateTime(rx.valid_until) : null),
        fact(t('rx.chronic_reason'), rx.chronic_reason),
        fact(t('rx.review_reason'), rx.review_reason),
        fact(t('rx.cancel_reason'), rx.cancel_reason)),
      rx.verdicts && rx.state !== 'cancelled' ? h('div', {}, h('h3', { class: 'subsection-title', text: t('rx.rules_title') }),
        violationsBox(rx.verdicts)) : null,
      h('h3', { class: 'subsection-title', text: t('rx.history') }), events(rx.events),
      CANCELLABLE.has(rx.state) ? cancelForm(rx) : null));
}
