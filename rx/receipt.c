/* rx/receipt.c — the server's receipt key, issuing and signing receipts,
 * and what billing reads from them. */
#include "rx/receipt.h"

#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/signature.h"
#include "rx/pharmacy_internal.h"

#define RC_PURPOSE "receipt"
#define RC_KIND    "dispense_receipt"

/* ---- the server's receipt key ------------------------------------------------------ */

static void rc_aad(const char *key_id, char *out, size_t outsz) {
  snprintf(out, outsz, "rx_server_keys.priv:%s", key_id);
}

static int rc_key_load(struct rx_ctx *cx, char key_id[LY_ID_MAX], uint8_t pub[LY_ED25519_PUB_LEN],
                       uint8_t *sealed, size_t *sealed_len) {
  static const char *sql = "SELECT id, pub, priv_enc FROM rx_server_keys WHERE purpose = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, RC_PURPOSE);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int pn = sqlite3_column_bytes(st, 1), sn = sqlite3_column_bytes(st, 2);
    if (pn != LY_ED25519_PUB_LEN || sn != LY_ED25519_PRIV_LEN + LY_SEAL_OVERHEAD) {
      sqlite3_reset(st);
      return LY_ECRYPTO;
    }
    snprintf(key_id, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
    memcpy(pub, sqlite3_column_blob(st, 1), LY_ED25519_PUB_LEN);
    if (sealed) memcpy(sealed, sqlite3_column_blob(st, 2), (size_t)sn);
    if (sealed_len) *sealed_len = (size_t)sn;
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->rec.db, rc);
}

static int rc_key_make(struct rx_ctx *cx) {
  static const char *sql =
      "INSERT INTO rx_server_keys (id, purpose, pub, priv_enc, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
  char id[LY_ID_MAX], aad[96];
  uint8_t pub[LY_ED25519_PUB_LEN], priv[LY_ED25519_PRIV_LEN], sealed[LY_ED25519_PRIV_LEN + LY_SEAL_OVERHEAD];
  size_t n = 0;
  int rc = ly_id_new("key", id, sizeof id);
  if (rc == 0) rc = ly_ed25519_keygen(pub, priv);
  rc_aad(id, aad, sizeof aad);
  if (rc == 0) rc = ly_seal(cx->rec.keys->sign, aad, priv, sizeof priv, sealed, sizeof sealed, &n);
  OPENSSL_cleanse(priv, sizeof priv);
  sqlite3_stmt *st = rc ? NULL : ly_db_stmt(cx->rec.db, sql);
  if (!st) return rc ? rc : LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, RC_PURPOSE);
  ly_db_bind_blob(st, 3, pub, sizeof pub);
  ly_db_bind_blob(st, 4, sealed, (int)n);
  ly_db_bind_int(st, 5, ly_now_ms(cx->rec.clock));
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* Inside a transaction: the key, made the first time. */
static int rc_key(struct rx_ctx *cx, char key_id[LY_ID_MAX], uint8_t pub[LY_ED25519_PUB_LEN], uint8_t *sealed,
                  size_t *sealed_len) {
  int rc = rc_key_load(cx, key_id, pub, sealed, sealed_len);
  if (rc != LY_ENOTFOUND) return rc;
  if ((rc = rc_key_make(cx))) return rc;
  return rc_key_load(cx, key_id, pub, sealed, sealed_len);
}

int receipt_public_key(struct rx_ctx *cx, uint8_t pub[LY_ED25519_PUB_LEN], char key_id[LY_ID_MAX]) {
  int rc = rc_key_load(cx, key_id, pub, NULL, NULL);
  if (rc != LY_ENOTFOUND) return rc;
  if ((rc = ly_db_begin(cx->rec.db))) return rc;
  return records_finish(cx->rec.db, rc_key(cx, key_id, pub, NULL, NULL));
}

static int rc_sign(struct rx_ctx *cx, const char *key_id, const uint8_t *sealed, size_t n, const char *msg,
                   uint8_t sig[LY_ED25519_SIG_LEN]) {
  uint8_t priv[LY_ED25519_PRIV_LEN + 8];
  char aad[96];
  size_t len = 0;
  rc_aad(key_id, aad, sizeof aad);
  int rc = ly_open(cx->rec.keys->sign, aad, sealed, n, priv, sizeof priv, &len);
  if (rc == 0 && len != LY_ED25519_PRIV_LEN) rc = LY_ECRYPTO;
  if (rc == 0) rc = ly_ed25519_sign(priv, msg, strlen(msg), sig);
  OPENSSL_cleanse(priv, sizeof priv);
  return rc;
}

