// Secrets hygiene (DESIGN.md §4, §10): a whole journey through the API —
// logins (and failed ones), booking and a consultation over WebSocket (the
// doctor's real-name check sends a password), a prescription through review,
// the patient's QR (access code), a walk-in lookup and claim with it (the
// claim secret), dispensing, delivery with the patient's 6-digit code (and a
// wrong one), completion, billing and a manual settlement, logout, and an
// import of a HIS file holding national ID numbers — with debug logging on.
// Then the server log, the audit table and the database files are searched
// for every secret the test itself sent or received: bearer tokens,
// passwords, access codes and QR payloads, claim secrets, delivery codes and
// national ID numbers (also by their shape). Any hit fails, naming where.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startServer } from '../lib/server.mjs';
import { Client } from './signalling-client.mjs';
import { AMLODIPINE, draft, item, logins } from './rx-helpers.mjs';

const PASSWORD = 'lianyi-demo';
const WRONG_PASSWORD = 'Wr0ng-Pa55word-7q!';
const NATIONAL_IDS = ['44030719790312451X', '110101199003077574'];
const ID_SHAPE = /(?<![0-9A-Za-z])[1-9]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dX](?![0-9A-Za-z])/;
let srv;
const secrets = []; // [what, value]
const keep = (what, value) => { if (value) secrets.push([what, String(value)]); return value; };

before(async () => {
  // the demo district, restarted without --demo (whose banner prints the demo
  // password on purpose) and with every debug line
  srv = await startServer({ args: ['--billing-interval-ms', '200'] });
  await srv.stop();
  fs.writeFileSync(srv.logPath, '');
  srv.extraArgs.push('--log-level', 'debug');
  await srv.start({ demo: false });
});
after(async () => { await srv?.stop(); });

const api = (tok, method, p, body, headers) => srv.api(method, p, { token: tok, body, headers });

async function consultation(tok, id) {
  const b = await api(tok.patient1, 'POST', '/api/v1/consultations', { doctor_id: id.doctor1, icd10: 'I10' });
  assert.equal(b.status, 201, b.text);
  const c = b.body.consultation;
  const p = await Client.open(srv, tok.patient1);
  const d = await Client.open(srv, tok.doctor1);
  try {
    await p.call('queue.check_in', { consultation_id: c.id });
    assert.ok(await d.fails('doctor.verify', { password: WRONG_PASSWORD }));
    await d.call('doctor.verify', { password: PASSWORD });
    await d.call('presence.set', { state: 'online' });
    await d.call('call.patient', { consultation_id: c.id });
    await p.call('room.join', { consultation_id: c.id });
    await p.call('chat.send', { consultation_id: c.id, text: '最近血压 150/95' });
    await d.call('call.end', { consultation_id: c.id });
  } finally {
    await p.close();
    await d.close();
  }
  return c;
}

