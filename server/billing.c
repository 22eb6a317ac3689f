/* server/billing.c — the billing job (contract in billing.h).
 *
 * One run: collect a batch (due consultations first, then unbilled
 * receipts), settle it in one commit, mark what was settled or refused in a
 * second, tell the patients; repeat up to BILLING_ROUNDS; then reverse what
 * is due. Statements that read rows are drained into the batch and reset
 * before anything else runs (ly_db_stmt caches them by pointer).
 */
#include "server/billing.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "core/log.h"
#include "insurance/claim.h"
#include "rx/receipt.h"
#include "rx/rx.h"
#include "server/server.h"
#include "signalling/sig.h"

_Static_assert(RECEIPT_MAX_LINES + 1 <= ADJUDICATE_MAX_LINES, "a receipt and its delivery fee fit one claim");

static const struct claim_actor BILLING_ACTOR = {"system", "system"};

/* Consultation fee items (诊查费) by the doctor's title, codes of the national
 * 医疗服务价格项目规范 as in the fee schedule; an unknown title is billed the
 * general item. A remote multi-party consultation has its own item, priced
 * by the consulted specialist's facility level (its consultation's facility). */
static const struct {
  const char *title, *code;
} fee_by_title[] = {
    {"resident", "110200001"},        {"attending", "110200001"}, {"gp", "110200001"},
    {"associate_chief", "110200002"}, {"chief", "110200003"},
};
#define FEE_GENERAL  "110200001"
#define FEE_REMOTE   "111000004"
#define FEE_DELIVERY "DELIVERY"

#define BACKOFF_MS     30000LL   /* first retry after a failure, doubling */
#define BACKOFF_MAX_MS 3600000LL /* at most an hour apart */
#define REVERSE_REASON "配药已退回或处方已撤销 (dispense returned or prescription reopened)"

enum bill_kind { BILL_CONSULTATION, BILL_RECEIPT };
enum bill_outcome { BILL_PENDING, BILL_SETTLED, BILL_REPLAYED, BILL_REJECTED, BILL_FAILED };

/* One encounter to bill, with the request the engine receives (its strings
 * point into this struct). */
struct bill {
  enum bill_kind kind;
  enum bill_outcome outcome;
  int tries;
  char ref[LY_ID_MAX]; /* consultation or receipt id: the encounter id */
  char patient_id[LY_ID_MAX];
  char facility_id[LY_ID_MAX];
  char episode_id[CLAIM_ENCOUNTER_MAX];
  char title[32];
  char account_id[LY_ID_MAX]; /* the patient's account, to tell ("" when none) */
  char claim_id[LY_ID_MAX];   /* the claim it ended as (settled, replayed or refused) */
  size_t out;                 /* 1 + its index in batch.outs when settled this round, else 0 */
  char codes[ADJUDICATE_MAX_LINES][LY_ID_MAX];
  struct claim_item items[ADJUDICATE_MAX_LINES];
  struct claim_req req;
};

struct batch {
  size_t n;
  struct bill bills[BILLING_BATCH];
  struct claim_req reqs[BILLING_BATCH];
  size_t of_req[BILLING_BATCH]; /* reqs[k] is bills[of_req[k]] */
  struct claim outs[BILLING_BATCH];
  int rcs[BILLING_BATCH];
  struct ly_error errs[BILLING_BATCH];
  struct receipt receipt; /* scratch for receipt_load */
};

/* Bounded copy (truncates; every buffer here is sized to its column). */
static void copy(char *dst, size_t dstsz, const char *src) {
  size_t n = src ? strnlen(src, dstsz - 1) : 0;
  if (n) memcpy(dst, src, n);
  dst[n] = '\0';
}

static int64_t backoff_ms(int tries) {
  int64_t d = BACKOFF_MS << (tries < 7 ? tries : 7);
  return d < BACKOFF_MAX_MS ? d : BACKOFF_MAX_MS;
}

static void bill_item(struct bill *b, enum adjudicate_kind kind, const char *code, int64_t quantity,
                      int has_price, int64_t price) {
  size_t i = b->req.nitems++;
  copy(b->codes[i], sizeof b->codes[i], code);
  b->items[i] = (struct claim_item){kind, b->codes[i], quantity, has_price, price};
}

