/* tests/unit/media/test_media.c — the relay end to end in one process:
 * simulated browsers (ICE checks, a DTLS client, SRTP) publish and subscribe
 * through media_* commands over real UDP sockets on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka after the standard headers */
#include <arpa/inet.h>
#include <cmocka.h>
#include <math.h>
#include <opus/opus.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "media/dtls.h"
#include "media/media.h"
#include "media/media_internal.h" /* the service side's room placement */
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "media/srtp.h"
#include "media/stun.h"

struct peer {
  int fd;
  struct sockaddr_in relay;
  struct dtls_ctx ctx;
  struct dtls_conn dtls;
  struct ly_srtp srtp;
  char ufrag[16], pwd[40];
  char r_ufrag[16], r_pwd[40];
  uint8_t relay_fp[32];
  uint64_t id;
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void peer_send(void *ud, const uint8_t *b, size_t n) {
  struct peer *p = ud;
  sendto(p->fd, b, n, 0, (struct sockaddr *)&p->relay, sizeof p->relay);
}

/* One datagram from the relay within timeout_ms, or -1. */
static int peer_recv(struct peer *p, uint8_t *buf, size_t cap, int timeout_ms) {
  struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
  if (poll(&pfd, 1, timeout_ms) <= 0) return -1;
  return (int)recv(p->fd, buf, cap, 0);
}

static void hex_fp(const char *s, uint8_t out[32]) {
  for (int i = 0; i < 32; i++) {
    unsigned v;
    assert_int_equal(sscanf(s + 3 * i, "%2x", &v), 1);
    out[i] = (uint8_t)v;
  }
}

static struct media_event *wait_event(struct media *m, enum media_event_type type, uint64_t id,
                                      int timeout_ms) {
  int64_t end = now_ms() + timeout_ms;
  for (;;) {
    struct media_event *ev;
    while ((ev = media_next_event(m)) != NULL) {
      if (ev->type == type && (id == 0 || ev->transport_id == id)) return ev;
      media_event_free(ev);
    }
    int64_t left = end - now_ms();
    if (left <= 0) return NULL;
    struct pollfd pfd = {.fd = media_event_fd(m), .events = POLLIN};
    poll(&pfd, 1, (int)left);
  }
}

static void peer_init(struct peer *p, struct media *m, const char *room, const char *label,
                      enum media_transport_kind kind) {
  memset(p, 0, sizeof *p);
  p->fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in me = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  assert_int_equal(bind(p->fd, (struct sockaddr *)&me, sizeof me), 0);
  assert_int_equal(dtls_ctx_init(&p->ctx), 0);
  snprintf(p->ufrag, sizeof p->ufrag, "cl%s", label);
  snprintf(p->pwd, sizeof p->pwd, "clientpassword0123456789%s", label);
  assert_int_equal(media_create_transport(m, room, label, kind, &p->id), 0);
  struct media_event *ev = wait_event(m, MEDIA_EV_CREATED, p->id, 2000);
  assert_non_null(ev);
  snprintf(p->r_ufrag, sizeof p->r_ufrag, "%s", ev->ice_ufrag);
  snprintf(p->r_pwd, sizeof p->r_pwd, "%s", ev->ice_pwd);
  hex_fp(ev->fingerprint, p->relay_fp);
  assert_string_equal(ev->ip, "127.0.0.1");
  p->relay.sin_family = AF_INET;
  p->relay.sin_port = htons(ev->port);
  inet_pton(AF_INET, ev->ip, &p->relay.sin_addr);
  media_event_free(ev);
}

static void peer_free(struct peer *p) {
  dtls_conn_close(&p->dtls);
  ly_srtp_close(&p->srtp);
  dtls_ctx_close(&p->ctx);
  close(p->fd);
}

/* Send a binding request; returns 1 if a valid response came back. */
static int peer_check(struct peer *p, const char *username, const char *pwd) {
  uint8_t tid[12], buf[512];
  for (int i = 0; i < 12; i++)
    tid[i] = (uint8_t)rand();
  char user[128];
  snprintf(user, sizeof user, "%s", username ? username : "");
  if (username == NULL) snprintf(user, sizeof user, "%s:%s", p->r_ufrag, p->ufrag);
  struct stun_request_params rq = {.tid = tid,
                                   .username = user,
                                   .pwd = pwd ? pwd : p->r_pwd,
                                   .priority = 1853824767u,
                                   .tiebreaker = 99,
                                   .use_candidate = 1};
  size_t n;
  assert_int_equal(stun_write_binding_request(&rq, buf, sizeof buf, &n), 0);
  peer_send(p, buf, n);
  int r = peer_recv(p, buf, sizeof buf, 300);
  if (r <= 0) return 0;
  struct stun_msg msg;
  assert_int_equal(stun_parse(buf, (size_t)r, &msg), 0);
  assert_int_equal(msg.type, STUN_BINDING_SUCCESS);
  assert_memory_equal(msg.tid, tid, 12);
  assert_int_equal(stun_check_integrity(&msg, (const uint8_t *)p->r_pwd, strlen(p->r_pwd)), 0);
  assert_int_equal(stun_check_fingerprint(&msg), 0);
  assert_true(msg.has_xor_mapped);
  return 1;
}

/* Run the DTLS handshake as client; returns the final DTLS state. */
static int peer_dtls(struct peer *p) {
  assert_int_equal(dtls_conn_init(&p->dtls, &p->ctx, DTLS_ROLE_CLIENT, p->relay_fp, peer_send, p), 0);
  int64_t end = now_ms() + 3000;
  uint8_t buf[2048];
  while (p->dtls.state == DTLS_HANDSHAKING && now_ms() < end) {
    int r = peer_recv(p, buf, sizeof buf, 100);
    if (r > 0 && dtls_is_dtls(buf, (size_t)r))
      dtls_conn_input(&p->dtls, buf, (size_t)r);
    else if (dtls_conn_timeout_ms(&p->dtls) == 0)
      dtls_conn_on_timeout(&p->dtls);
  }
  if (p->dtls.state == DTLS_CONNECTED)
    assert_int_equal(ly_srtp_init(&p->srtp, p->dtls.keys.profile, p->dtls.keys.local, p->dtls.keys.remote),
                     0);
  return p->dtls.state;
}

#define OFFER_FMT                                                                                      \
  "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"                          \
  "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"          \
  "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\n"                                         \
  "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:4 "                              \
  "urn:ietf:params:rtp-hdrext:sdes:mid\r\n"                                                            \
  "a=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" \
  "a=ssrc:1111 cname:pub\r\n"                                                                          \
  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"           \
  "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:1\r\n"                                         \
  "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"                          \
  "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendonly\r\na=rtcp-mux\r\n"                     \
  "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n"    \
  "a=rtcp-fb:96 goog-remb\r\na=ssrc:2222 cname:pub\r\n"

/* Publish: offer, answer, ICE, DTLS. fp_override: a wrong fingerprint to offer. */
static void publish(struct media *m, struct peer *p, const char *fp_override) {
  char offer[4096];
  const char *fp = fp_override ? fp_override : p->ctx.fingerprint;
  int n = snprintf(offer, sizeof offer, OFFER_FMT, p->ufrag, p->pwd, fp, p->ufrag, p->pwd, fp);
  assert_int_equal(media_apply_remote(m, p->id, MEDIA_SDP_OFFER, offer, (size_t)n), 0);
  struct media_event *ev = wait_event(m, MEDIA_EV_LOCAL_SDP, p->id, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->sdp_type, MEDIA_SDP_ANSWER);
  assert_non_null(strstr(ev->sdp, "a=ice-lite"));
  assert_non_null(strstr(ev->sdp, "a=setup:passive"));
  media_event_free(ev);
  assert_true(peer_check(p, NULL, NULL));
}

/* Subscribe: relay offer, our answer. Fills ssrcs of the m-lines (audio, video). */
static void subscribe(struct media *m, struct peer *p, uint32_t *audio_ssrc, uint32_t *video_ssrc) {
  assert_int_equal(media_subscribe(m, p->id), 0);
  struct media_event *ev = wait_event(m, MEDIA_EV_LOCAL_SDP, p->id, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->sdp_type, MEDIA_SDP_OFFER);
  struct sdp_session *s = malloc(sizeof *s);
  assert_int_equal(sdp_parse(ev->sdp, ev->sdp_len, s, NULL), 0);
  media_event_free(ev);
  assert_int_equal(s->n_media, 2);
  char ans[4096];
  int n =
      snprintf(ans, sizeof ans, "v=0\r\no=- 5 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE %s %s\r\n",
               s->media[0].mid, s->media[1].mid);
  for (int i = 0; i < 2; i++) {
    const struct sdp_media *md = &s->media[i];
    const struct sdp_codec *c = &md->codecs[0];
    n += snprintf(ans + n, sizeof ans - (size_t)n,
                  "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
                  "a=fingerprint:sha-256 %s\r\na=setup:active\r\na=mid:%s\r\na=recvonly\r\na=rtcp-mux\r\n"
                  "a=rtpmap:%u %s\r\n",
                  md->kind == SDP_KIND_AUDIO ? "audio" : "video", c->pt, p->ufrag, p->pwd, p->ctx.fingerprint,
                  md->mid, c->pt, c->id == SDP_CODEC_OPUS ? "opus/48000/2" : "VP8/90000");
    if (md->kind == SDP_KIND_AUDIO)
      *audio_ssrc = md->ssrcs[0].ssrc;
    else
      *video_ssrc = md->ssrcs[0].ssrc;
  }
  free(s);
  assert_int_equal(media_apply_remote(m, p->id, MEDIA_SDP_ANSWER, ans, (size_t)n), 0);
  ev = wait_event(m, MEDIA_EV_LOCAL_SDP, p->id, 2000);
  assert_non_null(ev);
  assert_null(ev->sdp);
  media_event_free(ev);
  assert_true(peer_check(p, NULL, NULL));
}

static void send_rtp(struct peer *p, uint8_t pt, uint32_t ssrc, uint16_t seq, uint8_t fill) {
  uint8_t buf[400];
  uint8_t level = 0x85;
  struct rtp_out o = {.pt = pt, .seq = seq, .ts = seq * 960u, .ssrc = ssrc, .n_ext = pt == 111 ? 2 : 1};
  o.ext[0].id = 4, o.ext[0].len = 1, o.ext[0].data = (const uint8_t *)(pt == 111 ? "0" : "1");
  o.ext[1].id = 1, o.ext[1].len = 1, o.ext[1].data = &level;
  size_t hl, n;
  assert_int_equal(rtp_write_header(&o, buf, sizeof buf, &hl), 0);
  memset(buf + hl, fill, 100);
  assert_int_equal(ly_srtp_protect_rtp(&p->srtp, buf, hl + 100, sizeof buf, &n), 0);
  peer_send(p, buf, n);
}

/* Next RTP packet at p (RTCP and others skipped), unprotected and parsed. */
static int recv_rtp(struct peer *p, uint8_t *buf, struct rtp_hdr *h, int timeout_ms) {
  int64_t end = now_ms() + timeout_ms;
  while (now_ms() < end) {
    int r = peer_recv(p, buf, 2048, (int)(end - now_ms()));
    if (r <= 0) return -1;
    if (!rtp_is_rtp(buf, (size_t)r)) continue;
    size_t n;
    assert_int_equal(ly_srtp_unprotect_rtp(&p->srtp, buf, (size_t)r, &n), 0);
    assert_int_equal(rtp_parse(buf, n, h), 0);
    return (int)n;
  }
  return -1;
}

/* Next RTCP compound containing a packet of `type`/`fmt` at p. */
static int recv_rtcp(struct peer *p, uint8_t type, uint8_t fmt, struct rtcp_fb *fb, int timeout_ms) {
  int64_t end = now_ms() + timeout_ms;
  uint8_t buf[2048];
  while (now_ms() < end) {
    int r = peer_recv(p, buf, sizeof buf, (int)(end - now_ms()));
    if (r <= 0) return -1;
    if (!rtcp_is_rtcp(buf, (size_t)r)) continue;
    size_t n;
    assert_int_equal(ly_srtp_unprotect_rtcp(&p->srtp, buf, (size_t)r, &n), 0);
    assert_int_equal(rtcp_validate(buf, n), 0);
    struct rtcp_iter it;
    struct rtcp_pkt pk;
    rtcp_iter_init(&it, buf, n);
    while (rtcp_next(&it, &pk) == 1)
      if (pk.type == type && pk.count == fmt && rtcp_parse_fb(&pk, fb) == 0) return 0;
  }
  return -1;
}

static void send_rtcp(struct peer *p, uint8_t *buf, size_t len) {
  size_t n;
  assert_int_equal(ly_srtp_protect_rtcp(&p->srtp, buf, len, 2048, &n), 0);
  peer_send(p, buf, n);
}

static struct media *start_cfg(uint32_t consent_ms, uint32_t silence_ms) {
  struct media_config cfg = {.workers = 1,
                             .listen_ip = "127.0.0.1",
                             .consent_timeout_ms = consent_ms,
                             .silence_ms = silence_ms,
                             .weak_after_ms = 20,
                             .good_after_ms = 20}; /* weak links: held 20 ms, reports 10 ms apart */
  struct media *m = NULL;
  assert_int_equal(media_start(&cfg, &m), 0);
  assert_int_equal(media_worker_count(m), 1);
  assert_true(media_worker_port(m, 0) > 0);
  assert_int_equal(strlen(media_fingerprint(m)), DTLS_FINGERPRINT_LEN);
  return m;
}

static struct media *start(uint32_t consent_ms) {
  return start_cfg(consent_ms, 0);
}

/* A relay with publisher a (patient1) and subscriber b (doctor1), both keyed. */
struct pair {
  struct media *m;
  struct peer a, b;
  uint32_t assrc, vssrc; /* the SSRCs b sees */
};

static int pair_setup(void **state) {
  struct pair *f = calloc(1, sizeof *f);
  f->m = start(0);
  peer_init(&f->a, f->m, "room1", "patient1", MEDIA_SEND);
  peer_init(&f->b, f->m, "room1", "doctor1", MEDIA_RECV);
  publish(f->m, &f->a, NULL);
  assert_int_equal(peer_dtls(&f->a), DTLS_CONNECTED);
  struct media_event *ev = wait_event(f->m, MEDIA_EV_CONNECTED, f->a.id, 2000);
  assert_non_null(ev);
  media_event_free(ev);
  assert_int_equal(f->a.dtls.keys.profile, DTLS_SRTP_AEAD_AES_128_GCM);
  subscribe(f->m, &f->b, &f->assrc, &f->vssrc);
  assert_int_equal(peer_dtls(&f->b), DTLS_CONNECTED);
  ev = wait_event(f->m, MEDIA_EV_CONNECTED, f->b.id, 2000);
  assert_non_null(ev);
  media_event_free(ev);
  *state = f;
  return 0;
}

static int pair_teardown(void **state) {
  struct pair *f = *state;
  peer_free(&f->a);
  peer_free(&f->b);
  media_stop(f->m);
  free(f);
  return 0;
}

/* Audio: SSRC, payload and audio level come through; mid is rewritten. */
static void test_forward_audio(void **state) {
  struct pair *f = *state;
  uint8_t buf[2048];
  struct rtp_hdr h;
  uint16_t first_seq = 0;
  for (int i = 0; i < 5; i++) {
    send_rtp(&f->a, 111, 1111, (uint16_t)(1000 + i), (uint8_t)i);
    assert_true(recv_rtp(&f->b, buf, &h, 1000) > 0);
    assert_int_equal(h.ssrc, f->assrc);
    assert_int_equal(h.pt, 111);
    assert_int_equal(h.payload_len, 100);
    assert_int_equal(buf[h.header_len], (uint8_t)i);
    if (i == 0) first_seq = h.seq;
    assert_int_equal(h.seq, (uint16_t)(first_seq + i));
    int voice, level;
    assert_int_equal(rtp_ext_audio_level(buf, &h, SDP_OFFER_EXT_AUDIO_LEVEL, &voice, &level), 0);
    assert_int_equal(level, 5);
    char mid[8];
    assert_int_equal(rtp_ext_mid(buf, &h, SDP_OFFER_EXT_MID, mid, sizeof mid), 0);
    assert_string_equal(mid, "m0");
  }
  assert_int_equal(media_request_stats(f->m, f->a.id), 0);
  struct media_event *ev = wait_event(f->m, MEDIA_EV_STATS, f->a.id, 2000);
  assert_non_null(ev);
  assert_true(ev->stats.packets_in >= 5);
  assert_true(ev->stats.connected);
  assert_int_equal(ev->stats.audio_level, 5);
  assert_int_equal(ev->stats.voice_packets, 5);
  media_event_free(ev);
  struct media_metrics mm;
  media_metrics(f->m, &mm);
  assert_true(mm.forwarded_packets >= 5);
  assert_int_equal(mm.transports, 2);
  assert_int_equal(mm.connected, 2);
  assert_int_equal(mm.dtls_failures, 0);
  /* closing the room closes both */
  assert_int_equal(media_close_room(f->m, "room1"), 0);
  ev = wait_event(f->m, MEDIA_EV_CLOSED, f->a.id, 2000);
  assert_non_null(ev);
  media_event_free(ev);
}

/* Video: a subscriber's NACK is answered from the cache; a gap upstream is
 * NACKed to the publisher. */
static void test_nack_both_ways(void **state) {
  struct pair *f = *state;
  uint8_t buf[2048], rb[2048];
  struct rtp_hdr h;
  uint16_t vseq0 = 0;
  for (int i = 0; i < 5; i++) {
    send_rtp(&f->a, 96, 2222, (uint16_t)(50 + i), 0xA0);
    if (i == 2) { /* "lost" on the way to b: read and dropped before SRTP sees it */
      assert_true(peer_recv(&f->b, buf, sizeof buf, 1000) > 0);
      continue;
    }
    assert_true(recv_rtp(&f->b, buf, &h, 1000) > 0);
    assert_int_equal(h.ssrc, f->vssrc);
    if (i == 0) vseq0 = h.seq;
  }
  size_t off = 0;
  uint16_t want = (uint16_t)(vseq0 + 2);
  assert_int_equal(rtcp_write_nack(rb, sizeof rb, &off, 77, f->vssrc, &want, 1), 0);
  send_rtcp(&f->b, rb, off);
  assert_true(recv_rtp(&f->b, buf, &h, 1000) > 0);
  assert_int_equal(h.seq, want);
  assert_int_equal(h.ssrc, f->vssrc);

  send_rtp(&f->a, 96, 2222, 57, 0xA0); /* 55 and 56 never sent */
  assert_true(recv_rtp(&f->b, buf, &h, 1000) > 0);
  struct rtcp_fb nfb;
  assert_int_equal(recv_rtcp(&f->a, RTCP_RTPFB, RTCP_FMT_NACK, &nfb, 1000), 0);
  assert_int_equal(nfb.media_ssrc, 2222);
  uint16_t missing[8];
  assert_int_equal(rtcp_nack_seqs(&nfb, missing, 8), 2);
  assert_int_equal(missing[0], 55);
  assert_int_equal(missing[1], 56);
}

/* PLI from the subscriber reaches the publisher for its own SSRC; the
 * publisher gets REMB capping video at 1200 kbps. */
static void test_pli_and_remb(void **state) {
  struct pair *f = *state;
  uint8_t rb[2048];
  size_t off = 0;
  assert_int_equal(rtcp_write_pli(rb, sizeof rb, &off, 77, f->vssrc), 0);
  send_rtcp(&f->b, rb, off);
  struct rtcp_fb fb;
  assert_int_equal(recv_rtcp(&f->a, RTCP_PSFB, RTCP_FMT_PLI, &fb, 1500), 0);
  assert_int_equal(fb.media_ssrc, 2222);
  assert_int_equal(recv_rtcp(&f->a, RTCP_PSFB, RTCP_FMT_AFB, &fb, 2500), 0);
  assert_true(fb.is_remb);
  assert_true(fb.remb_bps <= 1200000 && fb.remb_bps > 1100000);
}

/* One receiver report block about ssrc; ext_seq is its highest sequence number. */
static void send_rr_block(struct peer *p, uint32_t ssrc, uint8_t fraction, uint32_t ext_seq) {
  uint8_t rb[256];
  struct rtcp_rr rr = {.ssrc = 77, .n_blocks = 1};
  rr.blocks[0].ssrc = ssrc;
  rr.blocks[0].fraction_lost = fraction;
  rr.blocks[0].ext_highest_seq = ext_seq;
  size_t off = 0;
  rtcp_write_rr(rb, sizeof rb, &off, &rr);
  send_rtcp(p, rb, off);
}

/* `times` reports 10 ms apart, each covering new packets. */
static void send_rr(struct peer *p, uint32_t ssrc, uint8_t fraction, int times) {
  static uint32_t seq = 1000;
  for (int i = 0; i < times; i++) {
    send_rr_block(p, ssrc, fraction, seq += 50);
    usleep(10000);
  }
}

/* A subscriber whose video loss stays high goes audio-only, and back. */
static void test_weak_link(void **state) {
  struct pair *f = *state;
  uint8_t buf[2048];
  struct rtp_hdr h;
  send_rr(&f->b, f->vssrc, 128, 5);
  struct media_event *ev = wait_event(f->m, MEDIA_EV_WEAK_LINK, f->b.id, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->audio_only, 1);
  media_event_free(ev);
  send_rtp(&f->a, 96, 2222, 58, 0xA0);
  send_rtp(&f->a, 111, 1111, 1005, 9);
  assert_true(recv_rtp(&f->b, buf, &h, 1000) > 0);
  assert_int_equal(h.ssrc, f->assrc); /* the video packet was not forwarded */
  send_rr(&f->b, f->assrc, 0, 10);
  ev = wait_event(f->m, MEDIA_EV_WEAK_LINK, f->b.id, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->audio_only, 0);
  media_event_free(ev);
  send_rtp(&f->a, 96, 2222, 59, 0xA0);
  assert_true(recv_rtp(&f->b, buf, &h, 1000) > 0);
  assert_int_equal(h.ssrc, f->vssrc);
}

/* Reports that cover no new packet (the highest sequence number did not
 * move, like a paused video stream's) neither start nor restart the good
 * period; a good report counts from the report before it, and the 1 s timer
 * resumes the video when the period is up even if no report follows. */
static void test_weak_link_stale_reports(void **state) {
  struct pair *f = *state;
  send_rr(&f->b, f->vssrc, 128, 5);
  struct media_event *ev = wait_event(f->m, MEDIA_EV_WEAK_LINK, f->b.id, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->audio_only, 1);
  media_event_free(ev);
  for (int i = 0; i < 10; i++) { /* stale: nothing new received */
    send_rr_block(&f->b, f->assrc, 0, 7);
    usleep(10000);
  }
  assert_null(wait_event(f->m, MEDIA_EV_WEAK_LINK, f->b.id, 1500)); /* the timer fired: still weak */
  send_rr_block(&f->b, f->assrc, 0, 500); /* good since the stale one before it (>= 20 ms ago) */
  ev = wait_event(f->m, MEDIA_EV_WEAK_LINK, f->b.id, 500);
  assert_non_null(ev);
  assert_int_equal(ev->audio_only, 0);
  media_event_free(ev);
  send_rr(&f->b, f->vssrc, 128, 5); /* weak again; a bad audio report, then a good one 5 ms later */
  ev = wait_event(f->m, MEDIA_EV_WEAK_LINK, f->b.id, 2000);
  assert_non_null(ev);
  media_event_free(ev);
  send_rr_block(&f->b, f->assrc, 64, 600); /* 25 % lost */
  usleep(5000);
  send_rr_block(&f->b, f->assrc, 0, 650); /* good for 5 ms: not yet; no report follows, the timer decides */
  ev = wait_event(f->m, MEDIA_EV_WEAK_LINK, f->b.id, 2500);
  assert_non_null(ev);
  assert_int_equal(ev->audio_only, 0);
  media_event_free(ev);
}

/* Recording: the publisher's Opus goes into an Ogg Opus file. */
static void test_recording(void **state) {
  struct pair *f = *state;
  char path[128];
  snprintf(path, sizeof path, "/tmp/lianyi-test-media-%d.opus", (int)getpid());
  unlink(path);
  assert_int_equal(media_record_start(f->m, "nope", path), LY_ENOTFOUND);
  assert_int_equal(media_record_start(f->m, "room1", path), 0);
  struct media_event *ev = wait_event(f->m, MEDIA_EV_RECORDING, 0, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->recording, 1);
  assert_string_equal(ev->path, path);
  media_event_free(ev);
  assert_int_equal(media_record_start(f->m, "room1", path), 0);
  ev = wait_event(f->m, MEDIA_EV_ERROR, 0, 2000);
  assert_non_null(ev);
  assert_string_equal(ev->code, "media.already_recording");
  media_event_free(ev);
  int err;
  OpusEncoder *enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_VOIP, &err);
  int16_t pcm[960 * 2];
  for (int i = 0; i < 960 * 2; i++)
    pcm[i] = (int16_t)((i % 100) * 200 - 10000);
  for (int i = 0; i < 25; i++) {
    uint8_t pkt[600], payload[400];
    opus_int32 n = opus_encode(enc, pcm, 960, payload, sizeof payload);
    struct rtp_out o = {.pt = 111, .seq = (uint16_t)(2000 + i), .ts = 960u * (unsigned)i, .ssrc = 1111};
    size_t hl, len;
    rtp_write_header(&o, pkt, sizeof pkt, &hl);
    memcpy(pkt + hl, payload, (size_t)n);
    assert_int_equal(ly_srtp_protect_rtp(&f->a.srtp, pkt, hl + (size_t)n, sizeof pkt, &len), 0);
    peer_send(&f->a, pkt, len);
    usleep(20000);
  }
  opus_encoder_destroy(enc);
  assert_int_equal(media_record_stop(f->m, "room1"), 0);
  ev = wait_event(f->m, MEDIA_EV_RECORDING, 0, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->recording, 0);
  assert_true(ev->duration_ms >= 400);
  media_event_free(ev);
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  char head[64];
  assert_int_equal(fread(head, 1, sizeof head, fp), sizeof head);
  fclose(fp);
  assert_memory_equal(head, "OggS", 4);
  assert_memory_equal(head + 28, "OpusHead", 8);
  unlink(path);
}

