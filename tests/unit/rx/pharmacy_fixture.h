/* tests/unit/rx/pharmacy_fixture.h — the records fixture plus a few
 * pharmacies, their staff and stock, and ready prescriptions, for the tests
 * of pharmacy dispatch (test_dispatch.c, test_pharmacy_claim.c,
 * test_dispense.c, test_delivery.c, test_stock.c).
 *
 * Pharmacies: ph_near (sd1, ~150 m from pat_1's home, delivers to sd1),
 * ph_far (sd1, ~7 km, pickup only), ph_empty (sd1, ~1 km, no amlodipine),
 * ph_other (sd2, delivers to sd2 only). Staff: st_near, st_near2 (both at
 * ph_near), st_far, st_empty, st_other.
 * Extra drugs: amlodipine_b (same generic, strength and form as amlodipine,
 * another maker, pack of 14) and amlodipine_10 (10mg: not equivalent).
 * Stock: ph_near amlodipine 20, metformin 10, amlodipine_b 5;
 * ph_far amlodipine 20, metformin 10; ph_empty metformin 10; ph_other amlodipine 20.
 */
#ifndef LY_TEST_RX_PHARMACY_FIXTURE_H
#define LY_TEST_RX_PHARMACY_FIXTURE_H

#include <cmocka.h>

#include "rx/dispatch.h"
#include "rx/pharmacy.h"
#include "rx/prescription.h"
#include "tests/unit/records/fixture.h"

static const struct pharmacy_actor PA_NEAR = {"st_near", "ph_near"};
static const struct pharmacy_actor PA_NEAR2 = {"st_near2", "ph_near"};
static const struct pharmacy_actor PA_FAR = {"st_far", "ph_far"};
static const struct pharmacy_actor PA_EMPTY = {"st_empty", "ph_empty"};
static const struct pharmacy_actor PA_OTHER = {"st_other", "ph_other"};

static const char *PX_SEED =
    "INSERT INTO subdistricts VALUES ('sd2','西城','Xicheng',39.91,116.36);"
    "INSERT INTO pharmacies (id, name, name_en, subdistrict_id, address, lat, lon, opens, closes, delivers) "
    "VALUES "
    "('ph_near','近药房','Near','sd1','a',39.901,116.401,'08:00','22:00',1),"
    "('ph_far','远药房','Far','sd1','b',39.95,116.45,'00:00','00:00',0),"
    "('ph_empty','空药房','Empty','sd1','c',39.909,116.4,'09:00','18:00',0),"
    "('ph_other','西药房','Other','sd2','d',39.91,116.36,'08:00','20:00',1);"
    "INSERT INTO pharmacy_delivery_areas VALUES ('ph_near','sd1'),('ph_other','sd2');"
    "INSERT INTO accounts VALUES ('st_near','st_near','pharmacy_staff','近店员','Near staff','x',0,0),"
    "('st_near2','st_near2','pharmacy_staff','近店员二','Near staff 2','x',0,0),"
    "('st_far','st_far','pharmacy_staff','远店员','Far staff','x',0,0),"
    "('st_empty','st_empty','pharmacy_staff','空店员','Empty staff','x',0,0),"
    "('st_other','st_other','pharmacy_staff','西店员','Other staff','x',0,0);"
    "INSERT INTO pharmacy_staff VALUES ('st_near','ph_near'),('st_near2','ph_near'),('st_far','ph_far'),"
    "('st_empty','ph_empty'),('st_other','ph_other');"
    "INSERT INTO drugs VALUES ('amlodipine_b','氨氯地平片','Amlodipine "
    "B','ALDP','C08CA01','tablet','5mg',14,'片',"
    "2600,'甲','none',0,1,1);"
    "INSERT INTO drugs VALUES ('amlodipine_10','氨氯地平片','Amlodipine "
    "10','ALDP','C08CA01','tablet','10mg',7,'片',"
    "1900,'甲','none',0,1,1);"
    "INSERT INTO pharmacy_stock (pharmacy_id, drug_id, quantity, updated_at) VALUES "
    "('ph_near','amlodipine',20,0),('ph_near','metformin',10,0),('ph_near','amlodipine_b',5,0),"
    "('ph_near','amlodipine_10',5,0),"
    "('ph_far','amlodipine',20,0),('ph_far','metformin',10,0),"
    "('ph_empty','metformin',10,0),('ph_other','amlodipine',20,0);";

