/* tests/unit/server/test_demo.c — server/demo*.c: demo_seed into a temporary
 * database, then the counts and the rules the demo district promises
 * (DESIGN §2, §3, §6; issue 2 "Demo district"), determinism, roll-back on
 * failure, the logins table, and the strict TSV reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/log.h"
#include "server/demo.h"
#include "server/demo_internal.h"
#include "server/demo_tsv.h"
#include "server/server.h"

#define YEAR_MS (365LL * DEMO_DAY_MS)

struct fx {
  char dir[64];
  char path[2][128];
  struct ly_server srv[2];
  int64_t seed_ms;
};

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A server context with only what demo_seed uses: db, keys, clock, log. */
static void fx_srv(struct fx *f, int i) {
  uint8_t master[32];
  struct ly_error e;
  struct ly_server *s = &f->srv[i];
  memset(s, 0, sizeof *s);
  for (int k = 0; k < 32; k++)
    master[k] = (uint8_t)(k * 7 + 1);
  s->clock = ly_clock_system();
  ly_logger_init(&s->log, 2, getenv("DEMO_DEBUG") ? LY_LOG_DEBUG : LY_LOG_WARN, s->clock);
  assert_int_equal(ly_keys_derive(master, &s->keys), LY_OK);
  char dir[sizeof f->dir];
  memcpy(dir, f->dir, sizeof dir);
  snprintf(f->path[i], sizeof f->path[i], "%s/demo%d.db", dir, i);
  ly_error_clear(&e);
  assert_int_equal(ly_db_open(f->path[i], &s->db, &e), LY_OK);
}

static void fx_unlink(const char *path) {
  const char *sfx[] = {"", "-wal", "-shm"};
  char p[160];
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s%s", path, sfx[i]);
    unlink(p);
  }
}

static int group_setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/ly_test_demo.XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  fx_srv(f, 0);
  double t0 = mono_ms();
  int rc = demo_seed(&f->srv[0]);
  f->seed_ms = (int64_t)(mono_ms() - t0);
  fprintf(stderr, "demo_seed took %lld ms\n", (long long)f->seed_ms);
  *state = f;
  return rc;
}

static int group_teardown(void **state) {
  struct fx *f = *state;
  for (int i = 0; i < 2; i++) {
    ly_db_close(f->srv[i].db);
    if (f->path[i][0]) fx_unlink(f->path[i]);
  }
  rmdir(f->dir);
  free(f);
  return 0;
}

static struct ly_db *db0(void **state) {
  return ((struct fx *)*state)->srv[0].db;
}

/* The first column of the first row of sql with an optional text parameter. */
static int64_t q_int(struct ly_db *db, const char *sql, const char *arg) {
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
  if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return v;
}

static void q_text(struct ly_db *db, const char *sql, const char *arg, char *out, size_t outsz) {
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
  if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
  out[0] = '\0';
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
}

static void test_seed_time(void **state) {
  struct fx *f = *state;
  /* < 3 s is the target on a normal build; sanitizers are allowed 4x. */
  assert_true(f->seed_ms < 12000);
}

static void test_counts(void **state) {
  struct ly_db *db = db0(state);
  assert_int_equal(q_int(db, "SELECT count(*) FROM subdistricts", NULL), 6);
  assert_int_equal(q_int(db, "SELECT count(*) FROM facilities WHERE kind = 'hospital'", NULL), 3);
  assert_int_equal(q_int(db, "SELECT count(*) FROM facilities WHERE level = 'tertiary'", NULL), 1);
  assert_int_equal(q_int(db, "SELECT count(*) FROM facilities WHERE level = 'secondary'", NULL), 2);
  assert_int_equal(q_int(db, "SELECT count(*) FROM facilities WHERE kind = 'community_centre'", NULL), 37);
  assert_int_equal(
      q_int(db,
            "SELECT count(*) FROM facilities f WHERE kind = 'community_centre' AND (SELECT count(*)"
            " FROM departments d WHERE d.facility_id = f.id AND specialty = 'general_practice') = 1",
            NULL),
      37);
  assert_int_equal(q_int(db, "SELECT count(*) FROM pharmacies", NULL), 285);
  assert_true(q_int(db, "SELECT count(*) FROM doctors", NULL) >= 60);
  assert_true(q_int(db, "SELECT count(*) FROM pharmacists", NULL) >= 10);
  assert_true(q_int(db, "SELECT count(*) FROM patients", NULL) >= 500);
  assert_true(q_int(db, "SELECT count(*) FROM drugs", NULL) >= 150);
  assert_int_equal(q_int(db, "SELECT count(*) FROM doctor_titles", NULL), 5);
  assert_int_equal(q_int(db, "SELECT count(*) FROM insurance_plans", NULL), 3);
  assert_int_equal(q_int(db, "SELECT count(*) FROM policy_versions", NULL), 1);
  assert_int_equal(q_int(db, "SELECT count(*) FROM policy_rates", NULL), 9);
  assert_true(q_int(db, "SELECT count(*) FROM fee_schedule", NULL) >= 15);
  assert_true(q_int(db, "SELECT count(*) FROM conditions", NULL) >= 25);
  assert_int_equal(q_int(db, "SELECT count(*) FROM pharmacy_staff", NULL), 20);
  /* one audit entry records the seeding */
  assert_int_equal(q_int(db, "SELECT count(*) FROM audit WHERE action = 'demo.seed'", NULL), 1);
}

