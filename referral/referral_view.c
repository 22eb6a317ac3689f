/* referral/referral_view.c — reading referrals: one with its history, lists,
 * each read access-checked and audited (referral.h).
 */
#include <sqlite3.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "referral/referral_internal.h"

/* Column aliases are the JSON keys (view_row). */
#define VIEW_SELECT                                                                                         \
  "SELECT r.id AS id, r.direction AS direction, r.state AS state, r.urgency AS urgency,"                    \
  " r.patient_id AS patient_id, p.name AS patient_name, p.name_en AS patient_name_en,"                      \
  " r.from_doctor_id AS from_doctor_id, fa.name AS from_doctor_name, fa.name_en AS from_doctor_name_en,"    \
  " r.from_facility_id AS from_facility_id, ff.name AS from_facility_name,"                                 \
  " ff.name_en AS from_facility_name_en, ff.level AS from_level,"                                           \
  " r.to_facility_id AS to_facility_id, tf.name AS to_facility_name, tf.name_en AS to_facility_name_en,"    \
  " tf.level AS to_level, r.to_department_id AS to_department_id, td.name AS to_department_name,"           \
  " td.name_en AS to_department_name_en, r.to_doctor_id AS to_doctor_id, ta.name AS to_doctor_name,"        \
  " ta.name_en AS to_doctor_name_en, r.icd10 AS icd10, c.name AS condition_name,"                           \
  " c.name_en AS condition_name_en, r.reason AS reason, r.summary AS summary, r.episode_id AS episode_id,"  \
  " r.slot_id AS slot_id, r.scheduled_for AS scheduled_for, r.accepted_by AS accepted_by,"                  \
  " r.state_reason AS state_reason, r.outcome AS outcome, r.follow_up_days AS follow_up_days,"              \
  " r.plan_note AS plan_note, r.care_plan_id AS care_plan_id, r.remote_id AS remote_id,"                    \
  " r.requested_at AS requested_at, r.updated_at AS updated_at"                                             \
  " FROM referrals r JOIN patients p ON p.id = r.patient_id JOIN accounts fa ON fa.id = r.from_doctor_id"   \
  " JOIN facilities ff ON ff.id = r.from_facility_id JOIN facilities tf ON tf.id = r.to_facility_id"        \
  " LEFT JOIN departments td ON td.id = r.to_department_id LEFT JOIN accounts ta ON ta.id = r.to_doctor_id" \
  " LEFT JOIN conditions c ON c.icd10 = r.icd10"

static const char sql_one[] = VIEW_SELECT " WHERE r.id = ?1";

static const char sql_list[] = VIEW_SELECT
    " WHERE ((?9 = 'patient' AND r.patient_id = ?6)"
    "   OR (?9 = 'supervisor' AND (?7 IS NULL OR r.from_facility_id = ?7 OR r.to_facility_id = ?7))"
    "   OR (?9 = 'doctor' AND ("
    "     ((?3 IS NULL OR ?3 = 'incoming') AND ((r.direction = 'up' AND r.to_department_id = ?2)"
    "                                          OR (r.direction = 'down' AND r.to_doctor_id = ?1)))"
    "     OR ((?3 IS NULL OR ?3 = 'outgoing') AND r.from_doctor_id = ?1))))"
    " AND (?4 IS NULL OR r.state = ?4) AND (?5 IS NULL OR r.direction = ?5)"
    " ORDER BY r.requested_at DESC, r.id DESC LIMIT ?8";

static int view_details(struct ly_db *db, const char *id, json_t *o) {
  static const char *sql_events =
      "SELECT seq, at, actor_id, actor_role, from_state AS \"from\", to_state AS \"to\", reason"
      " FROM referral_events WHERE referral_id = ?1 ORDER BY seq";
  static const char *sql_attach =
      "SELECT kind, ref_id AS id FROM referral_attachments WHERE referral_id = ?1 ORDER BY kind, ref_id";
  static const char *sql_targets =
      "SELECT kind, low1, high1, low2, high2 FROM referral_plan_targets WHERE referral_id = ?1 ORDER BY kind";
  static const char *sql_slot =
      "SELECT s.id AS id, s.starts_at AS starts_at, s.minutes AS minutes, s.reserved AS reserved"
      " FROM department_slots s JOIN referrals r"
      " ON r.slot_id = s.id WHERE r.id = ?1";
  const char *keys[] = {"events", "attachments", "plan_targets", "slot"};
  const char *sqls[] = {sql_events, sql_attach, sql_targets, sql_slot};
  for (int i = 0; i < 4; i++) {
    json_t *a = NULL;
    int rc = ref_json_rows(db, sqls[i], id, &a);
    if (rc) return rc;
    if (i == 3) {
      json_t *slot = json_array_size(a) ? json_incref(json_array_get(a, 0)) : json_null();
      json_decref(a);
      a = slot;
    }
    json_object_set_new(o, keys[i], a);
  }
  return 0;
}

