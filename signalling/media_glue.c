/* signalling/media_glue.c — signalling's side of the media relay: each
 * participant's send and receive transports, the requests that wait for the
 * relay, and the relay's events turned into replies and events.
 *
 * The relay (media/media.h) runs on its own threads; everything here runs on
 * the service thread and reaches it only through media_* commands and the
 * events that sig_media_events() drains. A participant's media state (struct
 * mg_part, sig_internal.h) lives while its session is in the room: room.c
 * calls media_glue_leave() and media_glue_room_closed(), which close its
 * transports. Events for a transport nobody holds any more are dropped.
 *
 * Participants are found by walking one list: its length is the number of
 * people in calls now, and the relay sends a few events per call and second
 * at most (state changes, stats on request), never one per packet.
 *
 * The label of a transport (what media/ uses to keep one's own streams out
 * of one's receive transport, and the msid stream id the browser sees) is
 * the participant's account id: opaque, already told to the room by
 * room.joined, so a page can put a name to each remote stream.
 *
 * Receive side, per participant: IDLE ─media_subscribe→ OFFERING ─relay's
 * offer (media.offer event)→ WAIT_ANSWER ─media.answer→ APPLYING ─accepted→
 * IDLE. A change of the room's publishers while not IDLE sets `dirty`, and a
 * new offer follows as soon as the exchange under way is over: the browser
 * never has two offers in flight.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "media/media.h"
#include "signalling/sig_internal.h"

#define WAIT_MAX_MS   10000 /* the relay answers in milliseconds: this long means something was lost */
#define ANSWER_MAX_MS 30000 /* a browser that has not answered an offer by then gets a new one if due */
#define EVENT_BATCH   256

static const char *const dir_name[2] = {"send", "recv"};

static int64_t now_ms(struct sig *s) {
  return ly_mono_ms(s->host.clock);
}

struct mg_part *media_glue_part(struct sig *s, struct sig_peer *p, const char *cid, int make) {
  struct mg_part *mp;
  for (mp = s->media_parts; mp != NULL; mp = mp->next)
    if (mp->peer == p && strcmp(mp->cid, cid) == 0) return mp;
  if (!make || (mp = calloc(1, sizeof(*mp))) == NULL) return NULL;
  mp->peer = p;
  snprintf(mp->cid, sizeof(mp->cid), "%s", cid);
  mp->next = s->media_parts;
  s->media_parts = mp;
  return mp;
}

static struct mg_part *by_transport(struct sig *s, uint64_t id, enum mg_dir *dir) {
  if (id == 0) return NULL;
  for (struct mg_part *mp = s->media_parts; mp != NULL; mp = mp->next) {
    for (int d = MG_SEND; d <= MG_RECV; d++) {
      if (mp->id[d] == id) {
        *dir = (enum mg_dir)d;
        return mp;
      }
    }
  }
  return NULL;
}

/* ---- replies to waiting requests ------------------------------------------ */

/* Answer w's request (data is taken). A session without a socket now cannot
 * be answered: its client failed the request when the socket dropped. */
static void answer_ok(struct mg_part *mp, struct mg_wait *w, json_t *data) {
  struct sig_conn *c = mp->peer->conn;
  if (w->id != NULL && c != NULL)
    conn_send_reply(c, wire_reply_ok(w->id, data));
  else
    json_decref(data);
  if (w->id != NULL) json_decref(w->id);
  w->id = NULL;
}

static void answer_err(struct mg_part *mp, struct mg_wait *w, const struct ly_error *e) {
  struct sig_conn *c = mp->peer->conn;
  if (w->id == NULL) return;
  if (c != NULL) conn_send_reply(c, wire_reply_err(w->id, e, c->en));
  json_decref(w->id);
  w->id = NULL;
}

void media_glue_wait(struct sig *s, struct sig_conn *c, struct mg_wait *w) {
  w->id = c->req_id != NULL ? json_incref(c->req_id) : json_null();
  w->since_ms = now_ms(s);
}

static int closed_error(struct ly_error *e) {
  return ly_error_set(e, LY_ESTATE, "media.closed", "The media connection was closed.", "音视频连接已关闭。");
}

