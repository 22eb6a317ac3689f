/* server/demo_internal.h — what the files of the demo generator share:
 * the deterministic randomness (demo_rand.c), the plan of places and people
 * that both seeding and demo_print_logins build (demo_plan.c), and the
 * seeding steps (demo_places.c, demo_staff.c, demo_catalog.c,
 * demo_pharmacies.c, demo_patients.c) run by demo.c inside one transaction.
 */
#ifndef LY_DEMO_INTERNAL_H
#define LY_DEMO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/crypto.h"
#include "core/ids.h"
#include "server/demo_tsv.h"

struct ly_server;
struct ly_db;

#define DEMO_SEED         0x4c69616e79690001ULL /* "Lianyi" + 1: change it and the district changes */
#define DEMO_REGION_CODE  "440310"              /* 深圳市坪山区 in GB/T 2260 */
#define DEMO_PASSWORD     "lianyi-demo"
#define DEMO_DAY_MS       86400000LL
#define DEMO_TZ_OFFSET_MS (8LL * 3600 * 1000) /* China Standard Time: the district's day and year */
#define DEMO_YEAR_DAYS    365

#define DEMO_PATIENTS       520
#define DEMO_PATIENT_LOGINS 20 /* patient1 … patient20 */
#define DEMO_PHARMACISTS    12
#define DEMO_STAFF_LOGINS   20 /* pharmacy1 … pharmacy20: the first 20 pharmacies */
#define DEMO_MAX_SUBS       8
#define DEMO_MAX_FACS       48
#define DEMO_MAX_DEPTS      96
#define DEMO_MAX_STREETS    64
#define DEMO_MAX_DOCTORS    112
#define DEMO_MAX_SURNAMES   256
#define DEMO_MAX_GIVEN      1024
#define DEMO_MAX_PHARMACIES 400
#define DEMO_MAX_DRUGS      512
#define DEMO_MAX_CONDITIONS 96
#define DEMO_MAX_PEOPLE     (DEMO_MAX_DOCTORS + DEMO_PHARMACISTS + DEMO_STAFF_LOGINS + DEMO_PATIENTS + 2)
#define DEMO_SLUG_MAX       48
#define DEMO_NAME_MAX       128

/* ---- demo_rand.c ------------------------------------------------------- */
struct demo_rand {
  uint64_t s;
};
/* The stream of entity `index` of kind `tag` ("patient", "pharmacy", …). */
void demo_rand_init(struct demo_rand *r, const char *tag, uint64_t index);
uint64_t demo_rand_u64(struct demo_rand *r);
uint32_t demo_rand_below(struct demo_rand *r, uint32_t n); /* [0, n) */
int demo_rand_range(struct demo_rand *r, int lo, int hi);  /* [lo, hi] */
int demo_rand_chance(struct demo_rand *r, int permille);
double demo_rand_real(struct demo_rand *r, double lo, double hi);
/* Index drawn with probability weights[i] / sum (weights <= 0 never drawn). */
int demo_rand_weighted(struct demo_rand *r, const int *weights, int n);
/* Stable opaque id "<prefix>_<22 base64url chars>" for entity index of tag. */
int demo_rand_id(const char *prefix, const char *tag, uint64_t index, char *out, size_t outsz);
/* The ISO 7064 MOD 11-2 check character of 17 digits ('0'-'9' or 'X'); 0 if
 * a character is not a digit. */
char demo_rand_id_check(const char *first17);
/* 18-character resident ID: region 440310, birth_date "YYYY-MM-DD", order
 * code seq (odd for 'M', even for 'F'), check character. */
int demo_rand_national_id(const char *birth_date, int seq, char sex, char out[19]);

/* ---- demo_plan.c: places and people, built from the TSVs alone ---------- */
struct demo_sub {
  char id[DEMO_SLUG_MAX];
  char name[DEMO_NAME_MAX];
  char name_en[DEMO_NAME_MAX];
  double lat, lon;
  int ncentres;
};
struct demo_street {
  char id[DEMO_SLUG_MAX];
  char name[DEMO_NAME_MAX];
  char name_en[DEMO_NAME_MAX];
  int sub;
  double lat, lon;
};
struct demo_fac {
  char id[DEMO_SLUG_MAX];
  int hospital;   /* 0: community centre */
  char level[16]; /* community | secondary | tertiary */
  char name[DEMO_NAME_MAX];
  char name_en[DEMO_NAME_MAX];
  char address[DEMO_NAME_MAX * 2];
  int sub;
  double lat, lon;
  int gp_dept; /* centres: their general-practice department */
};
struct demo_dept {
  char id[DEMO_SLUG_MAX];
  int fac;
  char name[DEMO_NAME_MAX];
  char name_en[DEMO_NAME_MAX];
  char specialty[DEMO_SLUG_MAX];
};
struct demo_surname {
  char zh[16];
  char py[24];
  int weight;
};
struct demo_given {
  char zh[16];
  char py[32];
  char gender; /* m f u */
  char era;    /* o(ld) m(id) y(oung) */
  int weight;
};

enum demo_kind { DEMO_PATIENT, DEMO_DOCTOR, DEMO_PHARMACIST, DEMO_STAFF, DEMO_ADMIN, DEMO_SUPERVISOR };

