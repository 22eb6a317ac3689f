/* server/demo_patients.c — patients (national ID and phone sealed at rest,
 * found by keyed hash), their insurance coverage and their offline
 * diagnoses: the evidence that makes an online follow-up legal.
 *
 * Fixed cases: patient1 has hypertension (I10) diagnosed ~3 months ago by
 * doctor1 at 坪山社区健康服务中心 and type 2 diabetes (E11.9), employee tier
 * 1 with a personal account; patient2 has no offline diagnosis at all (a
 * first visit); patient3 is 4 years old with asthma; patient4's only
 * diagnosis (I10) is 14 months old, outside the 12-month follow-up window.
 * The other patient logins (5-20) all have at least one recent chronic
 * diagnosis. Of everyone's diagnoses ~80% are 1-11 months old, ~20% older
 * than 12 months.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "server/demo_internal.h"
#include "server/server.h"

#define PAT_ENC_MAX 64
#define PAT_MAX_DX  4

struct pat_dx {
  const char *icd10;
  int days_ago; /* < 0: draw */
  int fac;      /* -1: draw */
  int dept;
  int doctor; /* index into plan->doctors; -1: a doctor of dept */
};

/* Conditions a child (< 14) may be given; everyone else draws chronic ones. */
static int pat_child_ok(const char *icd) {
  static const char *const ok[] = {"J45.9", "J30.4", "L20.9"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (!strcmp(ok[i], icd)) return 1;
  return 0;
}

static int pat_condition_ok(const struct demo_condition *k, const struct demo_person *x) {
  int age = x->age_days / DEMO_YEAR_DAYS;
  if (!k->chronic || k->weight <= 0) return 0;
  if (age < 14) return pat_child_ok(k->icd10);
  if (!strcmp(k->icd10, "N40")) return x->sex == 'M' && age >= 45;
  if (!strcmp(k->icd10, "M81.0")) return x->sex == 'F' && age >= 50;
  if (!strcmp(k->icd10, "G30.9") || !strcmp(k->icd10, "G20")) return age >= 60;
  if (!strncmp(k->icd10, "I", 1) && strcmp(k->icd10, "I10")) return age >= 40;
  return 1;
}

/* Hospital specialty for a diagnosis (children: paediatrics). */
static const char *pat_specialty(const char *icd, int age) {
  static const struct {
    const char *prefix, *specialty;
  } map[] = {{"I63", "neurology"},   {"I", "cardiology"},       {"E78", "cardiology"},
             {"E", "endocrinology"}, {"J", "respiratory"},      {"N18", "nephrology"},
             {"N40", "urology"},     {"K", "gastroenterology"}, {"B18", "gastroenterology"},
             {"G", "neurology"},     {"F", "psychiatry"},       {"M10", "endocrinology"},
             {"M", "orthopedics"},   {"H", "ophthalmology"},    {"L", "dermatology"}};
  if (age < 14) return "pediatrics";
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strncmp(icd, map[i].prefix, strlen(map[i].prefix))) return map[i].specialty;
  return "general_medicine";
}

/* A doctor of department dept (the first; -1 when it has none). */
static int pat_doctor_of(const struct demo_plan *p, int dept, struct demo_rand *r) {
  int n = 0, pick;
  for (int i = 0; i < p->ndoctors; i++)
    n += p->doctors[i].dept == dept && strcmp(p->doctors[i].username, "newdoctor");
  if (n == 0) return -1;
  pick = (int)demo_rand_below(r, (uint32_t)n);
  for (int i = 0; i < p->ndoctors; i++)
    if (p->doctors[i].dept == dept && strcmp(p->doctors[i].username, "newdoctor") && pick-- == 0) return i;
  return -1;
}

/* Where a diagnosis was made: mostly a centre of the patient's subdistrict,
 * ~30% the hospital department of its specialty. Sets dx->fac and dx->dept. */
static void pat_place(const struct demo_plan *p, const struct demo_person *x, struct pat_dx *dx,
                      struct demo_rand *r) {
  if (dx->fac >= 0) return;
  if (demo_rand_chance(r, 300)) {
    const char *spec = pat_specialty(dx->icd10, x->age_days / DEMO_YEAR_DAYS);
    int cand[DEMO_MAX_DEPTS], n = 0;
    for (int d = 0; d < p->ndepts; d++)
      if (p->facs[p->depts[d].fac].hospital && !strcmp(p->depts[d].specialty, spec)) cand[n++] = d;
    if (n) {
      dx->dept = cand[demo_rand_below(r, (uint32_t)n)];
      dx->fac = p->depts[dx->dept].fac;
      return;
    }
  }
  int street = 0, n = p->subs[x->sub].ncentres, pick = (int)demo_rand_below(r, (uint32_t)(n > 0 ? n : 1));
  for (int f = 0; f < p->nfacs; f++)
    if (!p->facs[f].hospital && p->facs[f].sub == x->sub && street++ == pick) dx->fac = f;
  if (dx->fac < 0) dx->fac = p->doctors[0].fac;
  dx->dept = p->facs[dx->fac].gp_dept;
}

