/* tests/unit/rx/test_dispense.c — rx/dispense.c, rx/stock.c and
 * rx/receipt.c: partial dispensing, substitutes, never more than
 * prescribed, stock never below zero, the same dispense sent five times
 * (one after another and at the same moment on five connections), and
 * completion with a receipt that verifies and that billing can read. */
#include <pthread.h>
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
#include "records/signature.h"
#include "rx/dispense.h"
#include "rx/pharmacy_claim.h"
#include "rx/receipt.h"
#include "rx/stock.h"
#include "tests/unit/rx/pharmacy_fixture.h"

struct dsfx {
  struct pxfx *t;
  char id[LY_ID_MAX];
  char secret[CLAIM_SECRET_CHARS + 1];
};

/* A ready two-line prescription dispatched to and claimed by ph_near. */
static int setup(void **state) {
  struct dsfx *d = calloc(1, sizeof *d);
  struct ly_error e;
  struct pharmacy_claim_out out;
  d->t = px_open();
  px_ready(d->t, d->id, 1);
  assert_int_equal(px_dispatch(d->t, d->id, "pickup", "ph_near", &e), 0);
  assert_int_equal(pharmacy_claim(&d->t->cx, &PA_NEAR, d->id, &out, &e), 0);
  snprintf(d->secret, sizeof d->secret, "%s", out.secret);
  json_decref(out.view);
  *state = d;
  return 0;
}

static int teardown(void **state) {
  struct dsfx *d = *state;
  px_close(d->t);
  free(d);
  return 0;
}

static int dispense(struct dsfx *d, const char *key, const struct dispense_item_in *items, size_t n,
                    json_t **res, struct ly_error *e) {
  struct dispense_in in = {d->id, d->secret, key, items, n};
  json_t *r = NULL;
  int rc = dispense_record(&d->t->cx, &PA_NEAR, &in, &r, e);
  if (res)
    *res = r;
  else
    json_decref(r);
  return rc;
}

static int64_t line_units(json_t *res, int line) {
  json_t *l = json_array_get(json_object_get(res, "lines"), (size_t)line - 1);
  return json_integer_value(json_object_get(l, "dispensed_units"));
}

