/* records/vitals.c — home-measured vitals and their plausibility limits. */
#include "records/vitals.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/careplan.h"
#include "records/records.h"

#define VITALS_AHEAD_MS (5LL * 60 * 1000)
#define VITALS_BACK_MS  (366LL * 86400000)

struct vitals_kind {
  const char *kind;
  double lo1, hi1;
  int two; /* value2 required */
  double lo2, hi2;
};

static const struct vitals_kind vitals_kinds[] = {
    {"bp", 40, 300, 1, 20, 200},
    {"glucose", 0.5, 50, 0, 0, 0},
    {"weight", 1, 500, 0, 0, 0},
    {"heart_rate", 20, 300, 0, 0, 0},
};

static int vitals_bad(struct ly_error *e, const char *field) {
  ly_error_set(e, LY_EINVAL, "records.vital_implausible",
               "This value is outside what can be measured; please check it.",
               "该数值超出可测量范围，请检查。");
  if (e) snprintf(e->field, sizeof e->field, "%s", field);
  return LY_EINVAL;
}

static int vitals_validate(const struct records_ctx *cx, const struct vitals_new *in, struct ly_error *e) {
  const struct vitals_kind *k = NULL;
  for (size_t i = 0; in->kind && i < sizeof vitals_kinds / sizeof vitals_kinds[0]; i++)
    if (strcmp(in->kind, vitals_kinds[i].kind) == 0) k = &vitals_kinds[i];
  if (!k)
    return ly_error_set(e, LY_EINVAL, "records.vital_kind",
                        "The kind must be bp, glucose, weight or heart_rate.",
                        "类型须为血压、血糖、体重或心率。");
  if (!isfinite(in->value1) || in->value1 < k->lo1 || in->value1 > k->hi1) return vitals_bad(e, "value1");
  if (k->two && (!in->has_value2 || !isfinite(in->value2) || in->value2 < k->lo2 || in->value2 > k->hi2 ||
                 in->value2 >= in->value1))
    return vitals_bad(e, "value2");
  if (!k->two && in->has_value2) return vitals_bad(e, "value2");
  int64_t now = ly_now_ms(cx->clock);
  if (in->measured_at > now + VITALS_AHEAD_MS || in->measured_at < now - VITALS_BACK_MS)
    return ly_error_set(e, LY_EINVAL, "records.vital_time", "The time of measurement is not plausible.",
                        "测量时间不合理。");
  return records_text_check(in->note, 500, 0, "note", e);
}

static int vitals_insert(const struct records_ctx *cx, const struct records_actor *who,
                         const struct vitals_new *in, const char *id) {
  static const char *sql =
      "INSERT INTO vitals (id, patient_id, kind, value1, value2, measured_at, recorded_by, note, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, in->patient_id);
  ly_db_bind_text(st, 3, in->kind);
  sqlite3_bind_double(st, 4, in->value1);
  if (in->has_value2) sqlite3_bind_double(st, 5, in->value2);
  ly_db_bind_int(st, 6, in->measured_at);
  ly_db_bind_text(st, 7, who->id);
  ly_db_bind_text(st, 8, in->note ? in->note : "");
  ly_db_bind_int(st, 9, ly_now_ms(cx->clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

int vitals_add(const struct records_ctx *cx, const struct records_actor *who, const struct vitals_new *in,
               char id_out[LY_ID_MAX], int *alerts_out, struct ly_error *e) {
  ly_error_clear(e);
  int raised = 0;
  if (!records_is(who, "patient") && !records_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "records.vitals_not_allowed",
                        "Only the patient or a doctor may log vitals.", "只有患者本人或医师可以记录体征。");
  int rc = vitals_validate(cx, in, e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->db))) return records_done(e, rc);
  rc = records_patient_exists(cx, in->patient_id, e);
  if (rc == 0) rc = ly_id_new("vit", id_out, LY_ID_MAX);
  if (rc == 0) rc = vitals_insert(cx, who, in, id_out);
  if (rc == 0)
    rc = careplan_check_vital(cx, in->patient_id, id_out, in->kind, in->value1, in->has_value2, in->value2,
                              &raised);
  if (rc == 0)
    rc = records_audit(cx, who, "record.vitals_add", in->patient_id, "vital", id_out, "ok", in->kind);
  rc = records_finish(cx->db, rc);
  if (alerts_out) *alerts_out = rc == 0 ? raised : 0;
  return records_done(e, rc);
}

static int vitals_list_tx(const struct records_ctx *cx, const struct records_actor *who,
                          const char *patient_id, const char *kind, int64_t since_ms, json_t *arr,
                          struct ly_error *e) {
  static const char *sql =
      "SELECT id, kind, value1, value2, measured_at, recorded_by, note FROM vitals WHERE patient_id = ?1 AND "
      "(?2 IS NULL OR kind = ?2) AND measured_at >= ?3 ORDER BY measured_at, id LIMIT 5000";
  int rc = records_patient_exists(cx, patient_id, e);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  ly_db_bind_text(st, 2, kind);
  ly_db_bind_int(st, 3, since_ms);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *v2 =
        sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null() : json_real(sqlite3_column_double(st, 3));
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:f, s:o, s:I, s:s, s:s}", "id", ly_db_col_text(st, 0), "kind",
                       ly_db_col_text(st, 1), "value1", sqlite3_column_double(st, 2), "value2", v2,
                       "measured_at", (json_int_t)sqlite3_column_int64(st, 4), "recorded_by",
                       ly_db_col_text(st, 5), "note", ly_db_col_text(st, 6)));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return records_audit(cx, who, "record.read", patient_id, "vitals", NULL, "ok", kind);
}

int vitals_list(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                const char *kind, int64_t since_ms, json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  json_t *arr = json_array();
  if (!arr) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->db);
  if (rc == 0) rc = records_finish(cx->db, vitals_list_tx(cx, who, patient_id, kind, since_ms, arr, e));
  if (rc) {
    json_decref(arr);
    return records_done(e, rc);
  }
  *out = arr;
  return 0;
}
