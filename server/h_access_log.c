/* server/h_access_log.c — GET /api/v1/me/access-log?limit=N (patients).
 *
 * "Who looked at my record" (访问记录): the audit entries that name the
 * caller's patient id, newest first, with who acted (name and role), what,
 * on which object, and the outcome. Reading the log is itself a read of the
 * patient's data, so it is audited first, in the same transaction — the
 * answer therefore includes this very read.
 */
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/err.h"
#include "server/handlers.h"
#include "server/server.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX     200

static const char sql_entries[] =
    "SELECT a.seq, a.at, a.actor_role, a.action, a.object_type, a.object_id, a.outcome, acc.name, acc.name_en"
    " FROM audit a LEFT JOIN accounts acc ON acc.id = a.actor_id"
    " WHERE a.patient_id = ?1 ORDER BY a.seq DESC LIMIT ?2";

struct read_tx {
  const struct ly_account *acct;
  int64_t now, limit;
  int en;
  json_t *items;
};

static json_t *text_or_null(sqlite3_stmt *st, int col) {
  const unsigned char *s = sqlite3_column_text(st, col);
  return s != NULL ? json_string((const char *)s) : json_null();
}

static json_t *entry_json(sqlite3_stmt *st, int en) {
  /* name in the reader's language; the other one as well for the UI */
  int name_col = en && sqlite3_column_bytes(st, 8) > 0 ? 8 : 7;
  json_t *item = json_object();
  if (item == NULL) return NULL;
  json_object_set_new(item, "seq", json_integer(sqlite3_column_int64(st, 0)));
  json_object_set_new(item, "at", json_integer(sqlite3_column_int64(st, 1)));
  json_object_set_new(item, "actor_role", text_or_null(st, 2));
  json_object_set_new(item, "actor_name", text_or_null(st, name_col));
  json_object_set_new(item, "actor_name_en", text_or_null(st, 8));
  json_object_set_new(item, "action", text_or_null(st, 3));
  json_object_set_new(item, "object_type", text_or_null(st, 4));
  json_object_set_new(item, "object_id", text_or_null(st, 5));
  json_object_set_new(item, "outcome", text_or_null(st, 6));
  return item;
}

static int read_tx_fn(struct ly_db *db, void *ud) {
  struct read_tx *t = ud;
  struct ly_audit_entry a = {
      .at_ms = t->now,
      .actor_id = t->acct->id,
      .actor_role = t->acct->role_name,
      .action = "access_log.read",
      .patient_id = t->acct->patient_id,
      .object_type = "access_log",
      .outcome = "ok",
  };
  int rc = ly_audit_append(db, &a, NULL);
  if (rc != 0) return rc;
  sqlite3_stmt *st = ly_db_stmt(db, sql_entries);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, t->acct->patient_id);
  ly_db_bind_int(st, 2, t->limit);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *item = entry_json(st, t->en);
    if (item == NULL || json_array_append_new(t->items, item) != 0) {
      sqlite3_reset(st);
      return LY_ENOMEM;
    }
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

/* ?limit=N: 1..LIMIT_MAX, default LIMIT_DEFAULT. */
static int parse_limit(const struct ly_req *req, int64_t *out) {
  char buf[16], *end;
  int rc = ly_req_query(req, "limit", buf, sizeof(buf));

  *out = LIMIT_DEFAULT;
  if (rc == LY_ENOTFOUND) return 0;
  if (rc != 0 || buf[0] == '\0') return LY_EINVAL;
  long v = strtol(buf, &end, 10);
  if (*end != '\0' || v < 1 || v > LIMIT_MAX) return LY_EINVAL;
  *out = v;
  return 0;
}

int h_access_log_get(struct ly_req *req, struct ly_resp *resp) {
  struct ly_server *srv = req->srv;
  struct read_tx t = {.acct = req->acct, .now = ly_now_ms(srv->clock), .en = !strcmp(req->lang, "en")};

  if (parse_limit(req, &t.limit) != 0) {
    struct ly_error e;
    ly_error_set(&e, LY_EINVAL, "request.invalid_field", "limit must be a whole number from 1 to 200.",
                 "limit 必须是 1 到 200 之间的整数。");
    snprintf(e.field, sizeof(e.field), "limit");
    return ly_resp_error(req, resp, &e);
  }
  if (req->acct->patient_id[0] == '\0') return ly_resp_json(resp, 200, json_pack("{s:[]}", "items"));
  if ((t.items = json_array()) == NULL) return LY_ENOMEM;
  int rc = ly_db_tx(srv->db, read_tx_fn, &t);
  if (rc != 0) {
    json_decref(t.items);
    return rc;
  }
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", t.items));
}
