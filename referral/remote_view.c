/* referral/remote_view.c — reading remote consultations, and the one-step
 * up-referral from one (remote.h).
 */
#include <sqlite3.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "referral/referral_internal.h"
#include "referral/remote.h"

#define RV_SELECT                                                                                        \
  "SELECT r.id AS id, r.state AS state, r.patient_id AS patient_id, p.name AS patient_name,"             \
  " p.name_en AS patient_name_en, r.gp_id AS gp_id, g.name AS gp_name, g.name_en AS gp_name_en,"         \
  " r.gp_facility_id AS gp_facility_id, gf.name AS gp_facility_name, gf.name_en AS gp_facility_name_en," \
  " r.department_id AS department_id, d.name AS department_name, d.name_en AS department_name_en,"       \
  " d.facility_id AS facility_id, r.specialist_id AS specialist_id, s.name AS specialist_name,"          \
  " s.name_en AS specialist_name_en, r.icd10 AS icd10, r.question AS question,"                          \
  " r.patient_location AS patient_location, r.scheduled_for AS scheduled_for,"                           \
  " r.consultation_id AS consultation_id, r.opinion AS opinion, r.note_id AS note_id,"                   \
  " r.referral_id AS referral_id, r.state_reason AS state_reason, r.requested_at AS requested_at,"       \
  " r.updated_at AS updated_at FROM remote_consultations r JOIN patients p ON p.id = r.patient_id"       \
  " JOIN accounts g ON g.id = r.gp_id JOIN facilities gf ON gf.id = r.gp_facility_id"                    \
  " JOIN departments d ON d.id = r.department_id LEFT JOIN accounts s ON s.id = r.specialist_id"

static const char sql_one[] = RV_SELECT " WHERE r.id = ?1";
static const char sql_list[] = RV_SELECT
    " WHERE ((?4 = 'patient' AND r.patient_id = ?3) OR (?4 = 'doctor' AND (r.gp_id = ?1 OR r.department_id = "
    "?2)))"
    " AND (?5 IS NULL OR r.state = ?5) ORDER BY r.requested_at DESC, r.id DESC LIMIT 200";

static int rv_load(struct ly_db *db, const char *id, json_t **out) {
  json_t *rows = NULL;
  int rc = ref_json_rows(db, sql_one, id, &rows);
  if (rc) return rc;
  if (json_array_size(rows) == 0) {
    json_decref(rows);
    return LY_ENOTFOUND;
  }
  *out = json_incref(json_array_get(rows, 0));
  json_decref(rows);
  return 0;
}

static const char *rv_str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static int rv_access(const struct referral_ctx *cx, const struct referral_actor *who, json_t *o,
                     struct ly_error *e) {
  struct ref_doctor d;
  if (ref_is(who, "supervisor")) return 0;
  if (ref_is(who, "patient")) return ref_patient_only(who, rv_str(o, "patient_id"), e);
  if (ref_is(who, "doctor") && (strcmp(who->id, rv_str(o, "gp_id")) == 0 ||
                                (ref_doctor_load(cx->db, who->id, &d) == 0 &&
                                 strcmp(d.department_id, rv_str(o, "department_id")) == 0)))
    return 0;
  return ly_error_set(e, LY_EFORBIDDEN, "referral.not_party",
                      "You are not a party to this remote consultation.", "您不是该远程会诊的相关方。");
}

static int rv_get(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                  json_t **out, struct ly_error *e) {
  int rc = rv_load(cx->db, id, out);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ENOTFOUND, "referral.not_found", "No such remote consultation.",
                        "未找到该远程会诊。");
  if (rc || (rc = rv_access(cx, who, *out, e))) return rc;
  return ref_audit(cx, who, "remote.read", rv_str(*out, "patient_id"), "remote_consultation", id, "ok", NULL);
}

int remote_get_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                    json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  int rc = ly_db_begin(cx->db);
  if (rc) return ref_done(e, rc);
  if ((rc = ref_finish(cx->db, rv_get(cx, who, id, out, e)))) {
    json_decref(*out);
    *out = NULL;
  }
  return ref_done(e, rc);
}

