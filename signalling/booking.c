/* signalling/booking.c — booking an online follow-up (see booking.h). */
#include "signalling/booking.h"

#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "core/ids.h"
#include "records/records.h"

static const char sql_doctor[] =
    "SELECT d.licensed, d.practice_since, d.facility_id, COALESCE(d.department_id, ''), a.disabled"
    " FROM doctors d JOIN accounts a ON a.id = d.account_id WHERE d.account_id = ?1";

static const char sql_department_exists[] = "SELECT 1 FROM departments WHERE id = ?1";

/* The eligible doctor of a department with the fewest open consultations. */
static const char sql_department_pick[] =
    "SELECT d.account_id FROM doctors d JOIN accounts a ON a.id = d.account_id"
    " WHERE d.department_id = ?1 AND d.licensed = 1 AND d.practice_since <= ?2 AND a.disabled = 0"
    " ORDER BY (SELECT COUNT(*) FROM consultations c WHERE c.doctor_id = d.account_id"
    "           AND c.state IN ('booked', 'waiting', 'called', 'in_call')), d.account_id LIMIT 1";

static const char sql_patient[] = "SELECT birth_date FROM patients WHERE id = ?1";

static const char sql_evidence[] =
    "SELECT id FROM offline_diagnoses WHERE patient_id = ?1 AND verified = 1"
    " AND upper(substr(icd10, 1, 3)) = ?2 AND diagnosed_at >= ?3 AND diagnosed_at <= ?4"
    " ORDER BY diagnosed_at DESC LIMIT 1";

static const char sql_open_with_doctor[] =
    "SELECT 1 FROM consultations WHERE patient_id = ?1 AND doctor_id = ?2"
    " AND state IN ('booked', 'waiting', 'called', 'in_call') LIMIT 1";

static const char sql_insert[] =
    "INSERT INTO consultations (id, patient_id, doctor_id, facility_id, department_id, kind, icd10,"
    " offline_diagnosis_id, state, priority, booked_at, guardian_name, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 'online_followup', ?6, ?7, 'booked', 0, ?8, ?9, ?8)";

static const char sql_participant[] =
    "INSERT INTO consultation_participants (consultation_id, account_id, role) VALUES (?1, ?2, ?3)";

static const char sql_first_event[] =
    "INSERT INTO consultation_events (consultation_id, seq, at, actor_id, from_state, to_state, reason)"
    " VALUES (?1, 1, ?2, ?3, NULL, 'booked', NULL)";

struct booking_rules booking_rules_resolve(const struct booking_rules *in) {
  struct booking_rules r = in ? *in : (struct booking_rules){0};
  if (r.followup_window_ms <= 0) r.followup_window_ms = BOOKING_YEAR_MS;
  if (r.min_practice_ms <= 0) r.min_practice_ms = 3 * BOOKING_YEAR_MS;
  if (r.guardian_under_years <= 0) r.guardian_under_years = 6;
  return r;
}

static void copy(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src ? src : "");
}

static int not_eligible(struct ly_error *e) {
  return ly_error_set(
      e, LY_EDENIED, "consult.doctor_not_eligible",
      "This doctor may not consult online: a licensed doctor with at least 3 years of independent "
      "practice is required.",
      "该医生不能开展互联网诊疗：需持有执业证书且独立执业满 3 年。");
}

struct doctor_info {
  char facility_id[LY_ID_MAX];
  char department_id[LY_ID_MAX];
};

static int doctor_check(struct ly_db *db, int64_t now, const struct booking_rules *r, const char *doctor_id,
                        struct doctor_info *info, struct ly_error *e) {
  int licensed = 0, disabled = 1;
  int64_t since = 0;
  sqlite3_stmt *st = ly_db_stmt(db, sql_doctor);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, doctor_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    licensed = sqlite3_column_int(st, 0);
    since = sqlite3_column_int64(st, 1);
    if (info != NULL) {
      copy(info->facility_id, sizeof(info->facility_id), ly_db_col_text(st, 2));
      copy(info->department_id, sizeof(info->department_id), ly_db_col_text(st, 3));
    }
    disabled = sqlite3_column_int(st, 4);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "consult.doctor_not_found", "No such doctor.", "没有这位医生。");
  if (rc != SQLITE_ROW) return ly_error_set(e, ly_db_rc(db, rc), NULL, NULL, NULL);
  if (!licensed || disabled || since > now - r->min_practice_ms) return not_eligible(e);
  return 0;
}

int booking_doctor_eligible(struct ly_db *db, const struct ly_clock *clock, const struct booking_rules *rules,
                            const char *doctor_id, struct ly_error *e) {
  struct booking_rules r = booking_rules_resolve(rules);
  return doctor_check(db, ly_now_ms(clock), &r, doctor_id, NULL, e);
}

