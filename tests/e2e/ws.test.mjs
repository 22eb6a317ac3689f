// web/ws.js in Chromium against a scripted `ws` server on loopback: auth first,
// request/reply by id, events by type, reconnect with backoff, auth refusal.
// Serves web/ itself, so it needs no Lianyi server.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { launch, openPage } from './lib/browser.js';
import { serveWeb } from './lib/static.js';

const GOOD_TOKEN = 'tok-123';

// Waits until fn() is truthy (polling), or fails after `ms`.
async function until(fn, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('web/ws.js', () => {
  let browser, web, wss, wsUrl, s;
  const conns = [];   // { sock, msgs[] } per accepted connection

  before(async () => {
    browser = await launch();
    web = await serveWeb();
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wsUrl = `ws://127.0.0.1:${wss.address().port}/ws`;
    wss.on('connection', (sock) => {
      const rec = { sock, msgs: [] };
      conns.push(rec);
      sock.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        rec.msgs.push(m);
        const reply = (o) => sock.send(JSON.stringify({ id: m.id, ...o }));
        if (m.type === 'auth') {
          if (m.data?.token === GOOD_TOKEN) reply({ ok: true, data: { account_id: 'a1' } });
          else reply({ ok: false, error: { code: 'auth.session_expired', message: 'Session expired' } });
        } else if (m.type === 'echo') reply({ ok: true, data: m.data });
        else if (m.type === 'fail') reply({ ok: false, error: { code: 'rx.not_found', message: 'No such prescription' } });
        // 'hang' gets no reply
      });
    });
    s = await openPage(browser);
    await s.page.goto(`${web.url}/__blank`);
  });

  after(async () => {
    await s?.close();
    await browser?.close();
    for (const c of conns) c.sock.terminate();
    await new Promise((r) => wss.close(r));
    await web.close();
  });

  test('authenticates first, then request/reply and events', async () => {
    const { page } = s;
    const data = await page.evaluate(async ({ url, token }) => {
      const { WsClient } = await import('/ws.js');
      window.states = [];
      window.events = [];
      window.client = new WsClient({
        url, token: () => token, backoffMinMs: 50, backoffMaxMs: 200,
        onAuthFailed: (e) => { window.authFailed = e.code; },
      });
      client.onState((st) => states.push(st));
      client.on('queue.position', (d) => events.push(d));
      return client.request('echo', { hello: '你好' });   // queued until auth succeeds
    }, { url: wsUrl, token: GOOD_TOKEN });

    assert.deepEqual(data, { hello: '你好' });
    assert.equal(conns.length, 1);
    assert.deepEqual(conns[0].msgs[0], { id: '1', type: 'auth', data: { token: GOOD_TOKEN } });
    assert.equal(conns[0].msgs[1].type, 'echo');

    conns[0].sock.send(JSON.stringify({ type: 'queue.position', data: { position: 3 } }));
    await until(() => page.evaluate(() => window.events.length === 1));
    assert.deepEqual(await page.evaluate(() => window.events[0]), { position: 3 });

    const code = await page.evaluate(() => client.request('fail', {}).then(() => null, (e) => e.code));
    assert.equal(code, 'rx.not_found');
  });

  test('reconnects after a drop and authenticates again', async () => {
    const { page } = s;
    const inflight = page.evaluate(() => client.request('hang', {}).then(() => null, (e) => e.code));
    await until(() => conns[0].msgs.some((m) => m.type === 'hang'));
    conns[0].sock.terminate();
    assert.equal(await inflight, 'ws.disconnected');

    await until(() => conns.length === 2 && conns[1].msgs.length > 0);
    assert.equal(conns[1].msgs[0].type, 'auth');
    assert.equal(conns[1].msgs[0].data.token, GOOD_TOKEN);
    const data = await page.evaluate(() => client.request('echo', { n: 2 }));
    assert.deepEqual(data, { n: 2 });
    const states = await page.evaluate(() => window.states);
    assert.equal(states.filter((x) => x === 'open').length, 2);

    const closed = await page.evaluate(() => {
      client.close();
      return client.request('echo', {}).then(() => null, (e) => e.code);
    });
    assert.equal(closed, 'ws.closed');
  });

  test('a refused token stops the client without retrying', async () => {
    const { page } = s;
    const before = conns.length;
    await page.evaluate(async ({ url }) => {
      const { WsClient } = await import('/ws.js');
      window.bad = new WsClient({
        url, token: () => 'expired', backoffMinMs: 20,
        onAuthFailed: (e) => { window.authFailed = e.code; },
      });
      window.badResult = bad.request('echo', {}).then(() => null, (e) => e.code);
    }, { url: wsUrl });
    await until(() => page.evaluate(() => window.authFailed));
    assert.equal(await page.evaluate(() => window.authFailed), 'auth.session_expired');
    assert.equal(await page.evaluate(() => window.badResult), 'ws.closed');
    assert.equal(await page.evaluate(() => bad.state), 'closed');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(conns.length, before + 1, 'no reconnect after an auth refusal');
    assert.deepEqual(s.problems.filter((p) => p.startsWith('pageerror')), []);
  });
});
