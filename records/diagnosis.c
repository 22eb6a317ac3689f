/* records/diagnosis.c — offline diagnoses: facility entry, patient upload with
 * doctor verification, listing, and the strict HIS CSV import. */
#include "records/diagnosis.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "records/csv.h"
#include "records/document.h"
#include "records/records.h"

#define DX_FUTURE_SLACK_MS (24LL * 3600 * 1000) /* clocks of other systems drift */
#define DX_EARLIEST_MS     (-2208988800000LL)   /* 1900-01-01 */

static int dx_exists(const struct records_ctx *cx, const char *sql, const char *id) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->db, rc);
}

static const char *const DX_SQL_FACILITY = "SELECT 1 FROM facilities WHERE id = ?1";

/* Everything about a new diagnosis that does not depend on how it came in. */
static int dx_validate(const struct records_ctx *cx, const struct diagnosis_new *in, struct ly_error *e) {
  int64_t now = ly_now_ms(cx->clock);
  int rc = records_patient_exists(cx, in->patient_id, e);
  if (rc) return rc;
  if ((rc = records_icd10_check(in->icd10, "icd10", e))) return rc;
  if ((rc = records_text_check(in->note, DIAGNOSIS_NOTE_MAX, 0, "note", e))) return rc;
  if (!in->facility_id || dx_exists(cx, DX_SQL_FACILITY, in->facility_id) != 0)
    return ly_error_set(e, LY_EINVAL, "records.facility_unknown", "No such facility.", "未找到该医疗机构。");
  if (in->diagnosed_at > now + DX_FUTURE_SLACK_MS || in->diagnosed_at < DX_EARLIEST_MS)
    return ly_error_set(e, LY_EINVAL, "records.diagnosis_date_invalid",
                        "The date of the diagnosis must not be in the future.", "诊断日期不能晚于今天。");
  return 0;
}

static int dx_insert(const struct records_ctx *cx, const char *id, const struct diagnosis_new *in,
                     const char *source, const char *verified_by, int verified) {
  static const char *sql =
      "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, doctor_id, diagnosed_at, source, "
      "verified, verified_by, verified_at, note, created_at) VALUES (?1, ?2, upper(?3), ?4, ?5, ?6, ?7, ?8, "
      "?9, "
      "?10, ?11, ?12)";
  int64_t now = ly_now_ms(cx->clock);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, in->patient_id);
  ly_db_bind_text(st, 3, in->icd10);
  ly_db_bind_text(st, 4, in->facility_id);
  ly_db_bind_text(st, 5, in->doctor_id);
  ly_db_bind_int(st, 6, in->diagnosed_at);
  ly_db_bind_text(st, 7, source);
  ly_db_bind_int(st, 8, verified);
  ly_db_bind_text(st, 9, verified_by);
  if (verified) ly_db_bind_int(st, 10, now);
  ly_db_bind_text(st, 11, in->note ? in->note : "");
  ly_db_bind_int(st, 12, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

int diagnosis_add(const struct records_ctx *cx, const struct records_actor *who,
                  const struct diagnosis_new *in, char id_out[LY_ID_MAX], struct ly_error *e) {
  ly_error_clear(e);
  struct diagnosis_new dx = *in;
  if (!dx.facility_id) dx.facility_id = who->facility_id;
  if (!records_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "records.doctor_only", "Only a doctor may record a diagnosis.",
                        "只有医师可以登记诊断。");
  if (!who->facility_id || !dx.facility_id || strcmp(dx.facility_id, who->facility_id) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "records.facility_mismatch",
                        "A doctor may record diagnoses made at their own facility only.",
                        "医师只能登记本机构作出的诊断。");
  if (!dx.doctor_id) dx.doctor_id = who->id;
  int rc = ly_db_begin(cx->db);
  if (rc) return records_done(e, rc);
  rc = dx_validate(cx, &dx, e);
  if (rc == 0) rc = ly_id_new("dx", id_out, LY_ID_MAX);
  if (rc == 0) rc = dx_insert(cx, id_out, &dx, "facility", who->id, 1);
  if (rc == 0)
    rc = records_audit(cx, who, "record.diagnosis_add", dx.patient_id, "offline_diagnosis", id_out, "ok",
                       NULL);
  return records_done(e, records_finish(cx->db, rc));
}

static int dx_evidence_insert(const struct records_ctx *cx, const char *dx_id, const char *doc_id,
                              const char *claimed) {
  static const char *sql =
      "INSERT INTO offline_diagnosis_evidence (diagnosis_id, document_id, claimed_text) VALUES (?1, ?2, ?3)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, dx_id);
  ly_db_bind_text(st, 2, doc_id);
  ly_db_bind_text(st, 3, claimed ? claimed : "");
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

int diagnosis_upload(const struct records_ctx *cx, const struct records_actor *who,
                     const struct diagnosis_upload *in, char id_out[LY_ID_MAX], struct ly_error *e) {
  ly_error_clear(e);
  char doc_id[LY_ID_MAX];
  struct diagnosis_new dx = in->dx;
  dx.doctor_id = NULL;
  int rc = records_text_check(in->claimed_text, DIAGNOSIS_NOTE_MAX, 0, "claimed_text", e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->db))) return records_done(e, rc);
  rc = dx_validate(cx, &dx, e);
  if (rc == 0)
    rc = document_store(cx, who, dx.patient_id, "diagnosis_evidence", in->content_type, in->doc, in->doc_len,
                        doc_id, e);
  if (rc == 0) rc = ly_id_new("dx", id_out, LY_ID_MAX);
  if (rc == 0) rc = dx_insert(cx, id_out, &dx, "patient_upload", NULL, 0);
  if (rc == 0) rc = dx_evidence_insert(cx, id_out, doc_id, in->claimed_text);
  if (rc == 0)
    rc = records_audit(cx, who, "record.diagnosis_upload", dx.patient_id, "offline_diagnosis", id_out, "ok",
                       NULL);
  return records_done(e, records_finish(cx->db, rc));
}

