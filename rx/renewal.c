/* rx/renewal.c — renewal requests and their decisions. */
#include "rx/renewal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/prescription_internal.h"

struct rn_row {
  char id[LY_ID_MAX];
  char prescription_id[LY_ID_MAX];
  char patient_id[LY_ID_MAX];
  char doctor_id[LY_ID_MAX];
  char state[16];
};

static int rn_step(struct rx_ctx *cx, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int rn_load(struct rx_ctx *cx, const char *id, struct rn_row *r, struct ly_error *e) {
  static const char *sql =
      "SELECT prescription_id, patient_id, doctor_id, state FROM rx_renewals WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->prescription_id, sizeof r->prescription_id, "%s", ly_db_col_text(st, 0));
    snprintf(r->patient_id, sizeof r->patient_id, "%s", ly_db_col_text(st, 1));
    snprintf(r->doctor_id, sizeof r->doctor_id, "%s", ly_db_col_text(st, 2));
    snprintf(r->state, sizeof r->state, "%s", ly_db_col_text(st, 3));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return ly_error_set(e, LY_ENOTFOUND, "rx.renewal_not_found", "No such renewal request.",
                      "未找到该续方申请。");
}

/* Renewable: approved once (reviewed) and chronic by kind or by every drug. */
static int rn_renewable(struct rx_ctx *cx, const struct rx_rec *p, struct ly_error *e) {
  static const char *sql = "SELECT reviewed_at IS NOT NULL FROM prescriptions WHERE id = ?1";
  static const char *const issued[] = {"ready", "in_progress", "completed", "expired"};
  int ok_state = 0, chronic = strcmp(p->kind, "chronic") == 0 || strcmp(p->kind, "long_term") == 0;
  for (size_t i = 0; i < sizeof issued / sizeof issued[0]; i++)
    ok_state |= strcmp(p->state, issued[i]) == 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  int reviewed = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
  sqlite3_reset(st);
  if (!ok_state || !reviewed)
    return ly_error_set(e, LY_ESTATE, "rx.renewal_not_issued",
                        "Only a prescription that was issued can be renewed.",
                        "只有已审核通过的处方才能续方。");
  int all_chronic_use = p->nitems > 0;
  for (size_t i = 0; i < p->nitems; i++)
    all_chronic_use &= p->items[i].chronic_use;
  if (!chronic && !all_chronic_use)
    return ly_error_set(e, LY_EDENIED, "rx.renewal_not_chronic",
                        "Only prescriptions for chronic conditions can be renewed.",
                        "只有慢性病处方可以续方。");
  return 0;
}

static int rn_request_tx(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id,
                         const char *rx_id, const char *note, char id_out[LY_ID_MAX], struct rx_rec *p,
                         struct ly_error *e) {
  static const char *sql =
      "INSERT INTO rx_renewals (id, prescription_id, patient_id, doctor_id, state, patient_note, created_at) "
      "VALUES (?1, ?2, ?3, ?4, 'requested', ?5, ?6)";
  int rc = rx_load(cx, rx_id, p, e);
  if (rc == 0 && strcmp(p->patient_id, patient_id) != 0)
    rc = ly_error_set(e, LY_ENOTFOUND, "rx.not_found", "No such prescription.", "未找到该处方。");
  if (rc == 0) rc = rn_renewable(cx, p, e);
  if (rc == 0) rc = ly_id_new("ren", id_out, LY_ID_MAX);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id_out);
  ly_db_bind_text(st, 2, rx_id);
  ly_db_bind_text(st, 3, patient_id);
  ly_db_bind_text(st, 4, p->doctor_id);
  ly_db_bind_text(st, 5, note ? note : "");
  ly_db_bind_int(st, 6, ly_now_ms(cx->rec.clock));
  rc = rn_step(cx, st);
  if (rc == LY_EEXIST || rc == LY_ECONFLICT)
    return ly_error_set(e, LY_EEXIST, "rx.renewal_pending",
                        "A renewal of this prescription is already waiting.", "该处方已有待处理的续方申请。");
  if (rc == 0) rc = rx_notice(cx, p->doctor_id, "rx.renewal_requested", rx_id, id_out);
  if (rc == 0)
    rc = records_audit(&cx->rec, who, "rx.renewal_request", patient_id, "renewal", id_out, "ok", NULL);
  return rc;
}

int renewal_request(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id,
                    const char *prescription_id, const char *note, char id_out[LY_ID_MAX],
                    struct ly_error *e) {
  ly_error_clear(e);
  if (!records_is(who, "patient") || !patient_id)
    return ly_error_set(e, LY_EFORBIDDEN, "rx.patient_only", "Only the patient may ask for a renewal.",
                        "只有患者本人可以申请续方。");
  int rc = records_text_check(note, RX_NOTE_MAX, 0, "note", e);
  if (rc) return rc;
  struct rx_rec *p = malloc(sizeof *p);
  if (!p) return records_done(e, LY_ENOMEM);
  if ((rc = ly_db_begin(cx->rec.db)) == 0)
    rc = records_finish(cx->rec.db, rn_request_tx(cx, who, patient_id, prescription_id, note, id_out, p, e));
  free(p);
  return records_done(e, rc);
}

