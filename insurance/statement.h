/* insurance/statement.h — reconciliation (对账): the daily statement per
 * facility and plan, and the check that every fen adds up.
 *
 * A day is a business day (China Standard Time, insurance_internal.h). The
 * statement counts what moved money that day: claims settled that day (also
 * those reversed later), reversals made that day, and the net; rejected
 * claims are counted but carry no money.
 */
#ifndef LY_INSURANCE_STATEMENT_H
#define LY_INSURANCE_STATEMENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/ids.h"
#include "insurance/policy.h"

struct ly_db;

#define STATEMENT_MAX_ROWS  4096 /* facility × plan rows in one statement */
#define STATEMENT_MAX_DIFFS 100  /* differences kept by a check (all are counted) */

struct statement_money {
  int64_t count, total_fen, fund_fen, account_fen, cash_fen;
};

struct statement_row {
  char facility_id[LY_ID_MAX];
  char plan_id[POLICY_PLAN_MAX];
  struct statement_money settled, reversed, net; /* net = settled − reversed (count too) */
  int64_t rejected;
};

/* Caller-owned; statement_free releases the rows. */
struct statement {
  char day[11];
  char facility_id[LY_ID_MAX]; /* "" for all facilities */
  size_t nrows;
  struct statement_row *rows;  /* sorted by facility, plan */
  struct statement_row totals; /* facility_id "*", plan_id "*" */
};

/* Build the statement of day ("YYYY-MM-DD") for one facility or all (NULL).
 * LY_EINVAL for a malformed day; LY_ETOOBIG over STATEMENT_MAX_ROWS. */
int statement_build(struct ly_db *db, const char *day, const char *facility_id, struct statement *out);
void statement_free(struct statement *s);

/* {"date","facility_id","rows":[{"facility_id","plan_id","settled":{count,
 * total_fen,fund_fen,account_fen,cash_fen},"reversed":{…},"net":{…},
 * "rejected_count"}],"totals":{…}}; NULL on allocation failure. */
json_t *statement_to_json(const struct statement *s);
/* CSV with a header line and a final "*,*" totals line; amounts in fen.
 * *out is malloc'd, NUL-terminated, caller frees. LY_ENOMEM. */
int statement_to_csv(const struct statement *s, char **out, size_t *len);

/* One difference found by the check. */
struct statement_diff {
  char what[32];  /* "claim_lines", "reversal", "accumulator", "account", "episode" */
  char key[160];  /* which row: claim id, patient/year/level, … */
  char field[32]; /* "fund_fen", … */
  int64_t expected, actual;
};

struct statement_check {
  int64_t claims, reversals, accumulators, accounts, episodes; /* rows checked */
  int64_t ndiffs;                                              /* all differences found */
  size_t kept;                                                 /* <= STATEMENT_MAX_DIFFS of them in diffs */
  struct statement_diff diffs[STATEMENT_MAX_DIFFS];
};

/* Check everything stored (not just one day): every claim's lines sum to
 * the claim; every reversal gives back exactly its claim's amounts; every
 * accumulator (deductible, fund, account paid, claim count per patient ×
 * year × level) equals its settled-minus-reversed claims; every personal
 * account = opening − account paid + refunds; every episode's deductible =
 * its settled-minus-reversed claims'. 0 when it ran (out->ndiffs says whether
 * it passed), or a database error. */
int statement_check_run(struct ly_db *db, struct statement_check *out);
json_t *statement_check_to_json(const struct statement_check *c);

/* The CLI: `lianyi claims statement --date D [--facility F] [--format csv|json]
 * [--check]`, argv[0] being "statement". Prints to out (errors to err) and
 * returns the process exit status: 0 fine, 1 the check found differences,
 * 2 bad usage or a failure. main() opens the database and may leave its own
 * --data/--config/--log-level/--master-key options in argv: they are skipped. */
int statement_cli(struct ly_db *db, int argc, char **argv, FILE *out, FILE *err);

#endif
