/* media/sdp_write.c — negotiation and the relay's answers and offers. See sdp.h.
 *
 * Writing goes through a bounded string builder: the first overflow makes the
 * whole call fail with LY_ETOOBIG, never a partial description.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "media/sdp.h"

struct sbuf {
  char *p;
  size_t cap, len;
  int err;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...) {
  if (b->err) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= b->cap - b->len) {
    b->err = LY_ETOOBIG;
    return;
  }
  b->len += (size_t)n;
}

static const char *const EXT_URI[4] = {
    [SDP_EXT_MID] = "urn:ietf:params:rtp-hdrext:sdes:mid",
    [SDP_EXT_AUDIO_LEVEL] = "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    [SDP_EXT_ABS_SEND_TIME] = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
};

static const char *kind_name(uint8_t kind) {
  return kind == SDP_KIND_AUDIO ? "audio" : kind == SDP_KIND_VIDEO ? "video" : "application";
}

static const char *codec_name(uint8_t id) {
  return id == SDP_CODEC_OPUS ? "opus" : id == SDP_CODEC_VP8 ? "VP8" : id == SDP_CODEC_H264 ? "H264" : "rtx";
}

static const char *dir_name(uint8_t dir) {
  static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
  return dir <= SDP_DIR_INACTIVE ? names[dir] : "inactive";
}

/* ---- negotiation ------------------------------------------------------- */

static int in_bundle(const struct sdp_session *s, const char *mid) {
  for (unsigned i = 0; i < s->n_bundle; i++)
    if (strcmp(s->bundle[i], mid) == 0) return 1;
  return 0;
}

/* H264 preference: constrained baseline 42e01f, then any baseline-family
 * profile, then anything with packetization-mode=1. Higher is better. */
static int h264_score(const struct sdp_codec *c) {
  if (c->packetization_mode != 1) return 0;
  if (c->profile_level_id == 0x42e01f) return 3;
  if ((c->profile_level_id >> 16) == 0x42) return 2;
  return 1;
}

static const struct sdp_codec *pick_codec(const struct sdp_media *m) {
  const struct sdp_codec *best = NULL;
  int best_score = 0;
  for (unsigned i = 0; i < m->n_codecs; i++) {
    const struct sdp_codec *c = &m->codecs[i];
    int score = 0;
    if (m->kind == SDP_KIND_AUDIO && c->id == SDP_CODEC_OPUS && c->clock == 48000 && c->channels == 2)
      score = 10;
    else if (m->kind == SDP_KIND_VIDEO && c->id == SDP_CODEC_VP8 && c->clock == 90000)
      score = 10;
    else if (m->kind == SDP_KIND_VIDEO && c->id == SDP_CODEC_H264 && c->clock == 90000)
      score = h264_score(c);
    if (score > best_score) {
      best = c;
      best_score = score;
    }
  }
  return best;
}

static void fill_track(const struct sdp_media *m, const struct sdp_codec *c, struct sdp_track *t) {
  t->active = 1;
  t->codec = *c;
  t->dir = (m->dir == SDP_DIR_SENDRECV || m->dir == SDP_DIR_SENDONLY) ? SDP_DIR_RECVONLY : SDP_DIR_INACTIVE;
  memcpy(t->ext, m->ext, sizeof t->ext);
  if (m->n_ssrc > 0) {
    t->ssrc = m->ssrcs[0].ssrc;
    snprintf(t->cname, sizeof t->cname, "%s", m->ssrcs[0].cname);
  }
  snprintf(t->msid_stream, sizeof t->msid_stream, "%s", m->msid_stream);
  snprintf(t->msid_track, sizeof t->msid_track, "%s", m->msid_track);
}

