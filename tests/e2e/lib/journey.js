// The whole patient journey of issue 10, played in four browsers with clicks
// and typing only (journey.test.mjs in Chinese, journey-en.test.mjs in
// English): the patient (390×844) logs in, sees their chronic conditions,
// picks a family doctor, books an online follow-up for hypertension from the
// home, waits (position and estimate), is called in (a notification), joins
// and chats with the doctor; the doctor signs the note and a prescription;
// the pharmacist approves it (a notification); the patient chooses delivery
// by the pharmacy, which claims, dispenses, sends it out and hands it over
// with the code the patient reads out; the billing job settles the claims
// (a notification) and the patient sees the bill with what insurance paid,
// the receipt and the record. Each step asserts what is on the screen and
// saves a screenshot in tests/e2e/out/journey-<lang>/NN-<step>.png.
//
// The consultation is a video call through Lianyi's relay (web/call.js):
// each side must receive the other's audio (Opus) and video (VP8, frames
// decoded from Chromium's fake camera) — lib/call.js reads getStats().
//
// Fails on any console error, failed request or HTTP error in any of the
// four browsers, and on any missing translation (i18n.js logs those).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openPage, loadDict, fill, PHONE, DESKTOP, OUT_DIR } from './browser.js';
import { waitFlowing } from './call.js';

const BASE = (process.env.LIANYI_URL || '').replace(/\/+$/, '');
const PASSWORD = 'lianyi-demo';

