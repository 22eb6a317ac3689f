// The rows of tests/integration/authz_matrix.test.mjs, one per route name of
// server/routes.c (not a test file). A row says:
//   params(o, w, role)  the {param} values of the path, from a side's objects o
//   query / body / headers / token   what else the call sends
//   fresh(w, role, side, which)      objects made just before a call that
//                        would consume them (a mutating route), merged into o
//   own / other         per admitted role, the answer on its own side's
//                        object and on the other side's (other: omitted when
//                        the route has no object of another side)
//   public              the answer without a token (public routes only)
// Roles: patient1, doctor1, pharmacist1, pharmacy1 (staff), admin, supervisor.
import { AMLODIPINE, draft, item } from './rx-helpers.mjs';
import { AS, CARDIOLOGY } from './authz-world.mjs';

export const DENY = 'deny';
export const NOLEAK = 'noleak';
const READ = { patient: 200, doctor: 200, supervisor: 200 }; // a patient's data, on the own side
const READ_OTHER = { patient: DENY, doctor: DENY, supervisor: 200 }; // and on the other side
const ALL = (status) => ({ patient: status, doctor: status, pharmacist: status, pharmacy_staff: status,
  admin: status, supervisor: status });
const id = (o) => ({ id: o });
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]).toString('base64');
let seq = 0;
const uniq = (p) => `${p}-${process.pid}-${++seq}`;

