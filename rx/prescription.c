/* rx/prescription.c — the transition table, loading, drafts (create, update,
 * check) and cancellation. Signing is in prescription_sign.c, review and
 * expiry in prescription_review.c, views in prescription_view.c. */
#include "rx/prescription.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/prescription_internal.h"

/* Who may make a transition. */
#define RX_BY_PRESCRIBER 1u /* the prescribing doctor */
#define RX_BY_PHARMACIST 2u /* a reviewing pharmacist (eligibility is a rule) */
#define RX_BY_SYSTEM     4u /* jobs */
#define RX_BY_PHARMACY   8u /* pharmacy staff holding the claim (pharmacy dispatch) */

struct rx_transition {
  const char *action;
  const char *from;
  const char *to;
  unsigned by;
};

/* DESIGN §4. Pharmacy dispatch adds its checks around claim/release/complete. */
static const struct rx_transition rx_transitions[] = {
    {"sign", "draft", "pending_review", RX_BY_PRESCRIBER},
    {"sign", "returned", "pending_review", RX_BY_PRESCRIBER},
    {"approve", "pending_review", "ready", RX_BY_PHARMACIST},
    {"reject", "pending_review", "returned", RX_BY_PHARMACIST},
    {"cancel", "draft", "cancelled", RX_BY_PRESCRIBER},
    {"cancel", "pending_review", "cancelled", RX_BY_PRESCRIBER},
    {"cancel", "returned", "cancelled", RX_BY_PRESCRIBER},
    {"cancel", "ready", "cancelled", RX_BY_PRESCRIBER},
    {"expire", "pending_review", "expired", RX_BY_SYSTEM},
    {"expire", "returned", "expired", RX_BY_SYSTEM},
    {"expire", "ready", "expired", RX_BY_SYSTEM},
    {"claim", "ready", "in_progress", RX_BY_PHARMACY},
    {"release", "in_progress", "ready", RX_BY_PHARMACY},
    {"complete", "in_progress", "completed", RX_BY_PHARMACY},
};

static unsigned rx_actor_kind(const struct records_actor *who, const struct rx_rec *p) {
  if (records_is(who, "doctor")) return strcmp(who->id, p->doctor_id) == 0 ? RX_BY_PRESCRIBER : 0;
  if (records_is(who, "pharmacist")) return RX_BY_PHARMACIST;
  if (records_is(who, "system")) return RX_BY_SYSTEM;
  if (records_is(who, "pharmacy_staff")) return RX_BY_PHARMACY;
  return 0;
}

static int rx_illegal(struct ly_error *e, const char *state, const char *action) {
  ly_error_setf(e, LY_ESTATE, "rx.illegal_transition", "A prescription that is %s cannot be %s now.", state,
                action);
  if (e)
    snprintf(e->message_zh, sizeof e->message_zh, "处方当前状态为 %s，不能执行此操作（%s）。", state, action);
  return LY_ESTATE;
}

