/* signalling/consult.c — consultations in the database (see consult.h). */
#include "signalling/consult.h"

#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"

#define COLS                                                                                              \
  "SELECT c.id, c.patient_id, COALESCE(p.account_id, ''), p.name, p.name_en, c.doctor_id, a.name, "       \
  "a.name_en,"                                                                                            \
  " c.facility_id, COALESCE(c.department_id, ''), c.kind, c.icd10, COALESCE(c.offline_diagnosis_id, '')," \
  " COALESCE(c.end_reason, ''), COALESCE(c.guardian_name, ''), c.state, c.priority, c.booked_at,"         \
  " COALESCE(c.checked_in_at, 0), COALESCE(c.called_at, 0), COALESCE(c.started_at, 0),"                   \
  " COALESCE(c.ended_at, 0), c.updated_at"                                                                \
  " FROM consultations c JOIN patients p ON p.id = c.patient_id JOIN accounts a ON a.id = c.doctor_id"

static const char sql_load[] = COLS " WHERE c.id = ?1";

static const char sql_list[] = COLS
    " WHERE (?1 IS NULL OR c.patient_id = ?1) AND (?2 IS NULL OR c.doctor_id = ?2)"
    " AND (?3 IS NULL OR c.facility_id = ?3) AND (?4 IS NULL OR c.state = ?4) AND c.booked_at < ?5"
    " ORDER BY c.booked_at DESC, c.id DESC LIMIT ?6";

static const char sql_update[] =
    "UPDATE consultations SET state = ?2, updated_at = ?3, checked_in_at = COALESCE(?4, checked_in_at),"
    " called_at = COALESCE(?5, called_at), started_at = COALESCE(?6, started_at),"
    " ended_at = COALESCE(?7, ended_at), end_reason = COALESCE(?8, end_reason)"
    " WHERE id = ?1 AND state = ?9";

static const char sql_event[] =
    "INSERT INTO consultation_events (consultation_id, seq, at, actor_id, from_state, to_state, reason)"
    " VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM consultation_events WHERE consultation_id = ?1),"
    " ?2, ?3, ?4, ?5, ?6)";

static const char sql_events[] =
    "SELECT seq, at, actor_id, COALESCE(from_state, ''), to_state, COALESCE(reason, '')"
    " FROM consultation_events WHERE consultation_id = ?1 ORDER BY seq";

static const char sql_participant[] =
    "SELECT 1 FROM consultation_participants WHERE consultation_id = ?1 AND account_id = ?2";

static const char sql_live[] =
    "SELECT id, state FROM consultations WHERE state IN ('waiting', 'called', 'in_call') LIMIT 1";

static void copy(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src ? src : "");
}

static void read_row(sqlite3_stmt *st, struct consult_row *c) {
  memset(c, 0, sizeof(*c));
  copy(c->id, sizeof(c->id), ly_db_col_text(st, 0));
  copy(c->patient_id, sizeof(c->patient_id), ly_db_col_text(st, 1));
  copy(c->patient_account, sizeof(c->patient_account), ly_db_col_text(st, 2));
  copy(c->patient_name, sizeof(c->patient_name), ly_db_col_text(st, 3));
  copy(c->patient_name_en, sizeof(c->patient_name_en), ly_db_col_text(st, 4));
  copy(c->doctor_id, sizeof(c->doctor_id), ly_db_col_text(st, 5));
  copy(c->doctor_name, sizeof(c->doctor_name), ly_db_col_text(st, 6));
  copy(c->doctor_name_en, sizeof(c->doctor_name_en), ly_db_col_text(st, 7));
  copy(c->facility_id, sizeof(c->facility_id), ly_db_col_text(st, 8));
  copy(c->department_id, sizeof(c->department_id), ly_db_col_text(st, 9));
  copy(c->kind, sizeof(c->kind), ly_db_col_text(st, 10));
  copy(c->icd10, sizeof(c->icd10), ly_db_col_text(st, 11));
  copy(c->offline_diagnosis_id, sizeof(c->offline_diagnosis_id), ly_db_col_text(st, 12));
  copy(c->end_reason, sizeof(c->end_reason), ly_db_col_text(st, 13));
  copy(c->guardian_name, sizeof(c->guardian_name), ly_db_col_text(st, 14));
  if (lifecycle_state_parse(ly_db_col_text(st, 15), &c->state) != 0) c->state = LC_STATE_COUNT;
  c->priority = sqlite3_column_int(st, 16);
  c->booked_at = sqlite3_column_int64(st, 17);
  c->checked_in_at = sqlite3_column_int64(st, 18);
  c->called_at = sqlite3_column_int64(st, 19);
  c->started_at = sqlite3_column_int64(st, 20);
  c->ended_at = sqlite3_column_int64(st, 21);
  c->updated_at = sqlite3_column_int64(st, 22);
}

