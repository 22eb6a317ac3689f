/* server/demo_plan.c — the places (from the TSVs) and the people (generated)
 * of the demo district, in memory, without touching a database.
 *
 * Both demo_seed and demo_print_logins build the same plan, so the printed
 * names are the stored ones. Nothing here depends on the clock: ages and
 * years of practice are kept in days and turned into dates when seeding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "server/demo.h"
#include "server/demo_internal.h"

/* Copy a field into a fixed buffer; an over-long value is a data error. */
static int plan_copy(struct demo_plan *p, char *dst, size_t dstsz, int col) {
  const char *s = demo_tsv_get(&p->tsv, col);
  size_t n = strlen(s);
  if (n + 1 > dstsz) {
    snprintf(p->err, sizeof p->err, "%s:%d: field '%s' longer than %zu bytes", p->tsv.file, p->tsv.line,
             p->tsv.cols[col], dstsz - 1);
    return LY_ETOOBIG;
  }
  memcpy(dst, s, n + 1);
  return LY_OK;
}

#define PLAN_COPY(p, dst, col) plan_copy((p), (dst), sizeof(dst), (col))

static int plan_tsv_err(struct demo_plan *p, int rc) {
  snprintf(p->err, sizeof p->err, "%s", p->tsv.err);
  return rc;
}

/* Open file and map the wanted columns; idx gets one index per name. */
static int plan_open(struct demo_plan *p, const char *file, const char *const *cols, int *idx, int n) {
  int rc = demo_tsv_open(&p->tsv, ly_demo_files, file);
  if (rc == 0) rc = demo_tsv_columns(&p->tsv, cols, idx, n);
  return rc ? plan_tsv_err(p, rc) : LY_OK;
}

/* The index of the subdistrict named by the current row's column col. */
static int plan_sub_col(struct demo_plan *p, int col, int *out) {
  *out = demo_plan_sub(p, demo_tsv_get(&p->tsv, col));
  if (*out >= 0) return LY_OK;
  snprintf(p->err, sizeof p->err, "%s:%d: unknown subdistrict '%s'", p->tsv.file, p->tsv.line,
           demo_tsv_get(&p->tsv, col));
  return LY_EPARSE;
}

static int plan_full(struct demo_plan *p, int n, int max) {
  if (n < max) return LY_OK;
  snprintf(p->err, sizeof p->err, "%s:%d: more than %d rows", p->tsv.file, p->tsv.line, max);
  return LY_ETOOBIG;
}

static int plan_load_subs(struct demo_plan *p) {
  static const char *const cols[] = {"id", "name_zh", "name_en", "lat", "lon"};
  int c[5], rc;
  if ((rc = plan_open(p, "subdistricts.tsv", cols, c, 5))) return rc;
  while ((rc = demo_tsv_next(&p->tsv)) == 1) {
    if ((rc = plan_full(p, p->nsubs, DEMO_MAX_SUBS))) return rc;
    struct demo_sub *s = &p->subs[p->nsubs];
    if ((rc = PLAN_COPY(p, s->id, c[0])) || (rc = PLAN_COPY(p, s->name, c[1])) ||
        (rc = PLAN_COPY(p, s->name_en, c[2])))
      return rc;
    if ((rc = demo_tsv_real(&p->tsv, c[3], &s->lat)) || (rc = demo_tsv_real(&p->tsv, c[4], &s->lon)))
      return plan_tsv_err(p, rc);
    p->nsubs++;
  }
  return rc < 0 ? plan_tsv_err(p, rc) : LY_OK;
}

static int plan_load_streets(struct demo_plan *p) {
  static const char *const cols[] = {"id", "name_zh", "name_en", "subdistrict_id", "lat", "lon"};
  int c[6], rc;
  if ((rc = plan_open(p, "street_names.tsv", cols, c, 6))) return rc;
  while ((rc = demo_tsv_next(&p->tsv)) == 1) {
    if ((rc = plan_full(p, p->nstreets, DEMO_MAX_STREETS))) return rc;
    struct demo_street *s = &p->streets[p->nstreets];
    if ((rc = PLAN_COPY(p, s->id, c[0])) || (rc = PLAN_COPY(p, s->name, c[1])) ||
        (rc = PLAN_COPY(p, s->name_en, c[2])) || (rc = plan_sub_col(p, c[3], &s->sub)))
      return rc;
    if ((rc = demo_tsv_real(&p->tsv, c[4], &s->lat)) || (rc = demo_tsv_real(&p->tsv, c[5], &s->lon)))
      return plan_tsv_err(p, rc);
    p->nstreets++;
  }
  return rc < 0 ? plan_tsv_err(p, rc) : LY_OK;
}

