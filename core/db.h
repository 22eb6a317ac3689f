/* core/db.h — the SQLite layer.
 *
 * One struct ly_db per connection, owned by one thread. Opening applies
 * journal_mode=WAL, synchronous=FULL, foreign_keys=ON and a busy timeout, then
 * every numbered migration (core/migrations/NNNN_name.sql, compiled in) whose
 * number is above PRAGMA user_version, each in its own transaction.
 *
 * SQL is data: statements are `static const char *` prepared once and cached
 * by pointer (ly_db_stmt); values are always bound, never formatted in.
 */
#ifndef LY_DB_H
#define LY_DB_H

#include <sqlite3.h>
#include <stdint.h>

struct ly_error;
struct ly_db;

struct ly_migration {
  int version;      /* NNNN of the file name, strictly increasing from 1 */
  const char *name; /* file name */
  const char *sql;
};

/* Open (create) the database at path and migrate it. On failure *out is NULL,
 * e says why (e.g. "migration 0003_rx.sql failed: ..."), nothing is left open. */
int ly_db_open(const char *path, struct ly_db **out, struct ly_error *e);
/* Finalise cached statements, checkpoint the WAL, close. NULL is fine. */
void ly_db_close(struct ly_db *db);
/* ly_db_open with an explicit migration list (count entries, versions strictly
 * increasing); for tests and tools. ly_db_open uses ly_migrations. */
int ly_db_open_with(const char *path, const struct ly_migration *migs, int count, struct ly_db **out,
                    struct ly_error *e);
sqlite3 *ly_db_sqlite(struct ly_db *db);

/* The cached statement for sql (a static string: the pointer is the cache key),
 * reset and with bindings cleared. Owned by db; do not finalise. NULL on a
 * prepare error (counted, and the SQLite message logged by the caller via
 * ly_db_errmsg). At most LY_DB_STMT_CACHE_MAX distinct statements.
 * Asking again for the same sql resets the statement, so do not use one sql
 * string in a loop nested inside itself; and sqlite3_reset a SELECT once read
 * (an un-reset statement keeps its read transaction open). */
#define LY_DB_STMT_CACHE_MAX 1024
sqlite3_stmt *ly_db_stmt(struct ly_db *db, const char *sql);
/* Run SQL text without results (DDL, pragmas, migrations). */
int ly_db_exec(struct ly_db *db, const char *sql);

/* Transactions nest: the outermost is BEGIN IMMEDIATE, inner ones SAVEPOINTs.
 * ly_db_rollback undoes the innermost level only (a no-op outside a
 * transaction). If ly_db_commit fails, that level has already been rolled
 * back: do not call ly_db_rollback for it again. Commit outside: LY_ESTATE. */
int ly_db_begin(struct ly_db *db);
int ly_db_commit(struct ly_db *db);
void ly_db_rollback(struct ly_db *db);
/* Run fn inside a transaction: commit when it returns 0, roll back otherwise
 * (and when the commit fails). Returns fn's result or the commit's error. */
typedef int (*ly_db_tx_fn)(struct ly_db *db, void *ud);
int ly_db_tx(struct ly_db *db, ly_db_tx_fn fn, void *ud);
int ly_db_in_tx(const struct ly_db *db);

/* Group commit. With synchronous=FULL every COMMIT costs a disk flush
 * (~2–3 ms here), so the HTTP layer runs the handlers of one service-loop
 * turn inside ONE transaction and answers them only after it commits: N
 * requests per flush, and still no answer before its write is durable.
 *   ly_db_batch_enter: open the batch transaction if none (BEGIN IMMEDIATE at
 *     depth 1) and mark what runs now as batch work; its own transactions
 *     nest as savepoints, so a failing handler rolls back alone.
 *   ly_db_batch_leave: the batch work is done for now (the batch stays open).
 *   ly_db_batch_commit: COMMIT (a failed commit rolls the batch back), then
 *     call the hook with the result so held answers can be released (0) or
 *     turned into errors. No-op when no batch is open.
 * Any statement, exec or begin from outside the batch (a WebSocket message,
 * a job) commits the batch first, so nothing outside it sees or joins
 * uncommitted batch work. */
typedef void (*ly_db_batch_hook)(void *ud, int rc);
void ly_db_batch_set_hook(struct ly_db *db, ly_db_batch_hook hook, void *ud);
int ly_db_batch_enter(struct ly_db *db);
void ly_db_batch_leave(struct ly_db *db);
int ly_db_batch_commit(struct ly_db *db);
int ly_db_batch_is_open(const struct ly_db *db);

/* Map a SQLite result code to LY_E* (SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY → LY_EEXIST,
 * other constraints → LY_ECONFLICT, BUSY/LOCKED → LY_EAGAIN, FULL/IOERR → LY_EIO,
 * else LY_EDB) and count it as a database error unless it is SQLITE_OK/ROW/DONE. */
int ly_db_rc(struct ly_db *db, int sqlite_rc);
const char *ly_db_errmsg(struct ly_db *db);
uint64_t ly_db_error_count(const struct ly_db *db);
int ly_db_user_version(struct ly_db *db, int *out);
/* Quick health probe (SELECT 1 through the connection). */
int ly_db_ping(struct ly_db *db);

/* Bind helpers for the common cases (index is 1-based like SQLite's). */
int ly_db_bind_text(sqlite3_stmt *st, int idx, const char *s); /* NULL binds NULL */
int ly_db_bind_int(sqlite3_stmt *st, int idx, int64_t v);
int ly_db_bind_blob(sqlite3_stmt *st, int idx, const void *p, int n);
/* Column text or "" when NULL (borrowed until the next step/reset). */
const char *ly_db_col_text(sqlite3_stmt *st, int col);

/* The compiled-in migrations (generated at build time from core/migrations/). */
extern const struct ly_migration ly_migrations[];
extern const int ly_migrations_count;

#endif
