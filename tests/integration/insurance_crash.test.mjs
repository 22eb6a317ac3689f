// SIGKILL in the middle of a stream of settlements (single and batched):
// after a restart every acknowledged settlement is there, nothing is half
// written, and the reconciliation check finds no difference.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';

let srv;
after(async () => { await srv?.stop(); });

const body = (patientId, encounter) => ({
  patient_id: patientId, facility_id: 'cc-pingshan', encounter_type: 'dispense', encounter_id: encounter,
  service_at: Date.now() - 60e3, doctor_title: 'gp',
  items: [{ kind: 'fee', code: '110200001' }, { kind: 'drug', code: 'drug-amlodipine-5mg-tab', quantity: 1 }],
});

test('kill -9 during settlements loses nothing acknowledged and leaves no partial settlement', async (t) => {
  srv = await startServer();
  const [admin, patient] = await Promise.all([srv.login('admin'), srv.login('patient1')]);
  const probe = await srv.api('POST', '/api/v1/claims/estimate', { token: patient, body: body(undefined, 'probe') });
  assert.equal(probe.status, 200, probe.text);
  const pid = probe.body.claim.patient_id;

  const acked = [];
  let stop = false, n = 0;
  const worker = async (w) => {
    while (!stop) {
      const k = n++;
      try {
        if (k % 5 === 0) { // a batch of 8 in one commit
          const claims = Array.from({ length: 8 }, (_, i) => body(pid, `crash-${w}-${k}-${i}`));
          const r = await srv.api('POST', '/api/v1/claims/batch', { token: admin, body: { claims } });
          if (r.status === 200) for (const x of r.body.results) if (x.status === 201) acked.push(x.claim.id);
        } else {
          const r = await srv.api('POST', '/api/v1/claims', { token: admin, body: body(pid, `crash-${w}-${k}`) });
          if (r.status === 201) acked.push(r.body.claim.id);
        }
      } catch { return; } // the connection died with the server
    }
  };
  const workers = Array.from({ length: 6 }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, 1500));
  const killed = await srv.kill();
  stop = true;
  await Promise.all(workers);
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(acked.length > 20, `only ${acked.length} settlements were acknowledged before the kill`);

  t.diagnostic(`${acked.length} settlements acknowledged before SIGKILL`);
  await srv.start();
  const token = await srv.login('admin');
  for (const id of acked) {
    const r = await srv.api('GET', `/api/v1/claims/${id}`, { token });
    assert.equal(r.status, 200, `acknowledged ${id} is missing after the crash`);
    assert.equal(r.body.claim.status, 'settled');
  }
  const day = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const s = await srv.api('GET', `/api/v1/claims/statements?date=${day}&check=1`, { token });
  assert.equal(s.status, 200, s.text);
  assert.equal(s.body.check.ok, true, JSON.stringify(s.body.check.diffs));
  assert.ok(s.body.totals.settled.count >= acked.length);
});
