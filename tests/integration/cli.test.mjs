// The operator's tools on a real data directory: import diagnoses, claims statement.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, runCli } from '../lib/server.mjs';

let srv;
before(async () => { srv = await startServer(); await srv.stop(); });

const HEADER = 'facility_id,his_id,national_id,icd10,diagnosed_on,doctor_license_no,note';

test('import diagnoses refuses a file with a bad row, names the line, and writes nothing', async () => {
  const f = path.join(srv.data, 'his.csv');
  fs.writeFileSync(f, `${HEADER}\ncc-pingshan,HIS-1,44031019800101123X,I10,2026-05-01,,ok\ncc-pingshan,HIS-2,not-an-id,I10,2026-05-01,,bad\n`);
  const r = await runCli(['import', 'diagnoses', '--data', srv.data, f]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /his\.csv:3:/);
  const again = await runCli(['audit', 'verify', '--data', srv.data]);
  assert.equal(again.code, 0);
});

test('import diagnoses: wrong header and unreadable file are clear errors', async () => {
  const f = path.join(srv.data, 'bad.csv');
  fs.writeFileSync(f, 'a,b,c\n1,2,3\n');
  const r = await runCli(['import', 'diagnoses', '--data', srv.data, f]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /header/i);
  const missing = await runCli(['import', 'diagnoses', '--data', srv.data, path.join(srv.data, 'nope.csv')]);
  assert.equal(missing.code, 2);
  const usage = await runCli(['import', 'diagnoses', '--data', srv.data]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /usage/);
});

test('claims statement prints CSV and --check passes on the demo district', async () => {
  const r = await runCli(['claims', 'statement', '--data', srv.data, '--date', '2026-11-26', '--check']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^date,facility_id,plan_id,settled_count/m);
  assert.match(r.stdout, /check: OK/);
});

test('unknown commands say so', async () => {
  const r = await runCli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command/);
});
