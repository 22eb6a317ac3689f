/* signalling/rating.c — patients' ratings (see rating.h). */
#include "signalling/rating.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/records.h"

static const char sql_get[] =
    "SELECT score, comment, created_at, updated_at, patient_id, doctor_id FROM ratings WHERE consultation_id "
    "= ?1";

static const char sql_insert[] =
    "INSERT INTO ratings (consultation_id, patient_id, doctor_id, score, comment, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";

static const char sql_update[] =
    "UPDATE ratings SET score = ?2, comment = ?3, updated_at = ?4 WHERE consultation_id = ?1";

static const char sql_summary[] = "SELECT score, COUNT(*) FROM ratings WHERE doctor_id = ?1 GROUP BY score";

/* Anonymous: by score, then comment — never by time or consultation. */
static const char sql_anon[] =
    "SELECT score, comment FROM ratings WHERE doctor_id = ?1 ORDER BY score DESC, comment LIMIT ?2";

static const char sql_full[] =
    "SELECT consultation_id, patient_id, score, comment, created_at, updated_at FROM ratings"
    " WHERE doctor_id = ?1 ORDER BY updated_at DESC LIMIT ?2";

static int is_role(const struct consult_actor *who, const char *role) {
  return strcmp(who->role, role) == 0;
}

static int audit(struct ly_db *db, int64_t now, const struct consult_actor *who, const char *action,
                 const char *patient_id, const char *cid, const char *detail) {
  struct ly_audit_entry a = {.at_ms = now,
                             .actor_id = who->id,
                             .actor_role = who->role,
                             .action = action,
                             .patient_id = patient_id,
                             .object_type = "consultation",
                             .object_id = cid,
                             .outcome = "ok",
                             .detail = detail};
  return ly_audit_append(db, &a, NULL);
}

static json_t *rating_json(const char *cid, sqlite3_stmt *st) {
  return json_pack("{s:s, s:i, s:s, s:I, s:I}", "consultation_id", cid, "score", sqlite3_column_int(st, 0),
                   "comment", ly_db_col_text(st, 1), "created_at", (json_int_t)sqlite3_column_int64(st, 2),
                   "updated_at", (json_int_t)sqlite3_column_int64(st, 3));
}

struct put_tx {
  const struct consult_actor *who;
  const struct consult_row *c;
  int score;
  const char *comment;
  int64_t now;
  bool created;
  json_t *out;
  struct ly_error *e;
};

static int step_done(struct ly_db *db, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int put_fn(struct ly_db *db, void *ud) {
  struct put_tx *t = ud;
  int64_t created_at = -1;
  sqlite3_stmt *st = ly_db_stmt(db, sql_get);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, t->c->id);
  if (sqlite3_step(st) == SQLITE_ROW) created_at = sqlite3_column_int64(st, 2);
  sqlite3_reset(st);
  if (created_at >= 0 && t->now - created_at > RATING_EDIT_MS)
    return ly_error_set(t->e, LY_ECONFLICT, "rating.edit_window_closed",
                        "A rating can be changed for 7 days after it was given.",
                        "评价仅可在提交后 7 天内修改。");
  t->created = created_at < 0;
  st = ly_db_stmt(db, t->created ? sql_insert : sql_update);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, t->c->id);
  if (t->created) {
    ly_db_bind_text(st, 2, t->c->patient_id);
    ly_db_bind_text(st, 3, t->c->doctor_id);
    ly_db_bind_int(st, 4, t->score);
    ly_db_bind_text(st, 5, t->comment);
    ly_db_bind_int(st, 6, t->now);
  } else {
    ly_db_bind_int(st, 2, t->score);
    ly_db_bind_text(st, 3, t->comment);
    ly_db_bind_int(st, 4, t->now);
  }
  int rc = step_done(db, st);
  if (rc == 0)
    rc = audit(db, t->now, t->who, t->created ? "consult.rate" : "consult.rate_edit", t->c->patient_id,
               t->c->id, NULL);
  if (rc != 0) return rc;
  t->out = json_pack("{s:s, s:i, s:s, s:I}", "consultation_id", t->c->id, "score", t->score, "comment",
                     t->comment, "updated_at", (json_int_t)t->now);
  return t->out ? 0 : LY_ENOMEM;
}

static int check_input(int score, const char *comment, struct ly_error *e) {
  if (score < 1 || score > 5) {
    ly_error_set(e, LY_EINVAL, "request.invalid_field", "The score is a whole number from 1 to 5.",
                 "评分须为 1 到 5 的整数。");
    snprintf(e->field, sizeof(e->field), "score");
    return LY_EINVAL;
  }
  return records_text_check(comment, RATING_COMMENT_MAX, 0, "comment", e);
}

