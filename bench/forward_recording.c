/* bench/forward_recording.c — the relay's forwarding with recording on in
 * every room vs off (issue 5, acceptance 5): one media worker, R consultation
 * rooms, each with two publishers sending 20 ms Opus packets (50 packets/s,
 * real libopus voice, so the recorder decodes, mixes and encodes) and one
 * subscriber receiving both. Real ICE, DTLS, SRTP. For each R: forwarded
 * packets/s, loss and latency with recording off, then with every room
 * recorded (media_record_start) — the first seconds after it starts, and
 * the steady state after them — and the process CPU.
 *
 * Build and run by hand (like tests/unit/media/bench_forward.c):
 *   cc -O2 -D_GNU_SOURCE -I. bench/forward_recording.c build/libly_media.a build/libly_core.a \
 *      -lopus -logg -lssl -lcrypto -lsrtp2 -ljansson -lsqlite3 -lm -lpthread -o /tmp/forward_recording
 *   /tmp/forward_recording [rooms=25,50,100,150] [seconds=5] [dir=/tmp]
 */
#include <arpa/inet.h>
#include <math.h>
#include <opus/opus.h>
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

#define MAXROOMS 170 /* 3 transports each, 512 per worker */

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
  fprintf(stderr, "forward_recording: %s\n", what);
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