/* Disk full (issue 5, bad input): a write error stops the recording by itself
 * — MEDIA_EV_RECORDING 0 with media.recording_io — and forwarding goes on.
 * RLIMIT_FSIZE makes every write past 2,000 bytes fail (EFBIG). */
static void test_recording_write_error(void **state) {
  struct pair *f = *state;
  char path[128];
  struct rlimit old, small;
  snprintf(path, sizeof path, "/tmp/lianyi-test-media-full-%d.opus", (int)getpid());
  unlink(path);
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  small = old;
  small.rlim_cur = 2000;
  signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(media_record_start(f->m, "room1", path), 0);
  struct media_event *ev = wait_event(f->m, MEDIA_EV_RECORDING, 0, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->recording, 1);
  media_event_free(ev);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  int err;
  OpusEncoder *enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_VOIP, &err);
  int16_t pcm[960 * 2];
  for (int i = 0; i < 960 * 2; i++)
    pcm[i] = (int16_t)((i * 37 % 200) * 150 - 15000);
  ev = NULL;
  for (int i = 0; i < 400 && ev == NULL; i++) { /* at most 8 s */
    uint8_t pkt[1400], payload[1200];
    opus_int32 n = opus_encode(enc, pcm, 960, payload, sizeof payload);
    struct rtp_out o = {.pt = 111, .seq = (uint16_t)(3000 + i), .ts = 960u * (unsigned)i, .ssrc = 1111};
    size_t hl, len;
    rtp_write_header(&o, pkt, sizeof pkt, &hl);
    memcpy(pkt + hl, payload, (size_t)n);
    assert_int_equal(ly_srtp_protect_rtp(&f->a.srtp, pkt, hl + (size_t)n, sizeof pkt, &len), 0);
    peer_send(&f->a, pkt, len);
    ev = wait_event(f->m, MEDIA_EV_RECORDING, 0, 20);
  }
  opus_encoder_destroy(enc);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  assert_non_null(ev);
  assert_int_equal(ev->recording, 0);
  assert_int_equal(ev->err, LY_EIO);
  assert_string_equal(ev->code, "media.recording_io");
  media_event_free(ev);
  uint8_t buf[2048];
  struct rtp_hdr h;
  send_rtp(&f->a, 111, 1111, 4000, 9); /* the call goes on */
  assert_true(recv_rtp(&f->b, buf, &h, 1000) > 0);
  assert_int_equal(media_record_stop(f->m, "room1"), 0); /* already stopped: refused, nothing breaks */
  ev = wait_event(f->m, MEDIA_EV_ERROR, 0, 2000);
  assert_non_null(ev);
  assert_string_equal(ev->code, "media.not_recording");
  assert_string_equal(ev->room, "room1");
  media_event_free(ev);
  unlink(path);
}

