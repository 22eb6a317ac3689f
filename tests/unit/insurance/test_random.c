/* tests/unit/insurance/test_random.c — a fixed-seed random walk of 12,000
 * settle / replay / reverse operations over 200 patients, three facility
 * levels, two policy versions, two years and referral episodes. An
 * independent model (sums of what each call returned) must equal the stored
 * accumulators, accounts and episodes; the stored accumulators must equal
 * the sums of settled-minus-reversed lines; the statement check must pass;
 * and no claim ever breaks its deductible or cap. */
#include "tests/unit/insurance/fixture.h"

#include "core/audit.h"
#include "insurance/claim.h"
#include "insurance/statement.h"

#define NPAT 200
#define NOPS 12000
#define NEP  3 /* episodes per patient */

static const char *const LEVEL[3] = {"community", "secondary", "tertiary"};
static const char *const FAC[4] = {"fc-comm", "fc-sec", "fc-tert", "fc-nd"};

struct model {
  char id[16];
  int insured, employee;
  int64_t balance;
  int64_t ded[2][3], fund[2][3], acct[2][3]; /* [2024, 2025][level] */
  int64_t ep[NEP];
};

struct op_claim {
  char id[LY_ID_MAX];
  char encounter[24];
  int patient;
  enum claim_status status;
};

