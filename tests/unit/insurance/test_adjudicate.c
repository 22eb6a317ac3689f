/* tests/unit/insurance/test_adjudicate.c — insurance/adjudicate.c against a
 * golden table whose every fen was computed by hand (worked out in the
 * comment of each case), never by the code under test.
 *
 * Rounding rule under test: share(x, bp) = x × bp / 10000 rounded half up,
 * per line; the complement takes the remainder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/err.h"
#include "insurance/adjudicate.h"

/* Demo-like policies: {ratio_bp, deductible, cap, {甲, 乙, 丙 self-pay bp}, account}. */
static const struct adjudicate_policy EMP_COMM = {9000, 20000, 1000000, {0, 1000, 10000}, 1};
static const struct adjudicate_policy EMP_SEC = {8000, 50000, 1000000, {0, 1000, 10000}, 1};
static const struct adjudicate_policy EMP_TERT = {7000, 80000, 1000000, {0, 1000, 10000}, 1};
static const struct adjudicate_policy RES_COMM = {7000, 10000, 300000, {0, 1000, 10000}, 0};
static const struct adjudicate_policy RES_TERT = {5000, 50000, 300000, {0, 1000, 10000}, 0};
/* Version 2 of the employee community policy (a later effective date). */
static const struct adjudicate_policy V2_COMM = {8500, 30000, 1000000, {0, 1500, 10000}, 1};
static const struct adjudicate_policy B20_COMM = {9000, 20000, 1000000, {0, 2000, 10000}, 1};

#define DRUG  ADJUDICATE_DRUG
#define FEE   ADJUDICATE_FEE
#define DELIV ADJUDICATE_DELIVERY
#define JIA   ADJUDICATE_CAT_A
#define YI    ADJUDICATE_CAT_B
#define BING  ADJUDICATE_CAT_C
#define NDEL  ADJUDICATE_NOTE_DELIVERY
#define NNC   ADJUDICATE_NOTE_NOT_COVERED
#define NC    ADJUDICATE_NOTE_CATEGORY_C
#define NSS   ADJUDICATE_NOTE_SELF_SHARE
#define NDED  ADJUDICATE_NOTE_DEDUCTIBLE
#define NCAP  ADJUDICATE_NOTE_CAP
#define NACC  ADJUDICATE_NOTE_ACCOUNT_SHORT

/* One line: input, then the expected split (total, fully self, pre self,
 * in scope, deductible, fund, account, cash) and notes. */
struct gline {
  int kind, cat, covered;
  int64_t qty, price;
  int64_t t, f, p, s, d, u, a, c;
  unsigned notes;
};

/* Accumulators: {deductible used at this level, fund paid this year,
 * account balance, in episode, episode deductible}. */
struct golden {
  const char *name;
  const struct adjudicate_policy *pol;
  struct adjudicate_accum in, out;
  int chained; /* in must equal the previous case's out */
  size_t n;
  struct gline l[4];
};

