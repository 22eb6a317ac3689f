/* media/router.c — the SFU: descriptions per transport and forwarding in a room.
 *
 * A MEDIA_SEND transport carries one browser's published m-lines (struct
 * pub_stream per accepted m-line); a MEDIA_RECV transport carries slots
 * (struct sub_slot), each a publisher's stream re-numbered for this
 * subscriber: own SSRC, payload type, sequence and timestamp offsets, and
 * header extensions in the ids of the relay's offer. Forwarding writes a new
 * header per subscriber straight into the worker's send batch, copies the
 * payload and protects it there: no allocation per packet.
 */
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "media/media_internal.h"
#include "media/rtcp.h"
#include "media/rtp.h"

#define PLI_INTERVAL_MS 500
#define ANSWER_MAX      16384

static uint32_t rand32(void) {
  uint32_t v = 0;
  while (v == 0)
    if (RAND_bytes((unsigned char *)&v, sizeof v) != 1) v = 0x5eed1234u;
  return v;
}

/* The SSRC the relay uses as RTCP sender on a transport. */
static uint32_t rtcp_ssrc(const struct transport *t) {
  return (uint32_t)(t->id * 2654435761u) | 1u;
}

static void emit_error(struct worker *w, struct transport *t, const struct ly_error *e) {
  worker_emit_error(w, t->id, e->err ? e->err : LY_EINVAL, e->code[0] ? e->code : "media.sdp_malformed",
                    e->message);
}

static struct sdp_local local_of(struct worker *w, struct transport *t) {
  struct sdp_local l = {.ice_ufrag = t->ufrag,
                        .ice_pwd = t->pwd,
                        .fingerprint = w->m->dtls.fingerprint,
                        .ip = w->m->cand_ip,
                        .port = w->port,
                        .sess_id = t->id,
                        .sess_version = ++t->sess_version,
                        .max_video_kbps = t->kind == MEDIA_SEND ? w->m->cfg.max_video_kbps : 0};
  return l;
}

static void emit_sdp(struct worker *w, struct transport *t, enum media_sdp_type type, char *sdp, size_t len) {
  struct media_event *ev = worker_event(w, MEDIA_EV_LOCAL_SDP, t);
  if (ev == NULL) {
    free(sdp);
    return;
  }
  ev->sdp_type = type;
  ev->sdp = sdp;
  ev->sdp_len = len;
  worker_emit(w, ev);
}

/* Take the browser's ICE ufrag and DTLS fingerprint from m-line i. A changed
 * fingerprint on a running DTLS association is refused. */
static int take_remote(struct transport *t, const struct sdp_session *s, unsigned i, struct ly_error *e) {
  const char *u, *p;
  const uint8_t *fp;
  if (sdp_media_ice(s, i, &u, &p) != 0 || sdp_media_fingerprint(s, i, &fp) != 0)
    return ly_error_set(e, LY_EDENIED, "media.sdp_no_ice_credentials",
                        "ICE credentials or fingerprint missing.", NULL);
  if (t->has_remote && t->dtls.ssl != NULL && memcmp(t->remote_fp, fp, 32) != 0)
    return ly_error_set(e, LY_EDENIED, "media.sdp_fingerprint_changed",
                        "The DTLS fingerprint cannot change on a running transport.", NULL);
  snprintf(t->remote_ufrag, sizeof t->remote_ufrag, "%s", u);
  memcpy(t->remote_fp, fp, 32);
  t->has_remote = 1;
  return 0;
}

static void free_cache(struct pub_stream *p) {
  level_free(&p->level);
  free(p->cache);
  free(p->cache_len);
  free(p->cache_seq);
  p->cache = NULL;
  p->cache_len = NULL;
  p->cache_seq = NULL;
}

static int alloc_cache(struct pub_stream *p) {
  if (p->cache) return 0;
  p->cache = malloc(MEDIA_NACK_CACHE * sizeof *p->cache);
  p->cache_len = calloc(MEDIA_NACK_CACHE, sizeof *p->cache_len);
  p->cache_seq = calloc(MEDIA_NACK_CACHE, sizeof *p->cache_seq);
  if (p->cache && p->cache_len && p->cache_seq) return 0;
  free_cache(p);
  return LY_ENOMEM;
}

static void room_changed(struct worker *w, struct transport *t) {
  struct media_event *ev = worker_event(w, MEDIA_EV_ROOM_CHANGED, t);
  if (ev) worker_emit(w, ev);
}

/* A browser's offer on a MEDIA_SEND transport: negotiate, keep the streams,
 * answer. */