int consult_load(struct ly_db *db, const char *id, struct consult_row *out) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_load);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) read_row(st, out);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}

static int not_found(struct ly_error *e) {
  return ly_error_set(e, LY_ENOTFOUND, "consult.not_found", "No such consultation.", "没有这个问诊。");
}

static int not_participant(struct ly_error *e) {
  return ly_error_set(e, LY_EFORBIDDEN, "consult.not_participant",
                      "You are not a participant of this consultation.", "您不是这个问诊的参与者。");
}

static int is_role(const struct consult_actor *who, const char *role) {
  return strcmp(who->role, role) == 0;
}

static int participant(struct ly_db *db, const char *cid, const char *account) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_participant);
  if (st == NULL) return 0;
  ly_db_bind_text(st, 1, cid);
  ly_db_bind_text(st, 2, account);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_ROW;
}

int consult_access(struct ly_db *db, const struct consult_row *c, const struct consult_actor *who, int write,
                   struct ly_error *e) {
  if (is_role(who, "system")) return 0;
  if (is_role(who, "patient")) {
    if (who->patient_id != NULL && strcmp(who->patient_id, c->patient_id) == 0) return 0;
    return not_participant(e);
  }
  if (is_role(who, "doctor")) {
    if (strcmp(who->id, c->doctor_id) == 0) return 0;
    if (!write && participant(db, c->id, who->id)) return 0;
    return not_participant(e);
  }
  if (is_role(who, "supervisor") && !write) return 0;
  return not_participant(e);
}

static enum lc_actor actor_of(const struct consult_actor *who) {
  if (is_role(who, "system")) return LC_BY_SYSTEM;
  if (is_role(who, "doctor")) return LC_BY_DOCTOR;
  if (is_role(who, "patient")) return LC_BY_PATIENT;
  return 0;
}

/* --- audit ------------------------------------------------------------------ */

static int audit(struct ly_db *db, int64_t now, const struct consult_actor *who, const char *action,
                 const char *patient_id, const char *id, const char *outcome, const char *detail) {
  struct ly_audit_entry a = {
      .at_ms = now,
      .actor_id = who->id,
      .actor_role = who->role,
      .action = action,
      .patient_id = patient_id && patient_id[0] ? patient_id : NULL,
      .object_type = "consultation",
      .object_id = id,
      .outcome = outcome,
      .detail = detail,
  };
  return ly_audit_append(db, &a, NULL);
}

void consult_audit_refusal(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                           const char *action, const char *patient_id, const char *id,
                           const struct ly_error *e) {
  const char *outcome = e && e->code[0] ? e->code : "denied";
  if (ly_db_in_tx(db)) return; /* the caller's transaction is rolling back; it audits */
  if (ly_db_begin(db) != 0) return;
  if (audit(db, ly_now_ms(clock), who, action, patient_id, id, outcome, NULL) != 0) {
    ly_db_rollback(db);
    return;
  }
  ly_db_commit(db);
}

/* --- transitions ------------------------------------------------------------ */

struct tx_args {
  const struct consult_actor *who;
  const char *id;
  enum lc_event ev;
  const char *reason;
  int64_t now;
  struct consult_row row;
  struct ly_error *e;
};

