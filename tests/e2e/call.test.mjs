// A video consultation in two real browsers through Lianyi's own relay (media
// issue, acceptance 1): patient1 on a phone books doctor1 and waits; doctor1
// on a desktop confirms identity, goes online and calls; both are in the
// call (Chromium's fake camera and microphone). From each page's getStats():
// inbound Opus and VP8 packets keep growing for 6 s, loss under 1%, frames
// decoded. Mute and camera-off reach the other side. The doctor hangs up:
// both pages' connections close, and the relay has no transport left.
//
// Then a recorded consultation (Opus issue): patient1 books doctor1 again and
// is called; in the call screen the patient allows recording and the
// doctor's call shows the recording badge. After ~6 s the
// doctor hangs up: both pages show the recording's final state (saved, its
// length) that the room is told before it closes. The doctor opens the
// consultation's record: the recording is listed, and its <audio> player
// streams it from the server — the element's own request is a Range request
// answered 206 audio/ogg, and the element reaches a playable state with the
// recording's duration. The patient can play it from the ended consultation's
// screen too. Screenshots: out/recording-*.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, loadDict, screenshot, fill, PHONE, DESKTOP } from './lib/browser.js';
import { BASE, signIn, bookAndCall, assertGrowing, waitFlowing, metric, until, sleep } from './lib/call.js';

const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
const zh = loadDict('zh-CN');