static int rv_list(const struct referral_ctx *cx, const struct referral_actor *who, const char *state,
                   json_t *items) {
  struct ref_doctor d = {0};
  if (ref_is(who, "doctor")) ref_doctor_load(cx->db, who->id, &d);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_list);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, who->id);
  ly_db_bind_text(st, 2, d.department_id[0] ? d.department_id : NULL);
  ly_db_bind_text(st, 3, who->patient_id);
  ly_db_bind_text(st, 4, who->role);
  ly_db_bind_text(st, 5, state && state[0] ? state : NULL);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(items, ref_json_row(st));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    if ((rc = ref_audit(cx, who, "remote.list", rv_str(it, "patient_id"), "remote_consultation",
                        rv_str(it, "id"), "ok", NULL)))
      return rc;
  }
  return 0;
}

int remote_list_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *state,
                     json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!ref_is(who, "doctor") && !ref_is(who, "patient"))
    return ly_error_set(e, LY_EFORBIDDEN, "referral.not_party",
                        "Remote consultations are for doctors and patients.",
                        "只有医生和患者可以查看远程会诊。");
  json_t *items = json_array();
  int rc = items ? ly_db_begin(cx->db) : LY_ENOMEM;
  if (!rc) rc = ref_finish(cx->db, rv_list(cx, who, state, items));
  if (rc) {
    json_decref(items);
    return ref_done(e, rc);
  }
  *out = items;
  return 0;
}

/* ---- one click: the up-referral ------------------------------------------- */

static int rv_refer_tx(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                       const char *urgency, char referral_out[LY_ID_MAX], struct ly_error *e) {
  static const char *sql_link = "UPDATE remote_consultations SET referral_id = ?2 WHERE id = ?1";
  json_t *o = NULL;
  int rc = rv_load(cx->db, id, &o);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ENOTFOUND, "referral.not_found", "No such remote consultation.",
                        "未找到该远程会诊。");
  if (rc) return rc;
  if (!ref_is(who, "doctor") || strcmp(who->id, rv_str(o, "gp_id")) != 0)
    rc = ly_error_set(e, LY_EFORBIDDEN, "referral.wrong_party",
                      "Only the GP who asked may refer the patient up.",
                      "只有申请会诊的全科医生可以据此上转。");
  else if (rv_str(o, "referral_id")[0])
    ref_copy(referral_out, LY_ID_MAX, rv_str(o, "referral_id"));
  else if (strcmp(rv_str(o, "state"), "completed") != 0)
    rc =
        ly_error_set(e, LY_ESTATE, "referral.illegal_transition",
                     "Refer up after the specialist has given an opinion.", "请在专家给出会诊意见后再上转。");
  else {
    struct referral_attachment att = {"note", rv_str(o, "note_id")};
    struct referral_up_new in = {rv_str(o, "patient_id"),
                                 rv_str(o, "department_id"),
                                 urgency,
                                 rv_str(o, "icd10"),
                                 "远程会诊后上转 Up-referral after a remote consultation",
                                 rv_str(o, "opinion"),
                                 &att,
                                 att.id[0] ? 1 : 0};
    rc = ref_up_create(cx, who, &in, id, referral_out, e);
    sqlite3_stmt *st = rc ? NULL : ly_db_stmt(cx->db, sql_link);
    if (!rc && !st) rc = LY_EDB;
    if (st) {
      ly_db_bind_text(st, 1, id);
      ly_db_bind_text(st, 2, referral_out);
      rc = ref_step_done(cx->db, st);
    }
  }
  json_decref(o);
  return rc;
}

int remote_refer_up(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                    const char *urgency, char referral_out[LY_ID_MAX], struct ly_error *e) {
  ly_error_clear(e);
  int rc = ly_db_begin(cx->db);
  if (rc) return ref_done(e, rc);
  rc = ref_finish(cx->db, rv_refer_tx(cx, who, id, urgency ? urgency : "routine", referral_out, e));
  if (rc && e->err) ref_audit_refusal(cx, who, "remote.refer_up", NULL, "remote_consultation", id, e);
  return ref_done(e, rc);
}
