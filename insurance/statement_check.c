/* insurance/statement_check.c — the reconciliation check (every fen adds up)
 * and the `lianyi claims statement` command. Contract in statement.h. */
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "insurance/insurance_internal.h"
#include "insurance/statement.h"

static void diff_add(struct statement_check *c, const char *what, const char *key, const char *field,
                     int64_t expected, int64_t actual) {
  c->ndiffs++;
  if (c->kept >= STATEMENT_MAX_DIFFS) return;
  struct statement_diff *d = &c->diffs[c->kept++];
  ins_copy(d->what, sizeof d->what, what);
  ins_copy(d->key, sizeof d->key, key);
  ins_copy(d->field, sizeof d->field, field);
  d->expected = expected;
  d->actual = actual;
}

/* Compare n (expected, actual) column pairs of the current row: expected at
 * col + 2k, actual at col + 2k + 1. */
static void compare_pairs(struct statement_check *c, sqlite3_stmt *st, int col, const char *what,
                          const char *key, const char *const *fields, int n) {
  for (int k = 0; k < n; k++) {
    int64_t want = sqlite3_column_int64(st, col + 2 * k), got = sqlite3_column_int64(st, col + 2 * k + 1);
    if (want != got) diff_add(c, what, key, fields[k], want, got);
  }
}

typedef void (*check_row_fn)(struct statement_check *c, sqlite3_stmt *st, int64_t *counter);

