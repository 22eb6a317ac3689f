/* rx/prescription_review.c — pharmacist review (approve, reject) and expiry. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "records/signature.h"
#include "rx/prescription.h"
#include "rx/prescription_internal.h"

/* A reviewer is a pharmacist; the prescriber reaching here is judged by the
 * rules (rx.reviewer_is_prescriber) so the refusal says why. */
static int rv_who(const struct records_actor *who, const struct rx_rec *p, struct ly_error *e) {
  if (records_is(who, "pharmacist") || (records_is(who, "doctor") && strcmp(who->id, p->doctor_id) == 0))
    return 0;
  return ly_error_set(e, LY_EFORBIDDEN, "rx.pharmacist_only", "Only a pharmacist may review prescriptions.",
                      "只有药师可以审核处方。");
}

static int rv_rules(struct rx_ctx *cx, const struct records_actor *who, const struct rx_rec *p,
                    struct rules_result *viol, struct ly_error *e) {
  struct rx_facts *f = malloc(sizeof *f);
  if (!f) return LY_ENOMEM;
  int rc = rx_facts(cx, p, NULL, who, f, e);
  if (rc == 0 && rules_check(&f->d, &cx->rules, RULES_STAGE_REVIEW, viol) > 0)
    rc = rules_result_error(viol, e);
  free(f);
  return rc;
}

/* The stored document must still verify under the prescriber's key. */
static int rv_signature_intact(struct rx_ctx *cx, const struct rx_rec *p, struct ly_error *e) {
  static const char *sql = "SELECT document, signature, sign_pub FROM prescriptions WHERE id = ?1";
  uint8_t pub[LY_ED25519_PUB_LEN];
  int rc = signature_doctor_pub(&cx->rec, p->doctor_id, pub, e);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  int ok = 0;
  if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == LY_ED25519_SIG_LEN &&
      sqlite3_column_bytes(st, 2) == LY_ED25519_PUB_LEN &&
      ly_memeq(sqlite3_column_blob(st, 2), pub, sizeof pub)) {
    const char *doc = ly_db_col_text(st, 0);
    ok = ly_ed25519_verify(pub, doc, strlen(doc), sqlite3_column_blob(st, 1)) == 0;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if (ok) return 0;
  return ly_error_set(e, LY_ECONFLICT, "rx.signature_invalid",
                      "The prescription's signature does not verify; it must not be dispensed.",
                      "处方电子签名校验失败，不得调配。");
}

static int rv_mark(struct rx_ctx *cx, const struct records_actor *who, const struct rx_rec *p,
                   const char *reason) {
  static const char *sql =
      "UPDATE prescriptions SET reviewed_by = ?2, reviewed_at = ?3, review_reason = ?4 WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->id);
  ly_db_bind_text(st, 2, who->id);
  ly_db_bind_int(st, 3, ly_now_ms(cx->rec.clock));
  ly_db_bind_text(st, 4, reason);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

struct rv_job {
  struct rx_rec p;
  struct rules_result viol;
  json_t *result;
};

static int rv_approve_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id, const char *key,
                         struct rv_job *j, struct ly_error *e) {
  char account[LY_ID_MAX];
  int rc = rx_idem_find(cx, who, key, "approve", id, &j->result, e);
  if (rc) return rc < 0 ? rc : 0;
  if ((rc = rx_load(cx, id, &j->p, e))) return rc;
  if ((rc = prescription_can_move(&j->p, "approve", e))) return rc;
  if ((rc = rv_who(who, &j->p, e))) return rc;
  if ((rc = rv_rules(cx, who, &j->p, &j->viol, e))) return rc;
  if ((rc = rv_signature_intact(cx, &j->p, e))) return rc;
  if (ly_now_ms(cx->rec.clock) > j->p.valid_until)
    return ly_error_set(e, LY_ESTATE, "rx.validity_over",
                        "This prescription's validity is over; it will expire.",
                        "该处方已过有效期，将被作废。");
  if ((rc = prescription_move(cx, who, &j->p, "approve", NULL, e))) return rc;
  if ((rc = rv_mark(cx, who, &j->p, NULL))) return rc;
  if ((rc = rx_patient_account(cx, j->p.patient_id, account))) return rc;
  if ((rc = rx_notice(cx, account, "rx.ready", id, NULL))) return rc;
  if (!(j->result = rx_result(&j->p))) return LY_ENOMEM;
  return rx_idem_store(cx, who, key, "approve", id, j->result);
}

