// Helpers for the records and prescription tests (not a test file itself):
// logins, a consultation brought to `ended` over the real signalling, and
// prescription bodies over the demo formulary.
import { Client, accountId, book } from './signalling-client.mjs';

export const AMLODIPINE = 'drug-amlodipine-5mg-tab'; // 28 tablets a pack, 1 a day, chronic use
export const AMOXICILLIN = 'drug-amoxicillin-500mg-cap'; // antimicrobial
export const MORPHINE = 'drug-morphine-30mg-sr-tab'; // narcotic

export async function logins(srv, users) {
  const tok = {}, id = {};
  for (const u of users) {
    tok[u] = await srv.login(u);
    id[u] = await accountId(srv, tok[u]);
  }
  return { tok, id };
}

// Book, check in, call, join and end a consultation; returns it (state ended).
export async function endedConsultation(srv, tok, id, patient, doctor, icd10 = 'I10') {
  const c = await book(srv, tok[patient], { doctor_id: id[doctor], icd10 });
  const p = await Client.open(srv, tok[patient]);
  const d = await Client.open(srv, tok[doctor]);
  try {
    await p.call('queue.check_in', { consultation_id: c.id });
    await d.call('doctor.verify', { password: 'lianyi-demo' });
    await d.call('presence.set', { state: 'online' });
    await d.call('call.patient', { consultation_id: c.id });
    await p.call('room.join', { consultation_id: c.id });
    await d.call('call.end', { consultation_id: c.id });
  } finally {
    await p.close();
    await d.close();
  }
  return c;
}

export function item(drug_id = AMLODIPINE, { quantity = 1, days = 7, daily_units = 1, dose = '5 mg 口服 每日一次' } = {}) {
  return { drug_id, quantity, days, daily_units, dose };
}

export function draft(c, over = {}) {
  return { patient_id: c.patient.id, consultation_id: c.id, icd10: 'I10', kind: 'normal', items: [item()], ...over };
}

export const codes = (r) => (r.body?.error?.violations || r.body?.violations || []).map((v) => v.code).sort();
