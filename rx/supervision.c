/* rx/supervision.c — weekly supervision samples and supervisors' findings. */
#include "rx/supervision.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/prescription_internal.h"

#define SV_DAY         86400000LL
#define SV_MAX_DOCTORS 20000

static int64_t sv_floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Local day number (days since 1970-01-01 local) → ISO year and week. */
static void sv_iso(int64_t day, int *year, int *week) {
  int64_t wd = ((day + 3) % 7 + 7) % 7; /* Monday 0; 1970-01-01 was a Thursday */
  int64_t thu = day - wd + 3;
  time_t t = (time_t)(thu * 86400);
  struct tm tm;
  gmtime_r(&t, &tm);
  *year = tm.tm_year + 1900;
  *week = tm.tm_yday / 7 + 1;
}

void supervision_week_of(const struct rx_ctx *cx, int64_t at_ms, char *out, size_t outsz) {
  int y, w;
  sv_iso(sv_floor_div(at_ms + cx->utc_offset_ms, SV_DAY), &y, &w);
  snprintf(out, outsz, "%04d-W%02d", y, w);
}

int supervision_week_start(const struct rx_ctx *cx, const char *week, int64_t *start_ms) {
  int y = 0, w = 0;
  if (!week || strlen(week) != 8 || week[4] != '-' || week[5] != 'W') return LY_EPARSE;
  for (int i = 0; i < 8; i++)
    if (i != 4 && i != 5 && (week[i] < '0' || week[i] > '9')) return LY_EPARSE;
  y = (week[0] - '0') * 1000 + (week[1] - '0') * 100 + (week[2] - '0') * 10 + (week[3] - '0');
  w = (week[6] - '0') * 10 + (week[7] - '0');
  if (y < 1970 || w < 1 || w > 53) return LY_EPARSE;
  struct tm tm = {.tm_year = y - 1900, .tm_mon = 0, .tm_mday = 4};
  int64_t jan4 = (int64_t)timegm(&tm) / 86400;
  int64_t monday = jan4 - ((jan4 + 3) % 7 + 7) % 7 + (int64_t)(w - 1) * 7;
  int yy, ww;
  sv_iso(monday, &yy, &ww);
  if (yy != y || ww != w) return LY_EPARSE; /* week 53 of a 52-week year */
  *start_ms = monday * SV_DAY - cx->utc_offset_ms;
  return 0;
}

#define SV_ITEMS                                                                                             \
  "SELECT 'prescription' AS t, id, doctor_id, patient_id FROM prescriptions WHERE online = 1 AND signed_at " \
  ">= "                                                                                                      \
  "?1 AND signed_at < ?2 UNION ALL SELECT 'note', id, doctor_id, patient_id FROM consultation_notes WHERE "  \
  "signed_at >= ?1 AND signed_at < ?2"

struct sv_doctor {
  char id[LY_ID_MAX];
  int64_t n;
};

