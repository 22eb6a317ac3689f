/* bench/rx_flow.c — complete e-prescription flows per second through the
 * domain (rx/): create → sign (Ed25519) → approve, on a real file database
 * in WAL mode with synchronous=FULL (every COMMIT is a disk flush), and the
 * p50/p99 latency of each call.
 *
 *   bench_rx_flow [-n FLOWS] [-b BATCH] [-d DIR]
 *
 * Two ways of committing are measured on the same database:
 *   per-call  every call is its own transaction, as a lone request is: three
 *             flushes per flow. A call's latency is its own duration.
 *   group     BATCH flows advance together and each step of all of them is
 *             one transaction (the calls nest as savepoints, so a refused
 *             call rolls back alone): three flushes per BATCH flows. This is
 *             what a service loop that answers a turn's requests after one
 *             COMMIT does (DESIGN §2: nothing is acknowledged before it is
 *             durable). A call's latency runs from its start to the COMMIT
 *             that makes it durable, since only then may it be answered.
 * The database lives in DIR (default: the current directory), which should
 * be on the disk under test — not tmpfs, where a flush costs nothing.
 * Prints one table; exits non-zero if any call fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/db.h"
#include "core/err.h"
#include "rx/prescription.h"
#include "tests/unit/records/fixture.h"

enum { STEP_CREATE, STEP_SIGN, STEP_APPROVE, NSTEPS };
static const char *const STEP_NAMES[NSTEPS] = {"create", "sign", "approve"};

struct bench {
  struct fixture *f;
  struct rx_ctx cx;
  char (*ids)[LY_ID_MAX];
  double *lat[NSTEPS]; /* microseconds, one per call */
  long ncalls[NSTEPS];
  long commits;
};

static const struct prescription_item_in AMLO = {"amlodipine", 1, 7, 1000, "5 mg 口服 每日一次"};

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The fixture's district in DIR (fx_open always uses /tmp). */
static struct fixture *bench_open(const char *dir) {
  struct fixture *f = calloc(1, sizeof *f);
  struct ly_error e;
  if (!f) return NULL;
  snprintf(f->dir, sizeof f->dir, "%.40s/rx_flow_XXXXXX", dir);
  if (!mkdtemp(f->dir)) {
    perror(f->dir);
    free(f);
    return NULL;
  }
  snprintf(f->path, sizeof f->path, "%s/bench.db", f->dir);
  if (ly_db_open(f->path, &f->db, &e) != 0) {
    fprintf(stderr, "open %s: %s\n", f->path, e.message);
    rmdir(f->dir);
    free(f);
    return NULL;
  }
  ly_fake_clock_init(&f->clock, FX_NOW);
  uint8_t master[32];
  for (int i = 0; i < 32; i++)
    master[i] = (uint8_t)(i * 7 + 1);
  ly_keys_derive(master, &f->keys);
  f->cx.db = f->db;
  f->cx.clock = &f->clock.clock;
  f->cx.keys = &f->keys;
  fx_exec_seed(f);
  fx_doctor(f, "doc_a", "fac_c", FX_NOW - 10 * FX_YEAR);
  fx_patient(f, "pat_1", "pat_acct", "1960-03-02", "110101196001010011");
  fx_consultation(f, "con_1", "pat_1", "doc_a", "fac_c", "ended");
  fx_sql(f,
         "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified, "
         "created_at) VALUES ('dx1', 'pat_1', 'I10', 'fac_h', 1773741600000, 'facility', 1, 0)");
  return f;
}

/* One call of one flow; 0 or the error (printed). */
static int bench_call(struct bench *b, int step, long i) {
  struct ly_error e;
  struct rules_result v;
  json_t *res = NULL;
  int rc = 0;
  if (step == STEP_CREATE) {
    struct prescription_in in = {"pat_1", "con_1", "I10", "normal", NULL, NULL, 0, 1, NULL, NULL, &AMLO, 1};
    rc = prescription_create(&b->cx, &FX_DOC_A, &in, b->ids[i], &v, &e);
  } else if (step == STEP_SIGN) {
    rc = prescription_sign(&b->cx, &FX_DOC_A, b->ids[i], NULL, &res, &v, &e);
  } else {
    rc = prescription_approve(&b->cx, &FX_PH_A, b->ids[i], NULL, &res, &v, &e);
  }
  json_decref(res);
  if (rc) fprintf(stderr, "%s #%ld: %s (%s)\n", STEP_NAMES[step], i, e.code, e.message);
  return rc;
}