static void bill_request(struct bill *b, const char *encounter_type, int64_t service_at) {
  b->req.patient_id = b->patient_id;
  b->req.facility_id = b->facility_id;
  b->req.encounter_type = encounter_type;
  b->req.encounter_id = b->ref;
  b->req.episode_id = b->episode_id[0] ? b->episode_id : NULL;
  b->req.doctor_title = b->title[0] ? b->title : NULL;
  b->req.service_at = service_at;
  b->req.items = b->items;
}

static const char *consultation_fee(const char *kind, const char *title) {
  if (strcmp(kind, "remote_consultation") == 0) return FEE_REMOTE;
  for (size_t i = 0; i < sizeof fee_by_title / sizeof fee_by_title[0]; i++)
    if (strcmp(fee_by_title[i].title, title) == 0) return fee_by_title[i].code;
  return FEE_GENERAL;
}

/* ---- the work list ------------------------------------------------------------ */

static int due_delete(struct ly_db *db, const char *kind, const char *ref) {
  static const char *sql = "DELETE FROM billing_due WHERE kind = ?1 AND ref_id = ?2";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, kind);
  ly_db_bind_text(st, 2, ref);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

/* A failed attempt: try again later, further apart each time. */
static int due_postpone(struct ly_db *db, int64_t now, const char *kind, const char *ref, int tries) {
  static const char *sql =
      "UPDATE billing_due SET tries = tries + 1, due_at = ?3 WHERE kind = ?1 AND ref_id = ?2";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, kind);
  ly_db_bind_text(st, 2, ref);
  ly_db_bind_int(st, 3, now + backoff_ms(tries));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

/* Due consultations, oldest first. Columns: ref, consultation id (NULL when
 * gone), patient, facility, kind, ended, title, episode, patient account,
 * refused claim, tries. */
static const char *SQL_DUE_CONSULTATIONS =
    "SELECT b.ref_id, c.id, c.patient_id, c.facility_id, c.kind, COALESCE(c.ended_at, c.updated_at),"
    " COALESCE(d.title, ''), COALESCE(r.episode_id, ''), COALESCE(p.account_id, ''),"
    " (SELECT k.id FROM claims k WHERE k.patient_id = c.patient_id AND k.encounter_type = 'consultation'"
    "  AND k.encounter_id = c.id AND k.status = 'rejected' AND k.created_by = 'system' LIMIT 1), b.tries"
    " FROM billing_due b LEFT JOIN consultations c ON c.id = b.ref_id"
    " LEFT JOIN doctors d ON d.account_id = c.doctor_id LEFT JOIN referrals r ON r.id = c.referral_id"
    " LEFT JOIN patients p ON p.id = c.patient_id"
    " WHERE b.kind = 'consultation' AND b.due_at <= ?1 ORDER BY b.due_at, b.ref_id LIMIT ?2";

static void consultation_row(sqlite3_stmt *st, struct bill *b) {
  memset(b, 0, sizeof *b);
  b->kind = BILL_CONSULTATION;
  b->tries = sqlite3_column_int(st, 10);
  copy(b->ref, sizeof b->ref, ly_db_col_text(st, 0));
  copy(b->patient_id, sizeof b->patient_id, ly_db_col_text(st, 2));
  copy(b->facility_id, sizeof b->facility_id, ly_db_col_text(st, 3));
  copy(b->title, sizeof b->title, ly_db_col_text(st, 6));
  copy(b->episode_id, sizeof b->episode_id, ly_db_col_text(st, 7));
  copy(b->account_id, sizeof b->account_id, ly_db_col_text(st, 8));
  copy(b->claim_id, sizeof b->claim_id, ly_db_col_text(st, 9));
  if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
    b->outcome = BILL_FAILED; /* the consultation is gone: nothing to bill */
    b->tries = -1;
    return;
  }
  if (b->claim_id[0]) b->outcome = BILL_REJECTED;
  bill_item(b, ADJUDICATE_FEE, consultation_fee(ly_db_col_text(st, 4), b->title), 1, 0, 0);
  bill_request(b, "consultation", sqlite3_column_int64(st, 5));
}

static int collect_consultations(const struct billing_ctx *cx, int64_t now, struct batch *bt) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, SQL_DUE_CONSULTATIONS);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, now);
  ly_db_bind_int(st, 2, (int64_t)(BILLING_BATCH - bt->n));
  int rc;
  while (bt->n < BILLING_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW)
    consultation_row(st, &bt->bills[bt->n++]);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ly_db_rc(cx->db, rc);
}

