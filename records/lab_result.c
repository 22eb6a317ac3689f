/* records/lab_result.c — attaching results to lab/exam orders and reading them. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/document.h"
#include "records/lab.h"
#include "records/lab_internal.h"
#include "records/records.h"

static int lab_rows_valid(const struct lab_report *in, struct ly_error *e) {
  int rc = records_text_check(in->summary, 4000, 0, "summary", e);
  if (rc) return rc;
  if (in->nrows > LAB_MAX_RESULTS)
    return ly_error_set(e, LY_EINVAL, "records.lab_too_many_results", "At most 50 result values per order.",
                        "每张检验检查单最多50项结果。");
  if (in->nrows == 0 && in->doc_len == 0 && (!in->summary || !in->summary[0]))
    return ly_error_set(e, LY_EINVAL, "records.lab_result_empty",
                        "Attach values, a report file or a summary.", "请填写结果数值、上传报告或填写结论。");
  for (size_t i = 0; i < in->nrows; i++) {
    const struct lab_result_in *r = &in->rows[i];
    if ((rc = records_text_check(r->analyte, 100, 1, "results.analyte", e))) return rc;
    if ((rc = records_text_check(r->value, 200, 1, "results.value", e))) return rc;
    if ((rc = records_text_check(r->unit, 32, 0, "results.unit", e))) return rc;
    if ((rc = records_text_check(r->ref_text, 200, 0, "results.ref_text", e))) return rc;
    if ((r->has_num && !isfinite(r->num)) || (r->has_low && !isfinite(r->low)) ||
        (r->has_high && !isfinite(r->high)) || (r->has_low && r->has_high && r->low > r->high))
      return ly_error_set(e, LY_EINVAL, "records.lab_range_invalid",
                          "A value or reference range is not valid.", "结果数值或参考范围无效。");
  }
  return 0;
}

static const char *lab_flag(const struct lab_result_in *r) {
  if (!r->has_num || (!r->has_low && !r->has_high)) return "";
  if (r->has_low && r->num < r->low) return "L";
  if (r->has_high && r->num > r->high) return "H";
  return "N";
}

static int lab_insert_rows(const struct records_ctx *cx, const char *id, const struct lab_report *in) {
  static const char *sql =
      "INSERT INTO lab_results (order_id, seq, analyte, value, value_num, unit, ref_low, ref_high, ref_text, "
      "flag) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
  for (size_t i = 0; i < in->nrows; i++) {
    const struct lab_result_in *r = &in->rows[i];
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_int(st, 2, (int64_t)i + 1);
    ly_db_bind_text(st, 3, r->analyte);
    ly_db_bind_text(st, 4, r->value);
    if (r->has_num) sqlite3_bind_double(st, 5, r->num);
    ly_db_bind_text(st, 6, r->unit ? r->unit : "");
    if (r->has_low) sqlite3_bind_double(st, 7, r->low);
    if (r->has_high) sqlite3_bind_double(st, 8, r->high);
    ly_db_bind_text(st, 9, r->ref_text ? r->ref_text : "");
    ly_db_bind_text(st, 10, lab_flag(r));
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  }
  return 0;
}

static int lab_result_tx(const struct records_ctx *cx, const struct records_actor *who, const char *order_id,
                         const struct lab_report *in, struct ly_error *e) {
  static const char *sql =
      "UPDATE lab_orders SET resulted_at = ?2, resulted_by = ?3, summary = ?4, report_document_id = ?5 WHERE "
      "id = ?1";
  struct lab_row o;
  char doc_id[LY_ID_MAX] = "";
  int rc = lab_load(cx, order_id, &o, e);
  if (rc == 0) rc = lab_move(cx, who, &o, "result", NULL, e);
  if (rc == 0 && in->doc_len)
    rc = document_store(cx, who, o.patient_id, strcmp(o.kind, "exam") == 0 ? "exam_report" : "lab_report",
                        in->content_type, in->doc, in->doc_len, doc_id, e);
  if (rc == 0) rc = lab_insert_rows(cx, order_id, in);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, order_id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->clock));
  ly_db_bind_text(st, 3, who->id);
  ly_db_bind_text(st, 4, in->summary ? in->summary : "");
  ly_db_bind_text(st, 5, doc_id[0] ? doc_id : NULL);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

int lab_result(const struct records_ctx *cx, const struct records_actor *who, const char *order_id,
               const struct lab_report *in, struct ly_error *e) {
  ly_error_clear(e);
  int rc = lab_rows_valid(in, e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->db))) return records_done(e, rc);
  return records_done(e, records_finish(cx->db, lab_result_tx(cx, who, order_id, in, e)));
}

/* ---- reading ------------------------------------------------------------- */

