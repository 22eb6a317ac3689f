/* signalling/lifecycle.c — the consultation state machine (see lifecycle.h). */
#include "signalling/lifecycle.h"

#include <string.h>

#include "core/err.h"

#define S(x) (1u << (x))

static const char *const state_names[LC_STATE_COUNT] = {
    [LC_BOOKED] = "booked",       [LC_WAITING] = "waiting", [LC_CALLED] = "called",
    [LC_IN_CALL] = "in_call",     [LC_ENDED] = "ended",     [LC_NOTES_SIGNED] = "notes_signed",
    [LC_CANCELLED] = "cancelled", [LC_NO_SHOW] = "no_show",
};

/* One row per event; DESIGN §8 and issue 3 ("Call lifecycle"). A leave puts
 * the patient back to booked: they keep the booking but lose their place. */
static const struct lc_rule rules[LC_EVENT_COUNT] = {
    [LC_CHECK_IN] = {LC_CHECK_IN, "check_in", S(LC_BOOKED), LC_WAITING, LC_BY_PATIENT, LC_STAMP_CHECKED_IN},
    [LC_LEAVE] = {LC_LEAVE, "leave", S(LC_WAITING), LC_BOOKED, LC_BY_PATIENT | LC_BY_SYSTEM, LC_STAMP_NONE},
    [LC_CALL] = {LC_CALL, "call", S(LC_WAITING), LC_CALLED, LC_BY_DOCTOR, LC_STAMP_CALLED},
    [LC_START] = {LC_START, "start", S(LC_CALLED), LC_IN_CALL, LC_BY_SYSTEM, LC_STAMP_STARTED},
    [LC_END] = {LC_END, "end", S(LC_IN_CALL), LC_ENDED, LC_BY_DOCTOR | LC_BY_SYSTEM, LC_STAMP_ENDED},
    [LC_MARK_NO_SHOW] = {LC_MARK_NO_SHOW, "no_show", S(LC_CALLED), LC_NO_SHOW, LC_BY_DOCTOR | LC_BY_SYSTEM,
                         LC_STAMP_ENDED},
    [LC_CANCEL] = {LC_CANCEL, "cancel", S(LC_BOOKED) | S(LC_WAITING) | S(LC_CALLED), LC_CANCELLED,
                   LC_BY_PATIENT | LC_BY_DOCTOR | LC_BY_SYSTEM, LC_STAMP_ENDED},
    [LC_SIGN_NOTES] = {LC_SIGN_NOTES, "sign_notes", S(LC_ENDED), LC_NOTES_SIGNED, LC_BY_DOCTOR | LC_BY_SYSTEM,
                       LC_STAMP_NONE},
    [LC_RESET] = {LC_RESET, "reset", S(LC_WAITING) | S(LC_CALLED), LC_BOOKED, LC_BY_SYSTEM, LC_STAMP_NONE},
};

const struct lc_rule *lifecycle_rule(enum lc_event ev) {
  if ((unsigned)ev >= LC_EVENT_COUNT) return NULL;
  return &rules[ev];
}

int lifecycle_step(enum lc_state from, enum lc_event ev, enum lc_actor actor, enum lc_state *to) {
  if ((unsigned)from >= LC_STATE_COUNT || (unsigned)ev >= LC_EVENT_COUNT) return LY_EINVAL;
  const struct lc_rule *r = &rules[ev];
  if (!(r->from & S(from))) return LY_ESTATE;
  if (!(r->actors & (unsigned)actor)) return LY_EFORBIDDEN;
  *to = r->to;
  return 0;
}

const char *lifecycle_state_name(enum lc_state st) {
  return (unsigned)st < LC_STATE_COUNT ? state_names[st] : "unknown";
}

int lifecycle_state_parse(const char *name, enum lc_state *out) {
  for (int i = 0; name != NULL && i < LC_STATE_COUNT; i++) {
    if (strcmp(state_names[i], name) == 0) {
      *out = (enum lc_state)i;
      return 0;
    }
  }
  return LY_EINVAL;
}

const char *lifecycle_event_name(enum lc_event ev) {
  return (unsigned)ev < LC_EVENT_COUNT ? rules[ev].name : "unknown";
}

int lifecycle_is_final(enum lc_state st) {
  return st == LC_ENDED || st == LC_NOTES_SIGNED || st == LC_CANCELLED || st == LC_NO_SHOW;
}

int lifecycle_is_open(enum lc_state st) {
  return (unsigned)st < LC_STATE_COUNT && !lifecycle_is_final(st);
}
