/* tests/fuzz/fuzz_qr.c — libFuzzer target for the patient's prescription
 * code parser (rx/qr.c): whatever a scanner or a person at the counter
 * hands in. The first input byte picks the entry point: the whole payload
 * (qr_parse) or the two typed parts split at the first NUL (qr_from_parts).
 *
 * Properties: a parsed code prints back as "LYRX1:<id>:<base64url code>",
 * which parses again to the same id and bytes; a refused one leaves out
 * wiped; errors are only the documented two. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/ids.h"
#include "rx/qr.h"

static int all_zero(const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return 0;
  return 1;
}

static void round_trip(const struct qr_code *q) {
  char b64[64], text[QR_INPUT_MAX + 1];
  struct qr_code again;
  struct ly_error e;
  if (ly_b64url_encode(q->code, sizeof q->code, b64, sizeof b64) < 0) __builtin_trap();
  int len = snprintf(text, sizeof text, QR_PREFIX "%s:%s", q->id, b64);
  if (len < 0 || (size_t)len >= sizeof text) __builtin_trap();
  if (qr_parse(text, (size_t)len, &again, &e) != 0) __builtin_trap();
  if (strcmp(again.id, q->id) != 0 || memcmp(again.code, q->code, sizeof q->code) != 0) __builtin_trap();
  qr_wipe(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char buf[1024];
  struct qr_code q;
  struct ly_error e;
  if (size < 1 || size >= sizeof buf) return 0;
  memcpy(buf, data + 1, size - 1);
  buf[size - 1] = '\0';
  int rc;
  if (data[0] & 1) {
    /* two NUL-terminated parts: id, then code (missing: empty) */
    size_t idlen = strlen(buf);
    const char *code = idlen + 1 < size - 1 ? buf + idlen + 1 : "";
    rc = qr_from_parts(buf, code, &q, &e);
  } else {
    rc = qr_parse(buf, size - 1, &q, &e);
  }
  if (rc == 0) {
    round_trip(&q);
  } else {
    if (rc != LY_EPARSE && rc != LY_ETOOBIG && rc != LY_EINVAL) __builtin_trap();
    if (!all_zero(&q, sizeof q)) __builtin_trap();
  }
  qr_wipe(&q);
  return 0;
}
