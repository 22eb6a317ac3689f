// The notification centre's store: what happened to the signed-in person,
// fed by the WebSocket events the server pushes (docs/signalling.md, "Events
// about everything else") and caught up after being offline from the notices
// the server keeps (GET /api/v1/me/notices). Kept per account in
// localStorage (the newest 50), with a read flag; the server's notices are
// marked read there too. When the page is hidden and the browser allows it,
// each new one also shows as a system notification.
//
// start(account) after login (again after a reload), stop() on logout;
// subscribe(fn) → unsubscribe, fn() on every change; items(), unread(),
// markAllRead(), askPermission().

import { t } from './i18n.js';
import { api } from './api.js';
import { getSocket } from './ws.js';

const MAX = 50;
const MONEY = (fen) => (fen / 100).toFixed(2);

let me = null;     // { account, items: [{key, kind, ref, at, link, params, read}], lastNotice }
let offs = [];
const listeners = new Set();

const storeKey = (id) => `lianyi.notify.${id}`;

function load(account) {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(storeKey(account.id)) || 'null'); } catch { saved = null; }
  return { account, items: Array.isArray(saved?.items) ? saved.items : [], lastNotice: saved?.lastNotice || 0 };
}

function save() {
  if (!me) return;
  try {
    localStorage.setItem(storeKey(me.account.id), JSON.stringify({ items: me.items, lastNotice: me.lastNotice }));
  } catch { /* private mode: this page's memory only */ }
}

function changed() {
  save();
  for (const fn of [...listeners]) fn();
}

// Where each kind of prescription notice leads, per role segment.
const RX_LINKS = {
  patient: (id, kind) => (['rx.expired', 'rx.cancelled', 'rx.renewal_approved', 'rx.renewal_declined'].includes(kind)
    ? `#/patient/prescriptions?id=${id}` : `#/patient/pharmacy?id=${id}`),
  doctor: (id, kind) => ({
    'rx.renewal_requested': '#/doctor/renewals', 'supervision.finding': '#/doctor/findings',
  }[kind] || `#/doctor/prescriptions?id=${id}`),
};

// The notices of rx/ worth a notification (the rest are listed by their screens).
const NOTICE_KINDS = new Set(['rx.ready', 'rx.returned', 'rx.expired', 'rx.cancelled', 'rx.claimed', 'rx.completed',
  'rx.dispatch_lapsed', 'rx.renewal_requested', 'rx.renewal_approved', 'rx.renewal_declined', 'supervision.finding']);

// The pharmacy's steps the patient hears about (rx.dispatch_changed `what`).
const DISPATCH_KIND = {
  claimed: 'rx.claimed', out_for_delivery: 'rx.out_for_delivery', delivered: 'rx.completed', completed: 'rx.completed',
  dispatch_lapsed: 'rx.dispatch_lapsed', delivery_failed: 'rx.delivery_failed', released: 'rx.released',
};

function fromNotice(n, segment) {
  if (!NOTICE_KINDS.has(n.kind)) return null;
  const link = RX_LINKS[segment] ? RX_LINKS[segment](n.prescription_id, n.kind) : null;
  return { kind: n.kind, ref: n.prescription_id || n.renewal_id || String(n.id), at: n.created_at, link, read: !!n.read };
}

const REFERRAL_STATES = ['accepted', 'rejected', 'scheduled', 'requested', 'cancelled'];

// Every kind of notification there is (each has its words: notify.kind.<kind>).
export const KINDS = [...new Set(['consult.called', ...NOTICE_KINDS, ...Object.values(DISPATCH_KIND), 'pharmacy.dispatched',
  'lab.resulted', ...REFERRAL_STATES.map((x) => `referral.${x}`), 'claim.settled'])];

