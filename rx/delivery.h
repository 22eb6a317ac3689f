/* rx/delivery.h — delivering a claimed prescription (DESIGN §5):
 *
 *   preparing ──out──▶ out_for_delivery ──deliver(code)──▶ delivered (completes, receipt)
 *       ▲                     │ fail
 *       └───────out──── failed (back at the pharmacy: send again, or release)
 *
 * A delivery starts when a pharmacy claims a prescription dispatched for
 * delivery. The patient's app shows a 6-digit code; the courier enters it
 * when handing over. After DELIVERY_MAX_TRIES wrong codes the delivery is
 * locked — even the right code is refused — until the patient resets the
 * code (a new one is made). Every pharmacy call needs the claim's secret and
 * is idempotent: repeating a transition that already happened returns the
 * current state (deliver: the receipt) and changes nothing.
 */
#ifndef LY_RX_DELIVERY_H
#define LY_RX_DELIVERY_H

#include <jansson.h>

#include "rx/pharmacy.h"
#include "rx/rx.h"

struct ly_error;

#define DELIVERY_CODE_DIGITS 6
#define DELIVERY_MAX_TRIES   5
#define DELIVERY_REASON_MAX  200

/* preparing | failed → out_for_delivery (something must be dispensed:
 * rx.nothing_dispensed). *out: the delivery as the pharmacy sees it. */
int delivery_out(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                 const char *secret, json_t **out, struct ly_error *e);

/* out_for_delivery → delivered when code is the patient's; then the
 * prescription completes and *receipt is its receipt. A wrong code is
 * LY_EDENIED rx.delivery_code_wrong (the count is kept even though the call
 * is refused); the fifth locks: LY_ERATE rx.delivery_locked from then on. */
int delivery_deliver(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                     const char *secret, const char *code, json_t **receipt, struct ly_error *e);

/* out_for_delivery → failed, with a reason (required). */
int delivery_fail(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                  const char *secret, const char *reason, json_t **out, struct ly_error *e);

/* The patient makes a new code (wrong tries cleared, lock lifted). *out:
 * the delivery as the patient sees it, with the new code. */
int delivery_reset_code(struct rx_ctx *cx, const struct records_actor *who, const char *prescription_id,
                        json_t **out, struct ly_error *e);

#endif