static void test_places(void **state) {
  struct ly_db *db = db0(state);
  int64_t delivering = q_int(db, "SELECT count(*) FROM pharmacies WHERE delivers = 1", NULL);
  assert_true(delivering >= 285 / 4 && delivering <= 285 * 45 / 100); /* about a third */
  /* a delivering pharmacy serves its own subdistrict and at least one neighbour */
  assert_int_equal(
      q_int(db,
            "SELECT count(*) FROM pharmacies p WHERE delivers = 1 AND NOT EXISTS (SELECT 1 FROM"
            " pharmacy_delivery_areas a WHERE a.pharmacy_id = p.id AND a.subdistrict_id = p.subdistrict_id)",
            NULL),
      0);
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM pharmacies p WHERE delivers = 1 AND (SELECT count(*) FROM"
                         " pharmacy_delivery_areas a WHERE a.pharmacy_id = p.id) < 2",
                         NULL),
                   0);
  assert_int_equal(
      q_int(db,
            "SELECT count(*) FROM pharmacy_delivery_areas a JOIN pharmacies p ON p.id = a.pharmacy_id"
            " WHERE p.delivers = 0",
            NULL),
      0);
  /* coordinates near their subdistrict centre (within ~8 km) */
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM pharmacies p JOIN subdistricts s ON s.id = p.subdistrict_id"
                         " WHERE abs(p.lat - s.lat) > 0.07 OR abs(p.lon - s.lon) > 0.07",
                         NULL),
                   0);
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM patients p JOIN subdistricts s ON s.id = p.subdistrict_id"
                         " WHERE abs(p.lat - s.lat) > 0.07 OR abs(p.lon - s.lon) > 0.07",
                         NULL),
                   0);
  assert_int_equal(q_int(db, "SELECT count(DISTINCT name) FROM pharmacies", NULL), 285);
  assert_int_equal(
      q_int(db, "SELECT count(*) FROM pharmacies WHERE opens NOT GLOB '[0-2][0-9]:[0-5][0-9]'", NULL), 0);
}

/* GB 11643-1999 check character, computed here independently. */
static char id_check(const char *s) {
  static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; i++)
    sum += (s[i] - '0') * w[i];
  return "10X98765432"[sum % 11];
}

static void test_check_digit_known(void **state) {
  (void)state;
  /* the standard's example number */
  assert_int_equal(demo_rand_id_check("11010519491231002"), 'X');
  assert_int_equal(id_check("11010519491231002"), 'X');
  char out[19];
  assert_int_equal(demo_rand_national_id("1949-12-31", 2, 'F', out), LY_OK);
  assert_string_equal(out,
                      "44031019491231002"
                      "8");
  assert_int_equal(id_check(out), out[17]);
  assert_int_equal(demo_rand_national_id("1949-12-31", 2, 'M', out), LY_EINVAL); /* parity is the sex */
}

static void check_patient_ids(struct ly_server *srv, sqlite3_stmt *st) {
  const char *birth = (const char *)sqlite3_column_text(st, 1);
  const char *sex = (const char *)sqlite3_column_text(st, 2);
  uint8_t pt[64], h[LY_SHA256_LEN];
  size_t n = 0;
  assert_int_equal(ly_open(srv->keys.enc, "patients.national_id", sqlite3_column_blob(st, 3),
                           (size_t)sqlite3_column_bytes(st, 3), pt, sizeof pt - 1, &n),
                   LY_OK);
  pt[n] = '\0';
  const char *nid = (const char *)pt;
  assert_int_equal(n, 18);
  for (int i = 0; i < 17; i++)
    assert_true(nid[i] >= '0' && nid[i] <= '9');
  assert_memory_equal(nid, "440310", 6);
  assert_memory_equal(nid + 6, birth, 4);
  assert_memory_equal(nid + 10, birth + 5, 2);
  assert_memory_equal(nid + 12, birth + 8, 2);
  assert_int_equal(id_check(nid), nid[17]);
  assert_int_equal((nid[16] - '0') % 2 == 1, sex[0] == 'M');
  assert_int_equal(ly_lookup_hash(&srv->keys, nid, h), LY_OK);
  assert_int_equal(sqlite3_column_bytes(st, 4), LY_SHA256_LEN);
  assert_memory_equal(h, sqlite3_column_blob(st, 4), LY_SHA256_LEN);
  /* the phone */
  assert_int_equal(ly_open(srv->keys.enc, "patients.phone", sqlite3_column_blob(st, 5),
                           (size_t)sqlite3_column_bytes(st, 5), pt, sizeof pt - 1, &n),
                   LY_OK);
  pt[n] = '\0';
  assert_int_equal(n, 11);
  assert_int_equal(pt[0], '1');
  assert_true(pt[1] >= '3' && pt[1] <= '9');
  assert_int_equal(ly_lookup_hash(&srv->keys, (const char *)pt, h), LY_OK);
  assert_memory_equal(h, sqlite3_column_blob(st, 6), LY_SHA256_LEN);
}

