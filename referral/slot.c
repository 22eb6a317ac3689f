/* referral/slot.c — appointment slots and the share reserved for referrals. */
#include "referral/slot.h"

#include <sqlite3.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "referral/referral_internal.h"

static int slot_department_exists(struct ly_db *db, const char *department_id, struct ly_error *e) {
  static const char *sql = "SELECT 1 FROM departments WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, department_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(db, rc);
  return ly_error_set(e, LY_ENOTFOUND, "referral.department_not_found", "No such department.",
                      "没有这个科室。");
}

/* A doctor of the department, or an admin. */
static int slot_staff(struct ly_db *db, const struct referral_actor *who, const char *department_id,
                      struct ly_error *e) {
  struct ref_doctor d;
  if (ref_is(who, "admin")) return 0;
  if (ref_is(who, "doctor") && ref_doctor_load(db, who->id, &d) == 0 &&
      strcmp(d.department_id, department_id) == 0)
    return 0;
  return ly_error_set(e, LY_EFORBIDDEN, "referral.not_department_staff",
                      "Only the department's own doctors may manage its appointment slots.",
                      "只有本科室医生可以管理本科室的号源。");
}

int slot_policy_get(struct ly_db *db, const char *department_id, int *reserved_bp) {
  static const char *sql = "SELECT reserved_bp FROM department_slot_policies WHERE department_id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, department_id);
  int rc = sqlite3_step(st);
  *reserved_bp = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : SLOT_DEFAULT_RESERVED_BP;
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

int slot_policy_set(const struct referral_ctx *cx, const struct referral_actor *who,
                    const char *department_id, int reserved_bp, struct ly_error *e) {
  static const char *sql =
      "INSERT INTO department_slot_policies (department_id, reserved_bp, updated_by, updated_at)"
      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(department_id) DO UPDATE SET reserved_bp = excluded.reserved_bp,"
      " updated_by = excluded.updated_by, updated_at = excluded.updated_at";
  ly_error_clear(e);
  if (reserved_bp < 0 || reserved_bp > 10000)
    return ly_error_set(e, LY_EINVAL, "referral.reserved_share", "The reserved share is 0 to 100 %.",
                        "预留比例须在 0 到 100% 之间。");
  int rc = slot_department_exists(cx->db, department_id, e);
  if (!rc) rc = slot_staff(cx->db, who, department_id, e);
  if (rc) return ref_done(e, rc);
  if ((rc = ly_db_begin(cx->db))) return ref_done(e, rc);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) rc = LY_EDB;
  if (st) {
    ly_db_bind_text(st, 1, department_id);
    ly_db_bind_int(st, 2, reserved_bp);
    ly_db_bind_text(st, 3, who->id);
    ly_db_bind_int(st, 4, ly_now_ms(cx->clock));
    rc = ref_step_done(cx->db, st);
  }
  if (!rc) rc = ref_audit(cx, who, "slot.policy_update", NULL, "department", department_id, "ok", NULL);
  return ref_done(e, ref_finish(cx->db, rc));
}

/* round(k × bp / 10000): slot i is reserved when this grows from i to i+1,
 * which spreads the reserved slots evenly and reserves round(count × bp). */
static int slot_share(int k, int bp) {
  return (int)(((int64_t)k * bp + 5000) / 10000);
}

static int slot_insert_all(const struct referral_ctx *cx, const struct referral_actor *who,
                           const struct slot_publish *in, int bp, int *reserved) {
  static const char *sql =
      "INSERT INTO department_slots (id, department_id, starts_at, minutes, reserved, created_by, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  int64_t now = ly_now_ms(cx->clock);
  int rc = 0;
  for (int i = 0; rc == 0 && i < in->count; i++) {
    char id[LY_ID_MAX];
    int res = slot_share(i + 1, bp) > slot_share(i, bp);
    if ((rc = ly_id_new("slot", id, sizeof id))) break;
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, id);
    ly_db_bind_text(st, 2, in->department_id);
    ly_db_bind_int(st, 3, in->starts_at + (int64_t)i * in->minutes * 60000);
    ly_db_bind_int(st, 4, in->minutes);
    ly_db_bind_int(st, 5, res);
    ly_db_bind_text(st, 6, who->id);
    ly_db_bind_int(st, 7, now);
    rc = ref_step_done(cx->db, st);
    *reserved += res;
  }
  return rc;
}

