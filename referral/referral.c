/* referral/referral.c — creating up- and down-referrals (referral.h). The
 * state machine's effects are in referral_flow.c, reads in referral_view.c.
 */
#include "referral/referral.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/records.h"
#include "referral/referral_internal.h"

static const char sql_insert[] =
    "INSERT INTO referrals (id, direction, patient_id, from_doctor_id, from_facility_id, to_facility_id,"
    " to_department_id, to_doctor_id, urgency, icd10, reason, summary, state, episode_id, follow_up_days,"
    " plan_note, remote_id, requested_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, upper(?10), ?11, ?12, 'requested', ?13, ?14, ?15, ?16, "
    "?17, ?17)";

/* Attachment kinds and the statement that proves the item is the patient's. */
static const struct {
  const char *kind;
  const char *sql;
} attach_kinds[] = {
    {"diagnosis", "SELECT 1 FROM offline_diagnoses WHERE id = ?1 AND patient_id = ?2"},
    {"note", "SELECT 1 FROM consultation_notes WHERE id = ?1 AND patient_id = ?2"},
    {"lab_order", "SELECT 1 FROM lab_orders WHERE id = ?1 AND patient_id = ?2"},
    {"document", "SELECT 1 FROM record_documents WHERE id = ?1 AND patient_id = ?2"},
    {"care_plan", "SELECT 1 FROM care_plans WHERE id = ?1 AND patient_id = ?2"},
};

static int wrong_level(struct ly_error *e, int up) {
  if (up)
    return ly_error_set(e, LY_EDENIED, "referral.wrong_level",
                        "An up-referral goes to a facility of a higher level than the referring one.",
                        "上转须转往比转出机构级别更高的医疗机构。");
  return ly_error_set(e, LY_EDENIED, "referral.wrong_level",
                      "A down-referral goes from a hospital to a GP at a community health centre.",
                      "下转须由医院转回社区健康服务中心的全科医生。");
}

static int doctor_only(const struct referral_ctx *cx, const struct referral_actor *who, struct ref_doctor *d,
                       struct ly_error *e) {
  if (ref_is(who, "doctor") && ref_doctor_load(cx->db, who->id, d) == 0) return 0;
  return ly_error_set(e, LY_EFORBIDDEN, "referral.doctor_only", "Only a doctor may refer a patient.",
                      "只有医生可以开具转诊。");
}

static int patient_check(const struct referral_ctx *cx, const char *patient_id, struct ly_error *e) {
  int r = patient_id ? ref_patient_exists(cx->db, patient_id) : 0;
  if (r < 0) return r;
  if (r == 0)
    return ly_error_set(e, LY_ENOTFOUND, "referral.patient_not_found", "No such patient.", "未找到该患者。");
  return 0;
}

static int attachment_check(const struct referral_ctx *cx, const char *patient_id,
                            const struct referral_attachment *a, struct ly_error *e) {
  for (size_t k = 0; a->kind && k < sizeof attach_kinds / sizeof attach_kinds[0]; k++) {
    if (strcmp(a->kind, attach_kinds[k].kind) != 0) continue;
    sqlite3_stmt *st = ly_db_stmt(cx->db, attach_kinds[k].sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, a->id);
    ly_db_bind_text(st, 2, patient_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
    break;
  }
  return ly_error_set(
      e, LY_EINVAL, "referral.attachment_invalid",
      "Each attachment is a diagnosis, note, lab order, document or care plan of this patient.",
      "附件须为该患者本人的诊断、病历、检验检查单、文件或管理计划。");
}

static int attachments_insert(const struct referral_ctx *cx, const char *id,
                              const struct referral_up_new *in) {
  static const char *sql =
      "INSERT OR IGNORE INTO referral_attachments (referral_id, kind, ref_id) VALUES (?1, ?2, ?3)";
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < in->nattachments; i++) {
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, in->attachments[i].kind);
    ly_db_bind_text(st, 3, in->attachments[i].id);
    rc = ref_step_done(cx->db, st);
  }
  return rc;
}

