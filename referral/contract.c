/* referral/contract.c — family-doctor contracts (contract.h). */
#include "referral/contract.h"

#include <sqlite3.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "referral/referral_internal.h"

static const char sql_active[] =
    "SELECT id, doctor_id FROM family_doctor_contracts WHERE patient_id = ?1 AND state = 'active'";

static const char sql_end[] =
    "UPDATE family_doctor_contracts SET state = 'ended', ended_at = ?2, end_reason = ?3"
    " WHERE id = ?1 AND state = 'active'";

static const char sql_insert[] =
    "INSERT INTO family_doctor_contracts (id, patient_id, doctor_id, facility_id, state, signed_at)"
    " VALUES (?1, ?2, ?3, ?4, 'active', ?5)";

/* The patient's active contract: 1 found (ids filled), 0 none, < 0 error. */
static int active_contract(struct ly_db *db, const char *patient_id, char id[LY_ID_MAX],
                           char doctor[LY_ID_MAX]) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_active);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    ref_copy(id, LY_ID_MAX, ly_db_col_text(st, 0));
    ref_copy(doctor, LY_ID_MAX, ly_db_col_text(st, 1));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 1;
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int end_row(const struct referral_ctx *cx, const char *id, const char *reason) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_end);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->clock));
  ly_db_bind_text(st, 3, reason && reason[0] ? reason : "ended");
  return ref_step_done(cx->db, st);
}

static int sign_tx(const struct referral_ctx *cx, const struct referral_actor *who,
                   const struct ref_doctor *gp, char id_out[LY_ID_MAX], int *switched) {
  char old[LY_ID_MAX], old_doctor[LY_ID_MAX];
  int rc = active_contract(cx->db, who->patient_id, old, old_doctor);
  if (rc < 0) return rc;
  if (rc == 1 && strcmp(old_doctor, gp->id) == 0) {
    ref_copy(id_out, LY_ID_MAX, old);
    return 0;
  }
  if (rc == 1) {
    *switched = 1;
    if ((rc = end_row(cx, old, "switched")) ||
        (rc = ref_audit(cx, who, "contract.end", who->patient_id, "contract", old, "ok", "switched")))
      return rc;
  }
  if ((rc = ly_id_new("contract", id_out, LY_ID_MAX))) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_insert);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id_out);
  ly_db_bind_text(st, 2, who->patient_id);
  ly_db_bind_text(st, 3, gp->id);
  ly_db_bind_text(st, 4, gp->facility_id);
  ly_db_bind_int(st, 5, ly_now_ms(cx->clock));
  if ((rc = ref_step_done(cx->db, st))) return rc;
  return ref_audit(cx, who, "contract.create", who->patient_id, "contract", id_out, "ok", gp->id);
}

int contract_sign(const struct referral_ctx *cx, const struct referral_actor *who, const char *doctor_id,
                  char id_out[LY_ID_MAX], int *switched, struct ly_error *e) {
  struct ref_doctor gp;
  ly_error_clear(e);
  *switched = 0;
  if (!ref_is(who, "patient") || !who->patient_id)
    return ly_error_set(e, LY_EFORBIDDEN, "referral.patient_only",
                        "Only the patient may sign their contract.", "只有患者本人可以签约家庭医生。");
  int rc = doctor_id ? ref_doctor_load(cx->db, doctor_id, &gp) : LY_ENOTFOUND;
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ENOTFOUND, "referral.doctor_not_found", "No such doctor.", "没有这位医生。");
  if (rc) return ref_done(e, rc);
  if (gp.rank != 1 || gp.disabled)
    return ly_error_set(e, LY_EDENIED, "referral.contract_gp_only",
                        "A family doctor is a GP at a community health centre.",
                        "家庭医生须为社区健康服务中心的全科医生。");
  if ((rc = ly_db_begin(cx->db))) return ref_done(e, rc);
  return ref_done(e, ref_finish(cx->db, sign_tx(cx, who, &gp, id_out, switched)));
}

