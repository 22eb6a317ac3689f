/* tests/unit/insurance/test_policy.c — insurance/policy.c: the version in
 * force by service date, admin edits as new versions, and a claim on each
 * side of a policy change (hand-computed). */
#include "tests/unit/insurance/fixture.h"

#include "insurance/claim.h"
#include "insurance/policy.h"

static struct fx F;
static struct claim *C;

static int setup(void **state) {
  (void)state;
  fx_open(&F);
  C = calloc(1, sizeof *C);
  return C ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  free(C);
  fx_close(&F);
  return 0;
}

static const struct policy_rate_in V2_RATE[] = {{"employee_t1", "community", 8500, 30000, 1000000}};

static void make_v2(int64_t now, char *id) {
  struct ly_error e;
  struct policy_change c = {
      fx_ms("2025-06-01T00:00:00.000Z"), "raise the deductible", 1, V2_RATE, 1, {0, 1500, 10000}, 0, NULL};
  int rc = policy_create(F.db, now, "acct-admin", "admin", &c, id, LY_ID_MAX, &e);
  if (rc) print_error("policy_create: %s %s\n", e.code, e.message);
  assert_int_equal(rc, 0);
}

static void test_version_in_force(void **state) {
  (void)state;
  char id[LY_ID_MAX], v2[LY_ID_MAX];
  int64_t from = 0;
  struct ly_error e;
  assert_int_equal(policy_version_at(F.db, fx_ms("2023-12-31T23:59:59.999Z"), id, sizeof id, &from, &e),
                   LY_ENOTFOUND);
  assert_string_equal(e.code, "insurance.no_policy");
  assert_int_equal(policy_version_at(F.db, fx_ms("2024-01-01T00:00:00.000Z"), id, sizeof id, &from, NULL), 0);
  assert_string_equal(id, "pv1");

  make_v2(fx_ms("2025-03-10T00:00:00.000Z"), v2);
  assert_int_equal(policy_version_at(F.db, fx_ms("2025-05-31T23:59:59.999Z"), id, sizeof id, NULL, NULL), 0);
  assert_string_equal(id, "pv1");
  assert_int_equal(policy_version_at(F.db, fx_ms("2025-06-01T00:00:00.000Z"), id, sizeof id, &from, NULL), 0);
  assert_string_equal(id, v2);
  assert_int_equal(from, fx_ms("2025-06-01T00:00:00.000Z"));

  /* v2 is complete: the overridden rate, the others copied; v1 untouched */
  struct policy_terms t;
  assert_int_equal(policy_terms_load(F.db, v2, from, "employee_t1", "community", &t, NULL), 0);
  assert_int_equal(t.adj.ratio_bp, 8500);
  assert_int_equal(t.adj.deductible_fen, 30000);
  assert_int_equal(t.adj.self_pay_bp[1], 1500);
  assert_int_equal(t.adj.account_allowed, 1);
  assert_int_equal(policy_terms_load(F.db, v2, from, "resident", "tertiary", &t, NULL), 0);
  assert_int_equal(t.adj.ratio_bp, 5000);
  assert_int_equal(t.adj.account_allowed, 0);
  assert_int_equal(policy_terms_load(F.db, "pv1", 0, "employee_t1", "community", &t, NULL), 0);
  assert_int_equal(t.adj.ratio_bp, 9000);
  assert_int_equal(t.adj.self_pay_bp[1], 1000);
  assert_int_equal(policy_terms_load(F.db, v2, from, "resident", "secondary", &t, &e), LY_ENOTFOUND);
  assert_string_equal(e.code, "insurance.unknown_plan");
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM policy_rates WHERE version_id = ?1", v2, NULL), 5);
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM fee_schedule WHERE version_id = ?1", v2, NULL), 6);
  assert_int_equal(
      fx_int(F.db, "SELECT COUNT(*) FROM audit WHERE action = 'policy.create' AND object_id = ?1", v2, NULL),
      1);

  struct policy_fee fee;
  assert_int_equal(policy_fee_lookup(F.db, v2, "110200001", "community", "gp", &fee), 0);
  assert_int_equal(fee.price_fen, 1000);
  assert_int_equal(policy_fee_lookup(F.db, v2, "nope", "community", NULL, &fee), LY_ENOTFOUND);

  json_t *list = NULL;
  assert_int_equal(policy_list_json(F.db, &list), 0);
  assert_int_equal(json_array_size(list), 2);
  json_t *newest = json_array_get(list, 0);
  assert_string_equal(json_string_value(json_object_get(newest, "id")), v2);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(newest, "categories"), "乙")), 1500);
  assert_int_equal(json_array_size(json_object_get(newest, "rates")), 5);
  json_decref(list);
}

static void expect_refused(struct policy_change *c, int64_t now, int err, const char *code) {
  char id[LY_ID_MAX];
  struct ly_error e;
  ly_error_clear(&e);
  assert_int_equal(policy_create(F.db, now, "acct-admin", "admin", c, id, sizeof id, &e), err);
  assert_string_equal(e.code, code);
}

