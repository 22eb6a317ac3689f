/* rx/delivery.c — delivery of a claimed prescription: its table of
 * transitions, the patient's 6-digit code with a limit on wrong tries, and
 * the views of it. */
#include "rx/delivery.h"

#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/pharmacy_internal.h"

struct dl_transition {
  const char *action;
  const char *from;
  const char *to;
};

/* DESIGN §5; rx/delivery.h draws it. */
static const struct dl_transition dl_table[] = {
    {"out", "preparing", "out_for_delivery"},
    {"out", "failed", "out_for_delivery"},
    {"deliver", "out_for_delivery", "delivered"},
    {"fail", "out_for_delivery", "failed"},
};

struct dl_rec {
  char id[LY_ID_MAX];
  char state[24];
  int wrong_tries;
  int64_t locked_at;
  uint8_t code_enc[DELIVERY_CODE_DIGITS + LY_SEAL_OVERHEAD];
  size_t code_enc_len;
};

struct dl_job {
  struct rx_rec p;
  struct ph_claim c;
  struct dl_rec d;
  int wrong, locked, tries_left;
};

static const struct dl_transition *dl_find(const char *action, const char *from) {
  for (size_t i = 0; i < sizeof dl_table / sizeof dl_table[0]; i++)
    if (!strcmp(dl_table[i].action, action) && !strcmp(dl_table[i].from, from)) return &dl_table[i];
  return NULL;
}

static void dl_aad(const char *id, char *out, size_t outsz) {
  snprintf(out, outsz, "rx_deliveries.code:%s", id);
}

/* A fresh uniformly random 6-digit code, sealed for the row. */
static int dl_new_code(struct rx_ctx *cx, const char *id, uint8_t *sealed, size_t *sealed_len) {
  char code[DELIVERY_CODE_DIGITS + 1], aad[96];
  uint32_t r;
  do {
    if (ly_random_bytes(&r, sizeof r)) return LY_ECRYPTO;
  } while (r >= 4294000000u); /* a multiple of 10^6: no modulo bias */
  snprintf(code, sizeof code, "%06u", r % 1000000u);
  dl_aad(id, aad, sizeof aad);
  int rc = ly_seal(cx->rec.keys->enc, aad, code, DELIVERY_CODE_DIGITS, sealed,
                   DELIVERY_CODE_DIGITS + LY_SEAL_OVERHEAD, sealed_len);
  OPENSSL_cleanse(code, sizeof code);
  OPENSSL_cleanse(&r, sizeof r);
  return rc;
}

static int dl_open_code(struct rx_ctx *cx, const char *id, const uint8_t *sealed, size_t n,
                        char code[DELIVERY_CODE_DIGITS + 1]) {
  char aad[96];
  size_t len = 0;
  dl_aad(id, aad, sizeof aad);
  int rc = ly_open(cx->rec.keys->enc, aad, sealed, n, (uint8_t *)code, DELIVERY_CODE_DIGITS, &len);
  code[rc == 0 && len == DELIVERY_CODE_DIGITS ? DELIVERY_CODE_DIGITS : 0] = '\0';
  return rc == 0 && len == DELIVERY_CODE_DIGITS ? 0 : LY_ECRYPTO;
}

static int dl_event(struct rx_ctx *cx, const char *delivery_id, const char *actor, const char *action,
                    const char *from, const char *to, const char *reason, int64_t now) {
  static const char *sql =
      "INSERT INTO rx_delivery_events (delivery_id, seq, at, actor_id, action, from_state, to_state, reason) "
      "VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM rx_delivery_events WHERE delivery_id = ?1), ?2, "
      "?3, ?4, "
      "?5, ?6, ?7)";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, delivery_id);
  ly_db_bind_int(st, 2, now);
  ly_db_bind_text(st, 3, actor);
  ly_db_bind_text(st, 4, action);
  ly_db_bind_text(st, 5, from);
  ly_db_bind_text(st, 6, to);
  ly_db_bind_text(st, 7, reason);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