static int sv_doctors(struct rx_ctx *cx, int64_t from, int64_t to, struct sv_doctor **out, size_t *n) {
  static const char *sql =
      "SELECT doctor_id, count(*) FROM (" SV_ITEMS ") GROUP BY doctor_id ORDER BY doctor_id";
  size_t cap = 64;
  *n = 0;
  *out = malloc(cap * sizeof **out);
  sqlite3_stmt *st = *out ? ly_db_stmt(cx->rec.db, sql) : NULL;
  if (!st) return *out ? LY_EDB : LY_ENOMEM;
  ly_db_bind_int(st, 1, from);
  ly_db_bind_int(st, 2, to);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < SV_MAX_DOCTORS) {
    if (*n == cap) {
      struct sv_doctor *bigger = realloc(*out, 2 * cap * sizeof **out);
      if (!bigger) break;
      *out = bigger;
      cap *= 2;
    }
    snprintf((*out)[*n].id, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
    (*out)[(*n)++].n = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* k random items of one doctor onto the list. */
static int sv_pick(struct rx_ctx *cx, const char *week, const struct sv_doctor *d, int64_t k, int64_t from,
                   int64_t to, int *sampled) {
  static const char *sql_pick =
      "SELECT t, id, patient_id FROM (" SV_ITEMS ") WHERE doctor_id = ?3 ORDER BY random() LIMIT ?4";
  static const char *sql_ins =
      "INSERT OR IGNORE INTO supervision_samples (id, week, object_type, object_id, doctor_id, patient_id, "
      "sampled_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  char rows[64][3][LY_ID_MAX];
  size_t n = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql_pick);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, from);
  ly_db_bind_int(st, 2, to);
  ly_db_bind_text(st, 3, d->id);
  ly_db_bind_int(st, 4, k < 64 ? k : 64);
  while (n < 64 && sqlite3_step(st) == SQLITE_ROW) {
    for (int c = 0; c < 3; c++)
      snprintf(rows[n][c], LY_ID_MAX, "%s", ly_db_col_text(st, c));
    n++;
  }
  sqlite3_reset(st);
  for (size_t i = 0; i < n; i++) {
    char id[LY_ID_MAX];
    int rc = ly_id_new("sv", id, sizeof id);
    if (rc || !(st = ly_db_stmt(cx->rec.db, sql_ins))) return rc ? rc : LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, week);
    ly_db_bind_text(st, 3, rows[i][0]);
    ly_db_bind_text(st, 4, rows[i][1]);
    ly_db_bind_text(st, 5, d->id);
    ly_db_bind_text(st, 6, rows[i][2]);
    ly_db_bind_int(st, 7, ly_now_ms(cx->rec.clock));
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
    *sampled += sqlite3_changes(ly_db_sqlite(cx->rec.db));
  }
  return 0;
}

static int sv_run_row(struct rx_ctx *cx, const char *week, int sampled, struct ly_error *e) {
  static const char *sql =
      "INSERT INTO supervision_runs (week, share_bp, sampled, ran_at) VALUES (?1, ?2, ?3, ?4)";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, week);
  ly_db_bind_int(st, 2, cx->supervision_share_bp);
  ly_db_bind_int(st, 3, sampled);
  ly_db_bind_int(st, 4, ly_now_ms(cx->rec.clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return 0;
  rc = ly_db_rc(cx->rec.db, rc);
  if (rc == LY_EEXIST)
    return ly_error_set(e, LY_EEXIST, "rx.supervision_week_done", "This week has already been sampled.",
                        "本周已完成抽样。");
  return rc;
}

static int sv_sample_tx(struct rx_ctx *cx, const char *week, int64_t from, int *sampled, struct ly_error *e) {
  static const struct records_actor sys = {"system", "system", NULL};
  struct sv_doctor *docs = NULL;
  size_t n = 0;
  int64_t to = from + 7 * SV_DAY;
  int rc = sv_run_row(cx, week, 0, e); /* claims the week first: a second run stops here */
  if (rc == 0) rc = sv_doctors(cx, from, to, &docs, &n);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    int64_t k = (docs[i].n * cx->supervision_share_bp + 9999) / 10000;
    rc = sv_pick(cx, week, &docs[i], k < 1 ? 1 : k, from, to, sampled);
  }
  free(docs);
  if (rc) return rc;
  static const char *sql = "UPDATE supervision_runs SET sampled = ?2 WHERE week = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, week);
  ly_db_bind_int(st, 2, *sampled);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return records_audit(&cx->rec, &sys, "supervision.sample", NULL, "supervision_week", week, "ok", NULL);
}

int supervision_sample(struct rx_ctx *cx, const char *week, int *sampled, struct ly_error *e) {
  char wk[16];
  int64_t from = 0;
  ly_error_clear(e);
  *sampled = 0;
  if (!week) {
    supervision_week_of(cx, ly_now_ms(cx->rec.clock) - 7 * SV_DAY, wk, sizeof wk);
    week = wk;
  }
  if (supervision_week_start(cx, week, &from))
    return ly_error_set(e, LY_EINVAL, "rx.week_invalid", "A week is written like 2026-W24.",
                        "周的格式如 2026-W24。");
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, sv_sample_tx(cx, week, from, sampled, e));
  if (rc) *sampled = 0;
  return records_done(e, rc);
}
