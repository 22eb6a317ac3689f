/* rx/rules.c — the one table of prescription rules (DESIGN §3).
 *
 * Adding a rule is adding one row: a stable code, its source regulation, the
 * sentences in English and Chinese, the stage, and a check function that adds
 * zero or more violations. docs/rx-rules.md is the same table for people.
 */
#include "rx/rules.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "records/records.h"

void rules_config_default(struct rules_config *c) {
  c->offline_window_months = 12;
  c->min_practice_years = 3;
  c->child_age_years = 6;
  c->max_days_normal = 7;
  c->max_days_acute = 3;
  c->max_days_chronic = 28;
  c->max_days_long_term = 84;
  c->max_validity_days = 3;
  c->max_items = 5;
  c->max_packs = 999;
  c->max_days_absolute = 366;
  c->max_daily_factor = 4;
  c->max_dose_text = 200;
}

/* ---- calendar helpers --------------------------------------------------- */

static void rules_gmtime(int64_t ms, struct tm *tm) {
  int64_t s = ms / 1000;
  if (ms % 1000 < 0) s--;
  time_t t = (time_t)s;
  memset(tm, 0, sizeof *tm);
  gmtime_r(&t, tm);
}

static int64_t rules_ms_of_day(int64_t ms) {
  int64_t r = ms % 86400000;
  return r < 0 ? r + 86400000 : r;
}

int rules_full_years(int64_t since_ms, int64_t at_ms) {
  if (since_ms > at_ms) return 0;
  struct tm a, b;
  rules_gmtime(since_ms, &a);
  rules_gmtime(at_ms, &b);
  int years = b.tm_year - a.tm_year;
  if (b.tm_mon < a.tm_mon || (b.tm_mon == a.tm_mon && b.tm_mday < a.tm_mday) ||
      (b.tm_mon == a.tm_mon && b.tm_mday == a.tm_mday && rules_ms_of_day(at_ms) < rules_ms_of_day(since_ms)))
    years--;
  return years < 0 ? 0 : years;
}

int64_t rules_months_before(int64_t at_ms, int months) {
  struct tm tm;
  rules_gmtime(at_ms, &tm);
  tm.tm_mon -= months;
  tm.tm_isdst = 0;
  time_t t = timegm(&tm);
  return (int64_t)t * 1000 + rules_ms_of_day(at_ms) % 1000;
}

