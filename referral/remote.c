/* referral/remote.c — remote-consultation requests (remote.h). */
#include "referral/remote.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/note.h"
#include "records/records.h"
#include "referral/referral_internal.h"

enum { R_GP = 1, R_RCV = 2, R_SPEC = 4 };

struct rc_rule {
  enum remote_event ev;
  const char *from, *to;
  unsigned parties;
};

static const struct rc_rule rc_rules[] = {
    {REMOTE_ACCEPT, "requested", "accepted", R_RCV},    {REMOTE_REJECT, "requested", "rejected", R_RCV},
    {REMOTE_SCHEDULE, "accepted", "scheduled", R_SPEC}, {REMOTE_OPINION, "scheduled", "completed", R_SPEC},
    {REMOTE_CANCEL, "requested", "cancelled", R_GP},    {REMOTE_CANCEL, "accepted", "cancelled", R_GP},
    {REMOTE_CANCEL, "scheduled", "cancelled", R_GP},
};

static const char *const rc_event_names[] = {"accept", "reject", "schedule", "cancel", "opinion"};

struct rc_row {
  char id[LY_ID_MAX], patient_id[LY_ID_MAX], gp_id[LY_ID_MAX], department_id[LY_ID_MAX];
  char specialist_id[LY_ID_MAX], icd10[16], state[16], consultation_id[LY_ID_MAX], referral_id[LY_ID_MAX];
};

static int rc_load(struct ly_db *db, const char *id, struct rc_row *r) {
  static const char *sql =
      "SELECT patient_id, gp_id, department_id, COALESCE(specialist_id, ''), icd10, state,"
      " COALESCE(consultation_id, ''), COALESCE(referral_id, '') FROM remote_consultations WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    char *dst[] = {r->patient_id, r->gp_id, r->department_id,   r->specialist_id,
                   r->icd10,      r->state, r->consultation_id, r->referral_id};
    size_t sz[] = {LY_ID_MAX,       LY_ID_MAX,       LY_ID_MAX, LY_ID_MAX,
                   sizeof r->icd10, sizeof r->state, LY_ID_MAX, LY_ID_MAX};
    ref_copy(r->id, sizeof r->id, id);
    for (int i = 0; i < 8; i++)
      ref_copy(dst[i], sz[i], ly_db_col_text(st, i));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}

static unsigned rc_parties(struct ly_db *db, const struct referral_actor *who, const struct rc_row *r) {
  struct ref_doctor d;
  unsigned p = 0;
  if (!ref_is(who, "doctor")) return 0;
  if (strcmp(who->id, r->gp_id) == 0) p |= R_GP;
  if (r->specialist_id[0] && strcmp(who->id, r->specialist_id) == 0) p |= R_SPEC;
  if (ref_doctor_load(db, who->id, &d) == 0 && strcmp(d.department_id, r->department_id) == 0 &&
      (!r->specialist_id[0] || (p & R_SPEC)))
    p |= R_RCV;
  return p;
}

static int rc_not_found(struct ly_error *e) {
  return ly_error_set(e, LY_ENOTFOUND, "referral.not_found", "No such remote consultation.",
                      "未找到该远程会诊。");
}

static int rc_department(const struct referral_ctx *cx, const struct remote_new *in, int gp_rank,
                         struct ly_error *e) {
  static const char *sql =
      "SELECT f.level FROM departments d JOIN facilities f ON f.id = d.facility_id WHERE d.id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, in->department_id);
  int rc = sqlite3_step(st), rank = rc == SQLITE_ROW ? ref_level_rank(ly_db_col_text(st, 0)) : 0;
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "referral.department_not_found", "No such department.",
                        "没有这个科室。");
  if (rc != SQLITE_ROW) return ly_db_rc(cx->db, rc);
  if (rank <= gp_rank)
    return ly_error_set(e, LY_EDENIED, "referral.wrong_level",
                        "A remote consultation asks a department of a higher-level facility.",
                        "远程会诊须邀请上级医疗机构的科室。");
  struct ref_doctor s;
  if (in->specialist_id && in->specialist_id[0] &&
      (ref_doctor_load(cx->db, in->specialist_id, &s) != 0 ||
       strcmp(s.department_id, in->department_id) != 0))
    return ly_error_set(e, LY_EINVAL, "referral.specialist_invalid",
                        "The specialist is not in that department.", "该专家不属于所选科室。");
  return 0;
}

