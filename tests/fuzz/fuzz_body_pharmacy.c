/* tests/fuzz/fuzz_body_pharmacy.c — request bodies and queries of the
 * pharmacy console (walk-in codes, claims, secrets, dispensing, delivery,
 * stock) through their handlers on a demo district
 * (tests/fuzz/body_harness.h). */
#define BODY_FAMILY \
  { "pharmacy.", NULL }
#include "tests/fuzz/body_harness.h"
