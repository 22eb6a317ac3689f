/* records/careplan.c — chronic care plans, their targets and alerts. */
#include "records/careplan.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "records/records.h"

#define CP_DAY_MS              86400000LL
#define CP_MAX_PLANS_PER_VITAL 16

static const struct records_actor cp_system = {"system", "system", NULL};

static int cp_step_done(const struct records_ctx *cx, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

static int cp_target_ok(const struct careplan_target *t) {
  static const char *const kinds[] = {"bp", "glucose", "weight", "heart_rate"};
  int known = 0;
  for (size_t i = 0; t->kind && i < 4; i++)
    known |= strcmp(t->kind, kinds[i]) == 0;
  if (!known) return 0;
  if ((t->has_low1 && !isfinite(t->low1)) || (t->has_high1 && !isfinite(t->high1)) ||
      (t->has_low2 && !isfinite(t->low2)) || (t->has_high2 && !isfinite(t->high2)))
    return 0;
  if ((t->has_low1 && t->has_high1 && t->low1 > t->high1) ||
      (t->has_low2 && t->has_high2 && t->low2 > t->high2))
    return 0;
  return t->has_low1 || t->has_high1 || t->has_low2 || t->has_high2;
}

static int cp_validate(const struct careplan_new *in, struct ly_error *e) {
  int rc = records_icd10_check(in->icd10, "icd10", e);
  if (rc) return rc;
  if ((rc = records_text_check(in->note, 1000, 0, "note", e))) return rc;
  if (in->follow_up_days < 1 || in->follow_up_days > 366)
    return ly_error_set(e, LY_EINVAL, "records.careplan_interval",
                        "The follow-up interval must be 1 to 366 days.", "随访间隔须为1至366天。");
  if (in->ntargets > CAREPLAN_MAX_TARGETS)
    return ly_error_set(e, LY_EINVAL, "records.careplan_targets", "At most 4 targets per plan.",
                        "每个计划最多4项目标。");
  for (size_t i = 0; i < in->ntargets; i++) {
    int dup = 0;
    for (size_t j = 0; j < i; j++)
      dup |=
          in->targets[j].kind && in->targets[i].kind && strcmp(in->targets[j].kind, in->targets[i].kind) == 0;
    if (dup || !cp_target_ok(&in->targets[i]))
      return ly_error_set(e, LY_EINVAL, "records.careplan_targets",
                          "Each target needs a known kind, once, and a valid range.",
                          "每项目标须为已知类型、不得重复且范围有效。");
  }
  return 0;
}

static void cp_bind_opt(sqlite3_stmt *st, int idx, int has, double v) {
  if (has) sqlite3_bind_double(st, idx, v);
}

static int cp_insert(const struct records_ctx *cx, const struct records_actor *who,
                     const struct careplan_new *in, const char *id) {
  static const char *sql_plan =
      "INSERT INTO care_plans (id, patient_id, doctor_id, icd10, follow_up_days, next_follow_up_at, note, "
      "created_at, updated_at) VALUES (?1, ?2, ?3, upper(?4), ?5, ?6, ?7, ?8, ?8)";
  static const char *sql_target =
      "INSERT INTO care_plan_targets (plan_id, kind, low1, high1, low2, high2) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6)";
  int64_t now = ly_now_ms(cx->clock);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_plan);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, in->patient_id);
  ly_db_bind_text(st, 3, who->id);
  ly_db_bind_text(st, 4, in->icd10);
  ly_db_bind_int(st, 5, in->follow_up_days);
  ly_db_bind_int(st, 6, now + in->follow_up_days * CP_DAY_MS);
  ly_db_bind_text(st, 7, in->note ? in->note : "");
  ly_db_bind_int(st, 8, now);
  int rc = cp_step_done(cx, st);
  for (size_t i = 0; rc == 0 && i < in->ntargets; i++) {
    const struct careplan_target *t = &in->targets[i];
    if (!(st = ly_db_stmt(cx->db, sql_target))) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, t->kind);
    cp_bind_opt(st, 3, t->has_low1, t->low1);
    cp_bind_opt(st, 4, t->has_high1, t->high1);
    cp_bind_opt(st, 5, t->has_low2, t->low2);
    cp_bind_opt(st, 6, t->has_high2, t->high2);
    rc = cp_step_done(cx, st);
  }
  return rc;
}