int rx_event(struct rx_ctx *cx, const struct records_actor *who, const char *id, const char *action,
             const char *from, const char *to, const char *reason, int64_t now) {
  static const char *sql =
      "INSERT INTO prescription_events (prescription_id, seq, at, actor_id, action, from_state, to_state, "
      "reason) "
      "VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM prescription_events WHERE prescription_id = ?1), "
      "?2, ?3, "
      "?4, ?5, ?6, ?7)";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_int(st, 2, now);
  ly_db_bind_text(st, 3, who->id);
  ly_db_bind_text(st, 4, action);
  ly_db_bind_text(st, 5, from);
  ly_db_bind_text(st, 6, to);
  ly_db_bind_text(st, 7, reason);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static const struct rx_transition *rx_find(const char *action, const char *from) {
  for (size_t i = 0; i < sizeof rx_transitions / sizeof rx_transitions[0]; i++)
    if (strcmp(rx_transitions[i].action, action) == 0 && strcmp(rx_transitions[i].from, from) == 0)
      return &rx_transitions[i];
  return NULL;
}

int prescription_can_move(const struct rx_rec *p, const char *action, struct ly_error *e) {
  return rx_find(action, p->state) ? 0 : rx_illegal(e, p->state, action);
}

int prescription_move(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p,
                      const char *action, const char *reason, struct ly_error *e) {
  static const char *sql =
      "UPDATE prescriptions SET state = ?3, updated_at = ?4 WHERE id = ?1 AND state = ?2";
  const struct rx_transition *t = rx_find(action, p->state);
  if (!t) return rx_illegal(e, p->state, action);
  if (!(rx_actor_kind(who, p) & t->by))
    return ly_error_set(e, LY_EFORBIDDEN, "rx.not_allowed", "You may not do this to this prescription.",
                        "您无权对该处方进行此操作。");
  int64_t now = ly_now_ms(cx->rec.clock);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  ly_db_bind_text(st, 2, t->from);
  ly_db_bind_text(st, 3, t->to);
  ly_db_bind_int(st, 4, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if (sqlite3_changes(ly_db_sqlite(cx->rec.db)) != 1) return rx_illegal(e, "changed meanwhile", action);
  if ((rc = rx_event(cx, who, p->id, action, t->from, t->to, reason, now))) return rc;
  snprintf(p->state, sizeof p->state, "%s", t->to);
  char act[32];
  snprintf(act, sizeof act, "rx.%s", action);
  return records_audit(&cx->rec, who, act, p->patient_id, "prescription", p->id, "ok", NULL);
}

/* ---- loading ---------------------------------------------------------------- */

static void rx_col(sqlite3_stmt *st, int col, char *out, size_t outsz) {
  snprintf(out, outsz, "%s", ly_db_col_text(st, col));
}

static void rx_drug_facts(sqlite3_stmt *st, int c, struct rx_item *it) {
  it->known = 1;
  if (rules_controlled_parse(ly_db_col_text(st, c), &it->controlled)) it->controlled = RULES_CTRL_NARCOTIC;
  it->antimicrobial = sqlite3_column_int(st, c + 1);
  it->chronic_use = sqlite3_column_int(st, c + 2);
  it->pack_size = sqlite3_column_int64(st, c + 3);
  it->default_daily_milli = llround(sqlite3_column_double(st, c + 4) * 1000.0);
  rx_col(st, c + 5, it->generic_name, sizeof it->generic_name);
  rx_col(st, c + 6, it->generic_en, sizeof it->generic_en);
  rx_col(st, c + 7, it->strength, sizeof it->strength);
  rx_col(st, c + 8, it->form, sizeof it->form);
  rx_col(st, c + 9, it->unit, sizeof it->unit);
}

#define RX_DRUG_COLS                                                                                   \
  "d.controlled, d.antimicrobial, d.chronic_use, d.pack_size, d.default_daily_units, d.generic_name, " \
  "d.generic_en, "                                                                                     \
  "d.strength, d.form, d.unit"

static int rx_load_items(struct rx_ctx *cx, struct rx_rec *p) {
  static const char *sql = "SELECT i.drug_id, i.quantity, i.days, i.daily_milli, i.dose, " RX_DRUG_COLS
                           " FROM prescription_items i JOIN drugs d ON d.id = i.drug_id "
                           "WHERE i.prescription_id = ?1 ORDER BY i.line";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  int rc;
  p->nitems = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && p->nitems < RX_MAX_ITEMS) {
    struct rx_item *it = &p->items[p->nitems++];
    memset(it, 0, sizeof *it);
    rx_col(st, 0, it->drug_id, sizeof it->drug_id);
    it->quantity = sqlite3_column_int64(st, 1);
    it->days = sqlite3_column_int64(st, 2);
    it->daily_milli = sqlite3_column_int64(st, 3);
    rx_col(st, 4, it->dose, sizeof it->dose);
    rx_drug_facts(st, 5, it);
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

static void rx_row(sqlite3_stmt *st, struct rx_rec *p) {
  rx_col(st, 0, p->id, sizeof p->id);
  rx_col(st, 1, p->patient_id, sizeof p->patient_id);
  rx_col(st, 2, p->doctor_id, sizeof p->doctor_id);
  rx_col(st, 3, p->facility_id, sizeof p->facility_id);
  rx_col(st, 4, p->consultation_id, sizeof p->consultation_id);
  rx_col(st, 5, p->renewal_of, sizeof p->renewal_of);
  p->online = sqlite3_column_int(st, 6);
  rx_col(st, 7, p->icd10, sizeof p->icd10);
  rx_col(st, 8, p->kind, sizeof p->kind);
  rx_col(st, 9, p->chronic_reason, sizeof p->chronic_reason);
  rx_col(st, 10, p->assessment, sizeof p->assessment);
  p->patient_consent = sqlite3_column_int(st, 11);
  p->validity_days = sqlite3_column_int(st, 12);
  rx_col(st, 13, p->guardian_name, sizeof p->guardian_name);
  rx_col(st, 14, p->note, sizeof p->note);
  rx_col(st, 15, p->state, sizeof p->state);
  p->revision = sqlite3_column_int64(st, 16);
  p->created_at = sqlite3_column_int64(st, 17);
  p->signed_at = sqlite3_column_int64(st, 18);
  p->valid_until = sqlite3_column_int64(st, 19);
}

int rx_load(struct rx_ctx *cx, const char *id, struct rx_rec *p, struct ly_error *e) {
  static const char *sql =
      "SELECT id, patient_id, doctor_id, facility_id, consultation_id, renewal_of, online, icd10, kind, "
      "chronic_reason, assessment, patient_consent, validity_days, guardian_name, note, state, revision, "
      "created_at, "
      "signed_at, valid_until FROM prescriptions WHERE id = ?1";
  memset(p, 0, sizeof *p);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) rx_row(st, p);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "rx.not_found", "No such prescription.", "未找到该处方。");
  if (rc != SQLITE_ROW) return ly_db_rc(cx->rec.db, rc);
  return rx_load_items(cx, p);
}

/* ---- drafts from input ---------------------------------------------------------- */

static int rx_copy(char *dst, size_t dstsz, const char *src, size_t max, const char *field,
                   struct ly_error *e) {
  int rc = records_text_check(src, max, 0, field, e);
  if (rc) return rc;
  snprintf(dst, dstsz, "%s", src ? src : "");
  return 0;
}

static int rx_item_from_input(struct rx_ctx *cx, const struct prescription_item_in *in, struct rx_item *it) {
  static const char *sql = "SELECT " RX_DRUG_COLS " FROM drugs d WHERE d.id = ?1";
  memset(it, 0, sizeof *it);
  snprintf(it->drug_id, sizeof it->drug_id, "%s", in->drug_id ? in->drug_id : "");
  it->quantity = in->quantity;
  it->days = in->days;
  it->daily_milli = in->daily_milli;
  /* an over-long dose is cut to one byte over the limit, which the rule names */
  snprintf(it->dose, RX_DOSE_MAX + 2, "%s", in->dose ? in->dose : "");
  if (!in->drug_id || strlen(in->drug_id) >= sizeof it->drug_id) return 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, in->drug_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) rx_drug_facts(st, 0, it);
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int rx_too_many(struct ly_error *e) {
  const struct rules_rule *r = rules_find("rx.too_many_items");
  ly_error_set(e, LY_EDENIED, r->code, r->en, r->zh);
  if (e) snprintf(e->field, sizeof e->field, "items");
  return LY_EDENIED;
}

int rx_from_input(struct rx_ctx *cx, const struct prescription_in *in, struct rx_rec *p, struct ly_error *e) {
  enum rules_kind k;
  int rc;
  if (!in->kind || rules_kind_parse(in->kind, &k))
    return ly_error_set(e, LY_EINVAL, "rx.kind_invalid",
                        "The kind must be normal, acute, chronic or long_term.",
                        "处方类型须为普通、急诊、慢性病或长期处方。");
  if (in->nitems > RX_MAX_ITEMS) return rx_too_many(e);
  if ((rc = rx_copy(p->icd10, sizeof p->icd10, in->icd10, sizeof p->icd10 - 1, "icd10", e))) return rc;
  snprintf(p->kind, sizeof p->kind, "%s", in->kind);
  if ((rc = rx_copy(p->chronic_reason, sizeof p->chronic_reason, in->chronic_reason, RX_TEXT_MAX,
                    "chronic_reason", e)))
    return rc;
  if ((rc = rx_copy(p->assessment, sizeof p->assessment, in->assessment, RX_ASSESSMENT_MAX, "assessment", e)))
    return rc;
  if ((rc = rx_copy(p->note, sizeof p->note, in->note, RX_NOTE_MAX, "note", e))) return rc;
  if ((rc = rx_copy(p->guardian_name, sizeof p->guardian_name, in->guardian_name, 64, "guardian_name", e)))
    return rc;
  p->patient_consent = in->patient_consent ? 1 : 0;
  p->validity_days = in->validity_days == 0 ? 1 : in->validity_days;
  p->online = 1;
  p->nitems = in->nitems;
  for (size_t i = 0; i < in->nitems; i++)
    if ((rc = rx_item_from_input(cx, &in->items[i], &p->items[i]))) return rc;
  return 0;
}

static int rx_items_insert(struct rx_ctx *cx, const struct rx_rec *p) {
  static const char *sql_del = "DELETE FROM prescription_items WHERE prescription_id = ?1";
  static const char *sql_ins =
      "INSERT INTO prescription_items (prescription_id, line, drug_id, quantity, days, daily_milli, dose) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql_del);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  for (size_t i = 0; i < p->nitems; i++) {
    const struct rx_item *it = &p->items[i];
    if (!(st = ly_db_stmt(cx->rec.db, sql_ins))) return LY_EDB;
    ly_db_bind_text(st, 1, p->id);
    ly_db_bind_int(st, 2, (int64_t)i + 1);
    ly_db_bind_text(st, 3, it->drug_id);
    ly_db_bind_int(st, 4, it->quantity);
    ly_db_bind_int(st, 5, it->days);
    ly_db_bind_int(st, 6, it->daily_milli);
    ly_db_bind_text(st, 7, it->dose);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  }
  return 0;
}

