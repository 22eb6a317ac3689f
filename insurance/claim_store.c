/* insurance/claim_store.c — claim rows in and out of SQLite, and their JSON. */
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "insurance/claim.h"
#include "insurance/claim_internal.h"
#include "insurance/insurance_internal.h"

static int claim_store_lines(struct ly_db *db, const struct claim *c) {
  static const char *sql =
      "INSERT INTO claim_lines (claim_id, line_no, item_kind, item_code, name, category, covered, quantity,"
      " unit_price_fen, total_fen, fully_self_fen, pre_self_fen, in_scope_fen, deductible_fen, fund_fen,"
      " account_fen, cash_fen, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
      "?15,"
      " ?16, ?17, ?18)";
  for (size_t i = 0; i < c->nlines; i++) {
    const struct claim_line *l = &c->lines[i];
    const struct adjudicate_amounts *a = &l->amounts;
    sqlite3_stmt *st = ly_db_stmt(db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, c->id);
    ly_db_bind_int(st, 2, (int64_t)i + 1);
    ly_db_bind_text(st, 3, adjudicate_kind_name(l->kind));
    ly_db_bind_text(st, 4, l->code);
    ly_db_bind_text(st, 5, l->name);
    ly_db_bind_text(st, 6, adjudicate_category_name(l->category));
    ly_db_bind_int(st, 7, l->covered);
    ly_db_bind_int(st, 8, l->quantity);
    ly_db_bind_int(st, 9, l->unit_price_fen);
    int64_t v[8] = {a->total_fen,      a->fully_self_fen, a->pre_self_fen, a->in_scope_fen,
                    a->deductible_fen, a->fund_fen,       a->account_fen,  a->cash_fen};
    for (int k = 0; k < 8; k++)
      ly_db_bind_int(st, 10 + k, v[k]);
    ly_db_bind_int(st, 18, a->notes);
    int rc = ins_step_done(db, st);
    if (rc) return rc;
  }
  return 0;
}

int claim_store_insert(struct ly_db *db, const struct claim *c) {
  static const char *sql =
      "INSERT INTO claims (id, patient_id, facility_id, facility_level, plan_id, policy_version_id,"
      " encounter_type, encounter_id, episode_id, service_at, service_year, status, reject_reason,"
      " reject_code, reject_field, total_fen, fully_self_fen, pre_self_fen, in_scope_fen, deductible_fen,"
      " fund_fen, account_fen, cash_fen, notes, settled_at, settled_day, created_by)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
      " ?21, ?22, ?23, ?24, ?25, ?26, ?27)";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  const char *text[9] = {c->id, c->patient_id, c->facility_id, c->facility_level, c->plan_id,
                         c->policy_version_id, c->encounter_type, c->encounter_id,
                         /* a rejected claim never created its episode: no reference */
                         c->episode_id[0] && c->status != CLAIM_REJECTED ? c->episode_id : NULL};
  for (int k = 0; k < 9; k++)
    ly_db_bind_text(st, 1 + k, text[k]);
  ly_db_bind_int(st, 10, c->service_at);
  ly_db_bind_int(st, 11, c->service_year);
  ly_db_bind_text(st, 12, claim_status_name(c->status));
  ly_db_bind_int(st, 13, c->reject_reason);
  ly_db_bind_text(st, 14, c->reject_code);
  ly_db_bind_text(st, 15, c->reject_field);
  const struct adjudicate_amounts *a = &c->total;
  int64_t v[8] = {a->total_fen,      a->fully_self_fen, a->pre_self_fen, a->in_scope_fen,
                  a->deductible_fen, a->fund_fen,       a->account_fen,  a->cash_fen};
  for (int k = 0; k < 8; k++)
    ly_db_bind_int(st, 16 + k, v[k]);
  ly_db_bind_int(st, 24, a->notes);
  ly_db_bind_int(st, 25, c->settled_at);
  ly_db_bind_text(st, 26, c->settled_day);
  ly_db_bind_text(st, 27, c->created_by);
  int rc = ins_step_done(db, st);
  if (rc) return rc;
  return c->status == CLAIM_REJECTED ? 0 : claim_store_lines(db, c);
}

