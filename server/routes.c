/* server/routes.c — every REST route: method, pattern, handler, roles, name.
 *
 * The name is the route's label in metrics and logs. Literal segments win
 * over {params} wherever they appear (router.c), so order does not matter;
 * keep the table grouped by resource.
 */
#include "server/h_claims.h"
#include "server/handlers.h"
#include "server/http.h"

#define ANY    LY_ROLE_ANY
#define PUBLIC LY_ROUTE_PUBLIC

const struct ly_route ly_routes[] = {
    /* operations */
    {LY_GET, "/healthz", h_healthz, 0, PUBLIC, "healthz"},
    {LY_GET, "/metrics", h_metrics, 0, PUBLIC, "metrics"},

    /* sessions and the caller's own account */
    {LY_POST, "/api/v1/sessions", h_sessions_create, 0, PUBLIC, "sessions.create"},
    {LY_DELETE, "/api/v1/sessions/current", h_sessions_delete_current, ANY, 0, "sessions.delete_current"},
    {LY_GET, "/api/v1/me", h_me_get, ANY, 0, "me.get"},
    {LY_GET, "/api/v1/me/access-log", h_access_log_get, LY_ROLE_PATIENT, 0, "me.access_log"},

    /* insurance (claims issue): coverage, claims, statements, policy, FHIR */
    {LY_GET, "/api/v1/me/coverage", h_coverage_me, LY_ROLE_PATIENT, 0, "coverage.me"},
    {LY_POST, "/api/v1/claims/estimate", h_claims_estimate, LY_ROLE_PATIENT | LY_ROLE_ADMIN, 0, "claims.estimate"},
    {LY_POST, "/api/v1/claims", h_claims_settle, LY_ROLE_ADMIN, 0, "claims.settle"},
    {LY_POST, "/api/v1/claims/batch", h_claims_batch, LY_ROLE_ADMIN, 0, "claims.batch"},
    {LY_POST, "/api/v1/claims/{id}/reverse", h_claims_reverse, LY_ROLE_ADMIN, 0, "claims.reverse"},
    {LY_GET, "/api/v1/claims", h_claims_list, LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_ADMIN | LY_ROLE_SUPERVISOR, 0,
     "claims.list"},
    {LY_GET, "/api/v1/claims/statements", h_claims_statement, LY_ROLE_ADMIN | LY_ROLE_SUPERVISOR, 0,
     "claims.statement"},
    {LY_GET, "/api/v1/claims/{id}", h_claims_get, LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_ADMIN | LY_ROLE_SUPERVISOR,
     0, "claims.get"},
    {LY_GET, "/api/v1/insurance/policies", h_policies_list, ANY, 0, "policies.list"},
    {LY_POST, "/api/v1/insurance/policies", h_policies_create, LY_ROLE_ADMIN, 0, "policies.create"},
    {LY_GET, "/fhir/r4/Claim/{id}", h_fhir_claim, LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_ADMIN | LY_ROLE_SUPERVISOR,
     0, "fhir.claim"},
    {LY_GET, "/fhir/r4/ClaimResponse/{id}", h_fhir_claim_response,
     LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_ADMIN | LY_ROLE_SUPERVISOR, 0, "fhir.claim_response"},

    {0, NULL, NULL, 0, 0, NULL},
};
