/* records/lab.h — lab and exam orders (检验检查单) and their results.
 *
 * States: ordered → scheduled → resulted, ordered → resulted (walk-in),
 * ordered/scheduled → cancelled; a scheduled order may be rescheduled. The
 * transitions are one table in lab.c naming who may make each: the ordering
 * doctor, or staff (a doctor account) of the performing facility. Results
 * (values with units and reference ranges, or a report file, or both) are
 * attached by the performing facility and visible to the ordering doctor and
 * the patient. Every change is one transaction with its event and audit entry.
 */
#ifndef LY_RECORDS_LAB_H
#define LY_RECORDS_LAB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"

struct records_ctx;
struct records_actor;
struct ly_error;

#define LAB_MAX_RESULTS 50

struct lab_order_new {
  const char *patient_id;
  const char *consultation_id; /* may be NULL */
  const char *facility_id;     /* the performing facility */
  const char *kind;            /* "lab" | "exam" */
  const char *code;            /* e.g. "HBA1C", 1-32 printable ASCII */
  const char *name;            /* e.g. "糖化血红蛋白" */
  const char *clinical_note;
};

int lab_order(const struct records_ctx *cx, const struct records_actor *who, const struct lab_order_new *in,
              char id_out[LY_ID_MAX], struct ly_error *e);

/* Performing facility: set (or move) the appointment time. */
int lab_schedule(const struct records_ctx *cx, const struct records_actor *who, const char *order_id,
                 int64_t when, struct ly_error *e);

struct lab_result_in {
  const char *analyte;
  const char *value; /* as reported: "7.2", "阴性" */
  const char *unit;
  int has_num; /* value is numeric: num holds it */
  double num;
  int has_low, has_high;
  double low, high; /* reference range */
  const char *ref_text;
};

struct lab_report {
  const char *summary;
  const struct lab_result_in *rows;
  size_t nrows;
  const char *content_type; /* optional report file */
  const void *doc;
  size_t doc_len;
};

/* Performing facility: attach results; flags H/L/N come from the ranges. */
int lab_result(const struct records_ctx *cx, const struct records_actor *who, const char *order_id,
               const struct lab_report *in, struct ly_error *e);

/* Ordering doctor or performing facility, with a reason. */
int lab_cancel(const struct records_ctx *cx, const struct records_actor *who, const char *order_id,
               const char *reason, struct ly_error *e);

/* {id, patient_id, consultation_id, doctor_id, facility_id, kind, code, name,
 *  clinical_note, state, scheduled_for, resulted_at, summary,
 *  report_document_id, cancel_reason, created_at, updated_at,
 *  results:[{analyte, value, value_num, unit, ref_low, ref_high, ref_text, flag}]} */
int lab_get(const struct records_ctx *cx, const struct records_actor *who, const char *order_id, json_t **out,
            struct ly_error *e);
/* A patient's orders, newest first (without results). */
int lab_list(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
             json_t **out, struct ly_error *e);
/* The order's patient, ordering doctor and performing facility, for the
 * caller's authorisation check (LY_ENOTFOUND). Any out may be NULL. */
int lab_parties(const struct records_ctx *cx, const char *order_id, char patient_out[LY_ID_MAX],
                char doctor_out[LY_ID_MAX], char facility_out[LY_ID_MAX]);

#endif
