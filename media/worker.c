/* media/worker.c — one media worker thread: its UDP socket, epoll loop,
 * command handling and the batched send path.
 *
 * Everything here runs on the worker's own thread except worker_start() and
 * worker_stop(), which the service thread calls before the thread exists and
 * after it has been told to stop. Receive and send buffers are allocated once
 * at start; the packet path never allocates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "media/media_internal.h"
#include "media/rtcp.h"

#define TICK_MS   20
#define REPORT_MS 1000

int64_t worker_now(const struct worker *w) {
  return ly_mono_ms(w->m->cfg.clock);
}
int64_t worker_wall(const struct worker *w) {
  return ly_now_ms(w->m->cfg.clock);
}

/* ---- events -------------------------------------------------------------- */

struct media_event *worker_event(struct worker *w, enum media_event_type type, const struct transport *t) {
  if (w->quiet) return NULL;
  struct media_event *ev = calloc(1, sizeof *ev);
  if (ev == NULL) return NULL;
  ev->type = type;
  if (t) {
    ev->transport_id = t->id;
    if (t->room >= 0) snprintf(ev->room, sizeof ev->room, "%s", w->rooms[t->room].name);
    ev->stats = t->stats;
  }
  return ev;
}

void worker_emit(struct worker *w, struct media_event *ev) {
  if (queue_push(&w->m->events, ev) != 0) {
    if (w->m->cfg.log)
      LY_WARN(w->m->cfg.log, "media.event_dropped", "event queue full, type %d dropped", ev->type);
    free(ev->sdp);
    free(ev);
  }
}

void worker_emit_error(struct worker *w, uint64_t id, int err, const char *code, const char *msg) {
  struct media_event *ev = worker_event(w, MEDIA_EV_ERROR, NULL);
  if (ev == NULL) return;
  ev->transport_id = id;
  ev->err = err;
  snprintf(ev->code, sizeof ev->code, "%s", code);
  snprintf(ev->message, sizeof ev->message, "%s", msg);
  worker_emit(w, ev);
}

struct transport *worker_find(struct worker *w, uint64_t id) {
  for (unsigned i = 0; i < w->hi; i++)
    if (w->t[i].state != TS_FREE && w->t[i].id == id) return &w->t[i];
  return NULL;
}

/* ---- send batch ----------------------------------------------------------- */

void worker_tx_flush(struct worker *w) {
  unsigned done = 0;
  while (done < w->tx_n) {
    int r = sendmmsg(w->fd, w->tx_msg + done, w->tx_n - done, MSG_DONTWAIT);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) done++; /* skip the datagram the kernel refused (EAGAIN: dropped, like a full link) */
      continue;
    }
    done += (unsigned)r;
  }
  w->tx_n = 0;
}

uint8_t *worker_tx_slot(struct worker *w) {
  if (w->tx_n == MEDIA_BATCH) worker_tx_flush(w);
  return w->tx_buf[w->tx_n];
}

void worker_tx_commit(struct worker *w, size_t len, const struct sockaddr_storage *addr) {
  unsigned i = w->tx_n++;
  w->tx_addr[i] = *addr;
  w->tx_iov[i].iov_base = w->tx_buf[i];
  w->tx_iov[i].iov_len = len;
  memset(&w->tx_msg[i].msg_hdr, 0, sizeof w->tx_msg[i].msg_hdr);
  w->tx_msg[i].msg_hdr.msg_name = &w->tx_addr[i];
  w->tx_msg[i].msg_hdr.msg_namelen =
      addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  w->tx_msg[i].msg_hdr.msg_iov = &w->tx_iov[i];
  w->tx_msg[i].msg_hdr.msg_iovlen = 1;
}

/* ---- rooms ----------------------------------------------------------------- */

/* The lowest free slot of a table of w->max, growing w->hi when it is new. */
static int take_slot(struct worker *w, int free_slot) {
  if (free_slot < 0 && w->hi < w->max) free_slot = (int)w->hi;
  if (free_slot >= 0 && (unsigned)free_slot >= w->hi) w->hi = (unsigned)free_slot + 1;
  return free_slot;
}

