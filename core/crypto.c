/* core/crypto.c — hashes, MACs, scrypt, HKDF, AES-256-GCM and Ed25519 over
 * OpenSSL 3 EVP interfaces only (no deprecated low-level APIs). */
#include "core/crypto.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/ids.h"

#define CRYPTO_SCRYPT_LOG_N 15
#define CRYPTO_SCRYPT_R     8
#define CRYPTO_SCRYPT_P     1
#define CRYPTO_SALT_LEN     16
#define CRYPTO_KEY_LEN      32
#define CRYPTO_PASSWORD_MAX 4096 /* longer passwords are refused, not truncated */
#define CRYPTO_GCM_NONCE    12
#define CRYPTO_GCM_TAG      16

/* A failed OpenSSL call leaves entries on the thread's error queue; a TLS
 * library on the same thread (lws, DTLS) would later misread them through
 * SSL_get_error(), so every failure here clears the queue. */
static int crypto_fail(void) {
  ERR_clear_error();
  return LY_ECRYPTO;
}

int ly_sha256(const void *data, size_t n, uint8_t out[LY_SHA256_LEN]) {
  unsigned int len = 0;
  if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 || len != LY_SHA256_LEN) return crypto_fail();
  return LY_OK;
}

int ly_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[LY_SHA256_LEN]) {
  static const uint8_t empty[1] = {0};
  size_t len = 0;
  /* EVP_MAC refuses a NULL key pointer even for length 0; RFC 2104 allows it. */
  if (!key) key = empty, keylen = 0;
  if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, data, n, out, LY_SHA256_LEN, &len) ||
      len != LY_SHA256_LEN)
    return crypto_fail();
  return LY_OK;
}