/* Transport-level checks of an active m-line shared by offers and answers. */
static int check_transport(const struct sdp_session *s, unsigned i, struct ly_error *err) {
  const struct sdp_media *m = &s->media[i];
  const char *u, *p;
  const uint8_t *fp;
  if (m->mid[0] == '\0' || !in_bundle(s, m->mid))
    return ly_error_set(err, LY_EDENIED, "media.sdp_not_bundled",
                        "Every media line must be in one BUNDLE group.",
                        "所有媒体行必须在同一个 BUNDLE 组中。");
  if (!m->rtcp_mux)
    return ly_error_set(err, LY_EDENIED, "media.sdp_no_rtcp_mux", "rtcp-mux is required.",
                        "必须使用 rtcp-mux。");
  if (sdp_media_ice(s, i, &u, &p) != 0)
    return ly_error_set(err, LY_EDENIED, "media.sdp_no_ice_credentials",
                        "ICE ufrag and password are required.", "缺少 ICE 用户名片段或密码。");
  if (sdp_media_fingerprint(s, i, &fp) != 0)
    return ly_error_set(err, LY_EDENIED, "media.sdp_no_fingerprint",
                        "A sha-256 DTLS fingerprint is required.", "缺少 sha-256 DTLS 指纹。");
  return 0;
}

int sdp_negotiate_offer(const struct sdp_session *offer, struct sdp_track *tracks, unsigned *n,
                        struct ly_error *err) {
  unsigned active = 0;
  if (offer->n_media == 0)
    return ly_error_set(err, LY_EDENIED, "media.sdp_no_media", "The offer has no media.", "提议中没有媒体。");
  for (unsigned i = 0; i < offer->n_media; i++) {
    const struct sdp_media *m = &offer->media[i];
    struct sdp_track *t = &tracks[i];
    memset(t, 0, sizeof *t);
    t->kind = m->kind;
    t->dir = SDP_DIR_INACTIVE;
    snprintf(t->mid, sizeof t->mid, "%s", m->mid);
    if ((m->port == 0 && !m->bundle_only) || (m->kind != SDP_KIND_AUDIO && m->kind != SDP_KIND_VIDEO))
      continue;
    if (strcmp(m->proto, "UDP/TLS/RTP/SAVPF") != 0)
      return ly_error_set(err, LY_EDENIED, "media.sdp_bad_proto", "Only UDP/TLS/RTP/SAVPF is served.",
                          "仅支持 UDP/TLS/RTP/SAVPF。");
    int rc = check_transport(offer, i, err);
    if (rc != 0) return rc;
    uint8_t setup = sdp_media_setup(offer, i);
    if (setup != SDP_SETUP_ACTPASS && setup != SDP_SETUP_ACTIVE)
      return ly_error_set(err, LY_EDENIED, "media.sdp_bad_setup",
                          "The browser must take the DTLS client role.", "浏览器必须作为 DTLS 客户端。");
    const struct sdp_codec *c = pick_codec(m);
    if (c == NULL) continue; /* rejected in the answer */
    fill_track(m, c, t);
    active++;
  }
  *n = offer->n_media;
  if (active == 0)
    return ly_error_set(err, LY_EDENIED, "media.sdp_no_common_codec",
                        "No audio (Opus) or video (VP8, H.264) the relay can forward.",
                        "没有中继可以转发的音频（Opus）或视频（VP8、H.264）。");
  return 0;
}

/* ---- writing ------------------------------------------------------------ */

static int is_ipv6(const char *ip) {
  return strchr(ip, ':') != NULL;
}

static void write_session(struct sbuf *b, const struct sdp_track *t, unsigned n, const struct sdp_local *l,
                          int offer) {
  sb_printf(b, "v=0\r\no=- %llu %llu IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE",
            (unsigned long long)l->sess_id, (unsigned long long)l->sess_version);
  for (unsigned i = 0; i < n; i++)
    if (t[i].active) sb_printf(b, " %s", t[i].mid);
  sb_printf(b, "\r\na=ice-lite\r\n");
  if (offer) sb_printf(b, "a=msid-semantic: WMS *\r\n");
}

