/* insurance/policy.c — loading the policy in force and making new versions. */
#include "insurance/policy.h"

#include <string.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/err.h"
#include "insurance/insurance_internal.h"

static const int64_t default_self_pay_bp[3] = {0, 1000, 10000};

int policy_level_valid(const char *level) {
  return level && (strcmp(level, "community") == 0 || strcmp(level, "secondary") == 0 ||
                   strcmp(level, "tertiary") == 0);
}

int policy_version_at(struct ly_db *db, int64_t at_ms, char *version_id, size_t idsz, int64_t *effective_from,
                      struct ly_error *e) {
  static const char *sql =
      "SELECT id, effective_from FROM policy_versions WHERE effective_from <= ?1"
      " ORDER BY effective_from DESC LIMIT 1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return ly_error_set(e, LY_EDB, NULL, ly_db_errmsg(db), NULL);
  ly_db_bind_int(st, 1, at_ms);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    ins_copy(version_id, idsz, ly_db_col_text(st, 0));
    if (effective_from) *effective_from = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "insurance.no_policy",
                        "No insurance policy was in force on the service date.",
                        "服务日期没有生效的医保政策。");
  if (rc != SQLITE_ROW) return ly_error_set(e, ly_db_rc(db, rc), NULL, ly_db_errmsg(db), NULL);
  return 0;
}

/* Category shares of a version; rows it lacks keep the defaults. */
static int policy_categories_load(struct ly_db *db, const char *version_id, int64_t bp[3]) {
  static const char *sql = "SELECT category, self_pay_bp FROM policy_categories WHERE version_id = ?1";
  memcpy(bp, default_self_pay_bp, sizeof default_self_pay_bp);
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, version_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    enum adjudicate_category c;
    if (adjudicate_category_parse(ly_db_col_text(st, 0), &c) == 0) bp[c] = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

int policy_terms_load(struct ly_db *db, const char *version_id, int64_t effective_from, const char *plan_id,
                      const char *level, struct policy_terms *out, struct ly_error *e) {
  static const char *sql =
      "SELECT r.ratio_bp, r.deductible_fen, r.cap_fen, p.has_personal_account FROM policy_rates r"
      " JOIN insurance_plans p ON p.id = r.plan_id"
      " WHERE r.version_id = ?1 AND r.plan_id = ?2 AND r.facility_level = ?3";
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return ly_error_set(e, LY_EDB, NULL, ly_db_errmsg(db), NULL);
  ly_db_bind_text(st, 1, version_id);
  ly_db_bind_text(st, 2, plan_id);
  ly_db_bind_text(st, 3, level);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    out->adj.ratio_bp = sqlite3_column_int64(st, 0);
    out->adj.deductible_fen = sqlite3_column_int64(st, 1);
    out->adj.cap_fen = sqlite3_column_int64(st, 2);
    out->adj.account_allowed = sqlite3_column_int(st, 3) != 0;
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "insurance.unknown_plan",
                        "The patient's insurance plan has no rates in the policy in force.",
                        "参保险种在现行医保政策中没有待遇标准。");
  if (rc != SQLITE_ROW) return ly_error_set(e, ly_db_rc(db, rc), NULL, ly_db_errmsg(db), NULL);
  rc = policy_categories_load(db, version_id, out->adj.self_pay_bp);
  if (rc) return ly_error_set(e, rc, NULL, ly_db_errmsg(db), NULL);
  ins_copy(out->version_id, sizeof out->version_id, version_id);
  ins_copy(out->plan_id, sizeof out->plan_id, plan_id);
  ins_copy(out->level, sizeof out->level, level);
  out->effective_from = effective_from;
  return 0;
}

/* Point look-ups in order of preference (an IN list would make SQLite build
 * an ephemeral table, and allocate its page cache, on every call). */
