/* tests/unit/insurance/test_statement.c — insurance/statement.c and
 * statement_check.c: the daily statement with hand-computed sums, the
 * check, and the check catching tampering. */
#include "tests/unit/insurance/fixture.h"

#include "insurance/claim.h"
#include "insurance/statement.h"

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

/* Day 2025-03-10 (Beijing), community centre:
 *  s1 employee p1: dA 20 = 25200: deductible 20000, fund 4680, account 20520;
 *  s2 employee p1: dA 10 = 12600: fund 11340, account 1260 — reversed the same day;
 *  s3 resident p2 (70%, deductible 10000): dA 10 = 12600: fund 2600 × 70% = 1820, cash 10780;
 *  s4 uninsured p3: rejected.
 * Employee row: settled 2 / 37800 / 16020 / 21780 / 0; reversed 1 / 12600 / 11340 / 1260 / 0;
 *               net 1 / 25200 / 4680 / 20520 / 0.
 * Resident row: settled = net = 1 / 12600 / 1820 / 0 / 10780.
 * Uninsured row (plan ""): 1 rejected, no money. */
static void seed_day(void) {
  struct ly_error e;
  int64_t t = fx_ms("2025-03-10T02:00:00.000Z"), now = fx_ms("2025-03-10T04:00:00.000Z");
  fx_patient(F.db, "p1", "employee_t1", 100000, 0);
  fx_patient(F.db, "p2", "resident", 0, 0);
  fx_patient(F.db, "p3", NULL, 0, 0);
  struct claim_item a20[] = {FX_DRUG("dA", 20)}, a10[] = {FX_DRUG("dA", 10)};
  struct claim_req r = fx_req("p1", "fc-comm", "s1", t, a20, 1);
  assert_int_equal(claim_settle(F.db, now, &fx_actor, &r, C, &e), 0);
  r = fx_req("p1", "fc-comm", "s2", t, a10, 1);
  assert_int_equal(claim_settle(F.db, now, &fx_actor, &r, C, &e), 0);
  assert_int_equal(C->total.fund_fen, 11340);
  char s2[LY_ID_MAX];
  snprintf(s2, sizeof s2, "%s", C->id);
  r = fx_req("p2", "fc-comm", "s3", t, a10, 1);
  assert_int_equal(claim_settle(F.db, now, &fx_actor, &r, C, &e), 0);
  assert_int_equal(C->total.cash_fen, 10780);
  r = fx_req("p3", "fc-comm", "s4", t, a10, 1);
  assert_int_equal(claim_settle(F.db, now, &fx_actor, &r, C, &e), LY_EDENIED);
  assert_int_equal(claim_reverse(F.db, now + 60000, &fx_actor, s2, "duplicate", C, &e), 0);
}

static void expect_money(const struct statement_money *m, int64_t n, int64_t t, int64_t u, int64_t a,
                         int64_t c) {
  assert_int_equal(m->count, n);
  assert_int_equal(m->total_fen, t);
  assert_int_equal(m->fund_fen, u);
  assert_int_equal(m->account_fen, a);
  assert_int_equal(m->cash_fen, c);
}

