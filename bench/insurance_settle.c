/* bench/insurance_settle.c — settlements per second with synchronous=FULL
 * (one transaction, hence one WAL fsync, per settlement), and the daily
 * statement + reconciliation check over a day of 100,000 claims.
 *
 *   bench/insurance_settle [--dir DIR] [--settle N] [--day N] [--patients N]
 *
 * DIR (default /tmp) should be on the disk the server would use: the fsync
 * cost is the point. The day of --day claims is loaded with synchronous=OFF
 * (only the statement is timed there). Build (until the tree has bench
 * targets):
 *   cc -O2 -I. bench/insurance_settle.c BUILD/libly_insurance.a BUILD/libly_core.a \
 *      $(pkg-config --libs sqlite3 openssl jansson) -lm -lpthread -o BUILD/insurance_settle
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/db.h"
#include "core/err.h"
#include "insurance/claim.h"
#include "insurance/statement.h"

static const char *seed_sql =
    "INSERT INTO subdistricts VALUES ('sd1', '坪山', 'Pingshan', 22.7, 114.3);"
    "INSERT INTO facilities VALUES"
    " ('fc-comm', 'community_centre', 'community', 'c', 'c', 'sd1', 'a', 22.7, 114.3, 1),"
    " ('fc-sec', 'hospital', 'secondary', 's', 's', 'sd1', 'a', 22.7, 114.3, 1),"
    " ('fc-tert', 'hospital', 'tertiary', 't', 't', 'sd1', 'a', 22.7, 114.3, 1);"
    "INSERT INTO insurance_plans VALUES ('employee_t1', 'e', 'e', 1), ('resident', 'r', 'r', 0);"
    "INSERT INTO policy_versions VALUES ('pv1', 1704067200000, 'v1', 'bench', 1704067200000);"
    "INSERT INTO policy_rates SELECT 'pv1', p.id, l.level, 9000 - l.n * 1000, 20000 * (l.n + 1), 1000000"
    " FROM insurance_plans p, (SELECT 'community' AS level, 0 AS n UNION ALL SELECT 'secondary', 1"
    " UNION ALL SELECT 'tertiary', 2) l;"
    "INSERT INTO policy_categories VALUES ('pv1', '甲', 0), ('pv1', '乙', 1000), ('pv1', '丙', 10000);"
    "INSERT INTO fee_schedule VALUES ('pv1', '110200001', '诊查费', 'fee', 'any', 'any', 1500, 1),"
    " ('pv1', 'DELIVERY', '配送费', 'delivery', 'any', 'any', 800, 0);"
    "INSERT INTO drugs VALUES"
    " ('dA', 'a', 'a', 'A', 'X', 'tab', '5mg', 28, 'p', 1260, '甲', 'none', 0, 1, 1),"
    " ('dB', 'b', 'b', 'B', 'X', 'tab', '5mg', 28, 'p', 5000, '乙', 'none', 0, 1, 1),"
    " ('dC', 'c', 'c', 'C', 'X', 'tab', '5mg', 28, 'p', 3000, '丙', 'none', 0, 1, 0);";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static int seed_patients(struct ly_db *db, int n) {
  static const char *pat =
      "INSERT INTO patients (id, name, name_en, sex, birth_date, national_id_enc, national_id_hash,"
      " subdistrict_id, lat, lon, created_at) VALUES (?1, 'p', 'p', 'F', '1960-01-01', x'00', ?1, 'sd1', 0, "
      "0, 0)";
  static const char *cov = "INSERT INTO coverage VALUES (?1, ?2, ?1, 1704067200000, 1798761599000, ?3)";
  char id[32];
  int rc = ly_db_begin(db);
  for (int i = 0; i < n && !rc; i++) {
    snprintf(id, sizeof id, "bp%06d", i);
    sqlite3_stmt *st = ly_db_stmt(db, pat);
    ly_db_bind_text(st, 1, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : LY_EDB;
    sqlite3_reset(st);
    st = ly_db_stmt(db, cov);
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, i % 3 ? "employee_t1" : "resident");
    ly_db_bind_int(st, 3, i % 3 ? 200000 : 0);
    if (!rc) rc = sqlite3_step(st) == SQLITE_DONE ? 0 : LY_EDB;
    sqlite3_reset(st);
  }
  if (rc) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

/* n settlements of 3 lines each, batch per transaction (1: one
 * transaction, one fsync, per settlement; more: group commit); returns
 * seconds. */