/* DESIGN §9 / issue acceptance 4: unchecked addresses get nothing. */
static void test_security(void **state) {
  (void)state;
  struct media *m = start(0);
  struct peer a, b, x;
  peer_init(&a, m, "room2", "p1", MEDIA_SEND);
  peer_init(&b, m, "room2", "p2", MEDIA_RECV);
  char user[64];
  snprintf(user, sizeof user, "nosuch:%s", a.ufrag);
  assert_false(peer_check(&a, user, NULL));                        /* unknown USERNAME */
  assert_false(peer_check(&a, NULL, "wrongpassword0123456789xx")); /* bad MESSAGE-INTEGRITY */
  publish(m, &a, NULL);
  assert_int_equal(peer_dtls(&a), DTLS_CONNECTED);
  uint32_t assrc, vssrc;
  subscribe(m, &b, &assrc, &vssrc);
  assert_int_equal(peer_dtls(&b), DTLS_CONNECTED);

  /* an intruder on another port replays a's SRTP packet: nothing is forwarded */
  memset(&x, 0, sizeof x);
  x.fd = socket(AF_INET, SOCK_DGRAM, 0);
  x.relay = a.relay;
  uint8_t buf[2048];
  struct rtp_hdr h;
  uint8_t pkt[400];
  uint8_t level = 1;
  struct rtp_out o = {.pt = 111, .seq = 5, .ts = 5, .ssrc = 1111, .n_ext = 1};
  o.ext[0].id = 1, o.ext[0].len = 1, o.ext[0].data = &level;
  size_t hl, n;
  rtp_write_header(&o, pkt, sizeof pkt, &hl);
  memset(pkt + hl, 0x33, 50);
  assert_int_equal(ly_srtp_protect_rtp(&a.srtp, pkt, hl + 50, sizeof pkt, &n), 0);
  peer_send(&x, pkt, n);
  assert_int_equal(recv_rtp(&b, buf, &h, 300), -1);
  /* and a DTLS ClientHello from it gets no answer */
  struct dtls_ctx xc;
  struct dtls_conn xd;
  assert_int_equal(dtls_ctx_init(&xc), 0);
  assert_int_equal(dtls_conn_init(&xd, &xc, DTLS_ROLE_CLIENT, a.relay_fp, peer_send, &x), 0);
  assert_int_equal(peer_recv(&x, buf, sizeof buf, 300), -1);
  dtls_conn_close(&xd);
  dtls_ctx_close(&xc);
  /* the same packet from a's checked address is forwarded */
  peer_send(&a, pkt, n);
  assert_true(recv_rtp(&b, buf, &h, 1000) > 0);
  close(x.fd);

  /* a DTLS peer whose certificate does not match its SDP fingerprint is refused */
  struct peer c;
  peer_init(&c, m, "room2", "p3", MEDIA_SEND);
  publish(m, &c, a.ctx.fingerprint);
  assert_int_not_equal(peer_dtls(&c), DTLS_CONNECTED);
  struct media_event *ev = wait_event(m, MEDIA_EV_FAILED, c.id, 2000);
  assert_non_null(ev);
  assert_string_equal(ev->code, "media.dtls_fingerprint_mismatch");
  media_event_free(ev);
  struct media_metrics mm;
  media_metrics(m, &mm);
  assert_int_equal(mm.dtls_failures, 1);
  ev = wait_event(m, MEDIA_EV_CLOSED, c.id, 2000);
  assert_non_null(ev);
  media_event_free(ev);

  /* a refused offer carries its code */
  assert_int_equal(media_apply_remote(m, b.id, MEDIA_SDP_OFFER, "v=0\r\n", 5), 0);
  ev = wait_event(m, MEDIA_EV_ERROR, b.id, 2000);
  assert_non_null(ev);
  assert_string_equal(ev->code, "media.sdp_malformed");
  media_event_free(ev);
  assert_int_equal(media_close_transport(m, 0xFFFF05), LY_ENOTFOUND); /* no worker 5 */
  assert_int_equal(media_close_transport(m, 0xFFFF00), 0);            /* worker 0 answers */
  ev = wait_event(m, MEDIA_EV_ERROR, 0xFFFF00, 2000);
  assert_non_null(ev);
  assert_string_equal(ev->code, "media.no_such_transport");
  media_event_free(ev);
  peer_free(&a);
  peer_free(&b);
  peer_free(&c);
  media_stop(m);
}

