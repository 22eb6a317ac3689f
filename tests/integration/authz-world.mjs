// The world of tests/integration/authz_matrix.test.mjs (not a test file):
// two disjoint sets of clinical objects on one demo district, "own" and
// "other", plus factories for fresh objects that a mutating route consumes.
//
//   own:   patient1, treated by doctor1 (a GP), prescriptions dispatched to
//          pharmacy1's pharmacy;
//   other: patient8, treated by doctor2 (a GP at another centre),
//          prescriptions dispatched to pharmacy2's pharmacy.
// doctor1 has no link to patient8 and pharmacy1 none to patient8's
// prescriptions, so every "other" object must be out of their reach.
import assert from 'node:assert/strict';
import { AMLODIPINE, draft, endedConsultation, item, logins } from './rx-helpers.mjs';
import { book } from './signalling-client.mjs';

export const STAFF = Array.from({ length: 12 }, (_, i) => `pharmacy${i + 1}`);
export const USERS = ['patient1', 'patient8', 'doctor1', 'doctor2', 'doctor3', 'doctor4', 'doctor5', 'specialist1',
  'pharmacist1', ...STAFF, 'admin', 'supervisor'];
// The account that plays each role, on the "own" side.
export const AS = { patient: 'patient1', doctor: 'doctor1', pharmacist: 'pharmacist1', pharmacy_staff: 'pharmacy1',
  admin: 'admin', supervisor: 'supervisor' };
export const CARDIOLOGY = 'dept-renmin-cardiology';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]).toString('base64');

function ok(r, what, status = [200, 201]) {
  assert.ok([].concat(status).includes(r.status), `${what}: ${r.status} ${r.text}`);
  return r.body;
}

export class World {
  constructor(srv) { this.srv = srv; }

  api(user, method, p, body, headers) {
    return this.srv.api(method, p, { token: this.tok[user], body, headers });
  }

  async build(week) {
    this.week = week;
    const { tok, id } = await logins(this.srv, USERS);
    this.tok = tok;
    this.id = id;
    const doc = async (u) => ok(await this.api(u, 'GET', `/api/v1/doctors/${id[u]}`), 'doctor').doctor;
    this.facility = { doctor1: (await doc('doctor1')).facility.id, doctor2: (await doc('doctor2')).facility.id };
    this.department = { doctor1: (await doc('doctor1')).department?.id ?? (await doc('doctor1')).department_id };
    this.pharmacy = {};
    for (const s of STAFF)
      this.pharmacy[s] = ok(await this.api(s, 'GET', '/api/v1/pharmacy/me'), 'pharmacy').pharmacy.id;
    this.own = await this.side('patient1', 'doctor1', 'pharmacy1');
    this.other = await this.side('patient8', 'doctor2', 'pharmacy2');
    // supervision samples cover both sides; take one of each patient when drawn
    ok(await this.api('admin', 'POST', '/api/v1/supervision/run', { week: this.week }), 'supervision run', [200, 409]);
    const samples = ok(await this.api('supervisor', 'GET', '/api/v1/supervision/samples'), 'samples').samples;
    this.own.sample = samples[0]?.id ?? 'sample_none';
    this.other.sample = samples[1]?.id ?? samples[0]?.id ?? 'sample_none';
    return this;
  }

  // One side's objects: consultation, note, diagnoses, document, lab order,
  // care plan and alert, a ready prescription dispatched to a pharmacy, a
  // renewal, a claim, a referral, a remote consultation, a family-doctor contract.
  async side(patient, doctor, staff) {
    const { tok, id } = this;
    const o = { patientUser: patient, doctorUser: doctor, staffUser: staff };
    o.consultation = await endedConsultation(this.srv, tok, id, patient, doctor);
    o.patient = o.consultation.patient.id;
    o.cons = o.consultation.id;
    ok(await this.api(patient, 'PUT', `/api/v1/consultations/${o.cons}/rating`, { score: 4 }), 'rating');
    o.note = ok(await this.api(doctor, 'PUT', `/api/v1/consultations/${o.cons}/notes`,
      { chief_complaint: '复诊', diagnoses: ['I10'], advice: '低盐饮食' }), 'note').note.id;
    ok(await this.api(doctor, 'POST', `/api/v1/notes/${o.note}/sign`), 'note sign');
    const up = ok(await this.api(patient, 'POST', `/api/v1/patients/${o.patient}/diagnoses/upload`, {
      icd10: 'K29.5', facility_id: this.facility[doctor], diagnosed_on: '2025-12-01', content_type: 'image/png',
      document: PNG }), 'upload');
    o.diagnosis = up.id;
    const dx = ok(await this.api(patient, 'GET', `/api/v1/patients/${o.patient}/diagnoses`), 'dx').diagnoses;
    o.document = dx.find((d) => d.id === up.id).evidence.document_id;
    o.lab = await this.lab(o, doctor);
    o.plan = ok(await this.api(doctor, 'POST', `/api/v1/patients/${o.patient}/care-plans`, {
      icd10: 'I10', follow_up_days: 30, targets: [{ kind: 'bp', low1: 90, high1: 140, low2: 60, high2: 90 }] }),
    'care plan').id;
    ok(await this.api(patient, 'POST', `/api/v1/patients/${o.patient}/vitals`, { kind: 'bp', value1: 170, value2: 99 }),
      'vitals');
    const alerts = ok(await this.api(doctor, 'GET', '/api/v1/care-alerts'), 'alerts').alerts;
    o.alert = alerts.find((a) => a.patient_id === o.patient)?.id;
    assert.ok(o.alert, `an alert for ${doctor}: ${JSON.stringify(alerts)}`);
    o.rx = await this.readyRx(o, doctor);
    o.dispatch = ok(await this.api(patient, 'POST', `/api/v1/prescriptions/${o.rx}/dispatch`,
      { mode: 'pickup', pharmacy_id: this.pharmacy[staff] }), 'dispatch');
    o.deliveryStaff = await this.deliveringStaff(o, staff === 'pharmacy1' ? ['pharmacy1'] : STAFF.slice(1));
    o.renewal = ok(await this.api(patient, 'POST', `/api/v1/prescriptions/${o.rx}/renewals`, { note: '快吃完了' }),
      'renewal').id;
    o.claim = await this.claim(o, `authz-${patient}`);
    o.referral = ok(await this.api(doctor, 'POST', '/api/v1/referrals', this.upBody(o)), 'referral').referral.id;
    o.remote = ok(await this.api(doctor, 'POST', '/api/v1/remote-consultations', this.remoteBody(o)),
      'remote').remote_consultation.id;
    ok(await this.api(patient, 'PUT', '/api/v1/me/family-doctor', { doctor_id: id[doctor] }), 'contract');
    return o;
  }

