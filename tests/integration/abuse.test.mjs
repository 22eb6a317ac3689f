// Abuse resistance (issue 12): connection limits, slow-loris HTTP and
// WebSocket clients, as many idle connections as the descriptors allow,
// oversized bodies and frames, deeply nested JSON, login brute force, a spray
// of sign-ins as unknown names (each a whole scrypt, run off the service
// thread), STUN and RTP floods at the media port from many source ports —
// while a real client's /healthz p99 stays under 100 ms and a live
// consultation (two libwebrtc peers) keeps its audio flowing.
//
// Idle connections: 20,000, or as many as the hard open-file limit lets both
// sides hold (each needs one descriptor per connection; Node raises its soft
// limit to the hard one at start, the server raises its own towards
// --max-connections). With `ulimit -Hn` 20,000 that is 19,600 authenticated
// WebSocket sessions (the shape of patients waiting in queues); the test
// prints how many it held. LIANYI_ABUSE_CONNECTIONS overrides the target.
// Clients come from 127.0.0.x addresses so the per-address limit can be seen
// at work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';
import { Worker } from 'node:worker_threads';
import { liveCall } from './wrtc-party.mjs';
import { closedWithin, session, tcp } from './abuse-load.mjs';

const HARD_FDS = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()) || 20000;
const IDLE = Number(process.env.LIANYI_ABUSE_CONNECTIONS || Math.min(20000, HARD_FDS - 400));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const IDLE_USERS = [...Array.from({ length: 38 }, (_, i) => `doctor${i + 6}`),
  ...Array.from({ length: 12 }, (_, i) => `pharmacist${i + 1}`)];
let small, big, call;
const held = [];

before(async () => {
  // the per-address limit through its environment variable, the global one as a flag
  small = await startServer({ args: ['--max-connections', '40'], env: { LIANYI_MAX_CONNECTIONS_PER_IP: '10' } });
  big = await startServer({ args: ['--media-workers', '1'] });
});
after(async () => {
  for (const w of held) w.terminate();
  await call?.close(); // also when the test failed: the tone timers would keep the process alive
  await small?.stop();
  await big?.stop();
});

// GET /healthz over one keep-alive connection every `every` ms until stop(); latencies in ms.
function prober(srv, from) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: from });
  const lat = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const t0 = process.hrtime.bigint();
      await new Promise((resolve) => {
        http.get({ host: '127.0.0.1', port: srv.port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', resolve);
      });
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await sleep(20);
    }
  })();
  return { lat, stop: async () => { running = false; await done; agent.destroy(); } };
}
// GET /healthz on a fresh connection from `from`: { status, body }.
function getFrom(srv, from) {
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ localAddress: from });
    http.get({ host: '127.0.0.1', port: srv.port, path: '/healthz', agent }, (res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => { agent.destroy(); resolve({ status: res.statusCode, body: JSON.parse(b) }); });
    }).on('error', reject);
  });
}
// lianyi_connections_admitted once it is at most `upto` (connections closed
// by their clients are freed when the server reads the close), within 5 s.
async function admitted(srv, upto) {
  let n = Infinity;
  for (let i = 0; i < 50 && n > upto; i++, await sleep(100))
    n = Number(/^lianyi_connections_admitted (\d+)$/m.exec(await (await fetch(`${srv.url}/metrics`)).text())[1]);
  return n;
}
const pct = (a, q) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * q))];