/* The open upload's patient; LY_ESTATE when decided or not an upload. */
static int dx_open_upload(const struct records_ctx *cx, const char *id, char patient[LY_ID_MAX],
                          struct ly_error *e) {
  static const char *sql =
      "SELECT d.patient_id, d.source, d.verified, v.decision FROM offline_diagnoses d "
      "LEFT JOIN offline_diagnosis_evidence v ON v.diagnosis_id = d.id WHERE d.id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
    return ly_error_set(e, LY_ENOTFOUND, "records.diagnosis_not_found", "No such diagnosis.",
                        "未找到该诊断。");
  }
  snprintf(patient, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  int open = strcmp(ly_db_col_text(st, 1), "patient_upload") == 0 && sqlite3_column_int(st, 2) == 0 &&
             sqlite3_column_type(st, 3) == SQLITE_NULL;
  sqlite3_reset(st);
  if (!open)
    return ly_error_set(e, LY_ESTATE, "records.diagnosis_already_decided",
                        "This diagnosis is not an upload waiting for verification.",
                        "该诊断不是待核实的患者上传。");
  return 0;
}

static int dx_decide(const struct records_ctx *cx, const struct records_actor *who, const char *id,
                     int accept, const char *reason) {
  static const char *sql_dx =
      "UPDATE offline_diagnoses SET verified = 1, verified_by = ?2, verified_at = ?3 WHERE id = ?1";
  static const char *sql_ev =
      "UPDATE offline_diagnosis_evidence SET decision = ?2, decided_by = ?3, decided_at = ?4, reason = ?5 "
      "WHERE diagnosis_id = ?1";
  int64_t now = ly_now_ms(cx->clock);
  sqlite3_stmt *st;
  int rc;
  if (accept) {
    if (!(st = ly_db_stmt(cx->db, sql_dx))) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, who->id);
    ly_db_bind_int(st, 3, now);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  }
  if (!(st = ly_db_stmt(cx->db, sql_ev))) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, accept ? "verified" : "rejected");
  ly_db_bind_text(st, 3, who->id);
  ly_db_bind_int(st, 4, now);
  ly_db_bind_text(st, 5, reason);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

