/* rx/dispense.h — handing out what a claimed prescription names, and
 * completing it with a server-signed receipt (DESIGN §4 "Dispense").
 *
 * A dispense records, per prescription line, the drug handed out and how
 * many packs: several dispenses may add up to the prescription (partial),
 * never beyond it (compared in units: packs x pack size). Another drug may
 * be handed out only when it has the same generic name, strength and form,
 * with a reason; the substitution is recorded. The pharmacy's stock is
 * decremented in the same transaction and never below zero.
 *
 * Idempotency: a dispense carries an Idempotency-Key (required); the same
 * key from the same pharmacy returns the first result and changes nothing,
 * whether the repeat comes later or at the same moment. Completing twice
 * returns the first receipt (the claim's secret identifies it).
 */
#ifndef LY_RX_DISPENSE_H
#define LY_RX_DISPENSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "rx/pharmacy.h"
#include "rx/rx.h"

struct ly_error;

#define DISPENSE_MAX_ITEMS    (RX_MAX_ITEMS * 2)
#define DISPENSE_MAX_QUANTITY 10000
#define DISPENSE_REASON_MAX   200

struct dispense_item_in {
  int line;            /* the prescription's line, 1-based */
  const char *drug_id; /* NULL: the prescribed drug */
  int64_t quantity;    /* packs, 1..DISPENSE_MAX_QUANTITY */
  const char *reason;  /* required when drug_id is a substitute */
};

struct dispense_in {
  const char *prescription_id;
  const char *secret;
  const char *idem_key; /* required: 1..128 printable ASCII */
  const struct dispense_item_in *items;
  size_t nitems; /* 1..DISPENSE_MAX_ITEMS */
};

/* Record a dispense. *result: {dispense_id, prescription_id, at, items:[{line,
 * drug_id, quantity, units, substituted, reason}], lines:[{line, prescribed_units,
 * dispensed_units, complete}], complete, replayed}. Refusals: claim
 * (rx.not_claimed, rx.not_claimant, rx.secret_invalid), LY_EDENIED
 * rx.over_prescribed / rx.substitute_not_equivalent / rx.substitution_reason,
 * LY_ECONFLICT rx.out_of_stock (e->field names the item),
 * request.idempotency_key_reused, LY_ESTATE rx.delivery_started. */
int dispense_record(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct dispense_in *in,
                    json_t **result, struct ly_error *e);

/* Complete (in_progress → completed) and return the receipt (rx/receipt.h
 * receipt_json). Needs something dispensed (rx.nothing_dispensed); a
 * delivery must have been delivered (rx.delivery_pending: delivering
 * completes by itself). A repeat with the secret of the completing claim
 * returns the same receipt. */
int dispense_complete(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                      const char *secret, json_t **receipt, struct ly_error *e);

#endif
