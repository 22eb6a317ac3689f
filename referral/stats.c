/* referral/stats.c — supervision figures on referrals (stats.h). */
#include "referral/stats.h"

#include <sqlite3.h>

#include "core/db.h"
#include "core/err.h"
#include "referral/referral_internal.h"

#define RANGE_AND_FACILITY                                                                       \
  " r.requested_at >= ?1 AND r.requested_at < ?2 AND (?3 IS NULL OR r.from_facility_id = ?3 OR " \
  "r.to_facility_id = ?3)"

static const char sql_months[] =
    "SELECT strftime('%Y-%m', (r.requested_at + 28800000) / 1000, 'unixepoch') AS month, f.id AS facility_id,"
    " f.name AS facility_name, f.name_en AS facility_name_en, f.level AS level,"
    " SUM(r.direction = 'up' AND r.from_facility_id = f.id) AS up_out,"
    " SUM(r.direction = 'up' AND r.to_facility_id = f.id) AS up_in,"
    " SUM(r.direction = 'down' AND r.from_facility_id = f.id) AS down_out,"
    " SUM(r.direction = 'down' AND r.to_facility_id = f.id) AS down_in"
    " FROM referrals r JOIN facilities f ON f.id IN (r.from_facility_id, r.to_facility_id)"
    " WHERE r.requested_at >= ?1 AND r.requested_at < ?2 AND (?3 IS NULL OR f.id = ?3)"
    " GROUP BY month, f.id ORDER BY month, f.id";

static const char sql_states[] =
    "SELECT r.direction, r.state, COUNT(*) FROM referrals r WHERE" RANGE_AND_FACILITY
    " GROUP BY r.direction, r.state";

/* The time each referral was first scheduled, from its request. */
#define DELAYS                                                                                        \
  " FROM referrals r JOIN referral_events e ON e.referral_id = r.id AND e.to_state = 'scheduled'"     \
  " AND e.seq = (SELECT MIN(seq) FROM referral_events x WHERE x.referral_id = r.id AND x.to_state = " \
  "'scheduled')"                                                                                      \
  " WHERE" RANGE_AND_FACILITY

static const char sql_delay_count[] = "SELECT COUNT(*)" DELAYS;
static const char sql_delay_mid[] =
    "SELECT e.at - r.requested_at AS d" DELAYS " ORDER BY d LIMIT ?4 OFFSET ?5";

static const char sql_no_show[] =
    "SELECT COALESCE(SUM(r.state = 'no_show'), 0), COALESCE(SUM(r.state IN ('arrived', 'completed')), 0)"
    " FROM referrals r WHERE r.direction = 'up' AND" RANGE_AND_FACILITY;

static sqlite3_stmt *stats_stmt(struct ly_db *db, const char *sql, int64_t from, int64_t to,
                                const char *fac) {
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return NULL;
  ly_db_bind_int(st, 1, from);
  ly_db_bind_int(st, 2, to);
  ly_db_bind_text(st, 3, fac && fac[0] ? fac : NULL);
  return st;
}

static int stats_months(struct ly_db *db, int64_t from, int64_t to, const char *fac, json_t *o) {
  sqlite3_stmt *st = stats_stmt(db, sql_months, from, to, fac);
  json_t *a = json_array();
  int rc;
  if (!st) {
    json_decref(a);
    return LY_EDB;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(a, ref_json_row(st));
  sqlite3_reset(st);
  json_object_set_new(o, "by_facility_month", a);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int stats_states(struct ly_db *db, int64_t from, int64_t to, const char *fac, json_t *o) {
  sqlite3_stmt *st = stats_stmt(db, sql_states, from, to, fac);
  json_int_t up = 0, down = 0;
  json_t *states = json_object();
  int rc;
  if (!st) {
    json_decref(states);
    return LY_EDB;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_int_t n = sqlite3_column_int64(st, 2);
    const char *state = ly_db_col_text(st, 1);
    json_t *prev = json_object_get(states, state);
    json_object_set_new(states, state, json_integer(n + (prev ? json_integer_value(prev) : 0)));
    *(sqlite3_column_text(st, 0)[0] == 'u' ? &up : &down) += n;
  }
  sqlite3_reset(st);
  json_object_set_new(o, "totals", json_pack("{s:I, s:I, s:o}", "up", up, "down", down, "states", states));
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int stats_median(struct ly_db *db, int64_t from, int64_t to, const char *fac, json_t *o) {
  sqlite3_stmt *st = stats_stmt(db, sql_delay_count, from, to, fac);
  if (!st) return LY_EDB;
  int rc = sqlite3_step(st);
  int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0, sum = 0, k = 0;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return ly_db_rc(db, rc);
  json_object_set_new(o, "scheduled", json_integer((json_int_t)n));
  if (n == 0) return json_object_set_new(o, "median_request_to_scheduled_ms", json_null()), 0;
  if (!(st = stats_stmt(db, sql_delay_mid, from, to, fac))) return LY_EDB;
  ly_db_bind_int(st, 4, 2 - n % 2);
  ly_db_bind_int(st, 5, (n - 1) / 2);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sum += sqlite3_column_int64(st, 0);
    k++;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(db, rc);
  json_object_set_new(o, "median_request_to_scheduled_ms", json_integer((json_int_t)(k ? sum / k : 0)));
  return 0;
}

static int stats_no_show(struct ly_db *db, int64_t from, int64_t to, const char *fac, json_t *o) {
  sqlite3_stmt *st = stats_stmt(db, sql_no_show, from, to, fac);
  if (!st) return LY_EDB;
  int rc = sqlite3_step(st);
  int64_t no = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  int64_t came = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return ly_db_rc(db, rc);
  json_object_set_new(o, "no_shows", json_integer((json_int_t)no));
  json_object_set_new(o, "attended", json_integer((json_int_t)came));
  json_object_set_new(o, "no_show_rate",
                      no + came ? json_real((double)no / (double)(no + came)) : json_null());
  return 0;
}

int stats_referrals_json(struct ly_db *db, int64_t from, int64_t to, const char *facility_id, json_t **out) {
  json_t *o = json_pack("{s:I, s:I, s:s?}", "from", (json_int_t)from, "to", (json_int_t)to, "facility_id",
                        facility_id && facility_id[0] ? facility_id : NULL);
  if (!o) return LY_ENOMEM;
  int rc = stats_months(db, from, to, facility_id, o);
  if (!rc) rc = stats_states(db, from, to, facility_id, o);
  if (!rc) rc = stats_median(db, from, to, facility_id, o);
  if (!rc) rc = stats_no_show(db, from, to, facility_id, o);
  if (rc) {
    json_decref(o);
    return rc;
  }
  *out = o;
  return 0;
}
