// Delivery over the real binary (issue 7 acceptance 3): preparing →
// out_for_delivery → delivered with the patient's 6-digit code; five wrong
// codes lock it and even the right code is refused until the patient resets
// it; the failure path goes back to the pharmacy (send again, or release and
// restock). The patient's page is told of each step over the WebSocket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Client } from './signalling-client.mjs';
import { AMLODIPINE, readyRx, stockOf, world } from './pharmacy-helpers.mjs';

let srv, w;
before(async () => {
  srv = await startServer();
  w = await world(srv);
});
after(async () => { await srv?.stop(); });

const api = (method, p, user, body, headers) => srv.api(method, p, { token: w.tok[user], body, headers });
const P = (rx, what = '') => `/api/v1/pharmacy/prescriptions/${rx}${what}`;

// A prescription dispatched for delivery to pharmacy1, claimed and fully dispensed.
async function packed() {
  const rx = await readyRx(srv, w);
  const d = await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1',
    { mode: 'delivery', pharmacy_id: w.pharmacy.pharmacy1, address: '坪山大道 1 号 3 栋 201' });
  assert.equal(d.status, 201, d.text);
  const c = await api('POST', P(rx, '/claim'), 'pharmacy1');
  assert.equal(c.status, 201, c.text);
  assert.equal(c.body.claim.mode, 'delivery');
  assert.equal(c.body.claim.delivery.state, 'preparing');
  assert.equal(c.body.claim.delivery.address, '坪山大道 1 号 3 栋 201');
  assert.equal(c.body.claim.delivery.code, undefined, 'the pharmacy never sees the code');
  const secret = c.body.claim.secret;
  const nothing = await api('POST', P(rx, '/delivery/out'), 'pharmacy1', { secret });
  assert.equal(nothing.status, 409);
  assert.equal(nothing.body.error.code, 'rx.nothing_dispensed');
  const ds = await api('POST', P(rx, '/dispense'), 'pharmacy1', { secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': `dl-${rx}` });
  assert.equal(ds.status, 201, ds.text);
  return { rx, secret };
}

const codeOf = async (rx) => (await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1')).body.delivery.code;

test('wrong code ×5 locks the delivery; the right code is refused until the patient resets it', async () => {
  const patientWs = await Client.open(srv, w.tok.patient1);
  try {
    const { rx, secret } = await packed();
    const pending = await api('POST', P(rx, '/complete'), 'pharmacy1', { secret });
    assert.equal(pending.status, 409);
    assert.equal(pending.body.error.code, 'rx.delivery_pending');
    const out = await api('POST', P(rx, '/delivery/out'), 'pharmacy1', { secret });
    assert.equal(out.status, 200, out.text);
    assert.equal(out.body.delivery.state, 'out_for_delivery');
    assert.equal((await api('POST', P(rx, '/delivery/out'), 'pharmacy1', { secret })).status, 200, 'a repeat is fine');
    await patientWs.waitEvent('rx.dispatch_changed', (x) => x.prescription_id === rx && x.what === 'out_for_delivery');
    const code = await codeOf(rx);
    assert.match(code, /^\d{6}$/);
    const wrong = String((Number(code) + 1) % 1000000).padStart(6, '0');
    for (let i = 1; i <= 4; i++) {
      const r = await api('POST', P(rx, '/delivery/deliver'), 'pharmacy1', { secret, code: wrong });
      assert.equal(r.status, 422, r.text);
      assert.equal(r.body.error.code, 'rx.delivery_code_wrong');
    }
    const fifth = await api('POST', P(rx, '/delivery/deliver'), 'pharmacy1', { secret, code: wrong });
    assert.equal(fifth.status, 429);
    assert.equal(fifth.body.error.code, 'rx.delivery_locked');
    const right = await api('POST', P(rx, '/delivery/deliver'), 'pharmacy1', { secret, code });
    assert.equal(right.status, 429, 'locked: even the right code is refused');
    assert.equal(right.body.error.code, 'rx.delivery_locked');
    assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/delivery/reset-code`, 'patient2')).status, 404);
    assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/delivery/reset-code`, 'pharmacy1')).status, 403);
    const reset = await api('POST', `/api/v1/prescriptions/${rx}/delivery/reset-code`, 'patient1');
    assert.equal(reset.status, 200, reset.text);
    assert.equal(reset.body.delivery.locked, false);
    const fresh = reset.body.delivery.code;
    assert.match(fresh, /^\d{6}$/);
    const ok = await api('POST', P(rx, '/delivery/deliver'), 'pharmacy1', { secret, code: fresh });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.receipt.document.mode, 'delivery');
    const again = await api('POST', P(rx, '/delivery/deliver'), 'pharmacy1', { secret, code: fresh });
    assert.equal(again.status, 200);
    assert.equal(again.body.receipt.id, ok.body.receipt.id);
    await patientWs.waitEvent('rx.dispatch_changed', (x) => x.prescription_id === rx && x.what === 'delivered');
    const st = await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1');
    assert.equal(st.body.state, 'completed');
    assert.equal(st.body.delivery.state, 'delivered');
    assert.ok(!srv.logText().includes(`"${fresh}"`), 'the delivery code is not logged');
  } finally {
    await patientWs.close();
  }
});

test('delivery failure: back to the pharmacy, sent again, failed again, released and restocked', async () => {
  const before = await stockOf(srv, w, 'pharmacy1', AMLODIPINE);
  const { rx, secret } = await packed();
  assert.equal(await stockOf(srv, w, 'pharmacy1', AMLODIPINE), before - 1);
  assert.equal((await api('POST', P(rx, '/delivery/fail'), 'pharmacy1', { secret, reason: '无人' })).status, 409, 'not out yet');
  assert.equal((await api('POST', P(rx, '/delivery/out'), 'pharmacy1', { secret })).status, 200);
  assert.equal((await api('POST', P(rx, '/delivery/fail'), 'pharmacy1', { secret })).status, 400, 'a reason is required');
  const f = await api('POST', P(rx, '/delivery/fail'), 'pharmacy1', { secret, reason: '电话无人接听' });
  assert.equal(f.status, 200, f.text);
  assert.equal(f.body.delivery.state, 'failed');
  assert.equal(f.body.delivery.failed_reason, '电话无人接听');
  const code = await codeOf(rx);
  assert.equal((await api('POST', P(rx, '/delivery/deliver'), 'pharmacy1', { secret, code })).status, 409);
  assert.equal((await api('POST', P(rx, '/release'), 'pharmacy2', { secret })).status, 404, 'not its prescription');
  assert.equal((await api('POST', P(rx, '/delivery/out'), 'pharmacy1', { secret })).body.delivery.state, 'out_for_delivery');
  assert.equal((await api('POST', P(rx, '/delivery/fail'), 'pharmacy1', { secret, reason: '地址错误' })).status, 200);
  const rel = await api('POST', P(rx, '/release'), 'pharmacy1', { secret, reason: '配送失败，退回' });
  assert.equal(rel.status, 200, rel.text);
  assert.equal(await stockOf(srv, w, 'pharmacy1', AMLODIPINE), before, 'what went out came back');
  const st = await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1');
  assert.equal(st.body.state, 'ready', 'the patient may choose again');
  const ev = st.body.delivery.events.map((e) => e.action);
  assert.deepEqual(ev.filter((a) => a !== 'start'), ['out', 'fail', 'out', 'fail']);
});
