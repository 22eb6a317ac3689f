/* bench/loadgen/pc.c — a simulated browser PeerConnection. See pc.h. */
#include "pc.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/rtp.h"
#include "media/sdp.h"
#include "media/stun.h"

#define CHECK_EVERY_US   50000   /* connectivity check retransmission (RFC 8445 Ta-ish) */
#define CONSENT_EVERY_US 5000000 /* RFC 7675: well inside the relay's 30 s */
#define DTLS_AFTER_US    200000  /* full-ICE peer: start DTLS even if it has not checked us yet */
#define PRIORITY_PRFLX   1853824767u

static struct dtls_ctx g_dtls;
static char g_local_ip[INET_ADDRSTRLEN] = "127.0.0.1";

static int is_local_address(struct in_addr ip);

int64_t lg_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int pc_global_init(uint16_t profile, const char *local_ip) {
  struct in_addr a;
  if (local_ip) {
    if (inet_pton(AF_INET, local_ip, &a) != 1 || !is_local_address(a)) return -1;
    snprintf(g_local_ip, sizeof g_local_ip, "%s", local_ip);
  }
  if (ly_srtp_global_init() != 0 || dtls_ctx_init(&g_dtls) != 0) return -1;
  const char *list =
      profile == DTLS_SRTP_AES128_CM_SHA1_80 ? "SRTP_AES128_CM_SHA1_80" : "SRTP_AEAD_AES_128_GCM";
  return SSL_CTX_set_tlsext_use_srtp(g_dtls.ssl_ctx, list) == 0 ? 0 : -1; /* 0 is success here */
}

const char *pc_fingerprint(void) {
  return g_dtls.fingerprint;
}

static void random_token(char *out, size_t n) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  uint8_t r[64];
  RAND_bytes(r, (int)n);
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[r[i] % (sizeof alphabet - 1)];
  out[n] = 0;
}

int pc_open(struct pc *p, enum pc_kind kind, int full_ice_peer) {
  memset(p, 0, sizeof *p);
  p->kind = (uint8_t)kind;
  p->full_ice_peer = (uint8_t)full_ice_peer;
  p->controlling = 1;
  p->tiebreaker = UINT64_MAX; /* we are the controlling agent and win any role conflict */
  p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0) return -1;
  int sz = 1 << 20, on = 1;
  setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  struct sockaddr_in me = {.sin_family = AF_INET};
  inet_pton(AF_INET, g_local_ip, &me.sin_addr);
  socklen_t sl = sizeof me;
  if (bind(p->fd, (struct sockaddr *)&me, sizeof me) != 0 ||
      getsockname(p->fd, (struct sockaddr *)&me, &sl) != 0) {
    close(p->fd);
    p->fd = -1;
    return -1;
  }
  p->port = ntohs(me.sin_port);
  random_token(p->ufrag, 8);
  random_token(p->pwd, 24);
  RAND_bytes(p->tid, sizeof p->tid);
  return 0;
}

void pc_close(struct pc *p) {
  dtls_conn_close(&p->dtls);
  ly_srtp_close(&p->srtp);
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
}

/* ---- SDP ------------------------------------------------------------------- */

struct sbuf {
  char *b;
  size_t cap, len;
  int err;
};