int careplan_create(const struct records_ctx *cx, const struct records_actor *who,
                    const struct careplan_new *in, char id_out[LY_ID_MAX], struct ly_error *e) {
  ly_error_clear(e);
  if (!records_is(who, "doctor"))
    return ly_error_set(e, LY_EFORBIDDEN, "records.doctor_only", "Only a doctor may set up a care plan.",
                        "只有医师可以制定管理计划。");
  int rc = cp_validate(in, e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->db))) return records_done(e, rc);
  rc = records_patient_exists(cx, in->patient_id, e);
  if (rc == 0) rc = ly_id_new("plan", id_out, LY_ID_MAX);
  if (rc == 0) rc = cp_insert(cx, who, in, id_out);
  if (rc == 0)
    rc = records_audit(cx, who, "record.careplan_create", in->patient_id, "care_plan", id_out, "ok", NULL);
  return records_done(e, records_finish(cx->db, rc));
}

/* The plan's patient, checked to be active and the actor's own. */
static int cp_own_plan(const struct records_ctx *cx, const struct records_actor *who, const char *plan_id,
                       char patient[LY_ID_MAX], struct ly_error *e) {
  static const char *sql = "SELECT patient_id, doctor_id, active FROM care_plans WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, plan_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
    return ly_error_set(e, LY_ENOTFOUND, "records.careplan_not_found", "No such care plan.",
                        "未找到该管理计划。");
  }
  snprintf(patient, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  int mine = records_is(who, "doctor") && strcmp(ly_db_col_text(st, 1), who->id) == 0;
  int active = sqlite3_column_int(st, 2);
  sqlite3_reset(st);
  if (!mine)
    return ly_error_set(e, LY_EFORBIDDEN, "records.careplan_not_yours", "Only the plan's doctor may do this.",
                        "只有该计划的负责医师可以进行此操作。");
  if (!active)
    return ly_error_set(e, LY_ESTATE, "records.careplan_closed", "This care plan has ended.",
                        "该管理计划已结束。");
  return 0;
}

static int cp_update(const struct records_ctx *cx, const struct records_actor *who, const char *plan_id,
                     const char *sql, const char *action, struct ly_error *e) {
  char patient[LY_ID_MAX];
  ly_error_clear(e);
  int rc = ly_db_begin(cx->db);
  if (rc) return records_done(e, rc);
  rc = cp_own_plan(cx, who, plan_id, patient, e);
  if (rc == 0) {
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) rc = LY_EDB;
    if (st) {
      ly_db_bind_text(st, 1, plan_id);
      ly_db_bind_int(st, 2, ly_now_ms(cx->clock));
      rc = cp_step_done(cx, st);
    }
  }
  if (rc == 0) rc = records_audit(cx, who, action, patient, "care_plan", plan_id, "ok", NULL);
  return records_done(e, records_finish(cx->db, rc));
}

int careplan_followup(const struct records_ctx *cx, const struct records_actor *who, const char *plan_id,
                      struct ly_error *e) {
  static const char *sql =
      "UPDATE care_plans SET last_follow_up_at = ?2, next_follow_up_at = ?2 + follow_up_days * 86400000, "
      "updated_at = ?2 WHERE id = ?1";
  return cp_update(cx, who, plan_id, sql, "record.careplan_followup", e);
}

int careplan_close(const struct records_ctx *cx, const struct records_actor *who, const char *plan_id,
                   struct ly_error *e) {
  static const char *sql = "UPDATE care_plans SET active = 0, updated_at = ?2 WHERE id = ?1";
  return cp_update(cx, who, plan_id, sql, "record.careplan_close", e);
}

/* ---- alerts ------------------------------------------------------------------ */

static int cp_alert(const struct records_ctx *cx, const char *patient, const char *doctor, const char *plan,
                    const char *kind, const char *vital, int64_t due, const char *detail) {
  static const char *sql =
      "INSERT OR IGNORE INTO care_alerts (id, patient_id, doctor_id, plan_id, kind, vital_id, due_at, "
      "detail, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
  char id[LY_ID_MAX];
  int rc = ly_id_new("alert", id, sizeof id);
  sqlite3_stmt *st = rc ? NULL : ly_db_stmt(cx->db, sql);
  if (!st) return rc ? rc : LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, patient);
  ly_db_bind_text(st, 3, doctor);
  ly_db_bind_text(st, 4, plan);
  ly_db_bind_text(st, 5, kind);
  ly_db_bind_text(st, 6, vital);
  if (due) ly_db_bind_int(st, 7, due);
  ly_db_bind_text(st, 8, detail);
  ly_db_bind_int(st, 9, ly_now_ms(cx->clock));
  if ((rc = cp_step_done(cx, st))) return rc;
  if (sqlite3_changes(ly_db_sqlite(cx->db)) == 0) return 1; /* already raised */
  return records_audit(cx, &cp_system, "record.alert_raise", patient, "care_alert", id, "ok", kind);
}