static int pick_in_department(struct ly_db *db, int64_t now, const struct booking_rules *r, const char *dept,
                              char *doctor_id, size_t n, struct ly_error *e) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_department_exists);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, dept);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "consult.department_not_found", "No such department.",
                        "没有这个科室。");
  if ((st = ly_db_stmt(db, sql_department_pick)) == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, dept);
  ly_db_bind_int(st, 2, now - r->min_practice_ms);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) copy(doctor_id, n, ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_error_set(e, ly_db_rc(db, rc), NULL, NULL, NULL);
  return ly_error_set(e, LY_EDENIED, "consult.doctor_not_eligible",
                      "No doctor of this department may consult online.",
                      "该科室没有可开展互联网诊疗的医生。");
}

/* 1 when a patient born on birth ("YYYY-MM-DD") is younger than years at now. */
static int younger_than(const char *birth, int64_t now, int years) {
  char today[16], limit[32];
  int y, m, d;
  if (sscanf(birth, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1800 || m < 1 || m > 12 || d < 1 || d > 31)
    return 0;
  ly_time_date(now, today, sizeof(today));
  snprintf(limit, sizeof(limit), "%04d-%02d-%02d", y + years, m, d);
  return strcmp(today, limit) < 0;
}

static int guardian_check(struct ly_db *db, int64_t now, const struct booking_rules *r,
                          const char *patient_id, const char *guardian, struct ly_error *e) {
  char birth[16] = "";
  sqlite3_stmt *st = ly_db_stmt(db, sql_patient);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, patient_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) copy(birth, sizeof(birth), ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return ly_error_set(e, LY_EFORBIDDEN, "auth.forbidden", "No patient record for this account.",
                        "此账号没有对应的患者档案。");
  if (!younger_than(birth, now, r->guardian_under_years) || (guardian != NULL && guardian[0] != '\0'))
    return 0;
  ly_error_set(e, LY_EDENIED, "consult.guardian_required",
               "Children under 6 may consult online only with a guardian present: name the guardian.",
               "6 岁以下儿童须有监护人在场方可进行互联网诊疗，请填写监护人姓名。");
  if (e != NULL) copy(e->field, sizeof(e->field), "guardian_name");
  return LY_EDENIED;
}

static int evidence(struct ly_db *db, int64_t now, const struct booking_rules *r, const char *patient_id,
                    const char *category, char *dx_id, size_t n, struct ly_error *e) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_evidence);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, patient_id);
  ly_db_bind_text(st, 2, category);
  ly_db_bind_int(st, 3, now - r->followup_window_ms);
  ly_db_bind_int(st, 4, now);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) copy(dx_id, n, ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_error_set(e, ly_db_rc(db, rc), NULL, NULL, NULL);
  return ly_error_set(e, LY_EDENIED, "consult.first_visit_offline_only",
                      "Online consultations are for follow-up only: this condition needs a verified offline "
                      "diagnosis within the last 12 months. Please visit a clinic first.",
                      "互联网诊疗仅限复诊：该病种须有 12 个月内经核实的线下诊断，请先到医疗机构就诊。");
}

struct book_tx {
  const struct consult_actor *who;
  const struct booking_request *req;
  const char *doctor_id;
  const struct doctor_info *doc;
  const char *dx_id;
  int64_t now;
  char id[LY_ID_MAX];
  struct ly_error *e;
};

static int step_done(struct ly_db *db, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int add_participant(struct ly_db *db, const char *cid, const char *account, const char *role) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_participant);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, cid);
  ly_db_bind_text(st, 2, account);
  ly_db_bind_text(st, 3, role);
  return step_done(db, st);
}

