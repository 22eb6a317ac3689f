/* rx/prescription_view.c — what people see of prescriptions: one, lists, the
 * review queue, the signed document, and offline verification. */
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "records/signature.h"
#include "rx/prescription.h"
#include "rx/prescription_internal.h"

json_t *prescription_violations_json(const struct rules_result *r) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && r && i < r->n; i++) {
    const struct rules_rule *k = r->v[i].rule;
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", k->code, "field", r->v[i].field,
                                         "message", k->en, "message_zh", k->zh, "source", k->source));
  }
  return arr;
}

static json_t *pv_items(const struct rx_rec *p) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < p->nitems; i++) {
    const struct rx_item *it = &p->items[i];
    json_array_append_new(
        arr,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:b, s:b}", "drug_id", it->drug_id,
                  "generic_name", it->generic_name, "generic_en", it->generic_en, "strength", it->strength,
                  "form", it->form, "unit", it->unit, "quantity", (json_int_t)it->quantity, "days",
                  (json_int_t)it->days, "daily_milli", (json_int_t)it->daily_milli, "dose", it->dose,
                  "antimicrobial", it->antimicrobial, "controlled", it->controlled != RULES_CTRL_NONE));
  }
  return arr;
}

static json_t *pv_opt_int(int64_t v) {
  return v ? json_integer(v) : json_null();
}

static json_t *pv_events(struct rx_ctx *cx, const char *id) {
  static const char *sql =
      "SELECT seq, at, actor_id, action, from_state, to_state, reason FROM prescription_events WHERE "
      "prescription_id = ?1 "
      "ORDER BY seq";
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->rec.db, sql) : NULL;
  if (!st) {
    json_decref(arr);
    return NULL;
  }
  ly_db_bind_text(st, 1, id);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:i, s:I, s:s, s:s, s:s?, s:s, s:s?}", "seq", sqlite3_column_int(st, 0), "at",
                       (json_int_t)sqlite3_column_int64(st, 1), "actor_id", ly_db_col_text(st, 2), "action",
                       ly_db_col_text(st, 3), "from", (const char *)sqlite3_column_text(st, 4), "to",
                       ly_db_col_text(st, 5), "reason", (const char *)sqlite3_column_text(st, 6)));
  sqlite3_reset(st);
  return arr;
}

/* review_reason, cancel_reason, reviewed_by, signed or not. */
static int pv_extra(struct rx_ctx *cx, const char *id, json_t *o) {
  static const char *sql =
      "SELECT review_reason, cancel_reason, reviewed_by, reviewed_at, document IS NOT NULL FROM "
      "prescriptions WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    json_object_set_new(o, "review_reason", json_pack("s?", (const char *)sqlite3_column_text(st, 0)));
    json_object_set_new(o, "cancel_reason", json_pack("s?", (const char *)sqlite3_column_text(st, 1)));
    json_object_set_new(o, "reviewed_by", json_pack("s?", (const char *)sqlite3_column_text(st, 2)));
    json_object_set_new(o, "reviewed_at", pv_opt_int(sqlite3_column_int64(st, 3)));
    json_object_set_new(o, "signed", json_boolean(sqlite3_column_int(st, 4)));
  }
  sqlite3_reset(st);
  return 0;
}

static json_t *pv_json(struct rx_ctx *cx, const struct rx_rec *p) {
  json_t *o = json_pack(
      "{s:s, s:s, s:s, s:s, s:s?, s:s?, s:b, s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s, s:s, s:I, s:I, s:o, "
      "s:o, s:o}",
      "id", p->id, "patient_id", p->patient_id, "doctor_id", p->doctor_id, "facility_id", p->facility_id,
      "consultation_id", p->consultation_id[0] ? p->consultation_id : NULL, "renewal_of",
      p->renewal_of[0] ? p->renewal_of : NULL, "online", p->online, "icd10", p->icd10, "kind", p->kind,
      "chronic_reason", p->chronic_reason, "assessment", p->assessment, "patient_consent", p->patient_consent,
      "validity_days", p->validity_days, "guardian_name", p->guardian_name, "note", p->note, "state",
      p->state, "revision", (json_int_t)p->revision, "created_at", (json_int_t)p->created_at, "signed_at",
      pv_opt_int(p->signed_at), "valid_until", pv_opt_int(p->valid_until), "items", pv_items(p));
  json_t *ev = o ? pv_events(cx, p->id) : NULL;
  if (!ev || pv_extra(cx, p->id, o)) {
    json_decref(ev);
    json_decref(o);
    return NULL;
  }
  json_object_set_new(o, "events", ev);
  return o;
}

