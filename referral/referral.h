/* referral/referral.h — up- and down-referrals between community centres and
 * hospitals (分级诊疗, DESIGN §7): creation, the state machine, reads.
 *
 * referral/ knows nothing of HTTP. Functions take a struct referral_ctx, the
 * acting account and plain structs, return 0 or a negative LY_E* code, and
 * on refusal fill a struct ly_error with a stable code ("referral.wrong_level")
 * and sentences in English and Chinese. Every change happens in one
 * transaction with its referral_events row and its audit entry; a refused
 * change is audited as denied in a transaction of its own. Reads are audited
 * ("referral.read").
 *
 * States (FHIR Task-like):
 *
 *   requested ─accept─▶ accepted ─schedule─▶ scheduled ─arrive─▶ arrived ─complete─▶ completed
 *       │ reject            │ (down: complete)     │ no_show
 *       ▼                   │                      ▼
 *    rejected        cancel (requested, accepted, scheduled) ─▶ cancelled
 *
 * Who may do what is one table (referral_fsm.c): the referrer (the doctor who
 * wrote it), the receiver (up: any doctor of the receiving department; down:
 * the receiving GP) and the patient (cancel only). Up-referrals go from a
 * facility to one of a higher level; down-referrals from a hospital to a GP
 * at a community centre, with a care plan that becomes the patient's plan
 * (records/careplan.h) when the GP accepts. An up-referral opens a referral
 * episode (the insurance engine charges one deductible per episode).
 */
#ifndef LY_REFERRAL_H
#define LY_REFERRAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "records/careplan.h"

struct ly_db;
struct ly_clock;
struct ly_keys;
struct ly_error;

/* What the caller lends: the database, the clock, the keys (down-referral
 * acceptance writes a care plan; a remote opinion signs a note). */
struct referral_ctx {
  struct ly_db *db;
  const struct ly_clock *clock;
  const struct ly_keys *keys;
};

/* Who is acting: account id, role name ("doctor", "patient", "supervisor",
 * "admin", "system") and, for patients, their patients.id. A doctor's
 * facility and department are read from the database, never trusted. */
struct referral_actor {
  const char *id;
  const char *role;
  const char *patient_id;
};

enum referral_direction { REFERRAL_UP = 1, REFERRAL_DOWN = 2 };

enum referral_state {
  REFERRAL_REQUESTED,
  REFERRAL_ACCEPTED,
  REFERRAL_REJECTED,
  REFERRAL_SCHEDULED,
  REFERRAL_ARRIVED,
  REFERRAL_COMPLETED,
  REFERRAL_CANCELLED,
  REFERRAL_NO_SHOW,
  REFERRAL_NSTATES
};

enum referral_event {
  REFERRAL_ACCEPT,
  REFERRAL_REJECT,
  REFERRAL_SCHEDULE,
  REFERRAL_ARRIVE,
  REFERRAL_COMPLETE,
  REFERRAL_CANCEL,
  REFERRAL_MARK_NO_SHOW,
  REFERRAL_NEVENTS
};

#define REFERRAL_REASON_MAX  1000
#define REFERRAL_SUMMARY_MAX 4000
#define REFERRAL_MAX_ATTACH  20
#define REFERRAL_LIST_MAX    200

/* A piece of the patient's record sent along: kind is diagnosis (an offline
 * diagnosis), note, lab_order, document or care_plan; it must be the same
 * patient's. */
struct referral_attachment {
  const char *kind;
  const char *id;
};

struct referral_up_new {
  const char *patient_id;
  const char *to_department_id; /* a department of a facility of a higher level */
  const char *urgency;          /* "routine" | "urgent" */
  const char *icd10;
  const char *reason;  /* required, <= REFERRAL_REASON_MAX */
  const char *summary; /* optional, <= REFERRAL_SUMMARY_MAX */
  const struct referral_attachment *attachments;
  size_t nattachments; /* <= REFERRAL_MAX_ATTACH */
};

struct referral_down_new {
  const char *patient_id;
  const char *to_doctor_id; /* NULL: the family doctor, else a GP of the patient's subdistrict */
  const char *icd10;        /* a chronic condition */
  const char *reason;
  const char *summary;
  int follow_up_days; /* 1-366 */
  const char *plan_note;
  const struct careplan_target *targets;
  size_t ntargets; /* <= CAREPLAN_MAX_TARGETS */
};

