/* server/h_referral.h — REST handlers of referral/ (h_referral.c,
 * h_referral_care.c, h_fhir_referral.c), listed in server/routes.c.
 *
 *   GET  /api/v1/referrals/desk                    doctor: facility, department, departments to refer to
 *   POST /api/v1/referrals                         doctor: {direction up|down, patient_id, …}
 *   GET  /api/v1/referrals?box=&state=&direction=&facility_id=&limit=   patient, doctor, supervisor
 *   GET  /api/v1/referrals/{id}                    patient (own), doctor (party), supervisor
 *   POST /api/v1/referrals/{id}/{action}           accept|reject|schedule|arrive|complete|cancel|no_show
 *   GET  /api/v1/stats/referrals?from=&to=&facility_id=   admin, supervisor
 *   GET/PUT/DELETE /api/v1/me/family-doctor        patient: my contract {doctor_id}
 *   GET  /api/v1/family-doctors?subdistrict_id=    GPs one may contract
 *   GET  /api/v1/contracts                         doctor: contracted patients
 *   POST /api/v1/contracts/{patient_id}/end        doctor: end a contract
 *   GET  /api/v1/departments/{id}/slots?from=&to=  doctor, admin, supervisor
 *   POST /api/v1/departments/{id}/slots            doctor of the department, admin
 *   PUT  /api/v1/departments/{id}/slot-policy      doctor of the department, admin {reserved_percent}
 *   POST /api/v1/remote-consultations              doctor (GP)
 *   GET  /api/v1/remote-consultations[?state=]     doctor, patient
 *   GET  /api/v1/remote-consultations/{id}         doctor, patient, supervisor
 *   POST /api/v1/remote-consultations/{id}/{action}   accept|reject|schedule|cancel|opinion|refer-up
 *   GET  /fhir/r4/ServiceRequest/{id}, /fhir/r4/Task/{id}   as GET referral
 */
#ifndef LY_H_REFERRAL_H
#define LY_H_REFERRAL_H

#include "referral/referral.h"
#include "server/http.h"

int h_referrals_desk(struct ly_req *req, struct ly_resp *resp);
int h_referrals_create(struct ly_req *req, struct ly_resp *resp);
int h_referrals_list(struct ly_req *req, struct ly_resp *resp);
int h_referrals_get(struct ly_req *req, struct ly_resp *resp);
int h_referrals_act(struct ly_req *req, struct ly_resp *resp);
int h_referrals_stats(struct ly_req *req, struct ly_resp *resp);

int h_family_doctor_get(struct ly_req *req, struct ly_resp *resp);
int h_family_doctor_put(struct ly_req *req, struct ly_resp *resp);
int h_family_doctor_delete(struct ly_req *req, struct ly_resp *resp);
int h_family_doctors_list(struct ly_req *req, struct ly_resp *resp);
int h_contracts_list(struct ly_req *req, struct ly_resp *resp);
int h_contracts_end(struct ly_req *req, struct ly_resp *resp);
int h_slots_list(struct ly_req *req, struct ly_resp *resp);
int h_slots_publish(struct ly_req *req, struct ly_resp *resp);
int h_slot_policy_put(struct ly_req *req, struct ly_resp *resp);
int h_remote_create(struct ly_req *req, struct ly_resp *resp);
int h_remote_list(struct ly_req *req, struct ly_resp *resp);
int h_remote_get(struct ly_req *req, struct ly_resp *resp);
int h_remote_act(struct ly_req *req, struct ly_resp *resp);

int h_fhir_service_request(struct ly_req *req, struct ly_resp *resp);
int h_fhir_task(struct ly_req *req, struct ly_resp *resp);

/* --- shared by the three files ------------------------------------------- */
/* The caller as referral/ sees them, and the context lent to it. */
void h_ref_actor(const struct ly_req *req, struct referral_actor *who);
void h_ref_ctx(const struct ly_req *req, struct referral_ctx *cx);
/* 0 when the body is a JSON object (or absent and optional); else the 400 is
 * in resp and -1 is returned. */
int h_ref_body(struct ly_req *req, struct ly_resp *resp, int optional);
/* Query value of key into buf (NULL *out when absent); -1 with resp filled
 * when it is too long or malformed. */
int h_ref_query(struct ly_req *req, struct ly_resp *resp, const char *key, char *buf, size_t n,
                const char **out);
/* Object-level check for a doctor acting on patient_id (server/auth.h);
 * -1 with resp filled when refused. Others pass (the domain checks them). */
int h_ref_patient(struct ly_req *req, struct ly_resp *resp, const char *patient_id);

#endif
