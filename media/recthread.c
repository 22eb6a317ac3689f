/* media/recthread.c — a media worker's recording thread: the decoding,
 * mixing, encoding and file writing of its rooms' recordings, off the
 * forwarding loop (issue 5: recording "must not delay forwarding").
 *
 *   worker thread                               recording thread
 *   recthread_open()   ──┐                      recorder_open() (the file)
 *   recthread_opus()   ──┼─ in: SPSC ring ────▶ recorder_on_opus() (decode)
 *   recthread_close()  ──┘  of copied payloads  recorder_tick() every 10 ms
 *   recthread_notes()  ◀──── notes: SPSC ring ─ opened / open failed / ended
 *     (the notes eventfd is in the worker's       (+ eventfd); recorder_close()
 *      epoll) → MEDIA_EV_RECORDING / ERROR
 *
 * The forwarding thread only copies an Opus payload into a ring slot; when
 * the ring is nearly full the packet is dropped for the recording (counted;
 * the mixer conceals the gap) and forwarding goes on. OPEN and CLOSE may use
 * the last REC_RESERVE slots; a CLOSE that still finds the ring full waits
 * in `pending` and is retried on the worker's tick. The events keep their
 * order per recording and the worker forgets a recording (room->rec = 0)
 * before it says it ended, so a command after the event sees the new state.
 *
 * Ownership: struct recthread is made by the worker on its first recording
 * (recthread_start) and freed by recthread_stop() once the worker thread is
 * joined; the recording thread owns the entries and their files, the worker
 * owns `pending`. The two rings are the only shared state.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "media/media_internal.h"
#include "media/recorder.h"

#define REC_RING     4096 /* packets in flight to the recording thread (~0.5 s of 80 recorded calls) */
#define REC_RESERVE  64   /* slots kept for OPEN and CLOSE */
#define REC_NOTES    1024
#define REC_MAX      512 /* recordings at once per worker (~120 fit in a core) */
#define REC_TICK_MS  10
#define REC_DRAIN    1024 /* messages per turn at most (~130 ms of 80 recorded calls) */
#define REC_NICE     5 /* below the forwarding threads when the CPU is short (Linux: per thread) */
#define REC_PATH_MAX 256

enum { MSG_OPEN = 1, MSG_OPUS, MSG_CLOSE };
enum { NOTE_OPENED = 1, NOTE_FAILED, NOTE_ENDED };

struct rec_msg {
  uint8_t type;
  uint16_t len;
  uint32_t id;
  uint64_t key;                  /* MSG_OPUS: the stream */
  uint8_t data[MEDIA_MAX_PKT];   /* MSG_OPUS: the payload; MSG_OPEN: room NUL path NUL */
};

struct rec_note {
  uint8_t type;
  uint32_t id;
  int err;
  int64_t duration_ms;
  char room[MEDIA_ROOM_MAX];
  char path[REC_PATH_MAX];
};

struct rec_entry {
  uint32_t id; /* 0: free */
  uint8_t note; /* a note still to send (the notes ring was full): NOTE_* */
  int err;
  int64_t duration_ms;
  char room[MEDIA_ROOM_MAX];
  char path[REC_PATH_MAX];
  struct recorder r;
};

struct recthread {
  const struct media *m;
  pthread_t thread;
  int stop_efd, note_efd;
  atomic_int stop;
  struct spsc in, notes;
  struct rec_entry *e; /* [REC_MAX], the recording thread's */
  /* the worker's side */
  uint32_t *pending; /* CLOSEs the ring had no room for, [REC_MAX] */
  unsigned n_pending;
  uint64_t dropped; /* packets not recorded because the ring was full */
};

/* ---- the recording thread ---------------------------------------------------- */

