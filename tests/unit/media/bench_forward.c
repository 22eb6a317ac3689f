/* tests/unit/media/bench_forward.c — forwarding throughput and added latency
 * of one media worker, with real ICE, DTLS and SRTP (AEAD_AES_128_GCM).
 *
 * Not a unit test (the build globs only test_*.c); it belongs in bench/ and is
 * kept here until that folder's owner adopts it. Build and run by hand:
 *   cc -O2 -D_GNU_SOURCE -I. tests/unit/media/bench_forward.c build/libly_media.a \
 *      build/libly_core.a -lssl -lcrypto -lsrtp2 -ljansson -lsqlite3 -lpthread -o /tmp/bench_forward
 *   /tmp/bench_forward [subscribers=8] [seconds=3] [rates=2000,4000,...]
 * One publisher sends 1,000-byte video packets at each rate; the relay fans
 * them out to every subscriber. Subscribers count every datagram and decrypt
 * one in 16 to read the send timestamp inside (one-way latency, same clock).
 * Prints, per rate: forwarded packets/s, loss, latency p50/p99.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "media/dtls.h"
#include "media/media.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "media/srtp.h"
#include "media/stun.h"

#define MAXSUB 64

struct peer {
  int fd;
  struct sockaddr_in relay;
  struct dtls_ctx ctx;
  struct dtls_conn dtls;
  struct ly_srtp srtp;
  char ufrag[16], pwd[40], r_ufrag[16], r_pwd[40];
  uint8_t relay_fp[32];
  uint64_t id, received;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "bench_forward: %s\n", what);
  exit(1);
}

static void psend(void *ud, const uint8_t *b, size_t n) {
  struct peer *p = ud;
  sendto(p->fd, b, n, 0, (struct sockaddr *)&p->relay, sizeof p->relay);
}

static int precv(struct peer *p, uint8_t *b, size_t cap, int ms) {
  struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
  return poll(&pfd, 1, ms) > 0 ? (int)recv(p->fd, b, cap, 0) : -1;
}

static struct media_event *wait_ev(struct media *m, enum media_event_type type, uint64_t id) {
  for (int i = 0; i < 400; i++) {
    struct media_event *ev;
    while ((ev = media_next_event(m)) != NULL) {
      if (ev->type == type && ev->transport_id == id) return ev;
      if (ev->type == MEDIA_EV_ERROR) fprintf(stderr, "relay error: %s %s\n", ev->code, ev->message);
      media_event_free(ev);
    }
    struct pollfd pfd = {.fd = media_event_fd(m), .events = POLLIN};
    poll(&pfd, 1, 10);
  }
  fprintf(stderr, "waiting for event %d on %llu\n", type, (unsigned long long)id);
  die("timed out waiting for an event");
  return NULL;
}

static void peer_init(struct peer *p, struct media *m, const char *label, enum media_transport_kind kind) {
  memset(p, 0, sizeof *p);
  p->fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sz = 8 << 20;
  setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  struct sockaddr_in me = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  if (bind(p->fd, (struct sockaddr *)&me, sizeof me) != 0 || dtls_ctx_init(&p->ctx) != 0) die("peer init");
  snprintf(p->ufrag, sizeof p->ufrag, "bn%s", label); /* ICE: at least 4 characters */
  snprintf(p->pwd, sizeof p->pwd, "benchpassword0123456789%s", label);
  if (media_create_transport(m, "bench", label, kind, &p->id) != 0) die("create");
  struct media_event *ev = wait_ev(m, MEDIA_EV_CREATED, p->id);
  snprintf(p->r_ufrag, sizeof p->r_ufrag, "%s", ev->ice_ufrag);
  snprintf(p->r_pwd, sizeof p->r_pwd, "%s", ev->ice_pwd);
  for (int i = 0; i < 32; i++) {
    unsigned v;
    sscanf(ev->fingerprint + 3 * i, "%2x", &v);
    p->relay_fp[i] = (uint8_t)v;
  }
  p->relay.sin_family = AF_INET;
  p->relay.sin_port = htons(ev->port);
  inet_pton(AF_INET, ev->ip, &p->relay.sin_addr);
  media_event_free(ev);
}

