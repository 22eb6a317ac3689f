/* records/careplan_view.c — reading care plans and the doctor's alert list. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/careplan.h"
#include "records/records.h"

static json_t *cv_opt(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                     : json_real(sqlite3_column_double(st, col));
}

static json_t *cv_int_opt(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                     : json_integer(sqlite3_column_int64(st, col));
}

static json_t *cv_targets(const struct records_ctx *cx, const char *plan_id) {
  static const char *sql =
      "SELECT kind, low1, high1, low2, high2 FROM care_plan_targets WHERE plan_id = ?1 ORDER BY kind";
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->db, sql) : NULL;
  if (!st) {
    json_decref(arr);
    return NULL;
  }
  ly_db_bind_text(st, 1, plan_id);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:s, s:o, s:o, s:o, s:o}", "kind", ly_db_col_text(st, 0), "low1", cv_opt(st, 1),
                       "high1", cv_opt(st, 2), "low2", cv_opt(st, 3), "high2", cv_opt(st, 4)));
  sqlite3_reset(st);
  return arr;
}

static int cv_list_tx(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                      json_t *arr, struct ly_error *e) {
  static const char *sql =
      "SELECT id, doctor_id, icd10, follow_up_days, last_follow_up_at, next_follow_up_at, note, active, "
      "created_at "
      "FROM care_plans WHERE patient_id = ?1 ORDER BY created_at DESC, id";
  int rc = records_patient_exists(cx, patient_id, e);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:s, s:i, s:o, s:I, s:s, s:b, s:I}", "id", ly_db_col_text(st, 0),
                       "doctor_id", ly_db_col_text(st, 1), "icd10", ly_db_col_text(st, 2), "follow_up_days",
                       sqlite3_column_int(st, 3), "last_follow_up_at", cv_int_opt(st, 4), "next_follow_up_at",
                       (json_int_t)sqlite3_column_int64(st, 5), "note", ly_db_col_text(st, 6), "active",
                       sqlite3_column_int(st, 7), "created_at", (json_int_t)sqlite3_column_int64(st, 8)));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  size_t i;
  json_t *p;
  json_array_foreach(arr, i, p) {
    json_t *t = cv_targets(cx, json_string_value(json_object_get(p, "id")));
    if (!t) return LY_ENOMEM;
    json_object_set_new(p, "targets", t);
  }
  return records_audit(cx, who, "record.read", patient_id, "care_plans", NULL, "ok", NULL);
}

int careplan_list(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                  json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  json_t *arr = json_array();
  if (!arr) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->db);
  if (rc == 0) rc = records_finish(cx->db, cv_list_tx(cx, who, patient_id, arr, e));
  if (rc) {
    json_decref(arr);
    return records_done(e, rc);
  }
  *out = arr;
  return 0;
}

static int cv_alerts_tx(const struct records_ctx *cx, const struct records_actor *who, int open_only,
                        json_t *arr) {
  static const char *sql =
      "SELECT id, patient_id, plan_id, kind, vital_id, due_at, detail, created_at, acknowledged_at FROM "
      "care_alerts "
      "WHERE doctor_id = ?1 AND (?2 = 0 OR acknowledged_at IS NULL) ORDER BY created_at DESC, id LIMIT 500";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, who->id);
  ly_db_bind_int(st, 2, open_only);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o, s:s, s:I, s:o}", "id", ly_db_col_text(st, 0),
                       "patient_id", ly_db_col_text(st, 1), "plan_id", ly_db_col_text(st, 2), "kind",
                       ly_db_col_text(st, 3), "vital_id", (const char *)sqlite3_column_text(st, 4), "due_at",
                       cv_int_opt(st, 5), "detail", ly_db_col_text(st, 6), "created_at",
                       (json_int_t)sqlite3_column_int64(st, 7), "acknowledged_at", cv_int_opt(st, 8)));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return records_audit(cx, who, "record.read", NULL, "care_alerts", NULL, "ok", NULL);
}

int careplan_alerts(const struct records_ctx *cx, const struct records_actor *who, int open_only,
                    json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!records_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "records.doctor_only", "Alerts are for doctors.",
                        "提醒仅供医师查看。");
  json_t *arr = json_array();
  if (!arr) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->db);
  if (rc == 0) rc = records_finish(cx->db, cv_alerts_tx(cx, who, open_only, arr));
  if (rc) {
    json_decref(arr);
    return records_done(e, rc);
  }
  *out = arr;
  return 0;
}

static int cv_ack_tx(const struct records_ctx *cx, const struct records_actor *who, const char *alert_id,
                     struct ly_error *e) {
  static const char *sql_get = "SELECT patient_id, doctor_id, acknowledged_at FROM care_alerts WHERE id = ?1";
  static const char *sql_ack =
      "UPDATE care_alerts SET acknowledged_at = ?2, acknowledged_by = ?3 WHERE id = ?1";
  char patient[LY_ID_MAX];
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_get);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, alert_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
    return ly_error_set(e, LY_ENOTFOUND, "records.alert_not_found", "No such alert.", "未找到该提醒。");
  }
  snprintf(patient, sizeof patient, "%s", ly_db_col_text(st, 0));
  int mine = strcmp(ly_db_col_text(st, 1), who->id) == 0, done = sqlite3_column_type(st, 2) != SQLITE_NULL;
  sqlite3_reset(st);
  if (!mine)
    return ly_error_set(e, LY_EFORBIDDEN, "records.alert_not_yours", "This alert is for another doctor.",
                        "该提醒属于其他医师。");
  if (done)
    return ly_error_set(e, LY_ESTATE, "records.alert_acknowledged", "This alert was already acknowledged.",
                        "该提醒已确认。");
  if (!(st = ly_db_stmt(cx->db, sql_ack))) return LY_EDB;
  ly_db_bind_text(st, 1, alert_id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->clock));
  ly_db_bind_text(st, 3, who->id);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return records_audit(cx, who, "record.alert_ack", patient, "care_alert", alert_id, "ok", NULL);
}

int careplan_ack(const struct records_ctx *cx, const struct records_actor *who, const char *alert_id,
                 struct ly_error *e) {
  ly_error_clear(e);
  int rc = ly_db_begin(cx->db);
  if (rc) return records_done(e, rc);
  return records_done(e, records_finish(cx->db, cv_ack_tx(cx, who, alert_id, e)));
}
