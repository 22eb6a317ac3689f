/* tests/unit/signalling/test_lifecycle.c — signalling/lifecycle.c: every
 * (state, event) pair against an independent table, actors, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "signalling/lifecycle.h"

#define B  LC_BOOKED
#define W  LC_WAITING
#define C  LC_CALLED
#define I  LC_IN_CALL
#define E  LC_ENDED
#define N  LC_NOTES_SIGNED
#define X  LC_CANCELLED
#define S  LC_NO_SHOW
#define NO (-1)

/* expected[state][event]: the state reached, or NO (illegal). Written from
 * issue 3 ("Call lifecycle"), not from the code. */
static const int expected[LC_STATE_COUNT][LC_EVENT_COUNT] = {
    /*            check_in leave call start end no_show cancel sign reset */
    [LC_BOOKED] = {W, NO, NO, NO, NO, NO, X, NO, NO},
    [LC_WAITING] = {NO, B, C, NO, NO, NO, X, NO, B},
    [LC_CALLED] = {NO, NO, NO, I, NO, S, X, NO, B},
    [LC_IN_CALL] = {NO, NO, NO, NO, E, NO, NO, NO, NO},
    [LC_ENDED] = {NO, NO, NO, NO, NO, NO, NO, N, NO},
    [LC_NOTES_SIGNED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO},
    [LC_CANCELLED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO},
    [LC_NO_SHOW] = {NO, NO, NO, NO, NO, NO, NO, NO, NO},
};

static void every_pair(void **state) {
  (void)state;
  for (int st = 0; st < LC_STATE_COUNT; st++) {
    for (int ev = 0; ev < LC_EVENT_COUNT; ev++) {
      enum lc_state to = LC_STATE_COUNT;
      unsigned actors = lifecycle_rule((enum lc_event)ev)->actors;
      enum lc_actor who = (actors & LC_BY_SYSTEM) ? LC_BY_SYSTEM : (enum lc_actor)actors;
      if (who != LC_BY_SYSTEM) who = (actors & LC_BY_DOCTOR) ? LC_BY_DOCTOR : LC_BY_PATIENT;
      int rc = lifecycle_step((enum lc_state)st, (enum lc_event)ev, who, &to);
      if (expected[st][ev] == NO) {
        assert_int_equal(rc, LY_ESTATE);
      } else {
        assert_int_equal(rc, 0);
        assert_int_equal(to, expected[st][ev]);
      }
    }
  }
}

static void actors(void **state) {
  enum lc_state to;
  (void)state;
  assert_int_equal(lifecycle_step(LC_BOOKED, LC_CHECK_IN, LC_BY_DOCTOR, &to), LY_EFORBIDDEN);
  assert_int_equal(lifecycle_step(LC_WAITING, LC_CALL, LC_BY_PATIENT, &to), LY_EFORBIDDEN);
  assert_int_equal(lifecycle_step(LC_CALLED, LC_START, LC_BY_DOCTOR, &to), LY_EFORBIDDEN);
  assert_int_equal(lifecycle_step(LC_IN_CALL, LC_END, LC_BY_PATIENT, &to), LY_EFORBIDDEN);
  assert_int_equal(lifecycle_step(LC_WAITING, LC_RESET, LC_BY_DOCTOR, &to), LY_EFORBIDDEN);
  assert_int_equal(lifecycle_step(LC_WAITING, LC_CANCEL, LC_BY_PATIENT, &to), 0);
  assert_int_equal(lifecycle_step(LC_WAITING, LC_CANCEL, LC_BY_DOCTOR, &to), 0);
  /* the state is checked before the actor: an illegal step says so */
  assert_int_equal(lifecycle_step(LC_ENDED, LC_CALL, LC_BY_PATIENT, &to), LY_ESTATE);
  assert_int_equal(lifecycle_step(LC_STATE_COUNT, LC_CALL, LC_BY_DOCTOR, &to), LY_EINVAL);
  assert_int_equal(lifecycle_step(LC_BOOKED, LC_EVENT_COUNT, LC_BY_DOCTOR, &to), LY_EINVAL);
}

static void names(void **state) {
  enum lc_state st;
  (void)state;
  for (int i = 0; i < LC_STATE_COUNT; i++) {
    assert_int_equal(lifecycle_state_parse(lifecycle_state_name((enum lc_state)i), &st), 0);
    assert_int_equal(st, i);
  }
  assert_string_equal(lifecycle_state_name(LC_IN_CALL), "in_call");
  assert_string_equal(lifecycle_event_name(LC_MARK_NO_SHOW), "no_show");
  assert_int_equal(lifecycle_state_parse("unknown", &st), LY_EINVAL);
  assert_int_equal(lifecycle_state_parse(NULL, &st), LY_EINVAL);
  assert_true(lifecycle_is_final(LC_NO_SHOW));
  assert_false(lifecycle_is_final(LC_CALLED));
  assert_true(lifecycle_is_open(LC_BOOKED));
  assert_false(lifecycle_is_open(LC_CANCELLED));
  assert_null(lifecycle_rule(LC_EVENT_COUNT));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_pair),
      cmocka_unit_test(actors),
      cmocka_unit_test(names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
