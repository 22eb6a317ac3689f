/* tests/unit/insurance/test_claim.c — insurance/claim.c on a real SQLite
 * database: estimate, settle (idempotent), reverse, numbered rejections,
 * fee-schedule pricing and referral episodes. Expected fen are worked out by
 * hand in the comments (policy v1 of fixture.h). */
#include "tests/unit/insurance/fixture.h"

#include "insurance/claim.h"
#include "insurance/coverage.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct fx F;
static struct claim *C; /* big: on the heap */
static int64_t T, NOW;  /* 2025-03-10 10:00 and 11:00 in Beijing */

static int setup(void **state) {
  (void)state;
  fx_open(&F);
  C = calloc(1, sizeof *C);
  T = fx_ms("2025-03-10T02:00:00.000Z");
  NOW = T + 3600 * 1000;
  return C ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  free(C);
  fx_close(&F);
  return 0;
}

static int64_t accum(const char *patient, const char *level, const char *col) {
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT COALESCE((SELECT %s FROM insurance_accumulators WHERE patient_id = ?1 AND year = 2025"
           " AND facility_level = ?2), 0)",
           col);
  return fx_int(F.db, sql, patient, level);
}

static int64_t balance(const char *patient) {
  return fx_int(F.db, "SELECT account_balance_fen FROM coverage WHERE patient_id = ?1", patient, NULL);
}

static void expect_totals(const struct claim *c, int64_t t, int64_t d, int64_t u, int64_t a, int64_t cash) {
  assert_int_equal(c->total.total_fen, t);
  assert_int_equal(c->total.deductible_fen, d);
  assert_int_equal(c->total.fund_fen, u);
  assert_int_equal(c->total.account_fen, a);
  assert_int_equal(c->total.cash_fen, cash);
}

/* Community, employee_t1 (90%, deductible 20000), balance 100000:
 *  fee 110200001 (community row): 1000, all deductible, account 1000;
 *  dA 20 × 1260 = 25200: deductible 19000, fund 6200 × 90% = 5580, account 19620;
 *  dB 4999 charged (乙): share 499.9 → 500, 4499 × 90% = 4049.1 → 4049, account 950;
 *  delivery 800 from the schedule: cash.
 * Totals 31999 = fund 9629 + account 21570 + cash 800; deductible 20000. */
static const struct claim_item ITEMS1[] = {FX_FEE("110200001"), FX_DRUG("dA", 20), FX_DRUG_AT("dB", 1, 4999),
                                           FX_DELIVERY(-1)};

static void test_estimate_settle_replay(void **state) {
  (void)state;
  struct ly_error e;
  fx_patient(F.db, "p1", "employee_t1", 100000, 0);
  struct claim_req r = fx_req("p1", "fc-comm", "c1", T, ITEMS1, N(ITEMS1));
  r.doctor_title = "gp";

  assert_int_equal(claim_estimate(F.db, NOW, &r, C, &e), 0);
  assert_int_equal(C->status, CLAIM_ESTIMATE);
  expect_totals(C, 31999, 20000, 9629, 21570, 800);
  assert_int_equal(C->lines[0].unit_price_fen, 1000);
  assert_int_equal(C->lines[2].amounts.pre_self_fen, 500);
  assert_int_equal(C->lines[3].amounts.fully_self_fen, 800);
  assert_int_equal(C->after.account_balance_fen, 78430);
  /* no effect at all */
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM claims", NULL, NULL), 0);
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM insurance_accumulators", NULL, NULL), 0);
  assert_int_equal(balance("p1"), 100000);

  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r, C, &e), 0);
  assert_int_equal(C->status, CLAIM_SETTLED);
  assert_int_equal(C->replayed, 0);
  expect_totals(C, 31999, 20000, 9629, 21570, 800);
  char id[LY_ID_MAX];
  snprintf(id, sizeof id, "%s", C->id);
  assert_int_equal(accum("p1", "community", "deductible_used_fen"), 20000);
  assert_int_equal(accum("p1", "community", "fund_paid_fen"), 9629);
  assert_int_equal(accum("p1", "community", "account_paid_fen"), 21570);
  assert_int_equal(balance("p1"), 78430);
  assert_int_equal(
      fx_int(F.db, "SELECT COUNT(*) FROM audit WHERE action = 'claim.settle' AND object_id = ?1", id, NULL),
      1);
  assert_int_equal(
      fx_int(F.db, "SELECT opening_balance_fen FROM insurance_account_openings WHERE patient_id = 'p1'", NULL,
             NULL),
      100000);

  /* read back */
  assert_int_equal(claim_get(F.db, id, C), 0);
  expect_totals(C, 31999, 20000, 9629, 21570, 800);
  assert_int_equal(C->nlines, 4);
  assert_string_equal(C->lines[1].code, "dA");
  assert_int_equal(C->lines[1].amounts.fund_fen, 5580);
  assert_string_equal(C->settled_day, "2025-03-10");

  /* the same encounter again (even with other items): the first result */
  struct claim_item other[] = {FX_DRUG("dA", 1)};
  struct claim_req again = fx_req("p1", "fc-comm", "c1", T, other, 1);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &again, C, &e), 0);
    assert_int_equal(C->replayed, 1);
    assert_string_equal(C->id, id);
    expect_totals(C, 31999, 20000, 9629, 21570, 800);
  }
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM claims", NULL, NULL), 1);
  assert_int_equal(balance("p1"), 78430);

  /* the same encounter for another patient is a conflict, not a replay */
  fx_patient(F.db, "p1b", "employee_t1", 0, 0);
  again.patient_id = "p1b";
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &again, C, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "insurance.encounter_conflict");
}