static void test_national_ids(void **state) {
  struct fx *f = *state;
  struct ly_db *db = db0(state);
  sqlite3_stmt *st = NULL;
  int n = 0;
  assert_int_equal(
      sqlite3_prepare_v2(ly_db_sqlite(db),
                         "SELECT id, birth_date, sex, national_id_enc, national_id_hash, phone_enc,"
                         " phone_hash FROM patients ORDER BY id",
                         -1, &st, NULL),
      SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    check_patient_ids(&f->srv[0], st);
    /* the lookup hash finds exactly this row */
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM patients WHERE national_id_hash ="
                           " (SELECT national_id_hash FROM patients WHERE id = ?1)",
                           (const char *)sqlite3_column_text(st, 0)),
                     1);
    n++;
  }
  sqlite3_finalize(st);
  assert_true(n >= 500);
}

static void test_ages(void **state) {
  struct ly_db *db = db0(state);
  assert_true(q_int(db, "SELECT count(*) FROM patients WHERE birth_date > date('now', '-6 years')", NULL) >=
              5);
  assert_true(q_int(db, "SELECT count(*) FROM patients WHERE birth_date < date('now', '-75 years')", NULL) >=
              20);
  assert_int_equal(q_int(db, "SELECT count(*) FROM patients WHERE birth_date > date('now')", NULL), 0);
}

static void test_coverage(void **state) {
  struct ly_db *db = db0(state);
  int64_t patients = q_int(db, "SELECT count(*) FROM patients", NULL);
  int64_t covered = q_int(db, "SELECT count(*) FROM coverage", NULL);
  assert_true(covered >= patients * 85 / 100 && covered <= patients);
  for (int i = 0; i < 3; i++) {
    static const char *const plans[] = {"employee_t1", "employee_t2", "resident"};
    assert_true(q_int(db, "SELECT count(*) FROM coverage WHERE plan_id = ?1", plans[i]) >= 50);
  }
  /* valid now; balances only where the plan has a personal account */
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM coverage WHERE NOT (valid_from <= strftime('%s','now') * 1000"
                         " AND valid_to >= strftime('%s','now') * 1000)",
                         NULL),
                   0);
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM coverage c JOIN insurance_plans p ON p.id = c.plan_id"
                         " WHERE p.has_personal_account = 0 AND c.account_balance_fen <> 0",
                         NULL),
                   0);
  assert_int_equal(q_int(db, "SELECT count(*) FROM policy_categories", NULL), 3);
  assert_int_equal(q_int(db, "SELECT self_pay_bp FROM policy_categories WHERE category = '甲'", NULL), 0);
  assert_int_equal(q_int(db, "SELECT self_pay_bp FROM policy_categories WHERE category = '乙'", NULL), 1000);
  assert_int_equal(q_int(db, "SELECT self_pay_bp FROM policy_categories WHERE category = '丙'", NULL), 10000);
  assert_int_equal(q_int(db, "SELECT covered FROM fee_schedule WHERE item_code = 'DELIVERY'", NULL), 0);
  assert_int_equal(
      q_int(db, "SELECT count(*) FROM fee_schedule WHERE facility_level = '-' OR doctor_title = '-'", NULL),
      0);
  char from[32];
  q_text(db, "SELECT datetime(effective_from / 1000, 'unixepoch', '+8 hours') FROM policy_versions", NULL,
         from, sizeof from);
  assert_string_equal(from, "2026-01-01 00:00:00");
}

