/* core/db.c — one SQLite connection: pragmas, migrations, a statement cache
 * keyed by the SQL string's address, and nested transactions. */
#include "core/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* Twice LY_DB_STMT_CACHE_MAX and a power of two: linear probes stay short
 * even when the cache is full, and the mask replaces a modulo. */
#define DB_CACHE_SLOTS     2048
#define DB_BUSY_TIMEOUT_MS 5000

struct db_slot {
  const char *sql; /* key: the address, never the text */
  sqlite3_stmt *st;
};

struct ly_db {
  sqlite3 *h;
  int depth;      /* 0: autocommit; 1: BEGIN IMMEDIATE; >1: savepoints */
  int batch_open; /* group commit: depth 1 belongs to the batch */
  int in_batch;   /* the code running now is part of the batch */
  ly_db_batch_hook batch_hook;
  void *batch_ud;
  int cached;      /* occupied slots */
  uint64_t errors; /* database errors seen by ly_db_rc */
  char msg[256];   /* our own last error, when SQLite's would be stale */
  struct db_slot slots[DB_CACHE_SLOTS];
};

int ly_db_rc(struct ly_db *db, int rc) {
  int prim = rc & 0xff;
  if (prim == SQLITE_OK || prim == SQLITE_ROW || prim == SQLITE_DONE) return LY_OK;
  if (db) {
    db->errors++;
    db->msg[0] = '\0';
    /* Callers may hold only the primary code (e.g. from sqlite3_reset). */
    if (rc == SQLITE_CONSTRAINT && db->h) rc = sqlite3_extended_errcode(db->h);
  }
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return LY_EEXIST;
    default:
      break;
  }
  switch (prim) {
    case SQLITE_CONSTRAINT:
      return LY_ECONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return LY_EAGAIN;
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return LY_EIO;
    case SQLITE_NOMEM:
      return LY_ENOMEM;
    default:
      return LY_EDB;
  }
}

const char *ly_db_errmsg(struct ly_db *db) {
  if (!db) return "no database";
  if (db->msg[0]) return db->msg;
  return db->h ? sqlite3_errmsg(db->h) : "database not open";
}

uint64_t ly_db_error_count(const struct ly_db *db) {
  return db ? db->errors : 0;
}

sqlite3 *ly_db_sqlite(struct ly_db *db) {
  return db ? db->h : NULL;
}

static size_t db_slot_hash(const char *sql) {
  uint64_t h = (uint64_t)(uintptr_t)sql;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return (size_t)h & (DB_CACHE_SLOTS - 1);
}

/* Only whitespace and ';' may follow the first statement: a second
 * statement in one cached string would otherwise be silently ignored. */
static int db_tail_empty(const char *tail) {
  for (; tail && *tail; tail++)
    if (*tail != ';' && *tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != '\r') return 0;
  return 1;
}

static sqlite3_stmt *db_prepare(struct ly_db *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  const char *tail = NULL;
  int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
  if (rc != SQLITE_OK) {
    ly_db_rc(db, rc);
    return NULL;
  }
  if (!st || !db_tail_empty(tail)) {
    sqlite3_finalize(st);
    db->errors++;
    snprintf(db->msg, sizeof db->msg, "cached SQL must hold exactly one statement: %.160s", sql);
    return NULL;
  }
  return st;
}

/* Work from outside the batch (a WebSocket message, a job) must not see or
 * join uncommitted batch work: the batch is committed first. */
static void db_batch_guard(struct ly_db *db) {
  if (db->batch_open && !db->in_batch) ly_db_batch_commit(db);
}

sqlite3_stmt *ly_db_stmt(struct ly_db *db, const char *sql) {
  if (!db || !db->h || !sql) return NULL;
  db_batch_guard(db);
  db->msg[0] = '\0';
  size_t i = db_slot_hash(sql);
  for (;;) {
    struct db_slot *s = &db->slots[i];
    if (s->sql == sql) {
      sqlite3_reset(s->st);
      sqlite3_clear_bindings(s->st);
      return s->st;
    }
    if (!s->sql) break;
    i = (i + 1) & (DB_CACHE_SLOTS - 1);
  }
  if (db->cached >= LY_DB_STMT_CACHE_MAX) {
    db->errors++;
    snprintf(db->msg, sizeof db->msg, "statement cache full (%d statements)", LY_DB_STMT_CACHE_MAX);
    return NULL;
  }
  sqlite3_stmt *st = db_prepare(db, sql);
  if (!st) return NULL;
  db->slots[i].sql = sql;
  db->slots[i].st = st;
  db->cached++;
  return st;
}

