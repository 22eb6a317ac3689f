// Consultation recordings, silence alerts (Opus issue, acceptance 1–3):
// two @roamhq/wrtc peers (libwebrtc) publish known tones through the relay —
// 440 Hz from the patient, 880 Hz from the doctor — with the patient's
// consent; the recording is then checked with Debian's opus-tools (opusinfo:
// a valid stream of the call's length; opusdec: both tones in the WAV, by
// Goertzel). Then a consultation the patient declines to record: nothing is
// recorded, and its patient sends only silence, which the doctor hears
// about (media.silent) within 12 s. Downloads: HTTP Range, 403 for anyone
// but the doctor, the patient and supervisors, every download in the
// patient's access log (the audit chain).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { startServer } from '../lib/server.mjs';
import { Client, accountId, book, sleep } from './signalling-client.mjs';

const require = createRequire(import.meta.url);
const wrtc = require('@roamhq/wrtc');
process.on('beforeExit', () => process.exit()); // libwebrtc's static destructors crash at exit

// One publisher: a sendonly PeerConnection fed 10 ms of a tone (freq 0: silence) per tick.
class Publisher {
  constructor(ws, cid, freq) { Object.assign(this, { ws, cid, freq }); }

  async start() {
    this.source = new wrtc.nonstandard.RTCAudioSource();
    this.track = this.source.createTrack();
    this.pc = new wrtc.RTCPeerConnection();
    this.pc.addTransceiver(this.track, { direction: 'sendonly', streams: [new wrtc.MediaStream([this.track])] });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const { sdp } = await this.ws.call('media.offer', { consultation_id: this.cid, sdp: this.pc.localDescription.sdp });
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    let phase = 0;
    this.timer = setInterval(() => {
      const samples = new Int16Array(480);
      for (let i = 0; i < 480; i++, phase += (2 * Math.PI * this.freq) / 48000) samples[i] = Math.round(6000 * Math.sin(phase));
      this.source.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
    }, 10);
    await until('connected', () => this.pc.connectionState === 'connected');
  }

  close() {
    clearInterval(this.timer);
    this.track?.stop();
    this.pc?.close();
  }
}

async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Goertzel power of freq in mono samples (Float64Array), normalised by length.
function goertzel(x, freq, rate = 48000) {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0, s2 = 0;
  for (const v of x) { const s = v + k * s1 - s2; s2 = s1; s1 = s; }
  return Math.sqrt(s1 * s1 + s2 * s2 - k * s1 * s2) / x.length;
}

// The PCM of a 16-bit WAV (opusdec's output) as mono floats.
function wavMono(buf) {
  let off = 12, channels = 2, data = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4), len = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') channels = buf.readUInt16LE(off + 10);
    if (id === 'data') { data = buf.subarray(off + 8, Math.min(buf.length, off + 8 + len)); break; }
    off += 8 + len + (len & 1);
  }
  assert.ok(data, 'the WAV has a data chunk');
  const n = Math.floor(data.length / (2 * channels)), out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let c = 0; c < channels; c++) v += data.readInt16LE((i * channels + c) * 2);
    out[i] = v / channels / 32768;
  }
  return out;
}

let srv, dws;
const tok = {}, id = {};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lianyi-rec-'));
let recorded; // the consented consultation's id

// Book, check in, call, and the patient's consent answer; returns {cid, pws}.
async function consultation(consent) {
  const cid = (await book(srv, tok.patient1, { doctor_id: id.doctor1, icd10: 'I10' })).id;
  const pws = await Client.open(srv, tok.patient1);
  await pws.call('queue.check_in', { consultation_id: cid });
  const ans = await pws.call('recording.consent', { consultation_id: cid, consent });
  assert.equal(ans.consent, consent);
  await dws.call('call.patient', { consultation_id: cid });
  assert.equal((await pws.call('room.join', { consultation_id: cid })).consultation.state, 'in_call');
  await dws.call('room.join', { consultation_id: cid });
  return { cid, pws };
}

before(async () => {
  srv = await startServer({ args: ['--media-workers', '1'] });
  for (const u of ['patient1', 'patient8', 'doctor1', 'doctor2', 'supervisor', 'pharmacist1']) tok[u] = await srv.login(u);
  for (const u of ['patient1', 'doctor1']) id[u] = await accountId(srv, tok[u]);
  dws = await Client.open(srv, tok.doctor1);
  await dws.call('doctor.verify', { password: 'lianyi-demo' });
});

