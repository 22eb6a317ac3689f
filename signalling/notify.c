/* signalling/notify.c — telling people that a consultation changed.
 *
 * After every committed transition (from a socket, from REST, or from the
 * sweep): consultation.state goes to every session of the patient's and the
 * doctor's accounts and to anyone else in the room; the room takes the new
 * state (or closes, once the consultation is over); sessions stop counting
 * as checked in once the consultation is no
 * longer waiting; and the doctor's queue is refreshed when the change moved
 * someone into or out of it (or the doctor started or ended a call, which
 * moves everyone's estimate).
 */
#include <string.h>

#include "core/clock.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

static void clear_waiting(struct sig *s, const char *account_id, const char *cid) {
  struct sig_acct *a = strmap_get(&s->accounts, account_id);
  for (struct sig_peer *p = a ? a->peers : NULL; p != NULL; p = p->acct_next)
    if (strcmp(p->waiting, cid) == 0) p->waiting[0] = '\0';
}

/* Room members whose account is neither the patient's nor the doctor's. */
static void tell_others_in_room(struct sig *s, struct sig_room *r, const struct consult_row *c, json_t *d) {
  for (int i = 0; i < r->n; i++) {
    const char *id = r->members[i]->acct->a.id;
    if (strcmp(id, c->doctor_id) != 0 && strcmp(id, c->patient_account) != 0)
      peer_event(s, r->members[i], "consultation.state", d);
  }
}

static int touches_queue(const char *from, const char *to) {
  return (from != NULL && strcmp(from, "waiting") == 0) || strcmp(to, "waiting") == 0 ||
         strcmp(to, "in_call") == 0 || (from != NULL && strcmp(from, "in_call") == 0);
}

void notify_state(struct sig *s, const char *cid, const char *from, const char *to, const char *reason) {
  struct consult_row c;
  enum lc_state st;

  if (consult_load(s->host.db, cid, &c) != 0 || lifecycle_state_parse(to, &st) != 0) return;
  json_t *d = json_pack("{s:s, s:s?, s:s, s:s?, s:o}", "consultation_id", cid, "from", from, "state", to,
                        "reason", reason, "consultation", consult_json(&c));
  if (d == NULL) return;
  if (c.patient_account[0]) peer_event_account(s, c.patient_account, "consultation.state", d);
  peer_event_account(s, c.doctor_id, "consultation.state", d);
  struct sig_room *r = room_get(s, cid);
  if (r != NULL) {
    tell_others_in_room(s, r, &c, d);
    if (r->state != st) r->since_mono = ly_mono_ms(s->host.clock);
    r->state = st;
    if (lifecycle_is_final(st)) room_close(s, r);
  }
  json_decref(d);
  if (st != LC_WAITING && c.patient_account[0]) clear_waiting(s, c.patient_account, cid);
  if (touches_queue(from, to)) queue_refresh(s, c.doctor_id);
}

void sig_consultation_changed(struct sig *s, const char *consultation_id, const char *from, const char *to) {
  if (s != NULL) notify_state(s, consultation_id, from, to, NULL);
}
