/* insurance/claim.c — pricing a claim request, and the estimate / settle /
 * reverse lifecycle (contract in claim.h). Stored claims are read back by
 * claim_store.c. */
#include "insurance/claim.h"

#include <string.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/err.h"
#include "insurance/claim_internal.h"
#include "insurance/coverage.h"
#include "insurance/insurance_internal.h"

struct reject_row {
  int num;
  const char *code, *en, *zh;
};

static const struct reject_row reject_rows[] = {
#define CLAIM_X_(name, num, code, en, zh) {(num), (code), (en), (zh)},
    CLAIM_REJECT_MAP(CLAIM_X_)
#undef CLAIM_X_
};

static const struct reject_row *reject_find(int reason) {
  for (size_t i = 0; i < sizeof reject_rows / sizeof reject_rows[0]; i++)
    if (reject_rows[i].num == reason) return &reject_rows[i];
  return NULL;
}

const char *claim_reject_code(int reason) {
  const struct reject_row *r = reject_find(reason);
  return r ? r->code : "";
}

const char *claim_status_name(enum claim_status s) {
  static const char *const names[] = {"estimate", "settled", "reversed", "rejected"};
  return (unsigned)s < 4 ? names[s] : "?";
}

/* Mark out rejected with reason, fill e; returns LY_EDENIED. */
static int claim_reject(struct claim *out, struct ly_error *e, int reason, const char *field) {
  const struct reject_row *r = reject_find(reason);
  char en[320], zh[320];
  out->status = CLAIM_REJECTED;
  out->reject_reason = reason;
  ins_copy(out->reject_code, sizeof out->reject_code, r->code);
  ins_copy(out->reject_field, sizeof out->reject_field, field);
  snprintf(en, sizeof en, "Claim rejected (reason %d): %s", reason, r->en);
  snprintf(zh, sizeof zh, "拒绝结算（原因 %d）：%s", reason, r->zh);
  ly_error_set(e, LY_EDENIED, r->code, en, zh);
  if (e) ins_copy(e->field, sizeof e->field, field);
  return LY_EDENIED;
}

static int bad_request(struct ly_error *e, const char *field, const char *msg) {
  ly_error_set(e, LY_EINVAL, "request.invalid_field", msg, NULL);
  if (e) ins_copy(e->field, sizeof e->field, field);
  return LY_EINVAL;
}

static int encounter_type_valid(const char *t) {
  return t && (strcmp(t, "consultation") == 0 || strcmp(t, "dispense") == 0 || strcmp(t, "visit") == 0);
}

static int str_ok(const char *s, size_t max) {
  return s && *s && strlen(s) < max;
}

/* Shape of the request (not its business validity: that is a rejection). */
static int claim_check_req(const struct claim_req *req, struct ly_error *e) {
  if (!str_ok(req->patient_id, LY_ID_MAX)) return bad_request(e, "patient_id", "patient_id is required.");
  if (!str_ok(req->facility_id, LY_ID_MAX)) return bad_request(e, "facility_id", "facility_id is required.");
  if (!encounter_type_valid(req->encounter_type))
    return bad_request(e, "encounter_type", "encounter_type is consultation, dispense or visit.");
  if (!str_ok(req->encounter_id, CLAIM_ENCOUNTER_MAX))
    return bad_request(e, "encounter_id", "encounter_id is required (at most 63 bytes).");
  if (req->episode_id && !str_ok(req->episode_id, CLAIM_ENCOUNTER_MAX))
    return bad_request(e, "episode_id", "episode_id is at most 63 bytes.");
  if (req->doctor_title && !str_ok(req->doctor_title, 32))
    return bad_request(e, "doctor_title", "doctor_title is a doctor title id.");
  if (req->nitems && !req->items) return bad_request(e, "items", "items are missing.");
  for (size_t i = 0; i < req->nitems && i <= ADJUDICATE_MAX_LINES; i++)
    if (!str_ok(req->items[i].code, POLICY_CODE_MAX) || (unsigned)req->items[i].kind > ADJUDICATE_DELIVERY)
      return bad_request(e, "items.code", "Each item needs a kind and a code (at most 47 bytes).");
  return 0;
}

