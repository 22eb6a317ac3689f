// Weak links (Opus issue, acceptance 4): the patient publishes audio and
// video (@roamhq/wrtc); the doctor receives through a loss shim — a UDP proxy
// in this test between the doctor's receiving PeerConnection and the relay's
// media port (the relay's candidate in its offer is rewritten to the proxy's
// port) that drops 20 % of the RTP packets toward the doctor. Drops are by
// sequence number (seq % 5 == 0), so the relay's retransmissions of a dropped
// packet are dropped too and the loss the doctor's receiver reports stays
// near 20 %. Loss above 10 % for 5 s: the relay stops forwarding video to the
// doctor (media.weak_link audio_only) while the audio goes on; once the shim
// stops dropping and the loss stays under 2 % for 10 s, video resumes —
// about 10-11 s after the shim stops (15 s at most), not a report interval or
// two later.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startServer } from '../lib/server.mjs';
import { Client, accountId, book, sleep } from './signalling-client.mjs';
import { until, wrtc } from './wrtc-party.mjs';


// The proxy: the first peer that writes to it is the client; everything from
// the relay goes back to it, minus the RTP packets drop() picks.
async function lossShim(relayPort) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const shim = { port: sock.address().port, dropping: false, dropped: 0, passed: 0, client: null };
  sock.on('message', (m, from) => {
    if (from.port !== relayPort) {
      shim.client = from;
      sock.send(m, relayPort, '127.0.0.1');
      return;
    }
    if (!shim.client) return;
    const rtp = m.length > 12 && m[0] >= 128 && m[0] < 192 && !(m[1] >= 192 && m[1] <= 223); // RFC 7983, RFC 5761
    if (rtp && shim.dropping && m.readUInt16BE(2) % 5 === 0) {
      shim.dropped++;
      return;
    }
    if (rtp) shim.passed++;
    sock.send(m, shim.client.port, shim.client.address);
  });
  shim.close = () => sock.close();
  return shim;
}

let srv, pws, dws, cid, shim;
const pcs = [], timers = [], tracks = [];
let passed = false; // the runner's own exit code is only settled when the loop empties
const tok = {}, id = {};

before(async () => {
  srv = await startServer({ args: ['--media-workers', '1'] });
  for (const u of ['patient1', 'doctor1']) {
    tok[u] = await srv.login(u);
    id[u] = await accountId(srv, tok[u]);
  }
  cid = (await book(srv, tok.patient1, { doctor_id: id.doctor1, icd10: 'I10' })).id;
  dws = await Client.open(srv, tok.doctor1);
  await dws.call('doctor.verify', { password: 'lianyi-demo' });
  pws = await Client.open(srv, tok.patient1);
  await pws.call('queue.check_in', { consultation_id: cid });
  await dws.call('call.patient', { consultation_id: cid });
  await pws.call('room.join', { consultation_id: cid });
  await dws.call('room.join', { consultation_id: cid });
});

after(async () => {
  timers.forEach(clearInterval);
  tracks.forEach((tr) => tr.stop());
  pcs.forEach((pc) => pc.close());
  shim?.close();
  await pws?.close();
  await dws?.close();
  await srv?.stop();
  // libwebrtc's video source keeps threads that can hold the loop open after
  // everything is closed: leave once the results are out (exit code kept)
  setTimeout(() => process.exit(passed ? 0 : 1), 2000);
});

