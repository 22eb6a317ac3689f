/* rx/prescription_sign.c — signing: the canonical prescription document, the
 * doctor's Ed25519 signature and the patient's access code.
 *
 * The document (canonical JSON, records/signature.h; docs/rx-rules.md):
 *   {"type":"prescription","format":1,"id","revision","issued_at","valid_until",
 *    "validity_days","kind","chronic_reason","assessment","patient_consent",
 *    "diagnosis":{"icd10","name"},"patient":{"id","name","sex","birth_date"},
 *    "guardian_name","prescriber":{"id","name","license_no","facility_id",
 *    "facility_name"},"consultation_id","renewal_of",
 *    "items":[{"line","drug_id","generic_name","strength","form","unit",
 *              "quantity","days","daily_milli","dose"}],
 *    "access_code_sha256","signer":{"doctor_id","public_key"}}
 * The access code itself is never in it: only its SHA-256, so a pharmacy can
 * check a presented code against the signed document.
 */
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

json_t *rx_result(const struct rx_rec *p) {
  return json_pack("{s:s, s:s, s:I, s:I, s:I}", "id", p->id, "state", p->state, "revision",
                   (json_int_t)p->revision, "signed_at", (json_int_t)p->signed_at, "valid_until",
                   (json_int_t)p->valid_until);
}

/* The stored code's hash, making and sealing a new code the first time. */
static int rx_access_code(struct rx_ctx *cx, const struct rx_rec *p, uint8_t hash[LY_SHA256_LEN]) {
  static const char *sql_get = "SELECT access_code_hash FROM prescriptions WHERE id = ?1";
  static const char *sql_set =
      "UPDATE prescriptions SET access_code_enc = ?2, access_code_hash = ?3 WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql_get);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  int rc = sqlite3_step(st), have = rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == LY_SHA256_LEN;
  if (have) memcpy(hash, sqlite3_column_blob(st, 0), LY_SHA256_LEN);
  sqlite3_reset(st);
  if (have) return 0;
  uint8_t code[RX_ACCESS_CODE_LEN], sealed[RX_ACCESS_CODE_LEN + LY_SEAL_OVERHEAD];
  size_t sealed_len = 0;
  char aad[96];
  snprintf(aad, sizeof aad, "prescriptions.access_code:%s", p->id);
  rc = ly_random_bytes(code, sizeof code);
  if (rc == 0) rc = ly_sha256(code, sizeof code, hash);
  if (rc == 0) rc = ly_seal(cx->rec.keys->enc, aad, code, sizeof code, sealed, sizeof sealed, &sealed_len);
  OPENSSL_cleanse(code, sizeof code);
  if (rc) return rc;
  if (!(st = ly_db_stmt(cx->rec.db, sql_set))) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  ly_db_bind_blob(st, 2, sealed, (int)sealed_len);
  ly_db_bind_blob(st, 3, hash, LY_SHA256_LEN);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* Names printed on the prescription: patient, prescriber, facility, diagnosis. */
static json_t *rx_doc_people(struct rx_ctx *cx, const struct rx_rec *p) {
  static const char *sql =
      "SELECT pa.name, pa.sex, pa.birth_date, a.name, d.license_no, f.name, "
      "coalesce((SELECT name FROM conditions WHERE icd10 = upper(substr(?4, 1, 3))), '') "
      "FROM patients pa, accounts a, doctors d, facilities f WHERE pa.id = ?1 AND a.id = ?2 AND d.account_id "
      "= ?2 "
      "AND f.id = ?3";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return NULL;
  ly_db_bind_text(st, 1, p->patient_id);
  ly_db_bind_text(st, 2, p->doctor_id);
  ly_db_bind_text(st, 3, p->facility_id);
  ly_db_bind_text(st, 4, p->icd10);
  json_t *o = NULL;
  if (sqlite3_step(st) == SQLITE_ROW)
    o = json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s}}", "patient", "id",
                  p->patient_id, "name", ly_db_col_text(st, 0), "sex", ly_db_col_text(st, 1), "birth_date",
                  ly_db_col_text(st, 2), "prescriber", "id", p->doctor_id, "name", ly_db_col_text(st, 3),
                  "license_no", ly_db_col_text(st, 4), "facility_id", p->facility_id, "facility_name",
                  ly_db_col_text(st, 5), "diagnosis", "icd10", p->icd10, "name", ly_db_col_text(st, 6));
  sqlite3_reset(st);
  return o;
}

static json_t *rx_doc_items(const struct rx_rec *p) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < p->nitems; i++) {
    const struct rx_item *it = &p->items[i];
    json_array_append_new(
        arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "line", (json_int_t)i + 1,
                       "drug_id", it->drug_id, "generic_name", it->generic_name, "strength", it->strength,
                       "form", it->form, "unit", it->unit, "quantity", (json_int_t)it->quantity, "days",
                       (json_int_t)it->days, "daily_milli", (json_int_t)it->daily_milli, "dose", it->dose));
  }
  return arr;
}

