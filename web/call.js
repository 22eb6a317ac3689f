// The video call of a consultation room, shared by the patient's waiting room
// and the doctor's console: local preview, one tile per other participant,
// mute / camera / hang up, and a connection-quality indicator from getStats.
//
// Media goes through Lianyi's relay (docs/signalling.md, Media): one
// RTCPeerConnection sends (our offer → media.offer → the relay's answer), one
// receives (media.subscribe, then each media.offer event from the relay is
// answered with media.answer, one at a time). When the relay says our
// receive side closed (e.g. the last other participant left) we subscribe
// again; the next offer builds the new one. Remote streams are labelled with
// the publisher's account id, which names the tile.
//
// startCall(ws, opts) → { el, setName(id, name), stop() }
//   opts: cid, me (account id), names (Map id → name), onHangUp()
// window.__lianyiCall exposes the current { pub, sub } connections (tests).

import { t } from './i18n.js';
import { errorText } from './api.js';
import { h } from './ui.js';

const STATS_MS = 2000;
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } };

// Loss and round-trip time since the last sample → good | fair | poor.
export function grade({ loss = 0, rttMs = 0, jitterMs = 0 }) {
  if (loss > 0.05 || rttMs > 400) return 'poor';
  if (loss > 0.01 || rttMs > 200 || jitterMs > 50) return 'fair';
  return 'good';
}

async function sample(pub, sub, last) {
  let received = 0, lost = 0, jitter = 0, rtt = 0;
  for (const pc of [sub, pub]) {
    if (!pc) continue;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') {
        received += s.packetsReceived || 0;
        lost += Math.max(0, s.packetsLost || 0);
        jitter = Math.max(jitter, (s.jitter || 0) * 1000);
      } else if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime) {
        rtt = Math.max(rtt, s.currentRoundTripTime * 1000);
      }
    });
  }
  const dr = received - last.received, dl = lost - last.lost;
  Object.assign(last, { received, lost });
  return { loss: dr + dl > 0 ? dl / (dr + dl) : 0, rttMs: rtt, jitterMs: jitter };
}

