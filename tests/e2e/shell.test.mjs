// The browser app shell against a running server (env LIANYI_URL, e.g.
// http://127.0.0.1:18080) with the demo accounts (password lianyi-demo).
// Screenshots go to tests/e2e/out/.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, loadDict, fill, screenshot, PHONE, DESKTOP,
} from './lib/browser.js';

const BASE = (process.env.LIANYI_URL || '').replace(/\/+$/, '');
const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
const PASSWORD = 'lianyi-demo';
const zh = loadDict('zh-CN');
const en = loadDict('en');

// username, role, URL segment, the role's screens
const USERS = [
  ['patient1', 'patient', 'patient', ['health', 'followup', 'prescriptions', 'pharmacy', 'bills', 'access-log']],
  ['doctor1', 'doctor', 'doctor', ['console', 'queue', 'records', 'prescriptions', 'referrals']],
  ['specialist1', 'doctor', 'doctor', ['console', 'queue', 'records', 'prescriptions', 'referrals']],
  ['pharmacist1', 'pharmacist', 'pharmacist', ['review']],
  // (scan first: the queue is live over the WebSocket, and the shell itself opens none)
  ['pharmacy1', 'pharmacy_staff', 'pharmacy', ['scan', 'queue', 'deliveries', 'stock']],
  ['admin', 'admin', 'admin', ['dashboard', 'policy', 'statements']],
  ['supervisor', 'supervisor', 'supervisor', ['dashboard', 'sampling', 'audit']],
];

// Chromium reports every HTTP error response on the console as well.
const LOAD_401 = /status of 401|401 (POST|GET|DELETE) /;

function isLogin(res) {
  return res.url().endsWith('/api/v1/sessions') && res.request().method() === 'POST';
}

// Fills the login form (dictionary `d` is the page's language) and submits it
// with the keyboard; returns the POST /api/v1/sessions response.
async function login(page, username, password = PASSWORD, d = zh) {
  await page.getByLabel(d['login.username'], { exact: true }).fill(username);
  await page.getByLabel(d['login.password'], { exact: true }).fill(password);
  const [res] = await Promise.all([
    page.waitForResponse(isLogin),
    page.getByLabel(d['login.password'], { exact: true }).press('Enter'),
  ]);
  return res;
}

// Waits until the app has rendered `hash` (app.js sets #app[data-route]).
async function route(page, hash) {
  try {
    await page.waitForFunction((h) => document.getElementById('app')?.dataset.route === h,
      hash, { timeout: 10000 });
  } catch {
    const now = await page.evaluate(() => [location.hash, document.getElementById('app')?.dataset.route]);
    assert.fail(`expected route ${hash}, at ${JSON.stringify(now)}`);
  }
}

async function heading(page) {
  return (await page.locator('main h1').first().textContent()).trim();
}