static void apply_offer(struct worker *w, struct transport *t, const struct sdp_session *s) {
  struct ly_error e;
  struct sdp_track tracks[SDP_MAX_MEDIA];
  unsigned n = 0, first = 0;
  memset(&e, 0, sizeof e);
  if (sdp_negotiate_offer(s, tracks, &n, &e) != 0) {
    emit_error(w, t, &e);
    return;
  }
  while (first < n && !tracks[first].active)
    first++;
  if (take_remote(t, s, first, &e) != 0) {
    emit_error(w, t, &e);
    return;
  }
  for (unsigned i = 0; i < n; i++) {
    struct pub_stream *p = &t->pub[i];
    int same = i < t->n_tracks && strcmp(t->tracks[i].mid, tracks[i].mid) == 0 && p->active;
    if (!same) {
      free_cache(p);
      memset(p, 0, sizeof *p);
    }
    p->active = tracks[i].active && tracks[i].dir == SDP_DIR_RECVONLY;
    if (tracks[i].ssrc) p->ssrc = tracks[i].ssrc;
    if (p->active && tracks[i].kind == SDP_KIND_VIDEO && alloc_cache(p) != 0) p->active = 0;
  }
  memcpy(t->tracks, tracks, n * sizeof tracks[0]);
  t->n_tracks = n;
  char *out = malloc(ANSWER_MAX);
  size_t len = 0;
  struct sdp_local l = local_of(w, t);
  if (out == NULL || sdp_write_answer(s, tracks, n, &l, out, ANSWER_MAX, &len) != 0) {
    free(out);
    {
      worker_emit_error(w, t->id, LY_EINTERNAL, "media.sdp_write_failed", "Could not write the answer.");
      return;
    }
  }
  emit_sdp(w, t, MEDIA_SDP_ANSWER, out, len);
  room_changed(w, t);
}

/* The browser's answer to the relay's offer on a MEDIA_RECV transport. */
static void apply_answer(struct worker *w, struct transport *t, const struct sdp_session *s) {
  struct ly_error e;
  uint8_t acc[SDP_MAX_MEDIA];
  memset(&e, 0, sizeof e);
  if (t->n_tracks == 0) {
    worker_emit_error(w, t->id, LY_ESTATE, "media.no_offer", "No offer is waiting for an answer.");
    return;
  }
  if (sdp_check_answer(s, t->tracks, t->n_tracks, acc, &e) != 0) {
    emit_error(w, t, &e);
    return;
  }
  unsigned first = 0;
  while (first < t->n_tracks && !acc[first])
    first++;
  if (first == t->n_tracks) first = 0;
  if (take_remote(t, s, first, &e) != 0) {
    emit_error(w, t, &e);
    return;
  }
  for (unsigned i = 0; i < t->n_tracks; i++)
    t->sub[i].accepted = acc[i];
  emit_sdp(w, t, MEDIA_SDP_ANSWER, NULL, 0);
}

void router_apply(struct worker *w, struct transport *t, const struct media_cmd *c) {
  struct sdp_session *s = malloc(sizeof *s);
  struct ly_error e;
  memset(&e, 0, sizeof e);
  if (s == NULL) {
    worker_emit_error(w, t->id, LY_ENOMEM, "internal.out_of_memory", "Out of memory.");
    return;
  }
  if (sdp_parse(c->sdp, c->sdp_len, s, &e) != 0) {
    emit_error(w, t, &e);
  } else if (t->kind == MEDIA_SEND && c->sdp_type == MEDIA_SDP_OFFER) {
    apply_offer(w, t, s);
  } else if (t->kind == MEDIA_RECV && c->sdp_type == MEDIA_SDP_ANSWER) {
    apply_answer(w, t, s);
  } else {
    worker_emit_error(w, t->id, LY_ESTATE, "media.sdp_wrong_type",
                      "Send transports take offers; receive transports take answers.");
  }
  free(s);
}

/* ---- subscribe -------------------------------------------------------------- */

static struct transport *member(struct worker *w, const struct transport *t, unsigned i) {
  return &w->t[w->rooms[t->room].members[i]];
}

static int slot_live(struct worker *w, const struct sub_slot *s) {
  struct transport *p = worker_find(w, s->pub_id);
  return p && p->kind == MEDIA_SEND && s->pub_track < p->n_tracks && p->pub[s->pub_track].active;
}

static void add_slot(struct transport *t, const struct transport *p, unsigned k) {
  unsigned j = t->n_tracks++;
  struct sdp_track *tr = &t->tracks[j];
  const struct sdp_track *src = &p->tracks[k];
  memset(tr, 0, sizeof *tr);
  memset(&t->sub[j], 0, sizeof t->sub[j]);
  tr->kind = src->kind;
  tr->active = 1;
  tr->dir = SDP_DIR_SENDONLY;
  snprintf(tr->mid, sizeof tr->mid, "m%u", j);
  tr->codec = src->codec;
  tr->ext[SDP_EXT_MID] = SDP_OFFER_EXT_MID;
  if (src->kind == SDP_KIND_AUDIO)
    tr->ext[SDP_EXT_AUDIO_LEVEL] = SDP_OFFER_EXT_AUDIO_LEVEL;
  else
    tr->ext[SDP_EXT_ABS_SEND_TIME] = SDP_OFFER_EXT_ABS_SEND_TIME;
  tr->ssrc = rand32();
  snprintf(tr->cname, sizeof tr->cname, "%s", p->label);
  snprintf(tr->msid_stream, sizeof tr->msid_stream, "%s", p->label);
  /* "<label>-<k>", the label cut short if need be so the index always fits */
  snprintf(tr->msid_track, sizeof tr->msid_track, "%.48s-%u", p->label, k % 100);
  t->sub[j].pub_id = p->id;
  t->sub[j].pub_track = (uint8_t)k;
  t->sub[j].seq_delta = (uint16_t)rand32();
  t->sub[j].ts_delta = rand32();
}