static int room_join(struct worker *w, struct transport *t, const char *name) {
  int free_slot = -1;
  for (unsigned i = 0; i < w->hi; i++) {
    struct room *r = &w->rooms[i];
    if (r->n > 0 && strcmp(r->name, name) == 0) {
      if (r->n == MEDIA_ROOM_MEMBERS) return LY_ETOOBIG;
      r->members[r->n++] = (int)(t - w->t);
      t->room = (int)i;
      return 0;
    }
    if (r->n == 0 && free_slot < 0) free_slot = (int)i;
  }
  if ((free_slot = take_slot(w, free_slot)) < 0) return LY_ETOOBIG;
  struct room *r = &w->rooms[free_slot];
  snprintf(r->name, sizeof r->name, "%s", name);
  r->members[0] = (int)(t - w->t);
  r->n = 1;
  t->room = free_slot;
  atomic_fetch_add_explicit(&w->n_rooms, 1, memory_order_relaxed);
  return 0;
}

void worker_room_leave(struct worker *w, struct transport *t) {
  if (t->room < 0) return;
  struct room *r = &w->rooms[t->room];
  int idx = (int)(t - w->t);
  for (unsigned i = 0; i < r->n; i++) {
    if (r->members[i] == idx) {
      r->members[i] = r->members[--r->n];
      break;
    }
  }
  t->room = -1;
  if (r->n == 0) {
    atomic_fetch_sub_explicit(&w->n_rooms, 1, memory_order_relaxed);
    worker_record_stop(w, r); /* nobody left to record */
  }
}

static struct room *room_by_name(struct worker *w, const char *name) {
  for (unsigned i = 0; i < w->hi; i++)
    if (w->rooms[i].n > 0 && strcmp(w->rooms[i].name, name) == 0) return &w->rooms[i];
  return NULL;
}

void worker_emit_recording(struct worker *w, const char *room, const char *path, int on, int64_t duration_ms,
                           int err) {
  struct media_event *ev = worker_event(w, MEDIA_EV_RECORDING, NULL);
  if (ev == NULL) return;
  snprintf(ev->room, sizeof ev->room, "%s", room);
  snprintf(ev->path, sizeof ev->path, "%s", path);
  ev->recording = (uint8_t)on;
  ev->duration_ms = duration_ms;
  if (err != 0) {
    ev->err = err;
    snprintf(ev->code, sizeof ev->code, "%s", "media.recording_io");
    snprintf(ev->message, sizeof ev->message, "%s", "The recording could not be written completely.");
  }
  worker_emit(w, ev);
}

void worker_record_error(struct worker *w, const char *room, int err, const char *code, const char *msg) {
  struct media_event *ev = worker_event(w, MEDIA_EV_ERROR, NULL);
  if (ev == NULL) return;
  snprintf(ev->room, sizeof ev->room, "%s", room);
  ev->err = err;
  snprintf(ev->code, sizeof ev->code, "%s", code);
  snprintf(ev->message, sizeof ev->message, "%s", msg);
  worker_emit(w, ev);
}

/* The recording thread finishes the file; MEDIA_EV_RECORDING 0 follows. */
void worker_record_stop(struct worker *w, struct room *r) {
  if (r->rec == 0) return;
  recthread_close(w, r->rec);
  r->rec = 0;
}

static void cmd_record(struct worker *w, const struct media_cmd *c) {
  struct room *r = room_by_name(w, c->room);
  if (r == NULL) {
    worker_record_error(w, c->room, LY_ENOTFOUND, "media.no_such_room", "No such room.");
  } else if (c->type == CMD_UNRECORD) {
    if (r->rec == 0)
      worker_record_error(w, c->room, LY_ESTATE, "media.not_recording", "The room is not being recorded.");
    else
      worker_record_stop(w, r);
  } else if (r->rec != 0) {
    worker_record_error(w, c->room, LY_ESTATE, "media.already_recording", "The room is already being recorded.");
  } else {
    if (++w->rec_next == 0) w->rec_next = 1; /* 0 means none */
    uint32_t id = w->rec_next;
    int rc = recthread_open(w, id, c->room, c->sdp);
    if (rc != 0)
      worker_record_error(w, c->room, rc, rc == LY_EAGAIN ? "media.recording_busy" : "media.recording_io",
                          "The recording could not be started.");
    else
      r->rec = id; /* MEDIA_EV_RECORDING 1 once the file is made (recthread_notes) */
  }
}

