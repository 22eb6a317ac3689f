/* rx/prescription_list.c — lists, the pharmacist's review queue, the signed
 * document and offline verification. */
#include <errno.h>
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

#define PL_MAX 200

static int pl_rows(struct rx_ctx *cx, const struct prescription_filter *f, json_t *arr) {
  static const char *sql =
      "SELECT p.id, p.patient_id, pa.name, p.doctor_id, a.name, p.state, p.kind, p.icd10, p.created_at, "
      "p.signed_at, "
      "p.valid_until, p.renewal_of, (SELECT group_concat(d.generic_name, '、') FROM prescription_items i "
      "JOIN drugs d "
      "ON d.id = i.drug_id WHERE i.prescription_id = p.id) FROM prescriptions p JOIN patients pa ON pa.id = "
      "p.patient_id "
      "JOIN accounts a ON a.id = p.doctor_id WHERE (?1 IS NULL OR p.patient_id = ?1) AND (?2 IS NULL OR "
      "p.doctor_id = ?2) "
      "AND (?3 IS NULL OR p.state = ?3) ORDER BY p.created_at DESC, p.id LIMIT ?4";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, f->patient_id);
  ly_db_bind_text(st, 2, f->doctor_id);
  ly_db_bind_text(st, 3, f->state);
  ly_db_bind_int(st, 4, f->limit > 0 && f->limit <= PL_MAX ? f->limit : PL_MAX);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *signed_at =
        sqlite3_column_type(st, 9) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 9));
    json_t *until =
        sqlite3_column_type(st, 10) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 10));
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s?, s:s}", "id",
                       ly_db_col_text(st, 0), "patient_id", ly_db_col_text(st, 1), "patient_name",
                       ly_db_col_text(st, 2), "doctor_id", ly_db_col_text(st, 3), "doctor_name",
                       ly_db_col_text(st, 4), "state", ly_db_col_text(st, 5), "kind", ly_db_col_text(st, 6),
                       "icd10", ly_db_col_text(st, 7), "created_at", (json_int_t)sqlite3_column_int64(st, 8),
                       "signed_at", signed_at, "valid_until", until, "renewal_of",
                       (const char *)sqlite3_column_text(st, 11), "drugs", ly_db_col_text(st, 12)));
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

int prescription_list(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_filter *f,
                      json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = json_array();
  if (!*out) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) {
    rc = pl_rows(cx, f, *out);
    if (rc == 0)
      rc = records_audit(&cx->rec, who, "rx.list", f->patient_id, "prescriptions", NULL, "ok", f->state);
    rc = records_finish(cx->rec.db, rc);
  }
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  return records_done(e, rc);
}

