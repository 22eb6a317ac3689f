// Authorization matrix (DESIGN.md §10): every route of the router table
// (`lianyi routes --json`) × every role × an object of the caller's own side
// and one of the other side (tests/integration/authz-world.mjs), asserting
// the status: 401 without a token, 403 for a role the route does not admit,
// and per route the answer each admitted role gets on its own and on the
// other side's object. A route without a row in ROWS fails with its name, so
// a new route cannot land without saying who may call it. Each refusal on the
// other side is followed by the same call from that object's own patient,
// doctor or pharmacy, which must succeed: the refusal was about who asked.
//
// Expectations: a number or a list of numbers; DENY is 403 or 404 (a
// prescription id says nothing, so "not yours" may look like "not found");
// NOLEAK is 2xx without any id of the other side, or DENY. Every 2xx answer
// to a patient, doctor or pharmacy on their own side must not contain an id
// of the other side's patient, consultation, note, diagnosis, document, lab
// order, care plan, alert, prescription, renewal, claim, referral or remote
// consultation either. Rows may add named variants: the same route with a
// body or query that points across the sides.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, runCli, startServer } from '../lib/server.mjs';
import { World, AS } from './authz-world.mjs';
import { ROWS, DENY, NOLEAK, isoWeek } from './authz-rows.mjs';

const ROLES = Object.keys(AS);
const LEAK_CHECKED = new Set(['patient', 'doctor', 'pharmacy_staff']);
let srv, w, routes;

before(async () => {
  const r = await runCli(['routes', '--json']);
  assert.equal(r.code, 0, `${BIN} routes --json: ${r.stderr}`);
  routes = JSON.parse(r.stdout);
  srv = await startServer();
  w = await new World(srv).build(isoWeek());
});
after(async () => { await srv?.stop(); });

function fill(pattern, values, side) {
  return pattern.replace(/\{(\w+)\}/g, (_, k) => {
    assert.ok(values[k] !== undefined || side === 'denied', `no value for {${k}} in ${pattern}`);
    return encodeURIComponent(values[k] ?? 'none');
  });
}

async function call(route, row, role, side, extraTok, reuse) {
  const base = side === 'other' ? w.other : w.own;
  const fresh = row.fresh && side !== 'denied' && !reuse ? await row.fresh(w, role, base, side) : {};
  const o = reuse ?? { ...base, ...fresh };
  const pathParams = row.params ? row.params(o, w, role) : {};
  let p = fill(route.pattern, pathParams, side);
  const q = row.query?.(o, w, role, side);
  if (q) p += `?${q}`;
  const token = extraTok ?? (row.token ? await row.token(w, role) : w.tok[AS[role]]);
  const body = row.body?.(o, w, role);
  const headers = row.headers?.(o, w, role) ?? {};
  const r = await srv.api(route.method, p, { token, body, headers });
  return { ...r, o, where: `${route.method} ${p} as ${role} (${side}${reuse ? ', its owner' : ''})` };
}

function expectStatus(r, want, secrets, leakChecked) {
  const ok2xx = r.status >= 200 && r.status < 300;
  const leak = ok2xx && leakChecked ? secrets.find((s) => r.text.includes(s)) : undefined;
  assert.ok(!leak, `${r.where}: answer holds ${leak} of the other side: ${r.text.slice(0, 400)}`);
  if (want === DENY) {
    assert.ok([403, 404].includes(r.status), `${r.where}: want 403/404, got ${r.status} ${r.text.slice(0, 300)}`);
  } else if (want === NOLEAK) {
    const secret = ok2xx ? secrets.find((s) => r.text.includes(s)) : undefined;
    assert.ok(ok2xx || [403, 404].includes(r.status), `${r.where}: got ${r.status} ${r.text.slice(0, 300)}`);
    assert.ok(!secret, `${r.where}: answer holds ${secret} of the other side`);
  } else {
    const list = [].concat(want);
    assert.ok(list.includes(r.status), `${r.where}: want ${list.join('/')}, got ${r.status} ${r.text.slice(0, 300)}`);
  }
}

