/* rx/pharmacy_claim.c — claims (from the queue or the patient's code),
 * their secrets, and release. */
#include "rx/pharmacy_claim.h"

#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/dispatch.h"
#include "rx/pharmacy_internal.h"
#include "rx/qr.h"

#define CL_SECRET_LABEL "lianyi.rx.claim-secret/1"

/* ---- claims and secrets ---------------------------------------------------------- */

#define CL_COLS                                                                           \
  "id, prescription_id, pharmacy_id, coalesce(dispatch_id, ''), via, state, claimed_at, " \
  "coalesce(closed_at, 0), secret_hash"

static int cl_row(struct rx_ctx *cx, sqlite3_stmt *st, struct ph_claim *c) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", ly_db_col_text(st, 0));
    snprintf(c->prescription_id, sizeof c->prescription_id, "%s", ly_db_col_text(st, 1));
    snprintf(c->pharmacy_id, sizeof c->pharmacy_id, "%s", ly_db_col_text(st, 2));
    snprintf(c->dispatch_id, sizeof c->dispatch_id, "%s", ly_db_col_text(st, 3));
    snprintf(c->via, sizeof c->via, "%s", ly_db_col_text(st, 4));
    snprintf(c->state, sizeof c->state, "%s", ly_db_col_text(st, 5));
    c->claimed_at = sqlite3_column_int64(st, 6);
    c->closed_at = sqlite3_column_int64(st, 7);
    if (sqlite3_column_bytes(st, 8) == LY_SHA256_LEN)
      memcpy(c->secret_hash, sqlite3_column_blob(st, 8), LY_SHA256_LEN);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->rec.db, rc);
}

int ph_claim_active(struct rx_ctx *cx, const char *prescription_id, struct ph_claim *c) {
  static const char *sql =
      "SELECT " CL_COLS " FROM rx_claims WHERE prescription_id = ?1 AND state = 'active'";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, prescription_id);
  return cl_row(cx, st, c);
}

int ph_claim_last(struct rx_ctx *cx, const char *prescription_id, const char *pharmacy_id,
                  struct ph_claim *c) {
  static const char *sql = "SELECT " CL_COLS
                           " FROM rx_claims WHERE prescription_id = ?1 AND pharmacy_id = ?2 "
                           "ORDER BY claimed_at DESC, rowid DESC LIMIT 1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, prescription_id);
  ly_db_bind_text(st, 2, pharmacy_id);
  return cl_row(cx, st, c);
}

int ph_secret(struct rx_ctx *cx, const char *claim_id, char out[CLAIM_SECRET_CHARS + 1],
              uint8_t hash[LY_SHA256_LEN]) {
  uint8_t key[LY_SHA256_LEN], mac[LY_SHA256_LEN];
  int rc = ly_hmac_sha256(cx->rec.keys->mac, sizeof cx->rec.keys->mac, CL_SECRET_LABEL,
                          strlen(CL_SECRET_LABEL), key);
  if (rc == 0) rc = ly_hmac_sha256(key, sizeof key, claim_id, strlen(claim_id), mac);
  if (rc == 0 && ly_b64url_encode(mac, sizeof mac, out, CLAIM_SECRET_CHARS + 1) != CLAIM_SECRET_CHARS)
    rc = LY_ECRYPTO;
  if (rc == 0 && hash) rc = ly_sha256(out, CLAIM_SECRET_CHARS, hash);
  OPENSSL_cleanse(key, sizeof key);
  OPENSSL_cleanse(mac, sizeof mac);
  if (rc) OPENSSL_cleanse(out, CLAIM_SECRET_CHARS + 1);
  return rc;
}

int ph_secret_ok(const struct ph_claim *c, const char *secret) {
  uint8_t h[LY_SHA256_LEN];
  if (!secret || strnlen(secret, CLAIM_SECRET_CHARS + 1) != CLAIM_SECRET_CHARS) return 0;
  if (ly_sha256(secret, CLAIM_SECRET_CHARS, h)) return 0;
  return ly_memeq(h, c->secret_hash, sizeof h);
}