static int has_slot(const struct transport *t, uint64_t pub, unsigned k) {
  for (unsigned j = 0; j < t->n_tracks; j++)
    if (t->sub[j].pub_id == pub && t->sub[j].pub_track == k) return 1;
  return 0;
}

void router_subscribe(struct worker *w, struct transport *t) {
  if (t->kind != MEDIA_RECV) {
    worker_emit_error(w, t->id, LY_ESTATE, "media.wrong_kind", "Only receive transports subscribe.");
    return;
  }
  for (unsigned j = 0; j < t->n_tracks; j++) { /* ended streams keep their m-line, inactive */
    if (!slot_live(w, &t->sub[j])) t->tracks[j].active = 0;
  }
  for (unsigned i = 0; i < w->rooms[t->room].n; i++) {
    struct transport *p = member(w, t, i);
    if (p->kind != MEDIA_SEND || strcmp(p->label, t->label) == 0) continue;
    for (unsigned k = 0; k < p->n_tracks && t->n_tracks < SDP_MAX_MEDIA; k++)
      if (p->pub[k].active && !has_slot(t, p->id, k)) add_slot(t, p, k);
  }
  if (t->n_tracks == 0) {
    worker_emit_error(w, t->id, LY_ENOTFOUND, "media.nothing_to_subscribe", "Nobody publishes in this room.");
    return;
  }
  char *out = malloc(ANSWER_MAX);
  size_t len = 0;
  struct sdp_local l = local_of(w, t);
  if (out == NULL || sdp_write_offer(t->tracks, t->n_tracks, &l, out, ANSWER_MAX, &len) != 0) {
    free(out);
    {
      worker_emit_error(w, t->id, LY_EINTERNAL, "media.sdp_write_failed", "Could not write the offer.");
      return;
    }
  }
  emit_sdp(w, t, MEDIA_SDP_OFFER, out, len);
}

/* ---- forwarding ------------------------------------------------------------- */

/* RFC 3550 A.1: sequence number bookkeeping for loss statistics. */
static void seq_update(struct pub_stream *p, uint16_t seq) {
  if (!p->have_seq) {
    p->have_seq = 1;
    p->base_seq = seq;
    p->max_seq = seq;
    p->received = 1;
    return;
  }
  uint16_t udelta = (uint16_t)(seq - p->max_seq);
  if (udelta < 3000) {
    if (seq < p->max_seq) p->cycles += 65536;
    p->max_seq = seq;
  } else if (udelta <= 65536 - 100) { /* a big jump: the sender restarted */
    p->base_seq = seq;
    p->max_seq = seq;
    p->cycles = 0;
    p->received = p->expected_prior = p->received_prior = 0;
  }
  p->received++;
}

/* RFC 3550 A.8 interarrival jitter, kept << 4. */
static void jitter_update(struct pub_stream *p, uint32_t ts, uint32_t clock, int64_t now_ms) {
  uint32_t arrival = (uint32_t)((uint64_t)now_ms * clock / 1000);
  uint32_t transit = arrival - ts;
  if (p->transit != 0) {
    int32_t d = (int32_t)(transit - p->transit);
    if (d < 0) d = -d;
    p->jitter += (uint32_t)d - ((p->jitter + 8) >> 4);
  }
  p->transit = transit;
}

/* Which of t's published m-lines does this SSRC belong to? An m-line whose
 * SDP named no SSRC learns it from the first packet with its payload type. */
static int pub_index(struct transport *t, uint32_t ssrc, uint8_t pt) {
  for (unsigned i = 0; i < t->n_tracks; i++)
    if (t->pub[i].active && t->pub[i].ssrc == ssrc) return (int)i;
  for (unsigned i = 0; i < t->n_tracks; i++) {
    if (t->pub[i].active && t->pub[i].ssrc == 0 && t->tracks[i].codec.pt == pt) {
      t->pub[i].ssrc = ssrc;
      return (int)i;
    }
  }
  return -1;
}

struct fwd_ext {
  int have_level;
  uint8_t level; /* voice bit + level, as received */
  uint32_t abs_send_time;
};

/* Write publisher packet (plaintext, parsed as h) for slot j of subscriber s
 * into the send batch. Returns 0 if queued. */
