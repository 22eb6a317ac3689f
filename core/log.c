/* core/log.c — JSON-lines logger.
 *
 * Each event becomes one JSON object built with jansson (so every string is
 * escaped), serialised compactly, terminated by '\n' and handed to ONE
 * write(2): lines from several threads never interleave.
 */
#include "core/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"

#define LOG_MSG_MAX 2048 /* longer messages are cut (at a character boundary) */

static const char *const log_names[] = {"debug", "info", "warn", "error", "off"};

void ly_logger_init(struct ly_logger *lg, int fd, enum ly_log_level level, const struct ly_clock *clock) {
  lg->fd = fd;
  lg->level = level;
  lg->clock = clock;
}

int ly_log_level_parse(const char *s, enum ly_log_level *out) {
  if (!s) return LY_EINVAL;
  for (int i = 0; i <= LY_LOG_OFF; i++) {
    if (strcmp(s, log_names[i]) == 0) {
      *out = (enum ly_log_level)i;
      return LY_OK;
    }
  }
  return LY_EINVAL;
}

/* A string jansson accepts: if s is not valid UTF-8, bytes >= 0x80 become '?'
 * so a bad caller string degrades the line instead of losing it. */
static json_t *log_string(const char *s) {
  if (!s) s = "";
  json_t *v = json_string(s);
  if (v) return v;
  char buf[LOG_MSG_MAX];
  size_t i = 0;
  for (; s[i] && i < sizeof buf - 1; i++)
    buf[i] = ((unsigned char)s[i] >= 0x80) ? '?' : s[i];
  buf[i] = '\0';
  return json_string(buf);
}

/* vsnprintf may cut the last UTF-8 character; drop the partial tail. */
static void log_trim_partial(char *s, size_t len) {
  size_t end = len;
  while (end > 0 && ((unsigned char)s[end - 1] & 0xC0) == 0x80)
    end--;
  if (end > 0 && (unsigned char)s[end - 1] >= 0xC0) {
    unsigned char lead = (unsigned char)s[end - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (len - (end - 1) < need) s[end - 1] = '\0';
  }
}

/* Write all of buf, retrying on EINTR; a short write continues with the
 * rest (the first write carries the whole line, so this is rare). */
static void log_write(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    buf += n;
    len -= (size_t)n;
  }
}

static void log_emit(const struct ly_logger *lg, enum ly_log_level level, const char *event, json_t *fields,
                     const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void log_emit(const struct ly_logger *lg, enum ly_log_level level, const char *event, json_t *fields,
                     const char *fmt, va_list ap) {
  char msg[LOG_MSG_MAX], ts[32];
  int n = fmt ? vsnprintf(msg, sizeof msg, fmt, ap) : -1;
  if (n < 0)
    msg[0] = '\0';
  else if ((size_t)n >= sizeof msg)
    log_trim_partial(msg, sizeof msg - 1);
  const struct ly_clock *c = lg->clock ? lg->clock : ly_clock_system();
  ly_time_iso(ly_now_ms(c), ts, sizeof ts);

  json_t *o = json_object();
  if (!o) return;
  json_object_set_new(o, "ts", json_string(ts));
  json_object_set_new(o, "level", json_string(log_names[level]));
  json_object_set_new(o, "event", log_string(event));
  json_object_set_new(o, "msg", log_string(msg));
  /* The fixed keys win: a field called "level" cannot forge a line's level. */
  if (fields && json_is_object(fields)) json_object_update_missing(o, fields);

  /* Serialise into a stack buffer when it fits, else one heap buffer sized
   * by jansson; either way the line and its '\n' go out in one write. */
  char stackbuf[8192], *buf = stackbuf;
  size_t need = json_dumpb(o, stackbuf, sizeof stackbuf - 1, JSON_COMPACT);
  if (need > sizeof stackbuf - 1) {
    buf = malloc(need + 1);
    if (buf) need = json_dumpb(o, buf, need, JSON_COMPACT);
  }
  json_decref(o);
  if (!buf || need == 0) {
    static const char oom[] = "{\"level\":\"error\",\"event\":\"log.failed\"}\n";
    log_write(lg->fd, oom, sizeof oom - 1);
  } else {
    buf[need] = '\n';
    log_write(lg->fd, buf, need + 1);
  }
  if (buf != stackbuf) free(buf);
}

static int log_enabled(const struct ly_logger *lg, enum ly_log_level level) {
  return lg && level >= LY_LOG_DEBUG && level < LY_LOG_OFF && level >= lg->level && lg->level < LY_LOG_OFF;
}

void ly_log(const struct ly_logger *lg, enum ly_log_level level, const char *event, const char *fmt, ...) {
  if (!log_enabled(lg, level)) return;
  va_list ap;
  va_start(ap, fmt);
  log_emit(lg, level, event, NULL, fmt, ap);
  va_end(ap);
}

void ly_log_fields(const struct ly_logger *lg, enum ly_log_level level, const char *event, json_t *fields,
                   const char *fmt, ...) {
  if (!log_enabled(lg, level)) return;
  va_list ap;
  va_start(ap, fmt);
  log_emit(lg, level, event, fields, fmt, ap);
  va_end(ap);
}
