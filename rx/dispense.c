/* rx/dispense.c — recording what was handed out (partial, substitutes,
 * stock taken in the same transaction, idempotent per key) and completing. */
#include "rx/dispense.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "core/json.h"
#include "rx/pharmacy_internal.h"
#include "rx/stock.h"

#define DS_FIELD_MAX  32
#define DS_RETURN_MAX 256

struct ds_drug {
  char generic_name[128], strength[32], form[32];
  int64_t pack_size, price_fen;
};

struct ds_line {
  int line;
  char drug_id[LY_ID_MAX];
  int64_t quantity, units, price_fen;
  int substituted;
  const char *reason;
};

struct ds_job {
  struct rx_rec p;
  struct ph_claim c;
  char id[LY_ID_MAX];
  uint8_t req_hash[LY_SHA256_LEN];
  struct ds_line lines[DISPENSE_MAX_ITEMS];
  json_t *result;
};

/* ---- shared with delivery.c, pharmacy_claim.c, pharmacy_view.c ------------------------ */

static int ds_units_line(struct rx_ctx *cx, const char *claim_id, int line, int64_t *units) {
  static const char *sql =
      "SELECT coalesce(sum(i.units), 0) FROM rx_dispense_items i JOIN rx_dispenses d ON d.id = i.dispense_id "
      "WHERE "
      "d.claim_id = ?1 AND d.returned_at IS NULL AND (?2 = 0 OR i.line = ?2)";
  *units = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, claim_id);
  ly_db_bind_int(st, 2, line);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *units = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

int ph_dispensed_total(struct rx_ctx *cx, const char *claim_id, int64_t *units) {
  return ds_units_line(cx, claim_id, 0, units);
}

json_t *ph_lines_json(struct rx_ctx *cx, const struct rx_rec *p, const char *claim_id) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < p->nitems; i++) {
    const struct rx_item *it = &p->items[i];
    int64_t done = 0, want = it->quantity * it->pack_size;
    if (claim_id && claim_id[0] && ds_units_line(cx, claim_id, (int)i + 1, &done)) done = 0;
    json_array_append_new(
        arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "line", (int)i + 1, "drug_id",
                       it->drug_id, "generic_name", it->generic_name, "strength", it->strength, "unit",
                       it->unit, "quantity", (json_int_t)it->quantity, "prescribed_units", (json_int_t)want,
                       "dispensed_units", (json_int_t)done, "complete", done >= want));
  }
  return arr;
}

int ph_dispenses_return(struct rx_ctx *cx, const char *claim_id, const char *actor_id) {
  static const char *sql_items =
      "SELECT d.id, d.pharmacy_id, i.drug_id, i.quantity FROM rx_dispenses d JOIN rx_dispense_items i ON "
      "i.dispense_id = d.id WHERE d.claim_id = ?1 AND d.returned_at IS NULL ORDER BY d.at, i.line";
  static const char *sql_mark =
      "UPDATE rx_dispenses SET returned_at = ?2 WHERE claim_id = ?1 AND returned_at IS NULL";
  struct ds_back {
    char dispense[LY_ID_MAX], pharmacy[LY_ID_MAX], drug[LY_ID_MAX];
    int64_t q;
  } *rows = calloc(DS_RETURN_MAX, sizeof *rows);
  size_t n = 0;
  int rc;
  sqlite3_stmt *st = rows ? ly_db_stmt(cx->rec.db, sql_items) : NULL;
  if (!st) {
    free(rows);
    return rows ? LY_EDB : LY_ENOMEM;
  }
  ly_db_bind_text(st, 1, claim_id);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < DS_RETURN_MAX) {
    snprintf(rows[n].dispense, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
    snprintf(rows[n].pharmacy, LY_ID_MAX, "%s", ly_db_col_text(st, 1));
    snprintf(rows[n].drug, LY_ID_MAX, "%s", ly_db_col_text(st, 2));
    rows[n++].q = sqlite3_column_int64(st, 3);
  }
  sqlite3_reset(st);
  rc = rc == SQLITE_ROW ? LY_ETOOBIG : rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = stock_return(cx, rows[i].pharmacy, rows[i].drug, rows[i].q, rows[i].dispense, actor_id);
  free(rows);
  if (rc || !(st = ly_db_stmt(cx->rec.db, sql_mark))) return rc ? rc : LY_EDB;
  ly_db_bind_text(st, 1, claim_id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->rec.clock));
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* ---- dispensing ----------------------------------------------------------------------- */

