// Signalling, acceptance 1 and 2: booking rules, the whole consultation
// lifecycle over WebSocket, queue positions pushed to three waiting patients,
// chat history on join, every illegal transition, ratings and the directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Client, accountId, book } from './signalling-client.mjs';

let srv;
const tok = {};
const id = {};
const users = ['patient1', 'patient2', 'patient3', 'patient4', 'patient8', 'patient14', 'doctor1', 'doctor2',
  'doctor3', 'doctor4', 'doctor5', 'newdoctor', 'supervisor'];

before(async () => {
  srv = await startServer();
  for (const u of users) {
    tok[u] = await srv.login(u);
    id[u] = await accountId(srv, tok[u]);
  }
});
after(async () => { await srv?.stop(); });

async function doctorConsole(name) {
  const d = await Client.open(srv, tok[name]);
  await d.call('doctor.verify', { password: 'lianyi-demo' });
  await d.call('presence.set', { state: 'online' });
  return d;
}

test('a first visit (no offline diagnosis) is refused; a follow-up is accepted', async () => {
  const first = await srv.api('POST', '/api/v1/consultations', {
    token: tok.patient2, body: { doctor_id: id.doctor1, icd10: 'I10' },
  });
  assert.equal(first.status, 422, first.text);
  assert.equal(first.body.error.code, 'consult.first_visit_offline_only');

  const other = await srv.api('POST', '/api/v1/consultations', {
    token: tok.patient1, body: { doctor_id: id.doctor1, icd10: 'J45.9' },
  });
  assert.equal(other.body.error.code, 'consult.first_visit_offline_only', 'a different condition is a first visit');

  const stale = await srv.api('POST', '/api/v1/consultations', {
    token: tok.patient4, body: { doctor_id: id.doctor1, icd10: 'I10' },
  });
  assert.equal(stale.body.error.code, 'consult.first_visit_offline_only', 'diagnosed 14 months ago');

  const ok = await srv.api('POST', '/api/v1/consultations', {
    token: tok.patient1, body: { doctor_id: id.doctor1, icd10: 'I10' },
  });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.consultation.state, 'booked');
  assert.equal(ok.body.consultation.icd10, 'I10');
  assert.equal(ok.body.consultation.doctor.id, id.doctor1);
  assert.ok(ok.body.consultation.offline_diagnosis_id);

  const again = await srv.api('POST', '/api/v1/consultations', {
    token: tok.patient1, body: { doctor_id: id.doctor1, icd10: 'I10' },
  });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'consult.already_booked');
  const cancel = await srv.api('POST', `/api/v1/consultations/${ok.body.consultation.id}/cancel`, {
    token: tok.patient1, body: { reason: 'changed my mind' },
  });
  assert.equal(cancel.status, 200, cancel.text);
  assert.equal(cancel.body.consultation.state, 'cancelled');
  assert.equal(cancel.body.consultation.end_reason, 'changed my mind');
});

test('a doctor with < 3 years of practice cannot be booked, nor found in the directory', async () => {
  const r = await srv.api('POST', '/api/v1/consultations', {
    token: tok.patient1, body: { doctor_id: id.newdoctor, icd10: 'I10' },
  });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.code, 'consult.doctor_not_eligible');
  const profile = await srv.api('GET', `/api/v1/doctors/${id.newdoctor}`, { token: tok.patient1 });
  assert.equal(profile.status, 200);
  assert.equal(profile.body.doctor.bookable, false);
  const list = await srv.api('GET', '/api/v1/doctors?limit=100&specialty=general_practice', { token: tok.patient1 });
  assert.ok(!list.body.items.some((d) => d.id === id.newdoctor));
  assert.ok(list.body.items.some((d) => d.id === id.doctor1));
});

