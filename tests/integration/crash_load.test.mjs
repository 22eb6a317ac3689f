// Crash recovery under load (DESIGN.md §2): a mixed load — bookings and
// cancellations, consultations with chat over WebSocket, prescriptions
// through review, pharmacy claims and idempotent dispenses, manual
// settlements beside the billing job — while the server is SIGKILLed at
// random moments and restarted each time. Then, with the load stopped:
//   - every acknowledged write is in the database (consultations, chat
//     messages, prescriptions at their acknowledged state or later, dispenses,
//     settled claims);
//   - no prescription was dispensed twice (per line, never more than
//     prescribed; one dispense per Idempotency-Key);
//   - stock = initial − dispensed, for every pharmacy and drug of the load;
//   - `lianyi claims statement --check` and `lianyi audit verify` pass;
//   - no consultation is left live: the ones in a call when the server died
//     ended with the reason server_restart.
// CI runs LOAD_SECONDS = 45 with a kill every 5-12 s (well under 2 minutes in
// all); LIANYI_CRASH_SECONDS=600 runs the long version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runCli, startServer } from '../lib/server.mjs';
import { Client, sleep } from './signalling-client.mjs';
import { AMLODIPINE, draft, endedConsultation, item, logins } from './rx-helpers.mjs';

const LOAD_SECONDS = Number(process.env.LIANYI_CRASH_SECONDS || 45);
const USERS = ['patient1', 'patient8', 'patient14', 'doctor1', 'doctor2', 'doctor3', 'doctor4', 'doctor5',
  'pharmacist1', 'pharmacy1', 'pharmacy2', 'admin'];
const DRUG_STOCK = 100000;
let srv, tok, id, cons, pharmacy = {};
let up = Promise.resolve(); // resolves when the server is listening (again)
let stopping = false;
const acked = { consultations: new Map(), chat: new Set(), rx: new Map(), dispenses: new Map(), claims: new Set() };
const inCall = new Set(); // consultations in a call when the server was killed
const stats = { kills: 0, ops: 0, errors: 0 };

before(async () => {
  srv = await startServer({ args: ['--billing-interval-ms', '300'] });
  ({ tok, id } = await logins(srv, USERS));
  cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1');
  for (const s of ['pharmacy1', 'pharmacy2']) {
    pharmacy[s] = (await srv.api('GET', '/api/v1/pharmacy/me', { token: tok[s] })).body.pharmacy.id;
    const r = await srv.api('PUT', `/api/v1/pharmacy/stock/${AMLODIPINE}`, { token: tok[s], body: { quantity: DRUG_STOCK } });
    assert.equal(r.status, 200, r.text);
  }
});
after(async () => { await srv?.stop(); });

// An API call that survives the server dying: waits for it and reports null.
async function api(user, method, p, body, headers) {
  await up;
  try {
    const r = await srv.api(method, p, { token: tok[user], body, headers });
    stats.ops++;
    return r;
  } catch {
    stats.errors++;
    return null;
  }
}
const ok = (r) => r && r.status >= 200 && r.status < 300;
const withTimeout = (p, ms = 5000) => Promise.race([p, sleep(ms).then(() => { throw new Error('timeout'); })]);

// Bookings with doctors 3-5, cancelled again: each acknowledged state recorded.
async function bookings(patient) {
  for (let n = 0; !stopping; n++) {
    const doctor = `doctor${3 + (n % 3)}`;
    const b = await api(patient, 'POST', '/api/v1/consultations', { doctor_id: id[doctor], icd10: patient === 'patient14' ? 'E11.9' : 'I10' });
    if (!ok(b)) { await sleep(50); continue; }
    acked.consultations.set(b.body.consultation.id, 'booked');
    const c = await api(patient, 'POST', `/api/v1/consultations/${b.body.consultation.id}/cancel`, { reason: 'load' });
    if (ok(c)) acked.consultations.set(b.body.consultation.id, 'cancelled');
  }
}

