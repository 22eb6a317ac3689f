// Helpers for the pharmacy dispatch tests (not a test file itself): ready
// prescriptions through the real API (doctor writes and signs, pharmacist
// approves), the patient's QR code, which pharmacy each staff login works at.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { AMLODIPINE, draft, endedConsultation, item, logins } from './rx-helpers.mjs';

export { AMLODIPINE, item };
export const METFORMIN = 'drug-metformin-500mg-tab'; // 60 tablets a pack, chronic use

export const STAFF = Array.from({ length: 8 }, (_, i) => `pharmacy${i + 1}`);

// Logins for the tests, one ended consultation of patient1 with doctor1, and
// the pharmacy id of each staff login.
export async function world(srv, extra = []) {
  const users = ['patient1', 'patient2', 'doctor1', 'pharmacist1', 'supervisor', ...STAFF, ...extra];
  const { tok, id } = await logins(srv, users);
  const cons = await endedConsultation(srv, tok, id, 'patient1', 'doctor1');
  const pharmacy = {};
  for (const s of STAFF) {
    const r = await srv.api('GET', '/api/v1/pharmacy/me', { token: tok[s] });
    assert.equal(r.status, 200, r.text);
    pharmacy[s] = r.body.pharmacy.id;
  }
  return { tok, id, cons, pharmacy };
}

// A ready prescription of patient1: created, signed, approved. Returns its id.
export async function readyRx(srv, w, items = [item(AMLODIPINE, { quantity: 1, days: 7 })], over = {}) {
  const api = (m, p, u, body) => srv.api(m, p, { token: w.tok[u], body });
  const c = await api('POST', '/api/v1/prescriptions', 'doctor1', draft(w.cons, { items, ...over }));
  assert.equal(c.status, 201, c.text);
  const rx = c.body.prescription.id;
  const s = await api('POST', `/api/v1/prescriptions/${rx}/sign`, 'doctor1');
  assert.equal(s.status, 200, s.text);
  const a = await api('POST', `/api/v1/prescriptions/${rx}/approve`, 'pharmacist1');
  assert.equal(a.status, 200, a.text);
  return rx;
}

// The QR payload the patient's app shows.
export async function qrOf(srv, w, rx, patient = 'patient1') {
  const r = await srv.api('GET', `/api/v1/prescriptions/${rx}`, { token: w.tok[patient] });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.prescription.qr, 'the patient sees the QR');
  return r.body.prescription.qr;
}

// Stock of a drug at the caller's pharmacy (0 when not carried).
export async function stockOf(srv, w, staff, drug) {
  const r = await srv.api('GET', `/api/v1/pharmacy/stock?q=${encodeURIComponent(drug)}&limit=5`, { token: w.tok[staff] });
  assert.equal(r.status, 200, r.text);
  const row = r.body.items.find((x) => x.drug_id === drug);
  return row ? row.quantity : 0;
}

export async function setStock(srv, w, staff, drug, quantity) {
  const r = await srv.api('PUT', `/api/v1/pharmacy/stock/${drug}`, { token: w.tok[staff], body: { quantity } });
  assert.equal(r.status, 200, r.text);
}

// Verifies a signed envelope {document, public_key, signature} with Ed25519.
export function envelopeVerifies(env) {
  const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: env.public_key }, format: 'jwk' });
  return crypto.verify(null, Buffer.from(env.document, 'utf8'), key, Buffer.from(env.signature, 'base64url'));
}
