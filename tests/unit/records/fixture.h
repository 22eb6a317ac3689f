/* tests/unit/records/fixture.h — a real SQLite database in a temporary
 * directory, migrated, with the few 0002 rows the records and rx tests need.
 * Included by tests (static functions only); not part of any library.
 *
 * District: facility fac_c (community centre), fac_h (hospital).
 * Accounts: doc_a (doctor at fac_c, 10 years, signing key), doc_b (doctor at
 * fac_h, 10 years, key), doc_young (fac_c, 2 years, key), ph_a (pharmacist at
 * fac_c, 5 years), ph_centre (review centre, 4 years), ph_young (fac_c, 2
 * years), pat_acct (patient account of pat_1), sup_1 (supervisor).
 * Patients: pat_1 (born 1960, national id 110101196001010011), pat_kid (born
 * 5 years before FX_NOW), pat_2 (born 1980).
 * Drugs: amlodipine (chronic use), metformin (chronic use), amoxicillin
 * (antimicrobial), morphine (narcotic), diazepam (psychotropic_2).
 * Conditions: I10 and E11 chronic, J06 not.
 */
#ifndef LY_TEST_RECORDS_FIXTURE_H
#define LY_TEST_RECORDS_FIXTURE_H

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
  struct records_ctx cx;
};

static const struct records_actor FX_DOC_A = {"doc_a", "doctor", "fac_c"};
static const struct records_actor FX_DOC_B = {"doc_b", "doctor", "fac_h"};
static const struct records_actor FX_DOC_YOUNG = {"doc_young", "doctor", "fac_c"};
static const struct records_actor FX_PH_A = {"ph_a", "pharmacist", "fac_c"};
static const struct records_actor FX_PH_CENTRE = {"ph_centre", "pharmacist", NULL};
static const struct records_actor FX_PH_YOUNG = {"ph_young", "pharmacist", "fac_c"};
static const struct records_actor FX_PATIENT = {"pat_acct", "patient", NULL};
static const struct records_actor FX_SUPERVISOR = {"sup_1", "supervisor", NULL};

static const char *FX_SEED =
    "INSERT INTO subdistricts VALUES ('sd1','东城','Dongcheng',39.9,116.4);"
    "INSERT INTO facilities VALUES "
    "('fac_c','community_centre','community','社区中心','Community','sd1','addr',39.9,"
    "116.4,1);"
    "INSERT INTO facilities VALUES "
    "('fac_h','hospital','tertiary','医院','Hospital','sd1','addr',39.9,116.4,1);"
    "INSERT INTO doctor_titles VALUES ('gp','全科医师','GP');"
    "INSERT INTO accounts VALUES ('doc_a','doc_a','doctor','王医生','Dr Wang','x',0,0);"
    "INSERT INTO accounts VALUES ('doc_b','doc_b','doctor','李医生','Dr Li','x',0,0);"
    "INSERT INTO accounts VALUES ('doc_young','doc_young','doctor','赵医生','Dr Zhao','x',0,0);"
    "INSERT INTO accounts VALUES ('ph_a','ph_a','pharmacist','张药师','Pharm Zhang','x',0,0);"
    "INSERT INTO accounts VALUES ('ph_centre','ph_centre','pharmacist','审方中心','Review centre','x',0,0);"
    "INSERT INTO accounts VALUES ('ph_young','ph_young','pharmacist','刘药师','Pharm Liu','x',0,0);"
    "INSERT INTO accounts VALUES ('pat_acct','pat_acct','patient','陈大爷','Chen','x',0,0);"
    "INSERT INTO accounts VALUES ('sup_1','sup_1','supervisor','督导','Supervisor','x',0,0);"
    "INSERT INTO pharmacists VALUES ('ph_a','fac_c','PH-A',:ph_a_since);"
    "INSERT INTO pharmacists VALUES ('ph_centre',NULL,'PH-C',:ph_centre_since);"
    "INSERT INTO pharmacists VALUES ('ph_young','fac_c','PH-Y',:ph_young_since);"
    "INSERT INTO conditions VALUES ('I10','高血压','Hypertension',1);"
    "INSERT INTO conditions VALUES ('E11','2型糖尿病','Type 2 diabetes',1);"
    "INSERT INTO conditions VALUES ('J06','上呼吸道感染','Upper respiratory infection',0);"
    "INSERT INTO drugs VALUES "
    "('amlodipine','氨氯地平片','Amlodipine','ALDP','C08CA01','tablet','5mg',7,'片',1500,"
    "'甲','none',0,1,1);"
    "INSERT INTO drugs VALUES "
    "('metformin','二甲双胍片','Metformin','EJSG','A10BA02','tablet','500mg',30,'片',900,"
    "'甲','none',0,2,1);"
    "INSERT INTO drugs VALUES "
    "('amoxicillin','阿莫西林胶囊','Amoxicillin','AMXL','J01CA04','capsule','250mg',24,"
    "'粒',1200,'甲','none',1,3,0);"
    "INSERT INTO drugs VALUES "
    "('morphine','吗啡片','Morphine','MF','N02AA01','tablet','10mg',10,'片',800,'甲',"
    "'narcotic',0,3,0);"
    "INSERT INTO drugs VALUES ('diazepam','地西泮片','Diazepam','DXP','N05BA01','tablet','2.5mg',20,'片',300,"
    "'甲','psychotropic_2',0,2,0);";

