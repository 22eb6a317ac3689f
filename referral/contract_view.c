/* referral/contract_view.c — the GP's contracted patients and the list of
 * GPs a patient may choose (contract.h).
 */
#include <sqlite3.h>

#include "core/db.h"
#include "core/err.h"
#include "referral/contract.h"
#include "referral/referral_internal.h"

static const char sql_patients[] =
    "SELECT c.id AS contract_id, p.id AS patient_id, p.name AS name, p.name_en AS name_en, p.sex AS sex,"
    " p.birth_date AS birth_date, c.signed_at AS signed_at,"
    " (SELECT COUNT(*) FROM care_plans cp WHERE cp.patient_id = p.id AND cp.active = 1) AS active_plans,"
    " (SELECT MIN(cp.next_follow_up_at) FROM care_plans cp WHERE cp.patient_id = p.id AND cp.active = 1)"
    "   AS next_follow_up_at,"
    " (SELECT COUNT(*) FROM care_alerts ca WHERE ca.patient_id = p.id AND ca.acknowledged_at IS NULL)"
    "   AS open_alerts"
    " FROM family_doctor_contracts c JOIN patients p ON p.id = c.patient_id"
    " WHERE c.doctor_id = ?1 AND c.state = 'active' ORDER BY open_alerts DESC, p.name, p.id LIMIT 500";

static const char sql_conditions[] =
    "SELECT DISTINCT od.icd10 AS icd10, k.name AS name, k.name_en AS name_en FROM offline_diagnoses od"
    " JOIN conditions k ON k.icd10 = od.icd10 WHERE od.patient_id = ?1 AND k.chronic = 1 ORDER BY od.icd10";

static const char sql_gps[] =
    "SELECT d.account_id AS doctor_id, a.name AS name, a.name_en AS name_en, d.title AS title,"
    " f.id AS facility_id, f.name AS facility_name, f.name_en AS facility_name_en,"
    " f.subdistrict_id AS subdistrict_id,"
    " (SELECT COUNT(*) FROM family_doctor_contracts c WHERE c.doctor_id = d.account_id AND c.state = "
    "'active')"
    "   AS contracted"
    " FROM doctors d JOIN accounts a ON a.id = d.account_id JOIN facilities f ON f.id = d.facility_id"
    " WHERE f.level = 'community' AND a.disabled = 0 AND d.licensed = 1 AND (?1 IS NULL OR f.subdistrict_id "
    "= ?1)"
    " ORDER BY f.subdistrict_id = (SELECT subdistrict_id FROM patients WHERE id = ?2) DESC, f.id, "
    "d.account_id"
    " LIMIT 200";

static int patients_tx(const struct referral_ctx *cx, const struct referral_actor *who, json_t **out) {
  size_t i;
  json_t *p;
  int rc = ref_json_rows(cx->db, sql_patients, who->id, out);
  if (rc) return rc;
  json_array_foreach(*out, i, p) {
    const char *pid = json_string_value(json_object_get(p, "patient_id"));
    json_t *conds = NULL;
    if ((rc = ref_json_rows(cx->db, sql_conditions, pid, &conds)) ||
        (rc = ref_audit(cx, who, "contract.list", pid, "contract", NULL, "ok", NULL)))
      return rc;
    json_object_set_new(p, "conditions", conds);
  }
  return 0;
}

int contract_patients_json(const struct referral_ctx *cx, const struct referral_actor *who, json_t **out,
                           struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!ref_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "referral.doctor_only", "Only a doctor has contracted patients.",
                        "只有医生有签约患者。");
  int rc = ly_db_begin(cx->db);
  if (rc) return ref_done(e, rc);
  if ((rc = ref_finish(cx->db, patients_tx(cx, who, out)))) {
    json_decref(*out);
    *out = NULL;
  }
  return ref_done(e, rc);
}

int contract_gps_json(const struct referral_ctx *cx, const struct referral_actor *who,
                      const char *subdistrict_id, json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_gps);
  json_t *a = json_array();
  if (!st || !a) {
    json_decref(a);
    return ref_done(e, st ? LY_ENOMEM : LY_EDB);
  }
  ly_db_bind_text(st, 1, subdistrict_id && subdistrict_id[0] ? subdistrict_id : NULL);
  ly_db_bind_text(st, 2, who && who->patient_id ? who->patient_id : NULL);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(a, ref_json_row(st));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(a);
    return ref_done(e, ly_db_rc(cx->db, rc));
  }
  *out = a;
  return 0;
}
