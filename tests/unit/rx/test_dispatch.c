/* tests/unit/rx/test_dispatch.c — rx/pharmacy.c (search), rx/dispatch.c and
 * rx/dispatch_view.c over a real database: nearest first, stock and
 * delivery areas, the patient's choice, the queue and its paging, and the
 * lapse job. */
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
#include "rx/dispatch.h"
#include "rx/notice.h"
#include "rx/pharmacy.h"
#include "rx/pharmacy_claim.h"
#include "tests/unit/rx/pharmacy_fixture.h"

static int setup(void **state) {
  *state = px_open();
  return 0;
}

static int teardown(void **state) {
  px_close(*state);
  return 0;
}

static json_t *search(struct pxfx *t, const char *id, const char *mode, struct ly_error *e, int *rc) {
  struct pharmacy_search_in in = {id, mode, 0, 0, 0, 0};
  json_t *out = NULL;
  *rc = pharmacy_search(&t->cx, &FX_PATIENT, &in, &out, e);
  return out;
}

static const char *nth_id(json_t *res, size_t i) {
  return json_string_value(json_object_get(json_array_get(json_object_get(res, "pharmacies"), i), "id"));
}

static void test_search_pickup_nearest_first(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX];
  struct ly_error e;
  int rc;
  px_ready(t, id, 0);
  json_t *r = search(t, id, "pickup", &e, &rc);
  assert_int_equal(rc, 0);
  json_t *list = json_object_get(r, "pharmacies");
  /* ph_empty has no amlodipine: not offered for pickup */
  assert_int_equal(json_array_size(list), 3);
  assert_string_equal(nth_id(r, 0), "ph_near");
  assert_string_equal(nth_id(r, 1), "ph_other");
  assert_string_equal(nth_id(r, 2), "ph_far");
  json_t *near = json_array_get(list, 0);
  assert_true(json_integer_value(json_object_get(near, "distance_m")) < 200);
  assert_true(json_is_true(json_object_get(near, "in_stock")));
  assert_string_equal(json_string_value(json_object_get(near, "opens")), "08:00");
  /* 10:00 UTC is 18:00 in China: near (08-22) open, ph_far always open */
  assert_true(json_is_true(json_object_get(near, "open_now")));
  json_decref(r);
  /* from the phone's position next to ph_far, ph_far comes first */
  struct pharmacy_search_in in = {id, "pickup", 1, 39.95, 116.45, 2};
  assert_int_equal(pharmacy_search(&t->cx, &FX_PATIENT, &in, &r, &e), 0);
  assert_string_equal(nth_id(r, 0), "ph_far");
  assert_int_equal(json_array_size(json_object_get(r, "pharmacies")), 2);
  json_decref(r);
}

static void test_search_two_lines_and_delivery(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX];
  struct ly_error e;
  int rc;
  px_ready(t, id, 1);
  json_t *r = search(t, id, "pickup", &e, &rc);
  assert_int_equal(rc, 0);
  /* ph_other has no metformin */
  assert_int_equal(json_array_size(json_object_get(r, "pharmacies")), 2);
  assert_string_equal(nth_id(r, 0), "ph_near");
  assert_string_equal(nth_id(r, 1), "ph_far");
  json_decref(r);
  r = search(t, id, "delivery", &e, &rc);
  assert_int_equal(rc, 0);
  /* only ph_near delivers to sd1 (ph_other delivers to sd2) */
  assert_int_equal(json_array_size(json_object_get(r, "pharmacies")), 1);
  assert_string_equal(nth_id(r, 0), "ph_near");
  json_decref(r);
}

