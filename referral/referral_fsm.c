/* referral/referral_fsm.c — the referral state machine as one table, and the
 * names of states and events. Pure: no database, no clock.
 */
#include <string.h>

#include "core/err.h"
#include "referral/referral.h"

#define UP   (1u << REFERRAL_UP)
#define DOWN (1u << REFERRAL_DOWN)
#define REF  REFERRAL_REFERRER
#define RCV  REFERRAL_RECEIVER
#define PAT  REFERRAL_PATIENT

struct referral_rule {
  enum referral_event ev;
  enum referral_state from, to;
  unsigned parties;    /* REFERRAL_* bits that may fire it */
  unsigned directions; /* UP | DOWN */
};

/* Every legal transition. Anything not listed is refused. */
static const struct referral_rule rules[] = {
    {REFERRAL_ACCEPT, REFERRAL_REQUESTED, REFERRAL_ACCEPTED, RCV, UP | DOWN},
    {REFERRAL_REJECT, REFERRAL_REQUESTED, REFERRAL_REJECTED, RCV, UP | DOWN},
    {REFERRAL_SCHEDULE, REFERRAL_ACCEPTED, REFERRAL_SCHEDULED, RCV, UP},
    {REFERRAL_ARRIVE, REFERRAL_SCHEDULED, REFERRAL_ARRIVED, RCV, UP},
    {REFERRAL_MARK_NO_SHOW, REFERRAL_SCHEDULED, REFERRAL_NO_SHOW, RCV, UP},
    {REFERRAL_COMPLETE, REFERRAL_ARRIVED, REFERRAL_COMPLETED, RCV, UP},
    /* down: the GP took the patient on; completing records the first follow-up */
    {REFERRAL_COMPLETE, REFERRAL_ACCEPTED, REFERRAL_COMPLETED, RCV, DOWN},
    {REFERRAL_CANCEL, REFERRAL_REQUESTED, REFERRAL_CANCELLED, REF | PAT, UP | DOWN},
    {REFERRAL_CANCEL, REFERRAL_ACCEPTED, REFERRAL_CANCELLED, REF | PAT, UP},
    {REFERRAL_CANCEL, REFERRAL_SCHEDULED, REFERRAL_CANCELLED, REF | PAT, UP},
};

int referral_fsm_next(enum referral_direction dir, enum referral_state from, enum referral_event ev,
                      unsigned parties, enum referral_state *to, unsigned *needed) {
  unsigned want = 0;
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
    const struct referral_rule *r = &rules[i];
    if (r->ev != ev || r->from != from || !(r->directions & (1u << dir))) continue;
    if (r->parties & parties) {
      if (to) *to = r->to;
      return 0;
    }
    want |= r->parties;
  }
  if (needed) *needed = want;
  return want ? LY_EFORBIDDEN : LY_ESTATE;
}

static const char *const state_names[REFERRAL_NSTATES] = {
    [REFERRAL_REQUESTED] = "requested", [REFERRAL_ACCEPTED] = "accepted", [REFERRAL_REJECTED] = "rejected",
    [REFERRAL_SCHEDULED] = "scheduled", [REFERRAL_ARRIVED] = "arrived",   [REFERRAL_COMPLETED] = "completed",
    [REFERRAL_CANCELLED] = "cancelled", [REFERRAL_NO_SHOW] = "no_show",
};

static const char *const event_names[REFERRAL_NEVENTS] = {
    [REFERRAL_ACCEPT] = "accept",        [REFERRAL_REJECT] = "reject",     [REFERRAL_SCHEDULE] = "schedule",
    [REFERRAL_ARRIVE] = "arrive",        [REFERRAL_COMPLETE] = "complete", [REFERRAL_CANCEL] = "cancel",
    [REFERRAL_MARK_NO_SHOW] = "no_show",
};

const char *referral_state_name(enum referral_state s) {
  return (unsigned)s < REFERRAL_NSTATES ? state_names[s] : NULL;
}

const char *referral_event_name(enum referral_event ev) {
  return (unsigned)ev < REFERRAL_NEVENTS ? event_names[ev] : NULL;
}

int referral_state_parse(const char *name, enum referral_state *out) {
  for (int i = 0; name && i < REFERRAL_NSTATES; i++)
    if (strcmp(name, state_names[i]) == 0) {
      *out = (enum referral_state)i;
      return 0;
    }
  return LY_EINVAL;
}

int referral_event_parse(const char *name, enum referral_event *out) {
  for (int i = 0; name && i < REFERRAL_NEVENTS; i++)
    if (strcmp(name, event_names[i]) == 0) {
      *out = (enum referral_event)i;
      return 0;
    }
  return LY_EINVAL;
}