int policy_fee_lookup(struct ly_db *db, const char *version_id, const char *item_code, const char *level,
                      const char *doctor_title, struct policy_fee *out) {
  static const char *sql =
      "SELECT name, price_fen, covered FROM fee_schedule"
      " WHERE version_id = ?1 AND item_code = ?2 AND facility_level = ?3 AND doctor_title = ?4";
  const char *title = doctor_title ? doctor_title : "any";
  const char *try_level[4] = {level, level, "any", "any"};
  const char *try_title[4] = {title, "any", title, "any"};
  for (int i = 0; i < 4; i++) {
    if (i % 2 == 1 && strcmp(title, "any") == 0) continue; /* same as the row before */
    sqlite3_stmt *st = ly_db_stmt(db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, version_id);
    ly_db_bind_text(st, 2, item_code);
    ly_db_bind_text(st, 3, try_level[i]);
    ly_db_bind_text(st, 4, try_title[i]);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      ins_copy(out->name, sizeof out->name, ly_db_col_text(st, 0));
      out->price_fen = sqlite3_column_int64(st, 1);
      out->covered = sqlite3_column_int(st, 2) != 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return ly_db_rc(db, rc);
  }
  return LY_ENOTFOUND;
}

/* ---- admin edits ---------------------------------------------------------- */

static int invalid(struct ly_error *e, const char *field, const char *msg, const char *zh) {
  ly_error_set(e, LY_EINVAL, "insurance.invalid_policy", msg, zh);
  if (e) ins_copy(e->field, sizeof e->field, field);
  return LY_EINVAL;
}

static int policy_plan_exists(struct ly_db *db, const char *plan_id) {
  static const char *sql = "SELECT 1 FROM insurance_plans WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, plan_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 1;
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int policy_check_rates(struct ly_db *db, const struct policy_change *c, struct ly_error *e) {
  if (c->nrates > POLICY_MAX_RATES)
    return invalid(e, "rates", "Too many rates in one edit.", "单次修改的费率过多。");
  for (size_t i = 0; i < c->nrates; i++) {
    const struct policy_rate_in *r = &c->rates[i];
    int known = r->plan_id ? policy_plan_exists(db, r->plan_id) : 0;
    if (known < 0) return ly_error_set(e, known, NULL, ly_db_errmsg(db), NULL);
    if (!known) {
      ly_error_set(e, LY_EINVAL, "insurance.unknown_plan", "No such insurance plan.", "没有该参保险种。");
      if (e) snprintf(e->field, sizeof e->field, "rates[%zu].plan_id", i);
      return LY_EINVAL;
    }
    if (!policy_level_valid(r->level))
      return invalid(e, "rates.facility_level",
                     "The facility level must be community, secondary or tertiary.",
                     "机构级别必须是社区、二级或三级。");
    if (r->ratio_bp < 0 || r->ratio_bp > ADJUDICATE_BP_ONE)
      return invalid(e, "rates.ratio_bp", "The ratio is in basis points, 0 to 10000.",
                     "报销比例以万分比计，0 至 10000。");
    if (r->deductible_fen < 0 || r->cap_fen < 0 || r->deductible_fen > ADJUDICATE_MAX_UNIT_PRICE ||
        r->cap_fen > ADJUDICATE_MAX_UNIT_PRICE * 100)
      return invalid(e, "rates", "Deductible and cap must be non-negative amounts in fen.",
                     "起付线和封顶线必须是非负的金额（分）。");
  }
  return 0;
}

static int policy_check_rest(const struct policy_change *c, struct ly_error *e) {
  if (c->set_categories) {
    for (int i = 0; i < 3; i++)
      if (c->self_pay_bp[i] < 0 || c->self_pay_bp[i] > ADJUDICATE_BP_ONE)
        return invalid(e, "categories", "Self-pay shares are basis points, 0 to 10000.",
                       "自付比例以万分比计，0 至 10000。");
    if (c->self_pay_bp[ADJUDICATE_CAT_C] != ADJUDICATE_BP_ONE)
      return invalid(e, "categories.丙", "Category 丙 drugs are always fully self-paid.",
                     "丙类药品始终全部自付。");
  }
  if (c->nfees > POLICY_MAX_FEES)
    return invalid(e, "fees", "Too many fee rows in one edit.", "单次修改的收费项目过多。");
  for (size_t i = 0; i < c->nfees; i++) {
    const struct policy_fee_in *f = &c->fees[i];
    if (!f->item_code || !*f->item_code || strlen(f->item_code) >= POLICY_CODE_MAX || !f->name || !*f->name ||
        strlen(f->name) >= POLICY_NAME_MAX)
      return invalid(e, "fees.item_code", "Each fee row needs an item code and a name.",
                     "每个收费项目需要编码和名称。");
    if (!f->level || (strcmp(f->level, "any") != 0 && !policy_level_valid(f->level)))
      return invalid(e, "fees.facility_level", "A fee row's level is community, secondary, tertiary or any.",
                     "收费项目的机构级别必须是社区、二级、三级或 any。");
    if (f->price_fen < 0 || f->price_fen > ADJUDICATE_MAX_UNIT_PRICE)
      return invalid(e, "fees.price_fen", "A fee price is a non-negative amount in fen.",
                     "收费价格必须是非负的金额（分）。");
  }
  return 0;
}

/* Copy every row of base into the new version (one statement per table). */
static int policy_copy_base(struct ly_db *db, const char *base, const char *id) {
  static const char *rates =
      "INSERT INTO policy_rates (version_id, plan_id, facility_level, ratio_bp, deductible_fen, cap_fen)"
      " SELECT ?2, plan_id, facility_level, ratio_bp, deductible_fen, cap_fen FROM policy_rates"
      " WHERE version_id = ?1";
  static const char *cats =
      "INSERT INTO policy_categories (version_id, category, self_pay_bp)"
      " SELECT ?2, category, self_pay_bp FROM policy_categories WHERE version_id = ?1";
  static const char *fees =
      "INSERT INTO fee_schedule (version_id, item_code, name, name_en, facility_level, doctor_title, "
      "price_fen,"
      " covered) SELECT ?2, item_code, name, name_en, facility_level, doctor_title, price_fen, covered"
      " FROM fee_schedule WHERE version_id = ?1";
  const char *sqls[3] = {rates, cats, fees};
  for (int i = 0; i < 3; i++) {
    sqlite3_stmt *st = ly_db_stmt(db, sqls[i]);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, base);
    ly_db_bind_text(st, 2, id);
    int rc = ins_step_done(db, st);
    if (rc) return rc;
  }
  return 0;
}