static void test_search_refusals(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX];
  struct ly_error e;
  int rc;
  px_ready(t, id, 0);
  assert_null(search(t, id, "teleport", &e, &rc));
  assert_int_equal(rc, LY_EINVAL);
  struct pharmacy_search_in in = {id, "pickup", 1, 91.0, 0, 0};
  json_t *r = NULL;
  assert_int_equal(pharmacy_search(&t->cx, &FX_PATIENT, &in, &r, &e), LY_EINVAL);
  /* another account, a doctor: not found */
  in.has_point = 0;
  assert_int_equal(pharmacy_search(&t->cx, &FX_DOC_A, &in, &r, &e), LY_ENOTFOUND);
  assert_string_equal(e.code, "rx.not_found");
  struct records_actor other = {"someone", "patient", NULL};
  assert_int_equal(pharmacy_search(&t->cx, &other, &in, &r, &e), LY_ENOTFOUND);
  in.prescription_id = "rx_nope";
  assert_int_equal(pharmacy_search(&t->cx, &FX_PATIENT, &in, &r, &e), LY_ENOTFOUND);
  /* not ready */
  assert_int_equal(prescription_cancel(&t->cx, &FX_DOC_A, id, "改方案", &e), 0);
  in.prescription_id = id;
  assert_int_equal(pharmacy_search(&t->cx, &FX_PATIENT, &in, &r, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.not_ready");
}

static void test_open_hours(void **state) {
  (void)state;
  assert_true(pharmacy_open_at("08:00", "22:00", 8 * 60));
  assert_false(pharmacy_open_at("08:00", "22:00", 22 * 60));
  assert_false(pharmacy_open_at("08:00", "22:00", 7 * 60 + 59));
  assert_true(pharmacy_open_at("22:00", "06:00", 23 * 60));
  assert_true(pharmacy_open_at("22:00", "06:00", 5 * 60));
  assert_false(pharmacy_open_at("22:00", "06:00", 12 * 60));
  assert_true(pharmacy_open_at("00:00", "00:00", 3 * 60));
  assert_false(pharmacy_open_at("8:00", "22:00", 9 * 60));
  assert_false(pharmacy_open_at("08:00", "25:00", 9 * 60));
  double d = pharmacy_distance_m(39.9, 116.4, 39.9, 116.41);
  assert_true(d > 850 && d < 860);
}

static void test_choose(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX];
  struct ly_error e;
  px_ready(t, id, 0);
  assert_int_equal(px_dispatch(t, id, "pickup", "ph_empty", &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.pharmacy_lacks_stock");
  assert_int_equal(px_dispatch(t, id, "delivery", "ph_far", &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.pharmacy_no_delivery");
  assert_int_equal(px_dispatch(t, id, "delivery", "ph_other", &e), LY_EDENIED);
  assert_int_equal(px_dispatch(t, id, "pickup", "ph_nowhere", &e), LY_ENOTFOUND);
  assert_string_equal(e.code, "rx.pharmacy_not_found");
  struct dispatch_in in = {id, "pickup", "ph_near", NULL, 0};
  struct dispatch_out out;
  assert_int_equal(dispatch_choose(&t->cx, &FX_PATIENT, &in, &out, &e), 0);
  assert_false(out.repeat);
  assert_string_equal(out.withdrawn_from, "");
  json_t *d = json_object_get(out.view, "dispatch");
  assert_string_equal(json_string_value(json_object_get(d, "state")), "open");
  assert_int_equal(json_integer_value(json_object_get(d, "deadline_at")) -
                       json_integer_value(json_object_get(d, "created_at")),
                   DISPATCH_DEADLINE_DEFAULT_MS);
  json_decref(out.view);
  char first[LY_ID_MAX];
  snprintf(first, sizeof first, "%s", out.dispatch_id);
  /* the same choice again changes nothing */
  assert_int_equal(dispatch_choose(&t->cx, &FX_PATIENT, &in, &out, &e), 0);
  assert_true(out.repeat);
  assert_string_equal(out.dispatch_id, first);
  json_decref(out.view);
  /* another pharmacy: the first is withdrawn */
  in.pharmacy_id = "ph_far";
  assert_int_equal(dispatch_choose(&t->cx, &FX_PATIENT, &in, &out, &e), 0);
  assert_string_equal(out.withdrawn_from, "ph_near");
  json_decref(out.view);
  assert_int_equal(
      px_count(t->f, "SELECT count(*) FROM rx_dispatches WHERE prescription_id = ?1 AND state = 'open'", id),
      1);
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_dispatches WHERE state = 'withdrawn'", NULL), 1);
  /* only the patient chooses */
  struct records_actor staff = {"st_near", "pharmacy_staff", NULL};
  assert_int_equal(dispatch_choose(&t->cx, &staff, &in, &out, &e), LY_ENOTFOUND);
  assert_string_equal(px_state(t, id), "ready");
}

static json_t *queue(struct pxfx *t, const struct pharmacy_actor *pa, const char *cursor, int limit) {
  json_t *q = NULL;
  struct ly_error e;
  int rc = dispatch_queue(&t->cx, pa, cursor, limit, &q, &e);
  if (rc) print_error("queue: %s\n", e.code);
  assert_int_equal(rc, 0);
  return q;
}

static void test_queue_oldest_first_paged(void **state) {
  struct pxfx *t = *state;
  char ids[5][LY_ID_MAX];
  struct ly_error e;
  for (int i = 0; i < 5; i++) {
    px_ready(t, ids[i], 0);
    t->f->clock.now += 1000;
    assert_int_equal(px_dispatch(t, ids[i], "pickup", "ph_far", &e), 0);
  }
  json_t *q = queue(t, &PA_FAR, NULL, 2);
  assert_int_equal(json_integer_value(json_object_get(q, "total")), 5);
  json_t *items = json_object_get(q, "items");
  assert_int_equal(json_array_size(items), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "prescription_id")),
                      ids[0]);
  assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "prescription_id")),
                      ids[1]);
  json_t *first = json_array_get(items, 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(first, "patient"), "name_masked")),
                      "患**");
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(json_object_get(first, "items"), 0), "drug_id")),
      "amlodipine");
  char cursor[DISPATCH_CURSOR_MAX + 1];
  snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(q, "next")));
  json_decref(q);
  q = queue(t, &PA_FAR, cursor, 2);
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(json_object_get(q, "items"), 0), "prescription_id")),
      ids[2]);
  snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(q, "next")));
  json_decref(q);
  q = queue(t, &PA_FAR, cursor, 2);
  assert_int_equal(json_array_size(json_object_get(q, "items")), 1);
  assert_true(json_is_null(json_object_get(q, "next")));
  json_decref(q);
  /* another pharmacy sees none of it */
  q = queue(t, &PA_NEAR, NULL, 0);
  assert_int_equal(json_integer_value(json_object_get(q, "total")), 0);
  json_decref(q);
  /* each prescription's first listing is audited once, however often it is polled */
  json_decref(queue(t, &PA_FAR, NULL, 50));
  json_decref(queue(t, &PA_FAR, NULL, 50));
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM audit WHERE action = 'rx.queue_view'", NULL), 5);
  /* hostile cursors */
  json_t *bad = NULL;
  assert_int_equal(dispatch_queue(&t->cx, &PA_FAR, "x.y", 2, &bad, &e), LY_EINVAL);
  assert_int_equal(dispatch_queue(&t->cx, &PA_FAR, "12", 2, &bad, &e), LY_EINVAL);
  assert_int_equal(dispatch_queue(&t->cx, &PA_FAR, NULL, 201, &bad, &e), LY_EINVAL);
}

