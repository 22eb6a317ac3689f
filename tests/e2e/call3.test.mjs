// A three-party remote consultation (远程会诊) in three real browsers through
// Lianyi's relay (media issue, acceptance 2). The GP doctor1 asks cardiology
// for patient1; specialist1 accepts and schedules it (REST, as the referral
// screens do). Then through the web UI: patient1 enters the waiting room,
// specialist1 calls them in, doctor1 joins from the remote-consultation list.
// Each page receives both others' Opus and VP8, growing for 6 s with loss
// under 1% and frames decoded. The specialist hangs up: every transport closes,
// and the specialist's opinion is recorded (referral issue, acceptance 4).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, loadDict, screenshot, PHONE, DESKTOP } from './lib/browser.js';
import { BASE, PASSWORD, signIn, open, consoleReady, assertGrowing, metric, until } from './lib/call.js';

const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
const zh = loadDict('zh-CN');
const CARDIOLOGY = 'dept-renmin-cardiology'; // specialist1's department

async function rest(token, method, path, body) {
  const r = await fetch(BASE + path, { method, headers: { 'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body && JSON.stringify(body) });
  const json = await r.json().catch(() => null);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}
const login = async (username) => (await rest(null, 'POST', '/api/v1/sessions', { username, password: PASSWORD })).token;

// The remote consultation as the referral flow makes it; returns its consultation id.
async function scheduleRemote() {
  const [patient, gp, spec] = await Promise.all(['patient1', 'doctor1', 'specialist1'].map(login));
  const gpId = (await rest(gp, 'GET', '/api/v1/me')).account.id;
  const specId = (await rest(spec, 'GET', '/api/v1/me')).account.id;
  await rest(patient, 'PUT', '/api/v1/me/family-doctor', { doctor_id: gpId });
  const { patient_id: patientId } = await rest(patient, 'GET', '/api/v1/me/family-doctor');
  const req = await rest(gp, 'POST', '/api/v1/remote-consultations', { patient_id: patientId,
    department_id: CARDIOLOGY, specialist_id: specId, icd10: 'I25.1', question: '活动后胸闷两周，心电图 ST 段压低',
    location: 'centre' });
  const id = req.remote_consultation.id;
  await rest(spec, 'POST', `/api/v1/remote-consultations/${id}/accept`, {});
  const s = await rest(spec, 'POST', `/api/v1/remote-consultations/${id}/schedule`, { at: Date.now() + 60e3 });
  return { cid: s.remote_consultation.consultation_id, remoteId: id, spec };
}

describe('a three-party video consultation through the relay', { skip }, () => {
  let browser, patient, gp, specialist, cid, remote;

  before(async () => {
    remote = await scheduleRemote();
    cid = remote.cid;
    browser = await launch();
    patient = await openPage(browser, { viewport: PHONE });
    gp = await openPage(browser, { viewport: DESKTOP });
    specialist = await openPage(browser, { viewport: DESKTOP });
    await signIn(patient, zh, 'patient1');
    await signIn(gp, zh, 'doctor1');
    await signIn(specialist, zh, 'specialist1');
  });

  after(async () => {
    for (const s of [patient, gp, specialist]) await s?.close();
    await browser?.close();
  });

  test('patient, GP and specialist each see and hear both others', async () => {
    const p = patient.page, g = gp.page, s = specialist.page;
    await consoleReady(specialist, zh);
    await open(patient, '#/patient/followup');
    await p.locator(`[data-consultation="${cid}"]`).getByRole('button', { name: zh['followup.enter'], exact: true }).click();
    await p.locator('[data-testid="queue-position"]').waitFor();
    await s.locator(`[data-testid="queue"] [data-consultation="${cid}"]`).waitFor();
    await s.getByRole('button', { name: zh['console.call_next'], exact: true }).click();
    await p.getByText(zh['followup.calling']).waitFor();
    await p.getByRole('button', { name: zh['followup.join'], exact: true }).click();
    await p.locator('[data-call] [data-action="hang-up"]').waitFor();

    // the GP joins from the remote-consultation list (a link to the console's room)
    await open(gp, '#/doctor/remote');
    await g.locator('[data-action="join-call"]').first().click();
    await g.getByLabel(zh['console.password'], { exact: true }).fill(PASSWORD);
    await g.getByRole('button', { name: zh['console.verify'], exact: true }).click();
    await g.locator(`[data-room="${cid}"] [data-call] [data-action="hang-up"]`).waitFor();

    const figures = await Promise.all([assertGrowing(p, 'patient1', 2), assertGrowing(g, 'doctor1 (GP)', 2),
      assertGrowing(s, 'specialist1', 2)]);
    for (const f of figures.flat()) assert.ok(f.grew >= (f.kind === 'audio' ? 150 : 50), JSON.stringify(f));
    assert.equal(await metric('lianyi_media_transports_connected'), 6);
    for (const page of [p, g, s]) assert.equal(await page.locator('.call-tile').count(), 2);
    await screenshot(p, 'call3-patient1');
    await screenshot(g, 'call3-doctor1');

    for (const page of [p, g, s]) await page.evaluate(() => { window.__pcs = [window.__lianyiCall.pub, window.__lianyiCall.sub]; });
    await s.locator(`[data-room="${cid}"] [data-call] [data-action="hang-up"]`).click();
    await p.getByText(zh['followup.ended']).waitFor();
    for (const page of [p, g, s]) {
      await until('the page closed its connections',
        () => page.evaluate(() => window.__pcs.every((pc) => pc.connectionState === 'closed')));
    }
    await until('the relay closed every transport', async () => (await metric('lianyi_media_transports')) === 0);
    for (const x of [patient, gp, specialist]) assert.deepEqual(x.problems, []);

    // after the call the specialist's opinion goes into the record
    const done = await rest(remote.spec, 'POST', `/api/v1/remote-consultations/${remote.remoteId}/opinion`,
      { opinion: '考虑稳定型心绞痛，建议冠脉 CTA', advice: '阿司匹林 100 mg qd，两周后复诊' });
    assert.equal(done.remote_consultation.state, 'completed');
  });
});
