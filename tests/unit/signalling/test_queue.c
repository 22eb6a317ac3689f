/* tests/unit/signalling/test_queue.c — signalling/queue.c: ordering
 * (referred first, then booking order), estimates, strmap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "signalling/sig_internal.h"

static int setup(void **state) {
  *state = fx_open(0);
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static void estimates(void **state) {
  (void)state;
  assert_int_equal(queue_estimate(600000, 0, 0, 0), 0);
  assert_int_equal(queue_estimate(600000, 2, 0, 0), 1200000);
  /* a call in progress adds what is left of it … */
  assert_int_equal(queue_estimate(600000, 1, 1, 200000), 600000 + 400000);
  /* … but at least a minute when it runs over */
  assert_int_equal(queue_estimate(600000, 0, 1, 900000), 60000);
}

/* Insert a consultation of doc_a in state st (raw rows: the queue only reads).
 * started/ended 0 mean NULL. */
static void row(struct fixture *f, const char *id, const char *patient, const char *st, int priority,
                int64_t booked, int64_t started, int64_t ended) {
  sqlite3_stmt *q = NULL;
  assert_int_equal(
      sqlite3_prepare_v2(ly_db_sqlite(f->db),
                         "INSERT INTO consultations (id, patient_id, doctor_id, facility_id, icd10, state,"
                         " priority, booked_at, started_at, ended_at, updated_at)"
                         " VALUES (?1, ?2, 'doc_a', 'fac_c', 'I10', ?3, ?4, ?5, ?6, ?7, 0)",
                         -1, &q, NULL),
      SQLITE_OK);
  sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 2, patient, -1, SQLITE_STATIC);
  sqlite3_bind_text(q, 3, st, -1, SQLITE_STATIC);
  sqlite3_bind_int(q, 4, priority);
  sqlite3_bind_int64(q, 5, booked);
  if (started) sqlite3_bind_int64(q, 6, started);
  if (ended) sqlite3_bind_int64(q, 7, ended);
  assert_int_equal(sqlite3_step(q), SQLITE_DONE);
  sqlite3_finalize(q);
}

static void ordering(void **state) {
  struct fixture *f = *state;
  json_t *items, *pos;
  /* booking order, except a referred patient (priority 1) goes first */
  row(f, "c3", "pat_a", "waiting", 0, FX_NOW - 3000, 0, 0);
  row(f, "c1", "pat_b", "waiting", 0, FX_NOW - 9000, 0, 0);
  row(f, "c2", "pat_kid", "waiting", 1, FX_NOW - 1000, 0, 0);
  row(f, "c4", "pat_a", "booked", 0, FX_NOW - 99000, 0, 0);
  assert_int_equal(queue_items(f->sig, "doc_a", &items), 0);
  assert_int_equal(json_array_size(items), 3);
  const char *want[] = {"c2", "c1", "c3"};
  for (size_t i = 0; i < 3; i++) {
    json_t *it = json_array_get(items, i);
    assert_string_equal(json_string_value(json_object_get(it, "consultation_id")), want[i]);
    assert_int_equal(json_integer_value(json_object_get(it, "position")), i + 1);
    assert_int_equal(json_integer_value(json_object_get(it, "estimated_wait_ms")), i * 600000);
  }
  json_decref(items);
  assert_int_equal(queue_position(f->sig, "doc_a", "c3", &pos), 0);
  assert_int_equal(json_integer_value(json_object_get(pos, "position")), 3);
  assert_int_equal(json_integer_value(json_object_get(pos, "ahead")), 2);
  assert_string_equal(json_string_value(json_object_get(pos, "doctor_presence")), "away");
  json_decref(pos);
  assert_int_equal(queue_position(f->sig, "doc_a", "c4", &pos), 0); /* not waiting */
  assert_int_equal(json_integer_value(json_object_get(pos, "position")), 0);
  json_decref(pos);
}

static void mean_duration(void **state) {
  struct fixture *f = *state;
  assert_int_equal(queue_mean_duration(f->sig, "doc_a"), 600000);
  row(f, "e1", "pat_a", "ended", 0, 0, FX_NOW - 900000, FX_NOW - 600000); /* 5 min */
  row(f, "e2", "pat_b", "notes_signed", 0, 0, FX_NOW - 400000, FX_NOW);   /* 400 s */
  assert_int_equal(queue_mean_duration(f->sig, "doc_a"), (300000 + 400000) / 2);
  row(f, "e3", "pat_kid", "ended", 0, 0, FX_NOW - 1000, FX_NOW); /* very short calls are clamped */
  row(f, "e4", "pat_kid", "ended", 0, 0, FX_NOW - 1000, FX_NOW);
  row(f, "e5", "pat_kid", "ended", 0, 0, FX_NOW - 1000, FX_NOW);
  row(f, "e6", "pat_kid", "ended", 0, 0, FX_NOW - 1000, FX_NOW);
  assert_int_equal(queue_mean_duration(f->sig, "doc_a"), 2 * 60 * 1000);
}

static void map(void **state) {
  struct strmap m;
  static char keys[3000][16];
  (void)state;
  assert_int_equal(strmap_init(&m, 4), 0);
  for (int i = 0; i < 3000; i++) {
    snprintf(keys[i], sizeof keys[i], "k%d", i);
    assert_int_equal(strmap_put(&m, keys[i], keys[i]), 0);
  }
  assert_int_equal(strmap_put(&m, keys[7], keys[7]), LY_EEXIST);
  assert_int_equal(m.count, 3000);
  for (int i = 0; i < 3000; i += 7)
    assert_ptr_equal(strmap_get(&m, keys[i]), keys[i]);
  assert_ptr_equal(strmap_del(&m, keys[5]), keys[5]);
  assert_null(strmap_get(&m, keys[5]));
  assert_null(strmap_del(&m, "missing"));
  assert_int_equal(m.count, 2999);
  strmap_close(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(estimates),
      cmocka_unit_test_setup_teardown(ordering, setup, teardown),
      cmocka_unit_test_setup_teardown(mean_duration, setup, teardown),
      cmocka_unit_test(map),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
