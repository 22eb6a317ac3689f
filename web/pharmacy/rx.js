// Pharmacy · one prescription: who it is for and who signed it (the doctor's
// signature checked by the server and again here in the browser), claim and
// release, the dispense form (partial, substitutes with a reason), complete
// with the server-signed receipt, and delivery (out, hand over with the
// patient's code, failed). Every change carries the claim's secret; a
// dispense carries an Idempotency-Key so a double click or a retry after a
// dropped connection dispenses once.

import { t, tOr } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader, loadingState, errorState } from '../ui.js';
import {
  ensureStyles, drugText, when, badge, stateBadge, idemKey, errorLine, actionBtn,
  rememberSecret, forgetSecret, secretFor, verifyEnvelope, live, receiptCard, fact,
} from './common.js';

const base = (id) => `/api/v1/pharmacy/prescriptions/${encodeURIComponent(id)}`;

function signatureLine(rx) {
  const ok = rx.signature && rx.signature.verified;
  const el = h('span', { 'data-testid': 'ph-signature', 'data-verified': ok ? 'true' : 'false' },
    badge(ok ? t('ph.sig_ok') : t('ph.sig_bad'), ok ? '' : 'warn'));
  verifyEnvelope(rx.envelope).then((here) => {
    if (here === null) return;
    el.dataset.browser = here ? 'true' : 'false';
    el.append(' ', badge(here ? t('ph.sig_ok_here') : t('ph.sig_bad_here'), here ? '' : 'warn'));
  });
  return el;
}

function whoCard(rx) {
  const doc = rx.document || {};
  const p = doc.patient || {}, d = doc.prescriber || {};
  return h('section', { class: 'ph-card', 'data-testid': 'ph-rx', 'data-state': rx.state },
    h('div', { class: 'ph-line-head' }, h('h2', { class: 'ph-title', text: t('ph.rx_title') }), stateBadge(rx.state)),
    h('dl', { class: 'ph-facts' },
      fact(t('ph.patient'), p.name ? `${p.name} · ${tOr(`sex.${p.sex}`, p.sex || '')} · ${p.birth_date || ''}` : null),
      fact(t('ph.prescriber'), d.name ? `${d.name} · ${d.facility_name || ''}` : null),
      fact(t('ph.diagnosis'), doc.diagnosis ? `${doc.diagnosis.icd10} ${doc.diagnosis.name || ''}` : rx.icd10),
      fact(t('ph.signed_at'), when(rx.signed_at)),
      fact(t('ph.valid_until'), when(rx.valid_until)),
      fact(t('ph.signature'), signatureLine(rx))));
}

// One line of the dispense form: packs now, optionally a substitute and why.
function lineForm(line, item) {
  const left = Math.max(0, line.prescribed_units - line.dispensed_units);
  const packs = h('input', { type: 'number', min: '0', max: '10000', step: '1', class: 'ph-input', name: `q${line.line}`,
    value: String(line.complete ? 0 : Math.max(0, Math.floor(left / Math.max(1, line.prescribed_units / item.quantity)))) });
  const sub = h('input', { type: 'text', class: 'ph-input', name: `s${line.line}`, maxlength: '47', placeholder: item.drug_id });
  const why = h('input', { type: 'text', class: 'ph-input', name: `r${line.line}`, maxlength: '200' });
  const el = h('div', { class: 'ph-line', 'data-line': String(line.line) },
    h('div', { class: 'ph-line-head' }, h('span', { text: `${drugText(item)} ×${item.quantity}` }),
      badge(t('ph.units_done', { done: line.dispensed_units, want: line.prescribed_units }), line.complete ? '' : 'muted')),
    item.dose ? h('p', { class: 'ph-sub', text: item.dose }) : null,
    line.complete ? null : h('div', { class: 'ph-grid2' },
      h('label', { class: 'ph-field' }, h('span', { text: t('ph.packs_now') }), packs),
      h('label', { class: 'ph-field' }, h('span', { text: t('ph.substitute') }), sub)),
    line.complete ? null : h('label', { class: 'ph-field' }, h('span', { text: t('ph.substitute_reason') }), why));
  return { el, read: () => ({ line: line.line, quantity: Number(packs.value), drug_id: sub.value.trim() || undefined, reason: why.value.trim() || undefined }) };
}

function dispenseCard(rx, reload) {
  const lines = rx.dispensed.map((l, i) => lineForm(l, rx.items[i] || {}));
  const err = errorLine();
  let key = idemKey(); // one per submission; a retry of the same submission reuses it
  const submit = async () => {
    const items = lines.map((l) => l.read()).filter((x) => x.quantity > 0);
    if (!items.length) throw Object.assign(new Error(t('ph.nothing_to_dispense')), { code: 'ph.nothing' });
    const secret = await secretFor(rx.id);
    await api('POST', `${base(rx.id)}/dispense`, { body: { secret, items }, headers: { 'Idempotency-Key': key } });
    key = idemKey();
    reload(t('ph.dispensed'));
  };
  const anyLeft = rx.dispensed.some((l) => !l.complete);
  return h('section', { class: 'ph-card', 'data-testid': 'ph-dispense' },
    h('h2', { class: 'ph-title', text: t('ph.dispense_title') }), lines.map((l) => l.el), err,
    anyLeft ? h('div', { class: 'ph-actions' }, actionBtn(t('ph.dispense'), submit, { action: 'dispense', errEl: err })) : null);
}

