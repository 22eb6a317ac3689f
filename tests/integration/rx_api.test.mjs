// Prescription API (issue acceptance 2): every legal and every illegal
// transition (409 + code), idempotent repeats, object-level authorization,
// bad input refused with its code and nothing half-written, /check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { AMLODIPINE, MORPHINE, codes, draft, endedConsultation, item, logins } from './rx-helpers.mjs';

let srv, tok, id, cons;
const users = ['patient1', 'patient2', 'doctor1', 'doctor2', 'newdoctor', 'pharmacist1', 'pharmacy1', 'supervisor',
  'admin'];

before(async () => {
  srv = await startServer();
  ({ tok, id } = await logins(srv, users));
  cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1');
});
after(async () => { await srv?.stop(); });

const api = (method, p, user, body, headers) => srv.api(method, p, { token: tok[user], body, headers });

async function create(over = {}) {
  const r = await api('POST', '/api/v1/prescriptions', 'doctor1', draft(cons, over));
  assert.equal(r.status, 201, r.text);
  return r.body.prescription.id;
}

const ACTIONS = {
  sign: (rx) => api('POST', `/api/v1/prescriptions/${rx}/sign`, 'doctor1'),
  approve: (rx) => api('POST', `/api/v1/prescriptions/${rx}/approve`, 'pharmacist1'),
  reject: (rx) => api('POST', `/api/v1/prescriptions/${rx}/reject`, 'pharmacist1', { reason: '请核对剂量' }),
  cancel: (rx) => api('POST', `/api/v1/prescriptions/${rx}/cancel`, 'doctor1', { reason: '改用其他方案' }),
  edit: (rx) => api('PUT', `/api/v1/prescriptions/${rx}`, 'doctor1', draft(cons)),
};
const PATHS = {
  draft: [],
  pending_review: ['sign'],
  returned: ['sign', 'reject'],
  ready: ['sign', 'approve'],
  cancelled: ['cancel'],
};
// From each state, the actions that are legal and where they lead (others: 409).
const LEGAL = {
  draft: { sign: 'pending_review', cancel: 'cancelled', edit: 'draft' },
  pending_review: { approve: 'ready', reject: 'returned', cancel: 'cancelled' },
  returned: { sign: 'pending_review', cancel: 'cancelled', edit: 'returned' },
  ready: { cancel: 'cancelled' },
  cancelled: {},
};

test('every state × action: legal moves succeed, illegal ones are 409 rx.illegal_transition', async () => {
  for (const [state, path] of Object.entries(PATHS)) {
    for (const action of Object.keys(ACTIONS)) {
      const rx = await create();
      for (const step of path) assert.equal((await ACTIONS[step](rx)).status, 200, `${state}: ${step}`);
      const r = await ACTIONS[action](rx);
      const got = (await api('GET', `/api/v1/prescriptions/${rx}`, 'doctor1')).body.prescription.state;
      if (LEGAL[state][action]) {
        assert.equal(r.status, 200, `${state} → ${action}: ${r.text}`);
        assert.equal(got, LEGAL[state][action]);
      } else {
        assert.equal(r.status, 409, `${state} → ${action} must be refused: ${r.text}`);
        assert.equal(r.body.error.code, 'rx.illegal_transition');
        assert.equal(got, state, 'nothing changed');
      }
    }
  }
});

test('idempotency keys: a repeat returns the first result; a key reused elsewhere is 409', async () => {
  const a = await create(), b = await create();
  const h = { 'idempotency-key': 'same-key' };
  const s1 = await api('POST', `/api/v1/prescriptions/${a}/sign`, 'doctor1', undefined, h);
  const s2 = await api('POST', `/api/v1/prescriptions/${a}/sign`, 'doctor1', undefined, h);
  assert.equal(s2.status, 200);
  assert.deepEqual(s2.body, s1.body);
  const other = await api('POST', `/api/v1/prescriptions/${b}/sign`, 'doctor1', undefined, h);
  assert.equal(other.status, 409);
  assert.equal(other.body.error.code, 'request.idempotency_key_reused');
  const r = await Promise.all([1, 2, 3, 4].map(() =>
    api('POST', `/api/v1/prescriptions/${a}/approve`, 'pharmacist1', undefined, { 'idempotency-key': 'ap-x' })));
  for (const x of r) assert.deepEqual(x.body, r[0].body, 'concurrent repeats all get the first result');
  assert.equal(r[0].body.state, 'ready');
  const ev = (await api('GET', `/api/v1/prescriptions/${a}`, 'doctor1')).body.prescription.events;
  assert.equal(ev.filter((e) => e.action === 'approve').length, 1, 'approved once');
});