int claim_store_find_encounter(struct ly_db *db, const char *type, const char *encounter_id, char *claim_id,
                               size_t idsz) {
  static const char *sql =
      "SELECT id FROM claims WHERE encounter_type = ?1 AND encounter_id = ?2 AND status <> 'rejected'";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, type);
  ly_db_bind_text(st, 2, encounter_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) ins_copy(claim_id, idsz, ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}

static enum claim_status status_parse(const char *s) {
  if (strcmp(s, "settled") == 0) return CLAIM_SETTLED;
  if (strcmp(s, "reversed") == 0) return CLAIM_REVERSED;
  if (strcmp(s, "rejected") == 0) return CLAIM_REJECTED;
  return CLAIM_ESTIMATE;
}

/* Amount columns start at col: total, fully self, pre self, in scope,
 * deductible, fund, account, cash, notes. */
static void amounts_from_row(sqlite3_stmt *st, int col, struct adjudicate_amounts *a) {
  a->total_fen = sqlite3_column_int64(st, col);
  a->fully_self_fen = sqlite3_column_int64(st, col + 1);
  a->pre_self_fen = sqlite3_column_int64(st, col + 2);
  a->in_scope_fen = sqlite3_column_int64(st, col + 3);
  a->deductible_fen = sqlite3_column_int64(st, col + 4);
  a->fund_fen = sqlite3_column_int64(st, col + 5);
  a->account_fen = sqlite3_column_int64(st, col + 6);
  a->cash_fen = sqlite3_column_int64(st, col + 7);
  a->notes = (unsigned)sqlite3_column_int64(st, col + 8);
  a->patient_fen = a->total_fen - a->fund_fen;
}

static void claim_from_row(sqlite3_stmt *st, struct claim *c) {
  ins_copy(c->id, sizeof c->id, ly_db_col_text(st, 0));
  ins_copy(c->patient_id, sizeof c->patient_id, ly_db_col_text(st, 1));
  ins_copy(c->facility_id, sizeof c->facility_id, ly_db_col_text(st, 2));
  ins_copy(c->facility_level, sizeof c->facility_level, ly_db_col_text(st, 3));
  ins_copy(c->plan_id, sizeof c->plan_id, ly_db_col_text(st, 4));
  ins_copy(c->policy_version_id, sizeof c->policy_version_id, ly_db_col_text(st, 5));
  ins_copy(c->encounter_type, sizeof c->encounter_type, ly_db_col_text(st, 6));
  ins_copy(c->encounter_id, sizeof c->encounter_id, ly_db_col_text(st, 7));
  ins_copy(c->episode_id, sizeof c->episode_id, ly_db_col_text(st, 8));
  c->service_at = sqlite3_column_int64(st, 9);
  c->service_year = sqlite3_column_int(st, 10);
  c->status = status_parse(ly_db_col_text(st, 11));
  c->reject_reason = sqlite3_column_int(st, 12);
  ins_copy(c->reject_code, sizeof c->reject_code, ly_db_col_text(st, 13));
  ins_copy(c->reject_field, sizeof c->reject_field, ly_db_col_text(st, 14));
  amounts_from_row(st, 15, &c->total);
  c->settled_at = sqlite3_column_int64(st, 24);
  ins_copy(c->settled_day, sizeof c->settled_day, ly_db_col_text(st, 25));
  ins_copy(c->created_by, sizeof c->created_by, ly_db_col_text(st, 26));
  ins_copy(c->reversal_id, sizeof c->reversal_id, ly_db_col_text(st, 27));
  ins_copy(c->reversal_reason, sizeof c->reversal_reason, ly_db_col_text(st, 28));
  c->reversed_at = sqlite3_column_int64(st, 29);
  ins_copy(c->reversed_by, sizeof c->reversed_by, ly_db_col_text(st, 30));
}

