/* insurance/adjudicate.h — the policy engine: one claim's lines under one
 * policy, as a pure function over plain structs (no database, no clock, no
 * allocation), so every fen can be checked against a hand-computed table.
 *
 * Per line, in this order (DESIGN.md §6):
 *   total            = quantity × unit_price
 *   fully_self_paid  = total for delivery fees, uncovered items and 丙 drugs
 *   pre_self_paid    = the category's self-pay share of the rest (乙: 10%)
 *   in_scope         = total − fully_self_paid − pre_self_paid
 *   deductible       = min(in_scope, deductible still open)
 *   fund             = share(in_scope − deductible, ratio), then capped by
 *                      what is left of the annual cap
 *   patient          = total − fund
 *   account          = min(patient, balance) where the plan has a personal
 *                      account and the line is medical (not delivery)
 *   cash             = patient − account
 *
 * THE rounding rule (the only one): a share of x fen at bp basis points is
 * share(x, bp) = floor((x × bp + 5000) / 10000), i.e. rounded half up to the
 * fen; the complement x − share takes the remainder, so every split adds up
 * exactly. It is applied per line to the 乙 share and to the fund ratio.
 *
 * The accumulators carry from line to line inside a claim: the deductible,
 * the annual cap and the personal account can each run out mid-claim.
 *
 * Deductible: per plan × facility level, annual, counted per level
 * (deductible_used_fen is this year's use at the claim's level). Inside a
 * referral episode the patient pays one deductible, not one per level: the
 * open deductible is also limited to deductible − what the episode already
 * charged at any level (an up-referral pays only the difference, a
 * down-referral nothing).
 */
#ifndef LY_INSURANCE_ADJUDICATE_H
#define LY_INSURANCE_ADJUDICATE_H

#include <stddef.h>
#include <stdint.h>

struct ly_error;

#define ADJUDICATE_MAX_LINES      64
#define ADJUDICATE_MAX_QUANTITY   100000       /* units per line */
#define ADJUDICATE_MAX_UNIT_PRICE 1000000000LL /* fen (10 million yuan) */
#define ADJUDICATE_BP_ONE         10000        /* 100% in basis points */

enum adjudicate_kind { ADJUDICATE_DRUG = 0, ADJUDICATE_FEE = 1, ADJUDICATE_DELIVERY = 2 };
enum adjudicate_category {
  ADJUDICATE_CAT_A = 0 /* 甲 */,
  ADJUDICATE_CAT_B = 1 /* 乙 */,
  ADJUDICATE_CAT_C = 2 /* 丙 */
};

/* Why a line came out as it did (bits of adjudicate_amounts.notes). */
enum adjudicate_note {
  ADJUDICATE_NOTE_DELIVERY = 1u << 0,     /* delivery fees are never covered */
  ADJUDICATE_NOTE_NOT_COVERED = 1u << 1,  /* item outside the schedule */
  ADJUDICATE_NOTE_CATEGORY_C = 1u << 2,   /* 丙: fully self-paid */
  ADJUDICATE_NOTE_SELF_SHARE = 1u << 3,   /* a category self-pay share (乙) was taken */
  ADJUDICATE_NOTE_DEDUCTIBLE = 1u << 4,   /* some of the line went to the deductible */
  ADJUDICATE_NOTE_CAP = 1u << 5,          /* the annual cap cut the fund's share */
  ADJUDICATE_NOTE_ACCOUNT_SHORT = 1u << 6 /* the personal account could not pay it all */
};

/* The policy in force for the claim's plan × facility level on its service date. */
struct adjudicate_policy {
  int64_t ratio_bp;       /* fund share of in-scope after deductible, 0..10000 */
  int64_t deductible_fen; /* annual, >= 0 */
  int64_t cap_fen;        /* annual fund cap, >= 0 */
  int64_t self_pay_bp[3]; /* by category; 丙 is fully self-paid whatever it says */
  int account_allowed;    /* the plan has a personal account */
};

/* The patient's accumulators at claim time; adjudicate_claim returns them updated. */
struct adjudicate_accum {
  int64_t deductible_used_fen; /* this year, at the claim's facility level */
  int64_t fund_paid_fen;       /* this year, all levels */
  int64_t account_balance_fen;
  int in_episode;                 /* the claim belongs to a referral episode */
  int64_t episode_deductible_fen; /* what that episode already charged (any level, any year) */
};

struct adjudicate_line {
  enum adjudicate_kind kind;
  enum adjudicate_category category;
  int covered;            /* 0: outside the schedule, fully self-paid */
  int64_t quantity;       /* 1..ADJUDICATE_MAX_QUANTITY */
  int64_t unit_price_fen; /* 0..ADJUDICATE_MAX_UNIT_PRICE */
};

struct adjudicate_amounts {
  int64_t total_fen;
  int64_t fully_self_fen;
  int64_t pre_self_fen;
  int64_t in_scope_fen;
  int64_t deductible_fen;
  int64_t fund_fen;
  int64_t patient_fen; /* total − fund = account + cash */
  int64_t account_fen;
  int64_t cash_fen;
  unsigned notes; /* ADJUDICATE_NOTE_* (OR of the lines for a total) */
};

/* share(x, bp): x × bp / 10000 rounded half up (x >= 0, 0 <= bp <= 10000). */
int64_t adjudicate_share(int64_t x, int64_t bp);

/* Adjudicate n lines in order. On success fills out_lines[0..n) and *out_total
 * (the exact sum of the lines) and advances *acc. On error (LY_EINVAL with
 * e->code "insurance.negative_amount", "insurance.invalid_quantity",
 * "insurance.amount_too_large", "insurance.too_many_lines" or
 * "insurance.invalid_policy", e->field naming the input) nothing is written:
 * *acc and the outputs are untouched. */
int adjudicate_claim(const struct adjudicate_policy *policy, struct adjudicate_accum *acc,
                     const struct adjudicate_line *lines, size_t n, struct adjudicate_amounts *out_lines,
                     struct adjudicate_amounts *out_total, struct ly_error *e);

/* Names as stored and sent: "drug"/"fee"/"delivery", "甲"/"乙"/"丙".
 * The parsers return LY_EINVAL for anything else. */
const char *adjudicate_kind_name(enum adjudicate_kind k);
const char *adjudicate_category_name(enum adjudicate_category c);
int adjudicate_kind_parse(const char *s, enum adjudicate_kind *out);
int adjudicate_category_parse(const char *s, enum adjudicate_category *out);

/* Add b into a (all amounts, notes OR'ed). */
void adjudicate_amounts_add(struct adjudicate_amounts *a, const struct adjudicate_amounts *b);

#endif
