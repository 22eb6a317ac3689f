/* signalling/chat.c — chat inside a consultation, kept with the record
 * (chat_messages; retained >= 3 years, DESIGN §2). Each message written and
 * each history read is audited against the consultation's patient.
 */
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/ids.h"
#include "signalling/sig_internal.h"

static const char sql_insert[] =
    "INSERT INTO chat_messages (id, consultation_id, sender_id, at, text) VALUES (?1, ?2, ?3, ?4, ?5)";

static const char sql_history[] =
    "SELECT m.id, m.sender_id, a.role, a.name, a.name_en, m.at, m.text"
    " FROM chat_messages m JOIN accounts a ON a.id = m.sender_id"
    " WHERE m.consultation_id = ?1 AND m.at < ?2 ORDER BY m.at DESC, m.rowid DESC LIMIT ?3";

static json_t *message_json(const char *id, const char *cid, const char *sender, const char *role,
                            const char *name, const char *name_en, int64_t at, const char *text) {
  return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:I, s:s}", "id", id, "consultation_id", cid, "sender",
                   "id", sender, "role", role, "name", name, "name_en", name_en, "at", (json_int_t)at, "text",
                   text);
}

static int audit(struct ly_db *db, int64_t now, const struct sig_account *who, const char *action,
                 const char *patient_id, const char *cid) {
  struct ly_audit_entry a = {.at_ms = now,
                             .actor_id = who->id,
                             .actor_role = who->role,
                             .action = action,
                             .patient_id = patient_id,
                             .object_type = "consultation",
                             .object_id = cid,
                             .outcome = "ok"};
  return ly_audit_append(db, &a, NULL);
}

int chat_store(struct sig *s, const struct sig_account *from, const char *cid, const char *patient_id,
               const char *text, json_t **out, struct ly_error *e) {
  struct ly_db *db = s->host.db;
  char id[LY_ID_MAX];
  int64_t now = ly_now_ms(s->host.clock);

  int rc = ly_id_new("msg", id, sizeof(id));
  if (rc == 0) rc = ly_db_begin(db);
  if (rc != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  sqlite3_stmt *st = ly_db_stmt(db, sql_insert);
  if (st == NULL) {
    rc = LY_EDB;
  } else {
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, cid);
    ly_db_bind_text(st, 3, from->id);
    ly_db_bind_int(st, 4, now);
    ly_db_bind_text(st, 5, text);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
  }
  if (rc == 0) rc = audit(db, now, from, "consult.chat_send", patient_id, cid);
  if (rc != 0) {
    ly_db_rollback(db);
    return ly_error_set(e, rc, NULL, NULL, NULL);
  }
  if ((rc = ly_db_commit(db)) != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  *out = message_json(id, cid, from->id, from->role, from->name, from->name_en, now, text);
  return *out ? 0 : ly_error_set(e, LY_ENOMEM, NULL, NULL, NULL);
}

int chat_history(struct sig *s, const struct sig_account *who, const char *cid, const char *patient_id,
                 int64_t before, int limit, json_t **out) {
  struct ly_db *db = s->host.db;
  json_t *items = json_array();
  sqlite3_stmt *st = ly_db_stmt(db, sql_history);
  if (st == NULL || items == NULL) {
    json_decref(items);
    return LY_EDB;
  }
  ly_db_bind_text(st, 1, cid);
  ly_db_bind_int(st, 2, before > 0 ? before : INT64_MAX);
  ly_db_bind_int(st, 3, limit > 0 && limit <= SIG_HISTORY_MAX ? limit : SIG_HISTORY_MAX);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *m = message_json(ly_db_col_text(st, 0), cid, ly_db_col_text(st, 1), ly_db_col_text(st, 2),
                             ly_db_col_text(st, 3), ly_db_col_text(st, 4), sqlite3_column_int64(st, 5),
                             ly_db_col_text(st, 6));
    if (m != NULL) json_array_insert_new(items, 0, m); /* oldest first */
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    rc = ly_db_rc(db, rc);
  else
    rc = ly_db_begin(db);
  if (rc == 0) {
    rc = audit(db, ly_now_ms(s->host.clock), who, "consult.chat_read", patient_id, cid);
    if (rc == 0)
      rc = ly_db_commit(db);
    else
      ly_db_rollback(db);
  }
  if (rc != 0) {
    json_decref(items);
    return rc;
  }
  *out = items;
  return 0;
}
