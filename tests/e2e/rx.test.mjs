// The e-prescription path in the browser (issue: clinical records and
// e-prescriptions), against a running demo server (LIANYI_URL):
//   doctor1 writes and signs a consultation note and a prescription for
//   patient1 (hypertension, I10), sees a rule violation live (8 days on a
//   normal prescription), fixes it and signs; pharmacist1 returns it with a
//   reason; the doctor sees the reason, fixes it (a chronic prescription
//   with a reason) and signs again; the pharmacist approves; patient1 sees
//   the prescription with a QR code that decodes (jsQR, from the pixels the
//   browser drew) to "LYRX1:<id>:<access code>".
// The consultation is made through the API and the WebSocket signalling
// (book, check in, call, join, end — tests/integration/rx-helpers.mjs):
// the doctor's call console is another issue's screen.
// Fails on any console error, failed request or HTTP error the test did not
// provoke. Screenshots go to tests/e2e/out/rx-*.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { launch, openPage, loadDict, screenshot, PHONE, DESKTOP } from './lib/browser.js';
import { endedConsultation, logins } from '../integration/rx-helpers.mjs';

const BASE = (process.env.LIANYI_URL || '').replace(/\/+$/, '');
const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
const PASSWORD = 'lianyi-demo';
const zh = loadDict('zh-CN');
const REASON = '高血压为慢性病，请改为慢性病处方并注明理由';

// The subset of tests/lib/server.mjs that the helpers use, on LIANYI_URL.
const srv = {
  get url() { return BASE; },
  get port() { return Number(new URL(BASE).port); },
  async api(method, p, { token, body, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(BASE + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, body: json, text };
  },
  async login(username) {
    const r = await this.api('POST', '/api/v1/sessions', { body: { username, password: PASSWORD } });
    if (r.status !== 201) throw new Error(`login ${username}: ${r.status}`);
    return r.body.token;
  },
};

async function login(page, username) {
  await page.goto(`${BASE}/#/login`);
  await page.getByLabel(zh['login.username'], { exact: true }).fill(username);
  await page.getByLabel(zh['login.password'], { exact: true }).fill(PASSWORD);
  await page.getByLabel(zh['login.password'], { exact: true }).press('Enter');
  await page.waitForFunction(() => /\/home$/.test(document.getElementById('app')?.dataset.route || ''));
}

async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => document.getElementById('app')?.dataset.route === h, hash);
}

// The violations shown live in the editor: their codes (sorted).
async function shownCodes(page) {
  return (await page.locator('[data-testid="rules-live"] [data-code]').evaluateAll(
    (els) => els.map((e) => e.dataset.code))).sort();
}

async function waitCodes(page, want) {
  await page.waitForFunction((w) => {
    const got = [...document.querySelectorAll('[data-testid="rules-live"] [data-code]')].map((e) => e.dataset.code).sort();
    const ok = document.querySelector('[data-testid="rules-live"] [data-testid="rules-ok"]');
    return w.length === 0 ? !!ok : JSON.stringify(got) === JSON.stringify(w);
  }, want, { timeout: 10000 });
}

