/* tests/fuzz/fuzz_body_claims.c — request bodies and queries of insurance:
 * estimates, settlements, batches, reversals, statements, policy versions
 * and the FHIR Claim views, through their handlers on a demo district
 * (tests/fuzz/body_harness.h). */
#define BODY_FAMILY \
  { "claims.", "policies.", "coverage.", "fhir.claim", NULL }
#include "tests/fuzz/body_harness.h"
