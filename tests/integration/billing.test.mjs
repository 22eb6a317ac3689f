// The billing job (server/billing.c) over the real binary: an ended
// consultation is billed its fee, a completed dispense its drugs (甲/乙/丙
// lines) and, when delivered, the delivery fee (self-paid); the patient is
// told over WebSocket; a settlement made before a crash but never marked is
// found again, not made twice; a returned dispense is reversed; and
// `lianyi claims statement --check` passes after all of it.
//
// patient1 is employee tier 1 (90 % at a community centre, no deductible
// there, a personal account) and sees doctor1 at 坪山社区健康服务中心.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runCli, startServer } from '../lib/server.mjs';
import { Client } from './signalling-client.mjs';
import { endedConsultation } from './rx-helpers.mjs';
import { AMLODIPINE, item, qrOf, readyRx, setStock, world } from './pharmacy-helpers.mjs';

const LOSARTAN = 'drug-losartan-50mg-tab'; // 乙, 1680 fen a pack of 28
const PIPA = 'drug-tcm-chuanbei-pipa-gao'; // 丙, 4500 fen a bottle
const FAST = ['--billing-interval-ms', '200'];
const SLOW = ['--billing-interval-ms', '3600000'];

let srv, w, pid, title, doctorFee;
before(async () => {
  srv = await startServer({ args: FAST });
  w = await world(srv, ['admin']);
  pid = (await srv.api('GET', '/api/v1/me', { token: w.tok.patient1 })).body.account.patient_id;
  for (const d of [AMLODIPINE, LOSARTAN, PIPA]) await setStock(srv, w, 'pharmacy1', d, 50);
  const doc = await srv.api('GET', `/api/v1/doctors/${w.id.doctor1}`, { token: w.tok.patient1 });
  assert.equal(doc.status, 200, doc.text);
  title = doc.body.doctor.title.id;
  doctorFee = { associate_chief: 1500, chief: 2000 }[title] ?? 1000; // community fee schedule
});
after(async () => { await srv?.stop(); });

const api = (method, p, user, body, headers) => srv.api(method, p, { token: w.tok[user], body, headers });
const P = (rx, what = '') => `/api/v1/pharmacy/prescriptions/${rx}${what}`;
const share = (x, bp) => Math.floor((x * bp + 5000) / 10000); // docs/insurance.md: the one rounding rule
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // Beijing day