static int view_load(struct ly_db *db, const char *id, json_t **out) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_one);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? ref_json_row(st) : NULL;
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return LY_ENOTFOUND;
  if (rc != SQLITE_ROW) return ly_db_rc(db, rc);
  return *out ? 0 : LY_ENOMEM;
}

static int view_access(const struct referral_ctx *cx, const struct referral_actor *who,
                       const struct ref_row *r, struct ly_error *e) {
  if (ref_is(who, "supervisor")) return 0;
  if (ref_is(who, "patient")) return ref_patient_only(who, r->patient_id, e);
  if (ref_is(who, "doctor") && ref_parties(cx->db, who, r) != 0) return 0;
  return ly_error_set(e, LY_EFORBIDDEN, "referral.not_party", "You are not a party to this referral.",
                      "您不是该转诊的相关方。");
}

static int view_get(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                    json_t **out, struct ly_error *e, char patient[LY_ID_MAX]) {
  struct ref_row r;
  int rc = ref_row_load(cx->db, id, &r);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ENOTFOUND, "referral.not_found", "No such referral.", "未找到该转诊。");
  if (rc) return rc;
  ref_copy(patient, LY_ID_MAX, r.patient_id);
  if ((rc = view_access(cx, who, &r, e))) return rc;
  if ((rc = view_load(cx->db, id, out)) || (rc = view_details(cx->db, id, *out))) return rc;
  return ref_audit(cx, who, "referral.read", r.patient_id, "referral", id, "ok", NULL);
}

int referral_get_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                      json_t **out, struct ly_error *e) {
  char patient[LY_ID_MAX] = "";
  ly_error_clear(e);
  *out = NULL;
  int rc = ly_db_begin(cx->db);
  if (rc) return ref_done(e, rc);
  rc = ref_finish(cx->db, view_get(cx, who, id, out, e, patient));
  if (rc) {
    json_decref(*out);
    *out = NULL;
    if (e->err) ref_audit_refusal(cx, who, "referral.read", patient, "referral", id, e);
  }
  return ref_done(e, rc);
}

/* One audit entry per patient the list shows. */
static int view_list_audit(const struct referral_ctx *cx, const struct referral_actor *who, json_t *items) {
  size_t i, j;
  json_t *it;
  json_array_foreach(items, i, it) {
    const char *p = json_string_value(json_object_get(it, "patient_id"));
    int seen = 0;
    for (j = 0; j < i && !seen; j++)
      seen = strcmp(p, json_string_value(json_object_get(json_array_get(items, j), "patient_id"))) == 0;
    int rc = seen ? 0 : ref_audit(cx, who, "referral.list", p, "referral", NULL, "ok", NULL);
    if (rc) return rc;
  }
  return 0;
}

static void view_list_bind(sqlite3_stmt *st, const struct referral_actor *who, const struct ref_doctor *d,
                           const struct referral_filter *f) {
  ly_db_bind_text(st, 1, who->id);
  ly_db_bind_text(st, 2, d->department_id[0] ? d->department_id : NULL);
  ly_db_bind_text(st, 3, f->box);
  ly_db_bind_text(st, 4, f->state);
  ly_db_bind_text(st, 5, f->direction);
  ly_db_bind_text(st, 6, who->patient_id);
  ly_db_bind_text(st, 7, f->facility_id);
  ly_db_bind_int(st, 8, f->limit > 0 && f->limit <= REFERRAL_LIST_MAX ? f->limit : 50);
  ly_db_bind_text(st, 9, who->role);
}

