/* records/note.c — consultation notes, their versions and signatures. */
#include "records/note.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "records/note_internal.h"
#include "records/records.h"
#include "records/signature.h"

struct note_consult {
  char patient_id[LY_ID_MAX];
  char doctor_id[LY_ID_MAX];
  char state[24];
};

struct note_head {
  char id[LY_ID_MAX];
  int version;
  int signed_;
};

static int note_load_consult(const struct records_ctx *cx, const char *id, struct note_consult *c,
                             struct ly_error *e) {
  static const char *sql = "SELECT patient_id, doctor_id, state FROM consultations WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(c->patient_id, sizeof c->patient_id, "%s", ly_db_col_text(st, 0));
    snprintf(c->doctor_id, sizeof c->doctor_id, "%s", ly_db_col_text(st, 1));
    snprintf(c->state, sizeof c->state, "%s", ly_db_col_text(st, 2));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return ly_error_set(e, LY_ENOTFOUND, "records.consultation_not_found", "No such consultation.",
                      "未找到该次问诊。");
}

/* The newest version of the consultation's note; head->version 0 when none. */
static int note_load_head(const struct records_ctx *cx, const char *consultation_id, struct note_head *h) {
  static const char *sql =
      "SELECT id, version, signed_at IS NOT NULL FROM consultation_notes WHERE consultation_id = ?1 "
      "ORDER BY version DESC LIMIT 1";
  memset(h, 0, sizeof *h);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, consultation_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(h->id, sizeof h->id, "%s", ly_db_col_text(st, 0));
    h->version = sqlite3_column_int(st, 1);
    h->signed_ = sqlite3_column_int(st, 2);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

static int note_validate(const struct note_input *in, struct ly_error *e) {
  int rc;
  if ((rc = records_text_check(in->chief_complaint, NOTE_SHORT_MAX, 0, "chief_complaint", e))) return rc;
  if ((rc = records_text_check(in->history, NOTE_LONG_MAX, 0, "history", e))) return rc;
  if ((rc = records_text_check(in->findings, NOTE_LONG_MAX, 0, "findings", e))) return rc;
  if ((rc = records_text_check(in->advice, NOTE_LONG_MAX, 0, "advice", e))) return rc;
  if ((rc = records_text_check(in->correction_reason, NOTE_SHORT_MAX, 0, "correction_reason", e))) return rc;
  if (in->nicd10 > NOTE_MAX_DIAGNOSES)
    return ly_error_set(e, LY_EINVAL, "records.too_many_diagnoses", "A note may list at most 10 diagnoses.",
                        "病历最多可填写10个诊断。");
  for (size_t i = 0; i < in->nicd10; i++)
    if ((rc = records_icd10_check(in->icd10[i], "diagnoses", e))) return rc;
  return 0;
}

static int note_may_write(const struct records_actor *who, const struct note_consult *c, struct ly_error *e) {
  static const char *const states[] = {"called", "in_call", "ended", "notes_signed"};
  if (!records_is(who, "doctor") || strcmp(who->id, c->doctor_id) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "records.not_note_author",
                        "Only the consultation's doctor may write or sign its notes.",
                        "只有接诊医师可以书写和签署病历。");
  for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
    if (strcmp(c->state, states[i]) == 0) return 0;
  return ly_error_set(e, LY_ESTATE, "records.consultation_not_started",
                      "Notes can be written once the consultation has started.", "问诊开始后才能书写病历。");
}

static int note_write_dx(const struct records_ctx *cx, const char *note_id, const struct note_input *in) {
  static const char *sql_del = "DELETE FROM consultation_note_diagnoses WHERE note_id = ?1";
  static const char *sql_ins =
      "INSERT INTO consultation_note_diagnoses (note_id, seq, icd10, name) VALUES (?1, ?2, upper(?3), "
      "coalesce((SELECT name FROM conditions WHERE icd10 = upper(substr(?3, 1, 3))), ''))";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_del);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, note_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  for (size_t i = 0; i < in->nicd10; i++) {
    if (!(st = ly_db_stmt(cx->db, sql_ins))) return LY_EDB;
    ly_db_bind_text(st, 1, note_id);
    ly_db_bind_int(st, 2, (int64_t)i + 1);
    ly_db_bind_text(st, 3, in->icd10[i]);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  }
  return 0;
}

static void note_bind_texts(sqlite3_stmt *st, const struct note_input *in, int first) {
  ly_db_bind_text(st, first, in->chief_complaint ? in->chief_complaint : "");
  ly_db_bind_text(st, first + 1, in->history ? in->history : "");
  ly_db_bind_text(st, first + 2, in->findings ? in->findings : "");
  ly_db_bind_text(st, first + 3, in->advice ? in->advice : "");
}