/* ---- commands -------------------------------------------------------------- */

/* A failed create names its room in the error so the service side can
 * release the placement it counted. */
static void create_failed(struct worker *w, const struct media_cmd *c, int err, const char *code,
                          const char *msg) {
  struct media_event *ev = worker_event(w, MEDIA_EV_ERROR, NULL);
  if (ev == NULL) return;
  ev->transport_id = c->id;
  ev->err = err;
  snprintf(ev->room, sizeof ev->room, "%s", c->room);
  snprintf(ev->code, sizeof ev->code, "%s", code);
  snprintf(ev->message, sizeof ev->message, "%s", msg);
  worker_emit(w, ev);
}

static void cmd_create(struct worker *w, const struct media_cmd *c) {
  int slot = -1;
  for (unsigned i = 0; i < w->hi && slot < 0; i++)
    if (w->t[i].state == TS_FREE) slot = (int)i;
  slot = take_slot(w, slot);
  struct transport *t = slot >= 0 ? &w->t[slot] : NULL;
  if (t == NULL) {
    create_failed(w, c, LY_EAGAIN, "media.worker_full", "This media worker has no free transport.");
    return;
  }
  t->room = -1;
  if (room_join(w, t, c->room) != 0) {
    create_failed(w, c, LY_ETOOBIG, "media.room_full", "The room has too many transports.");
    return;
  }
  int room = t->room;
  if (transport_open(w, t, c) != 0) { /* transport_open cleared t */
    t->room = room;
    worker_room_leave(w, t);
    memset(t, 0, sizeof *t);
    t->room = -1;
    create_failed(w, c, LY_ENOMEM, "internal.out_of_memory", "Out of memory.");
  }
}

static void emit_stats(struct worker *w, struct transport *t) {
  struct media_event *ev = worker_event(w, MEDIA_EV_STATS, t);
  if (ev) worker_emit(w, ev);
}

static void on_cmd(struct worker *w, struct media_cmd *c) {
  int by_room =
      c->type == CMD_CREATE || c->type == CMD_CLOSE_ROOM || c->type == CMD_RECORD || c->type == CMD_UNRECORD;
  struct transport *t = by_room ? NULL : worker_find(w, c->id);
  if (c->type == CMD_CREATE) {
    cmd_create(w, c);
  } else if (c->type == CMD_CLOSE_ROOM) {
    for (unsigned i = 0; i < w->hi; i++)
      if (w->t[i].state != TS_FREE && w->t[i].room >= 0 && strcmp(w->rooms[w->t[i].room].name, c->room) == 0)
        transport_close(w, &w->t[i], MEDIA_EV_CLOSED);
  } else if (c->type == CMD_RECORD || c->type == CMD_UNRECORD) {
    cmd_record(w, c);
  } else if (c->type == CMD_STATS && c->id == 0) {
    for (unsigned i = 0; i < w->hi; i++)
      if (w->t[i].state != TS_FREE) emit_stats(w, &w->t[i]);
  } else if (t == NULL) {
    worker_emit_error(w, c->id, LY_ENOTFOUND, "media.no_such_transport", "No such transport.");
  } else if (c->type == CMD_APPLY) {
    router_apply(w, t, c);
  } else if (c->type == CMD_SUBSCRIBE) {
    router_subscribe(w, t);
  } else if (c->type == CMD_CLOSE) {
    transport_close(w, t, MEDIA_EV_CLOSED);
  } else if (c->type == CMD_STATS) {
    emit_stats(w, t);
  }
  free(c->sdp);
  free(c);
}

/* ---- receive path ---------------------------------------------------------- */