/* hospitals.tsv has a level column; community_centres.tsv does not. */
static int plan_load_facs(struct demo_plan *p, const char *file, int hospital) {
  static const char *const hcols[] = {"id",         "name_zh", "name_en", "subdistrict_id",
                                      "address_zh", "lat",     "lon",     "level"};
  int c[8], rc;
  if ((rc = plan_open(p, file, hcols, c, hospital ? 8 : 7))) return rc;
  while ((rc = demo_tsv_next(&p->tsv)) == 1) {
    if ((rc = plan_full(p, p->nfacs, DEMO_MAX_FACS))) return rc;
    struct demo_fac *f = &p->facs[p->nfacs];
    f->hospital = hospital;
    f->gp_dept = -1;
    if ((rc = PLAN_COPY(p, f->id, c[0])) || (rc = PLAN_COPY(p, f->name, c[1])) ||
        (rc = PLAN_COPY(p, f->name_en, c[2])) || (rc = plan_sub_col(p, c[3], &f->sub)) ||
        (rc = PLAN_COPY(p, f->address, c[4])))
      return rc;
    if ((rc = demo_tsv_real(&p->tsv, c[5], &f->lat)) || (rc = demo_tsv_real(&p->tsv, c[6], &f->lon)))
      return plan_tsv_err(p, rc);
    if (!hospital) {
      snprintf(f->level, sizeof f->level, "community");
      p->subs[f->sub].ncentres++;
    } else if ((rc = PLAN_COPY(p, f->level, c[7]))) {
      return rc;
    } else if (strcmp(f->level, "tertiary") && strcmp(f->level, "secondary")) {
      snprintf(p->err, sizeof p->err, "%s:%d: level '%s' is not tertiary/secondary", file, p->tsv.line,
               f->level);
      return LY_EPARSE;
    }
    p->nfacs++;
  }
  return rc < 0 ? plan_tsv_err(p, rc) : LY_OK;
}

static int plan_load_depts(struct demo_plan *p) {
  static const char *const cols[] = {"id", "facility_id", "name_zh", "name_en", "specialty"};
  int c[5], rc;
  if ((rc = plan_open(p, "departments.tsv", cols, c, 5))) return rc;
  while ((rc = demo_tsv_next(&p->tsv)) == 1) {
    if ((rc = plan_full(p, p->ndepts, DEMO_MAX_DEPTS))) return rc;
    struct demo_dept *d = &p->depts[p->ndepts];
    if ((rc = PLAN_COPY(p, d->id, c[0])) || (rc = PLAN_COPY(p, d->name, c[2])) ||
        (rc = PLAN_COPY(p, d->name_en, c[3])) || (rc = PLAN_COPY(p, d->specialty, c[4])))
      return rc;
    d->fac = demo_plan_fac(p, demo_tsv_get(&p->tsv, c[1]));
    if (d->fac < 0) {
      snprintf(p->err, sizeof p->err, "departments.tsv:%d: unknown facility", p->tsv.line);
      return LY_EPARSE;
    }
    if (!p->facs[d->fac].hospital && !strcmp(d->specialty, "general_practice"))
      p->facs[d->fac].gp_dept = p->ndepts;
    p->ndepts++;
  }
  if (rc < 0) return plan_tsv_err(p, rc);
  for (int i = 0; i < p->nfacs; i++)
    if (!p->facs[i].hospital && p->facs[i].gp_dept < 0) {
      snprintf(p->err, sizeof p->err, "departments.tsv: centre %s has no general_practice department",
               p->facs[i].id);
      return LY_EPARSE;
    }
  return LY_OK;
}

static int plan_load_surnames(struct demo_plan *p) {
  static const char *const cols[] = {"surname_zh", "pinyin", "weight"};
  int c[3], rc;
  int64_t w;
  if ((rc = plan_open(p, "surnames.tsv", cols, c, 3))) return rc;
  while ((rc = demo_tsv_next(&p->tsv)) == 1) {
    if ((rc = plan_full(p, p->nsurnames, DEMO_MAX_SURNAMES))) return rc;
    struct demo_surname *s = &p->surnames[p->nsurnames];
    if ((rc = PLAN_COPY(p, s->zh, c[0])) || (rc = PLAN_COPY(p, s->py, c[1]))) return rc;
    if ((rc = demo_tsv_int(&p->tsv, c[2], 1, 100000, &w))) return plan_tsv_err(p, rc);
    s->weight = (int)w;
    p->nsurnames++;
  }
  return rc < 0 ? plan_tsv_err(p, rc) : LY_OK;
}