static int pat_dx_insert(struct demo_ctx *cx, const char *patient_id, const struct demo_person *x,
                         struct pat_dx *dx, struct demo_rand *r, int serial) {
  static const char *sql =
      "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, doctor_id, diagnosed_at, source, "
      "verified,"
      " verified_by, verified_at, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'facility', 1, ?5, ?6, "
      "?7, ?6)";
  const struct demo_plan *p = cx->plan;
  char id[LY_ID_MAX];
  pat_place(p, x, dx, r);
  int days = dx->days_ago >= 0          ? dx->days_ago
             : demo_rand_chance(r, 800) ? demo_rand_range(r, 30, 330)
                                        : demo_rand_range(r, 380, 900);
  int64_t at = cx->now - (int64_t)days * DEMO_DAY_MS - (int64_t)demo_rand_range(r, 0, 8 * 60) * 60000;
  int doc = dx->doctor >= 0 ? dx->doctor : pat_doctor_of(p, dx->dept, r);
  int rc = demo_rand_id("dx", "diagnosis", (uint64_t)serial, id, sizeof id);
  if (rc) return demo_fail(cx, rc, "diagnosis id");
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare offline_diagnoses");
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, patient_id);
  ly_db_bind_text(st, 3, dx->icd10);
  ly_db_bind_text(st, 4, p->facs[dx->fac].id);
  ly_db_bind_text(st, 5, doc >= 0 ? p->doctors[doc].account_id : NULL);
  ly_db_bind_int(st, 6, at);
  ly_db_bind_text(st, 7, "门诊确诊（演示数据）");
  return demo_step(cx, st, "insert offline diagnosis");
}

/* The fixed cases, then a draw by age: how many chronic conditions. */
static int pat_dx_plan(struct demo_ctx *cx, const struct demo_person *x, struct demo_rand *r,
                       struct pat_dx *out) {
  static const int per_band[][4] = {{600, 400, 0, 0}, {250, 600, 150, 0}, {100, 450, 350, 100}};
  const struct demo_plan *p = cx->plan;
  int doctor1_fac = p->doctors[0].fac, doctor1_dept = p->doctors[0].dept;
  switch (x->index) {
    case 0:
      out[0] = (struct pat_dx){"I10", 91, doctor1_fac, doctor1_dept, 0};
      out[1] = (struct pat_dx){"E11.9", 152, doctor1_fac, doctor1_dept, 0};
      return 2;
    case 1:
      return 0;
    case 2: {
      int d = demo_plan_dept(p, "dept-renmin-pediatrics");
      out[0] = (struct pat_dx){"J45.9", 63, d >= 0 ? p->depts[d].fac : -1, d, -1};
      return 1;
    }
    case 3:
      out[0] = (struct pat_dx){"I10", 425, -1, -1, -1};
      return 1;
  }
  int age = x->age_days / DEMO_YEAR_DAYS, band = age < 45 ? 0 : age < 65 ? 1 : 2;
  int n = demo_rand_weighted(r, per_band[band], 4);
  int none_pm = age < 6 ? 600 : age < 18 ? 700 : age < 45 ? 550 : age < 65 ? 250 : 100;
  if (x->index >= DEMO_PATIENT_LOGINS && demo_rand_chance(r, none_pm)) return 0;
  if (n == 0) n = 1;
  int w[DEMO_MAX_CONDITIONS], got = 0;
  for (int k = 0; k < cx->nconditions; k++)
    w[k] = pat_condition_ok(&cx->conditions[k], x) ? cx->conditions[k].weight : 0;
  for (int i = 0; i < n && got < PAT_MAX_DX; i++) {
    int k = demo_rand_weighted(r, w, cx->nconditions);
    if (k < 0 || w[k] <= 0) break;
    w[k] = 0; /* no repeats */
    /* patient logins get one recent diagnosis, so each can be followed up online */
    int days = (x->index < DEMO_PATIENT_LOGINS && got == 0) ? demo_rand_range(r, 20, 300) : -1;
    out[got++] = (struct pat_dx){cx->conditions[k].icd10, days, -1, -1, -1};
  }
  return got;
}