static int rc_validate(const struct referral_ctx *cx, const struct referral_actor *who,
                       const struct remote_new *in, struct ref_doctor *gp, struct ly_error *e) {
  int rc;
  if (!ref_is(who, "doctor") || ref_doctor_load(cx->db, who->id, gp) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "referral.doctor_only",
                        "Only a doctor may ask for a remote consultation.", "只有医生可以申请远程会诊。");
  if (!in->location || (strcmp(in->location, "centre") != 0 && strcmp(in->location, "home") != 0))
    return ly_error_set(e, LY_EINVAL, "referral.location_invalid", "The patient is at the centre or at home.",
                        "患者所在地须为 centre（社区中心）或 home（家中）。");
  if ((rc = records_icd10_check(in->icd10, "icd10", e)) ||
      (rc = ref_text(in->question, REMOTE_TEXT_MAX, 1, "question", e)))
    return rc;
  int p = in->patient_id ? ref_patient_exists(cx->db, in->patient_id) : 0;
  if (p < 0) return p;
  if (p == 0)
    return ly_error_set(e, LY_ENOTFOUND, "referral.patient_not_found", "No such patient.", "未找到该患者。");
  return rc_department(cx, in, gp->rank, e);
}

static int rc_insert(const struct referral_ctx *cx, const struct referral_actor *who,
                     const struct ref_doctor *gp, const struct remote_new *in, const char *id) {
  static const char *sql =
      "INSERT INTO remote_consultations (id, patient_id, gp_id, gp_facility_id, department_id, specialist_id,"
      " icd10, question, patient_location, state, requested_at, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, upper(?7), ?8, ?9, 'requested', ?10, ?10)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  const char *v[] = {id,
                     in->patient_id,
                     who->id,
                     gp->facility_id,
                     in->department_id,
                     in->specialist_id && in->specialist_id[0] ? in->specialist_id : NULL,
                     in->icd10,
                     in->question,
                     in->location};
  for (int i = 0; i < 9; i++)
    ly_db_bind_text(st, i + 1, v[i]);
  ly_db_bind_int(st, 10, ly_now_ms(cx->clock));
  int rc = ref_step_done(cx->db, st);
  if (!rc) rc = ref_audit(cx, who, "remote.create", in->patient_id, "remote_consultation", id, "ok", NULL);
  return rc;
}

int remote_request(const struct referral_ctx *cx, const struct referral_actor *who,
                   const struct remote_new *in, char id_out[LY_ID_MAX], struct ly_error *e) {
  struct ref_doctor gp;
  ly_error_clear(e);
  int rc = rc_validate(cx, who, in, &gp, e);
  if (rc) {
    if (e->err) ref_audit_refusal(cx, who, "remote.create", in->patient_id, "remote_consultation", NULL, e);
    return ref_done(e, rc);
  }
  if ((rc = ly_db_begin(cx->db))) return ref_done(e, rc);
  rc = ly_id_new("remote", id_out, LY_ID_MAX);
  if (!rc) rc = rc_insert(cx, who, &gp, in, id_out);
  return ref_done(e, ref_finish(cx->db, rc));
}

/* ---- the call: a consultation of kind remote_consultation ------------------- */

static int rc_consultation(const struct referral_ctx *cx, const struct referral_actor *who,
                           const struct rc_row *r, char cid[LY_ID_MAX]) {
  static const char *sql_ins =
      "INSERT INTO consultations (id, patient_id, doctor_id, facility_id, department_id, kind, icd10, state,"
      " priority, booked_at, updated_at) SELECT ?1, ?2, d.account_id, d.facility_id, ?4, "
      "'remote_consultation',"
      " upper(?5), 'booked', 1, ?6, ?6 FROM doctors d WHERE d.account_id = ?3";
  static const char *sql_part =
      "INSERT OR IGNORE INTO consultation_participants (consultation_id, account_id, role)"
      " SELECT ?1, account_id, 'patient' FROM patients WHERE id = ?2 AND account_id IS NOT NULL"
      " UNION ALL SELECT ?1, ?3, 'doctor' UNION ALL SELECT ?1, ?4, 'specialist'";
  static const char *sql_event =
      "INSERT INTO consultation_events (consultation_id, seq, at, actor_id, from_state, to_state, reason)"
      " VALUES (?1, 1, ?2, ?3, NULL, 'booked', 'remote_consultation')";
  int64_t now = ly_now_ms(cx->clock);
  int rc = ly_id_new("con", cid, LY_ID_MAX);
  sqlite3_stmt *st = rc ? NULL : ly_db_stmt(cx->db, sql_ins);
  if (!st) return rc ? rc : LY_EDB;
  const char *v[] = {cid, r->patient_id, who->id, r->department_id, r->icd10};
  for (int i = 0; i < 5; i++)
    ly_db_bind_text(st, i + 1, v[i]);
  ly_db_bind_int(st, 6, now);
  if ((rc = ref_step_done(cx->db, st))) return rc;
  if (!(st = ly_db_stmt(cx->db, sql_part))) return LY_EDB;
  const char *w[] = {cid, r->patient_id, r->gp_id, who->id};
  for (int i = 0; i < 4; i++)
    ly_db_bind_text(st, i + 1, w[i]);
  if ((rc = ref_step_done(cx->db, st))) return rc;
  if (!(st = ly_db_stmt(cx->db, sql_event))) return LY_EDB;
  ly_db_bind_text(st, 1, cid);
  ly_db_bind_int(st, 2, now);
  ly_db_bind_text(st, 3, who->id);
  return ref_step_done(cx->db, st);
}

