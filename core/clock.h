/* core/clock.h — the injectable clock.
 *
 * All code asks a struct ly_clock for time so tests can substitute a fake one
 * ("what if the clock jumps"). Wall time is UTC milliseconds since the epoch;
 * monotonic time is milliseconds from an arbitrary origin.
 */
#ifndef LY_CLOCK_H
#define LY_CLOCK_H

#include <stddef.h>
#include <stdint.h>

struct ly_clock {
  int64_t (*now_ms)(void *ud);   /* UTC ms since 1970 */
  int64_t (*mono_ms)(void *ud);  /* monotonic ms */
  void *ud;
};

/* The real clock (CLOCK_REALTIME / CLOCK_MONOTONIC). Static, never freed. */
const struct ly_clock *ly_clock_system(void);

static inline int64_t ly_now_ms(const struct ly_clock *c) { return c->now_ms(c->ud); }
static inline int64_t ly_mono_ms(const struct ly_clock *c) { return c->mono_ms(c->ud); }

/* A settable clock for tests: now_ms/mono_ms return the fields. */
struct ly_fake_clock {
  struct ly_clock clock;
  int64_t now;
  int64_t mono;
};
void ly_fake_clock_init(struct ly_fake_clock *fc, int64_t now_ms);

/* Format UTC ms as ISO-8601 "2026-11-26T03:58:00.000Z" into out (>= 25 bytes). */
void ly_time_iso(int64_t ms, char *out, size_t outsz);
/* UTC calendar date "YYYY-MM-DD" of ms into out (>= 11 bytes). */
void ly_time_date(int64_t ms, char *out, size_t outsz);
/* Parse "YYYY-MM-DD" (UTC midnight) or full ISO-8601 with Z into ms; LY_EPARSE. */
int ly_time_parse(const char *s, int64_t *out_ms);
/* The last millisecond of year 9999: the largest time Lianyi accepts from outside. */
#define LY_TIME_MAX_MS INT64_C(253402300799999)
/* A time as clients send it: UTC milliseconds in [0, LY_TIME_MAX_MS], or what
 * ly_time_parse takes; LY_EPARSE otherwise (so sums of a few days never overflow). */
int ly_time_parse_any(const char *s, int64_t *out_ms);

#endif