int rating_put(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
               const char *cid, int score, const char *comment, bool *created, json_t **out,
               struct ly_error *e) {
  struct consult_row c;
  if (comment == NULL) comment = "";
  int rc = check_input(score, comment, e);
  if (rc != 0) return rc;
  if ((rc = consult_load(db, cid, &c)) == LY_ENOTFOUND)
    return ly_error_set(e, rc, "consult.not_found", "No such consultation.", "没有这个问诊。");
  if (rc != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  if (!is_role(who, "patient"))
    return ly_error_set(e, LY_EFORBIDDEN, "auth.forbidden", "Only the patient rates a consultation.",
                        "只有患者本人可以评价问诊。");
  if ((rc = consult_access(db, &c, who, 1, e)) != 0) return rc;
  if (c.state != LC_ENDED && c.state != LC_NOTES_SIGNED)
    return ly_error_set(e, LY_ECONFLICT, "rating.not_ended",
                        "A consultation can be rated after it has ended.", "问诊结束后才能评价。");
  struct put_tx t = {
      .who = who, .c = &c, .score = score, .comment = comment, .now = ly_now_ms(clock), .e = e};
  if (e != NULL) e->err = 0;
  rc = ly_db_tx(db, put_fn, &t);
  if (rc != 0) {
    if (t.out != NULL) json_decref(t.out);
    return e != NULL && e->err ? rc : ly_error_set(e, rc, NULL, NULL, NULL);
  }
  *created = t.created;
  *out = t.out;
  return 0;
}

static int audit_tx(struct ly_db *db, int64_t now, const struct consult_actor *who, const char *action,
                    const char *patient_id, const char *cid) {
  int rc = ly_db_begin(db);
  if (rc != 0) return rc;
  if ((rc = audit(db, now, who, action, patient_id, cid, NULL)) != 0) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

int rating_get(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
               const char *cid, json_t **out, struct ly_error *e) {
  struct consult_row c;
  int rc = consult_load(db, cid, &c);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, rc, "consult.not_found", "No such consultation.", "没有这个问诊。");
  if (rc != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  if (!is_role(who, "patient") && !is_role(who, "supervisor"))
    return ly_error_set(e, LY_EFORBIDDEN, "auth.forbidden",
                        "Only the patient and supervisors see this rating.",
                        "只有患者本人和督导人员可以查看此评价。");
  if ((rc = consult_access(db, &c, who, 0, e)) != 0) return rc;
  sqlite3_stmt *st = ly_db_stmt(db, sql_get);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, cid);
  json_t *r = NULL;
  if ((rc = sqlite3_step(st)) == SQLITE_ROW) r = rating_json(cid, st);
  sqlite3_reset(st);
  if (r == NULL)
    return ly_error_set(e, LY_ENOTFOUND, "rating.not_found", "This consultation has not been rated.",
                        "该问诊尚未评价。");
  if ((rc = audit_tx(db, ly_now_ms(clock), who, "consult.rating_read", c.patient_id, cid)) != 0) {
    json_decref(r);
    return ly_error_set(e, rc, NULL, NULL, NULL);
  }
  *out = r;
  return 0;
}

static json_t *summary(struct ly_db *db, const char *doctor_id) {
  int dist[5] = {0}, count = 0;
  double sum = 0;
  sqlite3_stmt *st = ly_db_stmt(db, sql_summary);
  if (st == NULL) return NULL;
  ly_db_bind_text(st, 1, doctor_id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    int score = sqlite3_column_int(st, 0), n = sqlite3_column_int(st, 1);
    if (score < 1 || score > 5) continue;
    dist[score - 1] = n;
    count += n;
    sum += (double)score * n;
  }
  sqlite3_reset(st);
  return json_pack("{s:s, s:i, s:o, s:[i,i,i,i,i]}", "doctor_id", doctor_id, "count", count, "average",
                   count ? json_real(round(sum / count * 100) / 100) : json_null(), "distribution", dist[0],
                   dist[1], dist[2], dist[3], dist[4]);
}

static int full_items(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                      sqlite3_stmt *st, json_t *items) {
  int rc = ly_db_begin(db);
  if (rc != 0) return rc;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    const char *cid = ly_db_col_text(st, 0), *pid = ly_db_col_text(st, 1);
    json_array_append_new(
        items, json_pack("{s:s, s:s, s:i, s:s, s:I, s:I}", "consultation_id", cid, "patient_id", pid, "score",
                         sqlite3_column_int(st, 2), "comment", ly_db_col_text(st, 3), "created_at",
                         (json_int_t)sqlite3_column_int64(st, 4), "updated_at",
                         (json_int_t)sqlite3_column_int64(st, 5)));
    rc = audit(db, ly_now_ms(clock), who, "consult.rating_read", pid, cid, NULL);
  }
  sqlite3_reset(st);
  if (rc != 0) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

int rating_list(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                const char *doctor_id, int limit, json_t **out, struct ly_error *e) {
  int full = is_role(who, "supervisor");
  json_t *o = summary(db, doctor_id), *items = json_array();
  sqlite3_stmt *st = ly_db_stmt(db, full ? sql_full : sql_anon);
  if (o == NULL || st == NULL) {
    json_decref(o);
    json_decref(items);
    return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  }
  ly_db_bind_text(st, 1, doctor_id);
  ly_db_bind_int(st, 2, limit > 0 && limit <= 200 ? limit : 50);
  int rc = 0;
  if (full) {
    rc = full_items(db, clock, who, st, items);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW)
      json_array_append_new(items, json_pack("{s:i, s:s}", "score", sqlite3_column_int(st, 0), "comment",
                                             ly_db_col_text(st, 1)));
    sqlite3_reset(st);
  }
  if (rc != 0) {
    json_decref(o);
    json_decref(items);
    return ly_error_set(e, rc, NULL, NULL, NULL);
  }
  json_object_set_new(o, "items", items);
  *out = o;
  return 0;
}