int slot_publish(const struct referral_ctx *cx, const struct referral_actor *who,
                 const struct slot_publish *in, int *published, int *reserved, struct ly_error *e) {
  int bp = in->reserved_bp, rc;
  ly_error_clear(e);
  *published = *reserved = 0;
  if (in->count < 1 || in->count > SLOT_PUBLISH_MAX || in->minutes < 5 || in->minutes > 240)
    return ly_error_set(e, LY_EINVAL, "referral.slot_range", "Publish 1 to 200 slots of 5 to 240 minutes.",
                        "每次发布 1 至 200 个号源，每个 5 至 240 分钟。");
  if (in->starts_at <= ly_now_ms(cx->clock))
    return ly_error_set(e, LY_EINVAL, "referral.slot_in_past", "Slots must start in the future.",
                        "号源的开始时间须晚于现在。");
  if (bp > 10000)
    return ly_error_set(e, LY_EINVAL, "referral.reserved_share", "The reserved share is 0 to 100 %.",
                        "预留比例须在 0 到 100% 之间。");
  if ((rc = slot_department_exists(cx->db, in->department_id, e)) ||
      (rc = slot_staff(cx->db, who, in->department_id, e)))
    return ref_done(e, rc);
  if (bp < 0 && (rc = slot_policy_get(cx->db, in->department_id, &bp))) return ref_done(e, rc);
  if ((rc = ly_db_begin(cx->db))) return ref_done(e, rc);
  rc = slot_insert_all(cx, who, in, bp, reserved);
  if (rc == LY_EEXIST)
    ly_error_set(e, LY_EEXIST, "referral.slot_exists",
                 "The department already has a slot at one of these times.",
                 "本科室在其中某个时间已有号源。");
  if (!rc) rc = ref_audit(cx, who, "slot.publish", NULL, "department", in->department_id, "ok", NULL);
  rc = ref_finish(cx->db, rc);
  if (rc)
    *reserved = 0;
  else
    *published = in->count;
  return ref_done(e, rc);
}

static int slot_claim(const struct referral_ctx *cx, const char *slot_id, const char *referral_id) {
  static const char *sql =
      "UPDATE department_slots SET referral_id = ?2, taken_at = ?3 WHERE id = ?1 AND referral_id IS NULL";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, slot_id);
  ly_db_bind_text(st, 2, referral_id);
  ly_db_bind_int(st, 3, ly_now_ms(cx->clock));
  int rc = ref_step_done(cx->db, st);
  if (!rc && sqlite3_changes(ly_db_sqlite(cx->db)) != 1) rc = LY_ECONFLICT;
  return rc;
}

/* The named slot's start, checked to be the department's and in the future. */
static int slot_named(const struct referral_ctx *cx, const char *department_id, const char *slot_id,
                      int64_t *starts_at, struct ly_error *e) {
  static const char *sql =
      "SELECT starts_at, referral_id IS NOT NULL FROM department_slots WHERE id = ?1 AND department_id = ?2";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, slot_id);
  ly_db_bind_text(st, 2, department_id);
  int rc = sqlite3_step(st), taken = 0;
  if (rc == SQLITE_ROW) {
    *starts_at = sqlite3_column_int64(st, 0);
    taken = sqlite3_column_int(st, 1);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "referral.slot_not_found", "The department has no such slot.",
                        "本科室没有这个号源。");
  if (rc != SQLITE_ROW) return ly_db_rc(cx->db, rc);
  if (taken || *starts_at <= ly_now_ms(cx->clock))
    return ly_error_set(e, LY_ECONFLICT, "referral.slot_taken", "This slot is already taken or has passed.",
                        "该号源已被占用或已过期。");
  return 0;
}