static void test_diagnoses(void **state) {
  struct ly_db *db = db0(state);
  int64_t now = ly_now_ms(ly_clock_system());
  int64_t total = q_int(db, "SELECT count(*) FROM offline_diagnoses", NULL);
  assert_true(total >= 300);
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM offline_diagnoses WHERE verified = 0 OR source <> 'facility'"
                         " OR verified_by IS NULL OR doctor_id IS NULL",
                         NULL),
                   0);
  /* most within 1-11 months, some older than 12 months */
  char cut[32];
  snprintf(cut, sizeof cut, "%lld", (long long)(now - YEAR_MS));
  int64_t old =
      q_int(db, "SELECT count(*) FROM offline_diagnoses WHERE diagnosed_at < CAST(?1 AS INTEGER)", cut);
  assert_true(old > total / 20 && old < total / 2);
  assert_int_equal(
      q_int(db, "SELECT count(*) FROM offline_diagnoses WHERE diagnosed_at > strftime('%s','now') * 1000",
            NULL),
      0);
  /* hypertension is the most common */
  assert_true(q_int(db, "SELECT count(*) FROM offline_diagnoses WHERE icd10 = 'I10'", NULL) >=
              q_int(db, "SELECT count(*) FROM offline_diagnoses WHERE icd10 = 'J44.9'", NULL));
  assert_int_equal(
      q_int(db, "SELECT count(*) FROM offline_diagnoses d JOIN conditions c ON c.icd10 = d.icd10", NULL),
      total);
}

static void test_stock(void **state) {
  struct ly_db *db = db0(state);
  assert_int_equal(q_int(db, "SELECT count(*) FROM pharmacy_stock WHERE quantity < 0", NULL), 0);
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM pharmacies p WHERE NOT EXISTS (SELECT 1 FROM pharmacy_stock s"
                         " WHERE s.pharmacy_id = p.id AND s.quantity > 0)",
                         NULL),
                   0);
  int64_t narcotic =
      q_int(db,
            "SELECT count(DISTINCT s.pharmacy_id) FROM pharmacy_stock s JOIN drugs d ON d.id = s.drug_id"
            " WHERE d.controlled IN ('narcotic','psychotropic_1','toxic')",
            NULL);
  assert_true(narcotic >= 1 && narcotic <= 5);
  assert_true(
      q_int(db,
            "SELECT count(DISTINCT pharmacy_id) FROM pharmacy_stock s JOIN drugs d ON d.id = s.drug_id"
            " WHERE d.controlled <> 'none'",
            NULL) <= 15);
  /* common chronic drugs are in stock at most pharmacies */
  assert_true(
      q_int(db,
            "SELECT count(*) FROM pharmacy_stock WHERE drug_id = 'drug-amlodipine-5mg-tab' AND quantity > 0",
            NULL) >= 200);
  /* a pharmacy that carries a drug twice is impossible (primary key) and
   * every drug the stock names exists (foreign key) */
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM pharmacy_stock s LEFT JOIN drugs d ON d.id = s.drug_id"
                         " WHERE d.id IS NULL",
                         NULL),
                   0);
}

static const char *const fixed_roles[][2] = {{"patient1", "patient"},
                                             {"patient2", "patient"},
                                             {"patient3", "patient"},
                                             {"patient20", "patient"},
                                             {"doctor1", "doctor"},
                                             {"doctor2", "doctor"},
                                             {"doctor5", "doctor"},
                                             {"doctor6", "doctor"},
                                             {"newdoctor", "doctor"},
                                             {"specialist1", "doctor"},
                                             {"specialist2", "doctor"},
                                             {"pharmacist1", "pharmacist"},
                                             {"pharmacist2", "pharmacist"},
                                             {"pharmacy1", "pharmacy_staff"},
                                             {"pharmacy20", "pharmacy_staff"},
                                             {"admin", "admin"},
                                             {"supervisor", "supervisor"}};

static void test_fixed_roles(void **state) {
  struct ly_db *db = db0(state);
  char role[32], hash[LY_PASSWORD_HASH_MAX];
  for (size_t i = 0; i < sizeof fixed_roles / sizeof fixed_roles[0]; i++) {
    q_text(db, "SELECT role FROM accounts WHERE username = ?1", fixed_roles[i][0], role, sizeof role);
    assert_string_equal(role, fixed_roles[i][1]);
  }
  assert_int_equal(q_int(db, "SELECT count(*) FROM accounts WHERE username = 'patient21'", NULL), 0);
  /* one shared scrypt hash of "lianyi-demo" (demo only) */
  assert_int_equal(q_int(db, "SELECT count(DISTINCT password_hash) FROM accounts", NULL), 1);
  q_text(db, "SELECT password_hash FROM accounts WHERE username = 'patient1'", NULL, hash, sizeof hash);
  assert_int_equal(ly_password_verify("lianyi-demo", hash), LY_OK);
  q_text(db, "SELECT name FROM accounts WHERE username = 'admin'", NULL, role, sizeof role);
  assert_string_equal(role, "系统管理员");
  q_text(db, "SELECT name FROM accounts WHERE username = 'supervisor'", NULL, hash, sizeof hash);
  assert_string_equal(hash, "区卫健局督导员");
  /* patients' names match their accounts' */
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM patients p JOIN accounts a ON a.id = p.account_id"
                         " WHERE a.name <> p.name OR a.name_en <> p.name_en",
                         NULL),
                   0);
  assert_int_equal(q_int(db, "SELECT count(*) FROM accounts WHERE name_en = '' OR name = ''", NULL), 0);
}