static int note_push(struct recthread *rt, struct rec_entry *e, int type) {
  struct rec_note *n = spsc_claim(&rt->notes);
  if (n == NULL) {
    e->note = (uint8_t)type; /* retried on the next turn */
    return LY_EAGAIN;
  }
  memset(n, 0, sizeof *n);
  n->type = (uint8_t)type;
  n->id = e->id;
  n->err = e->err;
  n->duration_ms = e->duration_ms;
  memcpy(n->room, e->room, sizeof n->room);
  memcpy(n->path, e->path, sizeof n->path);
  spsc_publish(&rt->notes);
  e->note = 0;
  uint64_t one = 1;
  ssize_t wr = write(rt->note_efd, &one, sizeof one);
  (void)wr;
  return 0;
}

/* Close e's file; the entry stays until its NOTE_ENDED is out. */
static void entry_end(struct recthread *rt, struct rec_entry *e) {
  int rc = recorder_close(&e->r, &e->duration_ms);
  if (e->err == 0) e->err = rc;
  if (note_push(rt, e, NOTE_ENDED) == 0) e->id = 0;
}

static struct rec_entry *entry_find(struct recthread *rt, uint32_t id) {
  for (unsigned i = 0; i < REC_MAX; i++)
    if (rt->e[i].id == id) return &rt->e[i];
  return NULL;
}

static void on_open(struct recthread *rt, const struct rec_msg *msg, int64_t now) {
  struct rec_entry *e = entry_find(rt, 0), spare;
  if (e == NULL) { /* every entry busy (ended ones waiting for the notes ring): refuse */
    memset(&spare, 0, sizeof spare);
    spare.id = msg->id;
    spare.err = LY_EAGAIN;
    snprintf(spare.room, sizeof spare.room, "%.63s", (const char *)msg->data);
    note_push(rt, &spare, NOTE_FAILED);
    return;
  }
  memset(e, 0, sizeof *e);
  e->id = msg->id;
  const char *room = (const char *)msg->data, *path = room + strlen(room) + 1;
  snprintf(e->room, sizeof e->room, "%.63s", room); /* lengths checked by recthread_open */
  snprintf(e->path, sizeof e->path, "%.255s", path);
  e->err = recorder_open(&e->r, e->path, now);
  if (e->err != 0) {
    if (note_push(rt, e, NOTE_FAILED) == 0) e->id = 0;
  } else {
    note_push(rt, e, NOTE_OPENED);
  }
}

/* At most REC_DRAIN messages a turn: when packets come faster than they
 * decode (the CPU is short), the mix still advances every turn and the file
 * keeps the call's length; the ring then overflows and the packets it drops
 * are concealed, which is the point of yielding to forwarding. */
static void drain(struct recthread *rt, int64_t now) {
  struct rec_msg *msg;
  for (unsigned n = 0; n < REC_DRAIN && (msg = spsc_peek(&rt->in)) != NULL; n++) {
    struct rec_entry *e = msg->type == MSG_OPEN ? NULL : entry_find(rt, msg->id);
    if (msg->type == MSG_OPEN)
      on_open(rt, msg, now);
    else if (e != NULL && e->r.f != NULL && msg->type == MSG_OPUS)
      recorder_on_opus(&e->r, msg->key, msg->data, msg->len);
    else if (e != NULL && e->r.f != NULL && msg->type == MSG_CLOSE)
      entry_end(rt, e);
    spsc_release(&rt->in);
  }
}

static void turn(struct recthread *rt, int64_t now) {
  for (unsigned i = 0; i < REC_MAX; i++) {
    struct rec_entry *e = &rt->e[i];
    if (e->id == 0) continue;
    if (e->note != 0 && note_push(rt, e, e->note) == 0 && e->r.f == NULL) /* the ring had no room before */
      e->id = 0;
    if (e->r.f == NULL) continue;
    recorder_tick(&e->r, now);
    if (e->r.err != 0) { /* disk full or a write error: stop this recording, not the call */
      e->err = e->r.err;
      entry_end(rt, e);
    }
  }
}

