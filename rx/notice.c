/* rx/notice.c — listing and reading an account's notices. */
#include "rx/notice.h"

#include <sqlite3.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"

int notice_list(struct rx_ctx *cx, const struct records_actor *who, int64_t after, json_t **out,
                struct ly_error *e) {
  static const char *sql =
      "SELECT id, kind, prescription_id, renewal_id, created_at, read_at IS NOT NULL FROM rx_notices "
      "WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT 100";
  ly_error_clear(e);
  *out = NULL;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return records_done(e, LY_EDB);
  ly_db_bind_text(st, 1, who->id);
  ly_db_bind_int(st, 2, after);
  json_t *arr = json_array();
  int rc = SQLITE_DONE;
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(
        arr,
        json_pack("{s:I, s:s, s:s?, s:s?, s:I, s:b}", "id", (json_int_t)sqlite3_column_int64(st, 0), "kind",
                  ly_db_col_text(st, 1), "prescription_id", (const char *)sqlite3_column_text(st, 2),
                  "renewal_id", (const char *)sqlite3_column_text(st, 3), "created_at",
                  (json_int_t)sqlite3_column_int64(st, 4), "read", sqlite3_column_int(st, 5)));
  sqlite3_reset(st);
  if (!arr) return records_done(e, LY_ENOMEM);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return records_done(e, ly_db_rc(cx->rec.db, rc));
  }
  *out = arr;
  return 0;
}

int notice_read(struct rx_ctx *cx, const struct records_actor *who, int64_t up_to, struct ly_error *e) {
  static const char *sql =
      "UPDATE rx_notices SET read_at = ?3 WHERE account_id = ?1 AND id <= ?2 AND read_at IS NULL";
  ly_error_clear(e);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return records_done(e, LY_EDB);
  ly_db_bind_text(st, 1, who->id);
  ly_db_bind_int(st, 2, up_to);
  ly_db_bind_int(st, 3, ly_now_ms(cx->rec.clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : records_done(e, ly_db_rc(cx->rec.db, rc));
}