static int ds_key_ok(const char *key) {
  size_t n = key ? strnlen(key, RX_IDEM_KEY_MAX + 1) : 0;
  if (n == 0 || n > RX_IDEM_KEY_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if (key[i] < 0x21 || key[i] > 0x7e) return 0;
  return 1;
}

static int ds_bad_item(struct ly_error *e, size_t i, const char *en, const char *zh) {
  ly_error_set(e, LY_EINVAL, "request.invalid_field", en, zh);
  if (e) snprintf(e->field, sizeof e->field, "items[%zu]", i);
  return LY_EINVAL;
}

static int ds_input(const struct dispense_in *in, struct ly_error *e) {
  if (!ds_key_ok(in->idem_key))
    return ly_error_set(e, LY_EINVAL, "request.idempotency_key_required",
                        "A dispense needs an Idempotency-Key of 1-128 printable ASCII characters.",
                        "发药请求须带 Idempotency-Key（1至128个可打印ASCII字符）。");
  if (in->nitems == 0 || in->nitems > DISPENSE_MAX_ITEMS)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "Name 1 to 10 items handed out.",
                        "发药明细须为1至10项。");
  for (size_t i = 0; i < in->nitems; i++) {
    const struct dispense_item_in *it = &in->items[i];
    if (it->line < 1 || it->line > RX_MAX_ITEMS)
      return ds_bad_item(e, i, "The line is not a line of the prescription.", "处方行号无效。");
    if (it->quantity < 1 || it->quantity > DISPENSE_MAX_QUANTITY)
      return ds_bad_item(e, i, "The quantity must be a whole number of packs, at least 1.", "发药数量无效。");
    if (it->drug_id && strnlen(it->drug_id, LY_ID_MAX) >= LY_ID_MAX)
      return ds_bad_item(e, i, "Unknown drug.", "未知药品。");
    int rc = records_text_check(it->reason, DISPENSE_REASON_MAX, 0, "reason", e);
    if (rc) return rc;
  }
  return 0;
}

/* SHA-256 over the canonical request, to refuse a key reused for another. */
static int ds_request_hash(const struct dispense_in *in, uint8_t out[LY_SHA256_LEN]) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
  ok = ok && EVP_DigestUpdate(md, in->prescription_id, strlen(in->prescription_id) + 1);
  for (size_t i = 0; ok && i < in->nitems; i++) {
    char buf[64];
    const struct dispense_item_in *it = &in->items[i];
    int n = snprintf(buf, sizeof buf, "|%d|%lld|", it->line, (long long)it->quantity);
    const char *d = it->drug_id ? it->drug_id : "", *r = it->reason ? it->reason : "";
    ok = EVP_DigestUpdate(md, buf, (size_t)n) && EVP_DigestUpdate(md, d, strlen(d) + 1) &&
         EVP_DigestUpdate(md, r, strlen(r) + 1);
  }
  unsigned len = 0;
  ok = ok && EVP_DigestFinal_ex(md, out, &len) && len == LY_SHA256_LEN;
  EVP_MD_CTX_free(md);
  return ok ? 0 : LY_ECRYPTO;
}

/* 1 with *result when this pharmacy already used the key for this request. */
static int ds_replay(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct dispense_in *in,
                     struct ds_job *j, struct ly_error *e) {
  static const char *sql =
      "SELECT prescription_id, request_hash, result FROM rx_dispenses WHERE pharmacy_id = ?1 AND idem_key = "
      "?2";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pa->pharmacy_id);
  ly_db_bind_text(st, 2, in->idem_key);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
  }
  int same = strcmp(ly_db_col_text(st, 0), in->prescription_id) == 0 &&
             sqlite3_column_bytes(st, 1) == LY_SHA256_LEN &&
             ly_memeq(sqlite3_column_blob(st, 1), j->req_hash, LY_SHA256_LEN);
  if (same) j->result = json_loads(ly_db_col_text(st, 2), 0, NULL);
  sqlite3_reset(st);
  if (!same)
    return ly_error_set(e, LY_ECONFLICT, "request.idempotency_key_reused",
                        "This Idempotency-Key was already used for another request.",
                        "该 Idempotency-Key 已用于其他请求。");
  if (!j->result) return LY_EINTERNAL;
  json_object_set_new(j->result, "replayed", json_true());
  return 1;
}

