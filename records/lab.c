/* records/lab.c — lab/exam orders: a table of transitions, results, reads. */
#include "records/lab.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/document.h"
#include "records/lab_internal.h"
#include "records/records.h"

#define LAB_ORDERER   1u
#define LAB_PERFORMER 2u

struct lab_transition {
  const char *action;
  const char *from;
  const char *to;
  unsigned who;
};

static const struct lab_transition lab_transitions[] = {
    {"schedule", "ordered", "scheduled", LAB_PERFORMER},
    {"schedule", "scheduled", "scheduled", LAB_PERFORMER},
    {"result", "ordered", "resulted", LAB_PERFORMER},
    {"result", "scheduled", "resulted", LAB_PERFORMER},
    {"cancel", "ordered", "cancelled", LAB_ORDERER | LAB_PERFORMER},
    {"cancel", "scheduled", "cancelled", LAB_ORDERER | LAB_PERFORMER},
};

int lab_load(const struct records_ctx *cx, const char *id, struct lab_row *o, struct ly_error *e) {
  static const char *sql =
      "SELECT patient_id, doctor_id, facility_id, state, kind FROM lab_orders WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(o->id, sizeof o->id, "%s", id);
    snprintf(o->patient_id, sizeof o->patient_id, "%s", ly_db_col_text(st, 0));
    snprintf(o->doctor_id, sizeof o->doctor_id, "%s", ly_db_col_text(st, 1));
    snprintf(o->facility_id, sizeof o->facility_id, "%s", ly_db_col_text(st, 2));
    snprintf(o->state, sizeof o->state, "%s", ly_db_col_text(st, 3));
    snprintf(o->kind, sizeof o->kind, "%s", ly_db_col_text(st, 4));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return ly_error_set(e, LY_ENOTFOUND, "records.lab_order_not_found", "No such lab or exam order.",
                      "未找到该检验检查单。");
}

static int lab_event(const struct records_ctx *cx, const struct records_actor *who, const char *id,
                     const char *from, const char *to, const char *reason, int64_t now) {
  static const char *sql =
      "INSERT INTO lab_order_events (order_id, seq, at, actor_id, from_state, to_state, reason) VALUES (?1, "
      "(SELECT coalesce(max(seq), 0) + 1 FROM lab_order_events WHERE order_id = ?1), ?2, ?3, ?4, ?5, ?6)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_int(st, 2, now);
  ly_db_bind_text(st, 3, who->id);
  ly_db_bind_text(st, 4, from);
  ly_db_bind_text(st, 5, to);
  ly_db_bind_text(st, 6, reason);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

/* Apply `action` to the loaded order: find its row in the table, check who
 * may, move the state (guarded by the old state), log the event. */
int lab_move(const struct records_ctx *cx, const struct records_actor *who, struct lab_row *o,
             const char *action, const char *reason, struct ly_error *e) {
  static const char *sql = "UPDATE lab_orders SET state = ?3, updated_at = ?4 WHERE id = ?1 AND state = ?2";
  const struct lab_transition *t = NULL;
  for (size_t i = 0; !t && i < sizeof lab_transitions / sizeof lab_transitions[0]; i++)
    if (strcmp(lab_transitions[i].action, action) == 0 && strcmp(lab_transitions[i].from, o->state) == 0)
      t = &lab_transitions[i];
  if (!t)
    return ly_error_set(e, LY_ESTATE, "records.lab_illegal_transition",
                        "This order cannot be changed that way in its current state.",
                        "该检验检查单当前状态下不能进行此操作。");
  int orderer = records_is(who, "doctor") && strcmp(who->id, o->doctor_id) == 0;
  int performer =
      records_is(who, "doctor") && who->facility_id && strcmp(who->facility_id, o->facility_id) == 0;
  if (!(((t->who & LAB_ORDERER) && orderer) || ((t->who & LAB_PERFORMER) && performer)))
    return ly_error_set(e, LY_EFORBIDDEN, "records.lab_not_allowed",
                        "Only the performing facility (or, to cancel, the ordering doctor) may do this.",
                        "只有执行机构（或撤销时的开单医师）可以进行此操作。");
  int64_t now = ly_now_ms(cx->clock);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, o->id);
  ly_db_bind_text(st, 2, t->from);
  ly_db_bind_text(st, 3, t->to);
  ly_db_bind_int(st, 4, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  if (sqlite3_changes(ly_db_sqlite(cx->db)) != 1) return LY_ECONFLICT;
  if ((rc = lab_event(cx, who, o->id, t->from, t->to, reason, now))) return rc;
  char act[48];
  snprintf(act, sizeof act, "record.lab_%s", action);
  snprintf(o->state, sizeof o->state, "%s", t->to);
  return records_audit(cx, who, act, o->patient_id, "lab_order", o->id, "ok", NULL);
}

static int lab_code_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > 32) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x21 || s[i] > 0x7e) return 0;
  return 1;
}

static int lab_validate(const struct records_ctx *cx, const struct lab_order_new *in, struct ly_error *e) {
  static const char *sql_fac = "SELECT 1 FROM facilities WHERE id = ?1";
  int rc = records_patient_exists(cx, in->patient_id, e);
  if (rc) return rc;
  if (!in->kind || (strcmp(in->kind, "lab") != 0 && strcmp(in->kind, "exam") != 0))
    return ly_error_set(e, LY_EINVAL, "records.lab_kind", "The kind must be lab or exam.",
                        "类型须为检验或检查。");
  if (!lab_code_ok(in->code))
    return ly_error_set(e, LY_EINVAL, "records.lab_code", "The test code must be 1-32 letters or digits.",
                        "项目编码须为1至32个字母或数字。");
  if ((rc = records_text_check(in->name, 200, 1, "name", e))) return rc;
  if ((rc = records_text_check(in->clinical_note, 2000, 0, "clinical_note", e))) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_fac);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, in->facility_id);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return ly_error_set(e, LY_EINVAL, "records.facility_unknown", "No such facility.", "未找到该医疗机构。");
  return 0;
}

