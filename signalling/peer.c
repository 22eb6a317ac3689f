/* signalling/peer.c — participant sessions, resume tokens and replay.
 *
 * `auth` makes a session (struct sig_peer) and hands its resume token to the
 * client: base64url of slot (4 bytes) ‖ generation (4) ‖ secret (16). The
 * slot finds the session in O(1); the generation makes a token of an earlier
 * occupant of the slot worthless; the secret is compared in constant time.
 *
 * Every event a session receives gets the next number (seq, from 1) and is
 * kept in its ring of SIG_RING_CAP events, whether or not a socket is
 * attached. A resuming client says the last seq it saw and gets everything
 * after it that is still in the ring, in order; if some fell out, the auth
 * reply says missed:true and the client reloads its state.
 *
 * A session whose socket dropped is kept for the resume window; then it
 * ends: it leaves its rooms (room.left, reason "timeout") and the queue.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/log.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

#define SLOTS_FIRST 64

static void put_u32(uint8_t *b, uint32_t v) {
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

struct sig_acct *peer_acct_get(struct sig *s, const struct sig_account *a) {
  struct sig_acct *x = strmap_get(&s->accounts, a->id);
  if (x != NULL) {
    if (x->a.role[0] == '\0' || x->npeers == 0) {
      struct sig_qcache *q = x->queue;
      uint8_t presence = x->presence;
      x->a = *a; /* same id: the map's borrowed key is unchanged */
      x->queue = q;
      x->presence = presence;
    }
  } else {
    if ((x = calloc(1, sizeof(*x))) == NULL) return NULL;
    x->a = *a;
    if (strmap_put(&s->accounts, x->a.id, x) != 0) {
      free(x);
      return NULL;
    }
  }
  x->is_doctor = strcmp(x->a.role, "doctor") == 0;
  x->is_patient = strcmp(x->a.role, "patient") == 0;
  return x;
}

/* Free an account record nobody needs any more. */
static void acct_release(struct sig *s, struct sig_acct *a) {
  if (a->npeers > 0 || (a->queue != NULL && a->queue->n > 0)) return;
  strmap_del(&s->accounts, a->a.id);
  free(a->queue);
  free(a);
}

static int slot_take(struct sig *s, uint32_t *out) {
  if (s->nfree > 0) {
    *out = s->free_slots[--s->nfree];
    return 0;
  }
  if (s->nslots == s->cap_slots) {
    uint32_t cap = s->cap_slots ? s->cap_slots * 2 : SLOTS_FIRST;
    struct sig_peer **sl = realloc(s->slots, cap * sizeof(*sl));
    if (sl == NULL) return LY_ENOMEM;
    s->slots = sl;
    uint32_t *fr = realloc(s->free_slots, cap * sizeof(*fr));
    if (fr == NULL) return LY_ENOMEM;
    s->free_slots = fr;
    s->cap_slots = cap;
  }
  s->slots[s->nslots] = NULL;
  *out = s->nslots++;
  return 0;
}

void peer_token(const struct sig_peer *p, char tok[SIG_TOKEN_LEN + 1]) {
  uint8_t raw[8 + SIG_SECRET_BYTES];
  put_u32(raw, p->slot);
  put_u32(raw + 4, p->gen);
  memcpy(raw + 8, p->secret, SIG_SECRET_BYTES);
  if (ly_b64url_encode(raw, sizeof(raw), tok, SIG_TOKEN_LEN + 1) < 0) tok[0] = '\0';
}

int peer_new(struct sig *s, struct sig_acct *acct, struct sig_conn *c, struct sig_peer **out,
             char tok[SIG_TOKEN_LEN + 1]) {
  uint32_t slot;
  struct sig_peer *p = calloc(1, sizeof(*p));
  if (p == NULL) return LY_ENOMEM;
  int rc = ly_random_bytes(p->secret, sizeof(p->secret));
  if (rc == 0) rc = slot_take(s, &slot);
  if (rc != 0) {
    free(p);
    return rc;
  }
  p->slot = slot;
  p->gen = ++s->gen;
  p->next_seq = 1;
  p->acct = acct;
  p->acct_next = acct->peers;
  acct->peers = p;
  acct->npeers++;
  s->slots[slot] = p;
  s->stats.peers++;
  peer_token(p, tok);
  int missed;
  peer_attach(s, p, c, 0, &missed);
  *out = p;
  return 0;
}

