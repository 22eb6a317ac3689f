// Family-doctor contracts, down-referral into the patient's health
// management, and remote-consultation requests over HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CARDIOLOGY, ENDOCRINOLOGY, logins, caller, signContract, upBody, downBody, create, mustAct } from './referral-helpers.mjs';

let srv, call, ids, pid;

before(async () => {
  srv = await startServer();
  const l = await logins(srv, ['doctor1', 'doctor2', 'specialist1', 'specialist2', 'specialist4', 'patient1', 'patient3',
    'supervisor', 'admin']);
  call = caller(srv, l.tokens);
  ids = l.ids;
  pid = l.patientIds;
});
after(async () => { await srv?.stop(); });

test('family doctor: choose a GP, switch (the old contract ends), end; the GP console lists conditions and plans', async () => {
  const gps = await call('patient3', 'GET', '/api/v1/family-doctors');
  assert.equal(gps.status, 200, gps.text);
  assert.ok(gps.body.items.length >= 37, 'every community centre has a GP');
  assert.ok(gps.body.items.every((g) => g.facility_id.startsWith('cc-')));
  let r = await call('patient3', 'PUT', '/api/v1/me/family-doctor', { doctor_id: ids.specialist1 });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.code, 'referral.contract_gp_only');
  r = await call('doctor1', 'PUT', '/api/v1/me/family-doctor', { doctor_id: ids.doctor1 });
  assert.equal(r.status, 403, r.text);
  let fd = await signContract(call, 'patient3', ids.doctor1);
  assert.equal(fd.contract.doctor_id, ids.doctor1);
  assert.equal(fd.switched, false);
  fd = await signContract(call, 'patient3', ids.doctor2);
  assert.equal(fd.switched, true);
  assert.equal(fd.contract.doctor_id, ids.doctor2);
  assert.equal(fd.history.length, 2);
  assert.equal(fd.history.find((h) => h.doctor_id === ids.doctor1).end_reason, 'switched');
  const d1 = await call('doctor1', 'GET', '/api/v1/contracts');
  assert.ok(!d1.body.items.some((p) => p.patient_id === pid.patient3));
  const d2 = await call('doctor2', 'GET', '/api/v1/contracts');
  assert.ok(d2.body.items.some((p) => p.patient_id === pid.patient3));
  // the old GP may not end it; the patient may
  assert.equal((await call('doctor1', 'POST', `/api/v1/contracts/${pid.patient3}/end`, {})).status, 403);
  assert.equal((await call('patient3', 'DELETE', '/api/v1/me/family-doctor', { reason: '搬家' })).status, 204);
  assert.equal((await call('patient3', 'GET', '/api/v1/me/family-doctor')).body.contract, null);
  assert.equal((await call('patient3', 'DELETE', '/api/v1/me/family-doctor')).status, 404);
  // patient1's GP sees their chronic conditions
  await signContract(call, 'patient1', ids.doctor1);
  const list = await call('doctor1', 'GET', '/api/v1/contracts');
  const p1 = list.body.items.find((p) => p.patient_id === pid.patient1);
  assert.ok(p1, JSON.stringify(list.body));
  assert.deepEqual(p1.conditions.map((c) => c.icd10).sort(), ['E11.9', 'I10']);
  assert.equal(typeof p1.open_alerts, 'number');
  assert.equal((await call('patient1', 'GET', '/api/v1/contracts')).status, 403);
});

test('down-referral: the GP accepts and the care plan appears in the patient\'s health management', async () => {
  await signContract(call, 'patient1', ids.doctor1);
  // the hospital knows the patient through an up-referral to its department
  const up = await create(call, 'doctor1', upBody(pid.patient1));
  await mustAct(call, 'specialist1', up.id, 'accept');
  // no GP named: the family doctor receives it
  const down = await create(call, 'specialist1', downBody(pid.patient1, undefined));
  assert.equal(down.to_doctor_id, ids.doctor1);
  assert.equal(down.to_facility_id, 'cc-pingshan');
  assert.equal(down.plan_targets[0].kind, 'bp');
  const incoming = await call('doctor1', 'GET', '/api/v1/referrals?box=incoming&direction=down');
  assert.ok(incoming.body.items.some((i) => i.id === down.id));
  const before = await call('patient1', 'GET', `/api/v1/patients/${pid.patient1}/care-plans`);
  assert.equal(before.status, 200, before.text);
  const accepted = await mustAct(call, 'doctor1', down.id, 'accept');
  assert.match(accepted.care_plan_id, /^plan_/);
  const plans = await call('patient1', 'GET', `/api/v1/patients/${pid.patient1}/care-plans`);
  const body = Array.isArray(plans.body) ? plans.body : plans.body.items ?? plans.body.care_plans;
  assert.equal(body.length, (Array.isArray(before.body) ? before.body : before.body.items ?? before.body.care_plans)
    .length + 1);
  const plan = body.find((p) => p.id === accepted.care_plan_id);
  assert.ok(plan, JSON.stringify(plans.body));
  assert.equal(plan.follow_up_days, 14);
  assert.equal(plan.doctor_id, ids.doctor1, 'the plan is the family doctor\'s');
  const gp = await call('doctor1', 'GET', '/api/v1/contracts');
  assert.ok(gp.body.items.find((p) => p.patient_id === pid.patient1).active_plans >= 1);
  const done = await mustAct(call, 'doctor1', down.id, 'complete');
  assert.equal(done.state, 'completed');
});