// ISO week (Beijing time) of now, for supervision.
export function isoWeek(ms = Date.now() + 8 * 3600e3) {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - day + 3);
  const jan4 = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((d - jan4) / 86400e3 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

const claimBody = (o, w, encounter) => ({
  patient_id: o.patient, facility_id: w.facility[o.doctorUser], encounter_type: 'dispense', encounter_id: encounter,
  service_at: Date.now() - 3600e3, doctor_title: 'gp',
  items: [{ kind: 'fee', code: '110200001' }, { kind: 'drug', code: AMLODIPINE, quantity: 1 }],
});
const rxBody = (o) => draft(o.consultation, { items: [item(AMLODIPINE, { quantity: 1, days: 7 })] });
const code = (o) => ({ id: o.codeRx ?? o.rx, access_code: o.accessCode ?? 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });

// A fresh object only for the admitted role's own call, or for the other side too.
const freshOwn = (make) => async (w, role, o, side) => (side === 'own' ? make(w, o, role) : {});
const freshBoth = (make) => async (w, role, o) => make(w, o, role);

async function accessCodeOf(w, o, rx) {
  const r = await w.api(o.patientUser, 'GET', `/api/v1/prescriptions/${rx}`);
  const qr = r.body.prescription.qr; // "LY1:<id>:<code>" or similar: the code is the last field
  return qr.slice(qr.lastIndexOf(':') + 1);
}

async function outForDelivery(w, o) {
  const d = await w.dispatchedRx(o, { claim: true, mode: 'delivery' });
  const P = `/api/v1/pharmacy/prescriptions/${d.rx}`;
  await w.api(d.staff, 'POST', `${P}/dispense`, { secret: d.secret, items: [{ line: 1, quantity: 1 }] },
    { 'idempotency-key': uniq('dispense') });
  await w.api(d.staff, 'POST', `${P}/delivery/out`, { secret: d.secret });
  const st = await w.api(o.patientUser, 'GET', `/api/v1/prescriptions/${d.rx}/dispatch`);
  return { ...d, deliveryCode: st.body.delivery?.code };
}

async function dispensed(w, o) {
  const d = await w.dispatchedRx(o, { claim: true });
  await w.api(d.staff, 'POST', `/api/v1/pharmacy/prescriptions/${d.rx}/dispense`,
    { secret: d.secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': uniq('dispense') });
  return d;
}

export const ROWS = {
  // --- operations and sessions ---------------------------------------------
  healthz: { public: 200 },
  metrics: { public: 200 },
  'sessions.create': { public: 201, body: () => ({ username: 'patient2', password: 'lianyi-demo' }) },
  'sessions.delete_current': {
    token: async (w, role) => w.srv.login(AS[role]), // a session of its own: this one ends it
    own: ALL([200, 204]),
  },
  'me.get': { own: ALL(200) },
  'me.access_log': { own: { patient: 200 } },

  // --- consultations ---------------------------------------------------------
  'consultations.create': {
    body: (o, w) => ({ doctor_id: w.id.doctor3, icd10: 'I10' }),
    own: { patient: 201 },
  },
  'consultations.list': {
    query: (o, w, role, side) => (side === 'other' ? `patient_id=${o.patient}` : ''),
    own: { patient: 200, doctor: 200, supervisor: 200 },
    other: { patient: NOLEAK, doctor: NOLEAK, supervisor: 200 },
  },
  'consultations.get': { params: (o) => id(o.cons), own: READ, other: READ_OTHER },
  'consultations.cancel': {
    params: (o) => id(o.booked ?? o.cons),
    // the doctor cancels a booking with itself; the patient one with a doctor of its own
    fresh: freshBoth(async (w, o, role) => ({ booked: await w.booked(o,
      role === 'doctor' ? o.doctorUser : { patient1: 'doctor4', patient8: 'doctor5' }[o.patientUser]) })),
    body: () => ({ reason: 'authz matrix' }),
    own: { patient: 200, doctor: 200 },
    other: { patient: DENY, doctor: DENY },
  },
  'consultations.rating_put': {
    params: (o) => id(o.cons), body: () => ({ score: 5 }),
    own: { patient: [200, 201] }, other: { patient: DENY },
  },
  'consultations.rating_get': {
    params: (o) => id(o.cons),
    own: { patient: 200, supervisor: 200 }, other: { patient: DENY, supervisor: 200 },
  },
  // recordings: the consultation's doctor, its patient, supervisors (none recorded here: the list is
  // empty and the file 404 — after the access check, so the other side still gets 403)
  'consultations.recordings': { params: (o) => id(o.cons), own: READ, other: READ_OTHER },
  'consultations.recording': {
    params: (o) => id(o.cons),
    own: { patient: 404, doctor: 404, supervisor: 404 }, other: { patient: DENY, doctor: DENY, supervisor: 404 },
  },
  'consultations.recording_ticket': {
    params: (o) => id(o.cons), body: () => ({}),
    own: { patient: 404, doctor: 404, supervisor: 404 }, other: { patient: DENY, doctor: DENY, supervisor: 404 },
  },
  // the <audio> element's URL: the ticket in the query is the credential (no ticket: 401)
  'consultations.recording_play': { params: (o) => id(o.cons), public: 401 },

  // --- the doctor directory ----------------------------------------------------
  'doctors.list': { own: ALL(200) },
  'doctors.get': { params: (o, w) => id(w.id.doctor1), own: ALL(200) },
  'doctors.ratings': { params: (o, w) => id(w.id.doctor1), own: ALL(200) },

  // --- insurance -----------------------------------------------------------------
  'coverage.me': { own: { patient: 200 } },
  'claims.estimate': {
    body: (o, w, role) => {
      const b = claimBody(o, w, 'estimate');
      if (role === 'patient' && o.patientUser === 'patient1') delete b.patient_id;
      return b;
    },
    own: { patient: 200, admin: 200 }, other: { patient: DENY, admin: 200 },
  },
  'claims.settle': { body: (o, w) => claimBody(o, w, uniq('settle')), own: { admin: 201 }, other: { admin: 201 } },
  'claims.batch': {
    body: (o, w) => ({ claims: [claimBody(o, w, uniq('batch'))] }), own: { admin: 200 }, other: { admin: 200 },
  },
  'claims.reverse': {
    params: (o) => id(o.freshClaim),
    fresh: freshBoth(async (w, o) => ({ freshClaim: await w.claim(o, uniq('reverse')) })),
    body: () => ({ reason: 'authz matrix' }),
    own: { admin: 200 }, other: { admin: 200 },
  },
  'claims.list': {
    query: (o, w, role) => (role === 'patient' && o.patientUser === 'patient1' ? '' : `patient=${o.patient}`),
    own: { patient: 200, doctor: 200, admin: 200, supervisor: 200 },
    other: { patient: NOLEAK, doctor: DENY, admin: 200, supervisor: 200 },
  },
  'claims.statement': { query: () => `date=${today()}`, own: { admin: 200, supervisor: 200 } },
  'claims.get': {
    params: (o) => id(o.claim),
    own: { patient: 200, doctor: 200, admin: 200, supervisor: 200 },
    other: { patient: DENY, doctor: DENY, admin: 200, supervisor: 200 },
  },
  'policies.list': { own: ALL(200) },
  'policies.create': {
    body: () => ({ effective_from: Date.now() + (30 + ++seq) * 86400e3, note: 'authz matrix',
      rates: [{ plan_id: 'resident', facility_level: 'tertiary', ratio_bp: 4500, deductible_fen: 60000, cap_fen: 300000 }] }),
    own: { admin: 201 },
  },
  'fhir.claim': {
    params: (o) => id(o.claim),
    own: { patient: 200, doctor: 200, admin: 200, supervisor: 200 },
    other: { patient: DENY, doctor: DENY, admin: 200, supervisor: 200 },
  },
  'fhir.claim_response': {
    params: (o) => id(o.claim),
    own: { patient: 200, doctor: 200, admin: 200, supervisor: 200 },
    other: { patient: DENY, doctor: DENY, admin: 200, supervisor: 200 },
  },

  // --- clinical records --------------------------------------------------------------
  'records.conditions_search': { query: () => 'q=I10', own: ALL(200) },
  'records.diagnoses_list': {
    params: (o) => id(o.patient), own: READ, other: READ_OTHER,
    variants: [{ // the other patient booked doctor1 and cancelled before the call: no link (was 200)
      role: 'doctor', side: 'other', want: DENY,
      fresh: async (w, role, o) => {
        const c = await w.booked(o, 'doctor1');
        await w.api(o.patientUser, 'POST', `/api/v1/consultations/${c}/cancel`, { reason: 'booked by mistake' });
        return {};
      },
    }],
  },
  'records.diagnoses_add': {
    params: (o) => id(o.patient), body: () => ({ icd10: 'E78.5', diagnosed_on: '2026-01-10', note: 'authz' }),
    own: { doctor: 201 }, other: { doctor: DENY },
  },
  'records.diagnoses_upload': {
    params: (o) => id(o.patient),
    body: (o, w) => ({ icd10: 'K29.5', facility_id: w.facility.doctor1, diagnosed_on: '2025-12-01',
      content_type: 'image/png', document: PNG }),
    own: { patient: 201 }, other: { patient: DENY },
  },
  'records.diagnoses_verify': {
    params: (o) => id(o.upload),
    fresh: freshBoth(async (w, o) => ({ upload: (await w.api(o.patientUser, 'POST',
      `/api/v1/patients/${o.patient}/diagnoses/upload`, { icd10: 'K29.5', facility_id: w.facility[o.doctorUser],
        diagnosed_on: '2025-12-01', content_type: 'image/png', document: PNG })).body.id })),
    body: () => ({ accept: true }),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'records.documents_get': { params: (o) => id(o.document), own: READ, other: READ_OTHER },
  'records.notes_list': { params: (o) => id(o.cons), own: READ, other: READ_OTHER },
  'records.notes_save': {
    params: (o) => id(o.cons),
    body: () => ({ chief_complaint: '复诊', diagnoses: ['I10'], advice: '继续服药', correction_reason: '补充医嘱' }),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'records.notes_get': { params: (o) => id(o.note), own: READ, other: READ_OTHER },
  'records.notes_sign': {
    params: (o) => id(o.draftNote ?? o.note),
    fresh: freshBoth(async (w, o) => ({ draftNote: (await w.api(o.doctorUser, 'PUT',
      `/api/v1/consultations/${o.cons}/notes`, { chief_complaint: '复诊', diagnoses: ['I10'],
        correction_reason: '补充' })).body.note.id })),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'records.notes_signed': { params: (o) => id(o.note), own: READ, other: READ_OTHER },
  'records.labs_list': { params: (o) => id(o.patient), own: READ, other: READ_OTHER },
  'records.labs_order': {
    params: (o) => id(o.patient),
    body: (o, w) => ({ facility_id: w.facility.doctor1, kind: 'lab', code: 'HBA1C', name: '糖化血红蛋白' }),
    own: { doctor: 201 }, other: { doctor: DENY },
    variants: [{ // the own patient, citing the other patient's consultation (was 201)
      role: 'doctor', want: DENY,
      body: (o, w) => ({ facility_id: w.facility.doctor1, kind: 'lab', code: 'HBA1C', name: 'x', consultation_id: w.other.cons }),
    }],
  },
  'records.labs_get': { params: (o) => id(o.lab), own: READ, other: READ_OTHER },
  'records.labs_schedule': {
    params: (o) => id(o.freshLab), fresh: freshBoth(async (w, o) => ({ freshLab: await w.lab(o, o.doctorUser) })),
    body: () => ({ scheduled_for: Date.now() + 86400e3 }),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'records.labs_result': {
    params: (o) => id(o.freshLab), fresh: freshBoth(async (w, o) => ({ freshLab: await w.lab(o, o.doctorUser) })),
    body: () => ({ summary: '正常', results: [{ analyte: 'HbA1c', value: '6.1', unit: '%', value_num: 6.1 }] }),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'records.labs_cancel': {
    params: (o) => id(o.freshLab), fresh: freshBoth(async (w, o) => ({ freshLab: await w.lab(o, o.doctorUser) })),
    body: () => ({ reason: '不需要了' }),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'records.vitals_list': { params: (o) => id(o.patient), own: READ, other: READ_OTHER },
  'records.vitals_add': {
    params: (o) => id(o.patient), body: () => ({ kind: 'weight', value1: 61 }),
    own: { patient: 201, doctor: 201 }, other: { patient: DENY, doctor: DENY },
  },
  'records.careplans_list': { params: (o) => id(o.patient), own: READ, other: READ_OTHER },
  'records.careplans_create': {
    params: (o) => id(o.patient), body: () => ({ icd10: 'I10', follow_up_days: 30 }),
    own: { doctor: 201 }, other: { doctor: DENY },
  },
  'records.careplans_followup': { params: (o) => id(o.plan), own: { doctor: 200 }, other: { doctor: DENY } },
  'records.careplans_close': {
    params: (o) => id(o.freshPlan),
    fresh: freshBoth(async (w, o) => ({ freshPlan: (await w.api(o.doctorUser, 'POST',
      `/api/v1/patients/${o.patient}/care-plans`, { icd10: 'I10', follow_up_days: 30 })).body.id })),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'records.alerts_list': { own: { doctor: 200 } },
  'records.alerts_ack': { params: (o) => id(o.alert), own: { doctor: 200 }, other: { doctor: DENY } },

  // --- e-prescriptions -----------------------------------------------------------------
  'rx.formulary_search': { query: () => 'q=ALDP', own: ALL(200) },
  'rx.formulary_get': { params: () => id(AMLODIPINE), own: ALL(200) },
  'rx.rules': { own: ALL(200) },
  'rx.check': { body: rxBody, own: { doctor: 200 }, other: { doctor: DENY } },
  'rx.create': { body: rxBody, own: { doctor: 201 }, other: { doctor: DENY } },
  'rx.list': {
    query: (o, w, role, side) => (side === 'other' ? `patient=${o.patient}` : ''),
    own: { patient: 200, doctor: 200, supervisor: 200 },
    other: { patient: NOLEAK, doctor: DENY, supervisor: 200 },
  },
  'rx.get': {
    params: (o) => id(o.rx),
    own: { patient: 200, doctor: 200, pharmacist: 200, supervisor: 200 },
    other: { patient: DENY, doctor: DENY, pharmacist: 200, supervisor: 200 },
  },
  'rx.update': {
    params: (o) => id(o.draft), fresh: freshBoth(async (w, o) => ({ draft: await w.draftRx(o, o.doctorUser) })),
    body: rxBody, own: { doctor: 200 }, other: { doctor: DENY },
  },
  'rx.sign': {
    params: (o) => id(o.draft), fresh: freshBoth(async (w, o) => ({ draft: await w.draftRx(o, o.doctorUser) })),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'rx.approve': {
    params: (o) => id(o.signed), fresh: freshBoth(async (w, o) => ({ signed: await w.signedRx(o, o.doctorUser) })),
    // the prescriber is told why (422 rx.reviewer_is_prescriber); any other doctor is refused
    own: { pharmacist: 200, doctor: 422 }, other: { pharmacist: 200, doctor: DENY },
  },
  'rx.reject': {
    params: (o) => id(o.signed), fresh: freshBoth(async (w, o) => ({ signed: await w.signedRx(o, o.doctorUser) })),
    body: () => ({ reason: '请核对剂量' }),
    own: { pharmacist: 200, doctor: 422 }, other: { pharmacist: 200, doctor: DENY },
  },
  'rx.cancel': {
    params: (o) => id(o.draft), fresh: freshBoth(async (w, o) => ({ draft: await w.draftRx(o, o.doctorUser) })),
    body: () => ({ reason: '改用其他方案' }), own: { doctor: 200 }, other: { doctor: DENY },
  },
  'rx.signed': {
    params: (o) => id(o.rx),
    own: { patient: 200, doctor: 200, pharmacist: 200, supervisor: 200 },
    other: { patient: DENY, doctor: DENY, pharmacist: 200, supervisor: 200 },
  },
  'rx.renewal_request': {
    params: (o) => id(o.ready), fresh: freshBoth(async (w, o) => ({ ready: await w.readyRx(o, o.doctorUser) })),
    body: () => ({ note: '药快吃完了' }), own: { patient: 201 }, other: { patient: DENY },
  },
  'rx.renewals_list': { own: { patient: 200, doctor: 200 } },
  'rx.renewals_approve': {
    params: (o) => id(o.freshRenewal), fresh: freshBoth(freshRenewal),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'rx.renewals_decline': {
    params: (o) => id(o.freshRenewal), fresh: freshBoth(freshRenewal),
    body: () => ({ reason: '请先来门诊复查' }), own: { doctor: 200 }, other: { doctor: DENY },
  },
  'rx.renewals_withdraw': {
    params: (o) => id(o.freshRenewal), fresh: freshBoth(freshRenewal),
    own: { patient: 200 }, other: { patient: DENY },
  },
  'rx.review_queue': { own: { pharmacist: 200 } },
  'rx.supervision_list': { own: { supervisor: 200 } },
  'rx.supervision_finding': {
    params: (o) => id(o.sample), body: () => ({ finding: 'appropriate', text: 'authz matrix' }),
    own: { supervisor: 200 },
  },
  'rx.supervision_run': { body: () => ({ week: isoWeek() }), own: { supervisor: [200, 409], admin: [200, 409] } },
  'rx.me_findings': { own: { doctor: 200 } },
  'rx.me_notices': { own: ALL(200) },
  'rx.me_notices_read': { body: () => ({ up_to: Date.now() }), own: ALL(200) },
  'rx.jobs_run': { own: { admin: 200 } },

  // --- pharmacy dispatch: the patient's side -----------------------------------------------
  'rx.pharmacies': { params: (o) => id(o.rx), own: { patient: 200 }, other: { patient: DENY } },
  'rx.dispatch': {
    params: (o) => id(o.ready), fresh: freshBoth(async (w, o) => ({ ready: await w.readyRx(o, o.doctorUser) })),
    body: (o, w) => ({ mode: 'pickup', pharmacy_id: w.pharmacy[o.staffUser] }),
    own: { patient: 201 }, other: { patient: DENY },
  },
  'rx.dispatch_get': {
    params: (o) => id(o.rx), own: { patient: 200, supervisor: 200 }, other: { patient: DENY, supervisor: 200 },
  },
  'rx.delivery_reset': {
    params: (o) => id(o.out?.rx), fresh: freshBoth(async (w, o) => ({ out: await outForDelivery(w, o) })),
    own: { patient: 200 }, other: { patient: DENY },
  },
  'rx.receipt': {
    params: (o) => id(o.done),
    fresh: freshBoth(async (w, o) => {
      const d = await dispensed(w, o);
      await w.api(d.staff, 'POST', `/api/v1/pharmacy/prescriptions/${d.rx}/complete`, { secret: d.secret });
      return { done: d.rx };
    }),
    own: { patient: 200, supervisor: 200 }, other: { patient: DENY, supervisor: 200 },
  },

  // --- the pharmacy console -----------------------------------------------------------------
  'pharmacy.me': { own: { pharmacy_staff: 200 } },
  'pharmacy.queue': { own: { pharmacy_staff: 200 } },
  'pharmacy.work': { own: { pharmacy_staff: 200 } },
  'pharmacy.lookup': {
    fresh: freshOwn(async (w, o) => ({ accessCode: await accessCodeOf(w, o, o.rx) })),
    // other: the other side's prescription with a guessed code (a walk-in with the
    // patient's real code may go to any pharmacy, so there is no owner to compare)
    control: false, body: code, own: { pharmacy_staff: 200 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.claim_code': {
    fresh: freshOwn(async (w, o) => {
      const rx = await w.readyRx(o, o.doctorUser);
      return { codeRx: rx, accessCode: await accessCodeOf(w, o, rx) };
    }),
    control: false, body: code, own: { pharmacy_staff: 201 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.get': { params: (o) => id(o.rx), own: { pharmacy_staff: 200 }, other: { pharmacy_staff: DENY } },
  'pharmacy.claim': {
    params: (o) => id(o.d?.rx), fresh: freshBoth(async (w, o) => ({ d: await w.dispatchedRx(o) })),
    own: { pharmacy_staff: 201 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.release': {
    params: (o) => id(o.d?.rx), fresh: freshBoth(async (w, o) => ({ d: await w.dispatchedRx(o, { claim: true }) })),
    body: (o) => ({ secret: o.d?.secret ?? 'x', reason: 'authz' }),
    own: { pharmacy_staff: 200 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.dispense': {
    params: (o) => id(o.d?.rx), fresh: freshBoth(async (w, o) => ({ d: await w.dispatchedRx(o, { claim: true }) })),
    body: (o) => ({ secret: o.d?.secret ?? 'x', items: [{ line: 1, quantity: 1 }] }),
    headers: () => ({ 'idempotency-key': uniq('dispense') }),
    own: { pharmacy_staff: 201 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.complete': {
    params: (o) => id(o.d?.rx), fresh: freshBoth(async (w, o) => ({ d: await dispensed(w, o) })),
    body: (o) => ({ secret: o.d?.secret ?? 'x' }),
    own: { pharmacy_staff: 200 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.delivery_out': {
    params: (o) => id(o.d?.rx),
    fresh: freshBoth(async (w, o) => {
      const d = await w.dispatchedRx(o, { claim: true, mode: 'delivery' });
      await w.api(d.staff, 'POST', `/api/v1/pharmacy/prescriptions/${d.rx}/dispense`,
        { secret: d.secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': uniq('dispense') });
      return { d };
    }),
    body: (o) => ({ secret: o.d?.secret ?? 'x' }),
    own: { pharmacy_staff: 200 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.delivery_deliver': {
    params: (o) => id(o.d?.rx), fresh: freshBoth(async (w, o) => ({ d: await outForDelivery(w, o) })),
    body: (o) => ({ secret: o.d?.secret ?? 'x', code: o.d?.deliveryCode ?? '000000' }),
    own: { pharmacy_staff: 200 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.delivery_fail': {
    params: (o) => id(o.d?.rx), fresh: freshBoth(async (w, o) => ({ d: await outForDelivery(w, o) })),
    body: (o) => ({ secret: o.d?.secret ?? 'x', reason: '无人签收' }),
    own: { pharmacy_staff: 200 }, other: { pharmacy_staff: DENY },
  },
  'pharmacy.stock_list': { own: { pharmacy_staff: 200 } },
  'pharmacy.stock_put': {
    params: () => ({ drug: AMLODIPINE }), body: () => ({ quantity: 500 }), own: { pharmacy_staff: 200 },
  },

  // --- tiered referral ---------------------------------------------------------------------------
  'referrals.desk': { own: { doctor: 200 } },
  'referrals.create': { body: (o, w) => w.upBody(o), own: { doctor: 201 }, other: { doctor: DENY } },
  'referrals.list': { own: { patient: 200, doctor: 200, supervisor: 200 } },
  'referrals.get': { params: (o) => id(o.referral), own: READ, other: READ_OTHER },
  'referrals.act': {
    params: (o) => ({ id: o.freshReferral, action: 'cancel' }),
    fresh: freshBoth(async (w, o) => ({ freshReferral: await w.referral(o) })),
    body: () => ({ reason: 'authz matrix' }),
    own: { patient: 200, doctor: 200 }, other: { patient: DENY, doctor: DENY },
  },
  'stats.referrals': { own: { admin: 200, supervisor: 200 } },
  // the dashboard: district aggregates, no patient's data
  'stats.filters': { own: { admin: 200, supervisor: 200 } },
  'stats.consultations': { own: { admin: 200, supervisor: 200 } },
  'stats.prescriptions': { own: { admin: 200, supervisor: 200 } },
  'stats.dispatch': { own: { admin: 200, supervisor: 200 } },
  'stats.claims': { own: { admin: 200, supervisor: 200 } },
  'stats.quality': { own: { admin: 200, supervisor: 200 } },
  'family_doctor.get': { own: { patient: 200 } },
  'family_doctor.put': { body: (o, w) => ({ doctor_id: w.id.doctor1 }), own: { patient: 200 } },
  'family_doctor.delete': {
    fresh: freshOwn(async (w, o) => {
      await w.api(o.patientUser, 'PUT', '/api/v1/me/family-doctor', { doctor_id: w.id[o.doctorUser] });
      return {};
    }),
    own: { patient: [200, 204] },
  },
  'family_doctors.list': { own: ALL(200) },
  'contracts.list': { own: { doctor: 200 } },
  'contracts.end': {
    params: (o) => ({ patient_id: o.patient }),
    fresh: freshBoth(async (w, o) => {
      await w.api(o.patientUser, 'PUT', '/api/v1/me/family-doctor', { doctor_id: w.id[o.doctorUser] });
      return {};
    }),
    body: () => ({}),
    own: { doctor: [200, 204] }, other: { doctor: DENY },
  },
  'slots.list': { params: () => id(CARDIOLOGY), own: { doctor: 200, admin: 200, supervisor: 200 } },
  'slots.publish': {
    control: false, // the other side is a department, not a patient's object
    params: (o, w, role) => id(role === 'doctor' && o.patientUser === 'patient1' ? w.department.doctor1 : CARDIOLOGY),
    body: () => ({ starts_at: Date.now() + (3 + ++seq) * 86400e3, minutes: 10, count: 2 }),
    own: { doctor: 201, admin: 201 }, other: { doctor: DENY, admin: 201 },
  },
  'slots.policy': {
    control: false, // the other side is a department, not a patient's object
    params: (o, w, role) => id(role === 'doctor' && o.patientUser === 'patient1' ? w.department.doctor1 : CARDIOLOGY),
    body: () => ({ reserved_percent: 20 }),
    own: { doctor: 200, admin: 200 }, other: { doctor: DENY, admin: 200 },
  },
  'remote.create': { body: (o, w) => w.remoteBody(o), own: { doctor: 201 }, other: { doctor: DENY } },
  'remote.list': { own: { doctor: 200, patient: 200 } },
  'remote.get': { params: (o) => id(o.remote), own: READ, other: READ_OTHER },
  'remote.act': {
    params: (o) => ({ id: o.freshRemote, action: 'cancel' }),
    fresh: freshBoth(async (w, o) => ({ freshRemote: await w.remote(o) })),
    body: () => ({ reason: 'authz matrix' }),
    own: { doctor: 200 }, other: { doctor: DENY },
  },
  'fhir.service_request': { params: (o) => id(o.referral), own: READ, other: READ_OTHER },
  'fhir.task': { params: (o) => id(o.referral), own: READ, other: READ_OTHER },
};

async function freshRenewal(w, o) {
  const rx = await w.readyRx(o, o.doctorUser);
  const r = await w.api(o.patientUser, 'POST', `/api/v1/prescriptions/${rx}/renewals`, { note: '快吃完了' });
  return { freshRenewal: r.body.id };
}
