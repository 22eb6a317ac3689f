/* rx/pharmacy_internal.h — what the pharmacy-dispatch files of rx/ share
 * (pharmacy.c, dispatch.c, pharmacy_claim.c, dispense.c, delivery.c,
 * stock.c, receipt.c): claims and their secrets, visibility, completion,
 * and the pieces of views that several of them show.
 * Every function here runs inside the caller's transaction.
 */
#ifndef LY_RX_PHARMACY_INTERNAL_H
#define LY_RX_PHARMACY_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "core/crypto.h"
#include "core/ids.h"
#include "rx/pharmacy.h"
#include "rx/pharmacy_claim.h"
#include "rx/prescription_internal.h"
#include "rx/rx.h"

struct ph_claim {
  char id[LY_ID_MAX];
  char prescription_id[LY_ID_MAX];
  char pharmacy_id[LY_ID_MAX];
  char dispatch_id[LY_ID_MAX];
  char via[16];
  char state[16];
  int64_t claimed_at, closed_at;
  uint8_t secret_hash[LY_SHA256_LEN];
};

/* The records_actor of a pharmacy actor (role pharmacy_staff). */
struct records_actor ph_who(const struct pharmacy_actor *pa);

/* The active claim of a prescription: 0, or LY_ENOTFOUND when none. */
int ph_claim_active(struct rx_ctx *cx, const char *prescription_id, struct ph_claim *c);
/* The last claim of a prescription by a pharmacy in any state: 0 / LY_ENOTFOUND. */
int ph_claim_last(struct rx_ctx *cx, const char *prescription_id, const char *pharmacy_id,
                  struct ph_claim *c);
/* The claim's secret (base64url, CLAIM_SECRET_CHARS) and its SHA-256. */
int ph_secret(struct rx_ctx *cx, const char *claim_id, char out[CLAIM_SECRET_CHARS + 1],
              uint8_t hash[LY_SHA256_LEN]);
/* 1 when secret is the claim's (constant time on the hash). */
int ph_secret_ok(const struct ph_claim *c, const char *secret);
/* The active claim on prescription_id held by pa with this secret:
 * LY_ESTATE rx.not_claimed, LY_EFORBIDDEN rx.not_claimant (another
 * pharmacy's), LY_EFORBIDDEN rx.secret_invalid. */
int ph_claim_check(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                   const char *secret, struct ph_claim *c, struct ly_error *e);
/* Like ph_claim_check for a repeat after the claim closed: the pharmacy's
 * last claim (any state) with this secret. 0 / the same refusals. */
int ph_claim_check_any(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                       const char *secret, struct ph_claim *c, struct ly_error *e);

/* 1 when the presented code is the prescription's (constant time on its hash). */
struct qr_code;
int ph_code_ok(struct rx_ctx *cx, const struct qr_code *q);

/* Close the active claim (state "released" or "completed"); LY_ECONFLICT
 * when it was not active. */
int ph_claim_close(struct rx_ctx *cx, const char *claim_id, const char *state, int64_t now);

/* 1 when the pharmacy may see the prescription: an open dispatch to it, or
 * a claim of its own (any state). */
int ph_visible(struct rx_ctx *cx, const char *pharmacy_id, const char *prescription_id);
/* LY_ENOTFOUND rx.not_found, the answer to everything a pharmacy may not see. */
int ph_not_found(struct ly_error *e);

/* The prescription is the patient's own (who is its patient's account);
 * anything else, and any other role, is rx.not_found. */
int ph_patient_owns(struct rx_ctx *cx, const struct records_actor *who, const struct rx_rec *p,
                    struct ly_error *e);

/* Record a refused call in the audit chain (own transaction) when rc is a
 * refusal; returns rc. */
int ph_refused(struct rx_ctx *cx, const struct records_actor *who, const char *action, const char *patient_id,
               const char *prescription_id, const struct ly_error *e, int rc);

/* Packs and units handed out for the claim (dispenses not returned). */
int ph_dispensed_total(struct rx_ctx *cx, const char *claim_id, int64_t *units);
/* [{line, drug_id, generic_name, strength, prescribed_units, dispensed_units,
 *   complete}] of p under the claim (claim_id may be NULL: nothing yet). */
json_t *ph_lines_json(struct rx_ctx *cx, const struct rx_rec *p, const char *claim_id);

/* dispense.c: complete p under claim c (in_progress → completed, claim
 * completed, receipt issued). *receipt (may be NULL): receipt_json. */
int ph_complete(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p,
                const struct ph_claim *c, json_t **receipt, struct ly_error *e);
/* dispense.c: put back what the claim's dispenses took (failed delivery
 * released). */
int ph_dispenses_return(struct rx_ctx *cx, const char *claim_id, const char *actor_id);

/* receipt.c: issue and sign the receipt of p completed under claim c. */
int receipt_issue(struct rx_ctx *cx, const struct rx_rec *p, const struct ph_claim *c, int64_t now);
/* receipt.c: the receipt of a prescription as JSON (NULL when none). */
json_t *receipt_json_of(struct rx_ctx *cx, const char *prescription_id);

/* delivery.c: start a delivery for a claim made from a delivery dispatch. */
int ph_delivery_start(struct rx_ctx *cx, const struct ph_claim *c, const char *address, int64_t now);
/* delivery.c: the delivery of the claim as JSON (the code only when
 * with_code), or NULL when the claim has none. *state (may be NULL) gets its
 * state ("" none). */
json_t *ph_delivery_json(struct rx_ctx *cx, const char *claim_id, int with_code, char state[24]);

/* pharmacy.c: {id, name, name_en, address, phone, opens, closes} of a pharmacy (NULL when unknown). */
json_t *ph_pharmacy_json(struct rx_ctx *cx, const char *pharmacy_id);

#endif
