// What the records and prescription screens need beyond the domain API:
// ICD-10 condition search, the patient's own record id in /api/v1/me, and
// the patient (who, and their other prescriptions) beside each item of the
// pharmacist's review queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { draft, endedConsultation, logins } from './rx-helpers.mjs';

let srv, tok, id;
before(async () => {
  srv = await startServer();
  ({ tok, id } = await logins(srv, ['patient1', 'doctor1', 'pharmacist1']));
});
after(async () => { await srv?.stop(); });

const api = (method, p, user, body) => srv.api(method, p, { token: tok[user], body });

test('GET /api/v1/conditions: code prefix first, names in both languages, bad input refused', async () => {
  const code = await api('GET', '/api/v1/conditions?q=i1', 'doctor1');
  assert.equal(code.status, 200, code.text);
  assert.equal(code.body.conditions[0].icd10, 'I10');
  assert.equal(code.body.conditions[0].chronic, true);
  const zh = await api('GET', `/api/v1/conditions?q=${encodeURIComponent('糖尿病')}`, 'patient1');
  assert.ok(zh.body.conditions.some((c) => c.icd10.startsWith('E11')));
  const en = await api('GET', '/api/v1/conditions?q=hypertension&limit=1', 'doctor1');
  assert.equal(en.body.conditions.length, 1);
  const like = await api('GET', '/api/v1/conditions?q=%25', 'doctor1');
  assert.deepEqual(like.body.conditions, [], 'LIKE wildcards are literal');
  assert.equal((await api('GET', '/api/v1/conditions', 'doctor1')).status, 400);
  assert.equal((await api('GET', `/api/v1/conditions?q=${'x'.repeat(65)}`, 'doctor1')).status, 400);
  assert.equal((await srv.api('GET', '/api/v1/conditions?q=I10')).status, 401);
});

test('GET /api/v1/me names a patient their record; other roles have none', async () => {
  const me = await api('GET', '/api/v1/me', 'patient1');
  assert.match(me.body.account.patient_id, /^pat_/);
  const own = await api('GET', `/api/v1/patients/${me.body.account.patient_id}/vitals`, 'patient1');
  assert.equal(own.status, 200);
  assert.equal((await api('GET', '/api/v1/me', 'doctor1')).body.account.patient_id, undefined);
});

test('review queue: each item carries the patient and their other signed prescriptions', async () => {
  const cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1');
  const ids = [];
  for (let i = 0; i < 2; i++) {
    const c = await api('POST', '/api/v1/prescriptions', 'doctor1', draft(cons));
    assert.equal(c.status, 201, c.text);
    assert.equal((await api('POST', `/api/v1/prescriptions/${c.body.prescription.id}/sign`, 'doctor1')).status, 200);
    ids.push(c.body.prescription.id);
  }
  const q = (await api('GET', '/api/v1/pharmacist/review-queue', 'pharmacist1')).body.queue;
  const item = q.find((x) => x.id === ids[1]);
  assert.ok(item);
  assert.equal(item.patient.name, cons.patient.name);
  assert.match(item.patient.birth_date, /^\d{4}-\d{2}-\d{2}$/);
  const other = item.history.find((x) => x.id === ids[0]);
  assert.ok(other, 'the other prescription is in the history');
  assert.equal(other.state, 'pending_review');
  assert.ok(!item.history.some((x) => x.id === ids[1]), 'not itself');
  assert.match(other.drugs, /氨氯地平/);
});