test('every route of the router table has a row, and every row a route', () => {
  const names = new Set(routes.map((r) => r.name));
  const missing = routes.filter((r) => !ROWS[r.name]).map((r) => `${r.method} ${r.pattern} (${r.name})`);
  assert.deepEqual(missing, [], `routes without a row in tests/integration/authz-rows.mjs: ${missing.join(', ')}`);
  const stale = Object.keys(ROWS).filter((n) => !names.has(n));
  assert.deepEqual(stale, [], `rows for routes that no longer exist: ${stale.join(', ')}`);
  for (const r of routes) {
    if (r.public) continue;
    const row = ROWS[r.name];
    for (const role of r.roles)
      assert.ok(row.own?.[role] !== undefined, `${r.name}: no expectation for ${role} on its own side`);
    for (const role of Object.keys(row.own ?? {}))
      assert.ok(r.roles.includes(role), `${r.name}: the row expects ${role}, which the route does not admit`);
  }
});

test('every route × every role × own/other object', async () => {
  const failures = [];
  let calls = 0;
  const secretsOther = w.secretsOf(w.other);
  for (const route of routes) {
    const row = ROWS[route.name];
    if (!row) continue;
    const step = async (fn) => {
      try { await fn(); } catch (e) { failures.push(`${route.name}: ${e.message}`); }
    };
    if (route.public) {
      await step(async () => {
        const r = await call(route, row, 'patient', 'own', '');
        calls++;
        expectStatus(r, row.public, [], false);
      });
      continue;
    }
    await step(async () => {
      const r = await call(route, row, 'patient', 'denied', 'not-a-token');
      calls++;
      assert.equal(r.status, 401, `${r.where} with a bad token: ${r.status}`);
      const none = await call(route, row, 'patient', 'denied', '');
      calls++;
      assert.equal(none.status, 401, `${none.where} without a token: ${none.status}`);
    });
    for (const role of ROLES.filter((x) => !route.roles.includes(x))) {
      await step(async () => {
        const r = await call(route, row, role, 'denied');
        calls++;
        assert.equal(r.status, 403, `${r.where}: a role the route does not admit: ${r.status} ${r.text.slice(0, 200)}`);
      });
    }
    // the other side first: a refusal must change nothing the own side relies on
    for (const role of route.roles.filter((x) => row.other?.[x] !== undefined)) {
      await step(async () => {
        const r = await call(route, row, role, 'other');
        calls++;
        expectStatus(r, row.other[role], secretsOther, false);
        // the control: the same call by the object's own patient, doctor or
        // pharmacy succeeds, so the refusal was about who asked, not a bad object
        const owner = { patient: r.o.patientUser, doctor: r.o.doctorUser, pharmacy_staff: r.o.d?.staff ?? r.o.staffUser }[role];
        if (row.other[role] !== DENY || row.control === false || !owner) return;
        const c = await call(route, row, role, 'other', w.tok[owner], r.o);
        calls++;
        expectStatus(c, row.own[role], [], false);
      });
    }
    for (const role of route.roles) {
      await step(async () => {
        const r = await call(route, row, role, 'own');
        calls++;
        expectStatus(r, row.own[role], secretsOther, LEAK_CHECKED.has(role));
      });
    }
    // named cases: a body or query pointing across sides, a link that must not count
    for (const v of row.variants ?? []) {
      await step(async () => {
        const r = await call(route, { ...row, ...v }, v.role, v.side ?? 'own');
        calls++;
        expectStatus(r, v.want, secretsOther, false);
      });
    }
  }
  console.log(`authz matrix: ${routes.length} routes, ${calls} calls, ${failures.length} failures`);
  assert.deepEqual(failures, []);
});
