// Signalling, acceptance 1: authentication first, and every bad-input class
// (unknown types, missing fields, wrong types, oversize strings and frames,
// deep JSON, messages for rooms the account is not in, other people's
// tokens): each gets an error reply with a code, and the connection goes on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Client, accountId, book, sleep } from './signalling-client.mjs';

let srv;
const tok = {};
const id = {};

before(async () => {
  srv = await startServer();
  for (const u of ['patient1', 'patient8', 'doctor1', 'doctor2', 'supervisor']) {
    tok[u] = await srv.login(u);
    id[u] = await accountId(srv, tok[u]);
  }
});
after(async () => {
  await srv?.stop();
  assert.doesNotMatch(srv.logText(), /AddressSanitizer|runtime error/);
});

test('anything before auth closes the socket with 4401 and a reason', async () => {
  const c = await Client.open(srv);
  const r = await c.request('ping');
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'auth.required');
  const closed = await c.closed;
  assert.equal(closed.code, 4401);
  assert.match(closed.reason, /auth/);

  const g = await Client.open(srv);
  g.sendRaw('this is not JSON');
  const gc = await g.closed;
  assert.equal(gc.code, 4401);
  assert.equal(g.orphans[0].error.code, 'request.malformed');
});

test('a bad or expired token is refused and the socket closes with 4403', async () => {
  for (const token of ['not-a-token', 'A'.repeat(43)]) {
    const c = await Client.open(srv);
    const r = await c.request('auth', { token });
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'auth.required');
    assert.equal((await c.closed).code, 4403);
  }
  const gone = await srv.login('patient8');
  await srv.api('DELETE', '/api/v1/sessions/current', { token: gone });
  const c = await Client.open(srv);
  assert.equal((await c.request('auth', { token: gone })).error.code, 'auth.session_expired');
  assert.equal((await c.closed).code, 4403);
  const m = await Client.open(srv);
  assert.equal((await m.request('auth', {})).error.code, 'request.missing_field');
  assert.equal((await m.closed).code, 4403);
});

test('only /ws upgrades', async () => {
  await assert.rejects(Client.open(srv, null, { path: '/api/v1/ws' }));
});

test('auth succeeds, then auth again is refused; ping answers', async () => {
  const c = await Client.open(srv, tok.patient1);
  assert.equal(c.session.account.id, id.patient1);
  assert.equal(c.session.account.role, 'patient');
  assert.equal(c.session.resume_token.length, 32);
  assert.equal(c.session.resumed, false);
  assert.equal(await c.fails('auth', { token: tok.patient1 }), 'auth.already');
  const p = await c.call('ping');
  assert.ok(Math.abs(p.now - Date.now()) < 60000);
  c.close();
});

test('unknown types, missing fields, wrong types and oversize strings get error replies', async () => {
  const c = await Client.open(srv, tok.patient1);
  const cases = [
    ['no.such.type', {}, 'request.unknown_type'],
    ['queue.check_in', {}, 'request.missing_field'],
    ['queue.check_in', { consultation_id: 5 }, 'request.invalid_field'],
    ['queue.check_in', { consultation_id: '' }, 'request.invalid_field'],
    ['queue.check_in', { consultation_id: 'x'.repeat(100) }, 'request.invalid_field'],
    ['queue.check_in', { consultation_id: 'con_nothing' }, 'consult.not_found'],
    ['chat.send', { consultation_id: 'con_nothing', text: 'x'.repeat(2001) }, 'request.invalid_field'],
    ['chat.send', { consultation_id: 'con_nothing', text: ['hi'] }, 'request.invalid_field'],
    ['chat.history', { consultation_id: 'con_nothing', limit: 'ten' }, 'request.invalid_field'],
    ['presence.get', {}, 'request.missing_field'],
    ['call.next', {}, 'auth.forbidden'],
    ['media.offer', { sdp: 'v=0' }, 'request.missing_field'],
  ];
  for (const [type, data, code] of cases) assert.equal(await c.fails(type, data), code, `${type} ${JSON.stringify(data)}`);
  const noField = await c.request('queue.check_in', {});
  assert.equal(noField.error.field, 'consultation_id');

  // The envelope itself: not an object, bad id, bad type, data not an object.
  const raw = [
    ['[1,2,3]', 'request.invalid_message'],
    ['{"type":"ping"}', 'request.missing_field'],
    ['{"id":{"a":1},"type":"ping"}', 'request.invalid_field'],
    ['{"id":"9","type":7}', 'request.invalid_field'],
    ['{"id":"10","type":"ping","data":[]}', 'request.invalid_field'],
    ['{"id":"11","type":"ping",', 'request.malformed'],
  ];
  for (const [text, code] of raw) {
    const before = (c.orphans || []).length;
    c.sendRaw(text);
    await c.waitOrphan(() => (c.orphans || []).length > before);
    assert.equal(c.orphans.at(-1).error.code, code, text);
  }
  const withId = await c.request('ping', [], { id: 77 });
  assert.equal(withId.id, 77, 'integer ids are echoed');
  assert.ok((await c.call('ping')).now, 'the connection survives all of that');
  c.close();
});

