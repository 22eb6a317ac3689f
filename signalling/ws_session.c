/* signalling/ws_session.c — messages about the session itself: auth (and
 * resume), ping, session.bye, the doctor's real-name re-verification and
 * presence. Helpers the other handler files share are here too.
 */
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/json.h"
#include "core/log.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

#define TOKEN_MAX    128
#define PASSWORD_MAX 256

static const char sql_password[] = "SELECT password_hash FROM accounts WHERE id = ?1 AND disabled = 0";

void ws_actor(const struct sig_peer *p, struct consult_actor *out) {
  out->id = p->acct->a.id;
  out->role = p->acct->a.role;
  out->patient_id = p->acct->a.patient_id;
}

int ws_cid(json_t *data, const char **out, struct ly_error *e) {
  return ly_json_get_str(data, "consultation_id", LY_ID_MAX - 1, 1, out, e);
}

static json_t *account_json(const struct sig_account *a) {
  return json_pack("{s:s, s:s, s:s, s:s}", "id", a->id, "role", a->role, "name", a->name, "name_en",
                   a->name_en);
}

static json_t *rooms_json(const struct sig_peer *p) {
  json_t *arr = json_array();
  for (int i = 0; i < SIG_PEER_ROOMS; i++)
    if (p->rooms[i] != NULL) json_array_append_new(arr, json_string(p->rooms[i]->id));
  return arr;
}

static json_t *session_json(struct sig *s, const struct sig_peer *p, const char *tok, int resumed,
                            int missed) {
  json_t *o = json_pack("{s:o, s:s, s:b, s:I, s:I, s:o, s:s?}", "account", account_json(&p->acct->a),
                        "resume_token", tok, "resumed", resumed, "resume_window_ms",
                        (json_int_t)s->host.resume_window_ms, "last_seq", (json_int_t)(p->next_seq - 1),
                        "rooms", rooms_json(p), "waiting", p->waiting[0] ? p->waiting : NULL);
  if (o != NULL && resumed) json_object_set_new(o, "missed", json_boolean(missed));
  if (o != NULL && p->acct->is_doctor) {
    json_object_set_new(o, "verified", json_boolean(p->verified));
    json_object_set_new(o, "presence", json_string(presence_name(p->acct->presence)));
  }
  return o;
}

/* Try to resume: 1 when done (*reply set), 0 to fall back to a new session
 * (*why says why the token did not work). */
static int try_resume(struct sig *s, struct sig_conn *c, const struct sig_account *acct, const char *tok,
                      int64_t last_seq, json_t **reply, const char **why) {
  struct sig_peer *p;
  int missed = 0;
  if (peer_find(s, tok, &p) != 0) {
    *why = "auth.resume_expired";
    return 0;
  }
  if (strcmp(p->acct->a.id, acct->id) != 0) {
    *why = "auth.resume_invalid";
    return 0;
  }
  peer_attach(s, p, c, (uint32_t)last_seq, &missed);
  *reply = session_json(s, p, tok, 1, missed);
  return 1;
}

int ws_session_auth(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *token = NULL, *resume = NULL, *lang = NULL, *why = NULL;
  int64_t last_seq = 0;
  struct sig_account acct;
  char tok[SIG_TOKEN_LEN + 1];
  struct sig_peer *p;

  int rc = ly_json_get_str(data, "token", TOKEN_MAX, 1, &token, e);
  if (rc == 0) rc = ly_json_get_str(data, "resume", 64, 0, &resume, e);
  if (rc == 0) rc = ly_json_get_int(data, "last_seq", 0, UINT32_MAX - 1, 0, &last_seq, e);
  if (rc == 0) rc = ly_json_get_str(data, "lang", 16, 0, &lang, e);
  if (rc != 0) return rc;
  if (lang != NULL) c->en = strncmp(lang, "en", 2) == 0;
  memset(&acct, 0, sizeof(acct));
  if ((rc = s->host.authenticate(s->host.ud, token, &acct, e)) != 0) return rc;
  if (resume != NULL && try_resume(s, c, &acct, resume, last_seq, reply, &why)) return 0;
  struct sig_acct *a = peer_acct_get(s, &acct);
  if (a == NULL || (rc = peer_new(s, a, c, &p, tok)) != 0)
    return ly_error_set(e, LY_ENOMEM, "internal.out_of_memory", "The server is out of memory.",
                        "服务器内存不足。");
  *reply = session_json(s, p, tok, 0, 0);
  if (why != NULL && *reply != NULL) json_object_set_new(*reply, "resume_error", json_string(why));
  return 0;
}

/* The current session as the auth reply describes it (for clients whose
 * auth step does not hand the reply on, e.g. web/ws.js). */
int ws_session_get(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  char tok[SIG_TOKEN_LEN + 1];
  peer_token(c->peer, tok);
  *reply = session_json(s, c->peer, tok, 0, 0);
  return 0;
}