static int claim_load_lines(struct ly_db *db, struct claim *c) {
  static const char *sql =
      "SELECT item_kind, item_code, name, category, covered, quantity, unit_price_fen, total_fen, "
      "fully_self_fen,"
      " pre_self_fen, in_scope_fen, deductible_fen, fund_fen, account_fen, cash_fen, notes FROM claim_lines"
      " WHERE claim_id = ?1 ORDER BY line_no";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, c->id);
  int rc;
  c->nlines = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && c->nlines < ADJUDICATE_MAX_LINES) {
    struct claim_line *l = &c->lines[c->nlines++];
    if (adjudicate_kind_parse(ly_db_col_text(st, 0), &l->kind)) l->kind = ADJUDICATE_DRUG;
    ins_copy(l->code, sizeof l->code, ly_db_col_text(st, 1));
    ins_copy(l->name, sizeof l->name, ly_db_col_text(st, 2));
    if (adjudicate_category_parse(ly_db_col_text(st, 3), &l->category)) l->category = ADJUDICATE_CAT_C;
    l->covered = sqlite3_column_int(st, 4);
    l->quantity = sqlite3_column_int64(st, 5);
    l->unit_price_fen = sqlite3_column_int64(st, 6);
    amounts_from_row(st, 7, &l->amounts);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ly_db_rc(db, rc);
}

int claim_get(struct ly_db *db, const char *claim_id, struct claim *out) {
  static const char *sql =
      "SELECT c.id, c.patient_id, c.facility_id, c.facility_level, c.plan_id, c.policy_version_id,"
      " c.encounter_type, c.encounter_id, c.episode_id, c.service_at, c.service_year, c.status, "
      "c.reject_reason,"
      " c.reject_code, c.reject_field, c.total_fen, c.fully_self_fen, c.pre_self_fen, c.in_scope_fen,"
      " c.deductible_fen, c.fund_fen, c.account_fen, c.cash_fen, c.notes, c.settled_at, c.settled_day,"
      " c.created_by, r.id, r.reason, r.reversed_at, r.reversed_by"
      " FROM claims c LEFT JOIN claim_reversals r ON r.claim_id = c.id WHERE c.id = ?1";
  if (!db || !claim_id || !out) return LY_EINVAL;
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, claim_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    memset(out, 0, sizeof *out);
    claim_from_row(st, out);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return LY_ENOTFOUND;
  if (rc != SQLITE_ROW) return ly_db_rc(db, rc);
  return claim_load_lines(db, out);
}

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *notes_json(unsigned notes) {
  static const char *const words[] = {"delivery_not_covered", "not_covered", "category_c",   "self_pay_share",
                                      "deductible",           "cap_reached", "account_short"};
  json_t *a = json_array();
  for (unsigned i = 0; a && i < sizeof words / sizeof words[0]; i++)
    if (notes & (1u << i)) json_array_append_new(a, json_string(words[i]));
  return a;
}

/* Add the amounts of a to object o. */
static void amounts_json(json_t *o, const struct adjudicate_amounts *a) {
  const char *keys[9] = {"total_fen", "fully_self_fen", "pre_self_fen", "in_scope_fen", "deductible_fen",
                         "fund_fen",  "patient_fen",    "account_fen",  "cash_fen"};
  int64_t v[9] = {a->total_fen, a->fully_self_fen, a->pre_self_fen, a->in_scope_fen, a->deductible_fen,
                  a->fund_fen,  a->patient_fen,    a->account_fen,  a->cash_fen};
  for (int k = 0; k < 9; k++)
    json_object_set_new(o, keys[k], json_integer(v[k]));
  json_object_set_new(o, "notes", notes_json(a->notes));
}

static json_t *accum_json(const struct adjudicate_accum *a) {
  return json_pack("{s:I, s:I, s:I, s:I}", "deductible_used_fen", (json_int_t)a->deductible_used_fen,
                   "fund_paid_fen", (json_int_t)a->fund_paid_fen, "account_balance_fen",
                   (json_int_t)a->account_balance_fen, "episode_deductible_fen",
                   (json_int_t)a->episode_deductible_fen);
}

static json_t *str_or_null(const char *s) {
  return s && *s ? json_string(s) : json_null();
}

