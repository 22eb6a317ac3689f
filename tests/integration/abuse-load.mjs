// The hostile clients of tests/integration/abuse.test.mjs, run in a worker
// thread so that their own work does not delay the test's /healthz probe and
// its live call on the main thread: slow-loris HTTP and WebSocket clients,
// oversized bodies and WebSocket messages, deeply nested JSON, a login brute
// force and a sign-in spray, STUN and RTP floods from many source ports.
// Not a test file itself; the connection helpers are shared with the test.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A TCP connection from a 127.0.0.x address; .open tells whether it still is.
export function tcp(srv, from = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.connect({ port: srv.port, host: '127.0.0.1', localAddress: from });
    s.open = false;
    s.on('connect', () => { s.open = true; resolve(s); });
    s.on('close', () => { s.open = false; resolve(s); });
    s.on('error', () => {});
  });
}

// An authenticated WebSocket session; resolves null when refused.
export function session(srv, token, from) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws`, { localAddress: from, perMessageDeflate: false });
    ws.on('error', () => resolve(null));
    ws.on('close', () => resolve(null));
    ws.on('open', () => ws.send(JSON.stringify({ id: '1', type: 'auth', data: { token } })));
    ws.on('message', (m) => resolve(JSON.parse(m).ok ? ws : null));
  });
}

export const closedWithin = async (socks, ms) => {
  const end = Date.now() + ms;
  while (Date.now() < end && socks.some((s) => s.open)) await sleep(100);
  return socks.filter((s) => !s.open).length;
};

async function slowLoris(srv, n, from) {
  const socks = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    if (kind === 2) {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws`, { localAddress: from });
      const s = { open: true, destroy: () => ws.terminate() };
      ws.on('close', () => { s.open = false; });
      ws.on('error', () => { s.open = false; });
      socks.push(s); // upgraded, never authenticates
      continue;
    }
    const s = await tcp(srv, from);
    const head = kind === 0 ? 'GET /healthz HTTP/1.1\r\nHost: x\r\n'
      : 'POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{';
    s.write(head);
    const t = setInterval(() => { if (s.open) s.write(' '); else clearInterval(t); }, 1000);
    socks.push(s);
  }
  return socks;
}

// Declares a 100 MB body, sends a little of it; resolves with the status line.
function oversized(srv) {
  return new Promise((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1', () => s.write('POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n'
      + 'Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{"username":'));
    let got = '';
    s.on('data', (d) => { got += d; if (got.includes('\r\n')) { resolve(got.split('\r\n')[0]); s.destroy(); } });
    s.on('error', () => resolve(got));
    s.on('close', () => resolve(got));
  });
}

async function garbage(srv, tok, stop) {
  let n = 0;
  while (!stop.done) {
    assert.match(await oversized(srv), /^HTTP\/1\.1 413/, 'a body over --max-body is refused before it is read');
    const deep = await fetch(`${srv.url}/api/v1/consultations`, { method: 'POST', body: '['.repeat(10000) + ']'.repeat(10000),
      headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' } });
    assert.equal(deep.status, 413, 'deep JSON');
    assert.equal((await deep.json()).error.code, 'request.too_deep');
    const brute = await fetch(`${srv.url}/api/v1/sessions`, { method: 'POST', body: JSON.stringify({ username: 'doctor1', password: `guess-${n++}` }),
      headers: { 'content-type': 'application/json' } });
    assert.ok([401, 429].includes(brute.status));
    // sign-ins as names that do not exist: each costs a whole scrypt, which must not stall the loop
    const spray = await Promise.all(Array.from({ length: n % 4 ? 0 : 2 }, (_, i) => fetch(`${srv.url}/api/v1/sessions`, {
      method: 'POST', body: JSON.stringify({ username: `nobody-${n}-${i}`, password: 'x' }),
      headers: { 'content-type': 'application/json' } })));
    for (const r of spray) assert.ok([401, 503].includes(r.status), `sign-in spray: ${r.status}`);
    await sleep(50);
  }
  const last = await fetch(`${srv.url}/api/v1/sessions`, { method: 'POST', body: JSON.stringify({ username: 'doctor1', password: 'lianyi-demo' }),
    headers: { 'content-type': 'application/json' } });
  assert.equal(last.status, 429, 'brute force: even the right password waits out the window');
}

// An authenticated session sending 1 MiB messages (over the 64 KiB cap): each
// is read and dropped, answered request.too_large, and the session goes on.
// Resolves with how many were refused.
async function frames(srv, token, stop) {
  const ws = await session(srv, token, '127.0.0.4');
  assert.ok(ws, 'a session for the oversized frames');
  let refused = 0;
  ws.on('message', (m) => { if (JSON.parse(m).error?.code === 'request.too_large') refused++; });
  const big = JSON.stringify({ id: 'x', type: 'chat.send', data: { text: 'x'.repeat(1 << 20) } });
  let sent = 0;
  while (!stop.done) {
    ws.send(big);
    sent++;
    await sleep(500);
  }
  await sleep(500);
  assert.equal(ws.readyState, WebSocket.OPEN, 'the session goes on after its oversized messages');
  assert.equal(refused, sent, 'every oversized message refused with request.too_large');
  ws.terminate();
  return refused;
}

// STUN binding requests naming no transport and RTP-shaped junk from many source ports.
async function udpFlood(port, stop) {
  const socks = await Promise.all(Array.from({ length: 64 }, () => new Promise((r) => {
    const s = dgram.createSocket('udp4');
    s.replies = 0;
    s.on('message', () => { s.replies++; });
    s.bind(0, '127.0.0.1', () => r(s));
  })));
  let sent = 0;
  while (!stop.done) {
    for (const s of socks) {
      const stun = Buffer.alloc(20 + 12);
      stun.writeUInt16BE(0x0001, 0); stun.writeUInt16BE(12, 2); stun.writeUInt32BE(0x2112a442, 4);
      stun.writeUInt16BE(0x0006, 20); stun.writeUInt16BE(8, 22); stun.write(`u${sent % 9999}:x`.padEnd(8, 'z'), 24);
      const rtp = Buffer.alloc(172, sent & 0xff); rtp[0] = 0x80; rtp[1] = 111;
      s.send(stun, port, '127.0.0.1');
      s.send(rtp, port, '127.0.0.1');
      sent += 2;
    }
    await sleep(20); /* ~6,400 datagrams a second from 64 source ports */
  }
  await sleep(200);
  const replies = socks.reduce((a, s) => a + s.replies, 0);
  for (const s of socks) s.close();
  return { sent, replies };
}

// In the worker: run everything for `seconds`, then report.
if (!isMainThread && workerData?.abuse) {
  const { port, mediaPort, tokens, seconds } = workerData;
  const srv = { port, url: `http://127.0.0.1:${port}` };
  const stop = { done: false };
  try {
    const loris = await slowLoris(srv, 150, '127.0.0.3');
    const work = Promise.all([garbage(srv, tokens.garbage, stop), frames(srv, tokens.frames, stop),
      mediaPort ? udpFlood(mediaPort, stop) : null]);
    await sleep(seconds * 1000);
    stop.done = true;
    const [, frameRefusals, flood] = await work;
    const closed = await closedWithin(loris, 5000);
    parentPort.postMessage({ ok: true, loris: loris.length, closed, frameRefusals, flood });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e.stack || e) });
  }
}
