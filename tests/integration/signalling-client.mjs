// A small WebSocket client for the signalling tests (docs/signalling.md):
// requests by id, events by type (kept in order, with their seq), the close
// code and reason. Not a test file itself (no .test.mjs suffix).
import WebSocket from 'ws';

export class Client {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.events = [];          // every event received, in order
    this.waiters = [];         // {pred, resolve, reject, timer}
    this.lastSeq = 0;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: String(reason) };
        for (const p of this.pending.values()) p.reject(new Error(`socket closed ${code} ${reason}`));
        this.pending.clear();
        resolve(this.closeInfo);
      });
    });
    ws.on('message', (raw) => this.receive(String(raw)));
    ws.on('error', () => { /* close follows */ });
  }

  // Opens a socket to srv's /ws (opts.url instead, e.g. wss://, with
  // opts.ws as the ws library's options); with a token, authenticates first.
  static async open(srv, token, opts = {}) {
    const ws = new WebSocket(opts.url || `ws://127.0.0.1:${srv.port}${opts.path || '/ws'}`, opts.ws);
    const c = new Client(ws);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    if (token) {
      const data = { token, lang: 'en' };
      if (opts.resume) data.resume = opts.resume;
      if (opts.lastSeq !== undefined) data.last_seq = opts.lastSeq;
      const r = await c.request('auth', data);
      if (!r.ok) throw new Error(`auth failed: ${JSON.stringify(r.error)}`);
      c.session = r.data;
    }
    return c;
  }

  receive(text) {
    const msg = JSON.parse(text);
    if (msg.id !== undefined && msg.id !== null && this.pending.has(String(msg.id))) {
      const p = this.pending.get(String(msg.id));
      this.pending.delete(String(msg.id));
      p.resolve(msg);
      return;
    }
    if (msg.id !== undefined) {      // a reply nobody waits for (e.g. id null)
      this.orphans = (this.orphans || []).concat(msg);
      for (const w of this.waiters.slice()) if (w.orphan && w.pred(msg)) this.settle(w, msg);
      return;
    }
    if (typeof msg.seq === 'number') this.lastSeq = Math.max(this.lastSeq, msg.seq);
    this.events.push(msg);
    for (const w of this.waiters.slice()) if (!w.orphan && w.pred(msg)) this.settle(w, msg);
  }

  settle(w, msg) {
    clearTimeout(w.timer);
    this.waiters = this.waiters.filter((x) => x !== w);
    w.resolve(msg);
  }

  // Sends {id,type,data}; resolves with the whole reply {id, ok, data|error}.
  request(type, data = {}, { id } = {}) {
    const rid = id ?? String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.pending.set(String(rid), { resolve, reject });
      this.ws.send(JSON.stringify({ id: rid, type, data }));
    });
  }

  // Like request but resolves with data, throws {code} on an error reply.
  async call(type, data = {}) {
    const r = await this.request(type, data);
    if (!r.ok) {
      const err = new Error(`${type}: ${r.error.code} ${r.error.message}`);
      err.code = r.error.code;
      err.reply = r;
      throw err;
    }
    return r.data;
  }

  // The error code of a request expected to fail.
  async fails(type, data = {}) {
    const r = await this.request(type, data);
    if (r.ok) throw new Error(`${type} should have failed, got ${JSON.stringify(r.data)}`);
    return r.error.code;
  }

  sendRaw(payload, opts) { this.ws.send(payload, opts); }

  // Resolves with the first event of `type` matching pred — already received
  // (and not yet taken) or arriving within ms.
  waitEvent(type, pred = () => true, ms = 5000) {
    const match = (m) => m.type === type && !m.taken && pred(m.data, m);
    const have = this.events.find(match);
    if (have) { have.taken = true; return Promise.resolve(have); }
    return new Promise((resolve, reject) => {
      const w = { pred: match, resolve: (m) => { m.taken = true; resolve(m); }, reject };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no ${type} event within ${ms} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  // A reply with no pending request (e.g. for an oversize frame: id null).
  waitOrphan(pred = () => true, ms = 5000) {
    const have = (this.orphans || []).find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const w = { orphan: true, pred, resolve, reject };
      w.timer = setTimeout(() => reject(new Error(`no orphan reply within ${ms} ms`)), ms);
      this.waiters.push(w);
    });
  }

  // Events of a type received so far (taken or not).
  seen(type) { return this.events.filter((m) => m.type === type); }

  close() { this.ws.close(); return this.closed; }
  terminate() { this.ws.terminate(); return this.closed; }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Account ids by username, through GET /api/v1/me.
export async function accountId(srv, token) {
  const r = await srv.api('GET', '/api/v1/me', { token });
  return r.body.account.id;
}

// Books a follow-up as the patient; returns the consultation (throws unless 201).
export async function book(srv, token, body) {
  const r = await srv.api('POST', '/api/v1/consultations', { token, body });
  if (r.status !== 201) throw new Error(`booking: ${r.status} ${r.text}`);
  return r.body.consultation;
}