/* Patient and facility must exist (a claim row references both). */
static int claim_load_parties(struct ly_db *db, const struct claim_req *req, struct claim *out,
                              int *designated, struct ly_error *e) {
  static const char *pat = "SELECT 1 FROM patients WHERE id = ?1";
  static const char *fac = "SELECT level, designated FROM facilities WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, pat);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, req->patient_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "insurance.unknown_patient", "No such patient.", "没有该患者。");
  if (rc != SQLITE_ROW) return ly_db_rc(db, rc);
  if (!(st = ly_db_stmt(db, fac))) return LY_EDB;
  ly_db_bind_text(st, 1, req->facility_id);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    ins_copy(out->facility_level, sizeof out->facility_level, ly_db_col_text(st, 0));
    *designated = sqlite3_column_int(st, 1) != 0;
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "insurance.unknown_facility", "No such facility.",
                        "没有该医疗机构。");
  return rc == SQLITE_ROW ? 0 : ly_db_rc(db, rc);
}

static void claim_fill_basics(const struct claim_req *req, struct claim *out) {
  ins_copy(out->patient_id, sizeof out->patient_id, req->patient_id);
  ins_copy(out->facility_id, sizeof out->facility_id, req->facility_id);
  ins_copy(out->encounter_type, sizeof out->encounter_type, req->encounter_type);
  ins_copy(out->encounter_id, sizeof out->encounter_id, req->encounter_id);
  ins_copy(out->episode_id, sizeof out->episode_id, req->episode_id);
  out->service_at = req->service_at;
  out->service_year = ins_year(req->service_at);
  out->status = CLAIM_ESTIMATE;
}

/* One item to an adjudicable line: category and coverage from the formulary
 * or the fee schedule. LY_ENOTFOUND when the item is in neither. */
static int claim_resolve_item(struct ly_db *db, const struct claim_req *req, const char *version,
                              const char *level, const struct claim_item *it, struct claim_line *l) {
  static const char *drug = "SELECT generic_name, category, price_fen FROM drugs WHERE id = ?1";
  int rc = 0;
  l->kind = it->kind;
  l->quantity = it->quantity;
  ins_copy(l->code, sizeof l->code, it->code);
  if (it->kind != ADJUDICATE_DRUG) {
    struct policy_fee f = {"", 0, 0};
    rc = policy_fee_lookup(db, version, it->code, level, req->doctor_title, &f);
    if (rc && !(rc == LY_ENOTFOUND && it->kind == ADJUDICATE_DELIVERY && it->has_price)) return rc;
    ins_copy(l->name, sizeof l->name, rc ? "药品配送费" : f.name);
    l->category = ADJUDICATE_CAT_A;
    l->covered = it->kind == ADJUDICATE_FEE && f.covered; /* delivery: never */
    /* Fees: the schedule's price, online and offline alike. Delivery: the
     * price charged when given, else the schedule's. */
    l->unit_price_fen = it->kind == ADJUDICATE_DELIVERY && it->has_price ? it->unit_price_fen : f.price_fen;
    return 0;
  }
  sqlite3_stmt *st = ly_db_stmt(db, drug);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, it->code);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    ins_copy(l->name, sizeof l->name, ly_db_col_text(st, 0));
    if (adjudicate_category_parse(ly_db_col_text(st, 1), &l->category)) l->category = ADJUDICATE_CAT_C;
    l->covered = 1;
    l->unit_price_fen = it->has_price ? it->unit_price_fen : sqlite3_column_int64(st, 2);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}

/* What the referral episode already charged; -1 in *owner_ok when it is
 * another patient's. A new episode has charged nothing. */
