// TLS: with --tls-cert/--tls-key the server speaks HTTPS and WSS (TLS >= 1.2,
// forward-secret AEAD suites only, HSTS) to real clients — openssl s_client,
// Node, and Chromium trusting the test certificate — and may listen beyond
// loopback; TLS 1.1 and weak ciphers are refused. SIGHUP loads a renewed
// certificate for new connections while open ones (a WSS session, a call
// with its media) go on. Certificates are made here with openssl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { liveCall } from './wrtc-party.mjs';

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

// A stand-in for tests/lib/server.mjs's login()/api() over HTTPS with the
// test CA (wrtc-party's liveCall needs them).
function httpsApi(caPem) {
  const api = (method, p, { token, body } = {}) => new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = https.request({ host: '127.0.0.1', port: srv.port, path: p, method, ca: caPem, servername: 'localhost', headers }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
  const login = async (username, password = 'lianyi-demo') => (await api('POST', '/api/v1/sessions', { body: { username, password } })).body.token;
  return { port: srv.port, api, login };
}

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

test('openssl s_client: the chain verifies against the test CA and /healthz answers over TLS 1.2 and 1.3', () => {
  for (const v of ['-tls1_2', '-tls1_3']) {
    const s = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-servername', 'localhost', v,
      '-CAfile', path.join(dir, 'cert.pem'), '-verify_return_error', '-ign_eof'],
    { input: 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', encoding: 'utf8', timeout: 10000 });
    assert.equal(s.status, 0, `${v}: ${s.stderr.slice(0, 300)}`);
    assert.match(s.stdout, /Verify return code: 0 \(ok\)/);
    assert.match(s.stdout, /HTTP\/1\.1 200/);
    assert.match(s.stdout, /strict-transport-security: max-age=\d+/i);
    assert.match(s.stdout, /"status":"ok"/);
  }
});

test('Chromium trusting the test certificate loads the API over HTTPS and opens a WSS socket; without it, it refuses', async () => {
  const { chromium } = await import('../e2e/node_modules/playwright-core/index.mjs');
  const spki = execFileSync('sh', ['-c', `openssl x509 -in '${path.join(dir, 'cert.pem')}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`], { encoding: 'utf8' }).trim();
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
  const url = `https://localhost:${srv.port}/healthz`;
  const untrusting = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
  try {
    const page = await untrusting.newPage();
    await assert.rejects(page.goto(url), /ERR_CERT_AUTHORITY_INVALID/, 'an unknown CA is refused');
  } finally { await untrusting.close(); }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...args, `--ignore-certificate-errors-spki-list=${spki}`] });
  try {
    const page = await browser.newPage();
    const res = await page.goto(url);
    assert.equal(res.status(), 200);
    assert.match((await res.allHeaders())['strict-transport-security'] || '', /max-age=\d+/);
    assert.match((await res.securityDetails())?.protocol || '', /^TLS 1\.[23]$/);
    assert.equal(JSON.parse(await res.text()).status, 'ok');
    const ws = await page.evaluate((u) => new Promise((resolve) => {
      const s = new WebSocket(u);
      s.onopen = () => { s.close(); resolve('open'); };
      s.onerror = () => resolve('error');
    }), `wss://localhost:${srv.port}/ws`);
    assert.equal(ws, 'open');
  } finally { await browser.close(); }
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