/* ---- issuing -------------------------------------------------------------------------- */

/* What the claim handed out, per line and drug. *total gets the sum. */
static json_t *rc_items(struct rx_ctx *cx, const struct rx_rec *p, const char *claim_id, int64_t *total) {
  static const char *sql =
      "SELECT i.line, i.drug_id, d.generic_name, d.strength, sum(i.quantity), sum(i.units), "
      "i.unit_price_fen, "
      "max(i.substituted), max(x.at) FROM rx_dispense_items i JOIN rx_dispenses x ON x.id = i.dispense_id "
      "JOIN "
      "drugs d ON d.id = i.drug_id WHERE x.claim_id = ?1 AND x.returned_at IS NULL GROUP BY i.line, "
      "i.drug_id, "
      "i.unit_price_fen ORDER BY i.line, i.drug_id";
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->rec.db, sql) : NULL;
  *total = 0;
  if (!st) {
    json_decref(arr);
    return NULL;
  }
  ly_db_bind_text(st, 1, claim_id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    int line = sqlite3_column_int(st, 0);
    int64_t q = sqlite3_column_int64(st, 4), price = sqlite3_column_int64(st, 6);
    const char *prescribed = line >= 1 && (size_t)line <= p->nitems ? p->items[line - 1].drug_id : "";
    *total += q * price;
    json_array_append_new(
        arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:I}", "line", line,
                       "prescribed_drug_id", prescribed, "drug_id", ly_db_col_text(st, 1), "generic_name",
                       ly_db_col_text(st, 2), "strength", ly_db_col_text(st, 3), "quantity", (json_int_t)q,
                       "units", (json_int_t)sqlite3_column_int64(st, 5), "unit_price_fen", (json_int_t)price,
                       "amount_fen", (json_int_t)(q * price), "substituted", sqlite3_column_int(st, 7),
                       "dispensed_at", (json_int_t)sqlite3_column_int64(st, 8)));
  }
  sqlite3_reset(st);
  return arr;
}

/* SHA-256 (hex) of the doctor's signature, and the pharmacy's name. */
static int rc_facts(struct rx_ctx *cx, const struct rx_rec *p, const struct ph_claim *c, char sig_hex[65],
                    char *pharmacy_name, size_t namesz, int *delivery) {
  static const char *sql =
      "SELECT (SELECT signature FROM prescriptions WHERE id = ?1), (SELECT name FROM pharmacies WHERE id = "
      "?2), "
      "EXISTS (SELECT 1 FROM rx_deliveries WHERE claim_id = ?3)";
  uint8_t h[LY_SHA256_LEN];
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  ly_db_bind_text(st, 2, c->pharmacy_id);
  ly_db_bind_text(st, 3, c->id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    rc = ly_sha256(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), h) ? LY_ECRYPTO
                                                                                       : SQLITE_ROW;
    snprintf(pharmacy_name, namesz, "%s", ly_db_col_text(st, 1));
    *delivery = sqlite3_column_int(st, 2);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return rc < 0 ? rc : ly_db_rc(cx->rec.db, rc);
  ly_hex_encode(h, sizeof h, sig_hex, 65);
  return 0;
}

static json_t *rc_document(struct rx_ctx *cx, const struct rx_rec *p, const struct ph_claim *c,
                           const char *id, int64_t now, const char *key_id,
                           const uint8_t pub[LY_ED25519_PUB_LEN], int64_t *total) {
  char sig_hex[65], name[128], p64[48];
  int delivery = 0;
  if (rc_facts(cx, p, c, sig_hex, name, sizeof name, &delivery) ||
      ly_b64url_encode(pub, LY_ED25519_PUB_LEN, p64, sizeof p64) < 0)
    return NULL;
  json_t *items = rc_items(cx, p, c->id, total);
  if (!items) return NULL;
  return json_pack(
      "{s:s, s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:I, s:I, s:s, s:s, s:o, s:I, "
      "s:{s:s, s:s}}",
      "type", RC_KIND, "format", 1, "id", id, "prescription_id", p->id, "prescription_revision",
      (json_int_t)p->revision, "patient_id", p->patient_id, "prescriber_id", p->doctor_id, "facility_id",
      p->facility_id, "pharmacy", "id", c->pharmacy_id, "name", name, "claim_id", c->id, "claimed_at",
      (json_int_t)c->claimed_at, "completed_at", (json_int_t)now, "mode", delivery ? "delivery" : "pickup",
      "prescription_signature_sha256", sig_hex, "items", items, "total_fen", (json_int_t)*total, "signer",
      "key_id", key_id, "public_key", p64);
}