describe('web shell', { skip }, () => {
  let browser;
  before(async () => { browser = await launch(); });
  after(async () => { await browser?.close(); });

  for (const [username, role, segment, screens] of USERS) {
    test(`${username}: log in at phone size, ${role} home, English, log out`, async () => {
      const s = await openPage(browser, { viewport: PHONE });
      const { page } = s;
      try {
        await page.goto(`${BASE}/`);
        await route(page, '#/login');
        assert.equal(await heading(page), zh['login.title']);

        const res = await login(page, username);
        assert.equal(res.status(), 201, `login ${username}`);
        const { account } = await res.json();
        assert.equal(account.role, role);
        await route(page, `#/${segment}/home`);

        assert.equal(await heading(page), fill(zh['home.greeting'], { name: account.name }));
        const who = page.getByTestId('who');
        assert.match(await who.textContent(), new RegExp(account.name));
        assert.match(await who.textContent(), new RegExp(zh[`role.${role}`]));

        const nav = page.getByRole('navigation', { name: zh['home.services'] });
        const links = nav.getByRole('link');
        // later features add screens; these must always be there
        assert.ok(await links.count() >= screens.length, `${await links.count()} links`);
        for (const id of screens) {
          const link = nav.locator(`[data-screen="${id}"]`);
          assert.ok(await link.isVisible(), `${id} visible`);
          assert.match(await link.textContent(), new RegExp(zh[`nav.${segment}.${id}`]));
        }
        await screenshot(page, `${username}-home`);
        // one WebSocket, for the notification centre (screens share it)
        assert.deepEqual(s.sockets.map((u) => new URL(u).pathname), ['/ws'], 'the shell opens one WebSocket');
        assert.ok(await page.locator('[data-action="notifications"]').isVisible(), 'the bell is in the header');

        // A screen of the role, then back home.
        await nav.locator(`[data-screen="${screens[0]}"]`).click();
        await route(page, `#/${segment}/${screens[0]}`);
        assert.equal(await heading(page), zh[`nav.${segment}.${screens[0]}`]);
        await page.getByRole('link', { name: zh['nav.home'], exact: true }).click();
        await route(page, `#/${segment}/home`);

        // English
        await page.locator('[data-action="lang"]').click();
        await page.waitForFunction(() => document.documentElement.lang === 'en');
        await route(page, `#/${segment}/home`);
        const name = account.name_en || account.name;
        assert.equal(await heading(page), fill(en['home.greeting'], { name }));
        assert.match(await page.getByTestId('who').textContent(), new RegExp(en[`role.${role}`]));
        assert.ok(await page.getByRole('navigation', { name: en['home.services'] })
          .getByText(en[`nav.${segment}.${screens[0]}`], { exact: true }).isVisible());
        await screenshot(page, `${username}-home-en`);

        // Log out: back to the (English) login page, token gone.
        await page.locator('[data-action="logout"]').click();
        await route(page, '#/login');
        assert.equal(await heading(page), en['login.title']);
        assert.equal(await page.evaluate(() => localStorage.getItem('lianyi.token')), null);

        assert.deepEqual(s.problems, []);
      } finally {
        await s.close();
      }
    });
  }

  test('a wrong password shows the translated error', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    s.allow(LOAD_401);
    try {
      await s.page.goto(`${BASE}/#/login`);
      const res = await login(s.page, 'patient1', 'not-the-password');
      assert.equal(res.status(), 401);
      assert.equal((await res.json()).error.code, 'auth.invalid_credentials');
      const alert = s.page.getByRole('alert');
      await alert.waitFor();
      assert.equal((await alert.textContent()).trim(), zh['errors.auth.invalid_credentials']);
      await screenshot(s.page, 'login-wrong-password');
      assert.match(s.page.url(), /#\/login$/);
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('patient: who accessed my record (GET /api/v1/me/access-log)', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    const { page } = s;
    try {
      await page.goto(`${BASE}/`);
      await login(page, 'patient1');
      await route(page, '#/patient/home');
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('/api/v1/me/access-log')),
        page.locator('[data-screen="access-log"]').click(),
      ]);
      assert.equal(res.status(), 200);
      const { items } = await res.json();
      assert.ok(Array.isArray(items));
      assert.equal(await heading(page), zh['nav.patient.access-log']);
      if (items.length) {
        await page.locator('.log-item').first().waitFor();
        assert.equal(await page.locator('.log-item').count(), items.length);
        assert.match(await page.locator('.log-item').first().textContent(),
          new RegExp(items[0].actor_name));
      } else {
        await page.getByText(zh['access.empty_title']).waitFor();
      }
      await screenshot(page, 'patient1-access-log');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('an unknown screen and another role\'s screen go to one\'s own home', async () => {
    // (every screen of every role is built now; app.js keeps a "coming soon"
    // state for screens listed without a module)
    const s = await openPage(browser, { viewport: PHONE });
    try {
      await s.page.goto(`${BASE}/`);
      await login(s.page, 'supervisor');
      await route(s.page, '#/supervisor/home');
      await s.page.goto(`${BASE}/#/supervisor/no-such-screen`);
      await route(s.page, '#/supervisor/home');
      await s.page.goto(`${BASE}/#/admin/dashboard`);
      await route(s.page, '#/supervisor/home');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('a deep link asks for login first, then opens the wanted screen', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    try {
      await s.page.goto(`${BASE}/#/patient/access-log`);
      await route(s.page, '#/login');
      await login(s.page, 'patient1');
      await route(s.page, '#/patient/access-log');
      assert.equal(await heading(s.page), zh['nav.patient.access-log']);
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('an expired session goes to login and comes back', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    s.allow(LOAD_401);
    const { page } = s;
    try {
      await page.goto(`${BASE}/`);
      await login(page, 'patient1');
      await route(page, '#/patient/home');
      await page.goto(`${BASE}/#/patient/bills`);
      await route(page, '#/patient/bills');
      await page.locator('[data-testid="coverage"], [data-testid="no-coverage"]').first().waitFor();
      await page.waitForLoadState('networkidle'); // a reload would cut requests still running
      await page.evaluate(() => localStorage.setItem('lianyi.token', 'f'.repeat(64)));
      await page.reload();
      await route(page, '#/login?reason=expired');
      await page.getByText(zh['login.expired'], { exact: true }).waitFor();
      await screenshot(page, 'login-expired');
      await login(page, 'patient1');
      await route(page, '#/patient/bills');
      assert.equal(await heading(page), zh['nav.patient.bills']);
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('network down shows a retry state that recovers', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    s.allow(/access-log.*(ERR_|net::)|ERR_INTERNET_DISCONNECTED|ERR_FAILED/);
    const { page } = s;
    try {
      await page.goto(`${BASE}/`);
      await login(page, 'patient1');
      await route(page, '#/patient/home');
      await page.route('**/api/v1/me/access-log*', (route) => route.abort('internetdisconnected'));
      await page.locator('[data-screen="access-log"]').click();
      await page.getByText(zh['errors.network_title'], { exact: true }).waitFor();
      assert.ok(await page.getByText(zh['errors.network'], { exact: true }).isVisible());
      await screenshot(page, 'patient1-network-down');
      await page.unroute('**/api/v1/me/access-log*');
      await page.getByRole('button', { name: zh['common.retry'], exact: true }).click();
      await page.locator('.log-list, .state:not(.state-error):not(.state-loading)').first().waitFor();
      assert.equal(await page.getByText(zh['errors.network_title']).count(), 0);
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('large text and language are remembered across reloads', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    const { page } = s;
    try {
      await page.goto(`${BASE}/`);
      await login(page, 'patient1');
      await route(page, '#/patient/home');
      const toggle = page.locator('[data-action="large-text"]');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
      const before = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
      await page.locator('[data-action="lang"]').click();
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      await route(page, '#/patient/home');
      await page.waitForLoadState('networkidle'); // the home's summary loaded: a reload cuts nothing
      await page.reload();
      await route(page, '#/patient/home');
      const after = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      assert.ok(after > before, `font-size ${before} → ${after}`);
      assert.equal(await page.locator('[data-action="large-text"]').getAttribute('aria-pressed'), 'true');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
      assert.equal(await page.locator('[data-action="large-text"]').textContent(), en['header.large_text']);
      // Nothing sticks out sideways at phone width, even with large text.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
      await screenshot(page, 'patient1-large-text-en');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('keyboard only: skip link, then Tab to a tile and Enter', async () => {
    const s = await openPage(browser, { viewport: PHONE });
    const { page } = s;
    try {
      await page.goto(`${BASE}/`);
      await login(page, 'patient1');
      await route(page, '#/patient/home');
      // Focus starts on the page heading; the skip link is first in the page.
      let atSkip = false;
      for (let i = 0; i < 10 && !atSkip; i++) {
        await page.keyboard.press('Shift+Tab');
        atSkip = await page.evaluate(() => document.activeElement?.classList.contains('skip-link'));
      }
      assert.ok(atSkip, 'the skip link is reachable');
      assert.equal(await page.evaluate(() => document.activeElement.textContent), zh['common.skip_to_main']);
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
      let found = false;
      for (let i = 0; i < 12 && !found; i++) {
        await page.keyboard.press('Tab');
        found = await page.evaluate(() => document.activeElement?.dataset.screen === 'access-log');
      }
      assert.ok(found, 'the access-log tile is reachable with Tab');
      await page.keyboard.press('Enter');
      await route(page, '#/patient/access-log');
      assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('desktop width shows the sidebar navigation', async () => {
    const s = await openPage(browser, { viewport: DESKTOP });
    const { page } = s;
    try {
      await page.goto(`${BASE}/`);
      await login(page, 'doctor1');
      await route(page, '#/doctor/home');
      const side = page.getByRole('navigation', { name: zh['nav.label'] });
      assert.ok(await side.isVisible());
      await side.getByRole('link', { name: zh['nav.doctor.queue'] }).click();
      await route(page, '#/doctor/queue');
      assert.equal(await side.locator('[aria-current="page"]').textContent(), zh['nav.doctor.queue']);
      await screenshot(page, 'doctor1-desktop');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });
});
