/* rx/dispatch.c — the patient's choice of pharmacy, and the job that lets
 * unclaimed dispatches lapse. The views (status, queue) are in
 * dispatch_view.c. */
#include "rx/dispatch.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/pharmacy_internal.h"

#define DP_DEADLINE_MAX_MS (7LL * 86400 * 1000)

struct dp_job {
  struct rx_rec p;
  char open_id[LY_ID_MAX], open_pharmacy[LY_ID_MAX], open_mode[16];
  char subdistrict[LY_ID_MAX];
  char address[DISPATCH_ADDRESS_MAX * 2 + 1];
  int delivers, in_area;
};

static int dp_input(const struct dispatch_in *in, struct ly_error *e) {
  if (!in->mode || (strcmp(in->mode, "pickup") && strcmp(in->mode, "delivery")))
    return ly_error_set(e, LY_EINVAL, "rx.mode_invalid", "Choose pickup or delivery.",
                        "请选择到店自取或配送。");
  if (!in->pharmacy_id || !in->pharmacy_id[0] || strnlen(in->pharmacy_id, LY_ID_MAX) >= LY_ID_MAX)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "Choose a pharmacy.", "请选择药店。");
  if (in->deadline_ms < 0 || in->deadline_ms > DP_DEADLINE_MAX_MS)
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "The claim deadline is out of range.",
                        "接单时限超出范围。");
  return records_text_check(in->address, DISPATCH_ADDRESS_MAX, 0, "address", e);
}

static int dp_pharmacy_unknown(struct ly_error *e) {
  return ly_error_set(e, LY_ENOTFOUND, "rx.pharmacy_not_found", "No such pharmacy.", "未找到该药店。");
}

/* Whether the pharmacy delivers to the patient's subdistrict, and the patient's address. */
static int dp_pharmacy(struct rx_ctx *cx, const char *pharmacy_id, struct dp_job *j, struct ly_error *e) {
  static const char *sql =
      "SELECT ph.delivers, EXISTS (SELECT 1 FROM pharmacy_delivery_areas a WHERE a.pharmacy_id = ph.id AND "
      "a.subdistrict_id = pa.subdistrict_id), pa.subdistrict_id, pa.address FROM pharmacies ph, patients pa "
      "WHERE ph.id = ?1 AND pa.id = ?2";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, pharmacy_id);
  ly_db_bind_text(st, 2, j->p.patient_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    j->delivers = sqlite3_column_int(st, 0);
    j->in_area = sqlite3_column_int(st, 1);
    snprintf(j->subdistrict, sizeof j->subdistrict, "%s", ly_db_col_text(st, 2));
    snprintf(j->address, sizeof j->address, "%s", ly_db_col_text(st, 3));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return dp_pharmacy_unknown(e);
  return rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* Pickup needs every item in the prescribed quantity. */
static int dp_stock(struct rx_ctx *cx, const char *pharmacy_id, const struct rx_rec *p, struct ly_error *e) {
  static const char *sql =
      "SELECT coalesce((SELECT quantity FROM pharmacy_stock WHERE pharmacy_id = ?1 AND drug_id = ?2), 0) >= "
      "?3";
  for (size_t i = 0; i < p->nitems; i++) {
    sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, pharmacy_id);
    ly_db_bind_text(st, 2, p->items[i].drug_id);
    ly_db_bind_int(st, 3, p->items[i].quantity);
    int rc = sqlite3_step(st), ok = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) return ly_db_rc(cx->rec.db, rc);
    if (!ok) {
      ly_error_set(e, LY_EDENIED, "rx.pharmacy_lacks_stock",
                   "This pharmacy does not have every item in stock.", "该药店库存不足，无法备齐全部药品。");
      if (e) snprintf(e->field, sizeof e->field, "items[%zu]", i);
      return LY_EDENIED;
    }
  }
  return 0;
}