describe('a video consultation through the relay', { skip }, () => {
  let browser, patient, doctor;

  before(async () => {
    browser = await launch();
    patient = await openPage(browser, { viewport: PHONE });
    doctor = await openPage(browser, { viewport: DESKTOP });
    await signIn(patient, zh, 'patient1');
    await signIn(doctor, zh, 'doctor1');
  });

  after(async () => {
    await patient?.close();
    await doctor?.close();
    await browser?.close();
  });

  test('book, wait, be called, see and hear each other, hang up', async () => {
    const p = patient.page, d = doctor.page;
    const name = await bookAndCall(patient, doctor, zh);

    // each page receives the other's audio and video, and it keeps flowing
    const [atPatient, atDoctor] = await Promise.all([assertGrowing(p, 'patient1', 1), assertGrowing(d, 'doctor1', 1)]);
    for (const f of [...atPatient, ...atDoctor]) assert.ok(f.grew >= (f.kind === 'audio' ? 150 : 50), JSON.stringify(f));
    assert.equal(await metric('lianyi_media_transports_connected'), 4);
    // the tile says who it is; the quality indicator has a verdict
    await p.locator('.call-tile .call-name').filter({ hasText: name }).waitFor();
    await d.locator('.quality[data-quality="good"], .quality[data-quality="fair"]').waitFor();
    await p.locator('.quality[data-quality="good"], .quality[data-quality="fair"]').waitFor();
    await screenshot(p, 'call-patient1');
    await screenshot(d, 'call-doctor1');

    // mute and camera off: the doctor sees it on the patient's tile
    await p.locator('[data-call] [data-action="mute"]').click();
    await p.locator('[data-call] [data-action="camera"]').click();
    await d.locator('.call-tile .call-badge').filter({ hasText: zh['call.muted'] }).waitFor();
    await d.locator('.call-tile .call-badge').filter({ hasText: zh['call.camera_is_off'] }).waitFor();
    await p.locator('[data-call] [data-action="mute"]').click();
    await d.locator('.call-tile .call-badge[hidden]').waitFor({ state: 'attached' }).catch(() => {});

    // the doctor hangs up: the consultation ends, both sides' transports close
    for (const page of [p, d]) await page.evaluate(() => { window.__pcs = [window.__lianyiCall.pub, window.__lianyiCall.sub]; });
    await d.locator('[data-call] [data-action="hang-up"]').click();
    await p.getByText(zh['followup.ended']).waitFor();
    for (const page of [p, d]) {
      await until('the page closed its connections',
        () => page.evaluate(() => window.__pcs.every((pc) => pc.connectionState === 'closed')));
    }
    await until('the relay closed every transport', async () => (await metric('lianyi_media_transports')) === 0);
    assert.equal(await metric('lianyi_media_rooms'), 0);
    assert.ok(await metric('lianyi_media_forwarded_packets_total') > 0);
    assert.deepEqual(patient.problems, []);
    assert.deepEqual(doctor.problems, []);
  });

  test('consent in the call, the badge, the saved state at the end, the player streams it', async () => {
    const p = patient.page, d = doctor.page;
    await bookAndCall(patient, doctor, zh);
    await waitFlowing(p, 1);
    const badge = d.locator('[data-testid="call-recording"]');
    assert.equal(await badge.isVisible(), false, 'not recorded before the patient agrees');

    // the patient agrees in the call screen; the doctor sees that the call is recorded
    await p.locator('[data-testid="recording-consent"]').getByRole('button', { name: zh['recording.allow'], exact: true }).click();
    await p.locator('[data-testid="recording-consent"]').getByText(zh['recording.consent_yes']).waitFor();
    await badge.waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await badge.textContent(), zh['call.recording_on']);
    await p.locator('[data-testid="call-recording"]').waitFor({ state: 'visible' });
    await screenshot(p, 'recording-patient-consented');
    await screenshot(d, 'recording-doctor-badge');
    await sleep(6000);

    // the doctor hangs up: both see the recording saved, with its length
    await d.locator('[data-call] [data-action="hang-up"]').click();
    const savedRe = new RegExp(zh['recording.saved'].replace(/[()（）]/g, '.').replace('{duration}', '0:0[5-9]'));
    for (const page of [p, d]) {
      const saved = page.locator('[data-testid="recording-saved"]');
      await saved.waitFor({ state: 'visible', timeout: 10000 });
      assert.match(await saved.textContent(), savedRe);
    }
    await p.getByText(zh['followup.ended']).waitFor();
    await screenshot(p, 'recording-patient-saved');
    await screenshot(d, 'recording-doctor-saved');

    // the consultation's record lists it; the <audio> element streams it with Range requests
    const ranged = [];
    d.on('response', (res) => {
      if (res.url().includes('/recording/play?')) ranged.push({ status: res.status(), range: res.request().headers().range, type: res.headers()['content-type'] });
    });
    await d.locator('[data-room]').filter({ has: d.locator('[data-testid="recording-saved"]') })
      .locator('[data-action="write-note"]').click();
    const player = d.locator('[data-testid="recording-player"]');
    await player.waitFor({ state: 'visible', timeout: 10000 });
    const item = player.locator('li').first();
    assert.match(await item.textContent(), new RegExp(fill(zh['recording.item'], { duration: '0:0[5-9]' })));
    await item.getByRole('button', { name: zh['recording.play'], exact: true }).click();
    const audio = item.locator('audio');
    await d.waitForFunction((el) => el.readyState >= 3 && el.duration > 4, await audio.elementHandle(), { timeout: 15000 });
    const st = await audio.evaluate((el) => ({ ready: el.readyState, duration: el.duration, error: el.error?.code ?? null }));
    assert.equal(st.error, null);
    assert.ok(st.duration >= 5 && st.duration <= 10, JSON.stringify(st));
    assert.ok(ranged.some((r) => r.status === 206 && /^bytes=\d+-/.test(r.range || '') && r.type === 'audio/ogg'),
      `the element's range request is answered 206: ${JSON.stringify(ranged)}`);
    await screenshot(d, 'recording-doctor-record');
    // the patient hears it too, from the ended consultation's screen
    const pItem = p.locator('[data-testid="recording-player"] li').first();
    await pItem.waitFor({ state: 'visible', timeout: 10000 });
    await pItem.getByRole('button', { name: zh['recording.play'], exact: true }).click();
    const pAudio = pItem.locator('audio');
    await p.waitForFunction((el) => el.readyState >= 3 && el.duration > 4, await pAudio.elementHandle(), { timeout: 15000 });
    assert.equal(await pAudio.evaluate((el) => el.error?.code ?? null), null);
    await screenshot(p, 'recording-patient-player');
    console.log(`recording in the browser: ${JSON.stringify(st)}; requests ${JSON.stringify(ranged)}`);
    assert.deepEqual(patient.problems, []);
    assert.deepEqual(doctor.problems, []);
  });
});
