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
// CI runs LOAD_SECONDS = 60 (the minute) with a kill every 5-12 s (about 2 minutes in
// all); LIANYI_CRASH_SECONDS=600 runs the long version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runCli, startServer } from '../lib/server.mjs';
import { sleep } from './signalling-client.mjs';
import { AMLODIPINE } from './rx-helpers.mjs';
import { DRUG_STOCK, MixedLoad } from './load-workers.mjs';

const LOAD_SECONDS = Number(process.env.LIANYI_CRASH_SECONDS || 60);
let srv, load;
const stats = { kills: 0 };

before(async () => {
  srv = await startServer({ args: ['--billing-interval-ms', '300'] });
  load = await new MixedLoad(srv).setup();
});
after(async () => { await srv?.stop(); });

async function killer() {
  const end = Date.now() + LOAD_SECONDS * 1000;
  while (Date.now() < end - 3000) {
    await sleep(Math.min(5000 + Math.random() * 7000, Math.max(0, end - Date.now())));
    if (Date.now() > end - 2000) break;
    load.pause();
    await srv.kill();
    stats.kills++;
    await srv.start({ demo: false });
    load.resume();
  }
  await sleep(Math.max(0, end - Date.now()));
  load.stop();
}

const sql = (q) => execFileSync('sqlite3', ['-separator', '|', path.join(srv.data, 'lianyi.db'), q]).toString().trim();
const rows = (q) => (sql(q) ? sql(q).split('\n').map((l) => l.split('|')) : []);

test(`mixed load for ${LOAD_SECONDS} s with SIGKILLs: every acknowledged write survives, nothing twice, books balance`, async () => {
  await Promise.all([killer(), ...load.workers()]);
  await srv.stop();
  const { acked, inCall, pharmacy } = load;
  console.log(`crash load: ${stats.kills} kills, ${load.stats.ops} answered calls, ${load.stats.errors} cut by a kill; acknowledged:`,
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