static void test_lapse(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX];
  struct ly_error e;
  px_ready(t, id, 0);
  struct dispatch_in in = {id, "pickup", "ph_far", NULL, 60000};
  struct dispatch_out out;
  assert_int_equal(dispatch_choose(&t->cx, &FX_PATIENT, &in, &out, &e), 0);
  json_decref(out.view);
  struct dispatch_lapsed l[DISPATCH_LAPSE_BATCH];
  size_t n = 9;
  assert_int_equal(dispatch_lapse_due(&t->cx, l, &n), 0);
  assert_int_equal(n, 0);
  t->f->clock.now += 60001;
  /* past the deadline the pharmacy neither sees nor claims it, even before the job runs */
  json_t *q = queue(t, &PA_FAR, NULL, 0);
  assert_int_equal(json_array_size(json_object_get(q, "items")), 0);
  json_decref(q);
  struct pharmacy_claim_out co;
  assert_int_equal(pharmacy_claim(&t->cx, &PA_FAR, id, &co, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.dispatch_lapsed");
  assert_int_equal(dispatch_lapse_due(&t->cx, l, &n), 0);
  assert_int_equal(n, 1);
  assert_true(l[0].lapsed);
  assert_string_equal(l[0].pharmacy_id, "ph_far");
  assert_string_equal(l[0].prescription_id, id);
  assert_string_equal(l[0].patient_account, "pat_acct");
  assert_int_equal(dispatch_lapse_due(&t->cx, l, &n), 0);
  assert_int_equal(n, 0);
  /* back in the pool; the patient is told and may choose again */
  assert_string_equal(px_state(t, id), "ready");
  assert_int_equal(
      px_count(t->f,
               "SELECT count(*) FROM rx_notices WHERE kind = 'rx.dispatch_lapsed' AND prescription_id = ?1",
               id),
      1);
  assert_int_equal(pharmacy_claim(&t->cx, &PA_FAR, id, &co, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.dispatch_lapsed");
  assert_int_equal(px_dispatch(t, id, "pickup", "ph_near", &e), 0);
  json_t *s = NULL;
  assert_int_equal(dispatch_status(&t->cx, &FX_PATIENT, id, &s, &e), 0);
  json_t *hist = json_object_get(s, "history");
  assert_int_equal(json_array_size(hist), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 1), "state")), "lapsed");
  assert_string_equal(json_string_value(json_object_get(json_object_get(s, "dispatch"), "state")), "open");
  json_decref(s);
}