static int note_insert(const struct records_ctx *cx, const char *id, const char *consultation_id,
                       const struct note_consult *c, const struct note_head *h, const struct note_input *in) {
  static const char *sql =
      "INSERT INTO consultation_notes (id, consultation_id, version, supersedes, patient_id, doctor_id, "
      "chief_complaint, history, findings, advice, correction_reason, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, consultation_id);
  ly_db_bind_int(st, 3, h->version + 1);
  ly_db_bind_text(st, 4, h->version ? h->id : NULL);
  ly_db_bind_text(st, 5, c->patient_id);
  ly_db_bind_text(st, 6, c->doctor_id);
  note_bind_texts(st, in, 7);
  ly_db_bind_text(st, 11, h->version ? in->correction_reason : NULL);
  ly_db_bind_int(st, 12, ly_now_ms(cx->clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

static int note_update(const struct records_ctx *cx, const char *id, const struct note_input *in) {
  static const char *sql =
      "UPDATE consultation_notes SET chief_complaint = ?2, history = ?3, findings = ?4, advice = ?5, "
      "correction_reason = CASE WHEN version > 1 THEN ?6 ELSE NULL END, updated_at = ?7 "
      "WHERE id = ?1 AND signed_at IS NULL";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  note_bind_texts(st, in, 2);
  ly_db_bind_text(st, 6, in->correction_reason);
  ly_db_bind_int(st, 7, ly_now_ms(cx->clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

static int note_save_tx(const struct records_ctx *cx, const struct records_actor *who,
                        const char *consultation_id, const struct note_input *in, char id_out[LY_ID_MAX],
                        struct ly_error *e) {
  struct note_consult c;
  struct note_head h;
  int rc = note_load_consult(cx, consultation_id, &c, e);
  if (rc == 0) rc = note_may_write(who, &c, e);
  if (rc == 0) rc = note_load_head(cx, consultation_id, &h);
  if (rc) return rc;
  if (h.version > 0 && !h.signed_) {
    snprintf(id_out, LY_ID_MAX, "%s", h.id);
    if (h.version > 1 && records_text_check(in->correction_reason, NOTE_SHORT_MAX, 1, "correction_reason", e))
      return LY_EINVAL;
    rc = note_update(cx, h.id, in);
  } else {
    if (h.signed_ && records_text_check(in->correction_reason, NOTE_SHORT_MAX, 1, "correction_reason", e))
      return ly_error_set(e, LY_EINVAL, "records.correction_reason_required",
                          "A correction of a signed note needs the reason for it.",
                          "更正已签署的病历须注明更正原因。");
    if ((rc = ly_id_new("note", id_out, LY_ID_MAX))) return rc;
    rc = note_insert(cx, id_out, consultation_id, &c, &h, in);
  }
  if (rc == 0) rc = note_write_dx(cx, id_out, in);
  if (rc == 0)
    rc = records_audit(cx, who, "record.note_save", c.patient_id, "consultation_note", id_out, "ok", NULL);
  return rc;
}

int note_save(const struct records_ctx *cx, const struct records_actor *who, const char *consultation_id,
              const struct note_input *in, char id_out[LY_ID_MAX], struct ly_error *e) {
  ly_error_clear(e);
  int rc = note_validate(in, e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->db))) return records_done(e, rc);
  return records_done(e, records_finish(cx->db, note_save_tx(cx, who, consultation_id, in, id_out, e)));
}

/* ---- reading ------------------------------------------------------------- */

#define NOTE_COLS                                                                                      \
  "SELECT id, consultation_id, version, supersedes, patient_id, doctor_id, chief_complaint, history, " \
  "findings, advice, correction_reason, created_at, updated_at, signed_at FROM consultation_notes "

static json_t *note_dx_json(const struct records_ctx *cx, const char *note_id) {
  static const char *sql =
      "SELECT icd10, name FROM consultation_note_diagnoses WHERE note_id = ?1 ORDER BY seq";
  json_t *arr = json_array();
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st || !arr) {
    json_decref(arr);
    return NULL;
  }
  ly_db_bind_text(st, 1, note_id);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:s, s:s}", "icd10", ly_db_col_text(st, 0), "name", ly_db_col_text(st, 1)));
  sqlite3_reset(st);
  return arr;
}

static json_t *note_row_json(sqlite3_stmt *st) {
  int is_signed = sqlite3_column_type(st, 13) != SQLITE_NULL;
  return json_pack(
      "{s:s, s:s, s:i, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:I, s:o, s:b}", "id",
      ly_db_col_text(st, 0), "consultation_id", ly_db_col_text(st, 1), "version", sqlite3_column_int(st, 2),
      "supersedes", (const char *)sqlite3_column_text(st, 3), "patient_id", ly_db_col_text(st, 4),
      "doctor_id", ly_db_col_text(st, 5), "chief_complaint", ly_db_col_text(st, 6), "history",
      ly_db_col_text(st, 7), "findings", ly_db_col_text(st, 8), "advice", ly_db_col_text(st, 9),
      "correction_reason", (const char *)sqlite3_column_text(st, 10), "created_at",
      (json_int_t)sqlite3_column_int64(st, 11), "updated_at", (json_int_t)sqlite3_column_int64(st, 12),
      "signed_at", is_signed ? json_integer(sqlite3_column_int64(st, 13)) : json_null(), "signed", is_signed);
}

/* Collect rows of the statement into arr (each with its diagnoses). */
static int note_collect(const struct records_ctx *cx, sqlite3_stmt *st, json_t *arr) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *row = note_row_json(st);
    if (!row || json_array_append_new(arr, row)) {
      sqlite3_reset(st);
      return LY_ENOMEM;
    }
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  size_t i;
  json_t *row;
  json_array_foreach(arr, i, row) {
    json_t *dx = note_dx_json(cx, json_string_value(json_object_get(row, "id")));
    if (!dx) return LY_ENOMEM;
    json_object_set_new(row, "diagnoses", dx);
  }
  return 0;
}

static int note_query(const struct records_ctx *cx, const struct records_actor *who, const char *sql,
                      const char *key, int one, json_t *arr, struct ly_error *e) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, key);
  int rc = note_collect(cx, st, arr);
  if (rc) return rc;
  if (json_array_size(arr) == 0 && one)
    return ly_error_set(e, LY_ENOTFOUND, "records.note_not_found", "No such note.", "未找到该病历。");
  char patient[LY_ID_MAX] = "";
  if (json_array_size(arr) > 0)
    snprintf(patient, sizeof patient, "%s",
             json_string_value(json_object_get(json_array_get(arr, 0), "patient_id")));
  else if (note_consultation_patient(cx, key, patient) != 0)
    return ly_error_set(e, LY_ENOTFOUND, "records.consultation_not_found", "No such consultation.",
                        "未找到该次问诊。");
  return records_audit(cx, who, "record.read", patient, one ? "consultation_note" : "consultation_notes", key,
                       "ok", NULL);
}