int referral_list_json(const struct referral_ctx *cx, const struct referral_actor *who,
                       const struct referral_filter *f, json_t **out, struct ly_error *e) {
  struct ref_doctor d = {0};
  ly_error_clear(e);
  *out = NULL;
  if (!ref_is(who, "patient") && !ref_is(who, "doctor") && !ref_is(who, "supervisor"))
    return ly_error_set(e, LY_EFORBIDDEN, "referral.not_party",
                        "Referrals are for patients and their doctors.", "只有患者及其医生可以查看转诊。");
  if (ref_is(who, "doctor") && ref_doctor_load(cx->db, who->id, &d) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "referral.doctor_only", "This account is not a practising doctor.",
                        "该账号不是执业医生。");
  int rc = ly_db_begin(cx->db);
  if (rc) return ref_done(e, rc);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_list);
  json_t *items = json_array();
  rc = !st ? LY_EDB : !items ? LY_ENOMEM : 0;
  if (!rc) {
    view_list_bind(st, who, &d, f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      json_array_append_new(items, ref_json_row(st));
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
  }
  if (!rc) rc = view_list_audit(cx, who, items);
  if ((rc = ref_finish(cx->db, rc))) {
    json_decref(items);
    return ref_done(e, rc);
  }
  *out = items;
  return 0;
}

int referral_patient(const struct referral_ctx *cx, const char *id, char patient_out[LY_ID_MAX]) {
  struct ref_row r;
  int rc = ref_row_load(cx->db, id, &r);
  if (!rc) ref_copy(patient_out, LY_ID_MAX, r.patient_id);
  return rc;
}

/* ---- the doctor's desk ------------------------------------------------------ */

static int desk_targets(struct ly_db *db, int rank, json_t **out) {
  static const char *sql =
      "SELECT dp.id AS id, dp.name AS name, dp.name_en AS name_en, dp.specialty AS specialty,"
      " f.id AS facility_id, f.name AS facility_name, f.name_en AS facility_name_en, f.level AS level"
      " FROM departments dp JOIN facilities f ON f.id = dp.facility_id"
      " WHERE (CASE f.level WHEN 'community' THEN 1 WHEN 'secondary' THEN 2 ELSE 3 END) > ?1"
      " ORDER BY f.level = 'tertiary' DESC, f.id, dp.id LIMIT 500";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  json_t *a = json_array();
  if (!st || !a) {
    json_decref(a);
    return st ? LY_ENOMEM : LY_EDB;
  }
  ly_db_bind_int(st, 1, rank);
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

int referral_desk_json(const struct referral_ctx *cx, const struct referral_actor *who, json_t **out,
                       struct ly_error *e) {
  static const char *sql_place =
      "SELECT f.id AS id, f.name AS name, f.name_en AS name_en, f.level AS level, f.subdistrict_id AS"
      " subdistrict_id FROM doctors d JOIN facilities f ON f.id = d.facility_id WHERE d.account_id = ?1";
  static const char *sql_dept =
      "SELECT dp.id AS id, dp.name AS name, dp.name_en AS name_en FROM doctors d"
      " JOIN departments dp ON dp.id = d.department_id WHERE d.account_id = ?1";
  struct ref_doctor d;
  json_t *place = NULL, *dept = NULL, *targets = NULL;
  ly_error_clear(e);
  *out = NULL;
  if (!ref_is(who, "doctor") || ref_doctor_load(cx->db, who->id, &d) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "referral.doctor_only", "This account is not a practising doctor.",
                        "该账号不是执业医生。");
  int rc = ref_json_rows(cx->db, sql_place, who->id, &place);
  if (!rc) rc = ref_json_rows(cx->db, sql_dept, who->id, &dept);
  if (!rc) rc = desk_targets(cx->db, d.rank, &targets);
  if (!rc) {
    json_t *dp = json_array_size(dept) ? json_incref(json_array_get(dept, 0)) : json_null();
    *out = json_pack("{s:O, s:o, s:O}", "facility", json_array_get(place, 0), "department", dp, "targets",
                     targets);
    if (!*out) rc = LY_ENOMEM;
  }
  json_decref(place);
  json_decref(dept);
  json_decref(targets);
  return ref_done(e, rc);
}