// The claim of an encounter, once the job has made it (polls the admin's list).
async function claimOf(encounter, ms = 10000) {
  const until = Date.now() + ms;
  for (;;) {
    const l = await api('GET', `/api/v1/claims?patient=${pid}&limit=1000`, 'admin');
    assert.equal(l.status, 200, l.text);
    const mine = l.body.items.filter((c) => c.encounter_id === encounter && c.status !== 'rejected');
    if (mine.length) {
      assert.equal(mine.length, 1, 'one claim per encounter');
      const c = await api('GET', `/api/v1/claims/${mine[0].id}`, 'admin');
      assert.equal(c.status, 200, c.text);
      return c.body.claim;
    }
    if (Date.now() > until) throw new Error(`no claim for ${encounter} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Claim, dispense everything and complete (pickup, walk-in at pharmacy1).
async function dispensed(rx, lines) {
  const c = await api('POST', '/api/v1/pharmacy/claims', 'pharmacy1', { qr: await qrOf(srv, w, rx) });
  assert.equal(c.status, 201, c.text);
  const secret = c.body.claim.secret;
  const d = await api('POST', P(rx, '/dispense'), 'pharmacy1', { secret, items: lines }, { 'idempotency-key': `bill-${rx}` });
  assert.equal(d.status, 201, d.text);
  const done = await api('POST', P(rx, '/complete'), 'pharmacy1', { secret });
  assert.equal(done.status, 200, done.text);
  return done.body.receipt;
}

function checkSums(c) {
  const t = c.totals;
  assert.equal(t.total_fen, t.fund_fen + t.account_fen + t.cash_fen);
  for (const k of ['total_fen', 'fund_fen', 'account_fen', 'cash_fen', 'deductible_fen']) {
    assert.equal(c.lines.reduce((s, l) => s + l[k], 0), t[k], `lines add up to the claim (${k})`);
  }
}

async function statementCheck() {
  const r = await runCli(['claims', 'statement', '--data', srv.data, '--date', today(), '--check']);
  assert.equal(r.code, 0, `statement --check: ${r.stdout} ${r.stderr}`);
  return r.stdout;
}

test('an ended consultation is billed its fee; the patient is told; the split is the hand computation', async () => {
  const ws = await Client.open(srv, w.tok.patient1);
  try {
    const cons = await endedConsultation(srv, w.tok, w.id, 'patient1', 'doctor1');
    const ev = await ws.waitEvent('claim.settled', (d) => d.encounter_id === cons.id, 10000);
    const c = await claimOf(cons.id);
    assert.equal(ev.data.claim_id, c.id);
    assert.equal(c.status, 'settled');
    assert.equal(c.encounter_type, 'consultation');
    assert.equal(c.facility_level, 'community');
    assert.equal(c.plan_id, 'employee_t1');
    assert.equal(c.lines.length, 1);
    const [l] = c.lines;
    assert.equal(l.kind, 'fee');
    assert.equal(l.total_fen, doctorFee, 'priced from the fee schedule, online as offline');
    // 90 % at a community centre, no deductible there; the patient's 10 % from the personal account
    assert.equal(l.deductible_fen, 0);
    assert.equal(l.fund_fen, share(doctorFee, 9000));
    assert.equal(l.account_fen, doctorFee - share(doctorFee, 9000));
    assert.equal(l.cash_fen, 0);
    checkSums(c);
    // the world() consultation was billed too, once
    const first = await claimOf(w.cons.id);
    assert.equal(first.totals.total_fen, doctorFee);
  } finally {
    await ws.close();
  }
});

test('a completed dispense is billed from its receipt: 甲 in scope, 乙 10 % first, 丙 self-paid', async () => {
  const ws = await Client.open(srv, w.tok.patient1);
  try {
    const rx = await readyRx(srv, w, [
      item(AMLODIPINE, { quantity: 1, days: 7 }),
      item(LOSARTAN, { quantity: 1, days: 7, dose: '50 mg 口服 每日一次' }),
      item(PIPA, { quantity: 1, days: 3, daily_units: 0.3, dose: '15 ml 口服 每日三次' }),
    ]);
    const receipt = await dispensed(rx, [1, 2, 3].map((line) => ({ line, quantity: 1 })));
    const ev = await ws.waitEvent('claim.settled', (d) => d.encounter_id === receipt.id, 10000);
    const c = await claimOf(receipt.id);
    assert.equal(ev.data.total_fen, c.totals.total_fen);
    assert.equal(c.encounter_type, 'dispense');
    assert.deepEqual(c.lines.map((l) => [l.code, l.category]), [[AMLODIPINE, '甲'], [LOSARTAN, '乙'], [PIPA, '丙']]);
    const [a, b, p] = c.lines;
    // 甲 1260: all in scope, fund 90 %
    assert.deepEqual([a.total_fen, a.pre_self_fen, a.in_scope_fen, a.fund_fen, a.account_fen, a.cash_fen],
      [1260, 0, 1260, share(1260, 9000), 1260 - share(1260, 9000), 0]);
    // 乙 1680: 10 % self-paid first (168), 1512 in scope, fund share(1512, 90 %) = 1361 (1360.8 rounded half up)
    assert.deepEqual([b.total_fen, b.pre_self_fen, b.in_scope_fen, b.fund_fen, b.account_fen, b.cash_fen],
      [1680, 168, 1512, 1361, 319, 0]);
    assert.ok(b.notes.includes('self_pay_share'));
    // 丙 4500: fully self-paid (from the personal account: it is a medical line)
    assert.deepEqual([p.total_fen, p.fully_self_fen, p.in_scope_fen, p.fund_fen, p.account_fen, p.cash_fen],
      [4500, 4500, 0, 0, 4500, 0]);
    assert.ok(p.notes.includes('category_c'));
    checkSums(c);
    const r = await api('GET', `/api/v1/prescriptions/${rx}/receipt`, 'patient1');
    assert.equal(r.body.billed, true, 'the receipt is marked billed');
  } finally {
    await ws.close();
  }
});

test('a delivered prescription also bills the delivery fee, never covered, never from the account', async () => {
  const rx = await readyRx(srv, w);
  const d = await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1',
    { mode: 'delivery', pharmacy_id: w.pharmacy.pharmacy1, address: '坪山大道 1 号 3 栋 201' });
  assert.equal(d.status, 201, d.text);
  const c = await api('POST', P(rx, '/claim'), 'pharmacy1');
  assert.equal(c.status, 201, c.text);
  const secret = c.body.claim.secret;
  const ds = await api('POST', P(rx, '/dispense'), 'pharmacy1', { secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': `bd-${rx}` });
  assert.equal(ds.status, 201, ds.text);
  assert.equal((await api('POST', P(rx, '/delivery/out'), 'pharmacy1', { secret })).status, 200);
  const code = (await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1')).body.delivery.code;
  const ok = await api('POST', P(rx, '/delivery/deliver'), 'pharmacy1', { secret, code });
  assert.equal(ok.status, 200, ok.text);
  const claim = await claimOf(ok.body.receipt.id);
  const del = claim.lines.find((l) => l.kind === 'delivery');
  assert.ok(del, 'a delivery line');
  assert.equal(del.total_fen, 800);
  assert.deepEqual([del.fully_self_fen, del.in_scope_fen, del.fund_fen, del.account_fen, del.cash_fen], [800, 0, 0, 0, 800]);
  assert.ok(del.notes.includes('delivery_not_covered'));
  assert.equal(claim.lines.find((l) => l.kind === 'drug').fund_fen, share(1260, 9000));
  checkSums(claim);
  assert.match(await statementCheck(), /check: OK/);
});

test('a settlement made but never marked (crash between the two) is found again, not made twice', async () => {
  // restart with the job asleep, make the work, settle it by hand as the job would, then let the job run
  await srv.stop();
  srv.extraArgs = SLOW;
  await srv.start();
  const cons = await endedConsultation(srv, w.tok, w.id, 'patient1', 'doctor1');
  const rx = await readyRx(srv, w);
  const receipt = await dispensed(rx, [{ line: 1, quantity: 1 }]);
  const coverage0 = (await api('GET', '/api/v1/me/coverage', 'patient1')).body.coverage;
  const facility = receipt.document.facility_id;
  const manual = [
    { encounter_type: 'consultation', encounter_id: cons.id, service_at: Date.now() - 1000, doctor_title: title,
      items: [{ kind: 'fee', code: { associate_chief: '110200002', chief: '110200003' }[title] ?? '110200001' }] },
    { encounter_type: 'dispense', encounter_id: receipt.id, service_at: receipt.document.completed_at,
      items: [{ kind: 'drug', code: AMLODIPINE, quantity: 1, unit_price_fen: 1260 }] },
  ];
  const settled = {};
  for (const m of manual) {
    const r = await api('POST', '/api/v1/claims', 'admin', { patient_id: pid, facility_id: facility, ...m });
    assert.equal(r.status, 201, r.text);
    settled[m.encounter_id] = r.body.claim;
  }
  const coverage1 = (await api('GET', '/api/v1/me/coverage', 'patient1')).body.coverage;
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/receipt`, 'patient1')).body.billed, false);

  await srv.stop();
  srv.extraArgs = FAST;
  await srv.start();
  const until = Date.now() + 10000;
  while (!(await api('GET', `/api/v1/prescriptions/${rx}/receipt`, 'patient1')).body.billed) {
    assert.ok(Date.now() < until, 'the job marks the receipt billed');
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const id of [cons.id, receipt.id]) assert.equal((await claimOf(id)).id, settled[id].id, 'the first claim, not a second');
  const coverage2 = (await api('GET', '/api/v1/me/coverage', 'patient1')).body.coverage;
  assert.ok(coverage1.account_balance_fen < coverage0.account_balance_fen);
  assert.equal(coverage2.account_balance_fen, coverage1.account_balance_fen, 'the account was debited once');
  assert.match(srv.logText(), /"event":"insurance.billed".*found settled 2/);
  await statementCheck();
});

