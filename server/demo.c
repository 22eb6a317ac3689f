/* server/demo.c — demo_seed (the steps in one transaction) and the table of
 * fixed demo logins that demo_print_logins shows.
 *
 * The steps live beside this file, one table family each: demo_places.c,
 * demo_staff.c, demo_catalog.c, demo_pharmacies.c, demo_patients.c. The plan
 * of who and where (demo_plan.c) is built first, without the database.
 */
#include "server/demo.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "core/log.h"
#include "server/demo_internal.h"
#include "server/server.h"

int demo_fail(struct demo_ctx *cx, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cx->err, sizeof cx->err, fmt, ap);
  va_end(ap);
  return err;
}

int demo_fail_db(struct demo_ctx *cx, int sqlite_rc, const char *what) {
  int err = sqlite_rc == SQLITE_OK ? LY_EDB : ly_db_rc(cx->db, sqlite_rc);
  return demo_fail(cx, err, "%s: %s", what, ly_db_errmsg(cx->db));
}

int demo_fail_tsv(struct demo_ctx *cx, int err) {
  return demo_fail(cx, err, "%s", cx->plan->tsv.err);
}

int demo_step(struct demo_ctx *cx, void *stmt, const char *what) {
  sqlite3_stmt *st = stmt;
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? LY_OK : demo_fail_db(cx, rc, what);
}

static const char *demo_role(enum demo_kind k) {
  static const char *const roles[] = {"patient",        "doctor", "pharmacist",
                                      "pharmacy_staff", "admin",  "supervisor"};
  return roles[k];
}

/* Every demo account shares ONE scrypt hash of "lianyi-demo", computed once
 * per seeding: ~130 scrypt runs (N=2^15) would take seconds. Demo only; real
 * accounts get their own salt through ly_password_hash. */
int demo_account_insert(struct demo_ctx *cx, const struct demo_person *who) {
  static const char *sql =
      "INSERT INTO accounts (id, username, role, name, name_en, password_hash, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare accounts");
  ly_db_bind_text(st, 1, who->account_id);
  ly_db_bind_text(st, 2, who->username);
  ly_db_bind_text(st, 3, demo_role(who->kind));
  ly_db_bind_text(st, 4, who->name);
  ly_db_bind_text(st, 5, who->name_en);
  ly_db_bind_text(st, 6, cx->pw_hash);
  ly_db_bind_int(st, 7, cx->now);
  return demo_step(cx, st, "insert account");
}

static int demo_audit(struct demo_ctx *cx) {
  char detail[160];
  snprintf(detail, sizeof detail, "demo district: %d patients, %d doctors, %d pharmacies, %d drugs",
           DEMO_PATIENTS, cx->plan->ndoctors, cx->npharmacies, cx->ndrugs);
  struct ly_audit_entry e = {cx->now, "system", "system", "demo.seed", NULL, NULL, NULL, "ok", detail};
  int rc = ly_audit_append(cx->db, &e, NULL);
  return rc ? demo_fail(cx, rc, "audit append: %s", ly_strerror(rc)) : LY_OK;
}

static const struct {
  const char *name;
  int (*run)(struct demo_ctx *cx);
} demo_steps[] = {{"places", demo_places_write},     {"staff", demo_staff_write},
                  {"catalog", demo_catalog_write},   {"pharmacies", demo_pharmacies_write},
                  {"patients", demo_patients_write}, {"audit", demo_audit}};

static int demo_tx(struct ly_db *db, void *ud) {
  struct demo_ctx *cx = ud;
  (void)db;
  for (size_t i = 0; i < sizeof demo_steps / sizeof demo_steps[0]; i++) {
    int64_t t0 = ly_mono_ms(cx->srv->clock);
    int rc = demo_steps[i].run(cx);
    if (rc) return rc;
    LY_DEBUG(&cx->srv->log, "demo.step", "%s: %lld ms", demo_steps[i].name,
             (long long)(ly_mono_ms(cx->srv->clock) - t0));
  }
  return LY_OK;
}

/* 1 January of now's year and the last millisecond of that year, in China
 * Standard Time like the insurance accumulators (insurance_internal.h). */
static int demo_year(struct demo_ctx *cx) {
  char date[16], from[32], to[32];
  ly_time_date(cx->now + DEMO_TZ_OFFSET_MS, date, sizeof date);
  int year = atoi(date);
  snprintf(from, sizeof from, "%04d-01-01", year);
  snprintf(to, sizeof to, "%04d-01-01", year + 1);
  int rc = ly_time_parse(from, &cx->year_from);
  if (rc == 0) rc = ly_time_parse(to, &cx->year_to);
  cx->year_from -= DEMO_TZ_OFFSET_MS;
  cx->year_to -= DEMO_TZ_OFFSET_MS + 1;
  return rc ? demo_fail(cx, rc, "cannot compute the coverage year from %s", date) : LY_OK;
}