test('bad booking input: unknown doctor, bad ICD-10, both or neither target, a child without a guardian', async () => {
  const cases = [
    [{ doctor_id: 'acc_nobody', icd10: 'I10' }, 404, 'consult.doctor_not_found'],
    [{ doctor_id: id.doctor1, icd10: 'hypertension' }, 400, 'records.icd10_invalid'],
    [{ icd10: 'I10' }, 400, 'request.missing_field'],
    [{ doctor_id: id.doctor1, department_id: 'x', icd10: 'I10' }, 400, 'request.missing_field'],
    [{ doctor_id: 42, icd10: 'I10' }, 400, 'request.invalid_field'],
    [{ department_id: 'dept-none', icd10: 'I10' }, 404, 'consult.department_not_found'],
  ];
  for (const [body, status, code] of cases) {
    const r = await srv.api('POST', '/api/v1/consultations', { token: tok.patient1, body });
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.code, code);
  }
  const kid = await srv.api('POST', '/api/v1/consultations', {
    token: tok.patient3, body: { doctor_id: id.doctor5, icd10: 'J45.9' },
  });
  assert.equal(kid.body.error.code, 'consult.guardian_required', kid.text);
  const withGuardian = await srv.api('POST', '/api/v1/consultations', {
    token: tok.patient3, body: { doctor_id: id.doctor5, icd10: 'J45.9', guardian_name: '李妈妈' },
  });
  assert.equal(withGuardian.status, 201, withGuardian.text);
  assert.equal(withGuardian.body.consultation.guardian_name, '李妈妈');
  const asDoctor = await srv.api('POST', '/api/v1/consultations', {
    token: tok.doctor1, body: { doctor_id: id.doctor1, icd10: 'I10' },
  });
  assert.equal(asDoctor.status, 403);
});