/* What a receipt does not say: the patient's account, whether it was
 * delivered (the delivery fee), the referral episode of the consultation it
 * was prescribed in, and a refusal already recorded. */
static const char *SQL_RECEIPT_MORE =
    "SELECT COALESCE(p.account_id, ''),"
    " EXISTS (SELECT 1 FROM rx_deliveries d WHERE d.claim_id = r.claim_id AND d.state = 'delivered'),"
    " COALESCE((SELECT f.episode_id FROM prescriptions x JOIN consultations c ON c.id = x.consultation_id"
    "  JOIN referrals f ON f.id = c.referral_id WHERE x.id = r.prescription_id), ''),"
    " (SELECT k.id FROM claims k WHERE k.patient_id = r.patient_id AND k.encounter_type = 'dispense'"
    "  AND k.encounter_id = r.id AND k.status = 'rejected' AND k.created_by = 'system' LIMIT 1)"
    " FROM rx_receipts r LEFT JOIN patients p ON p.id = r.patient_id WHERE r.id = ?1";

static int receipt_more(struct ly_db *db, struct bill *b, int *delivered) {
  sqlite3_stmt *st = ly_db_stmt(db, SQL_RECEIPT_MORE);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, b->ref);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    copy(b->account_id, sizeof b->account_id, ly_db_col_text(st, 0));
    *delivered = sqlite3_column_int(st, 1);
    copy(b->episode_id, sizeof b->episode_id, ly_db_col_text(st, 2));
    copy(b->claim_id, sizeof b->claim_id, ly_db_col_text(st, 3));
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}

/* rx/receipt.h: encounter "dispense" = the receipt, the prescribing
 * facility, service at completion, one drug line per receipt line at the
 * price charged; plus the delivery fee when it was delivered. */
static int receipt_bill(const struct billing_ctx *cx, struct rx_ctx *rx, const char *id, struct batch *bt) {
  struct receipt *r = &bt->receipt;
  struct bill *b = &bt->bills[bt->n];
  int delivered = 0;
  int rc = receipt_load(rx, id, r);
  if (rc) return rc;
  memset(b, 0, sizeof *b);
  b->kind = BILL_RECEIPT;
  copy(b->ref, sizeof b->ref, r->id);
  copy(b->patient_id, sizeof b->patient_id, r->patient_id);
  copy(b->facility_id, sizeof b->facility_id, r->facility_id);
  if ((rc = receipt_more(cx->db, b, &delivered))) return rc;
  if (b->claim_id[0]) b->outcome = BILL_REJECTED;
  for (size_t i = 0; i < r->nlines; i++)
    bill_item(b, ADJUDICATE_DRUG, r->lines[i].drug_id, r->lines[i].quantity, 1, r->lines[i].unit_price_fen);
  if (delivered) bill_item(b, ADJUDICATE_DELIVERY, FEE_DELIVERY, 1, 0, 0);
  bill_request(b, "dispense", r->completed_at);
  bt->n++;
  return 0;
}

/* Unbilled receipts after *after (paging across rounds of one run). */
static int collect_receipts(const struct billing_ctx *cx, struct batch *bt, char after[LY_ID_MAX]) {
  char ids[BILLING_BATCH][LY_ID_MAX];
  size_t n = 0;
  struct rx_ctx rx;
  rx_ctx_init(&rx, cx->db, cx->clock, cx->keys);
  int rc = receipt_unbilled(&rx, after[0] ? after : NULL, ids, BILLING_BATCH - bt->n, &n);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    rc = receipt_bill(cx, &rx, ids[i], bt);
    copy(after, LY_ID_MAX, ids[i]);
  }
  return rc;
}

/* ---- settle, mark, tell ------------------------------------------------------- */

/* Settle every pending bill in one commit (claim_settle_batch). */
static int settle(const struct billing_ctx *cx, int64_t now, struct batch *bt) {
  size_t m = 0;
  for (size_t i = 0; i < bt->n; i++)
    if (bt->bills[i].outcome == BILL_PENDING) {
      bt->of_req[m] = i;
      bt->reqs[m++] = bt->bills[i].req;
    }
  if (m == 0) return 0;
  int rc = claim_settle_batch(cx->db, now, &BILLING_ACTOR, bt->reqs, m, bt->outs, bt->rcs, bt->errs);
  if (rc) return rc; /* nothing was settled */
  for (size_t k = 0; k < m; k++) {
    struct bill *b = &bt->bills[bt->of_req[k]];
    const struct claim *c = &bt->outs[k];
    b->out = k + 1;
    if (bt->rcs[k] == 0)
      b->outcome = c->replayed ? BILL_REPLAYED : BILL_SETTLED;
    else if (bt->rcs[k] == LY_EDENIED && c->id[0])
      b->outcome = BILL_REJECTED;
    else
      b->outcome = BILL_FAILED;
    if (b->outcome != BILL_FAILED)
      copy(b->claim_id, sizeof b->claim_id, c->id);
    else
      LY_WARN(cx->log, "insurance.billing_failed", "billing %s %s: %s (%s)", b->req.encounter_type, b->ref,
              bt->errs[k].code[0] ? bt->errs[k].code : ly_strerror(bt->rcs[k]), bt->errs[k].message);
  }
  return 0;
}

