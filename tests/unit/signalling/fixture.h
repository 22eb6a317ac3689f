/* tests/unit/signalling/fixture.h — a migrated SQLite database in a
 * temporary directory with the few rows the signalling tests need, a fake
 * clock, and a struct sig whose token check is a table (no server).
 * Included by tests (static functions only).
 *
 * Facility fac_c (community) with department dept_gp; subdistrict sd1.
 * Doctors: doc_a (dept_gp, 10 years, password "secret"), doc_b (dept_gp, 12
 * years), doc_young (2 years), doc_off (10 years, not licensed).
 * Patients (account → patient): acct_a → pat_a (born 1960; I10 verified 90
 * days ago, E11.9 unverified, J45 verified 400 days ago), acct_b → pat_b (no
 * diagnosis), acct_kid → pat_kid (4 years old; J45.9 verified 30 days ago).
 * Tokens: "tok-a" → acct_a, "tok-b" → acct_b, "tok-doc" → doc_a, "tok-sup" → sup.
 */
#ifndef LY_TEST_SIGNALLING_FIXTURE_H
#define LY_TEST_SIGNALLING_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "core/log.h"
#include "signalling/sig.h"

#define FX_DAY  86400000LL
#define FX_YEAR (365LL * FX_DAY)
#define FX_NOW  1781517600000LL /* 2026-06-15T10:00:00Z */

struct fixture {
  char dir[64];
  char path[128];
  struct ly_db *db;
  struct ly_fake_clock clock;
  struct ly_logger log;
  struct sig *sig;
};

static const char *FX_SEED =
    "INSERT INTO subdistricts VALUES ('sd1','东城','Dongcheng',39.9,116.4);"
    "INSERT INTO facilities VALUES "
    "('fac_c','community_centre','community','社区中心','Community','sd1','addr',"
    "39.9,116.4,1);"
    "INSERT INTO departments VALUES ('dept_gp','fac_c','全科','General practice','general_practice');"
    "INSERT INTO doctor_titles VALUES ('gp','全科医师','GP');"
    "INSERT INTO accounts VALUES ('doc_a','doc_a','doctor','王医生','Dr Wang',:pw,0,0);"
    "INSERT INTO accounts VALUES ('doc_b','doc_b','doctor','李医生','Dr Li','x',0,0);"
    "INSERT INTO accounts VALUES ('doc_young','doc_young','doctor','赵医生','Dr Zhao','x',0,0);"
    "INSERT INTO accounts VALUES ('doc_off','doc_off','doctor','钱医生','Dr Qian','x',0,0);"
    "INSERT INTO accounts VALUES ('acct_a','acct_a','patient','陈大爷','Chen','x',0,0);"
    "INSERT INTO accounts VALUES ('acct_b','acct_b','patient','方先生','Fang','x',0,0);"
    "INSERT INTO accounts VALUES ('acct_kid','acct_kid','patient','小李','Li','x',0,0);"
    "INSERT INTO accounts VALUES ('sup','sup','supervisor','督导','Supervisor','x',0,0);"
    "INSERT INTO doctors (account_id, facility_id, department_id, title, specialty, license_no, licensed,"
    " practice_since) VALUES ('doc_a','fac_c','dept_gp','gp','general_practice','L-A',1,:y10);"
    "INSERT INTO doctors (account_id, facility_id, department_id, title, specialty, license_no, licensed,"
    " practice_since) VALUES ('doc_b','fac_c','dept_gp','gp','general_practice','L-B',1,:y12);"
    "INSERT INTO doctors (account_id, facility_id, title, specialty, license_no, licensed, practice_since)"
    " VALUES ('doc_young','fac_c','gp','general_practice','L-Y',1,:y2);"
    "INSERT INTO doctors (account_id, facility_id, title, specialty, license_no, licensed, practice_since)"
    " VALUES ('doc_off','fac_c','gp','general_practice','L-O',0,:y10);"
    "INSERT INTO patients (id, account_id, name, name_en, sex, birth_date, national_id_enc, national_id_hash,"
    " subdistrict_id, lat, lon, created_at) VALUES ('pat_a','acct_a','陈大爷','Chen','M','1960-03-02',x'01',"
    " x'01','sd1',39.9,116.4,0);"
    "INSERT INTO patients (id, account_id, name, name_en, sex, birth_date, national_id_enc, national_id_hash,"
    " subdistrict_id, lat, lon, created_at) VALUES ('pat_b','acct_b','方先生','Fang','M','1980-07-07',x'02',"
    " x'02','sd1',39.9,116.4,0);"
    "INSERT INTO patients (id, account_id, name, name_en, sex, birth_date, national_id_enc, national_id_hash,"
    " subdistrict_id, lat, lon, created_at) VALUES ('pat_kid','acct_kid','小李','Li','F','2022-03-01',x'03',"
    " x'03','sd1',39.9,116.4,0);"
    "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified,"
    " created_at) VALUES ('dx1','pat_a','I10','fac_c',:d90,'facility',1,0);"
    "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified,"
    " created_at) VALUES ('dx2','pat_a','E11.9','fac_c',:d90,'patient_upload',0,0);"
    "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified,"
    " created_at) VALUES ('dx3','pat_a','J45','fac_c',:d400,'facility',1,0);"
    "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified,"
    " created_at) VALUES ('dx4','pat_kid','J45.9','fac_c',:d30,'facility',1,0);";

