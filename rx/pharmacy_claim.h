/* rx/pharmacy_claim.h — a pharmacy takes a prescription (DESIGN §4 "Claim").
 *
 * Claiming moves a ready prescription to in_progress and hands the pharmacy
 * a secret; only that secret (with an account of the same pharmacy) can
 * release, dispense, complete or move its delivery. The secret is
 * HMAC(a key derived from keys.mac, claim id): the database stores only its
 * SHA-256, so the same pharmacy claiming again is handed the same secret and
 * a copy of the database alone cannot act for a pharmacy.
 *
 * Two ways in: from the queue (the prescription must be dispatched to this
 * pharmacy) or walk-in, from the patient's code (any pharmacy). Exactly one
 * pharmacy can hold a claim: the claim is one transaction guarded by the
 * prescription's state (and a unique index), and a second pharmacy gets
 * LY_ECONFLICT rx.already_claimed. Secrets never appear in logs or audit.
 */
#ifndef LY_RX_PHARMACY_CLAIM_H
#define LY_RX_PHARMACY_CLAIM_H

#include <jansson.h>
#include <stddef.h>

#include "core/ids.h"
#include "rx/pharmacy.h"
#include "rx/rx.h"

struct ly_error;

#define CLAIM_SECRET_CHARS 43 /* base64url of 32 bytes */

struct pharmacy_claim_out {
  char claim_id[LY_ID_MAX];
  char secret[CLAIM_SECRET_CHARS + 1]; /* wipe after sending (OPENSSL_cleanse) */
  int repeat;                          /* this pharmacy already held the claim */
  char superseded[LY_ID_MAX];          /* walk-in: the pharmacy whose open dispatch this took ("" none) */
  char patient_account[LY_ID_MAX];     /* to tell the patient */
  json_t *view;                        /* {prescription_id, claim_id, secret, state, via, mode, claimed_at,
                                          delivery} (new reference; holds the secret) */
};

/* Claim from the queue. LY_ENOTFOUND when not dispatched to this pharmacy,
 * LY_ESTATE rx.dispatch_lapsed when its dispatch lapsed, LY_ECONFLICT
 * rx.already_claimed when another pharmacy holds it, LY_ESTATE
 * rx.illegal_transition / rx.validity_over when it is not claimable. */
int pharmacy_claim(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                   struct pharmacy_claim_out *out, struct ly_error *e);

/* Walk-in claim from the patient's code (rx/qr.h), at any pharmacy. */
int pharmacy_claim_code(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *qr, size_t qr_len,
                        struct pharmacy_claim_out *out, struct ly_error *e);

/* Give it back (in_progress → ready): refused once anything was handed out
 * (rx.already_dispensed), except after a failed delivery, when what was
 * dispensed comes back into stock. The patient is told to choose again.
 * Repeating a release that already happened returns 0 with *repeat = 1. */
int pharmacy_release(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                     const char *secret, const char *reason, int *repeat, struct ly_error *e);

#endif