static int send_to_slot(struct worker *w, struct transport *s, unsigned j, const uint8_t *pkt,
                        const struct rtp_hdr *h, const struct fwd_ext *x) {
  struct sub_slot *sl = &s->sub[j];
  const struct sdp_track *tr = &s->tracks[j];
  struct rtp_out o;
  memset(&o, 0, sizeof o);
  o.marker = h->marker;
  o.pt = tr->codec.pt;
  o.seq = (uint16_t)(h->seq + sl->seq_delta);
  o.ts = h->ts + sl->ts_delta;
  o.ssrc = tr->ssrc;
  uint8_t ast[3] = {(uint8_t)(x->abs_send_time >> 16), (uint8_t)(x->abs_send_time >> 8),
                    (uint8_t)x->abs_send_time};
  o.ext[o.n_ext].id = SDP_OFFER_EXT_MID;
  o.ext[o.n_ext].len = (uint8_t)strlen(tr->mid);
  o.ext[o.n_ext++].data = (const uint8_t *)tr->mid;
  if (tr->kind == SDP_KIND_AUDIO && x->have_level) {
    o.ext[o.n_ext].id = SDP_OFFER_EXT_AUDIO_LEVEL;
    o.ext[o.n_ext].len = 1;
    o.ext[o.n_ext++].data = &x->level;
  } else if (tr->kind == SDP_KIND_VIDEO) {
    o.ext[o.n_ext].id = SDP_OFFER_EXT_ABS_SEND_TIME;
    o.ext[o.n_ext].len = 3;
    o.ext[o.n_ext++].data = ast;
  }
  uint8_t *out = worker_tx_slot(w);
  size_t hl, n;
  if (rtp_write_header(&o, out, MEDIA_BUF, &hl) != 0 || hl + h->payload_len > MEDIA_MAX_PKT)
    return LY_ETOOBIG;
  memcpy(out + hl, pkt + h->header_len, h->payload_len);
  if (ly_srtp_protect_rtp(&s->srtp, out, hl + h->payload_len, MEDIA_BUF, &n) != 0) return LY_ECRYPTO;
  worker_tx_commit(w, n, &s->checked[s->selected]);
  sl->packets++;
  sl->octets += (uint32_t)h->payload_len;
  sl->last_ts = o.ts;
  s->stats.packets_out++;
  s->stats.bytes_out += n;
  return 0;
}

static int can_send(const struct transport *s) {
  return s->state == TS_CONNECTED && s->srtp_ready && s->selected >= 0;
}

static void fan_out(struct worker *w, struct transport *p, unsigned k, const uint8_t *pkt,
                    const struct rtp_hdr *h, const struct fwd_ext *x) {
  const struct room *r = &w->rooms[p->room];
  for (unsigned i = 0; i < r->n; i++) {
    struct transport *s = &w->t[r->members[i]];
    if (s->kind != MEDIA_RECV || !can_send(s)) continue;
    for (unsigned j = 0; j < s->n_tracks; j++) {
      if (s->weak && s->tracks[j].kind == SDP_KIND_VIDEO) continue;
      if (s->sub[j].pub_id == p->id && s->sub[j].pub_track == k && s->sub[j].accepted &&
          s->tracks[j].active && send_to_slot(w, s, j, pkt, h, x) == 0)
        atomic_fetch_add_explicit(&w->forwarded, 1, memory_order_relaxed);
    }
  }
}

static void cache_put(struct pub_stream *p, const uint8_t *pkt, size_t len, uint16_t seq) {
  if (p->cache == NULL || len > MEDIA_MAX_PKT) return;
  unsigned i = seq & (MEDIA_NACK_CACHE - 1);
  memcpy(p->cache[i], pkt, len);
  p->cache_len[i] = (uint16_t)len;
  p->cache_seq[i] = seq;
}

static void send_rtcp(struct worker *w, struct transport *t, uint8_t *buf, size_t len);

/* "One side is silent" (DESIGN §9): from the RFC 6464 voice flag; with DTX a
 * silent browser sends next to nothing, which counts as silence too. */
static void silence_event(struct worker *w, struct transport *t, int silent) {
  t->silent = (uint8_t)silent;
  struct media_event *ev = worker_event(w, MEDIA_EV_SILENCE, t);
  if (ev) {
    ev->silent = (uint8_t)silent;
    worker_emit(w, ev);
  }
}

static void check_silence(struct worker *w, struct transport *t, int64_t now) {
  int has_audio = 0; /* its level comes from the extension or from decoding (level.c) */
  for (unsigned k = 0; k < t->n_tracks; k++)
    has_audio |= t->pub[k].active && t->tracks[k].kind == SDP_KIND_AUDIO;
  if (!has_audio || t->silent) return;
  if (t->last_voice_ms == 0) t->last_voice_ms = now; /* the clock starts at connection */
  if (now - t->last_voice_ms >= (int64_t)w->m->cfg.silence_ms) silence_event(w, t, 1);
}

/* Packets lost between a publisher and the relay: ask the publisher again
 * (RFC 4585 generic NACK), so every subscriber gets the repair. */
static void nack_upstream(struct worker *w, struct transport *t, struct pub_stream *p, uint16_t prev,
                          int gap) {
  uint16_t seqs[16];
  size_t n = 0;
  for (int i = 1; i < gap && n < 16; i++)
    seqs[n++] = (uint16_t)(prev + i);
  uint8_t buf[MEDIA_BUF];
  size_t off = 0;
  struct rtcp_rr rr = {.ssrc = rtcp_ssrc(t)};
  rtcp_write_rr(buf, sizeof buf, &off, &rr);
  if (rtcp_write_nack(buf, sizeof buf, &off, rr.ssrc, p->ssrc, seqs, n) == 0) send_rtcp(w, t, buf, off);
}

