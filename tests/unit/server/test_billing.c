/* tests/unit/server/test_billing.c — server/billing.c on a real database
 * without a server: an ended consultation billed its fee once; a completed
 * dispense billed from its receipt; a crash between the settlement's commit
 * and the marks (the settle phase run alone) leaves one claim and the next
 * run finds it; a refusal is recorded once, not retried; a dispense returned
 * after billing reverses its claim; and the reconciliation check passes
 * after each. The .c is included to reach the phases (STYLE.md). */
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
#include "insurance/statement.h"
#include "rx/dispense.h"
#include "rx/pharmacy_claim.h"
#include "server/billing.c"
#include "tests/unit/rx/pharmacy_fixture.h"

/* employee_t1 for pat_1 (account ¥1 000), none for pat_2; policy from 2024:
 * community 90 % without deductible, tertiary 70 % after ¥400. */
static const char *BILL_SEED =
    "INSERT INTO insurance_plans VALUES ('employee_t1', '职工一档', 'Employee T1', 1);"
    "INSERT INTO coverage VALUES ('pat_1', 'employee_t1', 'INS-1', 1704067200000, 4102444800000, 100000);"
    "INSERT INTO policy_versions VALUES ('pv1', 1704067200000, 'v1', 'seed', 1704067200000);"
    "INSERT INTO policy_rates VALUES ('pv1', 'employee_t1', 'community', 9000, 0, 800000),"
    " ('pv1', 'employee_t1', 'tertiary', 7000, 40000, 800000);"
    "INSERT INTO policy_categories VALUES ('pv1', '甲', 0), ('pv1', '乙', 1000), ('pv1', '丙', 10000);"
    "INSERT INTO fee_schedule VALUES"
    " ('pv1', '110200001', '普通门诊诊查费', 'Consultation', 'community', 'gp', 1000, 1),"
    " ('pv1', '110200001', '普通门诊诊查费', 'Consultation', 'any', 'any', 2000, 1),"
    " ('pv1', '111000004', '远程会诊费', 'Remote', 'any', 'any', 5000, 1),"
    " ('pv1', 'DELIVERY', '药品配送费', 'Delivery', 'any', 'any', 800, 0);";

struct bfx {
  struct pxfx *t;
  struct billing_ctx cx;
};

static int setup(void **state) {
  struct bfx *b = calloc(1, sizeof *b);
  b->t = px_open(); /* con_1: pat_1 with doc_a (gp) at fac_c, ended */
  fx_sql(b->t->f, BILL_SEED);
  b->cx = (struct billing_ctx){b->t->f->db, &b->t->f->clock.clock, &b->t->f->keys, NULL, NULL};
  *state = b;
  return 0;
}

static int teardown(void **state) {
  struct bfx *b = *state;
  px_close(b->t);
  free(b);
  return 0;
}

static int64_t rows(struct bfx *b, const char *sql, const char *arg) {
  return px_count(b->t->f, sql, arg);
}

static void check_passes(struct bfx *b) {
  struct statement_check *c = calloc(1, sizeof *c);
  assert_int_equal(statement_check_run(b->t->f->db, c), 0);
  if (c->ndiffs) print_error("difference: %s %s %s\n", c->diffs[0].what, c->diffs[0].key, c->diffs[0].field);
  assert_int_equal(c->ndiffs, 0);
  free(c);
}

static void run(struct bfx *b, struct billing_stats *s) {
  struct ly_logger log;
  ly_logger_init(&log, 2, LY_LOG_OFF, &b->t->f->clock.clock);
  b->cx.log = &log;
  assert_int_equal(billing_run(&b->cx, s), 0);
  b->cx.log = NULL;
}

/* A completed pickup of a two-line prescription at ph_near; its receipt id. */
static void completed(struct bfx *b, char receipt[LY_ID_MAX]) {
  char id[LY_ID_MAX];
  struct ly_error e;
  struct pharmacy_claim_out out;
  json_t *r = NULL;
  px_ready(b->t, id, 1);
  assert_int_equal(px_dispatch(b->t, id, "pickup", "ph_near", &e), 0);
  assert_int_equal(pharmacy_claim(&b->t->cx, &PA_NEAR, id, &out, &e), 0);
  json_decref(out.view);
  struct dispense_item_in items[2] = {{1, NULL, 4, NULL}, {2, NULL, 1, NULL}};
  struct dispense_in in = {id, out.secret, "k1", items, 2};
  assert_int_equal(dispense_record(&b->t->cx, &PA_NEAR, &in, &r, &e), 0);
  json_decref(r);
  assert_int_equal(dispense_complete(&b->t->cx, &PA_NEAR, id, out.secret, &r, &e), 0);
  snprintf(receipt, LY_ID_MAX, "%s", json_string_value(json_object_get(r, "id")));
  json_decref(r);
}

static void test_fee_items(void **state) {
  (void)state;
  assert_string_equal(consultation_fee("online_followup", "gp"), "110200001");
  assert_string_equal(consultation_fee("online_followup", "attending"), "110200001");
  assert_string_equal(consultation_fee("online_followup", "associate_chief"), "110200002");
  assert_string_equal(consultation_fee("online_followup", "chief"), "110200003");
  assert_string_equal(consultation_fee("online_followup", "nurse"), "110200001");
  assert_string_equal(consultation_fee("remote_consultation", "chief"), "111000004");
  assert_true(backoff_ms(0) == 30000 && backoff_ms(1) == 60000 && backoff_ms(20) == 3600000);
}

