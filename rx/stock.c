/* rx/stock.c — a pharmacy's stock: set by the pharmacy, taken by
 * dispensing, never below zero; every change is a move row. */
#include "rx/stock.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/pharmacy_internal.h"

#define STOCK_LIST_MAX 500
#define STOCK_Q_MAX    64

static int st_move(struct rx_ctx *cx, const char *pharmacy_id, const char *drug_id, int64_t delta,
                   const char *reason, const char *ref, const char *actor_id, int64_t now) {
  static const char *sql =
      "INSERT INTO pharmacy_stock_moves (pharmacy_id, drug_id, delta, quantity_after, reason, ref, actor_id, "
      "at) "
      "VALUES (?1, ?2, ?3, (SELECT quantity FROM pharmacy_stock WHERE pharmacy_id = ?1 AND drug_id = ?2), "
      "?4, ?5, "
      "?6, ?7)";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pharmacy_id);
  ly_db_bind_text(st, 2, drug_id);
  ly_db_bind_int(st, 3, delta);
  ly_db_bind_text(st, 4, reason);
  ly_db_bind_text(st, 5, ref);
  ly_db_bind_text(st, 6, actor_id);
  ly_db_bind_int(st, 7, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int st_out_of_stock(const char *field, struct ly_error *e) {
  ly_error_set(e, LY_ECONFLICT, "rx.out_of_stock", "There is not enough of this drug in stock.",
               "该药品库存不足。");
  if (e && field) snprintf(e->field, sizeof e->field, "%s", field);
  return LY_ECONFLICT;
}

int stock_take(struct rx_ctx *cx, const char *pharmacy_id, const char *drug_id, int64_t quantity,
               const char *ref, const char *actor_id, const char *field, struct ly_error *e) {
  static const char *sql =
      "UPDATE pharmacy_stock SET quantity = quantity - ?3, updated_at = ?4 WHERE pharmacy_id = ?1 AND "
      "drug_id = ?2 "
      "AND quantity >= ?3";
  int64_t now = ly_now_ms(cx->rec.clock);
  if (quantity <= 0) return LY_EINVAL;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pharmacy_id);
  ly_db_bind_text(st, 2, drug_id);
  ly_db_bind_int(st, 3, quantity);
  ly_db_bind_int(st, 4, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if (sqlite3_changes(ly_db_sqlite(cx->rec.db)) != 1) return st_out_of_stock(field, e);
  return st_move(cx, pharmacy_id, drug_id, -quantity, "dispense", ref, actor_id, now);
}

int stock_return(struct rx_ctx *cx, const char *pharmacy_id, const char *drug_id, int64_t quantity,
                 const char *ref, const char *actor_id) {
  static const char *sql =
      "INSERT INTO pharmacy_stock (pharmacy_id, drug_id, quantity, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (pharmacy_id, drug_id) DO UPDATE SET quantity = quantity + excluded.quantity, updated_at "
      "= "
      "excluded.updated_at";
  int64_t now = ly_now_ms(cx->rec.clock);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pharmacy_id);
  ly_db_bind_text(st, 2, drug_id);
  ly_db_bind_int(st, 3, quantity);
  ly_db_bind_int(st, 4, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return st_move(cx, pharmacy_id, drug_id, quantity, "return", ref, actor_id, now);
}

/* ---- set and list ---------------------------------------------------------------- */

#define ST_COLS                                                                              \
  "SELECT s.drug_id, d.generic_name, d.generic_en, d.strength, d.form, d.unit, s.quantity, " \
  "s.low_threshold, "                                                                        \
  "s.updated_at FROM pharmacy_stock s JOIN drugs d ON d.id = s.drug_id "
#define ST_MATCH                                                                                    \
  "WHERE s.pharmacy_id = ?1 AND (?2 IS NULL OR s.drug_id = ?2 OR instr(d.generic_name, ?2) > 0 OR " \
  "instr(lower(d.generic_en), lower(?2)) > 0 OR d.pinyin LIKE upper(?2) || '%') "

static json_t *st_row_json(sqlite3_stmt *st) {
  int64_t q = sqlite3_column_int64(st, 6), low = sqlite3_column_int64(st, 7);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:I}", "drug_id", ly_db_col_text(st, 0),
                   "generic_name", ly_db_col_text(st, 1), "generic_en", ly_db_col_text(st, 2), "strength",
                   ly_db_col_text(st, 3), "form", ly_db_col_text(st, 4), "unit", ly_db_col_text(st, 5),
                   "quantity", (json_int_t)q, "low_threshold", (json_int_t)low, "low", q <= low, "updated_at",
                   (json_int_t)sqlite3_column_int64(st, 8));
}

