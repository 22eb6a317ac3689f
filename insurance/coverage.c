/* insurance/coverage.c — coverage and accumulator reads. */
#include "insurance/coverage.h"

#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "insurance/insurance_internal.h"

int coverage_get(struct ly_db *db, const char *patient_id, struct coverage *out) {
  static const char *sql =
      "SELECT c.plan_id, p.name, p.name_en, c.insured_no, p.has_personal_account, c.valid_from, c.valid_to,"
      " c.account_balance_fen FROM coverage c JOIN insurance_plans p ON p.id = c.plan_id WHERE c.patient_id "
      "= ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    memset(out, 0, sizeof *out);
    ins_copy(out->patient_id, sizeof out->patient_id, patient_id);
    ins_copy(out->plan_id, sizeof out->plan_id, ly_db_col_text(st, 0));
    ins_copy(out->plan_name, sizeof out->plan_name, ly_db_col_text(st, 1));
    ins_copy(out->plan_name_en, sizeof out->plan_name_en, ly_db_col_text(st, 2));
    ins_copy(out->insured_no, sizeof out->insured_no, ly_db_col_text(st, 3));
    out->has_account = sqlite3_column_int(st, 4) != 0;
    out->valid_from = sqlite3_column_int64(st, 5);
    out->valid_to = sqlite3_column_int64(st, 6);
    out->account_balance_fen = sqlite3_column_int64(st, 7);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}

int coverage_accum(struct ly_db *db, const char *patient_id, int year, const char *level,
                   int64_t *deductible_used, int64_t *fund_paid) {
  static const char *sql =
      "SELECT facility_level, deductible_used_fen, fund_paid_fen FROM insurance_accumulators"
      " WHERE patient_id = ?1 AND year = ?2";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  ly_db_bind_int(st, 2, year);
  *deductible_used = 0;
  *fund_paid = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (level && strcmp(ly_db_col_text(st, 0), level) == 0) *deductible_used = sqlite3_column_int64(st, 1);
    *fund_paid += sqlite3_column_int64(st, 2);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static const char *const levels[3] = {"community", "secondary", "tertiary"};

/* One level's terms and what is left of them; NULL terms when the plan has
 * no rate at that level in the version in force. */
static json_t *coverage_level_json(struct ly_db *db, const struct coverage *c, const char *version,
                                   int64_t effective_from, int year, const char *level) {
  struct policy_terms t;
  int64_t used = 0, fund = 0;
  if (!version[0] || policy_terms_load(db, version, effective_from, c->plan_id, level, &t, NULL)) return NULL;
  if (coverage_accum(db, c->patient_id, year, level, &used, &fund)) return NULL;
  int64_t ded_left = t.adj.deductible_fen - used, cap_left = t.adj.cap_fen - fund;
  return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "facility_level", level, "ratio_bp",
                   (json_int_t)t.adj.ratio_bp, "deductible_fen", (json_int_t)t.adj.deductible_fen,
                   "deductible_used_fen", (json_int_t)used, "deductible_remaining_fen",
                   (json_int_t)(ded_left > 0 ? ded_left : 0), "cap_fen", (json_int_t)t.adj.cap_fen,
                   "cap_remaining_fen", (json_int_t)(cap_left > 0 ? cap_left : 0));
}

int coverage_summary_json(struct ly_db *db, const char *patient_id, int64_t now_ms, json_t **out) {
  struct coverage c;
  int rc = coverage_get(db, patient_id, &c);
  if (rc) return rc;
  int year = ins_year(now_ms);
  int64_t used, fund, effective_from = 0;
  char version[LY_ID_MAX] = "";
  if ((rc = coverage_accum(db, patient_id, year, NULL, &used, &fund))) return rc;
  if (policy_version_at(db, now_ms, version, sizeof version, &effective_from, NULL) != 0) version[0] = '\0';
  json_t *lv = json_array();
  for (int i = 0; lv && i < 3; i++) {
    json_t *l = coverage_level_json(db, &c, version, effective_from, year, levels[i]);
    if (l) json_array_append_new(lv, l);
  }
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:I, s:i, s:I, s:s, s:o*}", "plan_id", c.plan_id,
                "plan_name", c.plan_name, "plan_name_en", c.plan_name_en, "insured_no", c.insured_no,
                "valid_from", (json_int_t)c.valid_from, "valid_to", (json_int_t)c.valid_to, "has_account",
                c.has_account, "account_balance_fen", (json_int_t)c.account_balance_fen, "year", year,
                "fund_paid_fen", (json_int_t)fund, "policy_version_id", version, "levels", lv);
  if (!o) return LY_ENOMEM;
  *out = o;
  return 0;
}