static int rules_digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int rules_age_at(const char *birth_date, int64_t at_ms, int *years, int *months) {
  int y, m, d;
  if (!birth_date || strlen(birth_date) != 10 || birth_date[4] != '-' || birth_date[7] != '-' ||
      rules_digits(birth_date, 4, &y) || rules_digits(birth_date + 5, 2, &m) ||
      rules_digits(birth_date + 8, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
    return LY_EPARSE;
  struct tm at;
  rules_gmtime(at_ms, &at);
  int total = (at.tm_year + 1900 - y) * 12 + (at.tm_mon + 1 - m);
  if (at.tm_mday < d) total--;
  if (total < 0) total = 0;
  *years = total / 12;
  if (months) *months = total;
  return 0;
}

int rules_icd10_category(const char *s, char *out, size_t outsz) {
  return records_icd10_category(s, out, outsz);
}

/* ---- names ---------------------------------------------------------------- */

static const char *const rules_kind_names[] = {"normal", "acute", "chronic", "long_term"};
static const char *const rules_ctrl_names[] = {"none",  "narcotic",    "psychotropic_1", "psychotropic_2",
                                               "toxic", "radioactive", "precursor"};

int rules_kind_parse(const char *s, enum rules_kind *out) {
  for (size_t i = 0; s && i < sizeof rules_kind_names / sizeof rules_kind_names[0]; i++)
    if (strcmp(s, rules_kind_names[i]) == 0) {
      *out = (enum rules_kind)i;
      return 0;
    }
  return LY_EINVAL;
}

const char *rules_kind_name(enum rules_kind k) {
  if ((unsigned)k >= sizeof rules_kind_names / sizeof rules_kind_names[0]) return "normal";
  return rules_kind_names[k];
}

int rules_controlled_parse(const char *s, enum rules_controlled *out) {
  for (size_t i = 0; s && i < sizeof rules_ctrl_names / sizeof rules_ctrl_names[0]; i++)
    if (strcmp(s, rules_ctrl_names[i]) == 0) {
      *out = (enum rules_controlled)i;
      return 0;
    }
  return LY_EINVAL;
}

/* ---- violations ------------------------------------------------------------- */

static void add(struct rules_result *out, const struct rules_rule *r, int item, const char *field) {
  if (out->n >= RULES_MAX_VIOLATIONS) {
    out->dropped++;
    return;
  }
  struct rules_violation *v = &out->v[out->n++];
  v->rule = r;
  v->item = item;
  if (item >= 0 && field)
    snprintf(v->field, sizeof v->field, "items[%d].%s", item, field);
  else if (item >= 0)
    snprintf(v->field, sizeof v->field, "items[%d]", item);
  else
    snprintf(v->field, sizeof v->field, "%s", field ? field : "");
}

static int blank(const char *s) {
  if (!s) return 1;
  for (; *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
  return 1;
}

/* Quantities that other item rules can reason about: positive and not absurd. */
static int item_sane(const struct rules_item *it, const struct rules_config *c) {
  return it->quantity > 0 && it->days > 0 && it->daily_milli > 0 && it->quantity <= c->max_packs &&
         it->days <= c->max_days_absolute && it->daily_milli <= 1000000;
}

/* ---- checks: consultation and people ---------------------------------------- */

static void ck_diagnosis(const struct rules_rule *r, const struct rules_draft *d,
                         const struct rules_config *c, struct rules_result *out) {
  char cat[4];
  if (rules_icd10_category(d->icd10, cat, sizeof cat) != 0) add(out, r, -1, "icd10");
}

/* 互联网诊疗管理办法 第十六条: follow-up of the same diagnosis only. A verified
 * offline diagnosis of the same ICD-10 category, made no later than at_ms and
 * no earlier than the window before it. */
static void ck_follow_up(const struct rules_rule *r, const struct rules_draft *d,
                         const struct rules_config *c, struct rules_result *out) {
  char want[4], got[4];
  if (!d->online || rules_icd10_category(d->icd10, want, sizeof want) != 0) return;
  int64_t from = rules_months_before(d->at_ms, c->offline_window_months);
  for (size_t i = 0; i < d->noffline; i++) {
    const struct rules_offline_dx *x = &d->offline[i];
    if (!x->verified || x->diagnosed_at > d->at_ms || x->diagnosed_at < from) continue;
    if (rules_icd10_category(x->icd10, got, sizeof got) == 0 && strcmp(want, got) == 0) return;
  }
  add(out, r, -1, "icd10");
}

static void ck_licensed(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                        struct rules_result *out) {
  if (!d->prescriber_licensed) add(out, r, -1, "doctor");
}

static void ck_prescriber_years(const struct rules_rule *r, const struct rules_draft *d,
                                const struct rules_config *c, struct rules_result *out) {
  if (d->prescriber_years < c->min_practice_years) add(out, r, -1, "doctor");
}

static void ck_signer(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                      struct rules_result *out) {
  if (!d->signer_is_prescriber) add(out, r, -1, "doctor");
}

static void ck_guardian(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                        struct rules_result *out) {
  if (d->age_years < c->child_age_years && !d->guardian_recorded) add(out, r, -1, "guardian_name");
}

static void ck_validity(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                        struct rules_result *out) {
  if (d->validity_days < 1 || d->validity_days > c->max_validity_days) add(out, r, -1, "validity_days");
}

/* ---- checks: the list of items ------------------------------------------------ */

static void ck_no_items(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                        struct rules_result *out) {
  if (d->nitems == 0) add(out, r, -1, "items");
}

static void ck_too_many(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                        struct rules_result *out) {
  if (d->nitems > (size_t)c->max_items) add(out, r, -1, "items");
}

static void ck_unknown(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                       struct rules_result *out) {
  for (size_t i = 0; i < d->nitems; i++)
    if (!d->items[i].known) add(out, r, (int)i, "drug_id");
}

static void ck_duplicate(const struct rules_rule *r, const struct rules_draft *d,
                         const struct rules_config *c, struct rules_result *out) {
  for (size_t i = 0; i < d->nitems; i++)
    for (size_t j = 0; j < i; j++)
      if (d->items[i].drug_id && d->items[j].drug_id &&
          strcmp(d->items[i].drug_id, d->items[j].drug_id) == 0) {
        add(out, r, (int)i, "drug_id");
        break;
      }
}

static void ck_controlled(const struct rules_rule *r, const struct rules_draft *d,
                          const struct rules_config *c, struct rules_result *out) {
  if (!d->online) return;
  for (size_t i = 0; i < d->nitems; i++)
    if (d->items[i].known && d->items[i].controlled != RULES_CTRL_NONE) add(out, r, (int)i, "drug_id");
}

static void ck_qty_invalid(const struct rules_rule *r, const struct rules_draft *d,
                           const struct rules_config *c, struct rules_result *out) {
  for (size_t i = 0; i < d->nitems; i++) {
    const struct rules_item *it = &d->items[i];
    if (it->quantity <= 0)
      add(out, r, (int)i, "quantity");
    else if (it->days <= 0)
      add(out, r, (int)i, "days");
    else if (it->daily_milli <= 0)
      add(out, r, (int)i, "daily_units");
  }
}

static void ck_qty_absurd(const struct rules_rule *r, const struct rules_draft *d,
                          const struct rules_config *c, struct rules_result *out) {
  for (size_t i = 0; i < d->nitems; i++) {
    const struct rules_item *it = &d->items[i];
    if (it->quantity > c->max_packs)
      add(out, r, (int)i, "quantity");
    else if (it->days > c->max_days_absolute)
      add(out, r, (int)i, "days");
    else if (it->daily_milli > 1000000)
      add(out, r, (int)i, "daily_units");
  }
}

/* More packs than days x daily dose needs (rounded up to whole packs) would
 * supply more days than written, and so get round the day limits. */
static void ck_qty_supply(const struct rules_rule *r, const struct rules_draft *d,
                          const struct rules_config *c, struct rules_result *out) {
  for (size_t i = 0; i < d->nitems; i++) {
    const struct rules_item *it = &d->items[i];
    if (!it->known || !item_sane(it, c) || it->pack_size <= 0) continue;
    int64_t units_milli = it->days * it->daily_milli, pack_milli = it->pack_size * 1000;
    int64_t need = (units_milli + pack_milli - 1) / pack_milli;
    if (it->quantity > need) add(out, r, (int)i, "quantity");
  }
}

static void ck_daily_dose(const struct rules_rule *r, const struct rules_draft *d,
                          const struct rules_config *c, struct rules_result *out) {
  for (size_t i = 0; i < d->nitems; i++) {
    const struct rules_item *it = &d->items[i];
    if (!it->known || !item_sane(it, c) || it->default_daily_milli <= 0) continue;
    if (it->daily_milli > it->default_daily_milli * c->max_daily_factor) add(out, r, (int)i, "daily_units");
  }
}

/* Dose text: present, bounded, valid UTF-8 without control characters. */
static int dose_ok(const char *s, int max) {
  if (blank(s)) return 0;
  size_t n = strlen(s);
  if (n > (size_t)max) return 0;
  for (size_t i = 0; i < n;) {
    unsigned char ch = (unsigned char)s[i];
    size_t len = ch < 0x80             ? 1
                 : (ch & 0xE0) == 0xC0 ? 2
                 : (ch & 0xF0) == 0xE0 ? 3
                 : (ch & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (len == 0 || i + len > n || (ch < 0x20 || ch == 0x7f)) return 0;
    if (len == 2 && ch < 0xC2) return 0;
    for (size_t k = 1; k < len; k++)
      if (((unsigned char)s[i + k] & 0xC0) != 0x80) return 0;
    i += len;
  }
  return 1;
}

static void ck_dose_text(const struct rules_rule *r, const struct rules_draft *d,
                         const struct rules_config *c, struct rules_result *out) {
  for (size_t i = 0; i < d->nitems; i++)
    if (!dose_ok(d->items[i].dose, c->max_dose_text)) add(out, r, (int)i, "dose");
}

/* ---- checks: quantity limits by kind --------------------------------------------- */

static void days_limit(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                       enum rules_kind kind, int max, struct rules_result *out) {
  if (d->kind != kind) return;
  for (size_t i = 0; i < d->nitems; i++)
    if (item_sane(&d->items[i], c) && d->items[i].days > max) add(out, r, (int)i, "days");
}

static void ck_days_normal(const struct rules_rule *r, const struct rules_draft *d,
                           const struct rules_config *c, struct rules_result *out) {
  days_limit(r, d, c, RULES_KIND_NORMAL, c->max_days_normal, out);
}

static void ck_days_acute(const struct rules_rule *r, const struct rules_draft *d,
                          const struct rules_config *c, struct rules_result *out) {
  days_limit(r, d, c, RULES_KIND_ACUTE, c->max_days_acute, out);
}

static void ck_days_chronic(const struct rules_rule *r, const struct rules_draft *d,
                            const struct rules_config *c, struct rules_result *out) {
  days_limit(r, d, c, RULES_KIND_CHRONIC, c->max_days_chronic, out);
}

static void ck_days_long(const struct rules_rule *r, const struct rules_draft *d,
                         const struct rules_config *c, struct rules_result *out) {
  days_limit(r, d, c, RULES_KIND_LONG_TERM, c->max_days_long_term, out);
}

static void ck_chronic_reason(const struct rules_rule *r, const struct rules_draft *d,
                              const struct rules_config *c, struct rules_result *out) {
  if (d->kind == RULES_KIND_CHRONIC && blank(d->chronic_reason)) add(out, r, -1, "chronic_reason");
}

static void ck_lt_chronic(const struct rules_rule *r, const struct rules_draft *d,
                          const struct rules_config *c, struct rules_result *out) {
  if (d->kind == RULES_KIND_LONG_TERM && !d->condition_chronic) add(out, r, -1, "icd10");
}

static void ck_lt_assessment(const struct rules_rule *r, const struct rules_draft *d,
                             const struct rules_config *c, struct rules_result *out) {
  if (d->kind == RULES_KIND_LONG_TERM && !d->assessment_on_record) add(out, r, -1, "assessment");
}

static void ck_lt_consent(const struct rules_rule *r, const struct rules_draft *d,
                          const struct rules_config *c, struct rules_result *out) {
  if (d->kind == RULES_KIND_LONG_TERM && !d->patient_consent) add(out, r, -1, "patient_consent");
}

static void ck_lt_antimicrobial(const struct rules_rule *r, const struct rules_draft *d,
                                const struct rules_config *c, struct rules_result *out) {
  if (d->kind != RULES_KIND_LONG_TERM) return;
  for (size_t i = 0; i < d->nitems; i++)
    if (d->items[i].known && d->items[i].antimicrobial) add(out, r, (int)i, "drug_id");
}

static void ck_lt_drug(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                       struct rules_result *out) {
  if (d->kind != RULES_KIND_LONG_TERM) return;
  for (size_t i = 0; i < d->nitems; i++) {
    const struct rules_item *it = &d->items[i];
    /* antimicrobials have their own, more specific rule */
    if (it->known && !it->chronic_use && !it->antimicrobial) add(out, r, (int)i, "drug_id");
  }
}

/* ---- checks: pharmacist review ----------------------------------------------------- */

static void ck_rev_self(const struct rules_rule *r, const struct rules_draft *d, const struct rules_config *c,
                        struct rules_result *out) {
  if (d->reviewer && d->reviewer->is_prescriber) add(out, r, -1, "reviewer");
}

static void ck_rev_years(const struct rules_rule *r, const struct rules_draft *d,
                         const struct rules_config *c, struct rules_result *out) {
  if (d->reviewer && d->reviewer->practice_years < c->min_practice_years) add(out, r, -1, "reviewer");
}

static void ck_rev_facility(const struct rules_rule *r, const struct rules_draft *d,
                            const struct rules_config *c, struct rules_result *out) {
  if (d->reviewer && !d->reviewer->facility_ok) add(out, r, -1, "reviewer");
}

/* ---- the table ----------------------------------------------------------------------- */

#define S_ONLINE "互联网诊疗管理办法（试行）2018"
#define S_RX     "处方管理办法 2007"
#define S_REVIEW "医疗机构处方审核规范 2018"
#define S_LONG   "长期处方管理规范（试行）2021"
#define D        RULES_STAGE_DRAFT
#define R        RULES_STAGE_REVIEW
#define I        RULES_STAGE_INPUT

static const struct rules_rule rules_rows[] = {
    {"rx.diagnosis_invalid", D | I, S_RX,
     "The prescription needs the diagnosis as a valid ICD-10 code (e.g. I10 or E11.9).",
     "处方须填写有效的ICD-10临床诊断编码（如 I10、E11.9）。", ck_diagnosis},
    {"consult.first_visit_offline_only", D, S_ONLINE " 第十六条",
     "Online care is follow-up only: this patient has no verified offline diagnosis of the same condition "
     "(ICD-10 category) within the allowed period. Please ask the patient to be seen in person first.",
     "互联网诊疗仅限复诊：该患者在规定期限内没有同一疾病（ICD-"
     "10类目）经核实的线下诊断，请引导患者先到实体医疗"
     "机构就诊。",
     ck_follow_up},
    {"rx.prescriber_unlicensed", D, S_ONLINE, "Only a licensed doctor may prescribe online.",
     "只有取得执业资格的医师方可在线开具处方。", ck_licensed},
    {"rx.prescriber_experience", D, "互联网医院管理办法（试行）2018",
     "Prescribing online needs at least 3 years of independent clinical practice.",
     "在线开具处方的医师须具有3年以上独立临床工作经验。", ck_prescriber_years},
    {"rx.signer_not_prescriber", D, "互联网诊疗监管细则（试行）2022",
     "Only the prescribing doctor may sign this prescription; nobody may sign on their behalf.",
     "处方只能由开方医师本人签名，他人不得代签。", ck_signer},
    {"rx.child_guardian_required", D, S_ONLINE " 第十九条",
     "Children under 6 may be prescribed for online only with a guardian present and recorded.",
     "为6岁以下儿童在线开具处方，须确认并记录监护人在场。", ck_guardian},
    {"rx.controlled_online_forbidden", D, S_ONLINE " 第十九条；药品网络销售监督管理办法 2022",
     "Narcotic, psychotropic (class I and II), toxic, radioactive and precursor-chemical drugs may not be "
     "prescribed online.",
     "不得在互联网上开具麻醉药品、第一类和第二类精神药品、医疗用毒性药品、放射性药品及药品类易制毒化学品处方"
     "。",
     ck_controlled},
    {"rx.no_items", D, S_RX, "A prescription needs at least one drug.", "处方至少应包含一种药品。",
     ck_no_items},
    {"rx.too_many_items", D | I, S_RX " 第六条",
     "A prescription may list at most 5 drugs; write a second prescription for the rest.",
     "每张处方不得超过5种药品，其余药品请另开处方。", ck_too_many},
    {"rx.unknown_drug", D | I, S_RX, "This drug is not in the formulary.", "该药品不在处方集内。",
     ck_unknown},
    {"rx.duplicate_drug", D | I, S_REVIEW, "The same drug is listed twice; combine the lines.",
     "同一药品重复开具，请合并为一行。", ck_duplicate},
    {"rx.quantity_invalid", D | I, S_RX,
     "Quantity, days of supply and daily dose must all be greater than zero.",
     "药品数量、用药天数和日剂量均须大于零。", ck_qty_invalid},
    {"rx.quantity_absurd", D | I, S_RX,
     "The quantity, days of supply or daily dose is far beyond any legal prescription; please check for a "
     "typing error.",
     "药品数量、用药天数或日剂量远超任何合法处方，请检查是否录入有误。", ck_qty_absurd},
    {"rx.quantity_exceeds_supply", D, S_RX " 第十九条",
     "More packs are written than the days of supply need at this daily dose.",
     "开具的包装数量超过按日剂量计算的用药天数所需。", ck_qty_supply},
    {"rx.daily_dose_over_limit", D, S_RX " 第六条",
     "The daily dose is far above this drug's usual daily dose in the formulary.",
     "日剂量远超处方集中该药品的常用日剂量。", ck_daily_dose},
    {"rx.dose_text_invalid", D | I, S_RX " 第六条",
     "Write the dose instructions (how much, how often, how taken) in at most 200 bytes of plain text.",
     "请填写用法用量（剂量、频次、给药途径），纯文本且不超过200字节。", ck_dose_text},
    {"rx.quantity_over_limit", D, S_RX " 第十九条", "A normal prescription may supply at most 7 days.",
     "普通处方一般不得超过7日用量。", ck_days_normal},
    {"rx.acute_quantity_over_limit", D, S_RX " 第十九条",
     "An acute (emergency) prescription may supply at most 3 days.", "急诊处方一般不得超过3日用量。",
     ck_days_acute},
    {"rx.chronic_reason_required", D, S_RX " 第十九条",
     "A longer prescription for a chronic condition needs the reason written down.",
     "慢性病、老年病等延长处方用量的，医师应当注明理由。", ck_chronic_reason},
    {"rx.chronic_quantity_over_limit", D, S_RX " 第十九条；国家医保局“互联网+”医疗服务医保支付指导意见 2020",
     "A chronic-condition prescription may supply at most 4 weeks (28 days); use a long-term prescription "
     "for "
     "more.",
     "慢性病处方用量不得超过4周（28日），需要更长请开具长期处方。", ck_days_chronic},
    {"rx.long_term_quantity_over_limit", D, S_LONG,
     "A long-term prescription may supply at most 12 weeks (84 days).",
     "长期处方用量最长不得超过12周（84日）。", ck_days_long},
    {"rx.long_term_not_chronic", D, S_LONG, "Long-term prescriptions are only for stable chronic conditions.",
     "长期处方仅适用于病情稳定的慢性病患者。", ck_lt_chronic},
    {"rx.long_term_assessment_required", D, S_LONG,
     "A long-term prescription needs the doctor's assessment that the condition is stable, on record.",
     "开具长期处方须有医师对患者病情稳定的评估记录。", ck_lt_assessment},
    {"rx.long_term_consent_required", D, S_LONG,
     "A long-term prescription needs the patient's consent on record.", "开具长期处方须有患者的知情同意。",
     ck_lt_consent},
    {"rx.long_term_antimicrobial", D, S_LONG, "Antimicrobials may never be prescribed long-term.",
     "抗菌药物不得开具长期处方。", ck_lt_antimicrobial},
    {"rx.long_term_drug_unsuitable", D, S_LONG, "This drug is not for long-term use in a chronic condition.",
     "该药品不属于慢性病长期用药，不得开具长期处方。", ck_lt_drug},
    {"rx.validity_out_of_range", D | I, S_RX " 第十八条",
     "A prescription is valid on the day it is issued; the doctor may extend this to at most 3 days.",
     "处方开具当日有效；特殊情况下医师可注明延长，但最长不得超过3天。", ck_validity},
    {"rx.reviewer_is_prescriber", R, S_REVIEW,
     "A prescription may not be reviewed by the person who wrote it.", "开方者不得审核本人开具的处方。",
     ck_rev_self},
    {"rx.reviewer_experience", R, S_REVIEW " 第六条",
     "Prescription review needs a pharmacist with at least 3 years of dispensing experience.",
     "从事处方审核的药师须具有3年及以上处方调剂工作经验。", ck_rev_years},
    {"rx.reviewer_wrong_facility", R, S_REVIEW,
     "Only pharmacists of the prescribing facility or of the district review centre may review this "
     "prescription.",
     "仅开方机构或区域处方审核中心的药师可审核该处方。", ck_rev_facility},
};

#undef D
#undef R
#undef I

const struct rules_rule *rules_table(size_t *n) {
  *n = sizeof rules_rows / sizeof rules_rows[0];
  return rules_rows;
}

const struct rules_rule *rules_find(const char *code) {
  for (size_t i = 0; code && i < sizeof rules_rows / sizeof rules_rows[0]; i++)
    if (strcmp(rules_rows[i].code, code) == 0) return &rules_rows[i];
  return NULL;
}

size_t rules_check(const struct rules_draft *d, const struct rules_config *c, unsigned stages,
                   struct rules_result *out) {
  out->n = 0;
  out->dropped = 0;
  for (size_t i = 0; i < sizeof rules_rows / sizeof rules_rows[0]; i++)
    if (rules_rows[i].stage & stages) rules_rows[i].check(&rules_rows[i], d, c, out);
  return out->n + out->dropped;
}

int rules_result_has(const struct rules_result *out, const char *code) {
  for (size_t i = 0; i < out->n; i++)
    if (strcmp(out->v[i].rule->code, code) == 0) return 1;
  return 0;
}

int rules_result_error(const struct rules_result *out, struct ly_error *e) {
  if (out->n == 0) return 0;
  const struct rules_violation *v = &out->v[0];
  ly_error_set(e, LY_EDENIED, v->rule->code, v->rule->en, v->rule->zh);
  if (e) snprintf(e->field, sizeof e->field, "%s", v->field);
  return LY_EDENIED;
}
