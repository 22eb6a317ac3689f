/* tests/unit/rx/test_rules.c — rx/rules.c, every rule on both sides of its boundary.
 *
 * One table of cases. Each case starts from a draft that passes every rule
 * (an online follow-up of hypertension, one line of amlodipine for 7 days),
 * changes one fact, and says which rule codes must come back — none for the
 * legal side of a boundary, exactly the listed ones for the illegal side.
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
#include "rx/rules.h"

#define DAY 86400000LL
/* 2026-06-15T10:00:00Z */
#define AT 1781517600000LL

struct fx {
  struct rules_draft d;
  struct rules_config c;
  struct rules_item items[8];
  struct rules_offline_dx dx[4];
  struct rules_reviewer rev;
  char dose[512];
};

static void item_default(struct rules_item *it, const char *id) {
  memset(it, 0, sizeof *it);
  it->drug_id = id;
  it->known = 1;
  it->controlled = RULES_CTRL_NONE;
  it->chronic_use = 1;
  it->pack_size = 7;
  it->default_daily_milli = 1000;
  it->quantity = 1;
  it->days = 7;
  it->daily_milli = 1000;
  it->dose = "5 mg 口服 每日一次";
}

static void fx_base(struct fx *f) {
  memset(f, 0, sizeof *f);
  rules_config_default(&f->c);
  struct rules_draft *d = &f->d;
  d->at_ms = AT;
  d->prescriber_licensed = 1;
  d->prescriber_years = 10;
  d->signer_is_prescriber = 1;
  d->age_years = 40;
  d->age_months = 480;
  d->online = 1;
  d->icd10 = "I10";
  d->condition_chronic = 1;
  f->dx[0] = (struct rules_offline_dx){"I10", 1, AT - 90 * DAY};
  d->offline = f->dx;
  d->noffline = 1;
  d->kind = RULES_KIND_NORMAL;
  d->validity_days = 1;
  item_default(&f->items[0], "drug_amlodipine");
  d->items = f->items;
  d->nitems = 1;
  f->rev = (struct rules_reviewer){.practice_years = 8, .is_prescriber = 0, .facility_ok = 1};
}

typedef void (*mutate_fn)(struct fx *f);

struct rule_case {
  const char *name;
  mutate_fn mutate;
  unsigned stages;
  const char *expect[4]; /* NULL-terminated; empty: the draft must pass */
};