static void *rec_main(void *arg) {
  struct recthread *rt = arg;
  const struct ly_clock *clock = rt->m->cfg.clock;
  struct pollfd pfd = {.fd = rt->stop_efd, .events = POLLIN};
  /* When the cores are short, forwarding wins: the recording has 200 ms of
   * FIFO per voice and ~0.5 s of ring to catch up with, a packet has none. */
  if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), REC_NICE) != 0 && rt->m->cfg.log)
    LY_WARN(rt->m->cfg.log, "media.recording_nice", "cannot lower the recording thread's priority: %s",
            strerror(errno));
  while (!atomic_load_explicit(&rt->stop, memory_order_acquire)) {
    int64_t now = ly_mono_ms(clock);
    drain(rt, now);
    turn(rt, now);
    if (spsc_peek(&rt->in) == NULL) poll(&pfd, 1, REC_TICK_MS); /* behind: no sleep */
  }
  int64_t now = ly_mono_ms(clock);
  while (spsc_peek(&rt->in) != NULL) /* the last closes */
    drain(rt, now);
  for (unsigned i = 0; i < REC_MAX; i++) /* stopping: every file is finished and playable */
    if (rt->e[i].id != 0 && rt->e[i].r.f != NULL) recorder_close(&rt->e[i].r, NULL);
  return NULL;
}

/* ---- the worker's side ------------------------------------------------------------ */

static void free_rt(struct recthread *rt) {
  if (rt->stop_efd >= 0) close(rt->stop_efd);
  if (rt->note_efd >= 0) close(rt->note_efd);
  spsc_close(&rt->in);
  spsc_close(&rt->notes);
  free(rt->e);
  free(rt->pending);
  free(rt);
}

int recthread_start(struct worker *w) {
  if (w->rec != NULL) return 0;
  struct recthread *rt = calloc(1, sizeof *rt);
  if (rt == NULL) return LY_ENOMEM;
  rt->m = w->m;
  rt->stop_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  rt->note_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  rt->e = calloc(REC_MAX, sizeof *rt->e);
  rt->pending = calloc(REC_MAX, sizeof *rt->pending);
  atomic_init(&rt->stop, 0);
  int rc = rt->stop_efd < 0 || rt->note_efd < 0 || rt->e == NULL || rt->pending == NULL ? LY_ENOMEM : 0;
  if (rc == 0) rc = spsc_init(&rt->in, REC_RING, sizeof(struct rec_msg));
  if (rc == 0) rc = spsc_init(&rt->notes, REC_NOTES, sizeof(struct rec_note));
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = rt->note_efd};
  if (rc == 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, rt->note_efd, &ev) != 0) rc = LY_EIO;
  if (rc == 0 && pthread_create(&rt->thread, NULL, rec_main, rt) != 0) {
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, rt->note_efd, NULL);
    rc = LY_ENOMEM;
  }
  if (rc != 0) {
    free_rt(rt);
    return rc;
  }
  w->rec = rt;
  return 0;
}

void recthread_stop(struct worker *w) {
  struct recthread *rt = w->rec;
  if (rt == NULL) return;
  for (unsigned i = 0; i < rt->n_pending; i++) /* the ring has room now or never will */
    recthread_close(w, rt->pending[i]);
  atomic_store_explicit(&rt->stop, 1, memory_order_release);
  uint64_t one = 1;
  ssize_t wr = write(rt->stop_efd, &one, sizeof one);
  (void)wr;
  pthread_join(rt->thread, NULL);
  if (w->epfd >= 0) epoll_ctl(w->epfd, EPOLL_CTL_DEL, rt->note_efd, NULL);
  free_rt(rt);
  w->rec = NULL;
}

int recthread_fd(const struct worker *w) {
  return w->rec != NULL ? w->rec->note_efd : -1;
}

/* Claim a slot; `control` messages may take the reserve. */
static struct rec_msg *claim(struct recthread *rt, int control) {
  if (!control && spsc_free(&rt->in) <= REC_RESERVE) return NULL;
  return spsc_claim(&rt->in);
}