static int policy_put_categories(struct ly_db *db, const char *id, const int64_t bp[3]) {
  static const char *sql =
      "INSERT OR REPLACE INTO policy_categories (version_id, category, self_pay_bp) VALUES (?1, ?2, ?3)";
  for (int i = 0; i < 3; i++) {
    sqlite3_stmt *st = ly_db_stmt(db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, adjudicate_category_name((enum adjudicate_category)i));
    ly_db_bind_int(st, 3, bp[i]);
    int rc = ins_step_done(db, st);
    if (rc) return rc;
  }
  return 0;
}

static int policy_put_overrides(struct ly_db *db, const char *id, const struct policy_change *c) {
  static const char *rate_sql =
      "INSERT OR REPLACE INTO policy_rates (version_id, plan_id, facility_level, ratio_bp, deductible_fen,"
      " cap_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  static const char *fee_sql =
      "INSERT OR REPLACE INTO fee_schedule (version_id, item_code, name, name_en, facility_level, "
      "doctor_title,"
      " price_fen, covered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
  int rc = 0;
  for (size_t i = 0; i < c->nrates && !rc; i++) {
    sqlite3_stmt *st = ly_db_stmt(db, rate_sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, c->rates[i].plan_id);
    ly_db_bind_text(st, 3, c->rates[i].level);
    ly_db_bind_int(st, 4, c->rates[i].ratio_bp);
    ly_db_bind_int(st, 5, c->rates[i].deductible_fen);
    ly_db_bind_int(st, 6, c->rates[i].cap_fen);
    rc = ins_step_done(db, st);
  }
  for (size_t i = 0; i < c->nfees && !rc; i++) {
    const struct policy_fee_in *f = &c->fees[i];
    sqlite3_stmt *st = ly_db_stmt(db, fee_sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, f->item_code);
    ly_db_bind_text(st, 3, f->name);
    ly_db_bind_text(st, 4, f->name_en ? f->name_en : f->name);
    ly_db_bind_text(st, 5, f->level);
    ly_db_bind_text(st, 6, f->doctor_title ? f->doctor_title : "any");
    ly_db_bind_int(st, 7, f->price_fen);
    ly_db_bind_int(st, 8, f->covered ? 1 : 0);
    rc = ins_step_done(db, st);
  }
  return rc;
}