/* ---- mutations ---------------------------------------------------------- */
static void m_none(struct fx *f) {
  (void)f;
}
static void days(struct fx *f, int64_t n) {
  f->items[0].days = n;
  f->items[0].quantity = (n + 6) / 7;
}
static void m_days7(struct fx *f) {
  days(f, 7);
}
static void m_days8(struct fx *f) {
  days(f, 8);
}
static void m_acute3(struct fx *f) {
  f->d.kind = RULES_KIND_ACUTE, days(f, 3);
}
static void m_acute4(struct fx *f) {
  f->d.kind = RULES_KIND_ACUTE, days(f, 4);
}
static void m_normal28(struct fx *f) {
  days(f, 28);
}
static void m_chronic28_reason(struct fx *f) {
  f->d.kind = RULES_KIND_CHRONIC, f->d.chronic_reason = "高血压病情稳定，行动不便";
  days(f, 28);
}
static void m_chronic28_noreason(struct fx *f) {
  f->d.kind = RULES_KIND_CHRONIC, days(f, 28);
}
static void m_chronic28_blankreason(struct fx *f) {
  m_chronic28_noreason(f), f->d.chronic_reason = "  \t";
}
static void m_chronic35_reason(struct fx *f) {
  m_chronic28_reason(f), days(f, 35);
}
static void m_chronic35_noreason(struct fx *f) {
  m_chronic28_noreason(f), days(f, 35);
}
static void m_long(struct fx *f) {
  f->d.kind = RULES_KIND_LONG_TERM, f->d.assessment_on_record = 1, f->d.patient_consent = 1;
}
static void m_long84(struct fx *f) {
  m_long(f), days(f, 84);
}
static void m_long91(struct fx *f) {
  m_long(f), days(f, 91);
}
static void m_long_noassess(struct fx *f) {
  m_long84(f), f->d.assessment_on_record = 0;
}
static void m_long_noconsent(struct fx *f) {
  m_long84(f), f->d.patient_consent = 0;
}
static void m_long_notchronic(struct fx *f) {
  m_long84(f), f->d.condition_chronic = 0;
}
static void m_long_antimicrobial(struct fx *f) {
  m_long84(f), f->items[0].antimicrobial = 1, f->items[0].chronic_use = 0;
}
static void m_normal_antimicrobial(struct fx *f) {
  f->items[0].antimicrobial = 1, f->items[0].chronic_use = 0;
}
static void m_long_not_chronic_use(struct fx *f) {
  m_long84(f), f->items[0].chronic_use = 0;
}
static void m_valid1(struct fx *f) {
  f->d.validity_days = 1;
}
static void m_valid3(struct fx *f) {
  f->d.validity_days = 3;
}
static void m_valid4(struct fx *f) {
  f->d.validity_days = 4;
}
static void m_valid0(struct fx *f) {
  f->d.validity_days = 0;
}
static void m_narcotic(struct fx *f) {
  f->items[0].controlled = RULES_CTRL_NARCOTIC;
}
static void m_psy1(struct fx *f) {
  f->items[0].controlled = RULES_CTRL_PSYCHOTROPIC_1;
}
static void m_psy2(struct fx *f) {
  f->items[0].controlled = RULES_CTRL_PSYCHOTROPIC_2;
}
static void m_toxic(struct fx *f) {
  f->items[0].controlled = RULES_CTRL_TOXIC;
}
static void m_radio(struct fx *f) {
  f->items[0].controlled = RULES_CTRL_RADIOACTIVE;
}
static void m_precursor(struct fx *f) {
  f->items[0].controlled = RULES_CTRL_PRECURSOR;
}
static void m_narcotic_offline(struct fx *f) {
  m_narcotic(f), f->d.online = 0;
}
static void m_no_dx(struct fx *f) {
  f->d.noffline = 0;
}
static void m_no_dx_offline(struct fx *f) {
  f->d.noffline = 0, f->d.online = 0;
}
static void m_dx_unverified(struct fx *f) {
  f->dx[0].verified = 0;
}
static void m_dx_12m(struct fx *f) {
  f->dx[0].diagnosed_at = rules_months_before(AT, 12);
}
static void m_dx_12m_1d(struct fx *f) {
  f->dx[0].diagnosed_at = rules_months_before(AT, 12) - DAY;
}
static void m_dx_other_cat(struct fx *f) {
  f->dx[0].icd10 = "E11.9";
}
static void m_dx_subcode(struct fx *f) {
  f->dx[0].icd10 = "I10.x00", f->d.icd10 = "i10";
}
static void m_dx_future(struct fx *f) {
  f->dx[0].diagnosed_at = AT + DAY;
}
static void m_dx_window6(struct fx *f) {
  f->c.offline_window_months = 6, f->dx[0].diagnosed_at = rules_months_before(AT, 7);
}
static void m_dx_second_ok(struct fx *f) {
  m_dx_unverified(f);
  f->dx[1] = (struct rules_offline_dx){"I10", 1, AT - 400 * DAY};
  f->dx[2] = (struct rules_offline_dx){"I10.0", 1, AT - 30 * DAY};
  f->d.noffline = 3;
}
static void m_child5(struct fx *f) {
  f->d.age_years = 5, f->d.age_months = 71;
}
static void m_child5_guardian(struct fx *f) {
  m_child5(f), f->d.guardian_recorded = 1;
}
static void m_child6(struct fx *f) {
  f->d.age_years = 6, f->d.age_months = 72;
}
static void m_infant(struct fx *f) {
  f->d.age_years = 0, f->d.age_months = 3;
}
static void m_unlicensed(struct fx *f) {
  f->d.prescriber_licensed = 0;
}
static void m_doc2y(struct fx *f) {
  f->d.prescriber_years = 2;
}
static void m_doc3y(struct fx *f) {
  f->d.prescriber_years = 3;
}
static void m_signer(struct fx *f) {
  f->d.signer_is_prescriber = 0;
}
static void m_no_items(struct fx *f) {
  f->d.nitems = 0;
}
static void items(struct fx *f, size_t n) {
  static const char *ids[] = {"d1", "d2", "d3", "d4", "d5", "d6", "d7"};
  for (size_t i = 0; i < n; i++)
    item_default(&f->items[i], ids[i]);
  f->d.nitems = n;
}
static void m_items5(struct fx *f) {
  items(f, 5);
}
static void m_items6(struct fx *f) {
  items(f, 6);
}
static void m_unknown(struct fx *f) {
  f->items[0].known = 0, f->items[0].pack_size = 0;
}
static void m_duplicate(struct fx *f) {
  items(f, 2), f->items[1].drug_id = "d1";
}
static void m_qty0(struct fx *f) {
  f->items[0].quantity = 0;
}
static void m_qty_neg(struct fx *f) {
  f->items[0].quantity = -3;
}
static void m_days0(struct fx *f) {
  f->items[0].days = 0;
}
static void m_daily0(struct fx *f) {
  f->items[0].daily_milli = 0;
}
static void m_qty1000(struct fx *f) {
  f->items[0].quantity = 1000;
}
static void m_days367(struct fx *f) {
  f->items[0].days = 367;
}
static void m_qty_over_supply(struct fx *f) {
  f->items[0].quantity = 2;
}
static void m_qty_exact_supply(struct fx *f) {
  f->items[0].pack_size = 14, f->items[0].daily_milli = 2000;
}
static void m_dose4x(struct fx *f) {
  f->items[0].daily_milli = 4000, f->items[0].quantity = 4, f->items[0].pack_size = 7;
}
static void m_dose4x_plus(struct fx *f) {
  m_dose4x(f), f->items[0].daily_milli = 4001, f->items[0].quantity = 5;
}
static void m_dose_empty(struct fx *f) {
  f->items[0].dose = "";
}
static void m_dose_null(struct fx *f) {
  f->items[0].dose = NULL;
}
static void dose_len(struct fx *f, size_t n) {
  memset(f->dose, 'a', n);
  f->dose[n] = '\0';
  f->items[0].dose = f->dose;
}
static void m_dose200(struct fx *f) {
  dose_len(f, 200);
}
static void m_dose201(struct fx *f) {
  dose_len(f, 201);
}
static void m_dose_ctrl(struct fx *f) {
  f->items[0].dose = "1 tab\x01 daily";
}
static void m_dose_bad_utf8(struct fx *f) {
  f->items[0].dose = "1 \xe4\xb8 daily";
}
static void m_bad_icd(struct fx *f) {
  f->d.icd10 = "hypertension";
}
static void m_rev_self(struct fx *f) {
  f->d.reviewer = &f->rev, f->rev.is_prescriber = 1;
}
static void m_rev2y(struct fx *f) {
  f->d.reviewer = &f->rev, f->rev.practice_years = 2;
}
static void m_rev3y(struct fx *f) {
  f->d.reviewer = &f->rev, f->rev.practice_years = 3;
}
static void m_rev_facility(struct fx *f) {
  f->d.reviewer = &f->rev, f->rev.facility_ok = 0;
}
static void m_rev_ok_draft_bad(struct fx *f) {
  f->d.reviewer = &f->rev, m_days8(f);
}
static void m_many(struct fx *f) {
  m_days8(f), m_narcotic(f), m_child5(f), m_valid4(f);
}