static int plan_load_given(struct demo_plan *p) {
  static const char *const cols[] = {"given_zh", "pinyin", "gender", "era", "weight"};
  int c[5], rc;
  int64_t w;
  if ((rc = plan_open(p, "given_names.tsv", cols, c, 5))) return rc;
  while ((rc = demo_tsv_next(&p->tsv)) == 1) {
    if ((rc = plan_full(p, p->ngiven, DEMO_MAX_GIVEN))) return rc;
    struct demo_given *g = &p->given[p->ngiven];
    const char *gender = demo_tsv_get(&p->tsv, c[2]), *era = demo_tsv_get(&p->tsv, c[3]);
    if ((rc = PLAN_COPY(p, g->zh, c[0])) || (rc = PLAN_COPY(p, g->py, c[1]))) return rc;
    if ((rc = demo_tsv_int(&p->tsv, c[4], 1, 100000, &w))) return plan_tsv_err(p, rc);
    if (strlen(gender) != 1 || !strchr("mfu", gender[0]) ||
        (strcmp(era, "old") && strcmp(era, "mid") && strcmp(era, "young"))) {
      snprintf(p->err, sizeof p->err, "given_names.tsv:%d: bad gender or era", p->tsv.line);
      return LY_EPARSE;
    }
    g->gender = gender[0];
    g->era = era[0] == 'o' ? 'o' : era[0] == 'm' ? 'm' : 'y';
    g->weight = (int)w;
    p->ngiven++;
  }
  if (rc < 0) return plan_tsv_err(p, rc);
  if (p->nsurnames == 0 || p->ngiven == 0) {
    snprintf(p->err, sizeof p->err, "name pools are empty");
    return LY_EPARSE;
  }
  return LY_OK;
}

/* ---- names ---------------------------------------------------------------- */

static int plan_name_used(const struct demo_person *const *named, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(named[i]->name, name)) return 1;
  return 0;
}

/* Draw a Chinese name for who (sex set) of era 'o'/'m'/'y' from r; repeats
 * of an earlier person's name are drawn again (a bounded number of times). */
static void plan_name(struct demo_plan *p, const struct demo_person **named, int *nnamed,
                      struct demo_person *who, struct demo_rand *r, char era) {
  int sw[DEMO_MAX_SURNAMES], gw[DEMO_MAX_GIVEN];
  char g = who->sex == 'M' ? 'm' : 'f';
  for (int i = 0; i < p->nsurnames; i++)
    sw[i] = p->surnames[i].weight;
  for (int i = 0; i < p->ngiven; i++) {
    const struct demo_given *x = &p->given[i];
    gw[i] = ((x->gender == g || x->gender == 'u') && x->era == era) ? x->weight : 0;
  }
  for (int attempt = 0; attempt < 64; attempt++) {
    const struct demo_surname *s = &p->surnames[demo_rand_weighted(r, sw, p->nsurnames)];
    int gi = demo_rand_weighted(r, gw, p->ngiven);
    const struct demo_given *x = &p->given[gi];
    snprintf(who->name, sizeof who->name, "%s%s", s->zh, x->zh);
    snprintf(who->name_en, sizeof who->name_en, "%s %s", s->py, x->py);
    if (!plan_name_used(named, *nnamed, who->name)) break;
  }
  named[(*nnamed)++] = who;
}

/* Era of the name pools for someone aged age_years now (README: old before
 * ~1965, mid 1965-1990, young after). Kept clock-free on purpose. */
static char plan_era(int age_years) {
  return age_years >= 61 ? 'o' : age_years >= 36 ? 'm' : 'y';
}

/* ---- people ---------------------------------------------------------------- */

static void plan_login(struct demo_person *who, const char *prefix, int number) {
  snprintf(who->username, sizeof who->username, "%s%d", prefix, number);
}

static int plan_years_days(struct demo_rand *r, int lo, int hi) {
  return demo_rand_range(r, lo, hi) * DEMO_YEAR_DAYS + demo_rand_range(r, 0, DEMO_YEAR_DAYS - 1);
}