void router_on_rtp(struct worker *w, struct transport *t, uint8_t *buf, size_t len) {
  if (t->kind != MEDIA_SEND || len < RTP_MIN_HEADER) return;
  uint32_t ssrc = ((uint32_t)buf[8] << 24) | ((uint32_t)buf[9] << 16) | ((uint32_t)buf[10] << 8) | buf[11];
  int k = pub_index(t, ssrc, buf[1] & 0x7F); /* only SSRCs we expect reach libsrtp */
  if (k < 0) return;
  size_t n;
  if (ly_srtp_unprotect_rtp(&t->srtp, buf, len, &n) != 0) return;
  struct rtp_hdr h;
  if (rtp_parse(buf, n, &h) != 0 || h.pt != t->tracks[k].codec.pt) return;
  struct pub_stream *p = &t->pub[k];
  int64_t now = worker_now(w);
  int gap = p->have_seq ? rtp_seq_diff(h.seq, p->max_seq) : 0;
  uint16_t prev = p->max_seq;
  seq_update(p, h.seq);
  if (gap > 1 && gap <= 17 && p->cache && (t->tracks[k].codec.fb & SDP_FB_NACK))
    nack_upstream(w, t, p, prev, gap);
  jitter_update(p, h.ts, t->tracks[k].codec.clock, now);
  cache_put(p, buf, n, h.seq);
  struct fwd_ext x = {0};
  const uint8_t *d;
  size_t dl;
  const uint8_t *ext = t->tracks[k].ext;
  if (rtp_ext_find(buf, &h, ext[SDP_EXT_AUDIO_LEVEL], &d, &dl) == 0 && dl >= 1) {
    x.have_level = 1;
    x.level = d[0];
  } else if (t->tracks[k].codec.id == SDP_CODEC_OPUS) { /* no RFC 6464 extension: sampled by decoding */
    x.have_level = level_from_opus(&p->level, buf + h.header_len, h.payload_len, now, &x.level) == 0;
  }
  if (x.have_level) {
    t->stats.audio_level = x.level & 0x7F;
    if (x.level & 0x80) {
      t->stats.voice_packets++;
      t->last_voice_ms = now;
      if (t->silent) silence_event(w, t, 0);
    }
  }
  /* abs-send-time is when the relay sends: a subscriber's delay-based
   * estimate then measures the relay-to-subscriber path, not the publisher's */
  x.abs_send_time = rtp_abs_send_time_from_ms(now);
  fan_out(w, t, (unsigned)k, buf, &h, &x);
  uint32_t rec = w->rooms[t->room].rec;
  if (rec && t->tracks[k].codec.id == SDP_CODEC_OPUS) /* a copy to the recording thread */
    recthread_opus(w, rec, (t->id << 4) | (unsigned)k, buf + h.header_len, h.payload_len);
}

/* ---- RTCP ---------------------------------------------------------------------- */

/* Protect the compound in buf[0..len) (room for the trailer required) and send. */
static void send_rtcp(struct worker *w, struct transport *t, uint8_t *buf, size_t len) {
  size_t n;
  if (!can_send(t) || ly_srtp_protect_rtcp(&t->srtp, buf, len, MEDIA_BUF, &n) != 0) return;
  transport_send(w, t, buf, n);
}

static void request_keyframe(struct worker *w, struct transport *p, unsigned k, int fir) {
  struct pub_stream *ps = &p->pub[k];
  int64_t now = worker_now(w);
  if (ps->ssrc == 0 || now - ps->last_pli_ms < PLI_INTERVAL_MS) return;
  ps->last_pli_ms = now;
  uint8_t buf[MEDIA_BUF];
  size_t off = 0;
  struct rtcp_rr rr = {.ssrc = rtcp_ssrc(p)};
  rtcp_write_rr(buf, sizeof buf, &off, &rr);
  if (fir && (p->tracks[k].codec.fb & SDP_FB_FIR))
    rtcp_write_fir(buf, sizeof buf, &off, rr.ssrc, ps->ssrc, ++ps->fir_seq);
  else
    rtcp_write_pli(buf, sizeof buf, &off, rr.ssrc, ps->ssrc);
  send_rtcp(w, p, buf, off);
}

static int slot_by_ssrc(const struct transport *s, uint32_t ssrc) {
  for (unsigned j = 0; j < s->n_tracks; j++)
    if (s->tracks[j].ssrc == ssrc) return (int)j;
  return -1;
}

