// tests/unit/media/interop/chromium_three_party.mjs — three Chromium pages each
// publish (fake devices) and subscribe to the others through the relay; the
// first subscriber is renegotiated when the third participant arrives (m-lines
// appended to a live receive transport). Manual check, like chromium_loopback.mjs:
//   node tests/unit/media/interop/chromium_three_party.mjs [/tmp/relay-harness]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import http from 'node:http';
const require = createRequire('/work/main/tests/e2e/package.json');
const { chromium } = require('playwright-core');
const h = spawn(process.argv[2] || '/tmp/relay-harness', [], { stdio: ['pipe', 'pipe', 'ignore'] });
let buf = ''; const waiters = [];
h.stdout.on('data', d => { buf += d; let i; while ((i = buf.indexOf('\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1); waiters.shift()(JSON.parse(l)); } });
const call = o => new Promise(r => { waiters.push(r); h.stdin.write(JSON.stringify(o) + '\n'); });
const srv = http.createServer((q, r) => { r.setHeader('content-type', 'text/html'); r.end('<html></html>'); });
await new Promise(r => srv.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--no-sandbox'] });

async function join(label) {
  const page = await browser.newPage();
  await page.goto(`http://localhost:${srv.address().port}/`);
  const offer = await page.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    const pc = new RTCPeerConnection(); window.pub = pc;
    for (const t of s.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription.sdp;
  });
  const pub = await call({ op: 'create', room: 'r3', label, kind: 'send' });
  const ans = await call({ op: 'apply', id: pub.id, type: 'offer', sdp: offer });
  if (!ans.sdp) throw new Error('publish refused: ' + JSON.stringify(ans));
  await page.evaluate(async sdp => window.pub.setRemoteDescription({ type: 'answer', sdp }), ans.sdp);
  const sub = await call({ op: 'create', room: 'r3', label, kind: 'recv' });
  return { page, label, sub: sub.id, pub: pub.id };
}

async function subscribe(p) {
  const offer = await call({ op: 'subscribe', id: p.sub });
  if (!offer.sdp) return;
  const answer = await p.page.evaluate(async sdp => {
    if (!window.rx) { window.rx = new RTCPeerConnection(); window.rx.ontrack = e => {}; }
    await window.rx.setRemoteDescription({ type: 'offer', sdp });
    await window.rx.setLocalDescription(await window.rx.createAnswer());
    return window.rx.localDescription.sdp;
  }, offer.sdp);
  const ack = await call({ op: 'apply', id: p.sub, type: 'answer', sdp: answer });
  if (ack.error) throw new Error('answer refused: ' + ack.error);
}

const inbound = p => p.page.evaluate(async () => {
  const o = []; (await window.rx.getStats()).forEach(s => { if (s.type === 'inbound-rtp') o.push({ kind: s.kind, ssrc: s.ssrc, packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, framesDecoded: s.framesDecoded }); });
  return o;
});

const a = await join('specialist1'), b = await join('doctor1');
await subscribe(a); await subscribe(b);
await new Promise(r => setTimeout(r, 3000));
const c = await join('patient1');
await subscribe(c); await subscribe(a); await subscribe(b); // a and b renegotiate to add c
await new Promise(r => setTimeout(r, 6000));
let ok = true;
for (const p of [a, b, c]) {
  const s = await inbound(p);
  console.log(p.label, JSON.stringify(s));
  const audio = s.filter(x => x.kind === 'audio' && x.packetsReceived > 100 && x.packetsLost <= x.packetsReceived / 100);
  const video = s.filter(x => x.kind === 'video' && x.framesDecoded > 0);
  if (audio.length !== 2 || video.length !== 2) ok = false;
}
// patient1 hangs up its camera: the others renegotiate; its m-lines go inactive
await call({ op: 'close', id: c.pub });
await subscribe(a); await subscribe(b);
const left = await a.page.evaluate(() => window.rx.getTransceivers().map(t => t.currentDirection));
console.log('after patient1 left, specialist1 transceivers:', JSON.stringify(left));
if (left.filter(d => d === 'recvonly').length !== 2) ok = false;
console.log(ok ? 'OK: each page receives both others' : 'FAIL');
process.exitCode = ok ? 0 : 1;
await browser.close(); h.stdin.end(); srv.close();
