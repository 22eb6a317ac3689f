/* signalling/consult.h — consultations in the database: load, access
 * checks, state transitions, the JSON view, lists.
 *
 * Every transition runs in one transaction with its consultation_events row
 * and its audit entry (DESIGN §2); a refused transition is audited as denied
 * in a transaction of its own. Reads of a consultation are audited as
 * "consult.read" (one entry per patient touched). Refusals fill e with a
 * stable code and sentences in English and Chinese.
 */
#ifndef LY_SIG_CONSULT_H
#define LY_SIG_CONSULT_H

#include <jansson.h>
#include <stdint.h>

#include "core/ids.h"
#include "signalling/lifecycle.h"

struct ly_db;
struct ly_clock;
struct ly_error;

/* Who is acting. role: "patient" | "doctor" | "supervisor" | "admin" | "system" | …
 * patient_id: the acting patient's patients.id (patients only). */
struct consult_actor {
  const char *id;
  const char *role;
  const char *patient_id;
};

struct consult_row {
  char id[LY_ID_MAX];
  char patient_id[LY_ID_MAX];
  char patient_account[LY_ID_MAX]; /* the patient's account ("" if none) */
  char patient_name[96];
  char patient_name_en[96];
  char doctor_id[LY_ID_MAX];
  char doctor_name[96];
  char doctor_name_en[96];
  char facility_id[LY_ID_MAX];
  char department_id[LY_ID_MAX];
  char kind[24];
  char icd10[16];
  char offline_diagnosis_id[LY_ID_MAX];
  char end_reason[64];
  char guardian_name[96];
  enum lc_state state;
  int priority;
  int64_t booked_at, checked_in_at, called_at, started_at, ended_at, updated_at; /* 0: not yet */
};

#define CONSULT_REASON_MAX 200

/* Load one consultation (no audit, no access check). LY_ENOTFOUND. */
int consult_load(struct ly_db *db, const char *id, struct consult_row *out);

/* May who read (write = 0) or act on (write = 1) c? Patients: their own;
 * doctors: the consulting doctor, or (reading) another participant;
 * supervisors: read only; system: yes. 0 or LY_EFORBIDDEN with e filled
 * (consult.not_participant). */
int consult_access(struct ly_db *db, const struct consult_row *c, const struct consult_actor *who, int write,
                   struct ly_error *e);

/* Apply ev to consultation id as who (reason: NULL or <= CONSULT_REASON_MAX
 * bytes, stored as end_reason for end/no_show/cancel and in the event row).
 * On success *out (may be NULL) is the row after the change. Refusals:
 * LY_ENOTFOUND consult.not_found, LY_EFORBIDDEN consult.not_participant,
 * LY_ESTATE consult.illegal_transition (message names both states). */
int consult_transition(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                       const char *id, enum lc_event ev, const char *reason, struct consult_row *out,
                       struct ly_error *e);

/* {id, state, kind, icd10, priority, patient:{id,name,name_en}, doctor:{id,name,name_en},
 *  facility_id, department_id, booked_at, checked_in_at, called_at, started_at, ended_at,
 *  end_reason, guardian_name, offline_diagnosis_id} — times null until set. New reference. */
json_t *consult_json(const struct consult_row *c);

/* Load, check read access and audit the read; *out = consult_json plus
 * "events": [{seq, at, actor_id, from, to, reason}]. */
int consult_get(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                const char *id, json_t **out, struct ly_error *e);

/* List filters (NULL/0 = any). Patients see their own; doctors those they
 * consult; supervisors all (optionally by doctor/patient/facility); others
 * are refused. Newest booked first; limit 1..100 (0 → 20); before: only
 * consultations booked before this time (paging). */
struct consult_filter {
  const char *state;
  const char *doctor_id;
  const char *patient_id;
  const char *facility_id;
  int64_t before;
  int limit;
};
int consult_list(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                 const struct consult_filter *f, json_t **out, struct ly_error *e);

/* System transitions when no socket can be in a consultation any more (the
 * server stops or starts): waiting/called → booked (reset), in_call → ended,
 * each with reason (e.g. "server_restart"). *changed counts them. */
int consult_normalise(struct ly_db *db, const struct ly_clock *clock, const char *reason, int *changed);

/* Audit a refusal of action on consultation id (may be NULL) in its own
 * transaction. Never fails the caller (errors are ignored). */
void consult_audit_refusal(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                           const char *action, const char *patient_id, const char *id,
                           const struct ly_error *e);

#endif
