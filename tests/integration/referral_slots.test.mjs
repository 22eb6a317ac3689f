// Reserved appointment slots over HTTP: 50 concurrent urgent referrals for a
// department with 10 reserved slots — exactly 10 scheduled, the rest told
// there is no reserved slot, no slot given twice; slot calendar and policy;
// referred patients go first in the department's online queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { ENDOCRINOLOGY, CARDIOLOGY, DAY, logins, caller, signContract, publishSlots, upBody, act } from './referral-helpers.mjs';

let srv, call, ids, pid;

before(async () => {
  srv = await startServer();
  const l = await logins(srv, ['doctor1', 'specialist1', 'specialist4', 'specialist5', 'patient1', 'patient2', 'admin',
    'supervisor']);
  call = caller(srv, l.tokens);
  ids = l.ids;
  pid = l.patientIds;
  await signContract(call, 'patient1', ids.doctor1);
});
after(async () => { await srv?.stop(); });

test('50 concurrent urgent referrals, 10 reserved slots: exactly 10 scheduled, 40 told no reserved slot', async () => {
  const pub = await publishSlots(call, 'specialist4', ENDOCRINOLOGY, 50, { startDay: 3, minutes: 15 });
  assert.deepEqual(pub, { published: 50, reserved: 10 }, 'the default share is 20 %');
  const body = upBody(pid.patient1, { to_department_id: ENDOCRINOLOGY, urgency: 'urgent', icd10: 'E11.9',
    reason: '血糖控制差，糖化血红蛋白 10.2%' });
  // each chain: the GP refers, the department accepts and schedules — all 50 at once
  const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const c = await call('doctor1', 'POST', '/api/v1/referrals', body);
    assert.equal(c.status, 201, c.text);
    const id = c.body.referral.id;
    const acc = await act(call, i % 2 ? 'specialist4' : 'specialist5', id, 'accept');
    assert.equal(acc.status, 200, acc.text);
    return act(call, i % 2 ? 'specialist5' : 'specialist4', id, 'schedule');
  }));
  const ok = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status !== 200);
  assert.equal(ok.length, 10);
  assert.equal(refused.length, 40);
  for (const r of refused) {
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'referral.no_reserved_slot');
    assert.ok(r.body.error.message.length > 10);
  }
  const slots = ok.map((r) => r.body.referral.slot.id);
  assert.equal(new Set(slots).size, 10, 'no slot given twice');
  assert.ok(ok.every((r) => r.body.referral.state === 'scheduled' && r.body.referral.slot.reserved === 1));
  assert.ok(ok.every((r) => r.body.referral.scheduled_for === r.body.referral.slot.starts_at));
  // the calendar agrees: the 10 reserved slots are taken, the 40 others are free
  const cal = await call('specialist4', 'GET', `/api/v1/departments/${ENDOCRINOLOGY}/slots?to=${Date.now() + 10 * DAY}`);
  assert.equal(cal.status, 200, cal.text);
  assert.equal(cal.body.slots.length, 50);
  const taken = cal.body.slots.filter((s) => s.taken);
  assert.equal(taken.length, 10);
  assert.ok(taken.every((s) => s.reserved && slots.includes(s.id) && s.referral_id));
  assert.equal(cal.body.slots.filter((s) => s.reserved && !s.taken).length, 0);
  // the refused ones are still accepted: a named free slot can be given, a taken one cannot
  const waiting = refused.length;
  assert.equal(waiting, 40);
  const list = await call('specialist4', 'GET', '/api/v1/referrals?box=incoming&state=accepted&limit=200');
  assert.equal(list.body.items.length, 40);
  const one = list.body.items[0].id;
  let r = await act(call, 'specialist4', one, 'schedule', { slot_id: taken[0].id });
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.error.code, 'referral.slot_taken');
  const free = cal.body.slots.find((s) => !s.taken);
  r = await act(call, 'specialist4', one, 'schedule', { slot_id: free.id });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.referral.slot.id, free.id);
  r = await act(call, 'specialist4', list.body.items[1].id, 'schedule', { slot_id: free.id });
  assert.equal(r.status, 409, r.text);
  // cancelling frees the slot for the next one
  const cancelled = await act(call, 'doctor1', one, 'cancel', { reason: '患者改约' });
  assert.equal(cancelled.status, 200, cancelled.text);
  r = await act(call, 'specialist4', list.body.items[1].id, 'schedule', { slot_id: free.id });
  assert.equal(r.status, 200, r.text);
});

