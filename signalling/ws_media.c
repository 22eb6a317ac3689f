/* signalling/ws_media.c — the media.* messages (docs/signalling.md, Media).
 *
 * A participant in a consultation room publishes with media.offer (its
 * offer in, the relay's answer back), receives with media.subscribe (then
 * the relay's offers come as media.offer events, each answered with
 * media.answer), stops receiving with media.unsubscribe, tells the room it
 * muted (media.mute) and reads its transports' counters (media.stats).
 * Only members of the room may: their right to the consultation was checked
 * when they joined, and leaving the room closes their transports.
 * media.offer, media.answer and media.stats are answered once the relay has
 * (SIG_REPLY_LATER); the state they wait in is media_glue.c's.
 */
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "media/media.h"
#include "signalling/sig_internal.h"

#define SDP_MAX (60 * 1024) /* the whole message is at most SIG_FRAME_MAX */

static int in_room(struct sig *s, struct sig_conn *c, json_t *data, const char **cid, struct sig_room **r,
                   struct ly_error *e) {
  if (s->host.media == NULL)
    return ly_error_set(e, LY_EAGAIN, "media.not_live", "Audio and video are not available; use the chat.",
                        "音视频功能未开放，请使用文字问诊。");
  int rc = ws_cid(data, cid, e);
  if (rc != 0) return rc;
  *r = room_get(s, *cid);
  if (*r == NULL || !room_has(*r, c->peer))
    return ly_error_set(e, LY_EFORBIDDEN, "room.not_joined", "Join the consultation room first.",
                        "请先进入问诊室。");
  return 0;
}

/* A media_* command the relay could not take. */
static int refused(int rc, struct ly_error *e) {
  if (rc == LY_ENOMEM) return ly_error_set(e, rc, NULL, NULL, NULL);
  if (rc == LY_ETOOBIG)
    return ly_error_set(e, rc, "media.sdp_too_large", "The description is too large.", NULL);
  return ly_error_set(e, LY_EAGAIN, "media.unavailable", "The media relay is busy; try again in a moment.",
                      "音视频服务繁忙，请稍后再试。");
}

static int busy(struct ly_error *e) {
  return ly_error_set(e, LY_ECONFLICT, "media.busy",
                      "An earlier request of this kind is still being answered.",
                      "上一个同类请求尚在处理中。");
}

static struct mg_part *part(struct sig *s, struct sig_conn *c, const char *cid, int make,
                            struct ly_error *e) {
  struct mg_part *mp = media_glue_part(s, c->peer, cid, make);
  if (mp == NULL && make) ly_error_set(e, LY_ENOMEM, NULL, NULL, NULL);
  return mp;
}

int ws_media_offer(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid, *sdp;
  struct sig_room *r;
  struct mg_part *mp;
  int rc = in_room(s, c, data, &cid, &r, e);
  if (rc == 0) rc = ly_json_get_str(data, "sdp", SDP_MAX, 1, &sdp, e);
  if (rc != 0) return rc;
  if ((mp = part(s, c, cid, 1, e)) == NULL) return e->err;
  if (mp->offer.id != NULL) return busy(e);
  if ((rc = media_glue_open(s, mp, MG_SEND)) != 0 ||
      (rc = media_apply_remote(s->host.media, mp->id[MG_SEND], MEDIA_SDP_OFFER, sdp, strlen(sdp))) != 0)
    return refused(rc, e);
  media_glue_wait(s, c, &mp->offer);
  return SIG_REPLY_LATER;
}

int ws_media_subscribe(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  struct sig_room *r;
  struct mg_part *mp;
  int rc = in_room(s, c, data, &cid, &r, e);
  if (rc != 0) return rc;
  if ((mp = part(s, c, cid, 1, e)) == NULL) return e->err;
  if ((rc = media_glue_open(s, mp, MG_RECV)) != 0) return refused(rc, e);
  if (mp->recv_state == MG_WAIT_ANSWER) mp->recv_state = MG_IDLE; /* asked again: the last offer was lost */
  media_glue_offer_again(s, mp);
  *reply = json_pack("{s:s}", "consultation_id", cid);
  return 0;
}

int ws_media_answer(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid, *sdp;
  struct sig_room *r;
  struct mg_part *mp;
  int rc = in_room(s, c, data, &cid, &r, e);
  if (rc == 0) rc = ly_json_get_str(data, "sdp", SDP_MAX, 1, &sdp, e);
  if (rc != 0) return rc;
  mp = part(s, c, cid, 0, e);
  if (mp == NULL || mp->id[MG_RECV] == 0 || mp->recv_state != MG_WAIT_ANSWER)
    return ly_error_set(e, LY_ESTATE, "media.no_offer", "No offer from the relay is waiting for an answer.",
                        "没有等待应答的媒体邀请。");
  if ((rc = media_apply_remote(s->host.media, mp->id[MG_RECV], MEDIA_SDP_ANSWER, sdp, strlen(sdp))) != 0)
    return refused(rc, e);
  mp->recv_state = MG_APPLYING;
  mp->recv_since = ly_mono_ms(s->host.clock);
  media_glue_wait(s, c, &mp->answer);
  return SIG_REPLY_LATER;
}

int ws_media_unsubscribe(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply,
                         struct ly_error *e) {
  const char *cid;
  struct sig_room *r;
  int rc = in_room(s, c, data, &cid, &r, e);
  if (rc != 0) return rc;
  struct mg_part *mp = part(s, c, cid, 0, e);
  if (mp != NULL) media_glue_close(s, mp, MG_RECV);
  *reply = json_pack("{s:s}", "consultation_id", cid);
  return 0;
}

int ws_media_mute(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid, *kind;
  struct sig_room *r;
  int muted = 0;
  int rc = in_room(s, c, data, &cid, &r, e);
  if (rc == 0) rc = ly_json_get_str(data, "kind", 8, 1, &kind, e);
  if (rc == 0) rc = ly_json_get_bool(data, "muted", 1, &muted, e);
  if (rc != 0) return rc;
  if (strcmp(kind, "audio") != 0 && strcmp(kind, "video") != 0) {
    rc = ly_error_set(e, LY_EINVAL, "request.invalid_field", "kind must be audio or video.",
                      "kind 必须是 audio 或 video。");
    snprintf(e->field, sizeof(e->field), "kind");
    return rc;
  }
  json_t *d = json_pack("{s:s, s:s, s:s, s:b}", "consultation_id", cid, "account_id", c->peer->acct->a.id,
                        "kind", kind, "muted", muted);
  if (d != NULL) room_event(s, r, "media.muted", d, c->peer);
  json_decref(d);
  *reply = json_pack("{s:s, s:s, s:b}", "consultation_id", cid, "kind", kind, "muted", muted);
  return 0;
}

int ws_media_stats(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  struct sig_room *r;
  int rc = in_room(s, c, data, &cid, &r, e);
  if (rc != 0) return rc;
  struct mg_part *mp = part(s, c, cid, 0, e);
  if (mp != NULL && mp->stats.id != NULL) return busy(e);
  for (int d = MG_SEND; mp != NULL && d <= MG_RECV; d++)
    if (mp->id[d] != 0 && media_request_stats(s->host.media, mp->id[d]) == 0) mp->stats_left++;
  if (mp == NULL || mp->stats_left == 0) {
    *reply = json_pack("{s:s, s:[]}", "consultation_id", cid, "transports");
    return 0;
  }
  mp->stats_items = json_array();
  media_glue_wait(s, c, &mp->stats);
  return SIG_REPLY_LATER;
}
