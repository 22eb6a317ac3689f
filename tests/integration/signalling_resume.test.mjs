// Signalling, acceptance 1: a dropped socket resumes within the window with
// its rooms, queue place and missed events (in order); after the window the
// participant has left. Presence goes away when a doctor's last socket drops.
// The window is shortened with --resume-window-ms so the test does not wait 30 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Client, accountId, book, sleep } from './signalling-client.mjs';

const WINDOW_MS = 1500;
let srv;
const tok = {};
const id = {};

before(async () => {
  srv = await startServer({ args: ['--resume-window-ms', String(WINDOW_MS)] });
  for (const u of ['patient1', 'patient8', 'patient14', 'doctor1', 'doctor2', 'doctor3']) {
    tok[u] = await srv.login(u);
    id[u] = await accountId(srv, tok[u]);
  }
});
after(async () => {
  await srv?.stop();
  assert.doesNotMatch(srv.logText(), /AddressSanitizer|runtime error/);
});

async function inCall(patient, doctor, icd) {
  const c = await book(srv, tok[patient], { doctor_id: id[doctor], icd10: icd });
  const p = await Client.open(srv, tok[patient]);
  const d = await Client.open(srv, tok[doctor]);
  await p.call('queue.check_in', { consultation_id: c.id });
  await d.call('doctor.verify', { password: 'lianyi-demo' });
  await d.call('presence.set', { state: 'online' });
  await d.call('call.patient', { consultation_id: c.id });
  await p.call('room.join', { consultation_id: c.id });
  await d.waitEvent('consultation.state', (x) => x.state === 'in_call');
  return { c, p, d };
}

test('resume within the window: back in the room, missed events replayed in order', async () => {
  const { c, p, d } = await inCall('patient1', 'doctor1', 'I10');
  const token = p.session.resume_token;
  await p.call('chat.send', { consultation_id: c.id, text: 'before the drop' });
  await d.waitEvent('chat.message');
  const seenBefore = p.lastSeq;
  await p.terminate();
  const away = await d.waitEvent('room.connection', (x) => x.connected === false);
  assert.equal(away.data.account_id, id.patient1);

  const texts = ['one', 'two', 'three', 'four'];
  for (const text of texts) await d.call('chat.send', { consultation_id: c.id, text });
  const p2 = await Client.open(srv, tok.patient1, { resume: token, lastSeq: seenBefore });
  assert.equal(p2.session.resumed, true);
  assert.equal(p2.session.missed, false);
  assert.deepEqual(p2.session.rooms, [c.id]);
  assert.equal(p2.session.resume_token, token);
  for (const text of texts) await p2.waitEvent('chat.message', (x) => x.message.text === text);
  const replayed = p2.seen('chat.message');
  assert.deepEqual(replayed.map((e) => e.data.message.text), texts, 'in order, nothing twice');
  const seqs = replayed.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.ok(seqs[0] > seenBefore);
  await d.waitEvent('room.connection', (x) => x.connected === true);

  // Still a participant: chat works without joining again, the call goes on.
  await p2.call('chat.send', { consultation_id: c.id, text: 'back again' });
  await d.waitEvent('chat.message', (x) => x.message.text === 'back again');
  const rec = await srv.api('GET', `/api/v1/consultations/${c.id}`, { token: tok.patient1 });
  assert.equal(rec.body.consultation.state, 'in_call');
  await d.call('call.end', { consultation_id: c.id });
  p2.close();
  d.close();
});

test('session.resume: a client that authenticated afresh takes its earlier session back', async () => {
  const { c, p, d } = await inCall('patient1', 'doctor3', 'I10');
  const token = p.session.resume_token;
  const last = p.lastSeq;
  await p.terminate();
  await d.call('chat.send', { consultation_id: c.id, text: 'are you there?' });
  const p2 = await Client.open(srv, tok.patient1);
  assert.deepEqual(p2.session.rooms, []);
  const info = await p2.call('session.get');
  assert.equal(info.resume_token, p2.session.resume_token);
  assert.equal(await p2.fails('session.resume', { resume: 'B'.repeat(32) }), 'auth.resume_expired');
  const r = await p2.call('session.resume', { resume: token, last_seq: last });
  assert.equal(r.resumed, true);
  assert.deepEqual(r.rooms, [c.id]);
  await p2.waitEvent('chat.message', (x) => x.message.text === 'are you there?');
  await d.waitEvent('room.connection', (x) => x.connected === true);
  await p2.call('chat.send', { consultation_id: c.id, text: 'yes' });
  const other = await Client.open(srv, tok.patient8);
  assert.equal(await other.fails('session.resume', { resume: token }), 'auth.resume_invalid');
  await d.call('call.end', { consultation_id: c.id });
  for (const x of [p2, d, other]) x.close();
});

