/* rx/dispatch_view.c — where a prescription stands (for its patient) and a
 * pharmacy's queue. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/dispatch.h"
#include "rx/pharmacy_internal.h"

/* ---- the patient's view ------------------------------------------------------------ */

static json_t *dv_opt(int64_t v) {
  return v ? json_integer(v) : json_null();
}

/* The dispatches of a prescription, newest first (at most 20). */
static json_t *dv_dispatches(struct rx_ctx *cx, const char *id) {
  static const char *sql =
      "SELECT id, pharmacy_id, mode, state, address, created_at, deadline_at, coalesce(closed_at, 0) FROM "
      "rx_dispatches WHERE prescription_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 20";
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->rec.db, sql) : NULL;
  if (!st) {
    json_decref(arr);
    return NULL;
  }
  ly_db_bind_text(st, 1, id);
  struct {
    char pharmacy[LY_ID_MAX];
    json_t *o;
  } rows[20];
  size_t n = 0;
  while (n < 20 && sqlite3_step(st) == SQLITE_ROW) {
    snprintf(rows[n].pharmacy, sizeof rows[n].pharmacy, "%s", ly_db_col_text(st, 1));
    rows[n++].o =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}", "id", ly_db_col_text(st, 0), "mode",
                  ly_db_col_text(st, 2), "state", ly_db_col_text(st, 3), "address", ly_db_col_text(st, 4),
                  "created_at", (json_int_t)sqlite3_column_int64(st, 5), "deadline_at",
                  (json_int_t)sqlite3_column_int64(st, 6), "closed_at", dv_opt(sqlite3_column_int64(st, 7)));
  }
  sqlite3_reset(st);
  for (size_t i = 0; i < n; i++) {
    if (rows[i].o) json_object_set_new(rows[i].o, "pharmacy", ph_pharmacy_json(cx, rows[i].pharmacy));
    json_array_append_new(arr, rows[i].o);
  }
  return arr;
}

/* The active claim, else the last one: {pharmacy, via, state, claimed_at, closed_at} and its id. */
static json_t *dv_claim(struct rx_ctx *cx, const char *id, char claim_id[LY_ID_MAX]) {
  static const char *sql =
      "SELECT id, pharmacy_id, via, state, claimed_at, coalesce(closed_at, 0) FROM rx_claims WHERE "
      "prescription_id = ?1 ORDER BY state = 'active' DESC, claimed_at DESC, rowid DESC LIMIT 1";
  char pharmacy[LY_ID_MAX];
  claim_id[0] = '\0';
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return NULL;
  ly_db_bind_text(st, 1, id);
  json_t *o = NULL;
  if (sqlite3_step(st) == SQLITE_ROW) {
    snprintf(claim_id, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
    snprintf(pharmacy, sizeof pharmacy, "%s", ly_db_col_text(st, 1));
    o = json_pack("{s:s, s:s, s:I, s:o}", "via", ly_db_col_text(st, 2), "state", ly_db_col_text(st, 3),
                  "claimed_at", (json_int_t)sqlite3_column_int64(st, 4), "closed_at",
                  dv_opt(sqlite3_column_int64(st, 5)));
  }
  sqlite3_reset(st);
  if (o) json_object_set_new(o, "pharmacy", ph_pharmacy_json(cx, pharmacy));
  return o;
}

static int dv_status_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id, struct rx_rec *p,
                        json_t **out, struct ly_error *e) {
  char claim_id[LY_ID_MAX];
  int rc = rx_load(cx, id, p, e);
  if (rc == LY_ENOTFOUND) return ph_not_found(e);
  if (rc) return rc;
  int patient = records_is(who, "patient");
  if (!records_is(who, "supervisor") && (rc = ph_patient_owns(cx, who, p, e))) return rc;
  json_t *hist = dv_dispatches(cx, id);
  json_t *claim = dv_claim(cx, id, claim_id);
  json_t *dl = claim_id[0] ? ph_delivery_json(cx, claim_id, patient, NULL) : NULL;
  json_t *receipt = receipt_json_of(cx, id);
  json_t *current = hist && json_array_size(hist) ? json_incref(json_array_get(hist, 0)) : json_null();
  *out = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "prescription_id", id, "state", p->state,
                   "valid_until", (json_int_t)p->valid_until, "dispatch", current, "history",
                   hist ? hist : json_array(), "claim", claim ? claim : json_null(), "delivery",
                   dl ? dl : json_null(), "receipt", receipt ? receipt : json_null());
  if (!*out) return LY_ENOMEM;
  return records_audit(&cx->rec, who, "rx.dispatch_status", p->patient_id, "prescription", id, "ok", NULL);
}