int ly_memeq(const void *a, const void *b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

/* scrypt via EVP_KDF "SCRYPT". maxmem is set to twice what the parameters
 * need (128·N·r·p), since OpenSSL's default 32 MiB is exactly N=2^15,r=8. */
static int crypto_scrypt(const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen, int log_n,
                         uint32_t r, uint32_t p, uint8_t *key, size_t keylen) {
  uint64_t n = (uint64_t)1 << log_n;
  uint64_t maxmem = 2 * 128 * n * r * p + (1u << 20);
  OSSL_PARAM params[7], *q = params;
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
  EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  EVP_KDF_free(kdf);
  if (!ctx) return crypto_fail();
  *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pw, pwlen);
  *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
  *q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
  *q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
  *q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
  *q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
  *q = OSSL_PARAM_construct_end();
  int ok = EVP_KDF_derive(ctx, key, keylen, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok ? LY_OK : crypto_fail();
}

int ly_password_hash(const char *password, char *out, size_t outsz) {
  uint8_t salt[CRYPTO_SALT_LEN], key[CRYPTO_KEY_LEN];
  char salt64[32], key64[48];
  if (!password || !out) return LY_EINVAL;
  size_t pwlen = strlen(password);
  if (pwlen > CRYPTO_PASSWORD_MAX) return LY_ETOOBIG;
  if (outsz < LY_PASSWORD_HASH_MAX) return LY_ETOOBIG;
  int rc = ly_random_bytes(salt, sizeof salt);
  if (rc == LY_OK)
    rc = crypto_scrypt(password, pwlen, salt, sizeof salt, CRYPTO_SCRYPT_LOG_N, CRYPTO_SCRYPT_R,
                       CRYPTO_SCRYPT_P, key, sizeof key);
  if (rc == LY_OK && (ly_b64url_encode(salt, sizeof salt, salt64, sizeof salt64) < 0 ||
                      ly_b64url_encode(key, sizeof key, key64, sizeof key64) < 0))
    rc = LY_ECRYPTO;
  if (rc == LY_OK) {
    int n = snprintf(out, outsz, "scrypt$%d$%d$%d$%s$%s", CRYPTO_SCRYPT_LOG_N, CRYPTO_SCRYPT_R,
                     CRYPTO_SCRYPT_P, salt64, key64);
    if (n < 0 || (size_t)n >= outsz) rc = LY_ETOOBIG;
  }
  OPENSSL_cleanse(key, sizeof key);
  return rc;
}

/* Next '$'-terminated field of s as a small decimal integer in [lo, hi]. */
static int crypto_field_int(const char **s, long lo, long hi, long *out) {
  const char *p = *s;
  long v = 0;
  int digits = 0;
  while (*p >= '0' && *p <= '9' && digits < 6)
    v = v * 10 + (*p++ - '0'), digits++;
  if (digits == 0 || *p != '$' || v < lo || v > hi) return LY_EPARSE;
  *out = v;
  *s = p + 1;
  return LY_OK;
}

struct crypto_phc {
  long log_n, r, p;
  uint8_t salt[64], key[64];
  size_t saltlen, keylen;
};

/* "scrypt$<logN>$<r>$<p>$<salt>$<key>". Bounds keep a hostile stored hash
 * from asking for more than 128 MiB or unbounded time. */
static int crypto_phc_parse(const char *enc, struct crypto_phc *h) {
  if (strncmp(enc, "scrypt$", 7) != 0) return LY_EPARSE;
  const char *s = enc + 7;
  if (crypto_field_int(&s, 1, 20, &h->log_n) || crypto_field_int(&s, 1, 32, &h->r) ||
      crypto_field_int(&s, 1, 16, &h->p))
    return LY_EPARSE;
  if (((uint64_t)128 << h->log_n) * (uint64_t)h->r * (uint64_t)h->p > ((uint64_t)128 << 20)) return LY_EPARSE;
  const char *dollar = strchr(s, '$');
  if (!dollar) return LY_EPARSE;
  if (ly_b64url_decode(s, (size_t)(dollar - s), h->salt, sizeof h->salt, &h->saltlen) ||
      ly_b64url_decode(dollar + 1, strlen(dollar + 1), h->key, sizeof h->key, &h->keylen))
    return LY_EPARSE;
  if (h->saltlen < 8 || h->keylen < 16) return LY_EPARSE;
  return LY_OK;
}

int ly_password_verify(const char *password, const char *encoded) {
  struct crypto_phc h;
  uint8_t key[64];
  if (!password || !encoded) return LY_EINVAL;
  if (crypto_phc_parse(encoded, &h)) return LY_EPARSE;
  size_t pwlen = strlen(password);
  if (pwlen > CRYPTO_PASSWORD_MAX) return LY_EAUTH;
  int rc = crypto_scrypt(password, pwlen, h.salt, h.saltlen, (int)h.log_n, (uint32_t)h.r, (uint32_t)h.p, key,
                         h.keylen);
  if (rc == LY_OK && !ly_memeq(key, h.key, h.keylen)) rc = LY_EAUTH;
  OPENSSL_cleanse(key, sizeof key);
  OPENSSL_cleanse(&h, sizeof h);
  return rc;
}

static int crypto_hkdf(const uint8_t master[32], const char *info, uint8_t out[32]) {
  static const char salt[] = "lianyi.keys.v1";
  OSSL_PARAM params[5], *q = params;
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  EVP_KDF_free(kdf);
  if (!ctx) return crypto_fail();
  *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
  *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, 32);
  *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof salt - 1);
  *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
  *q = OSSL_PARAM_construct_end();
  int ok = EVP_KDF_derive(ctx, out, 32, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok ? LY_OK : crypto_fail();
}

/* Distinct info strings make the three keys independent: a leak of one
 * (e.g. the lookup MAC key) reveals nothing about the others. */
int ly_keys_derive(const uint8_t master[32], struct ly_keys *out) {
  int rc = crypto_hkdf(master, "lianyi column encryption", out->enc);
  if (rc == LY_OK) rc = crypto_hkdf(master, "lianyi lookup hash", out->mac);
  if (rc == LY_OK) rc = crypto_hkdf(master, "lianyi signing key wrap", out->sign);
  if (rc) OPENSSL_cleanse(out, sizeof *out);
  return rc;
}

/* One AES-256-GCM pass. enc=1 seals (tag written to tag), enc=0 opens (tag checked). */
static int crypto_gcm(int enc, const uint8_t key[32], const uint8_t nonce[12], const char *aad,
                      const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16]) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int len = 0, ok = ctx != NULL;
  ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_GCM_NONCE, NULL) == 1;
  ok = ok && EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1;
  if (ok && aad && *aad) ok = EVP_CipherUpdate(ctx, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1;
  if (ok && n > 0) ok = EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1;
  if (ok && !enc) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_GCM_TAG, tag) == 1;
  ok = ok && EVP_CipherFinal_ex(ctx, out + (n > 0 ? len : 0), &len) == 1;
  if (ok && enc) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_GCM_TAG, tag) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok ? LY_OK : crypto_fail();
}