test('object-level access: patients see their own, unlinked doctors and pharmacies nothing', async () => {
  const rx = await create();
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}`, 'patient1')).status, 200);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}`, 'patient2')).status, 404);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}`, 'doctor2')).status, 403);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}`, 'pharmacy1')).status, 403);
  assert.equal((await api('GET', `/api/v1/prescriptions/${rx}`, 'supervisor')).status, 200);
  assert.equal((await api('PUT', `/api/v1/prescriptions/${rx}`, 'doctor2', draft(cons))).status, 403);
  assert.equal((await api('POST', `/api/v1/prescriptions/${rx}/sign`, 'patient1')).status, 403);
  /* a prescription for another doctor's patient */
  const foreign = await api('POST', '/api/v1/prescriptions', 'doctor2', draft(cons));
  assert.equal(foreign.status, 403, foreign.text);
  const list2 = await api('GET', '/api/v1/prescriptions', 'patient2');
  assert.ok(!list2.body.prescriptions.some((p) => p.id === rx));
  const list1 = await api('GET', '/api/v1/prescriptions', 'patient1');
  assert.ok(list1.body.prescriptions.some((p) => p.id === rx));
  const log = await api('GET', '/api/v1/me/access-log', 'patient1');
  assert.ok(log.body.items.some((e) => e.action === 'rx.read'), 'reads are on the patient\'s access log');
});

test('bad input is refused with its code and nothing is written', async () => {
  const before = (await api('GET', '/api/v1/prescriptions?limit=200', 'doctor1')).body.prescriptions.length;
  const cases = [
    [{ items: [item('drug-no-such-thing')] }, 'rx.unknown_drug'],
    [{ items: [item(AMLODIPINE, { quantity: -1 })] }, 'rx.quantity_invalid'],
    [{ items: [item(AMLODIPINE, { quantity: 0 })] }, 'rx.quantity_invalid'],
    [{ items: [item(AMLODIPINE, { days: 100000 })] }, 'rx.quantity_absurd'],
    [{ items: [item(AMLODIPINE, { dose: 'x'.repeat(201) })] }, 'rx.dose_text_invalid'],
    [{ items: [item(AMLODIPINE, { dose: '' })] }, 'rx.dose_text_invalid'],
    [{ items: [1, 2, 3, 4, 5, 6].map(() => item()) }, 'rx.too_many_items'],
    [{ validity_days: 4 }, 'rx.validity_out_of_range'],
    [{ icd10: 'hypertension' }, 'rx.diagnosis_invalid'],
  ];
  for (const [over, code] of cases) {
    const r = await api('POST', '/api/v1/prescriptions', 'doctor1', draft(cons, over));
    assert.equal(r.status, 422, `${code}: ${r.text}`);
    assert.equal(r.body.error.code, code);
  }
  const notJson = await srv.api('POST', '/api/v1/prescriptions', {
    token: tok.doctor1, raw: '{"items": [', headers: { 'content-type': 'application/json' } });
  assert.equal(notJson.status, 400);
  const wrongType = await api('POST', '/api/v1/prescriptions', 'doctor1', draft(cons, { items: [{ ...item(), quantity: '1' }] }));
  assert.equal(wrongType.status, 400);
  assert.equal(wrongType.body.error.field, 'items[0].quantity');
  const after = (await api('GET', '/api/v1/prescriptions?limit=200', 'doctor1')).body.prescriptions.length;
  assert.equal(after, before);
});

test('/check returns every violation at once; the young doctor is not eligible', async () => {
  const r = await api('POST', '/api/v1/prescriptions/check', 'doctor1', draft(cons, {
    icd10: 'J45.9', items: [item(MORPHINE, { days: 8, daily_units: 2, quantity: 2 })],
  }));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ok, false);
  assert.deepEqual(codes(r), ['consult.first_visit_offline_only', 'rx.controlled_online_forbidden',
    'rx.quantity_over_limit'].sort());
  for (const v of r.body.violations) assert.ok(v.message.length > 5 && v.message_zh.length > 2 && v.source);
  const ok = await api('POST', '/api/v1/prescriptions/check', 'doctor1', draft(cons));
  assert.deepEqual(ok.body, { ok: true, violations: [] });
  const young = await api('POST', '/api/v1/prescriptions/check', 'newdoctor',
    { ...draft(cons), consultation_id: undefined });
  assert.ok([200, 403].includes(young.status));
  if (young.status === 200) assert.ok(codes(young).includes('rx.prescriber_experience'));
});

test('formulary search and the rules table', async () => {
  const f = await api('GET', '/api/v1/formulary?q=ALDP', 'doctor1');
  assert.equal(f.status, 200);
  assert.ok(f.body.drugs.some((d) => d.id === AMLODIPINE));
  const atc = await api('GET', '/api/v1/formulary?q=N02A', 'doctor1');
  assert.ok(atc.body.drugs.length > 0 && atc.body.drugs.every((d) => !d.online_allowed));
  const name = await api('GET', `/api/v1/formulary?q=${encodeURIComponent('氨氯地平')}`, 'patient1');
  assert.ok(name.body.drugs.some((d) => d.id === AMLODIPINE));
  const rules = await api('GET', '/api/v1/rx/rules', 'pharmacist1');
  assert.ok(rules.body.rules.length >= 30);
  assert.ok(rules.body.rules.some((x) => x.code === 'consult.first_visit_offline_only'));
});
