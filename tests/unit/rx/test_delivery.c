/* tests/unit/rx/test_delivery.c — rx/delivery.c: preparing → out → delivered
 * with the patient's code (five wrong codes lock it, even the right code is
 * refused until the patient resets it), the failure path back to the
 * pharmacy, and repeats that change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/audit.h"
#include "rx/delivery.h"
#include "rx/dispense.h"
#include "rx/pharmacy_claim.h"
#include "rx/receipt.h"
#include "tests/unit/rx/pharmacy_fixture.h"

struct dlfx {
  struct pxfx *t;
  char id[LY_ID_MAX];
  char secret[CLAIM_SECRET_CHARS + 1];
};

/* A ready prescription dispatched for delivery to ph_near and claimed. */
static int setup(void **state) {
  struct dlfx *d = calloc(1, sizeof *d);
  struct ly_error e;
  struct pharmacy_claim_out out;
  d->t = px_open();
  px_ready(d->t, d->id, 0);
  assert_int_equal(px_dispatch(d->t, d->id, "delivery", "ph_near", &e), 0);
  assert_int_equal(pharmacy_claim(&d->t->cx, &PA_NEAR, d->id, &out, &e), 0);
  assert_string_equal(json_string_value(json_object_get(out.view, "mode")), "delivery");
  assert_string_equal(json_string_value(json_object_get(json_object_get(out.view, "delivery"), "state")),
                      "preparing");
  assert_null(json_object_get(json_object_get(out.view, "delivery"), "code"));
  snprintf(d->secret, sizeof d->secret, "%s", out.secret);
  json_decref(out.view);
  *state = d;
  return 0;
}

static int teardown(void **state) {
  struct dlfx *d = *state;
  px_close(d->t);
  free(d);
  return 0;
}

/* The code the patient's app shows. */
static void patient_code(struct dlfx *d, char code[8]) {
  json_t *s = NULL;
  struct ly_error e;
  assert_int_equal(dispatch_status(&d->t->cx, &FX_PATIENT, d->id, &s, &e), 0);
  const char *c = json_string_value(json_object_get(json_object_get(s, "delivery"), "code"));
  assert_non_null(c);
  assert_int_equal(strlen(c), DELIVERY_CODE_DIGITS);
  snprintf(code, 8, "%s", c);
  json_decref(s);
}

static void dispense_all(struct dlfx *d) {
  struct ly_error e;
  struct dispense_item_in all = {1, NULL, 4, NULL};
  struct dispense_in in = {d->id, d->secret, "all", &all, 1};
  json_t *r = NULL;
  assert_int_equal(dispense_record(&d->t->cx, &PA_NEAR, &in, &r, &e), 0);
  json_decref(r);
}

static int out(struct dlfx *d, struct ly_error *e) {
  json_t *o = NULL;
  int rc = delivery_out(&d->t->cx, &PA_NEAR, d->id, d->secret, &o, e);
  json_decref(o);
  return rc;
}

static int deliver(struct dlfx *d, const char *code, struct ly_error *e) {
  json_t *r = NULL;
  int rc = delivery_deliver(&d->t->cx, &PA_NEAR, d->id, d->secret, code, &r, e);
  json_decref(r);
  return rc;
}