static int illegal(struct ly_error *e, enum lc_event ev, enum lc_state from) {
  char en[sizeof(e->message)], zh[sizeof(e->message_zh)];
  const char *to = lifecycle_state_name(lifecycle_rule(ev)->to);
  snprintf(en, sizeof(en), "A consultation that is %s cannot go to %s (%s).", lifecycle_state_name(from), to,
           lifecycle_event_name(ev));
  snprintf(zh, sizeof(zh), "问诊当前状态为 %s，不能执行 %s（→ %s）。", lifecycle_state_name(from),
           lifecycle_event_name(ev), to);
  return ly_error_set(e, LY_ESTATE, "consult.illegal_transition", en, zh);
}

static int bind_stamp(sqlite3_stmt *st, const struct lc_rule *r, enum lc_stamp which, int idx, int64_t now) {
  return r->stamp == which ? ly_db_bind_int(st, idx, now) : sqlite3_bind_null(st, idx);
}

static int write_change(struct ly_db *db, struct tx_args *t, enum lc_state to) {
  const struct lc_rule *r = lifecycle_rule(t->ev);
  const char *reason = r->stamp == LC_STAMP_ENDED ? (t->reason ? t->reason : r->name) : NULL;
  sqlite3_stmt *st = ly_db_stmt(db, sql_update);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, t->id);
  ly_db_bind_text(st, 2, lifecycle_state_name(to));
  ly_db_bind_int(st, 3, t->now);
  bind_stamp(st, r, LC_STAMP_CHECKED_IN, 4, t->now);
  bind_stamp(st, r, LC_STAMP_CALLED, 5, t->now);
  bind_stamp(st, r, LC_STAMP_STARTED, 6, t->now);
  bind_stamp(st, r, LC_STAMP_ENDED, 7, t->now);
  ly_db_bind_text(st, 8, reason);
  ly_db_bind_text(st, 9, lifecycle_state_name(t->row.state));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(db, rc);
  if (sqlite3_changes(ly_db_sqlite(db)) != 1) return LY_ECONFLICT;

  st = ly_db_stmt(db, sql_event);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, t->id);
  ly_db_bind_int(st, 2, t->now);
  ly_db_bind_text(st, 3, t->who->id);
  ly_db_bind_text(st, 4, lifecycle_state_name(t->row.state));
  ly_db_bind_text(st, 5, lifecycle_state_name(to));
  ly_db_bind_text(st, 6, t->reason);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int transition_fn(struct ly_db *db, void *ud) {
  struct tx_args *t = ud;
  enum lc_state to;
  char action[48], detail[300];

  int rc = consult_load(db, t->id, &t->row);
  if (rc == LY_ENOTFOUND) return not_found(t->e);
  if (rc != 0) return rc;
  if ((rc = consult_access(db, &t->row, t->who, 1, t->e)) != 0) return rc;
  rc = lifecycle_step(t->row.state, t->ev, actor_of(t->who), &to);
  if (rc == LY_ESTATE) return illegal(t->e, t->ev, t->row.state);
  if (rc == LY_EFORBIDDEN)
    return ly_error_set(t->e, LY_EFORBIDDEN, "consult.not_allowed",
                        "Your role may not do this to a consultation.", "您的角色不能对问诊执行此操作。");
  if (rc != 0) return rc;
  if ((rc = write_change(db, t, to)) != 0) return rc;
  snprintf(action, sizeof(action), "consult.%s", lifecycle_event_name(t->ev));
  snprintf(detail, sizeof(detail), "%s->%s%s%s", lifecycle_state_name(t->row.state), lifecycle_state_name(to),
           t->reason ? " reason=" : "", t->reason ? t->reason : "");
  return audit(db, t->now, t->who, action, t->row.patient_id, t->id, "ok", detail);
}