/* RFC 7983 demultiplexing by the first byte. */
static void demux(struct worker *w, uint8_t *buf, size_t len, const struct sockaddr_storage *from) {
  if (len == 0) return;
  uint8_t b = buf[0];
  if (b <= 3) {
    transport_on_stun(w, buf, len, from);
    return;
  }
  struct transport *t = transport_by_addr(w, from);
  if (t == NULL) return; /* unknown address: dropped without a word */
  t->stats.packets_in++;
  t->stats.bytes_in += len;
  if (b >= 20 && b <= 63)
    transport_on_dtls(w, t, buf, len);
  else if (b >= 128 && b <= 191 && t->srtp_ready) {
    if (rtcp_is_rtcp(buf, len))
      router_on_rtcp(w, t, buf, len);
    else
      router_on_rtp(w, t, buf, len);
  }
}

static void recv_all(struct worker *w) {
  for (int round = 0; round < 16; round++) {
    for (unsigned i = 0; i < MEDIA_BATCH; i++)
      w->rx_msg[i].msg_hdr.msg_namelen = sizeof w->rx_addr[i];
    int n = recvmmsg(w->fd, w->rx_msg, MEDIA_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    for (int i = 0; i < n; i++) {
      if (w->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC) continue; /* larger than any media packet */
      demux(w, w->rx_buf[i], w->rx_msg[i].msg_len, &w->rx_addr[i]);
    }
    if (n < MEDIA_BATCH) return;
  }
}

static void tick(struct worker *w, int64_t now) {
  int report = now >= w->next_report_ms;
  recthread_flush(w);
  if (report) w->next_report_ms = now + REPORT_MS;
  for (unsigned i = 0; i < w->hi; i++) {
    struct transport *t = &w->t[i];
    if (t->state == TS_FREE) continue;
    transport_tick(w, t, now);
    if (report && t->state == TS_CONNECTED) router_tick(w, t, now);
  }
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  struct epoll_event evs[8];
  int stop = 0;
  while (!stop) {
    int64_t now = worker_now(w);
    int timeout = w->next_tick_ms > now ? (int)(w->next_tick_ms - now) : 0;
    int n = epoll_wait(w->epfd, evs, 8, timeout);
    for (int i = 0; i < n; i++) {
      if (evs[i].data.fd == w->fd) {
        recv_all(w);
      } else if (evs[i].data.fd == w->cmds.efd) {
        queue_drain_fd(&w->cmds); /* drain first: a later push re-arms it */
        struct media_cmd *c;
        while ((c = queue_pop(&w->cmds)) != NULL)
          on_cmd(w, c);
      } else if (evs[i].data.fd == w->stop_efd) {
        stop = 1;
      } else if (evs[i].data.fd == recthread_fd(w)) {
        recthread_notes(w);
      }
    }
    now = worker_now(w);
    if (now >= w->next_tick_ms) {
      tick(w, now);
      w->next_tick_ms = now + TICK_MS;
    }
    worker_tx_flush(w);
  }
  return NULL;
}

/* ---- start / stop ---------------------------------------------------------- */

static int open_socket(struct worker *w, const char *ip, uint16_t port) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sl = sizeof *sin;
  } else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sl = sizeof *sin6;
  } else {
    return LY_EINVAL;
  }
  w->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (w->fd < 0) return LY_EIO;
  int sz = 4 << 20;
  setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz); /* best effort */
  setsockopt(w->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  if (bind(w->fd, (struct sockaddr *)&ss, sl) != 0 || getsockname(w->fd, (struct sockaddr *)&ss, &sl) != 0)
    return LY_EIO;
  w->port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
  return 0;
}

