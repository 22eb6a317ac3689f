// Durability: the audit chain detects a flipped byte, and SIGKILL in the middle
// of a stream of writes loses no acknowledged write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, runCli } from '../lib/server.mjs';

function sql(dir, q) {
  return execFileSync('sqlite3', [path.join(dir, 'lianyi.db'), q], { encoding: 'utf8' }).trim();
}

test('audit verify names the entry whose stored byte was flipped and exits non-zero', async () => {
  const srv = await startServer();
  for (const u of ['patient1', 'doctor1', 'patient1', 'admin']) await srv.login(u);
  const token = await srv.login('patient1');
  await srv.api('GET', '/api/v1/me/access-log', { token });
  await srv.stop();

  const ok = await runCli(['audit', 'verify', '--data', srv.data]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^OK: \d+ entries/m);

  const n = Number(sql(srv.data, 'SELECT count(*) FROM audit'));
  assert.ok(n >= 6, `audit has ${n} entries`);
  const target = Math.max(2, n - 3);
  // Flip one byte of one stored field: the first character of actor_role.
  const role = sql(srv.data, `SELECT actor_role FROM audit WHERE seq = ${target}`);
  const flipped = String.fromCharCode(role.charCodeAt(0) ^ 0x20) + role.slice(1);
  sql(srv.data, `UPDATE audit SET actor_role = '${flipped}' WHERE seq = ${target}`);

  const bad = await runCli(['audit', 'verify', '--data', srv.data]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, new RegExp(`seq=${target}\\b`));
});

test('SIGKILL during a stream of writes: every acknowledged write survives, the chain is intact', async () => {
  const srv = await startServer();
  const acked = [];
  let stop = false;
  // Three concurrent writers: each login writes a session row and an audit entry.
  const writers = [0, 1, 2].map(async (w) => {
    const users = ['patient1', 'doctor1', 'pharmacist1'];
    while (!stop) {
      try {
        const r = await srv.api('POST', '/api/v1/sessions', { body: { username: users[w], password: 'lianyi-demo' } });
        if (r.status === 201) acked.push(r.body.token);
      } catch { return; } // connection refused once the server is dead
    }
  });
  await new Promise((r) => setTimeout(r, 1500));
  await srv.kill();
  stop = true;
  await Promise.all(writers);
  assert.ok(acked.length >= 10, `only ${acked.length} writes acknowledged before the kill`);

  await srv.start({ demo: false });
  let missing = 0;
  for (const token of acked) {
    const r = await srv.api('GET', '/api/v1/me', { token });
    if (r.status !== 200) missing++;
  }
  assert.equal(missing, 0, `${missing} of ${acked.length} acknowledged sessions lost`);
  await srv.stop();
  const v = await runCli(['audit', 'verify', '--data', srv.data]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
});

test('an idle server with the demo district stays under 30 MB RSS', async () => {
  const srv = await startServer();
  await srv.api('GET', '/healthz');
  await new Promise((r) => setTimeout(r, 500));
  const status = execFileSync('cat', [`/proc/${srv.proc.pid}/status`], { encoding: 'utf8' });
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
  await srv.stop();
  // Sanitizer builds carry shadow memory; the budget applies to the normal build.
  if (!process.env.LIANYI_BIN?.includes('asan')) assert.ok(kb < 30 * 1024, `RSS ${kb} kB`);
});
