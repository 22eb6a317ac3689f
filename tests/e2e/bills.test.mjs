// Insurance screens in the browser, against a running demo server
// (LIANYI_URL): a claim is settled for patient1 through the admin API (a
// consultation fee, 甲/乙/丙 medicines and a delivery fee); the patient sees
// it in the bill list (phone, 390×844) with their coverage, opens it and
// reads the line-by-line explanation in Chinese and then in English; the
// admin sees the day's statement with its totals and a passing check, and
// schedules a new policy version (desktop). While the patient looks at the
// list, a consultation with doctor1 ends and the billing job's bill appears
// by itself (WebSocket claim.settled; the job runs every 10 s by default). Fails on any console error,
// failed request or HTTP error response. Screenshots: tests/e2e/out/bills-*.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, loadDict, screenshot, PHONE, DESKTOP } from './lib/browser.js';
import { endedConsultation, logins } from '../integration/rx-helpers.mjs';

const BASE = (process.env.LIANYI_URL || '').replace(/\/+$/, '');
const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
const PASSWORD = 'lianyi-demo';
const zh = loadDict('zh-CN');
const en = loadDict('en');
const DRUGS = { a: 'drug-amlodipine-5mg-tab', b: 'drug-losartan-50mg-tab', c: 'drug-tcm-chuanbei-pipa-gao' };

// The subset of tests/lib/server.mjs that the signalling helpers use, on LIANYI_URL.
const srv = {
  get url() { return BASE; },
  get port() { return Number(new URL(BASE).port); },
  async api(method, p, { token, body } = {}) {
    const r = await api(method, p, token, body);
    return { ...r, text: JSON.stringify(r.body) };
  },
  login: (username) => apiLogin(username),
};