#define D RULES_STAGE_DRAFT
#define R RULES_STAGE_REVIEW
#define OK \
  { NULL }

static const struct rule_case cases[] = {
    {"base draft passes", m_none, D | R, OK},
    /* quantity limits by kind */
    {"normal 7 days", m_days7, D, OK},
    {"normal 8 days", m_days8, D, {"rx.quantity_over_limit"}},
    {"acute 3 days", m_acute3, D, OK},
    {"acute 4 days", m_acute4, D, {"rx.acute_quantity_over_limit"}},
    {"normal 4 weeks (no chronic reason)", m_normal28, D, {"rx.quantity_over_limit"}},
    {"chronic 4 weeks with reason", m_chronic28_reason, D, OK},
    {"chronic 4 weeks without reason", m_chronic28_noreason, D, {"rx.chronic_reason_required"}},
    {"chronic 4 weeks blank reason", m_chronic28_blankreason, D, {"rx.chronic_reason_required"}},
    {"chronic 5 weeks with reason", m_chronic35_reason, D, {"rx.chronic_quantity_over_limit"}},
    {"chronic 5 weeks without reason",
     m_chronic35_noreason,
     D,
     {"rx.chronic_reason_required", "rx.chronic_quantity_over_limit"}},
    {"long-term 12 weeks", m_long84, D, OK},
    {"long-term 13 weeks", m_long91, D, {"rx.long_term_quantity_over_limit"}},
    {"long-term without assessment", m_long_noassess, D, {"rx.long_term_assessment_required"}},
    {"long-term without consent", m_long_noconsent, D, {"rx.long_term_consent_required"}},
    {"long-term for a non-chronic condition", m_long_notchronic, D, {"rx.long_term_not_chronic"}},
    {"antimicrobial long-term", m_long_antimicrobial, D, {"rx.long_term_antimicrobial"}},
    {"antimicrobial normal 7 days", m_normal_antimicrobial, D, OK},
    {"long-term of a non-chronic-use drug", m_long_not_chronic_use, D, {"rx.long_term_drug_unsuitable"}},
    /* validity */
    {"validity 1 day", m_valid1, D, OK},
    {"validity 3 days", m_valid3, D, OK},
    {"validity 4 days", m_valid4, D, {"rx.validity_out_of_range"}},
    {"validity 0 days", m_valid0, D, {"rx.validity_out_of_range"}},
    /* forbidden online */
    {"narcotic online", m_narcotic, D, {"rx.controlled_online_forbidden"}},
    {"psychotropic I online", m_psy1, D, {"rx.controlled_online_forbidden"}},
    {"psychotropic II online", m_psy2, D, {"rx.controlled_online_forbidden"}},
    {"toxic online", m_toxic, D, {"rx.controlled_online_forbidden"}},
    {"radioactive online", m_radio, D, {"rx.controlled_online_forbidden"}},
    {"precursor online", m_precursor, D, {"rx.controlled_online_forbidden"}},
    {"narcotic at an offline visit", m_narcotic_offline, D, OK},
    /* follow-up only */
    {"first visit: no offline diagnosis", m_no_dx, D, {"consult.first_visit_offline_only"}},
    {"offline visit needs no prior diagnosis", m_no_dx_offline, D, OK},
    {"unverified offline diagnosis", m_dx_unverified, D, {"consult.first_visit_offline_only"}},
    {"offline diagnosis exactly 12 months old", m_dx_12m, D, OK},
    {"offline diagnosis 12 months and a day old", m_dx_12m_1d, D, {"consult.first_visit_offline_only"}},
    {"offline diagnosis of another category", m_dx_other_cat, D, {"consult.first_visit_offline_only"}},
    {"offline diagnosis same category, other subcode", m_dx_subcode, D, OK},
    {"offline diagnosis dated in the future", m_dx_future, D, {"consult.first_visit_offline_only"}},
    {"window configured to 6 months", m_dx_window6, D, {"consult.first_visit_offline_only"}},
    {"one good diagnosis among bad ones", m_dx_second_ok, D, OK},
    {"diagnosis not an ICD-10 code", m_bad_icd, D, {"rx.diagnosis_invalid"}},
    /* children */
    {"child of 5 without guardian", m_child5, D, {"rx.child_guardian_required"}},
    {"child of 5 with guardian", m_child5_guardian, D, OK},
    {"child of 6 without guardian", m_child6, D, OK},
    {"infant of 3 months without guardian", m_infant, D, {"rx.child_guardian_required"}},
    /* prescriber */
    {"prescriber unlicensed", m_unlicensed, D, {"rx.prescriber_unlicensed"}},
    {"prescriber with 2 years", m_doc2y, D, {"rx.prescriber_experience"}},
    {"prescriber with 3 years", m_doc3y, D, OK},
    {"signer is not the prescriber", m_signer, D, {"rx.signer_not_prescriber"}},
    /* items */
    {"no items", m_no_items, D, {"rx.no_items"}},
    {"5 items", m_items5, D, OK},
    {"6 items", m_items6, D, {"rx.too_many_items"}},
    {"unknown drug", m_unknown, D, {"rx.unknown_drug"}},
    {"duplicate drug", m_duplicate, D, {"rx.duplicate_drug"}},
    {"quantity 0", m_qty0, D, {"rx.quantity_invalid"}},
    {"quantity negative", m_qty_neg, D, {"rx.quantity_invalid"}},
    {"days 0", m_days0, D, {"rx.quantity_invalid"}},
    {"daily dose 0", m_daily0, D, {"rx.quantity_invalid"}},
    {"quantity 1000 packs", m_qty1000, D, {"rx.quantity_absurd"}},
    {"367 days", m_days367, D, {"rx.quantity_absurd"}},
    {"more packs than the days need", m_qty_over_supply, D, {"rx.quantity_exceeds_supply"}},
    {"packs exactly what the days need", m_qty_exact_supply, D, OK},
    {"daily dose 4x the usual", m_dose4x, D, OK},
    {"daily dose just over 4x the usual", m_dose4x_plus, D, {"rx.daily_dose_over_limit"}},
    {"dose text empty", m_dose_empty, D, {"rx.dose_text_invalid"}},
    {"dose text missing", m_dose_null, D, {"rx.dose_text_invalid"}},
    {"dose text 200 bytes", m_dose200, D, OK},
    {"dose text 201 bytes", m_dose201, D, {"rx.dose_text_invalid"}},
    {"dose text with a control character", m_dose_ctrl, D, {"rx.dose_text_invalid"}},
    {"dose text with broken UTF-8", m_dose_bad_utf8, D, {"rx.dose_text_invalid"}},
    /* pharmacist review */
    {"reviewer is the prescriber", m_rev_self, R, {"rx.reviewer_is_prescriber"}},
    {"reviewer with 2 years", m_rev2y, R, {"rx.reviewer_experience"}},
    {"reviewer with 3 years", m_rev3y, R, OK},
    {"reviewer from another facility", m_rev_facility, R, {"rx.reviewer_wrong_facility"}},
    {"review stage ignores draft rules", m_rev_ok_draft_bad, R, OK},
    /* all at once */
    {"every violation at once",
     m_many,
     D,
     {"rx.quantity_over_limit", "rx.controlled_online_forbidden", "rx.child_guardian_required",
      "rx.validity_out_of_range"}},
};