static int claim_episode_load(struct ly_db *db, const char *episode_id, const char *patient_id,
                              int64_t *charged, int *owner_ok) {
  static const char *sql = "SELECT patient_id, deductible_charged_fen FROM insurance_episodes WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, episode_id);
  int rc = sqlite3_step(st);
  *charged = 0;
  *owner_ok = 1;
  if (rc == SQLITE_ROW) {
    *owner_ok = strcmp(ly_db_col_text(st, 0), patient_id) == 0;
    *charged = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

/* Map an adjudication refusal to a numbered rejection ("lines[i]" → "items[i]"). */
static int claim_reject_adjudication(struct claim *out, struct ly_error *e) {
  char field[64];
  int reason = strcmp(e->code, "insurance.negative_amount") == 0 ? CLAIM_REJECT_NEGATIVE_AMOUNT
                                                                 : CLAIM_REJECT_INVALID_LINE;
  if (strncmp(e->field, "lines", 5) == 0)
    snprintf(field, sizeof field, "items%s", e->field + 5);
  else
    ins_copy(field, sizeof field, e->field);
  return claim_reject(out, e, reason, field);
}

/* Checks in order: dates and amounts, coverage, designation, period. */
static int claim_check_eligibility(int64_t now, const struct claim_req *req, int designated,
                                   const struct coverage *cov, int cov_rc, struct claim *out,
                                   struct ly_error *e) {
  char field[48];
  if (req->service_at > now + CLAIM_FUTURE_SLACK_MS)
    return claim_reject(out, e, CLAIM_REJECT_FUTURE_DATE, "service_at");
  if (req->nitems == 0 || req->nitems > ADJUDICATE_MAX_LINES)
    return claim_reject(out, e, CLAIM_REJECT_INVALID_LINE, "items");
  for (size_t i = 0; i < req->nitems; i++) {
    const struct claim_item *it = &req->items[i];
    if (it->quantity < 0 || (it->has_price && it->unit_price_fen < 0)) {
      snprintf(field, sizeof field, "items[%zu].%s", i, it->quantity < 0 ? "quantity" : "unit_price_fen");
      return claim_reject(out, e, CLAIM_REJECT_NEGATIVE_AMOUNT, field);
    }
  }
  if (cov_rc == LY_ENOTFOUND) return claim_reject(out, e, CLAIM_REJECT_NO_COVERAGE, "patient_id");
  if (cov_rc) return cov_rc;
  if (!designated) return claim_reject(out, e, CLAIM_REJECT_NOT_DESIGNATED, "facility_id");
  if (req->service_at < cov->valid_from || req->service_at > cov->valid_to)
    return claim_reject(out, e, CLAIM_REJECT_OUTSIDE_COVERAGE, "service_at");
  return 0;
}

static int claim_resolve_lines(struct ly_db *db, const struct claim_req *req, struct claim *out,
                               struct ly_error *e) {
  char field[48];
  for (size_t i = 0; i < req->nitems; i++) {
    int rc = claim_resolve_item(db, req, out->policy_version_id, out->facility_level, &req->items[i],
                                &out->lines[i]);
    if (rc == LY_ENOTFOUND) {
      snprintf(field, sizeof field, "items[%zu].code", i);
      return claim_reject(out, e, CLAIM_REJECT_NOT_DESIGNATED_ITEM, field);
    }
    if (rc) return rc;
  }
  out->nlines = req->nitems;
  return 0;
}

static int claim_adjudicate(const struct adjudicate_policy *p, struct claim *out, struct ly_error *e);

/* The whole pricing of a request against the database as it stands: out is
 * the claim as it would be settled now, or a rejection (LY_EDENIED). */
static int claim_price(struct ly_db *db, int64_t now, const struct claim_req *req, struct claim *out,
                       struct ly_error *e) {
  struct coverage cov;
  struct policy_terms terms;
  int designated = 0, owner_ok = 1, rc;
  memset(out, 0, sizeof *out);
  if (!req) return bad_request(e, "", "no request");
  if ((rc = claim_check_req(req, e))) return rc;
  if ((rc = claim_load_parties(db, req, out, &designated, e))) return rc;
  claim_fill_basics(req, out);
  int cov_rc = coverage_get(db, req->patient_id, &cov);
  if ((rc = claim_check_eligibility(now, req, designated, &cov, cov_rc, out, e))) return rc;
  ins_copy(out->plan_id, sizeof out->plan_id, cov.plan_id);

  int64_t effective_from = 0;
  rc = policy_version_at(db, req->service_at, out->policy_version_id, sizeof out->policy_version_id,
                         &effective_from, NULL);
  if (rc == LY_ENOTFOUND) return claim_reject(out, e, CLAIM_REJECT_NO_POLICY, "service_at");
  if (rc) return rc;
  rc = policy_terms_load(db, out->policy_version_id, effective_from, cov.plan_id, out->facility_level, &terms,
                         NULL);
  if (rc == LY_ENOTFOUND) return claim_reject(out, e, CLAIM_REJECT_UNKNOWN_PLAN, "patient_id");
  if (rc) return rc;

  struct adjudicate_accum *acc = &out->before;
  acc->account_balance_fen = cov.account_balance_fen;
  acc->in_episode = req->episode_id != NULL;
  if (acc->in_episode && (rc = claim_episode_load(db, req->episode_id, req->patient_id,
                                                  &acc->episode_deductible_fen, &owner_ok)))
    return rc;
  if (!owner_ok) return claim_reject(out, e, CLAIM_REJECT_EPISODE_MISMATCH, "episode_id");
  if ((rc = claim_resolve_lines(db, req, out, e))) return rc;
  if ((rc = coverage_accum(db, req->patient_id, out->service_year, out->facility_level,
                           &acc->deductible_used_fen, &acc->fund_paid_fen)))
    return rc;
  return claim_adjudicate(&terms.adj, out, e);
}

static int claim_adjudicate(const struct adjudicate_policy *p, struct claim *out, struct ly_error *e) {
  struct adjudicate_line in[ADJUDICATE_MAX_LINES];
  struct adjudicate_amounts amounts[ADJUDICATE_MAX_LINES];
  for (size_t i = 0; i < out->nlines; i++) {
    const struct claim_line *l = &out->lines[i];
    in[i] = (struct adjudicate_line){l->kind, l->category, l->covered, l->quantity, l->unit_price_fen};
  }
  out->after = out->before;
  int rc = adjudicate_claim(p, &out->after, in, out->nlines, amounts, &out->total, e);
  if (rc == LY_EINVAL) return claim_reject_adjudication(out, e);
  if (rc) return rc;
  for (size_t i = 0; i < out->nlines; i++)
    out->lines[i].amounts = amounts[i];
  out->has_accum = 1;
  return 0;
}

int claim_estimate(struct ly_db *db, int64_t now_ms, const struct claim_req *req, struct claim *out,
                   struct ly_error *e) {
  if (!db || !out) return LY_EINVAL;
  ly_error_clear(e);
  return claim_price(db, now_ms, req, out, e);
}

/* ---- settle ------------------------------------------------------------------ */

struct claim_tx {
  int64_t now;
  const struct claim_actor *actor;
  const struct claim_req *req;
  const char *claim_id; /* reverse */
  const char *reason;   /* reverse */
  struct claim *out;
  struct ly_error *e;
  int denied; /* a rejection was recorded: commit, then report LY_EDENIED */
};

static int claim_audit(struct ly_db *db, const struct claim_tx *x, const char *action, const char *outcome) {
  const struct claim *c = x->out;
  char detail[256];
  snprintf(detail, sizeof detail, "%s:%s total=%lld fund=%lld account=%lld cash=%lld", c->encounter_type,
           c->encounter_id, (long long)c->total.total_fen, (long long)c->total.fund_fen,
           (long long)c->total.account_fen, (long long)c->total.cash_fen);
  struct ly_audit_entry a = {x->now,  x->actor->id, x->actor->role, action, c->patient_id,
                             "claim", c->id,        outcome,        detail};
  return ly_audit_append(db, &a, NULL);
}

/* Settling adds to the episode and the accumulators with an upsert; a
 * reversal subtracts with a plain UPDATE (an upsert's candidate row would
 * carry the negative amounts and fail the CHECKs). The row must exist. */
static int claim_changed_one(struct ly_db *db, int rc) {
  if (!rc && sqlite3_changes(ly_db_sqlite(db)) != 1) rc = LY_ECONFLICT;
  return rc;
}

/* Episode first when settling (the claim row references it). */
static int claim_episode_add(struct ly_db *db, const struct claim *c, int sign, int64_t now) {
  static const char *ins =
      "INSERT INTO insurance_episodes (id, patient_id, deductible_charged_fen, created_at) VALUES (?1, ?2, "
      "?3, ?4)"
      " ON CONFLICT(id) DO UPDATE SET deductible_charged_fen = deductible_charged_fen + "
      "excluded.deductible_charged_fen";
  static const char *sub =
      "UPDATE insurance_episodes SET deductible_charged_fen = deductible_charged_fen - ?3"
      " WHERE id = ?1 AND patient_id = ?2";
  sqlite3_stmt *st = ly_db_stmt(db, sign > 0 ? ins : sub);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, c->episode_id);
  ly_db_bind_text(st, 2, c->patient_id);
  ly_db_bind_int(st, 3, c->total.deductible_fen);
  if (sign > 0) ly_db_bind_int(st, 4, now);
  return claim_changed_one(db, ins_step_done(db, st));
}

/* Accumulators of the claim's patient × year × level ± the claim's amounts. */
static int claim_accum_add(struct ly_db *db, const struct claim *c, int sign) {
  static const char *ins =
      "INSERT INTO insurance_accumulators (patient_id, year, facility_level, deductible_used_fen, "
      "fund_paid_fen,"
      " account_paid_fen, claims) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)"
      " ON CONFLICT(patient_id, year, facility_level) DO UPDATE SET"
      " deductible_used_fen = deductible_used_fen + excluded.deductible_used_fen,"
      " fund_paid_fen = fund_paid_fen + excluded.fund_paid_fen,"
      " account_paid_fen = account_paid_fen + excluded.account_paid_fen, claims = claims + 1";
  static const char *sub =
      "UPDATE insurance_accumulators SET deductible_used_fen = deductible_used_fen - ?4,"
      " fund_paid_fen = fund_paid_fen - ?5, account_paid_fen = account_paid_fen - ?6, claims = claims - 1"
      " WHERE patient_id = ?1 AND year = ?2 AND facility_level = ?3";
  sqlite3_stmt *st = ly_db_stmt(db, sign > 0 ? ins : sub);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, c->patient_id);
  ly_db_bind_int(st, 2, c->service_year);
  ly_db_bind_text(st, 3, c->facility_level);
  ly_db_bind_int(st, 4, c->total.deductible_fen);
  ly_db_bind_int(st, 5, c->total.fund_fen);
  ly_db_bind_int(st, 6, c->total.account_fen);
  return claim_changed_one(db, ins_step_done(db, st));
}