struct policy_create_ctx {
  int64_t now;
  const char *actor_id, *actor_role;
  const struct policy_change *c;
  char *id;
  size_t idsz;
  struct ly_error *e;
};

static int policy_insert_version(struct ly_db *db, struct policy_create_ctx *x) {
  static const char *sql =
      "INSERT INTO policy_versions (id, effective_from, note, created_by, created_at) VALUES (?1, ?2, ?3, "
      "?4, ?5)";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, x->id);
  ly_db_bind_int(st, 2, x->c->effective_from);
  ly_db_bind_text(st, 3, x->c->note ? x->c->note : "");
  ly_db_bind_text(st, 4, x->actor_id);
  ly_db_bind_int(st, 5, x->now);
  int rc = ins_step_done(db, st);
  if (rc == LY_EEXIST)
    return ly_error_set(x->e, LY_EEXIST, "insurance.policy_exists",
                        "A policy version already starts at that time.", "该时间已有生效的医保政策版本。");
  return rc ? ly_error_set(x->e, rc, NULL, ly_db_errmsg(db), NULL) : 0;
}

static int policy_create_tx(struct ly_db *db, void *ud) {
  struct policy_create_ctx *x = ud;
  const struct policy_change *c = x->c;
  char base[LY_ID_MAX] = "";
  int rc = policy_check_rates(db, c, x->e);
  if (!rc) rc = policy_check_rest(c, x->e);
  if (rc) return rc;
  /* The version before the new one is its starting point. */
  rc = policy_version_at(db, c->effective_from - 1, base, sizeof base, NULL, NULL);
  if (rc && rc != LY_ENOTFOUND) return ly_error_set(x->e, rc, NULL, ly_db_errmsg(db), NULL);
  if (rc == LY_ENOTFOUND && c->nrates == 0)
    return invalid(x->e, "rates", "The first policy version needs its rates.",
                   "第一个政策版本需要报销费率。");
  if ((rc = ly_id_new("pol", x->id, x->idsz))) return ly_error_set(x->e, rc, NULL, NULL, NULL);
  if ((rc = policy_insert_version(db, x))) return rc;
  if (base[0])
    rc = policy_copy_base(db, base, x->id);
  else if (!c->set_categories)
    rc = policy_put_categories(db, x->id, default_self_pay_bp);
  if (!rc && c->set_categories) rc = policy_put_categories(db, x->id, c->self_pay_bp);
  if (!rc) rc = policy_put_overrides(db, x->id, c);
  if (rc) return ly_error_set(x->e, rc, NULL, ly_db_errmsg(db), NULL);
  char detail[96];
  snprintf(detail, sizeof detail, "effective_from=%lld base=%s", (long long)c->effective_from,
           base[0] ? base : "-");
  struct ly_audit_entry a = {x->now,           x->actor_id, x->actor_role, "policy.create", NULL,
                             "policy_version", x->id,       "ok",          detail};
  rc = ly_audit_append(db, &a, NULL);
  return rc ? ly_error_set(x->e, rc, NULL, "cannot append the audit entry", NULL) : 0;
}