int ph_delivery_start(struct rx_ctx *cx, const struct ph_claim *c, const char *address, int64_t now) {
  static const char *sql =
      "INSERT INTO rx_deliveries (id, prescription_id, claim_id, pharmacy_id, state, address, code_enc, "
      "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'preparing', ?5, ?6, ?7, ?7)";
  char id[LY_ID_MAX];
  uint8_t sealed[DELIVERY_CODE_DIGITS + LY_SEAL_OVERHEAD];
  size_t n = 0;
  int rc = ly_id_new("dlv", id, sizeof id);
  if (rc == 0) rc = dl_new_code(cx, id, sealed, &n);
  sqlite3_stmt *st = rc ? NULL : ly_db_stmt(cx->rec.db, sql);
  if (!st) return rc ? rc : LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, c->prescription_id);
  ly_db_bind_text(st, 3, c->id);
  ly_db_bind_text(st, 4, c->pharmacy_id);
  ly_db_bind_text(st, 5, address ? address : "");
  ly_db_bind_blob(st, 6, sealed, (int)n);
  ly_db_bind_int(st, 7, now);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  return dl_event(cx, id, "system", "start", NULL, "preparing", NULL, now);
}

static int dl_load(struct rx_ctx *cx, const char *claim_id, struct dl_rec *d) {
  static const char *sql =
      "SELECT id, state, wrong_tries, coalesce(locked_at, 0), code_enc FROM rx_deliveries WHERE claim_id = "
      "?1";
  memset(d, 0, sizeof *d);
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, claim_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(d->id, sizeof d->id, "%s", ly_db_col_text(st, 0));
    snprintf(d->state, sizeof d->state, "%s", ly_db_col_text(st, 1));
    d->wrong_tries = sqlite3_column_int(st, 2);
    d->locked_at = sqlite3_column_int64(st, 3);
    int n = sqlite3_column_bytes(st, 4);
    if (n > 0 && (size_t)n <= sizeof d->code_enc) {
      memcpy(d->code_enc, sqlite3_column_blob(st, 4), (size_t)n);
      d->code_enc_len = (size_t)n;
    }
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->rec.db, rc);
}

static json_t *dl_events(struct rx_ctx *cx, const char *id) {
  static const char *sql =
      "SELECT at, action, from_state, to_state, reason FROM rx_delivery_events WHERE delivery_id = ?1 ORDER "
      "BY seq";
  json_t *arr = json_array();
  sqlite3_stmt *st = arr ? ly_db_stmt(cx->rec.db, sql) : NULL;
  if (!st) return arr;
  ly_db_bind_text(st, 1, id);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(
        arr, json_pack("{s:I, s:s, s:s?, s:s, s:s?}", "at", (json_int_t)sqlite3_column_int64(st, 0), "action",
                       ly_db_col_text(st, 1), "from", (const char *)sqlite3_column_text(st, 2), "to",
                       ly_db_col_text(st, 3), "reason", (const char *)sqlite3_column_text(st, 4)));
  sqlite3_reset(st);
  return arr;
}

json_t *ph_delivery_json(struct rx_ctx *cx, const char *claim_id, int with_code, char state[24]) {
  static const char *sql =
      "SELECT id, state, address, wrong_tries, locked_at IS NOT NULL, failed_reason, created_at, updated_at "
      "FROM "
      "rx_deliveries WHERE claim_id = ?1";
  char id[LY_ID_MAX] = "";
  if (state) state[0] = '\0';
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return NULL;
  ly_db_bind_text(st, 1, claim_id);
  json_t *o = NULL;
  if (sqlite3_step(st) == SQLITE_ROW) {
    int tries = sqlite3_column_int(st, 3);
    snprintf(id, sizeof id, "%s", ly_db_col_text(st, 0));
    if (state) snprintf(state, 24, "%s", ly_db_col_text(st, 1));
    o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:s?, s:I, s:I}", "id", id, "state", ly_db_col_text(st, 1),
                  "address", ly_db_col_text(st, 2), "wrong_tries", tries, "tries_left",
                  tries >= DELIVERY_MAX_TRIES ? 0 : DELIVERY_MAX_TRIES - tries, "locked",
                  sqlite3_column_int(st, 4), "failed_reason", (const char *)sqlite3_column_text(st, 5),
                  "created_at", (json_int_t)sqlite3_column_int64(st, 6), "updated_at",
                  (json_int_t)sqlite3_column_int64(st, 7));
  }
  sqlite3_reset(st);
  if (!o) return NULL;
  json_object_set_new(o, "events", dl_events(cx, id));
  struct dl_rec d;
  char code[DELIVERY_CODE_DIGITS + 1];
  if (with_code && dl_load(cx, claim_id, &d) == 0 &&
      dl_open_code(cx, d.id, d.code_enc, d.code_enc_len, code) == 0)
    json_object_set_new(o, "code", json_string(code));
  OPENSSL_cleanse(code, sizeof code);
  return o;
}

