/* referral/referral_internal.h — what the files of referral/ share with each
 * other and nobody else: the stored referral row, doctors' places, audit and
 * event helpers (ref.c), episodes (episode.c) and slot taking (slot.c).
 */
#ifndef LY_REFERRAL_INTERNAL_H
#define LY_REFERRAL_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "referral/referral.h"

struct records_ctx;

#define REF_DAY_MS 86400000LL

/* Where a doctor works (from doctors, facilities). */
struct ref_doctor {
  char id[LY_ID_MAX];
  char facility_id[LY_ID_MAX];
  char department_id[LY_ID_MAX]; /* "" when none */
  char subdistrict_id[LY_ID_MAX];
  char level[16]; /* community | secondary | tertiary */
  int rank;       /* 1, 2, 3 */
  int disabled;
};

/* The stored referral, as the state machine needs it. */
struct ref_row {
  char id[LY_ID_MAX];
  enum referral_direction direction;
  enum referral_state state;
  char patient_id[LY_ID_MAX];
  char from_doctor_id[LY_ID_MAX];
  char from_facility_id[LY_ID_MAX];
  char to_facility_id[LY_ID_MAX];
  char to_department_id[LY_ID_MAX];
  char to_doctor_id[LY_ID_MAX];
  char urgency[16];
  char icd10[16];
  char episode_id[LY_ID_MAX];
  char slot_id[LY_ID_MAX];
  int follow_up_days;
};

/* ---- ref.c ------------------------------------------------------------- */
void ref_copy(char *dst, size_t n, const char *src);
/* Step a write to SQLITE_DONE and reset it; 0 or the mapped error. */
int ref_step_done(struct ly_db *db, sqlite3_stmt *st);
/* 1 (community), 2 (secondary), 3 (tertiary), 0 otherwise. */
int ref_level_rank(const char *level);
/* LY_ENOTFOUND when account_id is not a doctor. */
int ref_doctor_load(struct ly_db *db, const char *account_id, struct ref_doctor *out);
int ref_row_load(struct ly_db *db, const char *id, struct ref_row *out);
/* The parties of the state machine that who is for r (0: none). */
unsigned ref_parties(struct ly_db *db, const struct referral_actor *who, const struct ref_row *r);
/* 1 when who's role is role. */
int ref_is(const struct referral_actor *who, const char *role);
/* Append an audit entry (inside the caller's transaction). */
int ref_audit(const struct referral_ctx *cx, const struct referral_actor *who, const char *action,
              const char *patient_id, const char *object_type, const char *object_id, const char *outcome,
              const char *detail);
/* Record a refusal in a transaction of its own; never fails the caller. */
void ref_audit_refusal(const struct referral_ctx *cx, const struct referral_actor *who, const char *action,
                       const char *patient_id, const char *object_type, const char *object_id,
                       const struct ly_error *e);
/* Append the next referral_events row of referral id. */
int ref_event(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
              const char *from, const char *to, const char *reason);
/* Commit when rc == 0, else roll back; returns rc or the commit's error. */
int ref_finish(struct ly_db *db, int rc);
/* When rc != 0 and e is still clear, fill it with rc's generic code. */
int ref_done(struct ly_error *e, int rc);
/* The records context of a referral context (same db, clock, keys). */
void ref_records_ctx(const struct referral_ctx *cx, struct records_ctx *out);
/* May who read patient_id's referral data at all? Patients: their own. */
int ref_patient_only(const struct referral_actor *who, const char *patient_id, struct ly_error *e);
/* Text a person typed (records_text_check), naming field. */
int ref_text(const char *s, size_t max, int required, const char *field, struct ly_error *e);
/* A result row as a JSON object keyed by column names (aliases): NULL →
 * null, integers, reals, text. NULL on allocation failure. */
json_t *ref_json_row(sqlite3_stmt *st);
/* Every row of sql (bound ?1 = bind1) as ref_json_row, into a new array. */
int ref_json_rows(struct ly_db *db, const char *sql, const char *bind1, json_t **out);
/* 1 when the patient exists (0 not, < 0 error). */
int ref_patient_exists(struct ly_db *db, const char *patient_id);

/* ---- referral.c -------------------------------------------------------- */
/* Create an up-referral (checks, episode, row, attachments, event, audit) in
 * a transaction that nests in the caller's; remote_id links it to the remote
 * consultation it came from (NULL: none). No refusal audit. */
int ref_up_create(const struct referral_ctx *cx, const struct referral_actor *who,
                  const struct referral_up_new *in, const char *remote_id, char id_out[LY_ID_MAX],
                  struct ly_error *e);

/* ---- episode.c --------------------------------------------------------- */
/* Open an episode for the patient (referral_episodes + its insurance_episodes
 * row with nothing charged yet), inside the caller's transaction. */
int episode_open(const struct referral_ctx *cx, const char *patient_id, char id_out[LY_ID_MAX]);
/* Close it (idempotent). */
int episode_close(const struct referral_ctx *cx, const char *episode_id);
/* The patient's newest open episode into id_out; LY_ENOTFOUND when none. */
int episode_current(struct ly_db *db, const char *patient_id, char id_out[LY_ID_MAX]);

/* ---- slot.c ------------------------------------------------------------ */
/* Give referral_id a slot of department_id: slot_id, or the earliest free
 * reserved slot that starts after now. Inside the caller's transaction.
 * LY_ECONFLICT referral.no_reserved_slot / referral.slot_taken;
 * LY_ENOTFOUND referral.slot_not_found (not this department's). */
int slot_take(const struct referral_ctx *cx, const char *department_id, const char *referral_id,
              const char *slot_id, char slot_out[LY_ID_MAX], int64_t *starts_at, struct ly_error *e);
/* Free the slot a referral holds (no-op when none). */
int slot_release(const struct referral_ctx *cx, const char *referral_id);

#endif