test('the whole lifecycle: book, check in, verify, call, join, chat, end, rate — all on the record', async () => {
  const c = await book(srv, tok.patient1, { doctor_id: id.doctor3, icd10: 'I10' });
  const p = await Client.open(srv, tok.patient1);
  const d = await Client.open(srv, tok.doctor3);

  const pos = await p.call('queue.check_in', { consultation_id: c.id });
  assert.equal(pos.position, 1);
  assert.equal(pos.ahead, 0);
  assert.equal(pos.estimated_wait_ms, 0);
  assert.equal(pos.doctor_presence, 'away');

  await d.call('presence.set', { state: 'online' });
  const pres = await p.waitEvent('presence.changed', (x) => x.state === 'online');
  assert.equal(pres.data.doctor_id, id.doctor3);
  const dir = await srv.api('GET', `/api/v1/doctors/${id.doctor3}`, { token: tok.patient1 });
  assert.equal(dir.body.doctor.presence, 'online');
  assert.ok(dir.body.doctor.schedule.length > 0, 'a weekly schedule');

  assert.equal(await d.fails('call.next'), 'consult.doctor_not_verified');
  assert.equal(await d.fails('doctor.verify', { password: 'wrong password' }), 'auth.invalid_credentials');
  assert.deepEqual(await d.call('doctor.verify', { password: 'lianyi-demo' }), { verified: true });
  const q = await d.call('queue.get');
  assert.deepEqual(q.items.map((i) => i.consultation_id), [c.id]);
  assert.equal(q.items[0].patient.id, c.patient.id);

  const called = await d.call('call.next');
  assert.equal(called.consultation.id, c.id);
  assert.equal(called.consultation.state, 'called');
  const ev = await p.waitEvent('consultation.state', (x) => x.state === 'called');
  assert.equal(ev.data.from, 'waiting');
  assert.equal(ev.id, undefined, 'events carry no id');
  assert.equal(typeof ev.seq, 'number');

  const joined = await p.call('room.join', { consultation_id: c.id });
  assert.equal(joined.consultation.state, 'in_call');
  assert.deepEqual(joined.participants.map((x) => x.role).sort(), ['doctor', 'patient']);
  await d.waitEvent('room.joined', (x) => x.participant.account_id === id.patient1);
  await d.waitEvent('consultation.state', (x) => x.state === 'in_call');

  const sent = await p.call('chat.send', { consultation_id: c.id, text: '医生您好，最近血压 150/95。' });
  const got = await d.waitEvent('chat.message');
  assert.equal(got.data.message.id, sent.message.id);
  assert.equal(got.data.message.text, '医生您好，最近血压 150/95。');
  assert.equal(got.data.message.sender.role, 'patient');
  await d.call('chat.send', { consultation_id: c.id, text: 'Keep taking amlodipine.' });
  await p.waitEvent('chat.message', (x) => x.message.sender.role === 'doctor');

  const ended = await d.call('call.end', { consultation_id: c.id });
  assert.equal(ended.consultation.state, 'ended');
  await p.waitEvent('consultation.state', (x) => x.state === 'ended');
  assert.equal(await p.fails('chat.send', { consultation_id: c.id, text: 'one more thing' }), 'chat.closed');
  const hist = await p.call('chat.history', { consultation_id: c.id });
  assert.equal(hist.items.length, 2);

  const rec = await srv.api('GET', `/api/v1/consultations/${c.id}`, { token: tok.patient1 });
  assert.equal(rec.status, 200);
  assert.deepEqual(rec.body.consultation.events.map((e) => e.to),
    ['booked', 'waiting', 'called', 'in_call', 'ended']);
  assert.ok(rec.body.consultation.started_at && rec.body.consultation.ended_at);

  // Ratings: once, editable, anonymous to the doctor, feeding the directory.
  const early = await srv.api('PUT', `/api/v1/consultations/${c.id}/rating`, { token: tok.patient8, body: { score: 1 } });
  assert.equal(early.status, 403);
  const r1 = await srv.api('PUT', `/api/v1/consultations/${c.id}/rating`, { token: tok.patient1, body: { score: 4 } });
  assert.equal(r1.status, 201, r1.text);
  const r2 = await srv.api('PUT', `/api/v1/consultations/${c.id}/rating`, {
    token: tok.patient1, body: { score: 5, comment: '很耐心' },
  });
  assert.equal(r2.status, 200);
  const bad = await srv.api('PUT', `/api/v1/consultations/${c.id}/rating`, { token: tok.patient1, body: { score: 6 } });
  assert.equal(bad.status, 400);
  const mine = await srv.api('GET', '/api/v1/doctors/' + id.doctor3 + '/ratings', { token: tok.doctor3 });
  assert.equal(mine.body.count, 1);
  assert.equal(mine.body.average, 5);
  assert.deepEqual(Object.keys(mine.body.items[0]).sort(), ['comment', 'score'], 'no patient, no time, no consultation');
  const sup = await srv.api('GET', '/api/v1/doctors/' + id.doctor3 + '/ratings', { token: tok.supervisor });
  assert.equal(sup.body.items[0].consultation_id, c.id);
  const prof = await srv.api('GET', `/api/v1/doctors/${id.doctor3}`, { token: tok.patient8 });
  assert.equal(prof.body.doctor.online_consultations, 1);
  assert.deepEqual(prof.body.doctor.rating, { count: 1, average: 5 });

  const mineList = await srv.api('GET', '/api/v1/consultations?state=ended', { token: tok.patient1 });
  assert.ok(mineList.body.items.some((x) => x.id === c.id));
  const docList = await srv.api('GET', '/api/v1/consultations', { token: tok.doctor3 });
  assert.ok(docList.body.items.every((x) => x.doctor.id === id.doctor3));
  const otherPatient = await srv.api('GET', `/api/v1/consultations/${c.id}`, { token: tok.patient8 });
  assert.equal(otherPatient.status, 403);
  p.close();
  d.close();
});