static int rc_insert(struct rx_ctx *cx, const struct rx_rec *p, const struct ph_claim *c, const char *id,
                     int64_t now, int64_t total, const char *doc, const uint8_t sig[LY_ED25519_SIG_LEN],
                     const char *key_id) {
  static const char *sql =
      "INSERT INTO rx_receipts (id, prescription_id, claim_id, pharmacy_id, patient_id, facility_id, "
      "completed_at, "
      "total_fen, document, signature, key_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, p->id);
  ly_db_bind_text(st, 3, c->id);
  ly_db_bind_text(st, 4, c->pharmacy_id);
  ly_db_bind_text(st, 5, p->patient_id);
  ly_db_bind_text(st, 6, p->facility_id);
  ly_db_bind_int(st, 7, now);
  ly_db_bind_int(st, 8, total);
  ly_db_bind_text(st, 9, doc);
  ly_db_bind_blob(st, 10, sig, LY_ED25519_SIG_LEN);
  ly_db_bind_text(st, 11, key_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

int receipt_issue(struct rx_ctx *cx, const struct rx_rec *p, const struct ph_claim *c, int64_t now) {
  char id[LY_ID_MAX], key_id[LY_ID_MAX];
  uint8_t pub[LY_ED25519_PUB_LEN], sealed[LY_ED25519_PRIV_LEN + LY_SEAL_OVERHEAD], sig[LY_ED25519_SIG_LEN];
  size_t n = 0;
  int64_t total = 0;
  int rc = ly_id_new("rcp", id, sizeof id);
  if (rc == 0) rc = rc_key(cx, key_id, pub, sealed, &n);
  if (rc) return rc;
  json_t *doc = rc_document(cx, p, c, id, now, key_id, pub, &total);
  char *text = doc ? signature_canonical(doc, NULL) : NULL;
  json_decref(doc);
  if (!text) return LY_ENOMEM;
  rc = rc_sign(cx, key_id, sealed, n, text, sig);
  if (rc == 0) rc = rc_insert(cx, p, c, id, now, total, text, sig, key_id);
  free(text);
  OPENSSL_cleanse(sealed, sizeof sealed);
  return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

json_t *receipt_json_of(struct rx_ctx *cx, const char *prescription_id) {
  static const char *sql =
      "SELECT r.id, r.pharmacy_id, r.completed_at, r.total_fen, r.document, r.signature, k.pub, r.billed_at "
      "IS NOT "
      "NULL FROM rx_receipts r JOIN rx_server_keys k ON k.id = r.key_id WHERE r.prescription_id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return NULL;
  ly_db_bind_text(st, 1, prescription_id);
  json_t *o = NULL;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 5) == LY_ED25519_SIG_LEN &&
      sqlite3_column_bytes(st, 6) == LY_ED25519_PUB_LEN) {
    const char *doc = ly_db_col_text(st, 4);
    json_t *env = signature_envelope(RC_KIND, doc, sqlite3_column_blob(st, 5), sqlite3_column_blob(st, 6));
    o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:b}", "id", ly_db_col_text(st, 0), "prescription_id",
                  prescription_id, "pharmacy_id", ly_db_col_text(st, 1), "completed_at",
                  (json_int_t)sqlite3_column_int64(st, 2), "total_fen",
                  (json_int_t)sqlite3_column_int64(st, 3), "document", json_loads(doc, 0, NULL), "envelope",
                  env, "billed", sqlite3_column_int(st, 7));
  }
  sqlite3_reset(st);
  return o;
}

static int rc_get_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id, struct rx_rec *p,
                     json_t **out, struct ly_error *e) {
  int rc = rx_load(cx, id, p, e);
  if (rc == LY_ENOTFOUND) return ph_not_found(e);
  if (rc) return rc;
  if (!records_is(who, "supervisor") && (rc = ph_patient_owns(cx, who, p, e))) return rc;
  if (!(*out = receipt_json_of(cx, id)))
    return ly_error_set(e, LY_ENOTFOUND, "rx.no_receipt", "This prescription has no receipt yet.",
                        "该处方尚无取药凭证。");
  return records_audit(&cx->rec, who, "rx.receipt_read", p->patient_id, "prescription", id, "ok", NULL);
}

