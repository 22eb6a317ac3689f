/* server/h_rx.h — REST handlers of records/ (h_records.c, h_records_more.c)
 * and rx/ (h_rx.c, h_rx_more.c), listed in server/routes.c, and the
 * periodic jobs of both.
 *
 * Records:
 *   GET  /api/v1/conditions?q=&limit=                    any account: ICD-10 search (no patient data)
 *   GET  /api/v1/patients/{id}/diagnoses                 patient (own), doctor (linked), supervisor
 *   POST /api/v1/patients/{id}/diagnoses                 doctor (linked)       facility diagnosis
 *   POST /api/v1/patients/{id}/diagnoses/upload          patient (own)         document (base64) + claim
 *   POST /api/v1/diagnoses/{id}/verify                   doctor (linked)       {accept, reason}
 *   GET  /api/v1/documents/{id}                          as the patient's record (raw bytes)
 *   GET  /api/v1/consultations/{id}/notes                patient, doctor (linked), supervisor: all versions
 *   PUT  /api/v1/consultations/{id}/notes                the consultation's doctor: save the draft/correction
 *   GET  /api/v1/notes/{id}, /api/v1/notes/{id}/signed   as the patient's record
 *   POST /api/v1/notes/{id}/sign                         the note's doctor
 *   GET  /api/v1/patients/{id}/lab-orders                as the patient's record
 *   POST /api/v1/patients/{id}/lab-orders                doctor (linked)
 *   GET  /api/v1/lab-orders/{id}                         record, or the performing facility
 *   POST /api/v1/lab-orders/{id}/schedule|result|cancel  performing facility / ordering doctor
 *   GET|POST /api/v1/patients/{id}/vitals                patient (own), doctor (linked); GET also supervisor
 *   GET|POST /api/v1/patients/{id}/care-plans            record / doctor (linked)
 *   POST /api/v1/care-plans/{id}/follow-up|close         the plan's doctor
 *   GET  /api/v1/care-alerts?open=1, POST /api/v1/care-alerts/{id}/ack   doctor
 * Prescriptions:
 *   GET  /api/v1/formulary?q=&limit=, /api/v1/formulary/{id}, /api/v1/rx/rules   any account
 *   POST /api/v1/prescriptions/check                     doctor: every violation, nothing saved
 *   POST /api/v1/prescriptions                           doctor: draft (201, violations shown)
 *   GET  /api/v1/prescriptions?patient=&state=&limit=    patient (own), doctor (own or linked patient),
 * supervisor GET|PUT /api/v1/prescriptions/{id}                   read: parties; PUT: the prescriber POST
 * /api/v1/prescriptions/{id}/sign|approve         Idempotency-Key honoured POST
 * /api/v1/prescriptions/{id}/reject|cancel        {reason} GET  /api/v1/prescriptions/{id}/signed the
 * canonical document + signature POST /api/v1/prescriptions/{id}/renewals             patient: ask to renew
 *   GET  /api/v1/renewals; POST /api/v1/renewals/{id}/approve|decline|withdraw
 *   GET  /api/v1/pharmacist/review-queue                 pharmacist
 *   GET  /api/v1/supervision/samples, POST …/{id}/finding, POST /api/v1/supervision/run   supervisor
 *   GET  /api/v1/me/findings (doctor), GET /api/v1/me/notices, POST /api/v1/me/notices/read
 *   POST /api/v1/rx/jobs/run                             admin: the periodic jobs now
 * Every handler checks the object (authz_patient or the prescription's parties);
 * every access is audited by the domain function it calls.
 */
#ifndef LY_H_RX_H
#define LY_H_RX_H

#include <stdint.h>

#include "records/records.h"
#include "rx/rx.h"
#include "server/http.h"

struct ly_server;
struct rules_result;

/* ---- shared by the four files ---- */
struct records_actor hrx_actor(const struct ly_req *req);
void hrx_ctx(const struct ly_req *req, struct rx_ctx *cx);
/* Respond with e; a rules_result with violations adds error.violations. Returns 0. */
int hrx_error(struct ly_req *req, struct ly_resp *resp, const struct ly_error *e,
              const struct rules_result *viol);
/* authz_patient; on refusal the response is filled and 1 is returned. */
int hrx_patient(struct ly_req *req, struct ly_resp *resp, const char *patient_id, int write);
/* A text field of the JSON body (NULL when absent); 1 with the response filled on a bad one. */
int hrx_str(struct ly_req *req, struct ly_resp *resp, const char *key, size_t max, int required,
            const char **out);