test('--max-connections-per-ip: 503 http.too_many_connections, then closed at accept; --max-connections closes at accept; slots come back', async () => {
  const mine = await Promise.all(Array.from({ length: 10 }, () => tcp(small, '127.0.0.5')));
  assert.equal(mine.filter((s) => s.open).length, 10, 'ten from one address are taken');
  // the eleventh is told why, over HTTP and over a WebSocket upgrade
  const over = await getFrom(small, '127.0.0.5');
  assert.equal(over.status, 503);
  assert.equal(over.body.error.code, 'http.too_many_connections');
  assert.match(over.body.error.message, /\S/);
  const wsOver = await new Promise((r) => {
    const ws = new WebSocket(`ws://127.0.0.1:${small.port}/ws`, { localAddress: '127.0.0.5' });
    ws.on('unexpected-response', (req, res) => { r(res.statusCode); req.destroy(); });
    ws.on('open', () => { r('open'); ws.terminate(); });
    ws.on('error', () => r('error'));
  });
  assert.equal(wsOver, 503, 'a WebSocket upgrade over the limit gets 503 too');
  assert.equal((await getFrom(small, '127.0.0.2')).status, 200, 'another address is served');
  // as many again are held to be answered; past that, closed at accept
  await sleep(3500); // the two refused above are gone (a refused connection lingers up to 3 s for its answer to be read)
  const more = await Promise.all(Array.from({ length: 14 }, () => tcp(small, '127.0.0.5')));
  await sleep(300);
  assert.equal(more.filter((s) => !s.open).length, 4, 'ten over the limit wait for their 503, four are closed at accept');
  for (const s of [...mine, ...more]) s.destroy();
  await sleep(300);
  // WebSocket sessions count too, and give their slot back when they close
  // (from 127.0.0.9: the harness's own keep-alive connection counts against 127.0.0.1)
  const tok = await small.login('doctor6');
  const ws = (await Promise.all(Array.from({ length: 10 }, () => session(small, tok, '127.0.0.9')))).filter(Boolean);
  assert.equal(ws.length, 10);
  assert.equal((await getFrom(small, '127.0.0.9')).status, 503, 'the eleventh from that address is refused');
  for (const w of ws) w.close();
  await sleep(500);
  const again = await tcp(small, '127.0.0.9');
  await sleep(300);
  assert.equal(again.open, true, 'a closed WebSocket gave its slot back');
  again.destroy();
  // 45 more from five addresses (9 each, under the per-address limit): what
  // is free of the 40 is taken, the rest closed at accept
  const before = await admitted(small, 2); // the harness's own keep-alive connections
  const many = [];
  for (let a = 3; a <= 7; a++) many.push(...await Promise.all(Array.from({ length: 9 }, () => tcp(small, `127.0.0.${a}`))));
  await sleep(300);
  const open = many.filter((s) => s.open).length;
  assert.equal(open, 40 - before, `${open} open, ${before} held before`);
  for (const s of many) s.destroy();
  await sleep(300);
  const metrics = await (await fetch(`${small.url}/metrics`)).text();
  assert.match(metrics, /lianyi_connections_refused_total\{reason="per_ip"\} [1-9]/);
  assert.match(metrics, /lianyi_connections_refused_total\{reason="max_connections"\} [1-9]/);
});

test(`${IDLE} idle sessions, slow-loris clients, garbage and UDP floods: /healthz p99 < 100 ms, a call goes on`, async () => {
  call = await liveCall(big);
  const tokens = await Promise.all(IDLE_USERS.map((u) => big.login(u)));
  const t0 = Date.now();
  for (let i = 0; i < IDLE; i += 500) {
    const batch = await Promise.all(Array.from({ length: Math.min(500, IDLE - i) }, (_, k) =>
      session(big, tokens[(i + k) % tokens.length], `127.0.0.${10 + ((i + k) % 50)}`)));
    held.push(...batch.filter(Boolean));
    if (batch.filter(Boolean).length === 0) break;
  }
  const opened = Date.now() - t0;
  const mediaPort = Number(/UDP ports (\d+)/.exec(big.logText())?.[1]);
  const probe = prober(big, '127.0.0.2');
  const flowing = await call.watch();
  const worker = new Worker(new URL('./abuse-load.mjs', import.meta.url), { workerData: { abuse: true, port: big.port,
    mediaPort, seconds: 15, tokens: { garbage: await big.login('specialist5'), frames: await big.login('specialist6') } } });
  const report = await new Promise((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (e) => resolve({ ok: false, error: String(e.stack || e) }));
  });
  await worker.terminate();
  const media = await flowing();
  await probe.stop();
  assert.ok(report.ok, report.error);
  const { loris, closed, frameRefusals, flood } = report;
  const stillOpen = held.filter((w) => w.readyState === WebSocket.OPEN).length;
  const [p50, p99] = [pct(probe.lat, 0.5), pct(probe.lat, 0.99)];
  console.log(`abuse: ${held.length} idle sessions held (target ${IDLE}, hard fd limit ${HARD_FDS}) opened in ${opened} ms, `
    + `${stillOpen} still open; ${closed}/${loris} slow-loris clients closed by the server; `
    + `/healthz p50 ${p50.toFixed(1)} ms p99 ${p99.toFixed(1)} ms over ${probe.lat.length} probes; `
    + `${frameRefusals} oversized WebSocket frames refused; `
    + `UDP flood ${flood ? `${flood.sent} datagrams to port ${mediaPort}, ${flood.replies} answered` : 'skipped (no media port)'}; `
    + `live call: ${media.received} RTP packets received (${media.sent} sent) in ${media.secs.toFixed(1)} s of abuse`);
  assert.ok(held.length >= Math.min(IDLE, 1000), `held ${held.length} of ${IDLE}`);
  assert.equal(stillOpen, held.length, 'idle authenticated sessions are left alone');
  assert.equal(closed, loris, 'every slow-loris client was closed (within ~20 s)');
  assert.ok(p99 < 100, `/healthz p99 ${p99} ms`);
  if (flood) assert.equal(flood.replies, 0, 'nothing goes back to an address that passed no ICE check');
  assert.ok(media.ok, `the call kept its media flowing: ${JSON.stringify(media)}`);
  assert.deepEqual(call.errors(), []);
});