static int book_fn(struct ly_db *db, void *ud) {
  struct book_tx *t = ud;
  const char *g = t->req->guardian_name;
  sqlite3_stmt *st = ly_db_stmt(db, sql_open_with_doctor);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, t->who->patient_id);
  ly_db_bind_text(st, 2, t->doctor_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW)
    return ly_error_set(t->e, LY_ECONFLICT, "consult.already_booked",
                        "You already have an open consultation with this doctor.",
                        "您与该医生已有未完成的问诊。");
  if ((rc = ly_id_new("con", t->id, sizeof(t->id))) != 0) return rc;
  if ((st = ly_db_stmt(db, sql_insert)) == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, t->id);
  ly_db_bind_text(st, 2, t->who->patient_id);
  ly_db_bind_text(st, 3, t->doctor_id);
  ly_db_bind_text(st, 4, t->doc->facility_id);
  ly_db_bind_text(st, 5,
                  t->req->department_id ? t->req->department_id
                                        : (t->doc->department_id[0] ? t->doc->department_id : NULL));
  ly_db_bind_text(st, 6, t->req->icd10);
  ly_db_bind_text(st, 7, t->dx_id);
  ly_db_bind_int(st, 8, t->now);
  ly_db_bind_text(st, 9, g != NULL && g[0] != '\0' ? g : NULL);
  if ((rc = step_done(db, st)) != 0) return rc;
  if ((rc = add_participant(db, t->id, t->who->id, "patient")) != 0) return rc;
  if ((rc = add_participant(db, t->id, t->doctor_id, "doctor")) != 0) return rc;
  if ((st = ly_db_stmt(db, sql_first_event)) == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, t->id);
  ly_db_bind_int(st, 2, t->now);
  ly_db_bind_text(st, 3, t->who->id);
  if ((rc = step_done(db, st)) != 0) return rc;
  struct ly_audit_entry a = {.at_ms = t->now,
                             .actor_id = t->who->id,
                             .actor_role = t->who->role,
                             .action = "consult.book",
                             .patient_id = t->who->patient_id,
                             .object_type = "consultation",
                             .object_id = t->id,
                             .outcome = "ok",
                             .detail = t->req->icd10};
  return ly_audit_append(db, &a, NULL);
}

static int check_request(const struct consult_actor *who, const struct booking_request *req, char *category,
                         struct ly_error *e) {
  if (strcmp(who->role, "patient") != 0 || who->patient_id == NULL || who->patient_id[0] == '\0')
    return ly_error_set(e, LY_EFORBIDDEN, "auth.forbidden", "Only patients book online follow-ups.",
                        "只有患者可以预约线上复诊。");
  if ((req->doctor_id == NULL) == (req->department_id == NULL)) {
    ly_error_set(e, LY_EINVAL, "request.missing_field", "Name either a doctor or a department.",
                 "请指定医生或科室（二选一）。");
    if (e != NULL) copy(e->field, sizeof(e->field), "doctor_id");
    return LY_EINVAL;
  }
  if (req->guardian_name != NULL && strlen(req->guardian_name) > BOOKING_GUARDIAN_MAX) {
    ly_error_set(e, LY_EINVAL, "request.invalid_field", "The guardian's name is too long.",
                 "监护人姓名过长。");
    if (e != NULL) copy(e->field, sizeof(e->field), "guardian_name");
    return LY_EINVAL;
  }
  return records_icd10_category(req->icd10, category, 4) == 0 ? 0
                                                              : records_icd10_check(req->icd10, "icd10", e);
}

static int book_checks(struct ly_db *db, int64_t now, const struct booking_rules *r, struct book_tx *t,
                       char *doctor_id, size_t dsz, struct doctor_info *doc, char *dx, size_t dxsz) {
  char category[4];
  const struct booking_request *req = t->req;
  int rc = check_request(t->who, req, category, t->e);
  if (rc != 0) return rc;
  if (req->department_id != NULL)
    rc = pick_in_department(db, now, r, req->department_id, doctor_id, dsz, t->e);
  else
    copy(doctor_id, dsz, req->doctor_id);
  if (rc == 0) rc = doctor_check(db, now, r, doctor_id, doc, t->e);
  if (rc == 0) rc = guardian_check(db, now, r, t->who->patient_id, req->guardian_name, t->e);
  if (rc == 0) rc = evidence(db, now, r, t->who->patient_id, category, dx, dxsz, t->e);
  return rc;
}

int booking_create(struct ly_db *db, const struct ly_clock *clock, const struct booking_rules *rules,
                   const struct consult_actor *who, const struct booking_request *req,
                   struct consult_row *out, struct ly_error *e) {
  struct booking_rules r = booking_rules_resolve(rules);
  char doctor_id[LY_ID_MAX + 16] = "", dx[LY_ID_MAX + 16] = "";
  struct doctor_info doc;
  struct book_tx t = {.who = who, .req = req, .now = ly_now_ms(clock), .e = e};

  if (e != NULL) e->err = 0;
  int rc = book_checks(db, t.now, &r, &t, doctor_id, sizeof(doctor_id), &doc, dx, sizeof(dx));
  if (rc == 0) {
    t.doctor_id = doctor_id;
    t.doc = &doc;
    t.dx_id = dx;
    rc = ly_db_tx(db, book_fn, &t);
  }
  if (rc != 0) {
    if (e != NULL && e->err == 0) ly_error_set(e, rc, NULL, NULL, NULL);
    if (rc != LY_EDB && rc != LY_ENOMEM && rc != LY_EIO)
      consult_audit_refusal(db, clock, who, "consult.book", who->patient_id, NULL, e);
    return rc;
  }
  return out != NULL ? consult_load(db, t.id, out) : 0;
}