int prescription_approve(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                         const char *idem_key, json_t **result, struct rules_result *viol,
                         struct ly_error *e) {
  ly_error_clear(e);
  if (result) *result = NULL;
  struct rv_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, rv_approve_tx(cx, who, id, idem_key, j, e));
  if (rc == LY_EDENIED || rc == LY_EFORBIDDEN || rc == LY_ESTATE || rc == LY_ECONFLICT)
    records_audit_refusal(&cx->rec, who, "rx.approve", j->p.patient_id[0] ? j->p.patient_id : NULL,
                          "prescription", id, e);
  if (viol) *viol = j->viol;
  if (rc == 0 && result)
    *result = j->result;
  else
    json_decref(j->result);
  free(j);
  return records_done(e, rc);
}

static int rv_reject_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const char *reason, struct rv_job *j, struct ly_error *e) {
  int rc = rx_load(cx, id, &j->p, e);
  if (rc == 0) rc = prescription_can_move(&j->p, "reject", e);
  if (rc == 0) rc = rv_who(who, &j->p, e);
  if (rc == 0) rc = rv_rules(cx, who, &j->p, &j->viol, e);
  if (rc == 0) rc = prescription_move(cx, who, &j->p, "reject", reason, e);
  if (rc == 0) rc = rv_mark(cx, who, &j->p, reason);
  if (rc == 0) rc = rx_notice(cx, j->p.doctor_id, "rx.returned", id, NULL);
  return rc;
}

int prescription_reject(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                        const char *reason, struct rules_result *viol, struct ly_error *e) {
  ly_error_clear(e);
  int rc = records_text_check(reason, RX_NOTE_MAX, 1, "reason", e);
  if (rc) return rc;
  struct rv_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  if ((rc = ly_db_begin(cx->rec.db)) == 0)
    rc = records_finish(cx->rec.db, rv_reject_tx(cx, who, id, reason, j, e));
  if (viol) *viol = j->viol;
  free(j);
  return records_done(e, rc);
}

/* ---- expiry ------------------------------------------------------------------- */

#define RV_EXPIRE_BATCH 100

static int rv_due(struct rx_ctx *cx, int64_t now, char ids[][LY_ID_MAX], size_t *n) {
  static const char *sql =
      "SELECT id FROM prescriptions WHERE state IN ('pending_review', 'returned', 'ready') AND valid_until < "
      "?1 "
      "ORDER BY valid_until, id LIMIT ?2";
  *n = 0;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, now);
  ly_db_bind_int(st, 2, RV_EXPIRE_BATCH);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    snprintf(ids[(*n)++], LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int rv_expire_batch(struct rx_ctx *cx, struct rx_rec *p, int64_t now, size_t *n, int *expired) {
  static const struct records_actor sys = {"system", "system", NULL};
  char ids[RV_EXPIRE_BATCH][LY_ID_MAX], account[LY_ID_MAX];
  int rc = rv_due(cx, now, ids, n);
  for (size_t i = 0; rc == 0 && i < *n; i++) {
    rc = rx_load(cx, ids[i], p, NULL);
    if (rc == 0) rc = prescription_move(cx, &sys, p, "expire", NULL, NULL);
    if (rc == 0) rc = rx_patient_account(cx, p->patient_id, account);
    if (rc == 0) rc = rx_notice(cx, account, "rx.expired", p->id, NULL);
    if (rc == 0) (*expired)++;
  }
  return rc;
}

int prescription_expire_due(struct rx_ctx *cx, int *expired) {
  struct rx_rec *p = malloc(sizeof *p);
  if (!p) return LY_ENOMEM;
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = 0;
  *expired = 0;
  for (;;) {
    size_t n = 0;
    int before = *expired;
    if ((rc = ly_db_begin(cx->rec.db))) break;
    rc = records_finish(cx->rec.db, rv_expire_batch(cx, p, now, &n, expired));
    if (rc) *expired = before;
    if (rc || n < RV_EXPIRE_BATCH) break;
  }
  free(p);
  return rc;
}