#define PAT_OF(u) \
  "(SELECT p.id FROM patients p JOIN accounts a ON a.id = p.account_id WHERE a.username = '" u "')"

static void test_fixed_patients(void **state) {
  struct ly_db *db = db0(state);
  int64_t now = ly_now_ms(ly_clock_system());
  char cut[32], v[64];
  snprintf(cut, sizeof cut, "%lld", (long long)(now - YEAR_MS));
  /* patient1: I10 verified within 12 months at a community centre, ~3 months ago, plus E11 */
  assert_int_equal(
      q_int(db,
            "SELECT count(*) FROM offline_diagnoses d JOIN facilities f ON f.id = d.facility_id"
            " WHERE d.patient_id = " PAT_OF(
                "patient1") " AND d.icd10 = 'I10' AND d.verified = 1"
                            " AND f.kind = 'community_centre' AND d.diagnosed_at > CAST(?1 AS INTEGER)",
            cut),
      1);
  static const char *const dx_at =
      "SELECT diagnosed_at FROM offline_diagnoses WHERE icd10 = 'I10'"
      " AND patient_id = " PAT_OF("patient1");
  int64_t days = (now - q_int(db, dx_at, NULL)) / DEMO_DAY_MS;
  assert_true(days >= 80 && days <= 100);
  static const char *const by_doctor1 =
      "SELECT count(*) FROM offline_diagnoses WHERE icd10 = 'I10' AND doctor_id ="
      " (SELECT id FROM accounts WHERE username = 'doctor1')"
      " AND patient_id = " PAT_OF("patient1");
  assert_int_equal(q_int(db, by_doctor1, NULL), 1);
  static const char *const e11 =
      "SELECT count(*) FROM offline_diagnoses WHERE icd10 LIKE 'E11%' AND verified = 1"
      " AND patient_id = " PAT_OF("patient1");
  assert_int_equal(q_int(db, e11, NULL), 1);
  q_text(db, "SELECT plan_id FROM coverage WHERE patient_id = " PAT_OF("patient1"), NULL, v, sizeof v);
  assert_string_equal(v, "employee_t1");
  assert_true(
      q_int(db, "SELECT account_balance_fen FROM coverage WHERE patient_id = " PAT_OF("patient1"), NULL) > 0);
  q_text(db, "SELECT subdistrict_id FROM patients WHERE id = " PAT_OF("patient1"), NULL, v, sizeof v);
  assert_string_equal(v, "sd-pingshan");
  /* patient2: no offline diagnosis at all */
  assert_int_equal(
      q_int(db, "SELECT count(*) FROM offline_diagnoses WHERE patient_id = " PAT_OF("patient2"), NULL), 0);
  /* patient3: a child of 4 */
  q_text(db,
         "SELECT CAST((julianday('now') - julianday(birth_date)) / 365.25 AS INTEGER) FROM patients WHERE id "
         "= " PAT_OF("patient3"),
         NULL, v, sizeof v);
  assert_string_equal(v, "4");
  /* every other patient login has a recent verified diagnosis */
  assert_int_equal(
      q_int(db,
            "SELECT count(*) FROM accounts a JOIN patients p ON p.account_id = a.id WHERE a.username"
            " NOT IN ('patient2', 'patient4') AND NOT EXISTS (SELECT 1 FROM offline_diagnoses d WHERE"
            " d.patient_id = p.id AND d.verified = 1 AND d.diagnosed_at > CAST(?1 AS INTEGER))",
            cut),
      0);
  assert_int_equal(q_int(db, "SELECT count(*) FROM accounts a JOIN patients p ON p.account_id = a.id", NULL),
                   DEMO_PATIENT_LOGINS);
}

#define DOC_OF(u) "(SELECT id FROM accounts WHERE username = '" u "')"

