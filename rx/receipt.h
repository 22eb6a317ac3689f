/* rx/receipt.h — the server-signed completion receipt, and what billing
 * (insurance/) reads from it.
 *
 * Completing a prescription (rx/dispense.h, rx/delivery.h) issues one
 * receipt, in the same transaction. Its document is canonical JSON
 * (records/signature.h) signed with the server's receipt key (Ed25519; the
 * private key is sealed with keys.sign in rx_server_keys, made on first use):
 *
 *   {"type":"dispense_receipt","format":1,"id","prescription_id",
 *    "prescription_revision","patient_id","prescriber_id","facility_id",
 *    "pharmacy":{"id","name"},"claim_id","claimed_at","completed_at",
 *    "mode","prescription_signature_sha256",
 *    "items":[{"line","prescribed_drug_id","drug_id","generic_name",
 *              "strength","quantity","units","unit_price_fen","amount_fen",
 *              "substituted","dispensed_at"}],
 *    "total_fen","signer":{"key_id","public_key"}}
 *
 * The envelope (signature_envelope kind "dispense_receipt") verifies with
 * signature_verify() and the key from receipt_public_key().
 *
 * Billing: for each unbilled receipt (receipt_unbilled), build a claim_req
 * (insurance/claim.h) as
 *   encounter_type "dispense", encounter_id = receipt id,
 *   patient_id, facility_id (the prescribing facility), service_at = completed_at,
 *   one drug item per line: code = drug_id, quantity = packs,
 *   has_price = 1, unit_price_fen,
 * settle it, and call receipt_mark_billed with the claim id. Delivery fees
 * are not on the receipt (never covered; DESIGN §6).
 */
#ifndef LY_RX_RECEIPT_H
#define LY_RX_RECEIPT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/crypto.h"
#include "core/ids.h"
#include "rx/rx.h"

struct ly_error;

#define RECEIPT_MAX_LINES (RX_MAX_ITEMS * 4)

struct receipt_line {
  int line;
  char drug_id[LY_ID_MAX];
  char prescribed_drug_id[LY_ID_MAX];
  int64_t quantity; /* packs */
  int64_t unit_price_fen;
  int substituted;
};

struct receipt {
  char id[LY_ID_MAX];
  char prescription_id[LY_ID_MAX];
  char pharmacy_id[LY_ID_MAX];
  char patient_id[LY_ID_MAX];
  char facility_id[LY_ID_MAX];
  int64_t completed_at;
  int64_t total_fen;
  char billed_claim_id[LY_ID_MAX]; /* "" until billed */
  size_t nlines;
  struct receipt_line lines[RECEIPT_MAX_LINES];
};

/* Load a receipt by its id. LY_ENOTFOUND. No audit (billing is the system). */
int receipt_load(struct rx_ctx *cx, const char *receipt_id, struct receipt *out);

/* Ids of receipts not yet billed, oldest first, after the receipt `after`
 * (NULL: from the start); at most max; *n written. */
int receipt_unbilled(struct rx_ctx *cx, const char *after, char (*ids)[LY_ID_MAX], size_t max, size_t *n);

/* Record that a receipt was billed as claim_id (LY_ECONFLICT when it was
 * already billed as another claim, or does not exist; the same claim again
 * is 0). */
int receipt_mark_billed(struct rx_ctx *cx, const char *receipt_id, const char *claim_id);

/* The receipt of a prescription as JSON {id, prescription_id, pharmacy_id,
 * completed_at, total_fen, document (parsed), envelope, billed}, for its
 * patient or a supervisor (pharmacies see it in pharmacy_prescription).
 * LY_ENOTFOUND (rx.not_found / rx.no_receipt). Audited. */
int receipt_get(struct rx_ctx *cx, const struct records_actor *who, const char *prescription_id, json_t **out,
                struct ly_error *e);

/* The server's receipt public key (made on first use). */
int receipt_public_key(struct rx_ctx *cx, uint8_t pub[LY_ED25519_PUB_LEN], char key_id[LY_ID_MAX]);

#endif
