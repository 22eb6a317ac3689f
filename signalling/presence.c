/* signalling/presence.c — doctors' presence: online / busy / away.
 *
 * The console sets online or busy (presence.set). What patients see is that
 * choice while the doctor has a connected session, and away otherwise: the
 * doctor's last socket dropping turns them away at once, a resume within the
 * window brings their choice back, and when their last session ends the
 * choice itself goes back to away. Presence lives in memory only.
 */
#include <string.h>

#include "signalling/sig_internal.h"

static const char *const names[] = {[SIG_AWAY] = "away", [SIG_ONLINE] = "online", [SIG_BUSY] = "busy"};

const char *presence_name(int state) {
  return state >= 0 && state < (int)(sizeof(names) / sizeof(names[0])) ? names[state] : "away";
}

int presence_parse(const char *name, int *out) {
  for (int i = 0; name != NULL && i < (int)(sizeof(names) / sizeof(names[0])); i++) {
    if (strcmp(names[i], name) == 0) {
      *out = i;
      return 0;
    }
  }
  return LY_EINVAL;
}

int presence_effective(const struct sig_acct *a) {
  return a != NULL && a->live > 0 ? a->presence : SIG_AWAY;
}

const char *sig_presence(struct sig *s, const char *doctor_account_id) {
  return presence_name(presence_effective(strmap_get(&s->accounts, doctor_account_id)));
}

void presence_changed(struct sig *s, struct sig_acct *doctor) {
  int now = presence_effective(doctor);
  if (now == doctor->announced) return;
  doctor->announced = (uint8_t)now;
  json_t *d = json_pack("{s:s, s:s}", "doctor_id", doctor->a.id, "state", presence_name(now));
  if (d == NULL) return;
  for (struct sig_peer *p = doctor->peers; p != NULL; p = p->acct_next)
    peer_event(s, p, "presence.changed", d);
  for (uint32_t i = 0; doctor->queue != NULL && i < doctor->queue->n; i++)
    peer_event_account(s, doctor->queue->e[i].patient_account, "presence.changed", d);
  json_decref(d);
}