static const struct golden G[] = {
    /* 3000 in scope × 90% = 2700; patient 300 from the account. */
    {"甲 drug, deductible already met",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 2700, 99700, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 2, 1500, 3000, 0, 0, 3000, 0, 2700, 300, 0, 0}}},
    /* 乙: 10% of 5000 = 500 first; 4500 × 90% = 4050; patient 950. */
    {"乙 drug pays a 10% share first",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 4050, 99050, 0, 0},
     0,
     1,
     {{DRUG, YI, 1, 1, 5000, 5000, 0, 500, 4500, 0, 4050, 950, 0, NSS}}},
    /* 丙: all 3000 self-paid; the account may pay medical self-pay. */
    {"丙 drug fully self-paid",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 0, 97000, 0, 0},
     0,
     1,
     {{DRUG, BING, 1, 3, 1000, 3000, 3000, 0, 0, 0, 0, 3000, 0, NC}}},
    /* Delivery: not covered even when flagged covered; never from the account. */
    {"delivery fee always self-paid in cash",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 0, 100000, 0, 0},
     0,
     1,
     {{DELIV, JIA, 1, 1, 800, 800, 800, 0, 0, 0, 0, 0, 800, NDEL}}},
    {"uncovered fee item fully self-paid",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 0, 98000, 0, 0},
     0,
     1,
     {{FEE, JIA, 0, 1, 2000, 2000, 2000, 0, 0, 0, 0, 2000, 0, NNC}}},
    /* 2500 × 90% = 2250. */
    {"consultation fee item (甲)",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 2250, 99750, 0, 0},
     0,
     1,
     {{FEE, JIA, 1, 1, 2500, 2500, 0, 0, 2500, 0, 2250, 250, 0, 0}}},
    /* Open deductible 5000: line 1 takes 3000 (fund 0), line 2 takes the last
     * 2000 of its 8000 and the fund pays 6000 × 90% = 5400; line 3 is past it.
     * Account 100000 − 3000 − 2600 − 250 = 94150; fund 5400 + 2250 = 7650. */
    {"deductible crossed inside one claim",
     &EMP_COMM,
     {15000, 0, 100000, 0, 0},
     {20000, 7650, 94150, 0, 0},
     0,
     3,
     {{DRUG, JIA, 1, 1, 3000, 3000, 0, 0, 3000, 3000, 0, 3000, 0, NDED},
      {DRUG, JIA, 1, 2, 4000, 8000, 0, 0, 8000, 2000, 5400, 2600, 0, NDED},
      {FEE, JIA, 1, 1, 2500, 2500, 0, 0, 2500, 0, 2250, 250, 0, 0}}},
    /* 3333 × 10% = 333.3 → 333; in scope 3000; deductible 1000; 2000 × 90% = 1800; patient 1533. */
    {"deductible crossed on a 乙 line with odd fen",
     &EMP_COMM,
     {19000, 0, 100000, 0, 0},
     {20000, 1800, 98467, 0, 0},
     0,
     1,
     {{DRUG, YI, 1, 1, 3333, 3333, 0, 333, 3000, 1000, 1800, 1533, 0, NSS | NDED}}},
    /* Cap open 5000: 3600 fits (1400 left), 2700 is cut to 1400, then 0. */
    {"annual cap crossed inside one claim",
     &EMP_COMM,
     {20000, 995000, 100000, 0, 0},
     {20000, 1000000, 97000, 0, 0},
     0,
     3,
     {{DRUG, JIA, 1, 1, 4000, 4000, 0, 0, 4000, 0, 3600, 400, 0, 0},
      {DRUG, JIA, 1, 1, 3000, 3000, 0, 0, 3000, 0, 1400, 1600, 0, NCAP},
      {DRUG, JIA, 1, 1, 1000, 1000, 0, 0, 1000, 0, 0, 1000, 0, NCAP}}},
    {"annual cap already reached",
     &EMP_COMM,
     {20000, 1000000, 100000, 0, 0},
     {20000, 1000000, 95000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 5000, 5000, 0, 0, 5000, 0, 0, 5000, 0, NCAP}}},
    /* A cap lowered below what was already paid leaves nothing open (not negative). */
    {"fund paid above a lowered cap",
     &EMP_COMM,
     {20000, 1200000, 100000, 0, 0},
     {20000, 1200000, 99000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 1000, 1000, 0, 0, 1000, 0, 0, 1000, 0, NCAP}}},
    {"community ratio 90%",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 9000, 99000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 10000, 10000, 0, 0, 10000, 0, 9000, 1000, 0, 0}}},
    {"secondary ratio 80%",
     &EMP_SEC,
     {50000, 0, 100000, 0, 0},
     {50000, 8000, 98000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 10000, 10000, 0, 0, 10000, 0, 8000, 2000, 0, 0}}},
    {"tertiary ratio 70%",
     &EMP_TERT,
     {80000, 0, 100000, 0, 0},
     {80000, 7000, 97000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 10000, 10000, 0, 0, 10000, 0, 7000, 3000, 0, 0}}},
    /* Balance 500: line 1 patient 300 (200 left); line 2 patient 2000 − 1620 = 380,
     * account 200, cash 180; line 3 patient 100 in cash. Fund 2700+1620+900. */
    {"account exhausted mid-claim",
     &EMP_COMM,
     {20000, 0, 500, 0, 0},
     {20000, 5220, 0, 0, 0},
     0,
     3,
     {{DRUG, JIA, 1, 1, 3000, 3000, 0, 0, 3000, 0, 2700, 300, 0, 0},
      {DRUG, YI, 1, 1, 2000, 2000, 0, 200, 1800, 0, 1620, 200, 180, NSS | NACC},
      {DRUG, JIA, 1, 1, 1000, 1000, 0, 0, 1000, 0, 900, 0, 100, NACC}}},
    /* Resident: 70%; no personal account, so everything else is cash. */
    {"resident plan without account",
     &RES_COMM,
     {10000, 0, 0, 0, 0},
     {10000, 2100, 0, 0, 0},
     0,
     2,
     {{DRUG, JIA, 1, 2, 1500, 3000, 0, 0, 3000, 0, 2100, 0, 900, 0},
      {DRUG, BING, 1, 1, 500, 500, 500, 0, 0, 0, 0, 0, 500, NC}}},
    {"resident plan ignores a stray balance",
     &RES_COMM,
     {10000, 0, 5000, 0, 0},
     {10000, 700, 5000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 1000, 1000, 0, 0, 1000, 0, 700, 0, 300, 0}}},
    /* Open 5000; 15000 × 50% = 7500; cash 12500. */
    {"resident tertiary 50%, deductible crossed",
     &RES_TERT,
     {45000, 0, 0, 0, 0},
     {50000, 7500, 0, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 20000, 20000, 0, 0, 20000, 5000, 7500, 0, 12500, NDED}}},
    /* 15 × 90% = 13.5 → 14. */
    {"rounding: half a fen rounds up",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 14, 99999, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 15, 15, 0, 0, 15, 0, 14, 1, 0, 0}}},
    /* 17 × 90% = 15.3 → 15. */
    {"rounding: under half a fen rounds down",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 15, 99998, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 17, 17, 0, 0, 17, 0, 15, 2, 0, 0}}},
    /* 乙 share 1.5 → 2; in scope 13; 13 × 90% = 11.7 → 12; patient 3. */
    {"rounding: 乙 share of half a fen rounds up",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 12, 99997, 0, 0},
     0,
     1,
     {{DRUG, YI, 1, 1, 15, 15, 0, 2, 13, 0, 12, 3, 0, NSS}}},
    /* 乙 share 1.4 → 1; in scope 13; fund 12; patient 2. */
    {"rounding: 乙 share under half rounds down",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 12, 99998, 0, 0},
     0,
     1,
     {{DRUG, YI, 1, 1, 14, 14, 0, 1, 13, 0, 12, 2, 0, NSS}}},
    /* 5 × 70% = 3.5 → 4. */
    {"rounding: tertiary 70% of 5 fen",
     &EMP_TERT,
     {80000, 0, 100000, 0, 0},
     {80000, 4, 99999, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 5, 5, 0, 0, 5, 0, 4, 1, 0, 0}}},
    /* 1 × 90% = 0.9 → 1: the fund pays the whole fen. */
    {"rounding: a one-fen line",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 1, 100000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0}}},
    /* Per line, not per claim: three 15-fen lines get 14 each (42), while one
     * line of 3 × 15 = 45 gets 40.5 → 41. Fund 83; account 3 + 4. */
    {"rounding is per line, not per claim",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 83, 99993, 0, 0},
     0,
     4,
     {{DRUG, JIA, 1, 1, 15, 15, 0, 0, 15, 0, 14, 1, 0, 0},
      {DRUG, JIA, 1, 1, 15, 15, 0, 0, 15, 0, 14, 1, 0, 0},
      {DRUG, JIA, 1, 1, 15, 15, 0, 0, 15, 0, 14, 1, 0, 0},
      {DRUG, JIA, 1, 3, 15, 45, 0, 0, 45, 0, 41, 4, 0, 0}}},
    {"zero-price line",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 900, 99900, 0, 0},
     0,
     2,
     {{DRUG, JIA, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      {DRUG, JIA, 1, 1, 1000, 1000, 0, 0, 1000, 0, 900, 100, 0, 0}}},
    /* Nothing reaches the fund: 8000 + 1800 go to the deductible (9800 used). */
    {"whole claim inside the deductible",
     &EMP_COMM,
     {0, 0, 100000, 0, 0},
     {9800, 0, 90000, 0, 0},
     0,
     2,
     {{DRUG, JIA, 1, 2, 4000, 8000, 0, 0, 8000, 8000, 0, 8000, 0, NDED},
      {DRUG, YI, 1, 1, 2000, 2000, 0, 200, 1800, 1800, 0, 2000, 0, NSS | NDED}}},
    /* 丙 and delivery leave the deductible alone; the 甲 line meets all 20000,
     * then 10000 × 90% = 9000. Account 100000 − 10000 − 21000. */
    {"丙 and delivery do not count toward the deductible",
     &EMP_COMM,
     {0, 0, 100000, 0, 0},
     {20000, 9000, 69000, 0, 0},
     0,
     3,
     {{DRUG, BING, 1, 1, 10000, 10000, 10000, 0, 0, 0, 0, 10000, 0, NC},
      {DELIV, BING, 0, 1, 600, 600, 600, 0, 0, 0, 0, 0, 600, NDEL},
      {DRUG, JIA, 1, 1, 30000, 30000, 0, 0, 30000, 20000, 9000, 21000, 0, NDED}}},
    /* Version 1 (before the change). */
    {"policy v1 before the change",
     &EMP_COMM,
     {0, 0, 50000, 0, 0},
     {20000, 9000, 29000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 30000, 30000, 0, 0, 30000, 20000, 9000, 21000, 0, NDED}}},
    /* Version 2: deductible 30000 (10000 more open), 85%, 乙 15%.
     * Line 1: 10000 deductible, 10000 × 85% = 8500. Line 2: share 1500,
     * 8500 × 85% = 7225. Fund 9000 + 8500 + 7225; account 29000 − 11500 − 2775. */
    {"policy v2 after the change (same patient)",
     &V2_COMM,
     {20000, 9000, 29000, 0, 0},
     {30000, 24725, 14725, 0, 0},
     1,
     2,
     {{DRUG, JIA, 1, 1, 20000, 20000, 0, 0, 20000, 10000, 8500, 11500, 0, NDED},
      {DRUG, YI, 1, 1, 10000, 10000, 0, 1500, 8500, 0, 7225, 2775, 0, NSS}}},
    /* Episode opens at community: deductible 20000, 5000 × 90% = 4500. */
    {"episode: community claim charges the deductible",
     &EMP_COMM,
     {0, 0, 0, 1, 0},
     {20000, 4500, 0, 1, 20000},
     0,
     1,
     {{DRUG, JIA, 1, 1, 25000, 25000, 0, 0, 25000, 20000, 4500, 0, 20500, NDED | NACC}}},
    /* Up-referral in the episode: open = min(80000 − 0, 80000 − 20000) = 60000;
     * 40000 × 70% = 28000. */
    {"episode: up-referral pays only the difference",
     &EMP_TERT,
     {0, 4500, 0, 1, 20000},
     {60000, 32500, 0, 1, 80000},
     0,
     1,
     {{DRUG, JIA, 1, 1, 100000, 100000, 0, 0, 100000, 60000, 28000, 0, 72000, NDED | NACC}}},
    /* The same tertiary claim outside an episode pays a second deductible. */
    {"no episode: a second, full deductible",
     &EMP_TERT,
     {0, 4500, 0, 0, 0},
     {80000, 18500, 0, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 100000, 100000, 0, 0, 100000, 80000, 14000, 0, 86000, NDED | NACC}}},
    /* Down-referral: the episode already charged 80000 ≥ 20000, nothing open. */
    {"episode: down-referral pays no deductible",
     &EMP_COMM,
     {0, 0, 0, 1, 80000},
     {0, 9000, 0, 1, 80000},
     0,
     1,
     {{DRUG, JIA, 1, 1, 10000, 10000, 0, 0, 10000, 0, 9000, 0, 1000, NACC}}},
    /* New episode, 15000 of the annual deductible already used: open 5000. */
    {"episode with the annual deductible partly used",
     &EMP_COMM,
     {15000, 0, 0, 1, 0},
     {20000, 4500, 0, 1, 5000},
     0,
     1,
     {{DRUG, JIA, 1, 1, 10000, 10000, 0, 0, 10000, 5000, 4500, 0, 5500, NDED | NACC}}},
    /* One fen open; 10000 × 80% = 8000; patient 2001. */
    {"secondary: deductible one fen short",
     &EMP_SEC,
     {49999, 0, 100000, 0, 0},
     {50000, 8000, 97999, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 10001, 10001, 0, 0, 10001, 1, 8000, 2001, 0, NDED}}},
    /* Deductible 1000, ratio gives 3600 but only 1000 of cap is open. */
    {"deductible and cap crossed on one line",
     &EMP_COMM,
     {19000, 999000, 100000, 0, 0},
     {20000, 1000000, 96000, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 5000, 5000, 0, 0, 5000, 1000, 1000, 4000, 0, NDED | NCAP}}},
    {"account pays exactly the patient share",
     &EMP_COMM,
     {20000, 0, 1000, 0, 0},
     {20000, 9000, 0, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1, 10000, 10000, 0, 0, 10000, 0, 9000, 1000, 0, 0}}},
    /* 999 × 20% = 199.8 → 200; 799 × 90% = 719.1 → 719; patient 280. */
    {"乙 share of 20% set by policy",
     &B20_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 719, 99720, 0, 0},
     0,
     1,
     {{DRUG, YI, 1, 3, 333, 999, 0, 200, 799, 0, 719, 280, 0, NSS}}},
    {"uncovered drug for a resident goes to cash",
     &RES_COMM,
     {10000, 0, 0, 0, 0},
     {10000, 0, 0, 0, 0},
     0,
     1,
     {{DRUG, JIA, 0, 1, 1234, 1234, 1234, 0, 0, 0, 0, 0, 1234, NNC}}},
    /* 1000 × 999999 = 999999000; ratio 899999100 cut to the 1000000 cap;
     * patient 998999000: 100000 from the account, 998899000 cash. */
    {"large line: cap and account both bind",
     &EMP_COMM,
     {20000, 0, 100000, 0, 0},
     {20000, 1000000, 0, 0, 0},
     0,
     1,
     {{DRUG, JIA, 1, 1000, 999999, 999999000, 0, 0, 999999000, 0, 1000000, 100000, 998899000, NCAP | NACC}}},
    /* Secondary, 10000 deductible open, balance 3000:
     * fee 5000 all deductible (account 3000, cash 2000);
     * 乙 4 × 2500: share 1000, in scope 9000, last 5000 of deductible, 4000 × 80% = 3200;
     * 丙 800 cash (account empty); delivery 1000 cash. */
    {"mixed claim: every kind of line",
     &EMP_SEC,
     {40000, 0, 3000, 0, 0},
     {50000, 3200, 0, 0, 0},
     0,
     4,
     {{FEE, JIA, 1, 1, 5000, 5000, 0, 0, 5000, 5000, 0, 3000, 2000, NDED | NACC},
      {DRUG, YI, 1, 4, 2500, 10000, 0, 1000, 9000, 5000, 3200, 0, 6800, NSS | NDED | NACC},
      {DRUG, BING, 1, 1, 800, 800, 800, 0, 0, 0, 0, 0, 800, NC | NACC},
      {DELIV, BING, 0, 1, 1000, 1000, 1000, 0, 0, 0, 0, 0, 1000, NDEL}}},
};
#define NG (sizeof G / sizeof G[0])