test('a dispense returned after its receipt was billed: the claim is reversed and the account refunded', async () => {
  const rx = await readyRx(srv, w);
  const receipt = await dispensed(rx, [{ line: 1, quantity: 1 }]);
  const c = await claimOf(receipt.id);
  const before = (await api('GET', '/api/v1/me/coverage', 'patient1')).body.coverage.account_balance_fen;
  // rx has no API to return a completed dispense yet: make the change in the database while stopped
  await srv.stop();
  execFileSync('sqlite3', [path.join(srv.data, 'lianyi.db'),
    `UPDATE rx_dispenses SET returned_at = ${Date.now()} WHERE claim_id = (SELECT claim_id FROM rx_receipts WHERE id = '${receipt.id}');`]);
  await srv.start();
  const until = Date.now() + 10000;
  let now;
  do {
    await new Promise((r) => setTimeout(r, 100));
    now = (await api('GET', `/api/v1/claims/${c.id}`, 'admin')).body.claim;
    assert.ok(Date.now() < until, 'reversed in time');
  } while (now.status !== 'reversed');
  assert.ok(now.reversal.reason.length > 0);
  const after = (await api('GET', '/api/v1/me/coverage', 'patient1')).body.coverage.account_balance_fen;
  assert.equal(after, before + c.totals.account_fen, 'the personal account is refunded');
  await statementCheck();
});
