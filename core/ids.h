/* core/ids.h — random ids and tokens from OpenSSL's CSPRNG.
 *
 * Ids are opaque text: "<prefix>_" followed by 22 base64url characters
 * (16 random bytes), unguessable, safe in URLs. Tokens are base64url of
 * n random bytes without padding.
 */
#ifndef LY_IDS_H
#define LY_IDS_H

#include <stddef.h>
#include <stdint.h>

#define LY_ID_MAX 48  /* buffer size that holds any id with a prefix of <= 16 chars */

/* n cryptographically random bytes into buf; LY_ECRYPTO if the RNG fails. */
int ly_random_bytes(void *buf, size_t n);
/* Random id "<prefix>_XXXXXXXXXXXXXXXXXXXXXX" into out (outsz >= LY_ID_MAX). */
int ly_id_new(const char *prefix, char *out, size_t outsz);
/* base64url (no padding) of nbytes random bytes into out; outsz >= 4*nbytes/3+2. */
int ly_token_new(size_t nbytes, char *out, size_t outsz);

/* base64url without padding; returns chars written (excluding NUL) or LY_ETOOBIG. */
int ly_b64url_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
/* Strict decode (rejects padding and non-alphabet chars); *outlen set. LY_EPARSE/LY_ETOOBIG. */
int ly_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outsz, size_t *outlen);
/* Lower-case hex; outsz >= 2n+1. */
void ly_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
/* Strict hex decode of exactly outsz bytes from 2*outsz chars; LY_EPARSE. */
int ly_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outsz);

#endif