static void write_codec(struct sbuf *b, const struct sdp_track *t, int offer) {
  const struct sdp_codec *c = &t->codec;
  if (c->id == SDP_CODEC_OPUS)
    sb_printf(b, "a=rtpmap:%u opus/48000/2\r\n", c->pt);
  else
    sb_printf(b, "a=rtpmap:%u %s/%u\r\n", c->pt, codec_name(c->id), c->clock);
  if (c->id == SDP_CODEC_OPUS) {
    sb_printf(b, "a=fmtp:%u minptime=10;useinbandfec=1;usedtx=1\r\n", c->pt);
  } else if (c->id == SDP_CODEC_H264) {
    sb_printf(b, "a=fmtp:%u level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%06x\r\n", c->pt,
              c->profile_level_id ? c->profile_level_id : 0x42e01f);
  }
  if (t->kind != SDP_KIND_VIDEO) return;
  /* an answer may only keep feedback the offer had */
  uint8_t fb = offer ? (SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB) : c->fb;
  if (fb & SDP_FB_REMB) sb_printf(b, "a=rtcp-fb:%u goog-remb\r\n", c->pt);
  if (fb & SDP_FB_FIR) sb_printf(b, "a=rtcp-fb:%u ccm fir\r\n", c->pt);
  if (fb & SDP_FB_NACK) sb_printf(b, "a=rtcp-fb:%u nack\r\n", c->pt);
  if (fb & SDP_FB_PLI) sb_printf(b, "a=rtcp-fb:%u nack pli\r\n", c->pt);
}

/* One active m-section. offer: the relay's offer (sendonly, actpass, SSRCs). */
static void write_media(struct sbuf *b, const struct sdp_track *t, const struct sdp_local *l, int offer,
                        int rsize) {
  const char *ipv = is_ipv6(l->ip) ? "IP6" : "IP4";
  sb_printf(b, "m=%s %u UDP/TLS/RTP/SAVPF %u\r\nc=IN %s %s\r\n", kind_name(t->kind), l->port, t->codec.pt,
            ipv, l->ip);
  if (t->kind == SDP_KIND_VIDEO && l->max_video_kbps) sb_printf(b, "b=AS:%u\r\n", l->max_video_kbps);
  sb_printf(b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\na=setup:%s\r\na=mid:%s\r\n",
            l->ice_ufrag, l->ice_pwd, l->fingerprint, offer ? "actpass" : "passive", t->mid);
  for (unsigned e = 1; e < 4; e++) {
    if (t->ext[e] == 0 || (e == SDP_EXT_AUDIO_LEVEL && t->kind != SDP_KIND_AUDIO)) continue;
    sb_printf(b, "a=extmap:%u %s\r\n", t->ext[e], EXT_URI[e]);
  }
  sb_printf(b, "a=%s\r\n", dir_name(t->dir));
  if (offer && t->msid_stream[0]) sb_printf(b, "a=msid:%s %s\r\n", t->msid_stream, t->msid_track);
  sb_printf(b, "a=rtcp-mux\r\n");
  if (rsize) sb_printf(b, "a=rtcp-rsize\r\n");
  write_codec(b, t, offer);
  if (offer && t->ssrc) {
    sb_printf(b, "a=ssrc:%u cname:%s\r\n", t->ssrc, t->cname[0] ? t->cname : "lianyi");
    if (t->msid_stream[0]) sb_printf(b, "a=ssrc:%u msid:%s %s\r\n", t->ssrc, t->msid_stream, t->msid_track);
  }
  sb_printf(b, "a=candidate:1 1 udp 2130706431 %s %u typ host\r\na=end-of-candidates\r\n", l->ip, l->port);
}

