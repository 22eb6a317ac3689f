/* tests/fuzz/fuzz_body_records.c — request bodies and queries of the
 * records.* routes (diagnoses, uploads, notes, lab orders and results,
 * vitals, care plans, alerts) through their handlers on a demo district
 * (tests/fuzz/body_harness.h). */
#define BODY_FAMILY \
  { "records.", NULL }
#include "tests/fuzz/body_harness.h"
