/* server/demo_catalog.c — reference tables copied from the TSVs: conditions,
 * the formulary, insurance plans and one policy version (rates, category
 * shares, fee schedule). Drug, condition and plan facts the later steps need
 * (stock, diagnoses, coverage) are kept in the seeding context.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "server/demo.h"
#include "server/demo_internal.h"

#define CAT_POLICY_FROM "2026-01-01" /* the demo policy's effective date */

static int cat_open(struct demo_ctx *cx, const char *file, const char *const *cols, int *c, int n) {
  struct demo_tsv *t = &cx->plan->tsv;
  int rc = demo_tsv_open(t, ly_demo_files, file);
  if (rc == 0) rc = demo_tsv_columns(t, cols, c, n);
  return rc ? demo_fail_tsv(cx, rc) : LY_OK;
}

static int cat_conditions(struct demo_ctx *cx) {
  static const char *const cols[] = {"icd10", "name_zh", "name_en", "chronic", "prevalence_weight"};
  static const char *sql = "INSERT INTO conditions (icd10, name, name_en, chronic) VALUES (?1, ?2, ?3, ?4)";
  struct demo_tsv *t = &cx->plan->tsv;
  int c[5], rc;
  int64_t chronic, weight;
  if ((rc = cat_open(cx, "conditions.tsv", cols, c, 5))) return rc;
  while ((rc = demo_tsv_next(t)) == 1) {
    if (cx->nconditions >= DEMO_MAX_CONDITIONS)
      return demo_fail(cx, LY_ETOOBIG, "conditions.tsv: too many rows");
    if ((rc = demo_tsv_int(t, c[3], 0, 1, &chronic)) || (rc = demo_tsv_int(t, c[4], 0, 100000, &weight)))
      return demo_fail_tsv(cx, rc);
    struct demo_condition *k = &cx->conditions[cx->nconditions++];
    snprintf(k->icd10, sizeof k->icd10, "%s", demo_tsv_get(t, c[0]));
    k->chronic = (int)chronic;
    k->weight = (int)weight;
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare conditions");
    for (int i = 0; i < 3; i++)
      ly_db_bind_text(st, i + 1, demo_tsv_get(t, c[i]));
    ly_db_bind_int(st, 4, chronic);
    if ((rc = demo_step(cx, st, "insert condition"))) return rc;
  }
  return rc < 0 ? demo_fail_tsv(cx, rc) : LY_OK;
}

enum {
  D_ID,
  D_ZH,
  D_EN,
  D_PY,
  D_ATC,
  D_FORM,
  D_STRENGTH,
  D_PACK,
  D_UNIT,
  D_PRICE,
  D_CAT,
  D_CTRL,
  D_ANTI,
  D_DAILY,
  D_CHRONIC,
  D_NCOLS
};

/* Bind one formulary row (values range-checked here; the schema's CHECKs
 * catch a bad category or controlled class). */
static int cat_drug_bind(struct demo_ctx *cx, sqlite3_stmt *st, const int *c) {
  struct demo_tsv *t = &cx->plan->tsv;
  int64_t pack, price, anti, chronic;
  double daily;
  int rc;
  if ((rc = demo_tsv_int(t, c[D_PACK], 1, 100000, &pack)) ||
      (rc = demo_tsv_int(t, c[D_PRICE], 0, 100000000, &price)) ||
      (rc = demo_tsv_int(t, c[D_ANTI], 0, 1, &anti)) ||
      (rc = demo_tsv_int(t, c[D_CHRONIC], 0, 1, &chronic)) || (rc = demo_tsv_real(t, c[D_DAILY], &daily)))
    return demo_fail_tsv(cx, rc);
  for (int i = D_ID; i <= D_UNIT; i++)
    if (i != D_PACK) ly_db_bind_text(st, i + 1, demo_tsv_get(t, c[i]));
  ly_db_bind_int(st, D_PACK + 1, pack);
  ly_db_bind_int(st, D_PRICE + 1, price);
  ly_db_bind_text(st, D_CAT + 1, demo_tsv_get(t, c[D_CAT]));
  ly_db_bind_text(st, D_CTRL + 1, demo_tsv_get(t, c[D_CTRL]));
  ly_db_bind_int(st, D_ANTI + 1, anti);
  sqlite3_bind_double(st, D_DAILY + 1, daily);
  ly_db_bind_int(st, D_CHRONIC + 1, chronic);
  struct demo_drug *d = &cx->drugs[cx->ndrugs];
  snprintf(d->id, sizeof d->id, "%s", demo_tsv_get(t, c[D_ID]));
  snprintf(d->controlled, sizeof d->controlled, "%s", demo_tsv_get(t, c[D_CTRL]));
  snprintf(d->form, sizeof d->form, "%s", demo_tsv_get(t, c[D_FORM]));
  d->chronic_use = (int)chronic;
  d->tcm = !strcmp(demo_tsv_get(t, c[D_ATC]), "-");
  return LY_OK;
}

