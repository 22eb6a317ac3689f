/* server/h_pharmacy.h — REST of pharmacy dispatch (rx/ pharmacy files),
 * listed in server/routes.c, its periodic job, and the events it pushes.
 *
 * The patient (h_pharmacy_patient.c):
 *   GET  /api/v1/prescriptions/{id}/pharmacies?mode=pickup|delivery&lat=&lon=&limit=
 *   POST /api/v1/prescriptions/{id}/dispatch            {mode, pharmacy_id, address?}
 *   GET  /api/v1/prescriptions/{id}/dispatch            where it stands (also supervisors)
 *   POST /api/v1/prescriptions/{id}/delivery/reset-code a new delivery code
 *   GET  /api/v1/prescriptions/{id}/receipt             the signed receipt (also supervisors)
 * The pharmacy console (h_pharmacy.c), pharmacy staff of the caller's pharmacy:
 *   GET  /api/v1/pharmacy/me                            the pharmacy
 *   GET  /api/v1/pharmacy/queue?cursor=&limit=          dispatched to it, oldest first
 *   GET  /api/v1/pharmacy/work?state=active|completed|released&limit=
 *   POST /api/v1/pharmacy/lookup                        {qr} | {id, access_code}: walk-in view
 *   POST /api/v1/pharmacy/claims                        {qr} | {id, access_code}: walk-in claim
 *   GET  /api/v1/pharmacy/prescriptions/{id}            detail, doctor's signature checked
 *   POST /api/v1/pharmacy/prescriptions/{id}/claim      from the queue → {secret, …}
 *   POST /api/v1/pharmacy/prescriptions/{id}/release    {secret, reason?}
 *   POST /api/v1/pharmacy/prescriptions/{id}/dispense   {secret, items:[{line, drug_id?, quantity, reason?}]}
 *                                                       + Idempotency-Key (required)
 *   POST /api/v1/pharmacy/prescriptions/{id}/complete   {secret} → the receipt
 *   POST /api/v1/pharmacy/prescriptions/{id}/delivery/out|deliver|fail   {secret, code | reason}
 *   GET  /api/v1/pharmacy/stock?q=&low=1&limit=, PUT /api/v1/pharmacy/stock/{drug} {quantity, low_threshold?}
 *
 * Events pushed over the WebSocket (signalling's sig_push_account) after the
 * change is committed: to every staff account of a pharmacy
 * "pharmacy.dispatched" {prescription_id, dispatch_id, mode, at} and
 * "pharmacy.withdrawn" {prescription_id, reason: withdrawn|lapsed|claimed_elsewhere},
 * "pharmacy.changed" {prescription_id, state}; to the patient
 * "rx.dispatch_changed" {prescription_id, state, what}. Secrets and codes are
 * never in an event or a log line.
 */
#ifndef LY_H_PHARMACY_H
#define LY_H_PHARMACY_H

#include <jansson.h>

#include "server/http.h"

struct ly_server;

/* h_pharmacy_patient.c */
int h_rx_pharmacies(struct ly_req *req, struct ly_resp *resp);
int h_rx_dispatch(struct ly_req *req, struct ly_resp *resp);
int h_rx_dispatch_get(struct ly_req *req, struct ly_resp *resp);
int h_rx_delivery_reset(struct ly_req *req, struct ly_resp *resp);
int h_rx_receipt(struct ly_req *req, struct ly_resp *resp);

/* h_pharmacy.c */
int h_pharmacy_me(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_queue(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_work(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_lookup(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_claim_code(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_get(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_claim(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_release(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_dispense(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_complete(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_delivery_out(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_delivery_deliver(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_delivery_fail(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_stock_list(struct ly_req *req, struct ly_resp *resp);
int h_pharmacy_stock_put(struct ly_req *req, struct ly_resp *resp);

/* The job (every second from server/jobs.c): dispatches past their deadline
 * lapse, and their pharmacy and patient are told. Logs failures. */
void h_pharmacy_tick(struct ly_server *srv);

/* Push an event to every console of a pharmacy / to one account (data borrowed). */
void hph_push_pharmacy(struct ly_server *srv, const char *pharmacy_id, const char *type, json_t *data);
void hph_push_account(struct ly_server *srv, const char *account_id, const char *type, json_t *data);
/* Tell the patient of a prescription that where it stands changed. */
void hph_tell_patient(struct ly_server *srv, const char *patient_account, const char *prescription_id,
                      const char *state, const char *what);

#endif
