// Graceful shutdown: SIGTERM finishes what is in flight, stops accepting,
// closes the database cleanly (WAL checkpointed) and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';

test('SIGTERM during requests: in-flight answers complete, the db closes cleanly, exit 0', async () => {
  const srv = await startServer();
  const token = await srv.login('patient1');
  // A burst of audited reads in flight when the signal lands.
  const inflight = Array.from({ length: 20 }, () => srv.api('GET', '/api/v1/me/access-log?limit=5', { token }).catch((e) => e));
  srv.proc.kill('SIGTERM');
  const results = await Promise.all(inflight);
  const { code, signal } = await srv.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
  // Every request either completed normally or was never accepted; none was cut halfway.
  for (const r of results) {
    if (r instanceof Error) continue;
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.body.items));
  }
  const log = srv.logText();
  assert.match(log, /"event":"server\.stopping"/);
  assert.match(log, /"event":"server\.stopped"/);
  const wal = path.join(srv.data, 'lianyi.db-wal');
  assert.ok(!fs.existsSync(wal) || fs.statSync(wal).size === 0, 'WAL checkpointed at close');
  // Nothing listens any more.
  await assert.rejects(fetch(srv.url + '/healthz'));
});