static void finish_stats(struct mg_part *mp) {
  json_t *items = mp->stats_items ? mp->stats_items : json_array();
  mp->stats_items = NULL;
  mp->stats_left = 0;
  answer_ok(mp, &mp->stats, json_pack("{s:s, s:o}", "consultation_id", mp->cid, "transports", items));
}

/* ---- events to the room ----------------------------------------------------- */

static void tell_room(struct sig *s, const char *cid, const char *type, json_t *d) {
  struct sig_room *r = room_get(s, cid);
  if (d == NULL) return;
  if (r != NULL) room_event(s, r, type, d, NULL);
  json_decref(d);
}

static void state_event(struct sig *s, struct mg_part *mp, enum mg_dir dir, const char *state,
                        const char *reason) {
  json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "consultation_id", mp->cid, "account_id",
                        mp->peer->acct->a.id, "direction", dir_name[dir], "state", state);
  if (d != NULL && reason != NULL && reason[0] != '\0') json_object_set_new(d, "reason", json_string(reason));
  tell_room(s, mp->cid, "media.state", d);
}

/* ---- commands ------------------------------------------------------------- */

int media_glue_open(struct sig *s, struct mg_part *mp, enum mg_dir dir) {
  if (mp->id[dir] != 0) return 0;
  return media_create_transport(s->host.media, mp->cid, mp->peer->acct->a.id,
                                dir == MG_SEND ? MEDIA_SEND : MEDIA_RECV, &mp->id[dir]);
}

static void set_recv(struct sig *s, struct mg_part *mp, enum mg_recv_state st) {
  mp->recv_state = (uint8_t)st;
  mp->recv_since = now_ms(s);
}

void media_glue_offer_again(struct sig *s, struct mg_part *mp) {
  if (mp->id[MG_RECV] == 0) return;
  if (mp->recv_state != MG_IDLE) {
    mp->dirty = 1;
    return;
  }
  /* a full command queue leaves it dirty: the sweep asks again */
  mp->dirty = media_subscribe(s->host.media, mp->id[MG_RECV]) != 0;
  if (!mp->dirty) set_recv(s, mp, MG_OFFERING);
}

/* Forget a transport the relay closed or is closing: its waiting requests fail. */
static void forget(struct mg_part *mp, enum mg_dir dir) {
  struct ly_error e;
  closed_error(&e);
  mp->id[dir] = 0;
  if (dir == MG_SEND) {
    answer_err(mp, &mp->offer, &e);
  } else {
    answer_err(mp, &mp->answer, &e);
    mp->recv_state = MG_IDLE;
    mp->dirty = 0;
  }
  if (mp->stats.id != NULL) finish_stats(mp); /* the closed one's counters will not come */
}

void media_glue_close(struct sig *s, struct mg_part *mp, enum mg_dir dir) {
  if (mp->id[dir] == 0) return;
  media_close_transport(s->host.media, mp->id[dir]); /* LY_EAGAIN: the consent timeout closes it */
  forget(mp, dir);
  state_event(s, mp, dir, "closed", NULL);
}

static void free_part(struct mg_part *mp) {
  struct mg_wait *w[3] = {&mp->offer, &mp->answer, &mp->stats};
  for (int i = 0; i < 3; i++)
    if (w[i]->id != NULL) json_decref(w[i]->id);
  if (mp->stats_items != NULL) json_decref(mp->stats_items);
  free(mp);
}

/* Unlink every part matching (cid, p or any when p is NULL); tell: say
 * "closed" to the room for each transport. */
static void drop(struct sig *s, const char *cid, const struct sig_peer *p, int tell) {
  struct mg_part **pp = &s->media_parts;
  while (*pp != NULL) {
    struct mg_part *mp = *pp;
    if (strcmp(mp->cid, cid) != 0 || (p != NULL && mp->peer != p)) {
      pp = &mp->next;
      continue;
    }
    for (int d = MG_SEND; d <= MG_RECV; d++) {
      if (tell)
        media_glue_close(s, mp, (enum mg_dir)d);
      else if (mp->id[d] != 0)
        media_close_transport(s->host.media, mp->id[d]);
    }
    *pp = mp->next;
    free_part(mp);
  }
}

void media_glue_leave(struct sig *s, const char *cid, struct sig_peer *p) {
  drop(s, cid, p, 1);
}

void media_glue_room_closed(struct sig *s, const char *cid) {
  drop(s, cid, NULL, 0); /* consultation.state tells everyone it is over */
}