static int dp_open(struct rx_ctx *cx, struct dp_job *j) {
  static const char *sql =
      "SELECT id, pharmacy_id, mode FROM rx_dispatches WHERE prescription_id = ?1 AND state = 'open'";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, j->p.id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(j->open_id, sizeof j->open_id, "%s", ly_db_col_text(st, 0));
    snprintf(j->open_pharmacy, sizeof j->open_pharmacy, "%s", ly_db_col_text(st, 1));
    snprintf(j->open_mode, sizeof j->open_mode, "%s", ly_db_col_text(st, 2));
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int dp_close(struct rx_ctx *cx, const char *dispatch_id, const char *state, int64_t now) {
  static const char *sql =
      "UPDATE rx_dispatches SET state = ?2, closed_at = ?3 WHERE id = ?1 AND state = 'open'";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, dispatch_id);
  ly_db_bind_text(st, 2, state);
  ly_db_bind_int(st, 3, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int dp_insert(struct rx_ctx *cx, const struct records_actor *who, const struct dispatch_in *in,
                     struct dp_job *j, struct dispatch_out *out, int64_t now) {
  static const char *sql =
      "INSERT INTO rx_dispatches (id, prescription_id, pharmacy_id, mode, state, chosen_by, address, "
      "created_at, "
      "deadline_at) VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?8)";
  int delivery = strcmp(in->mode, "delivery") == 0;
  int64_t deadline = in->deadline_ms > 0 ? in->deadline_ms : DISPATCH_DEADLINE_DEFAULT_MS;
  int rc = ly_id_new("dsp", out->dispatch_id, sizeof out->dispatch_id);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, out->dispatch_id);
  ly_db_bind_text(st, 2, j->p.id);
  ly_db_bind_text(st, 3, in->pharmacy_id);
  ly_db_bind_text(st, 4, in->mode);
  ly_db_bind_text(st, 5, who->id);
  ly_db_bind_text(st, 6, !delivery ? "" : in->address && in->address[0] ? in->address : j->address);
  ly_db_bind_int(st, 7, now);
  ly_db_bind_int(st, 8, now + deadline);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* The prescription can be dispatched now: ready, unclaimed, valid. */
static int dp_claimable(struct rx_ctx *cx, const struct rx_rec *p, int64_t now, struct ly_error *e) {
  if (strcmp(p->state, "in_progress") == 0)
    return ly_error_set(e, LY_ESTATE, "rx.already_claimed",
                        "A pharmacy is already filling this prescription.", "已有药店在为该处方配药。");
  if (strcmp(p->state, "ready") != 0)
    return ly_error_set(e, LY_ESTATE, "rx.not_ready", "This prescription is not waiting for a pharmacy.",
                        "该处方当前不可选择药店。");
  if (now > p->valid_until)
    return ly_error_set(e, LY_ESTATE, "rx.validity_over", "This prescription's validity is over.",
                        "该处方已过有效期。");
  return 0;
}

static int dp_choose_tx(struct rx_ctx *cx, const struct records_actor *who, const struct dispatch_in *in,
                        struct dp_job *j, struct dispatch_out *out, struct ly_error *e) {
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = rx_load(cx, in->prescription_id ? in->prescription_id : "", &j->p, e);
  if (rc == LY_ENOTFOUND) return ph_not_found(e);
  if (rc || (rc = ph_patient_owns(cx, who, &j->p, e)) || (rc = dp_claimable(cx, &j->p, now, e))) return rc;
  if ((rc = dp_pharmacy(cx, in->pharmacy_id, j, e))) return rc;
  if (strcmp(in->mode, "pickup") == 0 && (rc = dp_stock(cx, in->pharmacy_id, &j->p, e))) return rc;
  if (strcmp(in->mode, "delivery") == 0 && (!j->delivers || !j->in_area))
    return ly_error_set(e, LY_EDENIED, "rx.pharmacy_no_delivery", "This pharmacy does not deliver to you.",
                        "该药店不配送到您所在的街道。");
  snprintf(out->pharmacy_id, sizeof out->pharmacy_id, "%s", in->pharmacy_id);
  if ((rc = dp_open(cx, j))) return rc;
  if (j->open_id[0] && !strcmp(j->open_pharmacy, in->pharmacy_id) && !strcmp(j->open_mode, in->mode)) {
    out->repeat = 1;
    snprintf(out->dispatch_id, sizeof out->dispatch_id, "%s", j->open_id);
    return 0;
  }
  if (j->open_id[0]) {
    if ((rc = dp_close(cx, j->open_id, "withdrawn", now))) return rc;
    snprintf(out->withdrawn_from, sizeof out->withdrawn_from, "%s", j->open_pharmacy);
  }
  if ((rc = dp_insert(cx, who, in, j, out, now))) return rc;
  return records_audit(&cx->rec, who, "rx.dispatch", j->p.patient_id, "prescription", j->p.id, "ok", NULL);
}

int dispatch_choose(struct rx_ctx *cx, const struct records_actor *who, const struct dispatch_in *in,
                    struct dispatch_out *out, struct ly_error *e) {
  ly_error_clear(e);
  memset(out, 0, sizeof *out);
  int rc = dp_input(in, e);
  if (rc) return records_done(e, rc);
  struct dp_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  if ((rc = ly_db_begin(cx->rec.db)) == 0)
    rc = records_finish(cx->rec.db, dp_choose_tx(cx, who, in, j, out, e));
  if (rc) {
    ph_refused(cx, who, "rx.dispatch", j->p.patient_id, in->prescription_id, e, rc);
    memset(out, 0, sizeof *out);
  }
  free(j);
  if (rc == 0 && (rc = dispatch_status(cx, who, in->prescription_id, &out->view, e))) return rc;
  return records_done(e, rc);
}

/* ---- the lapse job -------------------------------------------------------------- */

static int dp_due(struct rx_ctx *cx, int64_t now, struct dispatch_lapsed *out, char (*ids)[LY_ID_MAX],
                  size_t *n) {
  static const char *sql =
      "SELECT d.id, d.prescription_id, d.pharmacy_id, p.state = 'ready' AND d.deadline_at < ?1 FROM "
      "rx_dispatches "
      "d JOIN prescriptions p ON p.id = d.prescription_id WHERE d.state = 'open' AND (d.deadline_at < ?1 OR "
      "p.state <> 'ready') ORDER BY d.deadline_at, d.id LIMIT ?2";
  *n = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, now);
  ly_db_bind_int(st, 2, DISPATCH_LAPSE_BATCH);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < DISPATCH_LAPSE_BATCH) {
    struct dispatch_lapsed *l = &out[*n];
    memset(l, 0, sizeof *l);
    snprintf(ids[*n], LY_ID_MAX, "%s", ly_db_col_text(st, 0));
    snprintf(l->prescription_id, sizeof l->prescription_id, "%s", ly_db_col_text(st, 1));
    snprintf(l->pharmacy_id, sizeof l->pharmacy_id, "%s", ly_db_col_text(st, 2));
    l->lapsed = sqlite3_column_int(st, 3);
    (*n)++;
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int dp_lapse_tx(struct rx_ctx *cx, struct dispatch_lapsed *out, size_t *n) {
  static const struct records_actor sys = {"system", "system", NULL};
  char ids[DISPATCH_LAPSE_BATCH][LY_ID_MAX], patient[LY_ID_MAX];
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = dp_due(cx, now, out, ids, n);
  for (size_t i = 0; rc == 0 && i < *n; i++) {
    struct dispatch_lapsed *l = &out[i];
    struct prescription_parties pp;
    rc = dp_close(cx, ids[i], l->lapsed ? "lapsed" : "closed", now);
    if (rc == 0) rc = prescription_parties(cx, l->prescription_id, &pp);
    if (rc == 0) snprintf(patient, sizeof patient, "%s", pp.patient_id);
    if (rc == 0) rc = rx_patient_account(cx, patient, l->patient_account);
    if (rc == 0 && l->lapsed)
      rc = rx_notice(cx, l->patient_account, "rx.dispatch_lapsed", l->prescription_id, NULL);
    if (rc == 0)
      rc = records_audit(&cx->rec, &sys, l->lapsed ? "rx.dispatch_lapse" : "rx.dispatch_close", patient,
                         "prescription", l->prescription_id, "ok", NULL);
  }
  return rc;
}

int dispatch_lapse_due(struct rx_ctx *cx, struct dispatch_lapsed *out, size_t *n) {
  *n = 0;
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, dp_lapse_tx(cx, out, n));
  if (rc) *n = 0;
  return rc;
}
