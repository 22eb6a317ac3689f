/* records/careplan.h — chronic care plans from the family doctor and the
 * alerts they raise on the doctor's console: a vital outside the plan's
 * target, or a follow-up that did not happen by its date.
 */
#ifndef LY_RECORDS_CAREPLAN_H
#define LY_RECORDS_CAREPLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"

struct records_ctx;
struct records_actor;
struct ly_error;

#define CAREPLAN_MAX_TARGETS 4

/* Bounds of a vital kind; has_* = 0 leaves that side open. */
struct careplan_target {
  const char *kind; /* bp | glucose | weight | heart_rate */
  int has_low1, has_high1, has_low2, has_high2;
  double low1, high1, low2, high2;
};

struct careplan_new {
  const char *patient_id;
  const char *icd10;
  int follow_up_days; /* 1-366 */
  const char *note;
  const struct careplan_target *targets;
  size_t ntargets;
};

/* A doctor sets up a plan; the first follow-up is due follow_up_days from now. */
int careplan_create(const struct records_ctx *cx, const struct records_actor *who,
                    const struct careplan_new *in, char id_out[LY_ID_MAX], struct ly_error *e);
/* The plan's doctor records a follow-up: the next one is due in follow_up_days. */
int careplan_followup(const struct records_ctx *cx, const struct records_actor *who, const char *plan_id,
                      struct ly_error *e);
/* The plan's doctor ends a plan (no more alerts). */
int careplan_close(const struct records_ctx *cx, const struct records_actor *who, const char *plan_id,
                   struct ly_error *e);
/* A patient's plans with their targets (JSON array). */
int careplan_list(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                  json_t **out, struct ly_error *e);

/* Inside the caller's transaction (vitals_add): raise an out_of_range alert
 * for every active plan of the patient whose target for kind the value
 * misses. *raised counts them. */
int careplan_check_vital(const struct records_ctx *cx, const char *patient_id, const char *vital_id,
                         const char *kind, double v1, int has_v2, double v2, int *raised);

/* The job: a missed_follow_up alert for every active plan whose follow-up
 * is overdue at now (once per due date). *created counts new alerts. */
int careplan_check_missed(const struct records_ctx *cx, int *created);

/* The doctor's alerts, newest first; open_only: not yet acknowledged. */
int careplan_alerts(const struct records_ctx *cx, const struct records_actor *who, int open_only,
                    json_t **out, struct ly_error *e);
/* The alert's doctor acknowledges it (LY_ESTATE when already done). */
int careplan_ack(const struct records_ctx *cx, const struct records_actor *who, const char *alert_id,
                 struct ly_error *e);

#endif
