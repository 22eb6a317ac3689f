/* tests/unit/referral/test_stats.c — referral/stats.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "referral/slot.h"
#include "referral/stats.h"
#include "tests/unit/referral/fixture.h"

static int setup(void **state) {
  *state = fx_open();
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static void scheduled_after(struct fixture *f, int64_t delay_ms, enum referral_event last,
                            char id[LY_ID_MAX]) {
  struct ly_error e;
  struct referral_up_new in = {"pat_1", "dept_t_card", "routine", "I10", "r", NULL, NULL, 0};
  assert_int_equal(referral_create_up(&f->cx, &FX_GP, &in, id, &e), 0);
  struct referral_act a = {REFERRAL_ACCEPT, NULL, NULL, NULL};
  assert_int_equal(referral_transition(&f->cx, &FX_SPEC, id, &a, &e), 0);
  f->clock.now += delay_ms;
  a.ev = REFERRAL_SCHEDULE;
  assert_int_equal(referral_transition(&f->cx, &FX_SPEC, id, &a, &e), 0);
  if (last == REFERRAL_SCHEDULE) return;
  a.ev = last;
  assert_int_equal(referral_transition(&f->cx, &FX_SPEC, id, &a, &e), 0);
}

static void test_figures(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  int n, r;
  char id[LY_ID_MAX];
  struct slot_publish p = {"dept_t_card", FX_NOW + 30 * FX_DAY, 15, 50, 10000};
  assert_int_equal(slot_publish(&f->cx, &FX_SPEC, &p, &n, &r, &e), 0);
  scheduled_after(f, 1000, REFERRAL_SCHEDULE, id);
  scheduled_after(f, 3000, REFERRAL_MARK_NO_SHOW, id);
  scheduled_after(f, 5000, REFERRAL_ARRIVE, id);
  scheduled_after(f, 9000, REFERRAL_ARRIVE, id);
  struct referral_up_new in = {"pat_1", "dept_t_card", "routine", "I10", "r", NULL, NULL, 0};
  assert_int_equal(referral_create_up(&f->cx, &FX_GP, &in, id, &e), 0);
  struct referral_down_new down = {"pat_1", "gp", "I10", "稳定", NULL, 30, NULL, NULL, 0};
  assert_int_equal(referral_create_down(&f->cx, &FX_SPEC, &down, id, &e), 0);
  json_t *o = NULL;
  assert_int_equal(stats_referrals_json(f->db, 0, FX_NOW + FX_DAY, NULL, &o), 0);
  json_t *tot = json_object_get(o, "totals");
  assert_int_equal(json_integer_value(json_object_get(tot, "up")), 5);
  assert_int_equal(json_integer_value(json_object_get(tot, "down")), 1);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(tot, "states"), "arrived")), 2);
  assert_int_equal(json_integer_value(json_object_get(o, "scheduled")), 4);
  /* delays 1000, 3000, 5000, 9000 → median 4000 */
  assert_int_equal(json_integer_value(json_object_get(o, "median_request_to_scheduled_ms")), 4000);
  assert_int_equal(json_integer_value(json_object_get(o, "no_shows")), 1);
  assert_int_equal(json_integer_value(json_object_get(o, "attended")), 2);
  assert_true(json_real_value(json_object_get(o, "no_show_rate")) > 0.33 &&
              json_real_value(json_object_get(o, "no_show_rate")) < 0.34);
  /* by facility and month: the centre sent 5 up and got 1 down; the hospital the reverse */
  json_t *rows = json_object_get(o, "by_facility_month");
  assert_int_equal(json_array_size(rows), 2);
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    assert_string_equal(json_string_value(json_object_get(row, "month")), "2026-06");
    int centre = strcmp(json_string_value(json_object_get(row, "facility_id")), "fac_c") == 0;
    assert_int_equal(json_integer_value(json_object_get(row, centre ? "up_out" : "up_in")), 5);
    assert_int_equal(json_integer_value(json_object_get(row, centre ? "down_in" : "down_out")), 1);
  }
  json_decref(o);
  /* one facility, and an empty range */
  assert_int_equal(stats_referrals_json(f->db, 0, FX_NOW + FX_DAY, "fac_c2", &o), 0);
  assert_int_equal(json_array_size(json_object_get(o, "by_facility_month")), 0);
  assert_true(json_is_null(json_object_get(o, "median_request_to_scheduled_ms")));
  assert_true(json_is_null(json_object_get(o, "no_show_rate")));
  json_decref(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_figures, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