static void check_case(const struct golden *g) {
  struct adjudicate_line in[4];
  struct adjudicate_amounts out[4], total, want_total;
  struct adjudicate_accum acc = g->in;
  struct ly_error e;
  memset(&want_total, 0, sizeof want_total);
  for (size_t i = 0; i < g->n; i++) {
    const struct gline *l = &g->l[i];
    in[i] = (struct adjudicate_line){(enum adjudicate_kind)l->kind, (enum adjudicate_category)l->cat,
                                     l->covered, l->qty, l->price};
  }
  int rc = adjudicate_claim(g->pol, &acc, in, g->n, out, &total, &e);
  if (rc) print_error("case \"%s\": rc %d (%s)\n", g->name, rc, e.code);
  assert_int_equal(rc, 0);
  for (size_t i = 0; i < g->n; i++) {
    const struct gline *l = &g->l[i];
    const struct adjudicate_amounts *o = &out[i];
    int64_t got[9] = {o->total_fen, o->fully_self_fen, o->pre_self_fen, o->in_scope_fen, o->deductible_fen,
                      o->fund_fen,  o->account_fen,    o->cash_fen,     o->patient_fen};
    int64_t want[9] = {l->t, l->f, l->p, l->s, l->d, l->u, l->a, l->c, l->t - l->u};
    static const char *what[9] = {"total", "fully_self", "pre_self", "in_scope", "deductible",
                                  "fund",  "account",    "cash",     "patient"};
    for (int k = 0; k < 9; k++) {
      if (got[k] != want[k])
        print_error("case \"%s\" line %zu %s: got %lld want %lld\n", g->name, i, what[k], (long long)got[k],
                    (long long)want[k]);
      assert_int_equal(got[k], want[k]);
    }
    if (o->notes != l->notes)
      print_error("case \"%s\" line %zu notes %#x want %#x\n", g->name, i, o->notes, l->notes);
    assert_int_equal(o->notes, l->notes);
    /* The hand-written table itself must add up. */
    assert_int_equal(l->f + l->p + l->s, l->t);
    assert_int_equal(l->a + l->c, l->t - l->u);
    struct adjudicate_amounts w = {l->t, l->f, l->p, l->s, l->d, l->u, l->t - l->u, l->a, l->c, l->notes};
    adjudicate_amounts_add(&want_total, &w);
  }
  assert_memory_equal(&total, &want_total, sizeof total);
  assert_int_equal(acc.deductible_used_fen, g->out.deductible_used_fen);
  assert_int_equal(acc.fund_paid_fen, g->out.fund_paid_fen);
  assert_int_equal(acc.account_balance_fen, g->out.account_balance_fen);
  assert_int_equal(acc.in_episode, g->out.in_episode);
  assert_int_equal(acc.episode_deductible_fen, g->out.episode_deductible_fen);
}

