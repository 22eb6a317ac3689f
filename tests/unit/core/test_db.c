/* tests/unit/core/test_db.c — core/db.c: pragmas, migrations, cache, transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/db.h"
#include "core/err.h"

struct fx {
  char dir[64];
  char path[96];
  struct ly_db *db;
};

static int fx_setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/ly_test_db.XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
  *state = f;
  return 0;
}

static void fx_rm(const char *path, const char *suffix) {
  char p[128];
  snprintf(p, sizeof p, "%s%s", path, suffix);
  unlink(p);
}

static int fx_teardown(void **state) {
  struct fx *f = *state;
  ly_db_close(f->db);
  fx_rm(f->path, "");
  fx_rm(f->path, "-wal");
  fx_rm(f->path, "-shm");
  rmdir(f->dir);
  free(f);
  return 0;
}

static struct ly_db *fx_open(struct fx *f) {
  struct ly_error e;
  ly_error_clear(&e);
  int rc = ly_db_open(f->path, &f->db, &e);
  if (rc) fprintf(stderr, "open: %s\n", e.message);
  assert_int_equal(rc, LY_OK);
  assert_non_null(f->db);
  return f->db;
}

static int64_t q_int(struct ly_db *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static void q_text(struct ly_db *db, const char *sql, char *out, size_t outsz) {
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(ly_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
}

static void test_migrations_fresh(void **state) {
  struct ly_db *db = fx_open(*state);
  int v = -1;
  assert_int_equal(ly_db_user_version(db, &v), LY_OK);
  assert_true(ly_migrations_count >= 2);
  /* the newest compiled-in version (== ly_migrations_count while the numbers have no gaps) */
  assert_int_equal(v, ly_migrations[ly_migrations_count - 1].version);
  assert_true(v >= ly_migrations_count);
  assert_null(ly_migrations[ly_migrations_count].name); /* sentinel */
  /* tables of 0001 and 0002 exist */
  assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('audit','accounts','drugs')"),
                   3);
  char mode[16];
  q_text(db, "PRAGMA journal_mode", mode, sizeof mode);
  assert_string_equal(mode, "wal");
  assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
  assert_int_equal(q_int(db, "PRAGMA synchronous"), 2); /* FULL */
  assert_int_equal(ly_db_ping(db), LY_OK);
  assert_false(ly_db_in_tx(db));
}

static void test_reopen_is_noop(void **state) {
  struct fx *f = *state;
  struct ly_db *db = fx_open(f);
  assert_int_equal(ly_db_exec(db, "INSERT INTO settings(key, value) VALUES ('k', 'v')"), LY_OK);
  int64_t tables = q_int(db, "SELECT count(*) FROM sqlite_master");
  ly_db_close(db);
  f->db = NULL;
  struct stat sb;
  /* close checkpointed (TRUNCATE): no WAL content left behind */
  assert_true(stat(f->path, &sb) == 0);
  char wal[128];
  snprintf(wal, sizeof wal, "%s-wal", f->path);
  assert_true(stat(wal, &sb) != 0 || sb.st_size == 0);

  db = fx_open(f);
  int v = 0;
  assert_int_equal(ly_db_user_version(db, &v), LY_OK);
  assert_int_equal(v, ly_migrations[ly_migrations_count - 1].version);
  assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master"), tables);
  assert_int_equal(q_int(db, "SELECT count(*) FROM settings WHERE key = 'k'"), 1);
}

static const char *SQL_INS = "INSERT INTO settings(key, value) VALUES (?1, ?2)";
static const char *SQL_HAS = "SELECT count(*) FROM settings WHERE key = ?1";

static int put(struct ly_db *db, const char *k) {
  sqlite3_stmt *st = ly_db_stmt(db, SQL_INS);
  assert_non_null(st);
  ly_db_bind_text(st, 1, k);
  ly_db_bind_text(st, 2, "x");
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? LY_OK : ly_db_rc(db, rc);
}

static int has(struct ly_db *db, const char *k) {
  sqlite3_stmt *st = ly_db_stmt(db, SQL_HAS);
  ly_db_bind_text(st, 1, k);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int n = sqlite3_column_int(st, 0);
  sqlite3_reset(st);
  return n;
}