/* The personal account: debit (sign -1) or refund (+1). The CHECK on coverage
 * keeps it from going negative. */
static int claim_account_add(struct ly_db *db, const char *patient_id, int64_t delta) {
  static const char *sql =
      "UPDATE coverage SET account_balance_fen = account_balance_fen + ?2 WHERE patient_id = ?1";
  if (delta == 0) return 0;
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  ly_db_bind_int(st, 2, delta);
  return claim_changed_one(db, ins_step_done(db, st));
}

/* The balance before insurance/ first touched it (for the statement check). */
static int claim_account_opening(struct ly_db *db, const char *patient_id, int64_t balance, int64_t now) {
  static const char *sql =
      "INSERT OR IGNORE INTO insurance_account_openings (patient_id, opening_balance_fen, recorded_at)"
      " VALUES (?1, ?2, ?3)";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  ly_db_bind_int(st, 2, balance);
  ly_db_bind_int(st, 3, now);
  return ins_step_done(db, st);
}

/* "<prefix>_" + the time in 10 order-preserving base-32 digits + 22 random
 * base64url characters: still unguessable, but new claims, their lines and
 * reversals land at the right-hand end of their B-trees instead of on a
 * random page each (fewer pages written and read per settlement). */
static int claim_new_id(const char *prefix, int64_t now, char *out, size_t outsz) {
  static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
  char rnd[LY_ID_MAX], t[11];
  uint64_t v = now > 0 ? (uint64_t)now : 0;
  for (int i = 9; i >= 0; i--, v >>= 5)
    t[i] = digits[v & 31];
  t[10] = '\0';
  int rc = ly_token_new(16, rnd, sizeof rnd);
  if (rc < 0) return rc;
  int n = snprintf(out, outsz, "%s_%s%s", prefix, t, rnd);
  return n > 0 && (size_t)n < outsz ? 0 : LY_ETOOBIG;
}