static void test_golden_table(void **state) {
  (void)state;
  assert_true(NG >= 30);
  for (size_t i = 0; i < NG; i++) {
    if (G[i].chained) {
      assert_true(i > 0);
      assert_memory_equal(&G[i].in, &G[i - 1].out, sizeof G[i].in);
    }
    check_case(&G[i]);
  }
}

/* The one rounding rule, by itself. */
static void test_share_rule(void **state) {
  (void)state;
  assert_int_equal(adjudicate_share(0, 9000), 0);
  assert_int_equal(adjudicate_share(5, 9000), 5);   /* 4.5 → 5 */
  assert_int_equal(adjudicate_share(15, 9000), 14); /* 13.5 → 14 */
  assert_int_equal(adjudicate_share(17, 9000), 15); /* 15.3 → 15 */
  assert_int_equal(adjudicate_share(3, 5000), 2);   /* 1.5 → 2 */
  assert_int_equal(adjudicate_share(100000000000000LL, 10000), 100000000000000LL);
  assert_int_equal(adjudicate_share(7, 0), 0);
}

static void expect_refusal(const struct adjudicate_policy *p, const struct adjudicate_line *l, size_t n,
                           const char *code, const char *field) {
  struct adjudicate_accum acc = {20000, 5, 777, 0, 0}, before = acc;
  struct adjudicate_amounts out[ADJUDICATE_MAX_LINES + 1], total;
  memset(&total, 0xab, sizeof total);
  struct adjudicate_amounts total_before = total;
  struct ly_error e;
  ly_error_clear(&e);
  assert_int_equal(adjudicate_claim(p, &acc, l, n, out, &total, &e), LY_EINVAL);
  assert_string_equal(e.code, code);
  assert_string_equal(e.field, field);
  assert_memory_equal(&acc, &before, sizeof acc);
  assert_memory_equal(&total, &total_before, sizeof total);
}