/* Answer a subscriber's NACK from the publisher's cache. */
static void answer_nack(struct worker *w, struct transport *s, unsigned j, const struct rtcp_fb *fb) {
  struct transport *p = worker_find(w, s->sub[j].pub_id);
  if (p == NULL || s->sub[j].pub_track >= p->n_tracks) return;
  struct pub_stream *ps = &p->pub[s->sub[j].pub_track];
  uint16_t seqs[RTCP_MAX_FCI * 17];
  size_t n = rtcp_nack_seqs(fb, seqs, sizeof seqs / sizeof seqs[0]);
  for (size_t i = 0; i < n && ps->cache; i++) {
    uint16_t in = (uint16_t)(seqs[i] - s->sub[j].seq_delta);
    unsigned c = in & (MEDIA_NACK_CACHE - 1);
    struct rtp_hdr h;
    if (ps->cache_len[c] == 0 || ps->cache_seq[c] != in) continue;
    if (rtp_parse(ps->cache[c], ps->cache_len[c], &h) != 0) continue;
    struct fwd_ext x = {.abs_send_time = rtp_abs_send_time_from_ms(worker_now(w))};
    if (send_to_slot(w, s, j, ps->cache[c], &h, &x) == 0) s->stats.retransmits++;
  }
}

/* Weak links (DESIGN §9, issue 5): video loss above weak_loss_pct for
 * weak_after_ms pauses the subscriber's video; audio loss under good_loss_pct
 * for good_after_ms brings it back (with a key frame request).
 *
 * Time, not a count of reports: browsers report video about every second but
 * audio only every 2.5-7.5 s (libwebrtc: 5 s, randomised ×0.5..1.5). A
 * report block's fraction lost covers the interval since that receiver's
 * previous report on the same stream (RFC 3550 §6.4.1), so a good block
 * means "good since the previous block": the quiet period starts there, not
 * at the block's arrival, else every recovery would wait one extra audio
 * interval — and when that previous block still shows a part of the loss
 * before it, at the point of its interval where the loss ended (loss_end). A block whose highest sequence number has not moved covers no
 * packet (e.g. video while it is paused) and says nothing: it neither starts
 * nor restarts a period. The verdict is taken on each block and on the
 * worker's 1 s timer, so it comes when the period is up, not at the next
 * report; the timer only trusts a period whose last block is recent. */
#define REPORT_FRESH_MS 8000 /* longest audio report interval (7.5 s) and some slack */

/* fraction (/256) against a percentage, exactly */
static int loss_above(uint8_t fraction_256, uint32_t pct) {
  return (uint32_t)fraction_256 * 100 > pct * 256;
}
static int loss_below(uint8_t fraction_256, uint32_t pct) {
  return (uint32_t)fraction_256 * 100 < pct * 256;
}

static void weak_link_set(struct worker *w, struct transport *s, int weak, int64_t now) {
  s->weak = (uint8_t)weak;
  s->bad_since_ms = s->good_since_ms = 0;
  s->weak_since_ms = weak ? now : 0;
  if (!weak)
    for (unsigned j = 0; j < s->n_tracks; j++)
      s->sub[j].packets = 0; /* kick_new_slots asks for key frames */
  struct media_event *ev = worker_event(w, MEDIA_EV_WEAK_LINK, s);
  if (ev) {
    ev->audio_only = s->weak;
    worker_emit(w, ev);
  }
}

/* The verdict, from the periods the blocks so far have set up. */
static void weak_link_check(struct worker *w, struct transport *s, int64_t now) {
  const struct media_config *cfg = &w->m->cfg;
  if (now - s->last_block_ms > REPORT_FRESH_MS) return;
  if (!s->weak && s->bad_since_ms && now - s->bad_since_ms >= (int64_t)cfg->weak_after_ms)
    weak_link_set(w, s, 1, now);
  else if (s->weak && s->good_since_ms && now - s->good_since_ms >= (int64_t)cfg->good_after_ms)
    weak_link_set(w, s, 0, now);
}

/* One report block of subscriber s about its slot j. */
/* When the loss ended inside the interval [span_from, span_to] of the last
 * bad report: a report whose loss is a part of the one before it (the loss
 * stopped partway, e.g. 5 % after 20 %) is read as that part of its interval
 * lost at the earlier rate and the rest clean. Used only once a good report
 * has followed it; a loss that merely eased is caught by the reports after. */
static int64_t loss_end(const struct sub_slot *sl) {
  if (sl->span_fraction == 0 || sl->prior_fraction < sl->span_fraction) return sl->span_to;
  return sl->span_from + (sl->span_to - sl->span_from) * sl->span_fraction / sl->prior_fraction;
}

/* One report block of subscriber s about its slot j. */
static void weak_link_report(struct worker *w, struct transport *s, unsigned j, const struct rtcp_report_block *b) {
  struct sub_slot *sl = &s->sub[j];
  const struct media_config *cfg = &w->m->cfg;
  int64_t now = worker_now(w), from = sl->block_ms;
  int fresh = sl->block_ms != 0 && b->ext_highest_seq != sl->block_seq;
  sl->block_ms = now;
  sl->block_seq = b->ext_highest_seq;
  if (!fresh) return;
  int64_t good_from = sl->span_to == from ? loss_end(sl) : from; /* stale reports between: from */
  sl->prior_fraction = sl->span_fraction;
  sl->span_fraction = b->fraction_lost;
  sl->span_from = from;
  sl->span_to = now;
  int video = s->tracks[j].kind == SDP_KIND_VIDEO;
  if (!s->weak && video) {
    if (!loss_above(b->fraction_lost, cfg->weak_loss_pct))
      s->bad_since_ms = 0;
    else if (s->bad_since_ms == 0)
      s->bad_since_ms = now; /* the loss began somewhere in the interval: count from its end */
  } else if (s->weak && !video) {
    if (!loss_below(b->fraction_lost, cfg->good_loss_pct))
      s->good_since_ms = 0;
    else if (s->good_since_ms == 0)
      s->good_since_ms = good_from > s->weak_since_ms ? good_from : s->weak_since_ms;
  } else {
    return;
  }
  s->last_block_ms = now;
  weak_link_check(w, s, now);
}