static size_t expect_count(const struct rule_case *k) {
  size_t n = 0;
  while (n < 4 && k->expect[n])
    n++;
  return n;
}

static void test_rule_cases(void **state) {
  (void)state;
  size_t ncases = sizeof cases / sizeof cases[0];
  assert_true(ncases >= 40);
  int failures = 0;
  for (size_t i = 0; i < ncases; i++) {
    const struct rule_case *k = &cases[i];
    struct fx f;
    struct rules_result res;
    fx_base(&f);
    k->mutate(&f);
    rules_check(&f.d, &f.c, k->stages, &res);
    size_t want = expect_count(k);
    int ok = res.n == want && res.dropped == 0;
    for (size_t j = 0; ok && j < want; j++)
      ok = rules_result_has(&res, k->expect[j]);
    if (!ok) {
      failures++;
      print_error("case %zu \"%s\": want %zu violation(s), got %zu:", i, k->name, want, res.n);
      for (size_t j = 0; j < res.n; j++)
        print_error(" %s(%s)", res.v[j].rule->code, res.v[j].field);
      print_error("\n");
    }
  }
  assert_int_equal(failures, 0);
}

/* Every rule of the table is exercised by some illegal case. */
static void test_every_rule_has_a_case(void **state) {
  (void)state;
  size_t n;
  const struct rules_rule *t = rules_table(&n);
  for (size_t r = 0; r < n; r++) {
    int seen = 0;
    for (size_t i = 0; !seen && i < sizeof cases / sizeof cases[0]; i++)
      for (size_t j = 0; j < expect_count(&cases[i]); j++)
        if (strcmp(cases[i].expect[j], t[r].code) == 0) seen = 1;
    if (!seen) print_error("rule %s has no case\n", t[r].code);
    assert_true(seen);
    assert_non_null(t[r].en);
    assert_non_null(t[r].zh);
    assert_true(strlen(t[r].source) > 0);
    assert_ptr_equal(rules_find(t[r].code), &t[r]);
  }
}

