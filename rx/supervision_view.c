/* rx/supervision_view.c — the supervisors' list, findings, and doctors' own findings. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/prescription_internal.h"
#include "rx/supervision.h"

static json_t *sv_opt(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() : json_string(ly_db_col_text(st, col));
}

static json_t *sv_opt_int(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                     : json_integer(sqlite3_column_int64(st, col));
}

static json_t *sv_row(sqlite3_stmt *st) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "id",
                   ly_db_col_text(st, 0), "week", ly_db_col_text(st, 1), "object_type", ly_db_col_text(st, 2),
                   "object_id", ly_db_col_text(st, 3), "doctor_id", ly_db_col_text(st, 4), "doctor_name",
                   ly_db_col_text(st, 5), "patient_id", ly_db_col_text(st, 6), "sampled_at",
                   (json_int_t)sqlite3_column_int64(st, 7), "finding", sv_opt(st, 8), "finding_text",
                   sv_opt(st, 9), "supervisor_id", sv_opt(st, 10), "reviewed_at", sv_opt_int(st, 11));
}

#define SV_COLS                                                                                          \
  "SELECT s.id, s.week, s.object_type, s.object_id, s.doctor_id, a.name, s.patient_id, s.sampled_at, "   \
  "s.finding, "                                                                                          \
  "s.finding_text, s.supervisor_id, s.reviewed_at FROM supervision_samples s JOIN accounts a ON a.id = " \
  "s.doctor_id "

static int sv_query(struct rx_ctx *cx, const char *sql, const char *a, int64_t b, json_t *arr) {
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, a);
  ly_db_bind_int(st, 2, b);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, sv_row(st));
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int sv_read(struct rx_ctx *cx, const struct records_actor *who, const char *sql, const char *a,
                   int64_t b, json_t **out, struct ly_error *e) {
  *out = json_array();
  if (!*out) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) {
    rc = sv_query(cx, sql, a, b, *out);
    if (rc == 0)
      rc = records_audit(&cx->rec, who, "supervision.read", NULL, "supervision_samples", NULL, "ok", a);
    rc = records_finish(cx->rec.db, rc);
  }
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  return records_done(e, rc);
}

int supervision_list(struct rx_ctx *cx, const struct records_actor *who, const char *week, int open_only,
                     json_t **out, struct ly_error *e) {
  static const char *sql = SV_COLS
      "WHERE (?1 IS NULL OR s.week = ?1) AND (?2 = 0 OR s.finding IS NULL) ORDER BY s.week DESC, "
      "s.doctor_id, "
      "s.id LIMIT 1000";
  ly_error_clear(e);
  *out = NULL;
  if (!records_is(who, "supervisor"))
    return ly_error_set(e, LY_EFORBIDDEN, "rx.supervisor_only", "Only supervisors review samples.",
                        "只有督导人员可以查看抽样。");
  return sv_read(cx, who, sql, week, open_only, out, e);
}

int supervision_mine(struct rx_ctx *cx, const struct records_actor *who, json_t **out, struct ly_error *e) {
  static const char *sql = SV_COLS
      "WHERE s.doctor_id = ?1 AND s.finding IS NOT NULL AND ?2 = 0 ORDER BY s.reviewed_at DESC LIMIT 500";
  ly_error_clear(e);
  *out = NULL;
  if (!records_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "rx.doctor_only", "Findings are shown to the doctor concerned.",
                        "督导意见仅向相关医师展示。");
  return sv_read(cx, who, sql, who->id, 0, out, e);
}

static int sv_finding_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                         const char *finding, const char *text, struct ly_error *e) {
  static const char *sql_get =
      "SELECT patient_id, doctor_id, finding IS NOT NULL FROM supervision_samples WHERE id = ?1";
  static const char *sql_set =
      "UPDATE supervision_samples SET finding = ?2, finding_text = ?3, supervisor_id = ?4, reviewed_at = ?5 "
      "WHERE id = ?1 AND finding IS NULL";
  char patient[LY_ID_MAX], doctor[LY_ID_MAX];
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql_get);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st), done = 0;
  if (rc == SQLITE_ROW) {
    snprintf(patient, sizeof patient, "%s", ly_db_col_text(st, 0));
    snprintf(doctor, sizeof doctor, "%s", ly_db_col_text(st, 1));
    done = sqlite3_column_int(st, 2);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "rx.sample_not_found", "No such sample.", "未找到该抽样。");
  if (rc != SQLITE_ROW) return ly_db_rc(cx->rec.db, rc);
  if (done)
    return ly_error_set(e, LY_ESTATE, "rx.sample_reviewed", "This sample already has a finding.",
                        "该抽样已有督导意见。");
  if (!(st = ly_db_stmt(cx->rec.db, sql_set))) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, finding);
  ly_db_bind_text(st, 3, text && text[0] ? text : NULL);
  ly_db_bind_text(st, 4, who->id);
  ly_db_bind_int(st, 5, ly_now_ms(cx->rec.clock));
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if ((rc = rx_notice(cx, doctor, "supervision.finding", NULL, NULL))) return rc;
  return records_audit(&cx->rec, who, "supervision.finding", patient, "supervision_sample", id, "ok",
                       finding);
}

int supervision_finding(struct rx_ctx *cx, const struct records_actor *who, const char *sample_id,
                        const char *finding, const char *text, struct ly_error *e) {
  ly_error_clear(e);
  if (!records_is(who, "supervisor"))
    return ly_error_set(e, LY_EFORBIDDEN, "rx.supervisor_only", "Only supervisors record findings.",
                        "只有督导人员可以填写督导意见。");
  int concerns = finding && strcmp(finding, "concerns") == 0;
  if (!finding || (!concerns && strcmp(finding, "appropriate") != 0))
    return ly_error_set(e, LY_EINVAL, "rx.finding_invalid", "A finding is appropriate or concerns.",
                        "督导意见须为“合理”或“存在问题”。");
  int rc = records_text_check(text, RX_NOTE_MAX * 2, concerns, "text", e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->rec.db))) return records_done(e, rc);
  return records_done(e, records_finish(cx->rec.db, sv_finding_tx(cx, who, sample_id, finding, text, e)));
}