static int cl_wrong_secret(struct ly_error *e) {
  return ly_error_set(e, LY_EFORBIDDEN, "rx.secret_invalid", "The claim secret is not right.",
                      "取药凭据不正确。");
}

static int cl_not_claimant(struct ly_error *e) {
  return ly_error_set(e, LY_EFORBIDDEN, "rx.not_claimant", "Another pharmacy holds this prescription.",
                      "该处方已由其他药店接单。");
}

int ph_claim_check(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                   const char *secret, struct ph_claim *c, struct ly_error *e) {
  int rc = ph_claim_active(cx, prescription_id, c);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ESTATE, "rx.not_claimed", "This prescription is not claimed.",
                        "该处方尚未被接单。");
  if (rc) return rc;
  if (strcmp(c->pharmacy_id, pa->pharmacy_id) != 0) return cl_not_claimant(e);
  return ph_secret_ok(c, secret) ? 0 : cl_wrong_secret(e);
}

int ph_claim_check_any(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                       const char *secret, struct ph_claim *c, struct ly_error *e) {
  int rc = ph_claim_last(cx, prescription_id, pa->pharmacy_id, c);
  if (rc == LY_ENOTFOUND) return ph_not_found(e);
  if (rc) return rc;
  return ph_secret_ok(c, secret) ? 0 : cl_wrong_secret(e);
}

/* ---- claiming --------------------------------------------------------------------- */

struct cl_dispatch {
  char id[LY_ID_MAX];
  char pharmacy_id[LY_ID_MAX];
  char mode[16];
  char address[DISPATCH_ADDRESS_MAX * 2 + 1];
  int64_t deadline_at;
};

struct cl_job {
  struct rx_rec p;
  struct ph_claim c;
  struct cl_dispatch d;
  int has_dispatch;
};

