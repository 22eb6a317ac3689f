// The dashboard figures (server/h_stats.c) and the events that feed the web
// app's notification centre (server/notices.c), over the real binary:
//  - every /api/v1/stats/* route answers admin and supervisor and nobody
//    else; bad ranges are refused;
//  - one story (a follow-up held after a wait, a prescription returned with a
//    reason then approved, dispatched and claimed, the claim settled by the
//    billing job) shows in each figure, and a filter on another subdistrict
//    hides it;
//  - the data-quality check reports an intact audit chain and a passing
//    reconciliation;
//  - over WebSocket: the doctor hears `notice` rx.returned, the patient
//    `notice` rx.ready, `lab.resulted` and `referral.changed` (accepted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Client, sleep } from './signalling-client.mjs';
import { draft, endedConsultation, logins } from './rx-helpers.mjs';
import { upBody, CARDIOLOGY } from './referral-helpers.mjs';

const ROUTES = ['filters', 'consultations', 'prescriptions', 'dispatch', 'claims', 'quality'];
const USERS = ['patient1', 'doctor1', 'specialist2', 'pharmacist1', 'pharmacy1', 'admin', 'supervisor'];
let srv, tok, id;
const api = (m, p, u, body) => srv.api(m, p, { token: tok[u], body });
const stats = async (route, u = 'supervisor', q = '') => {
  const r = await api('GET', `/api/v1/stats/${route}${q}`, u);
  assert.equal(r.status, 200, `${route}: ${r.text}`);
  return r.body;
};

before(async () => {
  srv = await startServer({ args: ['--billing-interval-ms', '200'] });
  ({ tok, id } = await logins(srv, USERS));
});
after(async () => { await srv?.stop(); });

test('every stats route: admin and supervisor only', async () => {
  for (const route of ROUTES) {
    for (const u of ['admin', 'supervisor']) assert.equal((await api('GET', `/api/v1/stats/${route}`, u)).status, 200, `${route} ${u}`);
    for (const u of ['patient1', 'doctor1', 'pharmacist1', 'pharmacy1']) {
      const r = await api('GET', `/api/v1/stats/${route}`, u);
      assert.equal(r.status, 403, `${route} ${u}`);
      assert.equal(r.body.error.code, 'auth.forbidden');
    }
    assert.equal((await srv.api('GET', `/api/v1/stats/${route}`)).status, 401);
  }
  const f = await stats('filters');
  assert.equal(f.subdistricts.length, 6);
  assert.ok(f.facilities.length >= 40);
  assert.ok(f.facilities.every((x) => f.subdistricts.some((s) => s.id === x.subdistrict_id)));
});

test('bad filters are refused', async () => {
  for (const q of ['?from=yesterday', '?from=2026-05-01&to=2026-04-01', '?from=0&to=999999999999999',
    '?subdistrict=sd-nowhere']) {
    const r = await api('GET', `/api/v1/stats/consultations${q}`, 'admin');
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.equal(r.body.error.code, 'request.invalid_field');
  }
});