static int cat_drugs(struct demo_ctx *cx) {
  static const char *const cols[D_NCOLS] = {"id",
                                            "generic_zh",
                                            "generic_en",
                                            "pinyin_initials",
                                            "atc",
                                            "form",
                                            "strength",
                                            "pack_size",
                                            "unit_zh",
                                            "price_fen",
                                            "category",
                                            "controlled",
                                            "antimicrobial",
                                            "default_daily_units",
                                            "chronic_use"};
  static const char *sql =
      "INSERT INTO drugs (id, generic_name, generic_en, pinyin, atc, form, strength, pack_size, unit, "
      "price_fen,"
      " category, controlled, antimicrobial, default_daily_units, chronic_use)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
  struct demo_tsv *t = &cx->plan->tsv;
  int c[D_NCOLS], rc;
  if ((rc = cat_open(cx, "formulary.tsv", cols, c, D_NCOLS))) return rc;
  while ((rc = demo_tsv_next(t)) == 1) {
    if (cx->ndrugs >= DEMO_MAX_DRUGS) return demo_fail(cx, LY_ETOOBIG, "formulary.tsv: too many rows");
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare drugs");
    if ((rc = cat_drug_bind(cx, st, c))) {
      sqlite3_reset(st);
      return rc;
    }
    if ((rc = demo_step(cx, st, "insert drug"))) {
      char why[sizeof cx->err];
      snprintf(why, sizeof why, "%s", cx->err);
      return demo_fail(cx, rc, "formulary.tsv:%d: %s", t->line, why);
    }
    cx->ndrugs++;
  }
  return rc < 0 ? demo_fail_tsv(cx, rc) : LY_OK;
}

/* insurance_params.tsv: key → value (integer); LY_ENOTFOUND when absent. */
static int cat_param(struct demo_ctx *cx, const char *key, int64_t *out) {
  static const char *const cols[] = {"key", "value"};
  struct demo_tsv *t = &cx->plan->tsv;
  int c[2], rc;
  if ((rc = cat_open(cx, "insurance_params.tsv", cols, c, 2))) return rc;
  while ((rc = demo_tsv_next(t)) == 1)
    if (!strcmp(demo_tsv_get(t, c[0]), key))
      return (rc = demo_tsv_int(t, c[1], 0, INT64_MAX / 4, out)) ? demo_fail_tsv(cx, rc) : LY_OK;
  if (rc < 0) return demo_fail_tsv(cx, rc);
  return demo_fail(cx, LY_ENOTFOUND, "insurance_params.tsv: no key '%s'", key);
}

static int cat_plan_params(struct demo_ctx *cx) {
  char key[96];
  int64_t v;
  int rc;
  for (int i = 0; i < cx->nplans; i++) {
    struct demo_insurance_plan *pl = &cx->plans[i];
    snprintf(key, sizeof key, "plan_weight.%s", pl->id);
    if ((rc = cat_param(cx, key, &v))) return rc;
    pl->weight = (int)v;
    snprintf(key, sizeof key, "personal_account_initial_fen.%s", pl->id);
    if ((rc = cat_param(cx, key, &v))) return rc;
    pl->opening_fen = pl->has_account ? v : 0;
  }
  if ((rc = cat_param(cx, "plan_weight.uninsured", &v))) return rc;
  cx->uninsured_weight = (int)v;
  return LY_OK;
}