int policy_create(struct ly_db *db, int64_t now_ms, const char *actor_id, const char *actor_role,
                  const struct policy_change *c, char *version_id, size_t idsz, struct ly_error *e) {
  if (!db || !c || !actor_id || !actor_role || !version_id || idsz < LY_ID_MAX || (c->nrates && !c->rates) ||
      (c->nfees && !c->fees))
    return ly_error_set(e, LY_EINVAL, NULL, "policy_create: missing argument", NULL);
  if (c->effective_from < now_ms)
    return ly_error_set(e, LY_EINVAL, "insurance.policy_in_past",
                        "A new policy version cannot take effect in the past.",
                        "新的政策版本不能在过去生效。");
  char id[LY_ID_MAX];
  struct policy_create_ctx x = {now_ms, actor_id, actor_role, c, id, sizeof id, e};
  int rc = ly_db_tx(db, policy_create_tx, &x);
  if (rc == 0) ins_copy(version_id, idsz, id);
  return rc;
}

/* ---- listing ----------------------------------------------------------------- */

static int policy_rates_json(struct ly_db *db, const char *id, json_t *out) {
  static const char *sql =
      "SELECT plan_id, facility_level, ratio_bp, deductible_fen, cap_fen FROM policy_rates"
      " WHERE version_id = ?1 ORDER BY plan_id, facility_level";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(
        out, json_pack("{s:s, s:s, s:I, s:I, s:I}", "plan_id", ly_db_col_text(st, 0), "facility_level",
                       ly_db_col_text(st, 1), "ratio_bp", (json_int_t)sqlite3_column_int64(st, 2),
                       "deductible_fen", (json_int_t)sqlite3_column_int64(st, 3), "cap_fen",
                       (json_int_t)sqlite3_column_int64(st, 4)));
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int policy_fees_json(struct ly_db *db, const char *id, json_t *out) {
  static const char *sql =
      "SELECT item_code, name, name_en, facility_level, doctor_title, price_fen, covered FROM fee_schedule"
      " WHERE version_id = ?1 ORDER BY item_code, facility_level, doctor_title";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(
        out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "item_code", ly_db_col_text(st, 0), "name",
                       ly_db_col_text(st, 1), "name_en", ly_db_col_text(st, 2), "facility_level",
                       ly_db_col_text(st, 3), "doctor_title", ly_db_col_text(st, 4), "price_fen",
                       (json_int_t)sqlite3_column_int64(st, 5), "covered", sqlite3_column_int(st, 6)));
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static json_t *policy_version_json(struct ly_db *db, sqlite3_stmt *v, int *rc) {
  const char *id = ly_db_col_text(v, 0);
  int64_t bp[3];
  json_t *rates = json_array(), *fees = json_array();
  *rc = policy_rates_json(db, id, rates);
  if (!*rc) *rc = policy_fees_json(db, id, fees);
  if (!*rc) *rc = policy_categories_load(db, id, bp);
  json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:I, s:o, s:{s:I, s:I, s:I}, s:o}", "id", id, "effective_from",
                        (json_int_t)sqlite3_column_int64(v, 1), "note", ly_db_col_text(v, 2), "created_by",
                        ly_db_col_text(v, 3), "created_at", (json_int_t)sqlite3_column_int64(v, 4), "rates",
                        rates, "categories", "甲", (json_int_t)bp[0], "乙", (json_int_t)bp[1], "丙",
                        (json_int_t)bp[2], "fees", fees);
  if (!o && !*rc) *rc = LY_ENOMEM;
  return o;
}

int policy_list_json(struct ly_db *db, json_t **out) {
  static const char *sql =
      "SELECT id, effective_from, note, created_by, created_at FROM policy_versions ORDER BY effective_from "
      "DESC";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  json_t *arr = json_array();
  if (!arr) return LY_ENOMEM;
  int rc = 0, src = SQLITE_DONE;
  while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *o = policy_version_json(db, st, &rc);
    if (o) json_array_append_new(arr, o);
  }
  if (!rc && src != SQLITE_DONE) rc = ly_db_rc(db, src);
  sqlite3_reset(st);
  if (rc) {
    json_decref(arr);
    return rc;
  }
  *out = arr;
  return 0;
}