static void peer_connect(struct peer *p) {
  uint8_t tid[12] = {1, 2, 3}, buf[2048];
  char user[64];
  snprintf(user, sizeof user, "%s:%s", p->r_ufrag, p->ufrag);
  struct stun_request_params rq = {
      .tid = tid, .username = user, .pwd = p->r_pwd, .priority = 1, .use_candidate = 1};
  size_t n;
  stun_write_binding_request(&rq, buf, sizeof buf, &n);
  psend(p, buf, n);
  if (precv(p, buf, sizeof buf, 1000) <= 0) die("no ICE answer");
  if (dtls_conn_init(&p->dtls, &p->ctx, DTLS_ROLE_CLIENT, p->relay_fp, psend, p) != 0) die("dtls");
  for (int i = 0; i < 100 && p->dtls.state == DTLS_HANDSHAKING; i++) {
    int r = precv(p, buf, sizeof buf, 50);
    if (r > 0 && dtls_is_dtls(buf, (size_t)r)) dtls_conn_input(&p->dtls, buf, (size_t)r);
  }
  if (p->dtls.state != DTLS_CONNECTED) die("DTLS did not connect");
  if (ly_srtp_init(&p->srtp, p->dtls.keys.profile, p->dtls.keys.local, p->dtls.keys.remote) != 0) die("srtp");
}

static const char *OFFER =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
    "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=ssrc:4242 cname:pub\r\n";

static void setup_pub(struct media *m, struct peer *p) {
  char sdp[2048];
  int n = snprintf(sdp, sizeof sdp, OFFER, p->ufrag, p->pwd, p->ctx.fingerprint);
  if (getenv("BENCH_DEBUG")) fputs(sdp, stderr);
  media_apply_remote(m, p->id, MEDIA_SDP_OFFER, sdp, (size_t)n);
  media_event_free(wait_ev(m, MEDIA_EV_LOCAL_SDP, p->id));
  peer_connect(p);
  media_event_free(wait_ev(m, MEDIA_EV_CONNECTED, p->id));
}

