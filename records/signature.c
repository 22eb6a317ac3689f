/* records/signature.c — canonical documents, doctors' Ed25519 keys, envelopes. */
#include "records/signature.h"

#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "core/ids.h"
#include "core/json.h"
#include "records/records.h"

#define SIG_AAD_MAX     128
#define SIG_PRIV_SEALED (LY_ED25519_PRIV_LEN + LY_SEAL_OVERHEAD)

/* 1 when v (recursively) holds a real number: canonical documents never do,
 * because two implementations rarely print a double the same way. */
static int sig_has_real(const json_t *v) {
  if (json_is_real(v)) return 1;
  if (json_is_array(v)) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) if (sig_has_real(x)) return 1;
  } else if (json_is_object(v)) {
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) if (sig_has_real(x)) return 1;
  }
  return 0;
}

char *signature_canonical(const json_t *doc, size_t *len_out) {
  if (!json_is_object(doc) || sig_has_real(doc)) return NULL;
  char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
  if (s && len_out) *len_out = strlen(s);
  return s;
}

static void sig_aad(const char *doctor_id, char *out, size_t outsz) {
  snprintf(out, outsz, "doctors.sign_priv:%s", doctor_id);
}

static int sig_no_key(struct ly_error *e) {
  return ly_error_set(e, LY_ENOTFOUND, "rx.no_signing_key", "This doctor has no signing key on record.",
                      "该医师没有登记电子签名密钥。");
}

/* Copy the doctor's public key and sealed private key out of the row. */
static int sig_load(const struct records_ctx *cx, const char *doctor_id, uint8_t pub[LY_ED25519_PUB_LEN],
                    uint8_t *sealed, size_t *sealed_len, struct ly_error *e) {
  static const char *sql = "SELECT sign_pub, sign_priv_enc FROM doctors WHERE account_id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, doctor_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? sig_no_key(e) : ly_error_set(e, ly_db_rc(cx->db, rc), NULL, NULL, NULL);
  }
  int publen = sqlite3_column_bytes(st, 0), privlen = sqlite3_column_bytes(st, 1);
  if (publen != LY_ED25519_PUB_LEN || (sealed && privlen != SIG_PRIV_SEALED)) {
    sqlite3_reset(st);
    return sig_no_key(e);
  }
  memcpy(pub, sqlite3_column_blob(st, 0), LY_ED25519_PUB_LEN);
  if (sealed) {
    memcpy(sealed, sqlite3_column_blob(st, 1), SIG_PRIV_SEALED);
    *sealed_len = SIG_PRIV_SEALED;
  }
  sqlite3_reset(st);
  return 0;
}

int signature_doctor_pub(const struct records_ctx *cx, const char *doctor_id, uint8_t pub[LY_ED25519_PUB_LEN],
                         struct ly_error *e) {
  return sig_load(cx, doctor_id, pub, NULL, NULL, e);
}

int signature_doctor_sign(const struct records_ctx *cx, const char *doctor_id, const void *msg, size_t n,
                          uint8_t sig[LY_ED25519_SIG_LEN], uint8_t pub_out[LY_ED25519_PUB_LEN],
                          struct ly_error *e) {
  uint8_t sealed[SIG_PRIV_SEALED], priv[LY_ED25519_PRIV_LEN];
  size_t sealed_len = 0, privlen = 0;
  char aad[SIG_AAD_MAX];
  int rc = sig_load(cx, doctor_id, pub_out, sealed, &sealed_len, e);
  if (rc) return rc;
  sig_aad(doctor_id, aad, sizeof aad);
  rc = ly_open(cx->keys->sign, aad, sealed, sealed_len, priv, sizeof priv, &privlen);
  if (rc == 0 && privlen != LY_ED25519_PRIV_LEN) rc = LY_ECRYPTO;
  if (rc == 0) rc = ly_ed25519_sign(priv, msg, n, sig);
  OPENSSL_cleanse(priv, sizeof priv);
  if (rc)
    return ly_error_set(e, LY_ECRYPTO, "rx.signing_failed", "The doctor's signing key could not be used.",
                        "无法使用该医师的电子签名密钥。");
  return 0;
}

int signature_doctor_keygen(const struct records_ctx *cx, const char *doctor_id, struct ly_error *e) {
  static const char *sql =
      "UPDATE doctors SET sign_pub = ?2, sign_priv_enc = ?3 WHERE account_id = ?1 AND sign_pub IS NULL";
  uint8_t pub[LY_ED25519_PUB_LEN], priv[LY_ED25519_PRIV_LEN], sealed[SIG_PRIV_SEALED];
  size_t sealed_len = 0;
  char aad[SIG_AAD_MAX];
  int rc = ly_ed25519_keygen(pub, priv);
  sig_aad(doctor_id, aad, sizeof aad);
  if (rc == 0) rc = ly_seal(cx->keys->sign, aad, priv, sizeof priv, sealed, sizeof sealed, &sealed_len);
  OPENSSL_cleanse(priv, sizeof priv);
  if (rc) return ly_error_set(e, LY_ECRYPTO, NULL, NULL, NULL);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, doctor_id);
  ly_db_bind_blob(st, 2, pub, sizeof pub);
  ly_db_bind_blob(st, 3, sealed, (int)sealed_len);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_error_set(e, ly_db_rc(cx->db, rc), NULL, NULL, NULL);
  if (sqlite3_changes(ly_db_sqlite(cx->db)) != 1)
    return ly_error_set(e, LY_EEXIST, "rx.signing_key_exists", "This doctor already has a signing key.",
                        "该医师已有电子签名密钥。");
  return 0;
}

