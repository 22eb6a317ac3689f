// The online follow-up in two browsers against a demo server (LIANYI_URL):
// patient8 on a phone books doctor4 from the directory and waits; doctor4 on a
// desktop confirms identity, goes online and calls; both chat; the doctor ends
// and the patient rates. A first visit is refused with the rule's sentence.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, loadDict, PHONE, DESKTOP } from './lib/browser.js';

const BASE = (process.env.LIANYI_URL || '').replace(/\/+$/, '');
const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
const PASSWORD = 'lianyi-demo';
const zh = loadDict('zh-CN');

async function signIn(s, username) {
  await s.page.goto(`${BASE}/#/login`);
  await s.page.getByLabel(zh['login.username'], { exact: true }).fill(username);
  await s.page.getByLabel(zh['login.password'], { exact: true }).fill(PASSWORD);
  await s.page.getByLabel(zh['login.password'], { exact: true }).press('Enter');
  await s.page.waitForFunction(() => document.getElementById('app')?.dataset.route?.includes('/home'));
}

async function open(s, hash) {
  await s.page.goto(`${BASE}/${hash}`);
  await s.page.waitForFunction((h) => document.getElementById('app')?.dataset.route === h, hash);
}

describe('online follow-up in the browser', { skip }, () => {
  let browser, patient, doctor;

  before(async () => {
    browser = await launch();
    patient = await openPage(browser, { viewport: PHONE });
    doctor = await openPage(browser, { viewport: DESKTOP });
    await signIn(patient, 'patient8');
    await signIn(doctor, 'doctor4');
  });

  after(async () => {
    await patient?.close();
    await doctor?.close();
    await browser?.close();
  });

  test('book, wait, be called, chat, end, rate', async () => {
    const p = patient.page, d = doctor.page;
    await open(doctor, '#/doctor/console');
    await d.getByLabel(zh['console.password'], { exact: true }).fill(PASSWORD);
    await d.getByRole('button', { name: zh['console.verify'], exact: true }).click();
    await d.getByText(zh['console.verified']).waitFor();
    await d.locator('[data-presence="online"]').click();
    await d.locator('[data-presence="online"][aria-pressed="true"]').waitFor();

    await open(patient, '#/patient/followup');
    await p.getByLabel(zh['followup.search_label'], { exact: true }).fill('');
    const name = await d.evaluate(async () => {
      const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${localStorage.getItem('lianyi.token')}` } });
      return (await r.json()).account.name;
    });
    await p.getByLabel(zh['followup.search_label'], { exact: true }).fill(name);
    await p.getByRole('button', { name: zh['followup.search'], exact: true }).click();
    const card = p.locator('[data-doctor]').filter({ hasText: name }).first();
    await card.locator('[data-presence="online"]').waitFor();
    await card.getByRole('button', { name: zh['followup.book'], exact: true }).click();
    await p.getByLabel(zh['followup.icd_label'], { exact: true }).fill('I10');
    await p.getByRole('button', { name: zh['followup.submit'], exact: true }).click();
    await p.locator('[data-testid="queue-position"]').waitFor();
    assert.equal(await p.locator('[data-testid="queue-position"]').textContent(), '1');

    await d.locator('[data-testid="queue"] [data-consultation]').first().waitFor();
    await d.getByRole('button', { name: zh['console.call_next'], exact: true }).click();
    await p.getByText(zh['followup.calling']).waitFor();
    await p.getByRole('button', { name: zh['followup.join'], exact: true }).click();

    await p.getByLabel(zh['followup.chat_placeholder']).fill('医生好，血压最近 150/95');
    await p.getByRole('button', { name: zh['followup.send'], exact: true }).click();
    await d.getByText('医生好，血压最近 150/95').waitFor();
    await d.getByLabel(zh['followup.chat_placeholder']).fill('请继续服用氨氯地平');
    await d.getByRole('button', { name: zh['followup.send'], exact: true }).click();
    await p.getByText('请继续服用氨氯地平').waitFor();

    await d.getByRole('button', { name: zh['console.end'], exact: true }).click();
    await p.getByText(zh['followup.ended']).waitFor();
    await p.getByRole('button', { name: zh['followup.stars'].replace('{n}', '5'), exact: true }).click();
    await p.getByRole('button', { name: zh['followup.rate_submit'], exact: true }).click();
    await p.getByText(zh['followup.rate_done']).waitFor();
    assert.deepEqual(patient.problems, []);
    assert.deepEqual(doctor.problems, []);
  });

  test('a first visit is refused with the rule, in words', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    s.allow(/422/);
    await signIn(s, 'patient2');
    await open(s, '#/patient/followup');
    const first = s.page.locator('[data-doctor]').first();
    await first.getByRole('button', { name: zh['followup.book'], exact: true }).click();
    await s.page.getByLabel(zh['followup.icd_label'], { exact: true }).fill('I10');
    await s.page.getByRole('button', { name: zh['followup.submit'], exact: true }).click();
    await s.page.getByText(zh['errors.consult.first_visit_offline_only']).waitFor();
    assert.deepEqual(s.problems, []);
    await s.close();
  });
});