static void on_report_block(struct worker *w, struct transport *s, const struct rtcp_report_block *b) {
  int j = slot_by_ssrc(s, b->ssrc);
  if (j < 0) return;
  weak_link_report(w, s, (unsigned)j, b);
  s->stats.fraction_lost_256 = b->fraction_lost;
  s->stats.packets_lost = b->cumulative_lost > 0 ? (uint64_t)b->cumulative_lost : 0;
  uint32_t clock = s->tracks[j].codec.clock ? s->tracks[j].codec.clock : 90000;
  s->stats.jitter_ms = (uint32_t)((uint64_t)b->jitter * 1000 / clock);
  if (b->lsr != 0) { /* RFC 3550 §6.4.1: RTT = now - LSR - DLSR, in 1/65536 s */
    uint32_t now = rtcp_ntp_mid32(rtcp_ntp_from_ms(worker_wall(w)));
    uint32_t rtt = now - b->lsr - b->dlsr;
    if (rtt < 65536u * 10) s->stats.rtt_ms = (uint32_t)((uint64_t)rtt * 1000 / 65536);
  }
}

static void from_subscriber(struct worker *w, struct transport *s, const struct rtcp_pkt *pk) {
  struct rtcp_fb fb;
  struct rtcp_rr rr;
  struct rtcp_sr sr;
  if (pk->type == RTCP_RR && rtcp_parse_rr(pk, &rr) == 0) {
    for (unsigned i = 0; i < rr.n_blocks; i++)
      on_report_block(w, s, &rr.blocks[i]);
  } else if (pk->type == RTCP_SR && rtcp_parse_sr(pk, &sr) == 0) {
    for (unsigned i = 0; i < sr.n_blocks; i++)
      on_report_block(w, s, &sr.blocks[i]);
  } else if ((pk->type == RTCP_PSFB || pk->type == RTCP_RTPFB) && rtcp_parse_fb(pk, &fb) == 0) {
    int fir = pk->type == RTCP_PSFB && fb.fmt == RTCP_FMT_FIR;
    uint32_t media = fir && fb.n_fci ? fb.fir[0].ssrc : fb.media_ssrc;
    int j = slot_by_ssrc(s, media);
    if (j < 0) return;
    if (pk->type == RTCP_RTPFB && fb.fmt == RTCP_FMT_NACK) {
      s->stats.nacks_in++;
      answer_nack(w, s, (unsigned)j, &fb);
    } else if (pk->type == RTCP_PSFB && (fb.fmt == RTCP_FMT_PLI || fir)) {
      s->stats.plis_in++;
      struct transport *p = worker_find(w, s->sub[j].pub_id);
      if (p && s->sub[j].pub_track < p->n_tracks) request_keyframe(w, p, s->sub[j].pub_track, fir);
    }
  }
}

/* A publisher's SR, translated for each subscriber of that stream, so their
 * browsers can map RTP time to wall-clock time (lip sync) and measure RTT. */
static void forward_sr(struct worker *w, struct transport *p, unsigned k, const struct rtcp_sr *sr) {
  const struct room *r = &w->rooms[p->room];
  for (unsigned i = 0; i < r->n; i++) {
    struct transport *s = &w->t[r->members[i]];
    if (s->kind != MEDIA_RECV || !can_send(s)) continue;
    for (unsigned j = 0; j < s->n_tracks; j++) {
      struct sub_slot *sl = &s->sub[j];
      if (sl->pub_id != p->id || sl->pub_track != k || !sl->accepted) continue;
      struct rtcp_sr out = {.ssrc = s->tracks[j].ssrc,
                            .ntp = sr->ntp,
                            .rtp_ts = sr->rtp_ts + sl->ts_delta,
                            .packet_count = sl->packets,
                            .octet_count = sl->octets};
      uint8_t buf[MEDIA_BUF];
      size_t off = 0;
      if (rtcp_write_sr(buf, sizeof buf, &off, &out) != 0) continue;
      rtcp_write_sdes_cname(buf, sizeof buf, &off, out.ssrc, s->tracks[j].cname);
      sl->last_sr_ntp = sr->ntp;
      send_rtcp(w, s, buf, off);
    }
  }
}