json_t *signature_envelope(const char *kind, const char *document, const uint8_t sig[LY_ED25519_SIG_LEN],
                           const uint8_t pub[LY_ED25519_PUB_LEN]) {
  char s64[100], p64[48];
  if (ly_b64url_encode(sig, LY_ED25519_SIG_LEN, s64, sizeof s64) < 0 ||
      ly_b64url_encode(pub, LY_ED25519_PUB_LEN, p64, sizeof p64) < 0)
    return NULL;
  return json_pack("{s:s, s:s, s:s, s:s, s:s}", "format", SIGNATURE_FORMAT, "kind", kind, "document",
                   document, "public_key", p64, "signature", s64);
}

static int sig_bad(struct ly_error *e, int err, const char *en, const char *zh) {
  return ly_error_set(e, err, err == LY_ECRYPTO ? "rx.signature_invalid" : "rx.signed_file_malformed", en,
                      zh);
}

/* Decode a base64url field of exactly want bytes. */
static int sig_b64_field(const json_t *env, const char *key, uint8_t *out, size_t want) {
  const char *s = json_string_value(json_object_get(env, key));
  size_t got = 0;
  if (!s || ly_b64url_decode(s, strlen(s), out, want, &got) != 0 || got != want) return -1;
  return 0;
}

/* The document must parse, be canonical byte for byte, and name the key. */
static int sig_check_document(const char *doc, const uint8_t pub[LY_ED25519_PUB_LEN],
                              struct signature_info *info, struct ly_error *e) {
  json_t *d = NULL;
  struct ly_error pe;
  if (ly_json_parse(doc, strlen(doc), SIGNATURE_FILE_MAX, 8, &d, &pe) != 0)
    return sig_bad(e, LY_EPARSE, "The signed document is not valid JSON.", "签名文档不是有效的JSON。");
  size_t clen = 0;
  char *canon = signature_canonical(d, &clen);
  int same = canon && clen == strlen(doc) && memcmp(canon, doc, clen) == 0;
  free(canon);
  uint8_t named[LY_ED25519_PUB_LEN];
  json_t *signer = json_object_get(d, "signer");
  int key_ok = signer && sig_b64_field(signer, "public_key", named, sizeof named) == 0 &&
               ly_memeq(named, pub, sizeof named);
  if (!same || !key_ok) {
    json_decref(d);
    return same ? sig_bad(e, LY_ECRYPTO, "The document was not signed with this key.",
                          "该文档并非由此密钥签名。")
                : sig_bad(e, LY_ECRYPTO, "The signed document has been altered.", "签名文档已被篡改。");
  }
  const char *id = json_string_value(json_object_get(d, "id"));
  snprintf(info->id, sizeof info->id, "%s", id ? id : "");
  info->document = d;
  return 0;
}

int signature_verify(const char *buf, size_t n, const uint8_t *want_pub, struct signature_info *info,
                     struct ly_error *e) {
  memset(info, 0, sizeof *info);
  json_t *env = NULL;
  struct ly_error pe;
  if (n > SIGNATURE_FILE_MAX)
    return sig_bad(e, LY_ETOOBIG, "The signed file is too large.", "签名文件过大。");
  if (ly_json_parse(buf, n, SIGNATURE_FILE_MAX, 4, &env, &pe) != 0 || !json_is_object(env)) {
    json_decref(env);
    return sig_bad(e, LY_EPARSE, "This is not a Lianyi signed file.", "这不是联医签名文件。");
  }
  const char *format = json_string_value(json_object_get(env, "format"));
  const char *kind = json_string_value(json_object_get(env, "kind"));
  const char *doc = json_string_value(json_object_get(env, "document"));
  uint8_t sig[LY_ED25519_SIG_LEN];
  int rc = 0;
  if (!format || strcmp(format, SIGNATURE_FORMAT) != 0 || !kind || !doc ||
      json_string_length(json_object_get(env, "document")) != strlen(doc) ||
      sig_b64_field(env, "signature", sig, sizeof sig) != 0 ||
      sig_b64_field(env, "public_key", info->pub, sizeof info->pub) != 0)
    rc = sig_bad(e, LY_EPARSE, "The signed file is missing a field or has a malformed one.",
                 "签名文件缺少字段或字段格式错误。");
  else if (want_pub && !ly_memeq(want_pub, info->pub, LY_ED25519_PUB_LEN))
    rc = sig_bad(e, LY_ECRYPTO, "The document was not signed with the trusted key.",
                 "该文档并非由受信任的密钥签名。");
  else if (ly_ed25519_verify(info->pub, doc, strlen(doc), sig) != 0)
    rc = sig_bad(e, LY_ECRYPTO, "The signature does not match the document: it has been altered.",
                 "签名与文档不符：文档已被篡改。");
  else
    rc = sig_check_document(doc, info->pub, info, e);
  if (rc == 0) snprintf(info->kind, sizeof info->kind, "%s", kind);
  json_decref(env);
  return rc;
}