int dispatch_status(struct rx_ctx *cx, const struct records_actor *who, const char *prescription_id,
                    json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!prescription_id || strnlen(prescription_id, LY_ID_MAX) >= LY_ID_MAX)
    return records_done(e, ph_not_found(e));
  struct rx_rec *p = malloc(sizeof *p);
  if (!p) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, dv_status_tx(cx, who, prescription_id, p, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  free(p);
  return records_done(e, rc);
}

/* ---- the pharmacy's queue ------------------------------------------------------------ */

struct dv_row {
  char dispatch_id[LY_ID_MAX];
  char prescription_id[LY_ID_MAX];
  char patient_id[LY_ID_MAX];
  char mode[16];
  char name_masked[32];
  char subdistrict[64];
  int64_t created_at, deadline_at;
  int seen;
};

/* "<created_at>.<dispatch id>" (the last row of the page). */
static int dv_cursor(const char *cursor, int64_t *at, char id[LY_ID_MAX], struct ly_error *e) {
  *at = -1;
  id[0] = '\0';
  if (!cursor || !cursor[0]) return 0;
  const char *dot = strchr(cursor, '.');
  size_t n = strnlen(cursor, DISPATCH_CURSOR_MAX + 1);
  int ok = dot && n <= DISPATCH_CURSOR_MAX && dot > cursor && dot - cursor <= 15 &&
           (size_t)(n - (size_t)(dot - cursor) - 1) < LY_ID_MAX;
  for (const char *c = cursor; ok && c < dot; c++)
    ok = *c >= '0' && *c <= '9';
  if (!ok)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "The page cursor is not valid.",
                        "分页游标无效。");
  *at = strtoll(cursor, NULL, 10);
  snprintf(id, LY_ID_MAX, "%s", dot + 1);
  return 0;
}

/* First character of the name (UTF-8) and "**". */
static void dv_mask(const char *name, char *out, size_t outsz) {
  size_t n = 1;
  unsigned char c = (unsigned char)name[0];
  if (c == 0) {
    snprintf(out, outsz, "**");
    return;
  }
  if (c >= 0xF0)
    n = 4;
  else if (c >= 0xE0)
    n = 3;
  else if (c >= 0xC0)
    n = 2;
  if (strnlen(name, n) < n) n = 1;
  snprintf(out, outsz, "%.*s**", (int)n, name);
}

static int dv_rows(struct rx_ctx *cx, const struct pharmacy_actor *pa, int64_t at, const char *after,
                   int limit, struct dv_row *rows, size_t *n) {
  static const char *sql =
      "SELECT d.id, d.prescription_id, d.mode, d.created_at, d.deadline_at, d.seen_at IS NOT NULL, "
      "p.patient_id, "
      "pa.name, coalesce(s.name, '') FROM rx_dispatches d JOIN prescriptions p ON p.id = d.prescription_id "
      "JOIN "
      "patients pa ON pa.id = p.patient_id LEFT JOIN subdistricts s ON s.id = pa.subdistrict_id WHERE "
      "d.pharmacy_id = ?1 AND d.state = 'open' AND p.state = 'ready' AND d.deadline_at >= ?5 AND "
      "(d.created_at > ?2 "
      "OR (d.created_at = ?2 AND d.id > ?3)) ORDER BY d.created_at, d.id LIMIT ?4";
  *n = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pa->pharmacy_id);
  ly_db_bind_int(st, 2, at);
  ly_db_bind_text(st, 3, after);
  ly_db_bind_int(st, 4, limit + 1);
  ly_db_bind_int(st, 5, ly_now_ms(cx->rec.clock));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < (size_t)limit + 1) {
    struct dv_row *r = &rows[(*n)++];
    snprintf(r->dispatch_id, sizeof r->dispatch_id, "%s", ly_db_col_text(st, 0));
    snprintf(r->prescription_id, sizeof r->prescription_id, "%s", ly_db_col_text(st, 1));
    snprintf(r->mode, sizeof r->mode, "%s", ly_db_col_text(st, 2));
    r->created_at = sqlite3_column_int64(st, 3);
    r->deadline_at = sqlite3_column_int64(st, 4);
    r->seen = sqlite3_column_int(st, 5);
    snprintf(r->patient_id, sizeof r->patient_id, "%s", ly_db_col_text(st, 6));
    dv_mask(ly_db_col_text(st, 7), r->name_masked, sizeof r->name_masked);
    snprintf(r->subdistrict, sizeof r->subdistrict, "%s", ly_db_col_text(st, 8));
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

static json_t *dv_items(struct rx_ctx *cx, const char *id) {
  static const char *sql =
      "SELECT i.line, i.drug_id, d.generic_name, d.generic_en, d.strength, d.form, i.quantity FROM "
      "prescription_items i JOIN drugs d ON d.id = i.drug_id WHERE i.prescription_id = ?1 ORDER BY i.line";
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->rec.db, sql) : NULL;
  if (!st) return arr;
  ly_db_bind_text(st, 1, id);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I}", "line", sqlite3_column_int(st, 0), "drug_id",
                       ly_db_col_text(st, 1), "generic_name", ly_db_col_text(st, 2), "generic_en",
                       ly_db_col_text(st, 3), "strength", ly_db_col_text(st, 4), "form",
                       ly_db_col_text(st, 5), "quantity", (json_int_t)sqlite3_column_int64(st, 6)));
  sqlite3_reset(st);
  return arr;
}

