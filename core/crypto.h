/* core/crypto.h — crypto helpers over OpenSSL 3.
 *
 * Hashes, HMAC, scrypt password hashes, AES-256-GCM for encrypted columns
 * with a keyed hash for looking them up, Ed25519 keys and signatures.
 * All functions return 0 or LY_ECRYPTO/LY_ETOOBIG/LY_EPARSE; buffers are the
 * caller's. Nothing here logs.
 */
#ifndef LY_CRYPTO_H
#define LY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define LY_SHA256_LEN 32
#define LY_ED25519_PUB_LEN 32
#define LY_ED25519_PRIV_LEN 32
#define LY_ED25519_SIG_LEN 64
#define LY_SEAL_OVERHEAD 28 /* 12-byte nonce + 16-byte tag */
#define LY_PASSWORD_HASH_MAX 160

int ly_sha256(const void *data, size_t n, uint8_t out[LY_SHA256_LEN]);
int ly_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[LY_SHA256_LEN]);
/* Constant-time comparison; 1 when equal. */
int ly_memeq(const void *a, const void *b, size_t n);

/* scrypt (N=2^15, r=8, p=1, 16-byte salt, 32-byte key), encoded as
 * "scrypt$15$8$1$<salt b64url>$<key b64url>" into out (outsz >= LY_PASSWORD_HASH_MAX). */
int ly_password_hash(const char *password, char *out, size_t outsz);
/* 0 when password matches encoded; LY_EAUTH when it does not; LY_EPARSE for a bad encoding.
 * Parameters are read from the encoding, so old hashes keep verifying. */
int ly_password_verify(const char *password, const char *encoded);

/* Keys for data at rest, derived (HKDF-SHA256) from one 32-byte master key
 * that comes from the config/environment, never from the database. */
struct ly_keys {
  uint8_t enc[32];  /* AES-256-GCM for sensitive columns */
  uint8_t mac[32];  /* HMAC-SHA256 for lookup hashes of sensitive columns */
  uint8_t sign[32]; /* AES-256-GCM wrapping of private signing keys */
};
int ly_keys_derive(const uint8_t master[32], struct ly_keys *out);

/* AES-256-GCM: out = nonce(12) || ciphertext || tag(16); outsz >= n + LY_SEAL_OVERHEAD.
 * aad (may be NULL) binds the value to its row/column, e.g. "patients.national_id". */
int ly_seal(const uint8_t key[32], const char *aad, const void *pt, size_t n, uint8_t *out, size_t outsz,
            size_t *outlen);
/* Inverse of ly_seal; LY_ECRYPTO when the tag or aad does not verify. */
int ly_open(const uint8_t key[32], const char *aad, const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
            size_t *outlen);
/* Keyed hash of a sensitive value for equality lookups (HMAC-SHA256 with keys->mac). */
int ly_lookup_hash(const struct ly_keys *keys, const char *value, uint8_t out[LY_SHA256_LEN]);

int ly_ed25519_keygen(uint8_t pub[LY_ED25519_PUB_LEN], uint8_t priv[LY_ED25519_PRIV_LEN]);
int ly_ed25519_sign(const uint8_t priv[LY_ED25519_PRIV_LEN], const void *msg, size_t n,
                    uint8_t sig[LY_ED25519_SIG_LEN]);
/* 0 when sig is valid for msg under pub, LY_ECRYPTO otherwise. */
int ly_ed25519_verify(const uint8_t pub[LY_ED25519_PUB_LEN], const void *msg, size_t n,
                      const uint8_t sig[LY_ED25519_SIG_LEN]);

#endif