/* A rejected / stopped m-section: port 0, inactive, still carrying its mid. */
static void write_rejected(struct sbuf *b, const struct sdp_track *t, const struct sdp_media *offered) {
  int rtp = offered == NULL || strstr(offered->proto, "RTP/") != NULL; /* RTP protos list payload types */
  if (!rtp) {
    sb_printf(b, "m=%s 0 %s webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n",
              offered->kind == SDP_KIND_OTHER ? "text" : kind_name(offered->kind), offered->proto);
  } else {
    const char *proto = offered ? offered->proto : "UDP/TLS/RTP/SAVPF";
    const char *kind =
        offered && offered->kind == SDP_KIND_OTHER ? "text" : kind_name(offered ? offered->kind : t->kind);
    unsigned pt = t->codec.pt ? t->codec.pt : (offered && offered->n_codecs ? offered->codecs[0].pt : 0);
    sb_printf(b, "m=%s 0 %s %u\r\nc=IN IP4 0.0.0.0\r\n", kind, proto, pt);
  }
  if (t->mid[0]) sb_printf(b, "a=mid:%s\r\n", t->mid);
  sb_printf(b, "a=inactive\r\n");
}

static int finish(struct sbuf *b, size_t *out_len) {
  if (b->err) return b->err;
  *out_len = b->len;
  return 0;
}

static int local_ok(const struct sdp_local *l) {
  return l && l->ice_ufrag && l->ice_pwd && l->fingerprint && l->ip && l->port;
}

int sdp_write_answer(const struct sdp_session *offer, const struct sdp_track *tracks, unsigned n,
                     const struct sdp_local *local, char *out, size_t cap, size_t *out_len) {
  if (n != offer->n_media || !local_ok(local) || cap == 0) return LY_EINVAL;
  struct sbuf b = {out, cap, 0, 0};
  write_session(&b, tracks, n, local, 0);
  for (unsigned i = 0; i < n; i++) {
    if (tracks[i].active)
      write_media(&b, &tracks[i], local, 0, offer->media[i].rtcp_rsize);
    else
      write_rejected(&b, &tracks[i], &offer->media[i]);
  }
  return finish(&b, out_len);
}

int sdp_write_offer(const struct sdp_track *tracks, unsigned n, const struct sdp_local *local, char *out,
                    size_t cap, size_t *out_len) {
  if (n == 0 || n > SDP_MAX_MEDIA || !local_ok(local) || cap == 0) return LY_EINVAL;
  struct sbuf b = {out, cap, 0, 0};
  write_session(&b, tracks, n, local, 1);
  for (unsigned i = 0; i < n; i++) {
    if (tracks[i].active)
      write_media(&b, &tracks[i], local, 1, 1);
    else
      write_rejected(&b, &tracks[i], NULL);
  }
  return finish(&b, out_len);
}

int sdp_check_answer(const struct sdp_session *answer, const struct sdp_track *tracks, unsigned n,
                     uint8_t *accepted, struct ly_error *err) {
  if (answer->n_media != n)
    return ly_error_set(err, LY_EDENIED, "media.sdp_answer_mismatch",
                        "The answer does not have the offer's media lines.", "应答的媒体行与提议不一致。");
  for (unsigned i = 0; i < n; i++) {
    const struct sdp_media *m = &answer->media[i];
    accepted[i] = 0;
    if (!tracks[i].active || m->port == 0) continue;
    if (strcmp(m->mid, tracks[i].mid) != 0 || m->kind != tracks[i].kind)
      return ly_error_set(err, LY_EDENIED, "media.sdp_answer_mismatch",
                          "The answer does not have the offer's media lines.", "应答的媒体行与提议不一致。");
    int rc = check_transport(answer, i, err);
    if (rc != 0) return rc;
    if (sdp_media_setup(answer, i) != SDP_SETUP_ACTIVE)
      return ly_error_set(err, LY_EDENIED, "media.sdp_bad_setup",
                          "The browser must take the DTLS client role.", "浏览器必须作为 DTLS 客户端。");
    const struct sdp_codec *c = sdp_media_codec(m, tracks[i].codec.pt);
    if (c == NULL || c->id != tracks[i].codec.id) continue;
    accepted[i] = m->dir == SDP_DIR_RECVONLY || m->dir == SDP_DIR_SENDRECV;
  }
  return 0;
}
