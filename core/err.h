/* core/err.h — error codes for the whole program.
 *
 * Every function that can fail returns int: 0 (LY_OK) or a negative LY_E* code
 * from the table below. Results come back through out-params, last.
 * Domain refusals (a rule a doctor or pharmacist must understand) additionally
 * fill a struct ly_error with a stable dotted string code ("rx.already_claimed")
 * and a sentence in English and Chinese; the server maps the LY_E* code to an
 * HTTP status and sends {"error":{"code","message"}}.
 */
#ifndef LY_ERR_H
#define LY_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* X(name, value, http_status, default string code, message) */
#define LY_ERRNO_MAP(X)                                                            \
  X(OK, 0, 200, "ok", "success")                                                    \
  X(ENOMEM, -1, 500, "internal.out_of_memory", "out of memory")                     \
  X(EINVAL, -2, 400, "request.invalid", "invalid argument")                         \
  X(ENOTFOUND, -3, 404, "not_found", "not found")                                   \
  X(EEXIST, -4, 409, "conflict.exists", "already exists")                           \
  X(ECONFLICT, -5, 409, "conflict", "conflicting state")                            \
  X(EDB, -6, 500, "internal.database", "database error")                            \
  X(EIO, -7, 500, "internal.io", "input/output error")                              \
  X(ETOOBIG, -8, 413, "request.too_large", "too large")                             \
  X(EPARSE, -9, 400, "request.malformed", "malformed input")                        \
  X(EFORBIDDEN, -10, 403, "auth.forbidden", "not allowed")                          \
  X(EAUTH, -11, 401, "auth.required", "authentication required")                    \
  X(ECRYPTO, -12, 500, "internal.crypto", "cryptographic failure")                  \
  X(ERATE, -13, 429, "rate_limited", "too many requests")                           \
  X(ESTATE, -14, 409, "state.illegal_transition", "not allowed in the current state") \
  X(EAGAIN, -15, 503, "unavailable", "try again later")                             \
  X(EDENIED, -16, 422, "rule.violation", "refused by a rule")                       \
  X(EMETHOD, -17, 405, "request.method_not_allowed", "method not allowed")          \
  X(EINTERNAL, -18, 500, "internal.error", "internal error")

enum ly_errno {
#define LY_X_(name, val, http, code, msg) LY_##name = (val),
  LY_ERRNO_MAP(LY_X_)
#undef LY_X_
};

/* Human text of an LY_E* code ("database error"); never NULL. */
const char *ly_strerror(int err);
/* Default stable string code of an LY_E* code ("internal.database"); never NULL. */
const char *ly_errcode(int err);
/* HTTP status that an LY_E* code maps to (500 for unknown codes). */
int ly_err_http_status(int err);

/* A refusal with its stable code and a sentence for people. Caller-owned,
 * usually on the stack; functions that take one fill it only on failure. */
struct ly_error {
  int err;               /* LY_E* */
  char code[64];         /* "rx.quantity_over_limit"; empty means ly_errcode(err) */
  char message[384];     /* English sentence */
  char message_zh[384];  /* Chinese sentence; empty means use message */
  char field[64];        /* offending input field, if any ("items[0].days") */
  long position;         /* byte offset of a parse fault, -1 if none */
};

/* Fill e (if non-NULL) and return err, so callers can write
 *   return ly_error_set(e, LY_EDENIED, "rx.x", "English.", "中文。"); */
int ly_error_set(struct ly_error *e, int err, const char *code, const char *message,
                 const char *message_zh);
/* Like ly_error_set with a printf-style English message (zh left empty). */
int ly_error_setf(struct ly_error *e, int err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* va_list form of ly_error_setf, for helpers that wrap it. */
int ly_error_vsetf(struct ly_error *e, int err, const char *code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
void ly_error_clear(struct ly_error *e);

#endif