static void test_wrong_code_five_times_then_locked_until_reset(void **state) {
  struct dlfx *d = *state;
  struct ly_error e;
  char code[8], wrong[8];
  assert_int_equal(out(d, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.nothing_dispensed");
  dispense_all(d);
  json_t *r = NULL;
  assert_int_equal(dispense_complete(&d->t->cx, &PA_NEAR, d->id, d->secret, &r, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.delivery_pending");
  assert_int_equal(out(d, &e), 0);
  assert_int_equal(out(d, &e), 0); /* a repeat changes nothing */
  struct dispense_item_in more = {1, NULL, 1, NULL};
  struct dispense_in in = {d->id, d->secret, "late", &more, 1};
  assert_int_equal(dispense_record(&d->t->cx, &PA_NEAR, &in, &r, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.delivery_started");
  patient_code(d, code);
  snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
  for (int i = 1; i <= 4; i++) {
    assert_int_equal(deliver(d, i == 2 ? "12ab" : wrong, &e), LY_EDENIED);
    assert_string_equal(e.code, "rx.delivery_code_wrong");
  }
  assert_int_equal(deliver(d, wrong, &e), LY_ERATE);
  assert_string_equal(e.code, "rx.delivery_locked");
  /* locked: the right code is refused too */
  assert_int_equal(deliver(d, code, &e), LY_ERATE);
  assert_string_equal(e.code, "rx.delivery_locked");
  assert_string_equal(px_state(d->t, d->id), "in_progress");
  /* only the patient resets */
  json_t *v = NULL;
  struct records_actor staff = {"st_near", "pharmacy_staff", NULL};
  assert_int_equal(delivery_reset_code(&d->t->cx, &staff, d->id, &v, &e), LY_ENOTFOUND);
  assert_int_equal(delivery_reset_code(&d->t->cx, &FX_PATIENT, d->id, &v, &e), 0);
  assert_int_equal(json_integer_value(json_object_get(v, "wrong_tries")), 0);
  assert_false(json_is_true(json_object_get(v, "locked")));
  json_decref(v);
  char fresh[8];
  patient_code(d, fresh);
  json_t *rec = NULL;
  assert_int_equal(delivery_deliver(&d->t->cx, &PA_NEAR, d->id, d->secret, fresh, &rec, &e), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "document"), "mode")),
                      "delivery");
  assert_string_equal(px_state(d->t, d->id), "completed");
  /* a repeat returns the same receipt */
  json_t *again = NULL;
  assert_int_equal(delivery_deliver(&d->t->cx, &PA_NEAR, d->id, d->secret, fresh, &again, &e), 0);
  assert_string_equal(json_string_value(json_object_get(rec, "id")),
                      json_string_value(json_object_get(again, "id")));
  json_decref(again);
  json_decref(rec);
  assert_int_equal(px_count(d->t->f, "SELECT count(*) FROM rx_receipts", NULL), 1);
  /* wrong tries are in the audit chain; the codes are not */
  assert_int_equal(
      px_count(d->t->f, "SELECT count(*) FROM audit WHERE outcome = 'rx.delivery_code_wrong'", NULL), 4);
  assert_int_equal(
      px_count(d->t->f, "SELECT count(*) FROM audit WHERE instr(coalesce(detail, ''), ?1) > 0", fresh), 0);
}

static void test_failure_path(void **state) {
  struct dlfx *d = *state;
  struct ly_error e;
  json_t *o = NULL;
  dispense_all(d);
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 16);
  assert_int_equal(delivery_fail(&d->t->cx, &PA_NEAR, d->id, d->secret, "无人签收", &o, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.delivery_illegal_transition");
  assert_int_equal(out(d, &e), 0);
  assert_int_equal(delivery_fail(&d->t->cx, &PA_NEAR, d->id, d->secret, "", &o, &e), LY_EINVAL);
  assert_int_equal(delivery_fail(&d->t->cx, &PA_NEAR, d->id, d->secret, "无人签收", &o, &e), 0);
  assert_string_equal(json_string_value(json_object_get(o, "state")), "failed");
  assert_string_equal(json_string_value(json_object_get(o, "failed_reason")), "无人签收");
  json_decref(o);
  assert_int_equal(delivery_fail(&d->t->cx, &PA_NEAR, d->id, d->secret, "无人签收", &o, &e), 0);
  json_decref(o);
  char code[8];
  patient_code(d, code);
  assert_int_equal(deliver(d, code, &e), LY_ESTATE);
  /* back at the pharmacy: send it again … */
  assert_int_equal(out(d, &e), 0);
  assert_int_equal(delivery_fail(&d->t->cx, &PA_NEAR, d->id, d->secret, "地址错误", &o, &e), 0);
  json_decref(o);
  /* … or release it: what was handed out comes back into stock */
  int repeat = 0;
  assert_int_equal(pharmacy_release(&d->t->cx, &PA_NEAR, d->id, d->secret, "配送失败", &repeat, &e), 0);
  assert_string_equal(px_state(d->t, d->id), "ready");
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 20);
  assert_int_equal(
      px_count(d->t->f, "SELECT count(*) FROM pharmacy_stock_moves WHERE reason = 'return'", NULL), 1);
  /* the patient chooses again; the new claim starts a new delivery */
  assert_int_equal(px_dispatch(d->t, d->id, "delivery", "ph_near", &e), 0);
  struct pharmacy_claim_out co;
  assert_int_equal(pharmacy_claim(&d->t->cx, &PA_NEAR, d->id, &co, &e), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(co.view, "delivery"), "state")),
                      "preparing");
  assert_string_not_equal(co.secret, d->secret);
  json_decref(co.view);
}

static void test_pickup_has_no_delivery(void **state) {
  struct dlfx *d = *state;
  struct ly_error e;
  char id[LY_ID_MAX], secret[CLAIM_SECRET_CHARS + 1];
  struct pharmacy_claim_out co;
  px_ready(d->t, id, 0);
  assert_int_equal(px_dispatch(d->t, id, "pickup", "ph_far", &e), 0);
  assert_int_equal(pharmacy_claim(&d->t->cx, &PA_FAR, id, &co, &e), 0);
  snprintf(secret, sizeof secret, "%s", co.secret);
  json_decref(co.view);
  json_t *o = NULL;
  assert_int_equal(delivery_out(&d->t->cx, &PA_FAR, id, secret, &o, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.not_delivery");
  /* another pharmacy's delivery is not even visible */
  assert_int_equal(delivery_out(&d->t->cx, &PA_FAR, d->id, d->secret, &o, &e), LY_ENOTFOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_wrong_code_five_times_then_locked_until_reset, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failure_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pickup_has_no_delivery, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
