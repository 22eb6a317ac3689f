/* server/h_claims.h — REST handlers of insurance/ (h_claims.c,
 * h_fhir_claims.c), listed in server/routes.c.
 *
 *   GET  /api/v1/me/coverage                       patient
 *   POST /api/v1/claims/estimate                   patient (own), admin
 *   POST /api/v1/claims                            admin           settle
 *   POST /api/v1/claims/batch                      admin           settle ≤ 256, one commit
 *   POST /api/v1/claims/{id}/reverse               admin
 *   GET  /api/v1/claims/{id}                       patient (own), doctor (linked), admin, supervisor
 *   GET  /api/v1/claims?patient=P&limit=N          same
 *   GET  /api/v1/claims/statements?date=D[&facility=F][&format=csv][&check=1]   admin, supervisor
 *   GET  /api/v1/insurance/policies                any signed-in account
 *   POST /api/v1/insurance/policies                admin
 *   GET  /fhir/r4/Claim/{id}, /fhir/r4/ClaimResponse/{id}   as GET claim
 */
#ifndef LY_H_CLAIMS_H
#define LY_H_CLAIMS_H

#include "server/http.h"

struct claim;

int h_coverage_me(struct ly_req *req, struct ly_resp *resp);
int h_claims_estimate(struct ly_req *req, struct ly_resp *resp);
int h_claims_settle(struct ly_req *req, struct ly_resp *resp);
int h_claims_batch(struct ly_req *req, struct ly_resp *resp);
int h_claims_reverse(struct ly_req *req, struct ly_resp *resp);
int h_claims_get(struct ly_req *req, struct ly_resp *resp);
int h_claims_list(struct ly_req *req, struct ly_resp *resp);
int h_claims_statement(struct ly_req *req, struct ly_resp *resp);
int h_policies_list(struct ly_req *req, struct ly_resp *resp);
int h_policies_create(struct ly_req *req, struct ly_resp *resp);
int h_fhir_claim(struct ly_req *req, struct ly_resp *resp);
int h_fhir_claim_response(struct ly_req *req, struct ly_resp *resp);

/* Load claim id into c for the caller, audited as a read ("claim.read") in
 * one transaction. LY_ENOTFOUND; LY_EFORBIDDEN when the caller may not see
 * that patient's claims (e filled either way). Shared with h_fhir_claims.c. */
int h_claims_load_for(struct ly_req *req, const char *id, const char *action, struct claim *c,
                      struct ly_error *e);

#endif