test('slots: only the department publishes; the share is configurable; bad input is refused', async () => {
  let r = await call('specialist1', 'POST', `/api/v1/departments/${ENDOCRINOLOGY}/slots`,
    { starts_at: Date.now() + 20 * DAY, minutes: 10, count: 5 });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.error.code, 'referral.not_department_staff');
  r = await call('patient1', 'POST', `/api/v1/departments/${ENDOCRINOLOGY}/slots`,
    { starts_at: Date.now() + 20 * DAY, minutes: 10, count: 5 });
  assert.equal(r.status, 403, r.text);
  r = await call('specialist4', 'POST', `/api/v1/departments/${ENDOCRINOLOGY}/slots`,
    { starts_at: Date.now() - DAY, minutes: 10, count: 5 });
  assert.equal(r.status, 400, r.text);
  r = await call('specialist4', 'POST', `/api/v1/departments/${ENDOCRINOLOGY}/slots`,
    { starts_at: Date.now() + 20 * DAY, minutes: 10, count: 500 });
  assert.equal(r.status, 400, r.text);
  r = await call('specialist4', 'PUT', `/api/v1/departments/${ENDOCRINOLOGY}/slot-policy`, { reserved_percent: 50 });
  assert.equal(r.status, 200, r.text);
  const half = await publishSlots(call, 'specialist4', ENDOCRINOLOGY, 10, { startDay: 30 });
  assert.equal(half.reserved, 5);
  const t = Date.now() + 40 * DAY;
  const first = await call('specialist4', 'POST', `/api/v1/departments/${ENDOCRINOLOGY}/slots`,
    { starts_at: t, minutes: 10, count: 3 });
  assert.equal(first.status, 201, first.text);
  const dup = await call('admin', 'POST', `/api/v1/departments/${ENDOCRINOLOGY}/slots`,
    { starts_at: t + 20 * 60e3, minutes: 10, count: 3 });
  assert.equal(dup.status, 409, dup.text);
  assert.equal(dup.body.error.code, 'referral.slot_exists');
  const cal = await call('supervisor', 'GET', `/api/v1/departments/${ENDOCRINOLOGY}/slots?from=${Date.now() + 29 * DAY}`);
  assert.equal(cal.status, 200, cal.text);
  assert.equal(cal.body.reserved_bp, 5000);
  assert.ok(cal.body.slots.every((s) => !('referral_id' in s)), 'only the department sees who holds a slot');
  assert.equal((await call('patient1', 'GET', `/api/v1/departments/${ENDOCRINOLOGY}/slots`)).status, 403);
  assert.equal((await call('specialist4', 'GET', '/api/v1/departments/dept-none/slots')).status, 404);
});

test('referred patients go ahead of walk-in bookings in the department\'s online queue', async (t) => {
  await publishSlots(call, 'specialist1', CARDIOLOGY, 10, { startDay: 5 });
  const c = await call('doctor1', 'POST', '/api/v1/referrals', upBody(pid.patient1));
  assert.equal(c.status, 201, c.text);
  const id = c.body.referral.id;
  assert.equal((await act(call, 'specialist1', id, 'accept')).status, 200);
  const booked = await call('patient1', 'POST', '/api/v1/consultations', { department_id: CARDIOLOGY, icd10: 'I10' });
  if (booked.status === 404 && !booked.body?.error?.code?.startsWith('consult.')) {
    t.skip('the signalling issue\'s booking API is not in this build');
    return;
  }
  assert.equal(booked.status, 201, booked.text);
  assert.equal(booked.body.consultation.priority, 1, 'a referred patient is queued first');
});