static void claim_stamp(struct claim_tx *x) {
  struct claim *c = x->out;
  c->settled_at = x->now;
  ins_day(x->now, c->settled_day, sizeof c->settled_day);
  ins_copy(c->created_by, sizeof c->created_by, x->actor->id);
}

static int claim_record_rejection(struct ly_db *db, struct claim_tx *x) {
  struct claim *c = x->out;
  int rc = claim_new_id("clm", x->now, c->id, sizeof c->id);
  claim_stamp(x);
  memset(&c->total, 0, sizeof c->total);
  c->nlines = 0;
  c->has_accum = 0;
  if (!rc) rc = claim_store_insert(db, c);
  if (!rc) rc = claim_audit(db, x, "claim.settle", c->reject_code);
  if (rc) return rc;
  x->denied = 1;
  return 0;
}

static int claim_record_settlement(struct ly_db *db, struct claim_tx *x) {
  struct claim *c = x->out;
  int rc = claim_new_id("clm", x->now, c->id, sizeof c->id);
  c->status = CLAIM_SETTLED;
  claim_stamp(x);
  if (!rc && c->episode_id[0]) rc = claim_episode_add(db, c, 1, x->now);
  if (!rc) rc = claim_store_insert(db, c);
  if (!rc) rc = claim_account_opening(db, c->patient_id, c->before.account_balance_fen, x->now);
  if (!rc) rc = claim_accum_add(db, c, 1);
  if (!rc) rc = claim_account_add(db, c->patient_id, -c->total.account_fen);
  if (!rc) rc = claim_audit(db, x, "claim.settle", "ok");
  return rc;
}

