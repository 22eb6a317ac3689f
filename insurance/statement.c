/* insurance/statement.c — the daily statement (CSV / JSON). The check and the
 * CLI are in statement_check.c. */
#include "insurance/statement.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "insurance/insurance_internal.h"

/* "YYYY-MM-DD" exactly, and a real date. */
static int day_valid(const char *day) {
  int64_t ms;
  if (!day || strlen(day) != 10 || day[4] != '-' || day[7] != '-') return 0;
  if (ly_time_parse(day, &ms)) return 0;
  char back[16];
  ly_time_date(ms, back, sizeof back);
  return strcmp(back, day) == 0;
}

/* The row of facility × plan, appended when new; NULL when full or out of memory. */
static struct statement_row *row_for(struct statement *s, size_t *cap, const char *facility,
                                     const char *plan) {
  for (size_t i = 0; i < s->nrows; i++)
    if (strcmp(s->rows[i].facility_id, facility) == 0 && strcmp(s->rows[i].plan_id, plan) == 0)
      return &s->rows[i];
  if (s->nrows == *cap) {
    if (*cap >= STATEMENT_MAX_ROWS) return NULL;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > STATEMENT_MAX_ROWS) ncap = STATEMENT_MAX_ROWS;
    struct statement_row *n = realloc(s->rows, ncap * sizeof *n);
    if (!n) return NULL;
    s->rows = n;
    *cap = ncap;
  }
  struct statement_row *r = &s->rows[s->nrows++];
  memset(r, 0, sizeof *r);
  ins_copy(r->facility_id, sizeof r->facility_id, facility);
  ins_copy(r->plan_id, sizeof r->plan_id, plan);
  return r;
}

static void money_from_row(sqlite3_stmt *st, int col, struct statement_money *m) {
  m->count = sqlite3_column_int64(st, col);
  m->total_fen = sqlite3_column_int64(st, col + 1);
  m->fund_fen = sqlite3_column_int64(st, col + 2);
  m->account_fen = sqlite3_column_int64(st, col + 3);
  m->cash_fen = sqlite3_column_int64(st, col + 4);
}

static void money_add(struct statement_money *a, const struct statement_money *b, int sign) {
  a->count += sign * b->count;
  a->total_fen += sign * b->total_fen;
  a->fund_fen += sign * b->fund_fen;
  a->account_fen += sign * b->account_fen;
  a->cash_fen += sign * b->cash_fen;
}

/* Settled (kind 0) or reversed (kind 1) money of the day into the rows. */
static int statement_collect(struct ly_db *db, struct statement *s, size_t *cap, int kind) {
  static const char *settled =
      "SELECT facility_id, plan_id, SUM(status <> 'rejected'), SUM(total_fen), SUM(fund_fen), "
      "SUM(account_fen),"
      " SUM(cash_fen), SUM(status = 'rejected') FROM claims WHERE settled_day = ?1"
      " AND (?2 IS NULL OR facility_id = ?2) GROUP BY facility_id, plan_id";
  static const char *reversed =
      "SELECT c.facility_id, c.plan_id, COUNT(*), SUM(r.total_fen), SUM(r.fund_fen), SUM(r.account_fen),"
      " SUM(r.cash_fen), 0 FROM claim_reversals r JOIN claims c ON c.id = r.claim_id WHERE r.reversed_day = "
      "?1"
      " AND (?2 IS NULL OR c.facility_id = ?2) GROUP BY c.facility_id, c.plan_id";
  sqlite3_stmt *st = ly_db_stmt(db, kind ? reversed : settled);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, s->day);
  ly_db_bind_text(st, 2, s->facility_id[0] ? s->facility_id : NULL);
  int rc, err = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct statement_row *r = row_for(s, cap, ly_db_col_text(st, 0), ly_db_col_text(st, 1));
    if (!r) {
      err = s->nrows >= STATEMENT_MAX_ROWS ? LY_ETOOBIG : LY_ENOMEM;
      break;
    }
    money_from_row(st, 2, kind ? &r->reversed : &r->settled);
    r->rejected += sqlite3_column_int64(st, 7);
  }
  sqlite3_reset(st);
  if (err) return err;
  return rc == SQLITE_DONE ? 0 : ly_db_rc(db, rc);
}

static int row_cmp(const void *a, const void *b) {
  const struct statement_row *x = a, *y = b;
  int c = strcmp(x->facility_id, y->facility_id);
  return c ? c : strcmp(x->plan_id, y->plan_id);
}