void media_glue_free_all(struct sig *s) {
  while (s->media_parts != NULL) {
    struct mg_part *mp = s->media_parts;
    s->media_parts = mp->next;
    free_part(mp);
  }
}

static void time_out(struct mg_part *mp, struct mg_wait *w, int64_t now) {
  struct ly_error e;
  if (w->id == NULL || now - w->since_ms < WAIT_MAX_MS) return;
  ly_error_set(&e, LY_EAGAIN, "media.timeout", "The media relay did not answer in time; try again.",
               "音视频服务未及时响应，请重试。");
  answer_err(mp, w, &e);
}

void media_glue_sweep(struct sig *s, int64_t now) {
  for (struct mg_part *mp = s->media_parts; mp != NULL; mp = mp->next) {
    time_out(mp, &mp->offer, now);
    time_out(mp, &mp->answer, now);
    if (mp->stats.id != NULL && now - mp->stats.since_ms >= WAIT_MAX_MS) finish_stats(mp);
    int64_t age = now - mp->recv_since;
    int stuck = ((mp->recv_state == MG_OFFERING || mp->recv_state == MG_APPLYING) && age >= WAIT_MAX_MS) ||
                (mp->recv_state == MG_WAIT_ANSWER && mp->dirty && age >= ANSWER_MAX_MS);
    if (stuck) set_recv(s, mp, MG_IDLE);
    if (mp->recv_state == MG_IDLE && mp->dirty) media_glue_offer_again(s, mp);
  }
}

/* ---- the relay's events ------------------------------------------------------- */

static void relay_error(struct ly_error *e, const struct media_event *ev) {
  ly_error_set(e, ev->err != 0 ? ev->err : LY_EINVAL, ev->code[0] ? ev->code : "media.failed",
               ev->message[0] ? ev->message : "The media relay refused the request.", NULL);
}

static void on_local_sdp(struct sig *s, struct mg_part *mp, enum mg_dir dir, const struct media_event *ev) {
  if (dir == MG_SEND) { /* the relay's answer to the participant's offer */
    if (ev->sdp != NULL) answer_ok(mp, &mp->offer, json_pack("{s:s}", "sdp", ev->sdp));
    return;
  }
  if (ev->sdp_type == MEDIA_SDP_OFFER && ev->sdp != NULL) {
    set_recv(s, mp, MG_WAIT_ANSWER);
    json_t *d = json_pack("{s:s, s:s}", "consultation_id", mp->cid, "sdp", ev->sdp);
    if (d != NULL) peer_event(s, mp->peer, "media.offer", d);
    json_decref(d);
    return;
  }
  answer_ok(mp, &mp->answer, json_pack("{s:s}", "consultation_id", mp->cid)); /* its answer was taken */
  set_recv(s, mp, MG_IDLE);
  if (mp->dirty) media_glue_offer_again(s, mp);
}

/* An ERROR event names its transport but not its command: a failed create
 * names the room too; otherwise the participant's state says what waited. */
static void on_error(struct sig *s, struct mg_part *mp, enum mg_dir dir, const struct media_event *ev) {
  struct ly_error e;
  relay_error(&e, ev);
  if (ev->room[0] != '\0' || strcmp(ev->code, "media.no_such_transport") == 0) {
    answer_err(mp, dir == MG_SEND ? &mp->offer : &mp->answer, &e);
    forget(mp, dir); /* never made, or already gone */
    return;
  }
  if (dir == MG_SEND) {
    answer_err(mp, &mp->offer, &e);
  } else if (mp->recv_state == MG_APPLYING) {
    answer_err(mp, &mp->answer, &e);
    set_recv(s, mp, MG_IDLE);
  } else if (mp->recv_state == MG_OFFERING) { /* e.g. media.nothing_to_subscribe: the next change offers */
    set_recv(s, mp, MG_IDLE);
  }
  if (mp->recv_state == MG_IDLE && mp->dirty) media_glue_offer_again(s, mp);
}