/* The patient's code: base64url of the 32 bytes and the QR payload. */
static int pv_add_code(struct rx_ctx *cx, const struct rx_rec *p, json_t *o) {
  static const char *sql = "SELECT access_code_enc FROM prescriptions WHERE id = ?1";
  uint8_t code[RX_ACCESS_CODE_LEN + 8];
  size_t len = 0;
  char aad[96], b64[64], qr[160];
  snprintf(aad, sizeof aad, "prescriptions.access_code:%s", p->id);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  int rc = LY_ENOTFOUND;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) > 0)
    rc = ly_open(cx->rec.keys->enc, aad, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                 code, sizeof code, &len);
  sqlite3_reset(st);
  if (rc == LY_ENOTFOUND) return 0; /* never signed: no code yet */
  if (rc == 0 && (len != RX_ACCESS_CODE_LEN || ly_b64url_encode(code, len, b64, sizeof b64) < 0))
    rc = LY_ECRYPTO;
  OPENSSL_cleanse(code, sizeof code);
  if (rc) return rc;
  snprintf(qr, sizeof qr, "LYRX1:%s:%s", p->id, b64);
  json_object_set_new(o, "access_code", json_string(b64));
  json_object_set_new(o, "qr", json_string(qr));
  OPENSSL_cleanse(b64, sizeof b64);
  OPENSSL_cleanse(qr, sizeof qr);
  return 0;
}

/* The rules' verdicts now: DRAFT as if the prescriber signed; REVIEW when a pharmacist looks. */
static int pv_verdicts(struct rx_ctx *cx, const struct records_actor *who, const struct rx_rec *p,
                       json_t *o) {
  struct records_actor doc = {p->doctor_id, "doctor", NULL};
  int pharm = records_is(who, "pharmacist");
  struct rx_facts *f = malloc(sizeof *f);
  struct rules_result *r = calloc(1, sizeof *r);
  int rc = f && r ? rx_facts(cx, p, &doc, pharm ? who : NULL, f, NULL) : LY_ENOMEM;
  if (rc == 0) {
    rules_check(&f->d, &cx->rules, RULES_STAGE_DRAFT | (pharm ? RULES_STAGE_REVIEW : 0), r);
    json_object_set_new(o, "verdicts", prescription_violations_json(r));
  }
  free(f);
  free(r);
  return rc;
}

static int pv_get_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id, int include_code,
                     struct rx_rec *p, json_t **out, struct ly_error *e) {
  int rc = rx_load(cx, id, p, e);
  if (rc) return rc;
  if (!(*out = pv_json(cx, p))) return LY_ENOMEM;
  if (include_code && (rc = pv_add_code(cx, p, *out))) return rc;
  if (!records_is(who, "patient") && (rc = pv_verdicts(cx, who, p, *out))) return rc;
  return records_audit(&cx->rec, who, "rx.read", p->patient_id, "prescription", id, "ok", NULL);
}

int prescription_get(struct rx_ctx *cx, const struct records_actor *who, const char *id, int include_code,
                     json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  struct rx_rec *p = malloc(sizeof *p);
  if (!p) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, pv_get_tx(cx, who, id, include_code, p, out, e));
  free(p);
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  return records_done(e, rc);
}

int prescription_parties(struct rx_ctx *cx, const char *id, struct prescription_parties *out) {
  static const char *sql =
      "SELECT patient_id, doctor_id, facility_id, state FROM prescriptions WHERE id = ?1";
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(out->patient_id, sizeof out->patient_id, "%s", ly_db_col_text(st, 0));
    snprintf(out->doctor_id, sizeof out->doctor_id, "%s", ly_db_col_text(st, 1));
    snprintf(out->facility_id, sizeof out->facility_id, "%s", ly_db_col_text(st, 2));
    snprintf(out->state, sizeof out->state, "%s", ly_db_col_text(st, 3));
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->rec.db, rc);
}