static void sb(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb(struct sbuf *s, const char *fmt, ...) {
  if (s->err) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(s->b + s->len, s->cap - s->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= s->cap - s->len)
    s->err = 1;
  else
    s->len += (size_t)n;
}

static void sb_transport(struct sbuf *s, const struct pc *p) {
  sb(s, "c=IN IP4 %s\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\na=setup:active\r\n",
     g_local_ip, p->ufrag, p->pwd, g_dtls.fingerprint);
}

static void sb_candidate(struct sbuf *s, const struct pc *p) {
  sb(s, "a=rtcp-mux\r\na=candidate:1 1 udp 2130706431 %s %u typ host\r\na=end-of-candidates\r\n", g_local_ip,
     p->port);
}

int pc_write_offer(struct pc *p, uint32_t a_ssrc, uint32_t v_ssrc, char *out, size_t cap) {
  struct sbuf s = {out, cap, 0, 0};
  p->tx[PC_AUDIO].ssrc = a_ssrc;
  p->tx[PC_VIDEO].ssrc = v_ssrc;
  sb(&s,
     "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=msid-semantic: WMS "
     "lg%u\r\n",
     p->port, p->port);
  sb(&s, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
  sb_transport(&s, p);
  sb(&s,
     "a=mid:0\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
     "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendonly\r\na=msid:lg%u a%u\r\n"
     "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=ssrc:%u cname:lg%u\r\n",
     p->port, p->port, a_ssrc, p->port);
  sb_candidate(&s, p);
  sb(&s, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
  sb_transport(&s, p);
  sb(&s,
     "a=mid:1\r\na=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
     "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendonly\r\na=msid:lg%u v%u\r\n"
     "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack\r\n"
     "a=rtcp-fb:96 nack pli\r\na=ssrc:%u cname:lg%u\r\n",
     p->port, p->port, v_ssrc, p->port);
  sb_candidate(&s, p);
  return s.err ? -1 : (int)s.len;
}

/* Is ip one of this machine's addresses? The load generator never sends
 * anywhere else. */
static int is_local_address(struct in_addr ip) {
  if ((ntohl(ip.s_addr) >> 24) == 127) return 1;
  struct ifaddrs *ifa = NULL;
  int found = 0;
  if (getifaddrs(&ifa) != 0) return 0;
  for (struct ifaddrs *i = ifa; i && !found; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
        ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == ip.s_addr)
      found = 1;
  freeifaddrs(ifa);
  return found;
}

/* The first IPv4 UDP host candidate of component 1 in the SDP text. */
static int take_candidate(struct pc *p, const char *sdp, size_t len, char *err, size_t errcap) {
  const char *end = sdp + len;
  for (const char *l = sdp; l < end;) {
    const char *nl = memchr(l, '\n', (size_t)(end - l));
    size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);
    char line[512], ip[64], proto[8], typ[16];
    unsigned comp, port;
    unsigned long prio;
    if (ll < sizeof line && ll > 12 && memcmp(l, "a=candidate:", 12) == 0) {
      memcpy(line, l, ll);
      line[ll] = 0;
      struct in_addr a;
      if (sscanf(line, "a=candidate:%*s %u %7s %lu %63s %u typ %15s", &comp, proto, &prio, ip, &port, typ) ==
              6 &&
          comp == 1 && strcasecmp(proto, "udp") == 0 && inet_pton(AF_INET, ip, &a) == 1) {
        if (!is_local_address(a)) {
          snprintf(err, errcap, "candidate %s is not an address of this machine: refused", ip);
          return -1;
        }
        p->remote.sin_family = AF_INET;
        p->remote.sin_addr = a;
        p->remote.sin_port = htons((uint16_t)port);
        return 0;
      }
    }
    l = nl ? nl + 1 : end;
  }
  snprintf(err, errcap, "no IPv4 UDP host candidate in the server's SDP");
  return -1;
}

static int take_remote(struct pc *p, const struct sdp_session *s, unsigned i, const char *sdp, size_t len,
                       char *err, size_t errcap) {
  const char *u, *pw;
  const uint8_t *fp;
  if (sdp_media_ice(s, i, &u, &pw) != 0 || sdp_media_fingerprint(s, i, &fp) != 0) {
    snprintf(err, errcap, "the server's SDP has no ICE credentials or fingerprint");
    return -1;
  }
  snprintf(p->r_ufrag, sizeof p->r_ufrag, "%s", u);
  snprintf(p->r_pwd, sizeof p->r_pwd, "%s", pw);
  memcpy(p->r_fp, fp, 32);
  return take_candidate(p, sdp, len, err, errcap);
}

int pc_apply_answer(struct pc *p, const char *sdp, size_t len, char *err, size_t errcap) {
  struct sdp_session *s = malloc(sizeof *s);
  struct ly_error e;
  memset(&e, 0, sizeof e);
  int rc = -1;
  if (s == NULL || sdp_parse(sdp, len, s, &e) != 0) {
    snprintf(err, errcap, "answer does not parse: %s", e.message);
    goto out;
  }
  for (unsigned i = 0; i < s->n_media && i < 2; i++) {
    const struct sdp_media *m = &s->media[i];
    struct pc_tx *t = &p->tx[m->kind == SDP_KIND_VIDEO ? PC_VIDEO : PC_AUDIO];
    t->pt = m->n_codecs ? m->codecs[0].pt : (m->kind == SDP_KIND_VIDEO ? 96 : 111);
    t->ext_mid = m->ext[SDP_EXT_MID];
    t->ext_level = m->ext[SDP_EXT_AUDIO_LEVEL];
    t->ext_ast = m->ext[SDP_EXT_ABS_SEND_TIME];
    snprintf(t->mid, sizeof t->mid, "%s", m->mid);
  }
  rc = s->n_media >= 2 ? take_remote(p, s, 0, sdp, len, err, errcap) : -1;
  if (s->n_media < 2) snprintf(err, errcap, "the answer has %u m-lines, not 2", s->n_media);
out:
  free(s);
  return rc;
}

static const struct sdp_codec *pick_codec(const struct sdp_media *m) {
  for (unsigned k = 0; k < m->n_codecs; k++)
    if ((m->kind == SDP_KIND_AUDIO && m->codecs[k].id == SDP_CODEC_OPUS) ||
        (m->kind == SDP_KIND_VIDEO && m->codecs[k].id == SDP_CODEC_VP8))
      return &m->codecs[k];
  return NULL;
}

static void answer_mline(struct sbuf *b, const struct pc *p, const struct sdp_media *m) {
  static const char *uri[4] = {NULL, "urn:ietf:params:rtp-hdrext:sdes:mid",
                               "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                               "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"};
  const char *kind = m->kind == SDP_KIND_AUDIO   ? "audio"
                     : m->kind == SDP_KIND_VIDEO ? "video"
                                                 : "application";
  const struct sdp_codec *c = m->port ? pick_codec(m) : NULL;
  if (c == NULL) {
    sb(b, "m=%s 0 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\na=inactive\r\n", kind,
       m->n_codecs ? m->codecs[0].pt : 0, m->mid);
    return;
  }
  sb(b, "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\n", kind, c->pt);
  sb_transport(b, p);
  sb(b, "a=mid:%s\r\n", m->mid);
  for (unsigned e = 1; e < 4; e++)
    if (m->ext[e]) sb(b, "a=extmap:%u %s\r\n", m->ext[e], uri[e]);
  sb(b, "a=recvonly\r\n");
  if (c->id == SDP_CODEC_OPUS)
    sb(b, "a=rtpmap:%u opus/48000/2\r\na=fmtp:%u minptime=10;useinbandfec=1\r\n", c->pt, c->pt);
  else
    sb(b, "a=rtpmap:%u VP8/90000\r\na=rtcp-fb:%u goog-remb\r\na=rtcp-fb:%u nack\r\na=rtcp-fb:%u nack pli\r\n",
       c->pt, c->pt, c->pt, c->pt);
  sb_candidate(b, p);
}

int pc_answer_offer(struct pc *p, const char *sdp, size_t len, char *out, size_t cap, char *err,
                    size_t errcap) {
  struct sdp_session *s = malloc(sizeof *s);
  struct ly_error e;
  memset(&e, 0, sizeof e);
  int rc = -1;
  if (s == NULL || sdp_parse(sdp, len, s, &e) != 0) {
    snprintf(err, errcap, "offer does not parse: %s", e.message);
    goto out;
  }
  unsigned first = 0;
  while (first < s->n_media && (s->media[first].port == 0 || pick_codec(&s->media[first]) == NULL))
    first++;
  if (first == s->n_media) {
    snprintf(err, errcap, "the server offers nothing to receive");
    goto out;
  }
  if (take_remote(p, s, first, sdp, len, err, errcap) != 0) goto out;
  struct sbuf b = {out, cap, 0, 0};
  sb(&b, "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE", p->port);
  for (unsigned i = 0; i < s->n_media; i++)
    if (s->media[i].port && pick_codec(&s->media[i])) sb(&b, " %s", s->media[i].mid);
  sb(&b, "\r\na=msid-semantic: WMS\r\n");
  for (unsigned i = 0; i < s->n_media; i++)
    answer_mline(&b, p, &s->media[i]);
  rc = b.err ? -1 : (int)b.len;
  if (b.err) snprintf(err, errcap, "answer too long");
out:
  free(s);
  return rc;
}

/* ---- ICE --------------------------------------------------------------------- */

static void send_to(struct pc *p, const uint8_t *buf, size_t len, const struct sockaddr_in *to) {
  /* best effort: a lost check is retransmitted, a lost DTLS flight is resent on its timer */
  (void)sendto(p->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof *to);
}

static void send_check(struct pc *p) {
  char user[160];
  uint8_t buf[512];
  size_t n;
  snprintf(user, sizeof user, "%s:%s", p->r_ufrag, p->ufrag);
  struct stun_writer w;
  stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, p->tid);
  stun_writer_attr(&w, STUN_ATTR_USERNAME, user, strlen(user));
  stun_writer_u32(&w, STUN_ATTR_PRIORITY, PRIORITY_PRFLX);
  if (p->controlling) {
    stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLING, p->tiebreaker);
    stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
  } else {
    stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLED, p->tiebreaker);
  }
  stun_writer_integrity(&w, (const uint8_t *)p->r_pwd, strlen(p->r_pwd));
  stun_writer_fingerprint(&w);
  if (stun_writer_finish(&w, &n) == 0) send_to(p, buf, n, &p->remote);
}

