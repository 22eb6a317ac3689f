/* server/h_stats.c — the district dashboard's figures (admin, supervisor).
 *
 * Read-only SQL aggregates over what the domains store; nothing here reads
 * one patient's data (only counts, sums and durations), so nothing is
 * audited. Every figure takes the same filters from the query:
 *   from, to     a time range: UTC ms, or a date YYYY-MM-DD meaning that
 *                day in the district's time (UTC+8) — `to` is inclusive of
 *                its day; default the last 30 days up to now
 *   subdistrict  a subdistrict id: only facilities (or pharmacies) there
 * Days in the answers are district dates ("2026-03-14", UTC+8).
 *
 * GET /api/v1/stats/filters        subdistricts and facilities (for pickers)
 * GET /api/v1/stats/consultations  online follow-ups held and offline visits
 *                                  per day; waiting time (check-in → called)
 * GET /api/v1/stats/prescriptions  by state; the reasons of rejections at review
 * GET /api/v1/stats/dispatch       dispatch → claim times; lapsed dispatches
 * GET /api/v1/stats/claims         fund, account and cash paid per day
 * GET /api/v1/stats/quality        the audit chain and the reconciliation
 *                                  check, run now
 * (referrals per facility: GET /api/v1/stats/referrals, server/h_referral.c)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "insurance/statement.h"
#include "server/h_stats.h"
#include "server/server.h"

#define DAY_MS      (24 * 3600 * 1000LL)
#define DISTRICT_MS (8 * 3600 * 1000LL) /* UTC+8, no daylight saving */
#define QUERY_MAX   64

/* The district day of a time column, for GROUP BY. */
#define DAY(col) "strftime('%Y-%m-%d', (" col " + 28800000) / 1000, 'unixepoch')"
/* Facility f (or pharmacy ph) in the subdistrict filter ?3. */
#define IN_SUB(alias) " (?3 IS NULL OR " alias ".subdistrict_id = ?3)"

struct stats_filter {
  int64_t from, to;
  const char *sub; /* NULL: the whole district */
  char sub_buf[QUERY_MAX];
};

/* A time from the query; `end` makes a date mean the end of that day. */
static int query_time(struct ly_req *req, struct ly_resp *resp, const char *key, int end, int64_t *out) {
  char buf[40];
  int rc = ly_req_query(req, key, buf, sizeof buf);
  if (rc == LY_ENOTFOUND || (rc == 0 && !buf[0])) return 0;
  if (rc == 0) {
    int is_date = strlen(buf) == 10 && buf[4] == '-';
    if (ly_time_parse_any(buf, out) == 0) {
      /* a calendar day is the district's day, up to its end when asked */
      if (is_date) *out += (end ? DAY_MS : 0) - DISTRICT_MS;
      return 0;
    }
  }
  struct ly_error e;
  ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "%s is a time: UTC milliseconds or YYYY-MM-DD.", key);
  snprintf(e.field, sizeof e.field, "%s", key);
  ly_resp_error(req, resp, &e);
  return -1;
}

static int subdistrict_known(struct ly_db *db, const char *id) {
  sqlite3_stmt *st = ly_db_stmt(db, "SELECT 1 FROM subdistricts WHERE id = ?1");
  if (!st) return 0;
  ly_db_bind_text(st, 1, id);
  int found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  return found;
}

/* The filters of the query; 1 when resp holds a refusal. */
static int stats_filter(struct ly_req *req, struct ly_resp *resp, struct stats_filter *f) {
  int64_t now = ly_now_ms(req->srv->clock);
  f->to = now + 1;
  f->from = now - 30 * DAY_MS;
  f->sub = NULL;
  if (query_time(req, resp, "from", 0, &f->from) || query_time(req, resp, "to", 1, &f->to)) return 1;
  int rc = ly_req_query(req, "subdistrict", f->sub_buf, sizeof f->sub_buf);
  if (rc == 0 && f->sub_buf[0]) f->sub = f->sub_buf;
  if ((rc != 0 && rc != LY_ENOTFOUND) || f->from >= f->to || f->to - f->from > 3660 * DAY_MS ||
      (f->sub && !subdistrict_known(req->srv->db, f->sub))) {
    ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field",
                      "The range is not valid: from before to, at most ten years, a known subdistrict.",
                      "时间范围无效：开始须早于结束，最长十年。");
    return 1;
  }
  return 0;
}

static sqlite3_stmt *stats_stmt(struct ly_db *db, const char *sql, const struct stats_filter *f) {
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return NULL;
  if (f) {
    ly_db_bind_int(st, 1, f->from);
    ly_db_bind_int(st, 2, f->to);
    ly_db_bind_text(st, 3, f->sub);
  }
  return st;
}

