// Launches Debian's Chromium (/usr/bin/chromium) through playwright-core, and
// watches pages for console errors and failed requests.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync',
];

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

const here = path.dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = path.resolve(here, '..', 'out');
export const WEB_DIR = path.resolve(here, '..', '..', '..', 'web');

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

// A fresh context (empty localStorage) and page. `problems` collects console
// errors, uncaught exceptions, failed requests and HTTP error responses;
// `allow(re)` accepts the ones a test provokes on purpose.
export async function openPage(browser, { viewport = PHONE } = {}) {
  const context = await browser.newContext({
    viewport, deviceScaleFactor: 2, isMobile: viewport.width < 600,
    hasTouch: viewport.width < 600, locale: 'zh-CN',
  });
  const page = await context.newPage();
  const problems = [];
  const allowed = [];
  const sockets = [];            // WebSocket URLs the page opened
  const note = (kind, text) => {
    if (!allowed.some((re) => re.test(text))) problems.push(`${kind}: ${text}`);
  };
  page.on('console', (msg) => { if (msg.type() === 'error') note('console', msg.text()); });
  page.on('pageerror', (err) => note('pageerror', String(err)));
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText || '';
    // ERR_ABORTED: the page itself cancelled it (navigated away, e.g. to the login
    // page after a 401) — not a failure of the server. Resets, refusals and empty
    // responses still count.
    if (why === 'net::ERR_ABORTED') return;
    note('requestfailed', `${req.method()} ${req.url()} ${why}`);
  });
  page.on('websocket', (ws) => sockets.push(ws.url()));
  page.on('response', (res) => { if (res.status() >= 400) note('http', `${res.status()} ${res.request().method()} ${res.url()}`); });
  return {
    context, page, problems, sockets,
    allow(re) { allowed.push(re); },
    async close() { await context.close(); },
  };
}

export function loadDict(lang) {
  return JSON.parse(fs.readFileSync(path.join(WEB_DIR, 'i18n', `${lang}.json`), 'utf8'));
}

export function fill(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

export async function screenshot(page, name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(OUT_DIR, `${name}.png`), fullPage: true });
}
