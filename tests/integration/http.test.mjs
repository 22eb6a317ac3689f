// The HTTP layer: error shapes (400/404/405/413), /healthz, /metrics, static files, --help.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, runCli } from '../lib/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

function assertErrorShape(r, status, codePrefix) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-type')?.split(';')[0], 'application/json');
  assert.equal(typeof r.body.error.code, 'string');
  assert.ok(r.body.error.code.startsWith(codePrefix), `${r.body.error.code} starts with ${codePrefix}`);
  assert.ok(r.body.error.message.length > 3);
}

test('malformed JSON is 400 with the position of the fault', async () => {
  const r = await srv.api('POST', '/api/v1/sessions', { raw: '{"username": "admin", "password": }', headers: { 'content-type': 'application/json' } });
  assertErrorShape(r, 400, 'request.');
  assert.match(r.body.error.message, /column \d+|position \d+/);
  assert.ok(Number.isInteger(r.body.error.position));
  // The fault is the '}' at byte 34 (jansson may count the byte after it).
  assert.ok(r.body.error.position >= 34 && r.body.error.position <= 35, `position ${r.body.error.position}`);
});

test('JSON nested deeper than the limit is refused, not parsed', async () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  const r = await srv.api('POST', '/api/v1/sessions', { raw: deep, headers: { 'content-type': 'application/json' } });
  assert.ok(r.status === 400 || r.status === 413, `status ${r.status}`);
  assert.ok(r.body.error.code.startsWith('request.'));
});

test('unknown routes are 404 with the error shape', async () => {
  assertErrorShape(await srv.api('GET', '/api/v1/no-such-thing'), 404, 'not_found');
  assertErrorShape(await srv.api('POST', '/api/v1/sessions/extra/segments'), 404, 'not_found');
});

test('a known route with the wrong method is 405 with Allow', async () => {
  const r = await srv.api('PUT', '/api/v1/sessions', { body: {} });
  assertErrorShape(r, 405, 'request.method_not_allowed');
  assert.match(r.headers.get('allow') || '', /POST/);
});

test('a body over the limit is 413 and the server keeps serving', async () => {
  const big = JSON.stringify({ username: 'x', password: 'y'.repeat(2 * 1024 * 1024) });
  let r;
  try {
    r = await srv.api('POST', '/api/v1/sessions', { raw: big, headers: { 'content-type': 'application/json' } });
  } catch (e) {
    r = null; // the server may close the connection after answering 413
  }
  if (r) assertErrorShape(r, 413, 'request.too_large');
  const h = await srv.api('GET', '/healthz');
  assert.equal(h.status, 200);
});

test('a declared Content-Length over the limit is refused before the body is read', async () => {
  const reply = await new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1', () => {
      s.write('POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{');
    });
    let data = '';
    s.on('data', (c) => { data += c; if (data.includes('\r\n\r\n')) { s.destroy(); resolve(data); } });
    s.on('error', reject);
    setTimeout(() => { s.destroy(); resolve(data); }, 3000);
  });
  assert.match(reply, /^HTTP\/1\.1 413/);
});

test('/healthz reports the database', async () => {
  const r = await srv.api('GET', '/healthz');
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ok');
  assert.equal(r.body.db, 'ok');
  assert.equal(typeof r.body.uptime_s, 'number');
});

test('/metrics is Prometheus text with requests by route and status, latency, connections, db errors', async () => {
  await srv.api('GET', '/api/v1/no-such-thing');
  await srv.api('POST', '/api/v1/sessions', { body: { username: 'admin', password: 'lianyi-demo' } });
  const r = await srv.api('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  const t = r.text;
  assert.match(t, /# TYPE lianyi_http_requests_total counter/);
  assert.match(t, /lianyi_http_requests_total\{[^}]*route="sessions\.create"[^}]*status="201"[^}]*\} [1-9]/);
  assert.match(t, /lianyi_http_requests_total\{[^}]*status="404"[^}]*\} [1-9]/);
  assert.match(t, /# TYPE lianyi_http_request_duration_seconds histogram/);
  assert.match(t, /lianyi_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} [1-9]/);
  assert.match(t, /lianyi_open_connections [0-9]+/);
  assert.match(t, /lianyi_db_errors_total [0-9]+/);
});

test('static files: / is the app, assets have types, traversal is refused', async () => {
  const home = await srv.api('GET', '/');
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type'), /text\/html/);
  assert.match(home.text, /<html/i);
  const js = await fetch(srv.url + '/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /javascript/);
  for (const p of ['/../server.log', '/%2e%2e/server.log', '/..%2fserver.log', '/x/../../lianyi.db']) {
    const r = await fetch(srv.url + p);
    assert.ok(r.status === 404 || r.status === 400 || r.status === 403, `${p}: ${r.status}`);
    const body = await r.text();
    assert.ok(!body.includes('SQLite format'), p);
  }
});

test('lianyi --help documents every flag and its environment variable', async () => {
  const r = await runCli(['serve', '--help']);
  assert.equal(r.code, 0);
  const out = r.stdout + r.stderr;
  for (const flag of ['--listen', '--data', '--demo', '--tls-cert', '--tls-key', '--log-level', '--web-root', '--master-key', '--session-ttl-s', '--max-body']) {
    assert.ok(out.includes(flag), `help mentions ${flag}`);
  }
  assert.match(out, /LIANYI_LISTEN/);
  assert.match(out, /LIANYI_DATA/);
});

test('without TLS the server refuses to listen on a non-loopback address', async () => {
  const r = await runCli(['serve', '--listen', '0.0.0.0:0', '--data', '/tmp/lianyi-never-created']);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /loopback|tls/i);
});