// patient8 and doctor2 in calls with chat; a call cut by a kill is remembered.
async function calls() {
  while (!stopping) {
    const b = await api('patient8', 'POST', '/api/v1/consultations', { doctor_id: id.doctor2, icd10: 'I10' });
    if (!ok(b)) { await sleep(100); continue; }
    const cid = b.body.consultation.id;
    acked.consultations.set(cid, 'booked');
    let p, d, live = false;
    try {
      p = await withTimeout(Client.open(srv, tok.patient8));
      d = await withTimeout(Client.open(srv, tok.doctor2));
      await withTimeout(p.call('queue.check_in', { consultation_id: cid }));
      await withTimeout(d.call('doctor.verify', { password: 'lianyi-demo' }));
      await withTimeout(d.call('presence.set', { state: 'online' }));
      await withTimeout(d.call('call.patient', { consultation_id: cid }));
      await withTimeout(p.call('room.join', { consultation_id: cid }));
      live = true;
      for (let i = 0; i < 20 && !stopping; i++) {
        const m = await withTimeout((i % 2 ? d : p).call('chat.send', { consultation_id: cid, text: `消息 ${i}` }));
        acked.chat.add(m.id ?? m.message?.id);
        await sleep(20);
      }
      await withTimeout(d.call('call.end', { consultation_id: cid }));
      live = false;
      acked.consultations.set(cid, 'ended');
    } catch {
      if (live) inCall.add(cid);
      await up;
    } finally {
      p?.terminate();
      d?.terminate();
    }
  }
}

// doctor1 writes and signs, pharmacist1 approves: acknowledged states recorded.
async function prescriptions() {
  while (!stopping) {
    const c = await api('doctor1', 'POST', '/api/v1/prescriptions', draft(cons, { items: [item(AMLODIPINE, { quantity: 1 })] }));
    if (!ok(c)) { await sleep(50); continue; }
    const rx = c.body.prescription.id;
    acked.rx.set(rx, 'draft');
    if (ok(await api('doctor1', 'POST', `/api/v1/prescriptions/${rx}/sign`, undefined, { 'idempotency-key': `s-${rx}` })))
      acked.rx.set(rx, 'pending_review');
    if (ok(await api('pharmacist1', 'POST', `/api/v1/prescriptions/${rx}/approve`, undefined, { 'idempotency-key': `a-${rx}` })))
      acked.rx.set(rx, 'ready');
  }
}

// Retries a step until the server answers it (idempotent steps only).
async function until(fn) {
  for (let i = 0; i < 40 && !stopping; i++) {
    const r = await fn();
    if (r && r.status < 500) return r;
    await sleep(100);
  }
  return null;
}