int diagnosis_verify(const struct records_ctx *cx, const struct records_actor *who, const char *diagnosis_id,
                     int accept, const char *reason, struct ly_error *e) {
  ly_error_clear(e);
  char patient[LY_ID_MAX];
  if (!records_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "records.doctor_only", "Only a doctor may verify a diagnosis.",
                        "只有医师可以核实诊断。");
  int rc = records_text_check(reason, DIAGNOSIS_NOTE_MAX, !accept, "reason", e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->db))) return records_done(e, rc);
  rc = dx_open_upload(cx, diagnosis_id, patient, e);
  if (rc == 0) rc = dx_decide(cx, who, diagnosis_id, accept, reason);
  if (rc == 0)
    rc = records_audit(cx, who, accept ? "record.diagnosis_verify" : "record.diagnosis_reject", patient,
                       "offline_diagnosis", diagnosis_id, "ok", NULL);
  return records_done(e, records_finish(cx->db, rc));
}

static json_t *dx_row_json(sqlite3_stmt *st) {
  json_t *ev = json_null();
  if (sqlite3_column_type(st, 11) != SQLITE_NULL)
    ev = json_pack("{s:s, s:s, s:s?, s:s?}", "document_id", ly_db_col_text(st, 11), "claimed_text",
                   ly_db_col_text(st, 12), "decision", (const char *)sqlite3_column_text(st, 13), "reason",
                   (const char *)sqlite3_column_text(st, 14));
  return json_pack(
      "{s:s, s:s, s:s, s:s?, s:I, s:s, s:b, s:s?, s:o?, s:s, s:o?}", "id", ly_db_col_text(st, 0), "icd10",
      ly_db_col_text(st, 1), "facility_id", ly_db_col_text(st, 2), "doctor_id",
      (const char *)sqlite3_column_text(st, 3), "diagnosed_at", (json_int_t)sqlite3_column_int64(st, 4),
      "source", ly_db_col_text(st, 5), "verified", sqlite3_column_int(st, 6), "verified_by",
      (const char *)sqlite3_column_text(st, 7), "verified_at",
      sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL : json_integer(sqlite3_column_int64(st, 8)), "note",
      ly_db_col_text(st, 9), "evidence", ev);
}

static int dx_list_rows(const struct records_ctx *cx, const char *patient_id, json_t *arr) {
  static const char *sql =
      "SELECT d.id, d.icd10, d.facility_id, d.doctor_id, d.diagnosed_at, d.source, d.verified, "
      "d.verified_by, "
      "d.verified_at, d.note, d.created_at, v.document_id, v.claimed_text, v.decision, v.reason "
      "FROM offline_diagnoses d LEFT JOIN offline_diagnosis_evidence v ON v.diagnosis_id = d.id "
      "WHERE d.patient_id = ?1 ORDER BY d.diagnosed_at DESC, d.id";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *row = dx_row_json(st);
    if (!row || json_array_append_new(arr, row)) {
      sqlite3_reset(st);
      return LY_ENOMEM;
    }
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

int diagnosis_list(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                   json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  json_t *arr = json_array();
  if (!arr) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->db);
  if (rc == 0) {
    rc = records_patient_exists(cx, patient_id, e);
    if (rc == 0) rc = dx_list_rows(cx, patient_id, arr);
    if (rc == 0)
      rc = records_audit(cx, who, "record.read", patient_id, "offline_diagnoses", NULL, "ok", NULL);
    rc = records_finish(cx->db, rc);
  }
  if (rc) {
    json_decref(arr);
    return records_done(e, rc);
  }
  *out = arr;
  return 0;
}

int diagnosis_patient(const struct records_ctx *cx, const char *diagnosis_id, char patient_out[LY_ID_MAX]) {
  static const char *sql = "SELECT patient_id FROM offline_diagnoses WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, diagnosis_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) snprintf(patient_out, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->db, rc);
}