static int check_query(struct ly_db *db, struct statement_check *c, const char *sql, check_row_fn fn,
                       int64_t *counter) {
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    fn(c, st, counter);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

/* Lines sum to their claim; a rejected claim has no lines, settled ones some. */
static const char *lines_sql =
    "SELECT c.id, c.status, COUNT(l.line_no),"
    " COALESCE(SUM(l.total_fen), 0), c.total_fen, COALESCE(SUM(l.fully_self_fen), 0), c.fully_self_fen,"
    " COALESCE(SUM(l.pre_self_fen), 0), c.pre_self_fen, COALESCE(SUM(l.in_scope_fen), 0), c.in_scope_fen,"
    " COALESCE(SUM(l.deductible_fen), 0), c.deductible_fen, COALESCE(SUM(l.fund_fen), 0), c.fund_fen,"
    " COALESCE(SUM(l.account_fen), 0), c.account_fen, COALESCE(SUM(l.cash_fen), 0), c.cash_fen"
    " FROM claims c LEFT JOIN claim_lines l ON l.claim_id = c.id GROUP BY c.id";

static void lines_row(struct statement_check *c, sqlite3_stmt *st, int64_t *counter) {
  static const char *const fields[8] = {"total_fen",      "fully_self_fen", "pre_self_fen", "in_scope_fen",
                                        "deductible_fen", "fund_fen",       "account_fen",  "cash_fen"};
  const char *id = ly_db_col_text(st, 0);
  int rejected = strcmp(ly_db_col_text(st, 1), "rejected") == 0;
  int64_t nlines = sqlite3_column_int64(st, 2);
  (*counter)++;
  if (rejected ? nlines != 0 : nlines == 0)
    diff_add(c, "claim_lines", id, "line_count", rejected ? 0 : 1, nlines);
  compare_pairs(c, st, 3, "claim_lines", id, fields, 8);
}

/* A reversal gives back exactly its claim; reversed claims have one. */
static const char *reversals_sql =
    "SELECT r.id, c.status = 'reversed', r.total_fen, c.total_fen, r.deductible_fen, c.deductible_fen,"
    " r.fund_fen, c.fund_fen, r.account_fen, c.account_fen, r.cash_fen, c.cash_fen"
    " FROM claim_reversals r JOIN claims c ON c.id = r.claim_id"
    " UNION ALL SELECT c.id, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM claims c WHERE c.status = 'reversed'"
    " AND NOT EXISTS (SELECT 1 FROM claim_reversals r WHERE r.claim_id = c.id)";

static void reversals_row(struct statement_check *c, sqlite3_stmt *st, int64_t *counter) {
  static const char *const fields[5] = {"total_fen", "deductible_fen", "fund_fen", "account_fen", "cash_fen"};
  const char *id = ly_db_col_text(st, 0);
  int state = sqlite3_column_int(st, 1);
  (*counter)++;
  if (state == -1) diff_add(c, "reversal", id, "missing_reversal", 1, 0);
  if (state == 0) diff_add(c, "reversal", id, "claim_status", 1, 0);
  compare_pairs(c, st, 2, "reversal", id, fields, 5);
}

/* Accumulators = settled − reversed claims, per patient × year × level, both ways. */
static const char *accum_sql =
    "WITH e AS (SELECT c.patient_id AS p, c.service_year AS y, c.facility_level AS l,"
    "  SUM(c.deductible_fen) - COALESCE(SUM(r.deductible_fen), 0) AS d,"
    "  SUM(c.fund_fen) - COALESCE(SUM(r.fund_fen), 0) AS f,"
    "  SUM(c.account_fen) - COALESCE(SUM(r.account_fen), 0) AS a, COUNT(c.id) - COUNT(r.id) AS n"
    "  FROM claims c LEFT JOIN claim_reversals r ON r.claim_id = c.id WHERE c.status <> 'rejected'"
    "  GROUP BY c.patient_id, c.service_year, c.facility_level)"
    " SELECT e.p, e.y, e.l, e.d, COALESCE(a.deductible_used_fen, 0), e.f, COALESCE(a.fund_paid_fen, 0),"
    "  e.a, COALESCE(a.account_paid_fen, 0), e.n, COALESCE(a.claims, 0)"
    " FROM e LEFT JOIN insurance_accumulators a"
    "  ON a.patient_id = e.p AND a.year = e.y AND a.facility_level = e.l"
    " UNION ALL SELECT a.patient_id, a.year, a.facility_level, 0, a.deductible_used_fen, 0, a.fund_paid_fen,"
    "  0, a.account_paid_fen, 0, a.claims FROM insurance_accumulators a WHERE NOT EXISTS (SELECT 1 FROM "
    "claims c"
    "  WHERE c.patient_id = a.patient_id AND c.service_year = a.year AND c.facility_level = a.facility_level"
    "  AND c.status <> 'rejected')";

static void accum_row(struct statement_check *c, sqlite3_stmt *st, int64_t *counter) {
  static const char *const fields[4] = {"deductible_used_fen", "fund_paid_fen", "account_paid_fen", "claims"};
  char key[160];
  snprintf(key, sizeof key, "%s/%d/%s", ly_db_col_text(st, 0), sqlite3_column_int(st, 1),
           ly_db_col_text(st, 2));
  (*counter)++;
  compare_pairs(c, st, 3, "accumulator", key, fields, 4);
}

/* Personal accounts: balance = opening − paid + refunded; every patient with
 * a claim has an opening. */
static const char *account_sql =
    "SELECT o.patient_id, o.opening_balance_fen"
    "  - COALESCE((SELECT SUM(c.account_fen) FROM claims c WHERE c.patient_id = o.patient_id"
    "     AND c.status <> 'rejected'), 0)"
    "  + COALESCE((SELECT SUM(r.account_fen) FROM claim_reversals r JOIN claims c ON c.id = r.claim_id"
    "     WHERE c.patient_id = o.patient_id), 0),"
    "  COALESCE(cv.account_balance_fen, -1)"
    " FROM insurance_account_openings o LEFT JOIN coverage cv ON cv.patient_id = o.patient_id"
    " UNION ALL SELECT DISTINCT c.patient_id, 0, -1 FROM claims c WHERE c.status <> 'rejected'"
    "  AND NOT EXISTS (SELECT 1 FROM insurance_account_openings o WHERE o.patient_id = c.patient_id)";

static void account_row(struct statement_check *c, sqlite3_stmt *st, int64_t *counter) {
  static const char *const fields[1] = {"account_balance_fen"};
  (*counter)++;
  compare_pairs(c, st, 1, "account", ly_db_col_text(st, 0), fields, 1);
}

static const char *episode_sql =
    "SELECT e.id, COALESCE((SELECT SUM(c.deductible_fen) FROM claims c WHERE c.episode_id = e.id"
    "   AND c.status <> 'rejected'), 0)"
    "  - COALESCE((SELECT SUM(r.deductible_fen) FROM claim_reversals r JOIN claims c ON c.id = r.claim_id"
    "   WHERE c.episode_id = e.id), 0), e.deductible_charged_fen FROM insurance_episodes e";

static void episode_row(struct statement_check *c, sqlite3_stmt *st, int64_t *counter) {
  static const char *const fields[1] = {"deductible_charged_fen"};
  (*counter)++;
  compare_pairs(c, st, 1, "episode", ly_db_col_text(st, 0), fields, 1);
}

/* One read transaction: every query sees the same snapshot. */
int statement_check_run(struct ly_db *db, struct statement_check *out) {
  if (!db || !out) return LY_EINVAL;
  memset(out, 0, sizeof *out);
  int own = !ly_db_in_tx(db);
  int rc = own ? ly_db_exec(db, "BEGIN") : 0;
  if (rc) return rc;
  rc = check_query(db, out, lines_sql, lines_row, &out->claims);
  if (!rc) rc = check_query(db, out, reversals_sql, reversals_row, &out->reversals);
  if (!rc) rc = check_query(db, out, accum_sql, accum_row, &out->accumulators);
  if (!rc) rc = check_query(db, out, account_sql, account_row, &out->accounts);
  if (!rc) rc = check_query(db, out, episode_sql, episode_row, &out->episodes);
  if (own) ly_db_exec(db, "COMMIT");
  return rc;
}

json_t *statement_check_to_json(const struct statement_check *c) {
  json_t *diffs = json_array();
  for (size_t i = 0; diffs && i < c->kept; i++) {
    const struct statement_diff *d = &c->diffs[i];
    json_array_append_new(
        diffs, json_pack("{s:s, s:s, s:s, s:I, s:I}", "what", d->what, "key", d->key, "field", d->field,
                         "expected", (json_int_t)d->expected, "actual", (json_int_t)d->actual));
  }
  return json_pack("{s:b, s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:o}", "ok", c->ndiffs == 0, "checked", "claims",
                   (json_int_t)c->claims, "reversals", (json_int_t)c->reversals, "accumulators",
                   (json_int_t)c->accumulators, "accounts", (json_int_t)c->accounts, "episodes",
                   (json_int_t)c->episodes, "differences", (json_int_t)c->ndiffs, "diffs", diffs);
}

/* ---- the CLI ------------------------------------------------------------------ */

struct cli_args {
  const char *date, *facility, *format;
  int check;
};

/* Options of the program itself that main() may leave in argv. */
static int cli_server_option(const char *k) {
  static const char *const known[] = {"--data", "--config", "--log-level", "--master-key"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(k, known[i]) == 0) return 1;
  return 0;
}

static int cli_parse(int argc, char **argv, struct cli_args *a, FILE *err) {
  memset(a, 0, sizeof *a);
  a->format = "csv";
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i];
    const char **slot = strcmp(k, "--date") == 0       ? &a->date
                        : strcmp(k, "--facility") == 0 ? &a->facility
                        : strcmp(k, "--format") == 0   ? &a->format
                                                       : NULL;
    if (strcmp(k, "--check") == 0) {
      a->check = 1;
    } else if (cli_server_option(k) && i + 1 < argc) {
      i++; /* main() opened the database with it */
    } else if (slot && i + 1 < argc) {
      *slot = argv[++i];
    } else {
      fprintf(err, "claims statement: unknown or incomplete option '%s'\n", k);
      return -1;
    }
  }
  if ((!a->date && !a->check) || (strcmp(a->format, "csv") != 0 && strcmp(a->format, "json") != 0)) {
    fprintf(err,
            "usage: lianyi claims statement --date YYYY-MM-DD [--facility ID] [--format csv|json] [--check]\n"
            "  (days are China Standard Time; --check alone checks the whole store)\n");
    return -1;
  }
  return 0;
}

