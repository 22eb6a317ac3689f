/* bench/loadgen/traffic.c — build, send and measure one window. See traffic.h. */
#include "traffic.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "media/rtp.h"
#include "media/srtp.h"
#include "proc.h"

#define FRAME_US     33333
#define AUDIO_US     20000
#define AUDIO_WIRE   120
#define VERIFY_EVERY 4096
#define RX_BATCH     32

static const unsigned VIDEO_WIRE[3] = {1200, 1200, 900};
static const uint8_t MAGIC[4] = {'L', 'G', 'B', 'N'};

static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr64(uint8_t *p, uint64_t v) {
  wr32(p, (uint32_t)(v >> 32));
  wr32(p + 4, (uint32_t)v);
}
static uint64_t rd64(const uint8_t *p) {
  return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static size_t tag_len(const struct lg *g) {
  if (g->cfg.server == LG_RAW) return 0;
  return g->cfg.profile == DTLS_SRTP_AES128_CM_SHA1_80 ? 10 : 16;
}

/* The RTP header of packet `seq` of stream kind of participant p. */
static int write_header(const struct pc_tx *tx, int kind, uint32_t seq, int64_t t, int marker, uint8_t *buf,
                        size_t cap, size_t *hl) {
  static const uint8_t level = 0x80 | 30; /* voice, -30 dBov */
  uint32_t ast = rtp_abs_send_time_from_ms(t / 1000);
  uint8_t astb[3] = {(uint8_t)(ast >> 16), (uint8_t)(ast >> 8), (uint8_t)ast};
  struct rtp_out o;
  memset(&o, 0, sizeof o);
  o.marker = (uint8_t)marker;
  o.pt = tx->pt;
  o.seq = (uint16_t)seq;
  o.ts = (uint32_t)t;
  o.ssrc = tx->ssrc;
  if (tx->ext_mid && tx->mid[0]) {
    o.ext[o.n_ext].id = tx->ext_mid;
    o.ext[o.n_ext].len = (uint8_t)strlen(tx->mid);
    o.ext[o.n_ext++].data = (const uint8_t *)tx->mid;
  }
  if (kind == PC_AUDIO && tx->ext_level) {
    o.ext[o.n_ext].id = tx->ext_level;
    o.ext[o.n_ext].len = 1;
    o.ext[o.n_ext++].data = &level;
  }
  if (kind == PC_VIDEO && tx->ext_ast) {
    o.ext[o.n_ext].id = tx->ext_ast;
    o.ext[o.n_ext].len = 3;
    o.ext[o.n_ext++].data = astb;
  }
  return rtp_write_header(&o, buf, cap, hl);
}

/* Append one packet to the window, encrypted. */
static int add_packet(struct lg *g, struct tr_window *w, struct lg_part *p, int kind, int64_t t,
                      unsigned wire, int marker) {
  uint8_t *buf = w->arena + w->arena_len;
  size_t cap = w->arena_cap - w->arena_len, hl, n;
  if (cap < wire + 64) return -1;
  uint32_t seq = p->seq[kind]++;
  if (write_header(&p->pub.tx[kind], kind, seq, t, marker, buf, cap, &hl) != 0) return -1;
  size_t plen = wire - hl - tag_len(g);
  uint8_t *pl = buf + hl;
  memset(pl, 0, plen);
  if (kind == PC_AUDIO) {
    pl[0] = 0x78; /* an Opus TOC byte (SILK WB 20 ms) */
  } else {
    pl[0] = 0x10; /* VP8 payload descriptor: start of partition */
    pl[1] = 0x01; /* VP8 header: an inter frame */
  }
  memcpy(pl + 4, MAGIC, 4);
  uint32_t stream = p->index * 2 + (unsigned)kind;
  wr32(pl + 8, stream);
  wr32(pl + 12, seq);
  wr64(pl + 16, (uint64_t)t);
  n = hl + plen;
  if (g->cfg.server != LG_RAW && ly_srtp_protect_rtp(&p->pub.srtp, buf, n, cap, &n) != 0) return -1;
  struct tr_entry *e = &w->e[w->n++];
  e->t = t;
  e->pc = &p->pub;
  e->data = buf;
  e->len = (uint16_t)n;
  e->stream = stream;
  e->in_window = t >= w->w_start && t < w->w_end;
  w->arena_len += (n + 7) & ~(size_t)7;
  return 0;
}

static int cmp_entry(const void *a, const void *b) {
  const struct tr_entry *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return (x->stream > y->stream) - (x->stream < y->stream);
}

static int add_participant(struct lg *g, struct tr_window *w, struct lg_part *p, int64_t end) {
  uint32_t r[2];
  RAND_bytes((unsigned char *)r, sizeof r);
  for (int64_t t = w->t0 + r[0] % AUDIO_US; t < end; t += AUDIO_US)
    if (add_packet(g, w, p, PC_AUDIO, t, AUDIO_WIRE, 0) != 0) return -1;
  int64_t v0 = w->t0 + r[1] % FRAME_US;
  for (int64_t f = 0;; f++) {
    int64_t t = v0 + f * 1000000 / 30;
    if (t >= end) break;
    for (int k = 0; k < 3; k++)
      if (add_packet(g, w, p, PC_VIDEO, t, VIDEO_WIRE[k], k == 2) != 0) return -1;
  }
  return 0;
}

int tr_build(struct lg *g, unsigned active, double lead_s, struct tr_window *w) {
  memset(w, 0, sizeof *w);
  int64_t b0 = lg_now_us();
  double total_s = g->cfg.warmup_s + g->cfg.window_s;
  unsigned np = active * g->cfg.room_size;
  size_t per_part = (size_t)(total_s * (TR_PPS_AUDIO + TR_PPS_VIDEO)) + 16;
  size_t bytes_part = (size_t)(total_s * (TR_PPS_AUDIO * AUDIO_WIRE + 30 * 3300)) + 16 * 1400 + per_part * 8;
  if ((double)np * (double)bytes_part > (double)g->cfg.mem_mb * 1048576.0) return -1;
  w->e = malloc((size_t)np * per_part * sizeof *w->e);
  w->arena_cap = (size_t)np * bytes_part;
  w->arena = malloc(w->arena_cap);
  if (w->e == NULL || w->arena == NULL) {
    tr_free(w);
    return -1;
  }
  w->active_rooms = active;
  w->t0 = lg_now_us() + (int64_t)(lead_s * 1e6);
  w->w_start = w->t0 + (int64_t)(g->cfg.warmup_s * 1e6);
  w->w_end = w->w_start + (int64_t)(g->cfg.window_s * 1e6);
  int64_t end = w->w_end;
  for (unsigned i = 0; i < np; i++)
    if (add_participant(g, w, &g->parts[i], end) != 0) {
      tr_free(w);
      return -1;
    }
  qsort(w->e, w->n, sizeof *w->e, cmp_entry);
  w->build_s = (double)(lg_now_us() - b0) / 1e6;
  return 0;
}

void tr_free(struct tr_window *w) {
  free(w->e);
  free(w->arena);
  memset(w, 0, sizeof *w);
}

/* ---- receiving ----------------------------------------------------------------- */

struct rx_ctx {
  struct lg *g;
  struct tr_window *w;
  struct tr_result *r;
  uint64_t *recv; /* per stream, in window */
  uint64_t count;
};

/* Decrypt a copy of an SRTP packet and read our fields from its payload. */
static int read_payload(struct lg *g, struct pc *p, const uint8_t *buf, size_t len, struct rtp_hdr *h,
                        uint32_t *stream, uint32_t *seq, uint64_t *sched) {
  uint8_t tmp[2048];
  size_t n = len;
  if (len > sizeof tmp) return -1;
  memcpy(tmp, buf, len);
  if (g->cfg.server != LG_RAW && ly_srtp_unprotect_rtp(&p->srtp, tmp, len, &n) != 0) return -1;
  if (rtp_parse(tmp, n, h) != 0 || h->payload_len < 24) return -1;
  const uint8_t *pl = tmp + h->header_len;
  if (memcmp(pl + 4, MAGIC, 4) != 0) return -1;
  *stream = rd32(pl + 8);
  *seq = rd32(pl + 12);
  *sched = rd64(pl + 16);
  return 0;
}

static struct pc_rx *learn(struct lg *g, struct pc *p, const uint8_t *buf, size_t len, uint32_t ssrc) {
  struct rtp_hdr h;
  uint32_t stream, seq;
  uint64_t sched;
  if (p->n_rx == PC_MAX_RX || read_payload(g, p, buf, len, &h, &stream, &seq, &sched) != 0) return NULL;
  struct pc_rx *rx = &p->rx[p->n_rx++];
  rx->ssrc = ssrc;
  rx->stream = (int32_t)stream;
  rx->seq_off = (uint16_t)(h.seq - (uint16_t)seq);
  rx->ts_off = h.ts - (uint32_t)sched;
  return rx;
}

static void verify(struct lg *g, struct pc *p, struct pc_rx *rx, const uint8_t *buf, size_t len,
                   struct tr_result *r) {
  struct rtp_hdr h;
  uint32_t stream, seq;
  uint64_t sched;
  if (read_payload(g, p, buf, len, &h, &stream, &seq, &sched) != 0) return;
  int ok = (int32_t)stream == rx->stream && (uint16_t)(h.seq - rx->seq_off) == (uint16_t)seq &&
           h.ts - rx->ts_off == (uint32_t)sched;
  if (ok)
    r->verified++;
  else
    r->mismatched++;
}

static void on_rtp(struct rx_ctx *c, struct pc *p, const uint8_t *buf, size_t len, int64_t arrival) {
  uint32_t ssrc = rd32(buf + 8);
  struct pc_rx *rx = NULL;
  for (unsigned i = 0; i < p->n_rx && rx == NULL; i++)
    if (p->rx[i].ssrc == ssrc) rx = &p->rx[i];
  if (rx == NULL && (rx = learn(c->g, p, buf, len, ssrc)) == NULL) {
    c->r->unknown++;
    return;
  }
  uint32_t sched = rd32(buf + 4) - rx->ts_off;
  uint32_t from = (uint32_t)c->w->w_start, span = (uint32_t)(c->w->w_end - c->w->w_start);
  if ((uint32_t)(sched - from) >= span) return; /* warm-up, or an earlier window's straggler */
  c->recv[rx->stream]++;
  hist_add(&c->r->lat, (int32_t)((uint32_t)arrival - sched));
  if (++c->count % VERIFY_EVERY == 0) verify(c->g, p, rx, buf, len, c->r);
}

static int64_t stamp_of(struct msghdr *mh) {
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(cm), sizeof ts);
      return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }
  return lg_now_us();
}