static int ds_drug(struct rx_ctx *cx, const char *id, struct ds_drug *d) {
  static const char *sql =
      "SELECT generic_name, strength, form, pack_size, price_fen FROM drugs WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(d->generic_name, sizeof d->generic_name, "%s", ly_db_col_text(st, 0));
    snprintf(d->strength, sizeof d->strength, "%s", ly_db_col_text(st, 1));
    snprintf(d->form, sizeof d->form, "%s", ly_db_col_text(st, 2));
    d->pack_size = sqlite3_column_int64(st, 3);
    d->price_fen = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->rec.db, rc);
}

static int ds_refuse(struct ly_error *e, int err, const char *code, size_t i, const char *en,
                     const char *zh) {
  ly_error_set(e, err, code, en, zh);
  if (e) snprintf(e->field, sizeof e->field, "items[%zu]", i);
  return err;
}

/* One requested item against its prescription line: drug, substitute, units. */
static int ds_line(struct rx_ctx *cx, const struct rx_rec *p, const struct dispense_item_in *in, size_t i,
                   struct ds_line *l, struct ly_error *e) {
  struct ds_drug want, got;
  if ((size_t)in->line > p->nitems)
    return ds_refuse(e, LY_EINVAL, "request.invalid_field", i, "The prescription has no such line.",
                     "处方中没有该行。");
  const struct rx_item *it = &p->items[in->line - 1];
  const char *drug = in->drug_id && in->drug_id[0] ? in->drug_id : it->drug_id;
  int rc = ds_drug(cx, it->drug_id, &want);
  if (rc == 0) rc = ds_drug(cx, drug, &got);
  if (rc == LY_ENOTFOUND) return ds_refuse(e, LY_EINVAL, "rx.unknown_drug", i, "Unknown drug.", "未知药品。");
  if (rc) return rc;
  l->line = in->line;
  snprintf(l->drug_id, sizeof l->drug_id, "%s", drug);
  l->substituted = strcmp(drug, it->drug_id) != 0;
  l->reason = in->reason;
  if (l->substituted && (strcmp(want.generic_name, got.generic_name) || strcmp(want.strength, got.strength) ||
                         strcmp(want.form, got.form)))
    return ds_refuse(e, LY_EDENIED, "rx.substitute_not_equivalent", i,
                     "Only the same generic drug in the same strength and form may be substituted.",
                     "只能替换为通用名、规格和剂型相同的药品。");
  if (l->substituted && (!in->reason || !in->reason[0]))
    return ds_refuse(e, LY_EDENIED, "rx.substitution_reason", i, "Say why the drug was substituted.",
                     "替换药品须注明原因。");
  l->quantity = in->quantity;
  l->units = in->quantity * got.pack_size;
  l->price_fen = got.price_fen;
  return 0;
}

/* Never more than prescribed, per line, with what was handed out before. */
static int ds_within(struct rx_ctx *cx, const struct ds_job *j, size_t n, struct ly_error *e) {
  for (size_t i = 0; i < n; i++) {
    const struct rx_item *it = &j->p.items[j->lines[i].line - 1];
    int64_t before = 0, now = 0;
    int rc = ds_units_line(cx, j->c.id, j->lines[i].line, &before);
    if (rc) return rc;
    for (size_t k = 0; k < n; k++)
      if (j->lines[k].line == j->lines[i].line) now += j->lines[k].units;
    if (before + now > it->quantity * it->pack_size)
      return ds_refuse(e, LY_EDENIED, "rx.over_prescribed", i, "That is more than the prescription allows.",
                       "发药数量超过处方用量。");
  }
  return 0;
}