/* One row as an object named by its columns (integers, reals, text, null). */
static json_t *row_json(sqlite3_stmt *st) {
  json_t *o = json_object();
  for (int i = 0; o && i < sqlite3_column_count(st); i++) {
    json_t *v;
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER:
        v = json_integer(sqlite3_column_int64(st, i));
        break;
      case SQLITE_FLOAT:
        v = json_real(sqlite3_column_double(st, i));
        break;
      case SQLITE_TEXT:
        v = json_string(ly_db_col_text(st, i));
        break;
      default:
        v = json_null();
    }
    json_object_set_new(o, sqlite3_column_name(st, i), v);
  }
  return o;
}

/* Every row of sql into o[key] as an array of objects. */
static int rows_into(struct ly_db *db, const char *sql, const struct stats_filter *f, json_t *o,
                     const char *key) {
  sqlite3_stmt *st = stats_stmt(db, sql, f);
  if (!st) return LY_EDB;
  json_t *a = json_array();
  int rc;
  while (a && (rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(a, row_json(st));
  sqlite3_reset(st);
  if (!a) return LY_ENOMEM;
  json_object_set_new(o, key, a);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

/* The first row of sql merged into o (its columns become o's keys). */
static int row_into(struct ly_db *db, const char *sql, const struct stats_filter *f, json_t *o) {
  sqlite3_stmt *st = stats_stmt(db, sql, f);
  if (!st) return LY_EDB;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    json_t *r = row_json(st);
    if (r) json_object_update(o, r);
    json_decref(r);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

/* Median and 90th percentile of a sorted duration query (?4 limit, ?5 offset)
 * whose count is n, into o as <name>_median_ms / <name>_p90_ms (null if n = 0). */
static int quantiles_into(struct ly_db *db, const char *sql, const struct stats_filter *f, int64_t n,
                          json_t *o, const char *name) {
  static const struct {
    const char *suffix;
    int pct;
  } qs[] = {{"median_ms", 50}, {"p90_ms", 90}};
  char key[64];
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    snprintf(key, sizeof key, "%s_%s", name, qs[i].suffix);
    json_t *v = json_null();
    if (n > 0) {
      sqlite3_stmt *st = stats_stmt(db, sql, f);
      if (!st) return LY_EDB;
      ly_db_bind_int(st, 4, 1);
      ly_db_bind_int(st, 5, (n - 1) * qs[i].pct / 100);
      int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) v = json_integer(sqlite3_column_int64(st, 0));
      sqlite3_reset(st);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ly_db_rc(db, rc);
    }
    json_object_set_new(o, key, v);
  }
  return 0;
}

static int64_t count_of(const json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

static int answer(struct ly_req *req, struct ly_resp *resp, int rc, json_t *o, const struct stats_filter *f) {
  if (rc) {
    json_decref(o);
    return ly_resp_fail(req, resp, rc, NULL, NULL);
  }
  if (f)
    json_object_set_new(o, "range",
                        json_pack("{s:I, s:I, s:s?}", "from", (json_int_t)f->from, "to", (json_int_t)f->to,
                                  "subdistrict", f->sub));
  return ly_resp_json(resp, 200, o);
}

/* ---- filters -------------------------------------------------------------------------------- */

int h_stats_filters(struct ly_req *req, struct ly_resp *resp) {
  json_t *o = json_object();
  int rc = rows_into(req->srv->db, "SELECT id, name, name_en FROM subdistricts ORDER BY id", NULL, o,
                     "subdistricts");
  if (!rc)
    rc = rows_into(req->srv->db,
                   "SELECT id, name, name_en, level, subdistrict_id FROM facilities ORDER BY subdistrict_id, "
                   "level DESC, id",
                   NULL, o, "facilities");
  return answer(req, resp, rc, o, NULL);
}

/* ---- consultations ------------------------------------------------------------------------- */

static const char sql_online_days[] =
    "SELECT " DAY("c.started_at") " AS day, COUNT(*) AS count FROM consultations c"
    " JOIN facilities f ON f.id = c.facility_id"
    " WHERE c.started_at >= ?1 AND c.started_at < ?2 AND" IN_SUB("f") " GROUP BY day ORDER BY day";
static const char sql_offline_days[] =
    "SELECT " DAY("o.diagnosed_at") " AS day, COUNT(*) AS count FROM offline_diagnoses o"
    " JOIN facilities f ON f.id = o.facility_id"
    " WHERE o.diagnosed_at >= ?1 AND o.diagnosed_at < ?2 AND" IN_SUB("f") " GROUP BY day ORDER BY day";
static const char sql_consult_states[] =
    "SELECT c.state AS state, COUNT(*) AS count FROM consultations c JOIN facilities f ON f.id = "
    "c.facility_id"
    " WHERE c.booked_at >= ?1 AND c.booked_at < ?2 AND" IN_SUB("f") " GROUP BY c.state ORDER BY c.state";
#define WAITS                                                       \
  " FROM consultations c JOIN facilities f ON f.id = c.facility_id" \
  " WHERE c.called_at >= ?1 AND c.called_at < ?2 AND c.checked_in_at IS NOT NULL AND" IN_SUB("f")
static const char sql_wait_count[] = "SELECT COUNT(*) AS waits" WAITS;
static const char sql_wait_nth[] =
    "SELECT MAX(c.called_at - c.checked_in_at, 0) AS w" WAITS " ORDER BY w LIMIT ?4 OFFSET ?5";

int h_stats_consultations(struct ly_req *req, struct ly_resp *resp) {
  struct stats_filter f;
  struct ly_db *db = req->srv->db;
  if (stats_filter(req, resp, &f)) return 0;
  json_t *o = json_object(), *wait = json_object();
  json_object_set_new(o, "waiting", wait);
  int rc = rows_into(db, sql_online_days, &f, o, "online");
  if (!rc) rc = rows_into(db, sql_offline_days, &f, o, "offline");
  if (!rc) rc = rows_into(db, sql_consult_states, &f, o, "by_state");
  if (!rc) rc = row_into(db, sql_wait_count, &f, wait);
  if (!rc) rc = quantiles_into(db, sql_wait_nth, &f, count_of(wait, "waits"), wait, "wait");
  return answer(req, resp, rc, o, &f);
}

/* ---- prescriptions -------------------------------------------------------------------------- */

static const char sql_rx_states[] =
    "SELECT p.state AS state, COUNT(*) AS count FROM prescriptions p JOIN facilities f ON f.id = "
    "p.facility_id"
    " WHERE p.created_at >= ?1 AND p.created_at < ?2 AND" IN_SUB("f") " GROUP BY p.state ORDER BY count DESC";
#define REVIEWS                                                                  \
  " FROM prescription_events e JOIN prescriptions p ON p.id = e.prescription_id" \
  " JOIN facilities f ON f.id = p.facility_id WHERE e.at >= ?1 AND e.at < ?2 AND" IN_SUB("f")
static const char sql_reviews[] =
    "SELECT COALESCE(SUM(e.action = 'approve'), 0) AS approved, COALESCE(SUM(e.action = 'reject'), 0) AS "
    "rejected" REVIEWS;
static const char sql_reject_reasons[] =
    "SELECT e.reason AS reason, COUNT(*) AS count" REVIEWS
    " AND e.action = 'reject' GROUP BY e.reason ORDER BY count DESC, reason LIMIT 10";

int h_stats_prescriptions(struct ly_req *req, struct ly_resp *resp) {
  struct stats_filter f;
  struct ly_db *db = req->srv->db;
  if (stats_filter(req, resp, &f)) return 0;
  json_t *o = json_object(), *review = json_object();
  json_object_set_new(o, "review", review);
  int rc = rows_into(db, sql_rx_states, &f, o, "by_state");
  if (!rc) rc = row_into(db, sql_reviews, &f, review);
  if (!rc) rc = rows_into(db, sql_reject_reasons, &f, review, "reasons");
  return answer(req, resp, rc, o, &f);
}

/* ---- dispatch ----------------------------------------------------------------------------------- */

#define CLAIMS                                                                                    \
  " FROM rx_dispatches d JOIN rx_claims k ON k.dispatch_id = d.id JOIN pharmacies ph ON ph.id = " \
  "d.pharmacy_id"                                                                                 \
  " WHERE d.created_at >= ?1 AND d.created_at < ?2 AND" IN_SUB("ph")
static const char sql_dispatch_sum[] =
    "SELECT (SELECT COUNT(*) FROM rx_dispatches d JOIN pharmacies ph ON ph.id = d.pharmacy_id"
    " WHERE d.created_at >= ?1 AND d.created_at < ?2 AND" IN_SUB("ph") ") AS dispatched,"
    " (SELECT COUNT(*) FROM rx_dispatches d JOIN pharmacies ph ON ph.id = d.pharmacy_id"
    " WHERE d.state = 'lapsed' AND d.created_at >= ?1 AND d.created_at < ?2 AND" IN_SUB("ph") ") AS lapsed,"
    " (SELECT COUNT(*)" CLAIMS ") AS claimed";
static const char sql_claim_buckets[] =
    "SELECT CASE WHEN w < 60000 THEN 60000 WHEN w < 300000 THEN 300000 WHEN w < 900000 THEN 900000"
    " WHEN w < 3600000 THEN 3600000 WHEN w < 7200000 THEN 7200000 ELSE NULL END AS under_ms, COUNT(*) AS "
    "count"
    " FROM (SELECT MAX(k.claimed_at - d.created_at, 0) AS w" CLAIMS
    ") GROUP BY under_ms"
    " ORDER BY under_ms IS NULL, under_ms";
static const char sql_claim_nth[] =
    "SELECT MAX(k.claimed_at - d.created_at, 0) AS w" CLAIMS " ORDER BY w LIMIT ?4 OFFSET ?5";

int h_stats_dispatch(struct ly_req *req, struct ly_resp *resp) {
  struct stats_filter f;
  struct ly_db *db = req->srv->db;
  if (stats_filter(req, resp, &f)) return 0;
  json_t *o = json_object();
  int rc = row_into(db, sql_dispatch_sum, &f, o);
  if (!rc) rc = rows_into(db, sql_claim_buckets, &f, o, "buckets");
  if (!rc) rc = quantiles_into(db, sql_claim_nth, &f, count_of(o, "claimed"), o, "claim");
  return answer(req, resp, rc, o, &f);
}

/* ---- insurance ---------------------------------------------------------------------------------- */

static const char sql_claim_days[] =
    "SELECT c.settled_day AS day, COUNT(*) AS count, SUM(c.total_fen) AS total_fen, SUM(c.fund_fen) AS "
    "fund_fen,"
    " SUM(c.account_fen) AS account_fen, SUM(c.cash_fen) AS cash_fen FROM claims c"
    " JOIN facilities f ON f.id = c.facility_id WHERE c.status = 'settled' AND c.settled_at >= ?1"
    " AND c.settled_at < ?2 AND" IN_SUB("f") " GROUP BY c.settled_day ORDER BY c.settled_day";
static const char sql_claim_states[] =
    "SELECT c.status AS status, COUNT(*) AS count FROM claims c JOIN facilities f ON f.id = c.facility_id"
    " WHERE c.settled_at >= ?1 AND c.settled_at < ?2 AND" IN_SUB("f") " GROUP BY c.status ORDER BY c.status";

int h_stats_claims(struct ly_req *req, struct ly_resp *resp) {
  struct stats_filter f;
  if (stats_filter(req, resp, &f)) return 0;
  json_t *o = json_object();
  int rc = rows_into(req->srv->db, sql_claim_days, &f, o, "days");
  if (!rc) rc = rows_into(req->srv->db, sql_claim_states, &f, o, "by_status");
  return answer(req, resp, rc, o, &f);
}

/* ---- data quality ------------------------------------------------------------------------------- */

/* Both checks read everything they check: the audit chain (one SHA-256 per
 * entry) and every claim, reversal, accumulator and account. They run on the
 * service thread, so this route is for people opening the page, not for
 * monitoring loops (`lianyi audit verify` and `lianyi claims statement
 * --check` are the batch forms). */
int h_stats_quality(struct ly_req *req, struct ly_resp *resp) {
  struct ly_db *db = req->srv->db;
  int64_t checked = 0, bad = 0, t0 = ly_mono_ms(req->srv->clock);
  int rc = ly_audit_verify(db, &checked, &bad);
  if (rc && rc != LY_ECONFLICT) return ly_resp_fail(req, resp, rc, NULL, NULL);
  json_t *audit = json_pack("{s:b, s:I, s:o, s:I}", "intact", rc == 0, "entries", (json_int_t)checked,
                            "first_bad_seq", rc ? json_integer(bad) : json_null(), "took_ms",
                            (json_int_t)(ly_mono_ms(req->srv->clock) - t0));
  struct statement_check *c = malloc(sizeof *c);
  if (!c) {
    json_decref(audit);
    return ly_resp_fail(req, resp, LY_ENOMEM, NULL, NULL);
  }
  t0 = ly_mono_ms(req->srv->clock);
  rc = statement_check_run(db, c);
  json_t *rec = rc ? NULL : statement_check_to_json(c);
  free(c);
  if (!rec) {
    json_decref(audit);
    return ly_resp_fail(req, resp, rc ? rc : LY_ENOMEM, NULL, NULL);
  }
  json_object_set_new(rec, "took_ms", json_integer(ly_mono_ms(req->srv->clock) - t0));
  return ly_resp_json(resp, 200,
                      json_pack("{s:I, s:o, s:o}", "checked_at", (json_int_t)ly_now_ms(req->srv->clock),
                                "audit", audit, "reconciliation", rec));
}
