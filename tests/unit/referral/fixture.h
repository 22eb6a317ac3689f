/* tests/unit/referral/fixture.h — a real SQLite database in a temporary
 * directory, migrated, with a small district for the referral tests.
 * Included by tests (static functions only); not part of any library.
 *
 * Facilities: fac_c, fac_c2 (community centres, sd1 / sd2), fac_s
 * (secondary), fac_t (tertiary). Departments: dept_c_gp (fac_c),
 * dept_c2_gp (fac_c2), dept_s_card (fac_s), dept_t_card, dept_t_endo (fac_t).
 * Doctors (all 10 years, signing keys): gp (fac_c), gp2 (fac_c2), sec
 * (dept_s_card), spec and spec2 (dept_t_card), endo (dept_t_endo).
 * Patients: pat_1 (account pat_acct, sd1), pat_2 (account pat2_acct, sd2).
 * Supervisor sup_1, admin adm_1. Conditions: I10, E11 chronic; J06 not.
 */
#ifndef LY_TEST_REFERRAL_FIXTURE_H
#define LY_TEST_REFERRAL_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "records/records.h"
#include "records/signature.h"
#include "referral/referral.h"

#define FX_DAY  86400000LL
#define FX_YEAR (365LL * FX_DAY)
/* 2026-06-15T10:00:00Z */
#define FX_NOW 1781517600000LL

struct fixture {
  char dir[64];
  char path[128];
  struct ly_db *db;
  struct ly_fake_clock clock;
  struct ly_keys keys;
  struct referral_ctx cx;
  struct records_ctx rcx;
};

static const struct referral_actor FX_GP = {"gp", "doctor", NULL};
static const struct referral_actor FX_GP2 = {"gp2", "doctor", NULL};
static const struct referral_actor FX_SEC = {"sec", "doctor", NULL};
static const struct referral_actor FX_SPEC = {"spec", "doctor", NULL};
static const struct referral_actor FX_SPEC2 = {"spec2", "doctor", NULL};
static const struct referral_actor FX_ENDO = {"endo", "doctor", NULL};
static const struct referral_actor FX_PAT1 = {"pat_acct", "patient", "pat_1"};
static const struct referral_actor FX_PAT2 = {"pat2_acct", "patient", "pat_2"};
static const struct referral_actor FX_SUP = {"sup_1", "supervisor", NULL};
static const struct referral_actor FX_ADMIN = {"adm_1", "admin", NULL};

static const char *FX_SEED =
    "INSERT INTO subdistricts VALUES ('sd1','坪山','Pingshan',22.7,114.3),('sd2','马峦','Maluan',22.6,114.3);"
    "INSERT INTO facilities VALUES "
    "('fac_c','community_centre','community','社康','Centre','sd1','a',22.7,114.3,1),"
    "('fac_c2','community_centre','community','社康二','Centre 2','sd2','a',22.6,114.3,1),"
    "('fac_s','hospital','secondary','中心医院','Central','sd2','a',22.6,114.3,1),"
    "('fac_t','hospital','tertiary','人民医院','Renmin','sd1','a',22.7,114.3,1);"
    "INSERT INTO departments VALUES ('dept_c_gp','fac_c','全科','GP','general_practice'),"
    "('dept_c2_gp','fac_c2','全科','GP','general_practice'),"
    "('dept_s_card','fac_s','心内科','Cardiology','cardiology'),"
    "('dept_t_card','fac_t','心内科','Cardiology','cardiology'),"
    "('dept_t_endo','fac_t','内分泌科','Endocrinology','endocrinology');"
    "INSERT INTO doctor_titles VALUES ('gp','全科医师','GP'),('chief','主任医师','Chief');"
    "INSERT INTO accounts VALUES ('gp','gp','doctor','王医生','Dr Wang','x',0,0),"
    "('gp2','gp2','doctor','刘医生','Dr Liu','x',0,0),('sec','sec','doctor','孙医生','Dr Sun','x',0,0),"
    "('spec','spec','doctor','李医生','Dr Li','x',0,0),('spec2','spec2','doctor','周医生','Dr Zhou','x',0,0),"
    "('endo','endo','doctor','吴医生','Dr Wu','x',0,0),"
    "('pat_acct','pat_acct','patient','陈大爷','Chen','x',0,0),"
    "('pat2_acct','pat2_acct','patient','林阿姨','Lin','x',0,0),"
    "('sup_1','sup_1','supervisor','督导','Supervisor','x',0,0),('adm_1','adm_1','admin','管理员','Admin','x'"
    ",0,0);"
    "INSERT INTO conditions VALUES ('I10','高血压','Hypertension',1),('E11','2型糖尿病','Type 2 diabetes',1),"
    "('J06','上呼吸道感染','Upper respiratory infection',0);";

