/* records/vitals.h — vitals patients log at home (blood pressure, glucose,
 * weight, heart rate). Each new value is checked against the targets of the
 * patient's active care plans (records/careplan.h) in the same transaction;
 * an out-of-range value raises an alert on the family doctor's console.
 */
#ifndef LY_RECORDS_VITALS_H
#define LY_RECORDS_VITALS_H

#include <jansson.h>
#include <stdint.h>

#include "core/ids.h"

struct records_ctx;
struct records_actor;
struct ly_error;

/* kind and plausible ranges (anything outside is a typing error):
 *   bp          value1 systolic 40-300 mmHg, value2 diastolic 20-200 (required, < systolic)
 *   glucose     value1 0.5-50 mmol/L
 *   weight      value1 1-500 kg
 *   heart_rate  value1 20-300 /min */
struct vitals_new {
  const char *patient_id;
  const char *kind;
  double value1;
  int has_value2;
  double value2;
  int64_t measured_at; /* not more than 5 minutes ahead, not over a year back */
  const char *note;
};

/* The patient (for themselves) or a doctor. *alerts_out (may be NULL) is the
 * number of out-of-range alerts raised. */
int vitals_add(const struct records_ctx *cx, const struct records_actor *who, const struct vitals_new *in,
               char id_out[LY_ID_MAX], int *alerts_out, struct ly_error *e);

/* A patient's vitals since since_ms (0: all), oldest first; kind NULL: all.
 * JSON array of {id, kind, value1, value2, measured_at, recorded_by, note}. */
int vitals_list(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                const char *kind, int64_t since_ms, json_t **out, struct ly_error *e);

#endif
