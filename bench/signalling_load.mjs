// bench/signalling_load.mjs — signalling under load (issue 3, acceptance 3).
//
//   ulimit -n 20000     # each socket is a descriptor in this process and in the server
//   LIANYI_BIN=build/lianyi node bench/signalling_load.mjs --n 10000 --rate 2000 --seconds 20
//   (bench/signalling_load.sh does both and runs N = 1,000 and 10,000.)
//
// Starts a server on a fresh copy of the demo district (tests/lib/server.mjs),
// then:
//   1. warm-up: 100 sessions open, authenticate and say session.bye;
//   2. idle: N WebSocket sessions open and authenticate (spread over ~100 demo
//      logins: doctors 6-43, specialists, pharmacists, pharmacies, supervisor,
//      admin) and stay idle; the server's RSS before and
//      after gives the memory per idle session; after --hold seconds every socket
//      must still be open and a sample must answer ping;
//   3. load: for --seconds, requests at --rate per second, open loop (sent on a
//      clock, not when the previous answer came, so slow answers are not hidden):
//      ping / presence.get / queue.get over the idle sessions, while the demo
//      patients who may book (~16) and doctors 1-5 run whole consultations in a
//      loop (book over REST, check in, call, join, chat both ways, end, leave),
//      --consult-rate of them starting per second (0: back to back). Reply
//      latency is measured per request, from send to reply, over everything.
// Prints one table; --json prints the figures as JSON too.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
process.env.LIANYI_SRC ||= root;
process.env.LIANYI_BIN ||= path.join(root, 'build/lianyi');
const { startServer } = await import(path.join(root, 'tests/lib/server.mjs'));
const { default: WebSocket } = await import(path.join(root, 'tests/node_modules/ws/wrapper.mjs'));

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : '1']);
  return acc;
}, []));
const N = Number(args.n ?? 1000);
const RATE = Number(args.rate ?? 2000);
const SECONDS = Number(args.seconds ?? 10);
const HOLD = Number(args.hold ?? 10);
// Consultations started per second over all loops; 0 = back to back, as fast
// as the server answers (a write-throughput test: every step is a transaction
// with synchronous=FULL, so it is bounded by the disk's fsync time).
const CONSULT_RATE = Number(args['consult-rate'] ?? 2);
const CONCURRENCY = 200;
const PATIENTS = Array.from({ length: 20 }, (_, i) => `patient${i + 1}`);
const DOCTORS = ['doctor1', 'doctor2', 'doctor3', 'doctor4', 'doctor5'];
// The idle sessions use every other demo login, so the consultations' events
// reach only the sessions taking part (a patient's or doctor's event goes to
// all of that account's sessions: 400 idle sessions of one account would
// multiply every event by 400, which no real client does).
const range = (p, a, b) => Array.from({ length: b - a + 1 }, (_, i) => `${p}${a + i}`);
const IDLE_USERS = [...range('doctor', 6, 43), ...range('specialist', 1, 34), ...range('pharmacist', 1, 12),
  ...range('pharmacy', 1, 20), 'supervisor', 'admin'];
const CODES = ['I10', 'E11.9', 'E78.5', 'J45.9', 'J30.4', 'H04.1', 'K21.0', 'M17.9', 'L20.9', 'E03.9', 'I25.1',
  'J44.9', 'K29.5'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const lat = [];      // reply latencies (ms) during the load phase
let recording = false;
let replies = 0, errors = 0, events = 0;
const errorCodes = new Map();

class Session {
  constructor(port) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    this.next = 1;
    this.pending = new Map();
    this.waiters = [];
    this.ws.on('message', (raw) => this.onMessage(raw));
    this.ws.on('error', () => {});
    this.opened = new Promise((res, rej) => { this.ws.once('open', res); this.ws.once('error', rej); });
  }

  onMessage(raw) {
    const m = JSON.parse(raw);
    if (m.id == null) {
      events++;
      for (const w of this.waiters.slice()) if (w.pred(m)) { this.waiters = this.waiters.filter((x) => x !== w); w.resolve(m); }
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    const ms = Number(process.hrtime.bigint() - p.t0) / 1e6;
    if (recording) {
      lat.push(ms);
      replies++;
      if (!m.ok) { errors++; errorCodes.set(m.error.code, (errorCodes.get(m.error.code) || 0) + 1); }
    }
    p.resolve(m);
  }

  request(type, data = {}) {
    const id = String(this.next++);
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, t0: process.hrtime.bigint() });
      this.ws.send(JSON.stringify({ id, type, data }));
    });
  }

  async call(type, data) {
    const r = await this.request(type, data);
    if (!r.ok) throw Object.assign(new Error(`${type}: ${r.error.code}`), { code: r.error.code });
    return r.data;
  }

  event(type, pred = () => true, ms = 10000) {
    return new Promise((resolve, reject) => {
      const w = { pred: (m) => m.type === type && pred(m.data), resolve };
      this.waiters.push(w);
      setTimeout(() => { this.waiters = this.waiters.filter((x) => x !== w); reject(new Error(`no ${type}`)); }, ms);
    });
  }
}

