// Shared pieces of the pharmacy dispatch screens (the pharmacy console in
// web/pharmacy/, the patient's web/patient/pharmacy-choice.js and
// delivery.js): styles, the hash query, drug and money text, live events
// over the WebSocket with a polling fallback, claim secrets, and checking a
// signed document in the browser.

import { t, tOr, getLang, formatDateTime } from '../i18n.js';
import { api, errorText } from '../api.js';
import { h } from '../ui.js';
import { getSocket } from '../ws.js';

export function ensureStyles() {
  if (document.getElementById('ph-css')) return;
  document.head.append(h('link', { id: 'ph-css', rel: 'stylesheet', href: new URL('./pharmacy.css', import.meta.url).href }));
}

export function hashQuery() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

const en = () => getLang() === 'en';

export function localName(o) {
  if (!o) return '';
  return (en() && o.name_en) || o.name || '';
}

export function drugText(item) {
  const name = (en() && item.generic_en) || item.generic_name || item.drug_id;
  return `${name} ${item.strength || ''}`.trim();
}

export function money(fen) {
  return `¥${(Number(fen || 0) / 100).toFixed(2)}`;
}

export function when(ms) {
  return ms ? formatDateTime(ms) : '';
}

export function distanceText(m) {
  return m >= 1000 ? t('ph.km', { km: (m / 1000).toFixed(1) }) : t('ph.m', { m: Math.round(m) });
}

export function badge(text, tone = '') {
  return h('span', { class: `ph-badge ${tone ? `ph-badge-${tone}` : ''}`, text });
}

export function stateBadge(state) {
  const tone = { completed: '', ready: '', in_progress: '', expired: 'muted', cancelled: 'muted' }[state];
  return badge(tOr(`ph.rx_state.${state}`, state), tone ?? 'muted');
}

// A fresh Idempotency-Key for one user action (a retry of the action reuses it).
export function idemKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `k-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function errorLine() {
  return h('p', { class: 'ph-error', role: 'alert', hidden: true });
}

export function showError(el, err) {
  el.hidden = false;
  el.textContent = errorText(err);
  if (err && err.code) el.dataset.code = err.code;
}

// A button that disables itself while fn runs (a double click sends once);
// an error goes to errEl.
export function actionBtn(label, fn, { cls = 'btn btn-primary', action, errEl } = {}) {
  const btn = h('button', { type: 'button', class: cls, 'data-action': action || false }, label);
  btn.addEventListener('click', async () => {
    if (btn.disabled) return;
    btn.disabled = true;
    if (errEl) errEl.hidden = true;
    try { await fn(); } catch (err) {
      if (errEl && !err.handled) showError(errEl, err); else console.warn(err);
    } finally { btn.disabled = false; }
  });
  return btn;
}

// Server events of `types` while the screen is shown (fn(data, type)), plus
// `poll` every pollMs as a fallback for a weak link. Returns the connection
// indicator to put on the page.
export function live(ctx, types, fn, { pollMs = 0, poll } = {}) {
  const ws = getSocket();
  const dot = h('span', { class: 'ph-live', 'data-testid': 'ph-live', 'data-live': ws.state, text: t('ph.live') });
  const offs = [];
  let timer = null;
  const stop = () => {
    for (const off of offs.splice(0)) off();
    clearInterval(timer);
  };
  const alive = () => {
    if (ctx.alive() && dot.isConnected) return true;
    stop();
    return false;
  };
  for (const type of types) offs.push(ws.on(type, (data) => { if (alive()) fn(data, type); }));
  offs.push(ws.onState((s) => {
    if (!alive()) return;
    dot.dataset.live = s;
    if (s === 'open' && poll) poll(); // caught up after a reconnect
  }));
  if (pollMs && poll) timer = setInterval(() => { if (alive()) poll(); }, pollMs);
  return dot;
}

// Claim secrets live only in this page's memory; after a reload the console
// claims again and, holding the claim, is handed the same secret.
const secrets = new Map();

export function rememberSecret(rx, secret) { secrets.set(rx, secret); }
export function forgetSecret(rx) { secrets.delete(rx); }

export async function secretFor(rx) {
  if (!secrets.has(rx)) {
    const r = await api('POST', `/api/v1/pharmacy/prescriptions/${encodeURIComponent(rx)}/claim`);
    secrets.set(rx, r.claim.secret);
  }
  return secrets.get(rx);
}

function b64urlBytes(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

// Checks a signed envelope {document, public_key, signature} here in the
// browser: true / false, or null when this browser has no Ed25519.
export async function verifyEnvelope(env) {
  if (!env || !globalThis.crypto?.subtle) return null;
  try {
    const key = await crypto.subtle.importKey('raw', b64urlBytes(env.public_key), { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, b64urlBytes(env.signature),
      new TextEncoder().encode(env.document));
  } catch {
    return null;
  }
}

// One label/value pair of a .ph-facts list (nothing when there is no value).
export function fact(label, value) {
  if (value === undefined || value === null || value === '') return [];
  return [h('dt', { text: label }), h('dd', {}, value instanceof Node ? value : String(value))];
}

// The server-signed receipt: what was handed out, the total, and the
// signature checked again here in the browser.
export function receiptCard(r) {
  const doc = r.document || {};
  const ok = h('span', { 'data-testid': 'ph-receipt-verified' });
  verifyEnvelope(r.envelope).then((v) => { if (v !== null) ok.append(badge(v ? t('ph.sig_ok_here') : t('ph.sig_bad_here'), v ? '' : 'warn')); });
  return h('section', { class: 'ph-card', 'data-testid': 'ph-receipt', 'data-receipt': r.id },
    h('h2', { class: 'ph-title', text: t('ph.receipt_title') }),
    h('ul', { class: 'ph-list' }, (doc.items || []).map((it) => h('li', { class: 'ph-row' },
      h('span', { text: `${drugText(it)} ×${it.quantity}${it.substituted ? ` (${t('ph.substituted')})` : ''}` }),
      h('span', { class: 'ph-money', text: money(it.amount_fen) })))),
    h('dl', { class: 'ph-facts' }, fact(t('ph.total'), money(r.total_fen)), fact(t('ph.completed_at'), when(r.completed_at)),
      fact(t('ph.receipt_id'), r.id)), ok);
}