static int cat_plans(struct demo_ctx *cx) {
  static const char *const cols[] = {"id", "name_zh", "name_en", "has_personal_account"};
  static const char *sql =
      "INSERT INTO insurance_plans (id, name, name_en, has_personal_account) VALUES (?1, ?2, ?3, ?4)";
  struct demo_tsv *t = &cx->plan->tsv;
  int c[4], rc;
  int64_t has;
  if ((rc = cat_open(cx, "insurance_plans.tsv", cols, c, 4))) return rc;
  while ((rc = demo_tsv_next(t)) == 1) {
    if (cx->nplans >= DEMO_MAX_PLANS) return demo_fail(cx, LY_ETOOBIG, "insurance_plans.tsv: too many rows");
    if ((rc = demo_tsv_int(t, c[3], 0, 1, &has))) return demo_fail_tsv(cx, rc);
    struct demo_insurance_plan *pl = &cx->plans[cx->nplans++];
    snprintf(pl->id, sizeof pl->id, "%s", demo_tsv_get(t, c[0]));
    pl->has_account = (int)has;
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare insurance_plans");
    for (int i = 0; i < 3; i++)
      ly_db_bind_text(st, i + 1, demo_tsv_get(t, c[i]));
    ly_db_bind_int(st, 4, has);
    if ((rc = demo_step(cx, st, "insert insurance plan"))) return rc;
  }
  if (rc < 0) return demo_fail_tsv(cx, rc);
  return cat_plan_params(cx);
}

static int cat_rates(struct demo_ctx *cx, const char *version) {
  static const char *const cols[] = {"plan_id", "facility_level", "ratio_bp", "deductible_fen", "cap_fen"};
  static const char *sql =
      "INSERT INTO policy_rates (version_id, plan_id, facility_level, ratio_bp, deductible_fen, cap_fen)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  struct demo_tsv *t = &cx->plan->tsv;
  int c[5], rc;
  int64_t v[3];
  if ((rc = cat_open(cx, "insurance_policy.tsv", cols, c, 5))) return rc;
  while ((rc = demo_tsv_next(t)) == 1) {
    if ((rc = demo_tsv_int(t, c[2], 0, 10000, &v[0])) || (rc = demo_tsv_int(t, c[3], 0, INT32_MAX, &v[1])) ||
        (rc = demo_tsv_int(t, c[4], 0, INT32_MAX, &v[2])))
      return demo_fail_tsv(cx, rc);
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare policy_rates");
    ly_db_bind_text(st, 1, version);
    ly_db_bind_text(st, 2, demo_tsv_get(t, c[0]));
    ly_db_bind_text(st, 3, demo_tsv_get(t, c[1]));
    for (int i = 0; i < 3; i++)
      ly_db_bind_int(st, 4 + i, v[i]);
    if ((rc = demo_step(cx, st, "insert policy rate"))) return rc;
  }
  return rc < 0 ? demo_fail_tsv(cx, rc) : LY_OK;
}

/* 甲 fully in scope, 乙 a self-pay share first (insurance_params), 丙 self-paid. */
static int cat_categories(struct demo_ctx *cx, const char *version) {
  static const char *sql =
      "INSERT INTO policy_categories (version_id, category, self_pay_bp) VALUES (?1, ?2, ?3)";
  static const char *const cats[] = {"甲", "乙", "丙"};
  int64_t yi = 0, bing_covered = 0;
  int rc;
  if ((rc = cat_param(cx, "drug_yi_self_pay_bp", &yi)) ||
      (rc = cat_param(cx, "drug_bing_covered", &bing_covered)))
    return rc;
  if (yi > 10000) return demo_fail(cx, LY_EPARSE, "insurance_params.tsv: drug_yi_self_pay_bp over 10000");
  const int64_t bp[] = {0, yi, bing_covered ? 0 : 10000};
  for (int i = 0; i < 3; i++) {
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare policy_categories");
    ly_db_bind_text(st, 1, version);
    ly_db_bind_text(st, 2, cats[i]);
    ly_db_bind_int(st, 3, bp[i]);
    if ((rc = demo_step(cx, st, "insert policy category"))) return rc;
  }
  return LY_OK;
}

