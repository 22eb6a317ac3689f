/* referral/referral_flow.c — referral_transition: the state machine's table
 * (referral_fsm.c) applied to a stored referral, with its effects: a slot
 * taken or freed, the episode closed, the down-referral's care plan made in
 * the GP's name — all in one transaction with the event row and the audit.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/careplan.h"
#include "records/records.h"
#include "referral/referral_internal.h"

struct flow {
  const struct referral_ctx *cx;
  const struct referral_actor *who;
  const struct referral_act *act;
  struct ref_row row;
  enum referral_state to;
  int slot_mode; /* 0 keep, 1 set, 2 clear */
  char slot[LY_ID_MAX];
  int64_t scheduled_for;
  char plan[LY_ID_MAX];
  struct ly_error *e;
};

static const char sql_update[] =
    "UPDATE referrals SET state = ?2, updated_at = ?3,"
    " accepted_by = COALESCE(?4, accepted_by), state_reason = COALESCE(?5, state_reason),"
    " outcome = COALESCE(?6, outcome),"
    " slot_id = CASE ?7 WHEN 1 THEN ?8 WHEN 2 THEN NULL ELSE slot_id END,"
    " scheduled_for = CASE ?7 WHEN 1 THEN ?9 WHEN 2 THEN NULL ELSE scheduled_for END,"
    " care_plan_id = COALESCE(?10, care_plan_id) WHERE id = ?1 AND state = ?11";

static int is_receiver_event(enum referral_event ev) {
  return ev != REFERRAL_CANCEL;
}

/* Someone with no part in the referral at all. */
static int refuse_stranger(struct flow *f) {
  const struct ref_row *r = &f->row;
  if (ref_is(f->who, "patient")) return ref_patient_only(f->who, r->patient_id, f->e);
  if (ref_is(f->who, "doctor") && r->direction == REFERRAL_UP && is_receiver_event(f->act->ev))
    return ly_error_set(f->e, LY_EFORBIDDEN, "referral.other_department",
                        "Only a doctor of the receiving department may act on this referral.",
                        "只有接诊科室的医生可以处理该转诊，不能代其他科室操作。");
  return ly_error_set(f->e, LY_EFORBIDDEN, "referral.not_party", "You are not a party to this referral.",
                      "您不是该转诊的相关方。");
}

static int refuse_fsm(struct flow *f, int rc, unsigned needed) {
  const char *state = referral_state_name(f->row.state), *ev = referral_event_name(f->act->ev);
  if (rc == LY_ESTATE) {
    ly_error_setf(f->e, LY_ESTATE, "referral.illegal_transition",
                  "A referral that is %s cannot be given '%s'.", state, ev);
    snprintf(f->e->message_zh, sizeof f->e->message_zh, "转诊当前状态为 %s，不能执行“%s”。", state, ev);
    return LY_ESTATE;
  }
  if (needed & REFERRAL_RECEIVER)
    return ly_error_set(f->e, LY_EFORBIDDEN, "referral.wrong_party",
                        "Only the receiving department or doctor may do this.", "只有接诊方可以执行此操作。");
  return ly_error_set(f->e, LY_EFORBIDDEN, "referral.wrong_party",
                      "Only the referring doctor or the patient may cancel a referral.",
                      "只有转诊医生或患者本人可以取消转诊。");
}

static int require_text(struct flow *f, const char *s, const char *field) {
  if (s && s[0]) return 0;
  ly_error_set(f->e, LY_EINVAL, "request.missing_field", "Say why, or summarise the visit.",
               "请填写原因或就诊小结。");
  snprintf(f->e->field, sizeof f->e->field, "%s", field);
  return LY_EINVAL;
}

/* The down-referral's plan, made in the accepting GP's name. */
static int flow_careplan(struct flow *f) {
  static const char *sql_plan = "SELECT COALESCE(plan_note, ''), follow_up_days FROM referrals WHERE id = ?1";
  static const char *sql_targets =
      "SELECT kind, low1, high1, low2, high2 FROM referral_plan_targets WHERE referral_id = ?1 ORDER BY kind";
  struct careplan_target t[CAREPLAN_MAX_TARGETS];
  char kinds[CAREPLAN_MAX_TARGETS][16], note[1100] = "";
  size_t n = 0;
  sqlite3_stmt *st = ly_db_stmt(f->cx->db, sql_plan);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, f->row.id);
  int rc = sqlite3_step(st), days = 0;
  if (rc == SQLITE_ROW) {
    ref_copy(note, sizeof note, ly_db_col_text(st, 0));
    days = sqlite3_column_int(st, 1);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return ly_db_rc(f->cx->db, rc);
  if (!(st = ly_db_stmt(f->cx->db, sql_targets))) return LY_EDB;
  ly_db_bind_text(st, 1, f->row.id);
  while (n < CAREPLAN_MAX_TARGETS && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    ref_copy(kinds[n], sizeof kinds[n], ly_db_col_text(st, 0));
    int has[4];
    double v[4];
    for (int k = 0; k < 4; k++) {
      has[k] = sqlite3_column_type(st, k + 1) != SQLITE_NULL;
      v[k] = sqlite3_column_double(st, k + 1);
    }
    t[n] = (struct careplan_target){kinds[n], has[0], has[1], has[2], has[3], v[0], v[1], v[2], v[3]};
    n++;
  }
  sqlite3_reset(st);
  struct records_ctx rcx;
  struct ref_doctor gp;
  ref_records_ctx(f->cx, &rcx);
  if ((rc = ref_doctor_load(f->cx->db, f->who->id, &gp))) return rc;
  struct records_actor ra = {f->who->id, "doctor", gp.facility_id};
  struct careplan_new in = {f->row.patient_id, f->row.icd10, days, note, t, n};
  return careplan_create(&rcx, &ra, &in, f->plan, f->e);
}