test('one story in every figure; another subdistrict sees none of it; quality passes', async () => {
  const before = {
    c: await stats('consultations'), p: await stats('prescriptions'), d: await stats('dispatch'), m: await stats('claims'),
  };
  const doctor = await Client.open(srv, tok.doctor1);
  try {
    const cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1');
    const made = await api('POST', '/api/v1/prescriptions', 'doctor1', draft(cons));
    assert.equal(made.status, 201, made.text);
    const rx = made.body.prescription.id;
    assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/sign`, 'doctor1')).status, 200);
    const rej = await api('POST', `/api/v1/prescriptions/${rx}/reject`, 'pharmacist1', { reason: '剂量需核对' });
    assert.equal(rej.status, 200, rej.text);
    const told = await doctor.waitEvent('notice', (d) => d.kind === 'rx.returned' && d.prescription_id === rx, 3000);
    assert.ok(told.data.id > 0);
    assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/sign`, 'doctor1')).status, 200);
    const patient = await Client.open(srv, tok.patient1);
    try {
      assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/approve`, 'pharmacist1')).status, 200);
      await patient.waitEvent('notice', (d) => d.kind === 'rx.ready' && d.prescription_id === rx, 3000);
    } finally { await patient.close(); }
    const listed = await api('GET', '/api/v1/me/notices', 'patient1');
    assert.ok(listed.body.notices.some((n) => n.kind === 'rx.ready' && n.prescription_id === rx), 'kept for later too');

    const ph = (await api('GET', '/api/v1/pharmacy/me', 'pharmacy1')).body.pharmacy;
    const d = await api('POST', `/api/v1/prescriptions/${rx}/dispatch`, 'patient1', { mode: 'pickup', pharmacy_id: ph.id });
    assert.equal(d.status, 201, d.text);
    await sleep(30);
    const k = await api('POST', `/api/v1/pharmacy/prescriptions/${rx}/claim`, 'pharmacy1');
    assert.equal(k.status, 201, k.text);

    // the billing job bills the consultation's fee
    let m;
    for (let i = 0; i < 50; i++) {
      m = await stats('claims');
      if (m.days.reduce((s, x) => s + x.count, 0) > before.m.days.reduce((s, x) => s + x.count, 0)) break;
      await sleep(100);
    }
    const sum = (days, k2) => days.reduce((s, x) => s + x[k2], 0);
    assert.equal(sum(m.days, 'count'), sum(before.m.days, 'count') + 1, JSON.stringify(m));
    assert.ok(sum(m.days, 'fund_fen') > sum(before.m.days, 'fund_fen'), 'the fund paid part of the fee');
    for (const x of m.days) assert.equal(x.total_fen, x.fund_fen + x.account_fen + x.cash_fen);

    const c = await stats('consultations');
    assert.equal(sum(c.online, 'count'), sum(before.c.online, 'count') + 1);
    assert.ok(sum(c.offline, 'count') >= 0);
    assert.equal(c.waiting.waits, before.c.waiting.waits + 1);
    assert.ok(c.waiting.wait_median_ms >= 0 && c.waiting.wait_p90_ms >= c.waiting.wait_median_ms);
    assert.ok(c.by_state.some((s) => s.state === 'ended' || s.state === 'notes_signed'));

    const p = await stats('prescriptions');
    assert.equal(p.review.rejected, before.p.review.rejected + 1);
    assert.equal(p.review.approved, before.p.review.approved + 1);
    assert.deepEqual(p.review.reasons.find((r) => r.reason === '剂量需核对'), { reason: '剂量需核对', count: 1 });
    assert.ok(p.by_state.some((s) => s.state === 'in_progress' && s.count >= 1));

    const dd = await stats('dispatch');
    assert.equal(dd.dispatched, before.d.dispatched + 1);
    assert.equal(dd.claimed, before.d.claimed + 1);
    assert.ok(dd.claim_median_ms >= 30, JSON.stringify(dd));
    assert.equal(dd.buckets.reduce((s, b) => s + b.count, 0), dd.claimed);

    // the story happened in 坪山 (doctor1's centre, pharmacy1's pharmacy): elsewhere sees none of it
    const other = '?subdistrict=sd-biling';
    assert.deepEqual((await stats('consultations', 'admin', other)).online, []);
    assert.equal((await stats('dispatch', 'admin', other)).claimed, 0);
    assert.deepEqual((await stats('claims', 'admin', other)).days, []);
    assert.equal((await stats('prescriptions', 'admin', other)).review.rejected, 0);
    assert.equal(sum((await stats('consultations', 'admin', '?subdistrict=sd-pingshan')).online, 'count'), sum(c.online, 'count'));
    // a range before it all sees none of it either; a date range is district days
    assert.deepEqual((await stats('claims', 'admin', '?from=2020-01-01&to=2020-01-31')).days, []);

    const q = await stats('quality', 'admin');
    assert.equal(q.audit.intact, true);
    assert.ok(q.audit.entries > 10, 'the story was audited');
    assert.equal(q.audit.first_bad_seq, null);
    assert.equal(q.reconciliation.ok, true);
    assert.ok(q.reconciliation.checked.claims >= 1);
  } finally {
    await doctor.close();
  }
});

test('lab results and referral decisions reach the patient over WebSocket', async () => {
  const l = await logins(srv, ['specialist1']);
  Object.assign(tok, l.tok);
  Object.assign(id, l.id);
  const me = await api('GET', '/api/v1/me', 'patient1');
  const pid = me.body.account.patient_id;
  const cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1');
  const sp = (await api('GET', `/api/v1/doctors/${id.specialist1}`, 'doctor1')).body.doctor;
  const patient = await Client.open(srv, tok.patient1);
  try {
    const o = await api('POST', `/api/v1/patients/${pid}/lab-orders`, 'doctor1', {
      facility_id: sp.facility.id, kind: 'lab', code: 'HBA1C', name: '糖化血红蛋白', consultation_id: cons.id,
    });
    assert.equal(o.status, 201, o.text);
    const oid = o.body.order.id;
    assert.equal((await api('POST', `/api/v1/lab-orders/${oid}/schedule`, 'specialist1', { scheduled_for: Date.now() + 86400e3 })).status, 200);
    const r = await api('POST', `/api/v1/lab-orders/${oid}/result`, 'specialist1', {
      summary: '血糖控制欠佳', results: [{ analyte: 'HbA1c', value: '7.4', value_num: 7.4, unit: '%', ref_low: 4, ref_high: 6 }],
    });
    assert.equal(r.status, 200, r.text);
    const ev = await patient.waitEvent('lab.resulted', (d) => d.order_id === oid, 3000);
    assert.equal(ev.data.name, '糖化血红蛋白');
    assert.equal(ev.data.state, 'resulted');

    assert.equal((await api('PUT', '/api/v1/me/family-doctor', 'patient1', { doctor_id: id.doctor1 })).status, 200);
    const up = await api('POST', '/api/v1/referrals', 'doctor1', upBody(pid));
    assert.equal(up.status, 201, up.text);
    const ref = up.body.referral.id;
    const doctor = await Client.open(srv, tok.doctor1);
    try {
      const acc = await api('POST', `/api/v1/referrals/${ref}/accept`, 'specialist2', {});
      assert.equal(acc.status, 200, acc.text);
      const pe = await patient.waitEvent('referral.changed', (d) => d.referral_id === ref, 3000);
      assert.deepEqual({ state: pe.data.state, action: pe.data.action, direction: pe.data.direction },
        { state: 'accepted', action: 'accept', direction: 'up' });
      await doctor.waitEvent('referral.changed', (d) => d.referral_id === ref && d.state === 'accepted', 3000);
    } finally { await doctor.close(); }
    assert.ok(CARDIOLOGY);
  } finally {
    await patient.close();
  }
});