test('frames over 64 KiB and JSON deeper than 16 are refused; the connection survives', async () => {
  const c = await Client.open(srv, tok.patient1);
  const big = JSON.stringify({ id: 'big', type: 'ping', data: { pad: 'x'.repeat(70 * 1024) } });
  c.sendRaw(big);
  const o = await c.waitOrphan((m) => m.error?.code === 'request.too_large');
  assert.equal(o.id, null);
  assert.ok((await c.call('ping')).now);

  // The same, in fragments (continuation frames): gathered up to the limit, then dropped.
  const chunk = 'x'.repeat(16 * 1024);
  c.sendRaw('{"id":"frag","type":"ping","data":{"pad":"', { fin: false });
  for (let i = 0; i < 5; i++) c.sendRaw(chunk, { fin: false });
  c.sendRaw('"}}', { fin: true });
  await c.waitOrphan((m) => m.error?.code === 'request.too_large' && m !== o);
  // A fragmented message under the limit is fine.
  c.sendRaw('{"id":"ok-frag","type":', { fin: false });
  c.sendRaw('"ping","data":{"pad":"' + 'y'.repeat(30000), { fin: false });
  c.sendRaw('"}}', { fin: true });
  const ok = await c.waitOrphan((m) => m.id === 'ok-frag');
  assert.equal(ok.ok, true);

  const nest = (n) => (n === 0 ? '1' : `[${nest(n - 1)}]`);
  // depth: the message object (1) + data object (2) + 14 arrays = 16: accepted.
  c.sendRaw(`{"id":"d16","type":"ping","data":{"a":${nest(14)}}}`);
  assert.equal((await c.waitOrphan((m) => m.id === 'd16')).ok, true);
  c.sendRaw(`{"id":"d17","type":"ping","data":{"a":${nest(15)}}}`);
  const deep = await c.waitOrphan((m) => m.error?.code === 'request.too_deep');
  assert.equal(deep.ok, false);
  c.sendRaw(Buffer.from('{"id":"b","type":"ping"}'), { binary: true });
  await c.waitOrphan((m) => m.error?.code === 'request.binary');
  assert.ok((await c.call('ping')).now);
  c.close();
});

test('messages for rooms the account is not in are refused; patients never see each other', async () => {
  const mine = await book(srv, tok.patient1, { doctor_id: id.doctor1, icd10: 'I10' });
  const theirs = await book(srv, tok.patient8, { doctor_id: id.doctor1, icd10: 'I10' });
  const a = await Client.open(srv, tok.patient1);
  const b = await Client.open(srv, tok.patient8);
  await a.call('queue.check_in', { consultation_id: mine.id });
  await b.call('queue.check_in', { consultation_id: theirs.id });
  for (const [type, extra] of [['queue.get', {}], ['queue.check_in', {}], ['queue.leave', {}], ['room.join', {}],
    ['room.leave', {}], ['chat.history', {}], ['chat.send', { text: 'hello' }], ['call.cancel', {}]]) {
    assert.equal(await a.fails(type, { consultation_id: theirs.id, ...extra }), 'consult.not_participant', type);
  }
  const other = await Client.open(srv, tok.doctor2);
  await other.call('doctor.verify', { password: 'lianyi-demo' });
  assert.equal(await other.fails('call.patient', { consultation_id: mine.id }), 'consult.not_participant');
  assert.equal(await other.fails('room.join', { consultation_id: mine.id }), 'consult.not_participant');
  assert.equal(await other.fails('chat.history', { consultation_id: mine.id }), 'consult.not_participant');

  // Called, but not joined: chat needs the room.
  const d = await Client.open(srv, tok.doctor1);
  await d.call('doctor.verify', { password: 'lianyi-demo' });
  await d.call('call.patient', { consultation_id: mine.id });
  assert.equal(await a.fails('chat.send', { consultation_id: mine.id, text: 'hi' }), 'room.not_joined');
  assert.equal(await a.fails('room.leave', { consultation_id: mine.id }), 'room.not_joined');
  await a.call('room.join', { consultation_id: mine.id });
  await a.call('chat.send', { consultation_id: mine.id, text: 'private' });
  await sleep(200);
  assert.equal(b.seen('chat.message').length, 0, 'the other patient hears nothing');
  assert.ok(b.seen('queue.position').every((e) => e.data.consultation_id === theirs.id));
  const sup = await Client.open(srv, tok.supervisor);
  assert.equal(await sup.fails('room.join', { consultation_id: mine.id }), 'auth.forbidden');
  await d.call('call.end', { consultation_id: mine.id });
  for (const x of [a, b, d, other, sup]) x.close();
});

test("another person's session or resume token gets nobody else's session", async () => {
  const a = await Client.open(srv, tok.patient1);
  const stolen = a.session.resume_token;
  a.terminate();
  const b = await Client.open(srv, tok.patient8, { resume: stolen, lastSeq: 0 });
  assert.equal(b.session.resumed, false);
  assert.equal(b.session.resume_error, 'auth.resume_invalid');
  assert.equal(b.session.account.id, id.patient8);
  const forged = await Client.open(srv, tok.patient1, { resume: 'A'.repeat(32) });
  assert.equal(forged.session.resume_error, 'auth.resume_expired');
  b.close();
  forged.close();
});

test('a flood is rate-limited with an error, not a disconnect', async () => {
  const c = await Client.open(srv, tok.patient1);
  const replies = await Promise.all(Array.from({ length: 130 }, () => c.request('ping')));
  const limited = replies.filter((r) => !r.ok);
  assert.ok(limited.length > 0, 'some were limited');
  assert.ok(limited.every((r) => r.error.code === 'rate_limited'));
  await sleep(1200);
  assert.ok((await c.call('ping')).now);
  c.close();
});