// The patient publishes a tone and a noisy 320×240 picture at 15 fps.
async function publish() {
  const audio = new wrtc.nonstandard.RTCAudioSource(), video = new wrtc.nonstandard.RTCVideoSource();
  const at = audio.createTrack(), vt = video.createTrack(), stream = new wrtc.MediaStream([at, vt]);
  tracks.push(at, vt);
  const pc = new wrtc.RTCPeerConnection();
  pcs.push(pc);
  pc.addTransceiver(at, { direction: 'sendonly', streams: [stream] });
  pc.addTransceiver(vt, { direction: 'sendonly', streams: [stream] });
  await pc.setLocalDescription(await pc.createOffer());
  const { sdp } = await pws.call('media.offer', { consultation_id: cid, sdp: pc.localDescription.sdp });
  await pc.setRemoteDescription({ type: 'answer', sdp });
  let phase = 0;
  timers.push(setInterval(() => {
    const samples = new Int16Array(480);
    for (let i = 0; i < 480; i++, phase += (2 * Math.PI * 440) / 48000) samples[i] = Math.round(6000 * Math.sin(phase));
    audio.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
  }, 10));
  const W = 320, H = 240;
  timers.push(setInterval(() => {
    const data = new Uint8ClampedArray(W * H * 1.5);
    for (let i = 0; i < data.length; i++) data[i] = (Math.random() * 255) | 0;
    video.onFrame({ width: W, height: H, data });
  }, 66));
}

// The doctor receives through the shim: the relay's candidate port becomes the shim's.
async function subscribe() {
  const pc = new wrtc.RTCPeerConnection();
  pcs.push(pc);
  let chain = Promise.resolve();
  const receive = dws.receive.bind(dws);
  dws.receive = (text) => {
    receive(text);
    const m = JSON.parse(text);
    if (m.type !== 'media.offer' || m.data?.consultation_id !== cid) return;
    chain = chain.then(async () => {
      let sdp = m.data.sdp;
      const port = Number(sdp.match(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/)[1]);
      shim ??= await lossShim(port);
      sdp = sdp.replace(/(a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 )(\d+)( typ host)/g, `$1${shim.port}$3`);
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await dws.call('media.answer', { consultation_id: cid, sdp: pc.localDescription.sdp });
    });
  };
  await dws.call('media.subscribe', { consultation_id: cid });
  return pc;
}

async function inbound(pc) {
  const r = {};
  (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') r[s.kind] = s.packetsReceived; });
  return r;
}

test('20 % loss toward the doctor: video pauses (audio goes on), and resumes once the loss is gone', async () => {
  await publish();
  const pc = await subscribe();
  await until('video at the doctor', async () => (await inbound(pc)).video > 50, 20000);
  shim.dropping = true;
  const t0 = Date.now();
  const weak = await dws.waitEvent('media.weak_link', (d) => d.consultation_id === cid && d.audio_only, 15000);
  const tWeak = Date.now() - t0;
  assert.ok(weak);
  await sleep(1000);
  const a = await inbound(pc);
  await sleep(2000);
  const b = await inbound(pc);
  assert.ok(b.video - a.video <= 5, `video paused: ${b.video - a.video} packets in 2 s`);
  assert.ok(b.audio - a.audio >= 50, `audio goes on: ${b.audio - a.audio} packets in 2 s`);
  shim.dropping = false;
  const t1 = Date.now();
  await dws.waitEvent('media.weak_link', (d) => d.consultation_id === cid && !d.audio_only, 30000);
  const tGood = Date.now() - t1;
  await until('video again', async () => (await inbound(pc)).video > b.video + 30, 10000);
  console.log(`weak link: audio-only ${tWeak} ms after 20 % loss began (dropped ${shim.dropped}, passed ${shim.passed}); `
    + `video resumed ${tGood} ms after the loss ended`);
  assert.ok(tWeak >= 4000, `not before 5 s of loss (${tWeak} ms)`);
  // the good period starts with the interval of the first good report (the
  // one before it may still cover some loss) and the relay checks every second;
  // quiet runs give 10.3-10.8 s. The bound leaves room for a late receiver
  // report on a loaded machine (libwebrtc spaces them 2.5-7.5 s apart) and
  // still fails the old behaviour (19-24 s: a report interval or two late).
  assert.ok(tGood >= 9000 && tGood <= 15000, `resumed 10-15 s after the loss ended (${tGood} ms)`);
  passed = true;
});
