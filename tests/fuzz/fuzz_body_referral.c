/* tests/fuzz/fuzz_body_referral.c — request bodies and queries of tiered
 * referral: referrals and their actions, family-doctor contracts, slots and
 * slot policy, remote consultations, statistics and the FHIR views, through
 * their handlers on a demo district (tests/fuzz/body_harness.h). */
#define BODY_FAMILY                                                                                     \
  {                                                                                                     \
    "referrals.", "family_doctor", "contracts.", "slots.", "remote.", "stats.", "fhir.service_request", \
        "fhir.task", NULL                                                                               \
  }
#include "tests/fuzz/body_harness.h"