struct demo_person {
  enum demo_kind kind;
  int index;         /* within its kind */
  char username[32]; /* "" when the person has no login */
  char account_id[LY_ID_MAX];
  char name[48];
  char name_en[64];
  char sex;          /* 'M' | 'F' */
  int age_days;      /* patients: age at seeding time */
  int sub;           /* patients: subdistrict */
  int fac, dept;     /* doctors: facility and department; pharmacists: facility or -1 */
  char title[24];    /* doctors: doctor_titles id */
  int practice_days; /* doctors, pharmacists: days since independent practice began */
  int gp;            /* doctors: a general practitioner at a community centre */
};

struct demo_plan {
  int nsubs, nstreets, nfacs, ndepts, nsurnames, ngiven, ndoctors;
  struct demo_sub subs[DEMO_MAX_SUBS];
  struct demo_street streets[DEMO_MAX_STREETS];
  struct demo_fac facs[DEMO_MAX_FACS];
  struct demo_dept depts[DEMO_MAX_DEPTS];
  struct demo_surname surnames[DEMO_MAX_SURNAMES];
  struct demo_given given[DEMO_MAX_GIVEN];
  struct demo_person doctors[DEMO_MAX_DOCTORS];
  struct demo_person pharmacists[DEMO_PHARMACISTS];
  struct demo_person staff[DEMO_STAFF_LOGINS];
  struct demo_person patients[DEMO_PATIENTS];
  struct demo_person admin, supervisor;
  const struct demo_person *named[DEMO_MAX_PEOPLE]; /* everyone named so far (no repeats) */
  struct demo_tsv tsv;                              /* the one reader, reused by every step */
  char err[DEMO_TSV_ERR_MAX];
};

/* Build the plan on the heap from ly_demo_files. 0 with *out set (free it
 * with demo_plan_free), or an LY_E* code with *out NULL and err naming the
 * file, line and problem. */
int demo_plan_build(struct demo_plan **out, char *err, size_t errsz);
void demo_plan_free(struct demo_plan *p);
int demo_plan_sub(const struct demo_plan *p, const char *id); /* index or -1 */
int demo_plan_fac(const struct demo_plan *p, const char *id);
int demo_plan_dept(const struct demo_plan *p, const char *id);
/* The turn-th street of subdistrict sub (cycling); -1 when it has none. */
int demo_plan_street(const struct demo_plan *p, int sub, int turn);
/* Find a person by login name; NULL when there is none. */
const struct demo_person *demo_plan_login(const struct demo_plan *p, const char *username);

/* ---- seeding (one transaction, run by demo.c) --------------------------- */
struct demo_pharmacy {
  char id[LY_ID_MAX];
  int sub;
  int delivers;
};
struct demo_drug {
  char id[DEMO_SLUG_MAX];
  char controlled[16];
  char form[16];
  int chronic_use;
  int tcm;
};
struct demo_condition {
  char icd10[16];
  int weight;
  int chronic;
};

struct demo_insurance_plan {
  char id[DEMO_SLUG_MAX];
  int has_account;
  int weight;          /* insurance_params plan_weight.<id> */
  int64_t opening_fen; /* insurance_params personal_account_initial_fen.<id> */
};
#define DEMO_MAX_PLANS 8

struct demo_ctx {
  struct ly_server *srv;
  struct ly_db *db;
  struct demo_plan *plan;
  int64_t now;       /* srv->clock at the start of seeding */
  int64_t year_from; /* UTC ms of 1 January 00:00 CST of now's year */
  int64_t year_to;   /* the last ms of that year (CST) */
  char pw_hash[LY_PASSWORD_HASH_MAX];
  int npharmacies, ndrugs, nconditions;
  struct demo_pharmacy pharmacies[DEMO_MAX_PHARMACIES];
  struct demo_drug drugs[DEMO_MAX_DRUGS];
  struct demo_condition conditions[DEMO_MAX_CONDITIONS];
  int nplans;
  struct demo_insurance_plan plans[DEMO_MAX_PLANS];
  int uninsured_weight; /* insurance_params plan_weight.uninsured */
  char err[384];        /* the reason of a failure, logged by demo_seed */
};

/* Record why a step failed (printf-style) and return err. */
int demo_fail(struct demo_ctx *cx, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A SQLite failure of st: message with the SQLite error, LY_E* code back. */
int demo_fail_db(struct demo_ctx *cx, int sqlite_rc, const char *what);
/* Step a bound INSERT to completion (SQLITE_DONE) or fail naming what. */
int demo_step(struct demo_ctx *cx, void *stmt, const char *what);
/* Insert the account of a person who has a login (the shared demo hash). */
int demo_account_insert(struct demo_ctx *cx, const struct demo_person *who);
/* Copy a TSV reader error into cx->err and return err. */
int demo_fail_tsv(struct demo_ctx *cx, int err);

int demo_places_write(struct demo_ctx *cx);     /* subdistricts, facilities, departments */
int demo_staff_write(struct demo_ctx *cx);      /* titles, admin, doctors, pharmacists */
int demo_catalog_write(struct demo_ctx *cx);    /* conditions, drugs, plans, policy, fees */
int demo_pharmacies_write(struct demo_ctx *cx); /* pharmacies, delivery areas, staff, stock */
int demo_patients_write(struct demo_ctx *cx);   /* patients, coverage, offline diagnoses */

#endif
