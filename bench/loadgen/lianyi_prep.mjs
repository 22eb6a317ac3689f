// bench/loadgen/lianyi_prep.mjs — start Lianyi on a fresh copy of the demo
// district and prepare consultations for bench_loadgen.
//
//   node bench/loadgen/lianyi_prep.mjs --rooms K --out rooms.json [--three] [--args "--media-workers 1 ..."]
//       [--three-rooms K3 --out3 rooms3.json] [--sig-rooms KS --out-sig rooms-sig.json]
//
// Starts the server through tests/lib/server.mjs (its own data directory, an
// ephemeral port), then books K online follow-ups — each a (patient, doctor)
// pair the demo district allows: the patient has a recent verified diagnosis
// of the code, the doctor may consult online — checks the patient in and has
// the doctor call (and leave again), so every consultation is `called` and
// its room opens when the first participant joins. With --three, each is a
// remote consultation (远程会诊) as the referral flow makes it: the patient's
// family doctor (a GP) asks a specialist, who accepts and schedules it; the
// patient checks in, the specialist calls; the GP is the third participant.
// --three-rooms and --sig-rooms prepare more, disjoint sets on the same
// server (bench/media.sh --short runs every Lianyi scenario on one server; a
// consultation whose room a load generator has used cannot be joined again):
// K3 remote consultations into --out3, KS more follow-ups into --out-sig.
// Writes {port, pid, doctor_password, rooms: [{consultation_id, patient:
// {token, account_id}, doctor: {token, account_id}}]} to --out, prints
// "READY <pid> <port> <rooms>" on stdout and keeps the server running until
// SIGTERM or SIGINT (then stops it; the data directory stays under the system
// temp directory, as for the tests).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
process.env.LIANYI_SRC ||= root;
process.env.LIANYI_BIN ||= path.join(root, 'build/lianyi');
const { startServer } = await import(path.join(root, 'tests/lib/server.mjs'));
const { default: WebSocket } = await import(path.join(root, 'tests/node_modules/ws/wrapper.mjs'));

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const ROOMS = Number(opt('rooms', 10));
const OUT = opt('out', 'rooms.json');
const EXTRA = (opt('args', '') || '').split(' ').filter(Boolean);
const THREE = argv.includes('--three');
const ROOMS3 = THREE ? ROOMS : Number(opt('three-rooms', 0));
const ROOMS2 = THREE ? 0 : ROOMS + Number(opt('sig-rooms', 0));
const PASSWORD = 'lianyi-demo';
const CODES = ['I10', 'E11.9', 'E78.5', 'J45.9', 'J30.4', 'H04.1', 'K21.0', 'M17.9', 'L20.9', 'E03.9', 'I25.1',
  'J44.9', 'K29.5'];
const range = (p, a, b) => Array.from({ length: b - a + 1 }, (_, i) => `${p}${a + i}`);

class Ws {
  constructor(port) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    this.n = 0;
    this.pending = new Map();
    this.ws.on('message', (raw) => {
      const m = JSON.parse(raw);
      if (m.id != null && this.pending.has(m.id)) {
        this.pending.get(m.id)(m);
        this.pending.delete(m.id);
      }
    });
    this.open = new Promise((res, rej) => { this.ws.once('open', res); this.ws.once('error', rej); });
  }
  async call(type, data = {}) {
    const id = String(++this.n);
    const r = await new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, type, data }));
    });
    if (!r.ok) throw Object.assign(new Error(`${type}: ${r.error.code}`), { code: r.error.code });
    return r.data;
  }
}

async function session(port, token) {
  const s = new Ws(port);
  await s.open;
  s.account = (await s.call('auth', { token })).account;
  return s;
}

// Book, check in and call one consultation; null when the pair cannot book.
async function prepare(srv, pat, doc, codes) {
  for (const code of codes) {
    const b = await srv.api('POST', '/api/v1/consultations', { token: pat.token, body: { doctor_id: doc.ws.account.id, icd10: code } });
    if (b.status === 409) return null; // already booked with this doctor
    if (b.status !== 201) {
      if (b.body?.error?.code === 'consult.doctor_not_eligible') return 'ineligible';
      continue;
    }
    const cid = b.body.consultation.id;
    await pat.ws.call('queue.check_in', { consultation_id: cid });
    await doc.ws.call('call.patient', { consultation_id: cid });
    // Calling puts the doctor's session in the room (at most 4 per session);
    // leaving again empties it, and the consultation stays `called` until the
    // load generator's sessions join (an empty room has no no-show timer).
    await doc.ws.call('room.leave', { consultation_id: cid });
    return { consultation_id: cid, code };
  }
  return null;
}

async function rest(token, method, p, body) {
  const r = await srv.api(method, p, { token, body });
  if (r.status >= 300) throw Object.assign(new Error(`${method} ${p}: ${r.status} ${r.text}`), { status: r.status });
  return r.body;
}