static void setup_sub(struct media *m, struct peer *p) {
  media_subscribe(m, p->id);
  struct media_event *ev = wait_ev(m, MEDIA_EV_LOCAL_SDP, p->id);
  struct sdp_session *s = malloc(sizeof *s);
  if (sdp_parse(ev->sdp, ev->sdp_len, s, NULL) != 0) die("relay offer");
  media_event_free(ev);
  char ans[2048];
  int n = snprintf(ans, sizeof ans,
                   "v=0\r\no=- 5 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE %s\r\n"
                   "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
                   "a=fingerprint:sha-256 %s\r\na=setup:active\r\na=mid:%s\r\na=recvonly\r\na=rtcp-mux\r\n"
                   "a=rtpmap:96 VP8/90000\r\n",
                   s->media[0].mid, p->ufrag, p->pwd, p->ctx.fingerprint, s->media[0].mid);
  free(s);
  media_apply_remote(m, p->id, MEDIA_SDP_ANSWER, ans, (size_t)n);
  media_event_free(wait_ev(m, MEDIA_EV_LOCAL_SDP, p->id));
  peer_connect(p);
  media_event_free(wait_ev(m, MEDIA_EV_CONNECTED, p->id));
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Drain every subscriber socket; decrypt 1 in 16 for latency samples. */
static void drain(struct peer *subs, int ns, int64_t *lat, size_t *nlat, size_t cap) {
  uint8_t buf[2048];
  for (int i = 0; i < ns; i++) {
    ssize_t r;
    while ((r = recv(subs[i].fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      if (!rtp_is_rtp(buf, (size_t)r)) continue;
      if ((subs[i].received++ & 15) == 0) {
        size_t n;
        struct rtp_hdr h;
        int64_t sent;
        if (ly_srtp_unprotect_rtp(&subs[i].srtp, buf, (size_t)r, &n) == 0 && rtp_parse(buf, n, &h) == 0 &&
            h.payload_len >= 8 && *nlat < cap) {
          memcpy(&sent, buf + h.header_len, 8);
          lat[(*nlat)++] = now_ns() - sent;
        }
      }
    }
  }
}

static void run_rate(struct peer *pub, struct peer *subs, int ns, int rate, int seconds) {
  static uint16_t seq;
  uint8_t pkt[1200];
  size_t cap = 1 << 20, nlat = 0;
  int64_t *lat = malloc(cap * sizeof *lat);
  for (int i = 0; i < ns; i++)
    subs[i].received = 0;
  int64_t start = now_ns(), period = 1000000000LL / rate, next = start;
  uint64_t sent = 0;
  while (now_ns() - start < (int64_t)seconds * 1000000000LL) {
    while (now_ns() >= next) {
      struct rtp_out o = {.pt = 96, .seq = seq++, .ts = (uint32_t)(sent * 3000), .ssrc = 4242};
      size_t hl, n;
      rtp_write_header(&o, pkt, sizeof pkt, &hl);
      int64_t t = now_ns();
      memset(pkt + hl, 0x42, 1000);
      memcpy(pkt + hl, &t, 8);
      if (ly_srtp_protect_rtp(&pub->srtp, pkt, hl + 1000, sizeof pkt, &n) == 0) psend(pub, pkt, n);
      sent++;
      next += period;
    }
    drain(subs, ns, lat, &nlat, cap);
  }
  for (int k = 0; k < 50; k++) { /* stragglers */
    usleep(2000);
    drain(subs, ns, lat, &nlat, cap);
  }
  uint64_t got = 0;
  for (int i = 0; i < ns; i++)
    got += subs[i].received;
  qsort(lat, nlat, sizeof *lat, cmp64);
  double loss = 1.0 - (double)got / ((double)sent * ns);
  printf(
      "rate %6d pkt/s in, %4d subscribers: forwarded %9.0f pkt/s, loss %6.3f%%, latency p50 %6.1f us p99 "
      "%7.1f us\n",
      rate, ns, (double)got / seconds, loss * 100, nlat ? lat[nlat / 2] / 1e3 : 0.0,
      nlat ? lat[nlat * 99 / 100] / 1e3 : 0.0);
  free(lat);
}

int main(int argc, char **argv) {
  int ns = argc > 1 ? atoi(argv[1]) : 8, seconds = argc > 2 ? atoi(argv[2]) : 3;
  const char *rates = argc > 3 ? argv[3] : "2000,4000,8000,12000,16000";
  if (ns < 1 || ns > MAXSUB) die("subscribers 1..64");
  struct media_config cfg = {.workers = 1, .listen_ip = "127.0.0.1", .max_video_kbps = 100000};
  struct media *m;
  if (media_start(&cfg, &m) != 0) die("media_start");
  struct peer pub, *subs = calloc((size_t)ns, sizeof *subs);
  peer_init(&pub, m, "pub", MEDIA_SEND);
  setup_pub(m, &pub);
  for (int i = 0; i < ns; i++) {
    char label[16];
    snprintf(label, sizeof label, "s%d", i);
    peer_init(&subs[i], m, label, MEDIA_RECV);
    setup_sub(m, &subs[i]);
  }
  printf("profile %s, 1 worker, 1000-byte payloads\n", pub.dtls.keys.profile == DTLS_SRTP_AEAD_AES_128_GCM
                                                           ? "AEAD_AES_128_GCM"
                                                           : "AES_CM_128_HMAC_SHA1_80");
  char *list = strdup(rates);
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
    run_rate(&pub, subs, ns, atoi(tok), seconds);
  free(list);
  media_stop(m);
  return 0;
}