test('remote consultation: request, the department accepts and schedules a three-party call', async () => {
  await signContract(call, 'patient1', ids.doctor1);
  const q = { patient_id: pid.patient1, department_id: CARDIOLOGY, icd10: 'I25.1', question: '活动后胸闷两周，心电图 ST 段压低',
    location: 'centre' };
  let r = await call('specialist1', 'POST', '/api/v1/remote-consultations', { ...q, department_id: ENDOCRINOLOGY });
  assert.ok([403, 422].includes(r.status), r.text);
  r = await call('doctor1', 'POST', '/api/v1/remote-consultations', { ...q, location: 'bus' });
  assert.equal(r.status, 400, r.text);
  r = await call('doctor1', 'POST', '/api/v1/remote-consultations', q);
  assert.equal(r.status, 201, r.text);
  const id = r.body.remote_consultation.id;
  const inbox = await call('specialist2', 'GET', '/api/v1/remote-consultations');
  assert.ok(inbox.body.items.some((i) => i.id === id));
  r = await call('specialist4', 'POST', `/api/v1/remote-consultations/${id}/accept`, {});
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.error.code, 'referral.other_department');
  r = await call('specialist2', 'POST', `/api/v1/remote-consultations/${id}/accept`, {});
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.remote_consultation.specialist_id, ids.specialist2);
  r = await call('specialist1', 'POST', `/api/v1/remote-consultations/${id}/schedule`, { at: Date.now() + 3600e3 });
  assert.equal(r.status, 403, r.text, 'only the specialist who accepted');
  r = await call('specialist2', 'POST', `/api/v1/remote-consultations/${id}/schedule`, { at: Date.now() + 3600e3 });
  assert.equal(r.status, 200, r.text);
  const rc = r.body.remote_consultation;
  assert.equal(rc.state, 'scheduled');
  assert.match(rc.consultation_id, /^con_/);
  // the call: a consultation of kind remote_consultation, specialist as its doctor, visible to all three
  for (const user of ['patient1', 'specialist2']) {
    const c = await call(user, 'GET', `/api/v1/consultations/${rc.consultation_id}`);
    assert.equal(c.status, 200, `${user}: ${c.text}`);
    assert.equal(c.body.consultation.kind, 'remote_consultation');
    assert.equal(c.body.consultation.doctor.id, ids.specialist2);
  }
  // no opinion before the call took place, no one-click referral before the opinion
  r = await call('specialist2', 'POST', `/api/v1/remote-consultations/${id}/opinion`, { opinion: '考虑冠心病' });
  assert.ok(r.status >= 400, r.text);
  r = await call('doctor1', 'POST', `/api/v1/remote-consultations/${id}/refer-up`, { urgency: 'urgent' });
  assert.equal(r.status, 409, r.text);
  const seen = await call('patient1', 'GET', `/api/v1/remote-consultations/${id}`);
  assert.equal(seen.status, 200, seen.text);
  // the GP may cancel, and the call is cancelled with it
  r = await call('specialist2', 'POST', `/api/v1/remote-consultations/${id}/cancel`, {});
  assert.equal(r.status, 403, r.text);
  r = await call('doctor1', 'POST', `/api/v1/remote-consultations/${id}/cancel`, { reason: '患者已住院' });
  assert.equal(r.status, 200, r.text);
  const c = await call('patient1', 'GET', `/api/v1/consultations/${rc.consultation_id}`);
  assert.equal(c.body.consultation.state, 'cancelled');
});
