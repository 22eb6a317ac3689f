/* bench/fwd_peer.c — see fwd_peer.h. */
#include "bench/fwd_peer.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "media/sdp.h"
#include "media/stun.h"

int64_t fwd_peer_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void fwd_peer_die(const char *what) {
  fprintf(stderr, "bench: %s\n", what);
  exit(1);
}

void fwd_peer_send(void *peer, const uint8_t *buf, size_t len) {
  struct fwd_peer *p = peer;
  sendto(p->fd, buf, len, 0, (struct sockaddr *)&p->relay, sizeof p->relay);
}

static int peer_recv(struct fwd_peer *p, uint8_t *buf, size_t cap, int ms) {
  struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
  return poll(&pfd, 1, ms) > 0 ? (int)recv(p->fd, buf, cap, 0) : -1;
}

struct media_event *fwd_peer_wait_event(struct media *m, enum media_event_type type, uint64_t id) {
  for (int i = 0; i < 400; i++) {
    struct media_event *ev;
    while ((ev = media_next_event(m)) != NULL) {
      if (ev->type == type && (id == 0 || ev->transport_id == id)) return ev;
      if (ev->type == MEDIA_EV_ERROR) fprintf(stderr, "relay error: %s %s\n", ev->code, ev->message);
      media_event_free(ev);
    }
    struct pollfd pfd = {.fd = media_event_fd(m), .events = POLLIN};
    poll(&pfd, 1, 10);
  }
  fprintf(stderr, "waiting for event %d on %llu\n", type, (unsigned long long)id);
  fwd_peer_die("timed out waiting for an event");
  return NULL;
}

void fwd_peer_init(struct fwd_peer *p, struct media *m, const char *room, const char *label,
                   enum media_transport_kind kind) {
  memset(p, 0, sizeof *p);
  p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int sz = 8 << 20;
  setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  struct sockaddr_in me = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  if (bind(p->fd, (struct sockaddr *)&me, sizeof me) != 0 || dtls_ctx_init(&p->ctx) != 0) fwd_peer_die("peer init");
  snprintf(p->ufrag, sizeof p->ufrag, "bn%s", label); /* ICE: at least 4 characters */
  snprintf(p->pwd, sizeof p->pwd, "benchpassword0123456789%s", label);
  if (media_create_transport(m, room, label, kind, &p->id) != 0) fwd_peer_die("create");
  struct media_event *ev = fwd_peer_wait_event(m, MEDIA_EV_CREATED, p->id);
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

/* One ICE check (nominating), then the DTLS handshake as the client. */
static void peer_connect(struct fwd_peer *p) {
  uint8_t tid[12] = {1, 2, 3}, buf[2048];
  char user[64];
  snprintf(user, sizeof user, "%s:%s", p->r_ufrag, p->ufrag);
  struct stun_request_params rq = {
      .tid = tid, .username = user, .pwd = p->r_pwd, .priority = 1, .use_candidate = 1};
  size_t n;
  stun_write_binding_request(&rq, buf, sizeof buf, &n);
  fwd_peer_send(p, buf, n);
  if (peer_recv(p, buf, sizeof buf, 1000) <= 0) fwd_peer_die("no ICE answer");
  if (dtls_conn_init(&p->dtls, &p->ctx, DTLS_ROLE_CLIENT, p->relay_fp, fwd_peer_send, p) != 0)
    fwd_peer_die("dtls");
  for (int i = 0; i < 100 && p->dtls.state == DTLS_HANDSHAKING; i++) {
    int r = peer_recv(p, buf, sizeof buf, 50);
    if (r > 0 && dtls_is_dtls(buf, (size_t)r)) dtls_conn_input(&p->dtls, buf, (size_t)r);
  }
  if (p->dtls.state != DTLS_CONNECTED) fwd_peer_die("DTLS did not connect");
  if (ly_srtp_init(&p->srtp, p->dtls.keys.profile, p->dtls.keys.local, p->dtls.keys.remote) != 0)
    fwd_peer_die("srtp");
}

/* The m-line header and transport attributes every description here shares. */
static size_t mline(char *out, size_t cap, const struct fwd_peer *p, int video, unsigned pt, const char *mid,
                    const char *setup_dir) {
  int n = snprintf(out, cap,
                   "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
                   "a=fingerprint:sha-256 %s\r\n%sa=mid:%s\r\na=rtcp-mux\r\na=rtpmap:%u %s\r\n",
                   video ? "video" : "audio", pt, p->ufrag, p->pwd, p->ctx.fingerprint, setup_dir, mid, pt,
                   video ? "VP8/90000" : "opus/48000/2");
  return n > 0 && (size_t)n < cap ? (size_t)n : cap;
}

#define SESSION "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE %s\r\n"

void fwd_peer_publish(struct media *m, struct fwd_peer *p, int video, uint32_t ssrc) {
  char sdp[2048];
  size_t off = (size_t)snprintf(sdp, sizeof sdp, SESSION, "0");
  off += mline(sdp + off, sizeof sdp - off, p, video, video ? 96 : 111, "0", "a=setup:actpass\r\na=sendonly\r\n");
  if (video) off += (size_t)snprintf(sdp + off, sizeof sdp - off, "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n");
  off += (size_t)snprintf(sdp + off, sizeof sdp - off, "a=ssrc:%u cname:%s\r\n", ssrc, p->ufrag);
  if (off >= sizeof sdp) fwd_peer_die("offer too long");
  media_apply_remote(m, p->id, MEDIA_SDP_OFFER, sdp, off);
  media_event_free(fwd_peer_wait_event(m, MEDIA_EV_LOCAL_SDP, p->id));
  peer_connect(p);
  media_event_free(fwd_peer_wait_event(m, MEDIA_EV_CONNECTED, p->id));
}

void fwd_peer_subscribe(struct media *m, struct fwd_peer *p) {
  media_subscribe(m, p->id);
  struct media_event *ev = fwd_peer_wait_event(m, MEDIA_EV_LOCAL_SDP, p->id);
  struct sdp_session *s = malloc(sizeof *s);
  if (s == NULL || sdp_parse(ev->sdp, ev->sdp_len, s, NULL) != 0) fwd_peer_die("relay offer");
  media_event_free(ev);
  char ans[8192], mids[SDP_MAX_MEDIA * 8] = "";
  for (unsigned i = 0; i < s->n_media; i++) {
    size_t l = strlen(mids);
    snprintf(mids + l, sizeof mids - l, "%s%s", i ? " " : "", s->media[i].mid);
  }
  size_t off = (size_t)snprintf(ans, sizeof ans, SESSION, mids);
  for (unsigned i = 0; i < s->n_media && off < sizeof ans; i++) {
    const struct sdp_media *md = &s->media[i];
    off += mline(ans + off, sizeof ans - off, p, md->kind == SDP_KIND_VIDEO, md->n_codecs ? md->codecs[0].pt : 0,
                 md->mid, "a=setup:active\r\na=recvonly\r\n");
  }
  free(s);
  if (off >= sizeof ans) fwd_peer_die("answer too long");
  media_apply_remote(m, p->id, MEDIA_SDP_ANSWER, ans, off);
  media_event_free(fwd_peer_wait_event(m, MEDIA_EV_LOCAL_SDP, p->id));
  peer_connect(p);
  media_event_free(fwd_peer_wait_event(m, MEDIA_EV_CONNECTED, p->id));
}

void fwd_peer_close(struct fwd_peer *p) {
  ly_srtp_close(&p->srtp);
  dtls_conn_close(&p->dtls);
  dtls_ctx_close(&p->ctx);
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
}