/* The pharmacist's facility: 1 with out set, 0 for the review centre. */
static int pl_pharmacist(struct rx_ctx *cx, const struct records_actor *who, char out[LY_ID_MAX],
                         struct ly_error *e) {
  static const char *sql = "SELECT facility_id FROM pharmacists WHERE account_id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, who->id);
  int rc = sqlite3_step(st), centre = 0;
  if (rc == SQLITE_ROW) {
    centre = sqlite3_column_type(st, 0) == SQLITE_NULL;
    snprintf(out, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return centre ? 0 : 1;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return ly_error_set(e, LY_EFORBIDDEN, "rx.pharmacist_only", "Only a pharmacist has a review queue.",
                      "只有药师有审方队列。");
}

/* What the reviewing pharmacist sees of the patient beside one prescription
 * (one): who they are (name, sex, birth date) and their other signed
 * prescriptions, newest first (at most 10: id, state, kind, icd10,
 * signed_at, drugs). Audited as a list of the patient's prescriptions. */
static int pl_history_tx(struct rx_ctx *cx, const struct records_actor *who, json_t *one) {
  static const char *psql = "SELECT name, name_en, sex, birth_date FROM patients WHERE id = ?1";
  static const char *hsql =
      "SELECT p.id, p.state, p.kind, p.icd10, p.signed_at, (SELECT group_concat(d.generic_name, '、') FROM "
      "prescription_items i JOIN drugs d ON d.id = i.drug_id WHERE i.prescription_id = p.id) FROM "
      "prescriptions p WHERE p.patient_id = ?1 AND p.id <> ?2 AND p.signed_at IS NOT NULL ORDER BY "
      "p.signed_at DESC, p.id LIMIT 10";
  const char *patient = json_string_value(json_object_get(one, "patient_id"));
  const char *id = json_string_value(json_object_get(one, "id"));
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, psql);
  json_t *hist = json_array();
  if (!st || !hist) return json_decref(hist), st ? LY_ENOMEM : LY_EDB;
  ly_db_bind_text(st, 1, patient);
  if (sqlite3_step(st) == SQLITE_ROW)
    json_object_set_new(
        one, "patient",
        json_pack("{s:s, s:s, s:s, s:s}", "name", ly_db_col_text(st, 0), "name_en", ly_db_col_text(st, 1),
                  "sex", ly_db_col_text(st, 2), "birth_date", ly_db_col_text(st, 3)));
  sqlite3_reset(st);
  if (!(st = ly_db_stmt(cx->rec.db, hsql))) return json_decref(hist), LY_EDB;
  ly_db_bind_text(st, 1, patient);
  ly_db_bind_text(st, 2, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(
        hist,
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "id", ly_db_col_text(st, 0), "state",
                  ly_db_col_text(st, 1), "kind", ly_db_col_text(st, 2), "icd10", ly_db_col_text(st, 3),
                  "signed_at", (json_int_t)sqlite3_column_int64(st, 4), "drugs", ly_db_col_text(st, 5)));
  sqlite3_reset(st);
  json_object_set_new(one, "history", hist);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return records_audit(&cx->rec, who, "rx.list", patient, "prescriptions", NULL, "ok", "review_history");
}

int prescription_review_queue(struct rx_ctx *cx, const struct records_actor *who, json_t **out,
                              struct ly_error *e) {
  static const char *sql =
      "SELECT id FROM prescriptions WHERE state = 'pending_review' AND (?1 IS NULL OR facility_id = ?1) "
      "ORDER BY signed_at, id LIMIT 100";
  char facility[LY_ID_MAX], ids[100][LY_ID_MAX];
  size_t n = 0;
  ly_error_clear(e);
  *out = NULL;
  int rc = pl_pharmacist(cx, who, facility, e);
  if (rc < 0) return records_done(e, rc);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return records_done(e, LY_EDB);
  ly_db_bind_text(st, 1, rc == 1 ? facility : NULL);
  while (n < 100 && sqlite3_step(st) == SQLITE_ROW)
    snprintf(ids[n++], LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++) {
    json_t *one = NULL;
    struct ly_error ignored;
    if (prescription_get(cx, who, ids[i], 0, &one, &ignored) != 0) continue;
    if (ly_db_begin(cx->rec.db) == 0) records_finish(cx->rec.db, pl_history_tx(cx, who, one));
    json_array_append_new(arr, one);
  }
  if (!arr) return records_done(e, LY_ENOMEM);
  *out = arr;
  return 0;
}

static int pl_signed_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id, json_t **out,
                        struct ly_error *e) {
  static const char *sql =
      "SELECT patient_id, document, signature, sign_pub FROM prescriptions WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
    return ly_error_set(e, LY_ENOTFOUND, "rx.not_found", "No such prescription.", "未找到该处方。");
  }
  char patient[LY_ID_MAX];
  snprintf(patient, sizeof patient, "%s", ly_db_col_text(st, 0));
  int ok = sqlite3_column_type(st, 1) != SQLITE_NULL && sqlite3_column_bytes(st, 2) == LY_ED25519_SIG_LEN &&
           sqlite3_column_bytes(st, 3) == LY_ED25519_PUB_LEN;
  if (ok)
    *out = signature_envelope("prescription", ly_db_col_text(st, 1), sqlite3_column_blob(st, 2),
                              sqlite3_column_blob(st, 3));
  sqlite3_reset(st);
  if (!ok)
    return ly_error_set(e, LY_ESTATE, "rx.not_signed", "This prescription is not signed.",
                        "该处方尚未签名。");
  if (!*out) return LY_ENOMEM;
  return records_audit(&cx->rec, who, "rx.read", patient, "prescription", id, "ok", "signed");
}

int prescription_signed(struct rx_ctx *cx, const struct records_actor *who, const char *id, json_t **out,
                        struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, pl_signed_tx(cx, who, id, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  return records_done(e, rc);
}

int prescription_verify_file(const char *buf, size_t n, const uint8_t *want_pub, char id_out[LY_ID_MAX],
                             struct ly_error *e) {
  struct signature_info info;
  ly_error_clear(e);
  int rc = signature_verify(buf, n, want_pub, &info, e);
  if (rc) return rc;
  const char *type = json_string_value(json_object_get(info.document, "type"));
  int is_rx = strcmp(info.kind, "prescription") == 0 && type && strcmp(type, "prescription") == 0 &&
              strlen(info.id) < LY_ID_MAX;
  json_decref(info.document);
  if (!is_rx)
    return ly_error_set(e, LY_EPARSE, "rx.not_a_prescription", "This signed file is not a prescription.",
                        "该签名文件不是处方。");
  memcpy(id_out, info.id, strlen(info.id) + 1);
  return 0;
}

int prescription_verify_main(const char *path, const char *pub_b64url, FILE *out, FILE *err) {
  uint8_t pub[LY_ED25519_PUB_LEN];
  size_t publen = 0;
  if (pub_b64url && (ly_b64url_decode(pub_b64url, strlen(pub_b64url), pub, sizeof pub, &publen) != 0 ||
                     publen != sizeof pub)) {
    fprintf(err, "the public key must be 32 bytes in base64url\n");
    return 2;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
    return 2;
  }
  char *buf = malloc(SIGNATURE_FILE_MAX + 1);
  size_t n = buf ? fread(buf, 1, SIGNATURE_FILE_MAX + 1, f) : 0;
  int bad = !buf || ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    fprintf(err, "%s: cannot read\n", path);
    return 2;
  }
  struct ly_error e;
  char id[LY_ID_MAX];
  int rc = prescription_verify_file(buf, n, pub_b64url ? pub : NULL, id, &e);
  free(buf);
  if (rc) {
    fprintf(err, "%s: INVALID: %s (%s)\n", path, e.message, e.code);
    return 1;
  }
  fprintf(out, "%s: OK: prescription %s, signature valid%s\n", path, id,
          pub_b64url ? " under the given key" : " under the key named in the file (no trusted key given)");
  return 0;
}