static void test_refusals(void **state) {
  (void)state;
  struct adjudicate_line ok = {DRUG, JIA, 1, 1, 100};
  struct adjudicate_line l[2] = {ok, {DRUG, JIA, 1, 1, -1}};
  expect_refusal(&EMP_COMM, l, 2, "insurance.negative_amount", "lines[1].unit_price_fen");
  l[1] = (struct adjudicate_line){DRUG, JIA, 1, -2, 100};
  expect_refusal(&EMP_COMM, l, 2, "insurance.negative_amount", "lines[1].quantity");
  l[0] = (struct adjudicate_line){FEE, JIA, 1, 0, 100};
  expect_refusal(&EMP_COMM, l, 1, "insurance.invalid_quantity", "lines[0].quantity");
  l[0] = (struct adjudicate_line){FEE, JIA, 1, 1, ADJUDICATE_MAX_UNIT_PRICE + 1};
  expect_refusal(&EMP_COMM, l, 1, "insurance.amount_too_large", "lines[0].unit_price_fen");
  l[0] = (struct adjudicate_line){FEE, JIA, 1, ADJUDICATE_MAX_QUANTITY + 1, 1};
  expect_refusal(&EMP_COMM, l, 1, "insurance.amount_too_large", "lines[0].quantity");
  l[0] = (struct adjudicate_line){FEE, (enum adjudicate_category)3, 1, 1, 1};
  expect_refusal(&EMP_COMM, l, 1, "insurance.invalid_line", "lines[0].category");
  l[0] = (struct adjudicate_line){(enum adjudicate_kind)7, JIA, 1, 1, 1};
  expect_refusal(&EMP_COMM, l, 1, "insurance.invalid_line", "lines[0].kind");

  struct adjudicate_line many[ADJUDICATE_MAX_LINES + 1];
  for (size_t i = 0; i < ADJUDICATE_MAX_LINES + 1; i++)
    many[i] = ok;
  expect_refusal(&EMP_COMM, many, ADJUDICATE_MAX_LINES + 1, "insurance.too_many_lines", "lines");

  struct adjudicate_policy bad = EMP_COMM;
  bad.ratio_bp = 10001;
  expect_refusal(&bad, &ok, 1, "insurance.invalid_policy", "ratio_bp");
  bad = EMP_COMM;
  bad.self_pay_bp[1] = -1;
  expect_refusal(&bad, &ok, 1, "insurance.invalid_policy", "self_pay_bp");
}