/* Resume after a fresh auth: the socket leaves the new, empty session (which
 * ends) for the earlier one named by its token; events after last_seq are
 * replayed. The same rules as auth's resume, but a bad token is an error and
 * the new session simply goes on. */
int ws_session_resume(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *tok = NULL;
  int64_t last_seq = 0;
  struct sig_peer *p, *fresh = c->peer;
  int missed = 0;
  int rc = ly_json_get_str(data, "resume", 64, 1, &tok, e);
  if (rc == 0) rc = ly_json_get_int(data, "last_seq", 0, UINT32_MAX - 1, 0, &last_seq, e);
  if (rc != 0) return rc;
  if (peer_find(s, tok, &p) != 0)
    return ly_error_set(e, LY_ENOTFOUND, "auth.resume_expired",
                        "That session is over; carry on with this one.",
                        "原会话已结束，请继续使用当前会话。");
  if (p->acct != fresh->acct)
    return ly_error_set(e, LY_EFORBIDDEN, "auth.resume_invalid", "That session is not yours.",
                        "该会话不属于您。");
  if (p != fresh) {
    fresh->conn = NULL; /* leave quietly: the socket stays connected for the account */
    fresh->acct->live--;
    c->peer = NULL;
    peer_attach(s, p, c, (uint32_t)last_seq, &missed);
    peer_end(s, fresh, "replaced");
  }
  *reply = session_json(s, p, tok, 1, missed);
  return 0;
}

int ws_session_ping(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  *reply = json_pack("{s:I}", "now", (json_int_t)ly_now_ms(s->host.clock));
  return 0;
}

int ws_session_bye(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  peer_end(s, c->peer, "left");
  conn_close_after(c, 1000, "bye");
  return 0;
}

static int audit_verify(struct sig *s, const struct sig_account *a, const char *outcome) {
  struct ly_audit_entry en = {.at_ms = ly_now_ms(s->host.clock),
                              .actor_id = a->id,
                              .actor_role = a->role,
                              .action = "consult.doctor_verify",
                              .object_type = "session",
                              .outcome = outcome};
  int rc = ly_db_begin(s->host.db);
  if (rc != 0) return rc;
  if ((rc = ly_audit_append(s->host.db, &en, NULL)) != 0) {
    ly_db_rollback(s->host.db);
    return rc;
  }
  return ly_db_commit(s->host.db);
}

/* Real-name re-verification (DESIGN §3.2): the doctor types their password
 * again at the start of each console session; until then they cannot call
 * anyone in. Five wrong passwords end the chance for this session. */
int ws_session_verify(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  struct sig_peer *p = c->peer;
  const char *password = NULL;
  char hash[LY_PASSWORD_HASH_MAX] = "";

  int rc = ly_json_get_str(data, "password", PASSWORD_MAX, 1, &password, e);
  if (rc != 0) return rc;
  if (p->verify_failures >= SIG_VERIFY_TRIES)
    return ly_error_set(e, LY_ERATE, "auth.too_many_attempts",
                        "Too many wrong passwords in this session. Sign in again.",
                        "本次会话密码错误次数过多，请重新登录。");
  sqlite3_stmt *st = ly_db_stmt(s->host.db, sql_password);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, p->acct->a.id);
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(hash, sizeof(hash), "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  rc = hash[0] ? ly_password_verify(password, hash) : LY_EAUTH;
  if (rc != 0) {
    p->verify_failures++;
    audit_verify(s, &p->acct->a, "auth.invalid_credentials");
    return ly_error_set(e, LY_EAUTH, "auth.invalid_credentials", "The password is not correct.",
                        "密码不正确。");
  }
  p->verified = 1;
  p->verify_failures = 0;
  if ((rc = audit_verify(s, &p->acct->a, "ok")) != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  *reply = json_pack("{s:b}", "verified", 1);
  return 0;
}

int ws_session_presence_set(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply,
                            struct ly_error *e) {
  const char *state = NULL;
  int st;
  int rc = ly_json_get_str(data, "state", 16, 1, &state, e);
  if (rc != 0) return rc;
  if (presence_parse(state, &st) != 0) {
    ly_error_set(e, LY_EINVAL, "request.invalid_field", "Presence is online, busy or away.",
                 "在线状态须为 online、busy 或 away。");
    snprintf(e->field, sizeof(e->field), "state");
    return LY_EINVAL;
  }
  struct sig_acct *a = c->peer->acct;
  a->presence = (uint8_t)st;
  presence_changed(s, a);
  *reply = json_pack("{s:s}", "state", presence_name(presence_effective(a)));
  return 0;
}

int ws_session_presence_get(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply,
                            struct ly_error *e) {
  const char *doctor = NULL;
  int rc = ly_json_get_str(data, "doctor_id", LY_ID_MAX - 1, 1, &doctor, e);
  if (rc != 0) return rc;
  *reply = json_pack("{s:s, s:s}", "doctor_id", doctor, "state", sig_presence(s, doctor));
  return 0;
}
