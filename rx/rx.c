/* rx/rx.c — the rx context, local days, notices and idempotency keys. */
#include "rx/rx.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "core/json.h"
#include "rx/prescription_internal.h"

#define RX_DAY_MS 86400000LL

void rx_ctx_init(struct rx_ctx *cx, struct ly_db *db, const struct ly_clock *clock,
                 const struct ly_keys *keys) {
  memset(cx, 0, sizeof *cx);
  cx->rec.db = db;
  cx->rec.clock = clock;
  cx->rec.keys = keys;
  rules_config_default(&cx->rules);
  cx->supervision_share_bp = 500;
  cx->utc_offset_ms = 8 * 3600 * 1000LL;
}

int64_t rx_end_of_local_day(const struct rx_ctx *cx, int64_t at, int extra_days) {
  int64_t local = at + cx->utc_offset_ms;
  int64_t day = local / RX_DAY_MS;
  if (local % RX_DAY_MS < 0) day--;
  return (day + 1 + extra_days) * RX_DAY_MS - cx->utc_offset_ms - 1;
}

int rx_notice(struct rx_ctx *cx, const char *account_id, const char *kind, const char *prescription_id,
              const char *renewal_id) {
  static const char *sql =
      "INSERT INTO rx_notices (account_id, kind, prescription_id, renewal_id, created_at) VALUES (?1, ?2, "
      "?3, ?4, ?5)";
  if (!account_id || !account_id[0]) return 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, account_id);
  ly_db_bind_text(st, 2, kind);
  ly_db_bind_text(st, 3, prescription_id);
  ly_db_bind_text(st, 4, renewal_id);
  ly_db_bind_int(st, 5, ly_now_ms(cx->rec.clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

int rx_patient_account(struct rx_ctx *cx, const char *patient_id, char out[LY_ID_MAX]) {
  static const char *sql = "SELECT coalesce(account_id, '') FROM patients WHERE id = ?1";
  out[0] = '\0';
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) snprintf(out, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int rx_idem_key_ok(const char *key) {
  size_t n = strlen(key);
  if (n == 0 || n > RX_IDEM_KEY_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if (key[i] < 0x21 || key[i] > 0x7e) return 0;
  return 1;
}

int rx_idem_find(struct rx_ctx *cx, const struct records_actor *who, const char *key, const char *action,
                 const char *object_id, json_t **result, struct ly_error *e) {
  static const char *sql =
      "SELECT action, object_id, result FROM rx_idempotency WHERE actor_id = ?1 AND key = ?2";
  *result = NULL;
  if (!key) return 0;
  if (!rx_idem_key_ok(key))
    return ly_error_set(e, LY_EINVAL, "request.idempotency_key_invalid",
                        "An Idempotency-Key is 1-128 printable ASCII characters.",
                        "Idempotency-Key 须为1至128个可打印ASCII字符。");
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, who->id);
  ly_db_bind_text(st, 2, key);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
  }
  int same = strcmp(ly_db_col_text(st, 0), action) == 0 && strcmp(ly_db_col_text(st, 1), object_id) == 0;
  const char *text = ly_db_col_text(st, 2);
  if (same) *result = json_loads(text, 0, NULL);
  sqlite3_reset(st);
  if (!same)
    return ly_error_set(e, LY_ECONFLICT, "request.idempotency_key_reused",
                        "This Idempotency-Key was already used for another request.",
                        "该 Idempotency-Key 已用于其他请求。");
  return *result ? 1 : LY_EINTERNAL;
}

int rx_idem_store(struct rx_ctx *cx, const struct records_actor *who, const char *key, const char *action,
                  const char *object_id, const json_t *result) {
  static const char *sql =
      "INSERT INTO rx_idempotency (actor_id, key, action, object_id, result, created_at) VALUES (?1, ?2, ?3, "
      "?4, ?5, ?6)";
  if (!key) return 0;
  char *text = ly_json_dump(result, NULL);
  if (!text) return LY_ENOMEM;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  int rc = LY_EDB;
  if (st) {
    ly_db_bind_text(st, 1, who->id);
    ly_db_bind_text(st, 2, key);
    ly_db_bind_text(st, 3, action);
    ly_db_bind_text(st, 4, object_id);
    ly_db_bind_text(st, 5, text);
    ly_db_bind_int(st, 6, ly_now_ms(cx->rec.clock));
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
  }
  free(text);
  return rc;
}
