// A participant of a consultation under Google's libwebrtc for Node
// (@roamhq/wrtc), speaking the documented media protocol
// (docs/signalling.md, Media): publishes a tone, receives the others.
// Shared by tests/integration/media_wrtc, abuse and tls.
import { createRequire } from 'node:module';
import { Client, accountId, book, sleep } from './signalling-client.mjs';

const require = createRequire(import.meta.url);
export const wrtc = require('@roamhq/wrtc');
// libwebrtc's static destructors crash at process exit: leave before they run.
process.on('beforeExit', () => process.exit());

// One participant: a send PeerConnection publishing a tone, a receive one
// answering the relay's offers (media.offer events, strictly one at a time).
// When the relay says its receive transport closed (the last publisher left,
// so the browser dropped the bundle) it subscribes again with a new one.
export class Party {
  constructor(ws, cid, me, freq) {
    Object.assign(this, { ws, cid, me, freq, offers: 0, frames: 0, resubscribed: 0, errors: [] });
    this.chain = Promise.resolve();
    const receive = ws.receive.bind(ws);
    const then = (fn) => { this.chain = this.chain.then(fn).catch((e) => this.errors.push(e)); };
    ws.receive = (text) => {
      receive(text);
      const m = JSON.parse(text);
      if (m.id !== undefined || m.data?.consultation_id !== cid) return;
      if (m.type === 'media.offer') then(() => this.answer(m.data.sdp));
      const mine = m.data.account_id === me && m.data.direction === 'recv';
      if (m.type === 'media.state' && mine && ['closed', 'failed'].includes(m.data.state) && !this.done) {
        then(() => this.subscribe().then(() => { this.resubscribed++; }));
      }
    };
  }

  async publish() {
    this.source = new wrtc.nonstandard.RTCAudioSource();
    this.track = this.source.createTrack();
    this.pub = new wrtc.RTCPeerConnection();
    this.pub.addTransceiver(this.track, { direction: 'sendonly', streams: [new wrtc.MediaStream([this.track])] });
    await this.pub.setLocalDescription(await this.pub.createOffer());
    const { sdp } = await this.ws.call('media.offer', { consultation_id: this.cid, sdp: this.pub.localDescription.sdp });
    this.relaySdp = sdp;
    await this.pub.setRemoteDescription({ type: 'answer', sdp });
    let phase = 0;
    this.timer = setInterval(() => { // 10 ms of a tone per tick: voice, so Opus does not go quiet (DTX)
      const samples = new Int16Array(480);
      for (let i = 0; i < 480; i++, phase += (2 * Math.PI * this.freq) / 48000) samples[i] = Math.round(6000 * Math.sin(phase));
      this.source.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
    }, 10);
  }

  async subscribe() {
    this.sub?.close();
    this.sub = new wrtc.RTCPeerConnection();
    this.sub.ontrack = (e) => {
      this.remoteStream = e.streams[0]?.id;
      this.sink = new wrtc.nonstandard.RTCAudioSink(e.track);
      this.sink.ondata = () => { this.frames++; };
    };
    await this.ws.call('media.subscribe', { consultation_id: this.cid });
  }

  async answer(sdp) {
    await this.sub.setRemoteDescription({ type: 'offer', sdp });
    await this.sub.setLocalDescription(await this.sub.createAnswer());
    this.offers++;
    try {
      await this.ws.call('media.answer', { consultation_id: this.cid, sdp: this.sub.localDescription.sdp });
    } catch (e) { // the transport closed under the offer (it offered nothing left to receive)
      if (e.code !== 'media.closed' && e.code !== 'media.no_offer') throw e;
    }
  }

  close() {
    this.done = true;
    clearInterval(this.timer);
    this.sink?.stop();
    this.track?.stop();
    this.pub?.close();
    this.sub?.close();
  }
}

export async function rtp(pc, type) {
  let s = null;
  (await pc.getStats()).forEach((x) => { if (x.type === type && x.kind === 'audio') s = x; });
  return s;
}

export async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// A live consultation: the patient and the doctor in the room, each
// publishing a tone and receiving the other's, both connections up. srv needs
// login() and api() (tests/lib/server.mjs, or an HTTPS stand-in); ws is
// Client.open's options (a wss:// url and its CA under TLS).
export async function liveCall(srv, { patient = 'patient1', doctor = 'doctor1', ws = {} } = {}) {
  const tok = { p: await srv.login(patient), d: await srv.login(doctor) };
  const id = { p: await accountId(srv, tok.p), d: await accountId(srv, tok.d) };
  const cid = (await book(srv, tok.p, { doctor_id: id.d, icd10: 'I10' })).id;
  const dws = await Client.open(srv, tok.d, ws);
  await dws.call('doctor.verify', { password: 'lianyi-demo' });
  const pws = await Client.open(srv, tok.p, ws);
  await pws.call('queue.check_in', { consultation_id: cid });
  await dws.call('call.patient', { consultation_id: cid });
  await pws.call('room.join', { consultation_id: cid });
  const parties = [new Party(pws, cid, id.p, 440), new Party(dws, cid, id.d, 660)];
  for (const x of parties) await x.subscribe();
  for (const x of parties) await x.publish();
  for (const x of parties) {
    await until('the call\'s connections', () => x.pub.connectionState === 'connected' && x.sub.connectionState === 'connected', 20000);
    await until('audio', () => rtp(x.sub, 'inbound-rtp'), 20000);
  }
  return {
    cid, pws, dws, parties,
    // RTP packets both sides have sent and received so far.
    async counts() {
      const n = { sent: 0, received: 0 };
      for (const x of parties) {
        n.sent += (await rtp(x.pub, 'outbound-rtp'))?.packetsSent || 0;
        n.received += (await rtp(x.sub, 'inbound-rtp'))?.packetsReceived || 0;
      }
      return n;
    },
    // Watch the media from now: flowing() then tells what came through and
    // whether it kept flowing — nearly all that was sent arrived (the relay
    // must not be what loses packets), and at least 10 packets/s of the
    // nominal 2 × 50 (a loaded ASan run under ctest -j2 starves the senders'
    // own 10 ms timers to a fifth of that; a stalled call gets nothing).
    async watch() {
      const c0 = await this.counts(), t0 = Date.now();
      return async () => {
        const c1 = await this.counts(), secs = (Date.now() - t0) / 1000;
        const sent = c1.sent - c0.sent, received = c1.received - c0.received;
        return { sent, received, secs, ok: received >= 10 * secs && received >= 0.9 * sent - 10 };
      };
    },
    errors: () => parties.flatMap((x) => x.errors),
    async close() {
      for (const x of parties) x.close();
      await pws.close();
      await dws.close();
    },
  };
}
