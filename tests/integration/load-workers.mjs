// A mixed load against one server (not a test file): bookings and
// cancellations, consultations with chat over WebSocket, prescriptions
// through review, pharmacy claims and idempotent dispenses, manual
// settlements, and (for the soak) sign-in/sign-out churn and readers. Each
// worker loops until stop(); what the server acknowledged is recorded in
// `acked`. Used by tests/integration/crash_load.test.mjs (with SIGKILLs: a
// call cut by the server dying returns null and the worker goes on once the
// server is back — see pause/resume) and tests/soak/soak.mjs.
import { Client, sleep } from './signalling-client.mjs';
import { AMLODIPINE, draft, endedConsultation, item, logins } from './rx-helpers.mjs';

export const DRUG_STOCK = 100000;
const USERS = ['patient1', 'patient8', 'patient14', 'doctor1', 'doctor2', 'doctor3', 'doctor4', 'doctor5',
  'pharmacist1', 'pharmacy1', 'pharmacy2', 'admin', 'supervisor'];
const ok = (r) => r && r.status >= 200 && r.status < 300;
const withTimeout = (p, ms = 5000) => Promise.race([p, sleep(ms).then(() => { throw new Error('timeout'); })]);

export class MixedLoad {
  constructor(srv) {
    this.srv = srv;
    this.stopping = false;
    this.up = Promise.resolve(); // resolves when the server is listening (again)
    this.acked = { consultations: new Map(), chat: new Set(), rx: new Map(), dispenses: new Map(), claims: new Set() };
    this.ready = []; // prescriptions acknowledged ready, not yet picked by a pharmacy
    this.inCall = new Set(); // consultations in a call when the server died
    this.stats = { ops: 0, errors: 0 };
    this.pharmacy = {};
  }

  async setup() {
    ({ tok: this.tok, id: this.id } = await logins(this.srv, USERS));
    this.cons = await endedConsultation(this.srv, this.tok, this.id, 'patient1', 'doctor1');
    for (const s of ['pharmacy1', 'pharmacy2']) {
      this.pharmacy[s] = (await this.srv.api('GET', '/api/v1/pharmacy/me', { token: this.tok[s] })).body.pharmacy.id;
      const r = await this.srv.api('PUT', `/api/v1/pharmacy/stock/${AMLODIPINE}`, { token: this.tok[s], body: { quantity: DRUG_STOCK } });
      if (r.status !== 200) throw new Error(`stock: ${r.status} ${r.text}`);
    }
    return this;
  }

  // The server is about to die / is back.
  pause() { this.up = new Promise((r) => { this.resume = r; }); }

  stop() { this.stopping = true; }

  // An API call that survives the server dying: waits for it and reports null.
  async api(user, method, p, body, headers) {
    await this.up;
    try {
      const r = await this.srv.api(method, p, { token: this.tok[user], body, headers });
      this.stats.ops++;
      return r;
    } catch {
      this.stats.errors++;
      return null;
    }
  }

  // Retries an idempotent step until the server answers it.
  async until(fn) {
    for (let i = 0; i < 40 && !this.stopping; i++) {
      const r = await fn();
      if (r && r.status < 500) return r;
      await sleep(100);
    }
    return null;
  }

  // Every worker of the crash test; extra adds the soak's churn and readers.
  workers({ extra = false } = {}) {
    const w = [this.bookings('patient1'), this.bookings('patient14'), this.calls(), this.prescriptions(),
      this.prescriptions(), this.dispensing('pharmacy1'), this.dispensing('pharmacy2'), this.settlements()];
    if (extra) w.push(this.sessions(), this.readers());
    return w;
  }

  // Bookings with doctors 3-5, cancelled again.
  async bookings(patient) {
    for (let n = 0; !this.stopping; n++) {
      const body = { doctor_id: this.id[`doctor${3 + (n % 3)}`], icd10: patient === 'patient14' ? 'E11.9' : 'I10' };
      const b = await this.api(patient, 'POST', '/api/v1/consultations', body);
      if (!ok(b)) { await sleep(50); continue; }
      this.acked.consultations.set(b.body.consultation.id, 'booked');
      const c = await this.api(patient, 'POST', `/api/v1/consultations/${b.body.consultation.id}/cancel`, { reason: 'load' });
      if (ok(c)) this.acked.consultations.set(b.body.consultation.id, 'cancelled');
    }
  }

