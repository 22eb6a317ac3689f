/* insurance/coverage.h — a patient's coverage (plan, validity, personal
 * account) and annual accumulators, read-only. Only claim.c changes them,
 * inside a settlement or reversal transaction. */
#ifndef LY_INSURANCE_COVERAGE_H
#define LY_INSURANCE_COVERAGE_H

#include <jansson.h>
#include <stdint.h>

#include "core/ids.h"
#include "insurance/policy.h"

struct ly_db;

struct coverage {
  char patient_id[LY_ID_MAX];
  char plan_id[POLICY_PLAN_MAX];
  char plan_name[POLICY_NAME_MAX];
  char plan_name_en[POLICY_NAME_MAX];
  char insured_no[64];
  int has_account; /* the plan has a personal account */
  int64_t valid_from, valid_to;
  int64_t account_balance_fen;
};

/* LY_ENOTFOUND when the patient has no coverage row. */
int coverage_get(struct ly_db *db, const char *patient_id, struct coverage *out);

/* This year's deductible used at level and fund paid over all levels. Zero
 * when nothing was settled yet. */
int coverage_accum(struct ly_db *db, const char *patient_id, int year, const char *level,
                   int64_t *deductible_used, int64_t *fund_paid);

/* What the patient sees (GET /api/v1/me/coverage): the coverage, and for the
 * business year of now_ms and each facility level the terms in force and what
 * is left: {"plan_id","plan_name","plan_name_en","insured_no","valid_from",
 * "valid_to","has_account","account_balance_fen","year","fund_paid_fen",
 * "levels":[{"facility_level","ratio_bp","deductible_fen","deductible_used_fen",
 * "deductible_remaining_fen","cap_fen","cap_remaining_fen"}]}.
 * LY_ENOTFOUND when the patient has no coverage. */
int coverage_summary_json(struct ly_db *db, const char *patient_id, int64_t now_ms, json_t **out);

#endif