export function runJourney(lang) {
  const d = loadDict(lang);
  const dir = path.join(OUT_DIR, `journey-${lang === 'en' ? 'en' : 'zh'}`);
  const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
  let shot = 0;

  async function snap(page, name) {
    fs.mkdirSync(dir, { recursive: true });
    shot += 1;
    await page.evaluate(() => window.scrollTo(0, 0)); // else the sticky header lands mid-page
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: nothing sticks out sideways (${overflow}px)`);
    await page.screenshot({ path: path.join(dir, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  const route = (page, want, timeout = 10000) => page.waitForFunction((w) => {
    const r = document.getElementById('app')?.dataset.route || '';
    return typeof w === 'string' ? r === w : new RegExp(w.source).test(r);
  }, typeof want === 'string' ? want : { source: want.source }, { timeout });

  // Log in from the login page, switching its language first when needed.
  async function login(s, username) {
    const { page } = s;
    await page.goto(`${BASE}/#/login`);
    await route(page, '#/login');
    if (lang === 'en') {
      await page.locator('[data-action="lang"]').click();
      await page.waitForFunction(() => document.documentElement.lang === 'en');
    }
    await page.getByLabel(d['login.username'], { exact: true }).fill(username);
    await page.getByLabel(d['login.password'], { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: d['login.submit'], exact: true }).click();
    await route(page, /\/home$/);
  }

  const home = async (page) => {
    await page.locator('.brand').first().click();
    await route(page, /\/home$/);
  };

  // The sidebar link (desktop) or, on a phone, the home's tile of a screen.
  async function nav(page, segment, id) {
    const link = page.locator(`nav a[href="#/${segment}/${id}"]:visible`);
    if (await link.count() === 0) await home(page);
    await link.first().click();
    await route(page, `#/${segment}/${id}`);
  }

  describe(`the patient journey (${lang})`, { skip }, () => {
    let browser, P, D, R, S; // patient, doctor, pharmacist, pharmacy staff
    const all = () => [P, D, R, S].filter(Boolean);
    let doctorName, rxId, pharmacyName;

    before(async () => {
      browser = await launch();
      P = await openPage(browser, { viewport: PHONE });
      D = await openPage(browser, { viewport: DESKTOP });
      R = await openPage(browser, { viewport: DESKTOP });
      S = await openPage(browser, { viewport: DESKTOP });
      for (const s of all()) {
        s.page.on('console', (m) => { if (/missing key/.test(m.text())) s.problems.push(`i18n: ${m.text()}`); });
      }
    });
    after(async () => {
      for (const s of all()) await s.close();
      await browser?.close();
    });

    const clean = (label) => {
      for (const [who, s] of [['patient', P], ['doctor', D], ['pharmacist', R], ['pharmacy', S]]) {
        assert.deepEqual(s.problems, [], `${label}: ${who} saw no errors`);
      }
    };

    test('everyone logs in; the doctor opens the console and goes online', async () => {
      await Promise.all([login(P, 'patient1'), login(D, 'doctor1'), login(R, 'pharmacist1'), login(S, 'pharmacy1')]);
      doctorName = (await D.page.locator('.who-name').textContent()).trim();
      pharmacyName = (await S.page.getByTestId('my-pharmacy').locator('h2').textContent()).trim();
      assert.ok(doctorName && pharmacyName);

      await nav(D.page, 'doctor', 'console');
      await D.page.getByLabel(d['console.password'], { exact: true }).fill(PASSWORD);
      await D.page.getByRole('button', { name: d['console.verify'], exact: true }).click();
      await D.page.getByText(d['console.verified'], { exact: true }).waitFor();
      await D.page.locator('[data-presence="online"]').click();
      await D.page.locator('[data-presence="online"][aria-pressed="true"]').waitFor();
      await snap(D.page, 'doctor-console-online');
      clean('login');
    });

    test('the patient sees their chronic conditions, and picks a family doctor from the home', async () => {
      const p = P.page;
      const conditions = p.getByTestId('my-conditions');
      await conditions.locator('[data-icd10="I10"]').waitFor();
      assert.match(await conditions.textContent(), lang === 'en' ? /hypertension/i : /高血压/);
      await conditions.locator('[data-icd10="E11.9"]').waitFor();
      const fd = p.getByTestId('my-family-doctor');
      assert.ok(await fd.getByText(d['today.no_family_doctor']).isVisible());
      await snap(p, 'patient-home');

      await fd.getByRole('link', { name: d['today.choose_family_doctor'] }).click();
      await route(p, '#/patient/family-doctor');
      const row = p.locator('li[data-doctor]').filter({ hasText: doctorName }).first();
      await row.getByRole('button', { name: d['family.sign'], exact: true }).click();
      await p.locator('[data-field="contract"]').filter({ hasText: doctorName }).waitFor();
      await snap(p, 'patient-family-doctor');

      await home(p);
      await p.getByTestId('my-family-doctor').filter({ hasText: doctorName }).waitFor();
      await snap(p, 'patient-home-family-doctor');
      clean('family doctor');
    });

    test('the patient books an online follow-up for hypertension and waits: position and estimate', async () => {
      const p = P.page;
      await p.getByTestId('my-conditions').locator('[data-icd10="I10"] [data-action="book-followup"]').click();
      await route(p, '#/patient/followup?icd=I10');
      const mine = p.getByTestId('suggested-doctors').locator('li[data-doctor]').filter({ hasText: doctorName }).first();
      await mine.waitFor();
      assert.match(await mine.textContent(), new RegExp(d['followup.why.family']));
      await mine.locator('[data-presence="online"]').waitFor();
      await mine.getByRole('button', { name: d['followup.book'], exact: true }).click();
      const code = p.getByLabel(d['followup.icd_label'], { exact: true });
      assert.equal(await code.inputValue(), 'I10', 'the condition chosen on the home is filled in');
      await snap(p, 'patient-book');
      await p.getByRole('button', { name: d['followup.submit'], exact: true }).click();

      await route(p, /^#\/patient\/followup\?open=con_/);
      await p.getByTestId('queue-position').waitFor();
      assert.equal((await p.getByTestId('queue-position').textContent()).trim(), '1');
      assert.ok(await p.getByText(d['followup.wait_next'], { exact: true }).isVisible(), 'the estimate says: next');
      await snap(p, 'patient-waiting');
      clean('booking');
    });

    test('the doctor calls the patient in; the patient is told (bell) and joins; they see, hear and chat', async () => {
      const p = P.page, doc = D.page;
      const queued = doc.getByTestId('queue').locator('[data-consultation]');
      await queued.first().waitFor();
      await snap(doc, 'doctor-queue');
      await doc.getByRole('button', { name: d['console.call_next'], exact: true }).click();

      await p.getByText(d['followup.calling'], { exact: true }).waitFor();
      await p.locator('[data-action="notifications"][data-unread="1"]').waitFor();
      await snap(p, 'patient-called');
      await p.getByRole('button', { name: d['followup.join'], exact: true }).click();
      await p.locator('[data-call] [data-action="hang-up"]').waitFor();
      await doc.locator('[data-call] [data-action="hang-up"]').waitFor();
      // each side receives the other's voice and picture through the relay
      await Promise.all([waitFlowing(p, 1), waitFlowing(doc, 1)]);

      const ask = lang === 'en' ? 'Good morning doctor, my blood pressure is 150/95' : '医生好，最近血压 150/95';
      const answer = lang === 'en' ? 'Keep taking amlodipine; I will renew it' : '请继续服用氨氯地平，我给您续开';
      await p.getByLabel(d['followup.chat_placeholder']).fill(ask);
      await p.getByRole('button', { name: d['followup.send'], exact: true }).click();
      await doc.getByText(ask).waitFor();
      await doc.getByLabel(d['followup.chat_placeholder']).fill(answer);
      await doc.getByRole('button', { name: d['followup.send'], exact: true }).click();
      await p.getByText(answer).waitFor();
      await snap(p, 'patient-in-room');
      await snap(doc, 'doctor-in-room');

      await doc.getByRole('button', { name: d['console.end'], exact: true }).click();
      await p.getByText(d['followup.ended'], { exact: true }).waitFor();
      await p.getByRole('button', { name: fill(d['followup.stars'], { n: 5 }), exact: true }).click();
      await p.getByRole('button', { name: d['followup.rate_submit'], exact: true }).click();
      await p.getByText(d['followup.rate_done'], { exact: true }).waitFor();
      await p.getByTestId('after-call').waitFor(); // what happens next
      await snap(p, 'patient-rated');
      clean('consultation');
    });

    test('the doctor writes and signs the note, then the prescription', async () => {
      const doc = D.page;
      // the ended call's room in the console leads to the note
      await doc.locator('[data-room] a[data-action="write-note"]').click();
      await route(doc, /^#\/doctor\/records\?consultation=con_/);
      const form = doc.getByTestId('note-form');
      await form.waitFor();
      const text = lang === 'en'
        ? ['Dizzy for three days', 'Hypertension for 5 years on amlodipine', 'Home BP 150/95 mmHg', 'Low salt, keep taking it, review in a week']
        : ['头晕三天，血压控制欠佳', '原发性高血压5年，规律服用氨氯地平', '家庭自测血压 150/95 mmHg', '低盐饮食，继续服药，一周后复诊'];
      await form.getByLabel(d['note.chief_complaint']).fill(text[0]);
      await form.getByLabel(d['note.history']).fill(text[1]);
      await form.getByLabel(d['note.findings']).fill(text[2]);
      await form.getByLabel(d['note.advice']).fill(text[3]);
      await form.getByRole('searchbox').fill('I10');
      await doc.locator('[data-testid="dx-results"] [data-icd10="I10"]').click();
      await doc.locator('[data-testid="dx-chosen"] [data-icd10="I10"]').waitFor();
      await doc.locator('[data-action="sign-note"]').click();
      await doc.getByTestId('note-message').waitFor();
      await snap(doc, 'doctor-note-signed');

      await doc.locator('[data-action="prescribe-after-note"]').click();
      await route(doc, /^#\/doctor\/prescriptions\?consultation=/);
      await doc.getByTestId('rx-form').waitFor();
      await doc.locator('#formulary-q').fill('ALDP');
      await doc.locator('[data-testid="formulary-results"] [data-drug="drug-amlodipine-5mg-tab"]').click();
      const line = doc.locator('[data-drug="drug-amlodipine-5mg-tab"].rx-line');
      await line.locator('input[name="dose"]').fill(lang === 'en' ? '5 mg by mouth once a day' : '5 mg 口服 每日一次');
      await line.locator('input[name="days"]').fill('7');
      await doc.locator('[data-testid="rules-live"] [data-testid="rules-ok"]').waitFor({ timeout: 10000 });
      await doc.locator('[data-action="sign-rx"]').click();
      await doc.getByTestId('rx-signed').waitFor();
      assert.equal(await doc.getByTestId('rx-detail').getAttribute('data-state'), 'pending_review');
      rxId = new URLSearchParams(await doc.evaluate(() => location.hash.split('?')[1])).get('id');
      assert.match(rxId, /^rx_/);
      await snap(doc, 'doctor-rx-signed');
      clean('note and prescription');
    });

    test('the pharmacist approves; the patient is told and chooses delivery by the pharmacy', async () => {
      const ph = R.page, p = P.page;
      await nav(ph, 'pharmacist', 'review');
      await ph.locator(`[data-rx="${rxId}"] a`).click();
      await ph.getByTestId('review-detail').waitFor();
      await snap(ph, 'pharmacist-review');
      await ph.locator('[data-action="approve"]').click();
      await ph.getByTestId('review-message').waitFor();
      assert.equal(await ph.getByTestId('review-detail').getAttribute('data-state'), 'ready');

      // the bell counts it; the notification centre leads to the pharmacy choice
      await p.locator('[data-action="notifications"]:not([data-unread="0"])').waitFor();
      await p.locator('[data-action="notifications"]').click();
      await route(p, '#/patient/notifications');
      const note = p.getByTestId('notifications').locator('[data-kind="rx.ready"]');
      await note.waitFor({ timeout: 5000 });
      assert.ok(await note.getByText(d['notify.kind.rx.ready']).isVisible());
      assert.ok(await p.getByTestId('notifications').locator('[data-kind="consult.called"]').isVisible());
      await snap(p, 'patient-notifications');
      await note.locator('a').click();
      await route(p, `#/patient/pharmacy?id=${rxId}`);

      const chooser = p.getByTestId('pc-chooser');
      await chooser.waitFor();
      await chooser.locator('[data-mode="delivery"]').click();
      await chooser.locator('[data-mode="delivery"][aria-pressed="true"]').waitFor();
      await p.getByLabel(d['pc.address']).fill(lang === 'en' ? 'Flat 3, Building 5, Pingshan' : '坪山街道六和社区5栋3单元');
      const row = p.getByTestId('pc-pharmacies').locator('li[data-pharmacy]').filter({ hasText: pharmacyName }).first();
      await row.waitFor();
      await snap(p, 'patient-choose-delivery');
      await row.locator('[data-action="choose"]').click();
      await p.locator('[data-testid="pd-status"][data-state="ready"]').waitFor();
      clean('review and choice');
    });

    test('the pharmacy claims, dispenses, sends it out and hands it over with the patient\'s code', async () => {
      const st = S.page, p = P.page;
      await nav(st, 'pharmacy', 'queue');
      const item = st.locator(`[data-testid="ph-queue"] li[data-rx="${rxId}"]`);
      await item.waitFor();
      await snap(st, 'pharmacy-queue');
      await item.locator('a').click();
      await st.locator('[data-testid="ph-signature"][data-verified="true"]').waitFor();
      await st.locator('[data-testid="ph-claim"] [data-action="claim"]').click();
      await p.locator('[data-testid="pd-status"][data-state="in_progress"]').waitFor({ timeout: 5000 });
      await st.locator('[data-testid="ph-dispense"] [data-action="dispense"]').click();
      await st.locator('[data-testid="ph-delivery"] [data-action="out"]').click();
      await st.locator('[data-testid="ph-delivery"][data-delivery="out_for_delivery"]').waitFor();
      await snap(st, 'pharmacy-out-for-delivery');

      // the patient reads the code out to the courier
      const code = p.getByTestId('pd-code');
      await code.waitFor({ timeout: 5000 });
      const digits = (await code.textContent()).trim();
      assert.match(digits, /^\d{6}$/);
      await snap(p, 'patient-delivery-code');
      await st.getByLabel(d['ph.code']).first().fill(digits);
      await st.locator('[data-testid="ph-delivery"] [data-action="deliver"]').click();
      await st.getByTestId('ph-receipt').waitFor();
      await snap(st, 'pharmacy-delivered');
      await p.locator('[data-testid="pd-status"][data-state="completed"]').waitFor({ timeout: 5000 });
      await p.getByTestId('ph-receipt').waitFor();
      await snap(p, 'patient-receipt');
      clean('dispense and delivery');
    });

    test('the claims settle; the patient sees the bill, what insurance paid, the receipt and the record', async () => {
      const p = P.page;
      // the billing job runs every few seconds: the bell says when the medicine's bill is settled
      await home(p);
      await p.waitForFunction(() => document.querySelectorAll('[data-testid="next-bill"]').length >= 2,
        null, { timeout: 40000 });
      await snap(p, 'patient-home-bills');
      await p.locator('[data-action="notifications"]').click();
      await route(p, '#/patient/notifications');
      const settled = p.getByTestId('notifications').locator('[data-kind="claim.settled"]');
      assert.ok(await settled.count() >= 2, 'both bills were announced');
      // the medicine's bill: the one with drug lines
      await nav(p, 'patient', 'bills');
      const rows = p.locator('[data-testid="bills"] li[data-claim]');
      await rows.first().waitFor();
      assert.ok(await rows.count() >= 2);
      await snap(p, 'patient-bills');
      const drugs = p.locator('[data-testid="bills"] li[data-claim]').filter({ hasText: d['bill.encounter.dispense'] }).first();
      await drugs.locator('a').click();
      await route(p, /^#\/patient\/bills\?id=clm_/);
      const sum = p.getByTestId('bill-summary');
      await sum.waitFor();
      assert.equal(await sum.getAttribute('data-status'), 'settled');
      const fund = (await p.getByTestId('sum-fund').textContent()).replace(/[^\d.]/g, '');
      assert.ok(Number(fund) > 0, `insurance paid ${fund}`);
      await p.locator('[data-testid="bill-lines"] [data-kind="drug"]').first().waitFor();
      await p.locator('[data-testid="bill-related"] [data-testid="ph-receipt"]').waitFor();
      await snap(p, 'patient-bill');
      await p.locator('[data-testid="bill-related"] [data-action="to-record"]').click();
      await route(p, '#/patient/health');
      await p.locator('[data-testid="notes"] [data-note]').first().waitFor();
      assert.match(await p.getByTestId('notes').textContent(), new RegExp(lang === 'en' ? 'Dizzy' : '头晕'));
      await snap(p, 'patient-record');
      clean('bill');
    });
  });
}