int recthread_open(struct worker *w, uint32_t id, const char *room, const char *path) {
  size_t rl = strlen(room), pl = strlen(path);
  if (rl >= MEDIA_ROOM_MAX || pl >= REC_PATH_MAX) return LY_ETOOBIG;
  int rc = recthread_start(w);
  if (rc != 0) return rc;
  unsigned open = 0;
  for (unsigned i = 0; i < w->hi; i++)
    open += w->rooms[i].rec != 0;
  struct rec_msg *msg = open < REC_MAX ? claim(w->rec, 1) : NULL;
  if (msg == NULL) return LY_EAGAIN;
  msg->type = MSG_OPEN;
  msg->id = id;
  memcpy(msg->data, room, rl + 1);
  memcpy(msg->data + rl + 1, path, pl + 1);
  spsc_publish(&w->rec->in);
  return 0;
}

void recthread_close(struct worker *w, uint32_t id) {
  struct recthread *rt = w->rec;
  if (rt == NULL) return;
  struct rec_msg *msg = claim(rt, 1);
  if (msg == NULL) {
    if (rt->n_pending < REC_MAX) rt->pending[rt->n_pending++] = id;
    return;
  }
  msg->type = MSG_CLOSE;
  msg->id = id;
  spsc_publish(&rt->in);
}

void recthread_flush(struct worker *w) {
  struct recthread *rt = w->rec;
  if (rt == NULL || rt->n_pending == 0) return;
  uint32_t ids[REC_MAX];
  unsigned n = rt->n_pending;
  memcpy(ids, rt->pending, n * sizeof ids[0]);
  rt->n_pending = 0;
  for (unsigned i = 0; i < n; i++)
    recthread_close(w, ids[i]);
}

void recthread_opus(struct worker *w, uint32_t id, uint64_t key, const uint8_t *payload, size_t len) {
  struct recthread *rt = w->rec;
  struct rec_msg *msg = rt != NULL && len <= MEDIA_MAX_PKT ? claim(rt, 0) : NULL;
  if (msg == NULL) {
    if (rt != NULL) rt->dropped++;
    return;
  }
  msg->type = MSG_OPUS;
  msg->id = id;
  msg->key = key;
  msg->len = (uint16_t)len;
  memcpy(msg->data, payload, len);
  spsc_publish(&rt->in);
}

static struct room *room_recording(struct worker *w, uint32_t id) {
  for (unsigned i = 0; i < w->hi; i++)
    if (w->rooms[i].rec == id) return &w->rooms[i];
  return NULL;
}

void recthread_notes(struct worker *w) {
  struct recthread *rt = w->rec;
  if (rt == NULL) return;
  uint64_t v;
  ssize_t rd = read(rt->note_efd, &v, sizeof v); /* drain first: a later note re-arms it */
  (void)rd;
  struct rec_note *n;
  while ((n = spsc_peek(&rt->notes)) != NULL) {
    struct room *r = n->type == NOTE_OPENED ? NULL : room_recording(w, n->id);
    if (r != NULL) r->rec = 0; /* forgotten before the event: a command after it sees the new state */
    if (n->type == NOTE_OPENED) {
      worker_emit_recording(w, n->room, n->path, 1, 0, 0);
    } else if (n->type == NOTE_FAILED) {
      worker_record_error(w, n->room, n->err, n->err == LY_EEXIST ? "media.recording_exists" : "media.recording_io",
                          "The recording file could not be created.");
    } else {
      if (n->err != 0)
        worker_emit_error(w, 0, n->err, "media.recording_io", "The recording could not be written completely.");
      worker_emit_recording(w, n->room, n->path, 0, n->duration_ms, n->err);
    }
    spsc_release(&rt->notes);
  }
  if (rt->dropped != 0 && w->m->cfg.log) {
    LY_WARN(w->m->cfg.log, "media.recording_dropped", "%llu packets not recorded (recording thread behind)",
            (unsigned long long)rt->dropped);
    rt->dropped = 0;
  }
}