static void from_publisher(struct worker *w, struct transport *p, const struct rtcp_pkt *pk) {
  struct rtcp_sr sr;
  if (pk->type != RTCP_SR || rtcp_parse_sr(pk, &sr) != 0) return;
  for (unsigned k = 0; k < p->n_tracks; k++) {
    if (p->pub[k].active && p->pub[k].ssrc == sr.ssrc) {
      p->pub[k].last_sr_ntp = sr.ntp;
      p->pub[k].last_sr_ms = worker_now(w);
      forward_sr(w, p, k, &sr);
    }
  }
}

void router_on_rtcp(struct worker *w, struct transport *t, uint8_t *buf, size_t len) {
  size_t n;
  if (ly_srtp_unprotect_rtcp(&t->srtp, buf, len, &n) != 0 || rtcp_validate(buf, n) != 0) return;
  struct rtcp_iter it;
  struct rtcp_pkt pk;
  rtcp_iter_init(&it, buf, n);
  while (rtcp_next(&it, &pk) == 1) {
    if (t->kind == MEDIA_RECV)
      from_subscriber(w, t, &pk);
    else
      from_publisher(w, t, &pk);
  }
}

/* ---- periodic reports ------------------------------------------------------------ */

static void fill_block(struct worker *w, struct pub_stream *p, struct rtcp_report_block *b,
                       struct media_stats *st) {
  uint32_t ext_max = p->cycles + p->max_seq;
  uint32_t expected = ext_max - p->base_seq + 1;
  int64_t lost = (int64_t)expected - p->received;
  uint32_t exp_int = expected - p->expected_prior, rec_int = p->received - p->received_prior;
  p->expected_prior = expected;
  p->received_prior = p->received;
  int64_t lost_int = (int64_t)exp_int - rec_int;
  b->ssrc = p->ssrc;
  b->fraction_lost = (exp_int == 0 || lost_int <= 0) ? 0 : (uint8_t)((lost_int << 8) / exp_int);
  b->cumulative_lost = lost > 0x7FFFFF ? 0x7FFFFF : (int32_t)lost;
  b->ext_highest_seq = ext_max;
  b->jitter = p->jitter >> 4;
  if (p->last_sr_ms) {
    b->lsr = rtcp_ntp_mid32(p->last_sr_ntp);
    b->dlsr = (uint32_t)((worker_now(w) - p->last_sr_ms) * 65536 / 1000);
  }
  st->fraction_lost_256 = b->fraction_lost;
  st->packets_lost = lost > 0 ? (uint64_t)lost : 0;
}

/* Every second on a connected MEDIA_SEND transport: a receiver report per
 * stream and a REMB capping the video bitrate at max_video_kbps. */
/* A subscriber's video slot that has not forwarded anything yet needs a key
 * frame to start decoding: ask its publisher (rate-limited per stream). */
static void kick_new_slots(struct worker *w, struct transport *s) {
  for (unsigned j = 0; j < s->n_tracks; j++) {
    if (!s->sub[j].accepted || s->sub[j].packets > 0 || s->tracks[j].kind != SDP_KIND_VIDEO) continue;
    struct transport *p = worker_find(w, s->sub[j].pub_id);
    if (p && p->state == TS_CONNECTED && s->sub[j].pub_track < p->n_tracks)
      request_keyframe(w, p, s->sub[j].pub_track, 0);
  }
}

void router_tick(struct worker *w, struct transport *t, int64_t now) {
  if (t->kind == MEDIA_RECV) {
    weak_link_check(w, t, now);
    kick_new_slots(w, t);
  }
  if (t->kind != MEDIA_SEND) return;
  check_silence(w, t, now);
  struct rtcp_rr rr = {.ssrc = rtcp_ssrc(t)};
  uint32_t video[SDP_MAX_MEDIA];
  size_t nv = 0;
  for (unsigned k = 0; k < t->n_tracks && rr.n_blocks < RTCP_MAX_BLOCKS; k++) {
    struct pub_stream *p = &t->pub[k];
    if (!p->active) continue;
    if (p->have_seq) fill_block(w, p, &rr.blocks[rr.n_blocks++], &t->stats);
    /* REMB from the start, so the first seconds are capped too */
    if (t->tracks[k].kind == SDP_KIND_VIDEO && p->ssrc) video[nv++] = p->ssrc;
  }
  if (rr.n_blocks == 0 && nv == 0) return;
  uint8_t buf[MEDIA_BUF];
  size_t off = 0;
  rtcp_write_rr(buf, sizeof buf, &off, &rr);
  rtcp_write_sdes_cname(buf, sizeof buf, &off, rr.ssrc, "lianyi-relay");
  if (nv)
    rtcp_write_remb(buf, sizeof buf, &off, rr.ssrc, (uint64_t)w->m->cfg.max_video_kbps * 1000, video, nv);
  send_rtcp(w, t, buf, off);
}

void router_release(struct worker *w, struct transport *t) {
  int published = 0;
  for (unsigned k = 0; k < SDP_MAX_MEDIA; k++) {
    published |= t->pub[k].active;
    free_cache(&t->pub[k]);
    t->pub[k].active = 0;
  }
  if (published && t->room >= 0) room_changed(w, t);
}
