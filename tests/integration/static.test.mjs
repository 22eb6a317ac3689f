// The web app's files (server/static.c, server/static_gz.c): caching headers,
// gzip for text when the client accepts it (compressed by the server, cached,
// compressed again when the file changes), revalidation with ETag / 304, and
// files that do not compress sent as they are.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, SRC } from '../lib/server.mjs';

let srv, root;

// A raw GET/HEAD (fetch would decompress): {status, headers, body: Buffer}.
function get(p, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    // a connection each (after a HEAD of a file the server does not keep the connection; not this test's subject)
    const req = http.request({ host: '127.0.0.1', port: srv.port, path: p, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lianyi-web-'));
  fs.cpSync(path.join(SRC, 'web'), root, { recursive: true });
  fs.writeFileSync(path.join(root, 'pixel.png'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  srv = await startServer({ demo: false, args: ['--web-root', root] });
});
after(async () => {
  await srv?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test('JavaScript: gzip when accepted, the same bytes plain otherwise; cached an hour; Vary', async () => {
  const file = fs.readFileSync(path.join(root, 'app.js'));
  const gz = await get('/app.js', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gz.headers['content-type'], /^text\/javascript/);
  assert.equal(gz.headers['cache-control'], 'max-age=3600');
  assert.match(gz.headers.vary, /accept-encoding/i);
  assert.match(gz.headers.etag, /-gz"$/);
  assert.equal(Number(gz.headers['content-length']), gz.body.length);
  assert.ok(gz.body.length < file.length * 0.6, `${gz.body.length} of ${file.length} bytes`);
  assert.deepEqual(zlib.gunzipSync(gz.body), file);

  const plain = await get('/app.js');
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.deepEqual(plain.body, file);
  assert.match(plain.headers.vary, /accept-encoding/i);
  assert.notEqual(plain.headers.etag, gz.headers.etag);
  assert.equal(plain.headers['x-content-type-options'], 'nosniff');
});

test('the page itself is revalidated every time; the dictionaries and SVG compress too', async () => {
  const html = await get('/', { 'accept-encoding': 'gzip' });
  assert.equal(html.status, 200);
  assert.equal(html.headers['cache-control'], 'no-cache');
  assert.match(zlib.gunzipSync(html.body).toString(), /<div id="app"/);
  for (const p of ['/i18n/zh-CN.json', '/favicon.svg', '/styles.css']) {
    const r = await get(p, { 'accept-encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip', p);
    assert.deepEqual(zlib.gunzipSync(r.body), fs.readFileSync(path.join(root, p)), p);
  }
  const png = await get('/pixel.png', { 'accept-encoding': 'gzip' });
  assert.equal(png.headers['content-encoding'], undefined, 'images are sent as they are');
  assert.equal(png.headers.vary, undefined);
});

test('If-None-Match with the current ETag: 304 without a body; HEAD still gives the size', async () => {
  for (const enc of [{}, { 'accept-encoding': 'gzip' }]) {
    const first = await get('/ui.js', enc);
    const again = await get('/ui.js', { ...enc, 'if-none-match': first.headers.etag });
    assert.equal(again.status, 304, JSON.stringify(enc));
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, first.headers.etag);
  }
  const stale = await get('/ui.js', { 'if-none-match': '"0-0"' });
  assert.equal(stale.status, 200);
  const head = await get('/ui.js', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers['content-length']), fs.statSync(path.join(root, 'ui.js')).size);
});

test('an edited file is served new, compressed again, under a new ETag', async () => {
  const p = path.join(root, 'controls.js');
  const before = await get('/controls.js', { 'accept-encoding': 'gzip' });
  fs.appendFileSync(p, '\n// edited\n');
  const after = await get('/controls.js', { 'accept-encoding': 'gzip' });
  assert.notEqual(after.headers.etag, before.headers.etag);
  assert.match(zlib.gunzipSync(after.body).toString(), /\/\/ edited\n$/);
  const old = await get('/controls.js', { 'accept-encoding': 'gzip', 'if-none-match': before.headers.etag });
  assert.equal(old.status, 200, 'the old version is not current any more');
});