static void test_field_and_error(void **state) {
  (void)state;
  struct fx f;
  struct rules_result res;
  struct ly_error e;
  fx_base(&f);
  items(&f, 3);
  f.items[2].days = 8;
  assert_int_equal(rules_check(&f.d, &f.c, D, &res), 1);
  assert_string_equal(res.v[0].field, "items[2].days");
  assert_int_equal(res.v[0].item, 2);
  ly_error_clear(&e);
  assert_int_equal(rules_result_error(&res, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.quantity_over_limit");
  assert_string_equal(e.field, "items[2].days");
  assert_true(strlen(e.message_zh) > 0);
  fx_base(&f);
  assert_int_equal(rules_check(&f.d, &f.c, D, &res), 0);
  assert_int_equal(rules_result_error(&res, &e), 0);
}

/* The INPUT stage holds only faults of the input itself. */
static void test_input_stage(void **state) {
  (void)state;
  struct fx f;
  struct rules_result res;
  fx_base(&f);
  m_days8(&f), m_narcotic(&f), m_child5(&f), m_no_dx(&f); /* rule violations, not input faults */
  assert_int_equal(rules_check(&f.d, &f.c, RULES_STAGE_INPUT, &res), 0);
  fx_base(&f);
  m_qty_neg(&f);
  f.items[0].dose = "";
  f.d.validity_days = 9;
  assert_int_equal(rules_check(&f.d, &f.c, RULES_STAGE_INPUT, &res), 3);
  size_t n;
  const struct rules_rule *t = rules_table(&n);
  for (size_t i = 0; i < n; i++)
    if (t[i].stage & RULES_STAGE_INPUT) assert_true(t[i].stage & RULES_STAGE_DRAFT);
}

static void test_calendar_helpers(void **state) {
  (void)state;
  int y = -1, m = -1;
  /* AT is 2026-06-15: born 2020-06-15 is 6 today, born 2020-06-16 is still 5 */
  assert_int_equal(rules_age_at("2020-06-15", AT, &y, &m), 0);
  assert_int_equal(y, 6);
  assert_int_equal(m, 72);
  assert_int_equal(rules_age_at("2020-06-16", AT, &y, &m), 0);
  assert_int_equal(y, 5);
  assert_int_equal(m, 71);
  assert_int_equal(rules_age_at("2020-6-16", AT, &y, &m), LY_EPARSE);
  assert_int_equal(rules_age_at("2020-13-01", AT, &y, &m), LY_EPARSE);
  /* practice since 2023-06-15T10:00Z is 3 years at AT; one ms later is 2 */
  int64_t since = AT - (365LL * 3 + 1) * DAY; /* 2024 is a leap year */
  assert_int_equal(rules_full_years(since, AT), 3);
  assert_int_equal(rules_full_years(since + 1, AT), 2);
  assert_int_equal(rules_full_years(AT + DAY, AT), 0);
  assert_int_equal(rules_months_before(AT, 12), AT - 365 * DAY);
  char cat[4];
  assert_int_equal(rules_icd10_category("e11.9", cat, sizeof cat), 0);
  assert_string_equal(cat, "E11");
  assert_int_equal(rules_icd10_category("E1", cat, sizeof cat), LY_EINVAL);
  assert_int_equal(rules_icd10_category("E11.", cat, sizeof cat), LY_EINVAL);
  assert_int_equal(rules_icd10_category("E11-9", cat, sizeof cat), LY_EINVAL);
  enum rules_kind k;
  assert_int_equal(rules_kind_parse("long_term", &k), 0);
  assert_int_equal(k, RULES_KIND_LONG_TERM);
  assert_int_equal(rules_kind_parse("forever", &k), LY_EINVAL);
  enum rules_controlled c;
  assert_int_equal(rules_controlled_parse("psychotropic_2", &c), 0);
  assert_int_equal(c, RULES_CTRL_PSYCHOTROPIC_2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rule_cases),       cmocka_unit_test(test_every_rule_has_a_case),
      cmocka_unit_test(test_field_and_error),  cmocka_unit_test(test_input_stage),
      cmocka_unit_test(test_calendar_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
