/* records/condition.c — ICD-10 condition search. */
#include "records/condition.h"

#include <sqlite3.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"

/* LIKE pattern with % _ \ escaped: "PREFIX%" (upper-cased ASCII) or "%part%".
 * -1 when q does not fit in outsz. */
static int cond_pattern(const char *q, int prefix, char *out, size_t outsz) {
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

int condition_search(const struct records_ctx *cx, const char *q, int limit, json_t **out,
                     struct ly_error *e) {
  static const char *sql =
      "SELECT icd10, name, name_en, chronic FROM conditions WHERE icd10 LIKE ?2 ESCAPE '\\' OR name LIKE ?1 "
      "ESCAPE '\\' OR name_en LIKE ?1 ESCAPE '\\' ORDER BY (icd10 LIKE ?2 ESCAPE '\\') DESC, icd10 LIMIT ?3";
  char part[CONDITION_QUERY_MAX * 2 + 4], prefix[CONDITION_QUERY_MAX * 2 + 4];
  ly_error_clear(e);
  *out = NULL;
  int rc = records_text_check(q, CONDITION_QUERY_MAX, 1, "q", e);
  if (rc) return rc;
  if (cond_pattern(q, 0, part, sizeof part) || cond_pattern(q, 1, prefix, sizeof prefix))
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "The search text is too long.",
                        "搜索内容过长。");
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return records_done(e, LY_EDB);
  ly_db_bind_text(st, 1, part);
  ly_db_bind_text(st, 2, prefix);
  ly_db_bind_int(st, 3, limit < 1 || limit > 100 ? 20 : limit);
  json_t *arr = json_array();
  while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:s, s:b}", "icd10", ly_db_col_text(st, 0), "name", ly_db_col_text(st, 1),
                       "name_en", ly_db_col_text(st, 2), "chronic", sqlite3_column_int(st, 3)));
  sqlite3_reset(st);
  if (!arr) return records_done(e, LY_ENOMEM);
  if (rc != SQLITE_DONE) {
    json_decref(arr);
    return records_done(e, ly_db_rc(cx->db, rc));
  }
  *out = arr;
  return 0;
}