test('queue positions and estimates are pushed to three waiting patients as the doctor calls them', async () => {
  const who = [['patient1', 'I10'], ['patient8', 'I10'], ['patient14', 'E11.9']];
  const cons = [];
  const socks = [];
  for (const [u, icd] of who) cons.push(await book(srv, tok[u], { doctor_id: id.doctor2, icd10: icd }));
  const d = await doctorConsole('doctor2');
  for (let i = 0; i < 3; i++) {
    socks.push(await Client.open(srv, tok[who[i][0]]));
    const r = await socks[i].call('queue.check_in', { consultation_id: cons[i].id });
    assert.equal(r.position, i + 1);
    assert.equal(r.estimated_wait_ms, i * 600000, '10 minutes per patient ahead without history');
  }
  const upd = await d.waitEvent('queue.updated', (x) => x.items.length === 3);
  assert.deepEqual(upd.data.items.map((x) => x.consultation_id), cons.map((x) => x.id));

  await d.call('call.next');
  await socks[0].waitEvent('consultation.state', (x) => x.state === 'called');
  let m = await socks[1].waitEvent('queue.position', (x) => x.position === 1);
  assert.equal(m.data.ahead, 0);
  assert.equal(m.data.consultation_id, cons[1].id);
  m = await socks[2].waitEvent('queue.position', (x) => x.position === 2);
  assert.equal(m.data.estimated_wait_ms, 600000);
  assert.equal(m.data.doctor_presence, 'online');

  await d.call('call.next');
  await socks[1].waitEvent('consultation.state', (x) => x.state === 'called');
  await socks[2].waitEvent('queue.position', (x) => x.position === 1);
  const last = await d.call('call.next');
  assert.equal(last.consultation.id, cons[2].id);
  assert.equal(await d.fails('call.next'), 'consult.queue_empty');
  // No patient heard about another patient's place.
  for (let i = 0; i < 3; i++) {
    for (const ev of socks[i].seen('queue.position')) assert.equal(ev.data.consultation_id, cons[i].id);
  }
  for (let i = 0; i < 3; i++) await d.call('call.no_show', { consultation_id: cons[i].id });
  for (const s of socks) s.close();
  d.close();
});

test('chat history is sent on join', async () => {
  const c = await book(srv, tok.patient8, { doctor_id: id.doctor4, icd10: 'I10' });
  const p = await Client.open(srv, tok.patient8);
  await p.call('queue.check_in', { consultation_id: c.id });
  const d = await doctorConsole('doctor4');
  await d.call('call.patient', { consultation_id: c.id });
  await d.call('chat.send', { consultation_id: c.id, text: '请进入诊室' });
  await d.call('chat.send', { consultation_id: c.id, text: 'Please join when ready.' });
  const j = await p.call('room.join', { consultation_id: c.id });
  assert.deepEqual(j.chat.map((x) => x.text), ['请进入诊室', 'Please join when ready.']);
  assert.equal(j.chat[0].sender.id, id.doctor4);
  // A second console tab of the doctor gets the history too.
  const d2 = await doctorConsole('doctor4');
  const j2 = await d2.call('room.join', { consultation_id: c.id });
  assert.equal(j2.chat.length, 2);
  await d.call('call.end', { consultation_id: c.id });
  for (const x of [p, d, d2]) x.close();
});