/* Flows [from, from + n): each step of all n flows in one transaction when
 * group, else one transaction per call. */
static int bench_run(struct bench *b, long from, long n, int group) {
  for (int s = 0; s < NSTEPS; s++) {
    double t0[256], t_commit;
    if (group && ly_db_begin(b->f->db)) return -1;
    for (long i = from; i < from + n; i++) {
      t0[i - from] = now_us();
      if (bench_call(b, s, i)) {
        if (group) ly_db_rollback(b->f->db);
        return -1;
      }
      if (!group) {
        b->lat[s][b->ncalls[s]++] = now_us() - t0[i - from];
        b->commits++;
      }
    }
    if (!group) continue;
    if (ly_db_commit(b->f->db)) return -1;
    b->commits++;
    t_commit = now_us();
    for (long i = 0; i < n; i++) /* answered only once durable */
      b->lat[s][b->ncalls[s]++] = t_commit - t0[i];
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double pct(double *v, long n, double p) {
  long k = (long)(p * (double)(n - 1) + 0.5);
  return n ? v[k] : 0;
}

static void bench_report(struct bench *b, const char *mode, long flows, double secs) {
  printf("%-10s %7ld flows %7.2f s %9.0f flows/s %6.2f commits/flow", mode, flows, secs, (double)flows / secs,
         (double)b->commits / (double)flows);
  for (int s = 0; s < NSTEPS; s++) {
    qsort(b->lat[s], (size_t)b->ncalls[s], sizeof(double), cmp_double);
    printf("  %s p50 %.2f p99 %.2f ms", STEP_NAMES[s], pct(b->lat[s], b->ncalls[s], .5) / 1e3,
           pct(b->lat[s], b->ncalls[s], .99) / 1e3);
  }
  printf("\n");
}

static int bench_mode(struct bench *b, long flows, long batch, int group) {
  memset(b->ncalls, 0, sizeof b->ncalls);
  b->commits = 0;
  double t = now_us();
  for (long from = 0; from < flows; from += batch) {
    long n = flows - from < batch ? flows - from : batch;
    if (bench_run(b, from, n, group)) return 1;
  }
  bench_report(b, group ? "group" : "per-call", flows, (now_us() - t) / 1e6);
  return 0;
}

int main(int argc, char **argv) {
  long flows = 2000, batch = 32;
  const char *dir = ".";
  int opt, rc = 1;
  while ((opt = getopt(argc, argv, "n:b:d:")) != -1) {
    if (opt == 'n')
      flows = atol(optarg);
    else if (opt == 'b')
      batch = atol(optarg);
    else if (opt == 'd')
      dir = optarg;
    else {
      fprintf(stderr, "usage: %s [-n FLOWS] [-b BATCH 1-256] [-d DIR]\n", argv[0]);
      return 2;
    }
  }
  if (flows < 1 || flows > 1000000 || batch < 1 || batch > 256) return 2;
  struct bench b = {0};
  b.f = bench_open(dir);
  b.ids = calloc((size_t)flows, sizeof *b.ids);
  for (int s = 0; s < NSTEPS; s++)
    b.lat[s] = calloc((size_t)flows, sizeof(double));
  if (b.f && b.ids && b.lat[0] && b.lat[1] && b.lat[2]) {
    rx_ctx_init(&b.cx, b.f->db, &b.f->clock.clock, &b.f->keys);
    printf("rx flow: create -> sign -> approve, WAL, synchronous=FULL, database in %s\n", b.f->dir);
    rc = bench_mode(&b, flows, 1, 0) || bench_mode(&b, flows, batch, 1);
  }
  for (int s = 0; s < NSTEPS; s++)
    free(b.lat[s]);
  free(b.ids);
  if (b.f) fx_close(b.f);
  return rc;
}
