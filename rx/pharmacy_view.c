/* rx/pharmacy_view.c — what a pharmacy sees: one prescription (dispatched
 * to it, claimed by it, or shown by the patient's code) with the doctor's
 * signature checked, and its own work list. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "records/signature.h"
#include "rx/pharmacy.h"
#include "rx/pharmacy_internal.h"
#include "rx/qr.h"

/* The doctor's signature checked now against the doctor's key on record:
 * "signature" {verified, doctor_id, public_key, document_sha256},
 * "envelope" and the parsed "document". */
static int pv_signature(struct rx_ctx *cx, const struct rx_rec *p, json_t *o) {
  static const char *sql = "SELECT document, signature, sign_pub FROM prescriptions WHERE id = ?1";
  uint8_t pub[LY_ED25519_PUB_LEN], h[LY_SHA256_LEN];
  char p64[48] = "", hex[2 * LY_SHA256_LEN + 1] = "";
  int have_pub = signature_doctor_pub(&cx->rec, p->doctor_id, pub, NULL) == 0, ok = 0;
  if (have_pub) ly_b64url_encode(pub, sizeof pub, p64, sizeof p64);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  json_t *env = NULL, *doc = NULL;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == LY_ED25519_SIG_LEN &&
      sqlite3_column_bytes(st, 2) == LY_ED25519_PUB_LEN) {
    const char *text = ly_db_col_text(st, 0);
    ok = have_pub && ly_memeq(sqlite3_column_blob(st, 2), pub, sizeof pub) &&
         ly_ed25519_verify(pub, text, strlen(text), sqlite3_column_blob(st, 1)) == 0;
    if (ly_sha256(text, strlen(text), h) == 0) ly_hex_encode(h, sizeof h, hex, sizeof hex);
    env = signature_envelope("prescription", text, sqlite3_column_blob(st, 1), sqlite3_column_blob(st, 2));
    doc = json_loads(text, 0, NULL);
  }
  sqlite3_reset(st);
  json_object_set_new(o, "signature",
                      json_pack("{s:b, s:s, s:s, s:s}", "verified", ok, "doctor_id", p->doctor_id,
                                "public_key", p64, "document_sha256", hex));
  json_object_set_new(o, "envelope", env ? env : json_null());
  json_object_set_new(o, "document", doc ? doc : json_null());
  return 0;
}

/* This pharmacy's open dispatch of the prescription, or null. */
static json_t *pv_dispatch(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id) {
  static const char *sql =
      "SELECT id, mode, address, created_at, deadline_at FROM rx_dispatches WHERE prescription_id = ?1 AND "
      "pharmacy_id = ?2 AND state = 'open'";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return json_null();
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, pa->pharmacy_id);
  json_t *o = NULL;
  if (sqlite3_step(st) == SQLITE_ROW)
    o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", ly_db_col_text(st, 0), "mode", ly_db_col_text(st, 1),
                  "address", ly_db_col_text(st, 2), "created_at", (json_int_t)sqlite3_column_int64(st, 3),
                  "deadline_at", (json_int_t)sqlite3_column_int64(st, 4));
  sqlite3_reset(st);
  return o ? o : json_null();
}

/* The rest of the view: dispatch, this pharmacy's claim, lines, delivery, receipt. */
static int pv_work(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct rx_rec *p, json_t *o) {
  struct ph_claim c;
  int mine = ph_claim_last(cx, p->id, pa->pharmacy_id, &c) == 0;
  struct ph_claim other;
  int taken = ph_claim_active(cx, p->id, &other) == 0 && strcmp(other.pharmacy_id, pa->pharmacy_id) != 0;
  json_object_set_new(o, "dispatch", pv_dispatch(cx, pa, p->id));
  json_object_set_new(o, "claim",
                      mine ? json_pack("{s:s, s:s, s:s, s:I}", "claim_id", c.id, "state", c.state, "via",
                                       c.via, "claimed_at", (json_int_t)c.claimed_at)
                           : json_null());
  json_object_set_new(o, "claimed_elsewhere", json_boolean(taken));
  json_object_set_new(o, "dispensed", ph_lines_json(cx, p, mine ? c.id : NULL));
  json_t *dl = mine ? ph_delivery_json(cx, c.id, 0, NULL) : NULL;
  json_object_set_new(o, "delivery", dl ? dl : json_null());
  json_t *rc = mine && !strcmp(c.state, "completed") ? receipt_json_of(cx, p->id) : NULL;
  json_object_set_new(o, "receipt", rc ? rc : json_null());
  return 0;
}

static int pv_build(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct rx_rec *p, json_t **out,
                    struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  json_t *view = NULL;
  int rc = prescription_get(cx, &who, p->id, 0, &view, e);
  if (rc) return rc;
  json_object_del(view, "verdicts");
  *out = view;
  if ((rc = pv_signature(cx, p, view))) return rc;
  return pv_work(cx, pa, p, view);
}

static int pv_get_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id, struct rx_rec *p,
                     json_t **out, struct ly_error *e) {
  int rc = rx_load(cx, id, p, e);
  if (rc == LY_ENOTFOUND || (rc == 0 && !ph_visible(cx, pa->pharmacy_id, id))) return ph_not_found(e);
  if (rc) return rc;
  return pv_build(cx, pa, p, out, e);
}

