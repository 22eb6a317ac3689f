/* tests/unit/core/test_audit.c — core/audit.c: append, verify, tamper detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"

struct fx {
  char dir[64];
  char path[96];
  struct ly_db *db;
};

static int fx_setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/ly_test_audit.XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
  struct ly_error e;
  if (ly_db_open(f->path, &f->db, &e)) return -1;
  *state = f;
  return 0;
}

static int fx_teardown(void **state) {
  struct fx *f = *state;
  char p[128];
  ly_db_close(f->db);
  const char *sfx[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s%s", f->path, sfx[i]);
    unlink(p);
  }
  rmdir(f->dir);
  free(f);
  return 0;
}

static void entry(int i, char *detail, size_t dsz, struct ly_audit_entry *e) {
  snprintf(detail, dsz, "entry number %d", i);
  memset(e, 0, sizeof *e);
  e->at_ms = 1700000000000 + i;
  e->actor_id = i % 2 ? "acc_doctor" : "system";
  e->actor_role = i % 2 ? "doctor" : "system";
  e->action = "record.read";
  e->patient_id = i % 3 ? "pat_1" : NULL;
  e->object_type = "consultation";
  e->object_id = i % 5 ? "con_9" : NULL;
  e->outcome = "ok";
  e->detail = detail;
}

/* 100 entries in 10 transactions of 10. */
static void append_100(struct ly_db *db) {
  for (int t = 0; t < 10; t++) {
    assert_int_equal(ly_db_begin(db), LY_OK);
    for (int k = 0; k < 10; k++) {
      int i = t * 10 + k + 1;
      char detail[64];
      struct ly_audit_entry e;
      entry(i, detail, sizeof detail, &e);
      int64_t seq = 0;
      assert_int_equal(ly_audit_append(db, &e, &seq), LY_OK);
      assert_int_equal(seq, i);
    }
    assert_int_equal(ly_db_commit(db), LY_OK);
  }
}

static void exec_text(struct ly_db *db, const char *sql, const char *text, int64_t seq) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
  if (text)
    sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, 1);
  sqlite3_bind_int64(st, 2, seq);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  assert_int_equal(sqlite3_changes(ly_db_sqlite(db)), 1);
  sqlite3_finalize(st);
}

static void exec_raw(struct ly_db *db, const char *sql) {
  assert_int_equal(sqlite3_exec(ly_db_sqlite(db), sql, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_changes(ly_db_sqlite(db)), 1);
}

static void test_refuses_outside_tx(void **state) {
  struct fx *f = *state;
  char d[32];
  struct ly_audit_entry e;
  entry(1, d, sizeof d, &e);
  assert_int_equal(ly_audit_append(f->db, &e, NULL), LY_ESTATE);
  e.actor_id = NULL;
  ly_db_begin(f->db);
  assert_int_equal(ly_audit_append(f->db, &e, NULL), LY_EINVAL);
  ly_db_rollback(f->db);
  int64_t n = -1, bad = -1;
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_OK);
  assert_int_equal(n, 0);
}

static void test_rollback_drops_entry(void **state) {
  struct fx *f = *state;
  char d[32];
  struct ly_audit_entry e;
  entry(1, d, sizeof d, &e);
  ly_db_begin(f->db);
  assert_int_equal(ly_audit_append(f->db, &e, NULL), LY_OK);
  ly_db_rollback(f->db);
  ly_db_begin(f->db);
  int64_t seq = 0;
  assert_int_equal(ly_audit_append(f->db, &e, &seq), LY_OK);
  ly_db_commit(f->db);
  assert_int_equal(seq, 1);
}

static void test_first_entry_format(void **state) {
  /* Recompute entry 1's hash from the documented encoding, independently. */
  struct fx *f = *state;
  struct ly_audit_entry e = {1234, "acc_1", "doctor", "rx.sign", NULL, "prescription", "rx_1", "ok", ""};
  ly_db_begin(f->db);
  assert_int_equal(ly_audit_append(f->db, &e, NULL), LY_OK);
  ly_db_commit(f->db);
  uint8_t buf[512], want[32];
  size_t o = 0;
  memset(buf, 0, 32);
  o = 32;
  const uint8_t hdr[16] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x04, 0xd2};
  memcpy(buf + o, hdr, 16);
  o += 16;
  const char *fields[8] = {"acc_1", "doctor", "rx.sign", NULL, "prescription", "rx_1", "ok", ""};
  for (int i = 0; i < 8; i++) {
    uint32_t n = fields[i] ? (uint32_t)strlen(fields[i]) : 0xFFFFFFFFu;
    buf[o++] = (uint8_t)(n >> 24), buf[o++] = (uint8_t)(n >> 16), buf[o++] = (uint8_t)(n >> 8),
    buf[o++] = (uint8_t)n;
    if (fields[i]) memcpy(buf + o, fields[i], strlen(fields[i])), o += strlen(fields[i]);
  }
  assert_int_equal(ly_sha256(buf, o, want), LY_OK);
  sqlite3_stmt *st;
  sqlite3_prepare_v2(ly_db_sqlite(f->db), "SELECT prev_hash, hash FROM audit WHERE seq = 1", -1, &st, NULL);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  static const uint8_t zero[32];
  assert_int_equal(sqlite3_column_bytes(st, 0), 32);
  assert_memory_equal(sqlite3_column_blob(st, 0), zero, 32);
  assert_memory_equal(sqlite3_column_blob(st, 1), want, 32);
  sqlite3_finalize(st);
}