static int pat_diagnoses(struct demo_ctx *cx, const char *patient_id, const struct demo_person *x,
                         int *serial) {
  struct pat_dx dx[PAT_MAX_DX];
  struct demo_rand r;
  demo_rand_init(&r, "patient.dx", (uint64_t)x->index);
  int n = pat_dx_plan(cx, x, &r, dx);
  for (int i = 0; i < n; i++) {
    int rc = pat_dx_insert(cx, patient_id, x, &dx[i], &r, (*serial)++);
    if (rc) return rc;
  }
  return LY_OK;
}

/* 1[3-9]x xxxx xxxx: the last four digits are the patient index, so no two
 * demo patients share a phone. */
static void pat_phone(const struct demo_person *x, struct demo_rand *r, char *out, size_t outsz) {
  static const char second[] = "3578935789";
  snprintf(out, outsz, "1%c%05u%04d", second[demo_rand_below(r, 10)], demo_rand_below(r, 100000),
           x->index % 10000);
}

/* A valid, not yet used resident ID (order codes step by 2 on a clash). */
static int pat_national_id(struct demo_ctx *cx, const struct demo_person *x, const char *birth,
                           struct demo_rand *r, char (*used)[19], char out[19]) {
  int seq = 2 * (int)demo_rand_below(r, 499) + (x->sex == 'M');
  for (int tries = 0; tries < 500; tries++, seq = (seq + 2) % 1000) {
    int rc = demo_rand_national_id(birth, seq, x->sex, out);
    if (rc) return demo_fail(cx, rc, "national id for %s", birth);
    int clash = 0;
    for (int i = 0; i < x->index && !clash; i++)
      clash = !strcmp(used[i], out);
    if (!clash) {
      memcpy(used[x->index], out, 19);
      return LY_OK;
    }
  }
  return demo_fail(cx, LY_EEXIST, "no free national id for %s", birth);
}

/* Seal value under aad and hash it for lookups into enc/encn and hash. */
static int pat_seal(struct demo_ctx *cx, const char *aad, const char *value, uint8_t enc[PAT_ENC_MAX],
                    size_t *encn, uint8_t hash[LY_SHA256_LEN]) {
  int rc = ly_seal(cx->srv->keys.enc, aad, value, strlen(value), enc, PAT_ENC_MAX, encn);
  if (rc == 0) rc = ly_lookup_hash(&cx->srv->keys, value, hash);
  return rc ? demo_fail(cx, rc, "sealing %s: %s", aad, ly_strerror(rc)) : LY_OK;
}

struct pat_sealed {
  uint8_t nid[PAT_ENC_MAX], nid_hash[LY_SHA256_LEN], phone[PAT_ENC_MAX], phone_hash[LY_SHA256_LEN];
  size_t nidn, phonen;
};

static int pat_row(struct demo_ctx *cx, const char *id, const struct demo_person *x, char (*used)[19]) {
  static const char *sql =
      "INSERT INTO patients (id, account_id, name, name_en, sex, birth_date, national_id_enc, "
      "national_id_hash,"
      " phone_enc, phone_hash, subdistrict_id, address, lat, lon, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
  const struct demo_plan *p = cx->plan;
  struct demo_rand r;
  struct pat_sealed z;
  char birth[16], nid[19], phone[24], address[DEMO_NAME_MAX * 2];
  demo_rand_init(&r, "patient.row", (uint64_t)x->index);
  ly_time_date(cx->now - (int64_t)x->age_days * DEMO_DAY_MS, birth, sizeof birth);
  pat_phone(x, &r, phone, sizeof phone);
  int rc = pat_national_id(cx, x, birth, &r, used, nid);
  if (rc == 0) rc = pat_seal(cx, "patients.national_id", nid, z.nid, &z.nidn, z.nid_hash);
  if (rc == 0) rc = pat_seal(cx, "patients.phone", phone, z.phone, &z.phonen, z.phone_hash);
  explicit_bzero(nid, sizeof nid);
  if (rc) return rc;
  int si = demo_plan_street(p, x->sub, (int)demo_rand_below(&r, 16));
  if (si < 0) return demo_fail(cx, LY_EPARSE, "subdistrict %s has no street", p->subs[x->sub].id);
  const struct demo_street *s = &p->streets[si];
  snprintf(address, sizeof address, "深圳市坪山区%s街道%s%d号%d栋%d室", p->subs[x->sub].name, s->name,
           demo_rand_range(&r, 1, 399), demo_rand_range(&r, 1, 12),
           demo_rand_range(&r, 1, 32) * 100 + demo_rand_range(&r, 1, 8));
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare patients");
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, x->username[0] ? x->account_id : NULL);
  ly_db_bind_text(st, 3, x->name);
  ly_db_bind_text(st, 4, x->name_en);
  ly_db_bind_text(st, 5, x->sex == 'M' ? "M" : "F");
  ly_db_bind_text(st, 6, birth);
  ly_db_bind_blob(st, 7, z.nid, (int)z.nidn);
  ly_db_bind_blob(st, 8, z.nid_hash, LY_SHA256_LEN);
  ly_db_bind_blob(st, 9, z.phone, (int)z.phonen);
  ly_db_bind_blob(st, 10, z.phone_hash, LY_SHA256_LEN);
  ly_db_bind_text(st, 11, p->subs[x->sub].id);
  ly_db_bind_text(st, 12, address);
  sqlite3_bind_double(st, 13, round((s->lat + demo_rand_real(&r, -0.006, 0.006)) * 1e5) / 1e5);
  sqlite3_bind_double(st, 14, round((s->lon + demo_rand_real(&r, -0.006, 0.006)) * 1e5) / 1e5);
  ly_db_bind_int(st, 15, cx->now);
  return demo_step(cx, st, "insert patient");
}