// Two certificates for the reload: the one the server started with, and a
// renewal (another key) copied over the same files before SIGHUP.
function makeCert(name) {
  const key = path.join(dir, `${name}.key`), cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=localhost/O=${name}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { key, cert, pem: fs.readFileSync(cert) };
}
const fingerprint = (sock) => sock.getPeerCertificate().fingerprint256;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// GET over a given keep-alive agent; resolves with the status and the socket used.
function getVia(agent, p, caPem) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: srv.port, path: p, ca: caPem, servername: 'localhost', agent }, (res) => {
      const sock = res.socket;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, sock, fp: fingerprint(sock) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('SIGHUP loads a renewed certificate for new connections; open HTTPS and WSS connections and a call go on', async () => {
  const { default: WebSocket } = await import('ws');
  const call = await liveCall(httpsApi(ca), { ws: { url: `wss://127.0.0.1:${srv.port}/ws`, ws: { ca, servername: 'localhost' } } });
  try {
    await sighupWithCall(WebSocket, call);
  } finally {
    await call.close();
  }
});

async function sighupWithCall(WebSocket, call) {
  const renewed = makeCert('renewed');
  const both = Buffer.concat([ca, renewed.pem]);
  const [certPath, keyPath] = [srv.extraArgs[1], srv.extraArgs[3]];
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const before1 = await getVia(agent, '/healthz', both);
  assert.equal(before1.status, 200);
  const token = await new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: srv.port, path: '/api/v1/sessions', method: 'POST', ca, servername: 'localhost',
      headers: { 'content-type': 'application/json' } }, (res) => {
      let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve(JSON.parse(b).token));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ username: 'patient1', password: 'lianyi-demo' }));
  });
  const ws = new WebSocket(`wss://127.0.0.1:${srv.port}/ws`, { ca, servername: 'localhost' });
  const replies = [];
  ws.on('message', (m) => replies.push(JSON.parse(m)));
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  ws.send(JSON.stringify({ id: 'a', type: 'auth', data: { token } }));
  await sleep(300);
  assert.equal(replies.find((m) => m.id === 'a')?.ok, true, 'WSS session authenticated');

  // the renewal replaces the files; SIGHUP
  const firstKey = fs.readFileSync(keyPath);
  fs.copyFileSync(renewed.cert, certPath);
  fs.copyFileSync(renewed.key, keyPath);
  srv.proc.kill('SIGHUP');
  await sleep(500);
  assert.match(srv.logText(), /"event":"tls\.reloaded"/);

  // a new connection sees the renewed certificate (and trusts only it)
  const fresh = await getVia(new https.Agent({ keepAlive: false }), '/healthz', renewed.pem);
  assert.equal(fresh.status, 200);
  assert.notEqual(fresh.fp, before1.fp, 'the new handshake presents the renewed certificate');
  // the open keep-alive connection goes on, on the same socket and the old certificate
  const after1 = await getVia(agent, '/healthz', both);
  assert.equal(after1.status, 200);
  assert.equal(after1.sock, before1.sock, 'the same keep-alive connection');
  assert.equal(after1.fp, before1.fp);
  // so does the WSS session
  ws.send(JSON.stringify({ id: 'b', type: 'ping', data: {} }));
  await sleep(300);
  assert.equal(replies.find((m) => m.id === 'b')?.ok, true, 'the WSS session survived the reload');
  assert.equal(ws.readyState, WebSocket.OPEN);

  // the call: both signalling sockets open, audio still flowing both ways
  const flowing = await call.watch();
  await sleep(3000);
  const media = await flowing();
  console.log(`tls: after SIGHUP the call received ${media.received} RTP packets (${media.sent} sent) in ${media.secs.toFixed(1)} s; `
    + `certificate ${before1.fp.slice(0, 23)}… → ${fresh.fp.slice(0, 23)}… for new connections`);
  assert.ok(media.ok, `media after the reload: ${JSON.stringify(media)}`);
  assert.equal(call.pws.ws.readyState, WebSocket.OPEN);
  assert.equal(call.dws.ws.readyState, WebSocket.OPEN);
  assert.ok((await call.pws.call('media.stats', { consultation_id: call.cid })).transports.length > 0);
  assert.deepEqual(call.errors(), []);

  // a key that does not match its certificate is refused; the renewed one stays
  fs.writeFileSync(keyPath, firstKey);
  srv.proc.kill('SIGHUP');
  await sleep(500);
  assert.match(srv.logText(), /"event":"tls\.reload_refused"/);
  const still = await getVia(new https.Agent({ keepAlive: false }), '/healthz', renewed.pem);
  assert.equal(still.fp, fresh.fp, 'a bad pair changes nothing');
  fs.copyFileSync(renewed.key, keyPath);
  ws.close();
  agent.destroy();
}

test('weak ciphers are refused: TLS 1.2 offers only ECDHE with AEAD (no 3DES, RC4, CBC, anonymous)', () => {
  for (const cipher of ['DES-CBC3-SHA', 'RC4-SHA', 'aNULL', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384']) {
    const s = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-tls1_2',
      '-cipher', `${cipher}@SECLEVEL=0`], { input: '', encoding: 'utf8', timeout: 10000 });
    assert.doesNotMatch(s.stdout, /Cipher is (?!\(NONE\))/, `${cipher} must not be negotiated: ${s.stdout.slice(0, 300)}`);
  }
});
