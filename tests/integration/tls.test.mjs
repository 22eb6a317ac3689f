// TLS: with --tls-cert/--tls-key the server speaks HTTPS (TLS >= 1.2, HSTS)
// and may listen beyond loopback; TLS 1.1 is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';

let srv, dir, ca;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lianyi-tls-'));
  const key = path.join(dir, 'key.pem'), cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  ca = fs.readFileSync(cert);
  srv = await startServer({ args: ['--tls-cert', cert, '--tls-key', key] });
});
after(async () => { await srv?.stop(); });

function get(p, opts = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: srv.port, path: p, ca, servername: 'localhost', ...opts }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTPS serves the API with HSTS, verified against the test CA', async () => {
  const r = await get('/healthz');
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).status, 'ok');
  assert.match(r.headers['strict-transport-security'] || '', /max-age=\d+/);
});

test('TLS 1.2 and 1.3 are accepted; TLS 1.1 is refused', async () => {
  const r12 = await get('/healthz', { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  assert.equal(r12.status, 200);
  const r13 = await get('/healthz', { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  assert.equal(r13.status, 200);
  const s = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-tls1_1',
    '-cipher', 'DEFAULT@SECLEVEL=0'], { input: '', encoding: 'utf8', timeout: 10000 });
  assert.notEqual(s.status, 0, 'TLS 1.1 handshake must fail');
  assert.doesNotMatch(s.stdout, /Protocol\s*:\s*TLSv1\.1\b[\s\S]*Cipher\s*:\s*[A-Z]/);
});

test('plain HTTP to the TLS port gets no API answer', async () => {
  let ok = false;
  try {
    const res = await fetch(`http://127.0.0.1:${srv.port}/healthz`);
    ok = res.status === 200 && (await res.text()).includes('"ok"');
  } catch { /* refused or reset: fine */ }
  assert.equal(ok, false);
});
