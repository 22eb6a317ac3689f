// Pharmacy dispatch over the real binary (issue 7): the patient's choice,
// the queue and its WebSocket event, claims and secrets, two pharmacies
// claiming at the same instant 200 times, the same dispense sent 5 times,
// walk-in at a non-dispatched pharmacy, partial dispense, receipts,
// object-level authorisation and hostile input. Delivery and lapse are in
// pharmacy_delivery.test.mjs and pharmacy_lapse.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Client } from './signalling-client.mjs';
import {
  AMLODIPINE, METFORMIN, envelopeVerifies, item, qrOf, readyRx, setStock, stockOf, world,
} from './pharmacy-helpers.mjs';

let srv, w;
const secrets = [];

before(async () => {
  srv = await startServer();
  w = await world(srv);
});
after(async () => { await srv?.stop(); });

const api = (method, p, user, body, headers) => srv.api(method, p, { token: w.tok[user], body, headers });
const P = (rx, what = '') => `/api/v1/pharmacy/prescriptions/${rx}${what}`;

async function claim(user, rx) {
  const r = await api('POST', P(rx, '/claim'), user);
  if (r.body?.claim?.secret) secrets.push(r.body.claim.secret);
  return r;
}

test('the patient picks a pharmacy: pickup list nearest first with every item in stock, opening hours', async () => {
  const rx = await readyRx(srv, w, [item(AMLODIPINE), item(METFORMIN, { quantity: 1, days: 7, daily_units: 2, dose: '0.5 g 口服 每日两次' })]);
  const r = await api('GET', `/api/v1/prescriptions/${rx}/pharmacies?mode=pickup&limit=50`, 'patient1');
  assert.equal(r.status, 200, r.text);
  const list = r.body.pharmacies;
  assert.ok(list.length > 5);
  for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].distance_m <= list[i].distance_m, 'nearest first');
  for (const p of list) {
    assert.equal(p.in_stock, true);
    assert.match(p.opens, /^\d\d:\d\d$/);
    assert.equal(typeof p.open_now, 'boolean');
  }
  const d = await api('GET', `/api/v1/prescriptions/${rx}/pharmacies?mode=delivery`, 'patient1');
  assert.equal(d.status, 200, d.text);
  assert.ok(d.body.pharmacies.length > 0, 'someone delivers to 坪山');
  assert.ok(d.body.pharmacies.every((p) => p.delivers));
  assert.ok(d.body.pharmacies.some((p) => p.id === w.pharmacy.pharmacy1), 'pharmacy1 delivers in 坪山');
  // only the patient, only their own
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/pharmacies`, 'patient2')).status, 404);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/pharmacies`, 'pharmacy1')).status, 403);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/pharmacies?mode=fly`, 'patient1')).status, 400);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/pharmacies?lat=22.7`, 'patient1')).status, 400);
});