/* Cancel the call when it has not started (booked or waiting). */
static int rc_consultation_cancel(const struct referral_ctx *cx, const struct referral_actor *who,
                                  const char *cid) {
  static const char *sql_event =
      "INSERT INTO consultation_events (consultation_id, seq, at, actor_id, from_state, to_state, reason)"
      " SELECT id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM consultation_events WHERE consultation_id = ?1), "
      "?2,"
      " ?3, state, 'cancelled', 'remote_cancelled' FROM consultations WHERE id = ?1 AND state IN "
      "('booked','waiting')";
  static const char *sql_upd =
      "UPDATE consultations SET state = 'cancelled', end_reason = 'remote_cancelled', updated_at = ?2"
      " WHERE id = ?1 AND state IN ('booked','waiting')";
  if (!cid[0]) return 0;
  int rc = 0;
  for (int i = 0; rc == 0 && i < 2; i++) {
    sqlite3_stmt *st = ly_db_stmt(cx->db, i == 0 ? sql_event : sql_upd);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, cid);
    ly_db_bind_int(st, 2, ly_now_ms(cx->clock));
    if (i == 0) ly_db_bind_text(st, 3, who->id);
    rc = ref_step_done(cx->db, st);
  }
  return rc;
}

/* The specialist's opinion, as the consultation's signed note. */
static int rc_opinion(const struct referral_ctx *cx, const struct referral_actor *who, const struct rc_row *r,
                      const struct remote_act *a, char note[LY_ID_MAX], struct ly_error *e) {
  static const char *sql_q = "SELECT question FROM remote_consultations WHERE id = ?1";
  struct records_ctx rcx;
  struct ref_doctor d;
  char question[2001] = "";
  int rc = ref_text(a->opinion, REMOTE_TEXT_MAX, 1, "opinion", e);
  if (!rc) rc = ref_text(a->advice, REMOTE_TEXT_MAX, 0, "advice", e);
  if (!rc) rc = ref_doctor_load(cx->db, who->id, &d);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_q);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, r->id);
  if (sqlite3_step(st) == SQLITE_ROW) ref_copy(question, sizeof question, ly_db_col_text(st, 0));
  sqlite3_reset(st);
  ref_records_ctx(cx, &rcx);
  struct records_actor ra = {who->id, "doctor", d.facility_id};
  const char *dx[] = {r->icd10};
  struct note_input in = {question, "", a->opinion, a->advice ? a->advice : "", dx, 1, "remote opinion"};
  if ((rc = note_save(&rcx, &ra, r->consultation_id, &in, note, e))) return rc;
  return note_sign(&rcx, &ra, note, e);
}

struct rc_step {
  const struct referral_ctx *cx;
  const struct referral_actor *who;
  const struct remote_act *act;
  struct rc_row row;
  const char *to;
  char consultation[LY_ID_MAX], note[LY_ID_MAX];
  struct ly_error *e;
};

static int rc_effects(struct rc_step *s) {
  const struct remote_act *a = s->act;
  switch (a->ev) {
    case REMOTE_REJECT:
      if (a->reason && a->reason[0]) return 0;
      return ly_error_set(s->e, LY_EINVAL, "request.missing_field", "Say why.", "请填写原因。");
    case REMOTE_SCHEDULE:
      if (a->at <= ly_now_ms(s->cx->clock))
        return ly_error_set(s->e, LY_EINVAL, "referral.time_in_past", "Schedule the call in the future.",
                            "会诊时间须晚于现在。");
      return rc_consultation(s->cx, s->who, &s->row, s->consultation);
    case REMOTE_CANCEL:
      return rc_consultation_cancel(s->cx, s->who, s->row.consultation_id);
    case REMOTE_OPINION:
      return rc_opinion(s->cx, s->who, &s->row, a, s->note, s->e);
    default:
      return 0;
  }
}

