/* tests/fuzz/fuzz_body_rx.c — request bodies and queries of the rx.* routes
 * (prescriptions, review, renewals, supervision, dispatch) through their
 * handlers on a demo district (tests/fuzz/body_harness.h). */
#define BODY_FAMILY \
  { "rx.", NULL }
#include "tests/fuzz/body_harness.h"