/* The request must be open and addressed to who. */
static int rn_mine_open(const struct records_actor *who, const struct rn_row *r, struct ly_error *e) {
  if (!records_is(who, "doctor") || strcmp(who->id, r->doctor_id) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "rx.renewal_not_yours",
                        "This renewal request is for another doctor.", "该续方申请属于其他医师。");
  if (strcmp(r->state, "requested") != 0) {
    ly_error_setf(e, LY_ESTATE, "rx.renewal_decided", "This renewal request is already %s.", r->state);
    if (e) snprintf(e->message_zh, sizeof e->message_zh, "该续方申请已处理（%s）。", r->state);
    return LY_ESTATE;
  }
  return 0;
}

static int rn_decide(struct rx_ctx *cx, const struct rn_row *r, const char *state, const char *reason,
                     const char *new_rx) {
  static const char *sql =
      "UPDATE rx_renewals SET state = ?2, decline_reason = ?3, new_prescription_id = ?4, decided_at = ?5 "
      "WHERE id = ?1 AND state = 'requested'";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, r->id);
  ly_db_bind_text(st, 2, state);
  ly_db_bind_text(st, 3, reason);
  ly_db_bind_text(st, 4, new_rx);
  ly_db_bind_int(st, 5, ly_now_ms(cx->rec.clock));
  int rc = rn_step(cx, st);
  if (rc == 0 && sqlite3_changes(ly_db_sqlite(cx->rec.db)) != 1) rc = LY_ECONFLICT;
  return rc;
}

/* The new prescription: the old content, no consultation, linked back. */
static void rn_copy(struct rx_rec *n, const struct rx_rec *old) {
  *n = *old;
  n->consultation_id[0] = '\0';
  n->guardian_name[0] = '\0'; /* nobody is present at a renewal: children under 6 need a consultation */
  snprintf(n->renewal_of, sizeof n->renewal_of, "%s", old->id);
  n->signed_at = n->valid_until = 0;
}

struct rn_job {
  struct rx_rec old, p;
  struct rules_result viol;
  json_t *result;
};

static int rn_approve_tx(struct rx_ctx *cx, const struct records_actor *who, const char *rid, const char *key,
                         struct rn_job *j, struct ly_error *e) {
  struct rn_row r;
  char account[LY_ID_MAX];
  int rc = rx_idem_find(cx, who, key, "renew", rid, &j->result, e);
  if (rc) return rc < 0 ? rc : 0;
  if ((rc = rn_load(cx, rid, &r, e)) || (rc = rn_mine_open(who, &r, e))) return rc;
  if ((rc = rx_load(cx, r.prescription_id, &j->old, e))) return rc;
  rn_copy(&j->p, &j->old);
  if ((rc = ly_id_new("rx", j->p.id, sizeof j->p.id)) || (rc = rx_insert(cx, &j->p))) return rc;
  if ((rc = records_audit(&cx->rec, who, "rx.create", j->p.patient_id, "prescription", j->p.id, "ok",
                          "renewal")))
    return rc;
  if ((rc = rx_sign_rec(cx, who, &j->p, &j->viol, e))) return rc;
  if ((rc = rn_decide(cx, &r, "approved", NULL, j->p.id))) return rc;
  if ((rc = rx_patient_account(cx, r.patient_id, account))) return rc;
  if ((rc = rx_notice(cx, account, "rx.renewal_approved", j->p.id, rid))) return rc;
  if ((rc = records_audit(&cx->rec, who, "rx.renewal_approve", r.patient_id, "renewal", rid, "ok", NULL)))
    return rc;
  j->result =
      json_pack("{s:s, s:s, s:o}", "renewal_id", rid, "state", "approved", "prescription", rx_result(&j->p));
  if (!j->result) return LY_ENOMEM;
  return rx_idem_store(cx, who, key, "renew", rid, j->result);
}

int renewal_approve(struct rx_ctx *cx, const struct records_actor *who, const char *renewal_id,
                    const char *idem_key, json_t **result, struct rules_result *viol, struct ly_error *e) {
  ly_error_clear(e);
  if (result) *result = NULL;
  struct rn_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, rn_approve_tx(cx, who, renewal_id, idem_key, j, e));
  if (viol) *viol = j->viol;
  if (rc == 0 && result)
    *result = j->result;
  else
    json_decref(j->result);
  free(j);
  return records_done(e, rc);
}

