/* rx/qr.c — strict parsing of the patient's prescription code. */
#include "rx/qr.h"

#include <openssl/crypto.h>
#include <string.h>

#include "core/err.h"

static int qr_b64url_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int qr_all_b64url(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!qr_b64url_char((unsigned char)s[i])) return 0;
  return 1;
}

static int qr_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int qr_bad(struct qr_code *out, struct ly_error *e) {
  qr_wipe(out);
  return ly_error_set(e, LY_EPARSE, "rx.code_malformed", "This is not a prescription code.",
                      "这不是有效的处方码。");
}

/* id: "rx_" and QR_ID_CHARS base64url characters. */
static int qr_id_ok(const char *s, size_t n) {
  return n == 3 + QR_ID_CHARS && memcmp(s, "rx_", 3) == 0 && qr_all_b64url(s + 3, QR_ID_CHARS);
}

static int qr_fill(const char *id, size_t idn, const char *code, size_t coden, struct qr_code *out,
                   struct ly_error *e) {
  size_t len = 0;
  if (!qr_id_ok(id, idn) || coden != QR_CODE_CHARS || !qr_all_b64url(code, coden)) return qr_bad(out, e);
  if (ly_b64url_decode(code, coden, out->code, sizeof out->code, &len) != 0 || len != RX_ACCESS_CODE_LEN)
    return qr_bad(out, e);
  memcpy(out->id, id, idn);
  out->id[idn] = '\0';
  return 0;
}

int qr_parse(const char *s, size_t n, struct qr_code *out, struct ly_error *e) {
  const size_t plen = sizeof QR_PREFIX - 1;
  memset(out, 0, sizeof *out);
  if (!s) return qr_bad(out, e);
  if (n > QR_INPUT_MAX)
    return ly_error_set(e, LY_ETOOBIG, "rx.code_too_long", "This is far too long for a prescription code.",
                        "输入内容过长，不是处方码。");
  while (n > 0 && qr_space((unsigned char)s[0])) {
    s++;
    n--;
  }
  while (n > 0 && qr_space((unsigned char)s[n - 1]))
    n--;
  if (n < plen || memcmp(s, QR_PREFIX, plen) != 0) return qr_bad(out, e);
  s += plen;
  n -= plen;
  const char *colon = memchr(s, ':', n);
  if (!colon) return qr_bad(out, e);
  size_t idn = (size_t)(colon - s);
  return qr_fill(s, idn, colon + 1, n - idn - 1, out, e);
}

int qr_from_parts(const char *id, const char *code, struct qr_code *out, struct ly_error *e) {
  memset(out, 0, sizeof *out);
  if (!id || !code) return qr_bad(out, e);
  size_t idn = strnlen(id, QR_INPUT_MAX + 1), coden = strnlen(code, QR_INPUT_MAX + 1);
  if (idn > QR_INPUT_MAX || coden > QR_INPUT_MAX)
    return ly_error_set(e, LY_ETOOBIG, "rx.code_too_long", "This is far too long for a prescription code.",
                        "输入内容过长，不是处方码。");
  return qr_fill(id, idn, code, coden, out, e);
}

void qr_wipe(struct qr_code *q) {
  OPENSSL_cleanse(q, sizeof *q);
}