static int db_exec_raw(struct ly_db *db, const char *sql) {
  db->msg[0] = '\0';
  return ly_db_rc(db, sqlite3_exec(db->h, sql, NULL, NULL, NULL));
}

int ly_db_exec(struct ly_db *db, const char *sql) {
  if (!db || !db->h || !sql) return LY_EINVAL;
  db_batch_guard(db);
  return db_exec_raw(db, sql);
}

/* Inner levels all use one savepoint name: SQLite resolves ROLLBACK TO and
 * RELEASE against the most recent savepoint of that name, which is exactly
 * the innermost open level, and no SQL has to be formatted. */
int ly_db_begin(struct ly_db *db) {
  if (!db || !db->h) return LY_EINVAL;
  db_batch_guard(db);
  int rc = db_exec_raw(db, db->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT ly_sp");
  if (rc == LY_OK) db->depth++;
  return rc;
}

void ly_db_rollback(struct ly_db *db) {
  if (!db || !db->h || db->depth == 0) return;
  if (db->depth == 1) {
    /* A failed COMMIT or an I/O error may already have ended it. */
    if (!sqlite3_get_autocommit(db->h)) sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
  } else {
    sqlite3_exec(db->h, "ROLLBACK TO ly_sp; RELEASE ly_sp", NULL, NULL, NULL);
  }
  db->depth--;
}

/* On failure this level has already been rolled back (depth decremented):
 * the caller must not call ly_db_rollback for it again. */
int ly_db_commit(struct ly_db *db) {
  if (!db || !db->h) return LY_EINVAL;
  if (db->depth == 0) return LY_ESTATE;
  int rc = db_exec_raw(db, db->depth == 1 ? "COMMIT" : "RELEASE ly_sp");
  if (rc != LY_OK) {
    char keep[sizeof db->msg];
    snprintf(keep, sizeof keep, "%s", ly_db_errmsg(db));
    ly_db_rollback(db);
    snprintf(db->msg, sizeof db->msg, "%s", keep); /* report the commit's error, not the rollback's */
    return rc;
  }
  db->depth--;
  return LY_OK;
}

int ly_db_tx(struct ly_db *db, ly_db_tx_fn fn, void *ud) {
  int rc = ly_db_begin(db);
  if (rc) return rc;
  rc = fn(db, ud);
  if (rc) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

int ly_db_in_tx(const struct ly_db *db) {
  return db && db->depth > 0;
}

/* --- group commit ----------------------------------------------------------- */

void ly_db_batch_set_hook(struct ly_db *db, ly_db_batch_hook hook, void *ud) {
  db->batch_hook = hook;
  db->batch_ud = ud;
}

int ly_db_batch_enter(struct ly_db *db) {
  if (!db || !db->h) return LY_EINVAL;
  if (db->in_batch) return LY_ESTATE;
  if (!db->batch_open) {
    if (db->depth != 0) return LY_ESTATE; /* someone else's transaction is open */
    int rc = db_exec_raw(db, "BEGIN IMMEDIATE");
    if (rc != LY_OK) return rc;
    db->depth = 1;
    db->batch_open = 1;
  }
  db->in_batch = 1;
  return LY_OK;
}

void ly_db_batch_leave(struct ly_db *db) {
  if (db) db->in_batch = 0;
}

int ly_db_batch_is_open(const struct ly_db *db) {
  return db && db->batch_open;
}

int ly_db_batch_commit(struct ly_db *db) {
  if (!db || !db->batch_open) return LY_OK;
  int rc = LY_OK;
  if (db->depth != 1) {
    /* a handler left a savepoint open: its work is not trustworthy */
    while (db->depth > 1)
      ly_db_rollback(db);
    rc = LY_EINTERNAL;
    snprintf(db->msg, sizeof db->msg, "a batched handler left a transaction open");
    ly_db_rollback(db);
  } else {
    rc = ly_db_commit(db);
  }
  db->batch_open = 0;
  db->in_batch = 0;
  if (db->batch_hook) db->batch_hook(db->batch_ud, rc);
  return rc;
}

int ly_db_user_version(struct ly_db *db, int *out) {
  static const char *sql = "PRAGMA user_version";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *out = sqlite3_column_int(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? LY_OK : ly_db_rc(db, rc);
}

int ly_db_ping(struct ly_db *db) {
  static const char *sql = "SELECT 1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  int rc = sqlite3_step(st);
  int ok = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
  sqlite3_reset(st);
  return ok ? LY_OK : ly_db_rc(db, rc == SQLITE_ROW ? SQLITE_ERROR : rc);
}

int ly_db_bind_text(sqlite3_stmt *st, int idx, const char *s) {
  int rc = s ? sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
  return ly_db_rc(NULL, rc);
}

int ly_db_bind_int(sqlite3_stmt *st, int idx, int64_t v) {
  return ly_db_rc(NULL, sqlite3_bind_int64(st, idx, (sqlite3_int64)v));
}

int ly_db_bind_blob(sqlite3_stmt *st, int idx, const void *p, int n) {
  int rc = p ? sqlite3_bind_blob(st, idx, p, n, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
  return ly_db_rc(NULL, rc);
}

const char *ly_db_col_text(sqlite3_stmt *st, int col) {
  const unsigned char *t = sqlite3_column_text(st, col);
  return t ? (const char *)t : "";
}

/* Applied migrations are recorded by number in schema_migrations, so a
 * migration that lands after a higher-numbered one (parallel work) is still
 * applied; user_version mirrors the highest applied number for tools. */
static const char *SQL_MIG_TABLE =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
static const char *SQL_MIG_HAVE = "SELECT 1 FROM schema_migrations WHERE version = ?1";
static const char *SQL_MIG_ADD =
    "INSERT INTO schema_migrations(version, name, applied_at) "
    "VALUES (?1, ?2, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))";
static const char *SQL_MIG_MAX = "SELECT coalesce(max(version), 0) FROM schema_migrations";

static int db_migration_applied(struct ly_db *db, int version, int *applied) {
  sqlite3_stmt *st = ly_db_stmt(db, SQL_MIG_HAVE);
  if (!st) return LY_EDB;
  sqlite3_bind_int(st, 1, version);
  int rc = sqlite3_step(st);
  *applied = rc == SQLITE_ROW;
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? LY_OK : ly_db_rc(db, rc);
}

/* One migration in one transaction with its schema_migrations row and
 * user_version, so a failure leaves the database exactly as it was. */
static int db_migrate_one(struct ly_db *db, const struct ly_migration *m, int top, struct ly_error *e) {
  char pragma[64];
  /* PRAGMA values cannot be bound; the number is ours, not input. */
  snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", top);
  int rc = ly_db_begin(db);
  if (rc == LY_OK) rc = ly_db_exec(db, m->sql);
  if (rc == LY_OK) {
    sqlite3_stmt *st = ly_db_stmt(db, SQL_MIG_ADD);
    rc = st ? LY_OK : LY_EDB;
    if (st) {
      sqlite3_bind_int(st, 1, m->version);
      sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
      int src = sqlite3_step(st);
      sqlite3_reset(st);
      if (src != SQLITE_DONE) rc = ly_db_rc(db, src);
    }
  }
  if (rc == LY_OK) rc = ly_db_exec(db, pragma);
  if (rc != LY_OK) {
    ly_error_setf(e, rc, "internal.migration", "migration %s failed: %s", m->name, ly_db_errmsg(db));
    ly_db_rollback(db);
    return rc;
  }
  rc = ly_db_commit(db);
  if (rc != LY_OK)
    ly_error_setf(e, rc, "internal.migration", "migration %s failed at commit: %s", m->name,
                  ly_db_errmsg(db));
  return rc;
}

/* A database that recorded a migration this program does not know was made
 * by a newer lianyi: refuse it rather than run on a schema we cannot read. */
static int db_check_not_newer(struct ly_db *db, const struct ly_migration *migs, int count,
                              struct ly_error *e) {
  sqlite3_stmt *st = ly_db_stmt(db, SQL_MIG_MAX);
  if (!st)
    return ly_error_setf(e, LY_EDB, "internal.database", "cannot read schema_migrations: %s",
                         ly_db_errmsg(db));
  int rc = sqlite3_step(st);
  int have = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return ly_error_setf(e, ly_db_rc(db, rc), "internal.database", "cannot read schema_migrations: %s",
                         ly_db_errmsg(db));
  int uv = 0;
  if (ly_db_user_version(db, &uv) == LY_OK && uv > have) have = uv;
  int known = count > 0 ? migs[count - 1].version : 0;
  if (have > known)
    return ly_error_setf(e, LY_ECONFLICT, "internal.schema_too_new",
                         "database schema version %d is newer than this program knows (%d); "
                         "run a newer lianyi or restore a matching backup",
                         have, known);
  return LY_OK;
}

static int db_migrate(struct ly_db *db, const struct ly_migration *migs, int count, struct ly_error *e) {
  for (int i = 0; i < count; i++) {
    if (!migs[i].sql || !migs[i].name || migs[i].version <= (i ? migs[i - 1].version : 0))
      return ly_error_setf(e, LY_EINTERNAL, "internal.migration",
                           "compiled-in migration %d is out of order or incomplete", i);
  }
  int rc = ly_db_exec(db, SQL_MIG_TABLE);
  if (rc)
    return ly_error_setf(e, rc, "internal.database", "cannot create schema_migrations: %s", ly_db_errmsg(db));
  rc = db_check_not_newer(db, migs, count, e);
  if (rc) return rc;
  int top = 0; /* highest applied so far, mirrored into user_version */
  rc = ly_db_user_version(db, &top);
  if (rc) return ly_error_setf(e, rc, "internal.database", "cannot read user_version: %s", ly_db_errmsg(db));
  for (int i = 0; i < count; i++) {
    int applied = 0;
    rc = db_migration_applied(db, migs[i].version, &applied);
    if (rc)
      return ly_error_setf(e, rc, "internal.database", "cannot read schema_migrations: %s", ly_db_errmsg(db));
    if (applied) continue;
    if (migs[i].version > top) top = migs[i].version;
    rc = db_migrate_one(db, &migs[i], top, e);
    if (rc) return rc;
  }
  return LY_OK;
}

/* Connection settings. journal_mode answers with the mode it got: a file
 * that cannot do WAL is refused rather than silently run without it. */
static int db_configure(struct ly_db *db, struct ly_error *e) {
  sqlite3_extended_result_codes(db->h, 1);
  sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode=WAL", -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
  int wal = mode && (strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0);
  char got[32];
  snprintf(got, sizeof got, "%s", mode ? mode : "?");
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return ly_error_setf(e, ly_db_rc(db, rc), "internal.database", "cannot set WAL mode: %s",
                         sqlite3_errmsg(db->h));
  if (!wal) return ly_error_setf(e, LY_EDB, "internal.database", "database refused WAL mode (got '%s')", got);
  rc = ly_db_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
  if (rc) return ly_error_setf(e, rc, "internal.database", "cannot configure database: %s", ly_db_errmsg(db));
  return LY_OK;
}

int ly_db_open_with(const char *path, const struct ly_migration *migs, int count, struct ly_db **out,
                    struct ly_error *e) {
  if (!out) return LY_EINVAL;
  *out = NULL;
  if (!path) return ly_error_set(e, LY_EINVAL, "internal.database", "no database path", NULL);
  struct ly_db *db = calloc(1, sizeof *db);
  if (!db) return ly_error_set(e, LY_ENOMEM, NULL, NULL, NULL);
  int rc =
      sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    rc = ly_error_setf(e, ly_db_rc(db, rc), "internal.database", "cannot open database %s: %s", path,
                       db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
    ly_db_close(db);
    return rc;
  }
  rc = db_configure(db, e);
  if (rc == LY_OK) rc = db_migrate(db, migs, count, e);
  if (rc != LY_OK) {
    ly_db_close(db);
    return rc;
  }
  *out = db;
  return LY_OK;
}

int ly_db_open(const char *path, struct ly_db **out, struct ly_error *e) {
  return ly_db_open_with(path, ly_migrations, ly_migrations_count, out, e);
}

void ly_db_close(struct ly_db *db) {
  if (!db) return;
  if (db->h) {
    /* batched work is kept: nobody is left to be told, but it was done */
    db->batch_hook = NULL;
    ly_db_batch_commit(db);
    while (db->depth > 0)
      ly_db_rollback(db);
    for (size_t i = 0; i < DB_CACHE_SLOTS; i++)
      if (db->slots[i].st) sqlite3_finalize(db->slots[i].st);
    /* Fold the WAL back into the main file so a copied data dir is complete. */
    sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_close_v2(db->h);
  }
  free(db);
}
