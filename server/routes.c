/* server/routes.c — every REST route: method, pattern, handler, roles, name.
 *
 * The name is the route's label in metrics and logs. Literal segments win
 * over {params} wherever they appear (router.c), so order does not matter;
 * keep the table grouped by resource.
 */
#include "server/h_claims.h"
#include "server/h_pharmacy.h"
#include "server/h_rx.h"
#include "server/h_stats.h"
#include "server/h_referral.h"
#include "server/handlers.h"
#include "server/http.h"

#define ANY    LY_ROLE_ANY
#define PUBLIC LY_ROUTE_PUBLIC

#define R_PAT LY_ROLE_PATIENT
#define R_DOC LY_ROLE_DOCTOR
#define R_PH  LY_ROLE_PHARMACIST
#define R_SUP LY_ROLE_SUPERVISOR
#define R_STAFF LY_ROLE_PHARMACY_STAFF
#define R_ADM   LY_ROLE_ADMIN

const struct ly_route ly_routes[] = {
    /* operations */
    {LY_GET, "/healthz", h_healthz, 0, PUBLIC, "healthz"},
    {LY_GET, "/metrics", h_metrics, 0, PUBLIC, "metrics"},

    /* sessions and the caller's own account */
    {LY_POST, "/api/v1/sessions", h_sessions_create, 0, PUBLIC, "sessions.create"},
    {LY_DELETE, "/api/v1/sessions/current", h_sessions_delete_current, ANY, 0, "sessions.delete_current"},
    {LY_GET, "/api/v1/me", h_me_get, ANY, 0, "me.get"},
    {LY_GET, "/api/v1/me/access-log", h_access_log_get, LY_ROLE_PATIENT, 0, "me.access_log"},

    /* consultations (signalling issue): booking, lifecycle, ratings */
    {LY_POST, "/api/v1/consultations", h_consultations_create, LY_ROLE_PATIENT, 0, "consultations.create"},
    {LY_GET, "/api/v1/consultations", h_consultations_list, LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR, 0,
     "consultations.list"},
    {LY_GET, "/api/v1/consultations/{id}", h_consultations_get, LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR,
     0, "consultations.get"},
    {LY_POST, "/api/v1/consultations/{id}/cancel", h_consultations_cancel, LY_ROLE_PATIENT | LY_ROLE_DOCTOR, 0,
     "consultations.cancel"},
    {LY_PUT, "/api/v1/consultations/{id}/rating", h_consultations_rating_put, LY_ROLE_PATIENT, 0,
     "consultations.rating_put"},
    {LY_GET, "/api/v1/consultations/{id}/rating", h_consultations_rating_get, LY_ROLE_PATIENT | LY_ROLE_SUPERVISOR, 0,
     "consultations.rating_get"},
    {LY_GET, "/api/v1/consultations/{id}/recordings", h_recordings_list,
     LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR, 0, "consultations.recordings"},
    {LY_GET, "/api/v1/consultations/{id}/recording", h_recordings_get,
     LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR, 0, "consultations.recording"},
    {LY_POST, "/api/v1/consultations/{id}/recording/ticket", h_recordings_ticket,
     LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR, 0, "consultations.recording_ticket"},
    {LY_GET, "/api/v1/consultations/{id}/recording/play", h_recordings_play, 0, PUBLIC,
     "consultations.recording_play"},

    /* the doctor directory (名医团队) */
    {LY_GET, "/api/v1/doctors", h_doctors_list, ANY, 0, "doctors.list"},
    {LY_GET, "/api/v1/doctors/{id}", h_doctors_get, ANY, 0, "doctors.get"},
    {LY_GET, "/api/v1/doctors/{id}/ratings", h_doctors_ratings, ANY, 0, "doctors.ratings"},

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

    /* clinical records (records/, server/h_records*.c): object checks in the handlers */
    {LY_GET, "/api/v1/conditions", h_conditions_search, ANY, 0, "records.conditions_search"},
    {LY_GET, "/api/v1/patients/{id}/diagnoses", h_diagnoses_list, R_PAT | R_DOC | R_SUP, 0, "records.diagnoses_list"},
    {LY_POST, "/api/v1/patients/{id}/diagnoses", h_diagnoses_add, R_DOC, 0, "records.diagnoses_add"},
    {LY_POST, "/api/v1/patients/{id}/diagnoses/upload", h_diagnoses_upload, R_PAT, 0, "records.diagnoses_upload"},
    {LY_POST, "/api/v1/diagnoses/{id}/verify", h_diagnoses_verify, R_DOC, 0, "records.diagnoses_verify"},
    {LY_GET, "/api/v1/documents/{id}", h_documents_get, R_PAT | R_DOC | R_SUP, 0, "records.documents_get"},
    {LY_GET, "/api/v1/consultations/{id}/notes", h_notes_list, R_PAT | R_DOC | R_SUP, 0, "records.notes_list"},
    {LY_PUT, "/api/v1/consultations/{id}/notes", h_notes_save, R_DOC, 0, "records.notes_save"},
    {LY_GET, "/api/v1/notes/{id}", h_notes_get, R_PAT | R_DOC | R_SUP, 0, "records.notes_get"},
    {LY_POST, "/api/v1/notes/{id}/sign", h_notes_sign, R_DOC, 0, "records.notes_sign"},
    {LY_GET, "/api/v1/notes/{id}/signed", h_notes_signed, R_PAT | R_DOC | R_SUP, 0, "records.notes_signed"},
    {LY_GET, "/api/v1/patients/{id}/lab-orders", h_labs_list, R_PAT | R_DOC | R_SUP, 0, "records.labs_list"},
    {LY_POST, "/api/v1/patients/{id}/lab-orders", h_labs_order, R_DOC, 0, "records.labs_order"},
    {LY_GET, "/api/v1/lab-orders/{id}", h_labs_get, R_PAT | R_DOC | R_SUP, 0, "records.labs_get"},
    {LY_POST, "/api/v1/lab-orders/{id}/schedule", h_labs_schedule, R_DOC, 0, "records.labs_schedule"},
    {LY_POST, "/api/v1/lab-orders/{id}/result", h_labs_result, R_DOC, 0, "records.labs_result"},
    {LY_POST, "/api/v1/lab-orders/{id}/cancel", h_labs_cancel, R_DOC, 0, "records.labs_cancel"},
    {LY_GET, "/api/v1/patients/{id}/vitals", h_vitals_list, R_PAT | R_DOC | R_SUP, 0, "records.vitals_list"},
    {LY_POST, "/api/v1/patients/{id}/vitals", h_vitals_add, R_PAT | R_DOC, 0, "records.vitals_add"},
    {LY_GET, "/api/v1/patients/{id}/care-plans", h_careplans_list, R_PAT | R_DOC | R_SUP, 0, "records.careplans_list"},
    {LY_POST, "/api/v1/patients/{id}/care-plans", h_careplans_create, R_DOC, 0, "records.careplans_create"},
    {LY_POST, "/api/v1/care-plans/{id}/follow-up", h_careplans_followup, R_DOC, 0, "records.careplans_followup"},
    {LY_POST, "/api/v1/care-plans/{id}/close", h_careplans_close, R_DOC, 0, "records.careplans_close"},
    {LY_GET, "/api/v1/care-alerts", h_care_alerts_list, R_DOC, 0, "records.alerts_list"},
    {LY_POST, "/api/v1/care-alerts/{id}/ack", h_care_alerts_ack, R_DOC, 0, "records.alerts_ack"},

    /* e-prescriptions (rx/, server/h_rx*.c) */
    {LY_GET, "/api/v1/formulary", h_formulary_search, ANY, 0, "rx.formulary_search"},
    {LY_GET, "/api/v1/formulary/{id}", h_formulary_get, ANY, 0, "rx.formulary_get"},
    {LY_GET, "/api/v1/rx/rules", h_rx_rules, ANY, 0, "rx.rules"},
    {LY_POST, "/api/v1/prescriptions/check", h_rx_check, R_DOC, 0, "rx.check"},
    {LY_POST, "/api/v1/prescriptions", h_rx_create, R_DOC, 0, "rx.create"},
    {LY_GET, "/api/v1/prescriptions", h_rx_list, R_PAT | R_DOC | R_SUP, 0, "rx.list"},
    {LY_GET, "/api/v1/prescriptions/{id}", h_rx_get, R_PAT | R_DOC | R_PH | R_SUP, 0, "rx.get"},
    {LY_PUT, "/api/v1/prescriptions/{id}", h_rx_update, R_DOC, 0, "rx.update"},
    {LY_POST, "/api/v1/prescriptions/{id}/sign", h_rx_sign, R_DOC, 0, "rx.sign"},
    {LY_POST, "/api/v1/prescriptions/{id}/approve", h_rx_approve, R_PH | R_DOC, 0, "rx.approve"},
    {LY_POST, "/api/v1/prescriptions/{id}/reject", h_rx_reject, R_PH | R_DOC, 0, "rx.reject"},
    {LY_POST, "/api/v1/prescriptions/{id}/cancel", h_rx_cancel, R_DOC, 0, "rx.cancel"},
    {LY_GET, "/api/v1/prescriptions/{id}/signed", h_rx_signed, R_PAT | R_DOC | R_PH | R_SUP, 0, "rx.signed"},
    {LY_POST, "/api/v1/prescriptions/{id}/renewals", h_rx_renewal_request, R_PAT, 0, "rx.renewal_request"},
    {LY_GET, "/api/v1/renewals", h_renewals_list, R_PAT | R_DOC, 0, "rx.renewals_list"},
    {LY_POST, "/api/v1/renewals/{id}/approve", h_renewals_approve, R_DOC, 0, "rx.renewals_approve"},
    {LY_POST, "/api/v1/renewals/{id}/decline", h_renewals_decline, R_DOC, 0, "rx.renewals_decline"},
    {LY_POST, "/api/v1/renewals/{id}/withdraw", h_renewals_withdraw, R_PAT, 0, "rx.renewals_withdraw"},
    {LY_GET, "/api/v1/pharmacist/review-queue", h_rx_review_queue, R_PH, 0, "rx.review_queue"},
    {LY_GET, "/api/v1/supervision/samples", h_supervision_list, R_SUP, 0, "rx.supervision_list"},
    {LY_POST, "/api/v1/supervision/samples/{id}/finding", h_supervision_finding, R_SUP, 0, "rx.supervision_finding"},
    {LY_POST, "/api/v1/supervision/run", h_supervision_run, R_SUP | LY_ROLE_ADMIN, 0, "rx.supervision_run"},
    {LY_GET, "/api/v1/me/findings", h_me_findings, R_DOC, 0, "rx.me_findings"},
    {LY_GET, "/api/v1/me/notices", h_me_notices, ANY, 0, "rx.me_notices"},
    {LY_POST, "/api/v1/me/notices/read", h_me_notices_read, ANY, 0, "rx.me_notices_read"},
    {LY_POST, "/api/v1/rx/jobs/run", h_rx_jobs_run, LY_ROLE_ADMIN, 0, "rx.jobs_run"},

    /* pharmacy dispatch (rx/ pharmacy files, server/h_pharmacy*.c): the patient's choice, the console */
    {LY_GET, "/api/v1/prescriptions/{id}/pharmacies", h_rx_pharmacies, R_PAT, 0, "rx.pharmacies"},
    {LY_POST, "/api/v1/prescriptions/{id}/dispatch", h_rx_dispatch, R_PAT, 0, "rx.dispatch"},
    {LY_GET, "/api/v1/prescriptions/{id}/dispatch", h_rx_dispatch_get, R_PAT | R_SUP, 0, "rx.dispatch_get"},
    {LY_POST, "/api/v1/prescriptions/{id}/delivery/reset-code", h_rx_delivery_reset, R_PAT, 0, "rx.delivery_reset"},
    {LY_GET, "/api/v1/prescriptions/{id}/receipt", h_rx_receipt, R_PAT | R_SUP, 0, "rx.receipt"},
    {LY_GET, "/api/v1/pharmacy/me", h_pharmacy_me, R_STAFF, 0, "pharmacy.me"},
    {LY_GET, "/api/v1/pharmacy/queue", h_pharmacy_queue, R_STAFF, 0, "pharmacy.queue"},
    {LY_GET, "/api/v1/pharmacy/work", h_pharmacy_work, R_STAFF, 0, "pharmacy.work"},
    {LY_POST, "/api/v1/pharmacy/lookup", h_pharmacy_lookup, R_STAFF, 0, "pharmacy.lookup"},
    {LY_POST, "/api/v1/pharmacy/claims", h_pharmacy_claim_code, R_STAFF, 0, "pharmacy.claim_code"},
    {LY_GET, "/api/v1/pharmacy/prescriptions/{id}", h_pharmacy_get, R_STAFF, 0, "pharmacy.get"},
    {LY_POST, "/api/v1/pharmacy/prescriptions/{id}/claim", h_pharmacy_claim, R_STAFF, 0, "pharmacy.claim"},
    {LY_POST, "/api/v1/pharmacy/prescriptions/{id}/release", h_pharmacy_release, R_STAFF, 0, "pharmacy.release"},
    {LY_POST, "/api/v1/pharmacy/prescriptions/{id}/dispense", h_pharmacy_dispense, R_STAFF, 0, "pharmacy.dispense"},
    {LY_POST, "/api/v1/pharmacy/prescriptions/{id}/complete", h_pharmacy_complete, R_STAFF, 0, "pharmacy.complete"},
    {LY_POST, "/api/v1/pharmacy/prescriptions/{id}/delivery/out", h_pharmacy_delivery_out, R_STAFF, 0,
     "pharmacy.delivery_out"},
    {LY_POST, "/api/v1/pharmacy/prescriptions/{id}/delivery/deliver", h_pharmacy_delivery_deliver, R_STAFF, 0,
     "pharmacy.delivery_deliver"},
    {LY_POST, "/api/v1/pharmacy/prescriptions/{id}/delivery/fail", h_pharmacy_delivery_fail, R_STAFF, 0,
     "pharmacy.delivery_fail"},
    {LY_GET, "/api/v1/pharmacy/stock", h_pharmacy_stock_list, R_STAFF, 0, "pharmacy.stock_list"},
    {LY_PUT, "/api/v1/pharmacy/stock/{drug}", h_pharmacy_stock_put, R_STAFF, 0, "pharmacy.stock_put"},

    /* tiered referral (referral issue): referrals, contracts, slots, remote consultations, FHIR */
    {LY_GET, "/api/v1/referrals/desk", h_referrals_desk, LY_ROLE_DOCTOR, 0, "referrals.desk"},
    {LY_POST, "/api/v1/referrals", h_referrals_create, LY_ROLE_DOCTOR, 0, "referrals.create"},
    {LY_GET, "/api/v1/referrals", h_referrals_list, LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR, 0,
     "referrals.list"},
    {LY_GET, "/api/v1/referrals/{id}", h_referrals_get, LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR, 0,
     "referrals.get"},
    {LY_POST, "/api/v1/referrals/{id}/{action}", h_referrals_act, LY_ROLE_PATIENT | LY_ROLE_DOCTOR, 0,
     "referrals.act"},
    {LY_GET, "/api/v1/stats/referrals", h_referrals_stats, LY_ROLE_ADMIN | LY_ROLE_SUPERVISOR, 0,
     "stats.referrals"},
    {LY_GET, "/api/v1/stats/filters", h_stats_filters, R_ADM | R_SUP, 0, "stats.filters"},
    {LY_GET, "/api/v1/stats/consultations", h_stats_consultations, R_ADM | R_SUP, 0, "stats.consultations"},
    {LY_GET, "/api/v1/stats/prescriptions", h_stats_prescriptions, R_ADM | R_SUP, 0, "stats.prescriptions"},
    {LY_GET, "/api/v1/stats/dispatch", h_stats_dispatch, R_ADM | R_SUP, 0, "stats.dispatch"},
    {LY_GET, "/api/v1/stats/claims", h_stats_claims, R_ADM | R_SUP, 0, "stats.claims"},
    {LY_GET, "/api/v1/stats/quality", h_stats_quality, R_ADM | R_SUP, 0, "stats.quality"},
    {LY_GET, "/api/v1/me/family-doctor", h_family_doctor_get, LY_ROLE_PATIENT, 0, "family_doctor.get"},
    {LY_PUT, "/api/v1/me/family-doctor", h_family_doctor_put, LY_ROLE_PATIENT, 0, "family_doctor.put"},
    {LY_DELETE, "/api/v1/me/family-doctor", h_family_doctor_delete, LY_ROLE_PATIENT, 0,
     "family_doctor.delete"},
    {LY_GET, "/api/v1/family-doctors", h_family_doctors_list, ANY, 0, "family_doctors.list"},
    {LY_GET, "/api/v1/contracts", h_contracts_list, LY_ROLE_DOCTOR, 0, "contracts.list"},
    {LY_POST, "/api/v1/contracts/{patient_id}/end", h_contracts_end, LY_ROLE_DOCTOR, 0, "contracts.end"},
    {LY_GET, "/api/v1/departments/{id}/slots", h_slots_list, LY_ROLE_DOCTOR | LY_ROLE_ADMIN | LY_ROLE_SUPERVISOR,
     0, "slots.list"},
    {LY_POST, "/api/v1/departments/{id}/slots", h_slots_publish, LY_ROLE_DOCTOR | LY_ROLE_ADMIN, 0,
     "slots.publish"},
    {LY_PUT, "/api/v1/departments/{id}/slot-policy", h_slot_policy_put, LY_ROLE_DOCTOR | LY_ROLE_ADMIN, 0,
     "slots.policy"},
    {LY_POST, "/api/v1/remote-consultations", h_remote_create, LY_ROLE_DOCTOR, 0, "remote.create"},
    {LY_GET, "/api/v1/remote-consultations", h_remote_list, LY_ROLE_DOCTOR | LY_ROLE_PATIENT, 0,
     "remote.list"},
    {LY_GET, "/api/v1/remote-consultations/{id}", h_remote_get,
     LY_ROLE_DOCTOR | LY_ROLE_PATIENT | LY_ROLE_SUPERVISOR, 0, "remote.get"},
    {LY_POST, "/api/v1/remote-consultations/{id}/{action}", h_remote_act, LY_ROLE_DOCTOR, 0,
     "remote.act"},
    {LY_GET, "/fhir/r4/ServiceRequest/{id}", h_fhir_service_request,
     LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR, 0, "fhir.service_request"},
    {LY_GET, "/fhir/r4/Task/{id}", h_fhir_task, LY_ROLE_PATIENT | LY_ROLE_DOCTOR | LY_ROLE_SUPERVISOR, 0,
     "fhir.task"},

    {0, NULL, NULL, 0, 0, NULL},
};