static inline void fx_sql(struct fixture *f, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(ly_db_sqlite(f->db), sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "fx_sql: %s\n", err ? err : "?");
    abort();
  }
}

/* First column of the first row as an integer (tests only); -1 when no row. */
static inline int64_t fx_int(struct fixture *f, const char *sql) {
  sqlite3_stmt *st = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(ly_db_sqlite(f->db), sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "fx_int: %s\n", sqlite3_errmsg(ly_db_sqlite(f->db)));
    abort();
  }
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static inline void fx_doctor(struct fixture *f, const char *id, const char *facility, const char *dept) {
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(
      ly_db_sqlite(f->db),
      "INSERT INTO doctors (account_id, facility_id, department_id, title, specialty, license_no, "
      "licensed, practice_since) VALUES (?1, ?2, ?3, 'gp', 'general', ?1, 1, ?4)",
      -1, &st, NULL);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, facility, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, dept, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, FX_NOW - 10 * FX_YEAR);
  if (sqlite3_step(st) != SQLITE_DONE) abort();
  sqlite3_finalize(st);
  struct ly_error e;
  if (signature_doctor_keygen(&f->rcx, id, &e) != 0) abort();
}

static inline void fx_patient(struct fixture *f, const char *id, const char *account, const char *sub,
                              const char *national_id) {
  uint8_t hash[LY_SHA256_LEN], enc[64];
  size_t enclen = 0;
  ly_lookup_hash(&f->keys, national_id, hash);
  ly_seal(f->keys.enc, "patients.national_id", national_id, strlen(national_id), enc, sizeof enc, &enclen);
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(
      ly_db_sqlite(f->db),
      "INSERT INTO patients (id, account_id, name, name_en, sex, birth_date, national_id_enc, "
      "national_id_hash, subdistrict_id, lat, lon, created_at) VALUES (?1, ?2, '患者', 'Patient', "
      "'M', '1955-01-01', ?3, ?4, ?5, 22.7, 114.3, 0)",
      -1, &st, NULL);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 3, enc, (int)enclen, SQLITE_STATIC);
  sqlite3_bind_blob(st, 4, hash, sizeof hash, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, sub, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) abort();
  sqlite3_finalize(st);
}

static inline struct fixture *fx_open(void) {
  struct fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/ly_ref_XXXXXX");
  if (!mkdtemp(f->dir)) abort();
  snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
  struct ly_error e;
  if (ly_db_open(f->path, &f->db, &e) != 0) {
    fprintf(stderr, "open: %s\n", e.message);
    abort();
  }
  ly_fake_clock_init(&f->clock, FX_NOW);
  uint8_t master[32];
  for (int i = 0; i < 32; i++)
    master[i] = (uint8_t)(i * 5 + 3);
  ly_keys_derive(master, &f->keys);
  f->cx = (struct referral_ctx){f->db, &f->clock.clock, &f->keys};
  f->rcx = (struct records_ctx){f->db, &f->clock.clock, &f->keys};
  fx_sql(f, FX_SEED);
  fx_doctor(f, "gp", "fac_c", "dept_c_gp");
  fx_doctor(f, "gp2", "fac_c2", "dept_c2_gp");
  fx_doctor(f, "sec", "fac_s", "dept_s_card");
  fx_doctor(f, "spec", "fac_t", "dept_t_card");
  fx_doctor(f, "spec2", "fac_t", "dept_t_card");
  fx_doctor(f, "endo", "fac_t", "dept_t_endo");
  fx_patient(f, "pat_1", "pat_acct", "sd1", "440310195501010011");
  fx_patient(f, "pat_2", "pat2_acct", "sd2", "440310195501010038");
  return f;
}

static inline void fx_close(struct fixture *f) {
  char p[160];
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