int consult_transition(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                       const char *id, enum lc_event ev, const char *reason, struct consult_row *out,
                       struct ly_error *e) {
  struct tx_args t = {.who = who, .id = id, .ev = ev, .reason = reason, .now = ly_now_ms(clock), .e = e};

  if (lifecycle_rule(ev) == NULL) return ly_error_set(e, LY_EINVAL, NULL, NULL, NULL);
  if (reason != NULL && strlen(reason) > CONSULT_REASON_MAX)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "The reason is too long (at most 200 bytes).",
                        "原因过长（最多 200 字节）。");
  if (e != NULL) e->err = 0;
  int rc = ly_db_tx(db, transition_fn, &t);
  if (rc != 0) {
    if (e != NULL && e->err == 0) ly_error_set(e, rc, NULL, NULL, NULL);
    if (rc == LY_ESTATE || rc == LY_EFORBIDDEN) {
      char action[48];
      snprintf(action, sizeof(action), "consult.%s", lifecycle_event_name(ev));
      consult_audit_refusal(db, clock, who, action, t.row.patient_id, id, e);
    }
    return rc;
  }
  if (out != NULL) consult_load(db, id, out);
  return 0;
}

/* --- views ------------------------------------------------------------------ */

static json_t *time_or_null(int64_t ms) {
  return ms ? json_integer(ms) : json_null();
}

static json_t *str_or_null(const char *s) {
  return s[0] ? json_string(s) : json_null();
}

json_t *consult_json(const struct consult_row *c) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(c->id));
  json_object_set_new(o, "state", json_string(lifecycle_state_name(c->state)));
  json_object_set_new(o, "kind", json_string(c->kind));
  json_object_set_new(o, "icd10", json_string(c->icd10));
  json_object_set_new(o, "priority", json_integer(c->priority));
  json_object_set_new(o, "patient",
                      json_pack("{s:s, s:s, s:s}", "id", c->patient_id, "name", c->patient_name, "name_en",
                                c->patient_name_en));
  json_object_set_new(
      o, "doctor",
      json_pack("{s:s, s:s, s:s}", "id", c->doctor_id, "name", c->doctor_name, "name_en", c->doctor_name_en));
  json_object_set_new(o, "facility_id", json_string(c->facility_id));
  json_object_set_new(o, "department_id", str_or_null(c->department_id));
  json_object_set_new(o, "offline_diagnosis_id", str_or_null(c->offline_diagnosis_id));
  json_object_set_new(o, "booked_at", json_integer(c->booked_at));
  json_object_set_new(o, "checked_in_at", time_or_null(c->checked_in_at));
  json_object_set_new(o, "called_at", time_or_null(c->called_at));
  json_object_set_new(o, "started_at", time_or_null(c->started_at));
  json_object_set_new(o, "ended_at", time_or_null(c->ended_at));
  json_object_set_new(o, "end_reason", str_or_null(c->end_reason));
  json_object_set_new(o, "guardian_name", str_or_null(c->guardian_name));
  return o;
}

static json_t *events_json(struct ly_db *db, const char *id) {
  json_t *arr = json_array();
  sqlite3_stmt *st = ly_db_stmt(db, sql_events);
  if (st == NULL) return arr;
  ly_db_bind_text(st, 1, id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    json_t *ev = json_pack("{s:I, s:I, s:s, s:o, s:s, s:o}", "seq", (json_int_t)sqlite3_column_int64(st, 0),
                           "at", (json_int_t)sqlite3_column_int64(st, 1), "actor_id", ly_db_col_text(st, 2),
                           "from", str_or_null(ly_db_col_text(st, 3)), "to", ly_db_col_text(st, 4), "reason",
                           str_or_null(ly_db_col_text(st, 5)));
    json_array_append_new(arr, ev);
  }
  sqlite3_reset(st);
  return arr;
}

