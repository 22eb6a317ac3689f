/* signalling/lifecycle.h — the consultation state machine as one table.
 *
 *   booked ──check_in──▶ waiting ──call──▶ called ──start──▶ in_call ──end──▶ ended ──sign_notes──▶
 * notes_signed ▲  └──────────────────┘ leave          │ no_show                                    (records
 * issue) │                                      ▼ └── cancel from booked / waiting / called ──▶ cancelled
 * no_show
 *
 * Pure: no database, no sockets. consult.c applies a step inside a
 * transaction with its consultation_events row and audit entry.
 */
#ifndef LY_SIG_LIFECYCLE_H
#define LY_SIG_LIFECYCLE_H

enum lc_state {
  LC_BOOKED,
  LC_WAITING,
  LC_CALLED,
  LC_IN_CALL,
  LC_ENDED,
  LC_NOTES_SIGNED,
  LC_CANCELLED,
  LC_NO_SHOW,
  LC_STATE_COUNT
};

enum lc_event {
  LC_CHECK_IN,     /* patient connected and checked in */
  LC_LEAVE,        /* patient left the queue (or their session expired) */
  LC_CALL,         /* doctor calls the patient in */
  LC_START,        /* both sides joined the room */
  LC_END,          /* doctor ends; everyone left; or the call timed out */
  LC_MARK_NO_SHOW, /* called patient did not come */
  LC_CANCEL,       /* patient or doctor cancels before the call starts */
  LC_SIGN_NOTES,   /* the consultation record is written and signed */
  LC_RESET,        /* system only: a restart found it waiting/called → booked */
  LC_EVENT_COUNT
};

/* Who acts. */
enum lc_actor { LC_BY_PATIENT = 1, LC_BY_DOCTOR = 2, LC_BY_SYSTEM = 4 };

/* Which timestamp column an event stamps. */
enum lc_stamp { LC_STAMP_NONE, LC_STAMP_CHECKED_IN, LC_STAMP_CALLED, LC_STAMP_STARTED, LC_STAMP_ENDED };

struct lc_rule {
  enum lc_event event;
  const char *name; /* "check_in" (also the audit action "consult.check_in") */
  unsigned from;    /* bit mask of enum lc_state */
  enum lc_state to;
  unsigned actors; /* mask of enum lc_actor */
  enum lc_stamp stamp;
};

/* The rule of an event (never NULL for a valid event). */
const struct lc_rule *lifecycle_rule(enum lc_event ev);
/* Apply ev in state from by actor: 0 and *to; LY_ESTATE when ev is not
 * allowed from this state; LY_EFORBIDDEN when this actor may not do it;
 * LY_EINVAL for an unknown state or event. */
int lifecycle_step(enum lc_state from, enum lc_event ev, enum lc_actor actor, enum lc_state *to);

/* Names as stored in consultations.state. */
const char *lifecycle_state_name(enum lc_state st);
/* 0 and *out, or LY_EINVAL for an unknown name. */
int lifecycle_state_parse(const char *name, enum lc_state *out);
const char *lifecycle_event_name(enum lc_event ev);
/* 1 for states that are over (ended, notes_signed, cancelled, no_show). */
int lifecycle_is_final(enum lc_state st);
/* 1 for states in which the consultation is still open (booked … in_call). */
int lifecycle_is_open(enum lc_state st);

#endif