test('every illegal transition is refused with consult.illegal_transition', async () => {
  const d = await doctorConsole('doctor5');
  const p = await Client.open(srv, tok.patient14);
  const illegal = async (client, type, cid, extra = {}) =>
    assert.equal(await client.fails(type, { consultation_id: cid, ...extra }), 'consult.illegal_transition',
      `${type} on ${cid}`);
  const c = await book(srv, tok.patient14, { doctor_id: id.doctor5, icd10: 'E11.9' });

  // booked
  await illegal(p, 'queue.leave', c.id);
  await illegal(d, 'call.patient', c.id);
  await illegal(d, 'call.end', c.id);
  await illegal(d, 'call.no_show', c.id);
  assert.equal(await p.fails('room.join', { consultation_id: c.id }), 'room.closed');
  // waiting
  await p.call('queue.check_in', { consultation_id: c.id });
  await illegal(d, 'call.end', c.id);
  await illegal(d, 'call.no_show', c.id);
  // called
  await d.call('call.patient', { consultation_id: c.id });
  await illegal(p, 'queue.check_in', c.id);
  await illegal(p, 'queue.leave', c.id);
  await illegal(d, 'call.patient', c.id);
  await illegal(d, 'call.end', c.id);
  // in_call
  await p.call('room.join', { consultation_id: c.id });
  await illegal(p, 'queue.check_in', c.id);
  await illegal(p, 'queue.leave', c.id);
  await illegal(d, 'call.patient', c.id);
  await illegal(d, 'call.no_show', c.id);
  await illegal(p, 'call.cancel', c.id);
  const rest = await srv.api('POST', `/api/v1/consultations/${c.id}/cancel`, { token: tok.doctor5 });
  assert.equal(rest.status, 409);
  assert.equal(rest.body.error.code, 'consult.illegal_transition');
  // ended
  await d.call('call.end', { consultation_id: c.id });
  for (const [cl, t] of [[p, 'queue.check_in'], [p, 'queue.leave'], [d, 'call.patient'], [d, 'call.end'],
    [d, 'call.no_show'], [p, 'call.cancel'], [d, 'call.cancel']]) await illegal(cl, t, c.id);
  assert.equal(await p.fails('room.join', { consultation_id: c.id }), 'room.closed');

  // cancelled and no_show are final too
  const c2 = await book(srv, tok.patient14, { doctor_id: id.doctor5, icd10: 'E11.9' });
  await p.call('call.cancel', { consultation_id: c2.id, reason: 'feeling better' });
  for (const [cl, t] of [[p, 'queue.check_in'], [d, 'call.patient'], [p, 'call.cancel']]) await illegal(cl, t, c2.id);
  const c3 = await book(srv, tok.patient14, { doctor_id: id.doctor5, icd10: 'E11.9' });
  await p.call('queue.check_in', { consultation_id: c3.id });
  await d.call('call.patient', { consultation_id: c3.id });
  await d.call('call.no_show', { consultation_id: c3.id });
  for (const [cl, t] of [[p, 'queue.check_in'], [d, 'call.end'], [p, 'call.cancel']]) await illegal(cl, t, c3.id);

  // the wrong role is refused before any state is looked at
  assert.equal(await p.fails('call.end', { consultation_id: c.id }), 'auth.forbidden');
  assert.equal(await d.fails('queue.check_in', { consultation_id: c.id }), 'auth.forbidden');
  p.close();
  d.close();
});

test('a graceful stop ends live calls cleanly and returns the waiting to booked, on the record', async () => {
  const live = await book(srv, tok.patient8, { doctor_id: id.doctor1, icd10: 'I10' });
  const queued = await book(srv, tok.patient14, { doctor_id: id.doctor1, icd10: 'E11.9' });
  const p = await Client.open(srv, tok.patient8);
  const q = await Client.open(srv, tok.patient14);
  const d = await doctorConsole('doctor1');
  await p.call('queue.check_in', { consultation_id: live.id });
  await q.call('queue.check_in', { consultation_id: queued.id });
  await d.call('call.patient', { consultation_id: live.id });
  await p.call('room.join', { consultation_id: live.id });
  await srv.stop();
  await srv.start();
  const a = await srv.api('GET', `/api/v1/consultations/${live.id}`, { token: tok.patient8 });
  assert.equal(a.body.consultation.state, 'ended');
  assert.equal(a.body.consultation.end_reason, 'server_shutdown');
  const b = await srv.api('GET', `/api/v1/consultations/${queued.id}`, { token: tok.patient14 });
  assert.equal(b.body.consultation.state, 'booked');
  assert.equal(b.body.consultation.events.at(-1).reason, 'server_shutdown');
});