void pc_start(struct pc *p) {
  p->started_us = lg_now_us();
  p->next_check_us = p->started_us;
}

static void dtls_out(void *ud, const uint8_t *buf, size_t len) {
  struct pc *p = ud;
  send_to(p, buf, len, &p->remote);
  if (p->flight_done) { /* the first datagram of a new flight */
    p->n_flight = 0;
    p->flight_done = 0;
  }
  if (p->n_flight < PC_FLIGHT_MAX && len <= sizeof p->flight[0]) {
    memcpy(p->flight[p->n_flight], buf, len);
    p->flight_len[p->n_flight++] = (uint16_t)len;
  }
  p->flight_us = lg_now_us();
  p->flight_wait_us = 100000;
}

/* Resend our last flight after 100, 200, 400 ... ms without an answer. */
static void resend_flight(struct pc *p, int64_t now) {
  if (p->n_flight == 0 || now - p->flight_us < p->flight_wait_us) return;
  for (unsigned i = 0; i < p->n_flight; i++)
    send_to(p, p->flight[i], p->flight_len[i], &p->remote);
  p->flight_us = now;
  if (p->flight_wait_us < 1000000) p->flight_wait_us *= 2;
}

static void maybe_start_dtls(struct pc *p, int64_t now) {
  if (!p->ice_done || p->dtls.ssl != NULL || p->failed) return;
  if (p->full_ice_peer && !p->peer_checked && now - p->ice_done_us < DTLS_AFTER_US) return;
  if (dtls_conn_init(&p->dtls, &g_dtls, DTLS_ROLE_CLIENT, p->r_fp, dtls_out, p) != 0) p->failed = 1;
}

