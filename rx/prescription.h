/* rx/prescription.h — e-prescriptions and their state machine (DESIGN §4).
 *
 *   draft ──sign──▶ pending_review ──approve──▶ ready ──claim──▶ in_progress ──complete──▶ completed
 *     │                  │ reject                 │ expire          │ release (back to ready)
 *     └─cancel           └──▶ returned ──sign──▶ pending_review
 *
 * The transitions are one table in rx/prescription.c (action, from, to, who
 * may). Illegal ones are LY_ESTATE with code rx.illegal_transition. Pharmacy
 * dispatch (claim, release, complete) is a later issue: its rows are in the
 * table and it moves prescriptions through rx/prescription_internal.h.
 *
 * Validity (DESIGN §3.5): a prescription is valid until the end of the local
 * calendar day it is signed on, plus validity_days - 1 more days; the expiry
 * job moves anything not yet claimed past that to expired.
 */
#ifndef LY_RX_PRESCRIPTION_H
#define LY_RX_PRESCRIPTION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/ids.h"
#include "rx/rx.h"

struct ly_error;

struct prescription_item_in {
  const char *drug_id;
  int64_t quantity;    /* packs */
  int64_t days;        /* days of supply */
  int64_t daily_milli; /* units per day x 1000 */
  const char *dose;    /* 用法用量 */
};

struct prescription_in {
  const char *patient_id;
  const char *consultation_id; /* required for create: the doctor's own consultation with the patient */
  const char *icd10;
  const char *kind; /* normal | acute | chronic | long_term */
  const char *chronic_reason;
  const char *assessment;    /* long-term: stability assessment */
  int patient_consent;       /* long-term */
  int validity_days;         /* 1..3; 0 means 1 */
  const char *guardian_name; /* children under 6 (else taken from the consultation) */
  const char *note;
  const struct prescription_item_in *items;
  size_t nitems;
};

/* A doctor writes a draft. Faults of the input itself (rules of stage
 * INPUT: unknown drug, quantity <= 0 or absurd, dose text, validity, …) are
 * refused and nothing is saved (LY_EDENIED, the first in e, all in viol if
 * given). Other rule violations do not stop a draft: they come back in viol
 * (may be NULL) so the editor can show them; signing refuses them. */
int prescription_create(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_in *in,
                        char id_out[LY_ID_MAX], struct rules_result *viol, struct ly_error *e);

/* Replace a draft's or returned prescription's content (its prescriber only).
 * The revision goes up; a returned prescription stays returned until signed. */
int prescription_update(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const struct prescription_in *in, struct rules_result *viol, struct ly_error *e);

/* POST /check: every violation of a would-be prescription by who, nothing
 * saved. 0 with viol filled (empty when it passes); other codes for input
 * that cannot be judged (unknown patient, …). */
int prescription_check(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_in *in,
                       struct rules_result *viol, struct ly_error *e);

/* Sign (draft/returned → pending_review): every DRAFT rule must pass (else
 * LY_EDENIED with all violations in viol); the canonical document is signed
 * with the prescriber's Ed25519 key; the 32-byte access code is made on the
 * first signing. idem_key (may be NULL): a repeat with the same key returns
 * the first result. *result (may be NULL): {id, state, revision, signed_at,
 * valid_until}. */
int prescription_sign(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                      const char *idem_key, json_t **result, struct rules_result *viol, struct ly_error *e);

/* A pharmacist approves (pending_review → ready): REVIEW rules (≥ 3 years,
 * not the prescriber, of the prescribing facility or the review centre),
 * the stored signature must still verify, and the validity not be over. */
int prescription_approve(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                         const char *idem_key, json_t **result, struct rules_result *viol,
                         struct ly_error *e);

/* A pharmacist rejects with a reason (pending_review → returned); the doctor is told. */
int prescription_reject(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const char *reason, struct rules_result *viol, struct ly_error *e);

/* The prescriber cancels (draft, pending_review, returned, ready), with a reason. */
int prescription_cancel(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const char *reason, struct ly_error *e);

/* The job: every prescription past its validity and not yet claimed becomes
 * expired; the patient is told. *expired counts them. */
int prescription_expire_due(struct rx_ctx *cx, int *expired);

/* Views. include_code: add "access_code" and "qr" (id + code), for the
 * patient's own page only. */
int prescription_get(struct rx_ctx *cx, const struct records_actor *who, const char *id, int include_code,
                     json_t **out, struct ly_error *e);
/* filter: patient_id and/or doctor_id and/or state (NULL: any); newest first, at most limit (<= 200). */
struct prescription_filter {
  const char *patient_id;
  const char *doctor_id;
  const char *state;
  int limit;
};
int prescription_list(struct rx_ctx *cx, const struct records_actor *who, const struct prescription_filter *f,
                      json_t **out, struct ly_error *e);
/* The pharmacist's queue: pending_review of their facility (or all, for the
 * district review centre), oldest first, each with the rules' verdicts. */
int prescription_review_queue(struct rx_ctx *cx, const struct records_actor *who, json_t **out,
                              struct ly_error *e);
/* The signed envelope (records/signature.h) of a signed prescription. */
int prescription_signed(struct rx_ctx *cx, const struct records_actor *who, const char *id, json_t **out,
                        struct ly_error *e);

/* Violations as JSON [{code, field, message, message_zh, source}] (new reference). */
json_t *prescription_violations_json(const struct rules_result *r);

/* Who a prescription concerns, for the caller's authorisation check. */
struct prescription_parties {
  char patient_id[LY_ID_MAX];
  char doctor_id[LY_ID_MAX];
  char facility_id[LY_ID_MAX];
  char state[24];
};
int prescription_parties(struct rx_ctx *cx, const char *id, struct prescription_parties *out);

/* `lianyi rx verify FILE [PUBKEY]`: verify a signed prescription offline.
 * want_pub may be NULL (then only the key named in the file is used, and the
 * caller should say so). 0 when valid; LY_EPARSE / LY_ECRYPTO otherwise. */
int prescription_verify_file(const char *buf, size_t n, const uint8_t *want_pub, char id_out[LY_ID_MAX],
                             struct ly_error *e);
/* The CLI wrapper: reads FILE (and an optional base64url public key),
 * prints "OK <id> signed by <doctor>" or the reason; returns the exit
 * status (0 valid, 1 invalid, 2 unreadable). */
int prescription_verify_main(const char *path, const char *pub_b64url, FILE *out, FILE *err);

#endif