static void test_consent_timeout(void **state) {
  (void)state;
  struct media *m = start(1000); /* long enough for a DTLS handshake on a loaded CI machine */
  struct peer a;
  peer_init(&a, m, "room3", "p1", MEDIA_SEND);
  publish(m, &a, NULL);
  assert_int_equal(peer_dtls(&a), DTLS_CONNECTED);
  struct media_event *ev = wait_event(m, MEDIA_EV_CONSENT_TIMEOUT, a.id, 5000);
  assert_non_null(ev);
  media_event_free(ev);
  ev = wait_event(m, MEDIA_EV_CLOSED, a.id, 1000);
  assert_non_null(ev);
  media_event_free(ev);
  peer_free(&a);
  media_stop(m);
}

/* No voice from a publisher for silence_ms: MEDIA_EV_SILENCE; voice again: cleared. */
static void test_silence(void **state) {
  (void)state;
  struct media *m = start_cfg(0, 1500);
  struct peer a;
  peer_init(&a, m, "room4", "p1", MEDIA_SEND);
  publish(m, &a, NULL);
  assert_int_equal(peer_dtls(&a), DTLS_CONNECTED);
  struct media_event *ev = wait_event(m, MEDIA_EV_SILENCE, a.id, 4000);
  assert_non_null(ev);
  assert_int_equal(ev->silent, 1);
  media_event_free(ev);
  send_rtp(&a, 111, 1111, 7, 1); /* audio level 0x85: voice */
  ev = wait_event(m, MEDIA_EV_SILENCE, a.id, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->silent, 0);
  media_event_free(ev);
  peer_free(&a);
  media_stop(m);
}

