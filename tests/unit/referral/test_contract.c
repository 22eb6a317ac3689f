/* tests/unit/referral/test_contract.c — referral/contract.c, contract_view.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "records/careplan.h"
#include "referral/contract.h"
#include "tests/unit/referral/fixture.h"

static int setup(void **state) {
  *state = fx_open();
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static void test_sign_switch_end(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char a[LY_ID_MAX], b[LY_ID_MAX], c[LY_ID_MAX];
  int switched = -1;
  /* only a patient signs, and only with a GP at a community centre */
  assert_int_equal(contract_sign(&f->cx, &FX_GP, "gp", a, &switched, &e), LY_EFORBIDDEN);
  assert_int_equal(contract_sign(&f->cx, &FX_PAT1, "spec", a, &switched, &e), LY_EDENIED);
  assert_string_equal(e.code, "referral.contract_gp_only");
  assert_int_equal(contract_sign(&f->cx, &FX_PAT1, "nobody", a, &switched, &e), LY_ENOTFOUND);
  assert_int_equal(contract_sign(&f->cx, &FX_PAT1, "gp", a, &switched, &e), 0);
  assert_int_equal(switched, 0);
  assert_int_equal(contract_sign(&f->cx, &FX_PAT1, "gp", b, &switched, &e), 0); /* again: the same */
  assert_string_equal(a, b);
  assert_int_equal(contract_sign(&f->cx, &FX_PAT1, "gp2", c, &switched, &e), 0); /* switch */
  assert_int_equal(switched, 1);
  assert_int_equal(fx_int(f,
                          "SELECT COUNT(*) FROM family_doctor_contracts WHERE patient_id = 'pat_1'"
                          " AND state = 'active'"),
                   1);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM family_doctor_contracts WHERE end_reason = 'switched'"),
                   1);
  json_t *o = NULL;
  assert_int_equal(contract_get_json(&f->cx, &FX_PAT1, "pat_1", &o, &e), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "contract"), "doctor_id")), "gp2");
  assert_int_equal(json_array_size(json_object_get(o, "history")), 2);
  json_decref(o);
  assert_int_equal(contract_get_json(&f->cx, &FX_PAT2, "pat_1", &o, &e), LY_EFORBIDDEN);
  /* the old GP may not end it; the new GP or the patient may */
  assert_int_equal(contract_end(&f->cx, &FX_GP, "pat_1", NULL, &e), LY_EFORBIDDEN);
  assert_int_equal(contract_end(&f->cx, &FX_PAT2, "pat_1", NULL, &e), LY_EFORBIDDEN);
  assert_int_equal(contract_end(&f->cx, &FX_PAT1, NULL, "搬家", &e), 0);
  assert_int_equal(contract_end(&f->cx, &FX_PAT1, NULL, NULL, &e), LY_ENOTFOUND);
  assert_string_equal(e.code, "referral.no_contract");
  assert_int_equal(contract_get_json(&f->cx, &FX_PAT1, "pat_1", &o, &e), 0);
  assert_true(json_is_null(json_object_get(o, "contract")));
  json_decref(o);
}

static void test_gp_console(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  int switched;
  assert_int_equal(contract_sign(&f->cx, &FX_PAT1, "gp", id, &switched, &e), 0);
  assert_int_equal(contract_sign(&f->cx, &FX_PAT2, "gp", id, &switched, &e), 0);
  fx_sql(f,
         "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified,"
         " created_at) VALUES ('dx1', 'pat_1', 'I10', 'fac_c', 1, 'facility', 1, 1),"
         " ('dx2', 'pat_1', 'J06', 'fac_c', 1, 'facility', 1, 1)");
  struct records_actor gp = {"gp", "doctor", "fac_c"};
  struct careplan_new plan = {"pat_1", "I10", 30, "", NULL, 0};
  char pid[LY_ID_MAX];
  assert_int_equal(careplan_create(&f->rcx, &gp, &plan, pid, &e), 0);
  json_t *list = NULL;
  assert_int_equal(contract_patients_json(&f->cx, &FX_GP, &list, &e), 0);
  assert_int_equal(json_array_size(list), 2);
  json_t *p1 = NULL;
  size_t i;
  json_t *it;
  json_array_foreach(list, i, it) {
    if (strcmp(json_string_value(json_object_get(it, "patient_id")), "pat_1") == 0) p1 = it;
  }
  assert_non_null(p1);
  assert_int_equal(json_integer_value(json_object_get(p1, "active_plans")), 1);
  assert_int_equal(json_array_size(json_object_get(p1, "conditions")), 1); /* chronic only */
  json_decref(list);
  assert_int_equal(contract_patients_json(&f->cx, &FX_GP2, &list, &e), 0);
  assert_int_equal(json_array_size(list), 0);
  json_decref(list);
  assert_int_equal(contract_patients_json(&f->cx, &FX_PAT1, &list, &e), LY_EFORBIDDEN);
  /* the doctors a patient may choose: GPs only, their own subdistrict first */
  assert_int_equal(contract_gps_json(&f->cx, &FX_PAT2, NULL, &list, &e), 0);
  assert_int_equal(json_array_size(list), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "doctor_id")), "gp2");
  json_decref(list);
  assert_int_equal(contract_gps_json(&f->cx, &FX_PAT2, "sd1", &list, &e), 0);
  assert_int_equal(json_array_size(list), 1);
  json_decref(list);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_sign_switch_end, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gp_console, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