static int demo_empty(struct demo_ctx *cx) {
  static const char *sql = "SELECT (SELECT count(*) FROM subdistricts) + (SELECT count(*) FROM accounts)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare emptiness check");
  int rc = sqlite3_step(st);
  int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) return demo_fail_db(cx, rc, "emptiness check");
  return n ? demo_fail(cx, LY_EEXIST, "the database already has accounts or a district") : LY_OK;
}

static int demo_prepare(struct demo_ctx *cx) {
  char err[DEMO_TSV_ERR_MAX];
  int rc = demo_plan_build(&cx->plan, err, sizeof err);
  if (rc) return demo_fail(cx, rc, "demo data: %s", err);
  if ((rc = demo_year(cx)) || (rc = demo_empty(cx))) return rc;
  rc = ly_password_hash(DEMO_PASSWORD, cx->pw_hash, sizeof cx->pw_hash);
  return rc ? demo_fail(cx, rc, "password hash: %s", ly_strerror(rc)) : LY_OK;
}

int demo_seed(struct ly_server *srv) {
  struct demo_ctx *cx = calloc(1, sizeof *cx);
  if (!cx) {
    LY_ERROR(&srv->log, "demo.seed", "out of memory");
    return LY_ENOMEM;
  }
  int64_t t0 = ly_mono_ms(srv->clock);
  cx->srv = srv;
  cx->db = srv->db;
  cx->now = ly_now_ms(srv->clock);
  int rc = demo_prepare(cx);
  if (rc == 0) rc = ly_db_tx(srv->db, demo_tx, cx);
  if (rc) {
    LY_ERROR(&srv->log, "demo.seed", "demo district not created (%s): %s", ly_errcode(rc),
             cx->err[0] ? cx->err : ly_strerror(rc));
  } else {
    LY_INFO(
        &srv->log, "demo.seed",
        "demo district created: %d patients, %d doctors, %d pharmacists, %d pharmacies, %d drugs in %lld ms",
        DEMO_PATIENTS, cx->plan->ndoctors, DEMO_PHARMACISTS, cx->npharmacies, cx->ndrugs,
        (long long)(ly_mono_ms(srv->clock) - t0));
  }
  demo_plan_free(cx->plan);
  free(cx);
  return rc;
}

/* ---- the logins table ---------------------------------------------------- */

struct demo_login_note {
  const char *username;
  const char *note;
};

static const struct demo_login_note demo_notes[] = {
    {"patient1", "hypertension I10 (offline, ~3 months ago, 坪山社康) + type 2 diabetes; employee tier 1"},
    {"patient2", "no offline diagnosis: a first visit, online care is refused"},
    {"patient3", "child aged 4 with asthma (guardian required online)"},
    {"patient4", "hypertension diagnosed 14 months ago: outside the 12-month follow-up window"},
    {"doctor1", "GP at 坪山社区健康服务中心, 11 years of practice"},
    {"doctor2", "GP at another 坪山 centre (so are doctor3-doctor5)"},
    {"newdoctor", "GP resident, < 3 years of practice: may not consult online"},
    {"specialist1", "cardiology, associate chief, 坪山区人民医院 (tertiary)"},
    {"pharmacist1", "district review centre, 9 years"},
    {"pharmacist2", "review centre, 2 years: may not review"},
    {"pharmacy1", "staff of a delivering pharmacy in 坪山 (also pharmacy2-pharmacy20)"},
    {"admin", "district administrator"},
    {"supervisor", "district health bureau supervisor (read-only)"},
};

int demo_print_logins(FILE *out) {
  struct demo_plan *p = NULL;
  char err[DEMO_TSV_ERR_MAX];
  int rc = demo_plan_build(&p, err, sizeof err);
  if (rc) {
    fprintf(out, "demo logins unavailable: %s\n", err);
    return rc;
  }
  fprintf(out, "Demo logins (password for all: %s)\n", DEMO_PASSWORD);
  fprintf(out, "  %-12s %-15s %-12s %s\n", "username", "role", "password", "name / what");
  for (size_t i = 0; i < sizeof demo_notes / sizeof demo_notes[0]; i++) {
    const struct demo_person *x = demo_plan_login(p, demo_notes[i].username);
    if (!x) continue;
    fprintf(out, "  %-12s %-15s %-12s %s (%s) — %s\n", x->username, demo_role(x->kind), DEMO_PASSWORD,
            x->name, x->name_en, demo_notes[i].note);
  }
  int gps = 0, specialists = 0;
  for (int i = 0; i < p->ndoctors; i++) {
    gps += !strncmp(p->doctors[i].username, "doctor", 6);
    specialists += !strncmp(p->doctors[i].username, "specialist", 10);
  }
  fprintf(out,
          "  also: patient5-patient%d, doctor6-doctor%d, specialist2-specialist%d, pharmacist3-pharmacist%d,"
          " pharmacy2-pharmacy%d\n",
          DEMO_PATIENT_LOGINS, gps, specialists, DEMO_PHARMACISTS, DEMO_STAFF_LOGINS);
  demo_plan_free(p);
  return LY_OK;
}