/* Row values shared by both directions (bound in sql_insert order). */
struct ref_new_row {
  const char *id, *direction, *patient_id, *from_doctor, *from_facility, *to_facility, *to_department,
      *to_doctor, *urgency, *icd10, *reason, *summary, *episode_id, *plan_note, *remote_id;
  int follow_up_days;
};

static int row_insert(const struct referral_ctx *cx, const struct ref_new_row *r) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_insert);
  if (!st) return LY_EDB;
  const char *v[] = {r->id,
                     r->direction,
                     r->patient_id,
                     r->from_doctor,
                     r->from_facility,
                     r->to_facility,
                     r->to_department,
                     r->to_doctor,
                     r->urgency,
                     r->icd10,
                     r->reason,
                     r->summary ? r->summary : ""};
  for (int i = 0; i < 12; i++)
    ly_db_bind_text(st, i + 1, v[i]);
  ly_db_bind_text(st, 13, r->episode_id && r->episode_id[0] ? r->episode_id : NULL);
  if (r->follow_up_days) ly_db_bind_int(st, 14, r->follow_up_days);
  ly_db_bind_text(st, 15, r->plan_note);
  ly_db_bind_text(st, 16, r->remote_id);
  ly_db_bind_int(st, 17, ly_now_ms(cx->clock));
  return ref_step_done(cx->db, st);
}

static int up_validate(const struct referral_ctx *cx, const struct referral_up_new *in, struct ly_error *e) {
  int rc;
  if (!in->urgency || (strcmp(in->urgency, "routine") != 0 && strcmp(in->urgency, "urgent") != 0))
    return ly_error_set(e, LY_EINVAL, "referral.urgency_invalid", "Urgency is routine or urgent.",
                        "紧急程度须为 routine（常规）或 urgent（紧急）。");
  if ((rc = records_icd10_check(in->icd10, "icd10", e)) ||
      (rc = ref_text(in->reason, REFERRAL_REASON_MAX, 1, "reason", e)) ||
      (rc = ref_text(in->summary, REFERRAL_SUMMARY_MAX, 0, "summary", e)))
    return rc;
  if (in->nattachments > REFERRAL_MAX_ATTACH)
    return ly_error_set(e, LY_EINVAL, "referral.attachment_invalid", "At most 20 attachments.",
                        "附件最多 20 项。");
  if ((rc = patient_check(cx, in->patient_id, e))) return rc;
  for (size_t i = 0; i < in->nattachments; i++)
    if ((rc = attachment_check(cx, in->patient_id, &in->attachments[i], e))) return rc;
  return 0;
}

/* The receiving department's facility and its level. */
static int department_place(const struct referral_ctx *cx, const char *department_id,
                            char facility[LY_ID_MAX], int *rank, struct ly_error *e) {
  static const char *sql =
      "SELECT d.facility_id, f.level FROM departments d JOIN facilities f ON f.id = d.facility_id WHERE d.id "
      "= ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, department_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    ref_copy(facility, LY_ID_MAX, ly_db_col_text(st, 0));
    *rank = ref_level_rank(ly_db_col_text(st, 1));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return ly_error_set(e, LY_ENOTFOUND, "referral.department_not_found", "No such department.",
                      "没有这个科室。");
}

int ref_up_create(const struct referral_ctx *cx, const struct referral_actor *who,
                  const struct referral_up_new *in, const char *remote_id, char id_out[LY_ID_MAX],
                  struct ly_error *e) {
  struct ref_doctor d;
  char to_facility[LY_ID_MAX], episode[LY_ID_MAX];
  int rank = 0, rc;
  if ((rc = doctor_only(cx, who, &d, e)) || (rc = up_validate(cx, in, e))) return rc;
  if ((rc = department_place(cx, in->to_department_id ? in->to_department_id : "", to_facility, &rank, e)))
    return rc;
  if (rank <= d.rank) return wrong_level(e, 1);
  if ((rc = ly_db_begin(cx->db))) return rc;
  rc = ly_id_new("ref", id_out, LY_ID_MAX);
  if (!rc) rc = episode_open(cx, in->patient_id, episode);
  struct ref_new_row row = {id_out,
                            "up",
                            in->patient_id,
                            who->id,
                            d.facility_id,
                            to_facility,
                            in->to_department_id,
                            NULL,
                            in->urgency,
                            in->icd10,
                            in->reason,
                            in->summary,
                            episode,
                            NULL,
                            remote_id,
                            0};
  if (!rc) rc = row_insert(cx, &row);
  if (!rc) rc = attachments_insert(cx, id_out, in);
  if (!rc) rc = ref_event(cx, who, id_out, NULL, "requested", NULL);
  if (!rc) rc = ref_audit(cx, who, "referral.create", in->patient_id, "referral", id_out, "ok", "up");
  return ref_finish(cx->db, rc);
}