// A prescription through review, to pharmacy1 for delivery; the code path end to end.
async function prescriptionJourney(tok, c) {
  const cr = await api(tok.doctor1, 'POST', '/api/v1/prescriptions', draft(c, { items: [item(AMLODIPINE)] }));
  assert.equal(cr.status, 201, cr.text);
  const rx = cr.body.prescription.id;
  assert.equal((await api(tok.doctor1, 'POST', `/api/v1/prescriptions/${rx}/sign`)).status, 200);
  assert.equal((await api(tok.pharmacist1, 'POST', `/api/v1/prescriptions/${rx}/approve`)).status, 200);
  const qr = keep('QR payload', (await api(tok.patient1, 'GET', `/api/v1/prescriptions/${rx}`)).body.prescription.qr);
  keep('access code', qr.slice(qr.lastIndexOf(':') + 1));
  const pharmacy = (await api(tok.pharmacy1, 'GET', '/api/v1/pharmacy/me')).body.pharmacy.id;
  const d = await api(tok.patient1, 'POST', `/api/v1/prescriptions/${rx}/dispatch`,
    { mode: 'delivery', pharmacy_id: pharmacy, address: '坪山大道 1 号 3 栋 201' });
  assert.equal(d.status, 201, d.text);
  const wrongQr = qr.slice(0, -4) + (qr.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  assert.ok([404, 409, 422].includes((await api(tok.pharmacy2, 'POST', '/api/v1/pharmacy/lookup', { qr: wrongQr })).status));
  assert.equal((await api(tok.pharmacy1, 'POST', '/api/v1/pharmacy/lookup', { qr })).status, 200);
  const cl = await api(tok.pharmacy1, 'POST', '/api/v1/pharmacy/claims', { qr });
  assert.equal(cl.status, 201, cl.text);
  const secret = keep('claim secret', cl.body.claim.secret);
  const P = `/api/v1/pharmacy/prescriptions/${rx}`;
  assert.equal((await api(tok.pharmacy1, 'POST', `${P}/release`, { secret: secret.replace(/.$/, 'x') })).status >= 400, true);
  const ds = await api(tok.pharmacy1, 'POST', `${P}/dispense`, { secret, items: [{ line: 1, quantity: 1 }] },
    { 'idempotency-key': `secrets-${rx}` });
  assert.equal(ds.status, 201, ds.text);
  assert.equal((await api(tok.pharmacy1, 'POST', `${P}/delivery/out`, { secret })).status, 200);
  const code = keep('delivery code', (await api(tok.patient1, 'GET', `/api/v1/prescriptions/${rx}/dispatch`)).body.delivery.code);
  const wrong = keep('wrong delivery code', String((Number(code) + 1) % 1000000).padStart(6, '0'));
  assert.equal((await api(tok.pharmacy1, 'POST', `${P}/delivery/deliver`, { secret, code: wrong })).status, 422);
  const ok = await api(tok.pharmacy1, 'POST', `${P}/delivery/deliver`, { secret, code });
  assert.equal(ok.status, 200, ok.text);
  return rx;
}

test('a whole journey leaves no token, password, code, secret or national ID in the log, the audit or the database', async () => {
  const users = ['patient1', 'doctor1', 'pharmacist1', 'pharmacy1', 'pharmacy2', 'admin'];
  const { tok, id } = await logins(srv, users);
  for (const u of users) keep(`${u}'s bearer token`, tok[u]);
  keep('password', PASSWORD);
  keep('wrong password', WRONG_PASSWORD);
  for (const n of NATIONAL_IDS) keep('national ID', n);
  assert.equal((await srv.api('POST', '/api/v1/sessions', { body: { username: 'patient1', password: WRONG_PASSWORD } })).status, 401);
  assert.equal((await srv.api('POST', '/api/v1/sessions', { body: { username: NATIONAL_IDS[0], password: WRONG_PASSWORD } })).status, 401);
  const c = await consultation(tok, id);
  await prescriptionJourney(tok, c);
  // billing settles the consultation and the completed dispense; the admin settles one by hand
  let claims = [];
  for (let i = 0; i < 50 && claims.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 200));
    claims = (await api(tok.patient1, 'GET', '/api/v1/claims')).body.items.filter((x) => x.status === 'settled');
  }
  assert.ok(claims.length >= 2, 'the billing job settled the fee and the drugs');
  const s = await api(tok.admin, 'POST', '/api/v1/claims', {
    patient_id: c.patient.id, facility_id: 'cc-pingshan', encounter_type: 'dispense', encounter_id: 'secrets-1',
    service_at: Date.now() - 3600e3, doctor_title: 'gp', items: [{ kind: 'fee', code: '110200001' }] });
  assert.equal(s.status, 201, s.text);
  // a bearer token in the query string or a malformed header is not echoed either
  await srv.api('GET', `/api/v1/me?token=${tok.patient1}`, { headers: { authorization: `Basic ${tok.patient1}` } });
  assert.equal((await api(tok.doctor1, 'DELETE', '/api/v1/sessions/current')).status, 204);
  await srv.stop();

  // a HIS file with national ID numbers (none of them a patient: the import is refused whole)
  const csv = path.join(srv.data, 'his.csv');
  fs.writeFileSync(csv, 'facility_id,his_id,national_id,icd10,diagnosed_on,doctor_license_no,note\n' +
    NATIONAL_IDS.map((n, i) => `cc-pingshan,HIS-${i},${n},I10,2026-05-01,,复诊`).join('\n') + '\n');
  const imp = await runCli(['import', 'diagnoses', '--data', srv.data, csv]);
  assert.notEqual(imp.code, 0);
  fs.rmSync(csv);

  const where = {
    'server log': srv.logText(),
    'import tool output': imp.stdout + imp.stderr,
    'audit table': execFileSync('sqlite3', [path.join(srv.data, 'lianyi.db'),
      "SELECT seq, at, actor_id, actor_role, action, patient_id, object_type, object_id, outcome, detail FROM audit"],
    { maxBuffer: 1 << 28 }).toString(),
  };
  assert.ok(where['server log'].includes('http.request'), 'the log holds the journey');
  assert.ok(where['audit table'].includes('session.login'), 'the audit holds the journey');
  // the database itself: tokens, secrets and codes are stored only hashed or sealed
  const files = fs.readdirSync(srv.data).filter((f) => f.startsWith('lianyi.db'));
  const db = Buffer.concat(files.map((f) => fs.readFileSync(path.join(srv.data, f)))).toString('latin1');
  const hits = [];
  for (const [what, value] of secrets) {
    const digits = /^\d+$/.test(value);
    const re = new RegExp(`${digits ? '(?<![0-9])' : ''}${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${digits ? '(?![0-9])' : ''}`);
    for (const [place, text] of Object.entries(where)) if (re.test(text)) hits.push(`${what} in the ${place}`);
    if (!digits && db.includes(value)) hits.push(`${what} in the database files`);
  }
  for (const [place, text] of Object.entries(where)) {
    const m = text.match(ID_SHAPE);
    if (m) hits.push(`something shaped like a national ID (${m[0].slice(0, 6)}…) in the ${place}`);
  }
  assert.deepEqual(hits, [], `secrets found: ${hits.join('; ')}`);
  assert.ok(secrets.length >= 14, `the journey collected its secrets (${secrets.length})`);
});
