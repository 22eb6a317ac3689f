// tests/unit/media/interop/chromium_loopback.mjs — a real Chromium publishes
// (fake camera and microphone) through the relay to a second page. Manual check:
//   [CODEC=H264] node tests/unit/media/interop/chromium_loopback.mjs [/tmp/relay-harness]
// Exits 1 unless the subscriber decodes frames and receives audio without loss.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
const require = createRequire('/work/main/tests/e2e/package.json');
const { chromium } = require('playwright-core');
const h = spawn(process.argv[2] || '/tmp/relay-harness', [], { stdio: ['pipe', 'pipe', 'inherit'] });
let buf = ''; const waiters = [];
h.stdout.on('data', d => { buf += d; let i; while ((i = buf.indexOf('\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1); waiters.shift()(JSON.parse(l)); } });
const call = o => new Promise(r => { waiters.push(r); h.stdin.write(JSON.stringify(o) + '\n'); });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--no-sandbox'] });
const http = await import('node:http');
const srv = http.createServer((q, r) => { r.setHeader('content-type', 'text/html'); r.end('<html><body>t</body></html>'); });
await new Promise(r => srv.listen(0, '127.0.0.1', r));
const url = `http://localhost:${srv.address().port}/`;
const pubPage = await browser.newPage(); const subPage = await browser.newPage();
await pubPage.goto(url); await subPage.goto(url);
pubPage.on('console', m => console.log('pub:', m.text())); subPage.on('console', m => console.log('sub:', m.text()));
// CODEC=H264 restricts the publisher's video to H.264 (packetization-mode=1)
const offer = await pubPage.evaluate(async codec => {
  const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
  const pc = new RTCPeerConnection(); window.pc = pc;
  for (const t of s.getTracks()) {
    const tr = pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
    if (codec === 'H264' && t.kind === 'video')
      tr.setCodecPreferences(RTCRtpSender.getCapabilities('video').codecs.filter(c =>
        c.mimeType === 'video/H264' && /packetization-mode=1/.test(c.sdpFmtpLine || '')));
  }
  pc.onconnectionstatechange = () => console.log('state ' + pc.connectionState);
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
}, process.env.CODEC || 'VP8');
const pub = await call({ op: 'create', room: 'r1', label: 'patient1', kind: 'send' });
const ans = await call({ op: 'apply', id: pub.id, type: 'offer', sdp: offer });
if (!ans.sdp) { console.log('publish refused', ans); process.exit(1); }
await pubPage.evaluate(async sdp => { await window.pc.setRemoteDescription({ type: 'answer', sdp }); }, ans.sdp);
const sub = await call({ op: 'create', room: 'r1', label: 'doctor1', kind: 'recv' });
const soffer = await call({ op: 'subscribe', id: sub.id });
if (!soffer.sdp) { console.log('subscribe failed', soffer); process.exit(1); }
const sans = await subPage.evaluate(async sdp => {
  const pc = new RTCPeerConnection(); window.pc = pc; window.tracks = [];
  pc.ontrack = e => window.tracks.push(e.track.kind);
  pc.onconnectionstatechange = () => console.log('state ' + pc.connectionState);
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  return pc.localDescription.sdp;
}, soffer.sdp);
const ack = await call({ op: 'apply', id: sub.id, type: 'answer', sdp: sans });
console.log('answer applied', ack.error || 'ok');
const recPath = `/tmp/lianyi-interop-${process.pid}.opus`;
console.log('recording', JSON.stringify(await call({ op: 'record', room: 'r1', path: recPath })));
await new Promise(r => setTimeout(r, 7000));
const rec = await call({ op: 'unrecord', room: 'r1' });
console.log('recorded', rec.duration_ms, 'ms into', recPath);
const stats = async page => page.evaluate(async () => {
  const r = await window.pc.getStats(); const o = [];
  r.forEach(s => { if (s.type === 'inbound-rtp' || s.type === 'outbound-rtp' || (s.type === 'candidate-pair' && s.nominated))
    o.push({ type: s.type, kind: s.kind, packetsReceived: s.packetsReceived, packetsSent: s.packetsSent, packetsLost: s.packetsLost, framesDecoded: s.framesDecoded, codec: s.codecId, rtt: s.currentRoundTripTime, nack: s.nackCount, pli: s.pliCount }); });
  return { state: window.pc.connectionState, o, tracks: window.tracks };
});
const pubStats = await stats(pubPage), subStats = await stats(subPage);
console.log('PUB', JSON.stringify(pubStats));
console.log('SUB', JSON.stringify(subStats));
const inA = subStats.o.find(s => s.type === 'inbound-rtp' && s.kind === 'audio');
const inV = subStats.o.find(s => s.type === 'inbound-rtp' && s.kind === 'video');
const ok = inA && inV && inA.packetsReceived > 100 && inV.framesDecoded > 0 &&
  inA.packetsLost <= inA.packetsReceived / 100 && inV.packetsLost <= inV.packetsReceived / 100;
console.log(ok ? 'OK: audio and video flow through the relay' : 'FAIL');
process.exitCode = ok ? 0 : 1;
console.log('relay pub', JSON.stringify(await call({ op: 'stats', id: pub.id })));
console.log('relay sub', JSON.stringify(await call({ op: 'stats', id: sub.id })));
await browser.close(); h.stdin.end(); srv.close();
