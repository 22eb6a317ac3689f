/* core/clock.c — system and fake clocks, ISO-8601 formatting and parsing (UTC). */
#include "core/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"

static int64_t clock_ts_ms(clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t clock_sys_now(void *ud) {
  (void)ud;
  return clock_ts_ms(CLOCK_REALTIME);
}

static int64_t clock_sys_mono(void *ud) {
  (void)ud;
  return clock_ts_ms(CLOCK_MONOTONIC);
}

static const struct ly_clock clock_system = {clock_sys_now, clock_sys_mono, NULL};

const struct ly_clock *ly_clock_system(void) {
  return &clock_system;
}

static int64_t clock_fake_now(void *ud) {
  return ((const struct ly_fake_clock *)ud)->now;
}
static int64_t clock_fake_mono(void *ud) {
  return ((const struct ly_fake_clock *)ud)->mono;
}

/* The fake's monotonic time starts at 0; tests advance both fields by hand. */
void ly_fake_clock_init(struct ly_fake_clock *fc, int64_t now_ms) {
  fc->clock.now_ms = clock_fake_now;
  fc->clock.mono_ms = clock_fake_mono;
  fc->clock.ud = fc;
  fc->now = now_ms;
  fc->mono = 0;
}

/* Split ms into a UTC calendar time and the millisecond part, flooring so
 * that times before 1970 still format sensibly. */
static void clock_split(int64_t ms, struct tm *tm, int *msec) {
  int64_t sec = ms / 1000, rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    sec -= 1;
  }
  time_t t = (time_t)sec;
  memset(tm, 0, sizeof *tm);
  gmtime_r(&t, tm);
  *msec = (int)rem;
}

void ly_time_iso(int64_t ms, char *out, size_t outsz) {
  struct tm tm;
  int msec;
  if (!out || outsz == 0) return;
  clock_split(ms, &tm, &msec);
  snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
}

void ly_time_date(int64_t ms, char *out, size_t outsz) {
  struct tm tm;
  int msec;
  if (!out || outsz == 0) return;
  clock_split(ms, &tm, &msec);
  snprintf(out, outsz, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Exactly n ASCII digits at s into *out; 0 or -1. (sscanf would accept signs
 * and spaces, which a strict parser must not.) */
static int clock_digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

/* Fractional seconds ".d" to ".ddddddddd" followed by 'Z'; ms truncated. */
static int clock_parse_frac(const char *p, int *msec, const char **end) {
  int digits = 0, v = 0;
  *msec = 0;
  if (*p != '.') {
    *end = p;
    return 0;
  }
  p++;
  while (*p >= '0' && *p <= '9') {
    if (++digits > 9) return -1;
    if (digits <= 3) v = v * 10 + (*p - '0');
    p++;
  }
  if (digits == 0) return -1;
  for (int i = digits; i < 3; i++)
    v *= 10;
  *msec = v;
  *end = p;
  return 0;
}

int ly_time_parse(const char *s, int64_t *out_ms) {
  int y, mo, d, h = 0, mi = 0, sec = 0, msec = 0;
  if (!s || !out_ms) return LY_EINVAL;
  size_t len = strlen(s);
  if (len < 10 || clock_digits(s, 4, &y) || s[4] != '-' || clock_digits(s + 5, 2, &mo) || s[7] != '-' ||
      clock_digits(s + 8, 2, &d))
    return LY_EPARSE;
  if (len > 10) {
    const char *p = s + 19, *end;
    if (len < 20 || s[10] != 'T' || clock_digits(s + 11, 2, &h) || s[13] != ':' ||
        clock_digits(s + 14, 2, &mi) || s[16] != ':' || clock_digits(s + 17, 2, &sec))
      return LY_EPARSE;
    if (clock_parse_frac(p, &msec, &end) || end[0] != 'Z' || end[1] != '\0') return LY_EPARSE;
  }
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return LY_EPARSE;
  struct tm tm = {0};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  /* timegm normalises 2026-02-30 to March 2nd; a changed day means no such date. */
  if (tm.tm_mday != d || tm.tm_mon != mo - 1) return LY_EPARSE;
  *out_ms = (int64_t)t * 1000 + msec;
  return LY_OK;
}

int ly_time_parse_any(const char *s, int64_t *out_ms) {
  char *end;
  if (!s || !out_ms || !s[0]) return LY_EPARSE;
  if (s[0] >= '0' && s[0] <= '9') {
    errno = 0;
    long long ms = strtoll(s, &end, 10);
    if (*end == '\0') {
      if (errno || ms > LY_TIME_MAX_MS) return LY_EPARSE;
      *out_ms = ms;
      return LY_OK;
    }
  }
  int64_t t;
  if (ly_time_parse(s, &t) || t < 0 || t > LY_TIME_MAX_MS) return LY_EPARSE;
  *out_ms = t;
  return LY_OK;
}