static json_t *lines_json(const struct claim *c) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < c->nlines; i++) {
    const struct claim_line *l = &c->lines[i];
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:I, s:I}", "line_no", (json_int_t)(i + 1), "kind",
                          adjudicate_kind_name(l->kind), "code", l->code, "name", l->name, "category",
                          adjudicate_category_name(l->category), "covered", l->covered, "quantity",
                          (json_int_t)l->quantity, "unit_price_fen", (json_int_t)l->unit_price_fen);
    if (!o) continue;
    amounts_json(o, &l->amounts);
    json_array_append_new(arr, o);
  }
  return arr;
}

json_t *claim_to_json(const struct claim *c) {
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "id", str_or_null(c->id));
  json_object_set_new(o, "status", json_string(claim_status_name(c->status)));
  const char *keys[8] = {"patient_id",        "facility_id",    "facility_level", "plan_id",
                         "policy_version_id", "encounter_type", "encounter_id",   "episode_id"};
  const char *vals[8] = {c->patient_id,        c->facility_id,    c->facility_level, c->plan_id,
                         c->policy_version_id, c->encounter_type, c->encounter_id,   c->episode_id};
  for (int k = 0; k < 8; k++)
    json_object_set_new(o, keys[k], str_or_null(vals[k]));
  json_object_set_new(o, "service_at", json_integer(c->service_at));
  json_object_set_new(o, "service_year", json_integer(c->service_year));
  json_object_set_new(o, "settled_at", c->settled_at ? json_integer(c->settled_at) : json_null());
  json_object_set_new(o, "settled_day", str_or_null(c->settled_day));
  json_object_set_new(o, "replayed", json_boolean(c->replayed));
  json_t *totals = json_object();
  if (totals) amounts_json(totals, &c->total);
  json_object_set_new(o, "totals", totals);
  json_object_set_new(o, "lines", lines_json(c));
  json_object_set_new(o, "rejection",
                      c->reject_reason ? json_pack("{s:i, s:s, s:s}", "reason", c->reject_reason, "code",
                                                   c->reject_code, "field", c->reject_field)
                                       : json_null());
  json_object_set_new(o, "reversal",
                      c->reversal_id[0] ? json_pack("{s:s, s:s, s:I, s:s}", "id", c->reversal_id, "reason",
                                                    c->reversal_reason, "reversed_at",
                                                    (json_int_t)c->reversed_at, "reversed_by", c->reversed_by)
                                        : json_null());
  json_object_set_new(
      o, "accumulators",
      c->has_accum ? json_pack("{s:o, s:o}", "before", accum_json(&c->before), "after", accum_json(&c->after))
                   : json_null());
  return o;
}

int claim_list_json(struct ly_db *db, const char *patient_id, int limit, json_t **out) {
  static const char *sql =
      "SELECT id, status, encounter_type, encounter_id, facility_id, service_at, settled_at, total_fen, "
      "fund_fen,"
      " account_fen, cash_fen, reject_reason FROM claims WHERE patient_id = ?1"
      " ORDER BY settled_at DESC, id LIMIT ?2";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  json_t *arr = json_array();
  if (!arr) return LY_ENOMEM;
  ly_db_bind_text(st, 1, patient_id);
  ly_db_bind_int(st, 2, limit > 0 && limit <= 1000 ? limit : 100);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack(
                 "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i}", "id", ly_db_col_text(st, 0),
                 "status", ly_db_col_text(st, 1), "encounter_type", ly_db_col_text(st, 2), "encounter_id",
                 ly_db_col_text(st, 3), "facility_id", ly_db_col_text(st, 4), "service_at",
                 (json_int_t)sqlite3_column_int64(st, 5), "settled_at",
                 (json_int_t)sqlite3_column_int64(st, 6), "total_fen",
                 (json_int_t)sqlite3_column_int64(st, 7), "fund_fen", (json_int_t)sqlite3_column_int64(st, 8),
                 "account_fen", (json_int_t)sqlite3_column_int64(st, 9), "cash_fen",
                 (json_int_t)sqlite3_column_int64(st, 10), "reject_reason", sqlite3_column_int(st, 11)));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return ly_db_rc(db, rc);
  }
  *out = arr;
  return 0;
}
