/* records/records.h — what every part of the clinical record shares: the
 * context handed in by the caller, the acting account, the audit helper and
 * text validation.
 *
 * records/ knows nothing of HTTP. Functions take a struct records_ctx, the
 * acting account and plain structs, return 0 or a negative LY_E* code, and
 * fill a struct ly_error with a stable code ("records.note_signed") and
 * sentences in English and Chinese on refusal. Read functions return a
 * json_t view (a new reference the caller json_decref's) because every
 * caller wants exactly that; nothing here serialises it.
 *
 * Every function that reads or changes a patient's data appends its audit
 * entry in the same transaction. Object-level authorisation (may this doctor
 * see this patient?) is the caller's (server/auth.h authz_patient); the
 * functions here check what only the record knows (the note's own doctor,
 * the order's performing facility, …).
 */
#ifndef LY_RECORDS_H
#define LY_RECORDS_H

#include <stddef.h>
#include <stdint.h>

struct ly_db;
struct ly_clock;
struct ly_keys;
struct ly_error;

struct records_ctx {
  struct ly_db *db;
  const struct ly_clock *clock;
  const struct ly_keys *keys; /* keys.sign unwraps doctors' signing keys */
};

/* The account acting: id, role name ("doctor", "patient", "system", …) and,
 * for doctors and pharmacists, their facility (NULL: none / review centre). */
struct records_actor {
  const char *id;
  const char *role;
  const char *facility_id;
};

/* Append one audit entry (must be inside a transaction). */
int records_audit(const struct records_ctx *cx, const struct records_actor *who, const char *action,
                  const char *patient_id, const char *object_type, const char *object_id, const char *outcome,
                  const char *detail);

/* Run fn in a transaction; on a refusal (LY_EDENIED/EFORBIDDEN/ESTATE/…)
 * roll back, then record a "denied" audit entry in its own transaction so
 * refused attempts are traced too. object_* and patient_id may be NULL. */
int records_audit_refusal(const struct records_ctx *cx, const struct records_actor *who, const char *action,
                          const char *patient_id, const char *object_type, const char *object_id,
                          const struct ly_error *e);

/* End of a public function: when rc != 0 and e has not been filled (e->err
 * == 0 — public functions ly_error_clear e on entry), fill it with rc's
 * generic code. Returns rc. */
int records_done(struct ly_error *e, int rc);

/* Commit when rc == 0, else roll back; returns rc or the commit's error. */
int records_finish(struct ly_db *db, int rc);

/* Text a person typed: valid UTF-8, no control characters other than \n and
 * \t, at most max bytes; when required, not blank. LY_EINVAL with
 * "request.invalid_field" / field set. NULL counts as "". */
int records_text_check(const char *s, size_t max, int required, const char *field, struct ly_error *e);

/* 0 when the patient exists, LY_ENOTFOUND (records.patient_not_found) otherwise. */
int records_patient_exists(const struct records_ctx *cx, const char *patient_id, struct ly_error *e);

/* ICD-10 category ("E11.9" → "E11") into out (>= 4 bytes); LY_EINVAL when
 * s is not a letter, two digits, optionally '.' and 1-4 alphanumerics. */
int records_icd10_category(const char *s, char *out, size_t outsz);
/* records_icd10_category with a refusal "records.icd10_invalid" naming field. */
int records_icd10_check(const char *s, const char *field, struct ly_error *e);

/* 1 when the role of who is role_name. */
int records_is(const struct records_actor *who, const char *role_name);

#endif