static void test_consultation_billed_once(void **state) {
  struct bfx *b = *state;
  struct billing_stats s;
  assert_int_equal(rows(b, "SELECT count(*) FROM billing_due WHERE ref_id = ?1", "con_1"), 1);
  run(b, &s);
  assert_int_equal(s.settled, 1);
  assert_int_equal(s.failed, 0);
  const char *q =
      "SELECT fund_fen * 1000000 + account_fen * 1000 + cash_fen FROM claims"
      " WHERE encounter_type = 'consultation' AND encounter_id = ?1 AND status = 'settled'";
  assert_int_equal(rows(b, q, "con_1"), 900LL * 1000000 + 100 * 1000 + 0); /* ¥10: 90 % fund, 10 % account */
  assert_int_equal(rows(b, "SELECT count(*) FROM billing_due", NULL), 0);
  run(b, &s);
  assert_int_equal(s.settled + s.replayed + s.rejected + s.failed, 0);
  check_passes(b);
}

static void test_crash_between_settle_and_mark(void **state) {
  struct bfx *b = *state;
  struct billing_stats s;
  char receipt[LY_ID_MAX], after[LY_ID_MAX] = "";
  completed(b, receipt);
  /* the settle phase alone, as if the process died before the marks */
  struct batch *bt = calloc(1, sizeof *bt);
  int64_t now = ly_now_ms(b->cx.clock);
  assert_int_equal(collect_consultations(&b->cx, now, bt), 0);
  assert_int_equal(collect_receipts(&b->cx, bt, after), 0);
  assert_int_equal(bt->n, 2);
  assert_int_equal(settle(&b->cx, now, bt), 0);
  free(bt);
  const char *claims = "SELECT count(*) FROM claims WHERE encounter_id = ?1";
  assert_int_equal(rows(b, claims, receipt), 1);
  assert_int_equal(rows(b, "SELECT count(*) FROM rx_receipts WHERE billed_at IS NULL", NULL), 1);
  int64_t balance = rows(b, "SELECT account_balance_fen FROM coverage WHERE patient_id = ?1", "pat_1");
  /* the next run finds both settled: no second claim, the account debited once */
  run(b, &s);
  assert_int_equal(s.replayed, 2);
  assert_int_equal(s.settled, 0);
  assert_int_equal(rows(b, claims, receipt), 1);
  assert_int_equal(rows(b, claims, "con_1"), 1);
  assert_int_equal(rows(b,
                        "SELECT count(*) FROM rx_receipts r JOIN claims k ON k.id = r.billed_claim_id"
                        " WHERE r.id = ?1 AND k.encounter_id = r.id",
                        receipt),
                   1);
  assert_int_equal(rows(b, "SELECT account_balance_fen FROM coverage WHERE patient_id = ?1", "pat_1"),
                   balance);
  /* the drug lines: amlodipine 4 × 1500 and metformin 1 × 900, both 甲 */
  assert_int_equal(
      rows(b, "SELECT total_fen * 1000000 + fund_fen FROM claims WHERE encounter_id = ?1", receipt),
      6900LL * 1000000 + 5400 + 810);
  check_passes(b);
}

static void test_refusal_recorded_once(void **state) {
  struct bfx *b = *state;
  struct billing_stats s;
  fx_consultation(b->t->f, "con_2", "pat_2", "doc_a", "fac_c", "ended"); /* pat_2 is not insured */
  run(b, &s);
  assert_int_equal(s.rejected, 1);
  const char *q = "SELECT count(*) FROM claims WHERE encounter_id = ?1 AND status = 'rejected'";
  assert_int_equal(rows(b, q, "con_2"), 1);
  /* as if the marks had been lost: the job recognises its own refusal */
  fx_sql(b->t->f, "INSERT INTO billing_due (kind, ref_id, due_at) VALUES ('consultation', 'con_2', 0)");
  run(b, &s);
  assert_int_equal(s.rejected, 1);
  assert_int_equal(rows(b, q, "con_2"), 1);
  assert_int_equal(rows(b, "SELECT count(*) FROM billing_due", NULL), 0);
  check_passes(b);
}

static void test_returned_dispense_reversed(void **state) {
  struct bfx *b = *state;
  struct billing_stats s;
  char receipt[LY_ID_MAX];
  completed(b, receipt);
  run(b, &s);
  assert_int_equal(s.settled, 2);
  int64_t balance = rows(b, "SELECT account_balance_fen FROM coverage WHERE patient_id = ?1", "pat_1");
  fx_sql(b->t->f, "UPDATE rx_dispenses SET returned_at = 1");
  assert_int_equal(rows(b, "SELECT count(*) FROM billing_due WHERE ref_id = ?1", receipt), 1);
  run(b, &s);
  assert_int_equal(s.reversed, 1);
  assert_int_equal(
      rows(b, "SELECT count(*) FROM claims WHERE encounter_id = ?1 AND status = 'reversed'", receipt), 1);
  assert_true(rows(b, "SELECT account_balance_fen FROM coverage WHERE patient_id = ?1", "pat_1") > balance);
  run(b, &s);
  assert_int_equal(s.reversed + s.failed, 0);
  check_passes(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fee_items),
      cmocka_unit_test_setup_teardown(test_consultation_billed_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crash_between_settle_and_mark, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refusal_recorded_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_returned_dispense_reversed, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