static void test_lapse_closes_cancelled(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX];
  struct ly_error e;
  px_ready(t, id, 0);
  assert_int_equal(px_dispatch(t, id, "pickup", "ph_near", &e), 0);
  assert_int_equal(prescription_cancel(&t->cx, &FX_DOC_A, id, "改方案", &e), 0);
  json_t *q = queue(t, &PA_NEAR, NULL, 0);
  assert_int_equal(json_array_size(json_object_get(q, "items")), 0);
  json_decref(q);
  struct dispatch_lapsed l[DISPATCH_LAPSE_BATCH];
  size_t n = 0;
  assert_int_equal(dispatch_lapse_due(&t->cx, l, &n), 0);
  assert_int_equal(n, 1);
  assert_false(l[0].lapsed);
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_dispatches WHERE state = 'closed'", NULL), 1);
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_notices WHERE kind = 'rx.dispatch_lapsed'", NULL),
                   0);
}

static void test_status_only_own(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX];
  struct ly_error e;
  json_t *s = NULL;
  px_ready(t, id, 0);
  assert_int_equal(dispatch_status(&t->cx, &FX_PATIENT, id, &s, &e), 0);
  assert_true(json_is_null(json_object_get(s, "dispatch")));
  assert_true(json_is_null(json_object_get(s, "receipt")));
  json_decref(s);
  struct records_actor other = {"someone", "patient", NULL};
  assert_int_equal(dispatch_status(&t->cx, &other, id, &s, &e), LY_ENOTFOUND);
  assert_int_equal(dispatch_status(&t->cx, &FX_SUPERVISOR, id, &s, &e), 0);
  json_decref(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_search_pickup_nearest_first, setup, teardown),
      cmocka_unit_test_setup_teardown(test_search_two_lines_and_delivery, setup, teardown),
      cmocka_unit_test_setup_teardown(test_search_refusals, setup, teardown),
      cmocka_unit_test(test_open_hours),
      cmocka_unit_test_setup_teardown(test_choose, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue_oldest_first_paged, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lapse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lapse_closes_cancelled, setup, teardown),
      cmocka_unit_test_setup_teardown(test_status_only_own, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