static void on_stun_response(struct pc *p, const struct stun_msg *m) {
  if (memcmp(m->tid, p->tid, 12) != 0) return;
  if (stun_check_integrity(m, (const uint8_t *)p->r_pwd, strlen(p->r_pwd)) != 0) return;
  if (m->type == STUN_BINDING_ERROR && m->has_error_code && m->error_code == 487) {
    p->controlling = !p->controlling; /* RFC 8445 §7.2.5.1: switch and check again */
    RAND_bytes(p->tid, sizeof p->tid);
    p->next_check_us = 0;
    return;
  }
  if (m->type != STUN_BINDING_SUCCESS || p->ice_done) return;
  p->ice_done = 1;
  p->ice_done_us = lg_now_us();
  p->next_consent_us = p->ice_done_us + CONSENT_EVERY_US;
  connect(p->fd, (const struct sockaddr *)&p->remote, sizeof p->remote);
  maybe_start_dtls(p, p->ice_done_us);
}

static void on_stun_request(struct pc *p, const struct stun_msg *m, const struct sockaddr_in *from) {
  const char *l, *r;
  size_t ll, rl;
  if (stun_username_split(m, &l, &ll, &r, &rl) != 0 || ll != strlen(p->ufrag) || memcmp(l, p->ufrag, ll) != 0)
    return;
  if (stun_check_integrity(m, (const uint8_t *)p->pwd, strlen(p->pwd)) != 0) return;
  uint8_t out[512];
  size_t n;
  if (stun_write_binding_response(m, (const struct sockaddr *)from, (const uint8_t *)p->pwd, strlen(p->pwd),
                                  out, sizeof out, &n) != 0)
    return;
  send_to(p, out, n, from);
  p->stun_answered++;
  p->peer_checked = 1;
  maybe_start_dtls(p, lg_now_us());
}

