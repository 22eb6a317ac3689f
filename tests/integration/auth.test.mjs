// Accounts and sessions against the real binary: login, me, logout, 401, 429, expiry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

const ROLES = { patient1: 'patient', doctor1: 'doctor', specialist1: 'doctor', pharmacist1: 'pharmacist',
  pharmacy1: 'pharmacy_staff', admin: 'admin', supervisor: 'supervisor' };

test('every demo login works and /me names the account and role', async () => {
  for (const [username, role] of Object.entries(ROLES)) {
    const r = await srv.api('POST', '/api/v1/sessions', { body: { username, password: 'lianyi-demo' } });
    assert.equal(r.status, 201, `${username}: ${r.text}`);
    assert.match(r.body.token, /^[A-Za-z0-9_-]{43}$/, 'token is base64url of 32 bytes');
    assert.ok(r.body.expires_at > Date.now() + 11 * 3600e3, 'expires in about 12 h');
    assert.equal(r.body.account.username, username);
    assert.equal(r.body.account.role, role);
    assert.ok(r.body.account.name.length > 0);
    const me = await srv.api('GET', '/api/v1/me', { token: r.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.account.id, r.body.account.id);
    assert.equal(me.body.account.role, role);
  }
});

test('logout revokes the token', async () => {
  const token = await srv.login('doctor1');
  assert.equal((await srv.api('GET', '/api/v1/me', { token })).status, 200);
  const out = await srv.api('DELETE', '/api/v1/sessions/current', { token });
  assert.equal(out.status, 204);
  const me = await srv.api('GET', '/api/v1/me', { token });
  assert.equal(me.status, 401);
  assert.ok(me.body.error.code.startsWith('auth.'));
});

test('no token, a garbage token and a forged token are 401 with the error shape', async () => {
  for (const token of [undefined, 'garbage', 'A'.repeat(43)]) {
    const r = await srv.api('GET', '/api/v1/me', { token });
    assert.equal(r.status, 401, `token ${token}`);
    assert.equal(typeof r.body.error.code, 'string');
    assert.equal(typeof r.body.error.message, 'string');
    assert.ok(r.body.error.message.length > 5);
  }
});

test('wrong password and unknown user get the same 401 message', async () => {
  const a = await srv.api('POST', '/api/v1/sessions', { body: { username: 'admin', password: 'nope' } });
  const b = await srv.api('POST', '/api/v1/sessions', { body: { username: 'no-such-user', password: 'nope' } });
  assert.equal(a.status, 401);
  assert.equal(b.status, 401);
  assert.equal(a.body.error.code, 'auth.invalid_credentials');
  assert.deepEqual(a.body, b.body);
});

test('more than 5 failures in a minute → 429 for the rest of the minute, even with the right password', async () => {
  const username = 'supervisor';
  for (let i = 0; i < 5; i++) {
    const r = await srv.api('POST', '/api/v1/sessions', { body: { username, password: `wrong-${i}` } });
    assert.equal(r.status, 401, `attempt ${i + 1}`);
  }
  const sixth = await srv.api('POST', '/api/v1/sessions', { body: { username, password: 'wrong-6' } });
  assert.equal(sixth.status, 429);
  assert.equal(sixth.body.error.code, 'auth.too_many_attempts');
  const right = await srv.api('POST', '/api/v1/sessions', { body: { username, password: 'lianyi-demo' } });
  assert.equal(right.status, 429, 'locked for the rest of the minute');
  // Other accounts are not affected.
  assert.equal((await srv.api('POST', '/api/v1/sessions', { body: { username: 'admin', password: 'lianyi-demo' } })).status, 201);
});

test('login body is validated: missing fields and wrong types are 400', async () => {
  const cases = [{}, { username: 'admin' }, { username: 5, password: 'x' }, { username: 'a'.repeat(5000), password: 'x' }];
  for (const body of cases) {
    const r = await srv.api('POST', '/api/v1/sessions', { body });
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 60));
    assert.ok(r.body.error.code.startsWith('request.'), r.body.error.code);
  }
});

test('sessions expire after --session-ttl-s', async () => {
  // 3 s, and the clock is read from the answer, not assumed: under ASan on a
  // loaded machine a login alone can take most of a second.
  const short = await startServer({ args: ['--session-ttl-s', '3'] });
  try {
    const login = await short.api('POST', '/api/v1/sessions', { body: { username: 'patient1', password: 'lianyi-demo' } });
    assert.equal(login.status, 201, login.text);
    const { token, expires_at: expiresAt } = login.body;
    assert.ok(expiresAt <= Date.now() + 3000 && expiresAt > Date.now() - 3000, `expires_at ${expiresAt} is about 3 s out`);
    const before = await short.api('GET', '/api/v1/me', { token });
    if (Date.now() < expiresAt - 200) assert.equal(before.status, 200, 'valid before expiry');
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 300));
    const r = await short.api('GET', '/api/v1/me', { token });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'auth.session_expired');
  } finally { await short.stop(); }
});

test('a patient sees who accessed their record, including their own logins', async () => {
  const token = await srv.login('patient1');
  const r = await srv.api('GET', '/api/v1/me/access-log?limit=20', { token });
  assert.equal(r.status, 200);
  assert.ok(Array.isArray(r.body.items));
  assert.ok(r.body.items.length >= 1);
  for (const it of r.body.items) {
    assert.equal(typeof it.at, 'number');
    assert.equal(typeof it.actor_role, 'string');
    assert.equal(typeof it.action, 'string');
  }
  // Other roles have no access log of their own.
  const doc = await srv.login('doctor1');
  assert.equal((await srv.api('GET', '/api/v1/me/access-log', { token: doc })).status, 403);
});