/* 20 ms of a tone (hz > 0) or of digital silence as an Opus packet with no
 * RFC 6464 extension (only the MID). */
static void send_opus(struct peer *p, uint16_t seq, OpusEncoder *enc, double hz, double *phase) {
  int16_t pcm[960];
  for (int i = 0; i < 960; i++, *phase += 2 * M_PI * hz / 48000)
    pcm[i] = hz > 0 ? (int16_t)(6000 * sin(*phase)) : 0;
  uint8_t pkt[400], buf[600];
  opus_int32 len = opus_encode(enc, pcm, 960, pkt, sizeof pkt);
  assert_true(len > 0);
  struct rtp_out o = {.pt = 111, .seq = seq, .ts = seq * 960u, .ssrc = 1111, .n_ext = 1};
  o.ext[0].id = 4, o.ext[0].len = 1, o.ext[0].data = (const uint8_t *)"0";
  size_t hl, n;
  assert_int_equal(rtp_write_header(&o, buf, sizeof buf, &hl), 0);
  memcpy(buf + hl, pkt, (size_t)len);
  assert_int_equal(ly_srtp_protect_rtp(&p->srtp, buf, hl + (size_t)len, sizeof buf, &n), 0);
  peer_send(p, buf, n);
}

/* Packets without the audio-level extension: the relay decodes samples of
 * the Opus for the level, so speaking / silence still works (issue 5). A tone
 * for longer than silence_ms is voice; digital silence then raises the event. */