/* fee_schedule.tsv: '-' (no level / no title) is stored as 'any'; the
 * DELIVERY item is covered only if insurance_params says so (it says 0). */
static int cat_fees(struct demo_ctx *cx, const char *version) {
  static const char *const cols[] = {"item_code",      "name_zh",      "name_en",
                                     "facility_level", "doctor_title", "price_fen"};
  static const char *sql =
      "INSERT INTO fee_schedule (version_id, item_code, name, name_en, facility_level, doctor_title, "
      "price_fen,"
      " covered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
  struct demo_tsv *t = &cx->plan->tsv;
  int c[6], rc;
  int64_t price, delivery_covered = 0;
  if ((rc = cat_param(cx, "delivery_fee_covered", &delivery_covered))) return rc;
  if ((rc = cat_open(cx, "fee_schedule.tsv", cols, c, 6))) return rc;
  while ((rc = demo_tsv_next(t)) == 1) {
    if ((rc = demo_tsv_int(t, c[5], 0, INT32_MAX, &price))) return demo_fail_tsv(cx, rc);
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare fee_schedule");
    ly_db_bind_text(st, 1, version);
    for (int i = 0; i < 5; i++) {
      const char *v = demo_tsv_get(t, c[i]);
      ly_db_bind_text(st, i + 2, (i >= 3 && !strcmp(v, "-")) ? "any" : v);
    }
    ly_db_bind_int(st, 7, price);
    ly_db_bind_int(st, 8, strcmp(demo_tsv_get(t, c[0]), "DELIVERY") ? 1 : delivery_covered != 0);
    if ((rc = demo_step(cx, st, "insert fee item"))) return rc;
  }
  return rc < 0 ? demo_fail_tsv(cx, rc) : LY_OK;
}

/* One version, in force from 2026-01-01 00:00 CST (or from the start of the
 * current year if the clock is earlier, so that a policy is always in force). */
static int cat_policy(struct demo_ctx *cx) {
  static const char *sql =
      "INSERT INTO policy_versions (id, effective_from, note, created_by, created_at) VALUES (?1, ?2, ?3, "
      "?4, ?5)";
  char version[LY_ID_MAX];
  int64_t from;
  int rc = demo_rand_id("pol", "policy", 0, version, sizeof version);
  if (rc == 0) rc = ly_time_parse(CAT_POLICY_FROM, &from);
  if (rc) return demo_fail(cx, rc, "policy version id");
  from -= DEMO_TZ_OFFSET_MS;
  if (cx->year_from < from) from = cx->year_from;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare policy_versions");
  ly_db_bind_text(st, 1, version);
  ly_db_bind_int(st, 2, from);
  ly_db_bind_text(st, 3, "演示政策（深圳坪山，2026）/ demo policy");
  ly_db_bind_text(st, 4, cx->plan->admin.account_id);
  ly_db_bind_int(st, 5, cx->now);
  if ((rc = demo_step(cx, st, "insert policy version"))) return rc;
  if ((rc = cat_rates(cx, version)) || (rc = cat_categories(cx, version)) || (rc = cat_fees(cx, version)))
    return rc;
  return LY_OK;
}

int demo_catalog_write(struct demo_ctx *cx) {
  int rc;
  if ((rc = cat_conditions(cx)) || (rc = cat_drugs(cx)) || (rc = cat_plans(cx)) || (rc = cat_policy(cx)))
    return rc;
  return LY_OK;
}