static inline void fx_exec_seed(struct fixture *f) {
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
    int i;
    if ((i = sqlite3_bind_parameter_index(st, ":ph_a_since")))
      sqlite3_bind_int64(st, i, FX_NOW - 5 * FX_YEAR);
    if ((i = sqlite3_bind_parameter_index(st, ":ph_centre_since")))
      sqlite3_bind_int64(st, i, FX_NOW - 4 * FX_YEAR);
    if ((i = sqlite3_bind_parameter_index(st, ":ph_young_since")))
      sqlite3_bind_int64(st, i, FX_NOW - 2 * FX_YEAR);
    if (sqlite3_step(st) != SQLITE_DONE) {
      fprintf(stderr, "seed: %s\n", sqlite3_errmsg(h));
      abort();
    }
    sqlite3_finalize(st);
    sql = tail;
  }
}

static inline void fx_doctor(struct fixture *f, const char *id, const char *facility, int64_t since) {
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(ly_db_sqlite(f->db),
                     "INSERT INTO doctors (account_id, facility_id, title, specialty, license_no, licensed, "
                     "practice_since) VALUES (?1, ?2, 'gp', 'general', ?1, 1, ?3)",
                     -1, &st, NULL);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, facility, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, since);
  if (sqlite3_step(st) != SQLITE_DONE) abort();
  sqlite3_finalize(st);
  struct ly_error e;
  if (signature_doctor_keygen(&f->cx, id, &e) != 0) abort();
}

static inline void fx_patient(struct fixture *f, const char *id, const char *account, const char *birth,
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
      "'M', ?3, ?4, ?5, 'sd1', 39.9, 116.4, 0)",
      -1, &st, NULL);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, birth, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 4, enc, (int)enclen, SQLITE_STATIC);
  sqlite3_bind_blob(st, 5, hash, sizeof hash, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) abort();
  sqlite3_finalize(st);
}

/* Run SQL with one text parameter per '?' in order (tests only). */
static inline void fx_sql(struct fixture *f, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(ly_db_sqlite(f->db), sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "fx_sql: %s\n", err ? err : "?");
    abort();
  }
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

static inline struct fixture *fx_open(void) {
  struct fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/ly_fx_XXXXXX");
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
    master[i] = (uint8_t)(i * 7 + 1);
  ly_keys_derive(master, &f->keys);
  f->cx.db = f->db;
  f->cx.clock = &f->clock.clock;
  f->cx.keys = &f->keys;
  fx_exec_seed(f);
  fx_doctor(f, "doc_a", "fac_c", FX_NOW - 10 * FX_YEAR);
  fx_doctor(f, "doc_b", "fac_h", FX_NOW - 10 * FX_YEAR);
  fx_doctor(f, "doc_young", "fac_c", FX_NOW - 2 * FX_YEAR);
  fx_patient(f, "pat_1", "pat_acct", "1960-03-02", "110101196001010011");
  fx_patient(f, "pat_kid", NULL, "2021-01-10", "110101202101100022");
  fx_patient(f, "pat_2", NULL, "1980-07-07", "11010119800707003X");
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

/* A consultation of pat_1 with doc_a about I10 in state `state`. */
static inline void fx_consultation(struct fixture *f, const char *id, const char *patient, const char *doctor,
                                   const char *facility, const char *state) {
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(
      ly_db_sqlite(f->db),
      "INSERT INTO consultations (id, patient_id, doctor_id, facility_id, icd10, state, booked_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, 'I10', ?5, ?6, ?6)",
      -1, &st, NULL);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, patient, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, doctor, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, facility, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, state, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, FX_NOW - FX_DAY);
  if (sqlite3_step(st) != SQLITE_DONE) abort();
  sqlite3_finalize(st);
}

#endif