// Event type → (data, segment) → notification fields, or null to ignore.
const EVENTS = {
  'consultation.state': (d, seg) => (seg === 'patient' && d.state === 'called'
    ? { kind: 'consult.called', ref: `${d.consultation_id}:${d.consultation?.called_at || ''}`,
      link: `#/patient/followup?open=${d.consultation_id}` } : null),
  notice: (d, seg) => fromNotice(d, seg),
  'rx.dispatch_changed': (d, seg) => (seg === 'patient' && DISPATCH_KIND[d.what]
    ? { kind: DISPATCH_KIND[d.what], ref: d.prescription_id, link: `#/patient/pharmacy?id=${d.prescription_id}` } : null),
  'pharmacy.dispatched': (d, seg) => (seg === 'pharmacy'
    ? { kind: 'pharmacy.dispatched', ref: d.prescription_id, link: `#/pharmacy/queue?id=${d.prescription_id}` } : null),
  'lab.resulted': (d, seg) => (seg === 'patient'
    ? { kind: 'lab.resulted', ref: d.order_id, params: { name: d.name || '' }, link: '#/patient/health' } : null),
  'referral.changed': (d, seg) => {
    if (!REFERRAL_STATES.includes(d.state)) return null;
    if (seg === 'patient' && d.state === 'requested') return null;
    return { kind: `referral.${d.state}`, ref: `${d.referral_id}:${d.state}`, link: `#/${seg}/referrals` };
  },
  'claim.settled': (d, seg) => (seg === 'patient'
    ? { kind: 'claim.settled', ref: d.claim_id, params: { fund: MONEY(d.fund_fen || 0), total: MONEY(d.total_fen || 0) },
      link: `#/patient/bills?id=${d.claim_id}` } : null),
};

export function title(item) {
  return t(`notify.kind.${item.kind}`, item.params || {});
}

function systemNotify(item) {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted' || !document.hidden) return;
  try {
    const n = new Notification(t('app.title'), { body: title(item), tag: item.key, lang: document.documentElement.lang });
    n.onclick = () => { window.focus(); if (item.link) location.hash = item.link; n.close(); };
  } catch { /* some browsers allow notifications only from a service worker */ }
}

// Adds one (once per key); returns whether it was new.
function add(fields, { quiet = false } = {}) {
  if (!me || !fields) return false;
  const key = `${fields.kind}:${fields.ref}`;
  if (me.items.some((x) => x.key === key)) return false;
  const item = { key, at: Date.now(), read: false, params: {}, ...fields };
  me.items.unshift(item);
  me.items.sort((a, b) => b.at - a.at);
  me.items.length = Math.min(me.items.length, MAX);
  if (!quiet && !item.read) systemNotify(item);
  return true;
}

// The server's notices newer than the last seen (missed while offline).
async function catchUp() {
  const who = me;
  try {
    for (let page = 0; page < 5; page++) { // 100 a page, oldest first
      const list = (await api('GET', `/api/v1/me/notices?after=${who.lastNotice}`)).notices || [];
      if (who !== me) return;
      for (const n of list) {
        who.lastNotice = Math.max(who.lastNotice, n.id);
        add(fromNotice(n, who.segment), { quiet: true });
      }
      if (list.length) changed();
      if (list.length < 100) break;
    }
  } catch { /* offline: the next connection tries again */ }
}

export function start(account, segment) {
  if (me && me.account.id === account.id) return;
  stop();
  me = load(account);
  me.segment = segment;
  const ws = getSocket();
  for (const [type, map] of Object.entries(EVENTS)) {
    offs.push(ws.on(type, (d) => {
      if (!me || !d) return;
      if (type === 'notice' && d.id) me.lastNotice = Math.max(me.lastNotice, d.id);
      if (add(map(d, me.segment))) changed();
    }));
  }
  offs.push(ws.onState((s) => { if (s === 'open') catchUp(); }));
  if (ws.state === 'open') catchUp();
  changed();
}

export function stop() {
  offs.splice(0).forEach((off) => off());
  me = null;
  for (const fn of [...listeners]) fn();
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function items() { return me ? me.items.slice() : []; }
export function unread() { return me ? me.items.filter((x) => !x.read).length : 0; }

export async function markAllRead() {
  if (!me) return;
  for (const x of me.items) x.read = true;
  changed();
  if (me.lastNotice > 0) {
    try { await api('POST', '/api/v1/me/notices/read', { body: { up_to: me.lastNotice } }); } catch { /* next time */ }
  }
}

export function markRead(key) {
  const x = me && me.items.find((i) => i.key === key);
  if (x && !x.read) { x.read = true; changed(); }
}

// 'unsupported' | 'default' | 'granted' | 'denied'
export function permission() {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export async function askPermission() {
  if (permission() !== 'default') return permission();
  try { await Notification.requestPermission(); } catch { /* old callback form: ignored */ }
  changed();
  return permission();
}
