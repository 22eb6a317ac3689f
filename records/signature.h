/* records/signature.h — doctors' Ed25519 signatures over canonical documents
 * (signed consultation notes, prescriptions) and their offline verification.
 *
 * Canonical form (docs/rx-rules.md §"Signed documents"): the document is a
 * JSON object holding only objects, arrays, strings, integers, true/false
 * and null (never floats), serialised with keys sorted by their UTF-8 bytes,
 * no insignificant whitespace, non-ASCII characters as raw UTF-8, and only
 * '"', '\\' and control characters escaped (\b \f \n \r \t, else \u00XX) —
 * exactly jansson's JSON_COMPACT | JSON_SORT_KEYS output. The signature is
 * Ed25519 (RFC 8032) over those bytes.
 *
 * The exported file ("envelope") is one JSON object:
 *   {"format":"lianyi.signed/1","kind":"prescription","document":"<canonical text>",
 *    "public_key":"<base64url 32 bytes>","signature":"<base64url 64 bytes>"}
 * The document itself names its signer's public key under signer.public_key,
 * so swapping the envelope's key for another one is detected.
 */
#ifndef LY_RECORDS_SIGNATURE_H
#define LY_RECORDS_SIGNATURE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/crypto.h"

struct records_ctx;
struct ly_error;

#define SIGNATURE_FORMAT   "lianyi.signed/1"
#define SIGNATURE_FILE_MAX (256 * 1024)

/* Canonical text of doc (malloc'd, caller frees; NULL on allocation failure
 * or when doc holds a real number). */
char *signature_canonical(const json_t *doc, size_t *len_out);

/* The doctor's public key (LY_ENOTFOUND / rx.no_signing_key when the doctor
 * has none). */
int signature_doctor_pub(const struct records_ctx *cx, const char *doctor_id, uint8_t pub[LY_ED25519_PUB_LEN],
                         struct ly_error *e);

/* Sign msg with the doctor's private key, unsealed with keys->sign and aad
 * "doctors.sign_priv:<doctor_id>" and wiped after use. pub_out receives the
 * matching public key. LY_ENOTFOUND (no key), LY_ECRYPTO (unseal failed). */
int signature_doctor_sign(const struct records_ctx *cx, const char *doctor_id, const void *msg, size_t n,
                          uint8_t sig[LY_ED25519_SIG_LEN], uint8_t pub_out[LY_ED25519_PUB_LEN],
                          struct ly_error *e);

/* Create and store a key pair for a doctor who has none (account creation,
 * demo seed, tests). LY_EEXIST when the doctor already has one. */
int signature_doctor_keygen(const struct records_ctx *cx, const char *doctor_id, struct ly_error *e);

/* The envelope for a signed document (new reference; NULL on allocation failure). */
json_t *signature_envelope(const char *kind, const char *document, const uint8_t sig[LY_ED25519_SIG_LEN],
                           const uint8_t pub[LY_ED25519_PUB_LEN]);

struct signature_info {
  char kind[32];
  char id[64];                     /* the document's "id" */
  uint8_t pub[LY_ED25519_PUB_LEN]; /* the key that verified */
  json_t *document;                /* parsed document, new reference (caller json_decref's), or NULL */
};

/* Verify an envelope file's bytes. want_pub (may be NULL) is the key the
 * verifier trusts; when given, the envelope must be signed by it. 0 when
 * valid (info filled); LY_EPARSE (malformed, not canonical) or LY_ECRYPTO
 * (rx.signature_invalid: altered document, wrong key) otherwise. */
int signature_verify(const char *buf, size_t n, const uint8_t *want_pub, struct signature_info *info,
                     struct ly_error *e);

#endif