async function open(port, token) {
  const s = new Session(port);
  await s.opened;
  const r = await s.request('auth', { token });
  if (!r.ok) throw new Error(`auth: ${r.error.code}`);
  s.account = r.data.account;
  return s;
}

async function openMany(port, tokens, n) {
  const out = new Array(n);
  let i = 0, failed = 0;
  async function worker() {
    while (i < n) {
      const k = i++;
      try { out[k] = await open(port, tokens[k % tokens.length]); } catch { failed++; }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sessions: out.filter(Boolean), failed };
}

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

function pct(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN; }

// One patient's consultations with one doctor, in a loop, until stop().
async function consultLoop(srv, p, d, ptoken, code, stop, counters, periodMs) {
  let next = Date.now() + Math.random() * periodMs;
  while (!stop.done) {
    if (periodMs > 0) {
      await sleep(Math.max(0, next - Date.now()));
      next += periodMs;
      if (stop.done) break;
    }
    const b = await srv.api('POST', '/api/v1/consultations', { token: ptoken, body: { doctor_id: d.account.id, icd10: code } });
    if (b.status !== 201) { counters.failed++; await sleep(200); continue; }
    const cid = b.body.consultation.id;
    try {
      await p.call('queue.check_in', { consultation_id: cid });
      await d.call('call.patient', { consultation_id: cid });
      await p.call('room.join', { consultation_id: cid });
      await p.call('chat.send', { consultation_id: cid, text: '医生您好，血压最近稳定。' });
      await d.call('chat.send', { consultation_id: cid, text: '好的，继续按时服药。' });
      await p.call('chat.send', { consultation_id: cid, text: '谢谢医生' });
      await d.call('call.end', { consultation_id: cid });
      await p.call('room.leave', { consultation_id: cid });
      counters.done++;
    } catch (err) {
      counters.failed++;
      await srv.api('POST', `/api/v1/consultations/${cid}/cancel`, { token: ptoken, body: {} });
    }
  }
}

// Which code each patient may book (the first that is not refused).
async function bookable(srv, tok, doctorId) {
  for (const code of CODES) {
    const r = await srv.api('POST', '/api/v1/consultations', { token: tok, body: { doctor_id: doctorId, icd10: code } });
    if (r.status === 201) {
      await srv.api('POST', `/api/v1/consultations/${r.body.consultation.id}/cancel`, { token: tok, body: {} });
      return code;
    }
  }
  return null;
}

async function main() {
  const srv = await startServer({ args: ['--max-connections', String(Math.max(N + 1000, 2000))] });
  const pid = srv.proc.pid;
  const tok = {};
  for (const u of [...PATIENTS, ...DOCTORS, ...IDLE_USERS]) tok[u] = await srv.login(u);
  const tokens = IDLE_USERS.map((u) => tok[u]);

  const warm = await openMany(srv.port, tokens, 100);
  await Promise.all(warm.sessions.map((s) => s.request('session.bye')));
  for (const s of warm.sessions) s.ws.terminate();
  await sleep(1500);
  const rss0 = rssKb(pid);

  const t0 = Date.now();
  const { sessions, failed } = await openMany(srv.port, tokens, N);
  const openMs = Date.now() - t0;
  await sleep(3000);
  const rss1 = rssKb(pid);
  await sleep(HOLD * 1000);
  const stillOpen = sessions.filter((s) => s.ws.readyState === WebSocket.OPEN).length;
  const sample = sessions.filter((_, i) => i % Math.max(1, Math.floor(sessions.length / 200)) === 0);
  const pongs = (await Promise.all(sample.map((s) => s.request('ping')))).filter((r) => r.ok).length;
  const rss2 = rssKb(pid);

  // Consultation loops: dedicated sessions, one per patient who may book, doctors verified.
  const docs = [];
  for (const u of DOCTORS) {
    const d = await open(srv.port, tok[u]);
    await d.call('doctor.verify', { password: 'lianyi-demo' });
    await d.call('presence.set', { state: 'online' });
    docs.push(d);
  }
  const loops = [];
  const stop = { done: false };
  const counters = { done: 0, failed: 0 };
  for (let i = 0; i < PATIENTS.length; i++) {
    const d = docs[i % docs.length];
    const code = await bookable(srv, tok[PATIENTS[i]], d.account.id);
    if (!code) continue;
    const p = await open(srv.port, tok[PATIENTS[i]]);
    loops.push({ p, d, u: PATIENTS[i], code });
  }

  if (args.progress) console.error(`load phase: server pid ${pid}`);
  recording = true;
  const tStart = process.hrtime.bigint();
  const period = CONSULT_RATE > 0 ? (loops.length / CONSULT_RATE) * 1000 : 0;
  const running = loops.map((l) => consultLoop(srv, l.p, l.d, tok[l.u], l.code, stop, counters, period));
  const TICK = 5;
  let sent = 0, k = 0;
  const kinds = ['ping', 'ping', 'presence.get', 'queue.get'];
  const doctorIds = docs.map((d) => d.account.id);
  while (Number(process.hrtime.bigint() - tStart) / 1e9 < SECONDS) {
    const due = Math.floor((Number(process.hrtime.bigint() - tStart) / 1e9) * RATE) - sent;
    for (let j = 0; j < due; j++, sent++, k++) {
      const s = sessions[k % sessions.length];
      const kind = kinds[k % kinds.length];
      if (kind === 'presence.get') s.request(kind, { doctor_id: doctorIds[k % doctorIds.length] });
      else if (kind === 'queue.get' && s.account.role === 'doctor') s.request(kind, {});
      else s.request('ping');
    }
    await sleep(TICK);
  }
  stop.done = true;
  await sleep(500); // answers to the last requests
  const secs = Number(process.hrtime.bigint() - tStart) / 1e9;
  recording = false;
  await Promise.race([Promise.all(running), sleep(15000)]);
  const rss3 = rssKb(pid);

  lat.sort((a, b) => a - b);
  const out = {
    sessions_requested: N, sessions_authenticated: sessions.length, auth_failed: failed,
    sessions_held: stillOpen, ping_sample: `${pongs}/${sample.length}`, open_seconds: openMs / 1000,
    rss_baseline_kb: rss0, rss_idle_kb: rss1, rss_after_hold_kb: rss2,
    rss_per_idle_session_kb: +((rss1 - rss0) / Math.max(1, sessions.length)).toFixed(2),
    load_seconds: +secs.toFixed(2), target_rate: RATE, open_loop_sent: sent,
    replies, replies_per_second: Math.round(replies / secs), error_replies: errors,
    errors_by_code: Object.fromEntries(errorCodes), server_events: events,
    consultation_rate_target: CONSULT_RATE || 'back to back',
    consultations_completed: counters.done, consultation_loops: loops.length, consultation_failures: counters.failed,
    latency_ms: { p50: +pct(lat, 0.5).toFixed(3), p90: +pct(lat, 0.9).toFixed(3), p99: +pct(lat, 0.99).toFixed(3),
      max: +(lat.at(-1) ?? NaN).toFixed(3) },
    rss_after_load_kb: rss3,
  };
  const row = (k, v) => console.log(`${k.padEnd(34)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  console.log(`== signalling load: N = ${N}, ${RATE} requests/s for ${SECONDS} s`);
  for (const [k, v] of Object.entries(out)) row(k, v);
  if (args.json) console.log(JSON.stringify(out));
  for (const s of sessions) s.ws.terminate();
  for (const l of loops) l.p.ws.terminate();
  for (const d of docs) d.ws.terminate();
  await srv.stop();
}

main().catch((err) => { console.error(err); process.exit(1); });
