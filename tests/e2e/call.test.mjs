// A video consultation in two real browsers through Lianyi's own relay (media
// issue, acceptance 1): patient1 on a phone books doctor1 and waits; doctor1
// on a desktop confirms identity, goes online and calls; both are in the
// call (Chromium's fake camera and microphone). From each page's getStats():
// inbound Opus and VP8 packets keep growing for 6 s, loss under 1%, frames
// decoded. Mute and camera-off reach the other side. The doctor hangs up:
// both pages' connections close, and the relay has no transport left.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, loadDict, screenshot, PHONE, DESKTOP } from './lib/browser.js';
import { BASE, signIn, open, consoleReady, assertGrowing, metric, until } from './lib/call.js';

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
    await consoleReady(doctor, zh);
    const name = await d.evaluate(async () => {
      const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${localStorage.getItem('lianyi.token')}` } });
      return (await r.json()).account.name;
    });
    await open(patient, '#/patient/followup');
    await p.getByLabel(zh['followup.search_label'], { exact: true }).fill(name);
    await p.getByRole('button', { name: zh['followup.search'], exact: true }).click();
    const card = p.locator('[data-doctor]').filter({ hasText: name }).first();
    await card.getByRole('button', { name: zh['followup.book'], exact: true }).click();
    await p.getByLabel(zh['followup.icd_label'], { exact: true }).fill('I10');
    await p.getByRole('button', { name: zh['followup.submit'], exact: true }).click();
    await p.locator('[data-testid="queue-position"]').waitFor();

    await d.locator('[data-testid="queue"] [data-consultation]').first().waitFor();
    await d.getByRole('button', { name: zh['console.call_next'], exact: true }).click();
    await d.locator('[data-call] [data-action="hang-up"]').waitFor();
    await p.getByText(zh['followup.calling']).waitFor();
    await p.getByRole('button', { name: zh['followup.join'], exact: true }).click();
    await p.locator('[data-call] [data-action="hang-up"]').waitFor();

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
});