/* who: a doctor. Up: at a facility of a lower level than the department's
 * (else LY_EDENIED referral.wrong_level). Down: at a hospital, to a GP at a
 * community centre (else referral.wrong_level), for a chronic condition
 * (referral.not_chronic). LY_ENOTFOUND for an unknown patient, department
 * or doctor. Object-level access to the patient is the caller's. */
int referral_create_up(const struct referral_ctx *cx, const struct referral_actor *who,
                       const struct referral_up_new *in, char id_out[LY_ID_MAX], struct ly_error *e);
int referral_create_down(const struct referral_ctx *cx, const struct referral_actor *who,
                         const struct referral_down_new *in, char id_out[LY_ID_MAX], struct ly_error *e);

/* One transition. reason: required for reject, optional for cancel and
 * no-show. slot_id: schedule (up) into that slot of the department, or NULL
 * for the earliest free reserved slot (LY_ECONFLICT referral.no_reserved_slot
 * when there is none; referral.slot_taken when the named one is taken).
 * outcome: the visit summary, required for complete. Refusals:
 * LY_ENOTFOUND referral.not_found; LY_EFORBIDDEN referral.not_party /
 * referral.other_department / referral.wrong_party; LY_ESTATE
 * referral.illegal_transition. */
struct referral_act {
  enum referral_event ev;
  const char *reason;
  const char *slot_id;
  const char *outcome;
};
int referral_transition(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                        const struct referral_act *act, struct ly_error *e);

/* The referral as JSON (with names, the slot, attachments, plan targets and
 * every transition as "events"), after an access check (patients: their
 * own, referral.not_yours; doctors: the referrer and the receiver,
 * referral.not_party; supervisors: read) and an audited read. */
int referral_get_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                      json_t **out, struct ly_error *e);

/* List filters. box: "incoming" (to the doctor's department, or to them),
 * "outgoing" (written by them), NULL: both (doctors). Patients see their own;
 * supervisors all, optionally by facility. state/direction NULL: any. */
struct referral_filter {
  const char *box;
  const char *state;
  const char *direction;
  const char *facility_id;
  int limit; /* 1..REFERRAL_LIST_MAX, 0 → 50 */
};
int referral_list_json(const struct referral_ctx *cx, const struct referral_actor *who,
                       const struct referral_filter *f, json_t **out, struct ly_error *e);

/* What a doctor's referral screens need: {"facility": {"id","name","name_en","level",
 * "subdistrict_id"}, "department": {"id","name","name_en"} | null, "targets": [the
 * departments of higher-level facilities: {"id","name","name_en","specialty",
 * "facility_id","facility_name","facility_name_en","level"}]}. Doctors only. */
int referral_desk_json(const struct referral_ctx *cx, const struct referral_actor *who, json_t **out,
                       struct ly_error *e);

/* The patient a referral is about (for the caller's checks); LY_ENOTFOUND. */
int referral_patient(const struct referral_ctx *cx, const char *id, char patient_out[LY_ID_MAX]);

/* Names of states and events ("no_show", "mark_no_show"); NULL when out of range. */
const char *referral_state_name(enum referral_state s);
const char *referral_event_name(enum referral_event ev);
/* Parse a name; LY_EINVAL when unknown. */
int referral_state_parse(const char *name, enum referral_state *out);
int referral_event_parse(const char *name, enum referral_event *out);

/* The parties of the state machine (bits). */
enum referral_party { REFERRAL_REFERRER = 1, REFERRAL_RECEIVER = 2, REFERRAL_PATIENT = 4 };

/* The table: 0 and *to when ev may move a referral of direction dir from
 * `from` for someone who is `parties`; LY_ESTATE when no rule leaves `from`
 * with ev in that direction; LY_EFORBIDDEN when one does but not for these
 * parties (*needed = the parties it is for). Pure. */
int referral_fsm_next(enum referral_direction dir, enum referral_state from, enum referral_event ev,
                      unsigned parties, enum referral_state *to, unsigned *needed);

#endif