static int pv_run(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id, const struct qr_code *q,
                  json_t **out, struct ly_error *e);

int pharmacy_prescription(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id, json_t **out,
                          struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!id || strnlen(id, LY_ID_MAX) >= LY_ID_MAX) return records_done(e, ph_not_found(e));
  return pv_run(cx, pa, id, NULL, out, e);
}

static int pv_code_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct qr_code *q,
                      struct rx_rec *p, json_t **out, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  int rc = rx_load(cx, q->id, p, e);
  if (rc == LY_ENOTFOUND || (rc == 0 && !ph_code_ok(cx, q))) return ph_not_found(e);
  if (rc || (rc = records_audit(&cx->rec, &who, "rx.lookup_code", p->patient_id, "prescription", p->id, "ok",
                                NULL)))
    return rc;
  return pv_build(cx, pa, p, out, e);
}

static int pv_run(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id, const struct qr_code *q,
                  json_t **out, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  struct rx_rec *p = calloc(1, sizeof *p);
  if (!p) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0)
    rc = records_finish(cx->rec.db, q ? pv_code_tx(cx, pa, q, p, out, e) : pv_get_tx(cx, pa, id, p, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
    ph_refused(cx, &who, q ? "rx.lookup_code" : "rx.read", p->patient_id, q ? q->id : id, e, rc);
  }
  free(p);
  return records_done(e, rc);
}

int pharmacy_lookup_code(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *qr, size_t qr_len,
                         json_t **out, struct ly_error *e) {
  struct qr_code q;
  ly_error_clear(e);
  *out = NULL;
  int rc = qr_parse(qr, qr_len, &q, e);
  if (rc) {
    struct records_actor who = ph_who(pa);
    return records_done(e, ph_refused(cx, &who, "rx.lookup_code", NULL, NULL, e, rc));
  }
  rc = pv_run(cx, pa, q.id, &q, out, e);
  qr_wipe(&q);
  return rc;
}

/* ---- the work list ------------------------------------------------------------------- */

static json_t *pv_items(struct rx_ctx *cx, const char *id) {
  static const char *sql =
      "SELECT i.line, i.drug_id, d.generic_name, d.generic_en, d.strength, i.quantity FROM "
      "prescription_items i "
      "JOIN drugs d ON d.id = i.drug_id WHERE i.prescription_id = ?1 ORDER BY i.line";
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->rec.db, sql) : NULL;
  if (!st) return arr;
  ly_db_bind_text(st, 1, id);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:I}", "line", sqlite3_column_int(st, 0), "drug_id",
                       ly_db_col_text(st, 1), "generic_name", ly_db_col_text(st, 2), "generic_en",
                       ly_db_col_text(st, 3), "strength", ly_db_col_text(st, 4), "quantity",
                       (json_int_t)sqlite3_column_int64(st, 5)));
  sqlite3_reset(st);
  return arr;
}

#define PV_WORK_MAX 200

int pharmacy_work(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *state, int limit,
                  json_t **out, struct ly_error *e) {
  static const char *sql =
      "SELECT c.id, c.prescription_id, c.via, c.claimed_at, coalesce(c.closed_at, 0), coalesce(d.state, '') "
      "FROM "
      "rx_claims c LEFT JOIN rx_deliveries d ON d.claim_id = c.id WHERE c.pharmacy_id = ?1 AND c.state = ?2 "
      "ORDER BY "
      "c.claimed_at DESC, c.id LIMIT ?3";
  ly_error_clear(e);
  *out = NULL;
  if (!state || (strcmp(state, "active") && strcmp(state, "completed") && strcmp(state, "released")))
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "state must be active, completed or released.",
                        "state 须为 active、completed 或 released。");
  if (limit < 1 || limit > PV_WORK_MAX)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "limit must be 1-200.", "limit 须为 1-200。");
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return records_done(e, LY_EDB);
  ly_db_bind_text(st, 1, pa->pharmacy_id);
  ly_db_bind_text(st, 2, state);
  ly_db_bind_int(st, 3, limit);
  json_t *arr = json_array();
  int rc;
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *dstate = ly_db_col_text(st, 5);
    int64_t closed = sqlite3_column_int64(st, 4);
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:s, s:I, s:o, s:s, s:s?}", "claim_id", ly_db_col_text(st, 0),
                       "prescription_id", ly_db_col_text(st, 1), "via", ly_db_col_text(st, 2), "claimed_at",
                       (json_int_t)sqlite3_column_int64(st, 3), "closed_at",
                       closed ? json_integer(closed) : json_null(), "mode", dstate[0] ? "delivery" : "pickup",
                       "delivery_state", dstate[0] ? dstate : NULL));
  }
  sqlite3_reset(st);
  if (!arr) return records_done(e, LY_ENOMEM);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return records_done(e, ly_db_rc(cx->rec.db, rc));
  }
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *o = json_array_get(arr, i);
    json_object_set_new(o, "items", pv_items(cx, json_string_value(json_object_get(o, "prescription_id"))));
  }
  *out = arr;
  return 0;
}
