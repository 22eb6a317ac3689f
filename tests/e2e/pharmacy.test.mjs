// Pharmacy dispatch in the browser (issue 7 acceptance 4), against a running
// demo server (LIANYI_URL): patient1 (a phone) picks pharmacy1's pharmacy
// for a ready prescription; the pharmacy console (a second browser, open on
// its queue) shows it within 1 s without reloading; staff open it (the
// doctor's signature checked), claim, dispense and complete; the patient's
// page shows the signed receipt by itself.
// The prescription is made through the API (consultation over the real
// signalling, doctor signs, pharmacist approves). Fails on any console
// error, failed request or HTTP error. Screenshots: tests/e2e/out/pharmacy-*.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, loadDict, screenshot, PHONE, DESKTOP } from './lib/browser.js';
import { endedConsultation, logins, draft } from '../integration/rx-helpers.mjs';

const BASE = (process.env.LIANYI_URL || '').replace(/\/+$/, '');
const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
const PASSWORD = 'lianyi-demo';
const zh = loadDict('zh-CN');

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

describe('pharmacy dispatch in the browser', { skip }, () => {
  let browser, tok, rx, pharmacy;

  before(async () => {
    browser = await launch();
    const w = await logins(srv, ['patient1', 'doctor1', 'pharmacist1', 'pharmacy1']);
    tok = w.tok;
    const c = await endedConsultation(srv, w.tok, w.id, 'patient1', 'doctor1');
    const made = await srv.api('POST', '/api/v1/prescriptions', { token: tok.doctor1, body: draft(c) });
    assert.equal(made.status, 201, made.text);
    rx = made.body.prescription.id;
    assert.equal((await srv.api('POST', `/api/v1/prescriptions/${rx}/sign`, { token: tok.doctor1 })).status, 200);
    assert.equal((await srv.api('POST', `/api/v1/prescriptions/${rx}/approve`, { token: tok.pharmacist1 })).status, 200);
    pharmacy = (await srv.api('GET', '/api/v1/pharmacy/me', { token: tok.pharmacy1 })).body.pharmacy;
  });
  after(async () => { await browser?.close(); });

  test('patient picks a pharmacy; the console shows it within 1 s; claim, dispense, complete; the patient sees the receipt', async () => {
    const staff = await openPage(browser, { viewport: DESKTOP });
    const patient = await openPage(browser, { viewport: PHONE });
    try {
      // the console, open on its queue and connected
      await login(staff.page, 'pharmacy1');
      await go(staff.page, '#/pharmacy/queue');
      await staff.page.waitForSelector('[data-testid="ph-live"][data-live="open"]', { timeout: 10000 });
      await staff.page.evaluate(() => { window.__noReload = true; });

      // the patient, standing next to pharmacy1's pharmacy
      await patient.context.grantPermissions(['geolocation'], { origin: BASE });
      await patient.context.setGeolocation({ latitude: pharmacy.lat, longitude: pharmacy.lon });
      await login(patient.page, 'patient1');
      await go(patient.page, '#/patient/pharmacy');
      await patient.page.locator(`[data-testid="pc-list"] [data-rx="${rx}"] a`).click();
      await patient.page.waitForSelector('[data-testid="pc-chooser"] [data-pharmacy]');
      await patient.page.getByRole('button', { name: zh['pc.use_location'] }).click();
      const row = patient.page.locator(`[data-testid="pc-pharmacies"] li[data-pharmacy="${pharmacy.id}"]`);
      await row.waitFor({ timeout: 10000 });
      await screenshot(patient.page, 'pharmacy-patient-choose');

      const t0 = Date.now();
      await row.locator('[data-action="choose"]').click();
      await staff.page.waitForSelector(`[data-testid="ph-queue"] li[data-rx="${rx}"]`, { timeout: 1000 });
      const shownMs = Date.now() - t0;
      assert.ok(shownMs < 1000, `shown after ${shownMs} ms`);
      assert.equal(await staff.page.evaluate(() => window.__noReload), true, 'the console did not reload');
      await screenshot(staff.page, 'pharmacy-console-queue');
      await patient.page.waitForSelector('[data-testid="pd-status"][data-state="ready"]');

      // staff: open, check the signature, claim, dispense, complete
      await staff.page.locator(`[data-testid="ph-queue"] li[data-rx="${rx}"] a`).click();
      await staff.page.waitForSelector('[data-testid="ph-signature"][data-verified="true"]');
      await staff.page.locator('[data-testid="ph-claim"] [data-action="claim"]').click();
      await staff.page.waitForSelector('[data-testid="ph-dispense"] [data-action="dispense"]');
      await patient.page.waitForSelector('[data-testid="pd-status"][data-state="in_progress"]', { timeout: 5000 });
      await staff.page.locator('[data-testid="ph-dispense"] [data-action="dispense"]').click();
      await staff.page.waitForSelector('[data-testid="ph-claim"] [data-action="complete"]');
      await staff.page.locator('[data-testid="ph-claim"] [data-action="complete"]').click();
      const receipt = staff.page.locator('[data-testid="ph-receipt"]');
      await receipt.waitFor();
      const receiptId = await receipt.getAttribute('data-receipt');
      await screenshot(staff.page, 'pharmacy-console-receipt');

      // the patient's page updates by itself
      const mine = patient.page.locator(`[data-testid="ph-receipt"][data-receipt="${receiptId}"]`);
      await mine.waitFor({ timeout: 5000 });
      assert.equal(await patient.page.locator('[data-testid="pd-status"]').getAttribute('data-state'), 'completed');
      await screenshot(patient.page, 'pharmacy-patient-receipt');

      const st = await srv.api('GET', `/api/v1/prescriptions/${rx}/dispatch`, { token: tok.patient1 });
      assert.equal(st.body.state, 'completed');
      assert.equal(st.body.receipt.id, receiptId);
      assert.deepEqual(staff.problems, []);
      assert.deepEqual(patient.problems, []);
    } finally {
      await staff.close();
      await patient.close();
    }
  });
});
