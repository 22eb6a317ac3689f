/* signalling/directory.c — the doctor directory (see directory.h). */
#include "signalling/directory.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "signalling/sig.h"

#define DOCTOR_COLS                                                                                       \
  "SELECT d.account_id, a.name, a.name_en, d.title, t.name, t.name_en, d.specialty, d.practice_since,"    \
  " f.id, f.name, f.name_en, f.level, f.subdistrict_id, sd.name, sd.name_en,"                             \
  " COALESCE(dp.id, ''), COALESCE(dp.name, ''), COALESCE(dp.name_en, ''), d.bio, d.licensed, a.disabled," \
  " (SELECT COUNT(*) FROM consultations c WHERE c.doctor_id = d.account_id"                               \
  "  AND c.state IN ('ended', 'notes_signed')),"                                                          \
  " (SELECT COUNT(*) FROM ratings r WHERE r.doctor_id = d.account_id),"                                   \
  " (SELECT AVG(r.score) FROM ratings r WHERE r.doctor_id = d.account_id)"                                \
  " FROM doctors d JOIN accounts a ON a.id = d.account_id JOIN doctor_titles t ON t.id = d.title"         \
  " JOIN facilities f ON f.id = d.facility_id JOIN subdistricts sd ON sd.id = f.subdistrict_id"           \
  " LEFT JOIN departments dp ON dp.id = d.department_id"

static const char sql_search[] = DOCTOR_COLS
    " WHERE d.licensed = 1 AND a.disabled = 0 AND d.practice_since <= ?1"
    " AND (?2 IS NULL OR d.specialty = ?2) AND (?3 IS NULL OR d.facility_id = ?3)"
    " AND (?4 IS NULL OR d.title = ?4) AND (?5 IS NULL OR f.subdistrict_id = ?5)"
    " AND (?6 IS NULL OR d.department_id = ?6)"
    " AND (?7 IS NULL OR instr(a.name, ?7) > 0 OR instr(lower(a.name_en), lower(?7)) > 0)"
    " ORDER BY f.level = 'community' DESC, a.name_en, d.account_id LIMIT ?8 OFFSET ?9";

static const char sql_one[] = DOCTOR_COLS " WHERE d.account_id = ?1";

static const char sql_schedule[] =
    "SELECT weekday, starts, ends FROM doctor_schedules WHERE doctor_id = ?1 ORDER BY weekday, starts";

static json_t *doctor_json(sqlite3_stmt *st, struct sig *s, int64_t now, const struct booking_rules *r) {
  int64_t since = sqlite3_column_int64(st, 7);
  int ratings = sqlite3_column_int(st, 22);
  double avg = sqlite3_column_type(st, 23) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 23);
  int bookable =
      sqlite3_column_int(st, 19) && !sqlite3_column_int(st, 20) && since <= now - r->min_practice_ms;
  const char *dept = ly_db_col_text(st, 15);

  json_t *o = json_pack(
      "{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:i, s:{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}, s:i, s:b, "
      "s:s}",
      "id", ly_db_col_text(st, 0), "name", ly_db_col_text(st, 1), "name_en", ly_db_col_text(st, 2), "title",
      "id", ly_db_col_text(st, 3), "name", ly_db_col_text(st, 4), "name_en", ly_db_col_text(st, 5),
      "specialty", ly_db_col_text(st, 6), "years_of_practice", (int)((now - since) / BOOKING_YEAR_MS),
      "facility", "id", ly_db_col_text(st, 8), "name", ly_db_col_text(st, 9), "name_en",
      ly_db_col_text(st, 10), "level", ly_db_col_text(st, 11), "subdistrict", "id", ly_db_col_text(st, 12),
      "name", ly_db_col_text(st, 13), "name_en", ly_db_col_text(st, 14), "online_consultations",
      sqlite3_column_int(st, 21), "bookable", bookable, "presence",
      s ? sig_presence(s, ly_db_col_text(st, 0)) : "away");
  if (o == NULL) return NULL;
  json_object_set_new(o, "department",
                      dept[0] ? json_pack("{s:s, s:s, s:s}", "id", dept, "name", ly_db_col_text(st, 16),
                                          "name_en", ly_db_col_text(st, 17))
                              : json_null());
  json_object_set_new(o, "rating",
                      json_pack("{s:i, s:o}", "count", ratings, "average",
                                ratings ? json_real(round(avg * 100) / 100) : json_null()));
  return o;
}

int directory_search(struct sig *s, struct ly_db *db, const struct ly_clock *clock,
                     const struct booking_rules *rules, const struct directory_filter *f, json_t **out,
                     struct ly_error *e) {
  struct booking_rules r = booking_rules_resolve(rules);
  int64_t now = ly_now_ms(clock);
  int limit = f->limit > 0 && f->limit <= 100 ? f->limit : 20;
  int offset = f->offset > 0 && f->offset <= 10000 ? f->offset : 0;
  sqlite3_stmt *st = ly_db_stmt(db, sql_search);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_int(st, 1, now - r.min_practice_ms);
  ly_db_bind_text(st, 2, f->specialty);
  ly_db_bind_text(st, 3, f->facility_id);
  ly_db_bind_text(st, 4, f->title);
  ly_db_bind_text(st, 5, f->subdistrict_id);
  ly_db_bind_text(st, 6, f->department_id);
  ly_db_bind_text(st, 7, f->q);
  ly_db_bind_int(st, 8, limit);
  ly_db_bind_int(st, 9, offset);
  json_t *items = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *d = doctor_json(st, s, now, &r);
    if (d != NULL) json_array_append_new(items, d);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(items);
    return ly_error_set(e, ly_db_rc(db, rc), NULL, NULL, NULL);
  }
  *out = json_pack("{s:o, s:i, s:i}", "items", items, "limit", limit, "offset", offset);
  return 0;
}

static json_t *schedule_json(struct ly_db *db, const char *doctor_id) {
  json_t *arr = json_array();
  sqlite3_stmt *st = ly_db_stmt(db, sql_schedule);
  if (st == NULL) return arr;
  ly_db_bind_text(st, 1, doctor_id);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:i, s:s, s:s}", "weekday", sqlite3_column_int(st, 0), "starts",
                                         ly_db_col_text(st, 1), "ends", ly_db_col_text(st, 2)));
  sqlite3_reset(st);
  return arr;
}

int directory_get(struct sig *s, struct ly_db *db, const struct ly_clock *clock,
                  const struct booking_rules *rules, const char *doctor_id, json_t **out,
                  struct ly_error *e) {
  struct booking_rules r = booking_rules_resolve(rules);
  json_t *d = NULL;
  sqlite3_stmt *st = ly_db_stmt(db, sql_one);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, doctor_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    d = doctor_json(st, s, ly_now_ms(clock), &r);
    if (d != NULL) json_object_set_new(d, "bio", json_string(ly_db_col_text(st, 18)));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "consult.doctor_not_found", "No such doctor.", "没有这位医生。");
  if (rc != SQLITE_ROW || d == NULL)
    return ly_error_set(e, rc != SQLITE_ROW ? ly_db_rc(db, rc) : LY_ENOMEM, NULL, NULL, NULL);
  json_object_set_new(d, "schedule", schedule_json(db, doctor_id));
  *out = d;
  return 0;
}
