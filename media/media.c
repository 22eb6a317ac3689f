/* media/media.c — the service-thread side of the media relay. See media.h.
 *
 * Owns the worker set, the event queue and the room → worker placement. A
 * transport id carries its worker in its low 8 bits, so routing a command
 * needs no shared table.
 */
#include "media/media.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "media/media_internal.h"

static void set_defaults(struct media *m, const struct media_config *cfg) {
  m->cfg = *cfg;
  if (m->cfg.workers == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->cfg.workers = n > 0 ? (unsigned)n : 1;
  }
  if (m->cfg.max_video_kbps == 0) m->cfg.max_video_kbps = 1200;
  if (m->cfg.max_transports == 0) m->cfg.max_transports = 4096;
  if (m->cfg.queue_len == 0) m->cfg.queue_len = 4096;
  if (m->cfg.consent_timeout_ms == 0) m->cfg.consent_timeout_ms = 30000;
  if (m->cfg.silence_ms == 0) m->cfg.silence_ms = 10000;
  if (m->cfg.weak_loss_pct == 0) m->cfg.weak_loss_pct = 10;
  if (m->cfg.good_loss_pct == 0) m->cfg.good_loss_pct = 2;
  if (m->cfg.weak_after_ms == 0) m->cfg.weak_after_ms = 5000;
  if (m->cfg.good_after_ms == 0) m->cfg.good_after_ms = 10000;
  if (m->cfg.clock == NULL) m->cfg.clock = ly_clock_system();
  snprintf(m->listen_ip, sizeof m->listen_ip, "%s", cfg->listen_ip ? cfg->listen_ip : "127.0.0.1");
  const char *cand = cfg->candidate_ip;
  if (cand == NULL) {
    int wildcard = strcmp(m->listen_ip, "0.0.0.0") == 0 || strcmp(m->listen_ip, "::") == 0;
    cand = wildcard ? "127.0.0.1" : m->listen_ip;
  }
  snprintf(m->cand_ip, sizeof m->cand_ip, "%s", cand);
}

int media_start(const struct media_config *cfg, struct media **out) {
  if (cfg == NULL || out == NULL || cfg->workers > 256) return LY_EINVAL;
  struct media *m = calloc(1, sizeof *m);
  if (m == NULL) return LY_ENOMEM;
  set_defaults(m, cfg);
  int rc = ly_srtp_global_init();
  if (rc == 0) rc = dtls_ctx_init(&m->dtls);
  if (rc == 0) rc = queue_init(&m->events, m->cfg.queue_len);
  m->cap_rooms = m->cfg.workers * m->cfg.max_transports;
  m->rooms = calloc(m->cap_rooms, sizeof *m->rooms);
  m->workers = calloc(m->cfg.workers, sizeof *m->workers);
  if (rc == 0 && (m->rooms == NULL || m->workers == NULL)) rc = LY_ENOMEM;
  for (unsigned i = 0; rc == 0 && i < m->cfg.workers; i++) {
    rc = worker_start(m, &m->workers[i], i);
    if (rc == 0) m->n_workers++;
  }
  if (rc != 0) {
    media_stop(m);
    return rc;
  }
  *out = m;
  return 0;
}

void media_stop(struct media *m) {
  if (m == NULL) return;
  for (unsigned i = 0; i < m->n_workers; i++)
    worker_stop(&m->workers[i]);
  if (m->events.slot != NULL) {
    struct media_event *ev;
    while ((ev = queue_pop(&m->events)) != NULL)
      media_event_free(ev);
    queue_close(&m->events);
  }
  dtls_ctx_close(&m->dtls);
  free(m->workers);
  free(m->rooms);
  free(m);
}

int media_event_fd(const struct media *m) {
  return m->events.efd;
}
unsigned media_worker_count(const struct media *m) {
  return m->n_workers;
}
uint16_t media_worker_port(const struct media *m, unsigned i) {
  return i < m->n_workers ? m->workers[i].port : 0;
}
const char *media_fingerprint(const struct media *m) {
  return m->dtls.fingerprint;
}