static int rn_decline_tx(struct rx_ctx *cx, const struct records_actor *who, const char *rid,
                         const char *reason, struct ly_error *e) {
  struct rn_row r;
  char account[LY_ID_MAX];
  int rc = rn_load(cx, rid, &r, e);
  if (rc == 0) rc = rn_mine_open(who, &r, e);
  if (rc == 0) rc = rn_decide(cx, &r, "declined", reason, NULL);
  if (rc == 0) rc = rx_patient_account(cx, r.patient_id, account);
  if (rc == 0) rc = rx_notice(cx, account, "rx.renewal_declined", r.prescription_id, rid);
  if (rc == 0)
    rc = records_audit(&cx->rec, who, "rx.renewal_decline", r.patient_id, "renewal", rid, "ok", NULL);
  return rc;
}

int renewal_decline(struct rx_ctx *cx, const struct records_actor *who, const char *renewal_id,
                    const char *reason, struct ly_error *e) {
  ly_error_clear(e);
  int rc = records_text_check(reason, RX_NOTE_MAX, 1, "reason", e);
  if (rc) return rc;
  if ((rc = ly_db_begin(cx->rec.db))) return records_done(e, rc);
  return records_done(e, records_finish(cx->rec.db, rn_decline_tx(cx, who, renewal_id, reason, e)));
}

static int rn_withdraw_tx(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id,
                          const char *rid, struct ly_error *e) {
  struct rn_row r;
  int rc = rn_load(cx, rid, &r, e);
  if (rc) return rc;
  if (!records_is(who, "patient") || !patient_id || strcmp(patient_id, r.patient_id) != 0)
    return ly_error_set(e, LY_ENOTFOUND, "rx.renewal_not_found", "No such renewal request.",
                        "未找到该续方申请。");
  if (strcmp(r.state, "requested") != 0)
    return ly_error_set(e, LY_ESTATE, "rx.renewal_decided", "This renewal request is already decided.",
                        "该续方申请已处理。");
  if ((rc = rn_decide(cx, &r, "withdrawn", NULL, NULL))) return rc;
  return records_audit(&cx->rec, who, "rx.renewal_withdraw", r.patient_id, "renewal", rid, "ok", NULL);
}

int renewal_withdraw(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id,
                     const char *renewal_id, struct ly_error *e) {
  ly_error_clear(e);
  int rc = ly_db_begin(cx->rec.db);
  if (rc) return records_done(e, rc);
  return records_done(e, records_finish(cx->rec.db, rn_withdraw_tx(cx, who, patient_id, renewal_id, e)));
}

static int rn_list_tx(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id,
                      int open_only, json_t *arr) {
  static const char *sql =
      "SELECT r.id, r.prescription_id, r.patient_id, pa.name, r.doctor_id, r.state, r.patient_note, "
      "r.decline_reason, "
      "r.new_prescription_id, r.created_at, r.decided_at FROM rx_renewals r JOIN patients pa ON pa.id = "
      "r.patient_id "
      "WHERE (?1 IS NULL OR r.doctor_id = ?1) AND (?2 IS NULL OR r.patient_id = ?2) AND (?3 = 0 OR r.state = "
      "'requested') ORDER BY r.created_at DESC, r.id LIMIT 200";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id ? NULL : who->id);
  ly_db_bind_text(st, 2, patient_id);
  ly_db_bind_int(st, 3, open_only);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *decided =
        sqlite3_column_type(st, 10) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 10));
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:o}", "id",
                       ly_db_col_text(st, 0), "prescription_id", ly_db_col_text(st, 1), "patient_id",
                       ly_db_col_text(st, 2), "patient_name", ly_db_col_text(st, 3), "doctor_id",
                       ly_db_col_text(st, 4), "state", ly_db_col_text(st, 5), "patient_note",
                       ly_db_col_text(st, 6), "decline_reason", (const char *)sqlite3_column_text(st, 7),
                       "new_prescription_id", (const char *)sqlite3_column_text(st, 8), "created_at",
                       (json_int_t)sqlite3_column_int64(st, 9), "decided_at", decided));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return records_audit(&cx->rec, who, "rx.renewal_list", patient_id, "renewals", NULL, "ok", NULL);
}

int renewal_list(struct rx_ctx *cx, const struct records_actor *who, const char *patient_id, int open_only,
                 json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!(records_is(who, "doctor") && !patient_id) && !(records_is(who, "patient") && patient_id))
    return ly_error_set(e, LY_EFORBIDDEN, "rx.not_allowed",
                        "Renewal requests are for their doctor and patient.",
                        "续方申请仅供相关医师和患者查看。");
  json_t *arr = json_array();
  if (!arr) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, rn_list_tx(cx, who, patient_id, open_only, arr));
  if (rc) {
    json_decref(arr);
    return records_done(e, rc);
  }
  *out = arr;
  return 0;
}