static int st_one(struct rx_ctx *cx, const char *pharmacy_id, const char *drug_id, json_t **out) {
  static const char *sql = ST_COLS "WHERE s.pharmacy_id = ?1 AND s.drug_id = ?2";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pharmacy_id);
  ly_db_bind_text(st, 2, drug_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *out = st_row_json(st);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? (*out ? 0 : LY_ENOMEM) : ly_db_rc(cx->rec.db, rc);
}

static int st_drug_known(struct rx_ctx *cx, const char *drug_id, struct ly_error *e) {
  static const char *sql = "SELECT 1 FROM drugs WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, drug_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return ly_error_set(e, LY_ENOTFOUND, "rx.unknown_drug", "This drug is not in the formulary.",
                      "该药品不在药品目录中。");
}

static int st_set_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *drug_id,
                     int64_t quantity, int64_t low, json_t **out, struct ly_error *e) {
  static const char *sql =
      "INSERT INTO pharmacy_stock (pharmacy_id, drug_id, quantity, updated_at, low_threshold) VALUES (?1, "
      "?2, ?3, "
      "?4, coalesce(?5, 5)) ON CONFLICT (pharmacy_id, drug_id) DO UPDATE SET quantity = excluded.quantity, "
      "updated_at = excluded.updated_at, low_threshold = coalesce(?5, low_threshold)";
  static const char *sql_was = "SELECT quantity FROM pharmacy_stock WHERE pharmacy_id = ?1 AND drug_id = ?2";
  struct records_actor who = ph_who(pa);
  int64_t now = ly_now_ms(cx->rec.clock), was = 0;
  int rc = st_drug_known(cx, drug_id, e);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql_was);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pa->pharmacy_id);
  ly_db_bind_text(st, 2, drug_id);
  if (sqlite3_step(st) == SQLITE_ROW) was = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if (!(st = ly_db_stmt(cx->rec.db, sql))) return LY_EDB;
  ly_db_bind_text(st, 1, pa->pharmacy_id);
  ly_db_bind_text(st, 2, drug_id);
  ly_db_bind_int(st, 3, quantity);
  ly_db_bind_int(st, 4, now);
  if (low >= 0) ly_db_bind_int(st, 5, low);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if ((rc = st_move(cx, pa->pharmacy_id, drug_id, quantity - was, "set", NULL, pa->account_id, now)))
    return rc;
  if ((rc = st_one(cx, pa->pharmacy_id, drug_id, out))) return rc;
  return records_audit(&cx->rec, &who, "pharmacy.stock_set", NULL, "drug", drug_id, "ok", NULL);
}

int stock_set(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *drug_id, int64_t quantity,
              int64_t low_threshold, json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!drug_id || !drug_id[0] || strnlen(drug_id, LY_ID_MAX) >= LY_ID_MAX)
    return ly_error_set(e, LY_ENOTFOUND, "rx.unknown_drug", "This drug is not in the formulary.",
                        "该药品不在药品目录中。");
  if (quantity < 0)
    return ly_error_set(e, LY_EINVAL, "rx.stock_negative", "Stock cannot be negative.", "库存不能为负数。");
  if (quantity > STOCK_MAX || low_threshold > STOCK_MAX)
    return ly_error_set(e, LY_EINVAL, "rx.stock_too_large", "That is more than a pharmacy can hold.",
                        "库存数量超出上限。");
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, st_set_tx(cx, pa, drug_id, quantity, low_threshold, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  return records_done(e, rc);
}

static const char *ST_LIST_SQL = ST_COLS ST_MATCH "ORDER BY d.generic_name, s.drug_id LIMIT ?3";
static const char *ST_LOW_SQL =
    ST_COLS ST_MATCH "AND s.quantity <= s.low_threshold ORDER BY s.quantity, s.drug_id LIMIT ?3";

int stock_list(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *q, int low_only, int limit,
               json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (limit < 1 || limit > STOCK_LIST_MAX)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "limit must be 1-500.", "limit 须为 1-500。");
  int rc = records_text_check(q, STOCK_Q_MAX, 0, "q", e);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, low_only ? ST_LOW_SQL : ST_LIST_SQL);
  if (!st) return records_done(e, LY_EDB);
  ly_db_bind_text(st, 1, pa->pharmacy_id);
  ly_db_bind_text(st, 2, q && q[0] ? q : NULL);
  ly_db_bind_int(st, 3, limit);
  json_t *arr = json_array();
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, st_row_json(st));
  sqlite3_reset(st);
  if (!arr) return records_done(e, LY_ENOMEM);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return records_done(e, ly_db_rc(cx->rec.db, rc));
  }
  *out = arr;
  return 0;
}
