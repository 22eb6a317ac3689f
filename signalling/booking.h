/* signalling/booking.h — booking an online follow-up (DESIGN §3.1, §3.2, §3.3).
 *
 * A patient books a consultation with a doctor, or with a department (the
 * eligible doctor of that department with the fewest open consultations is
 * chosen). Refused, each with a stable code and sentences in en/zh:
 *   consult.first_visit_offline_only  no verified offline diagnosis of the same
 *                                     ICD-10 category within the window (422)
 *   consult.doctor_not_eligible       not licensed, < 3 years of independent
 *                                     practice, or account disabled (422)
 *   consult.doctor_not_found / consult.department_not_found (404)
 *   consult.guardian_required         the patient is under 6 and no guardian
 *                                     is named (422)
 *   consult.already_booked            an open consultation with this doctor
 *                                     exists (409)
 *   records.icd10_invalid             not an ICD-10 code (400)
 * The consultation row, its participants, its first event (→ booked) and the
 * audit entry are written in one transaction; refusals are audited as denied.
 */
#ifndef LY_SIG_BOOKING_H
#define LY_SIG_BOOKING_H

#include <stdint.h>

#include "signalling/consult.h"

#define BOOKING_YEAR_MS (365LL * 24 * 3600 * 1000 + 6LL * 3600 * 1000) /* a mean Julian year */

struct booking_rules {
  int64_t followup_window_ms; /* offline diagnosis at most this old; 0 → 12 months */
  int64_t min_practice_ms;    /* independent practice needed; 0 → 3 years */
  int guardian_under_years;   /* children younger than this need a guardian; 0 → 6 */
};

struct booking_request {
  const char *doctor_id; /* one of doctor_id / department_id */
  const char *department_id;
  const char *icd10;         /* the condition followed up, "I10" or "E11.9" */
  const char *guardian_name; /* required for children under 6 (<= 64 bytes) */
};

#define BOOKING_GUARDIAN_MAX 64

/* who must be a patient (role "patient" with patient_id). On success *out
 * is the new consultation (state booked). */
int booking_create(struct ly_db *db, const struct ly_clock *clock, const struct booking_rules *rules,
                   const struct consult_actor *who, const struct booking_request *req,
                   struct consult_row *out, struct ly_error *e);

/* 0 when doctor_id may consult online now; LY_ENOTFOUND (consult.doctor_not_found)
 * or LY_EDENIED (consult.doctor_not_eligible) with e filled. */
int booking_doctor_eligible(struct ly_db *db, const struct ly_clock *clock, const struct booking_rules *rules,
                            const char *doctor_id, struct ly_error *e);

/* The rules with defaults filled in. */
struct booking_rules booking_rules_resolve(const struct booking_rules *in);

#endif
