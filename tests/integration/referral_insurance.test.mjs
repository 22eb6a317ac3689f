// Referral episodes and the insurance engine (DESIGN §6 referral continuity):
// an up-referral opens an episode; a community visit and then a hospital
// visit billed in that episode charge one deductible, not two.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CARDIOLOGY, logins, caller, signContract, publishSlots, upBody, mustAct } from './referral-helpers.mjs';

const DRUG = 'drug-amlodipine-5mg-tab'; // 甲: fully in scope
let srv, call, ids, pid;

before(async () => {
  srv = await startServer();
  const l = await logins(srv, ['doctor1', 'specialist1', 'patient1', 'patient2', 'admin', 'supervisor']);
  call = caller(srv, l.tokens);
  ids = l.ids;
  pid = l.patientIds;
  await signContract(call, 'patient2', ids.doctor1);
  await publishSlots(call, 'specialist1', CARDIOLOGY, 10, { startDay: 1 });
});
after(async () => { await srv?.stop(); });

function visit(patientId, facility, encounter, episode, quantity) {
  const body = {
    patient_id: patientId, facility_id: facility, encounter_type: 'visit', encounter_id: encounter,
    service_at: Date.now() - 60e3, doctor_title: 'gp',
    items: [{ kind: 'fee', code: '110200001' }, { kind: 'drug', code: DRUG, quantity }],
  };
  if (episode) body.episode_id = episode;
  return body;
}

test('community visit, then hospital visit in one up-referral episode: one deductible', async () => {
  // the patient's deductibles at the two levels (employee tier 2: 100 and 500 yuan)
  const cov = await call('patient2', 'GET', '/api/v1/me/coverage');
  assert.equal(cov.status, 200, cov.text);
  const level = (l) => cov.body.coverage.levels.find((x) => x.facility_level === l);
  const dC = level('community').deductible_remaining_fen, dT = level('tertiary').deductible_remaining_fen;
  assert.ok(dC > 0 && dT > dC, `community ${dC}, tertiary ${dT}`);

  // the GP refers up: the referral carries the episode
  const c = await call('doctor1', 'POST', '/api/v1/referrals', upBody(pid.patient2));
  assert.equal(c.status, 201, c.text);
  const ref = c.body.referral;
  assert.match(ref.episode_id, /^episode_/);

  // 1. the community visit that led to the referral, billed in the episode
  const comm = await call('admin', 'POST', '/api/v1/claims', visit(pid.patient2, 'cc-pingshan', `visit-c-${ref.id}`,
    ref.episode_id, 40));
  assert.equal(comm.status, 201, comm.text);
  assert.equal(comm.body.claim.episode_id, ref.episode_id);
  assert.equal(comm.body.claim.totals.deductible_fen, dC);

  // 2. the hospital visit the referral scheduled
  await mustAct(call, 'specialist1', ref.id, 'accept');
  await mustAct(call, 'specialist1', ref.id, 'schedule');
  await mustAct(call, 'specialist1', ref.id, 'arrive');
  const hospBody = visit(pid.patient2, 'hosp-renmin', `visit-h-${ref.id}`, ref.episode_id, 100);
  // without the episode it would be a second, full deductible…
  const alone = await call('admin', 'POST', '/api/v1/claims/estimate', { ...hospBody, episode_id: undefined });
  assert.equal(alone.status, 200, alone.text);
  assert.equal(alone.body.claim.totals.deductible_fen, dT);
  // …in the episode, only what makes the two add up to one deductible
  const hosp = await call('admin', 'POST', '/api/v1/claims', hospBody);
  assert.equal(hosp.status, 201, hosp.text);
  assert.equal(hosp.body.claim.totals.deductible_fen, dT - dC);
  assert.equal(comm.body.claim.totals.deductible_fen + hosp.body.claim.totals.deductible_fen, dT,
    'one deductible over the episode: the higher level\'s, not both');
  await mustAct(call, 'specialist1', ref.id, 'complete', { outcome: '门诊完成检查，回社区随访' });

  // the episode belongs to that patient: another patient's claim may not name it
  const other = await call('admin', 'POST', '/api/v1/claims', visit(pid.patient1, 'cc-pingshan', `visit-x-${ref.id}`,
    ref.episode_id, 1));
  assert.equal(other.status, 422, other.text);
  assert.equal(other.body.error.code, 'insurance.episode_mismatch');

  // a new referral is a new episode: its deductible starts again
  const c2 = await call('doctor1', 'POST', '/api/v1/referrals', upBody(pid.patient2));
  assert.notEqual(c2.body.referral.episode_id, ref.episode_id);

  // and the books still balance (episodes included)
  const day = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const st = await call('admin', 'GET', `/api/v1/claims/statements?date=${day}&check=1`);
  assert.equal(st.status, 200, st.text);
  assert.equal(st.body.check.ok, true, JSON.stringify(st.body.check));
  assert.ok(st.body.check.checked.episodes >= 2);
});
