/* referral/contract.h — family-doctor contracts (家庭医生签约).
 *
 * A patient contracts one GP at a community health centre. There is at most
 * one active contract per patient: signing with another GP ends the old one
 * (end_reason "switched") in the same transaction. A contract links the GP to
 * the patient for object-level access (server/auth.c doctor_links).
 */
#ifndef LY_REFERRAL_CONTRACT_H
#define LY_REFERRAL_CONTRACT_H

#include <jansson.h>

#include "referral/referral.h"

#define CONTRACT_REASON_MAX 500

/* who: a patient (their own contract). doctor_id: a doctor at a community
 * centre (else LY_EDENIED referral.contract_gp_only; LY_ENOTFOUND
 * referral.doctor_not_found). Signing again with the current GP returns the
 * active contract (*switched = 0). id_out: the active contract. */
int contract_sign(const struct referral_ctx *cx, const struct referral_actor *who, const char *doctor_id,
                  char id_out[LY_ID_MAX], int *switched, struct ly_error *e);

/* End the active contract of patient_id: the patient themselves (patient_id
 * NULL or their own) or the contracted GP. LY_ENOTFOUND
 * referral.no_contract when there is none; LY_EFORBIDDEN for anyone else. */
int contract_end(const struct referral_ctx *cx, const struct referral_actor *who, const char *patient_id,
                 const char *reason, struct ly_error *e);

/* The patient's family doctor: {"patient_id", "contract": {"id","doctor_id","doctor_name","doctor_name_en",
 * "title","facility_id","facility_name","facility_name_en","subdistrict_id","signed_at"} | null,
 * "history": [{"id","doctor_id","doctor_name","doctor_name_en","signed_at","ended_at","end_reason"}]}.
 * Patients: their own (referral.not_yours otherwise). */
int contract_get_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *patient_id,
                      json_t **out, struct ly_error *e);

/* The GP's contracted patients, each with their chronic conditions, care-plan
 * status and open alerts: [{"contract_id","patient_id","name","name_en","sex",
 * "birth_date","signed_at","conditions":[{"icd10","name","name_en"}],"active_plans",
 * "next_follow_up_at","open_alerts"}]. Audited per patient. Doctors only. */
int contract_patients_json(const struct referral_ctx *cx, const struct referral_actor *who, json_t **out,
                           struct ly_error *e);

/* GPs a patient may choose, optionally in one subdistrict (NULL: all), those
 * of the patient's own subdistrict first: [{"doctor_id","name","name_en","title",
 * "facility_id","facility_name","facility_name_en","subdistrict_id","contracted"}]. */
int contract_gps_json(const struct referral_ctx *cx, const struct referral_actor *who,
                      const char *subdistrict_id, json_t **out, struct ly_error *e);

#endif