static int dv_total(struct rx_ctx *cx, const struct pharmacy_actor *pa, int64_t *total) {
  static const char *sql =
      "SELECT count(*) FROM rx_dispatches d JOIN prescriptions p ON p.id = d.prescription_id WHERE "
      "d.pharmacy_id = "
      "?1 AND d.state = 'open' AND p.state = 'ready' AND d.deadline_at >= ?2";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pa->pharmacy_id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->rec.clock));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *total = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* First listing of a dispatch: remember it and audit the pharmacy's access once. */
static int dv_seen(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct dv_row *r) {
  static const char *sql = "UPDATE rx_dispatches SET seen_at = ?2 WHERE id = ?1 AND seen_at IS NULL";
  struct records_actor who = ph_who(pa);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, r->dispatch_id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->rec.clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return records_audit(&cx->rec, &who, "rx.queue_view", r->patient_id, "prescription", r->prescription_id,
                       "ok", NULL);
}

static json_t *dv_row_json(struct rx_ctx *cx, const struct dv_row *r) {
  return json_pack("{s:s, s:s, s:s, s:I, s:I, s:{s:s, s:s}, s:o}", "dispatch_id", r->dispatch_id,
                   "prescription_id", r->prescription_id, "mode", r->mode, "created_at",
                   (json_int_t)r->created_at, "deadline_at", (json_int_t)r->deadline_at, "patient",
                   "name_masked", r->name_masked, "subdistrict", r->subdistrict, "items",
                   dv_items(cx, r->prescription_id));
}

static int dv_queue_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *cursor, int limit,
                       struct dv_row *rows, json_t **out, struct ly_error *e) {
  int64_t at, total = 0;
  char after[LY_ID_MAX], next[DISPATCH_CURSOR_MAX + 1];
  size_t n = 0;
  int rc = dv_cursor(cursor, &at, after, e);
  if (rc || (rc = dv_rows(cx, pa, at, after, limit, rows, &n)) || (rc = dv_total(cx, pa, &total))) return rc;
  int more = n > (size_t)limit;
  if (more) n = (size_t)limit;
  json_t *items = json_array();
  for (size_t i = 0; items && i < n; i++) {
    if (!rows[i].seen && (rc = dv_seen(cx, pa, &rows[i]))) break;
    json_array_append_new(items, dv_row_json(cx, &rows[i]));
  }
  if (more)
    snprintf(next, sizeof next, "%lld.%s", (long long)rows[n - 1].created_at, rows[n - 1].dispatch_id);
  *out = json_pack("{s:o, s:I, s:s?}", "items", items ? items : json_array(), "total", (json_int_t)total,
                   "next", more ? next : NULL);
  if (rc) return rc;
  return *out ? 0 : LY_ENOMEM;
}

int dispatch_queue(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *cursor, int limit,
                   json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (limit == 0) limit = DISPATCH_QUEUE_DEFAULT;
  if (limit < 1 || limit > DISPATCH_QUEUE_MAX)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "limit must be 1-200.", "limit 须为 1-200。");
  struct dv_row *rows = calloc((size_t)limit + 1, sizeof *rows);
  if (!rows) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, dv_queue_tx(cx, pa, cursor, limit, rows, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  free(rows);
  return records_done(e, rc);
}