int peer_find(struct sig *s, const char *token, struct sig_peer **out) {
  uint8_t raw[8 + SIG_SECRET_BYTES + 4];
  size_t n = 0;
  if (token == NULL || strlen(token) != SIG_TOKEN_LEN) return LY_ENOTFOUND;
  if (ly_b64url_decode(token, SIG_TOKEN_LEN, raw, sizeof(raw), &n) != 0 || n != 8 + SIG_SECRET_BYTES)
    return LY_ENOTFOUND;
  uint32_t slot = get_u32(raw), gen = get_u32(raw + 4);
  if (slot >= s->nslots || s->slots[slot] == NULL) return LY_ENOTFOUND;
  struct sig_peer *p = s->slots[slot];
  if (p->gen != gen || !ly_memeq(p->secret, raw + 8, SIG_SECRET_BYTES)) return LY_ENOTFOUND;
  *out = p;
  return 0;
}

static void connection_event(struct sig *s, struct sig_peer *p, int connected) {
  for (int i = 0; i < SIG_PEER_ROOMS; i++) {
    struct sig_room *r = p->rooms[i];
    if (r == NULL) continue;
    json_t *d = json_pack("{s:s, s:s, s:b}", "consultation_id", r->id, "account_id", p->acct->a.id,
                          "connected", connected);
    room_event(s, r, "room.connection", d, p);
    json_decref(d);
  }
}

void peer_attach(struct sig *s, struct sig_peer *p, struct sig_conn *c, uint32_t last_seq, int *missed) {
  uint32_t lo = p->ring ? p->ring->lo : p->next_seq;
  uint32_t want = last_seq + 1;

  *missed = want < lo;
  if (p->conn != NULL && p->conn != c) {
    p->conn->peer = NULL; /* the old socket has not noticed yet: it is done */
    conn_close_after(p->conn, 4409, "session resumed on another connection");
  } else if (p->conn == NULL) {
    if (p->detached_at != 0) s->stats.detached--;
    p->acct->live++;
    if (p->acct->is_doctor && p->acct->live == 1) presence_changed(s, p->acct);
    if (p->detached_at != 0) connection_event(s, p, 1);
  }
  p->conn = c;
  p->detached_at = 0;
  c->peer = p;
  c->send_seq = want < lo ? lo : (want > p->next_seq ? p->next_seq : want);
  conn_kick(c);
}

void peer_detach(struct sig *s, struct sig_peer *p) {
  p->conn = NULL;
  p->detached_at = ly_mono_ms(s->host.clock);
  if (p->detached_at == 0) p->detached_at = 1;
  s->stats.detached++;
  p->acct->live--;
  if (p->acct->is_doctor && p->acct->live == 0) presence_changed(s, p->acct);
  connection_event(s, p, 0);
}

static void ring_free(struct sig_ring *r, uint32_t hi) {
  if (r == NULL) return;
  for (uint32_t q = r->lo; q < hi; q++)
    free(r->slot[q % SIG_RING_CAP]);
  free(r);
}

/* Another session of the same account still checked in to cid? */
static int other_waiting(const struct sig_peer *p, const char *cid) {
  for (const struct sig_peer *o = p->acct->peers; o != NULL; o = o->acct_next)
    if (o != p && strcmp(o->waiting, cid) == 0) return 1;
  return 0;
}