static void test_statement_day(void **state) {
  (void)state;
  seed_day();
  struct statement s;
  assert_int_equal(statement_build(F.db, "2025-03-10", NULL, &s), 0);
  assert_int_equal(s.nrows, 3);
  assert_string_equal(s.rows[0].plan_id, ""); /* sorted: "" < employee_t1 < resident */
  assert_int_equal(s.rows[0].rejected, 1);
  expect_money(&s.rows[0].settled, 0, 0, 0, 0, 0);
  assert_string_equal(s.rows[1].plan_id, "employee_t1");
  expect_money(&s.rows[1].settled, 2, 37800, 16020, 21780, 0);
  expect_money(&s.rows[1].reversed, 1, 12600, 11340, 1260, 0);
  expect_money(&s.rows[1].net, 1, 25200, 4680, 20520, 0);
  assert_string_equal(s.rows[2].plan_id, "resident");
  expect_money(&s.rows[2].net, 1, 12600, 1820, 0, 10780);
  expect_money(&s.totals.settled, 3, 50400, 17840, 21780, 10780);
  expect_money(&s.totals.reversed, 1, 12600, 11340, 1260, 0);
  expect_money(&s.totals.net, 2, 37800, 6500, 20520, 10780);
  assert_int_equal(s.totals.rejected, 1);

  char *csv = NULL;
  size_t len = 0;
  assert_int_equal(statement_to_csv(&s, &csv, &len), 0);
  const char *want =
      "date,facility_id,plan_id,settled_count,settled_total_fen,settled_fund_fen,settled_account_fen,"
      "settled_cash_fen,reversed_count,reversed_total_fen,reversed_fund_fen,reversed_account_fen,"
      "reversed_cash_fen,net_count,net_total_fen,net_fund_fen,net_account_fen,net_cash_fen,rejected_count\n"
      "2025-03-10,fc-comm,,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1\n"
      "2025-03-10,fc-comm,employee_t1,2,37800,16020,21780,0,1,12600,11340,1260,0,1,25200,4680,20520,0,0\n"
      "2025-03-10,fc-comm,resident,1,12600,1820,0,10780,0,0,0,0,0,1,12600,1820,0,10780,0\n"
      "2025-03-10,*,*,3,50400,17840,21780,10780,1,12600,11340,1260,0,2,37800,6500,20520,10780,1\n";
  assert_string_equal(csv, want);
  assert_int_equal(len, strlen(want));
  free(csv);

  json_t *j = statement_to_json(&s);
  assert_non_null(j);
  json_t *tot = json_object_get(json_object_get(j, "totals"), "net");
  assert_int_equal(json_integer_value(json_object_get(tot, "fund_fen")), 6500);
  assert_true(json_is_null(json_object_get(j, "facility_id")));
  json_decref(j);
  statement_free(&s);

  /* other day, other facility: empty; a bad date refused */
  assert_int_equal(statement_build(F.db, "2025-03-11", NULL, &s), 0);
  assert_int_equal(s.nrows, 0);
  statement_free(&s);
  assert_int_equal(statement_build(F.db, "2025-03-10", "fc-tert", &s), 0);
  assert_int_equal(s.nrows, 0);
  statement_free(&s);
  assert_int_equal(statement_build(F.db, "2025-02-30", NULL, &s), LY_EINVAL);
  assert_int_equal(statement_build(F.db, "10/03/2025", NULL, &s), LY_EINVAL);
}

static void test_check_and_tamper(void **state) {
  (void)state;
  seed_day();
  struct statement_check *c = malloc(sizeof *c);
  assert_non_null(c);
  assert_int_equal(statement_check_run(F.db, c), 0);
  assert_int_equal(c->ndiffs, 0);
  assert_int_equal(c->claims, 4);
  assert_int_equal(c->reversals, 1);
  assert_int_equal(c->accumulators, 2);
  assert_int_equal(c->accounts, 2);

  /* someone edits an accumulator and an account behind insurance/'s back */
  fx_exec(F.db,
          "UPDATE insurance_accumulators SET fund_paid_fen = fund_paid_fen + 1 WHERE patient_id = 'p2'");
  fx_exec(F.db,
          "UPDATE coverage SET account_balance_fen = account_balance_fen + 500 WHERE patient_id = 'p1'");
  assert_int_equal(statement_check_run(F.db, c), 0);
  assert_int_equal(c->ndiffs, 2);
  assert_string_equal(c->diffs[0].what, "accumulator");
  assert_string_equal(c->diffs[0].key, "p2/2025/community");
  assert_string_equal(c->diffs[0].field, "fund_paid_fen");
  assert_int_equal(c->diffs[0].expected, 1820);
  assert_int_equal(c->diffs[0].actual, 1821);
  assert_string_equal(c->diffs[1].what, "account");
  assert_int_equal(c->diffs[1].expected, 100000 - 20520);
  assert_int_equal(c->diffs[1].actual, 100000 - 20520 + 500);
  json_t *j = statement_check_to_json(c);
  assert_false(json_is_true(json_object_get(j, "ok")));
  json_decref(j);
  free(c);
}

static void test_cli(void **state) {
  (void)state;
  seed_day();
  char buf[4096];
  FILE *out = fmemopen(buf, sizeof buf, "w"), *err = fopen("/dev/null", "w");
  char *argv1[] = {"statement",  "--data",     "/srv/x",  "--date",
                   "2025-03-10", "--facility", "fc-comm", "--check"};
  assert_int_equal(statement_cli(F.db, 8, argv1, out, err), 0);
  fclose(out);
  assert_non_null(strstr(buf, "2025-03-10,*,*,3,50400"));
  assert_non_null(strstr(buf, "check: OK"));
  char *argv2[] = {"statement", "--date"};
  assert_int_equal(statement_cli(F.db, 2, argv2, err, err), 2);
  char *argv3[] = {"statement", "--date", "2025-13-01"};
  assert_int_equal(statement_cli(F.db, 3, argv3, err, err), 2);
  fx_exec(F.db, "UPDATE insurance_episodes SET deductible_charged_fen = 1");
  fx_exec(F.db, "UPDATE insurance_accumulators SET claims = claims + 1");
  char *argv4[] = {"statement", "--check"};
  assert_int_equal(statement_cli(F.db, 2, argv4, err, err), 1);
  fclose(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_statement_day, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_and_tamper, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