static void test_nested_tx(void **state) {
  struct ly_db *db = fx_open(*state);
  assert_int_equal(ly_db_commit(db), LY_ESTATE);
  assert_int_equal(ly_db_begin(db), LY_OK);
  assert_true(ly_db_in_tx(db));
  assert_int_equal(put(db, "outer"), LY_OK);
  assert_int_equal(ly_db_begin(db), LY_OK);
  assert_int_equal(put(db, "inner"), LY_OK);
  assert_int_equal(ly_db_begin(db), LY_OK);
  assert_int_equal(put(db, "inner2"), LY_OK);
  assert_int_equal(ly_db_commit(db), LY_OK); /* inner2 folds into inner */
  ly_db_rollback(db);                        /* drops inner and inner2 only */
  assert_true(ly_db_in_tx(db));
  assert_int_equal(has(db, "outer"), 1);
  assert_int_equal(has(db, "inner"), 0);
  assert_int_equal(has(db, "inner2"), 0);
  assert_int_equal(ly_db_begin(db), LY_OK);
  assert_int_equal(put(db, "kept"), LY_OK);
  assert_int_equal(ly_db_commit(db), LY_OK);
  assert_int_equal(ly_db_commit(db), LY_OK);
  assert_false(ly_db_in_tx(db));
  assert_int_equal(has(db, "outer"), 1);
  assert_int_equal(has(db, "kept"), 1);
  assert_int_equal(has(db, "inner"), 0);

  ly_db_begin(db);
  put(db, "gone");
  ly_db_rollback(db);
  assert_false(ly_db_in_tx(db));
  assert_int_equal(has(db, "gone"), 0);
  ly_db_rollback(db); /* no-op outside a transaction */
}

static int tx_put_then(struct ly_db *db, void *ud) {
  assert_true(ly_db_in_tx(db));
  assert_int_equal(put(db, "tx"), LY_OK);
  return *(int *)ud;
}

static void test_tx_helper(void **state) {
  struct ly_db *db = fx_open(*state);
  int fail = LY_EDENIED, ok = 0;
  assert_int_equal(ly_db_tx(db, tx_put_then, &fail), LY_EDENIED);
  assert_false(ly_db_in_tx(db));
  assert_int_equal(has(db, "tx"), 0);
  assert_int_equal(ly_db_tx(db, tx_put_then, &ok), LY_OK);
  assert_int_equal(has(db, "tx"), 1);
}

static void test_constraints(void **state) {
  struct ly_db *db = fx_open(*state);
  uint64_t errs = ly_db_error_count(db);
  assert_int_equal(put(db, "dup"), LY_OK);
  assert_int_equal(put(db, "dup"), LY_EEXIST);
  assert_int_equal(ly_db_error_count(db), errs + 1);
  /* a foreign key (sessions.account_id) is a conflict, not "exists" */
  assert_int_equal(ly_db_exec(db, "INSERT INTO sessions VALUES (x'00', 'nobody', 1, 2, NULL)"), LY_ECONFLICT);
  /* a NOT NULL / CHECK failure too */
  assert_int_equal(ly_db_exec(db,
                              "INSERT INTO accounts(id, username, role, name, password_hash, created_at)"
                              " VALUES ('a', 'u', 'wizard', 'n', 'h', 1)"),
                   LY_ECONFLICT);
  assert_int_equal(ly_db_error_count(db), errs + 3);
  assert_int_equal(ly_db_rc(db, SQLITE_BUSY), LY_EAGAIN);
  assert_int_equal(ly_db_rc(db, SQLITE_IOERR_WRITE), LY_EIO);
  assert_int_equal(ly_db_rc(db, SQLITE_FULL), LY_EIO);
  assert_int_equal(ly_db_rc(db, SQLITE_ERROR), LY_EDB);
  assert_int_equal(ly_db_rc(db, SQLITE_DONE), LY_OK);
  assert_int_equal(ly_db_rc(db, SQLITE_ROW), LY_OK);
  assert_int_equal(ly_db_error_count(db), errs + 7);
}

static void test_stmt_cache(void **state) {
  struct ly_db *db = fx_open(*state);
  static const char *sql = "SELECT ?1";
  sqlite3_stmt *a = ly_db_stmt(db, sql);
  assert_non_null(a);
  ly_db_bind_int(a, 1, 42);
  assert_int_equal(sqlite3_step(a), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(a, 0), 42);
  /* handed out again: same statement, reset, bindings cleared */
  sqlite3_stmt *b = ly_db_stmt(db, sql);
  assert_ptr_equal(a, b);
  assert_int_equal(sqlite3_step(b), SQLITE_ROW);
  assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);
  assert_string_equal(ly_db_col_text(b, 0), "");
  sqlite3_reset(b);
  /* the key is the pointer: equal text elsewhere is its own statement */
  char copy[16];
  snprintf(copy, sizeof copy, "%s", sql);
  sqlite3_stmt *c = ly_db_stmt(db, copy);
  assert_non_null(c);
  assert_ptr_not_equal(a, c);

  uint64_t errs = ly_db_error_count(db);
  static const char *bad = "SELEC nonsense";
  assert_null(ly_db_stmt(db, bad));
  assert_non_null(strstr(ly_db_errmsg(db), "syntax error"));
  static const char *two = "SELECT 1; SELECT 2";
  assert_null(ly_db_stmt(db, two));
  assert_non_null(strstr(ly_db_errmsg(db), "one statement"));
  assert_int_equal(ly_db_error_count(db), errs + 2);
}