static int end_tx(const struct referral_ctx *cx, const struct referral_actor *who, const char *patient_id,
                  const char *reason, struct ly_error *e) {
  char id[LY_ID_MAX], doctor[LY_ID_MAX];
  int rc = active_contract(cx->db, patient_id, id, doctor);
  if (rc < 0) return rc;
  if (rc == 0)
    return ly_error_set(e, LY_ENOTFOUND, "referral.no_contract", "There is no active family-doctor contract.",
                        "当前没有生效的家庭医生签约。");
  if (ref_is(who, "doctor") && strcmp(doctor, who->id) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "referral.not_your_patient",
                        "This patient is contracted with another GP.", "该患者签约的是其他家庭医生。");
  if ((rc = end_row(cx, id, reason))) return rc;
  return ref_audit(cx, who, "contract.end", patient_id, "contract", id, "ok", NULL);
}

int contract_end(const struct referral_ctx *cx, const struct referral_actor *who, const char *patient_id,
                 const char *reason, struct ly_error *e) {
  ly_error_clear(e);
  if (ref_is(who, "patient") && (!patient_id || !patient_id[0])) patient_id = who->patient_id;
  int rc = ref_patient_only(who, patient_id, e);
  if (rc) return rc;
  if (!ref_is(who, "patient") && !ref_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "referral.not_party",
                        "Only the patient or their GP may end a contract.",
                        "只有患者本人或其家庭医生可以解约。");
  if ((rc = ref_text(reason, CONTRACT_REASON_MAX, 0, "reason", e))) return rc;
  if (!patient_id)
    return ly_error_set(e, LY_EINVAL, "request.missing_field", "Name the patient.", "请指定患者。");
  if ((rc = ly_db_begin(cx->db))) return ref_done(e, rc);
  return ref_done(e, ref_finish(cx->db, end_tx(cx, who, patient_id, reason, e)));
}

static int get_tx(const struct referral_ctx *cx, const struct referral_actor *who, const char *patient_id,
                  json_t *o) {
  static const char *sql =
      "SELECT c.id AS id, c.doctor_id AS doctor_id, a.name AS doctor_name, a.name_en AS doctor_name_en,"
      " d.title AS title, c.facility_id AS facility_id, f.name AS facility_name, f.name_en AS "
      "facility_name_en,"
      " f.subdistrict_id AS subdistrict_id, c.signed_at AS signed_at, c.state AS state, c.ended_at AS "
      "ended_at,"
      " c.end_reason AS end_reason FROM family_doctor_contracts c JOIN accounts a ON a.id = c.doctor_id"
      " JOIN doctors d ON d.account_id = c.doctor_id JOIN facilities f ON f.id = c.facility_id"
      " WHERE c.patient_id = ?1 ORDER BY c.signed_at DESC, c.id DESC LIMIT 50";
  json_t *rows = NULL, *active = json_null();
  size_t i;
  json_t *r;
  int rc = ref_json_rows(cx->db, sql, patient_id, &rows);
  if (rc) return rc;
  json_array_foreach(rows, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "state")), "active") == 0) {
      json_decref(active);
      active = json_incref(r);
    }
  }
  json_object_set_new(o, "patient_id", json_string(patient_id));
  json_object_set_new(o, "contract", active);
  json_object_set_new(o, "history", rows);
  return ref_audit(cx, who, "contract.read", patient_id, "contract", NULL, "ok", NULL);
}

int contract_get_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *patient_id,
                      json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  int rc = ref_patient_only(who, patient_id, e);
  if (rc) return rc;
  json_t *o = json_object();
  if (!o) return ref_done(e, LY_ENOMEM);
  if ((rc = ly_db_begin(cx->db)) || (rc = ref_finish(cx->db, get_tx(cx, who, patient_id, o)))) {
    json_decref(o);
    return ref_done(e, rc);
  }
  *out = o;
  return 0;
}