void media_metrics(const struct media *m, struct media_metrics *out) {
  memset(out, 0, sizeof *out);
  for (unsigned i = 0; i < m->n_workers; i++) {
    struct worker *w = &m->workers[i];
    out->forwarded_packets += atomic_load_explicit(&w->forwarded, memory_order_relaxed);
    out->dtls_failures += atomic_load_explicit(&w->dtls_failures, memory_order_relaxed);
    out->transports += atomic_load_explicit(&w->n_transports, memory_order_relaxed);
    out->connected += atomic_load_explicit(&w->n_connected, memory_order_relaxed);
    out->rooms += atomic_load_explicit(&w->n_rooms, memory_order_relaxed);
  }
}

/* ---- room placement (service thread only) ------------------------------ */

static struct room_map *room_find(struct media *m, const char *name) {
  for (unsigned i = 0; i < m->n_rooms; i++)
    if (strcmp(m->rooms[i].name, name) == 0) return &m->rooms[i];
  return NULL;
}

/* The worker for a room: where it already is, else the least loaded one. */
static int room_place(struct media *m, const char *name, unsigned *worker) {
  struct room_map *r = room_find(m, name);
  if (r == NULL) {
    if (m->n_rooms == m->cap_rooms) return LY_EAGAIN;
    unsigned load[256] = {0}, best = 0;
    for (unsigned i = 0; i < m->n_rooms; i++)
      load[m->rooms[i].worker] += m->rooms[i].transports;
    for (unsigned i = 1; i < m->n_workers; i++)
      if (load[i] < load[best]) best = i;
    r = &m->rooms[m->n_rooms++];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->worker = best;
    r->transports = 0;
  }
  r->transports++;
  *worker = r->worker;
  return 0;
}

static void room_release(struct media *m, const char *name) {
  struct room_map *r = room_find(m, name);
  if (r == NULL) return;
  if (--r->transports == 0) *r = m->rooms[--m->n_rooms];
}

/* ---- commands ------------------------------------------------------------ */

static int send_cmd(struct media *m, unsigned worker, struct media_cmd *c) {
  int rc = queue_push(&m->workers[worker].cmds, c);
  if (rc != 0) {
    free(c->sdp);
    free(c);
  }
  return rc;
}

static struct media_cmd *new_cmd(enum cmd_type type, uint64_t id) {
  struct media_cmd *c = calloc(1, sizeof *c);
  if (c) {
    c->type = type;
    c->id = id;
  }
  return c;
}

static int worker_of(const struct media *m, uint64_t id, unsigned *w) {
  *w = (unsigned)(id & 0xFF);
  return (id >> 8) != 0 && *w < m->n_workers ? 0 : LY_ENOTFOUND;
}

/* Labels go into SDP (msid, cname) and RTCP: letters, digits, '.', '_', '-' only. */
static int label_ok(const char *s) {
  if (*s == '\0' || strlen(s) >= MEDIA_LABEL_MAX) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
          *s == '_' || *s == '-'))
      return 0;
  return 1;
}

int media_create_transport(struct media *m, const char *room, const char *label,
                           enum media_transport_kind kind, uint64_t *out_id) {
  if (!room || !label || !*room || strlen(room) >= MEDIA_ROOM_MAX || !label_ok(label) ||
      (kind != MEDIA_SEND && kind != MEDIA_RECV))
    return LY_EINVAL;
  unsigned w;
  int rc = room_place(m, room, &w);
  if (rc != 0) return rc;
  uint64_t id = (++m->next_id << 8) | w;
  struct media_cmd *c = new_cmd(CMD_CREATE, id);
  if (c == NULL) {
    room_release(m, room);
    return LY_ENOMEM;
  }
  c->kind = (uint8_t)kind;
  snprintf(c->room, sizeof c->room, "%s", room);
  snprintf(c->label, sizeof c->label, "%s", label);
  rc = send_cmd(m, w, c);
  if (rc != 0) {
    room_release(m, room);
    return rc;
  }
  *out_id = id;
  return 0;
}

