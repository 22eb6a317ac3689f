/* signalling/dispatch.c — one table from message type to handler and roles.
 *
 * Order of checks for every message: rate (token bucket per socket) → JSON
 * limits and shape (wire.c) → authentication first (before `auth` nothing
 * else is read: the socket is closed with 4401 and a reason) → known type →
 * the caller's role → the handler. Every request gets exactly one reply:
 * now, or — for the media.* requests the relay answers — later, from
 * media_glue.c (the handler returns SIG_REPLY_LATER).
 */
#include <string.h>

#include "core/clock.h"
#include "signalling/sig_internal.h"

enum { R_PATIENT = 1, R_DOCTOR = 2, R_OTHER = 4, R_ANY = 7 };

struct route {
  const char *type;
  sig_handler fn;
  unsigned roles;
};

/* Keep in step with docs/signalling.md. media.* answer media.not_live when
 * the server runs without the relay (sig_host.media NULL). */
static const struct route routes[] = {
    {"auth", ws_session_auth, R_ANY},
    {"ping", ws_session_ping, R_ANY},
    {"session.bye", ws_session_bye, R_ANY},
    {"session.get", ws_session_get, R_ANY},
    {"session.resume", ws_session_resume, R_ANY},
    {"doctor.verify", ws_session_verify, R_DOCTOR},
    {"presence.set", ws_session_presence_set, R_DOCTOR},
    {"presence.get", ws_session_presence_get, R_ANY},
    {"queue.check_in", ws_call_check_in, R_PATIENT},
    {"queue.leave", ws_call_leave, R_PATIENT},
    {"queue.get", ws_call_queue, R_PATIENT | R_DOCTOR},
    {"call.next", ws_call_next, R_DOCTOR},
    {"call.patient", ws_call_patient, R_DOCTOR},
    {"call.end", ws_call_end, R_DOCTOR},
    {"call.no_show", ws_call_no_show, R_DOCTOR},
    {"call.cancel", ws_call_cancel, R_PATIENT | R_DOCTOR},
    {"room.join", ws_room_join, R_PATIENT | R_DOCTOR},
    {"room.leave", ws_room_leave, R_PATIENT | R_DOCTOR},
    {"chat.send", ws_room_chat, R_PATIENT | R_DOCTOR},
    {"chat.history", ws_room_history, R_PATIENT | R_DOCTOR},
    {"media.offer", ws_media_offer, R_PATIENT | R_DOCTOR},
    {"media.answer", ws_media_answer, R_PATIENT | R_DOCTOR},
    {"media.subscribe", ws_media_subscribe, R_PATIENT | R_DOCTOR},
    {"media.unsubscribe", ws_media_unsubscribe, R_PATIENT | R_DOCTOR},
    {"media.mute", ws_media_mute, R_PATIENT | R_DOCTOR},
    {"media.stats", ws_media_stats, R_PATIENT | R_DOCTOR},
    {"recording.consent", ws_recording_consent, R_PATIENT},
    {"recording.get", ws_recording_get, R_PATIENT | R_DOCTOR},
};

static const struct route *find(const char *type) {
  for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
    if (strcmp(routes[i].type, type) == 0) return &routes[i];
  return NULL;
}

static unsigned role_bit(const struct sig_peer *p) {
  if (p->acct->is_patient) return R_PATIENT;
  if (p->acct->is_doctor) return R_DOCTOR;
  return R_OTHER;
}

static void reply_err(struct sig_conn *c, json_t *id, const struct ly_error *e) {
  conn_send_reply(c, wire_reply_err(id, e, c->en));
}

static void need_auth(struct sig_conn *c, json_t *id, const struct ly_error *why) {
  struct ly_error e;
  if (why != NULL)
    e = *why;
  else
    ly_error_set(&e, LY_EAUTH, "auth.required", "The first message must be auth with a session token.",
                 "第一条消息必须是携带登录凭证的 auth。");
  reply_err(c, id, &e);
  conn_close_after(c, SIG_CLOSE_AUTH_REQUIRED, "auth required: the first message must be auth");
}

void dispatch_refuse(struct sig_conn *c, const struct ly_error *e) {
  c->s->stats.messages_in++;
  if (c->peer == NULL)
    need_auth(c, NULL, e);
  else
    reply_err(c, NULL, e);
}

/* Token bucket: SIG_RATE_BURST at once, SIG_RATE_PER_S per second after. */
static int rate_ok(struct sig *s, struct sig_conn *c) {
  int64_t now = ly_mono_ms(s->host.clock);
  int64_t add = (now - c->rate_at) * SIG_RATE_PER_S / 1000;
  if (add > 0) {
    c->rate_tokens = (int32_t)(c->rate_tokens + add > SIG_RATE_BURST ? SIG_RATE_BURST : c->rate_tokens + add);
    c->rate_at = now;
  }
  if (c->rate_tokens <= 0) return 0;
  c->rate_tokens--;
  return 1;
}

static void run(struct sig *s, struct sig_conn *c, const struct route *r, struct wire_in *in) {
  struct ly_error e;
  json_t *reply = NULL;
  ly_error_clear(&e);
  c->req_id = in->id;
  int rc = r->fn(s, c, in->data, &reply, &e);
  c->req_id = NULL;
  if (rc == SIG_REPLY_LATER) return; /* the handler keeps the id and answers later */
  if (rc == 0) {
    conn_send_reply(c, wire_reply_ok(in->id, reply));
    return;
  }
  if (reply != NULL) json_decref(reply);
  if (e.err == 0) ly_error_set(&e, rc, NULL, NULL, NULL);
  reply_err(c, in->id, &e);
  if (c->peer == NULL && r->fn == ws_session_auth)
    conn_close_after(c, SIG_CLOSE_AUTH_FAILED, "auth failed: the session token is not valid");
}

void dispatch_message(struct sig *s, struct sig_conn *c, const char *buf, size_t len) {
  struct wire_in in;
  struct ly_error e;

  s->stats.messages_in++;
  ly_error_clear(&e);
  int rc = wire_parse(buf, len, &in, &e);
  if (rc == 0 && !rate_ok(s, c))
    rc = ly_error_set(&e, LY_ERATE, "rate_limited", "Too many messages; slow down.",
                      "消息过于频繁，请稍后再试。");
  if (rc != 0) {
    if (c->peer == NULL)
      need_auth(c, in.id, &e);
    else
      reply_err(c, in.id, &e);
    wire_free(&in);
    return;
  }
  const struct route *r = find(in.type);
  if (c->peer == NULL && (r == NULL || r->fn != ws_session_auth)) {
    need_auth(c, in.id, NULL);
  } else if (r == NULL) {
    ly_error_setf(&e, LY_EINVAL, "request.unknown_type", "Unknown message type '%.64s'.", in.type);
    reply_err(c, in.id, &e);
  } else if (c->peer != NULL && r->fn == ws_session_auth) {
    ly_error_set(&e, LY_ECONFLICT, "auth.already", "This connection is already authenticated.",
                 "此连接已完成认证。");
    reply_err(c, in.id, &e);
  } else if (c->peer != NULL && !(r->roles & role_bit(c->peer))) {
    ly_error_set(&e, LY_EFORBIDDEN, "auth.forbidden", "Your role may not send this message.",
                 "您的角色不能发送此消息。");
    reply_err(c, in.id, &e);
  } else {
    run(s, c, r, &in);
    if (r->fn == ws_session_auth && c->peer != NULL && c->wsi != NULL)
      lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0); /* authenticated: no deadline (conn.c) */
  }
  wire_free(&in);
}
