// The media relay under an independent WebRTC stack (media issue, acceptance
// 3 and 4): Google's libwebrtc for Node (@roamhq/wrtc) plays the patient and
// the doctor of a consultation over the documented protocol
// (docs/signalling.md, Media). Each publishes a synthetic audio track (a tone
// fed through RTCAudioSource, sent as Opus) and receives the other's; packets
// are counted by both stacks and by the relay (media.stats, /metrics). Then
// the relay's real UDP port: a STUN check with the right credentials is
// answered, one naming no transport or failing MESSAGE-INTEGRITY is not, and
// nothing goes back to an address that passed no check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import zlib from 'node:zlib';
import { startServer } from '../lib/server.mjs';
import { Client, accountId, book, sleep } from './signalling-client.mjs';
import { Party, rtp, until } from './wrtc-party.mjs';

async function metric(srv, name) {
  const r = await fetch(`${srv.url}/metrics`);
  const m = (await r.text()).match(new RegExp(`^${name} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

// A STUN binding request (RFC 5389) as a browser sends it: USERNAME,
// PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY keyed with `key`, FINGERPRINT.
function stunBinding(username, key) {
  const tid = crypto.randomBytes(12);
  const attr = (type, value) => {
    const b = Buffer.alloc(4 + value.length + ((4 - (value.length % 4)) % 4));
    b.writeUInt16BE(type, 0);
    b.writeUInt16BE(value.length, 2);
    value.copy(b, 4);
    return b;
  };
  const header = (len) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(len, 2);
    h.writeUInt32BE(0x2112a442, 4);
    tid.copy(h, 8);
    return h;
  };
  let body = Buffer.concat([attr(0x0006, Buffer.from(username)), attr(0x0024, Buffer.from([0x6e, 0, 0x1e, 0xff])),
    attr(0x802a, crypto.randomBytes(8))]);
  const mac = crypto.createHmac('sha1', key).update(Buffer.concat([header(body.length + 24), body])).digest();
  body = Buffer.concat([body, attr(0x0008, mac)]);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((zlib.crc32(Buffer.concat([header(body.length + 8), body])) ^ 0x5354554e) >>> 0);
  body = Buffer.concat([body, attr(0x8028, fp)]);
  return Buffer.concat([header(body.length), body]);
}

// Send one datagram from a fresh socket; resolves with the reply or null.
async function probe(port, payload, ms = 700) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const got = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    sock.on('message', (m) => { clearTimeout(timer); resolve(m); });
  });
  sock.send(payload, port, '127.0.0.1');
  const reply = await got;
  sock.close();
  return reply;
}

const sdpLine = (sdp, re) => sdp.match(re)?.[1];

let srv, cid, patient, doctor, pws, dws;
const tok = {};
const id = {};

before(async () => {
  srv = await startServer({ args: ['--media-workers', '2'] });
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
  const joined = await pws.call('room.join', { consultation_id: cid });
  assert.equal(joined.consultation.state, 'in_call');
});

after(async () => {
  patient?.close();
  doctor?.close();
  await pws?.close();
  await dws?.close();
  await srv?.stop();
});

test('media.* need the room: not joined, bad fields, an answer with no offer', async () => {
  assert.equal(await pws.fails('media.offer', { consultation_id: 'con_nothing', sdp: 'v=0' }), 'room.not_joined');
  assert.equal(await pws.fails('media.subscribe', { consultation_id: 'con_nothing' }), 'room.not_joined');
  assert.equal(await pws.fails('media.offer', { consultation_id: cid }), 'request.missing_field');
  assert.equal(await pws.fails('media.answer', { consultation_id: cid, sdp: 'v=0\r\n' }), 'media.no_offer');
  assert.equal(await pws.fails('media.mute', { consultation_id: cid, kind: 'smell', muted: true }), 'request.invalid_field');
  assert.equal(await pws.fails('media.offer', { consultation_id: cid, sdp: 'not an sdp' }), 'media.sdp_malformed');
  const none = await pws.call('media.stats', { consultation_id: cid });
  assert.ok(Array.isArray(none.transports));
});

test('two libwebrtc peers send each other Opus through the relay', async () => {
  patient = new Party(pws, cid, id.patient1, 440);
  doctor = new Party(dws, cid, id.doctor1, 660);
  await patient.subscribe();
  await doctor.subscribe();
  await patient.publish();
  await doctor.publish();
  for (const p of [patient, doctor]) {
    await until('both connections', () => p.pub.connectionState === 'connected' && p.sub.connectionState === 'connected');
  }
  // the room hears about it: each transport of each party connected
  for (const who of [id.patient1, id.doctor1]) {
    for (const direction of ['send', 'recv']) {
      await pws.waitEvent('media.state', (d) => d.account_id === who && d.direction === direction && d.state === 'connected', 10000);
    }
  }
  const first = { p: await until('audio at the patient', () => rtp(patient.sub, 'inbound-rtp')),
    d: await until('audio at the doctor', () => rtp(doctor.sub, 'inbound-rtp')) };
  await sleep(5000);
  const last = { p: await rtp(patient.sub, 'inbound-rtp'), d: await rtp(doctor.sub, 'inbound-rtp') };
  const sent = { p: await rtp(patient.pub, 'outbound-rtp'), d: await rtp(doctor.pub, 'outbound-rtp') };
  for (const k of ['p', 'd']) {
    const got = last[k].packetsReceived - first[k].packetsReceived;
    assert.ok(got >= 150, `${k}: ${got} packets in 5 s`);            // 20 ms Opus: 50 packets/s
    assert.ok(last[k].packetsLost <= last[k].packetsReceived / 100, `${k}: lost ${last[k].packetsLost}`);
    assert.ok(sent[k].packetsSent >= last[k === 'p' ? 'd' : 'p'].packetsReceived * 0.95, 'what one sends, the other gets');
  }
  assert.ok(patient.frames > 100 && doctor.frames > 100, `decoded audio frames ${patient.frames}, ${doctor.frames}`);
  assert.equal(patient.remoteStream, id.doctor1, 'the stream is labelled with the publisher\'s account');
  assert.equal(doctor.remoteStream, id.patient1);
  assert.deepEqual([...patient.errors, ...doctor.errors], []);
  // and the relay counted them too
  const st = await pws.call('media.stats', { consultation_id: cid });
  const send = st.transports.find((t) => t.direction === 'send');
  const recv = st.transports.find((t) => t.direction === 'recv');
  assert.ok(send.connected && recv.connected, JSON.stringify(st));
  assert.ok(send.packets_in >= sent.p.packetsSent * 0.9, `relay got ${send.packets_in} of ${sent.p.packetsSent}`);
  assert.ok(recv.packets_out >= last.p.packetsReceived, `relay sent ${recv.packets_out}`);
  assert.ok(await metric(srv, 'lianyi_media_forwarded_packets_total') >= last.p.packetsReceived + last.d.packetsReceived);
  assert.equal(await metric(srv, 'lianyi_media_transports'), 4);
  assert.equal(await metric(srv, 'lianyi_media_rooms'), 1);
  console.log(`wrtc: patient got ${last.p.packetsReceived} packets (lost ${last.p.packetsLost}), doctor got `
    + `${last.d.packetsReceived} (lost ${last.d.packetsLost}); relay forwarded `
    + `${await metric(srv, 'lianyi_media_forwarded_packets_total')}`);
});

test('the relay\'s port answers only checks that name a transport and pass MESSAGE-INTEGRITY', async () => {
  const port = Number(sdpLine(patient.relaySdp, /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/));
  const relayUfrag = sdpLine(patient.relaySdp, /a=ice-ufrag:(\S+)/);
  const relayPwd = sdpLine(patient.relaySdp, /a=ice-pwd:(\S+)/);
  const mine = sdpLine(patient.pub.localDescription.sdp, /a=ice-ufrag:(\S+)/);
  assert.ok(port && relayUfrag && relayPwd && mine);
  // the right credentials from a new address: answered (the check is what makes an address known)
  const ok = await probe(port, stunBinding(`${relayUfrag}:${mine}`, relayPwd));
  assert.ok(ok && ok.readUInt16BE(0) === 0x0101, 'a valid check gets a binding success response');
  // a USERNAME that names no transport, a wrong password, a wrong remote ufrag: silence
  assert.equal(await probe(port, stunBinding(`nosuchufrag:${mine}`, relayPwd)), null);
  assert.equal(await probe(port, stunBinding(`${relayUfrag}:${mine}`, 'not-the-password-0123456789')), null);
  assert.equal(await probe(port, stunBinding(`${relayUfrag}:someoneelse`, relayPwd)), null);
  // RTP, RTCP and DTLS from an address that passed no check: nothing comes back, nothing breaks
  const rtpPacket = Buffer.concat([Buffer.from([0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0x12, 0x34]), crypto.randomBytes(100)]);
  assert.equal(await probe(port, rtpPacket), null);
  assert.equal(await probe(port, Buffer.concat([Buffer.from([0x80, 200, 0, 6]), crypto.randomBytes(24)])), null);
  assert.equal(await probe(port, Buffer.concat([Buffer.from([22, 0xfe, 0xfd]), crypto.randomBytes(60)])), null);
  const before = (await rtp(doctor.sub, 'inbound-rtp')).packetsReceived;
  await sleep(1000);
  assert.ok((await rtp(doctor.sub, 'inbound-rtp')).packetsReceived > before + 30, 'the call goes on');
});

test('leaving closes one\'s transports and renegotiates the others; the end closes them all', async () => {
  const offers = doctor.offers;
  await pws.call('room.leave', { consultation_id: cid });
  patient.close();
  for (const direction of ['send', 'recv']) {
    await dws.waitEvent('media.state', (d) => d.account_id === id.patient1 && d.direction === direction && d.state === 'closed');
  }
  // the doctor is offered the room without the patient: nothing left to receive, so its browser drops
  // that transport; it subscribes again and waits with a fresh one
  await until('the doctor renegotiated and subscribed again', () => {
    if (doctor.errors.length) throw doctor.errors[0];
    return doctor.offers > offers && doctor.resubscribed === 1;
  });
  await until('two transports left (the doctor\'s)', async () => (await metric(srv, 'lianyi_media_transports')) === 2);
  assert.equal((await dws.call('media.stats', { consultation_id: cid })).transports.length, 2);
  await dws.call('call.end', { consultation_id: cid });
  await until('no transport left', async () => (await metric(srv, 'lianyi_media_transports')) === 0);
  assert.equal(await metric(srv, 'lianyi_media_rooms'), 0);
  assert.equal(await dws.fails('media.stats', { consultation_id: cid }), 'room.not_joined');
  assert.deepEqual([...patient.errors, ...doctor.errors], []);
});
