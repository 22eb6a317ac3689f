// Every page of every role, loaded in Chromium against a demo server
// (LIANYI_URL): on a phone (390×844, Chinese) and at desktop width (English).
// Each page must render with no console error, no failed request, no HTTP
// error and no missing translation; every form control must have a label
// and every button and link a name; nothing may stick out sideways. With the
// API unreachable, a page that loads data must say so (an error state with a
// way to retry) instead of staying blank or throwing.
// Budgets: each page's JavaScript + CSS < 300 KB uncompressed; the patient
// home's first render < 1 s on loopback (cold: no browser cache).
// Figures are printed and written to tests/e2e/out/pages-budget.json.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openPage, loadDict, PHONE, DESKTOP, OUT_DIR } from './lib/browser.js';

const BASE = (process.env.LIANYI_URL || '').replace(/\/+$/, '');
const skip = BASE ? false : 'set LIANYI_URL (e.g. http://127.0.0.1:18080) to run the browser tests';
const PASSWORD = 'lianyi-demo';
const BUDGET_BYTES = 300 * 1024;
const FIRST_RENDER_MS = 1000;
const USERS = [
  ['patient1', 'patient'], ['doctor1', 'doctor'], ['pharmacist1', 'pharmacist'], ['pharmacy1', 'pharmacy'],
  ['admin', 'admin'], ['supervisor', 'supervisor'],
];
const zh = loadDict('zh-CN');
const en = loadDict('en');
const figures = { pages: {}, first_render_ms: null };

const routeIs = (page, hash) => page.waitForFunction((h) => document.getElementById('app')?.dataset.route === h,
  hash, { timeout: 15000, polling: 'raf' });

// Logs in through the form; in English when asked (the login page's switch).
async function login(page, username, lang) {
  await page.goto(`${BASE}/#/login`);
  await routeIs(page, '#/login');
  const d = lang === 'en' ? en : zh;
  if (lang === 'en' && await page.evaluate(() => document.documentElement.lang) !== 'en') {
    await page.locator('[data-action="lang"]').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
  }
  await page.getByLabel(d['login.username'], { exact: true }).fill(username);
  await page.getByLabel(d['login.password'], { exact: true }).fill(PASSWORD);
  await page.getByLabel(d['login.password'], { exact: true }).press('Enter');
  await page.waitForFunction(() => /\/home$/.test(document.getElementById('app')?.dataset.route || ''));
}

// Settled: rendered, nothing loading, the network quiet.
async function settle(page) {
  await page.waitForFunction(() => !document.querySelector('main .state-loading'), null, { timeout: 15000 });
  await page.waitForLoadState('networkidle');
}