/* ---- transitions ------------------------------------------------------------------ */

static int dl_set(struct rx_ctx *cx, const char *actor, struct dl_rec *d, const char *action,
                  const char *reason, int64_t now, struct ly_error *e) {
  static const char *sql =
      "UPDATE rx_deliveries SET state = ?3, updated_at = ?4, failed_reason = coalesce(?5, failed_reason) "
      "WHERE id = "
      "?1 AND state = ?2";
  const struct dl_transition *t = dl_find(action, d->state);
  if (!t) {
    ly_error_setf(e, LY_ESTATE, "rx.delivery_illegal_transition",
                  "A delivery that is %s cannot do this (%s).", d->state, action);
    if (e)
      snprintf(e->message_zh, sizeof e->message_zh, "配送当前状态为 %s，不能执行此操作（%s）。", d->state,
               action);
    return LY_ESTATE;
  }
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, d->id);
  ly_db_bind_text(st, 2, t->from);
  ly_db_bind_text(st, 3, t->to);
  ly_db_bind_int(st, 4, now);
  ly_db_bind_text(st, 5, !strcmp(action, "fail") ? reason : NULL);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if (sqlite3_changes(ly_db_sqlite(cx->rec.db)) != 1) return LY_ECONFLICT;
  snprintf(d->state, sizeof d->state, "%s", t->to);
  return dl_event(cx, d->id, actor, action, t->from, t->to, reason, now);
}

static int dl_none(struct ly_error *e) {
  return ly_error_set(e, LY_ESTATE, "rx.not_delivery", "This prescription is not being delivered.",
                      "该处方不是配送订单。");
}

/* The claim (with the secret) and its delivery. A claim no longer active is
 * looked up too, so a repeat after completion can answer. */
static int dl_claimed(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id, const char *secret,
                      struct dl_job *j, struct ly_error *e) {
  int rc = rx_load(cx, id, &j->p, e);
  if (rc == LY_ENOTFOUND || (rc == 0 && !ph_visible(cx, pa->pharmacy_id, id))) return ph_not_found(e);
  if (rc) return rc;
  rc = ph_claim_check(cx, pa, id, secret, &j->c, e);
  if (rc == LY_ESTATE) rc = ph_claim_check_any(cx, pa, id, secret, &j->c, e);
  if (rc) return rc;
  rc = dl_load(cx, j->c.id, &j->d);
  return rc == LY_ENOTFOUND ? dl_none(e) : rc;
}

static int dl_move_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id, const char *secret,
                      const char *action, const char *reason, struct dl_job *j, json_t **out,
                      struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  int64_t units = 0;
  int rc = dl_claimed(cx, pa, id, secret, j, e);
  if (rc) return rc;
  const char *done = !strcmp(action, "out") ? "out_for_delivery" : "failed";
  if (strcmp(j->d.state, done) != 0) {
    if (strcmp(j->c.state, "active") != 0) return ph_claim_check(cx, pa, id, secret, &j->c, e);
    if (!strcmp(action, "out") && ((rc = ph_dispensed_total(cx, j->c.id, &units)) || units == 0))
      return rc ? rc
                : ly_error_set(e, LY_ESTATE, "rx.nothing_dispensed", "Nothing was handed out yet.",
                               "尚未发药。");
    if ((rc = dl_set(cx, pa->account_id, &j->d, action, reason, ly_now_ms(cx->rec.clock), e))) return rc;
    char act[40];
    snprintf(act, sizeof act, "rx.delivery_%s", action);
    if ((rc = records_audit(&cx->rec, &who, act, j->p.patient_id, "prescription", id, "ok", NULL))) return rc;
  }
  *out = ph_delivery_json(cx, j->c.id, 0, NULL);
  return *out ? 0 : LY_ENOMEM;
}

