/* insurance/policy.h — the insurance policy as data, versioned by effective
 * date (tables of core/migrations/0002_district.sql).
 *
 * A claim uses the version in force on its service date: the one with the
 * greatest effective_from <= service date. A version is complete in itself
 * (rates for every plan × facility level, the category self-pay shares and
 * the fee schedule); an admin edit never changes a stored version, it makes
 * a new one that starts from the version before it and overrides what the
 * edit names.
 */
#ifndef LY_INSURANCE_POLICY_H
#define LY_INSURANCE_POLICY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "insurance/adjudicate.h"

struct ly_db;
struct ly_error;

#define POLICY_PLAN_MAX  32 /* bytes of a plan id, NUL included */
#define POLICY_LEVEL_MAX 16
#define POLICY_CODE_MAX  48 /* fee item codes */
#define POLICY_NAME_MAX  128
#define POLICY_MAX_RATES 64 /* rates / fee rows in one edit */
#define POLICY_MAX_FEES  256

/* "community" | "secondary" | "tertiary" */
int policy_level_valid(const char *level);

/* Everything adjudication needs for one plan × level in one version. */
struct policy_terms {
  char version_id[LY_ID_MAX];
  int64_t effective_from;
  char plan_id[POLICY_PLAN_MAX];
  char level[POLICY_LEVEL_MAX];
  struct adjudicate_policy adj;
};

/* The version in force at at_ms. LY_ENOTFOUND (code "insurance.no_policy")
 * when no version starts on or before it. */
int policy_version_at(struct ly_db *db, int64_t at_ms, char *version_id, size_t idsz, int64_t *effective_from,
                      struct ly_error *e);

/* Terms of plan × level in version_id (from policy_version_at). LY_ENOTFOUND
 * with code "insurance.unknown_plan" when the version has no rate for them. */
int policy_terms_load(struct ly_db *db, const char *version_id, int64_t effective_from, const char *plan_id,
                      const char *level, struct policy_terms *out, struct ly_error *e);

/* One fee item of the schedule. */
struct policy_fee {
  char name[POLICY_NAME_MAX];
  int64_t price_fen;
  int covered;
};
/* The price of item_code at level for a doctor of doctor_title (NULL: any),
 * the most specific row first: exact, then title 'any', then level 'any'.
 * LY_ENOTFOUND when the schedule has no such item. */
int policy_fee_lookup(struct ly_db *db, const char *version_id, const char *item_code, const char *level,
                      const char *doctor_title, struct policy_fee *out);

/* An admin edit: a new version effective from effective_from (>= now: no
 * policy changes the past). Rates / fee rows given here replace the same
 * plan × level / item × level × title of the version before it; the rest is
 * copied. set_categories replaces the self-pay shares (丙 must stay 10000). */
struct policy_rate_in {
  const char *plan_id;
  const char *level;
  int64_t ratio_bp, deductible_fen, cap_fen;
};
struct policy_fee_in {
  const char *item_code, *name, *name_en, *level, *doctor_title;
  int64_t price_fen;
  int covered;
};
struct policy_change {
  int64_t effective_from;
  const char *note;
  size_t nrates;
  const struct policy_rate_in *rates;
  int set_categories;
  int64_t self_pay_bp[3]; /* 甲, 乙, 丙 */
  size_t nfees;
  const struct policy_fee_in *fees;
};

/* Create the version in one transaction with its audit entry ("policy.create").
 * Refusals (LY_EINVAL / LY_EEXIST, e filled): insurance.policy_in_past,
 * insurance.policy_exists (a version already starts then), insurance.unknown_plan,
 * insurance.invalid_policy (ranges, levels, a first version without rates).
 * On success version_id (>= LY_ID_MAX bytes) holds the new id. */
int policy_create(struct ly_db *db, int64_t now_ms, const char *actor_id, const char *actor_role,
                  const struct policy_change *c, char *version_id, size_t idsz, struct ly_error *e);

/* All versions, newest first, with their rates, category shares and fee
 * schedule: [{"id","effective_from","note","created_by","created_at",
 * "rates":[{"plan_id","facility_level","ratio_bp","deductible_fen","cap_fen"}],
 * "categories":{"甲":0,"乙":1000,"丙":10000},"fees":[…]}]. *out is a new reference. */
int policy_list_json(struct ly_db *db, json_t **out);

#endif
