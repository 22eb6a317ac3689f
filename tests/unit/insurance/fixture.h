/* tests/unit/insurance/fixture.h — a real SQLite database in a temp
 * directory with the few district rows insurance/ needs (ly_db_open applies
 * every migration). Included by the insurance tests only. */
#ifndef TESTS_INSURANCE_FIXTURE_H
#define TESTS_INSURANCE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "insurance/claim.h"

struct fx {
  char dir[64];
  char path[96];
  struct ly_db *db;
};

static inline int64_t fx_ms(const char *iso) {
  int64_t ms = 0;
  assert_int_equal(ly_time_parse(iso, &ms), 0);
  return ms;
}

static inline void fx_exec(struct ly_db *db, const char *sql) {
  int rc = ly_db_exec(db, sql);
  if (rc) print_error("fx_exec: %s\n", ly_db_errmsg(db));
  assert_int_equal(rc, 0);
}

/* One integer from a query with up to two text parameters. */
static inline int64_t fx_int(struct ly_db *db, const char *sql, const char *a, const char *b) {
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
  if (a) sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
  if (b) sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Policy version 1 from 2024-01-01 (UTC): employee_t1 and resident rates (no
 * resident rate at secondary level: "unknown plan" there), orphan_plan has
 * no rates at all. Fee schedule with 'any' fallbacks and a delivery fee. */
static const char *fx_seed_sql =
    "INSERT INTO subdistricts VALUES ('sd1', '坪山', 'Pingshan', 22.7, 114.3);"
    "INSERT INTO facilities VALUES"
    " ('fc-comm', 'community_centre', 'community', '社区中心', 'Centre', 'sd1', 'addr', 22.7, 114.3, 1),"
    " ('fc-sec', 'hospital', 'secondary', '区医院', 'District', 'sd1', 'addr', 22.7, 114.3, 1),"
    " ('fc-tert', 'hospital', 'tertiary', '市医院', 'City', 'sd1', 'addr', 22.7, 114.3, 1),"
    " ('fc-nd', 'community_centre', 'community', '非定点', 'Not designated', 'sd1', 'addr', 22.7, 114.3, 0);"
    "INSERT INTO insurance_plans VALUES ('employee_t1', '职工一档', 'Employee T1', 1),"
    " ('resident', '居民', 'Resident', 0), ('orphan_plan', '孤儿', 'Orphan', 0);"
    "INSERT INTO policy_versions VALUES ('pv1', 1704067200000, 'v1', 'seed', 1704067200000);"
    "INSERT INTO policy_rates VALUES"
    " ('pv1', 'employee_t1', 'community', 9000, 20000, 1000000),"
    " ('pv1', 'employee_t1', 'secondary', 8000, 50000, 1000000),"
    " ('pv1', 'employee_t1', 'tertiary', 7000, 80000, 1000000),"
    " ('pv1', 'resident', 'community', 7000, 10000, 300000),"
    " ('pv1', 'resident', 'tertiary', 5000, 50000, 300000);"
    "INSERT INTO policy_categories VALUES ('pv1', '甲', 0), ('pv1', '乙', 1000), ('pv1', '丙', 10000);"
    "INSERT INTO fee_schedule VALUES"
    " ('pv1', '110200001', '普通门诊诊查费', 'Consultation', 'community', 'any', 1000, 1),"
    " ('pv1', '110200001', '普通门诊诊查费', 'Consultation', 'any', 'any', 2000, 1),"
    " ('pv1', '110200003', '主任医师诊查费', 'Chief', 'tertiary', 'chief', 5000, 1),"
    " ('pv1', '110200003', '主任医师诊查费', 'Chief', 'any', 'any', 3000, 1),"
    " ('pv1', 'NOCOVER', '自费项目', 'Not covered', 'any', 'any', 3000, 0),"
    " ('pv1', 'DELIVERY', '药品配送费', 'Delivery', 'any', 'any', 800, 1);"
    "INSERT INTO drugs VALUES"
    " ('dA', '氨氯地平', 'amlodipine', 'ALDP', 'C08CA01', 'tablet', '5mg', 28, '片', 1260, '甲', 'none', 0, "
    "1, 1),"
    " ('dB', '厄贝沙坦', 'irbesartan', 'EBST', 'C09CA04', 'tablet', '150mg', 28, '片', 5000, '乙', 'none', "
    "0, 1, 1),"
    " ('dC', '某丙药', 'cat C drug', 'MBY', 'X', 'tablet', '1mg', 10, '片', 3000, '丙', 'none', 0, 1, 0);";

/* A patient, with coverage when plan is non-NULL (valid 2024-01-01 .. 2026-12-31 UTC,
 * or until valid_to when it is non-zero). */
static inline void fx_patient(struct ly_db *db, const char *id, const char *plan, int64_t balance,
                              int64_t valid_to) {
  static const char *pat =
      "INSERT INTO patients (id, name, name_en, sex, birth_date, national_id_enc, national_id_hash,"
      " subdistrict_id, lat, lon, created_at) VALUES (?1, '患者', 'Patient', 'F', '1960-01-01', x'00', ?1,"
      " 'sd1', 22.7, 114.3, 0)";
  static const char *cov =
      "INSERT INTO coverage (patient_id, plan_id, insured_no, valid_from, valid_to, account_balance_fen)"
      " VALUES (?1, ?2, 'INS-' || ?1, 1704067200000, ?3, ?4)";
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), pat, -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  if (!plan) return;
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), cov, -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, plan, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, valid_to ? valid_to : 1798761599000LL); /* 2026-12-31T23:59:59Z */
  sqlite3_bind_int64(st, 4, balance);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
}

static inline void fx_open(struct fx *f) {
  struct ly_error e;
  snprintf(f->dir, sizeof f->dir, "/tmp/ly-ins-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
  ly_error_clear(&e);
  int rc = ly_db_open(f->path, &f->db, &e);
  if (rc) print_error("ly_db_open: %s\n", e.message);
  assert_int_equal(rc, 0);
  fx_exec(f->db, fx_seed_sql);
}

static inline void fx_close(struct fx *f) {
  char p[128];
  ly_db_close(f->db);
  f->db = NULL;
  const char *suffix[3] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
    unlink(p);
  }
  rmdir(f->dir);
}

/* Request building: items as a small table. */
#define FX_DRUG(code, qty) \
  { ADJUDICATE_DRUG, (code), (qty), 0, 0 }
#define FX_DRUG_AT(code, qty, price) \
  { ADJUDICATE_DRUG, (code), (qty), 1, (price) }
#define FX_FEE(code) \
  { ADJUDICATE_FEE, (code), 1, 0, 0 }
#define FX_DELIVERY(price) \
  { ADJUDICATE_DELIVERY, "DELIVERY", 1, (price) >= 0, (price) }

static inline struct claim_req fx_req(const char *patient, const char *facility, const char *encounter,
                                      int64_t at, const struct claim_item *items, size_t n) {
  struct claim_req r = {patient, facility, "consultation", encounter, NULL, NULL, at, n, items};
  return r;
}

static const struct claim_actor fx_actor = {"acct-admin", "admin"};

#endif
