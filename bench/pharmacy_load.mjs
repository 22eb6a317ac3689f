// bench/pharmacy_load.mjs — pharmacy dispatch under load (issue 7, acceptance 5).
//
//   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target lianyi
//   LIANYI_BIN=build-rel/lianyi node bench/pharmacy_load.mjs --seconds 60 --rate 20
//   (bench/pharmacy_load.sh does the same.)
//
// Starts a server on a fresh copy of the demo district (tests/lib/server.mjs);
// gives each of the 285 pharmacies a member of staff with a session (written
// into the stopped server's database with the sqlite3 tool: the demo has
// logins for 20 of them, and 285 scrypt logins would only time scrypt);
// makes --rate x --seconds ready prescriptions through the real API
// (consultation, doctor signs, pharmacist approves), then:
//   - 285 consoles, one per pharmacy, connect over WebSocket and authenticate,
//     and poll GET /api/v1/pharmacy/queue every 5 s (start times spread);
//   - the patient dispatches prescriptions at --rate per second, open loop
//     (sent on a clock, round-robin over the pharmacies);
//   - a console that is told ("pharmacy.dispatched") claims, dispenses and
//     completes it at once.
// Reports the dispatch-to-console latency (from sending POST …/dispatch to
// the event arriving at that pharmacy's socket) p50/p99/max, and the latency
// of every REST call during the load (p50/p99/max, per route too).
// Targets (issue 7): p99 dispatch-to-console < 200 ms, API p99 < 50 ms.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
process.env.LIANYI_SRC ||= root;
process.env.LIANYI_BIN ||= path.join(root, 'build-rel/lianyi');
const { startServer } = await import(path.join(root, 'tests/lib/server.mjs'));
const { default: WebSocket } = await import(path.join(root, 'tests/node_modules/ws/wrapper.mjs'));
const { endedConsultation, logins, draft, item, AMLODIPINE } = await import(path.join(root, 'tests/integration/rx-helpers.mjs'));

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : '1']);
  return acc;
}, []));
const RATE = Number(args.rate ?? 20);
const SECONDS = Number(args.seconds ?? 30);
const POLL_MS = Number(args.poll ?? 5000);
const TOTAL = RATE * SECONDS;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;

