// Pharmacist · one prescription under review: patient (name, sex, age),
// drugs, the rules' verdicts (signing and review rules, in the UI language),
// the patient's other prescriptions; approve, or reject with a reason that
// goes back to the doctor. The queue item carries patient and history; a
// prescription no longer in the queue is read with GET /api/v1/prescriptions/{id}.
// POST /api/v1/prescriptions/{id}/approve (Idempotency-Key) | /reject {reason}.

import { t, tOr } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import {
  localName, statePill, kindText, itemsList, fact, formatDateTime, formatDate, violationsBox, actionButton,
  formError, idempotencyKey, ageOf, fill, labeled,
} from '../rx-view.js';

function historyList(hist) {
  if (!hist || hist.length === 0) return h('p', { class: 'field-hint', text: t('review.no_history') });
  return h('ul', { class: 'list list-compact', 'data-testid': 'patient-history' }, hist.map((p) => h('li', { class: 'list-item' },
    h('div', { class: 'list-main' },
      h('span', { class: 'list-title', text: p.drugs || '' }),
      h('span', { class: 'list-sub', text: `${p.icd10} · ${kindText(p.kind)} · ${formatDate(p.signed_at)}` })),
    statePill(p.state))));
}

function decide(rx, done) {
  const reason = h('textarea', { name: 'reject_reason', rows: '2' });
  const err = formError();
  const show = (e) => { err.hidden = false; err.textContent = errorText(e); if (e.violations) err.append(violationsBox(e.violations)); };
  const key = idempotencyKey();
  const approve = async () => {
    await api('POST', `/api/v1/prescriptions/${rx.id}/approve`, { headers: { 'Idempotency-Key': key } });
    done(t('review.approved'));
  };
  const reject = async () => {
    if (!reason.value.trim()) { reason.focus(); throw Object.assign(new Error('reason'), { code: 'review.reason_required' }); }
    await api('POST', `/api/v1/prescriptions/${rx.id}/reject`, { body: { reason: reason.value.trim() } });
    done(t('review.rejected'));
  };
  return h('section', { class: 'card card-pad' }, h('h2', { class: 'section-title', text: t('review.decision') }),
    labeled(t('review.reject_reason'), reason, t('review.reject_hint')), err,
    h('div', { class: 'form-actions' },
      actionButton(t('review.reject'), reject, { cls: 'btn btn-secondary', action: 'reject', onError: show }),
      actionButton(t('review.approve'), approve, { action: 'approve', onError: show })));
}

function view(rx, done) {
  const p = rx.patient;
  const age = p ? ageOf(p.birth_date) : null;
  return [
    h('section', { class: 'card card-pad', 'data-testid': 'review-detail', 'data-state': rx.state },
      h('div', { class: 'detail-head' }, h('h2', { class: 'section-title', text: `${rx.icd10} · ${kindText(rx.kind)}` }),
        statePill(rx.state)),
      h('dl', { class: 'facts' },
        p ? fact(t('review.patient'), t('review.patient_line', { name: localName(p), sex: tOr(`sex.${p.sex}`, p.sex), age })) : null,
        fact(t('rx.signed_at'), rx.signed_at ? formatDateTime(rx.signed_at) : null),
        fact(t('rx.valid_until'), rx.valid_until ? formatDateTime(rx.valid_until) : null),
        fact(t('rx.chronic_reason'), rx.chronic_reason), fact(t('rx.assessment'), rx.assessment),
        fact(t('rx.guardian'), rx.guardian_name), fact(t('rx.note'), rx.note)),
      itemsList(rx.items),
      h('h3', { class: 'subsection-title', text: t('review.verdicts') }),
      violationsBox(rx.verdicts, { okText: t('review.verdicts_ok') })),
    rx.history ? h('section', { class: 'card card-pad' }, h('h2', { class: 'section-title', text: t('review.history') }),
      historyList(rx.history)) : null,
    rx.state === 'pending_review' ? decide(rx, done) : null,
  ];
}

export function render(main, ctx, id) {
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(h('a', { class: 'back-link back-link-always', href: '#/pharmacist/review' }, t('review.back')),
    pageHeader(t('review.title')), box);
  async function load(message) {
    box.replaceChildren(loadingState());
    let rx;
    try {
      const queue = (await api('GET', '/api/v1/pharmacist/review-queue')).queue || [];
      rx = queue.find((q) => q.id === id) || (await api('GET', `/api/v1/prescriptions/${id}`)).prescription;
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    fill(box,
      message ? h('p', { class: 'notice', role: 'status', 'data-testid': 'review-message', text: message }) : null,
      ...view(rx, load));
  }
  load();
}