static void peer_init(struct peer *p, struct media *m, const char *room, const char *label,
                      enum media_transport_kind kind) {
  memset(p, 0, sizeof *p);
  p->fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sz = 8 << 20;
  setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  struct sockaddr_in me = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  if (bind(p->fd, (struct sockaddr *)&me, sizeof me) != 0 || dtls_ctx_init(&p->ctx) != 0) die("peer init");
  snprintf(p->ufrag, sizeof p->ufrag, "bn%s", label); /* ICE: at least 4 characters */
  snprintf(p->pwd, sizeof p->pwd, "benchpassword0123456789%s", label);
  if (media_create_transport(m, room, label, kind, &p->id) != 0) die("create");
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
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
    "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=ssrc:%u cname:%s\r\n";

static void setup_pub(struct media *m, struct peer *p, uint32_t ssrc) {
  char sdp[2048];
  int n = snprintf(sdp, sizeof sdp, OFFER, p->ufrag, p->pwd, p->ctx.fingerprint, ssrc, p->ufrag);
  media_apply_remote(m, p->id, MEDIA_SDP_OFFER, sdp, (size_t)n);
  media_event_free(wait_ev(m, MEDIA_EV_LOCAL_SDP, p->id));
  peer_connect(p);
  media_event_free(wait_ev(m, MEDIA_EV_CONNECTED, p->id));
}

/* Answer the relay's offer (one audio m-line per publisher) as a browser would. */
static void setup_sub(struct media *m, struct peer *p) {
  media_subscribe(m, p->id);
  struct media_event *ev = wait_ev(m, MEDIA_EV_LOCAL_SDP, p->id);
  struct sdp_session *s = malloc(sizeof *s);
  if (s == NULL || sdp_parse(ev->sdp, ev->sdp_len, s, NULL) != 0) die("relay offer");
  media_event_free(ev);
  char ans[8192], mids[64] = "";
  size_t off = 0;
  for (unsigned i = 0; i < s->n_media; i++) {
    size_t l = strlen(mids);
    snprintf(mids + l, sizeof mids - l, "%s%s", i ? " " : "", s->media[i].mid);
  }
  off += (size_t)snprintf(ans, sizeof ans,
                          "v=0\r\no=- 5 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE %s\r\n", mids);
  for (unsigned i = 0; i < s->n_media && off < sizeof ans; i++)
    off += (size_t)snprintf(
        ans + off, sizeof ans - off,
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
        "a=fingerprint:sha-256 %s\r\na=setup:active\r\na=mid:%s\r\na=recvonly\r\na=rtcp-mux\r\n"
        "a=rtpmap:111 opus/48000/2\r\n",
        p->ufrag, p->pwd, p->ctx.fingerprint, s->media[i].mid);
  free(s);
  media_apply_remote(m, p->id, MEDIA_SDP_ANSWER, ans, off);
  media_event_free(wait_ev(m, MEDIA_EV_LOCAL_SDP, p->id));
  peer_connect(p);
  media_event_free(wait_ev(m, MEDIA_EV_CONNECTED, p->id));
}

struct room {
  struct peer pub[2], sub;
  uint16_t seq[2];
};

#define PKTS 50
static uint8_t opus_pkt[2][PKTS][400];
static size_t opus_len[2][PKTS];

static void make_voices(void) {
  int err = 0;
  for (int v = 0; v < 2; v++) {
    OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    if (enc == NULL) die("opus");
    double phase = 0, hz = v ? 880 : 440;
    for (int p = 0; p < PKTS; p++) {
      int16_t pcm[960];
      for (int i = 0; i < 960; i++, phase += 2 * M_PI * hz / 48000)
        pcm[i] = (int16_t)(6000 * sin(phase));
      opus_int32 n = opus_encode(enc, pcm, 960, opus_pkt[v][p], sizeof opus_pkt[v][p]);
      if (n <= 0) die("opus_encode");
      opus_len[v][p] = (size_t)n;
    }
    opus_encoder_destroy(enc);
  }
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void drain(struct room *rooms, int nr, uint64_t *got) {
  uint8_t buf[2048];
  ssize_t r;
  for (int i = 0; i < nr; i++) {
    while ((r = recv(rooms[i].sub.fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
      if (rtp_is_rtp(buf, (size_t)r)) (*got)++;
    for (int k = 0; k < 2; k++) /* RTCP from the relay to publishers */
      while (recv(rooms[i].pub[k].fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
  }
}

/* Every publisher sends 50 packets/s for `seconds`; returns forwarded pkt/s. */
static void run(struct media *m, struct room *rooms, int nr, int seconds, const char *what) {
  struct media_metrics m0, m1;
  media_metrics(m, &m0);
  uint8_t pkt[600];
  uint64_t sent = 0, got = 0;
  int64_t start = now_ns(), next = start, tick = 0;
  double c0 = cpu_now();
  while (now_ns() - start < (int64_t)seconds * 1000000000LL) {
    if (now_ns() >= next) {
      int p = (int)(tick % PKTS);
      for (int i = 0; i < nr; i++) {
        for (int k = 0; k < 2; k++) {
          struct rtp_out o = {.pt = 111,
                              .seq = rooms[i].seq[k]++,
                              .ts = (uint32_t)(tick * 960),
                              .ssrc = (uint32_t)(1000 + i * 2 + k)};
          size_t hl, n;
          rtp_write_header(&o, pkt, sizeof pkt, &hl);
          memcpy(pkt + hl, opus_pkt[k][p], opus_len[k][p]);
          if (ly_srtp_protect_rtp(&rooms[i].pub[k].srtp, pkt, hl + opus_len[k][p], sizeof pkt, &n) == 0)
            psend(&rooms[i].pub[k], pkt, n);
          sent++;
        }
      }
      tick++;
      next += 20000000LL;
    }
    drain(rooms, nr, &got);
    usleep(500);
  }
  for (int k = 0; k < 50; k++) {
    usleep(2000);
    drain(rooms, nr, &got);
  }
  double cpu = cpu_now() - c0;
  media_metrics(m, &m1);
  printf(
      "%4d rooms, recording %-17s: in %7.0f pkt/s, forwarded %7.0f pkt/s, loss %6.3f%%, process CPU %5.1f%% "
      "of "
      "one core; relay sent %.0f pkt/s\n",
      nr, what, (double)sent / seconds, (double)got / seconds, 100.0 * (1.0 - (double)got / (double)sent),
      100.0 * cpu / seconds, (double)(m1.forwarded_packets - m0.forwarded_packets) / seconds);
}

static int record_all(struct media *m, struct room *rooms, int nr, const char *dir, int on) {
  char name[32], path[512];
  for (int i = 0; i < nr; i++) {
    snprintf(name, sizeof name, "r%d", i);
    snprintf(path, sizeof path, "%s/lianyi-bench-fwd-%d-%d.opus", dir, (int)getpid(), i);
    if (on) {
      unlink(path);
      if (media_record_start(m, name, path) != 0) return -1;
    } else {
      media_record_stop(m, name);
    }
  }
  for (int i = 0; i < nr; i++) { /* one MEDIA_EV_RECORDING per room */
    struct media_event *ev = wait_ev(m, MEDIA_EV_RECORDING, 0);
    media_event_free(ev);
  }
  if (!on)
    for (int i = 0; i < nr; i++) {
      snprintf(path, sizeof path, "%s/lianyi-bench-fwd-%d-%d.opus", dir, (int)getpid(), i);
      unlink(path);
    }
  (void)rooms;
  return 0;
}

int main(int argc, char **argv) {
  const char *counts = argc > 1 ? argv[1] : "25,50,100,150";
  int seconds = argc > 2 ? atoi(argv[2]) : 5;
  const char *dir = argc > 3 ? argv[3] : "/tmp";
  make_voices();
  char *list = strdup(counts);
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    int nr = atoi(tok);
    if (nr < 1 || nr > MAXROOMS) die("rooms 1..170");
    struct media_config cfg = {
        .workers = 1, .listen_ip = "127.0.0.1", .consent_timeout_ms = 3600000}; /* no ICE refresh here */
    struct media *m;
    if (media_start(&cfg, &m) != 0) die("media_start");
    struct room *rooms = calloc((size_t)nr, sizeof *rooms);
    for (int i = 0; i < nr; i++) {
      char room[32], label[32];
      snprintf(room, sizeof room, "r%d", i);
      for (int k = 0; k < 2; k++) {
        snprintf(label, sizeof label, "p%da%d", i, k);
        peer_init(&rooms[i].pub[k], m, room, label, MEDIA_SEND);
        setup_pub(m, &rooms[i].pub[k], (uint32_t)(1000 + i * 2 + k));
      }
      snprintf(label, sizeof label, "s%d", i);
      peer_init(&rooms[i].sub, m, room, label, MEDIA_RECV);
      setup_sub(m, &rooms[i].sub);
    }
    run(m, rooms, nr, seconds, "off");
    if (record_all(m, rooms, nr, dir, 1) != 0) die("record");
    run(m, rooms, nr, seconds, "on, first seconds");
    run(m, rooms, nr, seconds, "on, steady");
    record_all(m, rooms, nr, dir, 0);
    media_stop(m);
    for (int i = 0; i < nr; i++) {
      close(rooms[i].sub.fd);
      for (int k = 0; k < 2; k++)
        close(rooms[i].pub[k].fd);
    }
    free(rooms);
  }
  free(list);
  return 0;
}