static void test_reverse(void **state) {
  (void)state;
  struct ly_error e;
  fx_patient(F.db, "p2", "employee_t1", 100000, 0);
  struct claim_req r = fx_req("p2", "fc-comm", "c2", T, ITEMS1, N(ITEMS1));
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r, C, &e), 0);
  char id[LY_ID_MAX];
  snprintf(id, sizeof id, "%s", C->id);
  assert_int_equal(balance("p2"), 78430);

  assert_int_equal(claim_reverse(F.db, NOW + 1000, &fx_actor, id, "dispense cancelled", C, &e), 0);
  assert_int_equal(C->status, CLAIM_REVERSED);
  assert_true(C->reversal_id[0] != '\0');
  assert_int_equal(balance("p2"), 100000);
  assert_int_equal(accum("p2", "community", "deductible_used_fen"), 0);
  assert_int_equal(accum("p2", "community", "fund_paid_fen"), 0);
  assert_int_equal(accum("p2", "community", "claims"), 0);
  assert_int_equal(fx_int(F.db, "SELECT fund_fen FROM claim_reversals WHERE claim_id = ?1", id, NULL), 9629);

  assert_int_equal(claim_reverse(F.db, NOW + 2000, &fx_actor, id, "again", C, &e), LY_ESTATE);
  assert_string_equal(e.code, "insurance.already_reversed");
  assert_int_equal(claim_reverse(F.db, NOW, &fx_actor, "clm_nope", "x", C, &e), LY_ENOTFOUND);
  assert_int_equal(claim_reverse(F.db, NOW, &fx_actor, id, "", C, &e), LY_EINVAL);

  assert_int_equal(claim_reverse_encounter(F.db, NOW, &fx_actor, "consultation", "c2", "hook", C, &e),
                   LY_ESTATE);
  assert_string_equal(e.code, "insurance.already_reversed");
  assert_int_equal(claim_reverse_encounter(F.db, NOW, &fx_actor, "dispense", "c2", "hook", C, &e),
                   LY_ENOTFOUND);
  /* the reversed encounter stays closed: settle returns the reversed claim */
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r, C, &e), 0);
  assert_int_equal(C->replayed, 1);
  assert_int_equal(C->status, CLAIM_REVERSED);
  /* the deductible is open again for the next encounter: dA 1260 all deductible */
  struct claim_item one[] = {FX_DRUG("dA", 1)};
  struct claim_req r2 = fx_req("p2", "fc-comm", "c2b", T, one, 1);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r2, C, &e), 0);
  expect_totals(C, 1260, 1260, 0, 1260, 0);
}

static void expect_reject(struct claim_req *r, int reason, const char *code, const char *field) {
  struct ly_error e;
  assert_int_equal(claim_estimate(F.db, NOW, r, C, &e), LY_EDENIED);
  assert_int_equal(C->reject_reason, reason);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, r, C, &e), LY_EDENIED);
  assert_int_equal(C->status, CLAIM_REJECTED);
  assert_int_equal(C->reject_reason, reason);
  assert_string_equal(e.code, code);
  assert_string_equal(e.field, field);
  assert_true(C->id[0] != '\0');
  char id[LY_ID_MAX];
  snprintf(id, sizeof id, "%s", C->id);
  assert_int_equal(
      fx_int(F.db, "SELECT reject_reason FROM claims WHERE id = ?1 AND status = 'rejected'", id, NULL),
      reason);
  assert_int_equal(claim_reverse(F.db, NOW, &fx_actor, id, "try", C, &e), LY_ESTATE);
  assert_string_equal(e.code, "insurance.reverse_rejected");
}

