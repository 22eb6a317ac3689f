/* records/diagnosis.h — offline diagnoses: the evidence that makes an online
 * follow-up legal (DESIGN §3.1).
 *
 * Three ways in: a facility's doctor records one (verified at once), a HIS
 * export is imported (verified: it comes from the facility's own system), or
 * the patient uploads a document with a claimed diagnosis, which counts only
 * after a doctor verifies it. Only verified diagnoses count for the rules.
 */
#ifndef LY_RECORDS_DIAGNOSIS_H
#define LY_RECORDS_DIAGNOSIS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/ids.h"

struct records_ctx;
struct records_actor;
struct ly_error;

#define DIAGNOSIS_NOTE_MAX 1000

struct diagnosis_new {
  const char *patient_id;
  const char *icd10;
  const char *facility_id; /* where it was diagnosed */
  const char *doctor_id;   /* who diagnosed (may be NULL) */
  int64_t diagnosed_at;    /* UTC ms; not in the future */
  const char *note;
};

/* A doctor records a diagnosis made at their facility (who->facility_id is
 * used when in->facility_id is NULL). Verified at once by who. */
int diagnosis_add(const struct records_ctx *cx, const struct records_actor *who,
                  const struct diagnosis_new *in, char id_out[LY_ID_MAX], struct ly_error *e);

/* The patient uploads evidence (JPEG/PNG/PDF) of a diagnosis made offline.
 * Stored unverified until a doctor decides. */
struct diagnosis_upload {
  struct diagnosis_new dx;
  const char *claimed_text; /* what the patient says it is */
  const char *content_type;
  const void *doc;
  size_t doc_len;
};
int diagnosis_upload(const struct records_ctx *cx, const struct records_actor *who,
                     const struct diagnosis_upload *in, char id_out[LY_ID_MAX], struct ly_error *e);

/* A doctor verifies (accept = 1) or rejects (accept = 0, reason required) an
 * uploaded diagnosis. LY_ESTATE (records.diagnosis_already_decided) when it
 * was not an open upload. */
int diagnosis_verify(const struct records_ctx *cx, const struct records_actor *who, const char *diagnosis_id,
                     int accept, const char *reason, struct ly_error *e);

/* All of a patient's offline diagnoses, newest first, as a JSON array of
 * {id, icd10, facility_id, doctor_id, diagnosed_at, source, verified,
 *  verified_by, verified_at, note, evidence: {document_id, claimed_text,
 *  decision, reason} | null}. Audited as record.read. */
int diagnosis_list(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                   json_t **out, struct ly_error *e);

/* The diagnosis's patient, for the caller's authorisation check (LY_ENOTFOUND). */
int diagnosis_patient(const struct records_ctx *cx, const char *diagnosis_id, char patient_out[LY_ID_MAX]);

/* ---- HIS import ------------------------------------------------------------
 * CSV with exactly this header line and these columns, in order:
 *   facility_id,his_id,national_id,icd10,diagnosed_on,doctor_license_no,note
 * diagnosed_on is YYYY-MM-DD; national_id is the patient's 18-character
 * resident ID (matched by keyed hash); doctor_license_no may be empty; note
 * is at most 1000 bytes. Rows already imported (same facility_id and his_id)
 * are skipped. All or nothing: any faulty row and nothing is written. */
#define DIAGNOSIS_IMPORT_MAX_BYTES  (32 * 1024 * 1024)
#define DIAGNOSIS_IMPORT_MAX_ROWS   200000
#define DIAGNOSIS_IMPORT_MAX_ERRORS 20

struct diagnosis_import_error {
  long line;
  char message[384];
};

struct diagnosis_import_report {
  long rows;       /* data rows read */
  long inserted;   /* new diagnoses */
  long duplicates; /* already imported before */
  long failed;     /* rows with a fault (only the first MAX_ERRORS are kept) */
  int nerrors;
  struct diagnosis_import_error errors[DIAGNOSIS_IMPORT_MAX_ERRORS];
};

/* Import CSV bytes. 0 when every row is good (written in one transaction);
 * LY_EINVAL with the report's errors (line-numbered) and nothing written;
 * LY_ETOOBIG over the size or row limit. */
int diagnosis_import_csv(const struct records_ctx *cx, const char *buf, size_t n,
                         struct diagnosis_import_report *rep, struct ly_error *e);

/* `lianyi import diagnoses FILE`: read FILE (at most the size limit), import
 * it, print a summary to out and each fault ("FILE:LINE: message") to err.
 * Returns the process exit status: 0 imported, 1 refused, 2 unreadable. */
int diagnosis_import_main(const struct records_ctx *cx, const char *path, FILE *out, FILE *err);

#endif
