/* rx/rules.h — the prescription rule engine (DESIGN §3).
 *
 * One const table of rules (rx/rules.c). Each rule has a stable code, the
 * regulation it comes from, a sentence in English and Chinese, the stage at
 * which it applies and a check function. rules_check() runs every rule of the
 * asked stages over plain facts and returns EVERY violation at once, so a
 * doctor sees all of them in one go.
 *
 * The engine knows nothing of SQLite: the caller (rx/prescription.c, the
 * check endpoint, tests) gathers the facts into a struct rules_draft. All
 * pointers in the draft are borrowed for the duration of the call.
 */
#ifndef LY_RX_RULES_H
#define LY_RX_RULES_H

#include <stddef.h>
#include <stdint.h>

enum rules_kind { RULES_KIND_NORMAL = 0, RULES_KIND_ACUTE, RULES_KIND_CHRONIC, RULES_KIND_LONG_TERM };

/* drugs.controlled */
enum rules_controlled {
  RULES_CTRL_NONE = 0,
  RULES_CTRL_NARCOTIC,
  RULES_CTRL_PSYCHOTROPIC_1,
  RULES_CTRL_PSYCHOTROPIC_2,
  RULES_CTRL_TOXIC,
  RULES_CTRL_RADIOACTIVE,
  RULES_CTRL_PRECURSOR,
};

/* Stages: a draft is checked before signing (and by the check endpoint);
 * review rules run when a pharmacist approves. */
#define RULES_STAGE_DRAFT  1u
#define RULES_STAGE_REVIEW 2u
/* Faults of the input itself (unknown drug, impossible quantities, …): a
 * draft with one of these is not even saved. Every INPUT rule is also DRAFT. */
#define RULES_STAGE_INPUT 4u

struct rules_config {
  int offline_window_months; /* offline diagnosis must be this recent (12) */
  int min_practice_years;    /* doctors and pharmacists (3) */
  int child_age_years;       /* under this a guardian must be recorded (6) */
  int max_days_normal;       /* 7 */
  int max_days_acute;        /* 3 */
  int max_days_chronic;      /* 28 */
  int max_days_long_term;    /* 84 */
  int max_validity_days;     /* 3 */
  int max_items;             /* 5 per prescription */
  int max_packs;             /* absurd above this per item (999) */
  int max_days_absolute;     /* absurd above this (366) */
  int max_daily_factor;      /* daily dose above factor x the formulary default is refused (4) */
  int max_dose_text;         /* bytes of the dose instructions (200) */
};

/* One formulary-checked line. quantity is in packs; daily_milli is units per
 * day x 1000 (1.5 tablets = 1500) so the canonical document has no floats. */
struct rules_item {
  const char *drug_id;
  int known; /* 0: not in the formulary (the other drug facts are ignored) */
  enum rules_controlled controlled;
  int antimicrobial;
  int chronic_use;
  int64_t pack_size;           /* units per pack */
  int64_t default_daily_milli; /* the formulary's default daily units x 1000 */
  int64_t quantity;            /* packs */
  int64_t days;                /* days of supply */
  int64_t daily_milli;         /* prescribed units per day x 1000 */
  const char *dose;            /* 用法用量 text */
};

struct rules_offline_dx {
  const char *icd10;
  int verified;
  int64_t diagnosed_at; /* UTC ms */
};

/* Facts about the pharmacist who reviews (stage REVIEW). */
struct rules_reviewer {
  int practice_years;
  int is_prescriber;
  int facility_ok; /* of the prescribing facility or the district review centre */
};

struct rules_draft {
  int64_t at_ms; /* the date the rules are judged at (signing / review time) */
  /* prescriber */
  int prescriber_licensed;
  int prescriber_years;     /* full years of independent practice at at_ms */
  int signer_is_prescriber; /* the acting account is the prescribing doctor */
  /* patient */
  int age_years; /* full years at at_ms */
  int age_months;
  int guardian_recorded;
  /* consultation */
  int online;
  const char *icd10;     /* the diagnosis prescribed for */
  int condition_chronic; /* conditions.chronic of icd10's category */
  const struct rules_offline_dx *offline;
  size_t noffline;
  /* the prescription */
  enum rules_kind kind;
  const char *chronic_reason;
  int assessment_on_record; /* long-term: a stability assessment is recorded */
  int patient_consent;      /* long-term: the patient consented */
  int validity_days;
  const struct rules_item *items;
  size_t nitems;
  /* stage REVIEW only; may be NULL otherwise */
  const struct rules_reviewer *reviewer;
};

struct rules_rule;
struct rules_result;
typedef void (*rules_check_fn)(const struct rules_rule *r, const struct rules_draft *d,
                               const struct rules_config *c, struct rules_result *out);

struct rules_rule {
  const char *code;   /* stable: "rx.quantity_over_limit" */
  unsigned stage;     /* RULES_STAGE_* */
  const char *source; /* the regulation, in Chinese with its year */
  const char *en;     /* a sentence a doctor understands */
  const char *zh;
  rules_check_fn check;
};

#define RULES_MAX_VIOLATIONS 64

struct rules_violation {
  const struct rules_rule *rule; /* static, never NULL */
  int item;                      /* index into items, or -1 for the whole prescription */
  char field[32];                /* "items[2].days", "kind", … */
};

struct rules_result {
  size_t n;
  size_t dropped; /* violations beyond RULES_MAX_VIOLATIONS (never expected) */
  struct rules_violation v[RULES_MAX_VIOLATIONS];
};

void rules_config_default(struct rules_config *c);

/* Run every rule whose stage is in `stages`; fills out (reset first).
 * Returns the number of violations (0: the draft passes). Never fails. */
size_t rules_check(const struct rules_draft *d, const struct rules_config *c, unsigned stages,
                   struct rules_result *out);

/* 1 when out holds a violation with this code (tests, callers). */
int rules_result_has(const struct rules_result *out, const char *code);

/* The table, for docs and GET /api/v1/rx/rules. */
const struct rules_rule *rules_table(size_t *n);
const struct rules_rule *rules_find(const char *code);

/* Fill e (LY_EDENIED, code and sentences of the first violation) and return
 * LY_EDENIED; 0 without touching e when out is empty. */
struct ly_error;
int rules_result_error(const struct rules_result *out, struct ly_error *e);

/* Helpers to gather facts. */
int rules_kind_parse(const char *s, enum rules_kind *out);             /* LY_EINVAL */
const char *rules_kind_name(enum rules_kind k);                        /* "normal"… */
int rules_controlled_parse(const char *s, enum rules_controlled *out); /* LY_EINVAL */
/* Age in full years and months at at_ms of a "YYYY-MM-DD" birth date; LY_EPARSE. */
int rules_age_at(const char *birth_date, int64_t at_ms, int *years, int *months);
/* Full calendar years from since_ms to at_ms (0 when since is in the future). */
int rules_full_years(int64_t since_ms, int64_t at_ms);
/* at_ms minus n calendar months (UTC; day overflow normalises forward). */
int64_t rules_months_before(int64_t at_ms, int months);
/* ICD-10 category ("E11.9" → "E11") into out (>= 4 bytes); LY_EINVAL when
 * s is not letter, two digits, optionally '.' and 1-4 alphanumerics. */
int rules_icd10_category(const char *s, char *out, size_t outsz);

#endif