static int claim_settle_tx(struct ly_db *db, void *ud) {
  struct claim_tx *x = ud;
  char existing[LY_ID_MAX];
  int rc = claim_check_req(x->req, x->e);
  if (rc) return rc;
  rc =
      claim_store_find_encounter(db, x->req->encounter_type, x->req->encounter_id, existing, sizeof existing);
  if (rc == 0) {
    if ((rc = claim_get(db, existing, x->out))) return rc;
    if (strcmp(x->out->patient_id, x->req->patient_id) != 0 ||
        strcmp(x->out->facility_id, x->req->facility_id) != 0)
      return ly_error_set(x->e, LY_ECONFLICT, "insurance.encounter_conflict",
                          "This encounter was already billed for another patient or facility.",
                          "该就诊已为其他患者或机构结算。");
    x->out->replayed = 1;
    return 0;
  }
  if (rc != LY_ENOTFOUND) return rc;
  rc = claim_price(db, x->now, x->req, x->out, x->e);
  if (rc == LY_EDENIED) return claim_record_rejection(db, x);
  if (rc) return rc;
  return claim_record_settlement(db, x);
}

int claim_settle(struct ly_db *db, int64_t now_ms, const struct claim_actor *actor,
                 const struct claim_req *req, struct claim *out, struct ly_error *e) {
  if (!db || !actor || !actor->id || !actor->role || !req || !out) return LY_EINVAL;
  struct claim_tx x = {now_ms, actor, req, NULL, NULL, out, e, 0};
  ly_error_clear(e);
  int rc = ly_db_tx(db, claim_settle_tx, &x);
  /* Another connection settled the same encounter between our look-up and
   * insert: the unique index refused ours; the retry returns theirs. */
  if (rc == LY_EEXIST) {
    x.denied = 0;
    rc = ly_db_tx(db, claim_settle_tx, &x);
  }
  if (rc && e && e->err != rc) ly_error_set(e, rc, NULL, ly_db_errmsg(db), NULL);
  if (rc) return rc;
  return x.denied ? LY_EDENIED : 0;
}

int claim_settle_batch(struct ly_db *db, int64_t now_ms, const struct claim_actor *actor,
                       const struct claim_req *reqs, size_t n, struct claim *outs, int *rcs,
                       struct ly_error *errs) {
  if (!db || !actor || (n && (!reqs || !outs || !rcs)) || n > CLAIM_BATCH_MAX) return LY_EINVAL;
  int rc = ly_db_begin(db);
  if (rc) return rc;
  /* inside an open transaction each claim_settle runs in a savepoint */
  for (size_t i = 0; i < n; i++)
    rcs[i] = claim_settle(db, now_ms, actor, &reqs[i], &outs[i], errs ? &errs[i] : NULL);
  return ly_db_commit(db);
}

/* ---- reverse ----------------------------------------------------------------- */