static void on_dtls(struct pc *p, const uint8_t *buf, size_t len) {
  if (p->dtls.ssl == NULL) return;
  p->flight_done = 1; /* the peer answered: what we send next is a new flight */
  p->n_flight = 0;
  int st = dtls_conn_input(&p->dtls, buf, len);
  if (st == DTLS_FAILED) p->failed = 1;
  if (st != DTLS_CONNECTED || p->connected) return;
  if (ly_srtp_init(&p->srtp, p->dtls.keys.profile, p->dtls.keys.local, p->dtls.keys.remote) != 0)
    p->failed = 1;
  else
    p->connected = 1;
}

int pc_input(struct pc *p, uint8_t *buf, size_t len, const struct sockaddr_in *from) {
  if (len == 0) return 0;
  uint8_t b = buf[0];
  if (b <= 3) {
    struct stun_msg m;
    if (stun_parse(buf, len, &m) != 0) return 0;
    if (m.type == STUN_BINDING_REQUEST)
      on_stun_request(p, &m, from);
    else if (m.type == STUN_BINDING_SUCCESS || m.type == STUN_BINDING_ERROR)
      on_stun_response(p, &m);
    return 0;
  }
  if (b >= 20 && b <= 63) {
    on_dtls(p, buf, len);
    return 0;
  }
  if (b >= 128 && b <= 191) {
    if (rtp_is_rtp(buf, len)) return 1;
    p->rtcp_in++;
  }
  return 0;
}

void pc_tick(struct pc *p, int64_t now) {
  if (p->failed || p->started_us == 0) return;
  if (!p->ice_done && now >= p->next_check_us) {
    send_check(p);
    p->next_check_us = now + CHECK_EVERY_US;
  } else if (p->ice_done && now >= p->next_consent_us) {
    RAND_bytes(p->tid, sizeof p->tid); /* a fresh transaction; its answer is not needed */
    send_check(p);
    p->next_consent_us = now + CONSENT_EVERY_US;
  }
  maybe_start_dtls(p, now);
  if (p->dtls.ssl == NULL || p->connected) return;
  resend_flight(p, now);
  if (dtls_conn_timeout_ms(&p->dtls) == 0 && dtls_conn_on_timeout(&p->dtls) == DTLS_FAILED) p->failed = 1;
}

int pc_send(struct pc *p, const uint8_t *buf, size_t len) {
  return send(p->fd, buf, len, MSG_DONTWAIT) == (ssize_t)len ? 0 : -1;
}
