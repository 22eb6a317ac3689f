/* referral/remote.h — remote consultations (远程会诊): a GP, with the patient
 * present (in the centre or at home), asks a hospital department — or one
 * specialist of it — to join a three-party video consultation.
 *
 *   requested ─accept─▶ accepted ─schedule─▶ scheduled ─opinion─▶ completed
 *       │ reject                └──────── cancel (GP) ─────────▶ cancelled
 *
 * accept / reject: a doctor of the department (only the named specialist when
 * one was asked for). schedule, opinion: the specialist who accepted.
 * cancel: the requesting GP. Scheduling makes the consultation the call
 * happens in: a consultations row of kind 'remote_consultation' (0003), its
 * doctor the specialist, with three participants — the patient ('patient'),
 * the GP ('doctor'), the specialist ('specialist') — and its first event.
 * The opinion is written into the record as the consultation's signed note
 * (records/note.h: the call must have taken place). An up-referral to the
 * department can then be made from it in one step (remote_refer_up).
 * Same conventions as referral.h (transactions, audit, refusal codes).
 */
#ifndef LY_REFERRAL_REMOTE_H
#define LY_REFERRAL_REMOTE_H

#include <jansson.h>
#include <stdint.h>

#include "referral/referral.h"

#define REMOTE_TEXT_MAX 4000

struct remote_new {
  const char *patient_id;
  const char *department_id;
  const char *specialist_id; /* NULL: any doctor of the department */
  const char *icd10;
  const char *question; /* required */
  const char *location; /* "centre" | "home" */
};

/* who: a doctor at a facility of a lower level than the department's
 * (referral.wrong_level). Object-level access to the patient is the caller's. */
int remote_request(const struct referral_ctx *cx, const struct referral_actor *who,
                   const struct remote_new *in, char id_out[LY_ID_MAX], struct ly_error *e);

enum remote_event { REMOTE_ACCEPT, REMOTE_REJECT, REMOTE_SCHEDULE, REMOTE_CANCEL, REMOTE_OPINION };

struct remote_act {
  enum remote_event ev;
  const char *reason;  /* reject (required), cancel */
  int64_t at;          /* schedule: when the call is, in the future */
  const char *opinion; /* opinion (required) */
  const char *advice;  /* opinion */
};

/* One step. Refusals: referral.not_found (404), referral.not_party /
 * referral.other_department / referral.wrong_party (403),
 * referral.illegal_transition (409), and those of records/note.h for the
 * opinion. */
int remote_step(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                const struct remote_act *act, struct ly_error *e);

/* The GP makes an up-referral to the department from a completed remote
 * consultation, its question and opinion as the reason and summary.
 * urgency: routine | urgent. A second call returns the same referral. */
int remote_refer_up(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                    const char *urgency, char referral_out[LY_ID_MAX], struct ly_error *e);

/* One request with names (patients: their own; doctors: the GP and the
 * department's doctors; supervisors: read), audited. */
int remote_get_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *id,
                    json_t **out, struct ly_error *e);
/* The caller's requests: GPs those they asked, hospital doctors those to their
 * department, patients their own; state NULL: any. Newest first, at most 200. */
int remote_list_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *state,
                     json_t **out, struct ly_error *e);

#endif