test('dispatch → the console is told over WebSocket, queue, claim with a secret, partial dispense, complete, receipt', async () => {
  const ws1 = await Client.open(srv, w.tok.pharmacy1);
  const ws2 = await Client.open(srv, w.tok.pharmacy2);
  try {
    const rx = await readyRx(srv, w, [item(AMLODIPINE, { quantity: 2, days: 28, daily_units: 2 })], { kind: 'chronic', chronic_reason: '高血压病情稳定' });
    const t0 = Date.now();
    const d = await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1', { mode: 'pickup', pharmacy_id: w.pharmacy.pharmacy1 });
    assert.equal(d.status, 201, d.text);
    assert.equal(d.body.dispatch.state, 'open');
    const ev = await ws1.waitEvent('pharmacy.dispatched', (x) => x.prescription_id === rx, 1000);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(ev.data.mode, 'pickup');
    assert.equal(ws2.seen('pharmacy.dispatched').length, 0, 'another pharmacy is not told');
    // the same choice again: nothing new
    assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1', { mode: 'pickup', pharmacy_id: w.pharmacy.pharmacy1 })).status, 200);

    const q = await api('GET', '/api/v1/pharmacy/queue?limit=10', 'pharmacy1');
    assert.equal(q.status, 200, q.text);
    const row = q.body.items.find((x) => x.prescription_id === rx);
    assert.ok(row);
    assert.match(row.patient.name_masked, /\*\*$/);
    assert.equal((await api('GET', '/api/v1/pharmacy/queue', 'pharmacy2')).body.items.some((x) => x.prescription_id === rx), false);
    // detail with the doctor's signature checked (and checkable again here)
    const g = await api('GET', P(rx), 'pharmacy1');
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.prescription.signature.verified, true);
    assert.ok(envelopeVerifies(g.body.prescription.envelope));
    assert.equal(g.body.prescription.access_code, undefined);
    assert.equal((await api('GET', P(rx), 'pharmacy2')).status, 404, 'not dispatched there');

    const before = await stockOf(srv, w, 'pharmacy1', AMLODIPINE);
    const c = await claim('pharmacy1', rx);
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.claim.state, 'in_progress');
    assert.equal(c.headers.get('cache-control'), 'no-store');
    const secret = c.body.claim.secret;
    assert.equal(secret.length, 43);
    const again = await claim('pharmacy1', rx);
    assert.equal(again.status, 200);
    assert.equal(again.body.claim.secret, secret, 'the same pharmacy gets its secret again');
    // partial: 1 of 2 packs
    const d1 = await api('POST', P(rx, '/dispense'), 'pharmacy1', { secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': `p-${rx}-1` });
    assert.equal(d1.status, 201, d1.text);
    assert.equal(d1.body.dispense.complete, false);
    const over = await api('POST', P(rx, '/dispense'), 'pharmacy1', { secret, items: [{ line: 1, quantity: 2 }] }, { 'idempotency-key': `p-${rx}-2` });
    assert.equal(over.status, 422);
    assert.equal(over.body.error.code, 'rx.over_prescribed');
    assert.equal(await stockOf(srv, w, 'pharmacy1', AMLODIPINE), before - 1);
    const done = await api('POST', P(rx, '/complete'), 'pharmacy1', { secret });
    assert.equal(done.status, 200, done.text);
    const receipt = done.body.receipt;
    assert.ok(envelopeVerifies(receipt.envelope), 'the receipt is signed by the server');
    assert.equal(receipt.document.items[0].quantity, 1);
    assert.equal(receipt.document.prescription_id, rx);
    assert.equal(receipt.document.pharmacy.id, w.pharmacy.pharmacy1);
    assert.match(receipt.document.prescription_signature_sha256, /^[0-9a-f]{64}$/);
    const twice = await api('POST', P(rx, '/complete'), 'pharmacy1', { secret });
    assert.equal(twice.status, 200);
    assert.equal(twice.body.receipt.id, receipt.id);
    // the patient sees it
    const pr = await api('GET', `/api/v1/prescriptions/${rx}/receipt`, 'patient1');
    assert.equal(pr.status, 200, pr.text);
    assert.equal(pr.body.id, receipt.id);
    assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/receipt`, 'patient2')).status, 404);
    const st = await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1');
    assert.equal(st.body.state, 'completed');
    assert.equal(st.body.receipt.id, receipt.id);
  } finally {
    await ws1.close();
    await ws2.close();
  }
});

test('acceptance 1: two pharmacies claim the same prescription at the same instant, 200 times', async () => {
  await setStock(srv, w, 'pharmacy3', AMLODIPINE, 1000);
  await setStock(srv, w, 'pharmacy4', AMLODIPINE, 1000);
  const wins = { pharmacy3: 0, pharmacy4: 0 };
  for (let round = 0; round < 200; round++) {
    const rx = await readyRx(srv, w);
    const qr = await qrOf(srv, w, rx);
    const queued = round % 2 === 1;
    if (queued) {
      const d = await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1', { mode: 'pickup', pharmacy_id: w.pharmacy.pharmacy3 });
      assert.equal(d.status, 201, d.text);
    }
    const go3 = () => (queued ? api('POST', P(rx, '/claim'), 'pharmacy3') : api('POST', '/api/v1/pharmacy/claims', 'pharmacy3', { qr }));
    const go4 = () => api('POST', '/api/v1/pharmacy/claims', 'pharmacy4', { qr });
    // both requests are on the wire before either answer; which leaves first is a coin toss
    const [a, b] = Math.random() < 0.5 ? await Promise.all([go3(), go4()]) : (await Promise.all([go4(), go3()])).reverse();
    const pair = [['pharmacy3', a], ['pharmacy4', b]];
    const won = pair.filter(([, r]) => r.status === 201);
    const lost = pair.filter(([, r]) => r.status !== 201);
    assert.equal(won.length, 1, `round ${round}: ${a.status} ${a.text} / ${b.status} ${b.text}`);
    assert.equal(lost[0][1].status, 409);
    assert.equal(lost[0][1].body.error.code, 'rx.already_claimed');
    const [winner, wr] = won[0];
    wins[winner]++;
    secrets.push(wr.body.claim.secret);
    const dr = await api('POST', P(rx, '/dispense'), winner, { secret: wr.body.claim.secret, items: [{ line: 1, quantity: 1 }] },
      { 'idempotency-key': `race-${round}` });
    assert.equal(dr.status, 201, dr.text);
    // the loser holds no claim: it cannot dispense even with the winner's secret
    const lr = await api('POST', P(rx, '/dispense'), lost[0][0], { secret: wr.body.claim.secret, items: [{ line: 1, quantity: 1 }] },
      { 'idempotency-key': `race-${round}` });
    assert.ok(lr.status === 404 || lr.status === 403, lr.text);
  }
  const left = await stockOf(srv, w, 'pharmacy3', AMLODIPINE) + await stockOf(srv, w, 'pharmacy4', AMLODIPINE);
  assert.equal(left, 2000 - 200, 'stock moved exactly once per prescription');
  assert.ok(wins.pharmacy3 > 0 && wins.pharmacy4 > 0, `both won sometimes: ${JSON.stringify(wins)}`);
});

test('acceptance 2: the same dispense sent 5 times (2 in a row, then 3 at once) → one dispense, one decrement', async () => {
  const rx = await readyRx(srv, w);
  const qr = await qrOf(srv, w, rx);
  const c = await api('POST', '/api/v1/pharmacy/claims', 'pharmacy5', { qr });
  assert.equal(c.status, 201, c.text);
  const secret = c.body.claim.secret;
  secrets.push(secret);
  const before = await stockOf(srv, w, 'pharmacy5', AMLODIPINE);
  const send = () => api('POST', P(rx, '/dispense'), 'pharmacy5', { secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': 'dbl-click-1' });
  const r1 = await send();
  const r2 = await send();
  const rest = await Promise.all([send(), send(), send()]);
  assert.equal(r1.status, 201, r1.text);
  for (const r of [r2, ...rest]) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.dispense.dispense_id, r1.body.dispense.dispense_id);
    assert.equal(r.body.dispense.replayed, true);
  }
  assert.equal(await stockOf(srv, w, 'pharmacy5', AMLODIPINE), before - 1);
  const other = await api('POST', P(rx, '/dispense'), 'pharmacy5', { secret, items: [{ line: 1, quantity: 2 }] }, { 'idempotency-key': 'dbl-click-1' });
  assert.equal(other.status, 409);
  assert.equal(other.body.error.code, 'request.idempotency_key_reused');
  const nokey = await api('POST', P(rx, '/dispense'), 'pharmacy5', { secret, items: [{ line: 1, quantity: 1 }] });
  assert.equal(nokey.status, 400);
  assert.equal(nokey.body.error.code, 'request.idempotency_key_required');
  // completing also repeats safely, concurrently
  const done = await Promise.all([1, 2, 3].map(() => api('POST', P(rx, '/complete'), 'pharmacy5', { secret })));
  assert.ok(done.every((r) => r.status === 200 && r.body.receipt.id === done[0].body.receipt.id));
});

test('walk-in at a pharmacy the prescription was not dispatched to; the dispatched one is told', async () => {
  const ws6 = await Client.open(srv, w.tok.pharmacy6);
  try {
    const rx = await readyRx(srv, w);
    const qr = await qrOf(srv, w, rx);
    assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1', { mode: 'pickup', pharmacy_id: w.pharmacy.pharmacy6 })).status, 201);
    await ws6.waitEvent('pharmacy.dispatched', (x) => x.prescription_id === rx);
    const look = await api('POST', '/api/v1/pharmacy/lookup', 'pharmacy7', { qr });
    assert.equal(look.status, 200, look.text);
    assert.equal(look.body.prescription.signature.verified, true);
    const [id, code] = qr.split(':').slice(1);
    const c = await api('POST', '/api/v1/pharmacy/claims', 'pharmacy7', { id, access_code: code });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.claim.via, 'walk_in');
    secrets.push(c.body.claim.secret);
    const ev = await ws6.waitEvent('pharmacy.withdrawn', (x) => x.prescription_id === rx);
    assert.equal(ev.data.reason, 'claimed_elsewhere');
    const late = await claim('pharmacy6', rx);
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'rx.already_claimed');
    assert.equal((await api('GET', P(rx), 'pharmacy6')).status, 404);
  } finally {
    await ws6.close();
  }
});

test('release, wrong and foreign secrets, hostile codes, stock limits, roles', async () => {
  const rx = await readyRx(srv, w);
  const qr = await qrOf(srv, w, rx);
  const c8 = await api('POST', '/api/v1/pharmacy/claims', 'pharmacy8', { qr });
  secrets.push(c8.body.claim.secret);
  assert.equal((await api('POST', P(rx, '/release'), 'pharmacy8', { secret: 'x'.repeat(43) })).body.error.code, 'rx.secret_invalid');
  const rel = await api('POST', P(rx, '/release'), 'pharmacy8', { secret: c8.body.claim.secret, reason: '缺货' });
  assert.equal(rel.status, 200, rel.text);
  assert.equal((await api('POST', P(rx, '/release'), 'pharmacy8', { secret: c8.body.claim.secret })).body.repeat, true);
  const c7 = await api('POST', '/api/v1/pharmacy/claims', 'pharmacy7', { qr });
  assert.equal(c7.status, 201);
  secrets.push(c7.body.claim.secret);
  const foreign = await api('POST', P(rx, '/dispense'), 'pharmacy8', { secret: c7.body.claim.secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': 'f1' });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.body.error.code, 'rx.not_claimant');
  // hostile codes
  const garbage = await api('POST', '/api/v1/pharmacy/claims', 'pharmacy1', { qr: 'DROP TABLE prescriptions;' });
  assert.equal(garbage.status, 400);
  assert.equal(garbage.body.error.code, 'rx.code_malformed');
  const huge = await api('POST', '/api/v1/pharmacy/claims', 'pharmacy1', { qr: 'LYRX1:' + 'A'.repeat(5000) });
  assert.equal(huge.status, 413);
  const wrong = qr.slice(0, -2) + (qr.endsWith('AA') ? 'BA' : 'AA');
  assert.equal((await api('POST', '/api/v1/pharmacy/claims', 'pharmacy1', { qr: wrong })).status, 404);
  assert.equal((await api('POST', '/api/v1/pharmacy/claims', 'pharmacy1', { qr: 12 })).status, 400);
  // stock
  const neg = await api('PUT', `/api/v1/pharmacy/stock/${AMLODIPINE}`, 'pharmacy1', { quantity: -3 });
  assert.equal(neg.status, 400);
  assert.equal(neg.body.error.code, 'rx.stock_negative');
  assert.equal((await api('PUT', '/api/v1/pharmacy/stock/no-such-drug', 'pharmacy1', { quantity: 3 })).status, 404);
  const low = await api('PUT', `/api/v1/pharmacy/stock/${METFORMIN}`, 'pharmacy1', { quantity: 2, low_threshold: 10 });
  assert.equal(low.status, 200, low.text);
  const lows = await api('GET', '/api/v1/pharmacy/stock?low=1', 'pharmacy1');
  assert.ok(lows.body.items.some((x) => x.drug_id === METFORMIN && x.low));
  // roles
  assert.equal((await api('GET', '/api/v1/pharmacy/queue', 'patient1')).status, 403);
  assert.equal((await api('GET', '/api/v1/pharmacy/queue', 'doctor1')).status, 403);
  assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'pharmacy1', { mode: 'pickup', pharmacy_id: w.pharmacy.pharmacy1 })).status, 403);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'patient2')).status, 404);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'supervisor')).status, 200);
  assert.equal((await api('GET', '/api/v1/pharmacy/queue?cursor=%27;--', 'pharmacy1')).status, 400);
});

test('secrets and access codes never reach the log', async () => {
  const log = srv.logText();
  assert.ok(secrets.length > 200);
  for (const s of secrets) assert.equal(log.includes(s), false, 'a claim secret is in the log');
  const rx = await readyRx(srv, w);
  const code = (await qrOf(srv, w, rx)).split(':')[2];
  await api('POST', '/api/v1/pharmacy/claims', 'pharmacy1', { qr: `LYRX1:${rx}:${code}` });
  assert.equal(srv.logText().includes(code), false, 'an access code is in the log');
});