static int slot_earliest_reserved(const struct referral_ctx *cx, const char *department_id,
                                  char slot_out[LY_ID_MAX], int64_t *starts_at, struct ly_error *e) {
  static const char *sql =
      "SELECT id, starts_at FROM department_slots WHERE department_id = ?1 AND reserved = 1"
      " AND referral_id IS NULL AND starts_at > ?2 ORDER BY starts_at, id LIMIT 1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, department_id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->clock));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    ref_copy(slot_out, LY_ID_MAX, ly_db_col_text(st, 0));
    *starts_at = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return ly_error_set(
      e, LY_ECONFLICT, "referral.no_reserved_slot",
      "The department has no free slot reserved for referrals. Publish more slots or pick one.",
      "该科室已没有为转诊预留的空闲号源，请增加号源或指定号源。");
}

int slot_take(const struct referral_ctx *cx, const char *department_id, const char *referral_id,
              const char *slot_id, char slot_out[LY_ID_MAX], int64_t *starts_at, struct ly_error *e) {
  int rc;
  if (slot_id && slot_id[0]) {
    if ((rc = slot_named(cx, department_id, slot_id, starts_at, e))) return rc;
    ref_copy(slot_out, LY_ID_MAX, slot_id);
  } else if ((rc = slot_earliest_reserved(cx, department_id, slot_out, starts_at, e))) {
    return rc;
  }
  rc = slot_claim(cx, slot_out, referral_id);
  if (rc == LY_ECONFLICT || rc == LY_EEXIST)
    return ly_error_set(e, LY_ECONFLICT, "referral.slot_taken", "This slot is already taken.",
                        "该号源已被占用。");
  return rc;
}

int slot_release(const struct referral_ctx *cx, const char *referral_id) {
  static const char *sql =
      "UPDATE department_slots SET referral_id = NULL, taken_at = NULL WHERE referral_id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, referral_id);
  return ref_step_done(cx->db, st);
}

static json_t *slot_row_json(sqlite3_stmt *st, int own) {
  json_t *o =
      json_pack("{s:s, s:I, s:i, s:b, s:b}", "id", ly_db_col_text(st, 0), "starts_at",
                (json_int_t)sqlite3_column_int64(st, 1), "minutes", sqlite3_column_int(st, 2), "reserved",
                sqlite3_column_int(st, 3), "taken", sqlite3_column_type(st, 4) != SQLITE_NULL);
  if (o && own && sqlite3_column_type(st, 4) != SQLITE_NULL)
    json_object_set_new(o, "referral_id", json_string(ly_db_col_text(st, 4)));
  return o;
}

int slot_list_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *department_id,
                   int64_t from, int64_t to, json_t **out, struct ly_error *e) {
  static const char *sql =
      "SELECT id, starts_at, minutes, reserved, referral_id FROM department_slots WHERE department_id = ?1"
      " AND starts_at >= ?2 AND starts_at < ?3 ORDER BY starts_at, id LIMIT 500";
  struct ly_error ignore;
  int bp = 0, rc;
  ly_error_clear(e);
  *out = NULL;
  if (!ref_is(who, "doctor") && !ref_is(who, "admin") && !ref_is(who, "supervisor"))
    return ly_error_set(e, LY_EFORBIDDEN, "referral.not_department_staff",
                        "Only staff may see slot calendars.", "只有医护与管理人员可以查看号源。");
  if ((rc = slot_department_exists(cx->db, department_id, e))) return ref_done(e, rc);
  if ((rc = slot_policy_get(cx->db, department_id, &bp))) return ref_done(e, rc);
  int own = ref_is(who, "doctor") && slot_staff(cx->db, who, department_id, &ignore) == 0;
  json_t *slots = json_array();
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!slots || !st) {
    json_decref(slots);
    return ref_done(e, st ? LY_ENOMEM : LY_EDB);
  }
  ly_db_bind_text(st, 1, department_id);
  ly_db_bind_int(st, 2, from);
  ly_db_bind_int(st, 3, to);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(slots, slot_row_json(st, own));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(slots);
    return ref_done(e, ly_db_rc(cx->db, rc));
  }
  *out = json_pack("{s:s, s:i, s:o}", "department_id", department_id, "reserved_bp", bp, "slots", slots);
  return *out ? 0 : ref_done(e, LY_ENOMEM);
}