static void test_rejections(void **state) {
  (void)state;
  struct ly_error e;
  fx_patient(F.db, "p3", NULL, 0, 0);                                          /* uninsured */
  fx_patient(F.db, "p4", "employee_t1", 0, fx_ms("2025-01-31T23:59:59.000Z")); /* expired */
  fx_patient(F.db, "p5", "orphan_plan", 0, 0);
  fx_patient(F.db, "p6", "resident", 0, 0);
  fx_patient(F.db, "p7", "employee_t1", 0, 0);
  struct claim_item ok[] = {FX_DRUG("dA", 1)};
  struct claim_req r;

  r = fx_req("p3", "fc-comm", "r1", T, ok, 1);
  expect_reject(&r, 1, "insurance.no_coverage", "patient_id");
  r = fx_req("p7", "fc-nd", "r2", T, ok, 1);
  expect_reject(&r, 2, "insurance.not_designated", "facility_id");
  r = fx_req("p4", "fc-comm", "r3", T, ok, 1);
  expect_reject(&r, 3, "insurance.outside_coverage_period", "service_at");
  r = fx_req("p5", "fc-comm", "r4", T, ok, 1);
  expect_reject(&r, 4, "insurance.unknown_plan", "patient_id");
  r = fx_req("p6", "fc-sec", "r4b", T, ok, 1); /* resident has no secondary rate */
  expect_reject(&r, 4, "insurance.unknown_plan", "patient_id");
  struct claim_item neg[] = {FX_DRUG("dA", 1), FX_DRUG_AT("dB", 1, -5)};
  r = fx_req("p7", "fc-comm", "r5", T, neg, 2);
  expect_reject(&r, 5, "insurance.negative_amount", "items[1].unit_price_fen");
  r = fx_req("p7", "fc-comm", "r6", NOW + 24 * 3600 * 1000LL, ok, 1);
  expect_reject(&r, 6, "insurance.future_service_date", "service_at");
  struct claim_item unknown[] = {FX_DRUG("dA", 1), FX_DRUG("no-such-drug", 1)};
  r = fx_req("p7", "fc-comm", "r8", T, unknown, 2);
  expect_reject(&r, 8, "insurance.not_designated_item", "items[1].code");
  struct claim_item zero[] = {FX_DRUG("dA", 0)};
  r = fx_req("p7", "fc-comm", "r9", T, zero, 1);
  expect_reject(&r, 9, "insurance.invalid_line", "items[0].quantity");
  r = fx_req("p7", "fc-comm", "r9b", T, ok, 0);
  expect_reject(&r, 9, "insurance.invalid_line", "items");
  /* no policy in force before 2024-01-01 (coverage widened so it is reached) */
  fx_exec(F.db, "UPDATE coverage SET valid_from = 0 WHERE patient_id = 'p7'");
  r = fx_req("p7", "fc-comm", "r7", fx_ms("2023-06-01T00:00:00.000Z"), ok, 1);
  expect_reject(&r, 7, "insurance.no_policy", "service_at");

  /* a rejection does not block the encounter: fixed, it settles */
  r = fx_req("p7", "fc-comm", "r8", T, ok, 1);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r, C, &e), 0);
  assert_int_equal(C->status, CLAIM_SETTLED);
  /* unknown patient / facility: refused, nothing recorded */
  r = fx_req("nobody", "fc-comm", "r10", T, ok, 1);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r, C, &e), LY_ENOTFOUND);
  r = fx_req("p7", "fc-none", "r11", T, ok, 1);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r, C, &e), LY_ENOTFOUND);
  r = fx_req("p7", "fc-comm", "r12", T, ok, 1);
  r.encounter_type = "shopping";
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r, C, &e), LY_EINVAL);
  assert_int_equal(
      fx_int(F.db, "SELECT COUNT(*) FROM claims WHERE encounter_id IN ('r10','r11','r12')", NULL, NULL), 0);
}

/* Resident at tertiary (50%, deductible 50000, no account), chief physician:
 *  110200003 tertiary × chief: 5000; 110200001 falls back to any × any: 2000;
 *  NOCOVER 3000 fully self-paid; delivery charged 600 (never covered).
 * In scope 7000, all deductible; everything is cash: 10600. */