static void drain_pc(struct rx_ctx *c, struct pc *p) {
  static uint8_t bufs[RX_BATCH][2048];
  static char ctl[RX_BATCH][64];
  static struct sockaddr_in from[RX_BATCH];
  struct mmsghdr mm[RX_BATCH];
  struct iovec iov[RX_BATCH];
  for (;;) {
    for (int i = 0; i < RX_BATCH; i++) {
      iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
      mm[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
                                      .msg_namelen = sizeof from[i],
                                      .msg_iov = &iov[i],
                                      .msg_iovlen = 1,
                                      .msg_control = ctl[i],
                                      .msg_controllen = sizeof ctl[i]};
    }
    int n = recvmmsg(p->fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    for (int i = 0; i < n; i++) {
      size_t len = mm[i].msg_len;
      if (c != NULL && pc_input(p, bufs[i], len, &from[i]) && len >= 12)
        on_rtp(c, p, bufs[i], len, stamp_of(&mm[i].msg_hdr));
      else if (c == NULL)
        pc_input(p, bufs[i], len, &from[i]);
    }
    if (n < RX_BATCH) return;
  }
}

/* Read every ready socket; wait up to wait_us for the first. With c NULL,
 * RTP is dropped (setup). */
static void receive(struct lg *g, struct rx_ctx *c, int64_t wait_us) {
  struct epoll_event ev[256];
  struct timespec ts = {wait_us / 1000000, (wait_us % 1000000) * 1000};
  int n = epoll_pwait2(g->epfd, ev, 256, &ts, NULL);
  if (n < 0 && errno == ENOSYS) n = epoll_wait(g->epfd, ev, 256, (int)(wait_us / 1000));
  for (int i = 0; i < n; i++)
    drain_pc(c, ev[i].data.ptr);
}

void tr_receive_setup(struct lg *g, int64_t wait_us) {
  receive(g, NULL, wait_us);
}

/* ---- the window ------------------------------------------------------------------ */

static int64_t self_cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

struct snap {
  int64_t server, core, self;
};

static void take_snap(struct lg *g, struct snap *s) {
  s->server = g->cfg.server_pid ? proc_cpu_us(g->cfg.server_pid) : 0;
  s->core = g->cfg.server_cpu >= 0 ? proc_core_busy_us(g->cfg.server_cpu) : 0;
  s->self = self_cpu_us();
}

/* One burst (same time, same PC: a video frame's packets) in one sendmmsg.
 * (UDP GSO was tried: on loopback it saves nothing measurable.) Returns
 * how many were sent. */
static int send_burst(struct tr_entry *e, unsigned k) {
  struct mmsghdr mm[8];
  struct iovec iov[8];
  for (unsigned j = 0; j < k; j++) {
    iov[j] = (struct iovec){e[j].data, e[j].len};
    mm[j].msg_hdr = (struct msghdr){.msg_iov = &iov[j], .msg_iovlen = 1};
  }
  return sendmmsg(e[0].pc->fd, mm, k, MSG_DONTWAIT);
}

/* Send what is due, a burst at a time. */
static void send_due(struct tr_window *w, size_t *i, int64_t now, uint64_t *sent, struct tr_result *r) {
  for (unsigned burst = 0; *i < w->n && w->e[*i].t <= now && burst < 64;) {
    struct tr_entry *e = &w->e[*i];
    unsigned k = 1;
    while (k < 8 && *i + k < w->n && e[k].t == e->t && e[k].pc == e->pc)
      k++;
    int n = send_burst(e, k);
    for (unsigned j = 0; j < k; j++) {
      if (!e[j].in_window) continue;
      hist_add(&r->lag, now - e[j].t);
      if ((int)j < n)
        sent[e[j].stream]++;
      else
        r->send_failed++;
    }
    *i += k;
    burst += k;
  }
}

static void finish(struct lg *g, struct tr_window *w, struct tr_result *r, const uint64_t *sent,
                   const uint64_t *recv, const struct snap *a, const struct snap *b) {
  unsigned ns = w->active_rooms * g->cfg.room_size * 2;
  for (unsigned s = 0; s < ns; s++) {
    r->sent += sent[s];
    r->expected += sent[s] * (g->cfg.room_size - 1);
    r->received += recv[s];
  }
  r->window_s = (double)(w->w_end - w->w_start) / 1e6;
  r->fwd_pps = (double)r->received / r->window_s;
  r->loss = r->expected ? 1.0 - (double)r->received / (double)r->expected : 0;
  r->server_cpu_us = b->server - a->server;
  r->server_core_us = b->core - a->core;
  r->lg_cpu_us = b->self - a->self;
  r->server_rss_kb = g->cfg.server_pid ? proc_rss_kb(g->cfg.server_pid) : 0;
  r->build_s = w->build_s;
}

void tr_run(struct lg *g, struct tr_window *w, struct tr_result *r) {
  memset(r, 0, sizeof *r);
  r->rooms = w->active_rooms;
  r->participants = w->active_rooms * g->cfg.room_size;
  size_t ns = (size_t)g->n_parts * 2 + 2;
  uint64_t *sent = calloc(ns, sizeof *sent), *recv = calloc(ns, sizeof *recv);
  struct rx_ctx c = {g, w, r, recv, 0};
  struct snap a = {0}, b = {0};
  int have_a = 0, have_b = 0;
  size_t i = 0;
  int64_t stop = w->w_end + (int64_t)(g->cfg.drain_s * 1e6);
  for (;;) {
    int64_t now = lg_now_us();
    if (!have_a && now >= w->w_start) take_snap(g, &a), have_a = 1;
    if (!have_b && now >= w->w_end) take_snap(g, &b), have_b = 1;
    if (now >= stop) break;
    send_due(w, &i, now, sent, r);
    if (now >= g->next_sweep_us) {
      for (unsigned k = 0; k < g->n_parts; k++) {
        pc_tick(&g->parts[k].pub, now);
        pc_tick(&g->parts[k].sub, now);
      }
      g->ops->keepalive(g, now);
      ws_service();
      g->next_sweep_us = now + 50000;
    }
    /* Read what has arrived, then sleep until the next packet is due: not
     * in epoll_wait, so that the server never has to wake us (on loopback
     * the sender pays for that wake-up, an IPI, which a server sending to
     * real browsers over a NIC does not). The latency does not suffer: it
     * is measured from the kernel's receive time stamps. SCHED_FIFO
     * (bench/media.sh) makes the sleep end on time. */
    receive(g, &c, 0);
    int64_t next = i < w->n ? w->e[i].t : stop, now2 = lg_now_us();
    if (next > now2) {
      int64_t until = next - now2 > 1000 ? now2 + 1000 : next;
      struct timespec ts = {until / 1000000, (until % 1000000) * 1000};
      clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
    }
  }
  finish(g, w, r, sent, recv, &a, &b);
  free(sent);
  free(recv);
}