static int rc_update(struct rc_step *s) {
  static const char *sql =
      "UPDATE remote_consultations SET state = ?2, updated_at = ?3,"
      " specialist_id = CASE WHEN ?4 = 1 THEN ?5 ELSE specialist_id END,"
      " scheduled_for = COALESCE(?6, scheduled_for), consultation_id = COALESCE(?7, consultation_id),"
      " opinion = COALESCE(?8, opinion), note_id = COALESCE(?9, note_id),"
      " state_reason = COALESCE(?10, state_reason) WHERE id = ?1 AND state = ?11";
  const struct remote_act *a = s->act;
  sqlite3_stmt *st = ly_db_stmt(s->cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, s->row.id);
  ly_db_bind_text(st, 2, s->to);
  ly_db_bind_int(st, 3, ly_now_ms(s->cx->clock));
  ly_db_bind_int(st, 4, a->ev == REMOTE_ACCEPT);
  ly_db_bind_text(st, 5, s->who->id);
  if (a->ev == REMOTE_SCHEDULE) ly_db_bind_int(st, 6, a->at);
  ly_db_bind_text(st, 7, s->consultation[0] ? s->consultation : NULL);
  ly_db_bind_text(st, 8, a->ev == REMOTE_OPINION ? a->opinion : NULL);
  ly_db_bind_text(st, 9, s->note[0] ? s->note : NULL);
  ly_db_bind_text(st, 10, a->reason && a->reason[0] ? a->reason : NULL);
  ly_db_bind_text(st, 11, s->row.state);
  int rc = ref_step_done(s->cx->db, st);
  if (!rc && sqlite3_changes(ly_db_sqlite(s->cx->db)) != 1) rc = LY_ECONFLICT;
  return rc;
}

static int rc_refuse(struct rc_step *s, unsigned parties, unsigned want) {
  struct ly_error *e = s->e;
  const char *ev = rc_event_names[s->act->ev];
  if (parties == 0 && ref_is(s->who, "doctor") && s->act->ev != REMOTE_CANCEL)
    return ly_error_set(e, LY_EFORBIDDEN, "referral.other_department",
                        "Only the asked department (or the named specialist) may act on this request.",
                        "只有受邀科室（或指定专家）可以处理该会诊申请。");
  if (parties == 0)
    return ly_error_set(e, LY_EFORBIDDEN, "referral.not_party",
                        "You are not a party to this remote consultation.", "您不是该远程会诊的相关方。");
  if (want == 0) {
    ly_error_setf(e, LY_ESTATE, "referral.illegal_transition",
                  "A remote consultation that is %s cannot be given '%s'.", s->row.state, ev);
    snprintf(e->message_zh, sizeof e->message_zh, "远程会诊当前状态为 %s，不能执行“%s”。", s->row.state, ev);
    return LY_ESTATE;
  }
  return ly_error_set(e, LY_EFORBIDDEN, "referral.wrong_party",
                      "You may not do this on this remote consultation.", "您不能对该远程会诊执行此操作。");
}

static int rc_run(struct rc_step *s, const char *id) {
  char action[32];
  unsigned want = 0;
  int rc = rc_load(s->cx->db, id, &s->row);
  if (rc == LY_ENOTFOUND) return rc_not_found(s->e);
  if (rc) return rc;
  unsigned parties = rc_parties(s->cx->db, s->who, &s->row);
  for (size_t i = 0; !s->to && i < sizeof rc_rules / sizeof rc_rules[0]; i++) {
    if (rc_rules[i].ev != s->act->ev || strcmp(rc_rules[i].from, s->row.state) != 0) continue;
    want |= rc_rules[i].parties;
    if (rc_rules[i].parties & parties) s->to = rc_rules[i].to;
  }
  if (!s->to) return rc_refuse(s, parties, want);
  if ((rc = rc_effects(s)) || (rc = rc_update(s))) return rc;
  snprintf(action, sizeof action, "remote.%s", rc_event_names[s->act->ev]);
  return ref_audit(s->cx, s->who, action, s->row.patient_id, "remote_consultation", id, "ok", s->to);
}

int remote_step(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                const struct remote_act *act, struct ly_error *e) {
  struct rc_step s = {.cx = cx, .who = who, .act = act, .e = e};
  char action[32];
  ly_error_clear(e);
  if ((unsigned)act->ev > REMOTE_OPINION) return ref_done(e, LY_EINVAL);
  int rc = ref_text(act->reason, REFERRAL_REASON_MAX, 0, "reason", e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->db))) return ref_done(e, rc);
  rc = ref_finish(cx->db, rc_run(&s, id));
  if (rc && e->err) {
    snprintf(action, sizeof action, "remote.%s", rc_event_names[act->ev]);
    ref_audit_refusal(cx, who, action, s.row.patient_id, "remote_consultation", id, e);
  }
  return ref_done(e, rc);
}