static int dl_move(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id, const char *secret,
                   const char *action, const char *reason, json_t **out, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  char act[40];
  ly_error_clear(e);
  *out = NULL;
  if (!id || strnlen(id, LY_ID_MAX) >= LY_ID_MAX) return records_done(e, ph_not_found(e));
  struct dl_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, dl_move_tx(cx, pa, id, secret, action, reason, j, out, e));
  snprintf(act, sizeof act, "rx.delivery_%s", action);
  if (rc) {
    json_decref(*out);
    *out = NULL;
    ph_refused(cx, &who, act, j->p.patient_id, id, e, rc);
  }
  free(j);
  return records_done(e, rc);
}

int delivery_out(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                 const char *secret, json_t **out, struct ly_error *e) {
  return dl_move(cx, pa, prescription_id, secret, "out", NULL, out, e);
}

int delivery_fail(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                  const char *secret, const char *reason, json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  int rc = records_text_check(reason, DELIVERY_REASON_MAX, 1, "reason", e);
  if (rc) return rc;
  return dl_move(cx, pa, prescription_id, secret, "fail", reason, out, e);
}

/* ---- handing over ------------------------------------------------------------------- */

static int dl_code_ok(struct rx_ctx *cx, const struct dl_rec *d, const char *code) {
  char want[DELIVERY_CODE_DIGITS + 1];
  int ok = code && strnlen(code, DELIVERY_CODE_DIGITS + 1) == DELIVERY_CODE_DIGITS;
  for (int i = 0; ok && i < DELIVERY_CODE_DIGITS; i++)
    ok = code[i] >= '0' && code[i] <= '9';
  if (ok)
    ok = dl_open_code(cx, d->id, d->code_enc, d->code_enc_len, want) == 0 &&
         ly_memeq(want, code, DELIVERY_CODE_DIGITS);
  OPENSSL_cleanse(want, sizeof want);
  return ok;
}

/* A wrong code counts (committed although the call is refused); the fifth locks. */
static int dl_wrong(struct rx_ctx *cx, const struct records_actor *who, struct dl_job *j, int64_t now) {
  static const char *sql =
      "UPDATE rx_deliveries SET wrong_tries = wrong_tries + 1, locked_at = CASE WHEN wrong_tries + 1 >= ?2 "
      "THEN ?3 "
      "ELSE locked_at END, updated_at = ?3 WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, j->d.id);
  ly_db_bind_int(st, 2, DELIVERY_MAX_TRIES);
  ly_db_bind_int(st, 3, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  j->wrong = 1;
  j->locked = j->d.wrong_tries + 1 >= DELIVERY_MAX_TRIES;
  j->tries_left = j->locked ? 0 : DELIVERY_MAX_TRIES - j->d.wrong_tries - 1;
  if ((rc = dl_event(cx, j->d.id, who->id, j->locked ? "locked" : "wrong_code", j->d.state, j->d.state, NULL,
                     now)))
    return rc;
  return records_audit(&cx->rec, who, "rx.delivery_deliver", j->p.patient_id, "prescription", j->p.id,
                       j->locked ? "rx.delivery_locked" : "rx.delivery_code_wrong", NULL);
}

static int dl_deliver_tx(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *id,
                         const char *secret, const char *code, struct dl_job *j, json_t **receipt,
                         struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = dl_claimed(cx, pa, id, secret, j, e);
  if (rc) return rc;
  if (!strcmp(j->d.state, "delivered") && !strcmp(j->c.state, "completed")) {
    *receipt = receipt_json_of(cx, id);
    return *receipt ? 0 : LY_ENOMEM;
  }
  if (strcmp(j->c.state, "active") != 0) return ph_claim_check(cx, pa, id, secret, &j->c, e);
  if (strcmp(j->d.state, "out_for_delivery") != 0)
    return dl_set(cx, pa->account_id, &j->d, "deliver", NULL, now, e);
  if (j->d.locked_at)
    return ly_error_set(e, LY_ERATE, "rx.delivery_locked",
                        "Too many wrong codes: the patient must make a new code in their app.",
                        "取件码错误次数过多，已锁定，请患者在应用中重置取件码。");
  if (!dl_code_ok(cx, &j->d, code)) return dl_wrong(cx, &who, j, now);
  if ((rc = dl_set(cx, pa->account_id, &j->d, "deliver", NULL, now, e))) return rc;
  if ((rc = records_audit(&cx->rec, &who, "rx.delivery_deliver", j->p.patient_id, "prescription", id, "ok",
                          NULL)))
    return rc;
  return ph_complete(cx, &who, &j->p, &j->c, receipt, e);
}

int delivery_deliver(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *prescription_id,
                     const char *secret, const char *code, json_t **receipt, struct ly_error *e) {
  struct records_actor who = ph_who(pa);
  ly_error_clear(e);
  *receipt = NULL;
  if (!prescription_id || strnlen(prescription_id, LY_ID_MAX) >= LY_ID_MAX)
    return records_done(e, ph_not_found(e));
  struct dl_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0)
    rc = records_finish(cx->rec.db, dl_deliver_tx(cx, pa, prescription_id, secret, code, j, receipt, e));
  if (rc == 0 && j->wrong) {
    json_decref(*receipt);
    *receipt = NULL;
    if (j->locked)
      rc = ly_error_set(e, LY_ERATE, "rx.delivery_locked",
                        "Too many wrong codes: the patient must make a new code in their app.",
                        "取件码错误次数过多，已锁定，请患者在应用中重置取件码。");
    else {
      rc = ly_error_setf(e, LY_EDENIED, "rx.delivery_code_wrong", "The code is wrong; %d tries left.",
                         j->tries_left);
      if (e) snprintf(e->message_zh, sizeof e->message_zh, "取件码错误，还可尝试 %d 次。", j->tries_left);
    }
  } else if (rc) {
    json_decref(*receipt);
    *receipt = NULL;
    ph_refused(cx, &who, "rx.delivery_deliver", j->p.patient_id, prescription_id, e, rc);
  }
  free(j);
  return records_done(e, rc);
}

