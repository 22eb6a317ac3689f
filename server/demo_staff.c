/* server/demo_staff.c — doctor titles, the admin and supervisor accounts,
 * doctors (with Ed25519 signing keys) and pharmacists.
 *
 * Signing keys are random, not derived from the demo seed: a private key
 * that anyone with the source could recompute would sign nothing worth
 * verifying. The private half is stored only sealed with keys.sign under the
 * AAD "doctors.sign_priv:<account_id>" and wiped from memory after use.
 */
#include <stdio.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "server/demo.h"
#include "server/demo_internal.h"
#include "server/server.h"

#define STAFF_MAX_TITLES 16

struct staff_title {
  char id[DEMO_SLUG_MAX];
  char name[DEMO_NAME_MAX];
};

static int staff_titles(struct demo_ctx *cx, struct staff_title *titles, int *ntitles) {
  static const char *const cols[] = {"id", "name_zh", "name_en"};
  static const char *sql = "INSERT INTO doctor_titles (id, name, name_en) VALUES (?1, ?2, ?3)";
  struct demo_tsv *t = &cx->plan->tsv;
  int c[3], rc;
  if ((rc = demo_tsv_open(t, ly_demo_files, "doctor_titles.tsv")) || (rc = demo_tsv_columns(t, cols, c, 3)))
    return demo_fail_tsv(cx, rc);
  *ntitles = 0;
  while ((rc = demo_tsv_next(t)) == 1) {
    if (*ntitles >= STAFF_MAX_TITLES) return demo_fail(cx, LY_ETOOBIG, "doctor_titles.tsv: too many rows");
    snprintf(titles[*ntitles].id, sizeof titles[0].id, "%s", demo_tsv_get(t, c[0]));
    snprintf(titles[*ntitles].name, sizeof titles[0].name, "%s", demo_tsv_get(t, c[1]));
    (*ntitles)++;
    sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
    if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare doctor_titles");
    for (int i = 0; i < 3; i++)
      ly_db_bind_text(st, i + 1, demo_tsv_get(t, c[i]));
    if ((rc = demo_step(cx, st, "insert doctor title"))) return rc;
  }
  return rc < 0 ? demo_fail_tsv(cx, rc) : LY_OK;
}

static const char *staff_title_name(const struct staff_title *titles, int n, const char *id) {
  for (int i = 0; i < n; i++)
    if (!strcmp(titles[i].id, id)) return titles[i].name;
  return id;
}

/* A fresh key pair; priv sealed for this account. */
static int staff_keys(struct demo_ctx *cx, const char *account_id, uint8_t pub[LY_ED25519_PUB_LEN],
                      uint8_t *sealed, size_t sealedsz, size_t *sealedlen) {
  uint8_t priv[LY_ED25519_PRIV_LEN];
  char aad[96];
  snprintf(aad, sizeof aad, "doctors.sign_priv:%s", account_id);
  int rc = ly_ed25519_keygen(pub, priv);
  if (rc == 0) rc = ly_seal(cx->srv->keys.sign, aad, priv, sizeof priv, sealed, sealedsz, sealedlen);
  explicit_bzero(priv, sizeof priv);
  return rc ? demo_fail(cx, rc, "doctor signing key: %s", ly_strerror(rc)) : LY_OK;
}

static int staff_doctor(struct demo_ctx *cx, const struct demo_person *d, const struct staff_title *titles,
                        int ntitles) {
  static const char *sql =
      "INSERT INTO doctors (account_id, facility_id, department_id, title, specialty, license_no, licensed,"
      " practice_since, bio, sign_pub, sign_priv_enc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10)";
  const struct demo_plan *p = cx->plan;
  const struct demo_dept *dept = &p->depts[d->dept];
  uint8_t pub[LY_ED25519_PUB_LEN], sealed[LY_ED25519_PRIV_LEN + LY_SEAL_OVERHEAD];
  size_t sealedlen = 0;
  char license[24], bio[512];
  int rc = demo_account_insert(cx, d);
  if (rc == 0) rc = staff_keys(cx, d->account_id, pub, sealed, sizeof sealed, &sealedlen);
  if (rc) return rc;
  /* 15 digits: 1 (physician) 10 440310 + a serial; (i+1)*7919 mod 10^6 is a bijection. */
  snprintf(license, sizeof license, "110440310%06d", (int)(((d->index + 1) * 7919L) % 1000000));
  snprintf(bio, sizeof bio, "%s%s%s，从事临床工作%d年。%s", p->facs[d->fac].name, dept->name,
           staff_title_name(titles, ntitles, d->title), d->practice_days / DEMO_YEAR_DAYS,
           d->gp ? "擅长高血压、糖尿病等慢性病的社区管理和家庭医生签约服务。" : "");
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare doctors");
  ly_db_bind_text(st, 1, d->account_id);
  ly_db_bind_text(st, 2, p->facs[d->fac].id);
  ly_db_bind_text(st, 3, dept->id);
  ly_db_bind_text(st, 4, d->title);
  ly_db_bind_text(st, 5, dept->specialty);
  ly_db_bind_text(st, 6, license);
  ly_db_bind_int(st, 7, cx->now - (int64_t)d->practice_days * DEMO_DAY_MS);
  ly_db_bind_text(st, 8, bio);
  ly_db_bind_blob(st, 9, pub, sizeof pub);
  ly_db_bind_blob(st, 10, sealed, (int)sealedlen);
  return demo_step(cx, st, "insert doctor");
}

static int staff_pharmacist(struct demo_ctx *cx, const struct demo_person *x) {
  static const char *sql =
      "INSERT INTO pharmacists (account_id, facility_id, license_no, practice_since) VALUES (?1, ?2, ?3, ?4)";
  char license[24];
  int rc = demo_account_insert(cx, x);
  if (rc) return rc;
  /* 执业药师注册证 style: YS + region + a serial. */
  snprintf(license, sizeof license, "YS%s%06d", DEMO_REGION_CODE, (int)(((x->index + 1) * 4813L) % 1000000));
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return demo_fail_db(cx, SQLITE_OK, "prepare pharmacists");
  ly_db_bind_text(st, 1, x->account_id);
  ly_db_bind_text(st, 2, x->fac >= 0 ? cx->plan->facs[x->fac].id : NULL); /* NULL: district review centre */
  ly_db_bind_text(st, 3, license);
  ly_db_bind_int(st, 4, cx->now - (int64_t)x->practice_days * DEMO_DAY_MS);
  return demo_step(cx, st, "insert pharmacist");
}

int demo_staff_write(struct demo_ctx *cx) {
  struct staff_title titles[STAFF_MAX_TITLES];
  int ntitles = 0, rc;
  const struct demo_plan *p = cx->plan;
  if ((rc = staff_titles(cx, titles, &ntitles))) return rc;
  if ((rc = demo_account_insert(cx, &p->admin)) || (rc = demo_account_insert(cx, &p->supervisor))) return rc;
  for (int i = 0; i < p->ndoctors; i++)
    if ((rc = staff_doctor(cx, &p->doctors[i], titles, ntitles))) return rc;
  for (int i = 0; i < DEMO_PHARMACISTS; i++)
    if ((rc = staff_pharmacist(cx, &p->pharmacists[i]))) return rc;
  return LY_OK;
}