// Ready prescriptions: dispatched to a pharmacy, claimed, dispensed (retried
// with the same Idempotency-Key after a crash), completed.
const taken = new Set(); // prescriptions a dispensing worker has picked
async function dispensing(staff) {
  while (!stopping) {
    const rx = [...acked.rx].find(([k, v]) => v === 'ready' && !taken.has(k))?.[0];
    if (!rx) { await sleep(50); continue; }
    taken.add(rx);
    const body = { mode: 'pickup', pharmacy_id: pharmacy[staff] };
    const d = await until(() => api('patient1', 'POST', `/api/v1/prescriptions/${rx}/dispatch`, body));
    if (!d || !ok(d)) continue;
    const c = await until(() => api(staff, 'POST', `/api/v1/pharmacy/prescriptions/${rx}/claim`));
    if (!c || !ok(c)) continue;
    const secret = c.body.claim.secret, key = `crash-${rx}`;
    const ds = await until(() => api(staff, 'POST', `/api/v1/pharmacy/prescriptions/${rx}/dispense`,
      { secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': key }));
    if (!ds || !ok(ds)) continue;
    acked.dispenses.set(key, { rx, pharmacy: pharmacy[staff] });
    await until(() => api(staff, 'POST', `/api/v1/pharmacy/prescriptions/${rx}/complete`, { secret }));
  }
}

// The billing office settles encounters by hand (idempotent per encounter).
async function settlements() {
  for (let n = 0; !stopping; n++) {
    const body = { patient_id: cons.patient.id, facility_id: 'cc-pingshan', encounter_type: 'dispense',
      encounter_id: `crash-load-${n}`, service_at: Date.now() - 3600e3, doctor_title: 'gp',
      items: [{ kind: 'fee', code: '110200001' }, { kind: 'drug', code: AMLODIPINE, quantity: 1 }] };
    const r = await until(() => api('admin', 'POST', '/api/v1/claims', body));
    if (ok(r)) acked.claims.add(r.body.claim.id);
    await sleep(30);
  }
}

async function killer() {
  const end = Date.now() + LOAD_SECONDS * 1000;
  while (Date.now() < end - 3000) {
    await sleep(Math.min(5000 + Math.random() * 7000, Math.max(0, end - Date.now())));
    if (Date.now() > end - 2000) break;
    let release;
    up = new Promise((r) => { release = r; });
    await srv.kill();
    stats.kills++;
    await srv.start({ demo: false });
    release();
  }
  await sleep(Math.max(0, end - Date.now()));
  stopping = true;
}

const sql = (q) => execFileSync('sqlite3', ['-separator', '|', path.join(srv.data, 'lianyi.db'), q]).toString().trim();
const rows = (q) => (sql(q) ? sql(q).split('\n').map((l) => l.split('|')) : []);

test(`mixed load for ${LOAD_SECONDS} s with SIGKILLs: every acknowledged write survives, nothing twice, books balance`, async () => {
  await Promise.all([killer(), bookings('patient1'), bookings('patient14'), calls(), prescriptions(), prescriptions(),
    dispensing('pharmacy1'), dispensing('pharmacy2'), settlements()]);
  await srv.stop();
  console.log(`crash load: ${stats.kills} kills, ${stats.ops} answered calls, ${stats.errors} cut by a kill; acknowledged:`,
    Object.fromEntries(Object.entries(acked).map(([k, v]) => [k, v.size])), `in a call at a kill: ${inCall.size}`);
  assert.ok(stats.kills >= Math.min(4, Math.floor(LOAD_SECONDS / 12)), `killed ${stats.kills} times`);
  assert.ok(acked.rx.size > 0 && acked.dispenses.size > 0 && acked.claims.size > 0 && acked.chat.size > 0);

  const rank = { draft: 0, pending_review: 1, ready: 2, in_progress: 3, completed: 4 };
  const have = new Map(rows('SELECT id, state FROM prescriptions'));
  for (const [rx, state] of acked.rx)
    assert.ok(have.has(rx) && (rank[have.get(rx)] ?? 9) >= rank[state], `${rx} acknowledged ${state}, now ${have.get(rx)}`);
  const consultations = new Map(rows('SELECT id, state FROM consultations'));
  for (const [cid, state] of acked.consultations) {
    assert.ok(consultations.has(cid), `consultation ${cid} (${state}) lost`);
    if (state === 'cancelled') assert.equal(consultations.get(cid), 'cancelled');
  }
  const chat = new Set(rows('SELECT id FROM chat_messages').map((r) => r[0]));
  for (const m of acked.chat) assert.ok(chat.has(m), `chat message ${m} lost`);
  const claims = new Map(rows("SELECT id, status FROM claims"));
  for (const c of acked.claims) assert.equal(claims.get(c), 'settled', `claim ${c}`);
  const dispensed = new Set(rows('SELECT idem_key FROM rx_dispenses').map((r) => r[0]));
  for (const k of acked.dispenses.keys()) assert.ok(dispensed.has(k), `dispense ${k} lost`);

  // nothing dispensed twice: per prescription line, at most what was prescribed
  const over = rows('SELECT d.prescription_id, i.line, SUM(i.quantity), MAX(p.quantity) FROM rx_dispenses d'
    + ' JOIN rx_dispense_items i ON i.dispense_id = d.id JOIN prescription_items p ON p.prescription_id ='
    + ' d.prescription_id AND p.line = i.line GROUP BY d.prescription_id, i.line HAVING SUM(i.quantity) > MAX(p.quantity)');
  assert.deepEqual(over, [], 'a prescription line dispensed more than prescribed');
  // stock = initial − dispensed
  for (const ph of Object.values(pharmacy)) {
    const [[stock]] = rows(`SELECT quantity FROM pharmacy_stock WHERE pharmacy_id = '${ph}' AND drug_id = '${AMLODIPINE}'`);
    const [[out]] = rows(`SELECT COALESCE(SUM(i.quantity), 0) FROM rx_dispenses d JOIN rx_dispense_items i ON i.dispense_id = d.id
      WHERE d.pharmacy_id = '${ph}' AND i.drug_id = '${AMLODIPINE}' AND d.returned_at IS NULL`);
    assert.equal(Number(stock), DRUG_STOCK - Number(out), `stock of ${ph}`);
  }
  // no consultation left live; those cut mid-call ended with a reason
  assert.deepEqual(rows("SELECT id, state FROM consultations WHERE state IN ('waiting', 'called', 'in_call')"), []);
  for (const cid of inCall) {
    const [[state, reason]] = rows(`SELECT state, COALESCE(end_reason, '') FROM consultations WHERE id = '${cid}'`);
    assert.ok(['ended', 'notes_signed'].includes(state), `${cid} is ${state}`);
    assert.equal(reason, 'server_restart', `${cid} ended with reason '${reason}'`);
  }
  const day = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const st = await runCli(['claims', 'statement', '--data', srv.data, '--date', day, '--check']);
  assert.equal(st.code, 0, st.stdout + st.stderr);
  const au = await runCli(['audit', 'verify', '--data', srv.data]);
  assert.equal(au.code, 0, au.stdout + au.stderr);
});
