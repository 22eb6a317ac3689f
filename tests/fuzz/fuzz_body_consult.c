/* tests/fuzz/fuzz_body_consult.c — request bodies and queries of booking,
 * consultations, ratings, the doctor directory and the caller's own account
 * (sessions.create is left out: each run would spend a whole scrypt) through
 * their handlers on a demo district (tests/fuzz/body_harness.h). */
#define BODY_FAMILY \
  { "consultations.", "doctors.", "me.", "sessions.", NULL }
#include "tests/fuzz/body_harness.h"
