/* tests/unit/rx/test_pharmacy_claim.c — rx/pharmacy_claim.c and
 * rx/pharmacy_view.c: claims from the queue and walk-in, secrets, hostile
 * codes, release, what a pharmacy may see, and two pharmacies claiming the
 * same prescription at the same instant (each on its own connection and
 * thread), 200 times over. */
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
#include "rx/dispense.h"
#include "rx/pharmacy_claim.h"
#include "rx/qr.h"
#include "tests/unit/rx/pharmacy_fixture.h"

static int setup(void **state) {
  *state = px_open();
  return 0;
}

static int teardown(void **state) {
  px_close(*state);
  return 0;
}

static int claim(struct pxfx *t, const struct pharmacy_actor *pa, const char *id,
                 char secret[CLAIM_SECRET_CHARS + 1], struct ly_error *e) {
  struct pharmacy_claim_out out;
  int rc = pharmacy_claim(&t->cx, pa, id, &out, e);
  if (secret) snprintf(secret, CLAIM_SECRET_CHARS + 1, "%s", out.secret);
  json_decref(out.view);
  return rc;
}

static int claim_code(struct pxfx *t, const struct pharmacy_actor *pa, const char *qr,
                      struct pharmacy_claim_out *out, struct ly_error *e) {
  int rc = pharmacy_claim_code(&t->cx, pa, qr, strlen(qr), out, e);
  json_decref(out->view);
  out->view = NULL;
  return rc;
}

static void test_queue_claim_and_secret(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX], s1[CLAIM_SECRET_CHARS + 1], s2[CLAIM_SECRET_CHARS + 1];
  struct ly_error e;
  px_ready(t, id, 0);
  /* not dispatched here: the pharmacy cannot see it */
  assert_int_equal(claim(t, &PA_NEAR, id, NULL, &e), LY_ENOTFOUND);
  assert_string_equal(e.code, "rx.not_found");
  assert_int_equal(px_dispatch(t, id, "pickup", "ph_near", &e), 0);
  assert_int_equal(claim(t, &PA_FAR, id, NULL, &e), LY_ENOTFOUND);
  struct pharmacy_claim_out out;
  assert_int_equal(pharmacy_claim(&t->cx, &PA_NEAR, id, &out, &e), 0);
  assert_int_equal(strlen(out.secret), CLAIM_SECRET_CHARS);
  assert_false(out.repeat);
  assert_string_equal(json_string_value(json_object_get(out.view, "secret")), out.secret);
  assert_string_equal(json_string_value(json_object_get(out.view, "via")), "queue");
  snprintf(s1, sizeof s1, "%s", out.secret);
  json_decref(out.view);
  assert_string_equal(px_state(t, id), "in_progress");
  /* the same pharmacy (another member of staff) claiming again gets the same secret */
  assert_int_equal(pharmacy_claim(&t->cx, &PA_NEAR2, id, &out, &e), 0);
  assert_true(out.repeat);
  snprintf(s2, sizeof s2, "%s", out.secret);
  json_decref(out.view);
  assert_string_equal(s1, s2);
  /* only its hash is stored, and it is never audited */
  assert_int_equal(
      px_count(t->f, "SELECT count(*) FROM rx_claims WHERE instr(CAST(secret_hash AS TEXT), ?1) > 0", s1), 0);
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM audit WHERE instr(coalesce(detail, ''), ?1) > 0", s1),
                   0);
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_dispatches WHERE state = 'claimed'", NULL), 1);
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_notices WHERE kind = 'rx.claimed'", NULL), 1);
}

static void test_walk_in_at_a_non_dispatched_pharmacy(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX], qr[160];
  struct ly_error e;
  struct pharmacy_claim_out out;
  px_ready(t, id, 0);
  px_qr(t, id, qr, sizeof qr);
  assert_int_equal(px_dispatch(t, id, "pickup", "ph_near", &e), 0);
  /* ph_far, not dispatched, looks it up by the code and claims it */
  json_t *v = NULL;
  assert_int_equal(pharmacy_lookup_code(&t->cx, &PA_FAR, qr, strlen(qr), &v, &e), 0);
  assert_true(json_is_true(json_object_get(json_object_get(v, "signature"), "verified")));
  assert_null(json_object_get(v, "access_code"));
  assert_string_equal(json_string_value(json_object_get(json_object_get(v, "document"), "type")),
                      "prescription");
  json_decref(v);
  assert_int_equal(claim_code(t, &PA_FAR, qr, &out, &e), 0);
  assert_string_equal(out.superseded, "ph_near");
  assert_string_equal(out.patient_account, "pat_acct");
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_dispatches WHERE state = 'superseded'", NULL), 1);
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_claims WHERE via = 'walk_in'", NULL), 1);
  /* ph_near, whose queue had it, is told it is taken, and no longer sees it */
  assert_int_equal(claim(t, &PA_NEAR, id, NULL, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "rx.already_claimed");
  assert_int_equal(pharmacy_prescription(&t->cx, &PA_NEAR, id, &v, &e), LY_ENOTFOUND);
  assert_int_equal(claim_code(t, &PA_OTHER, qr, &out, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "rx.already_claimed");
  /* the claimant sees it through its claim */
  assert_int_equal(pharmacy_prescription(&t->cx, &PA_FAR, id, &v, &e), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(v, "claim"), "state")), "active");
  json_decref(v);
}

