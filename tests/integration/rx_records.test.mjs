// Clinical-record API: offline diagnoses (facility entry, patient upload +
// doctor verification), lab/exam orders through the performing facility,
// vitals raising care-plan alerts, and who may see what.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { endedConsultation, logins } from './rx-helpers.mjs';

let srv, tok, id, cons, pid, doctor1, specialist1;
const users = ['patient1', 'patient2', 'doctor1', 'doctor2', 'specialist1', 'supervisor', 'pharmacist1'];

before(async () => {
  srv = await startServer();
  ({ tok, id } = await logins(srv, users));
  cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1');
  pid = cons.patient.id;
  doctor1 = (await srv.api('GET', `/api/v1/doctors/${id.doctor1}`, { token: tok.doctor1 })).body.doctor;
  specialist1 = (await srv.api('GET', `/api/v1/doctors/${id.specialist1}`, { token: tok.doctor1 })).body.doctor;
});
after(async () => { await srv?.stop(); });

const api = (method, p, user, body) => srv.api(method, p, { token: tok[user], body });
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]).toString('base64');

test('offline diagnoses: the facility records one; a patient upload counts only once verified', async () => {
  const list = await api('GET', `/api/v1/patients/${pid}/diagnoses`, 'patient1');
  assert.equal(list.status, 200);
  assert.ok(list.body.diagnoses.some((d) => d.icd10 === 'I10' && d.verified), 'the demo hypertension');
  const add = await api('POST', `/api/v1/patients/${pid}/diagnoses`, 'doctor1',
    { icd10: 'E78.5', diagnosed_on: '2026-01-10', note: '门诊血脂检查' });
  assert.equal(add.status, 201, add.text);
  const up = await api('POST', `/api/v1/patients/${pid}/diagnoses/upload`, 'patient1', {
    icd10: 'K29.5', facility_id: specialist1.facility.id, diagnosed_on: '2025-12-01', claimed_text: '慢性胃炎，医院胃镜',
    content_type: 'image/png', document: PNG,
  });
  assert.equal(up.status, 201, up.text);
  assert.equal(up.body.verified, false);
  const notPng = await api('POST', `/api/v1/patients/${pid}/diagnoses/upload`, 'patient1', {
    icd10: 'K29.5', facility_id: specialist1.facility.id, diagnosed_on: '2025-12-01', content_type: 'image/png',
    document: Buffer.from('GIF89a....').toString('base64'),
  });
  assert.equal(notPng.status, 400);
  assert.equal(notPng.body.error.code, 'records.document_type');
  assert.equal((await api('POST', `/api/v1/diagnoses/${up.body.id}/verify`, 'doctor2', { accept: true })).status, 403);
  const ver = await api('POST', `/api/v1/diagnoses/${up.body.id}/verify`, 'doctor1', { accept: true });
  assert.equal(ver.status, 200, ver.text);
  const again = await api('POST', `/api/v1/diagnoses/${up.body.id}/verify`, 'doctor1', { accept: false, reason: 'x' });
  assert.equal(again.status, 409);
  const after = (await api('GET', `/api/v1/patients/${pid}/diagnoses`, 'doctor1')).body.diagnoses;
  const k29 = after.find((d) => d.id === up.body.id);
  assert.equal(k29.verified, true);
  const doc = await srv.api('GET', `/api/v1/documents/${k29.evidence.document_id}`, { token: tok.patient1 });
  assert.equal(doc.status, 200);
  assert.equal(doc.headers.get('content-type'), 'image/png');
  assert.equal((await api('GET', `/api/v1/documents/${k29.evidence.document_id}`, 'patient2')).status, 403);
  assert.equal((await api('GET', `/api/v1/patients/${pid}/diagnoses`, 'patient2')).status, 403);
  assert.equal((await api('GET', `/api/v1/patients/${pid}/diagnoses`, 'pharmacist1')).status, 403);
});

