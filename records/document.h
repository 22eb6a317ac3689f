/* records/document.h — files attached to a patient's record: the evidence
 * behind an uploaded offline diagnosis, a lab or exam report.
 *
 * Accepted: JPEG, PNG and PDF, recognised by their first bytes (the declared
 * content type must agree), 1 byte to DOCUMENT_MAX bytes.
 */
#ifndef LY_RECORDS_DOCUMENT_H
#define LY_RECORDS_DOCUMENT_H

#include <stddef.h>

#include "core/ids.h"

struct records_ctx;
struct records_actor;
struct ly_error;

#define DOCUMENT_MAX (5 * 1024 * 1024)

/* kind: "diagnosis_evidence" | "lab_report" | "exam_report". Must be called
 * inside the caller's transaction (the caller audits the whole action).
 * LY_ETOOBIG (records.document_too_large), LY_EINVAL (records.document_type). */
int document_store(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                   const char *kind, const char *content_type, const void *data, size_t n,
                   char id_out[LY_ID_MAX], struct ly_error *e);

/* A stored document (malloc'd data, caller frees with document_free). */
struct document {
  char id[LY_ID_MAX];
  char patient_id[LY_ID_MAX];
  char kind[32];
  char content_type[32];
  void *data;
  size_t size;
};

/* Load a document and audit the read ("record.document_read"). Object-level
 * authorisation of the patient is the caller's. LY_ENOTFOUND. */
int document_get(const struct records_ctx *cx, const struct records_actor *who, const char *id,
                 struct document *out, struct ly_error *e);
void document_free(struct document *d);
/* The document's patient, for the caller's authorisation check (LY_ENOTFOUND). */
int document_patient(const struct records_ctx *cx, const char *id, char patient_out[LY_ID_MAX]);

#endif