static int claim_insert_reversal(struct ly_db *db, struct claim_tx *x) {
  static const char *sql =
      "INSERT INTO claim_reversals (id, claim_id, reason, reversed_at, reversed_day, reversed_by, total_fen,"
      " deductible_fen, fund_fen, account_fen, cash_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
      "?11)";
  static const char *mark = "UPDATE claims SET status = 'reversed' WHERE id = ?1 AND status = 'settled'";
  struct claim *c = x->out;
  char day[16];
  int rc = claim_new_id("rev", x->now, c->reversal_id, sizeof c->reversal_id);
  if (rc) return rc;
  ins_day(x->now, day, sizeof day);
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, c->reversal_id);
  ly_db_bind_text(st, 2, c->id);
  ly_db_bind_text(st, 3, x->reason);
  ly_db_bind_int(st, 4, x->now);
  ly_db_bind_text(st, 5, day);
  ly_db_bind_text(st, 6, x->actor->id);
  int64_t v[5] = {c->total.total_fen, c->total.deductible_fen, c->total.fund_fen, c->total.account_fen,
                  c->total.cash_fen};
  for (int k = 0; k < 5; k++)
    ly_db_bind_int(st, 7 + k, v[k]);
  if ((rc = ins_step_done(db, st))) return rc;
  if (!(st = ly_db_stmt(db, mark))) return LY_EDB;
  ly_db_bind_text(st, 1, c->id);
  return claim_changed_one(db, ins_step_done(db, st));
}

static int claim_reverse_tx(struct ly_db *db, void *ud) {
  struct claim_tx *x = ud;
  struct claim *c = x->out;
  int rc = claim_get(db, x->claim_id, c);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(x->e, rc, "insurance.claim_not_found", "No such claim.", "没有该结算单。");
  if (rc) return rc;
  if (c->status == CLAIM_REJECTED)
    return ly_error_set(x->e, LY_ESTATE, "insurance.reverse_rejected", "A rejected claim cannot be reversed.",
                        "被拒绝的结算单不能冲正。");
  if (c->status == CLAIM_REVERSED)
    return ly_error_set(x->e, LY_ESTATE, "insurance.already_reversed", "This claim was already reversed.",
                        "该结算单已冲正。");
  if ((rc = claim_insert_reversal(db, x))) return rc;
  if (c->episode_id[0] && (rc = claim_episode_add(db, c, -1, x->now))) return rc;
  if ((rc = claim_accum_add(db, c, -1))) return rc;
  if ((rc = claim_account_add(db, c->patient_id, c->total.account_fen))) return rc;
  c->status = CLAIM_REVERSED;
  ins_copy(c->reversal_reason, sizeof c->reversal_reason, x->reason);
  ins_copy(c->reversed_by, sizeof c->reversed_by, x->actor->id);
  c->reversed_at = x->now;
  return claim_audit(db, x, "claim.reverse", "ok");
}

int claim_reverse(struct ly_db *db, int64_t now_ms, const struct claim_actor *actor, const char *claim_id,
                  const char *reason, struct claim *out, struct ly_error *e) {
  if (!db || !actor || !actor->id || !actor->role || !claim_id || !out) return LY_EINVAL;
  if (!reason || !*reason || strlen(reason) >= CLAIM_REASON_MAX)
    return bad_request(e, "reason", "A reversal needs a reason (at most 255 bytes).");
  struct claim_tx x = {now_ms, actor, NULL, claim_id, reason, out, e, 0};
  ly_error_clear(e);
  int rc = ly_db_tx(db, claim_reverse_tx, &x);
  if (rc && e && e->err != rc) ly_error_set(e, rc, NULL, ly_db_errmsg(db), NULL);
  return rc;
}

int claim_reverse_encounter(struct ly_db *db, int64_t now_ms, const struct claim_actor *actor,
                            const char *encounter_type, const char *encounter_id, const char *reason,
                            struct claim *out, struct ly_error *e) {
  char id[LY_ID_MAX];
  if (!db || !encounter_type || !encounter_id) return LY_EINVAL;
  int rc = claim_store_find_encounter(db, encounter_type, encounter_id, id, sizeof id);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, rc, "insurance.claim_not_found", "This encounter has no settled claim.",
                        "该就诊没有结算单。");
  if (rc) return ly_error_set(e, rc, NULL, ly_db_errmsg(db), NULL);
  return claim_reverse(db, now_ms, actor, id, reason, out, e);
}
