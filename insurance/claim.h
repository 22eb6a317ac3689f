/* insurance/claim.h — the claim lifecycle: estimate → settle → reverse, or
 * rejected with a numbered reason (DESIGN.md §6).
 *
 *  - estimate: adjudicates against the accumulators as they stand; writes
 *    nothing (no effect at all).
 *  - settle: in ONE transaction, the claim and its lines are stored with
 *    fund/account/cash fixed, the annual accumulators (deductible used at the
 *    facility level, fund paid), the personal account balance and the
 *    referral episode are updated, and an audit entry is appended. Idempotent
 *    per encounter (encounter_type + encounter_id): a second settle returns
 *    the first claim (settled, or reversed) unchanged, whatever its lines.
 *  - reverse: a linked reversal record; accumulators, episode and account are
 *    restored in the same transaction. Reversing twice, or a rejected claim,
 *    is refused.
 *  - a rejection is recorded (when the patient and facility exist) as a
 *    claim with status rejected, its reason number and code; it does not
 *    block a later settle of the same encounter.
 *
 * Pricing: drug lines take category from the formulary (drugs) and the price
 * charged from the item (formulary price when the item gives none); fee lines
 * take price and coverage from the fee schedule of the policy in force (same
 * price online and offline, by facility level and doctor title); delivery
 * lines carry the price charged (else the schedule's, e.g. code "DELIVERY")
 * and are never covered.
 *
 * Time is passed in as UTC ms (now_ms) so tests control it; business days
 * and years are China Standard Time (insurance_internal.h).
 */
#ifndef LY_INSURANCE_CLAIM_H
#define LY_INSURANCE_CLAIM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "insurance/adjudicate.h"
#include "insurance/policy.h"

struct ly_db;
struct ly_error;

/* X(name, number, code, English, Chinese). Numbers are stable: they are
 * stored with the claim and shown to people. */
#define CLAIM_REJECT_MAP(X)                                                                                  \
  X(NO_COVERAGE, 1, "insurance.no_coverage", "The patient has no insurance coverage.",                       \
    "患者没有医保参保记录。")                                                                                \
  X(NOT_DESIGNATED, 2, "insurance.not_designated", "The facility is not a designated insurance provider.",   \
    "该机构不是医保定点机构。")                                                                              \
  X(OUTSIDE_COVERAGE, 3, "insurance.outside_coverage_period",                                                \
    "The service date is outside the coverage period.", "服务日期不在参保有效期内。")                        \
  X(UNKNOWN_PLAN, 4, "insurance.unknown_plan", "The patient's plan has no rates in the policy in force.",    \
    "参保险种在现行医保政策中没有待遇标准。")                                                                \
  X(NEGATIVE_AMOUNT, 5, "insurance.negative_amount", "Quantities and prices cannot be negative.",            \
    "数量和价格不能为负数。")                                                                                \
  X(FUTURE_DATE, 6, "insurance.future_service_date", "The service date is in the future.",                   \
    "服务日期不能晚于当前时间。")                                                                            \
  X(NO_POLICY, 7, "insurance.no_policy", "No insurance policy was in force on the service date.",            \
    "服务日期没有生效的医保政策。")                                                                          \
  X(NOT_DESIGNATED_ITEM, 8, "insurance.not_designated_item",                                                 \
    "An item is not in the formulary or the fee schedule.", "收费项目不在药品目录或收费目录中。")            \
  X(INVALID_LINE, 9, "insurance.invalid_line", "A line is malformed: quantity, price or size out of range.", \
    "收费项目有误：数量、价格或数目超出范围。")                                                              \
  X(EPISODE_MISMATCH, 10, "insurance.episode_mismatch", "The referral episode belongs to another patient.",  \
    "该转诊疗程属于其他患者。")

enum claim_reject {
  CLAIM_REJECT_NONE = 0,
#define CLAIM_X_(name, num, code, en, zh) CLAIM_REJECT_##name = (num),
  CLAIM_REJECT_MAP(CLAIM_X_)
#undef CLAIM_X_
};
/* Stable code of a reason number ("insurance.no_coverage"), "" for 0/unknown. */
const char *claim_reject_code(int reason);

enum claim_status { CLAIM_ESTIMATE = 0, CLAIM_SETTLED = 1, CLAIM_REVERSED = 2, CLAIM_REJECTED = 3 };
/* "estimate" | "settled" | "reversed" | "rejected" */
const char *claim_status_name(enum claim_status s);

#define CLAIM_ENCOUNTER_MAX   64 /* bytes of an encounter or episode id, NUL included */
#define CLAIM_REASON_MAX      256
#define CLAIM_FUTURE_SLACK_MS (5 * 60 * 1000) /* clock skew allowed on service dates */

/* A billable item as the caller knows it. */
struct claim_item {
  enum adjudicate_kind kind;
  const char *code; /* drug: drugs.id; fee and delivery: fee_schedule.item_code */
  int64_t quantity; /* 1..ADJUDICATE_MAX_QUANTITY */
  int has_price;    /* drug, delivery: the price charged (else the formulary's / schedule's);
                       fee: ignored, the schedule's price applies */
  int64_t unit_price_fen;
};

struct claim_req {
  const char *patient_id;
  const char *facility_id;
  const char *encounter_type; /* "consultation" | "dispense" | "visit" */
  const char *encounter_id;   /* 1..63 bytes */
  const char *episode_id;     /* referral episode, or NULL */
  const char *doctor_title;   /* for fee items; NULL: the schedule's 'any' row */
  int64_t service_at;         /* UTC ms */
  size_t nitems;              /* 0..ADJUDICATE_MAX_LINES */
  const struct claim_item *items;
};