static struct fx F;
static struct claim *C;
static struct model M[NPAT];
static struct op_claim *K; /* every recorded claim */
static size_t NK;
static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static int64_t rnd_in(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static void seed_patients(void) {
  for (int i = 0; i < NPAT; i++) {
    struct model *m = &M[i];
    snprintf(m->id, sizeof m->id, "rp%03d", i);
    m->insured = i % 20 != 19;
    m->employee = m->insured && i % 3 != 2;
    m->balance = m->employee ? rnd_in(0, 4) * rnd_in(0, 60000) : 0;
    fx_patient(F.db, m->id, m->insured ? (m->employee ? "employee_t1" : "resident") : NULL, m->balance, 0);
  }
}

/* 1..6 random items, odd prices included; now and then a huge one so caps bind. */
static size_t random_items(struct claim_item *it) {
  static const char *const drugs[3] = {"dA", "dB", "dC"};
  static const char *const fees[3] = {"110200001", "110200003", "NOCOVER"};
  size_t n = (size_t)rnd_in(1, 6);
  for (size_t i = 0; i < n; i++) {
    int kind = (int)rnd_in(0, 9);
    if (kind < 6) {
      int priced = rnd() % 2;
      it[i] = (struct claim_item){ADJUDICATE_DRUG, drugs[rnd() % 3], rnd_in(1, rnd() % 50 ? 30 : 2000),
                                  priced, priced ? rnd_in(0, 99999) : 0};
    } else if (kind < 9) {
      it[i] = (struct claim_item){ADJUDICATE_FEE, fees[rnd() % 3], 1, 0, 0};
    } else {
      it[i] = (struct claim_item){ADJUDICATE_DELIVERY, "DELIVERY", 1, (int)(rnd() % 2), rnd_in(0, 1500)};
    }
  }
  return n;
}

static int level_of(const char *facility) {
  for (int l = 0; l < 3; l++)
    if (strcmp(facility, FAC[l]) == 0) return l;
  return 0; /* fc-nd is a community centre */
}

static void model_apply(const struct claim *c, int p, int sign) {
  struct model *m = &M[p];
  int y = c->service_year - 2024, l = level_of(c->facility_id);
  m->ded[y][l] += sign * c->total.deductible_fen;
  m->fund[y][l] += sign * c->total.fund_fen;
  m->acct[y][l] += sign * c->total.account_fen;
  m->balance -= sign * c->total.account_fen;
  if (c->episode_id[0])
    m->ep[c->episode_id[strlen(c->episode_id) - 1] - '0'] += sign * c->total.deductible_fen;
}

/* What a fresh settlement must respect, whatever the inputs. */
static void check_settled(const struct claim *c) {
  struct adjudicate_amounts sum;
  memset(&sum, 0, sizeof sum);
  for (size_t i = 0; i < c->nlines; i++)
    adjudicate_amounts_add(&sum, &c->lines[i].amounts);
  assert_memory_equal(&sum, &c->total, sizeof sum);
  assert_int_equal(c->total.fund_fen + c->total.account_fen + c->total.cash_fen, c->total.total_fen);
  int64_t cap = strcmp(c->plan_id, "resident") == 0 ? 300000 : 1000000;
  assert_true(c->after.fund_paid_fen <= cap || c->total.fund_fen == 0);
  assert_true(c->after.account_balance_fen >= 0);
}

static void op_settle(int64_t now, int64_t t0, size_t op) {
  struct claim_item items[6];
  struct ly_error e;
  int p = (int)rnd_in(0, NPAT - 1);
  const char *fac = FAC[rnd() % 50 ? rnd() % 3 : 3];
  struct op_claim *k = &K[NK];
  snprintf(k->encounter, sizeof k->encounter, "enc-%zu", op);
  struct claim_req r = fx_req(M[p].id, fac, k->encounter, rnd_in(t0, now - 1), items, random_items(items));
  char ep[16];
  if (rnd() % 4 == 0) {
    snprintf(ep, sizeof ep, "ep-%03d-%d", p, (int)(rnd() % NEP));
    r.episode_id = ep;
  }
  r.encounter_type = rnd() % 2 ? "dispense" : "consultation";
  r.doctor_title = rnd() % 2 ? "chief" : NULL;
  int rc = claim_settle(F.db, now, &fx_actor, &r, C, &e);
  if (rc && rc != LY_EDENIED)
    print_error("settle: rc %d %s %s (%s) db: %s\n", rc, e.code, e.message, e.field, ly_db_errmsg(F.db));
  assert_true(rc == 0 || rc == LY_EDENIED);
  if (rc == 0) {
    check_settled(C);
    model_apply(C, p, 1);
  }
  snprintf(k->id, sizeof k->id, "%s", C->id);
  k->patient = p;
  k->status = C->status;
  NK++;
}

/* Replay: same encounter, other items, same first result, no effect. */
static void op_replay(int64_t now) {
  struct ly_error e;
  struct claim_item items[6];
  struct op_claim *k = &K[rnd() % NK];
  if (k->status == CLAIM_REJECTED) return;
  int64_t before = fx_int(F.db, "SELECT COUNT(*) FROM claims", NULL, NULL);
  char type[16];
  assert_int_equal(claim_get(F.db, k->id, C), 0);
  snprintf(type, sizeof type, "%s", C->encounter_type);
  struct claim_req r =
      fx_req(M[k->patient].id, C->facility_id, k->encounter, now - 1, items, random_items(items));
  r.encounter_type = type;
  assert_int_equal(claim_settle(F.db, now, &fx_actor, &r, C, &e), 0);
  assert_int_equal(C->replayed, 1);
  assert_string_equal(C->id, k->id);
  assert_int_equal(fx_int(F.db, "SELECT COUNT(*) FROM claims", NULL, NULL), before);
}

static void op_reverse(int64_t now) {
  struct ly_error e;
  struct op_claim *k = &K[rnd() % NK];
  int rc = claim_reverse(F.db, now, &fx_actor, k->id, "random walk", C, &e);
  if (k->status == CLAIM_SETTLED) {
    assert_int_equal(rc, 0);
    model_apply(C, k->patient, -1);
    k->status = CLAIM_REVERSED;
  } else {
    assert_int_equal(rc, LY_ESTATE);
  }
}

static void compare_model(void) {
  static const char *acc =
      "SELECT COALESCE((SELECT deductible_used_fen || ',' || fund_paid_fen || ',' || account_paid_fen"
      " FROM insurance_accumulators WHERE patient_id = ?1 AND year || '/' || facility_level = ?2), '0,0,0')";
  for (int p = 0; p < NPAT; p++) {
    const struct model *m = &M[p];
    for (int y = 0; y < 2; y++)
      for (int l = 0; l < 3; l++) {
        char key[32], want[96];
        snprintf(key, sizeof key, "%d/%s", 2024 + y, LEVEL[l]);
        snprintf(want, sizeof want, "%lld,%lld,%lld", (long long)m->ded[y][l], (long long)m->fund[y][l],
                 (long long)m->acct[y][l]);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(F.db), acc, -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
        sqlite3_finalize(st);
      }
    if (m->insured)
      assert_int_equal(
          fx_int(F.db, "SELECT account_balance_fen FROM coverage WHERE patient_id = ?1", m->id, NULL),
          m->balance);
    for (int k = 0; k < NEP; k++) {
      char ep[16];
      snprintf(ep, sizeof ep, "ep-%03d-%d", p, k);
      assert_int_equal(fx_int(F.db,
                              "SELECT COALESCE((SELECT deductible_charged_fen FROM insurance_episodes"
                              " WHERE id = ?1), 0)",
                              ep, NULL),
                       m->ep[k]);
    }
  }
}

/* Every accumulator = the sum of the lines of its settled (not reversed) claims. */
static void compare_lines(void) {
  const char *sql =
      "SELECT COUNT(*) FROM insurance_accumulators a WHERE"
      " a.deductible_used_fen <> (SELECT COALESCE(SUM(l.deductible_fen), 0) FROM claims c JOIN claim_lines l"
      "  ON l.claim_id = c.id WHERE c.patient_id = a.patient_id AND c.service_year = a.year"
      "  AND c.facility_level = a.facility_level AND c.status = 'settled')"
      " OR a.fund_paid_fen <> (SELECT COALESCE(SUM(l.fund_fen), 0) FROM claims c JOIN claim_lines l"
      "  ON l.claim_id = c.id WHERE c.patient_id = a.patient_id AND c.service_year = a.year"
      "  AND c.facility_level = a.facility_level AND c.status = 'settled')"
      " OR a.account_paid_fen <> (SELECT COALESCE(SUM(l.account_fen), 0) FROM claims c JOIN claim_lines l"
      "  ON l.claim_id = c.id WHERE c.patient_id = a.patient_id AND c.service_year = a.year"
      "  AND c.facility_level = a.facility_level AND c.status = 'settled')";
  assert_int_equal(fx_int(F.db, sql, NULL, NULL), 0);
  assert_true(fx_int(F.db, "SELECT COUNT(*) FROM insurance_accumulators", NULL, NULL) > 300);
}

static void test_random_walk(void **state) {
  (void)state;
  struct ly_error e;
  int64_t t0 = fx_ms("2024-06-01T00:00:00.000Z"), now = fx_ms("2025-12-31T12:00:00.000Z");
  /* Durability is the bench's and the crash test's business: skip fsync here. */
  fx_exec(F.db, "PRAGMA synchronous=OFF");
  /* a second policy version from 2025-07-01: lower community ratio, higher deductible */
  struct policy_rate_in v2 = {"employee_t1", "community", 8500, 30000, 1000000};
  struct policy_change pc = {fx_ms("2025-07-01T00:00:00.000Z"), "v2", 1, &v2, 0, {0}, 0, NULL};
  char v2id[LY_ID_MAX];
  assert_int_equal(policy_create(F.db, t0, "acct-admin", "admin", &pc, v2id, sizeof v2id, &e), 0);
  seed_patients();
  size_t settles = 0, replays = 0, reverses = 0;
  for (size_t op = 0; op < NOPS; op++) {
    int64_t at = now + (int64_t)op * 1000;
    int dice = NK ? (int)(rnd() % 10) : 0;
    if (dice < 7) {
      op_settle(at, t0, op);
      settles++;
    } else if (dice < 8) {
      op_replay(at);
      replays++;
    } else {
      op_reverse(at);
      reverses++;
    }
  }
  print_message(
      "random walk: %zu settles, %zu replays, %zu reverses; %lld settled, %lld reversed, %lld rejected\n",
      settles, replays, reverses,
      (long long)fx_int(F.db, "SELECT COUNT(*) FROM claims WHERE status = 'settled'", NULL, NULL),
      (long long)fx_int(F.db, "SELECT COUNT(*) FROM claims WHERE status = 'reversed'", NULL, NULL),
      (long long)fx_int(F.db, "SELECT COUNT(*) FROM claims WHERE status = 'rejected'", NULL, NULL));
  compare_model();
  compare_lines();
  struct statement_check *c = malloc(sizeof *c);
  assert_non_null(c);
  assert_int_equal(statement_check_run(F.db, c), 0);
  for (size_t i = 0; i < c->kept; i++)
    print_error("diff %s %s %s %lld %lld\n", c->diffs[i].what, c->diffs[i].key, c->diffs[i].field,
                (long long)c->diffs[i].expected, (long long)c->diffs[i].actual);
  assert_int_equal(c->ndiffs, 0);
  assert_true(c->claims >= 8000);
  free(c);
  int64_t checked = 0, bad = 0;
  assert_int_equal(ly_audit_verify(F.db, &checked, &bad), 0);
  assert_true(checked >= 8000);
}

int main(void) {
  fx_open(&F);
  C = calloc(1, sizeof *C);
  K = calloc(NOPS, sizeof *K);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_random_walk)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free(K);
  free(C);
  fx_close(&F);
  return rc;
}