/* The open dispatch of the prescription (has_dispatch = 0 when none). */
static int cl_open_dispatch(struct rx_ctx *cx, const char *id, struct cl_job *j) {
  static const char *sql =
      "SELECT id, pharmacy_id, mode, address, deadline_at FROM rx_dispatches WHERE prescription_id = ?1 AND "
      "state "
      "= 'open'";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  j->has_dispatch = rc == SQLITE_ROW;
  if (j->has_dispatch) {
    snprintf(j->d.id, sizeof j->d.id, "%s", ly_db_col_text(st, 0));
    snprintf(j->d.pharmacy_id, sizeof j->d.pharmacy_id, "%s", ly_db_col_text(st, 1));
    snprintf(j->d.mode, sizeof j->d.mode, "%s", ly_db_col_text(st, 2));
    snprintf(j->d.address, sizeof j->d.address, "%s", ly_db_col_text(st, 3));
    j->d.deadline_at = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* A queue claim with no open dispatch here: lapsed or taken by a walk-in
 * elsewhere (the pharmacy had it in its queue), else not found. */
static int cl_taken(struct ly_error *e) {
  return ly_error_set(e, LY_ECONFLICT, "rx.already_claimed", "Another pharmacy has already claimed it.",
                      "该处方已被其他药店接单。");
}

static int cl_lapsed(struct ly_error *e) {
  return ly_error_set(e, LY_ESTATE, "rx.dispatch_lapsed",
                      "This prescription was not claimed in time and went back to the patient.",
                      "该处方超时未接单，已退回患者重新选择。");
}

static int cl_not_dispatched(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id,
                             struct ly_error *e) {
  static const char *sql =
      "SELECT state FROM rx_dispatches WHERE prescription_id = ?1 AND pharmacy_id = ?2 ORDER BY created_at "
      "DESC "
      "LIMIT 1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, pa->pharmacy_id);
  char state[16] = "";
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(state, sizeof state, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (!strcmp(state, "lapsed")) return cl_lapsed(e);
  if (!strcmp(state, "superseded")) return cl_taken(e);
  return ph_not_found(e);
}

int ph_code_ok(struct rx_ctx *cx, const struct qr_code *q) {
  static const char *sql = "SELECT access_code_hash FROM prescriptions WHERE id = ?1";
  uint8_t h[LY_SHA256_LEN];
  if (ly_sha256(q->code, sizeof q->code, h)) return 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return 0;
  ly_db_bind_text(st, 1, q->id);
  int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == LY_SHA256_LEN &&
           ly_memeq(sqlite3_column_blob(st, 0), h, sizeof h);
  sqlite3_reset(st);
  return ok;
}

static int cl_insert(struct rx_ctx *cx, const struct pharmacy_actor *pa, struct cl_job *j, const char *via,
                     char secret[CLAIM_SECRET_CHARS + 1], int64_t now) {
  static const char *sql =
      "INSERT INTO rx_claims (id, prescription_id, pharmacy_id, claimed_by, via, dispatch_id, secret_hash, "
      "state, "
      "claimed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8)";
  struct ph_claim *c = &j->c;
  memset(c, 0, sizeof *c);
  int own = j->has_dispatch && strcmp(j->d.pharmacy_id, pa->pharmacy_id) == 0;
  int rc = ly_id_new("clm", c->id, sizeof c->id);
  if (rc == 0) rc = ph_secret(cx, c->id, secret, c->secret_hash);
  if (rc) return rc;
  snprintf(c->prescription_id, sizeof c->prescription_id, "%s", j->p.id);
  snprintf(c->pharmacy_id, sizeof c->pharmacy_id, "%s", pa->pharmacy_id);
  snprintf(c->dispatch_id, sizeof c->dispatch_id, "%s", own ? j->d.id : "");
  snprintf(c->via, sizeof c->via, "%s", via);
  snprintf(c->state, sizeof c->state, "active");
  c->claimed_at = now;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, c->id);
  ly_db_bind_text(st, 2, c->prescription_id);
  ly_db_bind_text(st, 3, c->pharmacy_id);
  ly_db_bind_text(st, 4, pa->account_id);
  ly_db_bind_text(st, 5, via);
  ly_db_bind_text(st, 6, own ? j->d.id : NULL);
  ly_db_bind_blob(st, 7, c->secret_hash, LY_SHA256_LEN);
  ly_db_bind_int(st, 8, now);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* The open dispatch is claimed here, or superseded by a walk-in elsewhere. */
static int cl_close_dispatch(struct rx_ctx *cx, const struct pharmacy_actor *pa, struct cl_job *j,
                             struct pharmacy_claim_out *out, int64_t now) {
  static const char *sql =
      "UPDATE rx_dispatches SET state = ?2, closed_at = ?3 WHERE id = ?1 AND state = 'open'";
  if (!j->has_dispatch) return 0;
  int own = strcmp(j->d.pharmacy_id, pa->pharmacy_id) == 0;
  if (!own) snprintf(out->superseded, sizeof out->superseded, "%s", j->d.pharmacy_id);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, j->d.id);
  ly_db_bind_text(st, 2, own ? "claimed" : "superseded");
  ly_db_bind_int(st, 3, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if (own && strcmp(j->d.mode, "delivery") == 0) return ph_delivery_start(cx, &j->c, j->d.address, now);
  return 0;
}

static int cl_view(struct rx_ctx *cx, struct cl_job *j, struct pharmacy_claim_out *out) {
  json_t *dl = ph_delivery_json(cx, j->c.id, 0, NULL);
  out->view = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:o}", "prescription_id", j->p.id,
                        "claim_id", j->c.id, "secret", out->secret, "state", "in_progress", "via", j->c.via,
                        "mode", dl ? "delivery" : "pickup", "claimed_at", (json_int_t)j->c.claimed_at,
                        "repeat", out->repeat, "delivery", dl ? dl : json_null());
  snprintf(out->claim_id, sizeof out->claim_id, "%s", j->c.id);
  return out->view ? 0 : LY_ENOMEM;
}

static int cl_validity(struct rx_ctx *cx, const struct rx_rec *p, int64_t now, struct ly_error *e) {
  if (strcmp(p->state, "ready") != 0 || now <= p->valid_until) return 0;
  return ly_error_set(e, LY_ESTATE, "rx.validity_over", "This prescription's validity is over.",
                      "该处方已过有效期。");
}

/* Either way in: the code (walk-in) or an open dispatch here (queue). */
static int cl_may_claim(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct qr_code *qr,
                        struct cl_job *j, struct ly_error *e) {
  if (qr) return ph_code_ok(cx, qr) ? 0 : ph_not_found(e);
  int rc = cl_open_dispatch(cx, j->p.id, j);
  if (rc) return rc;
  if (j->has_dispatch && strcmp(j->d.pharmacy_id, pa->pharmacy_id) == 0)
    return ly_now_ms(cx->rec.clock) <= j->d.deadline_at ? 0 : cl_lapsed(e);
  struct ph_claim held;
  if (ph_claim_active(cx, j->p.id, &held) == 0 && strcmp(held.pharmacy_id, pa->pharmacy_id) == 0) return 0;
  return cl_not_dispatched(cx, pa, j->p.id, e);
}

static int cl_claim_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id,
                       const struct qr_code *qr, struct cl_job *j, struct pharmacy_claim_out *out,
                       struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = rx_load(cx, id, &j->p, e);
  if (rc == LY_ENOTFOUND) return ph_not_found(e);
  if (rc || (rc = cl_may_claim(cx, pa, qr, j, e))) return rc;
  if ((rc = rx_patient_account(cx, j->p.patient_id, out->patient_account))) return rc;
  rc = ph_claim_active(cx, id, &j->c);
  if (rc == 0) {
    if (strcmp(j->c.pharmacy_id, pa->pharmacy_id) != 0) return cl_taken(e);
    out->repeat = 1;
    if ((rc = ph_secret(cx, j->c.id, out->secret, NULL)) || (rc = cl_view(cx, j, out))) return rc;
    return records_audit(&cx->rec, &who, "rx.claim", j->p.patient_id, "prescription", id, "repeat", NULL);
  }
  if (rc != LY_ENOTFOUND) return rc;
  if (qr && (rc = cl_open_dispatch(cx, id, j))) return rc;
  if ((rc = cl_validity(cx, &j->p, now, e))) return rc;
  if ((rc = prescription_move(cx, &who, &j->p, "claim", qr ? "walk_in" : "queue", e))) return rc;
  if ((rc = cl_insert(cx, pa, j, qr ? "walk_in" : "queue", out->secret, now))) return rc;
  if ((rc = cl_close_dispatch(cx, pa, j, out, now))) return rc;
  if ((rc = rx_notice(cx, out->patient_account, "rx.claimed", id, NULL))) return rc;
  return cl_view(cx, j, out);
}