static int audit_read(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                      const char *patient_id, const char *id) {
  int rc = ly_db_begin(db);
  if (rc != 0) return rc;
  rc = audit(db, ly_now_ms(clock), who, "consult.read", patient_id, id, "ok", NULL);
  if (rc != 0) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

int consult_get(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                const char *id, json_t **out, struct ly_error *e) {
  struct consult_row c;
  int rc = consult_load(db, id, &c);
  if (rc == LY_ENOTFOUND) return not_found(e);
  if (rc != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  if ((rc = consult_access(db, &c, who, 0, e)) != 0) {
    consult_audit_refusal(db, clock, who, "consult.read", c.patient_id, id, e);
    return rc;
  }
  if ((rc = audit_read(db, clock, who, c.patient_id, id)) != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  *out = consult_json(&c);
  json_object_set_new(*out, "events", events_json(db, id));
  return 0;
}

/* Bind the list filters after forcing what the role allows. */
static int list_bind(sqlite3_stmt *st, const struct consult_actor *who, const struct consult_filter *f,
                     struct ly_error *e) {
  const char *patient = f->patient_id, *doctor = f->doctor_id, *facility = f->facility_id;

  if (is_role(who, "patient")) {
    patient = who->patient_id;
    doctor = f->doctor_id;
  } else if (is_role(who, "doctor")) {
    doctor = who->id;
  } else if (!is_role(who, "supervisor") && !is_role(who, "system")) {
    return ly_error_set(e, LY_EFORBIDDEN, "auth.forbidden", "Your role may not list consultations.",
                        "您的角色无权查看问诊列表。");
  }
  if (is_role(who, "patient") && (patient == NULL || patient[0] == '\0'))
    return ly_error_set(e, LY_EFORBIDDEN, "auth.forbidden", "No patient record for this account.",
                        "此账号没有对应的患者档案。");
  ly_db_bind_text(st, 1, patient);
  ly_db_bind_text(st, 2, doctor);
  ly_db_bind_text(st, 3, facility);
  ly_db_bind_text(st, 4, f->state);
  ly_db_bind_int(st, 5, f->before > 0 ? f->before : INT64_MAX);
  ly_db_bind_int(st, 6, f->limit > 0 && f->limit <= 100 ? f->limit : 20);
  return 0;
}

/* Audit one read per distinct patient among the listed consultations. */
static int audit_list(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                      json_t *items) {
  size_t i, j;
  json_t *it, *prev;
  int rc = ly_db_begin(db);
  if (rc != 0) return rc;
  json_array_foreach(items, i, it) {
    const char *pid = json_string_value(json_object_get(json_object_get(it, "patient"), "id"));
    int seen = 0;
    for (j = 0; j < i && !seen; j++) {
      prev = json_array_get(items, j);
      seen = strcmp(pid, json_string_value(json_object_get(json_object_get(prev, "patient"), "id"))) == 0;
    }
    if (!seen && (rc = audit(db, ly_now_ms(clock), who, "consult.list", pid, NULL, "ok", NULL)) != 0) break;
  }
  if (rc != 0) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

int consult_list(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                 const struct consult_filter *f, json_t **out, struct ly_error *e) {
  struct consult_row c;
  enum lc_state probe;

  if (f->state != NULL && lifecycle_state_parse(f->state, &probe) != 0)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "Unknown consultation state.",
                        "未知的问诊状态。");
  sqlite3_stmt *st = ly_db_stmt(db, sql_list);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  int rc = list_bind(st, who, f, e);
  if (rc != 0) {
    sqlite3_reset(st);
    return rc;
  }
  json_t *items = json_array();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    read_row(st, &c);
    json_array_append_new(items, consult_json(&c));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    json_decref(items);
    return ly_error_set(e, ly_db_rc(db, rc), NULL, NULL, NULL);
  }
  if ((rc = audit_list(db, clock, who, items)) != 0) {
    json_decref(items);
    return ly_error_set(e, rc, NULL, NULL, NULL);
  }
  *out = items;
  return 0;
}

int consult_normalise(struct ly_db *db, const struct ly_clock *clock, const char *reason, int *changed) {
  static const struct consult_actor sys = {.id = "system", .role = "system"};
  char id[LY_ID_MAX], state[16];
  struct ly_error e;

  *changed = 0;
  for (int guard = 0; guard < 100000; guard++) {
    sqlite3_stmt *st = ly_db_stmt(db, sql_live);
    if (st == NULL) return LY_EDB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      copy(id, sizeof(id), ly_db_col_text(st, 0));
      copy(state, sizeof(state), ly_db_col_text(st, 1));
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return ly_db_rc(db, rc);
    enum lc_event ev = strcmp(state, "in_call") == 0 ? LC_END : LC_RESET;
    ly_error_clear(&e);
    rc = consult_transition(db, clock, &sys, id, ev, reason, NULL, &e);
    if (rc != 0) return rc;
    (*changed)++;
  }
  return 0;
}