static struct demo_person *plan_doctor(struct demo_plan *p, int dept, const char *title, int practice_days) {
  if (p->ndoctors >= DEMO_MAX_DOCTORS) return NULL;
  struct demo_person *d = &p->doctors[p->ndoctors];
  d->kind = DEMO_DOCTOR;
  d->index = p->ndoctors++;
  d->dept = dept;
  d->fac = p->depts[dept].fac;
  d->gp = !p->facs[d->fac].hospital;
  snprintf(d->title, sizeof d->title, "%s", title);
  d->practice_days = practice_days;
  return d;
}

/* Extra doctors in busy hospital departments (one each elsewhere). */
static int plan_dept_doctors(const struct demo_dept *d) {
  static const struct {
    const char *dept;
    int n;
  } extra[] = {{"dept-renmin-cardiology", 3},        {"dept-renmin-endocrinology", 2},
               {"dept-renmin-respiratory", 2},       {"dept-renmin-geriatrics", 2},
               {"dept-central-general-medicine", 2}, {"dept-central-cardiology", 2},
               {"dept-renmin-pediatrics", 2}};
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
    if (!strcmp(extra[i].dept, d->id)) return extra[i].n;
  return 1;
}

/* Community GPs: one per centre in file order (doctor1 … doctor37: doctor1-5
 * are the first five centres of 坪山), a second GP at the first centre of
 * each subdistrict, then `newdoctor` (< 3 years) at the first centre. */
static int plan_gps(struct demo_plan *p) {
  int n = 0, seen[DEMO_MAX_SUBS] = {0};
  for (int pass = 0; pass < 2; pass++)
    for (int f = 0; f < p->nfacs; f++) {
      if (p->facs[f].hospital || (pass == 1 && seen[p->facs[f].sub]++)) continue;
      struct demo_rand r;
      demo_rand_init(&r, "doctor.gp", (uint64_t)n);
      const char *title = (n == 0 || demo_rand_chance(&r, 650)) ? "gp" : "attending";
      struct demo_person *d = plan_doctor(p, p->facs[f].gp_dept, title,
                                          n == 0 ? 11 * DEMO_YEAR_DAYS + 140 : plan_years_days(&r, 4, 24));
      if (!d) return LY_ETOOBIG;
      plan_login(d, "doctor", ++n);
    }
  /* 1 year 8 months of practice: may not consult online (DESIGN §3.2) */
  struct demo_person *nd = plan_doctor(p, p->doctors[0].dept, "resident", DEMO_YEAR_DAYS + 240);
  if (!nd) return LY_ETOOBIG;
  snprintf(nd->username, sizeof nd->username, "newdoctor");
  return LY_OK;
}

/* Hospital doctors in department order: specialist1 is the first doctor of
 * the first department of the tertiary hospital (cardiology), an associate
 * chief physician. */
static int plan_specialists(struct demo_plan *p) {
  static const char *const titles[] = {"chief", "associate_chief", "attending", "resident"};
  static const int lo[] = {20, 12, 6, 4}, hi[] = {32, 22, 14, 6}; /* years; all >= 4 */
  int n = 0;
  for (int i = 0; i < p->ndepts; i++) {
    if (!p->facs[p->depts[i].fac].hospital) continue;
    int k = plan_dept_doctors(&p->depts[i]);
    for (int j = 0; j < k; j++) {
      struct demo_rand r;
      demo_rand_init(&r, "doctor.specialist", (uint64_t)n);
      int t = j == 0 ? (int)demo_rand_below(&r, 2) : 1 + (int)demo_rand_below(&r, 3);
      if (n == 0) t = 1;
      struct demo_person *d = plan_doctor(p, i, titles[t], plan_years_days(&r, lo[t], hi[t]));
      if (!d) return LY_ETOOBIG;
      if (n == 0) d->practice_days = 16 * DEMO_YEAR_DAYS + 75;
      plan_login(d, "specialist", ++n);
    }
  }
  return LY_OK;
}

static int plan_first_centre(const struct demo_plan *p, int sub) {
  for (int f = 0; f < p->nfacs; f++)
    if (!p->facs[f].hospital && p->facs[f].sub == sub) return f;
  return -1;
}

