/* signalling/ws_room.c — rooms and chat over the socket: room.join,
 * room.leave, chat.send, chat.history (the media.* messages are ws_media.c's).
 *
 * A participant joins once the doctor has called (called or in_call); when
 * the patient and the doctor are both in, the consultation goes in_call.
 * Joining replies with the participants and the chat history, and tells the
 * others (room.joined). Chat is open while called or in_call.
 */
#include <string.h>

#include "core/json.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

static int load(struct sig *s, struct sig_conn *c, const char *cid, struct consult_row *row,
                struct ly_error *e) {
  struct consult_actor who;
  ws_actor(c->peer, &who);
  int rc = consult_load(s->host.db, cid, row);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ENOTFOUND, "consult.not_found", "No such consultation.", "没有这个问诊。");
  if (rc != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  return consult_access(s->host.db, row, &who, 0, e);
}

static int not_joined(struct ly_error *e) {
  return ly_error_set(e, LY_EFORBIDDEN, "room.not_joined", "Join the consultation room first.",
                      "请先进入问诊室。");
}

static int room_open(enum lc_state st) {
  return st == LC_CALLED || st == LC_IN_CALL;
}

/* Both sides are in a called room: the call starts. */
static void maybe_start(struct sig *s, struct sig_room *r, struct consult_row *row) {
  struct consult_actor sys = {.id = "system", .role = "system"};
  struct ly_error e;
  if (row->state != LC_CALLED || !room_has_account(r, row->doctor_id) ||
      !room_has_account(r, row->patient_account))
    return;
  ly_error_clear(&e);
  if (consult_transition(s->host.db, s->host.clock, &sys, row->id, LC_START, NULL, row, &e) == 0)
    notify_state(s, row->id, "called", "in_call", NULL);
}

static void announce_join(struct sig *s, struct sig_room *r, struct sig_peer *p) {
  const struct sig_account *a = &p->acct->a;
  json_t *d = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "consultation_id", r->id, "participant",
                        "account_id", a->id, "role", a->role, "name", a->name, "name_en", a->name_en);
  room_event(s, r, "room.joined", d, p);
  json_decref(d);
}

int ws_room_join(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  struct consult_row row;
  struct sig_room *r;
  json_t *chat;
  int rc = ws_cid(data, &cid, e);
  if (rc != 0 || (rc = load(s, c, cid, &row, e)) != 0) return rc;
  if (c->peer->acct->is_doctor && !c->peer->verified)
    return ly_error_set(e, LY_EFORBIDDEN, "consult.doctor_not_verified",
                        "Confirm your identity (enter your password again) first.",
                        "请先完成实名核验（再次输入密码）。");
  if (!room_open(row.state))
    return ly_error_set(e, LY_ESTATE, "room.closed",
                        "This consultation room is not open (not called, or over).",
                        "问诊室未开放（尚未叫号或已结束）。");
  r = room_get(s, cid);
  int was_in = r != NULL && room_has_account(r, c->peer->acct->a.id);
  if (room_join(s, cid, row.doctor_id, row.patient_account, row.state, c->peer, &r) != 0)
    return ly_error_set(e, LY_ETOOBIG, "room.full", "The room is full, or you are in too many rooms.",
                        "房间已满，或您同时所在的房间过多。");
  if (!was_in) announce_join(s, r, c->peer);
  maybe_start(s, r, &row);
  if ((rc = chat_history(s, &c->peer->acct->a, cid, row.patient_id, 0, SIG_HISTORY_MAX, &chat)) != 0)
    return ly_error_set(e, rc, NULL, NULL, NULL);
  *reply = json_pack("{s:o, s:o, s:o}", "consultation", consult_json(&row), "participants",
                     room_participants(r), "chat", chat);
  return 0;
}

int ws_room_leave(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  struct consult_row row;
  int rc = ws_cid(data, &cid, e);
  if (rc != 0 || (rc = load(s, c, cid, &row, e)) != 0) return rc;
  struct sig_room *r = room_get(s, cid);
  if ((r == NULL || !room_has(r, c->peer)) && !lifecycle_is_final(row.state)) return not_joined(e);
  if (r != NULL && room_has(r, c->peer))
    room_leave(s, r, c->peer, "left"); /* over: the room is already shut */
  *reply = json_pack("{s:s}", "consultation_id", cid);
  return 0;
}

int ws_room_chat(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid, *text;
  struct consult_row row;
  json_t *msg;
  int rc = ws_cid(data, &cid, e);
  if (rc == 0) rc = ly_json_get_str(data, "text", SIG_CHAT_MAX, 1, &text, e);
  if (rc != 0 || (rc = load(s, c, cid, &row, e)) != 0) return rc;
  if (!room_open(row.state))
    return ly_error_set(e, LY_ESTATE, "chat.closed", "Chat is closed: the consultation is not in a call.",
                        "当前不在问诊中，不能发送消息。");
  struct sig_room *r = room_get(s, cid);
  if (r == NULL || !room_has(r, c->peer)) return not_joined(e);
  if ((rc = chat_store(s, &c->peer->acct->a, cid, row.patient_id, text, &msg, e)) != 0) return rc;
  json_t *d = json_pack("{s:s, s:O}", "consultation_id", cid, "message", msg);
  room_event(s, r, "chat.message", d, c->peer);
  json_decref(d);
  *reply = json_pack("{s:o}", "message", msg);
  return 0;
}

int ws_room_history(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  int64_t before = 0, limit = 50;
  struct consult_row row;
  json_t *items;
  int rc = ws_cid(data, &cid, e);
  if (rc == 0) rc = ly_json_get_int(data, "before", 0, INT64_MAX, 0, &before, e);
  if (rc == 0) rc = ly_json_get_int(data, "limit", 1, SIG_HISTORY_MAX, 0, &limit, e);
  if (rc != 0 || (rc = load(s, c, cid, &row, e)) != 0) return rc;
  if ((rc = chat_history(s, &c->peer->acct->a, cid, row.patient_id, before, (int)limit, &items)) != 0)
    return ly_error_set(e, rc, NULL, NULL, NULL);
  *reply = json_pack("{s:s, s:o}", "consultation_id", cid, "items", items);
  return 0;
}