static int cl_claim(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id,
                    const struct qr_code *qr, struct pharmacy_claim_out *out, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  struct cl_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, cl_claim_tx(cx, pa, id, qr, j, out, e));
  if (rc) {
    json_decref(out->view);
    OPENSSL_cleanse(out, sizeof *out);
    memset(out, 0, sizeof *out);
    ph_refused(cx, &who, "rx.claim", j->p.patient_id, id, e, rc);
  }
  free(j);
  return records_done(e, rc);
}

int pharmacy_claim(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                   struct pharmacy_claim_out *out, struct ly_error *e) {
  ly_error_clear(e);
  memset(out, 0, sizeof *out);
  if (!prescription_id || strnlen(prescription_id, LY_ID_MAX) >= LY_ID_MAX)
    return records_done(e, ph_not_found(e));
  return cl_claim(cx, pa, prescription_id, NULL, out, e);
}

int pharmacy_claim_code(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *qr, size_t qr_len,
                        struct pharmacy_claim_out *out, struct ly_error *e) {
  struct qr_code q;
  ly_error_clear(e);
  memset(out, 0, sizeof *out);
  int rc = qr_parse(qr, qr_len, &q, e);
  if (rc) {
    struct records_actor who = ph_who(pa);
    return records_done(e, ph_refused(cx, &who, "rx.claim", NULL, NULL, e, rc));
  }
  rc = cl_claim(cx, pa, q.id, &q, out, e);
  qr_wipe(&q);
  return rc;
}