static json_t *stats_json(enum mg_dir dir, const struct media_stats *st) {
  return json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:i, s:i, s:I, s:I, s:I}", "direction",
                   dir_name[dir], "connected", st->connected, "packets_in", (json_int_t)st->packets_in,
                   "packets_out", (json_int_t)st->packets_out, "bytes_in", (json_int_t)st->bytes_in,
                   "bytes_out", (json_int_t)st->bytes_out, "packets_lost", (json_int_t)st->packets_lost,
                   "fraction_lost", st->fraction_lost_256 / 256.0, "jitter_ms", (int)st->jitter_ms, "rtt_ms",
                   (int)st->rtt_ms, "nacks_in", (json_int_t)st->nacks_in, "plis_in", (json_int_t)st->plis_in,
                   "retransmits", (json_int_t)st->retransmits);
}

static void on_stats(struct mg_part *mp, enum mg_dir dir, const struct media_stats *st) {
  if (mp->stats.id == NULL || mp->stats_items == NULL) return;
  json_t *o = stats_json(dir, st);
  if (o != NULL) json_array_append_new(mp->stats_items, o);
  if (mp->stats_left > 0 && --mp->stats_left == 0) finish_stats(mp);
}

static void on_closed(struct sig *s, struct mg_part *mp, enum mg_dir dir) {
  forget(mp, dir);
  state_event(s, mp, dir, "closed", NULL);
}

/* A publisher's streams started or ended: everyone else receiving in the room gets a new offer. */
static void on_room_changed(struct sig *s, const struct media_event *ev) {
  for (struct mg_part *mp = s->media_parts; mp != NULL; mp = mp->next)
    if (strcmp(mp->cid, ev->room) == 0 && mp->id[MG_SEND] != ev->transport_id) media_glue_offer_again(s, mp);
}

static void on_signal(struct sig *s, struct mg_part *mp, const struct media_event *ev) {
  if (ev->type == MEDIA_EV_SILENCE) { /* the room may want to say "we cannot hear you" */
    tell_room(s, mp->cid, "media.silent",
              json_pack("{s:s, s:s, s:b}", "consultation_id", mp->cid, "account_id", mp->peer->acct->a.id,
                        "silent", ev->silent));
  } else { /* MEDIA_EV_WEAK_LINK, to the subscriber whose video was paused or resumed */
    json_t *d = json_pack("{s:s, s:b}", "consultation_id", mp->cid, "audio_only", ev->audio_only);
    if (d != NULL) peer_event(s, mp->peer, "media.weak_link", d);
    json_decref(d);
  }
}

static void on_event(struct sig *s, const struct media_event *ev) {
  enum mg_dir dir = MG_SEND;
  if (recording_on_event(s, ev)) return;
  if (ev->type == MEDIA_EV_ROOM_CHANGED) {
    on_room_changed(s, ev);
    return;
  }
  struct mg_part *mp = by_transport(s, ev->transport_id, &dir);
  if (mp == NULL) return; /* a transport nobody holds any more, or a room-level event */
  switch (ev->type) {
    case MEDIA_EV_CREATED:
      state_event(s, mp, dir, "connecting", NULL);
      break;
    case MEDIA_EV_LOCAL_SDP:
      on_local_sdp(s, mp, dir, ev);
      break;
    case MEDIA_EV_CONNECTED:
      state_event(s, mp, dir, "connected", NULL);
      if (dir == MG_SEND) recording_maybe_start(s, mp->cid);
      break;
    case MEDIA_EV_FAILED:
      state_event(s, mp, dir, "failed", ev->code);
      break;
    case MEDIA_EV_CONSENT_TIMEOUT:
      state_event(s, mp, dir, "failed", "media.consent_timeout");
      break;
    case MEDIA_EV_CLOSED:
      on_closed(s, mp, dir);
      break;
    case MEDIA_EV_STATS:
      on_stats(mp, dir, &ev->stats);
      break;
    case MEDIA_EV_ERROR:
      on_error(s, mp, dir, ev);
      break;
    case MEDIA_EV_SILENCE:
    case MEDIA_EV_WEAK_LINK:
      on_signal(s, mp, ev);
      break;
    default:
      break; /* recordings: recording.c */
  }
}

void sig_media_events(struct sig *s) {
  if (s == NULL || s->host.media == NULL) return;
  for (int i = 0; i < EVENT_BATCH; i++) {
    struct media_event *ev = media_next_event(s->host.media);
    if (ev == NULL) return;
    on_event(s, ev);
    media_event_free(ev);
  }
}