struct mark_tx {
  const struct billing_ctx *cx;
  int64_t now;
  struct batch *bt;
};

static int mark_one(struct mark_tx *x, struct rx_ctx *rx, struct bill *b) {
  if (b->kind == BILL_CONSULTATION) {
    if (b->outcome != BILL_FAILED || b->tries < 0) return due_delete(x->cx->db, "consultation", b->ref);
    return due_postpone(x->cx->db, x->now, "consultation", b->ref, b->tries);
  }
  if (b->outcome == BILL_FAILED) return 0; /* still unbilled: the next run tries again */
  int rc = receipt_mark_billed(rx, b->ref, b->claim_id);
  if (rc == LY_ECONFLICT) {
    LY_WARN(x->cx->log, "insurance.billing_conflict", "receipt %s was billed as another claim than %s",
            b->ref, b->claim_id);
    rc = 0;
  }
  return rc;
}

static int mark_tx_fn(struct ly_db *db, void *ud) {
  struct mark_tx *x = ud;
  struct rx_ctx rx;
  rx_ctx_init(&rx, db, x->cx->clock, x->cx->keys);
  for (size_t i = 0; i < x->bt->n; i++) {
    int rc = mark_one(x, &rx, &x->bt->bills[i]);
    if (rc) return rc;
  }
  return 0;
}

static void tell(const struct billing_ctx *cx, const char *account, const char *type, const struct claim *c) {
  if (!cx->sig || !account[0]) return;
  json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "claim_id", c->id, "status",
                        claim_status_name(c->status), "encounter_type", c->encounter_type, "encounter_id",
                        c->encounter_id, "total_fen", (json_int_t)c->total.total_fen, "fund_fen",
                        (json_int_t)c->total.fund_fen, "account_fen", (json_int_t)c->total.account_fen,
                        "cash_fen", (json_int_t)c->total.cash_fen);
  if (d) sig_push_account(cx->sig, account, type, d);
  json_decref(d);
}

static void count(const struct batch *bt, struct billing_stats *s) {
  for (size_t i = 0; i < bt->n; i++) {
    enum bill_outcome o = bt->bills[i].outcome;
    s->settled += o == BILL_SETTLED;
    s->replayed += o == BILL_REPLAYED;
    s->rejected += o == BILL_REJECTED;
    s->failed += o == BILL_FAILED;
  }
}

/* One round: collect, settle, mark, tell. *more when the batch was full. */
static int round_run(const struct billing_ctx *cx, struct batch *bt, char after[LY_ID_MAX], int *more,
                     struct billing_stats *s) {
  int64_t now = ly_now_ms(cx->clock);
  bt->n = 0;
  int rc = collect_consultations(cx, now, bt);
  if (!rc) rc = collect_receipts(cx, bt, after);
  if (!rc) rc = settle(cx, now, bt);
  struct mark_tx x = {cx, now, bt};
  if (!rc && bt->n) rc = ly_db_tx(cx->db, mark_tx_fn, &x);
  if (rc) return rc;
  count(bt, s);
  /* tell about what this round settled (or found settled after a crash) */
  for (size_t i = 0; i < bt->n; i++) {
    const struct bill *b = &bt->bills[i];
    if (b->out && (b->outcome == BILL_SETTLED || b->outcome == BILL_REPLAYED) &&
        bt->outs[b->out - 1].status == CLAIM_SETTLED)
      tell(cx, b->account_id, "claim.settled", &bt->outs[b->out - 1]);
  }
  *more = bt->n == BILLING_BATCH;
  return 0;
}

/* ---- reversals ---------------------------------------------------------------- */