test('lab order: ordered by the GP, scheduled and resulted by the hospital, seen by the patient', async () => {
  const o = await api('POST', `/api/v1/patients/${pid}/lab-orders`, 'doctor1', {
    facility_id: specialist1.facility.id, kind: 'lab', code: 'HBA1C', name: '糖化血红蛋白', consultation_id: cons.id,
  });
  assert.equal(o.status, 201, o.text);
  const oid = o.body.order.id;
  assert.equal((await api('POST', `/api/v1/lab-orders/${oid}/schedule`, 'doctor1', { scheduled_for: Date.now() + 86400e3 })).status, 403);
  const s = await api('POST', `/api/v1/lab-orders/${oid}/schedule`, 'specialist1', { scheduled_for: Date.now() + 86400e3 });
  assert.equal(s.status, 200, s.text);
  const r = await api('POST', `/api/v1/lab-orders/${oid}/result`, 'specialist1', {
    summary: '血糖控制欠佳',
    results: [{ analyte: 'HbA1c', value: '7.4', value_num: 7.4, unit: '%', ref_low: 4, ref_high: 6 }],
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.order.state, 'resulted');
  assert.equal(r.body.order.results[0].flag, 'H');
  const late = await api('POST', `/api/v1/lab-orders/${oid}/cancel`, 'doctor1', { reason: '不需要了' });
  assert.equal(late.status, 409);
  assert.equal(late.body.error.code, 'records.lab_illegal_transition');
  const mine = await api('GET', `/api/v1/patients/${pid}/lab-orders`, 'patient1');
  assert.ok(mine.body.orders.some((x) => x.id === oid && x.state === 'resulted'));
  assert.equal((await api('GET', `/api/v1/lab-orders/${oid}`, 'patient2')).status, 403);
});

test('vitals against a care plan raise alerts on the family doctor\'s console', async () => {
  const plan = await api('POST', `/api/v1/patients/${pid}/care-plans`, 'doctor1', {
    icd10: 'I10', follow_up_days: 30, targets: [{ kind: 'bp', low1: 90, high1: 140, low2: 60, high2: 90 }],
  });
  assert.equal(plan.status, 201, plan.text);
  const ok = await api('POST', `/api/v1/patients/${pid}/vitals`, 'patient1', { kind: 'bp', value1: 128, value2: 82 });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.alerts, 0);
  const high = await api('POST', `/api/v1/patients/${pid}/vitals`, 'patient1', { kind: 'bp', value1: 165, value2: 98 });
  assert.equal(high.body.alerts, 1);
  const silly = await api('POST', `/api/v1/patients/${pid}/vitals`, 'patient1', { kind: 'bp', value1: 900, value2: 98 });
  assert.equal(silly.status, 400);
  assert.equal(silly.body.error.code, 'records.vital_implausible');
  assert.equal((await api('POST', `/api/v1/patients/${pid}/vitals`, 'patient2', { kind: 'weight', value1: 60 })).status, 403);
  const alerts = await api('GET', '/api/v1/care-alerts?open=1', 'doctor1');
  const a = alerts.body.alerts.find((x) => x.patient_id === pid && x.kind === 'out_of_range');
  assert.ok(a, alerts.text);
  assert.equal((await api('POST', `/api/v1/care-alerts/${a.id}/ack`, 'doctor2')).status, 403);
  assert.equal((await api('POST', `/api/v1/care-alerts/${a.id}/ack`, 'doctor1')).status, 200);
  const chart = await api('GET', `/api/v1/patients/${pid}/vitals?kind=bp`, 'patient1');
  assert.deepEqual(chart.body.vitals.map((v) => v.value1), [128, 165]);
  const plans = await api('GET', `/api/v1/patients/${pid}/care-plans`, 'supervisor');
  assert.equal(plans.status, 200);
  assert.equal(plans.body.care_plans[0].targets[0].high1, 140);
  assert.equal(doctor1.id, id.doctor1);
});

test('notes: only the consultation\'s doctor writes; unlinked people cannot read', async () => {
  const w = await api('PUT', `/api/v1/consultations/${cons.id}/notes`, 'doctor2', { chief_complaint: 'x', diagnoses: ['I10'] });
  assert.equal(w.status, 403);
  const r = await api('GET', `/api/v1/consultations/${cons.id}/notes`, 'patient2');
  assert.equal(r.status, 403);
  const ok = await api('GET', `/api/v1/consultations/${cons.id}/notes`, 'patient1');
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.notes, []);
});