static void test_level_without_extension(void **state) {
  (void)state;
  struct media *m = start_cfg(0, 1500);
  struct peer a;
  peer_init(&a, m, "room5", "p1", MEDIA_SEND);
  publish(m, &a, NULL);
  assert_int_equal(peer_dtls(&a), DTLS_CONNECTED);
  int err = 0;
  OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  assert_non_null(enc);
  double phase = 0;
  uint16_t seq = 1;
  for (int i = 0; i < 125; i++, usleep(20000)) /* 2.5 s of 440 Hz */
    send_opus(&a, seq++, enc, 440, &phase);
  assert_null(wait_event(m, MEDIA_EV_SILENCE, a.id, 50)); /* the tone was heard as voice */
  assert_int_equal(media_request_stats(m, a.id), 0);
  struct media_event *ev = wait_event(m, MEDIA_EV_STATS, a.id, 2000);
  assert_non_null(ev);
  assert_true(ev->stats.voice_packets >= 3); /* sampled: a level every 500 ms (level.c) */
  assert_true(ev->stats.audio_level <= 25); /* 6000/32768 peak: about -18 dBov */
  media_event_free(ev);
  for (int i = 0; i < 125; i++, usleep(20000)) /* 2.5 s of digital silence */
    send_opus(&a, seq++, enc, 0, &phase);
  ev = wait_event(m, MEDIA_EV_SILENCE, a.id, 1000);
  assert_non_null(ev);
  assert_int_equal(ev->silent, 1);
  assert_int_equal(ev->stats.audio_level, 127);
  media_event_free(ev);
  for (int i = 0; i < 50; i++, usleep(20000)) /* voice again: the next sample hears it */
    send_opus(&a, seq++, enc, 440, &phase);
  ev = wait_event(m, MEDIA_EV_SILENCE, a.id, 2000);
  assert_non_null(ev);
  assert_int_equal(ev->silent, 0);
  media_event_free(ev);
  opus_encoder_destroy(enc);
  peer_free(&a);
  media_stop(m);
}