static void test_chain_intact(void **state) {
  struct fx *f = *state;
  append_100(f->db);
  int64_t n = 0, bad = -1;
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_OK);
  assert_int_equal(n, 100);
  assert_int_equal(bad, 0);
}

static void flip_detail(struct ly_db *db, int64_t seq) {
  char d[64];
  struct ly_audit_entry e;
  entry((int)seq, d, sizeof d, &e);
  d[3] ^= 0x01; /* one byte */
  exec_text(db, "UPDATE audit SET detail = ?1 WHERE seq = ?2", d, seq);
}

static void test_flipped_byte_named(void **state) {
  struct fx *f = *state;
  append_100(f->db);
  flip_detail(f->db, 37);
  int64_t n = 0, bad = 0;
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_ECONFLICT);
  assert_int_equal(bad, 37);
  assert_int_equal(n, 36);
  /* undo: the chain verifies again */
  char d[64];
  struct ly_audit_entry e;
  entry(37, d, sizeof d, &e);
  exec_text(f->db, "UPDATE audit SET detail = ?1 WHERE seq = ?2", d, 37);
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_OK);
  assert_int_equal(n, 100);
}

static void test_deleted_row_named(void **state) {
  struct fx *f = *state;
  append_100(f->db);
  exec_raw(f->db, "DELETE FROM audit WHERE seq = 50");
  int64_t n = 0, bad = 0;
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_ECONFLICT);
  assert_int_equal(bad, 50);
  assert_int_equal(n, 49);
}

static void test_deleted_first_row_named(void **state) {
  struct fx *f = *state;
  append_100(f->db);
  exec_raw(f->db, "DELETE FROM audit WHERE seq = 1");
  int64_t n = 0, bad = 0;
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_ECONFLICT);
  assert_int_equal(bad, 1);
}

static void test_other_tampering(void **state) {
  struct fx *f = *state;
  append_100(f->db);
  int64_t n, bad;
  /* NULL → "" is a change */
  exec_text(f->db, "UPDATE audit SET patient_id = ?1 WHERE seq = ?2", "", 3);
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_ECONFLICT);
  assert_int_equal(bad, 3);
  exec_text(f->db, "UPDATE audit SET patient_id = ?1 WHERE seq = ?2", NULL, 3);
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_OK);
  /* the timestamp */
  exec_raw(f->db, "UPDATE audit SET at = at + 1 WHERE seq = 88");
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_ECONFLICT);
  assert_int_equal(bad, 88);
  exec_raw(f->db, "UPDATE audit SET at = at - 1 WHERE seq = 88");
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_OK);
  /* a replaced stored hash */
  exec_raw(f->db, "UPDATE audit SET hash = randomblob(32) WHERE seq = 10");
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_ECONFLICT);
  assert_int_equal(bad, 10);
  /* two entries swapped (contents moved, seqs kept) */
  exec_raw(f->db, "UPDATE audit SET hash = (SELECT prev_hash FROM audit WHERE seq = 11) WHERE seq = 10");
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_OK);
  exec_raw(f->db, "UPDATE audit SET seq = 1000 WHERE seq = 20");
  exec_raw(f->db, "UPDATE audit SET seq = 20 WHERE seq = 21");
  exec_raw(f->db, "UPDATE audit SET seq = 21 WHERE seq = 1000");
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_ECONFLICT);
  assert_int_equal(bad, 20);
}

static void test_append_after_verify(void **state) {
  struct fx *f = *state;
  append_100(f->db);
  char d[64];
  struct ly_audit_entry e;
  entry(101, d, sizeof d, &e);
  char big[600];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  e.detail = big;
  ly_db_begin(f->db);
  assert_int_equal(ly_audit_append(f->db, &e, NULL), LY_ETOOBIG);
  e.detail = d;
  int64_t seq = 0;
  assert_int_equal(ly_audit_append(f->db, &e, &seq), LY_OK);
  ly_db_commit(f->db);
  assert_int_equal(seq, 101);
  int64_t n, bad;
  assert_int_equal(ly_audit_verify(f->db, &n, &bad), LY_OK);
  assert_int_equal(n, 101);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_refuses_outside_tx, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_rollback_drops_entry, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_first_entry_format, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_chain_intact, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_flipped_byte_named, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_deleted_row_named, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_deleted_first_row_named, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_other_tampering, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_append_after_verify, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