  // A staff login (of candidates) whose pharmacy delivers to the side's patient.
  async deliveringStaff(o, candidates) {
    const r = ok(await this.api(o.patientUser, 'GET', `/api/v1/prescriptions/${o.rx}/pharmacies?mode=delivery&limit=50`),
      'pharmacies');
    const ids = new Set((r.items ?? r.pharmacies ?? []).map((p) => p.id));
    const s = candidates.find((c) => ids.has(this.pharmacy[c]));
    assert.ok(s, `a pharmacy of ${candidates.join(',')} that delivers to ${o.patientUser}: ${JSON.stringify(r).slice(0, 300)}`);
    return s;
  }

  async lab(o, doctor) {
    return ok(await this.api(doctor, 'POST', `/api/v1/patients/${o.patient}/lab-orders`, {
      facility_id: this.facility[doctor], kind: 'lab', code: 'HBA1C', name: '糖化血红蛋白', consultation_id: o.cons }),
    'lab').order.id;
  }

  async draftRx(o, doctor) {
    const body = draft(o.consultation, { items: [item(AMLODIPINE, { quantity: 1, days: 7 })] });
    return ok(await this.api(doctor, 'POST', '/api/v1/prescriptions', body), 'rx create').prescription.id;
  }

  async signedRx(o, doctor) {
    const rx = await this.draftRx(o, doctor);
    ok(await this.api(doctor, 'POST', `/api/v1/prescriptions/${rx}/sign`), 'rx sign');
    return rx;
  }

  async readyRx(o, doctor) {
    const rx = await this.signedRx(o, doctor);
    ok(await this.api('pharmacist1', 'POST', `/api/v1/prescriptions/${rx}/approve`), 'rx approve');
    return rx;
  }

  // A ready prescription dispatched to the side's pharmacy (optionally claimed: {secret}).
  // For delivery, the side's delivering pharmacy (o.deliveryStaff); `staff` says whose it is.
  async dispatchedRx(o, { claim = false, mode = 'pickup' } = {}) {
    const rx = await this.readyRx(o, o.doctorUser);
    const staff = mode === 'delivery' ? o.deliveryStaff : o.staffUser;
    const body = { mode, pharmacy_id: this.pharmacy[staff] };
    if (mode === 'delivery') body.address = '坪山区东纵路 1 号';
    ok(await this.api(o.patientUser, 'POST', `/api/v1/prescriptions/${rx}/dispatch`, body), 'dispatch');
    if (!claim) return { rx, staff };
    const c = ok(await this.api(staff, 'POST', `/api/v1/pharmacy/prescriptions/${rx}/claim`), 'claim').claim;
    return { rx, staff, secret: c.secret, claim: c };
  }

  async claim(o, encounter) {
    const body = {
      patient_id: o.patient, facility_id: this.facility[o.doctorUser], encounter_type: 'dispense',
      encounter_id: encounter, service_at: Date.now() - 3600e3, doctor_title: 'gp',
      items: [{ kind: 'fee', code: '110200001' }, { kind: 'drug', code: AMLODIPINE, quantity: 1 }],
    };
    return ok(await this.api('admin', 'POST', '/api/v1/claims', body), 'claim settle').claim.id;
  }

  upBody(o) {
    return { direction: 'up', patient_id: o.patient, to_department_id: CARDIOLOGY, urgency: 'routine', icd10: 'I10',
      reason: '血压控制不佳', summary: '家庭血压记录' };
  }

  remoteBody(o) {
    return { patient_id: o.patient, department_id: CARDIOLOGY, icd10: 'I10', question: '活动后胸闷两周',
      location: 'centre' };
  }

  async referral(o) {
    return ok(await this.api(o.doctorUser, 'POST', '/api/v1/referrals', this.upBody(o)), 'referral').referral.id;
  }

  async remote(o) {
    return ok(await this.api(o.doctorUser, 'POST', '/api/v1/remote-consultations', this.remoteBody(o)),
      'remote').remote_consultation.id;
  }

  // A booked consultation of the side's patient with a doctor (default: the side's).
  async booked(o, doctor = o.doctorUser) {
    return (await book(this.srv, this.tok[o.patientUser], { doctor_id: this.id[doctor], icd10: 'I10' })).id;
  }

  // Ids that must never appear in an answer to the other side's patient,
  // doctor or pharmacy staff.
  secretsOf(o) {
    return [o.patient, o.cons, o.note, o.diagnosis, o.document, o.lab, o.plan, o.alert, o.rx, o.renewal, o.claim,
      o.referral, o.remote].filter(Boolean);
  }
}