/* A consultation the order cites must be the ordering doctor's own with this
 * patient (as for a prescription): else another patient's consultation could
 * be tied to this record. LY_EFORBIDDEN (records.consultation_mismatch). */
static int lab_consultation_ok(const struct records_ctx *cx, const struct records_actor *who,
                               const struct lab_order_new *in, struct ly_error *e) {
  static const char *sql = "SELECT 1 FROM consultations WHERE id = ?1 AND patient_id = ?2 AND doctor_id = ?3";
  if (!in->consultation_id || !in->consultation_id[0]) return 0;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, in->consultation_id);
  ly_db_bind_text(st, 2, in->patient_id);
  ly_db_bind_text(st, 3, who->id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return ly_error_set(e, LY_EFORBIDDEN, "records.consultation_mismatch",
                      "A test order may only cite your own consultation with this patient.",
                      "检验检查单只能关联您本人与该患者的问诊。");
}

static int lab_insert(const struct records_ctx *cx, const struct records_actor *who,
                      const struct lab_order_new *in, const char *id) {
  static const char *sql =
      "INSERT INTO lab_orders (id, patient_id, consultation_id, doctor_id, facility_id, kind, code, name, "
      "clinical_note, state, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'ordered', "
      "?10, ?10)";
  int64_t now = ly_now_ms(cx->clock);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, in->patient_id);
  ly_db_bind_text(st, 3, in->consultation_id);
  ly_db_bind_text(st, 4, who->id);
  ly_db_bind_text(st, 5, in->facility_id);
  ly_db_bind_text(st, 6, in->kind);
  ly_db_bind_text(st, 7, in->code);
  ly_db_bind_text(st, 8, in->name);
  ly_db_bind_text(st, 9, in->clinical_note ? in->clinical_note : "");
  ly_db_bind_int(st, 10, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return lab_event(cx, who, id, NULL, "ordered", NULL, now);
}

int lab_order(const struct records_ctx *cx, const struct records_actor *who, const struct lab_order_new *in,
              char id_out[LY_ID_MAX], struct ly_error *e) {
  ly_error_clear(e);
  if (!records_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "records.doctor_only", "Only a doctor may order tests.",
                        "只有医师可以开具检验检查。");
  int rc = ly_db_begin(cx->db);
  if (rc) return records_done(e, rc);
  rc = lab_validate(cx, in, e);
  if (rc == 0) rc = lab_consultation_ok(cx, who, in, e);
  if (rc == 0) rc = ly_id_new("lab", id_out, LY_ID_MAX);
  if (rc == 0) rc = lab_insert(cx, who, in, id_out);
  if (rc == 0)
    rc = records_audit(cx, who, "record.lab_order", in->patient_id, "lab_order", id_out, "ok", NULL);
  return records_done(e, records_finish(cx->db, rc));
}

/* Run an UPDATE of one order: ?1 the id, ?2 the value (integer or text). */
static int lab_set(const struct records_ctx *cx, const char *sql, const char *id, int64_t v,
                   const char *text) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  if (text)
    ly_db_bind_text(st, 2, text);
  else
    ly_db_bind_int(st, 2, v);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

int lab_schedule(const struct records_ctx *cx, const struct records_actor *who, const char *order_id,
                 int64_t when, struct ly_error *e) {
  static const char *sql = "UPDATE lab_orders SET scheduled_for = ?2 WHERE id = ?1";
  struct lab_row o;
  ly_error_clear(e);
  int rc = ly_db_begin(cx->db);
  if (rc) return records_done(e, rc);
  rc = lab_load(cx, order_id, &o, e);
  if (rc == 0) rc = lab_move(cx, who, &o, "schedule", NULL, e);
  if (rc == 0) rc = lab_set(cx, sql, order_id, when, NULL);
  return records_done(e, records_finish(cx->db, rc));
}

int lab_cancel(const struct records_ctx *cx, const struct records_actor *who, const char *order_id,
               const char *reason, struct ly_error *e) {
  static const char *sql = "UPDATE lab_orders SET cancel_reason = ?2 WHERE id = ?1";
  struct lab_row o;
  ly_error_clear(e);
  int rc = records_text_check(reason, 1000, 1, "reason", e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->db))) return records_done(e, rc);
  rc = lab_load(cx, order_id, &o, e);
  if (rc == 0) rc = lab_move(cx, who, &o, "cancel", reason, e);
  if (rc == 0) rc = lab_set(cx, sql, order_id, 0, reason);
  return records_done(e, records_finish(cx->db, rc));
}

int lab_parties(const struct records_ctx *cx, const char *order_id, char patient_out[LY_ID_MAX],
                char doctor_out[LY_ID_MAX], char facility_out[LY_ID_MAX]) {
  struct lab_row o;
  int rc = lab_load(cx, order_id, &o, NULL);
  if (rc) return rc;
  if (patient_out) snprintf(patient_out, LY_ID_MAX, "%s", o.patient_id);
  if (doctor_out) snprintf(doctor_out, LY_ID_MAX, "%s", o.doctor_id);
  if (facility_out) snprintf(facility_out, LY_ID_MAX, "%s", o.facility_id);
  return 0;
}
