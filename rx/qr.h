/* rx/qr.h — the patient's prescription code (DESIGN §4): the QR payload
 * "LYRX1:<prescription id>:<access code>" where the id is "rx_" and 22
 * base64url characters and the access code is the 32 random bytes of the
 * prescription in base64url (43 characters, no padding).
 *
 * What a scanner or a person at the counter hands in is hostile input: the
 * parser reads at most QR_INPUT_MAX bytes, allows only surrounding ASCII
 * whitespace (scanners end lines with CR LF), and refuses anything else that
 * is not exactly this format. It never echoes the code back in an error.
 */
#ifndef LY_RX_QR_H
#define LY_RX_QR_H

#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "rx/rx.h"

struct ly_error;

#define QR_PREFIX     "LYRX1:"
#define QR_INPUT_MAX  128 /* bytes accepted at all, whitespace included */
#define QR_ID_CHARS   22  /* base64url characters after "rx_" */
#define QR_CODE_CHARS 43  /* base64url of RX_ACCESS_CODE_LEN bytes */

struct qr_code {
  char id[LY_ID_MAX];
  uint8_t code[RX_ACCESS_CODE_LEN];
};

/* Parse s[0..n) (need not be NUL-terminated). 0 with out filled;
 * LY_ETOOBIG (rx.code_too_long) over QR_INPUT_MAX; LY_EPARSE
 * (rx.code_malformed) for anything else. out is wiped on failure. */
int qr_parse(const char *s, size_t n, struct qr_code *out, struct ly_error *e);

/* The same from the two parts typed separately (id, access code). */
int qr_from_parts(const char *id, const char *code, struct qr_code *out, struct ly_error *e);

/* Wipe the code (call when done with it). */
void qr_wipe(struct qr_code *q);

#endif