static void test_stmt_cache_full(void **state) {
  struct ly_db *db = fx_open(*state);
  enum { N = LY_DB_STMT_CACHE_MAX + 1 };
  static char sqls[N][24];
  for (int i = 0; i < N; i++)
    snprintf(sqls[i], sizeof sqls[i], "SELECT %d", i);
  /* ly_db_open already cached its own PRAGMA statement */
  int got = 0;
  for (int i = 0; i < N; i++)
    got += ly_db_stmt(db, sqls[i]) != NULL;
  assert_true(got < N && got >= LY_DB_STMT_CACHE_MAX - 4);
  assert_non_null(strstr(ly_db_errmsg(db), "cache full"));
  /* cached ones still come back */
  assert_non_null(ly_db_stmt(db, sqls[0]));
  sqlite3_stmt *st = ly_db_stmt(db, sqls[7]);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 7);
  sqlite3_reset(st);
}

static void test_migration_failure(void **state) {
  struct fx *f = *state;
  const struct ly_migration migs[] = {
      {1, "0001_a.sql", "CREATE TABLE a(x); INSERT INTO a VALUES (1);"},
      {2, "0002_b.sql", "CREATE TABLE b(x); INSERT INTO nope VALUES (1);"},
  };
  struct ly_error e;
  ly_error_clear(&e);
  int rc = ly_db_open_with(f->path, migs, 2, &f->db, &e);
  assert_int_equal(rc, LY_EDB);
  assert_null(f->db);
  assert_non_null(strstr(e.message, "0002_b.sql"));
  assert_non_null(strstr(e.message, "no such table: nope"));
  /* left at version 1, with nothing of 0002 */
  assert_int_equal(ly_db_open_with(f->path, migs, 1, &f->db, &e), LY_OK);
  int v = 0;
  assert_int_equal(ly_db_user_version(f->db, &v), LY_OK);
  assert_int_equal(v, 1);
  assert_int_equal(q_int(f->db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0);
  assert_int_equal(q_int(f->db, "SELECT count(*) FROM a"), 1);
  ly_db_close(f->db);
  f->db = NULL;

  /* out-of-order tables are a programming error */
  const struct ly_migration bad[] = {{2, "0002.sql", ""}, {1, "0001.sql", ""}};
  assert_int_equal(ly_db_open_with(f->path, bad, 2, &f->db, &e), LY_EINTERNAL);
  assert_null(f->db);
}

/* Migrations written in parallel may land out of number order: a database
 * that has 1 and 3 still gets 2 when a binary that knows 2 opens it. */
static void test_migration_landing_late_is_applied(void **state) {
  struct fx *f = *state;
  const struct ly_migration first[] = {
      {1, "0001_a.sql", "CREATE TABLE a(x)"},
      {3, "0003_c.sql", "CREATE TABLE c(x)"},
  };
  const struct ly_migration all[] = {
      {1, "0001_a.sql", "CREATE TABLE a(x)"},
      {2, "0002_b.sql", "CREATE TABLE b(x)"},
      {3, "0003_c.sql", "CREATE TABLE c(x)"},
  };
  struct ly_error e;
  ly_error_clear(&e);
  assert_int_equal(ly_db_open_with(f->path, first, 2, &f->db, &e), LY_OK);
  ly_db_close(f->db);
  f->db = NULL;
  assert_int_equal(ly_db_open_with(f->path, all, 3, &f->db, &e), LY_OK);
  assert_int_equal(q_int(f->db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 1);
  assert_int_equal(q_int(f->db, "SELECT count(*) FROM schema_migrations"), 3);
  int v = 0;
  assert_int_equal(ly_db_user_version(f->db, &v), LY_OK);
  assert_int_equal(v, 3);
  ly_db_close(f->db);
  f->db = NULL;
  /* and reopening applies nothing twice */
  assert_int_equal(ly_db_open_with(f->path, all, 3, &f->db, &e), LY_OK);
  assert_int_equal(q_int(f->db, "SELECT count(*) FROM schema_migrations"), 3);
}

struct hook_log {
  int calls, last_rc;
};
static void hook(void *ud, int rc) {
  struct hook_log *h = ud;
  h->calls++;
  h->last_rc = rc;
}
static int insert_then_fail(struct ly_db *db, void *ud) {
  ly_db_exec(db, "INSERT INTO t(x) VALUES (2)");
  return LY_EDENIED;
}
static int insert_ok(struct ly_db *db, void *ud) {
  return ly_db_exec(db, "INSERT INTO t(x) VALUES (3)");
}

/* Group commit: batched handlers share one transaction; a failing one rolls
 * back alone; work from outside the batch commits it first and the hook is
 * told; a second connection sees nothing before the commit. */
static void test_batch_group_commit(void **state) {
  struct fx *f = *state;
  struct ly_db *db = fx_open(f);
  struct hook_log log = {0};
  assert_int_equal(ly_db_exec(db, "CREATE TABLE t(x)"), LY_OK);
  ly_db_batch_set_hook(db, hook, &log);

  assert_int_equal(ly_db_batch_enter(db), LY_OK);
  assert_int_equal(ly_db_exec(db, "INSERT INTO t(x) VALUES (1)"), LY_OK);
  ly_db_batch_leave(db);
  assert_int_equal(ly_db_batch_enter(db), LY_OK);
  assert_int_equal(ly_db_tx(db, insert_then_fail, NULL), LY_EDENIED);
  assert_int_equal(ly_db_tx(db, insert_ok, NULL), LY_OK);
  ly_db_batch_leave(db);
  assert_true(ly_db_batch_is_open(db));
  assert_int_equal(log.calls, 0);

  /* another connection does not see uncommitted batch work */
  struct ly_db *other = NULL;
  struct ly_error e;
  ly_error_clear(&e);
  assert_int_equal(ly_db_open(f->path, &other, &e), LY_OK);
  assert_int_equal(q_int(other, "SELECT count(*) FROM t"), 0);

  /* a statement from outside the batch commits it first */
  static const char count_sql[] = "SELECT count(*) FROM t";
  sqlite3_stmt *st = ly_db_stmt(db, count_sql);
  assert_non_null(st);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 2);
  sqlite3_reset(st);
  assert_int_equal(log.calls, 1);
  assert_int_equal(log.last_rc, LY_OK);
  assert_false(ly_db_batch_is_open(db));
  assert_false(ly_db_in_tx(db));
  assert_int_equal(q_int(other, "SELECT count(*) FROM t WHERE x IN (1, 3)"), 2);

  /* an explicit commit with nothing open is a no-op; the hook is not called */
  assert_int_equal(ly_db_batch_commit(db), LY_OK);
  assert_int_equal(log.calls, 1);
  /* entering twice without leaving is a programming error */
  assert_int_equal(ly_db_batch_enter(db), LY_OK);
  assert_int_equal(ly_db_batch_enter(db), LY_ESTATE);
  ly_db_batch_leave(db);
  assert_int_equal(ly_db_batch_commit(db), LY_OK);
  assert_int_equal(log.calls, 2);
  ly_db_close(other);
}

static void test_newer_schema_refused(void **state) {
  struct fx *f = *state;
  struct ly_db *db = fx_open(f);
  assert_int_equal(ly_db_exec(db, "PRAGMA user_version = 999"), LY_OK);
  ly_db_close(db);
  f->db = NULL;
  struct ly_error e;
  ly_error_clear(&e);
  assert_int_equal(ly_db_open(f->path, &f->db, &e), LY_ECONFLICT);
  assert_null(f->db);
  assert_non_null(strstr(e.message, "999"));
  assert_non_null(strstr(e.message, "newer"));
}

static void test_open_bad_path(void **state) {
  struct ly_db *db = (struct ly_db *)1;
  struct ly_error e;
  ly_error_clear(&e);
  assert_int_not_equal(ly_db_open("/nonexistent-dir/x/y.db", &db, &e), LY_OK);
  assert_null(db);
  assert_non_null(strstr(e.message, "/nonexistent-dir/x/y.db"));
  ly_db_close(NULL);
}

static void test_bind_helpers(void **state) {
  struct ly_db *db = fx_open(*state);
  static const char *sql = "SELECT ?1, ?2, length(?3), ?4 IS NULL";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  char buf[8];
  snprintf(buf, sizeof buf, "héllo");
  assert_int_equal(ly_db_bind_text(st, 1, buf), LY_OK);
  buf[0] = 'X'; /* bound as a copy */
  assert_int_equal(ly_db_bind_int(st, 2, INT64_C(1) << 40), LY_OK);
  assert_int_equal(ly_db_bind_blob(st, 3, "\0\1\2", 3), LY_OK);
  assert_int_equal(ly_db_bind_text(st, 4, NULL), LY_OK);
  assert_int_equal(ly_db_bind_int(st, 9, 1), LY_EDB); /* SQLITE_RANGE */
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal(ly_db_col_text(st, 0), "héllo");
  assert_true(sqlite3_column_int64(st, 1) == (INT64_C(1) << 40));
  assert_int_equal(sqlite3_column_int(st, 2), 3);
  assert_int_equal(sqlite3_column_int(st, 3), 1);
  sqlite3_reset(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_migrations_fresh, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_reopen_is_noop, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_nested_tx, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_tx_helper, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_constraints, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_stmt_cache, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_stmt_cache_full, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_migration_failure, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_migration_landing_late_is_applied, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_batch_group_commit, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_newer_schema_refused, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_open_bad_path, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_bind_helpers, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