#define LAB_COLS                                                                                             \
  "SELECT id, patient_id, consultation_id, doctor_id, facility_id, kind, code, name, clinical_note, state, " \
  "scheduled_for, resulted_at, summary, report_document_id, cancel_reason, created_at, updated_at FROM "     \
  "lab_orders "

static json_t *lab_int_or_null(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                     : json_integer(sqlite3_column_int64(st, col));
}

static json_t *lab_real_or_null(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                     : json_real(sqlite3_column_double(st, col));
}

static json_t *lab_row_json(sqlite3_stmt *st) {
  return json_pack(
      "{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s?, s:s?, s:I, s:I}", "id",
      ly_db_col_text(st, 0), "patient_id", ly_db_col_text(st, 1), "consultation_id",
      (const char *)sqlite3_column_text(st, 2), "doctor_id", ly_db_col_text(st, 3), "facility_id",
      ly_db_col_text(st, 4), "kind", ly_db_col_text(st, 5), "code", ly_db_col_text(st, 6), "name",
      ly_db_col_text(st, 7), "clinical_note", ly_db_col_text(st, 8), "state", ly_db_col_text(st, 9),
      "scheduled_for", lab_int_or_null(st, 10), "resulted_at", lab_int_or_null(st, 11), "summary",
      ly_db_col_text(st, 12), "report_document_id", (const char *)sqlite3_column_text(st, 13),
      "cancel_reason", (const char *)sqlite3_column_text(st, 14), "created_at",
      (json_int_t)sqlite3_column_int64(st, 15), "updated_at", (json_int_t)sqlite3_column_int64(st, 16));
}

static json_t *lab_results_json(const struct records_ctx *cx, const char *id) {
  static const char *sql =
      "SELECT analyte, value, value_num, unit, ref_low, ref_high, ref_text, flag FROM lab_results WHERE "
      "order_id = ?1 "
      "ORDER BY seq";
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->db, sql) : NULL;
  if (!st) {
    json_decref(arr);
    return NULL;
  }
  ly_db_bind_text(st, 1, id);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:s, s:s}", "analyte",
                                         ly_db_col_text(st, 0), "value", ly_db_col_text(st, 1), "value_num",
                                         lab_real_or_null(st, 2), "unit", ly_db_col_text(st, 3), "ref_low",
                                         lab_real_or_null(st, 4), "ref_high", lab_real_or_null(st, 5),
                                         "ref_text", ly_db_col_text(st, 6), "flag", ly_db_col_text(st, 7)));
  sqlite3_reset(st);
  return arr;
}

static int lab_query(const struct records_ctx *cx, const char *sql, const char *key, json_t *arr) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, key);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, lab_row_json(st));
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

static int lab_get_tx(const struct records_ctx *cx, const struct records_actor *who, const char *order_id,
                      json_t *arr, struct ly_error *e) {
  static const char *sql = LAB_COLS "WHERE id = ?1";
  int rc = lab_query(cx, sql, order_id, arr);
  if (rc) return rc;
  json_t *o = json_array_get(arr, 0);
  if (!o)
    return ly_error_set(e, LY_ENOTFOUND, "records.lab_order_not_found", "No such lab or exam order.",
                        "未找到该检验检查单。");
  json_t *res = lab_results_json(cx, order_id);
  if (!res) return LY_ENOMEM;
  json_object_set_new(o, "results", res);
  return records_audit(cx, who, "record.read", json_string_value(json_object_get(o, "patient_id")),
                       "lab_order", order_id, "ok", NULL);
}

static int lab_list_tx(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                       json_t *arr, struct ly_error *e) {
  static const char *sql = LAB_COLS "WHERE patient_id = ?1 ORDER BY created_at DESC, id";
  int rc = records_patient_exists(cx, patient_id, e);
  if (rc == 0) rc = lab_query(cx, sql, patient_id, arr);
  if (rc == 0) rc = records_audit(cx, who, "record.read", patient_id, "lab_orders", NULL, "ok", NULL);
  return rc;
}

static int lab_read(const struct records_ctx *cx, const struct records_actor *who, const char *key, int one,
                    json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  json_t *arr = json_array();
  if (!arr) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->db);
  if (rc == 0)
    rc = records_finish(cx->db, one ? lab_get_tx(cx, who, key, arr, e) : lab_list_tx(cx, who, key, arr, e));
  if (rc == 0) *out = one ? json_incref(json_array_get(arr, 0)) : json_incref(arr);
  json_decref(arr);
  return records_done(e, rc);
}

int lab_get(const struct records_ctx *cx, const struct records_actor *who, const char *order_id, json_t **out,
            struct ly_error *e) {
  return lab_read(cx, who, order_id, 1, out, e);
}

int lab_list(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
             json_t **out, struct ly_error *e) {
  return lab_read(cx, who, patient_id, 0, out, e);
}