// Renders the QR's SVG into a canvas in the page and decodes those pixels.
async function decodeQr(page) {
  const img = await page.locator('[data-testid="rx-qr"] svg').evaluate(async (svg) => {
    const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.outerHTML)}`;
    const im = new Image();
    await new Promise((ok, fail) => { im.onload = ok; im.onerror = fail; im.src = src; });
    const n = 400;
    const c = document.createElement('canvas');
    c.width = n; c.height = n;
    const g = c.getContext('2d');
    g.imageSmoothingEnabled = false;
    g.drawImage(im, 0, 0, n, n);
    return { n, data: Array.from(g.getImageData(0, 0, n, n).data) };
  });
  const r = jsQR(Uint8ClampedArray.from(img.data), img.n, img.n);
  return r ? r.data : null;
}

describe('e-prescription in the browser', { skip }, () => {
  let browser, tok, id, cons, rules, rxId;
  const pages = [];
  before(async () => {
    browser = await launch();
    ({ tok, id } = await logins(srv, ['patient1', 'doctor1']));
    cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1', 'I10');
    rules = Object.fromEntries((await srv.api('GET', '/api/v1/rx/rules', { token: tok.doctor1 })).body.rules
      .map((r) => [r.code, r]));
  });
  after(async () => {
    for (const s of pages) assert.deepEqual(s.problems, [], 'no console errors or failed requests');
    for (const s of pages) await s.close();
    await browser?.close();
  });

  async function open(username, viewport) {
    const s = await openPage(browser, { viewport });
    pages.push(s);
    await login(s.page, username);
    return s.page;
  }

  let doctor;
  test('doctor writes and signs the consultation note with an ICD-10 diagnosis', async () => {
    doctor = await open('doctor1', DESKTOP);
    await go(doctor, '#/doctor/records');
    await doctor.locator(`[data-consultation="${cons.id}"] [data-action="write-note"]`).click();
    const form = doctor.getByTestId('note-form');
    await form.waitFor();
    await form.getByLabel(zh['note.chief_complaint']).fill('头晕三天，血压控制欠佳');
    await form.getByLabel(zh['note.history']).fill('原发性高血压5年，规律服用氨氯地平');
    await form.getByLabel(zh['note.findings']).fill('家庭自测血压 150/95 mmHg');
    await form.getByLabel(zh['note.advice']).fill('低盐饮食，继续服药，一周后复诊');
    await form.getByRole('searchbox').fill('I10');
    await doctor.locator('[data-testid="dx-results"] [data-icd10="I10"]').click();
    await doctor.locator('[data-testid="dx-chosen"] [data-icd10="I10"]').waitFor();
    await screenshot(doctor, 'rx-doctor-note');
    await doctor.locator('[data-action="sign-note"]').click();
    await doctor.getByTestId('note-message').waitFor();
    const notes = (await srv.api('GET', `/api/v1/consultations/${cons.id}/notes`, { token: tok.doctor1 })).body.notes;
    assert.deepEqual(notes.map((n) => [n.version, n.signed, n.diagnoses.map((d) => d.icd10)]), [[1, true, ['I10']]]);
  });

  test('doctor prescribes, sees 8 days refused live, fixes it, signs', async () => {
    await go(doctor, '#/doctor/records');
    await doctor.locator(`[data-consultation="${cons.id}"] [data-action="prescribe"]`).click();
    await doctor.getByTestId('rx-form').waitFor();
    await doctor.locator('#formulary-q').fill('ALDP');
    await doctor.locator('[data-testid="formulary-results"] [data-drug="drug-amlodipine-5mg-tab"]').click();
    const line = doctor.locator('[data-drug="drug-amlodipine-5mg-tab"].rx-line');
    await line.locator('input[name="dose"]').fill('5 mg 口服 每日一次');
    await line.locator('input[name="days"]').fill('8');
    await waitCodes(doctor, ['rx.quantity_over_limit']);
    const sentence = await doctor.locator('[data-code="rx.quantity_over_limit"] .violation-text').textContent();
    assert.equal(sentence, rules['rx.quantity_over_limit'].message_zh, 'the rule says why, in Chinese');
    await screenshot(doctor, 'rx-doctor-violation');
    await line.locator('input[name="days"]').fill('7');
    await waitCodes(doctor, []);
    assert.deepEqual(await shownCodes(doctor), []);
    await doctor.locator('[data-action="sign-rx"]').click();
    await doctor.getByTestId('rx-signed').waitFor();
    rxId = new URLSearchParams(await doctor.evaluate(() => location.hash.split('?')[1])).get('id');
    assert.match(rxId, /^rx_/);
    assert.equal(await doctor.getByTestId('rx-detail').getAttribute('data-state'), 'pending_review');
  });

  let pharmacist;
  test('pharmacist sees the verdicts and history, returns it with a reason', async () => {
    pharmacist = await open('pharmacist1', PHONE);
    await go(pharmacist, '#/pharmacist/review');
    await pharmacist.locator(`[data-rx="${rxId}"] a`).click();
    await pharmacist.getByTestId('review-detail').waitFor();
    assert.ok(await pharmacist.getByTestId('rules-ok').isVisible(), 'no rule objects');
    await screenshot(pharmacist, 'rx-pharmacist-review');
    await pharmacist.getByLabel(zh['review.reject_reason'], { exact: true }).fill(REASON);
    await pharmacist.locator('[data-action="reject"]').click();
    await pharmacist.getByTestId('review-message').waitFor();
    assert.equal(await pharmacist.getByTestId('review-detail').getAttribute('data-state'), 'returned');
  });

  test('doctor sees the reason, makes it a chronic prescription, signs again', async () => {
    await go(doctor, '#/doctor/prescriptions');
    const row = doctor.locator(`[data-rx="${rxId}"]`);
    assert.equal(await row.getAttribute('data-state'), 'returned');
    await row.locator('a').click();
    const why = doctor.getByTestId('returned-reason');
    await why.waitFor();
    assert.match(await why.textContent(), new RegExp(REASON));
    const form = doctor.getByTestId('rx-form');
    await form.locator('select[name="kind"]').selectOption('chronic');
    await waitCodes(doctor, ['rx.chronic_reason_required']);
    await form.locator('textarea[name="chronic_reason"]').fill('高血压病情稳定，长期服药');
    await form.locator('input[name="days"]').fill('28');
    await waitCodes(doctor, []);
    await doctor.locator('[data-action="sign-rx"]').click();
    await doctor.getByTestId('rx-signed').waitFor();
    assert.equal(await doctor.getByTestId('rx-detail').getAttribute('data-state'), 'pending_review');
  });

  test('pharmacist approves', async () => {
    await go(pharmacist, '#/pharmacist/review');
    await pharmacist.locator(`[data-rx="${rxId}"] a`).click();
    await pharmacist.getByTestId('review-detail').waitFor();
    assert.match(await pharmacist.getByTestId('review-detail').textContent(), /28/);
    await pharmacist.locator('[data-action="approve"]').click();
    await pharmacist.getByTestId('review-message').waitFor();
    assert.equal(await pharmacist.getByTestId('review-detail').getAttribute('data-state'), 'ready');
  });

  test('patient sees the prescription with a QR code that decodes to its payload', async () => {
    const patient = await open('patient1', PHONE);
    await go(patient, '#/patient/prescriptions');
    const row = patient.locator(`[data-rx="${rxId}"]`);
    assert.equal(await row.getAttribute('data-state'), 'ready');
    await row.locator('a').click();
    await patient.getByTestId('rx-qr').waitFor();
    const mine = (await srv.api('GET', `/api/v1/prescriptions/${rxId}`, { token: tok.patient1 })).body.prescription;
    const payload = `LYRX1:${rxId}:${mine.access_code}`;
    assert.equal(mine.qr, payload);
    assert.equal(await decodeQr(patient), payload, 'the drawn code decodes to the prescription payload');
    await screenshot(patient, 'rx-patient-qr');
    await patient.setViewportSize(DESKTOP);
    await screenshot(patient, 'rx-patient-qr-desktop');
    await patient.setViewportSize(PHONE);

    // The chronic prescription can be renewed: ask, and the doctor renews it.
    await patient.getByLabel(zh['renewal.note'], { exact: true }).fill('药快吃完了');
    await patient.locator('[data-action="renew"]').click();
    await patient.locator('[data-testid="renewal-state"][data-renewal="requested"]').waitFor();
    await go(doctor, '#/doctor/renewals');
    const req = doctor.locator('[data-renewal]').first();
    await req.locator('[data-action="approve"]').click();
    await doctor.locator('.notice[role="status"]').waitFor();
    assert.equal(await doctor.locator('[data-renewal]').count(), 0, 'no open request left');
  });

  test('patient records a blood pressure and sees it charted; health record, English', async () => {
    const patient = pages[pages.length - 1].page;
    await go(patient, '#/patient/vitals');
    const form = patient.getByTestId('vitals-form');
    await form.locator('input[name="value1"]').fill('148');
    await form.locator('input[name="value2"]').fill('92');
    await patient.locator('[data-action="save-vital"]').click();
    await patient.getByTestId('vitals-message').waitFor();
    await patient.locator('[data-chart="bp"] svg polyline[data-series="value2"]').waitFor({ state: 'attached' });
    assert.equal(await patient.locator('[data-chart="bp"] svg circle').count(), 2, 'one reading: systolic and diastolic');
    await screenshot(patient, 'rx-patient-vitals');
    await go(patient, '#/patient/health');
    await patient.locator('[data-testid="diagnoses"] [data-icd10="I10"]').waitFor();
    await patient.locator('[data-testid="notes"] [data-note]').first().waitFor();
    await screenshot(patient, 'rx-patient-health');
    await patient.locator('[data-action="lang"]').click();
    await patient.waitForFunction(() => document.documentElement.lang === 'en');
    await patient.locator('[data-testid="diagnoses"]').waitFor();
    await screenshot(patient, 'rx-patient-health-en');
  });

  test('doctor: alerts, findings, patient record; supervisor: sampling review', async () => {
    for (const hash of ['#/doctor/alerts', '#/doctor/findings', `#/doctor/records?patient=${cons.patient.id}`]) {
      await go(doctor, hash);
      await doctor.locator('main .card').first().waitFor();
    }
    await doctor.getByTestId('lab-orders').waitFor();
    const sup = await open('supervisor', DESKTOP);
    await go(sup, '#/supervisor/sampling');
    await sup.locator('main .card').first().waitFor();
    await screenshot(sup, 'rx-supervisor-sampling');
  });
});
