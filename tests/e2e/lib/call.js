// Helpers for the video-call tests (call.test.mjs, call3.test.mjs,
// recording.test.mjs): signing in through the UI, a patient and a doctor in a
// call, and reading a page's call from its RTCPeerConnections
// (web/call.js exposes them as window.__lianyiCall = { pub, sub }).

import assert from 'node:assert/strict';

export const BASE = (process.env.LIANYI_URL || '').replace(/\/+$/, '');
export const PASSWORD = 'lianyi-demo';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function signIn(s, dict, username) {
  await s.page.goto(`${BASE}/#/login`);
  await s.page.getByLabel(dict['login.username'], { exact: true }).fill(username);
  await s.page.getByLabel(dict['login.password'], { exact: true }).fill(PASSWORD);
  await s.page.getByLabel(dict['login.password'], { exact: true }).press('Enter');
  await s.page.waitForFunction(() => document.getElementById('app')?.dataset.route?.includes('/home'));
}

export async function open(s, hash) {
  await s.page.goto(`${BASE}/${hash}`);
  await s.page.waitForFunction((h) => document.getElementById('app')?.dataset.route === h, hash);
}

// The doctor's console: confirm identity (unless this session already did), go online.
export async function consoleReady(s, dict, hash = '#/doctor/console') {
  await open(s, hash);
  const pw = s.page.getByLabel(dict['console.password'], { exact: true });
  await pw.or(s.page.getByText(dict['console.verified'])).first().waitFor();
  if (await pw.isVisible()) {
    await pw.fill(PASSWORD);
    await s.page.getByRole('button', { name: dict['console.verify'], exact: true }).click();
  }
  await s.page.getByText(dict['console.verified']).waitFor();
  await s.page.locator('[data-presence="online"]').click();
  await s.page.locator('[data-presence="online"][aria-pressed="true"]').waitFor();
}

// Two signed-in sessions: the doctor's console ready and online, the patient
// books that doctor, waits, is called and joins. Returns the doctor's name.
export async function bookAndCall(patient, doctor, dict) {
  const p = patient.page, d = doctor.page;
  await consoleReady(doctor, dict);
  const name = await d.evaluate(async () => {
    const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${localStorage.getItem('lianyi.token')}` } });
    return (await r.json()).account.name;
  });
  await open(patient, '#/patient/followup');
  await p.getByLabel(dict['followup.search_label'], { exact: true }).fill(name);
  await p.getByRole('button', { name: dict['followup.search'], exact: true }).click();
  const card = p.locator('[data-doctor]').filter({ hasText: name }).first();
  await card.getByRole('button', { name: dict['followup.book'], exact: true }).click();
  await p.getByLabel(dict['followup.icd_label'], { exact: true }).fill('I10');
  await p.getByRole('button', { name: dict['followup.submit'], exact: true }).click();
  await p.locator('[data-testid="queue-position"]').waitFor();

  await d.locator('[data-testid="queue"] [data-consultation]').first().waitFor();
  await d.getByRole('button', { name: dict['console.call_next'], exact: true }).click();
  await d.locator('[data-call] [data-action="hang-up"]').waitFor();
  await p.getByText(dict['followup.calling']).waitFor();
  await p.getByRole('button', { name: dict['followup.join'], exact: true }).click();
  await p.locator('[data-call] [data-action="hang-up"]').waitFor();
  return name;
}

// Inbound RTP of the page's receive connection: [{ssrc, kind, codec, packetsReceived, packetsLost, framesDecoded}].
export function inbound(page) {
  return page.evaluate(async () => {
    const sub = window.__lianyiCall?.sub;
    if (!sub) return [];
    const report = await sub.getStats();
    const out = [];
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      out.push({ ssrc: s.ssrc, kind: s.kind, codec: report.get(s.codecId)?.mimeType || '', track: s.trackIdentifier,
        packetsReceived: s.packetsReceived || 0, packetsLost: s.packetsLost || 0, framesDecoded: s.framesDecoded || 0 });
    });
    return out;
  });
}

export function states(page) {
  return page.evaluate(() => ({ pub: window.__lianyiCall?.pub?.connectionState, sub: window.__lianyiCall?.sub?.connectionState }));
}

// Waits until the page receives `senders` Opus and `senders` VP8 streams that
// are under way: a second of audio, a few dozen video packets and decoded
// frames each. (Chromium's fake camera stalls every page of the browser for a
// second or two while another page opens it: a stream that just started may
// pause right after its first key frame; measuring starts after that.)
export async function waitFlowing(page, senders, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await inbound(page);
    const audio = s.filter((x) => x.codec === 'audio/opus' && x.packetsReceived >= 50);
    const video = s.filter((x) => x.codec === 'video/VP8' && x.packetsReceived >= 40 && x.framesDecoded > 0);
    if (audio.length >= senders && video.length >= senders) return s;
    if (Date.now() > end) throw new Error(`no media from ${senders} sender(s): ${JSON.stringify(s)} ${JSON.stringify(await states(page))}`);
    await sleep(250);
  }
}

// Samples every second for `seconds` (after a second for a stream that just
// started to settle): each live stream's packets keep growing — over every
// two-second window, so that one scheduling hiccup of a loaded machine is not
// a stall — loss stays under 1%, video decodes frames. Returns the figures.
export async function assertGrowing(page, who, senders, seconds = 6) {
  await waitFlowing(page, senders);
  await sleep(1000);
  const first = await inbound(page);
  const samples = [first];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    const now = await inbound(page);
    const back = samples[Math.max(0, samples.length - 2)];
    for (const s of now.filter((x) => x.packetsReceived > 0)) {
      const before = back.find((x) => x.ssrc === s.ssrc);
      if (before) assert.ok(s.packetsReceived > before.packetsReceived, `${who}: ${s.kind} ${s.ssrc} stalled at ${s.packetsReceived}`);
    }
    samples.push(now);
  }
  const prev = samples.at(-1);
  const live = prev.filter((x) => x.packetsReceived > 0);
  const figures = live.map((s) => {
    const start = first.find((x) => x.ssrc === s.ssrc);
    const loss = s.packetsLost / (s.packetsReceived + s.packetsLost);
    assert.ok(loss < 0.01, `${who}: ${s.kind} loss ${(100 * loss).toFixed(2)}%`);
    if (s.kind === 'video') assert.ok(s.framesDecoded > 0, `${who}: no video frame decoded`);
    return { kind: s.kind, codec: s.codec, packets: s.packetsReceived, grew: s.packetsReceived - (start?.packetsReceived || 0),
      lost: s.packetsLost, framesDecoded: s.framesDecoded };
  });
  assert.equal(figures.filter((f) => f.codec === 'audio/opus').length, senders, `${who}: Opus streams ${JSON.stringify(figures)}`);
  assert.equal(figures.filter((f) => f.codec === 'video/VP8').length, senders, `${who}: VP8 streams ${JSON.stringify(figures)}`);
  console.log(`${who}: ${JSON.stringify(figures)}`);
  return figures;
}

// A value from the server's /metrics.
export async function metric(name) {
  const text = await (await fetch(`${BASE}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

export async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}