int receipt_get(struct rx_ctx *cx, const struct records_actor *who, const char *prescription_id, json_t **out,
                struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!prescription_id || strnlen(prescription_id, LY_ID_MAX) >= LY_ID_MAX)
    return records_done(e, ph_not_found(e));
  struct rx_rec *p = malloc(sizeof *p);
  if (!p) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, rc_get_tx(cx, who, prescription_id, p, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  free(p);
  return records_done(e, rc);
}

/* ---- billing -------------------------------------------------------------------------- */

static int rc_lines(struct rx_ctx *cx, struct receipt *r) {
  static const char *sql = "SELECT document FROM rx_receipts WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, r->id);
  json_t *doc = sqlite3_step(st) == SQLITE_ROW ? json_loads(ly_db_col_text(st, 0), 0, NULL) : NULL;
  sqlite3_reset(st);
  json_t *items = json_object_get(doc, "items");
  if (!json_is_array(items)) {
    json_decref(doc);
    return LY_EINTERNAL;
  }
  for (size_t i = 0; i < json_array_size(items) && r->nlines < RECEIPT_MAX_LINES; i++) {
    json_t *it = json_array_get(items, i);
    struct receipt_line *l = &r->lines[r->nlines++];
    l->line = (int)json_integer_value(json_object_get(it, "line"));
    snprintf(l->drug_id, sizeof l->drug_id, "%s", json_string_value(json_object_get(it, "drug_id")));
    snprintf(l->prescribed_drug_id, sizeof l->prescribed_drug_id, "%s",
             json_string_value(json_object_get(it, "prescribed_drug_id")));
    l->quantity = json_integer_value(json_object_get(it, "quantity"));
    l->unit_price_fen = json_integer_value(json_object_get(it, "unit_price_fen"));
    l->substituted = json_is_true(json_object_get(it, "substituted"));
  }
  json_decref(doc);
  return 0;
}

int receipt_load(struct rx_ctx *cx, const char *receipt_id, struct receipt *out) {
  static const char *sql =
      "SELECT id, prescription_id, pharmacy_id, patient_id, facility_id, completed_at, total_fen, "
      "coalesce(billed_claim_id, '') FROM rx_receipts WHERE id = ?1";
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, receipt_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(out->id, sizeof out->id, "%s", ly_db_col_text(st, 0));
    snprintf(out->prescription_id, sizeof out->prescription_id, "%s", ly_db_col_text(st, 1));
    snprintf(out->pharmacy_id, sizeof out->pharmacy_id, "%s", ly_db_col_text(st, 2));
    snprintf(out->patient_id, sizeof out->patient_id, "%s", ly_db_col_text(st, 3));
    snprintf(out->facility_id, sizeof out->facility_id, "%s", ly_db_col_text(st, 4));
    out->completed_at = sqlite3_column_int64(st, 5);
    out->total_fen = sqlite3_column_int64(st, 6);
    snprintf(out->billed_claim_id, sizeof out->billed_claim_id, "%s", ly_db_col_text(st, 7));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->rec.db, rc);
  return rc_lines(cx, out);
}

int receipt_unbilled(struct rx_ctx *cx, const char *after, char (*ids)[LY_ID_MAX], size_t max, size_t *n) {
  static const char *sql =
      "SELECT id FROM rx_receipts WHERE billed_at IS NULL AND (?1 IS NULL OR (completed_at, id) > ((SELECT "
      "completed_at FROM rx_receipts WHERE id = ?1), ?1)) ORDER BY completed_at, id LIMIT ?2";
  *n = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, after);
  ly_db_bind_int(st, 2, (int64_t)max);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
    snprintf(ids[(*n)++], LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

int receipt_mark_billed(struct rx_ctx *cx, const char *receipt_id, const char *claim_id) {
  static const char *sql =
      "UPDATE rx_receipts SET billed_claim_id = ?2, billed_at = ?3 WHERE id = ?1 AND (billed_claim_id IS "
      "NULL OR "
      "billed_claim_id = ?2)";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, receipt_id);
  ly_db_bind_text(st, 2, claim_id);
  ly_db_bind_int(st, 3, ly_now_ms(cx->rec.clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return sqlite3_changes(ly_db_sqlite(cx->rec.db)) == 1 ? 0 : LY_ECONFLICT;
}