static void test_partial_then_more_is_refused(void **state) {
  struct dsfx *d = *state;
  struct ly_error e;
  json_t *r = NULL;
  struct dispense_item_in one = {1, NULL, 1, NULL};
  assert_int_equal(dispense(d, "k1", &one, 1, &r, &e), 0);
  assert_int_equal(line_units(r, 1), 7);
  assert_false(json_is_true(json_object_get(r, "complete")));
  json_decref(r);
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 19);
  /* 4 more packs would be 35 tablets of 28 */
  struct dispense_item_in four = {1, NULL, 4, NULL};
  assert_int_equal(dispense(d, "k2", &four, 1, NULL, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.over_prescribed");
  assert_string_equal(e.field, "items[0]");
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 19);
  /* two items for the same line count together */
  struct dispense_item_in split[3] = {{1, NULL, 2, NULL}, {1, NULL, 2, NULL}, {2, NULL, 1, NULL}};
  assert_int_equal(dispense(d, "k3", split, 3, NULL, &e), LY_EDENIED);
  split[1].quantity = 1;
  assert_int_equal(dispense(d, "k4", split, 3, &r, &e), 0);
  assert_int_equal(line_units(r, 1), 28);
  assert_int_equal(line_units(r, 2), 30);
  assert_true(json_is_true(json_object_get(r, "complete")));
  json_decref(r);
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 16);
  assert_int_equal(px_stock(d->t->f, "ph_near", "metformin"), 9);
  assert_int_equal(dispense(d, "k5", &one, 1, NULL, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.over_prescribed");
  /* a line the prescription does not have */
  struct dispense_item_in nope = {3, NULL, 1, NULL};
  assert_int_equal(dispense(d, "k6", &nope, 1, NULL, &e), LY_EINVAL);
}

static void test_substitutes(void **state) {
  struct dsfx *d = *state;
  struct ly_error e;
  json_t *r = NULL;
  struct dispense_item_in sub = {1, "amlodipine_b", 1, NULL};
  assert_int_equal(dispense(d, "s1", &sub, 1, NULL, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.substitution_reason");
  struct dispense_item_in strong = {1, "amlodipine_10", 1, "缺货"};
  assert_int_equal(dispense(d, "s2", &strong, 1, NULL, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.substitute_not_equivalent");
  struct dispense_item_in other = {1, "metformin", 1, "缺货"};
  assert_int_equal(dispense(d, "s3", &other, 1, NULL, &e), LY_EDENIED);
  struct dispense_item_in unknown = {1, "no_such_drug", 1, "缺货"};
  assert_int_equal(dispense(d, "s4", &unknown, 1, NULL, &e), LY_EINVAL);
  /* same generic, strength and form: 2 packs of 14 = the 28 tablets prescribed */
  sub.reason = "原厂缺货，换同规格";
  sub.quantity = 2;
  assert_int_equal(dispense(d, "s5", &sub, 1, &r, &e), 0);
  json_t *it = json_array_get(json_object_get(r, "items"), 0);
  assert_true(json_is_true(json_object_get(it, "substituted")));
  assert_int_equal(json_integer_value(json_object_get(it, "units")), 28);
  json_decref(r);
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine_b"), 3);
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 20);
  assert_int_equal(
      px_count(d->t->f,
               "SELECT count(*) FROM rx_dispense_items WHERE substituted = 1 AND substitution_reason <> ''",
               NULL),
      1);
}

static void test_out_of_stock(void **state) {
  struct dsfx *d = *state;
  struct ly_error e;
  json_t *r = NULL;
  assert_int_equal(stock_set(&d->t->cx, &PA_NEAR, "amlodipine", 1, -1, &r, &e), 0);
  json_decref(r);
  struct dispense_item_in two[2] = {{2, NULL, 1, NULL}, {1, NULL, 2, NULL}};
  assert_int_equal(dispense(d, "o1", two, 2, NULL, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "rx.out_of_stock");
  assert_string_equal(e.field, "items[1]");
  /* nothing half-written: metformin was not taken either */
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 1);
  assert_int_equal(px_stock(d->t->f, "ph_near", "metformin"), 10);
  assert_int_equal(px_count(d->t->f, "SELECT count(*) FROM rx_dispenses", NULL), 0);
  /* a drug the pharmacy has never stocked */
  fx_sql(d->t->f, "DELETE FROM pharmacy_stock WHERE pharmacy_id = 'ph_near' AND drug_id = 'metformin'");
  assert_int_equal(dispense(d, "o2", two, 1, NULL, &e), LY_ECONFLICT);
  assert_int_equal(px_stock(d->t->f, "ph_near", "metformin"), -1);
}

static void test_same_dispense_five_times(void **state) {
  struct dsfx *d = *state;
  struct ly_error e;
  json_t *first = NULL, *r = NULL;
  struct dispense_item_in one = {1, NULL, 1, NULL};
  assert_int_equal(dispense(d, "retry-1", &one, 1, &first, &e), 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(dispense(d, "retry-1", &one, 1, &r, &e), 0);
    assert_true(json_is_true(json_object_get(r, "replayed")));
    assert_string_equal(json_string_value(json_object_get(r, "dispense_id")),
                        json_string_value(json_object_get(first, "dispense_id")));
    json_decref(r);
  }
  json_decref(first);
  assert_int_equal(px_count(d->t->f, "SELECT count(*) FROM rx_dispenses", NULL), 1);
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 19);
  /* the key used for something else, no key, a wrong secret */
  struct dispense_item_in two = {1, NULL, 2, NULL};
  assert_int_equal(dispense(d, "retry-1", &two, 1, NULL, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "request.idempotency_key_reused");
  assert_int_equal(dispense(d, NULL, &one, 1, NULL, &e), LY_EINVAL);
  assert_string_equal(e.code, "request.idempotency_key_required");
  struct dispense_in in = {d->id, "x", "retry-9", &one, 1};
  assert_int_equal(dispense_record(&d->t->cx, &PA_NEAR, &in, &r, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "rx.secret_invalid");
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 19);
}

struct sender {
  struct dsfx *d;
  pthread_barrier_t *start;
  struct ly_db *db;
  struct rx_ctx cx;
  int rc;
  char dispense_id[LY_ID_MAX];
};

static void *send_dispense(void *arg) {
  struct sender *s = arg;
  struct dispense_item_in one = {1, NULL, 1, NULL};
  struct dispense_in in = {s->d->id, s->d->secret, "same-moment", &one, 1};
  struct ly_error e;
  json_t *r = NULL;
  pthread_barrier_wait(s->start);
  s->rc = dispense_record(&s->cx, &PA_NEAR, &in, &r, &e);
  snprintf(s->dispense_id, sizeof s->dispense_id, "%s", json_string_value(json_object_get(r, "dispense_id")));
  json_decref(r);
  return NULL;
}

static void test_same_dispense_five_times_at_once(void **state) {
  struct dsfx *d = *state;
  struct ly_error e;
  pthread_barrier_t b;
  struct sender s[5];
  pthread_t th[5];
  pthread_barrier_init(&b, NULL, 5);
  for (int i = 0; i < 5; i++) {
    memset(&s[i], 0, sizeof s[i]);
    s[i].d = d;
    s[i].start = &b;
    assert_int_equal(ly_db_open(d->t->f->path, &s[i].db, &e), 0);
    rx_ctx_init(&s[i].cx, s[i].db, &d->t->f->clock.clock, &d->t->f->keys);
  }
  for (int i = 0; i < 5; i++)
    pthread_create(&th[i], NULL, send_dispense, &s[i]);
  for (int i = 0; i < 5; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(s[i].rc, 0);
    assert_string_equal(s[i].dispense_id, s[0].dispense_id);
    ly_db_close(s[i].db);
  }
  pthread_barrier_destroy(&b);
  assert_int_equal(px_count(d->t->f, "SELECT count(*) FROM rx_dispenses", NULL), 1);
  assert_int_equal(
      px_count(d->t->f, "SELECT count(*) FROM pharmacy_stock_moves WHERE reason = 'dispense'", NULL), 1);
  assert_int_equal(px_stock(d->t->f, "ph_near", "amlodipine"), 19);
}

static void test_complete_and_receipt(void **state) {
  struct dsfx *d = *state;
  struct ly_error e;
  json_t *rec = NULL, *again = NULL;
  assert_int_equal(dispense_complete(&d->t->cx, &PA_NEAR, d->id, d->secret, &rec, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.nothing_dispensed");
  struct dispense_item_in part = {1, NULL, 2, NULL};
  assert_int_equal(dispense(d, "c1", &part, 1, NULL, &e), 0);
  assert_int_equal(dispense_complete(&d->t->cx, &PA_NEAR, d->id, "nope", &rec, &e), LY_EFORBIDDEN);
  assert_int_equal(dispense_complete(&d->t->cx, &PA_NEAR, d->id, d->secret, &rec, &e), 0);
  assert_string_equal(px_state(d->t, d->id), "completed");
  /* repeated with the secret: the same receipt */
  assert_int_equal(dispense_complete(&d->t->cx, &PA_NEAR2, d->id, d->secret, &again, &e), 0);
  assert_string_equal(json_string_value(json_object_get(rec, "id")),
                      json_string_value(json_object_get(again, "id")));
  json_decref(again);
  assert_int_equal(px_count(d->t->f, "SELECT count(*) FROM rx_receipts", NULL), 1);
  /* the document: what was handed out, the doctor's signature hash, signed by the server */
  json_t *doc = json_object_get(rec, "document");
  assert_string_equal(json_string_value(json_object_get(doc, "type")), "dispense_receipt");
  assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "pharmacy"), "id")), "ph_near");
  json_t *items = json_object_get(doc, "items");
  assert_int_equal(json_array_size(items), 1);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "quantity")), 2);
  assert_int_equal(json_integer_value(json_object_get(doc, "total_fen")), 3000);
  assert_int_equal(strlen(json_string_value(json_object_get(doc, "prescription_signature_sha256"))), 64);
  char *env = json_dumps(json_object_get(rec, "envelope"), JSON_COMPACT);
  uint8_t pub[LY_ED25519_PUB_LEN];
  char key_id[LY_ID_MAX];
  struct signature_info info;
  assert_int_equal(receipt_public_key(&d->t->cx, pub, key_id), 0);
  assert_int_equal(signature_verify(env, strlen(env), pub, &info, &e), 0);
  assert_string_equal(info.kind, "dispense_receipt");
  json_decref(info.document);
  /* one changed byte and it no longer verifies */
  char *p = strstr(env, "3000");
  assert_non_null(p);
  p[0] = '4';
  assert_int_not_equal(signature_verify(env, strlen(env), pub, &info, &e), 0);
  free(env);
  /* billing reads it and marks it */
  char ids[4][LY_ID_MAX];
  size_t n = 0;
  assert_int_equal(receipt_unbilled(&d->t->cx, NULL, ids, 4, &n), 0);
  assert_int_equal(n, 1);
  struct receipt *r = calloc(1, sizeof *r);
  assert_int_equal(receipt_load(&d->t->cx, ids[0], r), 0);
  assert_string_equal(r->facility_id, "fac_c");
  assert_string_equal(r->patient_id, "pat_1");
  assert_int_equal(r->nlines, 1);
  assert_int_equal(r->lines[0].quantity, 2);
  assert_int_equal(r->lines[0].unit_price_fen, 1500);
  assert_int_equal(receipt_mark_billed(&d->t->cx, ids[0], "clm_x"), 0);
  assert_int_equal(receipt_mark_billed(&d->t->cx, ids[0], "clm_x"), 0);
  assert_int_equal(receipt_mark_billed(&d->t->cx, ids[0], "clm_y"), LY_ECONFLICT);
  assert_int_equal(receipt_unbilled(&d->t->cx, NULL, ids, 4, &n), 0);
  assert_int_equal(n, 0);
  free(r);
  json_decref(rec);
  /* the patient sees it; nothing more can be handed out */
  assert_int_equal(receipt_get(&d->t->cx, &FX_PATIENT, d->id, &rec, &e), 0);
  json_decref(rec);
  assert_int_equal(dispense(d, "c2", &part, 1, NULL, &e), LY_ESTATE);
  assert_int_equal(px_count(d->t->f, "SELECT count(*) FROM rx_notices WHERE kind = 'rx.completed'", NULL), 1);
}

