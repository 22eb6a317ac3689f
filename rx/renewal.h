/* rx/renewal.h — renewal requests (续方).
 *
 * A patient asks to renew a chronic prescription (kind chronic or long_term,
 * or every drug for chronic use) that a pharmacist once approved. Its
 * prescriber approves — a new prescription linked to the old one
 * (renewal_of), signed at once and so through pharmacist review again, with
 * every rule judged afresh (the offline diagnosis must still be in its
 * window) — or declines with a reason. Both sides are told (rx_notices).
 * requested → approved | declined | withdrawn; one open request per prescription.
 */
#ifndef LY_RX_RENEWAL_H
#define LY_RX_RENEWAL_H

#include <jansson.h>

#include "core/ids.h"
#include "rx/rx.h"

struct ly_error;

/* who: the patient (patient_id their patients.id). LY_EEXIST
 * rx.renewal_pending when one is open; LY_EDENIED rx.renewal_not_chronic /
 * LY_ESTATE rx.renewal_not_issued when it cannot be renewed. */
int renewal_request(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id,
                    const char *prescription_id, const char *note, char id_out[LY_ID_MAX],
                    struct ly_error *e);

/* who: the prescriber of the old prescription. *result (may be NULL):
 * {renewal_id, state, prescription:{id, state, …}}. Rule violations of the
 * new prescription refuse it (LY_EDENIED, all in viol) and nothing is written.
 * idem_key: a repeat returns the first result. */
int renewal_approve(struct rx_ctx *cx, const struct records_actor *who, const char *renewal_id,
                    const char *idem_key, json_t **result, struct rules_result *viol, struct ly_error *e);

/* who: the prescriber; reason required. */
int renewal_decline(struct rx_ctx *cx, const struct records_actor *who, const char *renewal_id,
                    const char *reason, struct ly_error *e);

/* who: the patient who asked. */
int renewal_withdraw(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id,
                     const char *renewal_id, struct ly_error *e);

/* Doctors: requests addressed to them; patients (patient_id set): their own.
 * Newest first; open_only: only requested ones. */
int renewal_list(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id, int open_only,
                 json_t **out, struct ly_error *e);

#endif