static int flow_effects(struct flow *f) {
  const struct ref_row *r = &f->row;
  int rc = 0;
  switch (f->act->ev) {
    case REFERRAL_SCHEDULE:
      f->slot_mode = 1;
      return slot_take(f->cx, r->to_department_id, r->id, f->act->slot_id, f->slot, &f->scheduled_for, f->e);
    case REFERRAL_ACCEPT:
      return r->direction == REFERRAL_DOWN ? flow_careplan(f) : 0;
    case REFERRAL_REJECT:
      if ((rc = require_text(f, f->act->reason, "reason"))) return rc;
      return r->direction == REFERRAL_UP ? episode_close(f->cx, r->episode_id) : 0;
    case REFERRAL_CANCEL:
      if (r->state == REFERRAL_SCHEDULED) {
        f->slot_mode = 2;
        if ((rc = slot_release(f->cx, r->id))) return rc;
      }
      return r->direction == REFERRAL_UP ? episode_close(f->cx, r->episode_id) : 0;
    case REFERRAL_COMPLETE:
      if (r->direction == REFERRAL_UP) return require_text(f, f->act->outcome, "outcome");
      return episode_close(f->cx, r->episode_id);
    default:
      return 0;
  }
}

static int flow_update(struct flow *f) {
  const struct referral_act *a = f->act;
  sqlite3_stmt *st = ly_db_stmt(f->cx->db, sql_update);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, f->row.id);
  ly_db_bind_text(st, 2, referral_state_name(f->to));
  ly_db_bind_int(st, 3, ly_now_ms(f->cx->clock));
  ly_db_bind_text(st, 4, a->ev == REFERRAL_ACCEPT ? f->who->id : NULL);
  ly_db_bind_text(st, 5, a->reason && a->reason[0] ? a->reason : NULL);
  ly_db_bind_text(st, 6, a->ev == REFERRAL_COMPLETE && a->outcome && a->outcome[0] ? a->outcome : NULL);
  ly_db_bind_int(st, 7, f->slot_mode);
  ly_db_bind_text(st, 8, f->slot);
  ly_db_bind_int(st, 9, f->scheduled_for);
  ly_db_bind_text(st, 10, f->plan[0] ? f->plan : NULL);
  ly_db_bind_text(st, 11, referral_state_name(f->row.state));
  int rc = ref_step_done(f->cx->db, st);
  if (!rc && sqlite3_changes(ly_db_sqlite(f->cx->db)) != 1) rc = LY_ECONFLICT;
  return rc;
}

static int flow_run(struct flow *f, const char *id) {
  unsigned needed = 0;
  char action[40];
  int rc = ref_row_load(f->cx->db, id, &f->row);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(f->e, LY_ENOTFOUND, "referral.not_found", "No such referral.", "未找到该转诊。");
  if (rc) return rc;
  unsigned parties = ref_parties(f->cx->db, f->who, &f->row);
  if (parties == 0) return refuse_stranger(f);
  rc = referral_fsm_next(f->row.direction, f->row.state, f->act->ev, parties, &f->to, &needed);
  if (rc) return refuse_fsm(f, rc, needed);
  if ((rc = flow_effects(f)) || (rc = flow_update(f))) return rc;
  if ((rc = ref_event(f->cx, f->who, id, referral_state_name(f->row.state), referral_state_name(f->to),
                      f->act->reason)))
    return rc;
  snprintf(action, sizeof action, "referral.%s", referral_event_name(f->act->ev));
  return ref_audit(f->cx, f->who, action, f->row.patient_id, "referral", id, "ok",
                   referral_state_name(f->to));
}

int referral_transition(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                        const struct referral_act *act, struct ly_error *e) {
  struct flow f = {.cx = cx, .who = who, .act = act, .e = e};
  char action[40];
  ly_error_clear(e);
  int rc = ref_text(act->reason, REFERRAL_REASON_MAX, 0, "reason", e);
  if (!rc) rc = ref_text(act->outcome, REFERRAL_SUMMARY_MAX, 0, "outcome", e);
  if (!rc && referral_event_name(act->ev) == NULL) rc = LY_EINVAL;
  if (rc) return ref_done(e, rc);
  if ((rc = ly_db_begin(cx->db))) return ref_done(e, rc);
  rc = ref_finish(cx->db, flow_run(&f, id));
  if (rc && e->err) {
    snprintf(action, sizeof action, "referral.%s", referral_event_name(act->ev));
    ref_audit_refusal(cx, who, action, f.row.patient_id, "referral", id, e);
  }
  return ref_done(e, rc);
}