function deliveryCard(rx, reload) {
  const d = rx.delivery;
  const err = errorLine();
  const code = h('input', { type: 'text', inputmode: 'numeric', maxlength: '6', class: 'ph-input', name: 'code', 'aria-label': t('ph.code') });
  const reason = h('input', { type: 'text', class: 'ph-input', name: 'fail_reason', maxlength: '200', 'aria-label': t('ph.fail_reason') });
  const call = (what, body) => async () => {
    const secret = await secretFor(rx.id);
    await api('POST', `${base(rx.id)}/delivery/${what}`, { body: { secret, ...body() } });
    reload(t(`ph.delivery_done.${what}`));
  };
  const acts = [];
  if (d.state === 'preparing' || d.state === 'failed') acts.push(actionBtn(t('ph.send_out'), call('out', () => ({})), { action: 'out', errEl: err }));
  if (d.state === 'out_for_delivery') {
    acts.push(h('label', { class: 'ph-field' }, h('span', { text: t('ph.code') }), code),
      actionBtn(t('ph.deliver'), call('deliver', () => ({ code: code.value.trim() })), { action: 'deliver', errEl: err }),
      h('label', { class: 'ph-field' }, h('span', { text: t('ph.fail_reason') }), reason),
      actionBtn(t('ph.fail'), call('fail', () => ({ reason: reason.value.trim() })), { action: 'fail', cls: 'btn btn-secondary', errEl: err }));
  }
  return h('section', { class: 'ph-card', 'data-testid': 'ph-delivery', 'data-delivery': d.state },
    h('div', { class: 'ph-line-head' }, h('h2', { class: 'ph-title', text: t('ph.delivery_title') }), badge(t(`ph.delivery_state.${d.state}`))),
    h('dl', { class: 'ph-facts' }, fact(t('ph.address'), d.address), fact(t('ph.tries_left'), d.locked ? t('ph.locked') : d.tries_left),
      fact(t('ph.failed_reason'), d.failed_reason)), err, h('div', { class: 'ph-actions' }, acts));
}

function claimCard(rx, reload) {
  const err = errorLine();
  const mine = rx.claim && rx.claim.state === 'active';
  const acts = [];
  if (rx.state === 'ready' && rx.dispatch && !mine) {
    acts.push(actionBtn(t('ph.claim'), async () => {
      const r = await api('POST', `${base(rx.id)}/claim`);
      rememberSecret(rx.id, r.claim.secret);
      reload(t('ph.claimed'));
    }, { action: 'claim', errEl: err }));
  }
  const delivering = rx.delivery && rx.delivery.state !== 'preparing' && rx.delivery.state !== 'failed';
  if (mine && !delivering) {
    const nothing = rx.dispensed.every((l) => l.dispensed_units === 0);
    if (!rx.delivery && !nothing) {
      acts.push(actionBtn(t('ph.complete'), async () => {
        const secret = await secretFor(rx.id);
        await api('POST', `${base(rx.id)}/complete`, { body: { secret } });
        reload(t('ph.completed'));
      }, { action: 'complete', errEl: err }));
    }
    if (nothing || rx.delivery?.state === 'failed') {
      acts.push(actionBtn(t('ph.release'), async () => {
        const secret = await secretFor(rx.id);
        await api('POST', `${base(rx.id)}/release`, { body: { secret } });
        forgetSecret(rx.id);
        reload(t('ph.released'));
      }, { action: 'release', cls: 'btn btn-secondary', errEl: err }));
    }
  }
  const dsp = rx.dispatch;
  return h('section', { class: 'ph-card', 'data-testid': 'ph-claim' },
    h('dl', { class: 'ph-facts' },
      fact(t('ph.mode'), dsp ? t(`ph.mode.${dsp.mode}`) : rx.delivery ? t('ph.mode.delivery') : null),
      fact(t('ph.deadline'), dsp ? when(dsp.deadline_at) : null),
      fact(t('ph.claim'), rx.claim ? `${t(`ph.claim_state.${rx.claim.state}`)} · ${when(rx.claim.claimed_at)}` : null)),
    rx.claimed_elsewhere ? h('p', { class: 'notice', text: t('ph.claimed_elsewhere') }) : null,
    err, acts.length ? h('div', { class: 'ph-actions' }, acts) : null);
}

export function render(main, ctx, id) {
  ensureStyles();
  const box = h('div', { 'aria-live': 'polite' });
  async function load(message) {
    let rx;
    try {
      rx = (await api('GET', base(id))).prescription;
    } catch (err) {
      if (!err.handled && ctx.alive()) box.replaceChildren(errorState(err, () => load()));
      return;
    }
    if (!ctx.alive()) return;
    const mine = rx.claim && rx.claim.state === 'active';
    box.replaceChildren(...[message ? h('p', { class: 'notice', role: 'status', text: message }) : null,
      whoCard(rx), claimCard(rx, load),
      mine && (!rx.delivery || rx.delivery.state === 'preparing') ? dispenseCard(rx, load) : null,
      rx.delivery && mine ? deliveryCard(rx, load) : null,
      rx.receipt ? receiptCard(rx.receipt) : null].filter(Boolean));
  }
  const dot = live(ctx, ['pharmacy.changed', 'pharmacy.withdrawn'], (d) => { if (d.prescription_id === id) load(); });
  main.replaceChildren(h('a', { class: 'back-link', href: '#/pharmacy/queue' }, t('ph.back_queue')),
    pageHeader(t('ph.rx_page')), h('p', {}, dot), box);
  box.replaceChildren(loadingState());
  load();
}