static void test_hostile_codes(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX], qr[160], bad[400];
  struct ly_error e;
  struct pharmacy_claim_out out;
  px_ready(t, id, 0);
  px_qr(t, id, qr, sizeof qr);
  assert_int_equal(claim_code(t, &PA_NEAR, "hello", &out, &e), LY_EPARSE);
  assert_string_equal(e.code, "rx.code_malformed");
  memset(bad, 'A', sizeof bad - 1);
  bad[sizeof bad - 1] = '\0';
  assert_int_equal(claim_code(t, &PA_NEAR, bad, &out, &e), LY_ETOOBIG);
  /* the right id with another code: not found, and no hint */
  snprintf(bad, sizeof bad, "%s", qr);
  char *mid = bad + strlen(bad) - 5; /* not the last character: its low bits must be zero */
  *mid = *mid == 'A' ? 'B' : 'A';
  assert_int_equal(claim_code(t, &PA_NEAR, bad, &out, &e), LY_ENOTFOUND);
  assert_string_equal(e.code, "rx.not_found");
  json_t *v = NULL;
  assert_int_equal(pharmacy_lookup_code(&t->cx, &PA_NEAR, bad, strlen(bad), &v, &e), LY_ENOTFOUND);
  assert_string_equal(px_state(t, id), "ready");
  /* refused attempts are audited, without the code */
  assert_true(
      px_count(t->f, "SELECT count(*) FROM audit WHERE action = 'rx.claim' AND outcome <> 'ok'", NULL) >= 3);
  assert_int_equal(
      px_count(t->f,
               "SELECT count(*) FROM audit WHERE instr(coalesce(detail,'') || coalesce(object_id,''), "
               "substr(?1, 33)) > 0",
               qr),
      0);
  /* surrounding whitespace from a scanner is fine */
  snprintf(bad, sizeof bad, "  %s\r\n", qr);
  assert_int_equal(claim_code(t, &PA_NEAR, bad, &out, &e), 0);
}