static int rx_any_controlled(const struct rx_rec *p) {
  for (size_t i = 0; i < p->nitems; i++)
    if (p->items[i].controlled != RULES_CTRL_NONE) return 1;
  return 0;
}

static void rx_bind_content(sqlite3_stmt *st, const struct rx_rec *p) {
  ly_db_bind_text(st, 2, p->icd10);
  ly_db_bind_text(st, 3, p->kind);
  ly_db_bind_text(st, 4, p->chronic_reason);
  ly_db_bind_text(st, 5, p->assessment);
  ly_db_bind_int(st, 6, p->patient_consent);
  ly_db_bind_int(st, 7, p->validity_days);
  ly_db_bind_text(st, 8, p->guardian_name);
  ly_db_bind_text(st, 9, p->note);
  ly_db_bind_int(st, 10, rx_any_controlled(p));
}

int rx_insert(struct rx_ctx *cx, struct rx_rec *p) {
  static const char *sql =
      "INSERT INTO prescriptions (id, icd10, kind, chronic_reason, assessment, patient_consent, "
      "validity_days, "
      "guardian_name, note, controlled, patient_id, doctor_id, facility_id, consultation_id, renewal_of, "
      "online, state, "
      "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
      "?16, 'draft', "
      "?17, ?17)";
  p->created_at = ly_now_ms(cx->rec.clock);
  snprintf(p->state, sizeof p->state, "draft");
  p->revision = 1;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  rx_bind_content(st, p);
  ly_db_bind_text(st, 11, p->patient_id);
  ly_db_bind_text(st, 12, p->doctor_id);
  ly_db_bind_text(st, 13, p->facility_id);
  ly_db_bind_text(st, 14, p->consultation_id[0] ? p->consultation_id : NULL);
  ly_db_bind_text(st, 15, p->renewal_of[0] ? p->renewal_of : NULL);
  ly_db_bind_int(st, 16, p->online);
  ly_db_bind_int(st, 17, p->created_at);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if ((rc = rx_items_insert(cx, p))) return rc;
  struct records_actor doc = {p->doctor_id, "doctor", NULL};
  return rx_event(cx, &doc, p->id, "create", NULL, "draft", NULL, p->created_at);
}

int rx_update_content(struct rx_ctx *cx, const struct records_actor *who, struct rx_rec *p) {
  static const char *sql =
      "UPDATE prescriptions SET icd10 = ?2, kind = ?3, chronic_reason = ?4, assessment = ?5, patient_consent "
      "= ?6, "
      "validity_days = ?7, guardian_name = ?8, note = ?9, controlled = ?10, revision = revision + 1, "
      "updated_at = ?11, "
      "document = NULL, signature = NULL, sign_pub = NULL WHERE id = ?1 AND state IN ('draft', 'returned')";
  int64_t now = ly_now_ms(cx->rec.clock);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  rx_bind_content(st, p);
  ly_db_bind_int(st, 11, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if (sqlite3_changes(ly_db_sqlite(cx->rec.db)) != 1) return LY_ECONFLICT;
  p->revision++;
  if ((rc = rx_items_insert(cx, p))) return rc;
  return rx_event(cx, who, p->id, "edit", p->state, p->state, NULL, now);
}
