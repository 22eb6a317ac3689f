/* insurance/adjudicate.c — the per-line policy engine (see adjudicate.h for
 * the order of the split and the one rounding rule). Pure: no I/O, no state. */
#include "insurance/adjudicate.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

int64_t adjudicate_share(int64_t x, int64_t bp) {
  /* x <= quantity × unit price <= 1e14 and bp <= 1e4, so x × bp fits in int64. */
  return (x * bp + ADJUDICATE_BP_ONE / 2) / ADJUDICATE_BP_ONE;
}

static int64_t min64(int64_t a, int64_t b) {
  return a < b ? a : b;
}
static int64_t pos64(int64_t a) {
  return a > 0 ? a : 0;
}

void adjudicate_amounts_add(struct adjudicate_amounts *a, const struct adjudicate_amounts *b) {
  a->total_fen += b->total_fen;
  a->fully_self_fen += b->fully_self_fen;
  a->pre_self_fen += b->pre_self_fen;
  a->in_scope_fen += b->in_scope_fen;
  a->deductible_fen += b->deductible_fen;
  a->fund_fen += b->fund_fen;
  a->patient_fen += b->patient_fen;
  a->account_fen += b->account_fen;
  a->cash_fen += b->cash_fen;
  a->notes |= b->notes;
}

static const char *const kind_names[] = {"drug", "fee", "delivery"};
static const char *const category_names[] = {"甲", "乙", "丙"};

const char *adjudicate_kind_name(enum adjudicate_kind k) {
  return (unsigned)k < 3 ? kind_names[k] : "?";
}

const char *adjudicate_category_name(enum adjudicate_category c) {
  return (unsigned)c < 3 ? category_names[c] : "?";
}

int adjudicate_kind_parse(const char *s, enum adjudicate_kind *out) {
  for (int i = 0; s && i < 3; i++)
    if (strcmp(s, kind_names[i]) == 0) {
      *out = (enum adjudicate_kind)i;
      return 0;
    }
  return LY_EINVAL;
}

int adjudicate_category_parse(const char *s, enum adjudicate_category *out) {
  for (int i = 0; s && i < 3; i++)
    if (strcmp(s, category_names[i]) == 0) {
      *out = (enum adjudicate_category)i;
      return 0;
    }
  return LY_EINVAL;
}

static int bad_field(struct ly_error *e, const char *code, const char *msg, const char *zh, const char *field,
                     size_t idx) {
  ly_error_set(e, LY_EINVAL, code, msg, zh);
  if (e) {
    if (idx == (size_t)-1)
      snprintf(e->field, sizeof e->field, "%s", field);
    else
      snprintf(e->field, sizeof e->field, "lines[%zu].%s", idx, field);
  }
  return LY_EINVAL;
}

static int check_policy(const struct adjudicate_policy *p, const struct adjudicate_accum *acc,
                        struct ly_error *e) {
  static const char *code = "insurance.invalid_policy";
  static const char *msg = "The insurance policy or the patient's accumulators are out of range.";
  static const char *zh = "医保政策参数或个人累计数超出范围。";
  if (p->ratio_bp < 0 || p->ratio_bp > ADJUDICATE_BP_ONE) return bad_field(e, code, msg, zh, "ratio_bp", -1);
  if (p->deductible_fen < 0) return bad_field(e, code, msg, zh, "deductible_fen", -1);
  if (p->cap_fen < 0) return bad_field(e, code, msg, zh, "cap_fen", -1);
  for (int c = 0; c < 3; c++)
    if (p->self_pay_bp[c] < 0 || p->self_pay_bp[c] > ADJUDICATE_BP_ONE)
      return bad_field(e, code, msg, zh, "self_pay_bp", -1);
  if (acc->deductible_used_fen < 0 || acc->fund_paid_fen < 0 || acc->account_balance_fen < 0 ||
      acc->episode_deductible_fen < 0)
    return bad_field(e, code, msg, zh, "accumulators", -1);
  return 0;
}

static int check_line(const struct adjudicate_line *l, size_t i, struct ly_error *e) {
  if (l->kind < ADJUDICATE_DRUG || l->kind > ADJUDICATE_DELIVERY)
    return bad_field(e, "insurance.invalid_line", "Unknown kind of billable item.", "未知的收费项目类别。",
                     "kind", i);
  if (l->category < ADJUDICATE_CAT_A || l->category > ADJUDICATE_CAT_C)
    return bad_field(e, "insurance.invalid_line", "Unknown drug category (甲/乙/丙).",
                     "未知的药品类别（甲/乙/丙）。", "category", i);
  if (l->quantity < 0 || l->unit_price_fen < 0)
    return bad_field(e, "insurance.negative_amount", "Quantities and prices cannot be negative.",
                     "数量和价格不能为负数。", l->quantity < 0 ? "quantity" : "unit_price_fen", i);
  if (l->quantity == 0)
    return bad_field(e, "insurance.invalid_quantity", "A billed item needs a quantity of at least 1.",
                     "收费项目数量至少为 1。", "quantity", i);
  if (l->quantity > ADJUDICATE_MAX_QUANTITY || l->unit_price_fen > ADJUDICATE_MAX_UNIT_PRICE)
    return bad_field(e, "insurance.amount_too_large",
                     "The quantity or price is beyond what a claim may carry.",
                     "数量或价格超出单次结算上限。",
                     l->quantity > ADJUDICATE_MAX_QUANTITY ? "quantity" : "unit_price_fen", i);
  return 0;
}