static void test_fixed_staff(void **state) {
  struct ly_db *db = db0(state);
  int64_t now = ly_now_ms(ly_clock_system());
  char v[64];
  /* doctor1: GP at a community centre in 坪山, > 3 years */
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM doctors d JOIN facilities f ON f.id = d.facility_id WHERE"
                         " d.account_id = " DOC_OF(
                             "doctor1") " AND f.kind = 'community_centre' AND"
                                        " f.subdistrict_id = 'sd-pingshan' AND d.title IN ('gp', 'attending')"
                                        " AND d.specialty = 'general_practice'",
                         NULL),
                   1);
  for (int i = 1; i <= 5; i++) {
    char u[32];
    snprintf(u, sizeof u, "doctor%d", i);
    assert_int_equal(
        q_int(db,
              "SELECT count(*) FROM doctors d JOIN accounts a ON a.id = d.account_id JOIN facilities f"
              " ON f.id = d.facility_id WHERE a.username = ?1 AND f.kind = 'community_centre'",
              u),
        1);
  }
  assert_true(
      now - q_int(db, "SELECT practice_since FROM doctors WHERE account_id = " DOC_OF("doctor1"), NULL) >
      3 * YEAR_MS);
  assert_true(
      now - q_int(db, "SELECT practice_since FROM doctors WHERE account_id = " DOC_OF("newdoctor"), NULL) <
      3 * YEAR_MS);
  assert_int_equal(
      q_int(db, "SELECT count(*) FROM doctors WHERE practice_since > strftime('%s','now') * 1000", NULL), 0);
  /* newdoctor is the only doctor under 3 years */
  assert_int_equal(
      q_int(db, "SELECT count(*) FROM doctors WHERE practice_since > strftime('%s','now', '-3 years') * 1000",
            NULL),
      1);
  /* specialist1: cardiology, associate chief, tertiary hospital */
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM doctors d JOIN facilities f ON f.id = d.facility_id WHERE"
                         " d.account_id = " DOC_OF(
                             "specialist1") " AND f.level = 'tertiary' AND"
                                            " d.specialty = 'cardiology' AND d.title = 'associate_chief'",
                         NULL),
                   1);
  /* specialty always matches the department */
  assert_int_equal(q_int(db,
                         "SELECT count(*) FROM doctors d JOIN departments p ON p.id = d.department_id"
                         " WHERE p.specialty <> d.specialty OR p.facility_id <> d.facility_id",
                         NULL),
                   0);
  /* pharmacists */
  assert_int_equal(
      q_int(db, "SELECT facility_id IS NULL FROM pharmacists WHERE account_id = " DOC_OF("pharmacist1"),
            NULL),
      1);
  assert_true(now - q_int(db,
                          "SELECT practice_since FROM pharmacists WHERE account_id = " DOC_OF("pharmacist1"),
                          NULL) >=
              3 * YEAR_MS);
  assert_true(now - q_int(db,
                          "SELECT practice_since FROM pharmacists WHERE account_id = " DOC_OF("pharmacist2"),
                          NULL) <
              3 * YEAR_MS);
  /* pharmacy1: staff of a delivering pharmacy in 坪山 */
  q_text(db,
         "SELECT p.subdistrict_id || ':' || p.delivers FROM pharmacy_staff s JOIN pharmacies p ON"
         " p.id = s.pharmacy_id WHERE s.account_id = " DOC_OF("pharmacy1"),
         NULL, v, sizeof v);
  assert_string_equal(v, "sd-pingshan:1");
}

static void test_signing_keys(void **state) {
  struct fx *f = *state;
  sqlite3_stmt *st = NULL;
  int n = 0;
  static const char msg[] = "rx:demo:canonical-bytes";
  assert_int_equal(
      sqlite3_prepare_v2(ly_db_sqlite(db0(state)),
                         "SELECT account_id, sign_pub, sign_priv_enc FROM doctors ORDER BY account_id", -1,
                         &st, NULL),
      SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    char aad[96];
    uint8_t priv[64], sig[LY_ED25519_SIG_LEN];
    size_t len = 0;
    snprintf(aad, sizeof aad, "doctors.sign_priv:%s", (const char *)sqlite3_column_text(st, 0));
    assert_int_equal(sqlite3_column_bytes(st, 1), LY_ED25519_PUB_LEN);
    assert_int_equal(sqlite3_column_bytes(st, 2), LY_ED25519_PRIV_LEN + LY_SEAL_OVERHEAD);
    assert_int_equal(ly_open(f->srv[0].keys.sign, aad, sqlite3_column_blob(st, 2),
                             (size_t)sqlite3_column_bytes(st, 2), priv, sizeof priv, &len),
                     LY_OK);
    assert_int_equal(len, LY_ED25519_PRIV_LEN);
    assert_int_equal(ly_ed25519_sign(priv, msg, sizeof msg - 1, sig), LY_OK);
    assert_int_equal(ly_ed25519_verify(sqlite3_column_blob(st, 1), msg, sizeof msg - 1, sig), LY_OK);
    sig[0] ^= 1;
    assert_int_equal(ly_ed25519_verify(sqlite3_column_blob(st, 1), msg, sizeof msg - 1, sig), LY_ECRYPTO);
    /* sealed for this doctor only */
    assert_int_equal(
        ly_open(f->srv[0].keys.sign, "doctors.sign_priv:someone-else", sqlite3_column_blob(st, 2),
                (size_t)sqlite3_column_bytes(st, 2), priv, sizeof priv, &len),
        LY_ECRYPTO);
    n++;
  }
  sqlite3_finalize(st);
  assert_true(n >= 60);
}