static int alloc_buffers(struct worker *w) {
  w->t = calloc(w->max, sizeof *w->t);
  w->rooms = calloc(w->max, sizeof *w->rooms);
  w->rx_msg = calloc(MEDIA_BATCH, sizeof *w->rx_msg);
  w->rx_iov = calloc(MEDIA_BATCH, sizeof *w->rx_iov);
  w->rx_buf = calloc(MEDIA_BATCH, sizeof *w->rx_buf);
  w->rx_addr = calloc(MEDIA_BATCH, sizeof *w->rx_addr);
  w->tx_msg = calloc(MEDIA_BATCH, sizeof *w->tx_msg);
  w->tx_iov = calloc(MEDIA_BATCH, sizeof *w->tx_iov);
  w->tx_buf = calloc(MEDIA_BATCH, sizeof *w->tx_buf);
  w->tx_addr = calloc(MEDIA_BATCH, sizeof *w->tx_addr);
  unsigned slots = 256;
  while (slots < 4 * w->max)
    slots *= 2;
  w->addr_slot = malloc(slots * sizeof *w->addr_slot);
  w->addr_mask = slots - 1;
  if (!w->t || !w->rooms || !w->rx_msg || !w->rx_iov || !w->rx_buf || !w->rx_addr || !w->tx_msg ||
      !w->tx_iov || !w->tx_buf || !w->tx_addr || !w->addr_slot)
    return LY_ENOMEM;
  /* t[i].room is set when a slot is taken: every reader checks the state first */
  for (unsigned i = 0; i < slots; i++)
    w->addr_slot[i] = -1;
  for (unsigned i = 0; i < MEDIA_BATCH; i++) {
    w->rx_iov[i].iov_base = w->rx_buf[i];
    w->rx_iov[i].iov_len = MEDIA_MAX_PKT;
    w->rx_msg[i].msg_hdr.msg_name = &w->rx_addr[i];
    w->rx_msg[i].msg_hdr.msg_iov = &w->rx_iov[i];
    w->rx_msg[i].msg_hdr.msg_iovlen = 1;
  }
  return 0;
}

static void free_worker(struct worker *w) {
  if (w->fd >= 0) close(w->fd);
  if (w->epfd >= 0) close(w->epfd);
  if (w->stop_efd >= 0) close(w->stop_efd);
  queue_close(&w->cmds);
  free(w->t);
  free(w->rooms);
  free(w->rx_msg);
  free(w->rx_iov);
  free(w->rx_buf);
  free(w->rx_addr);
  free(w->tx_msg);
  free(w->tx_iov);
  free(w->tx_buf);
  free(w->tx_addr);
  free(w->addr_slot);
  memset(w, 0, sizeof *w);
}

static int epoll_add(int epfd, int fd) {
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : LY_EIO;
}

int worker_start(struct media *m, struct worker *w, unsigned index) {
  memset(w, 0, sizeof *w);
  w->m = m;
  w->index = index;
  w->max = m->cfg.max_transports;
  w->fd = w->epfd = w->stop_efd = -1;
  uint16_t port = m->cfg.base_port ? (uint16_t)(m->cfg.base_port + index) : 0;
  int rc = alloc_buffers(w);
  if (rc == 0) rc = queue_init(&w->cmds, m->cfg.queue_len);
  if (rc == 0) rc = open_socket(w, m->listen_ip, port);
  if (rc == 0) {
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->stop_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    rc = (w->epfd < 0 || w->stop_efd < 0) ? LY_EIO : 0;
  }
  if (rc == 0) rc = epoll_add(w->epfd, w->fd);
  if (rc == 0) rc = epoll_add(w->epfd, w->cmds.efd);
  if (rc == 0) rc = epoll_add(w->epfd, w->stop_efd);
  if (rc == 0 && pthread_create(&w->thread, NULL, worker_main, w) != 0) rc = LY_ENOMEM;
  if (rc != 0) free_worker(w);
  return rc;
}

void worker_stop(struct worker *w) {
  if (w->m == NULL) return;
  uint64_t one = 1;
  ssize_t r = write(w->stop_efd, &one, sizeof one);
  (void)r;
  pthread_join(w->thread, NULL);
  /* the thread is gone: this thread may now touch its state */
  w->quiet = 1;
  for (unsigned i = 0; i < w->hi; i++)
    if (w->t[i].state != TS_FREE) transport_close(w, &w->t[i], MEDIA_EV_CLOSED);
  recthread_stop(w); /* files stay playable */
  worker_tx_flush(w);
  struct media_cmd *c;
  while ((c = queue_pop(&w->cmds)) != NULL) {
    free(c->sdp);
    free(c);
  }
  free_worker(w);
}