static void test_bad_commands(void **state) {
  (void)state;
  struct media *m = start(0);
  uint64_t id;
  assert_int_equal(media_create_transport(m, "", "x", MEDIA_SEND, &id), LY_EINVAL);
  assert_int_equal(media_create_transport(m, "r", "x", 7, &id), LY_EINVAL);
  assert_int_equal(media_create_transport(m, "r", "a\r\na=x", MEDIA_SEND, &id),
                   LY_EINVAL); /* SDP injection */
  assert_int_equal(media_create_transport(m, "r", "", MEDIA_SEND, &id), LY_EINVAL);
  assert_int_equal(media_subscribe(m, 12345), LY_ENOTFOUND);
  assert_int_equal(media_close_room(m, "nope"), LY_ENOTFOUND);
  assert_int_equal(media_create_transport(m, "r", "x", MEDIA_SEND, &id), 0);
  assert_int_equal(media_subscribe(m, id), 0);
  struct media_event *ev = wait_event(m, MEDIA_EV_ERROR, id, 2000);
  assert_non_null(ev);
  assert_string_equal(ev->code, "media.wrong_kind");
  media_event_free(ev);
  media_stop(m); /* with a live transport: no leak, no event */
}

/* A closed transport names its room, so the service side releases the
 * room's placement: rooms of ended calls do not pile up until no new room
 * can be placed (regression: CLOSED used to come without the room). */