/* Rows of sql concatenated with '|' into a malloc'd string. */
static char *q_dump(struct ly_db *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  size_t cap = 1 << 16, len = 0;
  char *out = calloc(1, cap);
  assert_non_null(out);
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      const char *t = (const char *)sqlite3_column_text(st, c);
      size_t n = strlen(t ? t : "NULL") + 1;
      if (len + n + 1 > cap) {
        cap = cap * 2 + n;
        out = realloc(out, cap);
        assert_non_null(out);
      }
      memcpy(out + len, t ? t : "NULL", n - 1);
      out[len + n - 1] = '|';
      len += n;
      out[len] = '\0';
    }
  }
  sqlite3_finalize(st);
  return out;
}

static void test_determinism(void **state) {
  struct fx *f = *state;
  static const char *const dumps[] = {
      "SELECT id, account_id, name, name_en, sex, birth_date, subdistrict_id, address FROM patients ORDER BY "
      "id",
      "SELECT id, username, role, name, name_en FROM accounts ORDER BY id",
      "SELECT id, name, name_en, subdistrict_id, delivers, opens, closes FROM pharmacies ORDER BY id",
      "SELECT pharmacy_id, drug_id, quantity FROM pharmacy_stock ORDER BY 1, 2",
      "SELECT id, patient_id, icd10, facility_id, doctor_id FROM offline_diagnoses ORDER BY id",
      "SELECT patient_id, plan_id, insured_no, account_balance_fen FROM coverage ORDER BY 1",
      "SELECT account_id, facility_id, department_id, title, license_no FROM doctors ORDER BY 1",
      "SELECT (SELECT count(*) FROM pharmacy_delivery_areas) || ',' || (SELECT count(*) FROM drugs)"};
  fx_srv(f, 1);
  assert_int_equal(demo_seed(&f->srv[1]), LY_OK);
  for (size_t i = 0; i < sizeof dumps / sizeof dumps[0]; i++) {
    char *a = q_dump(f->srv[0].db, dumps[i]), *b = q_dump(f->srv[1].db, dumps[i]);
    assert_true(strlen(a) > 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
  }
  /* seeding a database that already has a district is refused, and changes nothing */
  int64_t before = q_int(f->srv[1].db, "SELECT count(*) FROM patients", NULL);
  f->srv[1].log.level = LY_LOG_OFF; /* the refusal is expected */
  assert_int_equal(demo_seed(&f->srv[1]), LY_EEXIST);
  f->srv[1].log.level = LY_LOG_WARN;
  assert_int_equal(q_int(f->srv[1].db, "SELECT count(*) FROM patients", NULL), before);
}

/* A failure in the middle (a drug id already taken) leaves nothing behind. */
static void test_rollback(void **state) {
  struct fx *f = *state;
  struct ly_server *s = &f->srv[1];
  ly_db_close(s->db);
  fx_unlink(f->path[1]);
  fx_srv(f, 1);
  assert_int_equal(
      ly_db_exec(s->db,
                 "INSERT INTO drugs (id, generic_name, generic_en, pinyin, atc, form, strength,"
                 " pack_size, unit, price_fen, category, controlled, antimicrobial,"
                 " default_daily_units, chronic_use) VALUES ('drug-amlodipine-5mg-tab', 'x', 'x',"
                 " 'X', 'C08CA01', 'tablet', '5mg', 1, '片', 1, '甲', 'none', 0, 1, 1)"),
      LY_OK);
  s->log.level = LY_LOG_OFF; /* the failure is expected */
  assert_int_equal(demo_seed(s), LY_EEXIST);
  s->log.level = LY_LOG_WARN;
  static const char *const tables[] = {"subdistricts",      "facilities", "accounts",
                                       "doctors",           "patients",   "pharmacies",
                                       "offline_diagnoses", "audit",      "policy_versions"};
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(s->db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 0);
    sqlite3_finalize(st);
  }
  assert_int_equal(q_int(s->db, "SELECT count(*) FROM drugs", NULL), 1);
}

static void test_print_logins(void **state) {
  char *buf = NULL, name[64], line[160];
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  assert_non_null(out);
  assert_int_equal(demo_print_logins(out), LY_OK);
  fclose(out);
  static const char *const users[] = {"patient1",  "patient2",    "patient3",    "doctor1",
                                      "newdoctor", "specialist1", "pharmacist1", "pharmacist2",
                                      "pharmacy1", "admin",       "supervisor",  "lianyi-demo"};
  for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
    assert_non_null(strstr(buf, users[i]));
  /* the printed names are the stored ones */
  static const char *const named[] = {"patient1", "doctor1", "specialist1", "pharmacy1", "admin"};
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
    q_text(db0(state), "SELECT name FROM accounts WHERE username = ?1", named[i], name, sizeof name);
    snprintf(line, sizeof line, "%s (", name);
    assert_non_null(strstr(buf, line));
  }
  free(buf);
}