int media_apply_remote(struct media *m, uint64_t id, enum media_sdp_type type, const char *sdp, size_t len) {
  unsigned w;
  if (worker_of(m, id, &w) != 0) return LY_ENOTFOUND;
  if (sdp == NULL || (type != MEDIA_SDP_OFFER && type != MEDIA_SDP_ANSWER)) return LY_EINVAL;
  if (len > SDP_MAX_SIZE) return LY_ETOOBIG;
  struct media_cmd *c = new_cmd(CMD_APPLY, id);
  char *copy = malloc(len + 1);
  if (c == NULL || copy == NULL) {
    free(c);
    free(copy);
    return LY_ENOMEM;
  }
  memcpy(copy, sdp, len);
  copy[len] = '\0';
  c->sdp = copy;
  c->sdp_len = len;
  c->sdp_type = (uint8_t)type;
  return send_cmd(m, w, c);
}

static int simple_cmd(struct media *m, enum cmd_type type, uint64_t id) {
  unsigned w;
  if (worker_of(m, id, &w) != 0) return LY_ENOTFOUND;
  struct media_cmd *c = new_cmd(type, id);
  return c ? send_cmd(m, w, c) : LY_ENOMEM;
}

int media_subscribe(struct media *m, uint64_t id) {
  return simple_cmd(m, CMD_SUBSCRIBE, id);
}
int media_close_transport(struct media *m, uint64_t id) {
  return simple_cmd(m, CMD_CLOSE, id);
}

int media_close_room(struct media *m, const char *room) {
  struct room_map *r = room ? room_find(m, room) : NULL;
  if (r == NULL) return LY_ENOTFOUND;
  struct media_cmd *c = new_cmd(CMD_CLOSE_ROOM, 0);
  if (c == NULL) return LY_ENOMEM;
  snprintf(c->room, sizeof c->room, "%s", room);
  return send_cmd(m, r->worker, c);
}

static int record_cmd(struct media *m, enum cmd_type type, const char *room, const char *path) {
  struct room_map *r = room ? room_find(m, room) : NULL;
  if (r == NULL) return LY_ENOTFOUND;
  if (type == CMD_RECORD && (path == NULL || *path == '\0' || strlen(path) > 255)) return LY_EINVAL;
  struct media_cmd *c = new_cmd(type, 0);
  if (c == NULL || (path && (c->sdp = strdup(path)) == NULL)) {
    free(c);
    return LY_ENOMEM;
  }
  snprintf(c->room, sizeof c->room, "%s", room);
  return send_cmd(m, r->worker, c);
}

int media_record_start(struct media *m, const char *room, const char *path) {
  return record_cmd(m, CMD_RECORD, room, path);
}

int media_record_stop(struct media *m, const char *room) {
  return record_cmd(m, CMD_UNRECORD, room, NULL);
}

int media_request_stats(struct media *m, uint64_t id) {
  if (id != 0) return simple_cmd(m, CMD_STATS, id);
  for (unsigned i = 0; i < m->n_workers; i++) {
    struct media_cmd *c = new_cmd(CMD_STATS, 0);
    int rc = c ? send_cmd(m, i, c) : LY_ENOMEM;
    if (rc != 0) return rc;
  }
  return 0;
}

/* ---- events ---------------------------------------------------------------- */

struct media_event *media_next_event(struct media *m) {
  queue_drain_fd(&m->events);
  struct media_event *ev = queue_pop(&m->events);
  if (ev == NULL) return NULL;
  /* a closed transport, or a create that failed (its error names the room),
   * no longer counts towards its room's placement */
  if ((ev->type == MEDIA_EV_CLOSED || ev->type == MEDIA_EV_ERROR) && ev->room[0]) room_release(m, ev->room);
  if (m->events.count > 0) { /* more pending: keep the fd readable */
    uint64_t one = 1;
    ssize_t r = write(m->events.efd, &one, sizeof one);
    (void)r;
  }
  return ev;
}

void media_event_free(struct media_event *ev) {
  if (ev == NULL) return;
  free(ev->sdp);
  free(ev);
}