static void test_edit_refusals(void **state) {
  (void)state;
  char v2[LY_ID_MAX];
  int64_t now = fx_ms("2025-03-10T00:00:00.000Z");
  make_v2(now, v2);
  struct policy_change c = {fx_ms("2025-03-01T00:00:00.000Z"), "", 1, V2_RATE, 0, {0}, 0, NULL};
  expect_refused(&c, now, LY_EINVAL, "insurance.policy_in_past");
  c.effective_from = fx_ms("2025-06-01T00:00:00.000Z");
  expect_refused(&c, now, LY_EEXIST, "insurance.policy_exists");
  struct policy_rate_in bad_plan = {"gold_plan", "community", 9000, 0, 0};
  c = (struct policy_change){fx_ms("2025-07-01T00:00:00.000Z"), "", 1, &bad_plan, 0, {0}, 0, NULL};
  expect_refused(&c, now, LY_EINVAL, "insurance.unknown_plan");
  struct policy_rate_in bad_ratio = {"resident", "community", 10001, 0, 0};
  c.rates = &bad_ratio;
  expect_refused(&c, now, LY_EINVAL, "insurance.invalid_policy");
  struct policy_rate_in bad_level = {"resident", "hospital", 5000, 0, 0};
  c.rates = &bad_level;
  expect_refused(&c, now, LY_EINVAL, "insurance.invalid_policy");
  c = (struct policy_change){fx_ms("2025-07-01T00:00:00.000Z"), "", 0, NULL, 1, {0, 1000, 5000}, 0, NULL};
  expect_refused(&c, now, LY_EINVAL, "insurance.invalid_policy");
  /* nothing of the refused edits was stored */
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM policy_versions", NULL, NULL), 2);

  /* a fee-only edit copies the rates and replaces one fee row */
  struct policy_fee_in fee = {"110200001", "普通门诊诊查费", "Consultation", "community", "any", 1200, 1};
  c = (struct policy_change){fx_ms("2025-09-01T00:00:00.000Z"), "fee", 0, NULL, 0, {0}, 1, &fee};
  char v3[LY_ID_MAX];
  assert_int_equal(policy_create(F.db, now, "acct-admin", "admin", &c, v3, sizeof v3, NULL), 0);
  struct policy_fee f;
  assert_int_equal(policy_fee_lookup(F.db, v3, "110200001", "community", NULL, &f), 0);
  assert_int_equal(f.price_fen, 1200);
  assert_int_equal(policy_fee_lookup(F.db, v2, "110200001", "community", NULL, &f), 0);
  assert_int_equal(f.price_fen, 1000);
  struct policy_terms t;
  assert_int_equal(policy_terms_load(F.db, v3, c.effective_from, "employee_t1", "community", &t, NULL), 0);
  assert_int_equal(t.adj.ratio_bp, 8500); /* from v2, its base */
}

/* One employee (balance 50000) at the community centre, either side of v2.
 *  v1 (2025-03-10): dA 20 × 1260 = 25200: deductible 20000, 5200 × 90% = 4680,
 *    account 20520 → 29480 left.
 *  v2 (2025-06-10): deductible 30000, 20000 used → 10000 open.
 *    dA 10 × 1260 = 12600: deductible 10000, 2600 × 85% = 2210, account 10390;
 *    dB 10000 (乙 15%): share 1500, 8500 × 85% = 7225, account 2775.
 *    Claim: fund 9435, account 13165, deductible 10000; 16315 left. */
static void test_claims_across_a_policy_change(void **state) {
  (void)state;
  struct ly_error e;
  char v2[LY_ID_MAX];
  make_v2(fx_ms("2025-03-10T00:00:00.000Z"), v2);
  fx_patient(F.db, "p1", "employee_t1", 50000, 0);
  struct claim_item a[] = {FX_DRUG("dA", 20)}, b[] = {FX_DRUG("dA", 10), FX_DRUG_AT("dB", 1, 10000)};
  struct claim_req r1 = fx_req("p1", "fc-comm", "v1", fx_ms("2025-03-10T02:00:00.000Z"), a, 1);
  assert_int_equal(claim_settle(F.db, fx_ms("2025-03-10T03:00:00.000Z"), &fx_actor, &r1, C, &e), 0);
  assert_string_equal(C->policy_version_id, "pv1");
  assert_int_equal(C->total.fund_fen, 4680);
  assert_int_equal(C->total.account_fen, 20520);

  struct claim_req r2 = fx_req("p1", "fc-comm", "v2", fx_ms("2025-06-10T02:00:00.000Z"), b, 2);
  assert_int_equal(claim_settle(F.db, fx_ms("2025-06-10T03:00:00.000Z"), &fx_actor, &r2, C, &e), 0);
  assert_string_equal(C->policy_version_id, v2);
  assert_int_equal(C->lines[0].amounts.deductible_fen, 10000);
  assert_int_equal(C->lines[0].amounts.fund_fen, 2210);
  assert_int_equal(C->lines[1].amounts.pre_self_fen, 1500);
  assert_int_equal(C->lines[1].amounts.fund_fen, 7225);
  assert_int_equal(C->total.fund_fen, 9435);
  assert_int_equal(C->total.account_fen, 13165);
  assert_int_equal(C->total.deductible_fen, 10000);
  assert_int_equal(
      fx_int(F.db, "SELECT account_balance_fen FROM coverage WHERE patient_id = 'p1'", NULL, NULL), 16315);
  assert_int_equal(fx_int(F.db,
                          "SELECT deductible_used_fen FROM insurance_accumulators WHERE patient_id = 'p1'"
                          " AND year = 2025 AND facility_level = 'community'",
                          NULL, NULL),
                   30000);

  /* a service date before the change still uses v1, even settled after it */
  struct claim_req r3 = fx_req("p1", "fc-comm", "v1-late", fx_ms("2025-05-20T02:00:00.000Z"), a, 1);
  assert_int_equal(claim_estimate(F.db, fx_ms("2025-06-10T03:00:00.000Z"), &r3, C, &e), 0);
  assert_string_equal(C->policy_version_id, "pv1");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_version_in_force, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edit_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claims_across_a_policy_change, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