  // patient8 and doctor2 in calls with chat; a call cut by the server dying is remembered.
  async calls() {
    while (!this.stopping) {
      const b = await this.api('patient8', 'POST', '/api/v1/consultations', { doctor_id: this.id.doctor2, icd10: 'I10' });
      if (!ok(b)) { await sleep(100); continue; }
      const cid = b.body.consultation.id;
      this.acked.consultations.set(cid, 'booked');
      let p, d, live = false;
      try {
        p = await withTimeout(Client.open(this.srv, this.tok.patient8));
        d = await withTimeout(Client.open(this.srv, this.tok.doctor2));
        await withTimeout(p.call('queue.check_in', { consultation_id: cid }));
        await withTimeout(d.call('doctor.verify', { password: 'lianyi-demo' }));
        await withTimeout(d.call('presence.set', { state: 'online' }));
        await withTimeout(d.call('call.patient', { consultation_id: cid }));
        await withTimeout(p.call('room.join', { consultation_id: cid }));
        live = true;
        for (let i = 0; i < 20 && !this.stopping; i++) {
          const m = await withTimeout((i % 2 ? d : p).call('chat.send', { consultation_id: cid, text: `消息 ${i}` }));
          this.acked.chat.add(m.id ?? m.message?.id);
          await sleep(20);
        }
        await withTimeout(d.call('call.end', { consultation_id: cid }));
        live = false;
        this.acked.consultations.set(cid, 'ended');
      } catch {
        if (live) this.inCall.add(cid);
        await this.up;
      } finally {
        p?.terminate();
        d?.terminate();
      }
    }
  }

  // doctor1 writes and signs, pharmacist1 approves.
  async prescriptions() {
    while (!this.stopping) {
      const c = await this.api('doctor1', 'POST', '/api/v1/prescriptions', draft(this.cons, { items: [item(AMLODIPINE, { quantity: 1 })] }));
      if (!ok(c)) { await sleep(50); continue; }
      const rx = c.body.prescription.id;
      this.acked.rx.set(rx, 'draft');
      if (ok(await this.api('doctor1', 'POST', `/api/v1/prescriptions/${rx}/sign`, undefined, { 'idempotency-key': `s-${rx}` })))
        this.acked.rx.set(rx, 'pending_review');
      if (ok(await this.api('pharmacist1', 'POST', `/api/v1/prescriptions/${rx}/approve`, undefined, { 'idempotency-key': `a-${rx}` }))) {
        this.acked.rx.set(rx, 'ready');
        this.ready.push(rx);
      }
    }
  }

  // Ready prescriptions: dispatched, claimed, dispensed (retried with the same
  // Idempotency-Key after a crash), completed.
  async dispensing(staff) {
    while (!this.stopping) {
      const rx = this.ready.shift();
      if (!rx) { await sleep(50); continue; }
      const body = { mode: 'pickup', pharmacy_id: this.pharmacy[staff] };
      const d = await this.until(() => this.api('patient1', 'POST', `/api/v1/prescriptions/${rx}/dispatch`, body));
      if (!ok(d)) continue;
      const c = await this.until(() => this.api(staff, 'POST', `/api/v1/pharmacy/prescriptions/${rx}/claim`));
      if (!ok(c)) continue;
      const secret = c.body.claim.secret, key = `crash-${rx}`;
      const ds = await this.until(() => this.api(staff, 'POST', `/api/v1/pharmacy/prescriptions/${rx}/dispense`,
        { secret, items: [{ line: 1, quantity: 1 }] }, { 'idempotency-key': key }));
      if (!ok(ds)) continue;
      this.acked.dispenses.set(key, { rx, pharmacy: this.pharmacy[staff] });
      await this.until(() => this.api(staff, 'POST', `/api/v1/pharmacy/prescriptions/${rx}/complete`, { secret }));
    }
  }

  // The billing office settles encounters by hand (idempotent per encounter).
  async settlements() {
    for (let n = 0; !this.stopping; n++) {
      const body = { patient_id: this.cons.patient.id, facility_id: 'cc-pingshan', encounter_type: 'dispense',
        encounter_id: `crash-load-${n}`, service_at: Date.now() - 3600e3, doctor_title: 'gp',
        items: [{ kind: 'fee', code: '110200001' }, { kind: 'drug', code: AMLODIPINE, quantity: 1 }] };
      const r = await this.until(() => this.api('admin', 'POST', '/api/v1/claims', body));
      if (ok(r)) this.acked.claims.add(r.body.claim.id);
      await sleep(30);
    }
  }

  // Sign in and out (sessions, the offload thread, audit rows).
  async sessions() {
    while (!this.stopping) {
      const r = await this.api(null, 'POST', '/api/v1/sessions', { username: 'patient14', password: 'lianyi-demo' });
      if (ok(r)) await this.srv.api('DELETE', '/api/v1/sessions/current', { token: r.body.token }).catch(() => null);
      await sleep(200);
    }
  }

  // Reads a patient and a supervisor make: lists, records, claims, the access log.
  async readers() {
    const pid = this.cons.patient.id;
    const reads = [['patient1', '/api/v1/prescriptions'], ['patient1', '/api/v1/claims'],
      ['patient1', '/api/v1/me/access-log'], ['patient1', `/api/v1/patients/${pid}/diagnoses`],
      ['supervisor', '/api/v1/consultations?limit=50'], ['doctor1', '/api/v1/renewals'], ['admin', '/metrics']];
    for (let n = 0; !this.stopping; n++) {
      const [user, p] = reads[n % reads.length];
      await this.api(user, 'GET', p);
      await sleep(20);
    }
  }
}