test('after the window the participant has left: room.left, and the resume token is dead', async () => {
  const { c, p, d } = await inCall('patient8', 'doctor2', 'I10');
  const token = p.session.resume_token;
  await p.terminate();
  const left = await d.waitEvent('room.left', (x) => x.account_id === id.patient8, WINDOW_MS + 3000);
  assert.equal(left.data.reason, 'timeout');
  const p2 = await Client.open(srv, tok.patient8, { resume: token, lastSeq: 0 });
  assert.equal(p2.session.resumed, false);
  assert.equal(p2.session.resume_error, 'auth.resume_expired');
  assert.deepEqual(p2.session.rooms, []);
  assert.equal(await p2.fails('chat.send', { consultation_id: c.id, text: 'hello?' }), 'room.not_joined');
  // They may join again while the call is on.
  const j = await p2.call('room.join', { consultation_id: c.id });
  assert.equal(j.consultation.state, 'in_call');
  await d.call('call.end', { consultation_id: c.id });
  p2.close();
  d.close();
});

test('a waiting patient keeps their place within the window and loses it after', async () => {
  const a = await book(srv, tok.patient1, { doctor_id: id.doctor3, icd10: 'I10' });
  const b = await book(srv, tok.patient14, { doctor_id: id.doctor3, icd10: 'E11.9' });
  const pa = await Client.open(srv, tok.patient1);
  const pb = await Client.open(srv, tok.patient14);
  await pa.call('queue.check_in', { consultation_id: a.id });
  assert.equal((await pb.call('queue.check_in', { consultation_id: b.id })).position, 2);

  // Drop and resume quickly: still first, still waiting.
  const token = pa.session.resume_token;
  await pa.terminate();
  await sleep(WINDOW_MS / 3);
  const pa2 = await Client.open(srv, tok.patient1, { resume: token, lastSeq: pa.lastSeq });
  assert.equal(pa2.session.resumed, true);
  assert.equal(pa2.session.waiting, a.id);
  assert.equal((await pa2.call('queue.get', { consultation_id: a.id })).position, 1);

  // Drop for longer than the window: back to booked, and patient14 moves up.
  await pa2.terminate();
  const moved = await pb.waitEvent('queue.position', (x) => x.position === 1, WINDOW_MS + 3000);
  assert.equal(moved.data.consultation_id, b.id);
  const rec = await srv.api('GET', `/api/v1/consultations/${a.id}`, { token: tok.patient1 });
  assert.equal(rec.body.consultation.state, 'booked');
  assert.equal(rec.body.consultation.events.at(-1).reason, 'timeout');
  pb.close();
});

test("presence goes away when a doctor's last socket drops and comes back on resume", async () => {
  const c = await book(srv, tok.patient8, { doctor_id: id.doctor3, icd10: 'I10' });
  const p = await Client.open(srv, tok.patient8);
  await p.call('queue.check_in', { consultation_id: c.id });
  const d1 = await Client.open(srv, tok.doctor3);
  const d2 = await Client.open(srv, tok.doctor3);
  await d1.call('presence.set', { state: 'busy' });
  await p.waitEvent('presence.changed', (x) => x.state === 'busy');
  await d1.terminate();
  await sleep(200);
  assert.equal(p.seen('presence.changed').filter((e) => e.data.state === 'away').length, 0, 'one socket is left');
  const token = d2.session.resume_token;
  await d2.terminate();
  await p.waitEvent('presence.changed', (x) => x.state === 'away');
  const prof = await srv.api('GET', `/api/v1/doctors/${id.doctor3}`, { token: tok.patient8 });
  assert.equal(prof.body.doctor.presence, 'away');
  const d3 = await Client.open(srv, tok.doctor3, { resume: token, lastSeq: 0 });
  assert.equal(d3.session.resumed, true);
  await p.waitEvent('presence.changed', (x) => x.state === 'busy');
  const got = await p.call('presence.get', { doctor_id: id.doctor3 });
  assert.equal(got.state, 'busy');
  d3.close();
  p.close();
});

test('more missed events than the replay buffer holds: missed is reported', async () => {
  const { c, p, d } = await inCall('patient14', 'doctor2', 'E11.9');
  const token = p.session.resume_token;
  const last = p.lastSeq;
  await p.terminate();
  for (let i = 0; i < 70; i++) await d.call('chat.send', { consultation_id: c.id, text: `m${i}` });
  const p2 = await Client.open(srv, tok.patient14, { resume: token, lastSeq: last });
  assert.equal(p2.session.resumed, true);
  assert.equal(p2.session.missed, true);
  await p2.waitEvent('chat.message', (x) => x.message.text === 'm69');
  const hist = await p2.call('chat.history', { consultation_id: c.id, limit: 100 });
  assert.equal(hist.items.length, 70, 'the record has everything');
  await d.call('call.end', { consultation_id: c.id });
  p2.close();
  d.close();
});

// The first WebSocket after a (re)start: our own listener may accept it before
// lws has serviced once, and the upgrade must still reach signalling (it was
// refused about half the time when lws set up its protocols lazily).
test('a WebSocket opened the moment a restarted server listens is served', async () => {
  const s = await startServer();
  try {
    const token = await s.login('patient1');
    for (let i = 0; i < 12; i++) {
      await s.stop();
      await s.start();
      const c = await Client.open(s, token);
      await c.close();
    }
  } finally { await s.stop(); }
});