static int cp_outside(sqlite3_stmt *st, int col, double v) {
  return (sqlite3_column_type(st, col) != SQLITE_NULL && v < sqlite3_column_double(st, col)) ||
         (sqlite3_column_type(st, col + 1) != SQLITE_NULL && v > sqlite3_column_double(st, col + 1));
}

struct cp_hit {
  char plan[LY_ID_MAX];
  char doctor[LY_ID_MAX];
};

int careplan_check_vital(const struct records_ctx *cx, const char *patient_id, const char *vital_id,
                         const char *kind, double v1, int has_v2, double v2, int *raised) {
  static const char *sql =
      "SELECT p.id, p.doctor_id, t.low1, t.high1, t.low2, t.high2 FROM care_plans p JOIN care_plan_targets t "
      "ON "
      "t.plan_id = p.id AND t.kind = ?2 WHERE p.patient_id = ?1 AND p.active = 1 ORDER BY p.id";
  struct cp_hit hits[CP_MAX_PLANS_PER_VITAL];
  size_t n = 0;
  *raised = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  ly_db_bind_text(st, 2, kind);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < CP_MAX_PLANS_PER_VITAL) {
    if (!cp_outside(st, 2, v1) && !(has_v2 && cp_outside(st, 4, v2))) continue;
    snprintf(hits[n].plan, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
    snprintf(hits[n].doctor, LY_ID_MAX, "%s", ly_db_col_text(st, 1));
    n++;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return ly_db_rc(cx->db, rc);
  char detail[96];
  if (has_v2)
    snprintf(detail, sizeof detail, "%s %.1f/%.1f", kind, v1, v2);
  else
    snprintf(detail, sizeof detail, "%s %.1f", kind, v1);
  for (size_t i = 0; i < n; i++) {
    rc = cp_alert(cx, patient_id, hits[i].doctor, hits[i].plan, "out_of_range", vital_id, 0, detail);
    if (rc < 0) return rc;
    if (rc == 0) (*raised)++;
  }
  return 0;
}

struct cp_due {
  char plan[LY_ID_MAX];
  char patient[LY_ID_MAX];
  char doctor[LY_ID_MAX];
  int64_t due;
};

/* Up to max overdue plans into out; *n how many. */
static int cp_overdue(const struct records_ctx *cx, int64_t now, const char *after, struct cp_due *out,
                      size_t max, size_t *n) {
  static const char *sql =
      "SELECT id, patient_id, doctor_id, next_follow_up_at FROM care_plans WHERE active = 1 AND "
      "next_follow_up_at < ?1 AND id > ?2 ORDER BY id LIMIT ?3";
  *n = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, now);
  ly_db_bind_text(st, 2, after);
  ly_db_bind_int(st, 3, (int64_t)max);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct cp_due *d = &out[(*n)++];
    snprintf(d->plan, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
    snprintf(d->patient, LY_ID_MAX, "%s", ly_db_col_text(st, 1));
    snprintf(d->doctor, LY_ID_MAX, "%s", ly_db_col_text(st, 2));
    d->due = sqlite3_column_int64(st, 3);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

/* In batches, each its own transaction, so the job never holds the write
 * lock for long. An alert is raised once per (plan, due date). */
int careplan_check_missed(const struct records_ctx *cx, int *created) {
  struct cp_due batch[64];
  char after[LY_ID_MAX] = "";
  int64_t now = ly_now_ms(cx->clock);
  *created = 0;
  for (;;) {
    size_t n = 0;
    int rc = ly_db_begin(cx->db);
    if (rc) return rc;
    rc = cp_overdue(cx, now, after, batch, sizeof batch / sizeof batch[0], &n);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
      rc = cp_alert(cx, batch[i].patient, batch[i].doctor, batch[i].plan, "missed_follow_up", NULL,
                    batch[i].due, "");
      if (rc == 0) (*created)++;
    }
    rc = records_finish(cx->db, rc < 0 ? rc : 0);
    if (rc) return rc;
    if (n < sizeof batch / sizeof batch[0]) return 0;
    snprintf(after, sizeof after, "%s", batch[n - 1].plan);
  }
}
