/* signalling/ws_call.c — the queue and the call lifecycle over the socket:
 * queue.check_in / queue.leave / queue.get (patients), call.next /
 * call.patient / call.end / call.no_show (doctors), call.cancel (both).
 * Each transition goes through consult_transition (one transaction with its
 * event row and audit entry), then notify_state tells everyone concerned.
 */
#include <string.h>

#include "core/db.h"
#include "core/json.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

static const char sql_first_waiting[] =
    "SELECT id FROM consultations WHERE doctor_id = ?1 AND state = 'waiting'"
    " ORDER BY priority DESC, booked_at ASC, id ASC LIMIT 1";

/* Load a consultation the session may see (write: may act on). */
static int load_visible(struct sig *s, struct sig_conn *c, const char *cid, int write,
                        struct consult_row *row, struct ly_error *e) {
  struct consult_actor who;
  ws_actor(c->peer, &who);
  int rc = consult_load(s->host.db, cid, row);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ENOTFOUND, "consult.not_found", "No such consultation.", "没有这个问诊。");
  if (rc != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  return consult_access(s->host.db, row, &who, write, e);
}

/* Apply ev as this session, then tell everyone. */
static int step(struct sig *s, struct sig_conn *c, const char *cid, enum lc_event ev, const char *reason,
                struct consult_row *after, struct ly_error *e) {
  struct consult_actor who;
  struct consult_row before;
  ws_actor(c->peer, &who);
  int rc = load_visible(s, c, cid, 0, &before, e);
  if (rc != 0) return rc;
  if ((rc = consult_transition(s->host.db, s->host.clock, &who, cid, ev, reason, after, e)) != 0) return rc;
  notify_state(s, cid, lifecycle_state_name(before.state), lifecycle_state_name(after->state), reason);
  return 0;
}

static int optional_reason(json_t *data, const char **reason, struct ly_error *e) {
  return ly_json_get_str(data, "reason", CONSULT_REASON_MAX, 0, reason, e);
}

int ws_call_check_in(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  struct consult_row row;
  int rc = ws_cid(data, &cid, e);
  if (rc != 0) return rc;
  if ((rc = load_visible(s, c, cid, 1, &row, e)) != 0) return rc;
  if (row.state != LC_WAITING && (rc = step(s, c, cid, LC_CHECK_IN, NULL, &row, e)) != 0) return rc;
  snprintf(c->peer->waiting, sizeof(c->peer->waiting), "%s", cid);
  rc = queue_position(s, row.doctor_id, cid, reply);
  return rc ? ly_error_set(e, rc, NULL, NULL, NULL) : 0;
}

int ws_call_leave(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  struct consult_row row;
  int rc = ws_cid(data, &cid, e);
  if (rc != 0 || (rc = step(s, c, cid, LC_LEAVE, "left", &row, e)) != 0) return rc;
  *reply = json_pack("{s:o}", "consultation", consult_json(&row));
  return 0;
}

int ws_call_queue(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  struct consult_row row;
  int rc;
  if (c->peer->acct->is_doctor) {
    json_t *items;
    if ((rc = queue_items(s, c->peer->acct->a.id, &items)) != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
    *reply = json_pack("{s:s, s:o, s:I}", "doctor_id", c->peer->acct->a.id, "items", items,
                       "mean_duration_ms", (json_int_t)queue_mean_duration(s, c->peer->acct->a.id));
    return 0;
  }
  if ((rc = ws_cid(data, &cid, e)) != 0 || (rc = load_visible(s, c, cid, 0, &row, e)) != 0) return rc;
  if ((rc = queue_position(s, row.doctor_id, cid, reply)) != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  json_object_set_new(*reply, "state", json_string(lifecycle_state_name(row.state)));
  return 0;
}

static int need_verified(struct sig_conn *c, struct ly_error *e) {
  if (c->peer->verified) return 0;
  return ly_error_set(e, LY_EFORBIDDEN, "consult.doctor_not_verified",
                      "Confirm your identity (enter your password again) before calling patients.",
                      "呼叫患者前请先完成实名核验（再次输入密码）。");
}

/* Call cid in: called, and the doctor's session joins the room. */
static int call_one(struct sig *s, struct sig_conn *c, const char *cid, json_t **reply, struct ly_error *e) {
  struct consult_row row;
  struct sig_room *r;
  int rc = step(s, c, cid, LC_CALL, NULL, &row, e);
  if (rc != 0) return rc;
  if (room_join(s, cid, row.doctor_id, row.patient_account, row.state, c->peer, &r) != 0)
    return ly_error_set(e, LY_ETOOBIG, "room.full", "You are in too many rooms; leave one first.",
                        "您同时所在的房间过多，请先离开一个。");
  *reply = json_pack("{s:o, s:o}", "consultation", consult_json(&row), "participants", room_participants(r));
  return 0;
}

int ws_call_next(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  char cid[LY_ID_MAX] = "";
  int rc = need_verified(c, e);
  if (rc != 0) return rc;
  sqlite3_stmt *st = ly_db_stmt(s->host.db, sql_first_waiting);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, c->peer->acct->a.id);
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(cid, sizeof(cid), "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (cid[0] == '\0')
    return ly_error_set(e, LY_ENOTFOUND, "consult.queue_empty", "Nobody is waiting.", "当前没有候诊患者。");
  return call_one(s, c, cid, reply, e);
}

int ws_call_patient(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  int rc = need_verified(c, e);
  if (rc == 0) rc = ws_cid(data, &cid, e);
  return rc ? rc : call_one(s, c, cid, reply, e);
}

static int simple_step(struct sig *s, struct sig_conn *c, json_t *data, enum lc_event ev, json_t **reply,
                       struct ly_error *e) {
  const char *cid, *reason = NULL;
  struct consult_row row;
  int rc = ws_cid(data, &cid, e);
  if (rc == 0) rc = optional_reason(data, &reason, e);
  if (rc == 0) rc = step(s, c, cid, ev, reason, &row, e);
  if (rc != 0) return rc;
  *reply = json_pack("{s:o}", "consultation", consult_json(&row));
  return 0;
}

int ws_call_end(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  return simple_step(s, c, data, LC_END, reply, e);
}

int ws_call_no_show(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  return simple_step(s, c, data, LC_MARK_NO_SHOW, reply, e);
}

int ws_call_cancel(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  return simple_step(s, c, data, LC_CANCEL, reply, e);
}
