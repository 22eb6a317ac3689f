/* rx/rx_facts.c — gathering the facts the rules judge, from the database. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "rx/prescription_internal.h"

static int facts_blank(const char *s) {
  for (; s && *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
  return 1;
}

static int facts_prescriber(struct rx_ctx *cx, const struct rx_rec *p, struct rules_draft *d, int64_t now) {
  static const char *sql = "SELECT licensed, practice_since FROM doctors WHERE account_id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->doctor_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    d->prescriber_licensed = sqlite3_column_int(st, 0);
    d->prescriber_years = rules_full_years(sqlite3_column_int64(st, 1), now);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int facts_patient(struct rx_ctx *cx, const struct rx_rec *p, struct rules_draft *d, int64_t now,
                         struct ly_error *e) {
  static const char *sql = "SELECT birth_date FROM patients WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->patient_id);
  int rc = sqlite3_step(st), bad = 0;
  if (rc == SQLITE_ROW) bad = rules_age_at(ly_db_col_text(st, 0), now, &d->age_years, &d->age_months) != 0;
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return ly_error_set(e, LY_ENOTFOUND, "records.patient_not_found", "No such patient.", "未找到该患者。");
  if (rc != SQLITE_ROW) return ly_db_rc(cx->rec.db, rc);
  if (bad)
    d->age_years = d->age_months = 0; /* unknown age: judged as a small child, so a guardian is asked for */
  d->guardian_recorded = !facts_blank(p->guardian_name);
  return 0;
}

static int facts_condition(struct rx_ctx *cx, const char *cat, struct rules_draft *d) {
  static const char *sql = "SELECT chronic FROM conditions WHERE icd10 = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, cat);
  int rc = sqlite3_step(st);
  d->condition_chronic = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

/* Offline diagnoses of the same category, verified and newest first. */
static int facts_offline(struct rx_ctx *cx, const struct rx_rec *p, const char *cat, struct rx_facts *f) {
  static const char *sql =
      "SELECT icd10, verified, diagnosed_at FROM offline_diagnoses WHERE patient_id = ?1 AND "
      "upper(substr(icd10, 1, 3)) = ?2 ORDER BY verified DESC, diagnosed_at DESC LIMIT 16";
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, p->patient_id);
  ly_db_bind_text(st, 2, cat);
  size_t n = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < RX_FACTS_MAX_DX) {
    snprintf(f->dx_icd[n], sizeof f->dx_icd[n], "%s", ly_db_col_text(st, 0));
    f->dx[n].icd10 = f->dx_icd[n];
    f->dx[n].verified = sqlite3_column_int(st, 1);
    f->dx[n].diagnosed_at = sqlite3_column_int64(st, 2);
    n++;
  }
  sqlite3_reset(st);
  f->d.offline = f->dx;
  f->d.noffline = n;
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ly_db_rc(cx->rec.db, rc);
}

static int facts_reviewer(struct rx_ctx *cx, const struct rx_rec *p, const struct records_actor *rev,
                          struct rx_facts *f, int64_t now) {
  static const char *sql = "SELECT facility_id, practice_since FROM pharmacists WHERE account_id = ?1";
  memset(&f->reviewer, 0, sizeof f->reviewer);
  f->reviewer.is_prescriber = strcmp(rev->id, p->doctor_id) == 0;
  f->d.reviewer = &f->reviewer;
  sqlite3_stmt *st = ly_db_stmt(cx->rec.db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, rev->id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    f->reviewer.facility_ok =
        sqlite3_column_type(st, 0) == SQLITE_NULL || strcmp(ly_db_col_text(st, 0), p->facility_id) == 0;
    f->reviewer.practice_years = rules_full_years(sqlite3_column_int64(st, 1), now);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ly_db_rc(cx->rec.db, rc);
}

static void facts_items(const struct rx_rec *p, struct rx_facts *f) {
  for (size_t i = 0; i < p->nitems; i++) {
    const struct rx_item *it = &p->items[i];
    struct rules_item *r = &f->items[i];
    r->drug_id = it->drug_id;
    r->known = it->known;
    r->controlled = it->controlled;
    r->antimicrobial = it->antimicrobial;
    r->chronic_use = it->chronic_use;
    r->pack_size = it->pack_size;
    r->default_daily_milli = it->default_daily_milli;
    r->quantity = it->quantity;
    r->days = it->days;
    r->daily_milli = it->daily_milli;
    r->dose = it->dose;
  }
  f->d.items = f->items;
  f->d.nitems = p->nitems;
}

int rx_facts(struct rx_ctx *cx, const struct rx_rec *p, const struct records_actor *signer,
             const struct records_actor *reviewer, struct rx_facts *f, struct ly_error *e) {
  memset(f, 0, sizeof *f);
  struct rules_draft *d = &f->d;
  int64_t now = ly_now_ms(cx->rec.clock);
  char cat[4] = "";
  d->at_ms = now;
  d->signer_is_prescriber = signer && records_is(signer, "doctor") && strcmp(signer->id, p->doctor_id) == 0;
  d->online = p->online;
  d->icd10 = p->icd10;
  if (rules_kind_parse(p->kind, &d->kind)) d->kind = RULES_KIND_NORMAL;
  d->chronic_reason = p->chronic_reason;
  d->assessment_on_record = !facts_blank(p->assessment);
  d->patient_consent = p->patient_consent;
  d->validity_days = p->validity_days;
  facts_items(p, f);
  int rc = facts_prescriber(cx, p, d, now);
  if (rc == 0) rc = facts_patient(cx, p, d, now, e);
  if (rc == 0 && records_icd10_category(p->icd10, cat, sizeof cat) == 0) {
    rc = facts_condition(cx, cat, d);
    if (rc == 0) rc = facts_offline(cx, p, cat, f);
  }
  if (rc == 0 && reviewer) rc = facts_reviewer(cx, p, reviewer, f, now);
  return rc;
}
