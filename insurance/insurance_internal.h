/* insurance/insurance_internal.h — helpers shared by the files of insurance/
 * and nobody else. */
#ifndef LY_INSURANCE_INTERNAL_H
#define LY_INSURANCE_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"

/* Days and years of money are the district's business day, China Standard
 * Time (UTC+8, no daylight saving): a claim settled at 2026-01-01 07:00 in
 * Beijing (23:00 UTC the day before) belongs to 2026-01-01 and to 2026. */
#define INS_TZ_OFFSET_MS (8LL * 3600 * 1000)

/* Business day "YYYY-MM-DD" of UTC ms into out (>= 11 bytes). */
static inline void ins_day(int64_t ms, char *out, size_t outsz) {
  ly_time_date(ms + INS_TZ_OFFSET_MS, out, outsz);
}

/* Business year of UTC ms. */
static inline int ins_year(int64_t ms) {
  char d[16];
  ins_day(ms, d, sizeof d);
  return (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
}

/* Bounded copy of a possibly NULL string (truncates; callers size buffers to
 * the column limits they validated). */
static inline void ins_copy(char *dst, size_t dstsz, const char *src) {
  snprintf(dst, dstsz, "%s", src ? src : "");
}

/* Finish a statement that should have run to SQLITE_DONE. */
static inline int ins_step_done(struct ly_db *db, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? LY_OK : ly_db_rc(db, rc);
}

#endif
