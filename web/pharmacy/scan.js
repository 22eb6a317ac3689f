// Pharmacy · scan a code (扫码取药): a walk-in patient shows the QR code of
// their prescription ("LYRX1:<id>:<code>"). A USB scanner types it into the
// field and presses Enter; the camera is used where the browser can read QR
// codes; staff can also type the id and the code. The code is checked by the
// server (POST /api/v1/pharmacy/lookup), then the prescription can be claimed
// here (POST /api/v1/pharmacy/claims) — at any pharmacy, dispatched or not.

import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, pageHeader } from '../ui.js';
import { backLink } from '../home.js';
import { ensureStyles, drugText, badge, stateBadge, errorLine, showError, actionBtn, rememberSecret } from './common.js';

const MAX = 128; // the server refuses longer input anyway (rx/qr.h)

function summary(rx, code, err) {
  const doc = rx.document || {};
  const ok = rx.signature && rx.signature.verified;
  const claim = actionBtn(t('ph.claim'), async () => {
    const r = await api('POST', '/api/v1/pharmacy/claims', { body: { qr: code } });
    rememberSecret(r.claim.prescription_id, r.claim.secret);
    location.hash = `#/pharmacy/queue?id=${encodeURIComponent(r.claim.prescription_id)}`;
  }, { action: 'claim', errEl: err });
  return h('section', { class: 'ph-card', 'data-testid': 'ph-scan-result', 'data-rx': rx.id },
    h('div', { class: 'ph-line-head' }, h('h2', { class: 'ph-title', text: doc.patient ? doc.patient.name : rx.id }), stateBadge(rx.state)),
    h('p', {}, badge(ok ? t('ph.sig_ok') : t('ph.sig_bad'), ok ? '' : 'warn')),
    h('ul', { class: 'ph-list' }, (rx.items || []).map((it) => h('li', { class: 'ph-row', text: `${drugText(it)} ×${it.quantity}` }))),
    rx.claimed_elsewhere ? h('p', { class: 'notice', text: t('ph.claimed_elsewhere') }) : null,
    err, rx.state === 'ready' ? h('div', { class: 'ph-actions' }, claim) : null);
}

// Reads QR codes from the camera where the browser has a BarcodeDetector.
async function cameraButton(onCode) {
  if (!('BarcodeDetector' in globalThis) || !navigator.mediaDevices) return null;
  let formats = [];
  try { formats = await globalThis.BarcodeDetector.getSupportedFormats(); } catch { return null; }
  if (!formats.includes('qr_code')) return null;
  const video = h('video', { playsinline: true, muted: true, hidden: true, style: 'width:100%;border-radius:8px' });
  const btn = h('button', { type: 'button', class: 'btn btn-secondary', text: t('ph.camera') });
  btn.addEventListener('click', async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const det = new globalThis.BarcodeDetector({ formats: ['qr_code'] });
    const tick = async () => {
      if (!video.isConnected) { stream.getTracks().forEach((x) => x.stop()); return; }
      const found = await det.detect(video).catch(() => []);
      if (found.length) {
        stream.getTracks().forEach((x) => x.stop());
        video.hidden = true;
        onCode(found[0].rawValue);
      } else requestAnimationFrame(tick);
    };
    tick();
  });
  return h('div', {}, btn, video);
}

export async function render(main, ctx) {
  ensureStyles();
  const input = h('input', { type: 'text', class: 'ph-input', name: 'qr', autocomplete: 'off', maxlength: String(MAX),
    'aria-label': t('ph.scan_label'), placeholder: 'LYRX1:…' });
  const id = h('input', { type: 'text', class: 'ph-input', name: 'rx_id', maxlength: '47', 'aria-label': t('ph.rx_id') });
  const code = h('input', { type: 'text', class: 'ph-input', name: 'access_code', maxlength: '64', 'aria-label': t('ph.access_code') });
  const err = errorLine();
  const out = h('div', { 'aria-live': 'polite' });
  async function lookup(body, codeText) {
    err.hidden = true;
    out.replaceChildren();
    try {
      const r = await api('POST', '/api/v1/pharmacy/lookup', { body });
      if (!ctx.alive()) return;
      out.replaceChildren(summary(r.prescription, codeText, errorLine()));
    } catch (e) {
      if (!e.handled) showError(err, e);
    }
  }
  const fromScan = (text) => { const v = text.trim(); if (v) lookup({ qr: v }, v); };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); fromScan(input.value); } });
  const typed = actionBtn(t('ph.lookup'), () => {
    const v = `LYRX1:${id.value.trim()}:${code.value.trim()}`;
    return lookup({ id: id.value.trim(), access_code: code.value.trim() }, v);
  }, { action: 'lookup-typed', cls: 'btn btn-secondary' });
  main.replaceChildren(backLink(ctx.segment), pageHeader(t('nav.pharmacy.scan'), t('screen.pharmacy.scan.desc')),
    h('section', { class: 'ph-card' },
      h('label', { class: 'ph-field' }, h('span', { text: t('ph.scan_label') }), input),
      h('div', { class: 'ph-actions' }, actionBtn(t('ph.lookup'), () => fromScan(input.value), { action: 'lookup' }))),
    h('details', { class: 'ph-card' }, h('summary', { text: t('ph.type_code') }),
      h('label', { class: 'ph-field' }, h('span', { text: t('ph.rx_id') }), id),
      h('label', { class: 'ph-field' }, h('span', { text: t('ph.access_code') }), code), typed),
    err, out);
  input.focus();
  const cam = await cameraButton(fromScan);
  if (cam && ctx.alive()) main.insertBefore(h('section', { class: 'ph-card' }, cam), err);
}
