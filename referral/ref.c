/* referral/ref.c — helpers the files of referral/ share (referral_internal.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/records.h"
#include "referral/referral_internal.h"

void ref_copy(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src ? src : "");
}

int ref_step_done(struct ly_db *db, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

int ref_level_rank(const char *level) {
  if (level == NULL) return 0;
  if (strcmp(level, "community") == 0) return 1;
  if (strcmp(level, "secondary") == 0) return 2;
  if (strcmp(level, "tertiary") == 0) return 3;
  return 0;
}

int ref_is(const struct referral_actor *who, const char *role) {
  return who && who->role && strcmp(who->role, role) == 0;
}

int ref_doctor_load(struct ly_db *db, const char *account_id, struct ref_doctor *out) {
  static const char *sql =
      "SELECT d.facility_id, COALESCE(d.department_id, ''), f.subdistrict_id, f.level, a.disabled"
      " FROM doctors d JOIN facilities f ON f.id = d.facility_id JOIN accounts a ON a.id = d.account_id"
      " WHERE d.account_id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, account_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    memset(out, 0, sizeof *out);
    ref_copy(out->id, sizeof out->id, account_id);
    ref_copy(out->facility_id, sizeof out->facility_id, ly_db_col_text(st, 0));
    ref_copy(out->department_id, sizeof out->department_id, ly_db_col_text(st, 1));
    ref_copy(out->subdistrict_id, sizeof out->subdistrict_id, ly_db_col_text(st, 2));
    ref_copy(out->level, sizeof out->level, ly_db_col_text(st, 3));
    out->rank = ref_level_rank(out->level);
    out->disabled = sqlite3_column_int(st, 4);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}

int ref_row_load(struct ly_db *db, const char *id, struct ref_row *out) {
  static const char *sql =
      "SELECT direction, state, patient_id, from_doctor_id, from_facility_id, to_facility_id,"
      " COALESCE(to_department_id, ''), COALESCE(to_doctor_id, ''), urgency, icd10, COALESCE(episode_id, ''),"
      " COALESCE(slot_id, ''), COALESCE(follow_up_days, 0) FROM referrals WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    memset(out, 0, sizeof *out);
    ref_copy(out->id, sizeof out->id, id);
    out->direction = strcmp(ly_db_col_text(st, 0), "down") == 0 ? REFERRAL_DOWN : REFERRAL_UP;
    if (referral_state_parse(ly_db_col_text(st, 1), &out->state) != 0) rc = SQLITE_CORRUPT;
    char *const dst[] = {
        out->patient_id,       out->from_doctor_id, out->from_facility_id, out->to_facility_id,
        out->to_department_id, out->to_doctor_id,   out->urgency,          out->icd10,
        out->episode_id,       out->slot_id};
    const size_t sz[] = {sizeof out->patient_id,       sizeof out->from_doctor_id,
                         sizeof out->from_facility_id, sizeof out->to_facility_id,
                         sizeof out->to_department_id, sizeof out->to_doctor_id,
                         sizeof out->urgency,          sizeof out->icd10,
                         sizeof out->episode_id,       sizeof out->slot_id};
    for (int i = 0; i < 10; i++)
      ref_copy(dst[i], sz[i], ly_db_col_text(st, i + 2));
    out->follow_up_days = sqlite3_column_int(st, 12);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}

unsigned ref_parties(struct ly_db *db, const struct referral_actor *who, const struct ref_row *r) {
  unsigned p = 0;
  if (ref_is(who, "patient"))
    return who->patient_id && strcmp(who->patient_id, r->patient_id) == 0 ? REFERRAL_PATIENT : 0;
  if (!ref_is(who, "doctor")) return 0;
  if (strcmp(who->id, r->from_doctor_id) == 0) p |= REFERRAL_REFERRER;
  if (r->direction == REFERRAL_DOWN) {
    if (strcmp(who->id, r->to_doctor_id) == 0) p |= REFERRAL_RECEIVER;
    return p;
  }
  struct ref_doctor d;
  if (ref_doctor_load(db, who->id, &d) == 0 && d.department_id[0] &&
      strcmp(d.department_id, r->to_department_id) == 0)
    p |= REFERRAL_RECEIVER;
  return p;
}

int ref_audit(const struct referral_ctx *cx, const struct referral_actor *who, const char *action,
              const char *patient_id, const char *object_type, const char *object_id, const char *outcome,
              const char *detail) {
  struct ly_audit_entry a = {
      .at_ms = ly_now_ms(cx->clock),
      .actor_id = who && who->id ? who->id : "system",
      .actor_role = who && who->role ? who->role : "system",
      .action = action,
      .patient_id = patient_id && patient_id[0] ? patient_id : NULL,
      .object_type = object_type,
      .object_id = object_id && object_id[0] ? object_id : NULL,
      .outcome = outcome ? outcome : "ok",
      .detail = detail,
  };
  return ly_audit_append(cx->db, &a, NULL);
}

void ref_audit_refusal(const struct referral_ctx *cx, const struct referral_actor *who, const char *action,
                       const char *patient_id, const char *object_type, const char *object_id,
                       const struct ly_error *e) {
  const char *code = e && e->code[0] ? e->code : "denied";
  if (ly_db_begin(cx->db) != 0) return;
  int rc = ref_audit(cx, who, action, patient_id, object_type, object_id, code, NULL);
  ref_finish(cx->db, rc);
}

int ref_event(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
              const char *from, const char *to, const char *reason) {
  static const char *sql =
      "INSERT INTO referral_events (referral_id, seq, at, actor_id, actor_role, from_state, to_state, reason)"
      " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM referral_events WHERE referral_id = ?1), ?2, ?3,"
      " ?4, ?5, ?6, ?7)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->clock));
  ly_db_bind_text(st, 3, who && who->id ? who->id : "system");
  ly_db_bind_text(st, 4, who && who->role ? who->role : "system");
  ly_db_bind_text(st, 5, from);
  ly_db_bind_text(st, 6, to);
  ly_db_bind_text(st, 7, reason && reason[0] ? reason : NULL);
  return ref_step_done(cx->db, st);
}

int ref_finish(struct ly_db *db, int rc) {
  if (rc) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

int ref_done(struct ly_error *e, int rc) {
  if (rc && e && e->err == 0) ly_error_set(e, rc, NULL, NULL, NULL);
  return rc;
}

void ref_records_ctx(const struct referral_ctx *cx, struct records_ctx *out) {
  out->db = cx->db;
  out->clock = cx->clock;
  out->keys = cx->keys;
}

int ref_patient_only(const struct referral_actor *who, const char *patient_id, struct ly_error *e) {
  if (!ref_is(who, "patient")) return 0;
  if (who->patient_id && patient_id && strcmp(who->patient_id, patient_id) == 0) return 0;
  return ly_error_set(e, LY_EFORBIDDEN, "referral.not_yours", "This is another patient's referral.",
                      "这是其他患者的转诊，您无权查看。");
}

int ref_text(const char *s, size_t max, int required, const char *field, struct ly_error *e) {
  return records_text_check(s, max, required, field, e);
}

int ref_patient_exists(struct ly_db *db, const char *patient_id) {
  static const char *sql = "SELECT 1 FROM patients WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 1;
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

/* Every column by its alias: NULL → null, integers, reals and text. */
json_t *ref_json_row(sqlite3_stmt *st) {
  json_t *o = json_object();
  for (int i = 0; o && i < sqlite3_column_count(st); i++) {
    json_t *v;
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_NULL:
        v = json_null();
        break;
      case SQLITE_INTEGER:
        v = json_integer((json_int_t)sqlite3_column_int64(st, i));
        break;
      case SQLITE_FLOAT:
        v = json_real(sqlite3_column_double(st, i));
        break;
      default:
        v = json_string(ly_db_col_text(st, i));
        break;
    }
    if (!v || json_object_set_new(o, sqlite3_column_name(st, i), v)) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

/* Rows of sql bound to id, each as view_row, into a new array. */
int ref_json_rows(struct ly_db *db, const char *sql, const char *id, json_t **out) {
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  json_t *a = json_array();
  if (!st || !a) {
    json_decref(a);
    return st ? LY_ENOMEM : LY_EDB;
  }
  ly_db_bind_text(st, 1, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(a, ref_json_row(st));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(a);
    return ly_db_rc(db, rc);
  }
  *out = a;
  return 0;
}