static double settle_many(struct ly_db *db, int n, int batch, int patients, int64_t now, const char *prefix,
                          int *failed) {
  static const struct claim_actor actor = {"bench", "system"};
  static const char *const fac[3] = {"fc-comm", "fc-sec", "fc-tert"};
  static const struct claim_item items[3] = {{ADJUDICATE_FEE, "110200001", 1, 0, 0},
                                             {ADJUDICATE_DRUG, "dA", 2, 0, 0},
                                             {ADJUDICATE_DRUG, "dB", 1, 1, 4999}};
  struct claim *c = malloc((size_t)batch * sizeof *c);
  struct claim_req *r = calloc((size_t)batch, sizeof *r);
  int *rcs = calloc((size_t)batch, sizeof *rcs);
  char(*pid)[32] = calloc((size_t)batch, 32), (*enc)[48] = calloc((size_t)batch, 48);
  double t0 = now_s();
  for (int i = 0; i < n && c && r && rcs && pid && enc; i += batch) {
    int m = n - i < batch ? n - i : batch;
    for (int k = 0; k < m; k++) {
      snprintf(pid[k], 32, "bp%06d", ((i + k) * 7919) % patients);
      snprintf(enc[k], 48, "%s-%d", prefix, i + k);
      r[k] = (struct claim_req){pid[k], fac[(i + k) % 3],  "dispense", enc[k], NULL,
                                NULL,   now - 3600 * 1000, 3,          items};
    }
    if (batch == 1) {
      rcs[0] = claim_settle(db, now + i, &actor, &r[0], &c[0], NULL);
    } else if (claim_settle_batch(db, now + i, &actor, r, (size_t)m, c, rcs, NULL)) {
      *failed += m;
      continue;
    }
    for (int k = 0; k < m; k++)
      *failed += rcs[k] != 0;
  }
  double dt = now_s() - t0;
  free(c);
  free(r);
  free(rcs);
  free(pid);
  free(enc);
  return dt;
}

static int run(const char *dir, int nsettle, int nday, int npat) {
  char path[512];
  struct ly_db *db = NULL;
  struct ly_error e;
  snprintf(path, sizeof path, "%s/insurance-bench-%d.db", dir, (int)getpid());
  if (ly_db_open(path, &db, &e)) {
    fprintf(stderr, "open %s: %s\n", path, e.message);
    return 1;
  }
  int failed = 0;
  if (getenv("CACHE_KIB")) {
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", atoi(getenv("CACHE_KIB")));
    ly_db_exec(db, pragma);
  }
  int64_t now = 1760000000000LL; /* 2025-10-09 */
  if (ly_db_exec(db, seed_sql) || seed_patients(db, npat)) {
    fprintf(stderr, "seed: %s\n", ly_db_errmsg(db));
    return 1;
  }
  static const int batches[4] = {1, 8, 32, 128};
  int only = getenv("ONLY_BATCH") ? atoi(getenv("ONLY_BATCH")) : -1;
  for (int b = 0; b < 4; b++) {
    if (only >= 0 && only != b) continue;
    char prefix[16];
    snprintf(prefix, sizeof prefix, "s%d", batches[b]);
    int nb = b == 0 ? nsettle : nsettle * 2;
    double dt = settle_many(db, nb, batches[b], npat, now, prefix, &failed);
    printf("settle, synchronous=FULL, %3d per transaction: %6d in %6.2f s = %6.0f /s (%d failed)\n",
           batches[b], nb, dt, nb / dt, failed);
  }

  /* a day of nday claims, loaded fast, then the statement */
  ly_db_exec(db, "PRAGMA synchronous=OFF");
  int64_t day = 1760227200000LL; /* 2025-10-12 00:00 UTC: 08:00 in Beijing, same business day + 16 h */
  double load = settle_many(db, nday, 1, npat, day, "d", &failed);
  ly_db_exec(db, "PRAGMA synchronous=FULL");
  printf("load day (synchronous=OFF): %d in %.2f s (%d failed)\n", nday, load, failed);
  long rss0 = maxrss_kb();
  double t0 = now_s();
  struct statement s;
  char *csv = NULL;
  size_t len = 0;
  int rc = statement_build(db, "2025-10-12", NULL, &s);
  if (!rc) rc = statement_to_csv(&s, &csv, &len);
  json_t *j = rc ? NULL : statement_to_json(&s);
  double t_stmt = now_s() - t0;
  printf("statement 2025-10-12: %lld claims, %zu rows, %zu CSV bytes in %.3f s; max RSS %ld -> %ld KiB\n",
         rc ? -1LL : (long long)s.totals.settled.count, s.nrows, len, t_stmt, rss0, maxrss_kb());
  json_decref(j);
  free(csv);
  statement_free(&s);
  struct statement_check *chk = malloc(sizeof *chk);
  t0 = now_s();
  rc = chk ? statement_check_run(db, chk) : LY_ENOMEM;
  printf("check (whole store, %lld claims): %s, %lld differences in %.3f s; max RSS %ld KiB\n",
         chk ? (long long)chk->claims : 0LL, rc ? "error" : "ran", chk ? (long long)chk->ndiffs : -1LL,
         now_s() - t0, maxrss_kb());
  free(chk);
  ly_db_close(db);
  char p[600];
  const char *suffix[3] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s%s", path, suffix[i]);
    unlink(p);
  }
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  const char *dir = "/tmp";
  int nsettle = 10000, nday = 100000, npat = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    if (strcmp(argv[i], "--settle") == 0) nsettle = atoi(argv[i + 1]);
    if (strcmp(argv[i], "--day") == 0) nday = atoi(argv[i + 1]);
    if (strcmp(argv[i], "--patients") == 0) npat = atoi(argv[i + 1]);
  }
  if (nsettle < 1 || nday < 0 || npat < 1) return 2;
  return run(dir, nsettle, nday, npat);
}
