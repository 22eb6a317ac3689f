/* rx/formulary.c — formulary search. */
#include "rx/formulary.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"

#define FM_COLS                                                                                              \
  "SELECT id, generic_name, generic_en, pinyin, atc, form, strength, pack_size, unit, price_fen, category, " \
  "controlled, antimicrobial, default_daily_units, chronic_use FROM drugs "

static json_t *fm_row(sqlite3_stmt *st) {
  const char *ctrl = ly_db_col_text(st, 11);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:b, s:f, s:b, s:b}", "id",
                   ly_db_col_text(st, 0), "generic_name", ly_db_col_text(st, 1), "generic_en",
                   ly_db_col_text(st, 2), "pinyin", ly_db_col_text(st, 3), "atc", ly_db_col_text(st, 4),
                   "form", ly_db_col_text(st, 5), "strength", ly_db_col_text(st, 6), "pack_size",
                   (json_int_t)sqlite3_column_int64(st, 7), "unit", ly_db_col_text(st, 8), "price_fen",
                   (json_int_t)sqlite3_column_int64(st, 9), "category", ly_db_col_text(st, 10), "controlled",
                   ctrl, "antimicrobial", sqlite3_column_int(st, 12), "default_daily_units",
                   sqlite3_column_double(st, 13), "chronic_use", sqlite3_column_int(st, 14), "online_allowed",
                   strcmp(ctrl, "none") == 0);
}

/* LIKE pattern with % _ \ escaped: prefix% (upper-cased) or %part%. */
static int fm_pattern(const char *q, int prefix, char *out, size_t outsz) {
  size_t o = 0;
  if (!prefix) out[o++] = '%';
  for (const char *p = q; *p; p++) {
    if (o + 4 >= outsz) return -1;
    if (*p == '%' || *p == '_' || *p == '\\') out[o++] = '\\';
    out[o++] = prefix && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
  }
  out[o++] = '%';
  out[o] = '\0';
  return 0;
}

int formulary_search(struct rx_ctx *cx, const char *q, int limit, json_t **out, struct ly_error *e) {
  static const char *sql = FM_COLS
      "WHERE pinyin LIKE ?2 ESCAPE '\\' OR atc LIKE ?2 ESCAPE '\\' OR generic_name LIKE ?1 ESCAPE '\\' OR "
      "generic_en LIKE ?1 ESCAPE '\\' OR id = ?3 ORDER BY (pinyin LIKE ?2 ESCAPE '\\' OR atc LIKE ?2 ESCAPE "
      "'\\') DESC, "
      "pinyin, id LIMIT ?4";
  char part[FORMULARY_QUERY_MAX * 2 + 4], prefix[FORMULARY_QUERY_MAX * 2 + 4];
  ly_error_clear(e);
  *out = NULL;
  int rc = records_text_check(q, FORMULARY_QUERY_MAX, 1, "q", e);
  if (rc) return rc;
  if (fm_pattern(q, 0, part, sizeof part) || fm_pattern(q, 1, prefix, sizeof prefix))
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "The search text is too long.",
                        "搜索内容过长。");
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return records_done(e, LY_EDB);
  ly_db_bind_text(st, 1, part);
  ly_db_bind_text(st, 2, prefix);
  ly_db_bind_text(st, 3, q);
  ly_db_bind_int(st, 4, limit < 1 || limit > 100 ? 20 : limit);
  json_t *arr = json_array();
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(arr, fm_row(st));
  sqlite3_reset(st);
  if (!arr) return records_done(e, LY_ENOMEM);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return records_done(e, ly_db_rc(cx->rec.db, rc));
  }
  *out = arr;
  return 0;
}

int formulary_get(struct rx_ctx *cx, const char *drug_id, json_t **out, struct ly_error *e) {
  static const char *sql = FM_COLS "WHERE id = ?1";
  ly_error_clear(e);
  *out = NULL;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return records_done(e, LY_EDB);
  ly_db_bind_text(st, 1, drug_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *out = fm_row(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return *out ? 0 : records_done(e, LY_ENOMEM);
  if (rc != SQLITE_DONE) return records_done(e, ly_db_rc(cx->rec.db, rc));
  return ly_error_set(e, LY_ENOTFOUND, "rx.unknown_drug", "This drug is not in the formulary.",
                      "该药品不在处方集内。");
}
