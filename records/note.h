/* records/note.h — consultation notes: chief complaint, history, findings,
 * ICD-10 diagnoses, advice; signed by the consultation's doctor.
 *
 * One lineage of versions per consultation. Saving edits the newest version
 * while it is a draft; once signed it is immutable (also enforced by
 * triggers in 0004) and saving again starts a correction: a new version that
 * supersedes the signed one, states why, and keeps the old one readable.
 * Signing serialises the note canonically (records/signature.h), signs it
 * with the doctor's Ed25519 key, and moves an ended consultation to
 * notes_signed in the same transaction.
 */
#ifndef LY_RECORDS_NOTE_H
#define LY_RECORDS_NOTE_H

#include <jansson.h>
#include <stddef.h>

#include "core/ids.h"

struct records_ctx;
struct records_actor;
struct ly_error;

#define NOTE_SHORT_MAX     2000 /* chief complaint */
#define NOTE_LONG_MAX      8000 /* history, findings, advice */
#define NOTE_MAX_DIAGNOSES 10

struct note_input {
  const char *chief_complaint;
  const char *history;
  const char *findings;
  const char *advice;
  const char *const *icd10; /* ICD-10 codes, the first is the main diagnosis */
  size_t nicd10;
  const char *correction_reason; /* required when the newest version is signed */
};

/* Create or update the draft of consultation_id's note (see above). Only the
 * consultation's doctor, while the consultation is called, in_call, ended
 * or notes_signed. id_out receives the draft's id. */
int note_save(const struct records_ctx *cx, const struct records_actor *who, const char *consultation_id,
              const struct note_input *in, char id_out[LY_ID_MAX], struct ly_error *e);

/* Sign a draft. LY_ESTATE (records.note_signed) when already signed,
 * LY_EDENIED (records.note_incomplete) without chief complaint or diagnosis,
 * LY_EFORBIDDEN (records.not_note_author) for anyone but its doctor. */
int note_sign(const struct records_ctx *cx, const struct records_actor *who, const char *note_id,
              struct ly_error *e);

/* One version as JSON {id, consultation_id, version, supersedes, patient_id,
 * doctor_id, chief_complaint, history, findings, advice, diagnoses:[{icd10,
 * name}], correction_reason, created_at, updated_at, signed_at, signed}. */
int note_get(const struct records_ctx *cx, const struct records_actor *who, const char *note_id, json_t **out,
             struct ly_error *e);

/* Every version of a consultation's note, oldest first (JSON array). */
int note_list(const struct records_ctx *cx, const struct records_actor *who, const char *consultation_id,
              json_t **out, struct ly_error *e);

/* The signed envelope of a signed version (records/signature.h). */
int note_signed(const struct records_ctx *cx, const struct records_actor *who, const char *note_id,
                json_t **out, struct ly_error *e);

/* The patient of a note or consultation, for the caller's authorisation
 * check (LY_ENOTFOUND). */
int note_patient(const struct records_ctx *cx, const char *note_id, char patient_out[LY_ID_MAX]);
int note_consultation_patient(const struct records_ctx *cx, const char *consultation_id,
                              char patient_out[LY_ID_MAX]);

#endif