static void test_fee_schedule(void **state) {
  (void)state;
  struct ly_error e;
  fx_patient(F.db, "p8", "resident", 0, 0);
  struct claim_item items[] = {FX_FEE("110200003"), FX_FEE("110200001"), FX_FEE("NOCOVER"), FX_DELIVERY(600)};
  struct claim_req r = fx_req("p8", "fc-tert", "f1", T, items, N(items));
  r.doctor_title = "chief";
  assert_int_equal(claim_estimate(F.db, NOW, &r, C, &e), 0);
  assert_int_equal(C->lines[0].unit_price_fen, 5000);
  assert_string_equal(C->lines[0].name, "主任医师诊查费");
  assert_int_equal(C->lines[1].unit_price_fen, 2000);
  assert_int_equal(C->lines[2].covered, 0);
  assert_int_equal(C->lines[2].amounts.fully_self_fen, 3000);
  assert_int_equal(C->lines[3].amounts.fully_self_fen, 600);
  assert_int_equal(C->lines[3].covered, 0);
  expect_totals(C, 10600, 7000, 0, 0, 10600);
  assert_int_equal(C->total.fully_self_fen, 3600);
  /* a resident title: the chief row does not apply, any × any does: 3000 */
  r.doctor_title = "resident";
  assert_int_equal(claim_estimate(F.db, NOW, &r, C, &e), 0);
  assert_int_equal(C->lines[0].unit_price_fen, 3000);
}

/* Referral episode: community then tertiary.
 *  A (community, dA 20 × 1260 = 25200): deductible 20000, fund 5200 × 90% = 4680.
 *  B (tertiary, dA 100 × 1260 = 126000): in the episode the open deductible is
 *    min(80000 − 0, 80000 − 20000) = 60000; fund 66000 × 70% = 46200.
 *  Without the episode B pays 80000; fund 46000 × 70% = 32200. */
static void test_episode(void **state) {
  (void)state;
  struct ly_error e;
  fx_patient(F.db, "p9", "employee_t1", 0, 0);
  fx_patient(F.db, "p10", "employee_t1", 0, 0);
  fx_patient(F.db, "p11", "employee_t1", 0, 0);
  struct claim_item a[] = {FX_DRUG("dA", 20)}, b[] = {FX_DRUG("dA", 100)};
  struct claim_req ra = fx_req("p9", "fc-comm", "e1", T, a, 1), rb = fx_req("p9", "fc-tert", "e2", T, b, 1);
  ra.episode_id = rb.episode_id = "ref-1";
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &ra, C, &e), 0);
  expect_totals(C, 25200, 20000, 4680, 0, 20520);
  char first[LY_ID_MAX];
  snprintf(first, sizeof first, "%s", C->id);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &rb, C, &e), 0);
  expect_totals(C, 126000, 60000, 46200, 0, 79800);
  assert_int_equal(
      fx_int(F.db, "SELECT deductible_charged_fen FROM insurance_episodes WHERE id = 'ref-1'", NULL, NULL),
      80000);

  struct claim_req xa = fx_req("p11", "fc-comm", "e3", T, a, 1), xb = fx_req("p11", "fc-tert", "e4", T, b, 1);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &xa, C, &e), 0);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &xb, C, &e), 0);
  expect_totals(C, 126000, 80000, 32200, 0, 93800);

  /* reversing the community claim gives the episode its 20000 back */
  assert_int_equal(claim_reverse(F.db, NOW, &fx_actor, first, "error", C, &e), 0);
  assert_int_equal(
      fx_int(F.db, "SELECT deductible_charged_fen FROM insurance_episodes WHERE id = 'ref-1'", NULL, NULL),
      60000);
  /* another patient cannot use the episode */
  struct claim_req rc = fx_req("p10", "fc-comm", "e5", T, a, 1);
  rc.episode_id = "ref-1";
  expect_reject(&rc, 10, "insurance.episode_mismatch", "episode_id");
}

/* Business days and years are Beijing time. */
static void test_business_day(void **state) {
  (void)state;
  struct ly_error e;
  fx_patient(F.db, "p12", "employee_t1", 0, 0);
  struct claim_item a[] = {FX_DRUG("dA", 1)};
  /* service 2024-12-31 17:00 UTC = 2025-01-01 01:00 in Beijing: year 2025 */
  struct claim_req r = fx_req("p12", "fc-comm", "d1", fx_ms("2024-12-31T17:00:00.000Z"), a, 1);
  int64_t now = fx_ms("2025-03-10T17:30:00.000Z"); /* 2025-03-11 01:30 in Beijing */
  assert_int_equal(claim_settle(F.db, now, &fx_actor, &r, C, &e), 0);
  assert_int_equal(C->service_year, 2025);
  assert_string_equal(C->settled_day, "2025-03-11");
}