static int ds_insert(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct dispense_in *in,
                     struct ds_job *j, int64_t now) {
  static const char *sql =
      "INSERT INTO rx_dispenses (id, prescription_id, claim_id, pharmacy_id, dispensed_by, idem_key, "
      "request_hash, result, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '{}', ?8)";
  int rc = ly_id_new("dsn", j->id, sizeof j->id);
  sqlite3_stmt *st = rc ? NULL : ly_db_stmt(cx->rec.db, sql);
  if (!st) return rc ? rc : LY_EDB;
  ly_db_bind_text(st, 1, j->id);
  ly_db_bind_text(st, 2, j->p.id);
  ly_db_bind_text(st, 3, j->c.id);
  ly_db_bind_text(st, 4, pa->pharmacy_id);
  ly_db_bind_text(st, 5, pa->account_id);
  ly_db_bind_text(st, 6, in->idem_key);
  ly_db_bind_blob(st, 7, j->req_hash, LY_SHA256_LEN);
  ly_db_bind_int(st, 8, now);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* Insert the item rows (a drug named twice on one line is merged) and take the stock. */
static int ds_items(struct rx_ctx *cx, const struct pharmacy_actor *pa, struct ds_job *j, size_t n,
                    struct ly_error *e) {
  static const char *sql =
      "INSERT INTO rx_dispense_items (dispense_id, line, drug_id, quantity, units, substituted, "
      "substitution_reason, unit_price_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT "
      "(dispense_id, line, "
      "drug_id) DO UPDATE SET quantity = quantity + excluded.quantity, units = units + excluded.units";
  for (size_t i = 0; i < n; i++) {
    const struct ds_line *l = &j->lines[i];
    char field[DS_FIELD_MAX];
    snprintf(field, sizeof field, "items[%zu]", i);
    sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, j->id);
    ly_db_bind_int(st, 2, l->line);
    ly_db_bind_text(st, 3, l->drug_id);
    ly_db_bind_int(st, 4, l->quantity);
    ly_db_bind_int(st, 5, l->units);
    ly_db_bind_int(st, 6, l->substituted);
    ly_db_bind_text(st, 7, l->reason ? l->reason : "");
    ly_db_bind_int(st, 8, l->price_fen);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
    if ((rc = stock_take(cx, pa->pharmacy_id, l->drug_id, l->quantity, j->id, pa->account_id, field, e)))
      return rc;
  }
  return 0;
}

static int ds_result(struct rx_ctx *cx, struct ds_job *j, size_t n, int64_t now) {
  static const char *sql = "UPDATE rx_dispenses SET result = ?2 WHERE id = ?1";
  json_t *items = json_array();
  for (size_t i = 0; items && i < n; i++) {
    const struct ds_line *l = &j->lines[i];
    json_array_append_new(
        items, json_pack("{s:i, s:s, s:I, s:I, s:b, s:s}", "line", l->line, "drug_id", l->drug_id, "quantity",
                         (json_int_t)l->quantity, "units", (json_int_t)l->units, "substituted",
                         l->substituted, "reason", l->reason ? l->reason : ""));
  }
  json_t *lines = ph_lines_json(cx, &j->p, j->c.id);
  int complete = 1;
  for (size_t i = 0; lines && i < json_array_size(lines); i++)
    complete = complete && json_is_true(json_object_get(json_array_get(lines, i), "complete"));
  j->result = json_pack("{s:s, s:s, s:I, s:o, s:o, s:b, s:b}", "dispense_id", j->id, "prescription_id",
                        j->p.id, "at", (json_int_t)now, "items", items ? items : json_array(), "lines",
                        lines ? lines : json_array(), "complete", complete, "replayed", 0);
  char *text = j->result ? ly_json_dump(j->result, NULL) : NULL;
  sqlite3_stmt *st = text ? ly_db_stmt(cx->rec.db, sql) : NULL;
  int rc = text ? LY_EDB : LY_ENOMEM;
  if (st) {
    ly_db_bind_text(st, 1, j->id);
    ly_db_bind_text(st, 2, text);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
  }
  free(text);
  return rc;
}

/* A delivery that left the pharmacy takes nothing more. */
static int ds_delivery_open(struct rx_ctx *cx, const struct ph_claim *c, struct ly_error *e) {
  char state[24];
  json_decref(ph_delivery_json(cx, c->id, 0, state));
  if (!state[0] || strcmp(state, "preparing") == 0) return 0;
  return ly_error_set(e, LY_ESTATE, "rx.delivery_started",
                      "The delivery has left; nothing more can be added.", "配送已出发，不能再追加发药。");
}

static int ds_record_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct dispense_in *in,
                        struct ds_job *j, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = rx_load(cx, in->prescription_id, &j->p, e);
  if (rc == LY_ENOTFOUND || (rc == 0 && !ph_visible(cx, pa->pharmacy_id, in->prescription_id)))
    return ph_not_found(e);
  if (rc || (rc = ds_replay(cx, pa, in, j, e)) < 0) return rc;
  if (rc == 1) return ph_claim_check_any(cx, pa, in->prescription_id, in->secret, &j->c, e);
  if ((rc = ph_claim_check(cx, pa, in->prescription_id, in->secret, &j->c, e))) return rc;
  if ((rc = ds_delivery_open(cx, &j->c, e))) return rc;
  for (size_t i = 0; i < in->nitems; i++)
    if ((rc = ds_line(cx, &j->p, &in->items[i], i, &j->lines[i], e))) return rc;
  if ((rc = ds_within(cx, j, in->nitems, e))) return rc;
  if ((rc = ds_insert(cx, pa, in, j, now)) || (rc = ds_items(cx, pa, j, in->nitems, e))) return rc;
  if ((rc = ds_result(cx, j, in->nitems, now))) return rc;
  return records_audit(&cx->rec, &who, "rx.dispense", j->p.patient_id, "prescription", j->p.id, "ok", NULL);
}

