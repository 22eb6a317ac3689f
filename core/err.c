/* core/err.c — the LY_E* table and struct ly_error helpers. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
  int err;
  int http;
  const char *code;
  const char *msg;
};

static const struct err_row err_rows[] = {
#define LY_X_(name, val, http, code, msg) {(val), (http), (code), (msg)},
    LY_ERRNO_MAP(LY_X_)
#undef LY_X_
};

static const struct err_row *err_find(int err) {
  for (size_t i = 0; i < sizeof err_rows / sizeof err_rows[0]; i++)
    if (err_rows[i].err == err) return &err_rows[i];
  return NULL;
}

const char *ly_strerror(int err) {
  const struct err_row *r = err_find(err);
  return r ? r->msg : "unknown error";
}

const char *ly_errcode(int err) {
  const struct err_row *r = err_find(err);
  return r ? r->code : "internal.unknown";
}

int ly_err_http_status(int err) {
  const struct err_row *r = err_find(err);
  return r ? r->http : 500;
}

/* After a truncating copy the last character may be cut in half; drop the
 * partial UTF-8 sequence so the text stays valid (jansson refuses invalid
 * UTF-8, and these messages end up in JSON responses). */
static void err_trim_utf8(char *s, size_t len) {
  size_t end = len;
  while (end > 0 && ((unsigned char)s[end - 1] & 0xC0) == 0x80)
    end--;
  if (end > 0 && (unsigned char)s[end - 1] >= 0xC0) {
    unsigned char lead = (unsigned char)s[end - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (len - (end - 1) < need) {
      s[end - 1] = '\0';
      return;
    }
  }
}

/* Bounded copy that never splits a UTF-8 character; NULL copies as "". */
static void err_copy(char *dst, size_t dstsz, const char *src) {
  int n = snprintf(dst, dstsz, "%s", src ? src : "");
  if (n >= 0 && (size_t)n >= dstsz) err_trim_utf8(dst, dstsz - 1);
}

int ly_error_set(struct ly_error *e, int err, const char *code, const char *message, const char *message_zh) {
  if (!e) return err;
  e->err = err;
  err_copy(e->code, sizeof e->code, code);
  err_copy(e->message, sizeof e->message, message ? message : ly_strerror(err));
  err_copy(e->message_zh, sizeof e->message_zh, message_zh);
  e->field[0] = '\0';
  e->position = -1;
  return err;
}

int ly_error_vsetf(struct ly_error *e, int err, const char *code, const char *fmt, va_list ap) {
  if (!e) return err;
  ly_error_set(e, err, code, "", NULL);
  int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
  if (n < 0)
    e->message[0] = '\0';
  else if ((size_t)n >= sizeof e->message)
    err_trim_utf8(e->message, sizeof e->message - 1);
  return err;
}

int ly_error_setf(struct ly_error *e, int err, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ly_error_vsetf(e, err, code, fmt, ap);
  va_end(ap);
  return err;
}

void ly_error_clear(struct ly_error *e) {
  if (!e) return;
  memset(e, 0, sizeof *e);
  e->position = -1;
}