/* ---- release ---------------------------------------------------------------------- */

int ph_claim_close(struct rx_ctx *cx, const char *claim_id, const char *state, int64_t now) {
  static const char *sql =
      "UPDATE rx_claims SET state = ?2, closed_at = ?3 WHERE id = ?1 AND state = 'active'";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, claim_id);
  ly_db_bind_text(st, 2, state);
  ly_db_bind_int(st, 3, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return sqlite3_changes(ly_db_sqlite(cx->rec.db)) == 1 ? 0 : LY_ECONFLICT;
}

/* Nothing handed out, or a failed delivery whose goods come back. */
static int cl_releasable(struct rx_ctx *cx, const struct pharmacy_actor *pa, const struct ph_claim *c,
                         struct ly_error *e) {
  int64_t units = 0;
  char dstate[24];
  int rc = ph_dispensed_total(cx, c->id, &units);
  if (rc || units == 0) return rc;
  json_decref(ph_delivery_json(cx, c->id, 0, dstate));
  if (strcmp(dstate, "failed") == 0) return ph_dispenses_return(cx, c->id, pa->account_id);
  return ly_error_set(e, LY_ESTATE, "rx.already_dispensed",
                      "Medicine was already handed out under this claim; it cannot be released.",
                      "该处方已发药，不能退回。");
}

static int cl_release_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id,
                         const char *secret, const char *reason, struct cl_job *j, int *repeat,
                         struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  char account[LY_ID_MAX];
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = rx_load(cx, id, &j->p, e);
  if (rc == LY_ENOTFOUND || (rc == 0 && !ph_visible(cx, pa->pharmacy_id, id))) return ph_not_found(e);
  if (rc) return rc;
  rc = ph_claim_check(cx, pa, id, secret, &j->c, e);
  if (rc == LY_ESTATE && ph_claim_check_any(cx, pa, id, secret, &j->c, NULL) == 0 &&
      strcmp(j->c.state, "released") == 0) {
    *repeat = 1;
    ly_error_clear(e);
    return 0;
  }
  if (rc || (rc = cl_releasable(cx, pa, &j->c, e))) return rc;
  if ((rc = prescription_move(cx, &who, &j->p, "release", reason, e))) return rc;
  if ((rc = ph_claim_close(cx, j->c.id, "released", now))) return rc;
  if ((rc = rx_patient_account(cx, j->p.patient_id, account))) return rc;
  return rx_notice(cx, account, "rx.released", id, NULL);
}

int pharmacy_release(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                     const char *secret, const char *reason, int *repeat, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  ly_error_clear(e);
  *repeat = 0;
  int rc = records_text_check(reason, RX_NOTE_MAX, 0, "reason", e);
  if (rc) return rc;
  struct cl_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  if ((rc = ly_db_begin(cx->rec.db)) == 0)
    rc = records_finish(cx->rec.db, cl_release_tx(cx, pa, prescription_id, secret, reason, j, repeat, e));
  if (rc) ph_refused(cx, &who, "rx.release", j->p.patient_id, prescription_id, e, rc);
  free(j);
  return records_done(e, rc);
}