/* Plan index for x: patient1 employee tier 1, patient2 tier 2, patient3
 * (a child) resident; children are residents; otherwise the weights of
 * insurance_params.tsv (uninsured possible only for patients without a login).
 * Returns -1 for no coverage. */
static int pat_plan_of(const struct demo_ctx *cx, const struct demo_person *x, struct demo_rand *r) {
  int w[DEMO_MAX_PLANS + 1];
  const char *fixed = x->index == 0 ? "employee_t1" : x->index == 1 ? "employee_t2" : NULL;
  if (x->age_days / DEMO_YEAR_DAYS < 18) fixed = "resident";
  for (int i = 0; i < cx->nplans; i++) {
    if (fixed && !strcmp(cx->plans[i].id, fixed)) return i;
    w[i] = cx->plans[i].weight;
  }
  w[cx->nplans] = x->username[0] ? 0 : cx->uninsured_weight;
  int k = demo_rand_weighted(r, w, cx->nplans + 1);
  return k >= cx->nplans ? -1 : k;
}

static int pat_coverage(struct demo_ctx *cx, const char *id, const struct demo_person *x) {
  static const char *sql =
      "INSERT INTO coverage (patient_id, plan_id, insured_no, valid_from, valid_to, account_balance_fen)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  struct demo_rand r;
  char no[24], year[16];
  demo_rand_init(&r, "patient.coverage", (uint64_t)x->index);
  int k = pat_plan_of(cx, x, &r);
  if (k < 0) return LY_OK; /* uninsured: pays everything */
  const struct demo_insurance_plan *pl = &cx->plans[k];
  int64_t balance = pl->opening_fen;
  if (x->index != 0) balance = balance * demo_rand_range(&r, 5, 150) / 100;
  ly_time_date(cx->now, year, sizeof year);
  /* 深圳 social-security style number: PS + year + a bijective serial. */
  snprintf(no, sizeof no, "PS%.4s%08ld", year, (long)(((x->index + 1) * 7919L) % 100000000L));
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare coverage");
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, pl->id);
  ly_db_bind_text(st, 3, no);
  ly_db_bind_int(st, 4, cx->year_from);
  ly_db_bind_int(st, 5, cx->year_to);
  ly_db_bind_int(st, 6, pl->has_account ? balance : 0);
  return demo_step(cx, st, "insert coverage");
}

int demo_patients_write(struct demo_ctx *cx) {
  char(*used)[19] = calloc(DEMO_PATIENTS, sizeof *used); /* national IDs so far, for clashes */
  int serial = 0, rc = LY_OK;
  if (!used) return demo_fail(cx, LY_ENOMEM, "out of memory");
  for (int i = 0; i < DEMO_PATIENTS && rc == 0; i++) {
    const struct demo_person *x = &cx->plan->patients[i];
    char id[LY_ID_MAX];
    rc = demo_rand_id("pat", "patient", (uint64_t)i, id, sizeof id);
    if (rc) rc = demo_fail(cx, rc, "patient id");
    if (rc == 0 && x->username[0]) rc = demo_account_insert(cx, x);
    if (rc == 0) rc = pat_row(cx, id, x, used);
    if (rc == 0) rc = pat_coverage(cx, id, x);
    if (rc == 0) rc = pat_diagnoses(cx, id, x, &serial);
  }
  explicit_bzero(used, DEMO_PATIENTS * sizeof *used);
  free(used);
  return rc;
}