int statement_build(struct ly_db *db, const char *day, const char *facility_id, struct statement *out) {
  if (!db || !out) return LY_EINVAL;
  memset(out, 0, sizeof *out);
  if (!day_valid(day) || (facility_id && strlen(facility_id) >= LY_ID_MAX)) return LY_EINVAL;
  ins_copy(out->day, sizeof out->day, day);
  ins_copy(out->facility_id, sizeof out->facility_id, facility_id);
  size_t cap = 0;
  int rc = statement_collect(db, out, &cap, 0);
  if (!rc) rc = statement_collect(db, out, &cap, 1);
  if (rc) {
    statement_free(out);
    return rc;
  }
  if (out->nrows) qsort(out->rows, out->nrows, sizeof *out->rows, row_cmp);
  struct statement_row *t = &out->totals;
  ins_copy(t->facility_id, sizeof t->facility_id, "*");
  ins_copy(t->plan_id, sizeof t->plan_id, "*");
  for (size_t i = 0; i < out->nrows; i++) {
    struct statement_row *r = &out->rows[i];
    r->net = r->settled;
    money_add(&r->net, &r->reversed, -1);
    money_add(&t->settled, &r->settled, 1);
    money_add(&t->reversed, &r->reversed, 1);
    money_add(&t->net, &r->net, 1);
    t->rejected += r->rejected;
  }
  return 0;
}

void statement_free(struct statement *s) {
  if (!s) return;
  free(s->rows);
  s->rows = NULL;
  s->nrows = 0;
}

static json_t *money_json(const struct statement_money *m) {
  return json_pack("{s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)m->count, "total_fen",
                   (json_int_t)m->total_fen, "fund_fen", (json_int_t)m->fund_fen, "account_fen",
                   (json_int_t)m->account_fen, "cash_fen", (json_int_t)m->cash_fen);
}

static json_t *row_json(const struct statement_row *r) {
  return json_pack("{s:s, s:s, s:o, s:o, s:o, s:I}", "facility_id", r->facility_id, "plan_id", r->plan_id,
                   "settled", money_json(&r->settled), "reversed", money_json(&r->reversed), "net",
                   money_json(&r->net), "rejected_count", (json_int_t)r->rejected);
}

json_t *statement_to_json(const struct statement *s) {
  json_t *rows = json_array();
  for (size_t i = 0; rows && i < s->nrows; i++)
    json_array_append_new(rows, row_json(&s->rows[i]));
  return json_pack("{s:s, s:s?, s:o, s:o}", "date", s->day, "facility_id",
                   s->facility_id[0] ? s->facility_id : NULL, "rows", rows, "totals", row_json(&s->totals));
}

/* One CSV line; ids are ours (no commas or quotes), numbers are integers. */
static int csv_line(char *buf, size_t cap, const char *day, const struct statement_row *r) {
  const struct statement_money *m[3] = {&r->settled, &r->reversed, &r->net};
  int n = snprintf(buf, cap, "%s,%s,%s", day, r->facility_id, r->plan_id);
  for (int k = 0; k < 3 && n > 0 && (size_t)n < cap; k++)
    n += snprintf(buf + n, cap - (size_t)n, ",%lld,%lld,%lld,%lld,%lld", (long long)m[k]->count,
                  (long long)m[k]->total_fen, (long long)m[k]->fund_fen, (long long)m[k]->account_fen,
                  (long long)m[k]->cash_fen);
  if (n > 0 && (size_t)n < cap) n += snprintf(buf + n, cap - (size_t)n, ",%lld\n", (long long)r->rejected);
  return n;
}

int statement_to_csv(const struct statement *s, char **out, size_t *len) {
  static const char header[] =
      "date,facility_id,plan_id,settled_count,settled_total_fen,settled_fund_fen,settled_account_fen,"
      "settled_cash_fen,reversed_count,reversed_total_fen,reversed_fund_fen,reversed_account_fen,"
      "reversed_cash_fen,net_count,net_total_fen,net_fund_fen,net_account_fen,net_cash_fen,rejected_count\n";
  enum { LINE_MAX = 512 }; /* 3 ids (< 48 each) + 16 numbers (< 21 each) */
  size_t cap = sizeof header + (s->nrows + 1) * LINE_MAX;
  char *buf = malloc(cap);
  if (!buf) return LY_ENOMEM;
  size_t n = sizeof header - 1;
  memcpy(buf, header, n);
  for (size_t i = 0; i <= s->nrows; i++) {
    int w = csv_line(buf + n, cap - n, s->day, i < s->nrows ? &s->rows[i] : &s->totals);
    if (w < 0 || (size_t)w >= cap - n) {
      free(buf);
      return LY_ETOOBIG;
    }
    n += (size_t)w;
  }
  buf[n] = '\0';
  *out = buf;
  if (len) *len = n;
  return 0;
}