int referral_create_up(const struct referral_ctx *cx, const struct referral_actor *who,
                       const struct referral_up_new *in, char id_out[LY_ID_MAX], struct ly_error *e) {
  ly_error_clear(e);
  int rc = ref_up_create(cx, who, in, NULL, id_out, e);
  if (rc && e && e->err) ref_audit_refusal(cx, who, "referral.create", in->patient_id, "referral", NULL, e);
  return ref_done(e, rc);
}

/* ---- down ------------------------------------------------------------------ */

static int down_targets_ok(const struct referral_down_new *in, struct ly_error *e) {
  static const char *const kinds[] = {"bp", "glucose", "weight", "heart_rate"};
  if (in->ntargets > CAREPLAN_MAX_TARGETS) goto bad;
  for (size_t i = 0; i < in->ntargets; i++) {
    const struct careplan_target *t = &in->targets[i];
    int known = 0, any = t->has_low1 || t->has_high1 || t->has_low2 || t->has_high2;
    for (size_t k = 0; t->kind && k < 4; k++)
      known |= strcmp(t->kind, kinds[k]) == 0;
    for (size_t j = 0; known && j < i; j++)
      known = strcmp(in->targets[j].kind, t->kind) != 0;
    double v[] = {t->low1, t->high1, t->low2, t->high2};
    for (int k = 0; k < 4; k++)
      if (!isfinite(v[k])) known = 0;
    if (!known || !any || (t->has_low1 && t->has_high1 && t->low1 > t->high1) ||
        (t->has_low2 && t->has_high2 && t->low2 > t->high2))
      goto bad;
  }
  return 0;
bad:
  return ly_error_set(e, LY_EINVAL, "records.careplan_targets",
                      "At most 4 targets, each a known kind, once, with a valid range.",
                      "最多 4 项目标，每项须为已知类型、不得重复且范围有效。");
}

static int down_validate(const struct referral_ctx *cx, const struct referral_down_new *in,
                         struct ly_error *e) {
  static const char *sql_chronic =
      "SELECT 1 FROM conditions WHERE chronic = 1 AND (upper(icd10) = upper(?1) OR upper(icd10) = ?2"
      " OR substr(upper(icd10), 1, 3) = ?2) LIMIT 1";
  char cat[8];
  int rc;
  if ((rc = records_icd10_check(in->icd10, "icd10", e)) ||
      (rc = ref_text(in->reason, REFERRAL_REASON_MAX, 1, "reason", e)) ||
      (rc = ref_text(in->summary, REFERRAL_SUMMARY_MAX, 0, "summary", e)) ||
      (rc = ref_text(in->plan_note, 1000, 0, "plan_note", e)) || (rc = down_targets_ok(in, e)))
    return rc;
  if (in->follow_up_days < 1 || in->follow_up_days > 366)
    return ly_error_set(e, LY_EINVAL, "records.careplan_interval",
                        "The follow-up interval must be 1 to 366 days.", "随访间隔须为1至366天。");
  if ((rc = patient_check(cx, in->patient_id, e))) return rc;
  records_icd10_category(in->icd10, cat, sizeof cat);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_chronic);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, in->icd10);
  ly_db_bind_text(st, 2, cat);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return ly_error_set(e, LY_EDENIED, "referral.not_chronic",
                      "A down-referral is for a stable chronic condition; this one is not chronic.",
                      "下转适用于病情稳定的慢性病患者，该诊断不属于慢性病。");
}

