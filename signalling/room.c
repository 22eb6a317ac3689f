/* signalling/room.c — consultation rooms: who is in, events to everyone in.
 *
 * A room is keyed by its consultation id and exists while it has members
 * (participant sessions). Its state mirrors the consultation's (notify.c
 * keeps it) so the sweep can time out a call nobody came to (called →
 * no_show after SIG_CALLED_TIMEOUT_MS) or one that never ended (in_call →
 * ended after SIG_CALL_MAX_MS). When the last patient and doctor have left
 * an in_call room, the consultation ends ("all_left"); when the consultation
 * is over (ended, cancelled, no_show) the room closes and everyone is out.
 * Leaving the room, or its closing, closes the media transports of those
 * who are out (media_glue.c).
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

#define SWEEP_BATCH 64

struct sig_room *room_get(struct sig *s, const char *cid) {
  return strmap_get(&s->rooms, cid);
}

int room_has(const struct sig_room *r, const struct sig_peer *p) {
  for (int i = 0; i < r->n; i++)
    if (r->members[i] == p) return 1;
  return 0;
}

int room_has_account(const struct sig_room *r, const char *account_id) {
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->members[i]->acct->a.id, account_id) == 0) return 1;
  return 0;
}

static int free_room_slot(const struct sig_peer *p) {
  for (int i = 0; i < SIG_PEER_ROOMS; i++)
    if (p->rooms[i] == NULL) return i;
  return -1;
}

int room_join(struct sig *s, const char *cid, const char *doctor_id, const char *patient_account,
              enum lc_state st, struct sig_peer *p, struct sig_room **out) {
  struct sig_room *r = room_get(s, cid);

  if (r != NULL && room_has(r, p)) {
    *out = r;
    return 0;
  }
  int slot = free_room_slot(p);
  if (slot < 0 || (r != NULL && r->n >= SIG_ROOM_MEMBERS)) return LY_ETOOBIG;
  if (r == NULL) {
    if ((r = calloc(1, sizeof(*r))) == NULL) return LY_ENOMEM;
    snprintf(r->id, sizeof(r->id), "%s", cid);
    snprintf(r->doctor_id, sizeof(r->doctor_id), "%s", doctor_id);
    snprintf(r->patient_account, sizeof(r->patient_account), "%s", patient_account);
    r->state = st;
    r->since_mono = ly_mono_ms(s->host.clock);
    if (strmap_put(&s->rooms, r->id, r) != 0) {
      free(r);
      return LY_ENOMEM;
    }
    s->stats.rooms++;
  }
  r->members[r->n++] = p;
  p->rooms[slot] = r;
  *out = r;
  return 0;
}

static void end_all_left(struct sig *s, const char *cid) {
  struct consult_actor sys = {.id = "system", .role = "system"};
  struct ly_error e;
  ly_error_clear(&e);
  if (consult_transition(s->host.db, s->host.clock, &sys, cid, LC_END, "all_left", NULL, &e) == 0)
    notify_state(s, cid, "in_call", "ended", "all_left");
}

void room_leave(struct sig *s, struct sig_room *r, struct sig_peer *p, const char *why) {
  char cid[LY_ID_MAX];
  int i;

  for (i = 0; i < r->n && r->members[i] != p; i++) {
  }
  if (i == r->n) return;
  r->members[i] = r->members[--r->n];
  for (i = 0; i < SIG_PEER_ROOMS; i++)
    if (p->rooms[i] == r) p->rooms[i] = NULL;
  snprintf(cid, sizeof(cid), "%s", r->id);
  media_glue_leave(s, cid, p);
  if (!room_has_account(r, p->acct->a.id)) {
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "consultation_id", r->id, "account_id", p->acct->a.id,
                          "role", p->acct->a.role, "reason", why);
    room_event(s, r, "room.left", d, NULL);
    json_decref(d);
  }
  int all_left = r->state == LC_IN_CALL && !room_has_account(r, r->doctor_id) &&
                 !room_has_account(r, r->patient_account);
  if (r->n == 0) {
    strmap_del(&s->rooms, r->id);
    free(r);
    s->stats.rooms--;
  }
  if (all_left) end_all_left(s, cid);
}

void room_close(struct sig *s, struct sig_room *r) {
  if (r->closing) return;
  media_glue_room_closed(s, r->id); /* the relay's room empties: its recording ends (MEDIA_EV_RECORDING 0) */
  if (r->rec == REC_STARTING || r->rec == REC_ON) {
    r->closing = 1;
    r->since_mono = ly_mono_ms(s->host.clock);
    return;
  }
  room_close_now(s, r);
}

