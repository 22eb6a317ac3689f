/* records/lab_internal.h — shared between lab.c and lab_result.c only. */
#ifndef LY_RECORDS_LAB_INTERNAL_H
#define LY_RECORDS_LAB_INTERNAL_H

#include "core/ids.h"

struct records_ctx;
struct records_actor;
struct ly_error;

struct lab_row {
  char id[LY_ID_MAX];
  char patient_id[LY_ID_MAX];
  char doctor_id[LY_ID_MAX];
  char facility_id[LY_ID_MAX];
  char state[16];
  char kind[8];
};

/* Load an order's keys (LY_ENOTFOUND records.lab_order_not_found). */
int lab_load(const struct records_ctx *cx, const char *id, struct lab_row *o, struct ly_error *e);
/* Apply a transition of the table (inside the caller's transaction). */
int lab_move(const struct records_ctx *cx, const struct records_actor *who, struct lab_row *o,
             const char *action, const char *reason, struct ly_error *e);

#endif