static const char *SQL_DUE_REVERSALS =
    "SELECT b.ref_id, r.id, COALESCE(r.billed_claim_id, ''), COALESCE(p.account_id, ''), b.tries"
    " FROM billing_due b LEFT JOIN rx_receipts r ON r.id = b.ref_id LEFT JOIN patients p ON p.id = "
    "r.patient_id"
    " WHERE b.kind = 'dispense_reverse' AND b.due_at <= ?1 ORDER BY b.due_at, b.ref_id LIMIT ?2";

struct reversal {
  char ref[LY_ID_MAX], claim_id[LY_ID_MAX], account_id[LY_ID_MAX];
  int gone, tries;
};

/* Reverse one receipt's claim. A receipt not billed yet waits for its bill
 * (the bill comes first in every run); one refused or already reversed has
 * nothing left to reverse. */
static int reverse_one(const struct billing_ctx *cx, int64_t now, const struct reversal *v, struct claim *c,
                       struct billing_stats *s) {
  struct ly_error e;
  if (v->gone) return due_delete(cx->db, "dispense_reverse", v->ref);
  if (!v->claim_id[0]) return due_postpone(cx->db, now, "dispense_reverse", v->ref, v->tries);
  int rc = claim_reverse(cx->db, now, &BILLING_ACTOR, v->claim_id, REVERSE_REASON, c, &e);
  if (rc == 0) {
    s->reversed++;
    tell(cx, v->account_id, "claim.reversed", c);
  } else if (rc != LY_ESTATE) {
    LY_WARN(cx->log, "insurance.billing_failed", "reversing claim %s of receipt %s: %s", v->claim_id, v->ref,
            e.code[0] ? e.code : ly_strerror(rc));
    s->failed++;
    return due_postpone(cx->db, now, "dispense_reverse", v->ref, v->tries);
  }
  return due_delete(cx->db, "dispense_reverse", v->ref);
}

static int reversals_run(const struct billing_ctx *cx, struct claim *c, struct billing_stats *s) {
  struct reversal v[BILLING_BATCH];
  size_t n = 0;
  int64_t now = ly_now_ms(cx->clock);
  sqlite3_stmt *st = ly_db_stmt(cx->db, SQL_DUE_REVERSALS);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, now);
  ly_db_bind_int(st, 2, BILLING_BATCH);
  int rc;
  while (n < BILLING_BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    copy(v[n].ref, sizeof v[n].ref, ly_db_col_text(st, 0));
    v[n].gone = sqlite3_column_type(st, 1) == SQLITE_NULL;
    copy(v[n].claim_id, sizeof v[n].claim_id, ly_db_col_text(st, 2));
    copy(v[n].account_id, sizeof v[n].account_id, ly_db_col_text(st, 3));
    v[n++].tries = sqlite3_column_int(st, 4);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return ly_db_rc(cx->db, rc);
  for (size_t i = 0; i < n; i++)
    if ((rc = reverse_one(cx, now, &v[i], c, s))) return rc;
  return 0;
}

/* ---- the job ------------------------------------------------------------------ */

int billing_run(const struct billing_ctx *cx, struct billing_stats *out) {
  struct billing_stats s = {0};
  struct batch *bt = calloc(1, sizeof *bt);
  if (!bt) return LY_ENOMEM;
  char after[LY_ID_MAX] = "";
  int rc = 0, more = 1;
  for (int r = 0; rc == 0 && more && r < BILLING_ROUNDS; r++)
    rc = round_run(cx, bt, after, &more, &s);
  if (rc == 0) rc = reversals_run(cx, &bt->outs[0], &s);
  free(bt);
  if (out) *out = s;
  return rc;
}

int64_t billing_interval_ms(const struct ly_server *srv) {
  return srv->cfg.billing_interval_ms > 0 ? srv->cfg.billing_interval_ms : 10000;
}

void billing_tick(struct ly_server *srv) {
  struct billing_ctx cx = {srv->db, srv->clock, &srv->keys, &srv->log, srv->sig};
  struct billing_stats s;
  int rc = billing_run(&cx, &s);
  if (rc) LY_WARN(&srv->log, "insurance.billing_failed", "billing job: %s", ly_strerror(rc));
  if (s.settled || s.replayed || s.rejected || s.reversed || s.failed)
    LY_INFO(&srv->log, "insurance.billed", "settled %d, found settled %d, refused %d, reversed %d, failed %d",
            s.settled, s.replayed, s.rejected, s.reversed, s.failed);
}