/* The GP: the one named, else the family doctor, else a GP of the subdistrict. */
static int down_receiver(const struct referral_ctx *cx, const struct referral_down_new *in,
                         struct ref_doctor *gp, struct ly_error *e) {
  static const char *sql_pick =
      "SELECT d.account_id FROM doctors d JOIN facilities f ON f.id = d.facility_id"
      " JOIN accounts a ON a.id = d.account_id JOIN patients p ON p.id = ?1"
      " WHERE f.level = 'community' AND a.disabled = 0 AND d.licensed = 1 AND"
      " (d.account_id = (SELECT doctor_id FROM family_doctor_contracts WHERE patient_id = ?1 AND state = "
      "'active')"
      "  OR f.subdistrict_id = p.subdistrict_id)"
      " ORDER BY d.account_id = (SELECT doctor_id FROM family_doctor_contracts WHERE patient_id = ?1"
      "  AND state = 'active') DESC, d.account_id LIMIT 1";
  char id[LY_ID_MAX] = "";
  if (in->to_doctor_id && in->to_doctor_id[0]) {
    ref_copy(id, sizeof id, in->to_doctor_id);
  } else {
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql_pick);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, in->patient_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) ref_copy(id, sizeof id, ly_db_col_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  }
  int rc = id[0] ? ref_doctor_load(cx->db, id, gp) : LY_ENOTFOUND;
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ENOTFOUND, "referral.gp_not_found",
                        "No GP to receive this patient: name one, or the patient's family doctor.",
                        "没有可接收该患者的全科医生，请指定医生。");
  if (rc) return rc;
  return gp->rank == 1 && !gp->disabled ? 0 : wrong_level(e, 0);
}

static int targets_insert(const struct referral_ctx *cx, const char *id, const struct referral_down_new *in) {
  static const char *sql =
      "INSERT INTO referral_plan_targets (referral_id, kind, low1, high1, low2, high2) VALUES (?1, ?2, ?3, "
      "?4, ?5, ?6)";
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < in->ntargets; i++) {
    const struct careplan_target *t = &in->targets[i];
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, t->kind);
    if (t->has_low1) sqlite3_bind_double(st, 3, t->low1);
    if (t->has_high1) sqlite3_bind_double(st, 4, t->high1);
    if (t->has_low2) sqlite3_bind_double(st, 5, t->low2);
    if (t->has_high2) sqlite3_bind_double(st, 6, t->high2);
    rc = ref_step_done(cx->db, st);
  }
  return rc;
}

static int down_create(const struct referral_ctx *cx, const struct referral_actor *who,
                       const struct referral_down_new *in, char id_out[LY_ID_MAX], struct ly_error *e) {
  struct ref_doctor d, gp;
  char episode[LY_ID_MAX] = "";
  int rc;
  if ((rc = doctor_only(cx, who, &d, e)) || (rc = down_validate(cx, in, e))) return rc;
  if (d.rank < 2) return wrong_level(e, 0);
  if ((rc = down_receiver(cx, in, &gp, e))) return rc;
  rc = episode_current(cx->db, in->patient_id, episode);
  if (rc && rc != LY_ENOTFOUND) return rc;
  if ((rc = ly_db_begin(cx->db))) return rc;
  rc = ly_id_new("ref", id_out, LY_ID_MAX);
  struct ref_new_row row = {id_out,        "down",         in->patient_id, who->id,
                            d.facility_id, gp.facility_id, NULL,           gp.id,
                            "routine",     in->icd10,      in->reason,     in->summary,
                            episode,       in->plan_note,  NULL,           in->follow_up_days};
  if (!rc) rc = row_insert(cx, &row);
  if (!rc) rc = targets_insert(cx, id_out, in);
  if (!rc) rc = ref_event(cx, who, id_out, NULL, "requested", NULL);
  if (!rc) rc = ref_audit(cx, who, "referral.create", in->patient_id, "referral", id_out, "ok", "down");
  return ref_finish(cx->db, rc);
}

int referral_create_down(const struct referral_ctx *cx, const struct referral_actor *who,
                         const struct referral_down_new *in, char id_out[LY_ID_MAX], struct ly_error *e) {
  ly_error_clear(e);
  int rc = down_create(cx, who, in, id_out, e);
  if (rc && e && e->err) ref_audit_refusal(cx, who, "referral.create", in->patient_id, "referral", NULL, e);
  return ref_done(e, rc);
}