/* The biggest claim allowed adds up without overflow. */
static void test_largest_claim(void **state) {
  (void)state;
  struct adjudicate_line l[ADJUDICATE_MAX_LINES];
  struct adjudicate_amounts out[ADJUDICATE_MAX_LINES], total;
  for (size_t i = 0; i < ADJUDICATE_MAX_LINES; i++)
    l[i] = (struct adjudicate_line){DRUG, YI, 1, ADJUDICATE_MAX_QUANTITY, ADJUDICATE_MAX_UNIT_PRICE};
  struct adjudicate_policy p = EMP_COMM;
  p.cap_fen = INT64_MAX / 4;
  struct adjudicate_accum acc = {0, 0, 0, 0, 0};
  assert_int_equal(adjudicate_claim(&p, &acc, l, ADJUDICATE_MAX_LINES, out, &total, NULL), 0);
  /* per line: 1e14 total, 1e13 乙 share, 9e13 in scope; 20000 deductible on line 0 */
  assert_int_equal(total.total_fen, 64LL * 100000000000000LL);
  assert_int_equal(total.pre_self_fen, 64LL * 10000000000000LL);
  assert_int_equal(total.deductible_fen, 20000);
  assert_int_equal(out[0].fund_fen, (90000000000000LL - 20000) / 10 * 9);
  assert_int_equal(total.fund_fen + total.cash_fen, total.total_fen);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_table),
      cmocka_unit_test(test_share_rule),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_largest_claim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
