// Patient · one prescription: its drugs, state, validity and — once a
// pharmacist has approved it — the QR code a pharmacy scans
// ("LYRX1:<id>:<access code>", drawn by web/qr.js) with the code in text.
// A chronic one can be renewed (POST /api/v1/prescriptions/{id}/renewals).

import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import { statePill, itemsList, fact, formatDateTime, actionButton, formError, fill, labeled } from '../rx-view.js';
import { qrSvg } from '../qr.js';

const SHOW_CODE = new Set(['ready', 'in_progress']);
const RENEWABLE = new Set(['chronic', 'long_term']);
const ISSUED = new Set(['ready', 'in_progress', 'completed', 'expired']);

function codeBox(rx) {
  const svg = h('div', { class: 'qr', 'data-testid': 'rx-qr', 'data-payload-length': String(rx.qr.length) });
  svg.innerHTML = qrSvg(rx.qr, { label: t('rx.qr_label') }); // markup built by qr.js from numbers only
  return h('section', { class: 'card card-pad qr-card' },
    h('h2', { class: 'section-title', text: t('rx.qr_title') }), svg,
    h('p', { class: 'field-hint', text: t('rx.qr_hint') }),
    h('details', {}, h('summary', { text: t('rx.code_text') }),
      h('p', { class: 'code-text', 'data-testid': 'rx-code-text', text: rx.access_code })));
}

function renewalLine(r) {
  if (!r) return null;
  const text = r.state === 'declined' ? t('renewal.state_declined', { reason: r.decline_reason || '' })
    : r.state === 'approved' ? t('renewal.state_approved') : t('renewal.state_requested');
  return h('p', { class: 'notice', 'data-testid': 'renewal-state', 'data-renewal': r.state, text });
}

function renewBox(rx, renewal, reload) {
  if (renewal && renewal.state === 'requested') return renewalLine(renewal);
  const note = h('input', { type: 'text', name: 'renew_note' });
  const err = formError();
  const go = async () => {
    await api('POST', `/api/v1/prescriptions/${rx.id}/renewals`, { body: { note: note.value.trim() } });
    reload(t('renewal.sent'));
  };
  return h('section', { class: 'card card-pad' }, h('h2', { class: 'section-title', text: t('renewal.title') }),
    renewalLine(renewal), h('p', { class: 'field-hint', text: t('renewal.hint') }),
    labeled(t('renewal.note'), note), err,
    actionButton(t('renewal.request'), go, {
      action: 'renew', onError: (e) => { err.hidden = false; err.textContent = errorText(e); },
    }));
}

export function render(main, ctx, id) {
  const box = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(h('a', { class: 'back-link back-link-always', href: '#/patient/prescriptions' }, t('rx.back_mine')),
    pageHeader(t('rx.mine_title')), box);
  async function load(message) {
    box.replaceChildren(loadingState());
    let rx, renewals;
    try {
      rx = (await api('GET', `/api/v1/prescriptions/${id}`)).prescription;
      renewals = (await api('GET', '/api/v1/renewals')).renewals || [];
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    const renewal = renewals.filter((r) => r.prescription_id === rx.id).sort((a, b) => b.created_at - a.created_at)[0];
    fill(box,
      message ? h('p', { class: 'notice', role: 'status', text: message }) : null,
      SHOW_CODE.has(rx.state) && rx.qr ? codeBox(rx) : null,
      h('section', { class: 'card card-pad', 'data-testid': 'rx-mine', 'data-state': rx.state },
        h('div', { class: 'detail-head' }, h('h2', { class: 'section-title', text: t('rx.drugs') }), statePill(rx.state)),
        itemsList(rx.items),
        h('dl', { class: 'facts' },
          fact(t('rx.diagnosis'), rx.icd10),
          fact(t('rx.signed_at'), rx.signed_at ? formatDateTime(rx.signed_at) : null),
          fact(t('rx.valid_until'), rx.valid_until ? formatDateTime(rx.valid_until) : null)),
        rx.state === 'pending_review' ? h('p', { class: 'field-hint', text: t('rx.waiting_review') }) : null),
      ISSUED.has(rx.state) && RENEWABLE.has(rx.kind) ? renewBox(rx, renewal && renewal.state !== 'withdrawn' ? renewal : null, load) : null);
  }
  load();
}
