/* core/log.h — JSON-lines logging with levels.
 *
 * One line per event on the logger's fd, written with a single write(2) so
 * lines from several threads never interleave:
 *   {"ts":"2026-11-26T03:58:00.123Z","level":"info","event":"http.request","msg":"...", ...fields}
 * Secrets (tokens, access codes, passwords, national ID numbers) are never
 * passed to these functions; callers log ids and outcomes only.
 */
#ifndef LY_LOG_H
#define LY_LOG_H

#include <stdarg.h>

struct ly_clock;
typedef struct json_t json_t;

enum ly_log_level { LY_LOG_DEBUG = 0, LY_LOG_INFO = 1, LY_LOG_WARN = 2, LY_LOG_ERROR = 3, LY_LOG_OFF = 4 };

/* Caller-owned; copyable; thread-safe to use concurrently once initialised. */
struct ly_logger {
  int fd;                        /* usually 2 (stderr) */
  enum ly_log_level level;
  const struct ly_clock *clock;
};

void ly_logger_init(struct ly_logger *lg, int fd, enum ly_log_level level, const struct ly_clock *clock);
/* "debug" | "info" | "warn" | "error" | "off" → level; LY_EINVAL otherwise. */
int ly_log_level_parse(const char *s, enum ly_log_level *out);

/* Log msg (printf-style) at level for event. */
void ly_log(const struct ly_logger *lg, enum ly_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, with extra structured fields merged into the line (fields may be NULL;
 * not stolen: the caller keeps its reference). */
void ly_log_fields(const struct ly_logger *lg, enum ly_log_level level, const char *event,
                   json_t *fields, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define LY_DEBUG(lg, ev, ...) ly_log((lg), LY_LOG_DEBUG, (ev), __VA_ARGS__)
#define LY_INFO(lg, ev, ...) ly_log((lg), LY_LOG_INFO, (ev), __VA_ARGS__)
#define LY_WARN(lg, ev, ...) ly_log((lg), LY_LOG_WARN, (ev), __VA_ARGS__)
#define LY_ERROR(lg, ev, ...) ly_log((lg), LY_LOG_ERROR, (ev), __VA_ARGS__)

#endif
