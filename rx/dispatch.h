/* rx/dispatch.h — the patient's choice of pharmacy and the pharmacy's queue
 * (DESIGN §5).
 *
 * A ready prescription is dispatched to one pharmacy at a time: for pickup
 * (the pharmacy holds every item) or delivery (it delivers to the patient's
 * subdistrict). The dispatch is open until the pharmacy claims it, the
 * deadline passes (lapsed: back to the pool, the patient is told to choose
 * again), the patient chooses another pharmacy (withdrawn), another pharmacy
 * claims it from the patient's code (superseded) or the prescription leaves
 * `ready` (closed). The prescription itself stays `ready` throughout.
 *
 * Pushing events to consoles is the caller's: these functions say what
 * happened (which pharmacy, which patient account) and the server tells
 * the WebSocket layer after the commit.
 */
#ifndef LY_RX_DISPATCH_H
#define LY_RX_DISPATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "rx/pharmacy.h"
#include "rx/rx.h"

struct ly_error;

#define DISPATCH_DEADLINE_DEFAULT_MS (2LL * 3600 * 1000)
#define DISPATCH_ADDRESS_MAX         200
#define DISPATCH_QUEUE_DEFAULT       50
#define DISPATCH_QUEUE_MAX           200
#define DISPATCH_CURSOR_MAX          80

struct dispatch_in {
  const char *prescription_id;
  const char *mode; /* "pickup" | "delivery" */
  const char *pharmacy_id;
  const char *address; /* delivery: where to (NULL: the patient's address on record) */
  int64_t deadline_ms; /* how long the pharmacy has to claim; 0: DISPATCH_DEADLINE_DEFAULT_MS */
};

struct dispatch_out {
  char dispatch_id[LY_ID_MAX];
  char pharmacy_id[LY_ID_MAX];
  char withdrawn_from[LY_ID_MAX]; /* the pharmacy the patient chose before ("" none): tell its consoles */
  int repeat;                     /* the same choice was already open: nothing changed */
  json_t *view;                   /* the dispatch as dispatch_status shows it (new reference) */
};

/* The patient chooses (their own ready, unclaimed prescription). A second
 * call with the same pharmacy and mode returns the open dispatch unchanged
 * (repeat = 1); another choice withdraws the open one. Refusals: LY_ENOTFOUND
 * (rx.not_found, rx.pharmacy_not_found), LY_ESTATE (rx.not_ready,
 * rx.already_claimed), LY_EDENIED (rx.pharmacy_lacks_stock for pickup,
 * rx.pharmacy_no_delivery), LY_EINVAL (mode, address). out->view is set
 * only on success. */
int dispatch_choose(struct rx_ctx *cx, const struct records_actor *who, const struct dispatch_in *in,
                    struct dispatch_out *out, struct ly_error *e);

/* The patient's (or a supervisor's) view of where the prescription stands:
 *   {prescription_id, state, dispatch:{id, pharmacy:{…}, mode, state,
 *    created_at, deadline_at} | null, history:[…], claim:{pharmacy:{…},
 *    claimed_at, via} | null, delivery:{state, code (patient only),
 *    wrong_tries, locked, events} | null, receipt:{…} | null} */
int dispatch_status(struct rx_ctx *cx, const struct records_actor *who, const char *prescription_id,
                    json_t **out, struct ly_error *e);

/* The pharmacy's queue: open dispatches to it whose prescription is ready,
 * oldest first. cursor (NULL: from the start) is the `next` of the previous
 * page. {items:[{dispatch_id, prescription_id, mode, created_at, deadline_at,
 * patient:{name_masked, subdistrict}, items:[{line, drug_id, generic_name,
 * strength, form, quantity}]}], total, next (null on the last page)}.
 * A prescription's first appearance in the queue is audited once. */
int dispatch_queue(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *cursor, int limit,
                   json_t **out, struct ly_error *e);

/* The job. Open dispatches past their deadline lapse (the patient is told:
 * notice "rx.dispatch_lapsed"); open dispatches whose prescription is no
 * longer ready are closed. At most DISPATCH_LAPSE_BATCH per call, each
 * reported in out[] so the caller can push events; *n how many. Call again
 * while *n == DISPATCH_LAPSE_BATCH. */
#define DISPATCH_LAPSE_BATCH 64
struct dispatch_lapsed {
  char prescription_id[LY_ID_MAX];
  char pharmacy_id[LY_ID_MAX];
  char patient_account[LY_ID_MAX];
  int lapsed; /* 1: deadline passed; 0: closed because the prescription left ready */
};
int dispatch_lapse_due(struct rx_ctx *cx, struct dispatch_lapsed *out, size_t *n);

#endif
