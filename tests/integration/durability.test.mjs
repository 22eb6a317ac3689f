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
  const patient = await srv.login('patient1');
  const sessions = []; // tokens of acknowledged logins (a session row + an audit entry each)
  const reads = [];    // audit seqs of acknowledged access-log reads (each appends an entry first)
  let stop = false;
  const loginWriter = async () => {
    const users = ['patient1', 'doctor1', 'pharmacist1'];
    for (let i = 0; !stop; i++) {
      try {
        const r = await srv.api('POST', '/api/v1/sessions', { body: { username: users[i % 3], password: 'lianyi-demo' } });
        if (r.status === 201) sessions.push(r.body.token);
      } catch { return; } // connection refused once the server is dead
    }
  };
  const readWriter = async () => {
    while (!stop) {
      try {
        const r = await srv.api('GET', '/api/v1/me/access-log?limit=1', { token: patient });
        if (r.status === 200) reads.push(r.body.items[0].seq);
      } catch { return; }
    }
  };
  const writers = [loginWriter(), readWriter(), readWriter(), readWriter()];
  // Kill at a random moment once a fair number of writes have been acknowledged.
  for (let i = 0; i < 600 && sessions.length + reads.length < 60; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
  await srv.kill();
  stop = true;
  await Promise.all(writers);
  assert.ok(sessions.length >= 1 && reads.length >= 30, `acknowledged: ${sessions.length} logins, ${reads.length} reads`);

  await srv.start({ demo: false });
  let missing = 0;
  for (const token of sessions) {
    const r = await srv.api('GET', '/api/v1/me', { token });
    if (r.status !== 200) missing++;
  }
  assert.equal(missing, 0, `${missing} of ${sessions.length} acknowledged sessions lost`);
  await srv.stop();
  const top = Number(sql(srv.data, "SELECT max(seq) FROM audit WHERE action = 'access_log.read'"));
  const present = new Set(sql(srv.data, "SELECT seq FROM audit WHERE action = 'access_log.read'").split('\n').map(Number));
  const lost = reads.filter((seq) => !present.has(seq));
  assert.deepEqual(lost, [], `acknowledged audit entries lost (max stored seq ${top})`);
  const v = await runCli(['audit', 'verify', '--data', srv.data]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  console.log(`# SIGKILL after ${sessions.length} logins and ${reads.length} audited reads acknowledged: none lost, ${v.stdout.trim()}`);
});

test('an idle server with the demo district stays under 30 MB RSS', async () => {
  const srv = await startServer();
  await srv.api('GET', '/healthz');
  await new Promise((r) => setTimeout(r, 500));
  const status = execFileSync('cat', [`/proc/${srv.proc.pid}/status`], { encoding: 'utf8' });
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
  await srv.stop();
  console.log(`# idle RSS with the demo district: ${kb} kB`);
  // Sanitizer builds carry shadow memory; the budget applies to the normal build.
  if (!process.env.LIANYI_BIN?.includes('asan')) assert.ok(kb < 30 * 1024, `RSS ${kb} kB`);
});