/* ---- the TSV reader ------------------------------------------------------- */

static const char tsv_ok[] = "# comment\nid\tname\tn\n\na\tAlpha\t1\r\nb\tBeta\t-2\n";
static const char tsv_short[] = "id\tname\nx\n";
static const char tsv_dup[] = "id\tid\n";
static const char tsv_bad_int[] = "id\tn\nq\t12x\n";
static char tsv_long[DEMO_TSV_FIELD_MAX + 16];

static void test_tsv(void **state) {
  (void)state;
  memset(tsv_long, 'y', sizeof tsv_long - 1);
  memcpy(tsv_long, "v\nx", 3);
  const struct ly_embedded_file files[] = {
      {"ok.tsv", tsv_ok, sizeof tsv_ok - 1},       {"short.tsv", tsv_short, sizeof tsv_short - 1},
      {"dup.tsv", tsv_dup, sizeof tsv_dup - 1},    {"int.tsv", tsv_bad_int, sizeof tsv_bad_int - 1},
      {"long.tsv", tsv_long, sizeof tsv_long - 1}, {NULL, NULL, 0}};
  static struct demo_tsv t;
  static const char *const cols[] = {"n", "id"};
  int c[2];
  int64_t v;
  assert_int_equal(demo_tsv_open(&t, files, "ok.tsv"), LY_OK);
  assert_int_equal(demo_tsv_columns(&t, cols, c, 2), LY_OK);
  assert_int_equal(c[0], 2);
  assert_int_equal(demo_tsv_next(&t), 1);
  assert_string_equal(demo_tsv_get(&t, c[1]), "a");
  assert_int_equal(demo_tsv_int(&t, c[0], 0, 5, &v), LY_OK);
  assert_int_equal(v, 1); /* the CR is gone */
  assert_int_equal(demo_tsv_next(&t), 1);
  assert_int_equal(demo_tsv_int(&t, c[0], 0, 5, &v), LY_EPARSE); /* out of range */
  assert_non_null(strstr(t.err, "ok.tsv:5:"));
  assert_int_equal(demo_tsv_next(&t), 0);
  static const char *const missing[] = {"nope"};
  assert_int_equal(demo_tsv_columns(&t, missing, c, 1), LY_ENOTFOUND);
  assert_non_null(strstr(t.err, "nope"));
  assert_int_equal(demo_tsv_open(&t, files, "absent.tsv"), LY_ENOTFOUND);
  assert_int_equal(demo_tsv_open(&t, files, "short.tsv"), LY_OK);
  assert_int_equal(demo_tsv_next(&t), LY_EPARSE);
  assert_non_null(strstr(t.err, "short.tsv:2: 1 fields"));
  assert_int_equal(demo_tsv_open(&t, files, "dup.tsv"), LY_EPARSE);
  assert_int_equal(demo_tsv_open(&t, files, "int.tsv"), LY_OK);
  assert_int_equal(demo_tsv_next(&t), 1);
  assert_int_equal(demo_tsv_int(&t, 1, 0, 1000, &v), LY_EPARSE);
  assert_non_null(strstr(t.err, "int.tsv:2: column 'n'"));
  assert_int_equal(demo_tsv_open(&t, files, "long.tsv"), LY_OK);
  assert_int_equal(demo_tsv_next(&t), LY_ETOOBIG);
}

/* Every data file is embedded and parses; the demo's own tables are there. */
static void test_embedded_data(void **state) {
  (void)state;
  static struct demo_tsv t;
  int files = 0;
  for (const struct ly_embedded_file *f = ly_demo_files; f->name; f++, files++) {
    assert_int_equal(demo_tsv_open(&t, ly_demo_files, f->name), LY_OK);
    int rc;
    while ((rc = demo_tsv_next(&t)) == 1) {
    }
    if (rc) fprintf(stderr, "%s\n", t.err);
    assert_int_equal(rc, 0);
  }
  assert_true(files >= 16);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seed_time),
      cmocka_unit_test(test_counts),
      cmocka_unit_test(test_places),
      cmocka_unit_test(test_check_digit_known),
      cmocka_unit_test(test_national_ids),
      cmocka_unit_test(test_ages),
      cmocka_unit_test(test_coverage),
      cmocka_unit_test(test_diagnoses),
      cmocka_unit_test(test_stock),
      cmocka_unit_test(test_fixed_roles),
      cmocka_unit_test(test_fixed_patients),
      cmocka_unit_test(test_fixed_staff),
      cmocka_unit_test(test_signing_keys),
      cmocka_unit_test(test_print_logins),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_rollback),
      cmocka_unit_test(test_tsv),
      cmocka_unit_test(test_embedded_data),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
