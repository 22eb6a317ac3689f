// A dispatch lapses (issue 7 acceptance 3): with --dispatch-deadline-s 1, a
// pharmacy that does not claim in time loses the prescription back to the
// pool; its console and the patient are told; the patient chooses again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Client, sleep } from './signalling-client.mjs';
import { readyRx, world } from './pharmacy-helpers.mjs';

let srv, w;
before(async () => {
  srv = await startServer({ args: ['--dispatch-deadline-s', '1'] });
  w = await world(srv);
});
after(async () => { await srv?.stop(); });

const api = (method, p, user, body) => srv.api(method, p, { token: w.tok[user], body });

test('not claimed within the deadline: back to the pool, console and patient told, choose again', async () => {
  const console1 = await Client.open(srv, w.tok.pharmacy1);
  const patient = await Client.open(srv, w.tok.patient1);
  try {
    const rx = await readyRx(srv, w);
    const d = await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1', { mode: 'pickup', pharmacy_id: w.pharmacy.pharmacy1 });
    assert.equal(d.status, 201, d.text);
    assert.equal(d.body.dispatch.deadline_at - d.body.dispatch.created_at, 1000);
    await console1.waitEvent('pharmacy.dispatched', (x) => x.prescription_id === rx);
    const gone = await console1.waitEvent('pharmacy.withdrawn', (x) => x.prescription_id === rx, 4000);
    assert.equal(gone.data.reason, 'lapsed');
    const told = await patient.waitEvent('rx.dispatch_changed', (x) => x.prescription_id === rx && x.what === 'dispatch_lapsed', 4000);
    assert.equal(told.data.state, 'ready');
    const q = await api('GET', '/api/v1/pharmacy/queue', 'pharmacy1');
    assert.equal(q.body.items.some((x) => x.prescription_id === rx), false);
    const late = await api('POST', `/api/v1/pharmacy/prescriptions/${rx}/claim`, 'pharmacy1');
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'rx.dispatch_lapsed');
    const notices = await api('GET', '/api/v1/me/notices', 'patient1');
    assert.ok(JSON.stringify(notices.body).includes('rx.dispatch_lapsed'), notices.text);
    const st = await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1');
    assert.equal(st.body.state, 'ready');
    assert.equal(st.body.dispatch.state, 'lapsed');
    // choose again, and this time claim in time
    assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1', { mode: 'pickup', pharmacy_id: w.pharmacy.pharmacy2 })).status, 201);
    const c = await api('POST', `/api/v1/pharmacy/prescriptions/${rx}/claim`, 'pharmacy2');
    assert.equal(c.status, 201, c.text);
    await sleep(1500);
    assert.equal((await api('GET', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1')).body.state, 'in_progress', 'a claim does not lapse');
  } finally {
    await console1.close();
    await patient.close();
  }
});