/* What is left of the deductible at this level, episode rule included. */
static int64_t deductible_open(const struct adjudicate_policy *p, const struct adjudicate_accum *acc) {
  int64_t open = p->deductible_fen - acc->deductible_used_fen;
  if (acc->in_episode) open = min64(open, p->deductible_fen - acc->episode_deductible_fen);
  return pos64(open);
}

/* One line against the running accumulators (already validated). */
static void adjudicate_line(const struct adjudicate_policy *p, struct adjudicate_accum *acc,
                            const struct adjudicate_line *l, struct adjudicate_amounts *o) {
  memset(o, 0, sizeof *o);
  o->total_fen = l->quantity * l->unit_price_fen;
  if (l->kind == ADJUDICATE_DELIVERY) {
    o->fully_self_fen = o->total_fen;
    o->notes |= ADJUDICATE_NOTE_DELIVERY;
  } else if (!l->covered) {
    o->fully_self_fen = o->total_fen;
    o->notes |= ADJUDICATE_NOTE_NOT_COVERED;
  } else if (l->category == ADJUDICATE_CAT_C) {
    o->fully_self_fen = o->total_fen;
    o->notes |= ADJUDICATE_NOTE_CATEGORY_C;
  } else {
    o->pre_self_fen = adjudicate_share(o->total_fen, p->self_pay_bp[l->category]);
    if (o->pre_self_fen > 0) o->notes |= ADJUDICATE_NOTE_SELF_SHARE;
  }
  o->in_scope_fen = o->total_fen - o->fully_self_fen - o->pre_self_fen;

  o->deductible_fen = min64(o->in_scope_fen, deductible_open(p, acc));
  if (o->deductible_fen > 0) o->notes |= ADJUDICATE_NOTE_DEDUCTIBLE;
  acc->deductible_used_fen += o->deductible_fen;
  if (acc->in_episode) acc->episode_deductible_fen += o->deductible_fen;

  int64_t by_ratio = adjudicate_share(o->in_scope_fen - o->deductible_fen, p->ratio_bp);
  int64_t cap_open = pos64(p->cap_fen - acc->fund_paid_fen);
  o->fund_fen = min64(by_ratio, cap_open);
  if (o->fund_fen < by_ratio) o->notes |= ADJUDICATE_NOTE_CAP;
  acc->fund_paid_fen += o->fund_fen;

  o->patient_fen = o->total_fen - o->fund_fen;
  if (p->account_allowed && l->kind != ADJUDICATE_DELIVERY) {
    o->account_fen = min64(o->patient_fen, acc->account_balance_fen);
    if (o->account_fen < o->patient_fen) o->notes |= ADJUDICATE_NOTE_ACCOUNT_SHORT;
    acc->account_balance_fen -= o->account_fen;
  }
  o->cash_fen = o->patient_fen - o->account_fen;
}

int adjudicate_claim(const struct adjudicate_policy *policy, struct adjudicate_accum *acc,
                     const struct adjudicate_line *lines, size_t n, struct adjudicate_amounts *out_lines,
                     struct adjudicate_amounts *out_total, struct ly_error *e) {
  if (!policy || !acc || (n && (!lines || !out_lines)) || !out_total)
    return ly_error_set(e, LY_EINVAL, NULL, "adjudicate_claim: missing argument", NULL);
  if (n > ADJUDICATE_MAX_LINES)
    return bad_field(e, "insurance.too_many_lines", "A claim carries at most 64 lines.",
                     "单次结算最多 64 个收费项目。", "lines", -1);
  int rc = check_policy(policy, acc, e);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++)
    if ((rc = check_line(&lines[i], i, e))) return rc;

  struct adjudicate_accum run = *acc;
  struct adjudicate_amounts total;
  memset(&total, 0, sizeof total);
  for (size_t i = 0; i < n; i++) {
    adjudicate_line(policy, &run, &lines[i], &out_lines[i]);
    adjudicate_amounts_add(&total, &out_lines[i]);
  }
  *acc = run;
  *out_total = total;
  return 0;
}