static void leave_queue(struct sig *s, struct sig_peer *p, const char *why) {
  struct consult_actor sys = {.id = "system", .role = "system"};
  struct ly_error e;
  char cid[LY_ID_MAX];

  if (p->waiting[0] == '\0' || other_waiting(p, p->waiting)) return;
  snprintf(cid, sizeof(cid), "%s", p->waiting);
  p->waiting[0] = '\0';
  ly_error_clear(&e);
  if (consult_transition(s->host.db, s->host.clock, &sys, cid, LC_LEAVE, why, NULL, &e) == 0)
    notify_state(s, cid, "waiting", "booked", why);
}

static void unlink_peer(struct sig *s, struct sig_peer *p) {
  struct sig_acct *a = p->acct;
  for (struct sig_peer **pp = &a->peers; *pp != NULL; pp = &(*pp)->acct_next) {
    if (*pp == p) {
      *pp = p->acct_next;
      break;
    }
  }
  a->npeers--;
  s->slots[p->slot] = NULL;
  s->free_slots[s->nfree++] = p->slot;
  s->stats.peers--;
  if (p->conn == NULL && p->detached_at != 0) s->stats.detached--;
}

void peer_end(struct sig *s, struct sig_peer *p, const char *why) {
  struct sig_acct *a = p->acct;

  for (int i = 0; i < SIG_PEER_ROOMS; i++)
    if (p->rooms[i] != NULL) room_leave(s, p->rooms[i], p, why);
  leave_queue(s, p, why);
  if (p->conn != NULL) {
    a->live--;
    p->conn->peer = NULL;
    p->conn = NULL;
  }
  unlink_peer(s, p);
  if (a->is_doctor && a->npeers == 0) {
    a->presence = SIG_AWAY;
    presence_changed(s, a);
  } else if (a->is_doctor && a->live == 0) {
    presence_changed(s, a);
  }
  ring_free(p->ring, p->next_seq);
  free(p);
  acct_release(s, a);
}

void peer_event(struct sig *s, struct sig_peer *p, const char *type, json_t *data) {
  if (p->ring == NULL) {
    if ((p->ring = calloc(1, sizeof(*p->ring))) == NULL) return;
    p->ring->lo = p->next_seq;
  }
  struct sig_msg *m = wire_event(type, p->next_seq, data);
  if (m == NULL) {
    LY_WARN(s->host.log, "sig.event_dropped", "could not serialise a %s event", type);
    return;
  }
  struct sig_ring *r = p->ring;
  if (p->next_seq - r->lo == SIG_RING_CAP) {
    free(r->slot[r->lo % SIG_RING_CAP]);
    r->slot[r->lo % SIG_RING_CAP] = NULL;
    r->lo++;
  }
  r->slot[p->next_seq % SIG_RING_CAP] = m;
  p->next_seq++;
  if (p->conn != NULL) conn_kick(p->conn);
}

void peer_event_account(struct sig *s, const char *account_id, const char *type, json_t *data) {
  struct sig_acct *a = strmap_get(&s->accounts, account_id);
  if (a == NULL) return;
  for (struct sig_peer *p = a->peers; p != NULL; p = p->acct_next)
    peer_event(s, p, type, data);
}

void peer_sweep(struct sig *s, int64_t now_mono) {
  for (uint32_t i = 0; i < s->nslots; i++) {
    struct sig_peer *p = s->slots[i];
    if (p != NULL && p->conn == NULL && p->detached_at != 0 &&
        now_mono - p->detached_at >= s->host.resume_window_ms)
      peer_end(s, p, "timeout");
  }
}

void peer_free_all(struct sig *s) {
  for (uint32_t i = 0; i < s->nslots; i++) {
    struct sig_peer *p = s->slots[i];
    if (p == NULL) continue;
    if (p->conn != NULL) p->conn->peer = NULL;
    ring_free(p->ring, p->next_seq);
    free(p);
    s->slots[i] = NULL;
  }
  free(s->slots);
  free(s->free_slots);
  s->slots = NULL;
  s->free_slots = NULL;
  s->nslots = s->cap_slots = s->nfree = 0;
}