struct claim_actor {
  const char *id;   /* account id or "system" */
  const char *role; /* "admin", "pharmacy_staff", "system", … */
};

struct claim_line {
  enum adjudicate_kind kind;
  enum adjudicate_category category;
  int covered;
  char code[POLICY_CODE_MAX];
  char name[POLICY_NAME_MAX];
  int64_t quantity;
  int64_t unit_price_fen;
  struct adjudicate_amounts amounts;
};

/* A claim as stored (or, for an estimate, as it would be). Caller-owned and
 * large (~20 KB with its lines): allocate it, don't put many on a stack. */
struct claim {
  char id[LY_ID_MAX]; /* "" for an estimate or an unrecorded refusal */
  enum claim_status status;
  int reject_reason; /* CLAIM_REJECT_*, 0 when not rejected */
  char reject_code[64];
  char reject_field[64];
  char patient_id[LY_ID_MAX];
  char facility_id[LY_ID_MAX];
  char facility_level[POLICY_LEVEL_MAX];
  char plan_id[POLICY_PLAN_MAX];
  char policy_version_id[LY_ID_MAX];
  char encounter_type[16];
  char encounter_id[CLAIM_ENCOUNTER_MAX];
  char episode_id[CLAIM_ENCOUNTER_MAX];
  int64_t service_at;
  int service_year;
  int64_t settled_at;
  char settled_day[11];
  char created_by[LY_ID_MAX];
  struct adjudicate_amounts total;
  /* the patient's accumulators before and after this claim (estimate and a
   * fresh settle only; a stored claim read back has has_accum = 0) */
  int has_accum;
  struct adjudicate_accum before, after;
  int replayed;                /* settle returned an earlier claim of the encounter */
  char reversal_id[LY_ID_MAX]; /* "" unless reversed */
  char reversal_reason[CLAIM_REASON_MAX];
  char reversed_by[LY_ID_MAX];
  int64_t reversed_at;
  size_t nlines;
  struct claim_line lines[ADJUDICATE_MAX_LINES];
};

/* Adjudicate without effect. 0 with out->status CLAIM_ESTIMATE; LY_EDENIED
 * with out->status CLAIM_REJECTED, out->reject_* and e filled; LY_ENOTFOUND
 * for an unknown patient or facility; LY_EINVAL for a malformed request. */
int claim_estimate(struct ly_db *db, int64_t now_ms, const struct claim_req *req, struct claim *out,
                   struct ly_error *e);

/* Settle (see the top of this file). 0 with out->status CLAIM_SETTLED (or the
 * earlier claim of the encounter, out->replayed = 1); LY_EDENIED when
 * rejected (recorded: out->id is the rejected claim); LY_ECONFLICT
 * ("insurance.encounter_conflict") when the encounter was billed for another
 * patient or facility; LY_ENOTFOUND / LY_EINVAL as for estimate; a database
 * error leaves nothing written. */
int claim_settle(struct ly_db *db, int64_t now_ms, const struct claim_actor *actor,
                 const struct claim_req *req, struct claim *out, struct ly_error *e);

/* Group commit. Settling costs one fsync of the WAL per transaction
 * (synchronous=FULL), ~1-3 ms on a virtual disk, which caps one-at-a-time
 * settlement at a few hundred per second. This settles n requests in ONE
 * transaction, each inside its own savepoint: each is still all-or-nothing
 * on its own and one refusal or rejection leaves the others alone. rcs[i],
 * outs[i] and errs[i] (errs may be NULL) are what claim_settle would have
 * returned; they hold only when this returns 0. On a failed commit it
 * returns the error and NOTHING was settled: acknowledge no settlement to
 * anyone before this returns 0. n <= CLAIM_BATCH_MAX. */
#define CLAIM_BATCH_MAX 256
int claim_settle_batch(struct ly_db *db, int64_t now_ms, const struct claim_actor *actor,
                       const struct claim_req *reqs, size_t n, struct claim *outs, int *rcs,
                       struct ly_error *errs);

/* Reverse a settled claim. 0 with out = the claim now reversed; LY_ENOTFOUND;
 * LY_ESTATE with "insurance.already_reversed" or "insurance.reverse_rejected". */
int claim_reverse(struct ly_db *db, int64_t now_ms, const struct claim_actor *actor, const char *claim_id,
                  const char *reason, struct claim *out, struct ly_error *e);

/* The hook for a cancelled or returned dispense (or a voided consultation):
 * reverse the settled claim of that encounter, as claim_reverse. LY_ENOTFOUND
 * ("insurance.claim_not_found") when the encounter was never settled. */
int claim_reverse_encounter(struct ly_db *db, int64_t now_ms, const struct claim_actor *actor,
                            const char *encounter_type, const char *encounter_id, const char *reason,
                            struct claim *out, struct ly_error *e);

/* Load a stored claim with its lines and reversal. LY_ENOTFOUND. */
int claim_get(struct ly_db *db, const char *claim_id, struct claim *out);

/* The claim as JSON (amounts in fen, notes as words); NULL on allocation failure. */
json_t *claim_to_json(const struct claim *c);

/* A patient's claims, newest first, without lines: [{"id","status",
 * "encounter_type","encounter_id","facility_id","service_at","settled_at",
 * "total_fen","fund_fen","account_fen","cash_fen","reject_reason"}]. */
int claim_list_json(struct ly_db *db, const char *patient_id, int limit, json_t **out);

#endif