// Remote consultations: GP doctorK is the family doctor of the patients it
// serves; each room is one (patient, specialist) pair. `specialists` is an
// async iterator: each signs in only when the rooms still need one.
async function prepareThree(patients, gps, specialists, want) {
  const rooms = [];
  for (let i = 0; i < patients.length; i++) {
    const p = patients[i], gp = gps[i % gps.length];
    await rest(p.token, 'PUT', '/api/v1/me/family-doctor', { doctor_id: gp.ws.account.id });
    p.patient_id = (await rest(p.token, 'GET', '/api/v1/me/family-doctor')).patient_id;
    p.gp = gp;
  }
  for await (const sp of specialists) {
    if (rooms.length >= want) break;
    const d = (await rest(sp.token, 'GET', `/api/v1/doctors/${sp.ws.account.id}`)).doctor;
    sp.department = d.department && d.department.id;
    if (!sp.department) continue;
    for (const p of patients) {
      if (rooms.length >= want) return rooms;
      let rc;
      try {
        rc = (await rest(p.gp.token, 'POST', '/api/v1/remote-consultations', { patient_id: p.patient_id,
          department_id: sp.department, specialist_id: sp.ws.account.id, icd10: 'I25.1',
          question: '活动后胸闷两周，心电图 ST 段压低', location: 'centre' })).remote_consultation;
      } catch { continue; } // this pair cannot have one (yet): skip it
      await rest(sp.token, 'POST', `/api/v1/remote-consultations/${rc.id}/accept`, {});
      const cid = (await rest(sp.token, 'POST', `/api/v1/remote-consultations/${rc.id}/schedule`,
        { at: Date.now() + 60e3 })).remote_consultation.consultation_id;
      await p.ws.call('queue.check_in', { consultation_id: cid });
      await sp.ws.call('call.patient', { consultation_id: cid });
      await sp.ws.call('room.leave', { consultation_id: cid }); // frees the session's room slot (4 at most)
      rooms.push({ consultation_id: cid,
        patient: { token: p.token, account_id: p.ws.account.id, user: p.user },
        doctor: { token: sp.token, account_id: sp.ws.account.id, user: sp.user },
        third: { token: p.gp.token, account_id: p.gp.ws.account.id, user: p.gp.user } });
    }
  }
  return rooms;
}

let srv = null;
async function main() {
  srv = await startServer({ args: ['--max-connections', '20000', ...EXTRA] });
  // Every sign-in and doctor.verify costs the server a scrypt (~0.1 s):
  // doctors and specialists sign in only while the rooms still need one.
  const login = async (u) => {
    try { return { user: u, token: await srv.login(u, PASSWORD) }; } catch { return null; } // not a login here
  };
  const signedIn = new Map(); // user -> a verified doctor's session, made once
  async function* verified(names) {
    for (const u of names) {
      if (!signedIn.has(u)) {
        const x = await login(u);
        if (!x) continue;
        x.ws = await session(srv.port, x.token);
        await x.ws.call('doctor.verify', { password: PASSWORD });
        signedIn.set(u, x);
      }
      yield signedIn.get(u);
    }
  }
  const patients = [];
  for (const u of range('patient', 1, 20)) {
    const p = await login(u);
    if (p) patients.push(p);
  }
  for (const p of patients) p.ws = await session(srv.port, p.token);
  const rooms = [];
  let rooms3 = [];
  const dead = new Set();
  if (ROOMS3 > 0) {
    const gps = [];
    for await (const gp of verified(range('doctor', 1, 43))) if (gps.push(gp) >= 5) break;
    rooms3 = await prepareThree(patients, gps, verified(range('specialist', 1, 34)), ROOMS3);
  }
  if (ROOMS2 > 0) {
    for await (const d of verified(range('doctor', 1, 43))) {
      for (const p of patients) {
        if (rooms.length >= ROOMS2 || dead.has(p.user)) continue;
        const r = await prepare(srv, p, d, p.code ? [p.code] : CODES);
        if (r === 'ineligible') break;
        if (r == null) { if (!p.code) dead.add(p.user); continue; }
        p.code = r.code;
        rooms.push({ consultation_id: r.consultation_id,
          patient: { token: p.token, account_id: p.ws.account.id, user: p.user },
          doctor: { token: d.token, account_id: d.ws.account.id, user: d.user } });
      }
      if (rooms.length >= ROOMS2) break;
    }
  }
  // The preparing sessions leave; the consultations stay called.
  for (const x of [...patients, ...signedIn.values()]) if (x.ws) x.ws.ws.close();
  const write = (file, list) => fs.writeFileSync(file,
    JSON.stringify({ port: srv.port, pid: srv.proc.pid, doctor_password: PASSWORD, rooms: list }, null, 1));
  const first = THREE ? rooms3 : rooms.slice(0, ROOMS);
  write(OUT, first);
  if (!THREE && opt('out3')) write(opt('out3'), rooms3);
  if (!THREE && opt('out-sig')) write(opt('out-sig'), rooms.slice(ROOMS));
  if (first.length < ROOMS || rooms3.length < ROOMS3 || rooms.length < ROOMS2)
    console.error(`lianyi_prep: only ${rooms.length} of ${ROOMS2} follow-ups and ${rooms3.length} of ${ROOMS3} remote consultations could be prepared`);
  console.log(`READY ${srv.proc.pid} ${srv.port} ${first.length}`);
  const stop = async () => { await srv.stop(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setInterval(() => {}, 1 << 30); // keep the server until told to stop
}

main().catch(async (e) => {
  console.error(`lianyi_prep: ${e.stack || e}`);
  if (srv) await srv.stop();
  process.exit(1);
});