static json_t *rx_document(struct rx_ctx *cx, const struct rx_rec *p, const uint8_t code_hash[LY_SHA256_LEN],
                           const uint8_t pub[LY_ED25519_PUB_LEN]) {
  char hex[2 * LY_SHA256_LEN + 1], p64[48];
  ly_hex_encode(code_hash, LY_SHA256_LEN, hex, sizeof hex);
  if (ly_b64url_encode(pub, LY_ED25519_PUB_LEN, p64, sizeof p64) < 0) return NULL;
  json_t *d = rx_doc_people(cx, p);
  if (!d) return NULL;
  json_t *more = json_pack(
      "{s:s, s:i, s:s, s:I, s:I, s:I, s:i, s:s, s:s, s:s, s:b, s:s, s:s?, s:s?, s:o, s:s, s:{s:s, s:s}}",
      "type", "prescription", "format", 1, "id", p->id, "revision", (json_int_t)p->revision, "issued_at",
      (json_int_t)p->signed_at, "valid_until", (json_int_t)p->valid_until, "validity_days", p->validity_days,
      "kind", p->kind, "chronic_reason", p->chronic_reason, "assessment", p->assessment, "patient_consent",
      p->patient_consent, "guardian_name", p->guardian_name, "consultation_id",
      p->consultation_id[0] ? p->consultation_id : NULL, "renewal_of",
      p->renewal_of[0] ? p->renewal_of : NULL, "items", rx_doc_items(p), "access_code_sha256", hex, "signer",
      "doctor_id", p->doctor_id, "public_key", p64);
  if (!more || json_object_update(d, more)) {
    json_decref(more);
    json_decref(d);
    return NULL;
  }
  json_decref(more);
  return d;
}

static int rx_store_signature(struct rx_ctx *cx, const struct rx_rec *p, const char *doc,
                              const uint8_t sig[LY_ED25519_SIG_LEN], const uint8_t pub[LY_ED25519_PUB_LEN]) {
  static const char *sql =
      "UPDATE prescriptions SET signed_at = ?2, valid_until = ?3, document = ?4, signature = ?5, sign_pub = "
      "?6, "
      "reviewed_by = NULL, reviewed_at = NULL WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  ly_db_bind_int(st, 2, p->signed_at);
  ly_db_bind_int(st, 3, p->valid_until);
  ly_db_bind_text(st, 4, doc);
  ly_db_bind_blob(st, 5, sig, LY_ED25519_SIG_LEN);
  ly_db_bind_blob(st, 6, pub, LY_ED25519_PUB_LEN);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* DRAFT rules with who as the signer; violations refuse (all in viol). */
static int rx_sign_rules(struct rx_ctx *cx, const struct records_actor *who, const struct rx_rec *p,
                         struct rules_result *viol, struct ly_error *e) {
  struct rx_facts *f = malloc(sizeof *f);
  if (!f) return LY_ENOMEM;
  int rc = rx_facts(cx, p, who, NULL, f, e);
  if (rc == 0 && rules_check(&f->d, &cx->rules, RULES_STAGE_DRAFT, viol) > 0)
    rc = rules_result_error(viol, e);
  free(f);
  return rc;
}

int rx_sign_rec(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p,
                struct rules_result *viol, struct ly_error *e) {
  uint8_t hash[LY_SHA256_LEN], pub[LY_ED25519_PUB_LEN], pub2[LY_ED25519_PUB_LEN], sig[LY_ED25519_SIG_LEN];
  int rc = prescription_can_move(p, "sign", e);
  if (rc == 0) rc = rx_sign_rules(cx, who, p, viol, e);
  if (rc) return rc;
  p->signed_at = ly_now_ms(cx->rec.clock);
  p->valid_until = rx_end_of_local_day(cx, p->signed_at, p->validity_days - 1);
  if ((rc = rx_access_code(cx, p, hash))) return rc;
  if ((rc = signature_doctor_pub(&cx->rec, p->doctor_id, pub, e))) return rc;
  json_t *doc = rx_document(cx, p, hash, pub);
  char *text = doc ? signature_canonical(doc, NULL) : NULL;
  json_decref(doc);
  if (!text) return LY_ENOMEM;
  rc = signature_doctor_sign(&cx->rec, who->id, text, strlen(text), sig, pub2, e);
  if (rc == 0 && !ly_memeq(pub, pub2, sizeof pub)) rc = LY_ECRYPTO;
  if (rc == 0) rc = rx_store_signature(cx, p, text, sig, pub);
  free(text);
  if (rc == 0) rc = prescription_move(cx, who, p, "sign", NULL, e);
  return rc;
}

struct rx_sign_job {
  struct rx_rec p;
  struct rules_result viol;
  json_t *result;
};

static int rx_sign_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id, const char *key,
                      struct rx_sign_job *j, struct ly_error *e) {
  int rc = rx_idem_find(cx, who, key, "sign", id, &j->result, e);
  if (rc) return rc < 0 ? rc : 0;
  if ((rc = rx_load(cx, id, &j->p, e))) return rc;
  if ((rc = rx_sign_rec(cx, who, &j->p, &j->viol, e))) return rc;
  if (!(j->result = rx_result(&j->p))) return LY_ENOMEM;
  return rx_idem_store(cx, who, key, "sign", id, j->result);
}

int prescription_sign(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                      const char *idem_key, json_t **result, struct rules_result *viol, struct ly_error *e) {
  ly_error_clear(e);
  if (result) *result = NULL;
  struct rx_sign_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, rx_sign_tx(cx, who, id, idem_key, j, e));
  if (rc == LY_EDENIED || rc == LY_EFORBIDDEN || rc == LY_ESTATE)
    records_audit_refusal(&cx->rec, who, "rx.sign", j->p.patient_id[0] ? j->p.patient_id : NULL,
                          "prescription", id, e);
  if (viol) *viol = j->viol;
  if (rc == 0 && result)
    *result = j->result;
  else
    json_decref(j->result);
  free(j);
  return records_done(e, rc);
}