void room_close_now(struct sig *s, struct sig_room *r) {
  for (int i = 0; i < r->n; i++) {
    struct sig_peer *p = r->members[i];
    for (int j = 0; j < SIG_PEER_ROOMS; j++)
      if (p->rooms[j] == r) p->rooms[j] = NULL;
  }
  strmap_del(&s->rooms, r->id);
  free(r);
  s->stats.rooms--;
}

void room_event(struct sig *s, struct sig_room *r, const char *type, json_t *data,
                const struct sig_peer *except) {
  for (int i = 0; i < r->n; i++)
    if (r->members[i] != except) peer_event(s, r->members[i], type, data);
}

json_t *room_participants(const struct sig_room *r) {
  json_t *arr = json_array();
  for (int i = 0; i < r->n; i++) {
    const struct sig_acct *a = r->members[i]->acct;
    int seen = 0, connected = 0;
    for (int j = 0; j < i; j++)
      seen |= r->members[j]->acct == a;
    if (seen) continue;
    for (int j = i; j < r->n; j++)
      connected |= r->members[j]->acct == a && r->members[j]->conn != NULL;
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:s, s:s, s:b}", "account_id", a->a.id, "role", a->a.role, "name",
                       a->a.name, "name_en", a->a.name_en, "connected", connected));
  }
  return arr;
}

struct due {
  char cid[SWEEP_BATCH][LY_ID_MAX];
  enum lc_event ev[SWEEP_BATCH];
  uint8_t close[SWEEP_BATCH]; /* a closing room that waited long enough */
  int n;
  int64_t now;
};

static void find_due(void *value, void *ud) {
  struct sig_room *r = value;
  struct due *d = ud;
  int64_t age = d->now - r->since_mono;
  if (d->n >= SWEEP_BATCH) return;
  if (r->closing) {
    if (age < SIG_ROOM_CLOSE_WAIT_MS) return;
    d->close[d->n] = 1; /* its recording's final state never came: close it anyway */
  } else if (r->state == LC_CALLED && age >= SIG_CALLED_TIMEOUT_MS)
    d->ev[d->n] = LC_MARK_NO_SHOW;
  else if (r->state == LC_IN_CALL && age >= SIG_CALL_MAX_MS)
    d->ev[d->n] = LC_END;
  else
    return;
  snprintf(d->cid[d->n], LY_ID_MAX, "%s", r->id);
  d->n++;
}

void room_sweep(struct sig *s, int64_t now_mono) {
  struct consult_actor sys = {.id = "system", .role = "system"};
  struct due *d = calloc(1, sizeof(*d));
  struct ly_error e;

  if (d == NULL) return;
  d->now = now_mono;
  strmap_each(&s->rooms, find_due, d);
  for (int i = 0; i < d->n; i++) {
    struct sig_room *r = d->close[i] ? room_get(s, d->cid[i]) : NULL;
    if (d->close[i]) {
      if (r != NULL) room_close_now(s, r);
      continue;
    }
    const char *from = d->ev[i] == LC_MARK_NO_SHOW ? "called" : "in_call";
    const char *to = d->ev[i] == LC_MARK_NO_SHOW ? "no_show" : "ended";
    ly_error_clear(&e);
    if (consult_transition(s->host.db, s->host.clock, &sys, d->cid[i], d->ev[i], "timeout", NULL, &e) == 0)
      notify_state(s, d->cid[i], from, to, "timeout");
  }
  free(d);
}