after(async () => {
  await dws?.close();
  await srv?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('with consent, a ≥ 10 s call of 440 Hz and 880 Hz is recorded; opusinfo and opusdec agree', async () => {
  const { cid, pws } = await consultation(true);
  recorded = cid;
  const started = dws.waitEvent('recording.state', (d) => d.consultation_id === cid && d.recording, 15000);
  const patient = new Publisher(pws, cid, 440), doctor = new Publisher(dws, cid, 880);
  await patient.start();
  await doctor.start();
  await started;
  const t0 = Date.now();
  const st = await dws.call('recording.get', { consultation_id: cid });
  assert.deepEqual([st.consent, st.recording], [true, true], 'the doctor sees that recording is on');
  await sleep(11000);
  // the end of the consultation: both participants are told the recording's
  // final state (saved, its duration) in the room, after the end and before
  // the room closes, and by then the consultation's record lists it
  const over = (ws, type, pred) => ws.waitEvent(type, (d) => d.consultation_id === cid && pred(d), 5000);
  const finals = [dws, pws].map((ws) => over(ws, 'recording.state', (d) => !d.recording));
  const ended = over(pws, 'consultation.state', (d) => d.state === 'ended');
  await dws.call('call.end', { consultation_id: cid });
  const t1 = Date.now();
  const [fd, fp] = await Promise.all(finals);
  assert.ok((await ended).seq < fp.seq, 'the final state comes after the end');
  for (const f of [fd.data, fp.data]) {
    assert.equal(f.saved, true, JSON.stringify(f));
    assert.match(f.recording_id, /^rec/);
    assert.ok(Math.abs(f.duration_ms - (t1 - t0)) <= 500, `${f.duration_ms} ms recorded, call ${t1 - t0} ms`);
  }
  patient.close();
  doctor.close();
  await pws.close();
  const r = await srv.api('GET', `/api/v1/consultations/${cid}/recordings`, { token: tok.doctor1 });
  assert.equal(r.status, 200);
  const list = r.body.items;
  assert.equal(list.length, 1);
  assert.equal(list[0].id, fd.data.recording_id);
  const rec = list[0];
  assert.equal(rec.error ?? null, null);
  assert.ok(rec.retention_until - rec.created_at >= 3 * 365 * 86400e3, 'kept at least 3 years');
  // the whole file, and one range of it
  const full = await fetch(`${srv.url}/api/v1/consultations/${cid}/recording`, { headers: { authorization: `Bearer ${tok.patient1}` } });
  assert.equal(full.status, 200);
  assert.equal(full.headers.get('content-type'), 'audio/ogg');
  const bytes = Buffer.from(await full.arrayBuffer());
  assert.equal(bytes.length, rec.size_bytes);
  assert.equal(bytes.toString('ascii', 0, 4), 'OggS');
  const part = await fetch(`${srv.url}/api/v1/consultations/${cid}/recording`, {
    headers: { authorization: `Bearer ${tok.doctor1}`, range: 'bytes=100-1123' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-1123/${bytes.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 1124));
  const tail = await fetch(`${srv.url}/api/v1/consultations/${cid}/recording`, {
    headers: { authorization: `Bearer ${tok.supervisor}`, range: 'bytes=-10' } });
  assert.equal(tail.status, 206);
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 10));
  const bad = await fetch(`${srv.url}/api/v1/consultations/${cid}/recording`, {
    headers: { authorization: `Bearer ${tok.doctor1}`, range: `bytes=${bytes.length}-` } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), `bytes */${bytes.length}`);
  // third-party tools: opusinfo validates the stream, opusdec decodes it
  const file = path.join(tmp, 'rec.opus'), wav = path.join(tmp, 'rec.wav');
  fs.writeFileSync(file, bytes);
  const info = execFileSync('opusinfo', [file], { encoding: 'utf8' });
  assert.doesNotMatch(info, /WARNING|ERROR/i, info);
  assert.match(info, /Channels: 1\b/, 'one mono track'); // opusinfo prints the OpusHead channel count
  const m = info.match(/Playback length:\s*(\d+)m:([\d.]+)s/);
  assert.ok(m, info);
  const seconds = Number(m[1]) * 60 + Number(m[2]), expected = (t1 - t0) / 1000;
  assert.ok(Math.abs(seconds - expected) <= 0.5, `opusinfo ${seconds} s, the call was recorded for ${expected} s`);
  assert.ok(Math.abs(seconds - rec.duration_ms / 1000) <= 0.1, `listed ${rec.duration_ms} ms`);
  execFileSync('opusdec', ['--rate', '48000', '--quiet', file, wav]);
  const pcm = wavMono(fs.readFileSync(wav));
  const mid = pcm.subarray(Math.floor(pcm.length * 0.25), Math.floor(pcm.length * 0.75));
  const g = { 440: goertzel(mid, 440), 880: goertzel(mid, 880), 660: goertzel(mid, 660), 1320: goertzel(mid, 1320) };
  const floor = Math.max(g[660], g[1320]);
  console.log(`recording: opusinfo ${seconds.toFixed(2)} s (call ${expected.toFixed(2)} s), ${bytes.length} bytes; `
    + `Goertzel 440 Hz ${g[440].toFixed(4)}, 880 Hz ${g[880].toFixed(4)}, off-tone ${floor.toFixed(5)}`);
  assert.ok(g[440] > 10 * floor && g[880] > 10 * floor, JSON.stringify(g));
});

test('only the doctor, the patient and supervisors get the recording; every download is audited', async () => {
  const url = `/api/v1/consultations/${recorded}/recording`;
  assert.equal((await srv.api('GET', url, { token: tok.doctor2 })).status, 403);
  assert.equal((await srv.api('GET', url, { token: tok.patient8 })).status, 403);
  assert.equal((await srv.api('GET', url, { token: tok.pharmacist1 })).status, 403);
  assert.equal((await srv.api('GET', `/api/v1/consultations/${recorded}/recordings`, { token: tok.doctor2 })).status, 403);
  assert.equal((await srv.api('GET', url, { token: tok.supervisor })).status, 200);
  const log = await srv.api('GET', '/api/v1/me/access-log?limit=50', { token: tok.patient1 });
  const downloads = log.body.items.filter((it) => it.action === 'consult.recording_download');
  assert.ok(downloads.length >= 4, `downloads in the access log: ${downloads.length}`);
  for (const role of ['patient', 'doctor', 'supervisor']) assert.ok(downloads.some((d) => d.actor_role === role), role);
  assert.ok(log.body.items.some((it) => it.action === 'consult.recording_read' && it.outcome === 'denied'), 'refusals too');
});

test('a play ticket lets an <audio> element stream the file; it is bound to its account, recording and hour', async () => {
  const ticketUrl = `/api/v1/consultations/${recorded}/recording/ticket`;
  assert.equal((await srv.api('POST', ticketUrl, { token: tok.doctor2, body: {} })).status, 403);
  const t = await srv.api('POST', ticketUrl, { token: tok.doctor1, body: {} });
  assert.equal(t.status, 200);
  assert.ok(t.body.expires_at > Date.now() + 3500e3 && t.body.expires_at <= Date.now() + 3600e3, 'an hour');
  const play = (u, range = 'bytes=0-') => fetch(`${srv.url}${u}`, { headers: { range } }); // no bearer token
  const ok = await play(t.body.url);
  assert.equal(ok.status, 206);
  assert.equal(ok.headers.get('content-type'), 'audio/ogg');
  assert.equal(Buffer.from(await ok.arrayBuffer()).toString('ascii', 0, 4), 'OggS');
  const u = new URL(t.body.url, srv.url), ticket = u.searchParams.get('ticket');
  const [exp, acct, mac] = ticket.split('.');
  const tampered = [
    `${exp}.${id.patient1}.${mac}`,                              // another account
    `${Number(exp) + 1}.${acct}.${mac}`,                          // a longer life
    `${exp}.${acct}.${mac.slice(0, -1)}${mac.endsWith('0') ? '1' : '0'}`, // a forged MAC
  ];
  for (const bad of tampered) {
    u.searchParams.set('ticket', bad);
    assert.equal((await play(u.pathname + u.search)).status, 401, bad);
  }
  u.searchParams.set('ticket', ticket);
  u.searchParams.set('id', 'rec_other');
  assert.equal((await play(u.pathname + u.search)).status, 401, 'another recording');
  const log = await srv.api('GET', '/api/v1/me/access-log?limit=20', { token: tok.patient1 });
  const d = log.body.items.find((it) => it.action === 'consult.recording_download' && it.actor_role === 'doctor');
  assert.ok(d, 'the ticket\'s download is audited as the doctor');
});

test('retention: a recording younger than 3 years cannot be deleted, nor listed with a shorter retention', () => {
  const db = path.join(srv.data, 'lianyi.db');
  const sql = (q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  assert.throws(() => sql(`DELETE FROM recordings WHERE consultation_id = '${recorded}'`), /retention period not over/);
  assert.throws(() => sql(`UPDATE recordings SET retention_until = created_at + 86400000 WHERE consultation_id = '${recorded}'`),
    /CHECK constraint failed/);
  assert.equal(sql(`SELECT count(*) FROM recordings WHERE consultation_id = '${recorded}'`), '1');
});

test('declined: nothing is recorded; a patient sending silence is reported to the doctor within 12 s', async () => {
  const { cid, pws } = await consultation(false);
  const patient = new Publisher(pws, cid, 0), doctor = new Publisher(dws, cid, 880);
  await doctor.start();
  await patient.start();
  const t0 = Date.now();
  const ev = await dws.waitEvent('media.silent', (d) => d.consultation_id === cid && d.account_id === id.patient1 && d.silent, 12000);
  const delay = Date.now() - t0;
  console.log(`silence: media.silent after ${delay} ms`);
  assert.ok(ev && delay <= 12000);
  assert.equal(dws.seen('recording.state').filter((m) => m.data.consultation_id === cid).length, 0);
  const st = await dws.call('recording.get', { consultation_id: cid });
  assert.deepEqual([st.consent, st.recording], [false, false]);
  await dws.call('call.end', { consultation_id: cid });
  patient.close();
  doctor.close();
  await pws.close();
  await sleep(500);
  const r = await srv.api('GET', `/api/v1/consultations/${cid}/recordings`, { token: tok.patient1 });
  assert.deepEqual(r.body.items, []);
  assert.equal((await srv.api('GET', `/api/v1/consultations/${cid}/recording`, { token: tok.patient1 })).status, 404);
  assert.equal(fs.existsSync(path.join(srv.data, 'recordings', `${cid}.opus`)), false);
});