async function api(method, p, token, body) {
  const res = await fetch(BASE + p, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function apiLogin(username) {
  const res = await fetch(`${BASE}/api/v1/sessions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).token;
}

async function login(page, username) {
  await page.goto(`${BASE}/#/login`);
  await page.getByLabel(zh['login.username'], { exact: true }).fill(username);
  await page.getByLabel(zh['login.password'], { exact: true }).fill(PASSWORD);
  await page.getByLabel(zh['login.password'], { exact: true }).press('Enter');
  await page.waitForFunction(() => /\/home$/.test(document.getElementById('app')?.dataset.route || ''));
}

const yuan = (fen) => (fen / 100).toFixed(2);

describe('bills, coverage, statement and policy in the browser', { skip }, () => {
  let browser, claim;

  before(async () => {
    browser = await launch();
    const admin = await apiLogin('admin');
    const patient = await apiLogin('patient1');
    const me = await api('GET', '/api/v1/me', patient);
    const r = await api('POST', '/api/v1/claims', admin, {
      patient_id: me.body.account.patient_id, facility_id: 'cc-pingshan', encounter_type: 'visit',
      encounter_id: `e2e-bill-${Date.now()}`, service_at: Date.now() - 60e3, doctor_title: 'gp',
      items: [{ kind: 'fee', code: '110200001' }, { kind: 'drug', code: DRUGS.a, quantity: 1 },
        { kind: 'drug', code: DRUGS.b, quantity: 1 }, { kind: 'drug', code: DRUGS.c, quantity: 1 },
        { kind: 'delivery', code: 'DELIVERY' }],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    claim = r.body.claim;
  });
  after(async () => { await browser?.close(); });

  test('patient: the bill list with coverage, and one bill explained line by line, in Chinese then English', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    const { page } = s;
    try {
      await login(page, 'patient1');
      await page.locator('[data-screen="bills"]').click();
      const row = page.locator(`[data-claim="${claim.id}"]`);
      await row.waitFor();
      assert.match(await row.textContent(), new RegExp(yuan(claim.totals.total_fen).replace('.', '\\.')));
      const cov = page.locator('[data-testid="coverage"]');
      assert.equal(await cov.getAttribute('data-plan'), 'employee_t1');
      assert.match(await cov.textContent(), new RegExp(zh['cov.account']));
      await screenshot(page, 'bills-list-zh');

      // an online consultation ends: its fee is billed and the list refreshes itself
      const rows = page.locator('[data-testid="bills"] > li');
      const before = await rows.count();
      const l = await logins(srv, ['patient1', 'doctor1']);
      const cons = await endedConsultation(srv, l.tok, l.id, 'patient1', 'doctor1');
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="bills"] > li').length > n, before, { timeout: 30000 });
      const fee = await rows.first().textContent();
      assert.ok(fee.includes(zh['bill.encounter.consultation']), `the consultation's bill first: ${fee}`);
      assert.ok(cons.id);

      await row.locator('a').click();
      await page.locator('[data-testid="bill-lines"]').waitFor();
      const sentence = await page.locator('[data-testid="bill-sentence"]').textContent();
      for (const k of ['total_fen', 'fund_fen', 'account_fen', 'cash_fen']) assert.ok(sentence.includes(yuan(claim.totals[k])), `${k} in "${sentence}"`);
      const lines = page.locator('.bill-line');
      assert.equal(await lines.count(), 5);
      const text = async (sel) => (await page.locator(sel).textContent());
      assert.ok((await text('.bill-line[data-category="丙"]')).includes(zh['bill.why.category_c']), '丙类药品全部自付');
      assert.ok((await text('.bill-line[data-category="乙"]')).includes(zh['bill.why.self_share'].replace('{percent}', '10')), '乙 10%');
      assert.ok((await text('.bill-line[data-kind="delivery"]')).includes(zh['bill.why.delivery']));
      assert.ok((await text('.bill-line[data-kind="fee"]')).includes(zh['bill.why.fund'].replace('{ratio}', '90')));
      // the steps in the order of adjudication
      const steps = await page.locator('.bill-line').first().locator('[data-step]').evaluateAll((els) => els.map((e) => e.dataset.step));
      assert.deepEqual(steps, ['total', 'fully_self', 'pre_self', 'in_scope', 'deductible', 'fund', 'account', 'cash']);
      await screenshot(page, 'bills-detail-zh');

      await page.locator('[data-action="lang"]').click();
      await page.waitForFunction((w) => document.querySelector('[data-testid="bill-summary"] h2')?.textContent === w, en['bill.encounter.visit']);
      await page.locator('[data-testid="bill-lines"]').waitFor();
      assert.ok((await text('.bill-line[data-category="丙"]')).includes(en['bill.why.category_c']));
      assert.ok((await text('.bill-line[data-kind="delivery"]')).includes(en['bill.why.delivery_no_account']));
      assert.match(await text('.bill-line[data-category="甲"] .bill-line-name'), /amlodipine/i, 'drug names in English');
      await screenshot(page, 'bills-detail-en');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('admin: the day\'s statement with totals and a passing check; a new policy version from tomorrow', async () => {
    const s = await openPage(browser, { viewport: DESKTOP });
    const { page } = s;
    try {
      await login(page, 'admin');
      await page.locator('[data-screen="statements"]').click();
      const check = page.locator('[data-testid="statement-check"]');
      await check.waitFor();
      assert.equal(await check.getAttribute('data-ok'), 'true');
      const totals = page.locator('[data-testid="statement-totals"]');
      assert.ok(Number(await totals.locator('[data-sum="claims"] dd').textContent()) >= 1);
      const foot = page.locator('[data-testid="statement-table"] tfoot');
      assert.ok((await foot.textContent()).includes(zh['stmt.totals']));
      assert.ok(await page.locator('[data-testid="statement-table"] tbody tr[data-facility="cc-pingshan"]').count() >= 1);
      await screenshot(page, 'bills-statement-admin');

      await page.evaluate(() => { location.hash = '#/admin/policy'; });
      await page.locator('[data-testid="policy-version"]').waitFor();
      await page.locator('[data-action="new-version"]').click();
      await page.locator('input[name="yi_share"]').fill('12');
      await page.locator('input[name="note"]').fill('e2e: 乙类先行自付 12%');
      await screenshot(page, 'bills-policy-form');
      await page.locator('[data-action="create-version"]').click();
      await page.locator('[data-testid="policy-created"]').waitFor();
      assert.ok(await page.locator('[data-testid="policy-versions"] [data-phase="scheduled"]').count() >= 1);
      assert.equal(await page.locator('[data-testid="policy-versions"] [data-phase="in_force"]').count(), 1);
      await screenshot(page, 'bills-policy-admin');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });
});
