// What the booking form offers a patient (book.js): my chronic conditions to
// follow up (ICD-10 with their names), and for one condition the doctors I
// would book first — my family doctor and the doctor who diagnosed it —
// when they may consult online.

import { api } from '../api.js';

async function conditionOf(code) {
  try {
    const c = ((await api('GET', `/api/v1/conditions?q=${encodeURIComponent(code)}&limit=1`)).conditions || [])[0];
    return c && c.icd10 === code ? c : { icd10: code, chronic: true };
  } catch (err) {
    if (err.handled) throw err;
    return { icd10: code, chronic: true };
  }
}

// [{icd10, name, name_en}] of my chronic diagnoses, newest first; [] when
// they cannot be read (the form then takes a typed code).
export async function myConditions(patientId) {
  try {
    const dx = (await api('GET', `/api/v1/patients/${patientId}/diagnoses`)).diagnoses || [];
    dx.sort((a, b) => b.diagnosed_at - a.diagnosed_at);
    const codes = [...new Set(dx.map((d) => d.icd10))];
    return (await Promise.all(codes.map(conditionOf))).filter((c) => c.chronic);
  } catch (err) {
    if (err.handled) throw err;
    return [];
  }
}

// [{doctor, why: 'family' | 'diagnosed'}] for the condition `icd`.
export async function suggestedDoctors(patientId, icd) {
  const [fd, dx] = await Promise.all([
    api('GET', '/api/v1/me/family-doctor'),
    api('GET', `/api/v1/patients/${patientId}/diagnoses`),
  ]);
  const want = [];
  if (fd.contract) want.push([fd.contract.doctor_id, 'family']);
  for (const d of (dx.diagnoses || []).filter((x) => x.icd10 === icd && x.doctor_id)) want.push([d.doctor_id, 'diagnosed']);
  const seen = new Set();
  const out = [];
  for (const [id, why] of want) {
    if (seen.has(id)) continue;
    seen.add(id);
    try {
      const doctor = (await api('GET', `/api/v1/doctors/${encodeURIComponent(id)}`)).doctor;
      if (doctor && doctor.bookable !== false) out.push({ doctor, why });
    } catch (err) {
      if (err.handled) throw err; // a doctor who may not consult online is simply not offered
    }
  }
  return out;
}