static int cli_print_json(json_t *j, FILE *out) {
  char *txt = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
  json_decref(j);
  if (!txt) return -1;
  fprintf(out, "%s\n", txt);
  free(txt);
  return 0;
}

static int cli_statement(struct ly_db *db, const struct cli_args *a, FILE *out, FILE *err) {
  struct statement s;
  int rc = statement_build(db, a->date, a->facility, &s);
  if (rc) {
    fprintf(err, "claims statement: %s\n", rc == LY_EINVAL ? "the date must be YYYY-MM-DD" : ly_strerror(rc));
    return 2;
  }
  if (strcmp(a->format, "json") == 0) {
    rc = cli_print_json(statement_to_json(&s), out);
  } else {
    char *csv = NULL;
    size_t len = 0;
    rc = statement_to_csv(&s, &csv, &len);
    if (!rc) fwrite(csv, 1, len, out);
    free(csv);
  }
  statement_free(&s);
  return rc ? 2 : 0;
}

static int cli_check(struct ly_db *db, FILE *out, FILE *err) {
  struct statement_check *c = malloc(sizeof *c);
  if (!c) return 2;
  int rc = statement_check_run(db, c);
  if (rc) {
    fprintf(err, "claims statement --check: %s\n", ly_db_errmsg(db));
    free(c);
    return 2;
  }
  for (size_t i = 0; i < c->kept; i++)
    fprintf(err, "difference: %s %s %s expected %lld actual %lld\n", c->diffs[i].what, c->diffs[i].key,
            c->diffs[i].field, (long long)c->diffs[i].expected, (long long)c->diffs[i].actual);
  fprintf(out,
          "check: %s (claims %lld, reversals %lld, accumulators %lld, accounts %lld, episodes %lld, "
          "differences %lld)\n",
          c->ndiffs ? "FAILED" : "OK", (long long)c->claims, (long long)c->reversals,
          (long long)c->accumulators, (long long)c->accounts, (long long)c->episodes, (long long)c->ndiffs);
  int status = c->ndiffs ? 1 : 0;
  free(c);
  return status;
}

int statement_cli(struct ly_db *db, int argc, char **argv, FILE *out, FILE *err) {
  struct cli_args a;
  if (!db || cli_parse(argc, argv, &a, err)) return 2;
  int status = a.date ? cli_statement(db, &a, out, err) : 0;
  if (status == 0 && a.check) status = cli_check(db, out, err);
  return status;
}