/* pharmacist1: the district review centre (facility NULL), 9 years;
 * pharmacist2: review centre, 2 years (< 3: may not review); pharmacist3-5
 * at the three hospitals, pharmacist6-8 at the first centre of the 1st, 3rd
 * and 5th subdistricts, pharmacist9-12 at the review centre. */
static void plan_pharmacists(struct demo_plan *p) {
  int hosp = 0;
  for (int i = 0; i < DEMO_PHARMACISTS; i++) {
    struct demo_person *x = &p->pharmacists[i];
    struct demo_rand r;
    demo_rand_init(&r, "pharmacist", (uint64_t)i);
    x->kind = DEMO_PHARMACIST;
    x->index = i;
    x->fac = x->dept = -1;
    x->practice_days = plan_years_days(&r, 4, 20);
    if (i == 0) x->practice_days = 9 * DEMO_YEAR_DAYS + 30;
    if (i == 1) x->practice_days = 2 * DEMO_YEAR_DAYS + 10;
    if (i >= 2 && i < 5) {
      while (hosp < p->nfacs && !p->facs[hosp].hospital)
        hosp++;
      x->fac = hosp < p->nfacs ? hosp++ : -1;
    } else if (i >= 5 && i < 8) {
      x->fac = plan_first_centre(p, ((i - 5) * 2) % p->nsubs);
    }
    plan_login(x, "pharmacist", i + 1);
  }
}

/* Age in days: ~5% under 6, ~12% over 75, most 45-75 (chronic care). */
static int plan_age_days(struct demo_rand *r) {
  static const int w[] = {5, 6, 16, 33, 28, 12};
  static const int lo[] = {0, 6, 18, 45, 65, 76}, hi[] = {5, 17, 44, 64, 75, 93};
  int b = demo_rand_weighted(r, w, 6);
  return demo_rand_range(r, lo[b], hi[b]) * DEMO_YEAR_DAYS + demo_rand_range(r, 0, DEMO_YEAR_DAYS - 1);
}

static void plan_patients(struct demo_plan *p) {
  int sw[DEMO_MAX_SUBS];
  for (int s = 0; s < p->nsubs; s++)
    sw[s] = p->subs[s].ncentres;
  for (int i = 0; i < DEMO_PATIENTS; i++) {
    struct demo_person *x = &p->patients[i];
    struct demo_rand r;
    demo_rand_init(&r, "patient", (uint64_t)i);
    x->kind = DEMO_PATIENT;
    x->index = i;
    x->fac = x->dept = -1;
    x->sex = demo_rand_chance(&r, 500) ? 'M' : 'F';
    x->age_days = plan_age_days(&r);
    x->sub = demo_rand_weighted(&r, sw, p->nsubs);
    if (i < 3) x->sub = 0; /* patient1-3 live in 坪山 (the first subdistrict) */
    if (i == 0) x->age_days = 62 * DEMO_YEAR_DAYS + 200;
    if (i == 1) x->age_days = 35 * DEMO_YEAR_DAYS + 90;
    if (i == 2) x->age_days = 4 * DEMO_YEAR_DAYS + 120; /* a child of 4: guardian needed online */
    if (i < DEMO_PATIENT_LOGINS) plan_login(x, "patient", i + 1);
  }
}

static void plan_staff(struct demo_plan *p) {
  for (int i = 0; i < DEMO_STAFF_LOGINS; i++) {
    struct demo_person *x = &p->staff[i];
    x->kind = DEMO_STAFF;
    x->index = i;
    x->fac = x->dept = -1;
    plan_login(x, "pharmacy", i + 1);
  }
  p->admin.kind = DEMO_ADMIN;
  p->supervisor.kind = DEMO_SUPERVISOR;
  snprintf(p->admin.username, sizeof p->admin.username, "admin");
  snprintf(p->admin.name, sizeof p->admin.name, "系统管理员");
  snprintf(p->admin.name_en, sizeof p->admin.name_en, "System Administrator");
  snprintf(p->supervisor.username, sizeof p->supervisor.username, "supervisor");
  snprintf(p->supervisor.name, sizeof p->supervisor.name, "区卫健局督导员");
  snprintf(p->supervisor.name_en, sizeof p->supervisor.name_en, "District Health Bureau Supervisor");
}

/* Sex, name and account id of everyone, in a fixed order: doctors,
 * pharmacists, pharmacy staff, patients. */