export function startCall(ws, { cid, me, names = new Map(), onHangUp }) {
  const st = { pub: null, sub: null, stream: null, chain: Promise.resolve(), stopped: false, tiles: new Map(),
    muted: false, cameraOff: false, last: { received: 0, lost: 0 } };
  const offs = [];
  const status = h('p', { class: 'call-status', role: 'status', 'data-testid': 'call-status' });
  const quality = h('span', { class: 'quality', 'data-quality': 'connecting', text: t('call.quality.connecting') });
  const local = h('video', { class: 'call-local', autoplay: true, playsinline: true, 'aria-label': t('call.you') });
  local.muted = true;
  const grid = h('div', { class: 'call-grid', 'aria-live': 'polite' });
  const micBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'mute', onclick: toggleMic });
  const camBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'camera', onclick: toggleCam });
  const hangBtn = h('button', { type: 'button', class: 'btn btn-danger', 'data-action': 'hang-up',
    onclick: () => { stop(); if (onHangUp) onHangUp(); } }, t('call.hang_up'));
  // recording.state / media.silent / media.weak_link (docs/signalling.md): a badge while the
  // room is recorded, and notices that stay until the condition ends
  const recBadge = h('span', { class: 'call-rec', hidden: true, 'data-testid': 'call-recording', text: t('call.recording_on') });
  const notice = h('p', { class: 'call-notice', role: 'alert', 'data-testid': 'call-notice' });
  const notices = new Map();
  const note = (key, text) => {
    if (text) notices.set(key, text); else notices.delete(key);
    notice.textContent = [...notices.values()].join(' ');
  };
  const el = h('section', { class: 'call', 'data-call': cid, 'aria-label': t('call.title') },
    h('div', { class: 'call-head' }, h('h2', { class: 'section-title', text: t('call.title') }), recBadge, quality),
    h('div', { class: 'call-stage' }, grid, h('div', { class: 'call-self' }, local)), status, notice,
    h('div', { class: 'call-controls' }, micBtn, camBtn, hangBtn));
  const say = (key) => { status.textContent = key ? t(key) : ''; };
  const fail = (err) => { if (!st.stopped) status.textContent = errorText(err); };
  const then = (fn) => { st.chain = st.chain.then(() => (st.stopped ? null : fn())).catch(fail); };

  function drawButtons() {
    const audio = st.stream?.getAudioTracks().length > 0, video = st.stream?.getVideoTracks().length > 0;
    micBtn.textContent = t(st.muted ? 'call.unmute' : 'call.mute');
    micBtn.setAttribute('aria-pressed', String(st.muted));
    micBtn.disabled = !audio;
    camBtn.textContent = t(st.cameraOff ? 'call.camera_on' : 'call.camera_off');
    camBtn.setAttribute('aria-pressed', String(st.cameraOff));
    camBtn.disabled = !video;
  }

  function toggle(kind) {
    const off = kind === 'audio' ? (st.muted = !st.muted) : (st.cameraOff = !st.cameraOff);
    for (const tr of st.stream?.getTracks() || []) if (tr.kind === kind) tr.enabled = !off;
    drawButtons();
    ws.request('media.mute', { consultation_id: cid, kind, muted: off }).catch(() => {});
  }
  function toggleMic() { toggle('audio'); }
  function toggleCam() { toggle('video'); }

  function tile(id) {
    if (st.tiles.has(id)) return st.tiles.get(id);
    const video = h('video', { autoplay: true, playsinline: true });
    const badge = h('span', { class: 'call-badge', hidden: true });
    const label = h('span', { class: 'call-name', text: names.get(id) || t('call.participant') });
    const box = h('figure', { class: 'call-tile', 'data-account': id }, video, h('figcaption', {}, label, badge));
    const x = { box, video, badge, label, muted: {} };
    st.tiles.set(id, x);
    grid.append(box);
    return x;
  }
  function drawBadge(x) {
    const words = [x.muted.audio && t('call.muted'), x.muted.video && t('call.camera_is_off')].filter(Boolean);
    x.badge.textContent = words.join(' · ');
    x.badge.hidden = !words.length;
  }

  async function getMedia() {
    for (const want of [{ audio: true, video: VIDEO }, { audio: true }]) {
      try { return await navigator.mediaDevices.getUserMedia(want); } catch { /* try less */ }
    }
    say('call.no_devices');
    return null;
  }

  async function publish() {
    st.stream = st.stream || await getMedia();
    drawButtons();
    if (!st.stream) return;
    local.srcObject = st.stream;
    local.play().catch(() => {});
    st.pub?.close();
    const pc = st.pub = new RTCPeerConnection();
    for (const tr of st.stream.getTracks()) pc.addTransceiver(tr, { direction: 'sendonly', streams: [st.stream] });
    pc.onconnectionstatechange = () => showState();
    await pc.setLocalDescription(await pc.createOffer());
    const { sdp } = await ws.request('media.offer', { consultation_id: cid, sdp: pc.localDescription.sdp });
    if (pc === st.pub) await pc.setRemoteDescription({ type: 'answer', sdp });
  }

  async function subscribe() {
    st.sub?.close();
    const pc = st.sub = new RTCPeerConnection();
    pc.ontrack = (e) => {
      const stream = e.streams[0];
      const x = tile(stream ? stream.id : 'remote');
      if (x.video.srcObject !== stream) x.video.srcObject = stream || new MediaStream([e.track]);
      x.video.play().catch(() => {});
      showState();
    };
    pc.onconnectionstatechange = () => showState();
    await ws.request('media.subscribe', { consultation_id: cid });
  }

  async function answer(sdp) {
    const pc = st.sub;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    try {
      await ws.request('media.answer', { consultation_id: cid, sdp: pc.localDescription.sdp });
    } catch (err) { // the receive side closed under this offer: a new subscription follows
      if (!['media.closed', 'media.no_offer'].includes(err.code)) throw err;
    }
  }

  function showState() {
    if (st.stopped) return;
    const states = [st.pub, st.sub].filter(Boolean).map((pc) => pc.connectionState);
    if (states.includes('failed')) say('call.failed');
    else if (states.includes('disconnected')) say('call.reconnecting');
    else if (!st.tiles.size) say(st.stream || states.length ? 'call.waiting_others' : 'call.connecting');
    else if (states.every((s) => s === 'connected')) say(null);
  }

  async function measure() {
    if (st.stopped || !st.pub) return;
    const live = [st.pub, st.sub].some((pc) => pc && pc.connectionState === 'connected');
    const q = live ? grade(await sample(st.pub, st.sub, st.last)) : 'connecting';
    quality.dataset.quality = q;
    quality.textContent = t(`call.quality.${q}`);
  }

  const on = (type, fn) => offs.push(ws.on(type, (d) => { if (!st.stopped && d && d.consultation_id === cid) fn(d); }));
  on('media.offer', (d) => then(() => answer(d.sdp)));
  on('media.state', (d) => {
    if (d.account_id === me && d.direction === 'recv' && ['closed', 'failed'].includes(d.state)) then(subscribe);
    if (d.account_id === me && d.direction === 'send' && d.state === 'failed') then(publish);
    if (d.account_id !== me && d.direction === 'send' && d.state === 'closed' && st.tiles.has(d.account_id)) {
      st.tiles.get(d.account_id).box.remove();
      st.tiles.delete(d.account_id);
      showState();
    }
  });
  on('media.muted', (d) => { const x = tile(d.account_id); x.muted[d.kind] = d.muted; drawBadge(x); });
  on('media.weak_link', (d) => {
    say(d.audio_only ? 'call.audio_only' : null);
    note('weak', d.audio_only ? null : t('call.video_resumed'));
    if (!d.audio_only) setTimeout(() => note('weak', null), 5000);
  });
  on('media.silent', (d) => {
    if (d.account_id === me) return;
    note(`silent:${d.account_id}`, d.silent ? t('call.mic_silent', { name: names.get(d.account_id) || t('call.participant') }) : null);
  });
  on('recording.state', (d) => {
    recBadge.hidden = !d.recording;
    note('rec', d.error ? t('call.recording_failed') : null);
  });
  ws.request('recording.get', { consultation_id: cid })
    .then((r) => { if (!st.stopped) recBadge.hidden = !r.recording; }).catch(() => {});
  const timer = setInterval(() => { measure().catch(() => {}); }, STATS_MS);

  function stop() {
    if (st.stopped) return;
    st.stopped = true;
    clearInterval(timer);
    offs.splice(0).forEach((off) => off());
    st.pub?.close();
    st.sub?.close();
    for (const tr of st.stream?.getTracks() || []) tr.stop();
    if (window.__lianyiCall === hook) delete window.__lianyiCall;
    el.classList.add('call-ended');
  }

  const hook = { get pub() { return st.pub; }, get sub() { return st.sub; }, cid };
  window.__lianyiCall = hook;
  say('call.connecting');
  drawButtons();
  then(subscribe);
  then(publish);
  return {
    el,
    stop,
    setName(id, name) { names.set(id, name); if (st.tiles.has(id)) st.tiles.get(id).label.textContent = name; },
  };
}