// What a screen reader would miss, and what sticks out sideways.
function audit() {
  const named = (el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title) return true;
    if (el.labels && el.labels.length) return true;
    return false;
  };
  const visible = (el) => el.offsetParent !== null || getComputedStyle(el).position === 'fixed';
  const where = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.name ? `[name=${el.name}]` : ''}`;
  const out = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (visible(el) && !named(el)) out.push(`unlabelled ${where(el)}`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (visible(el) && !(el.textContent.trim() || el.getAttribute('aria-label') || el.title)) out.push(`nameless ${where(el)}`);
  }
  if (!document.querySelector('main h1')) out.push('no h1');
  const overflow = document.documentElement.scrollWidth - window.innerWidth;
  if (overflow > 0) out.push(`sticks out ${overflow}px`);
  return out;
}

describe('every page of every role', { skip }, () => {
  let browser;
  before(async () => { browser = await launch(); });
  after(async () => {
    await browser?.close();
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, 'pages-budget.json'), `${JSON.stringify(figures, null, 2)}\n`);
  });

  for (const [viewport, lang] of [[PHONE, 'zh-CN'], [DESKTOP, 'en']]) {
    for (const [username, segment] of USERS) {
      test(`${username} at ${viewport.width}px in ${lang}: every page renders cleanly, within budget`, async () => {
        const s = await openPage(browser, { viewport });
        const { page, context } = s;
        page.on('console', (m) => { if (/missing key/.test(m.text())) s.problems.push(`i18n: ${m.text()}`); });
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
        try {
          await login(page, username, lang);
          await settle(page); // leaving while the home still loads would cut its requests
          const ids = await page.locator('[data-screen]').evaluateAll((els) => els.map((e) => e.dataset.screen));
          assert.ok(ids.length > 0);
          for (const id of ['home', ...ids, 'notifications']) {
            const hash = `#/${segment}/${id}`;
            await page.goto('about:blank');
            await page.goto(`${BASE}/${hash}`); // a fresh load: every module and stylesheet it needs, uncached
            await routeIs(page, hash);
            await settle(page);
            const bytes = await page.evaluate(() => {
              const sum = (re) => performance.getEntriesByType('resource')
                .filter((e) => re.test(new URL(e.name).pathname)).reduce((n, e) => n + e.decodedBodySize, 0);
              return { js: sum(/\.m?js$/), css: sum(/\.css$/) };
            });
            const total = bytes.js + bytes.css;
            figures.pages[`${viewport.width}:${hash}`] = bytes;
            assert.ok(total < BUDGET_BYTES, `${hash}: JS ${bytes.js} + CSS ${bytes.css} = ${total} bytes`);
            assert.deepEqual(await page.evaluate(audit), [], `${hash} at ${viewport.width}px`);
            assert.deepEqual(s.problems, [], `${hash}: no console errors, failed requests or missing keys`);
          }
        } finally {
          await s.close();
        }
      });
    }
  }

  test('with the API unreachable, every page that loads data shows an error with a retry', async () => {
    for (const [username, segment] of USERS) {
      const s = await openPage(browser, { viewport: PHONE });
      const { page } = s;
      s.allow(/ERR_INTERNET_DISCONNECTED|ERR_FAILED|Failed to load resource|requestfailed/);
      const pageErrors = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      try {
        await login(page, username, 'zh-CN');
        const ids = await page.locator('[data-screen]').evaluateAll((els) => els.map((e) => e.dataset.screen));
        for (const id of [...ids, 'home']) {
          let failedGets = 0;
          await page.route('**/api/v1/**', (r) => {
            const bg = /\/me\/notices/.test(r.request().url()); // the bell's catch-up retries by itself
            if (r.request().method() === 'GET' && !bg) failedGets += 1;
            return r.abort('internetdisconnected');
          });
          const hash = `#/${segment}/${id}`;
          await page.evaluate((h) => { location.hash = h; }, hash);
          await routeIs(page, hash);
          await page.waitForTimeout(300);
          if (failedGets > 0) {
            const alert = page.locator('main .state-error').first();
            await alert.waitFor({ timeout: 5000 }).catch(() => assert.fail(`${hash}: no error state while offline`));
            assert.ok(await alert.getByRole('button', { name: zh['common.retry'] }).isVisible(), `${hash}: a retry button`);
          }
          await page.unroute('**/api/v1/**');
          await page.evaluate((h) => { location.hash = h; }, `#/${segment}/home`);
          await routeIs(page, `#/${segment}/home`);
          await settle(page);
        }
        assert.deepEqual(pageErrors, [], `${username}: no uncaught exceptions offline`);
      } finally {
        await s.close();
      }
    }
  });

  test(`the patient home renders in under ${FIRST_RENDER_MS} ms on loopback, cold`, async () => {
    const s = await openPage(browser, { viewport: PHONE });
    const { page, context } = s;
    try {
      await login(page, 'patient1', 'zh-CN');
      await page.locator('[data-testid="today"][data-loaded="true"]').waitFor();
      await page.waitForLoadState('networkidle');
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      const runs = [];
      for (let i = 0; i < 3; i++) {
        await page.goto('about:blank');
        await page.goto(`${BASE}/#/patient/home`);
        await routeIs(page, '#/patient/home');
        runs.push(await page.evaluate(() => performance.now()));
        await page.locator('[data-testid="today"][data-loaded="true"]').waitFor(); // then the summary
        await page.waitForLoadState('networkidle');
      }
      const best = Math.min(...runs), worst = Math.max(...runs);
      figures.first_render_ms = { runs: runs.map(Math.round), best: Math.round(best), worst: Math.round(worst) };
      console.log(`patient home first render: ${runs.map(Math.round).join(', ')} ms`);
      assert.ok(worst < FIRST_RENDER_MS, `first render ${worst} ms`);
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });
});
