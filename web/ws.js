// WebSocket client for /ws (signalling). Messages are {"id","type","data"}; a
// request gets one reply {"id","ok":true,"data"} or {"id","ok":false,"error"};
// server events carry no id. The first message on every connection is
// {"id":..,"type":"auth","data":{"token":..}}; requests wait until it succeeds.
//
// Nothing connects until a screen calls getSocket() (the shell never does), so a
// server without /ws costs nothing. A dropped connection is retried with
// exponential backoff (1 s doubling to 30 s, with jitter) until close().

import { getToken } from './session.js';
import { notifySessionExpired } from './api.js';

const REQUEST_TIMEOUT_MS = 15000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;

export class WsError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'WsError';
    this.code = code;
  }
}

function defaultUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export class WsClient {
  // opts: url, token() → string, onAuthFailed(err), backoffMinMs, backoffMaxMs
  constructor(opts = {}) {
    this.url = opts.url || defaultUrl();
    this.token = opts.token || getToken;
    this.onAuthFailed = opts.onAuthFailed || (() => {});
    this.backoffMin = opts.backoffMinMs ?? BACKOFF_MIN_MS;
    this.backoffMax = opts.backoffMaxMs ?? BACKOFF_MAX_MS;
    this.state = 'idle';          // idle | connecting | open | closed
    this.nextId = 1;
    this.attempt = 0;
    this.sock = null;
    this.timer = null;
    this.pending = new Map();     // id → entry {id, type, data, resolve, reject, timer}
    this.queue = [];              // entries waiting for an authenticated socket
    this.listeners = new Map();   // type → Set(fn)
    this.stateListeners = new Set();
  }

  connect() {
    if (this.state === 'connecting' || this.state === 'open') return;
    this.setState('connecting');
    let sock;
    try {
      sock = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.sock = sock;
    sock.onopen = () => this.authenticate(sock);
    sock.onmessage = (ev) => this.receive(ev.data);
    sock.onclose = () => this.dropped(sock);
    sock.onerror = () => { /* onclose follows */ };
  }

  authenticate(sock) {
    this.call({ type: 'auth', data: { token: this.token() } }, REQUEST_TIMEOUT_MS).then(() => {
      if (sock !== this.sock) return;
      this.attempt = 0;
      this.setState('open');
      for (const entry of this.queue.splice(0)) this.send(entry);
    }, (err) => {
      if (sock !== this.sock) return;
      if (String(err.code).startsWith('auth.')) {
        this.close();
        this.onAuthFailed(err);
      } else {
        sock.close();             // e.g. no answer in time: retry later
      }
    });
  }

  // Sends a request; resolves with the reply's data, rejects with WsError.
  request(type, data = {}, { timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    if (this.state === 'closed') return Promise.reject(new WsError('ws.closed'));
    const p = this.call({ type, data }, timeoutMs, this.state !== 'open');
    this.connect();
    return p;
  }

  // Makes a request entry and sends it now, or queues it until authenticated.
  // Ids are given when a message is sent, so the auth message of the first
  // connection is always id "1".
  call({ type, data }, timeoutMs, queued = false) {
    return new Promise((resolve, reject) => {
      const entry = { id: null, type, data, resolve, reject };
      entry.timer = setTimeout(() => {
        this.forget(entry);
        reject(new WsError('ws.timeout', `${type} timed out`));
      }, timeoutMs);
      if (queued) this.queue.push(entry);
      else this.send(entry);
    });
  }

  send(entry) {
    entry.id = String(this.nextId++);
    this.pending.set(entry.id, entry);
    this.sock.send(JSON.stringify({ id: entry.id, type: entry.type, data: entry.data }));
  }

  forget(entry) {
    if (entry.id != null) this.pending.delete(entry.id);
    this.queue = this.queue.filter((e) => e !== entry);
  }

  receive(raw) {
    let msg;
    try { msg = JSON.parse(raw); } catch { return; }
    if (!msg || typeof msg !== 'object') return;
    if (msg.id != null && this.pending.has(String(msg.id))) {
      const p = this.pending.get(String(msg.id));
      this.pending.delete(String(msg.id));
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.data);
      else p.reject(new WsError(msg.error?.code || 'ws.error', msg.error?.message));
      return;
    }
    if (typeof msg.type === 'string') {
      for (const fn of this.listeners.get(msg.type) || []) fn(msg.data, msg);
    }
  }

  // Listens to server events of one type; returns a function that stops it.
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type)?.delete(fn);
  }

  // Listens to connection state changes: fn('connecting' | 'open' | 'closed').
  onState(fn) {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  // Requests already sent on a dropped socket cannot be answered any more.
  failInFlight(code) {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new WsError(code));
    }
    this.pending.clear();
  }

  dropped(sock) {
    if (sock !== this.sock) return;
    this.sock = null;
    this.failInFlight('ws.disconnected');
    if (this.state !== 'closed') this.scheduleReconnect();
  }

  scheduleReconnect() {
    this.setState('connecting');
    const base = Math.min(this.backoffMax, this.backoffMin * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.state = 'idle';
      this.connect();
    }, delay);
  }

  // Closes for good: no reconnect; every waiting request is rejected.
  close() {
    clearTimeout(this.timer);
    this.setState('closed');
    const sock = this.sock;
    this.sock = null;
    if (sock) { sock.onclose = null; sock.close(); }
    for (const entry of this.queue.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(new WsError('ws.closed'));
    }
    this.failInFlight('ws.closed');
  }
}

let shared = null;

// The app's one connection, made on first use with the session token.
export function getSocket() {
  if (!shared || shared.state === 'closed') {
    shared = new WsClient({ onAuthFailed: (err) => notifySessionExpired(err) });
  }
  shared.connect();
  return shared;
}

// Called on log-out and session expiry.
export function closeSocket() {
  if (shared) shared.close();
  shared = null;
}