static inline void fx_bind(sqlite3_stmt *st, const char *name, int64_t v) {
  int i = sqlite3_bind_parameter_index(st, name);
  if (i) sqlite3_bind_int64(st, i, v);
}

static inline void fx_exec_seed(struct fixture *f, const char *pw_hash) {
  sqlite3 *h = ly_db_sqlite(f->db);
  const char *sql = FX_SEED;
  while (sql && *sql) {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &st, &tail) != SQLITE_OK) {
      fprintf(stderr, "seed: %s\n", sqlite3_errmsg(h));
      abort();
    }
    if (!st) break;
    int i = sqlite3_bind_parameter_index(st, ":pw");
    if (i) sqlite3_bind_text(st, i, pw_hash, -1, SQLITE_TRANSIENT);
    fx_bind(st, ":y10", FX_NOW - 10 * FX_YEAR);
    fx_bind(st, ":y12", FX_NOW - 12 * FX_YEAR);
    fx_bind(st, ":y2", FX_NOW - 2 * FX_YEAR);
    fx_bind(st, ":d30", FX_NOW - 30 * FX_DAY);
    fx_bind(st, ":d90", FX_NOW - 90 * FX_DAY);
    fx_bind(st, ":d400", FX_NOW - 400 * FX_DAY);
    if (sqlite3_step(st) != SQLITE_DONE) {
      fprintf(stderr, "seed: %s\n", sqlite3_errmsg(h));
      abort();
    }
    sqlite3_finalize(st);
    sql = tail;
  }
}

static inline void fx_copy(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src);
}

/* The token table of sig_host.authenticate. */
static int fx_authenticate(void *ud, const char *token, struct sig_account *out, struct ly_error *e) {
  static const struct {
    const char *token, *id, *role, *patient_id;
  } t[] = {
      {"tok-a", "acct_a", "patient", "pat_a"},
      {"tok-b", "acct_b", "patient", "pat_b"},
      {"tok-doc", "doc_a", "doctor", ""},
      {"tok-sup", "sup", "supervisor", ""},
  };
  (void)ud;
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    if (strcmp(t[i].token, token) != 0) continue;
    memset(out, 0, sizeof(*out));
    fx_copy(out->id, sizeof(out->id), t[i].id);
    fx_copy(out->role, sizeof(out->role), t[i].role);
    fx_copy(out->name, sizeof(out->name), t[i].id);
    fx_copy(out->name_en, sizeof(out->name_en), t[i].id);
    fx_copy(out->patient_id, sizeof(out->patient_id), t[i].patient_id);
    return 0;
  }
  return ly_error_set(e, LY_EAUTH, "auth.required", "This sign-in is not valid.", NULL);
}

/* First column of the first row as an integer (tests only). */
static inline int64_t fx_int(struct fixture *f, const char *sql) {
  sqlite3_stmt *st = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(ly_db_sqlite(f->db), sql, -1, &st, NULL) != SQLITE_OK) abort();
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static inline void fx_sql(struct fixture *f, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(ly_db_sqlite(f->db), sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "fx_sql: %s\n", err ? err : "?");
    abort();
  }
}

/* with_password: hash "secret" for doc_a (scrypt: ~0.1 s), else a dummy. */
static inline struct fixture *fx_open(int with_password) {
  struct fixture *f = calloc(1, sizeof *f);
  char pw[LY_PASSWORD_HASH_MAX] = "x";
  struct ly_error e;
  snprintf(f->dir, sizeof f->dir, "/tmp/ly_sigfx_XXXXXX");
  if (!mkdtemp(f->dir)) abort();
  snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
  if (ly_db_open(f->path, &f->db, &e) != 0) {
    fprintf(stderr, "open: %s\n", e.message);
    abort();
  }
  ly_fake_clock_init(&f->clock, FX_NOW);
  f->clock.mono = 1000000;
  ly_logger_init(&f->log, 2, LY_LOG_OFF, &f->clock.clock);
  if (with_password && ly_password_hash("secret", pw, sizeof pw) != 0) abort();
  fx_exec_seed(f, pw);
  struct sig_host host = {.db = f->db,
                          .clock = &f->clock.clock,
                          .log = &f->log,
                          .authenticate = fx_authenticate,
                          .resume_window_ms = 30000};
  if (sig_create(&host, &f->sig) != 0) abort();
  return f;
}

static inline void fx_close(struct fixture *f) {
  char p[160];
  sig_destroy(f->sig);
  ly_db_close(f->db);
  unlink(f->path);
  snprintf(p, sizeof p, "%s-wal", f->path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", f->path);
  unlink(p);
  rmdir(f->dir);
  free(f);
}

#endif