/* Base64 (standard or url-safe, padding optional) of a JSON field into a
 * malloc'd buffer of at most max bytes; 1 with the response filled on a fault. */
int hrx_b64(struct ly_req *req, struct ly_resp *resp, const char *key, size_t max, void **out,
            size_t *outlen);

/* ---- h_records.c / h_records_more.c ---- */
int h_conditions_search(struct ly_req *req, struct ly_resp *resp);
int h_diagnoses_list(struct ly_req *req, struct ly_resp *resp);
int h_diagnoses_add(struct ly_req *req, struct ly_resp *resp);
int h_diagnoses_upload(struct ly_req *req, struct ly_resp *resp);
int h_diagnoses_verify(struct ly_req *req, struct ly_resp *resp);
int h_documents_get(struct ly_req *req, struct ly_resp *resp);
int h_notes_list(struct ly_req *req, struct ly_resp *resp);
int h_notes_save(struct ly_req *req, struct ly_resp *resp);
int h_notes_get(struct ly_req *req, struct ly_resp *resp);
int h_notes_sign(struct ly_req *req, struct ly_resp *resp);
int h_notes_signed(struct ly_req *req, struct ly_resp *resp);
int h_labs_list(struct ly_req *req, struct ly_resp *resp);
int h_labs_order(struct ly_req *req, struct ly_resp *resp);
int h_labs_get(struct ly_req *req, struct ly_resp *resp);
int h_labs_schedule(struct ly_req *req, struct ly_resp *resp);
int h_labs_result(struct ly_req *req, struct ly_resp *resp);
int h_labs_cancel(struct ly_req *req, struct ly_resp *resp);
int h_vitals_list(struct ly_req *req, struct ly_resp *resp);
int h_vitals_add(struct ly_req *req, struct ly_resp *resp);
int h_careplans_list(struct ly_req *req, struct ly_resp *resp);
int h_careplans_create(struct ly_req *req, struct ly_resp *resp);
int h_careplans_followup(struct ly_req *req, struct ly_resp *resp);
int h_careplans_close(struct ly_req *req, struct ly_resp *resp);
int h_care_alerts_list(struct ly_req *req, struct ly_resp *resp);
int h_care_alerts_ack(struct ly_req *req, struct ly_resp *resp);

/* ---- h_rx.c / h_rx_more.c ---- */
int h_formulary_search(struct ly_req *req, struct ly_resp *resp);
int h_formulary_get(struct ly_req *req, struct ly_resp *resp);
int h_rx_rules(struct ly_req *req, struct ly_resp *resp);
int h_rx_check(struct ly_req *req, struct ly_resp *resp);
int h_rx_create(struct ly_req *req, struct ly_resp *resp);
int h_rx_list(struct ly_req *req, struct ly_resp *resp);
int h_rx_get(struct ly_req *req, struct ly_resp *resp);
int h_rx_update(struct ly_req *req, struct ly_resp *resp);
int h_rx_sign(struct ly_req *req, struct ly_resp *resp);
int h_rx_approve(struct ly_req *req, struct ly_resp *resp);
int h_rx_reject(struct ly_req *req, struct ly_resp *resp);
int h_rx_cancel(struct ly_req *req, struct ly_resp *resp);
int h_rx_signed(struct ly_req *req, struct ly_resp *resp);
int h_rx_renewal_request(struct ly_req *req, struct ly_resp *resp);
int h_renewals_list(struct ly_req *req, struct ly_resp *resp);
int h_renewals_approve(struct ly_req *req, struct ly_resp *resp);
int h_renewals_decline(struct ly_req *req, struct ly_resp *resp);
int h_renewals_withdraw(struct ly_req *req, struct ly_resp *resp);
int h_rx_review_queue(struct ly_req *req, struct ly_resp *resp);
int h_supervision_list(struct ly_req *req, struct ly_resp *resp);
int h_supervision_finding(struct ly_req *req, struct ly_resp *resp);
int h_supervision_run(struct ly_req *req, struct ly_resp *resp);
int h_me_findings(struct ly_req *req, struct ly_resp *resp);
int h_me_notices(struct ly_req *req, struct ly_resp *resp);
int h_me_notices_read(struct ly_req *req, struct ly_resp *resp);
int h_rx_jobs_run(struct ly_req *req, struct ly_resp *resp);

/* The periodic jobs (call about once a minute from the service loop):
 * prescriptions past validity → expired, missed care-plan follow-ups →
 * alerts, last week's supervision sample (once per week). Logs failures;
 * never fails the caller. */
void h_rx_tick(struct ly_server *srv);

#endif