static int plan_identities(struct demo_plan *p) {
  static const char *const tags[] = {"name.patient", "name.doctor", "name.pharmacist", "name.staff"};
  const struct demo_person **named = p->named;
  int nnamed = 0, rc = 0;
  struct {
    struct demo_person *v;
    int n;
  } groups[] = {{p->doctors, p->ndoctors},
                {p->pharmacists, DEMO_PHARMACISTS},
                {p->staff, DEMO_STAFF_LOGINS},
                {p->patients, DEMO_PATIENTS}};
  for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
    for (int i = 0; i < groups[g].n; i++) {
      struct demo_person *x = &groups[g].v[i];
      struct demo_rand r;
      demo_rand_init(&r, tags[x->kind], (uint64_t)i);
      if (x->kind != DEMO_PATIENT) x->sex = demo_rand_chance(&r, 520) ? 'M' : 'F';
      int age =
          x->kind == DEMO_PATIENT ? x->age_days / DEMO_YEAR_DAYS : 25 + x->practice_days / DEMO_YEAR_DAYS;
      plan_name(p, named, &nnamed, x, &r, plan_era(age));
      if (x->username[0] && (rc = demo_rand_id("acc", x->username, 0, x->account_id, sizeof x->account_id)))
        return rc;
    }
  if ((rc = demo_rand_id("acc", "admin", 0, p->admin.account_id, sizeof p->admin.account_id))) return rc;
  return demo_rand_id("acc", "supervisor", 0, p->supervisor.account_id, sizeof p->supervisor.account_id);
}

int demo_plan_build(struct demo_plan **out, char *err, size_t errsz) {
  struct demo_plan *p = calloc(1, sizeof *p);
  *out = NULL;
  if (!p) {
    snprintf(err, errsz, "out of memory for the demo plan");
    return LY_ENOMEM;
  }
  int rc;
  if ((rc = plan_load_subs(p)) || (rc = plan_load_streets(p)) ||
      (rc = plan_load_facs(p, "hospitals.tsv", 1)) || (rc = plan_load_facs(p, "community_centres.tsv", 0)) ||
      (rc = plan_load_depts(p)) || (rc = plan_load_surnames(p)) || (rc = plan_load_given(p))) {
    snprintf(err, errsz, "%s", p->err);
    free(p);
    return rc;
  }
  if ((rc = plan_gps(p)) || (rc = plan_specialists(p))) {
    snprintf(err, errsz, "more than %d demo doctors", DEMO_MAX_DOCTORS);
    free(p);
    return rc;
  }
  plan_pharmacists(p);
  plan_patients(p);
  plan_staff(p);
  if ((rc = plan_identities(p))) {
    snprintf(err, errsz, "could not derive account ids");
    free(p);
    return rc;
  }
  *out = p;
  return LY_OK;
}

void demo_plan_free(struct demo_plan *p) {
  free(p);
}

int demo_plan_sub(const struct demo_plan *p, const char *id) {
  for (int i = 0; i < p->nsubs; i++)
    if (!strcmp(p->subs[i].id, id)) return i;
  return -1;
}

int demo_plan_fac(const struct demo_plan *p, const char *id) {
  for (int i = 0; i < p->nfacs; i++)
    if (!strcmp(p->facs[i].id, id)) return i;
  return -1;
}

int demo_plan_dept(const struct demo_plan *p, const char *id) {
  for (int i = 0; i < p->ndepts; i++)
    if (!strcmp(p->depts[i].id, id)) return i;
  return -1;
}

int demo_plan_street(const struct demo_plan *p, int sub, int turn) {
  int n = 0;
  for (int i = 0; i < p->nstreets; i++)
    n += p->streets[i].sub == sub;
  if (n == 0 || turn < 0) return -1;
  turn %= n;
  for (int i = 0; i < p->nstreets; i++)
    if (p->streets[i].sub == sub && turn-- == 0) return i;
  return -1;
}

const struct demo_person *demo_plan_login(const struct demo_plan *p, const char *username) {
  const struct demo_person *all[] = {p->doctors,  p->pharmacists, p->staff,
                                     p->patients, &p->admin,      &p->supervisor};
  const int n[] = {p->ndoctors, DEMO_PHARMACISTS, DEMO_STAFF_LOGINS, DEMO_PATIENTS, 1, 1};
  for (int g = 0; g < 6; g++)
    for (int i = 0; i < n[g]; i++)
      if (all[g][i].username[0] && !strcmp(all[g][i].username, username)) return &all[g][i];
  return NULL;
}