static void test_stock(void **state) {
  struct dsfx *d = *state;
  struct ly_error e;
  json_t *r = NULL;
  assert_int_equal(stock_set(&d->t->cx, &PA_NEAR, "amlodipine", -1, -1, &r, &e), LY_EINVAL);
  assert_string_equal(e.code, "rx.stock_negative");
  assert_int_equal(stock_set(&d->t->cx, &PA_NEAR, "no_such", 3, -1, &r, &e), LY_ENOTFOUND);
  assert_int_equal(stock_set(&d->t->cx, &PA_NEAR, "amlodipine", STOCK_MAX + 1, -1, &r, &e), LY_EINVAL);
  assert_int_equal(stock_set(&d->t->cx, &PA_NEAR, "amoxicillin", 2, 4, &r, &e), 0);
  assert_true(json_is_true(json_object_get(r, "low")));
  json_decref(r);
  assert_int_equal(stock_set(&d->t->cx, &PA_NEAR, "metformin", 3, -1, &r, &e), 0);
  json_decref(r);
  assert_int_equal(stock_list(&d->t->cx, &PA_NEAR, NULL, 1, 50, &r, &e), 0);
  /* low: metformin 3 (threshold 5), amoxicillin 2 (4), amlodipine_b 5 (5), amlodipine_10 5 (5); lowest first
   */
  assert_int_equal(json_array_size(r), 4);
  assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "drug_id")), "amoxicillin");
  json_decref(r);
  assert_int_equal(stock_list(&d->t->cx, &PA_NEAR, "EJSG", 0, 50, &r, &e), 0);
  assert_int_equal(json_array_size(r), 1);
  json_decref(r);
  assert_int_equal(stock_list(&d->t->cx, &PA_FAR, NULL, 0, 50, &r, &e), 0);
  assert_int_equal(json_array_size(r), 2);
  json_decref(r);
  assert_int_equal(px_count(d->t->f, "SELECT count(*) FROM pharmacy_stock_moves WHERE reason = 'set'", NULL),
                   2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_partial_then_more_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_substitutes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_out_of_stock, setup, teardown),
      cmocka_unit_test_setup_teardown(test_same_dispense_five_times, setup, teardown),
      cmocka_unit_test_setup_teardown(test_same_dispense_five_times_at_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_complete_and_receipt, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stock, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