static int note_read(const struct records_ctx *cx, const struct records_actor *who, const char *sql,
                     const char *key, int one, json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  json_t *arr = json_array();
  if (!arr) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->db);
  if (rc == 0) rc = records_finish(cx->db, note_query(cx, who, sql, key, one, arr, e));
  if (rc) {
    json_decref(arr);
    return records_done(e, rc);
  }
  *out = one ? json_incref(json_array_get(arr, 0)) : json_incref(arr);
  json_decref(arr);
  return 0;
}

int note_fetch(const struct records_ctx *cx, const char *note_id, json_t **out) {
  static const char *sql = NOTE_COLS "WHERE id = ?1";
  *out = NULL;
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->db, sql) : NULL;
  if (!st) {
    json_decref(arr);
    return arr ? LY_EDB : LY_ENOMEM;
  }
  ly_db_bind_text(st, 1, note_id);
  int rc = note_collect(cx, st, arr);
  if (rc == 0 && json_array_size(arr) == 0) rc = LY_ENOTFOUND;
  if (rc == 0) *out = json_incref(json_array_get(arr, 0));
  json_decref(arr);
  return rc;
}

int note_get(const struct records_ctx *cx, const struct records_actor *who, const char *note_id, json_t **out,
             struct ly_error *e) {
  static const char *sql = NOTE_COLS "WHERE id = ?1";
  return note_read(cx, who, sql, note_id, 1, out, e);
}

int note_list(const struct records_ctx *cx, const struct records_actor *who, const char *consultation_id,
              json_t **out, struct ly_error *e) {
  static const char *sql = NOTE_COLS "WHERE consultation_id = ?1 ORDER BY version";
  return note_read(cx, who, sql, consultation_id, 0, out, e);
}

static int note_lookup_patient(const struct records_ctx *cx, const char *sql, const char *id,
                               char out[LY_ID_MAX]) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) snprintf(out, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->db, rc);
}

int note_patient(const struct records_ctx *cx, const char *note_id, char patient_out[LY_ID_MAX]) {
  return note_lookup_patient(cx, "SELECT patient_id FROM consultation_notes WHERE id = ?1", note_id,
                             patient_out);
}

int note_consultation_patient(const struct records_ctx *cx, const char *consultation_id,
                              char patient_out[LY_ID_MAX]) {
  return note_lookup_patient(cx, "SELECT patient_id FROM consultations WHERE id = ?1", consultation_id,
                             patient_out);
}
