/* rx/prescription_draft.c — writing, editing, checking and cancelling drafts. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/prescription.h"
#include "rx/prescription_internal.h"

static int rx_doctor_only(const struct records_actor *who, struct ly_error *e) {
  if (records_is(who, "doctor")) return 0;
  return ly_error_set(e, LY_EFORBIDDEN, "rx.doctor_only", "Only a doctor may write a prescription.",
                      "只有医师可以开具处方。");
}

static int rx_doctor_facility(struct rx_ctx *cx, const char *doctor_id, char out[LY_ID_MAX],
                              struct ly_error *e) {
  static const char *sql = "SELECT facility_id FROM doctors WHERE account_id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, doctor_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) snprintf(out, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return ly_error_set(e, LY_EFORBIDDEN, "rx.doctor_only",
                      "Only a registered doctor may write a prescription.", "只有注册医师可以开具处方。");
}

/* The consultation must be the doctor's own with this patient, and started. */
static int rx_consultation(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p,
                           struct ly_error *e) {
  static const char *sql =
      "SELECT patient_id, doctor_id, state, coalesce(guardian_name, '') FROM consultations WHERE id = ?1";
  static const char *const open[] = {"called", "in_call", "ended", "notes_signed"};
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->consultation_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
    return ly_error_set(e, LY_ENOTFOUND, "rx.consultation_not_found", "No such consultation.",
                        "未找到该次问诊。");
  }
  int mine = strcmp(ly_db_col_text(st, 0), p->patient_id) == 0 && strcmp(ly_db_col_text(st, 1), who->id) == 0;
  int started = 0;
  for (size_t i = 0; i < sizeof open / sizeof open[0]; i++)
    started |= strcmp(ly_db_col_text(st, 2), open[i]) == 0;
  if (!p->guardian_name[0]) snprintf(p->guardian_name, sizeof p->guardian_name, "%s", ly_db_col_text(st, 3));
  sqlite3_reset(st);
  if (!mine)
    return ly_error_set(e, LY_EFORBIDDEN, "rx.consultation_mismatch",
                        "A prescription must come from your own consultation with this patient.",
                        "处方须来自您本人与该患者的问诊。");
  if (!started)
    return ly_error_set(e, LY_ESTATE, "rx.consultation_not_open", "The consultation has not started.",
                        "问诊尚未开始。");
  return 0;
}

/* Build p from input for the prescriber `who`: patient, facility, consultation. */
static int rx_prepare(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_in *in,
                      int need_consultation, struct rx_rec *p, struct ly_error *e) {
  int rc = rx_doctor_only(who, e);
  if (rc) return rc;
  if ((rc = records_patient_exists(&cx->rec, in->patient_id, e))) return rc;
  snprintf(p->patient_id, sizeof p->patient_id, "%s", in->patient_id);
  snprintf(p->doctor_id, sizeof p->doctor_id, "%s", who->id);
  if ((rc = rx_doctor_facility(cx, who->id, p->facility_id, e))) return rc;
  if ((rc = rx_from_input(cx, in, p, e))) return rc;
  if (in->consultation_id && in->consultation_id[0]) {
    if (strlen(in->consultation_id) >= sizeof p->consultation_id)
      return ly_error_set(e, LY_ENOTFOUND, "rx.consultation_not_found", "No such consultation.",
                          "未找到该次问诊。");
    snprintf(p->consultation_id, sizeof p->consultation_id, "%s", in->consultation_id);
    return rx_consultation(cx, who, p, e);
  }
  if (need_consultation)
    return ly_error_set(e, LY_EINVAL, "rx.consultation_required", "A prescription comes from a consultation.",
                        "处方须关联一次问诊。");
  return 0;
}

/* Run the draft rules; input faults (stage INPUT) refuse the whole request. */
static int rx_judge(struct rx_ctx *cx, const struct records_actor *who, const struct rx_rec *p,
                    struct rules_result *viol, struct ly_error *e) {
  struct rx_facts *f = malloc(sizeof *f);
  if (!f) return LY_ENOMEM;
  int rc = rx_facts(cx, p, who, NULL, f, e);
  if (rc == 0) {
    rules_check(&f->d, &cx->rules, RULES_STAGE_DRAFT, viol);
    for (size_t i = 0; rc == 0 && i < viol->n; i++)
      if (viol->v[i].rule->stage & RULES_STAGE_INPUT) {
        ly_error_set(e, LY_EDENIED, viol->v[i].rule->code, viol->v[i].rule->en, viol->v[i].rule->zh);
        if (e) snprintf(e->field, sizeof e->field, "%s", viol->v[i].field);
        rc = LY_EDENIED;
      }
  }
  free(f);
  return rc;
}

struct rx_draft_job {
  struct rx_rec p;
  struct rules_result viol;
};

static int rx_create_tx(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_in *in,
                        struct rx_draft_job *j, struct ly_error *e) {
  int rc = rx_prepare(cx, who, in, 1, &j->p, e);
  if (rc == 0) rc = rx_judge(cx, who, &j->p, &j->viol, e);
  if (rc == 0) rc = ly_id_new("rx", j->p.id, sizeof j->p.id);
  if (rc == 0) rc = rx_insert(cx, &j->p);
  if (rc == 0)
    rc = records_audit(&cx->rec, who, "rx.create", j->p.patient_id, "prescription", j->p.id, "ok", NULL);
  return rc;
}

static void rx_copy_viol(struct rules_result *dst, const struct rules_result *src) {
  if (dst) *dst = *src;
}