static void test_room_placement_released(void **state) {
  (void)state;
  struct media *m = start(0);
  char room[16];
  for (int i = 0; i < 3; i++) {
    uint64_t id;
    snprintf(room, sizeof room, "call%d", i);
    assert_int_equal(media_create_transport(m, room, "p1", MEDIA_SEND, &id), 0);
    struct media_event *ev = wait_event(m, MEDIA_EV_CREATED, id, 2000);
    assert_non_null(ev);
    media_event_free(ev);
    assert_int_equal(m->n_rooms, 1);
    struct media_metrics mm;
    media_metrics(m, &mm);
    assert_int_equal(mm.rooms, 1);
    assert_int_equal(media_close_transport(m, id), 0);
    ev = wait_event(m, MEDIA_EV_CLOSED, id, 2000);
    assert_non_null(ev);
    assert_string_equal(ev->room, room);
    media_event_free(ev);
    assert_int_equal(m->n_rooms, 0);
    media_metrics(m, &mm);
    assert_int_equal(mm.rooms, 0);
    assert_int_equal(mm.transports, 0);
  }
  media_stop(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_forward_audio, pair_setup, pair_teardown),
      cmocka_unit_test_setup_teardown(test_nack_both_ways, pair_setup, pair_teardown),
      cmocka_unit_test_setup_teardown(test_pli_and_remb, pair_setup, pair_teardown),
      cmocka_unit_test_setup_teardown(test_weak_link, pair_setup, pair_teardown),
      cmocka_unit_test_setup_teardown(test_weak_link_stale_reports, pair_setup, pair_teardown),
      cmocka_unit_test_setup_teardown(test_recording, pair_setup, pair_teardown),
      cmocka_unit_test_setup_teardown(test_recording_write_error, pair_setup, pair_teardown),
      cmocka_unit_test(test_security),
      cmocka_unit_test(test_consent_timeout),
      cmocka_unit_test(test_silence),
      cmocka_unit_test(test_level_without_extension),
      cmocka_unit_test(test_bad_commands),
      cmocka_unit_test(test_room_placement_released),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