static inline int64_t px_stock(struct fixture *f, const char *pharmacy, const char *drug) {
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(ly_db_sqlite(f->db),
                     "SELECT quantity FROM pharmacy_stock WHERE pharmacy_id = ?1 AND drug_id = ?2", -1, &st,
                     NULL);
  sqlite3_bind_text(st, 1, pharmacy, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, drug, -1, SQLITE_STATIC);
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return v;
}

/* Count rows of a query with one text parameter. */
static inline int64_t px_count(struct fixture *f, const char *sql, const char *arg) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(ly_db_sqlite(f->db), sql, -1, &st, NULL) != SQLITE_OK) abort();
  if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return v;
}

struct pxfx {
  struct fixture *f;
  struct rx_ctx cx;
};

static inline struct pxfx *px_open(void) {
  struct pxfx *t = calloc(1, sizeof *t);
  t->f = fx_open();
  rx_ctx_init(&t->cx, t->f->db, &t->f->clock.clock, &t->f->keys);
  fx_consultation(t->f, "con_1", "pat_1", "doc_a", "fac_c", "ended");
  fx_sql(t->f,
         "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified, "
         "created_at) VALUES ('dx1', 'pat_1', 'I10', 'fac_h', 1773741600000, 'facility', 1, 0)");
  fx_sql(t->f, PX_SEED);
  return t;
}

static inline void px_close(struct pxfx *t) {
  int64_t checked = 0, bad = 0;
  assert_int_equal(ly_audit_verify(t->f->db, &checked, &bad), 0);
  fx_close(t->f);
  free(t);
}

/* A ready (signed and approved) chronic prescription of pat_1: line 1
 * amlodipine 4 packs (28 tablets), line 2 metformin 1 pack when two_lines. */
static inline void px_ready(struct pxfx *t, char id[LY_ID_MAX], int two_lines) {
  static const struct prescription_item_in items[2] = {{"amlodipine", 4, 28, 1000, "5 mg 口服 每日一次"},
                                                       {"metformin", 1, 15, 2000, "0.5 g 口服 每日两次"}};
  struct prescription_in in = {"pat_1", "con_1", "I10", "chronic", "高血压病情稳定",   NULL, 0,
                               3,       NULL,    NULL,  items,     two_lines ? 2u : 1u};
  struct ly_error e;
  struct rules_result v;
  int rc = prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e);
  if (rc || v.n)
    print_error("create: %d %s %s (%zu violations: %s)\n", rc, e.code, e.message, v.n,
                v.n ? v.v[0].rule->code : "");
  assert_int_equal(rc, 0);
  rc = prescription_sign(&t->cx, &FX_DOC_A, id, NULL, NULL, &v, &e);
  if (rc) print_error("sign: %s %s\n", e.code, e.message);
  assert_int_equal(rc, 0);
  rc = prescription_approve(&t->cx, &FX_PH_A, id, NULL, NULL, &v, &e);
  if (rc) print_error("approve: %s %s\n", e.code, e.message);
  assert_int_equal(rc, 0);
}

/* The patient's QR payload of a prescription. */
static inline void px_qr(struct pxfx *t, const char *id, char *out, size_t outsz) {
  json_t *v = NULL;
  struct ly_error e;
  assert_int_equal(prescription_get(&t->cx, &FX_PATIENT, id, 1, &v, &e), 0);
  snprintf(out, outsz, "%s", json_string_value(json_object_get(v, "qr")));
  json_decref(v);
}

static inline int px_dispatch(struct pxfx *t, const char *id, const char *mode, const char *pharmacy,
                              struct ly_error *e) {
  struct dispatch_in in = {id, mode, pharmacy, NULL, 0};
  struct dispatch_out out;
  int rc = dispatch_choose(&t->cx, &FX_PATIENT, &in, &out, e);
  json_decref(out.view);
  return rc;
}

static inline const char *px_state(struct pxfx *t, const char *id) {
  static char s[24];
  struct prescription_parties p;
  assert_int_equal(prescription_parties(&t->cx, id, &p), 0);
  snprintf(s, sizeof s, "%s", p.state);
  return s;
}

#endif