// ---- latency records ---------------------------------------------------------------
const apiLat = new Map(); // route → [ms]
const pushLat = [];
let recording = false, apiErrors = 0;
const errorCodes = new Map();
function record(route, ms) {
  if (!recording) return;
  if (!apiLat.has(route)) apiLat.set(route, []);
  apiLat.get(route).push(ms);
}
function pct(a, p) {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

let srv;
async function api(route, method, p, token, body, headers = {}) {
  const h = { ...headers, authorization: `Bearer ${token}` };
  if (body !== undefined) h['content-type'] = 'application/json';
  const t0 = now();
  const res = await fetch(srv.url + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  record(route, now() - t0);
  const json = text ? JSON.parse(text) : null;
  if (res.status >= 400 && recording) {
    apiErrors++;
    const c = json?.error?.code || String(res.status);
    errorCodes.set(c, (errorCodes.get(c) || 0) + 1);
  }
  return { status: res.status, body: json };
}

// ---- set-up ------------------------------------------------------------------------------
function sql(dbPath, text) {
  return execFileSync('sqlite3', ['-batch', dbPath], { input: text, encoding: 'utf8' });
}

// One member of staff per pharmacy with a session; returns [{pharmacy, token}].
function staffSessions(dataDir) {
  const db = path.join(dataDir, 'lianyi.db');
  const ids = sql(db, 'SELECT id FROM pharmacies ORDER BY id;').trim().split('\n');
  const t = Date.now();
  const out = [];
  let text = 'BEGIN;\n';
  ids.forEach((ph, i) => {
    const acct = `bench_staff_${i}`;
    const token = crypto.randomBytes(32).toString('base64url');
    const hash = crypto.createHash('sha256').update(token).digest('hex');
    text += `INSERT INTO accounts (id, username, role, name, name_en, password_hash, disabled, created_at) VALUES ('${acct}', '${acct}', 'pharmacy_staff', '药店压测${i}', 'Bench staff ${i}', 'x', 0, ${t});\n`;
    text += `INSERT OR REPLACE INTO pharmacy_staff (account_id, pharmacy_id) VALUES ('${acct}', '${ph}');\n`;
    text += `INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (X'${hash}', '${acct}', ${t}, ${t + 86400000});\n`;
    text += `INSERT INTO pharmacy_stock (pharmacy_id, drug_id, quantity, updated_at) VALUES ('${ph}', '${AMLODIPINE}', 100000, ${t}) ON CONFLICT (pharmacy_id, drug_id) DO UPDATE SET quantity = 100000;\n`;
    out.push({ pharmacy: ph, token, account: acct });
  });
  sql(db, `${text}COMMIT;\n`);
  return out;
}

async function makeReady(w, cons, n) {
  const ids = [];
  const one = async () => {
    const c = await srv.api('POST', '/api/v1/prescriptions', { token: w.tok.doctor1, body: draft(cons, { items: [item(AMLODIPINE)], validity_days: 3 }) });
    if (c.status !== 201) throw new Error(`create: ${c.text}`);
    const id = c.body.prescription.id;
    if ((await srv.api('POST', `/api/v1/prescriptions/${id}/sign`, { token: w.tok.doctor1 })).status !== 200) throw new Error('sign');
    if ((await srv.api('POST', `/api/v1/prescriptions/${id}/approve`, { token: w.tok.pharmacist1 })).status !== 200) throw new Error('approve');
    ids.push(id);
  };
  for (let i = 0; i < n; i += 16) await Promise.all(Array.from({ length: Math.min(16, n - i) }, one));
  return ids;
}

// ---- a console ------------------------------------------------------------------------------
class Console {
  constructor(staff) {
    Object.assign(this, staff);
    this.next = 1;
    this.pending = new Map();
  }

  async open() {
    this.ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws`, { perMessageDeflate: false });
    this.ws.on('error', () => {});
    await new Promise((res, rej) => { this.ws.once('open', res); this.ws.once('error', rej); });
    this.ws.on('message', (raw) => this.onMessage(JSON.parse(raw)));
    const r = await this.request('auth', { token: this.token });
    if (!r.ok) throw new Error(`auth: ${JSON.stringify(r.error)}`);
  }

  request(type, data) {
    const id = String(this.next++);
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, type, data }));
    });
  }

  onMessage(m) {
    if (m.id != null) {
      const p = this.pending.get(String(m.id));
      this.pending.delete(String(m.id));
      if (p) p(m);
      return;
    }
    if (m.type === 'pharmacy.dispatched') {
      const sent = sentAt.get(m.data.prescription_id);
      if (sent !== undefined) pushLat.push(now() - sent);
      this.fill(m.data.prescription_id).catch((e) => { fillErrors++; if (fillErrors < 5) console.error(e.message); });
    }
  }

  async fill(rx) {
    const c = await api('claim', 'POST', `/api/v1/pharmacy/prescriptions/${rx}/claim`, this.token);
    if (c.status !== 201) throw new Error(`claim ${c.status} ${JSON.stringify(c.body)}`);
    const secret = c.body.claim.secret;
    const d = await api('dispense', 'POST', `/api/v1/pharmacy/prescriptions/${rx}/dispense`, this.token,
      { secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': `b-${rx}` });
    if (d.status !== 201) throw new Error(`dispense ${d.status} ${JSON.stringify(d.body)}`);
    const f = await api('complete', 'POST', `/api/v1/pharmacy/prescriptions/${rx}/complete`, this.token, { secret });
    if (f.status !== 200) throw new Error(`complete ${f.status}`);
    completed++;
  }

  startPolling(stopAt) {
    const loop = async () => {
      await sleep(Math.random() * POLL_MS);
      while (now() < stopAt) {
        const t0 = now();
        await api('queue', 'GET', '/api/v1/pharmacy/queue?limit=50', this.token);
        await sleep(Math.max(0, POLL_MS - (now() - t0)));
      }
    };
    return loop();
  }
}

const sentAt = new Map();
let completed = 0, fillErrors = 0;

// ---- run ----------------------------------------------------------------------------------
srv = await startServer();
const w = await logins(srv, ['patient1', 'doctor1', 'pharmacist1']);
const cons = await endedConsultation(srv, w.tok, w.id, 'patient1', 'doctor1');
await srv.stop();
const staff = staffSessions(srv.data);
await srv.start({ demo: false });
for (const u of ['patient1', 'doctor1', 'pharmacist1']) w.tok[u] = await srv.login(u);
console.log(`server on ${srv.url}; ${staff.length} pharmacies; making ${TOTAL} ready prescriptions…`);
const t0prep = now();
const ready = await makeReady(w, cons, TOTAL);
console.log(`  ${ready.length} ready in ${((now() - t0prep) / 1000).toFixed(1)} s`);

const consoles = staff.map((s) => new Console(s));
for (let i = 0; i < consoles.length; i += 50) await Promise.all(consoles.slice(i, i + 50).map((c) => c.open()));
console.log(`  ${consoles.length} consoles connected`);

recording = true;
const start = now();
const stopAt = start + SECONDS * 1000 + 3000;
const polls = consoles.map((c) => c.startPolling(stopAt));
const dispatches = [];
for (let k = 0; k < TOTAL; k++) {
  const due = start + (k * 1000) / RATE;
  const wait = due - now();
  if (wait > 0) await sleep(wait);
  const rx = ready[k];
  const target = consoles[k % consoles.length];
  sentAt.set(rx, now());
  dispatches.push(api('dispatch', 'POST', `/api/v1/prescriptions/${rx}/dispatch`, w.tok.patient1,
    { mode: 'pickup', pharmacy_id: target.pharmacy }));
}
await Promise.all(dispatches);
await Promise.all(polls);
for (let i = 0; i < 100 && completed + fillErrors < TOTAL; i++) await sleep(100);
recording = false;
const elapsed = (now() - start) / 1000;

// ---- report --------------------------------------------------------------------------------
const all = [...apiLat.values()].flat();
const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const rows = [['', 'n', 'p50 ms', 'p99 ms', 'max ms']];
rows.push(['dispatch → console (WS)', pushLat.length, f(pct(pushLat, 50)), f(pct(pushLat, 99)), f(Math.max(...pushLat))]);
rows.push(['API, every call', all.length, f(pct(all, 50)), f(pct(all, 99)), f(Math.max(...all))]);
for (const [route, a] of apiLat) rows.push([`  ${route}`, a.length, f(pct(a, 50)), f(pct(a, 99)), f(Math.max(...a))]);
const width = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
console.log(`\npharmacy dispatch load: ${consoles.length} consoles polling every ${POLL_MS / 1000} s, ${RATE} dispatches/s for ${SECONDS} s (${elapsed.toFixed(1)} s with the tail)`);
for (const r of rows) console.log(r.map((c, i) => String(c).padStart(width[i])).join('  '));
console.log(`completed ${completed}/${TOTAL}; console fill errors ${fillErrors}; API errors ${apiErrors} ${JSON.stringify(Object.fromEntries(errorCodes))}`);
const ok = pct(pushLat, 99) < 200 && pct(all, 99) < 50 && completed === TOTAL;
console.log(`targets (p99 dispatch→console < 200 ms, API p99 < 50 ms, all completed): ${ok ? 'MET' : 'NOT MET'}`);
// The server's own view (its latency histograms, GET /metrics): how much of
// the client-side figure is time in the server rather than in this process.
const metrics = await (await fetch(`${srv.url}/metrics`)).text();
const ROUTES = ['rx.dispatch', 'pharmacy.claim', 'pharmacy.dispense', 'pharmacy.complete', 'pharmacy.queue'];
const buckets = {};
for (const m of metrics.matchAll(/lianyi_http_request_duration_seconds_bucket\{route="([^"]+)",le="([^"]+)"\} (\d+)/g)) {
  if (!ROUTES.includes(m[1])) continue;
  (buckets[m[1]] ||= {})[m[2]] = Number(m[3]);
}
console.log('server-side (GET /metrics), share of requests answered within:');
for (const r of ROUTES) {
  const b = buckets[r];
  if (!b) continue;
  const n = b['+Inf'];
  const share = (le) => `${((100 * b[le]) / n).toFixed(2)}%`;
  console.log(`  ${r.padEnd(18)} n=${n}  ≤5 ms ${share('0.005')}  ≤10 ms ${share('0.01')}  ≤25 ms ${share('0.025')}  ≤50 ms ${share('0.05')}  ≤100 ms ${share('0.1')}`);
}
const slow = srv.logText().split('\n').filter((l) => l.includes('"job.slow"'));
if (slow.length) console.log(`slow periodic jobs during the run (they hold the service loop):\n  ${slow.join('\n  ')}`);
if (args.json) console.log(JSON.stringify({ push: { n: pushLat.length, p50: pct(pushLat, 50), p99: pct(pushLat, 99) }, api: { n: all.length, p50: pct(all, 50), p99: pct(all, 99) }, completed, total: TOTAL }));
for (const c of consoles) c.ws.close();
await srv.stop();
process.exit(ok ? 0 : 1);
