/* tests/unit/records/test_careplan.c — records/vitals.c, careplan.c, careplan_view.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/audit.h"
#include "records/careplan.h"
#include "records/vitals.h"
#include "tests/unit/records/fixture.h"

static int setup(void **state) {
  *state = fx_open();
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static const struct careplan_target BP = {"bp", 1, 1, 1, 1, 90, 140, 60, 90};
static const struct careplan_target GLU = {"glucose", 1, 1, 0, 0, 4.4, 7.0, 0, 0};

static void plan(struct fixture *f, char id[LY_ID_MAX]) {
  struct ly_error e;
  struct careplan_target t[] = {BP, GLU};
  struct careplan_new in = {"pat_1", "I10", 30, "每月随访", t, 2};
  assert_int_equal(careplan_create(&f->cx, &FX_DOC_A, &in, id, &e), 0);
}

static int add_bp(struct fixture *f, double s, double d, int *alerts) {
  struct ly_error e;
  char id[LY_ID_MAX];
  struct vitals_new v = {"pat_1", "bp", s, 1, d, FX_NOW - 60000, ""};
  return vitals_add(&f->cx, &FX_PATIENT, &v, id, alerts, &e);
}

static void test_out_of_range_alerts(void **state) {
  struct fixture *f = *state;
  char pid[LY_ID_MAX];
  int alerts = -1;
  plan(f, pid);
  /* boundaries are inside the target */
  assert_int_equal(add_bp(f, 140, 90, &alerts), 0);
  assert_int_equal(alerts, 0);
  assert_int_equal(add_bp(f, 141, 85, &alerts), 0);
  assert_int_equal(alerts, 1);
  assert_int_equal(add_bp(f, 130, 91, &alerts), 0);
  assert_int_equal(alerts, 1);
  assert_int_equal(add_bp(f, 120, 59, &alerts), 0);
  assert_int_equal(alerts, 1);
  /* a glucose value, and a kind without a target */
  struct ly_error e;
  char id[LY_ID_MAX];
  struct vitals_new g = {"pat_1", "glucose", 9.3, 0, 0, FX_NOW, ""};
  assert_int_equal(vitals_add(&f->cx, &FX_PATIENT, &g, id, &alerts, &e), 0);
  assert_int_equal(alerts, 1);
  struct vitals_new w = {"pat_1", "weight", 80, 0, 0, FX_NOW, ""};
  assert_int_equal(vitals_add(&f->cx, &FX_PATIENT, &w, id, &alerts, &e), 0);
  assert_int_equal(alerts, 0);
  json_t *list = NULL;
  assert_int_equal(careplan_alerts(&f->cx, &FX_DOC_A, 1, &list, &e), 0);
  assert_int_equal(json_array_size(list), 4);
  const char *aid = json_string_value(json_object_get(json_array_get(list, 0), "id"));
  assert_int_equal(careplan_ack(&f->cx, &FX_DOC_B, aid, &e), LY_EFORBIDDEN);
  assert_int_equal(careplan_ack(&f->cx, &FX_DOC_A, aid, &e), 0);
  assert_int_equal(careplan_ack(&f->cx, &FX_DOC_A, aid, &e), LY_ESTATE);
  json_decref(list);
  assert_int_equal(careplan_alerts(&f->cx, &FX_DOC_A, 1, &list, &e), 0);
  assert_int_equal(json_array_size(list), 3);
  json_decref(list);
  assert_int_equal(vitals_list(&f->cx, &FX_PATIENT, "pat_1", "bp", 0, &list, &e), 0);
  assert_int_equal(json_array_size(list), 4);
  json_decref(list);
}

static void test_missed_follow_up(void **state) {
  struct fixture *f = *state;
  char pid[LY_ID_MAX];
  struct ly_error e;
  int created = -1;
  plan(f, pid);
  f->clock.now = FX_NOW + 30 * FX_DAY; /* due exactly now: not missed yet */
  assert_int_equal(careplan_check_missed(&f->cx, &created), 0);
  assert_int_equal(created, 0);
  f->clock.now = FX_NOW + 31 * FX_DAY;
  assert_int_equal(careplan_check_missed(&f->cx, &created), 0);
  assert_int_equal(created, 1);
  assert_int_equal(careplan_check_missed(&f->cx, &created), 0); /* once per due date */
  assert_int_equal(created, 0);
  assert_int_equal(careplan_followup(&f->cx, &FX_DOC_B, pid, &e), LY_EFORBIDDEN);
  assert_int_equal(careplan_followup(&f->cx, &FX_DOC_A, pid, &e), 0);
  assert_int_equal(careplan_check_missed(&f->cx, &created), 0);
  assert_int_equal(created, 0);
  f->clock.now = FX_NOW + 62 * FX_DAY;
  assert_int_equal(careplan_check_missed(&f->cx, &created), 0);
  assert_int_equal(created, 1);
  assert_int_equal(careplan_close(&f->cx, &FX_DOC_A, pid, &e), 0);
  f->clock.now = FX_NOW + 200 * FX_DAY;
  assert_int_equal(careplan_check_missed(&f->cx, &created), 0);
  assert_int_equal(created, 0);
  assert_int_equal(careplan_followup(&f->cx, &FX_DOC_A, pid, &e), LY_ESTATE);
  json_t *plans = NULL;
  assert_int_equal(careplan_list(&f->cx, &FX_DOC_A, "pat_1", &plans, &e), 0);
  assert_int_equal(json_array_size(json_object_get(json_array_get(plans, 0), "targets")), 2);
  json_decref(plans);
  int64_t checked = 0, bad = 0;
  assert_int_equal(ly_audit_verify(f->db, &checked, &bad), 0);
}

static void test_implausible_vitals(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  struct vitals_new cases[] = {
      {"pat_1", "bp", 301, 1, 80, FX_NOW, ""},
      {"pat_1", "bp", 120, 0, 0, FX_NOW, ""},
      {"pat_1", "bp", 80, 1, 90, FX_NOW, ""},
      {"pat_1", "glucose", 0.4, 0, 0, FX_NOW, ""},
      {"pat_1", "weight", 80, 1, 3, FX_NOW, ""},
      {"pat_1", "temperature", 37, 0, 0, FX_NOW, ""},
      {"pat_1", "heart_rate", 70, 0, 0, FX_NOW + 3600000, ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_int_equal(vitals_add(&f->cx, &FX_PATIENT, &cases[i], id, NULL, &e), LY_EINVAL);
  struct vitals_new ok = {"nobody", "heart_rate", 70, 0, 0, FX_NOW, ""};
  assert_int_equal(vitals_add(&f->cx, &FX_PATIENT, &ok, id, NULL, &e), LY_ENOTFOUND);
  assert_int_equal(vitals_add(&f->cx, &FX_PH_A, &ok, id, NULL, &e), LY_EFORBIDDEN);
  struct careplan_target bad = {"bp", 1, 1, 0, 0, 150, 100, 0, 0};
  struct careplan_new in = {"pat_1", "I10", 30, "", &bad, 1};
  assert_int_equal(careplan_create(&f->cx, &FX_DOC_A, &in, id, &e), LY_EINVAL);
  in.ntargets = 0;
  in.follow_up_days = 0;
  assert_int_equal(careplan_create(&f->cx, &FX_DOC_A, &in, id, &e), LY_EINVAL);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM vitals") + fx_int(f, "SELECT count(*) FROM care_plans"),
                   0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_out_of_range_alerts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missed_follow_up, setup, teardown),
      cmocka_unit_test_setup_teardown(test_implausible_vitals, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