static void test_coverage_and_json(void **state) {
  (void)state;
  struct ly_error e;
  fx_patient(F.db, "p13", "employee_t1", 50000, 0);
  struct claim_item a[] = {FX_DRUG("dA", 20), FX_DELIVERY(-1)};
  struct claim_req r = fx_req("p13", "fc-comm", "j1", T, a, 2);
  assert_int_equal(claim_settle(F.db, NOW, &fx_actor, &r, C, &e), 0);
  json_t *j = claim_to_json(C);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "status")), "settled");
  json_t *tot = json_object_get(j, "totals");
  assert_int_equal(json_integer_value(json_object_get(tot, "fund_fen")), 4680);
  json_t *l1 = json_array_get(json_object_get(j, "lines"), 1);
  assert_string_equal(json_string_value(json_array_get(json_object_get(l1, "notes"), 0)),
                      "delivery_not_covered");
  json_decref(j);

  assert_int_equal(claim_list_json(F.db, "p13", 10, &j), 0);
  assert_int_equal(json_array_size(j), 1);
  json_decref(j);

  /* community deductible 20000 used; fund 4680 of 1000000; balance 50000 − 20520 */
  assert_int_equal(coverage_summary_json(F.db, "p13", NOW, &j), 0);
  assert_int_equal(json_integer_value(json_object_get(j, "account_balance_fen")), 29480);
  json_t *lv = json_array_get(json_object_get(j, "levels"), 0);
  assert_string_equal(json_string_value(json_object_get(lv, "facility_level")), "community");
  assert_int_equal(json_integer_value(json_object_get(lv, "deductible_remaining_fen")), 0);
  assert_int_equal(json_integer_value(json_object_get(lv, "cap_remaining_fen")), 1000000 - 4680);
  json_decref(j);
  assert_int_equal(coverage_summary_json(F.db, "p3-none", NOW, &j), LY_ENOTFOUND);
}

/* Group commit: five copies of one settle, a rejection and another claim in
 * one transaction: one settlement of the encounter, the rejection recorded,
 * the other claim settled. */
static void test_batch(void **state) {
  (void)state;
  fx_patient(F.db, "p14", "employee_t1", 0, 0);
  fx_patient(F.db, "p15", NULL, 0, 0);
  struct claim_item a[] = {FX_DRUG("dA", 1)};
  struct claim_req r[7];
  for (int i = 0; i < 5; i++)
    r[i] = fx_req("p14", "fc-comm", "b1", T, a, 1);
  r[5] = fx_req("p15", "fc-comm", "b2", T, a, 1);
  r[6] = fx_req("p14", "fc-comm", "b3", T, a, 1);
  struct claim *outs = calloc(7, sizeof *outs);
  struct ly_error errs[7];
  int rcs[7];
  assert_non_null(outs);
  assert_int_equal(claim_settle_batch(F.db, NOW, &fx_actor, r, 7, outs, rcs, errs), 0);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(rcs[i], 0);
    assert_string_equal(outs[i].id, outs[0].id);
    assert_int_equal(outs[i].replayed, i > 0);
  }
  assert_int_equal(rcs[5], LY_EDENIED);
  assert_string_equal(errs[5].code, "insurance.no_coverage");
  assert_int_equal(rcs[6], 0);
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM claims WHERE encounter_id = 'b1'", NULL, NULL), 1);
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM claims WHERE status = 'rejected'", NULL, NULL), 1);
  /* dA 1260 twice, all deductible */
  assert_int_equal(accum("p14", "community", "deductible_used_fen"), 2520);
  assert_int_equal(accum("p14", "community", "claims"), 2);
  assert_int_equal(claim_settle_batch(F.db, NOW, &fx_actor, r, CLAIM_BATCH_MAX + 1, outs, rcs, errs),
                   LY_EINVAL);
  free(outs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_estimate_settle_replay, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reverse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fee_schedule, setup, teardown),
      cmocka_unit_test_setup_teardown(test_episode, setup, teardown),
      cmocka_unit_test_setup_teardown(test_business_day, setup, teardown),
      cmocka_unit_test_setup_teardown(test_coverage_and_json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
