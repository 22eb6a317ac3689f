/* media/transport.c — ICE-lite, DTLS and SRTP state of one transport.
 *
 * Security rules (DESIGN §9): a datagram from an address that has not passed
 * an ICE check is only looked at if it is a STUN binding request whose
 * USERNAME names a live transport and whose MESSAGE-INTEGRITY verifies with
 * that transport's password; only then is the address recorded as checked.
 * Everything we send goes to a checked address: STUN responses to the address
 * that just passed, everything else to the nominated one.
 */
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "media/media_internal.h"
#include "media/stun.h"

static void random_ice_string(char *out, size_t n) {
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t r[64];
  if (RAND_bytes(r, (int)n) != 1) memset(r, 0, sizeof r); /* not reachable with a seeded DRBG */
  for (size_t i = 0; i < n; i++)
    out[i] = chars[r[i] & 63];
  out[n] = '\0';
}

int transport_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
  }
  return 0;
}

static unsigned addr_hash(const struct sockaddr_storage *a) {
  uint32_t h = 2166136261u;
  const uint8_t *p;
  size_t n;
  if (a->ss_family == AF_INET) {
    p = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
    n = 4;
    h = (h ^ ((const struct sockaddr_in *)a)->sin_port) * 16777619u;
  } else {
    p = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
    n = 16;
    h = (h ^ ((const struct sockaddr_in6 *)a)->sin6_port) * 16777619u;
  }
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static int checked_index(const struct transport *t, const struct sockaddr_storage *a) {
  for (int i = 0; i < t->n_checked; i++)
    if (transport_addr_equal(&t->checked[i], a)) return i;
  return -1;
}

/* The transport that checked `from`: the address table first (a hint,
 * verified), else a scan — then the address takes a table slot that is free
 * or stale, or the first one if every slot of its probe run is in use. */
struct transport *transport_by_addr(struct worker *w, const struct sockaddr_storage *from) {
  unsigned h = addr_hash(from), victim = h & w->addr_mask;
  int have_victim = 0;
  for (unsigned k = 0; k < MEDIA_ADDR_PROBE; k++) {
    unsigned slot = (h + k) & w->addr_mask;
    int idx = w->addr_slot[slot];
    if (idx >= 0 && (unsigned)idx < w->hi && w->t[idx].state != TS_FREE && w->t[idx].state != TS_CLOSED) {
      if (checked_index(&w->t[idx], from) >= 0) return &w->t[idx];
    } else if (!have_victim) {
      victim = slot, have_victim = 1;
    }
  }
  for (unsigned i = 0; i < w->hi; i++) {
    struct transport *t = &w->t[i];
    if (t->state == TS_FREE || t->state == TS_CLOSED || t->n_checked == 0) continue;
    if (checked_index(t, from) >= 0) {
      w->addr_slot[victim] = (int)i;
      return t;
    }
  }
  return NULL;
}

int transport_open(struct worker *w, struct transport *t, const struct media_cmd *c) {
  int room = t->room;
  memset(t, 0, sizeof *t);
  t->room = room;
  t->w = w;
  t->id = c->id;
  t->kind = c->kind;
  t->state = TS_NEW;
  t->selected = -1;
  t->created_ms = worker_now(w);
  snprintf(t->label, sizeof t->label, "%s", c->label);
  random_ice_string(t->ufrag, 8);
  random_ice_string(t->pwd, 32);
  t->stats.audio_level = 127;
  struct media_event *ev = worker_event(w, MEDIA_EV_CREATED, t);
  if (ev == NULL) return LY_ENOMEM;
  atomic_fetch_add_explicit(&w->n_transports, 1, memory_order_relaxed);
  snprintf(ev->ice_ufrag, sizeof ev->ice_ufrag, "%s", t->ufrag);
  snprintf(ev->ice_pwd, sizeof ev->ice_pwd, "%s", t->pwd);
  snprintf(ev->fingerprint, sizeof ev->fingerprint, "%s", w->m->dtls.fingerprint);
  snprintf(ev->ip, sizeof ev->ip, "%s", w->m->cand_ip);
  ev->port = w->port;
  worker_emit(w, ev);
  return 0;
}

void transport_close(struct worker *w, struct transport *t, enum media_event_type why) {
  if (t->state == TS_FREE) return;
  (void)why;
  atomic_fetch_sub_explicit(&w->n_transports, 1, memory_order_relaxed);
  if (t->state == TS_CONNECTED) atomic_fetch_sub_explicit(&w->n_connected, 1, memory_order_relaxed);
  router_release(w, t);
  /* made before leaving the room so that it names it: media_next_event()
   * releases the room's placement on the service side from that name */
  struct media_event *ev = worker_event(w, MEDIA_EV_CLOSED, t);
  worker_room_leave(w, t);
  dtls_conn_close(&t->dtls); /* close_notify goes to the nominated address, if any */
  ly_srtp_close(&t->srtp);
  if (ev) worker_emit(w, ev);
  memset(t, 0, sizeof *t);
  t->state = TS_FREE;
  t->room = -1;
}

void transport_send(struct worker *w, struct transport *t, const uint8_t *buf, size_t len) {
  if (t->selected < 0 || len > MEDIA_BUF) return; /* never to an unchecked address */
  uint8_t *slot = worker_tx_slot(w);
  memcpy(slot, buf, len);
  worker_tx_commit(w, len, &t->checked[t->selected]);
  t->stats.packets_out++;
  t->stats.bytes_out += len;
}

static struct transport *by_ufrag(struct worker *w, const char *ufrag, size_t n) {
  for (unsigned i = 0; i < w->hi; i++) {
    struct transport *t = &w->t[i];
    if (t->state == TS_FREE || t->state == TS_CLOSED) continue;
    if (strlen(t->ufrag) == n && memcmp(t->ufrag, ufrag, n) == 0) return t;
  }
  return NULL;
}

/* Record from as checked; nominate it on USE-CANDIDATE or if nothing is yet. */
static void note_checked(struct worker *w, struct transport *t, const struct sockaddr_storage *from,
                         int nominate) {
  int i = checked_index(t, from);
  if (i < 0) {
    i = t->n_checked < MEDIA_CHECKED ? t->n_checked++ : (t->selected == 0 ? 1 : 0);
    t->checked[i] = *from;
    if (i == t->selected) t->selected = -1;
  }
  if (nominate || t->selected < 0) t->selected = (int8_t)i;
  if (i == t->selected) t->last_consent_ms = worker_now(w);
  if (t->state == TS_NEW) t->state = TS_CONNECTING;
}

void transport_on_stun(struct worker *w, const uint8_t *buf, size_t len,
                       const struct sockaddr_storage *from) {
  struct stun_msg m;
  const char *l, *r;
  size_t ll, rl;
  if (stun_parse(buf, len, &m) != 0 || m.type != STUN_BINDING_REQUEST) return;
  if (stun_username_split(&m, &l, &ll, &r, &rl) != 0) return;
  struct transport *t = by_ufrag(w, l, ll);
  if (t == NULL) return;
  if (t->remote_ufrag[0] && (strlen(t->remote_ufrag) != rl || memcmp(t->remote_ufrag, r, rl) != 0)) return;
  if (m.has_fingerprint && stun_check_fingerprint(&m) != 0) return;
  if (stun_check_integrity(&m, (const uint8_t *)t->pwd, strlen(t->pwd)) != 0) return;
  if (m.unknown_required > 0) return; /* a 420 would be polite; browsers never send them */
  note_checked(w, t, from, m.use_candidate);
  uint8_t *slot = worker_tx_slot(w);
  size_t n;
  if (stun_write_binding_response(&m, (const struct sockaddr *)from, (const uint8_t *)t->pwd, strlen(t->pwd),
                                  slot, MEDIA_BUF, &n) == 0)
    worker_tx_commit(w, n, from);
}

static void dtls_send_cb(void *ud, const uint8_t *buf, size_t len) {
  struct transport *t = ud;
  transport_send(t->w, t, buf, len);
}

static void fail(struct worker *w, struct transport *t, const char *code, const char *msg) {
  atomic_fetch_add_explicit(&w->dtls_failures, 1, memory_order_relaxed);
  struct media_event *ev = worker_event(w, MEDIA_EV_FAILED, t);
  if (ev) {
    ev->err = LY_ECRYPTO;
    snprintf(ev->code, sizeof ev->code, "%s", code);
    snprintf(ev->message, sizeof ev->message, "%s", msg);
    worker_emit(w, ev);
  }
  transport_close(w, t, MEDIA_EV_FAILED);
}

static void on_dtls_state(struct worker *w, struct transport *t, int st) {
  if (st == DTLS_CONNECTED && !t->srtp_ready) {
    const struct dtls_srtp_keys *k = &t->dtls.keys;
    if (ly_srtp_init(&t->srtp, k->profile, k->local, k->remote) != 0) {
      fail(w, t, "media.srtp_failed", "SRTP session setup failed.");
      return;
    }
    t->srtp_ready = 1;
    t->state = TS_CONNECTED;
    atomic_fetch_add_explicit(&w->n_connected, 1, memory_order_relaxed);
    t->stats.connected = 1;
    struct media_event *ev = worker_event(w, MEDIA_EV_CONNECTED, t);
    if (ev) worker_emit(w, ev);
  } else if (st == DTLS_FAILED) {
    if (t->dtls.fp_mismatch)
      fail(w, t, "media.dtls_fingerprint_mismatch",
           "The DTLS certificate does not match the SDP fingerprint.");
    else
      fail(w, t, "media.dtls_failed", "The DTLS handshake failed.");
  } else if (st == DTLS_CLOSED) {
    transport_close(w, t, MEDIA_EV_CLOSED);
  }
}

void transport_on_dtls(struct worker *w, struct transport *t, const uint8_t *buf, size_t len) {
  if (!t->has_remote) return; /* no fingerprint yet: the browser will retransmit */
  if (t->dtls.ssl == NULL &&
      dtls_conn_init(&t->dtls, &w->m->dtls, DTLS_ROLE_SERVER, t->remote_fp, dtls_send_cb, t) != 0)
    return;
  on_dtls_state(w, t, dtls_conn_input(&t->dtls, buf, len));
}

void transport_tick(struct worker *w, struct transport *t, int64_t now) {
  if (t->dtls.ssl != NULL && t->dtls.state == DTLS_HANDSHAKING) {
    int64_t ms = dtls_conn_timeout_ms(&t->dtls);
    if (ms == 0) {
      on_dtls_state(w, t, dtls_conn_on_timeout(&t->dtls));
      if (t->state == TS_FREE) return;
    }
  }
  if ((t->state == TS_CONNECTING || t->state == TS_CONNECTED) &&
      now - t->last_consent_ms > (int64_t)w->m->cfg.consent_timeout_ms) {
    struct media_event *ev = worker_event(w, MEDIA_EV_CONSENT_TIMEOUT, t);
    if (ev) worker_emit(w, ev);
    transport_close(w, t, MEDIA_EV_CONSENT_TIMEOUT);
  }
}