int dispense_record(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct dispense_in *in,
                    json_t **result, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  ly_error_clear(e);
  *result = NULL;
  if (!in->prescription_id || strnlen(in->prescription_id, LY_ID_MAX) >= LY_ID_MAX)
    return records_done(e, ph_not_found(e));
  int rc = ds_input(in, e);
  if (rc) return records_done(e, rc);
  struct ds_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  if ((rc = ds_request_hash(in, j->req_hash)) == 0 && (rc = ly_db_begin(cx->rec.db)) == 0)
    rc = records_finish(cx->rec.db, ds_record_tx(cx, pa, in, j, e));
  if (rc) {
    json_decref(j->result);
    ph_refused(cx, &who, "rx.dispense", j->p.patient_id, in->prescription_id, e, rc);
  } else {
    *result = j->result;
  }
  free(j);
  return records_done(e, rc);
}

/* ---- completing ------------------------------------------------------------------------ */

int ph_complete(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p,
                const struct ph_claim *c, json_t **receipt, struct ly_error *e) {
  char account[LY_ID_MAX];
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = prescription_move(cx, who, p, "complete", NULL, e);
  if (rc == 0) rc = ph_claim_close(cx, c->id, "completed", now);
  if (rc == 0) rc = receipt_issue(cx, p, c, now);
  if (rc == 0) rc = rx_patient_account(cx, p->patient_id, account);
  if (rc == 0) rc = rx_notice(cx, account, "rx.completed", p->id, NULL);
  if (rc == 0 && receipt && !(*receipt = receipt_json_of(cx, p->id))) rc = LY_ENOMEM;
  return rc;
}

static int ds_complete_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id,
                          const char *secret, struct ds_job *j, json_t **receipt, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  int64_t units = 0;
  char dstate[24];
  int rc = rx_load(cx, id, &j->p, e);
  if (rc == LY_ENOTFOUND || (rc == 0 && !ph_visible(cx, pa->pharmacy_id, id))) return ph_not_found(e);
  if (rc) return rc;
  if (strcmp(j->p.state, "completed") == 0) {
    if ((rc = ph_claim_check_any(cx, pa, id, secret, &j->c, e))) return rc;
    if (strcmp(j->c.state, "completed") != 0) return prescription_can_move(&j->p, "complete", e);
    *receipt = receipt_json_of(cx, id);
    return *receipt ? 0 : LY_ENOMEM;
  }
  if ((rc = ph_claim_check(cx, pa, id, secret, &j->c, e)) || (rc = ph_dispensed_total(cx, j->c.id, &units)))
    return rc;
  if (units == 0)
    return ly_error_set(e, LY_ESTATE, "rx.nothing_dispensed", "Nothing was handed out yet.", "尚未发药。");
  json_decref(ph_delivery_json(cx, j->c.id, 0, dstate));
  if (dstate[0])
    return ly_error_set(e, LY_ESTATE, "rx.delivery_pending",
                        "This prescription is delivered; it completes when the patient receives it.",
                        "该处方为配送订单，患者签收后自动完成。");
  return ph_complete(cx, &who, &j->p, &j->c, receipt, e);
}

int dispense_complete(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                      const char *secret, json_t **receipt, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  ly_error_clear(e);
  *receipt = NULL;
  if (!prescription_id || strnlen(prescription_id, LY_ID_MAX) >= LY_ID_MAX)
    return records_done(e, ph_not_found(e));
  struct ds_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0)
    rc = records_finish(cx->rec.db, ds_complete_tx(cx, pa, prescription_id, secret, j, receipt, e));
  if (rc) {
    json_decref(*receipt);
    *receipt = NULL;
    ph_refused(cx, &who, "rx.complete", j->p.patient_id, prescription_id, e, rc);
  }
  free(j);
  return records_done(e, rc);
}