int prescription_create(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_in *in,
                        char id_out[LY_ID_MAX], struct rules_result *viol, struct ly_error *e) {
  ly_error_clear(e);
  struct rx_draft_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, rx_create_tx(cx, who, in, j, e));
  if (rc == 0) snprintf(id_out, LY_ID_MAX, "%s", j->p.id);
  rx_copy_viol(viol, &j->viol);
  free(j);
  return records_done(e, rc);
}

static int rx_may_edit(const struct records_actor *who, const struct rx_rec *p, struct ly_error *e) {
  if (!records_is(who, "doctor") || strcmp(who->id, p->doctor_id) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "rx.not_prescriber",
                        "Only the prescribing doctor may change this prescription.",
                        "只有开方医师可以修改该处方。");
  if (strcmp(p->state, "draft") != 0 && strcmp(p->state, "returned") != 0) {
    ly_error_setf(e, LY_ESTATE, "rx.illegal_transition", "A prescription that is %s cannot be edited.",
                  p->state);
    if (e) snprintf(e->message_zh, sizeof e->message_zh, "处方当前状态为 %s，不能修改。", p->state);
    return LY_ESTATE;
  }
  return 0;
}

static int rx_update_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const struct prescription_in *in, struct rx_draft_job *j, struct ly_error *e) {
  struct rx_rec *old = malloc(sizeof *old);
  if (!old) return LY_ENOMEM;
  int rc = rx_load(cx, id, old, e);
  if (rc == 0) rc = rx_may_edit(who, old, e);
  if (rc == 0 && in->patient_id && strcmp(in->patient_id, old->patient_id) != 0)
    rc = ly_error_set(e, LY_EINVAL, "rx.patient_immutable", "A prescription cannot move to another patient.",
                      "处方不能改为其他患者。");
  struct prescription_in copy = *in;
  copy.patient_id = old->patient_id;
  copy.consultation_id = NULL; /* the consultation stays; its guardian comes back below */
  if (rc == 0) rc = rx_prepare(cx, who, &copy, 0, &j->p, e);
  if (rc == 0) {
    memcpy(j->p.id, old->id, sizeof j->p.id);
    memcpy(j->p.state, old->state, sizeof j->p.state);
    memcpy(j->p.consultation_id, old->consultation_id, sizeof j->p.consultation_id);
    memcpy(j->p.renewal_of, old->renewal_of, sizeof j->p.renewal_of);
    memcpy(j->p.facility_id, old->facility_id, sizeof j->p.facility_id);
    j->p.revision = old->revision;
    if (j->p.consultation_id[0]) rc = rx_consultation(cx, who, &j->p, e);
  }
  free(old);
  if (rc == 0) rc = rx_judge(cx, who, &j->p, &j->viol, e);
  if (rc == 0) rc = rx_update_content(cx, who, &j->p);
  if (rc == 0)
    rc = records_audit(&cx->rec, who, "rx.update", j->p.patient_id, "prescription", j->p.id, "ok", NULL);
  return rc;
}

int prescription_update(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const struct prescription_in *in, struct rules_result *viol, struct ly_error *e) {
  ly_error_clear(e);
  struct rx_draft_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, rx_update_tx(cx, who, id, in, j, e));
  rx_copy_viol(viol, &j->viol);
  free(j);
  return records_done(e, rc);
}

static int rx_check_tx(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_in *in,
                       struct rx_draft_job *j, struct ly_error *e) {
  int rc = rx_prepare(cx, who, in, 0, &j->p, e);
  if (rc) return rc;
  struct rx_facts *f = malloc(sizeof *f);
  if (!f) return LY_ENOMEM;
  rc = rx_facts(cx, &j->p, who, NULL, f, e);
  if (rc == 0) rules_check(&f->d, &cx->rules, RULES_STAGE_DRAFT, &j->viol);
  free(f);
  if (rc == 0)
    rc = records_audit(&cx->rec, who, "rx.check", j->p.patient_id, "prescription", NULL, "ok", NULL);
  return rc;
}

int prescription_check(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_in *in,
                       struct rules_result *viol, struct ly_error *e) {
  ly_error_clear(e);
  struct rx_draft_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, rx_check_tx(cx, who, in, j, e));
  rx_copy_viol(viol, &j->viol);
  free(j);
  return records_done(e, rc);
}

static int rx_cancel_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const char *reason, struct ly_error *e) {
  static const char *sql = "UPDATE prescriptions SET cancel_reason = ?2 WHERE id = ?1";
  struct rx_rec *p = malloc(sizeof *p);
  if (!p) return LY_ENOMEM;
  int rc = rx_load(cx, id, p, e);
  int was_ready = rc == 0 && strcmp(p->state, "ready") == 0;
  if (rc == 0) rc = prescription_move(cx, who, p, "cancel", reason, e);
  sqlite3_stmt *st = rc == 0 ? ly_db_stmt(cx->rec.db, sql) : NULL;
  if (rc == 0 && !st) rc = LY_EDB;
  if (st) {
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, reason);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : LY_EDB;
    sqlite3_reset(st);
  }
  char account[LY_ID_MAX] = "";
  if (rc == 0 && was_ready) rc = rx_patient_account(cx, p->patient_id, account);
  if (rc == 0 && account[0]) rc = rx_notice(cx, account, "rx.cancelled", id, NULL);
  free(p);
  return rc;
}

int prescription_cancel(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const char *reason, struct ly_error *e) {
  ly_error_clear(e);
  int rc = records_text_check(reason, RX_NOTE_MAX, 1, "reason", e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->rec.db))) return records_done(e, rc);
  return records_done(e, records_finish(cx->rec.db, rx_cancel_tx(cx, who, id, reason, e)));
}