int ly_seal(const uint8_t key[32], const char *aad, const void *pt, size_t n, uint8_t *out, size_t outsz,
            size_t *outlen) {
  if (n > (size_t)INT_MAX - LY_SEAL_OVERHEAD || (aad && strlen(aad) > INT_MAX)) return LY_ETOOBIG;
  if (outsz < n + LY_SEAL_OVERHEAD) return LY_ETOOBIG;
  /* A fresh random 96-bit nonce per value: keys encrypt far fewer than the
   * 2^32 messages after which random GCM nonces become risky. */
  int rc = ly_random_bytes(out, CRYPTO_GCM_NONCE);
  if (rc) return rc;
  rc = crypto_gcm(1, key, out, aad, pt, n, out + CRYPTO_GCM_NONCE, out + CRYPTO_GCM_NONCE + n);
  if (rc) return rc;
  if (outlen) *outlen = n + LY_SEAL_OVERHEAD;
  return LY_OK;
}

int ly_open(const uint8_t key[32], const char *aad, const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
            size_t *outlen) {
  uint8_t tag[CRYPTO_GCM_TAG];
  if (n < LY_SEAL_OVERHEAD) return LY_ECRYPTO;
  if (n > (size_t)INT_MAX) return LY_ETOOBIG;
  size_t ctlen = n - LY_SEAL_OVERHEAD;
  if (outsz < ctlen) return LY_ETOOBIG;
  memcpy(tag, in + CRYPTO_GCM_NONCE + ctlen, sizeof tag);
  int rc = crypto_gcm(0, key, in, aad, in + CRYPTO_GCM_NONCE, ctlen, out, tag);
  if (rc) {
    OPENSSL_cleanse(out, ctlen); /* never hand out unauthenticated plaintext */
    return LY_ECRYPTO;
  }
  if (outlen) *outlen = ctlen;
  return LY_OK;
}

int ly_lookup_hash(const struct ly_keys *keys, const char *value, uint8_t out[LY_SHA256_LEN]) {
  if (!keys || !value) return LY_EINVAL;
  return ly_hmac_sha256(keys->mac, sizeof keys->mac, value, strlen(value), out);
}

int ly_ed25519_keygen(uint8_t pub[LY_ED25519_PUB_LEN], uint8_t priv[LY_ED25519_PRIV_LEN]) {
  EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  size_t publen = LY_ED25519_PUB_LEN, privlen = LY_ED25519_PRIV_LEN;
  int ok = pk && EVP_PKEY_get_raw_public_key(pk, pub, &publen) == 1 &&
           EVP_PKEY_get_raw_private_key(pk, priv, &privlen) == 1 && publen == LY_ED25519_PUB_LEN &&
           privlen == LY_ED25519_PRIV_LEN;
  EVP_PKEY_free(pk);
  if (!ok) OPENSSL_cleanse(priv, LY_ED25519_PRIV_LEN);
  return ok ? LY_OK : crypto_fail();
}

int ly_ed25519_sign(const uint8_t priv[LY_ED25519_PRIV_LEN], const void *msg, size_t n,
                    uint8_t sig[LY_ED25519_SIG_LEN]) {
  EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, LY_ED25519_PRIV_LEN);
  EVP_MD_CTX *md = pk ? EVP_MD_CTX_new() : NULL;
  size_t siglen = LY_ED25519_SIG_LEN;
  /* Ed25519 is one-shot: no digest name, EVP_DigestSign over the whole message. */
  int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1 &&
           EVP_DigestSign(md, sig, &siglen, msg, n) == 1 && siglen == LY_ED25519_SIG_LEN;
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(pk);
  return ok ? LY_OK : crypto_fail();
}

int ly_ed25519_verify(const uint8_t pub[LY_ED25519_PUB_LEN], const void *msg, size_t n,
                      const uint8_t sig[LY_ED25519_SIG_LEN]) {
  EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, LY_ED25519_PUB_LEN);
  EVP_MD_CTX *md = pk ? EVP_MD_CTX_new() : NULL;
  int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
           EVP_DigestVerify(md, sig, LY_ED25519_SIG_LEN, msg, n) == 1;
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(pk);
  return ok ? LY_OK : crypto_fail();
}