static void test_release(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX], qr[160], far[CLAIM_SECRET_CHARS + 1], near[CLAIM_SECRET_CHARS + 1];
  struct ly_error e;
  struct pharmacy_claim_out out;
  int repeat = 0;
  px_ready(t, id, 0);
  px_qr(t, id, qr, sizeof qr);
  assert_int_equal(pharmacy_claim_code(&t->cx, &PA_FAR, qr, strlen(qr), &out, &e), 0);
  snprintf(far, sizeof far, "%s", out.secret);
  json_decref(out.view);
  assert_int_equal(pharmacy_release(&t->cx, &PA_FAR, id, "wrong-secret", NULL, &repeat, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "rx.secret_invalid");
  assert_int_equal(pharmacy_release(&t->cx, &PA_FAR, id, far, "缺货", &repeat, &e), 0);
  assert_false(repeat);
  assert_string_equal(px_state(t, id), "ready");
  assert_int_equal(pharmacy_release(&t->cx, &PA_FAR, id, far, "缺货", &repeat, &e), 0);
  assert_true(repeat);
  assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_notices WHERE kind = 'rx.released'", NULL), 1);
  /* claimed again elsewhere: the old claimant's secret does nothing there */
  assert_int_equal(pharmacy_claim_code(&t->cx, &PA_NEAR, qr, strlen(qr), &out, &e), 0);
  snprintf(near, sizeof near, "%s", out.secret);
  json_decref(out.view);
  assert_int_equal(pharmacy_release(&t->cx, &PA_FAR, id, near, NULL, &repeat, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "rx.not_claimant");
  assert_int_equal(pharmacy_release(&t->cx, &PA_FAR, id, far, NULL, &repeat, &e), LY_EFORBIDDEN);
  /* once something is handed out it cannot be released */
  struct dispense_item_in it = {1, NULL, 1, NULL};
  struct dispense_in in = {id, near, "k1", &it, 1};
  json_t *r = NULL;
  assert_int_equal(dispense_record(&t->cx, &PA_NEAR, &in, &r, &e), 0);
  json_decref(r);
  assert_int_equal(pharmacy_release(&t->cx, &PA_NEAR, id, near, NULL, &repeat, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.already_dispensed");
  assert_string_equal(px_state(t, id), "in_progress");
}

static void test_claim_not_claimable(void **state) {
  struct pxfx *t = *state;
  char id[LY_ID_MAX], qr[160];
  struct ly_error e;
  struct pharmacy_claim_out out;
  px_ready(t, id, 0);
  px_qr(t, id, qr, sizeof qr);
  /* validity (3 days) over, before the expiry job has run */
  t->f->clock.now += 4 * FX_DAY;
  assert_int_equal(claim_code(t, &PA_NEAR, qr, &out, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.validity_over");
  t->f->clock.now -= 4 * FX_DAY;
  assert_int_equal(prescription_cancel(&t->cx, &FX_DOC_A, id, "改方案", &e), 0);
  assert_int_equal(claim_code(t, &PA_NEAR, qr, &out, &e), LY_ESTATE);
  assert_string_equal(e.code, "rx.illegal_transition");
}

/* ---- two pharmacies at the same instant --------------------------------------------- */

struct racer {
  struct pxfx *t;
  const struct pharmacy_actor *pa;
  pthread_barrier_t *start;
  struct ly_db *db;
  struct rx_ctx cx;
  const char *qr;
  const char *id;
  int via_queue;
  int rc;
  char code[64];
  char secret[CLAIM_SECRET_CHARS + 1];
};

static void *race(void *arg) {
  struct racer *r = arg;
  struct pharmacy_claim_out out;
  struct ly_error e;
  pthread_barrier_wait(r->start);
  if (r->via_queue)
    r->rc = pharmacy_claim(&r->cx, r->pa, r->id, &out, &e);
  else
    r->rc = pharmacy_claim_code(&r->cx, r->pa, r->qr, strlen(r->qr), &out, &e);
  snprintf(r->code, sizeof r->code, "%s", r->rc ? e.code : "");
  snprintf(r->secret, sizeof r->secret, "%s", out.secret);
  json_decref(out.view);
  return NULL;
}

static void racer_open(struct pxfx *t, struct racer *r, const struct pharmacy_actor *pa,
                       pthread_barrier_t *b) {
  struct ly_error e;
  memset(r, 0, sizeof *r);
  r->t = t;
  r->pa = pa;
  r->start = b;
  assert_int_equal(ly_db_open(t->f->path, &r->db, &e), 0);
  rx_ctx_init(&r->cx, r->db, &t->f->clock.clock, &t->f->keys);
}

static void test_two_pharmacies_claim_at_once_200x(void **state) {
  struct pxfx *t = *state;
  pthread_barrier_t b;
  struct racer r[2];
  struct ly_error e;
  pthread_barrier_init(&b, NULL, 2);
  racer_open(t, &r[0], &PA_NEAR, &b);
  racer_open(t, &r[1], &PA_FAR, &b);
  fx_sql(t->f, "UPDATE pharmacy_stock SET quantity = 1000 WHERE drug_id = 'amlodipine'");
  int wins[2] = {0, 0};
  for (int round = 0; round < 200; round++) {
    char id[LY_ID_MAX], qr[160];
    px_ready(t, id, 0);
    px_qr(t, id, qr, sizeof qr);
    /* every other round ph_near has it in its queue and claims from there */
    int queued = round % 2;
    if (queued) assert_int_equal(px_dispatch(t, id, "pickup", "ph_near", &e), 0);
    for (int k = 0; k < 2; k++) {
      r[k].qr = qr;
      r[k].id = id;
      r[k].via_queue = queued && k == 0;
    }
    pthread_t th[2];
    for (int k = 0; k < 2; k++)
      pthread_create(&th[k], NULL, race, &r[k]);
    for (int k = 0; k < 2; k++)
      pthread_join(th[k], NULL);
    int w = r[0].rc == 0 ? 0 : 1, l = 1 - w;
    if (r[w].rc != 0 || r[l].rc != LY_ECONFLICT || strcmp(r[l].code, "rx.already_claimed") != 0)
      print_error("round %d: %d %s / %d %s\n", round, r[0].rc, r[0].code, r[1].rc, r[1].code);
    assert_int_equal(r[w].rc, 0);
    assert_int_equal(r[l].rc, LY_ECONFLICT);
    assert_string_equal(r[l].code, "rx.already_claimed");
    wins[w]++;
    /* the winner dispenses one pack; the loser, holding no secret, cannot */
    char key[32];
    snprintf(key, sizeof key, "race-%d", round);
    struct dispense_item_in it = {1, NULL, 1, NULL};
    struct dispense_in in = {id, r[w].secret, key, &it, 1};
    json_t *res = NULL;
    assert_int_equal(dispense_record(&t->cx, r[w].pa, &in, &res, &e), 0);
    json_decref(res);
    in.secret = r[w].secret;
    assert_int_equal(dispense_record(&t->cx, r[l].pa, &in, &res, &e), LY_ENOTFOUND);
    assert_int_equal(px_count(t->f, "SELECT count(*) FROM rx_claims WHERE prescription_id = ?1", id), 1);
  }
  /* stock moved once per prescription */
  assert_int_equal(px_stock(t->f, "ph_near", "amlodipine") + px_stock(t->f, "ph_far", "amlodipine"),
                   2000 - 200);
  assert_int_equal(
      px_count(t->f, "SELECT count(*) FROM pharmacy_stock_moves WHERE reason = 'dispense'", NULL), 200);
  print_message("claim race: ph_near won %d, ph_far won %d of 200\n", wins[0], wins[1]);
  ly_db_close(r[0].db);
  ly_db_close(r[1].db);
  pthread_barrier_destroy(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_queue_claim_and_secret, setup, teardown),
      cmocka_unit_test_setup_teardown(test_walk_in_at_a_non_dispatched_pharmacy, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hostile_codes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_release, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_not_claimable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_pharmacies_claim_at_once_200x, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