/* ---- the patient's reset ------------------------------------------------------------ */

static int dl_reset_tx(struct rx_ctx *cx, const struct records_actor *who, const char *id, struct dl_job *j,
                       json_t **out, struct ly_error *e) {
  static const char *sql =
      "UPDATE rx_deliveries SET code_enc = ?2, wrong_tries = 0, locked_at = NULL, updated_at = ?3 WHERE id = "
      "?1";
  uint8_t sealed[DELIVERY_CODE_DIGITS + LY_SEAL_OVERHEAD];
  size_t n = 0;
  int64_t now = ly_now_ms(cx->rec.clock);
  int rc = rx_load(cx, id, &j->p, e);
  if (rc == LY_ENOTFOUND) return ph_not_found(e);
  if (rc || (rc = ph_patient_owns(cx, who, &j->p, e))) return rc;
  if (ph_claim_active(cx, id, &j->c) != 0 || dl_load(cx, j->c.id, &j->d) != 0) return dl_none(e);
  if (strcmp(j->d.state, "delivered") == 0) return dl_set(cx, who->id, &j->d, "reset", NULL, now, e);
  if ((rc = dl_new_code(cx, j->d.id, sealed, &n))) return rc;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, j->d.id);
  ly_db_bind_blob(st, 2, sealed, (int)n);
  ly_db_bind_int(st, 3, now);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->rec.db, rc);
  if ((rc = dl_event(cx, j->d.id, who->id, "reset_code", j->d.state, j->d.state, NULL, now))) return rc;
  if ((rc = records_audit(&cx->rec, who, "rx.delivery_reset_code", j->p.patient_id, "prescription", id, "ok",
                          NULL)))
    return rc;
  *out = ph_delivery_json(cx, j->c.id, 1, NULL);
  return *out ? 0 : LY_ENOMEM;
}

int delivery_reset_code(struct rx_ctx *cx, const struct records_actor *who, const char *prescription_id,
                        json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  if (!prescription_id || strnlen(prescription_id, LY_ID_MAX) >= LY_ID_MAX)
    return records_done(e, ph_not_found(e));
  struct dl_job *j = calloc(1, sizeof *j);
  if (!j) return records_done(e, LY_ENOMEM);
  int rc = ly_db_begin(cx->rec.db);
  if (rc == 0) rc = records_finish(cx->rec.db, dl_reset_tx(cx, who, prescription_id, j, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
    ph_refused(cx, who, "rx.delivery_reset_code", j->p.patient_id, prescription_id, e, rc);
  }
  free(j);
  return records_done(e, rc);
}
