/* records/diagnosis_import.c — importing offline diagnoses from a HIS export.
 *
 * One transaction for the whole file: every row is validated and inserted;
 * if any row is faulty the transaction is rolled back, so a half-imported
 * file never exists. Faults name their line.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "records/csv.h"
#include "records/diagnosis.h"
#include "records/records.h"

#define IMP_COLS            7
#define IMP_HIS_ID_MAX      64
#define IMP_FUTURE_SLACK_MS (24LL * 3600 * 1000)

static const char *const imp_header[IMP_COLS] = {
    "facility_id", "his_id", "national_id", "icd10", "diagnosed_on", "doctor_license_no", "note"};

struct imp_row {
  const char *facility_id, *his_id, *national_id, *icd10, *diagnosed_on, *license, *note;
};

static int imp_fail(struct ly_error *re, const char *msg) {
  return ly_error_set(re, LY_EINVAL, "import.row_invalid", msg, NULL);
}

static int imp_lookup(const struct records_ctx *cx, const char *sql, const void *key, int keylen, char *out,
                      size_t outsz, const char *extra) {
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  if (keylen >= 0)
    ly_db_bind_blob(st, 1, key, keylen);
  else
    ly_db_bind_text(st, 1, key);
  if (extra) ly_db_bind_text(st, 2, extra);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && out) snprintf(out, outsz, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->db, rc);
}

static int imp_national_id_ok(const char *s) {
  if (strlen(s) != 18) return 0;
  for (int i = 0; i < 17; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return (s[17] >= '0' && s[17] <= '9') || s[17] == 'X';
}

static int imp_his_id_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > IMP_HIS_ID_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x21 || s[i] > 0x7e) return 0;
  return 1;
}

/* Resolve the row's references: patient by keyed hash of the national ID,
 * doctor by licence (of the same facility). */
static int imp_resolve(const struct records_ctx *cx, const struct imp_row *r, char patient[LY_ID_MAX],
                       char doctor[LY_ID_MAX], struct ly_error *re) {
  static const char *sql_fac = "SELECT id FROM facilities WHERE id = ?1";
  static const char *sql_pat = "SELECT id FROM patients WHERE national_id_hash = ?1";
  static const char *sql_doc = "SELECT account_id FROM doctors WHERE license_no = ?1 AND facility_id = ?2";
  uint8_t h[LY_SHA256_LEN];
  int rc = imp_lookup(cx, sql_fac, r->facility_id, -1, NULL, 0, NULL);
  if (rc == LY_ENOTFOUND) return imp_fail(re, "facility_id is not a known facility");
  if (rc) return rc;
  if (ly_lookup_hash(cx->keys, r->national_id, h)) return LY_ECRYPTO;
  rc = imp_lookup(cx, sql_pat, h, (int)sizeof h, patient, LY_ID_MAX, NULL);
  if (rc == LY_ENOTFOUND) return imp_fail(re, "no patient has this national_id");
  if (rc) return rc;
  doctor[0] = '\0';
  if (r->license[0]) {
    rc = imp_lookup(cx, sql_doc, r->license, -1, doctor, LY_ID_MAX, r->facility_id);
    if (rc == LY_ENOTFOUND) return imp_fail(re, "doctor_license_no is not a doctor of this facility");
    if (rc) return rc;
  }
  return 0;
}

static int imp_validate(const struct records_ctx *cx, const struct imp_row *r, int64_t *at,
                        struct ly_error *re) {
  char cat[4];
  if (!imp_his_id_ok(r->his_id)) return imp_fail(re, "his_id must be 1-64 printable ASCII characters");
  if (!imp_national_id_ok(r->national_id))
    return imp_fail(re, "national_id must be 17 digits and a digit or X");
  if (records_icd10_category(r->icd10, cat, sizeof cat) != 0)
    return imp_fail(re, "icd10 is not an ICD-10 code");
  if (strlen(r->diagnosed_on) != 10 || ly_time_parse(r->diagnosed_on, at) != 0)
    return imp_fail(re, "diagnosed_on must be a date YYYY-MM-DD");
  if (*at > ly_now_ms(cx->clock) + IMP_FUTURE_SLACK_MS) return imp_fail(re, "diagnosed_on is in the future");
  struct ly_error te;
  if (records_text_check(r->note, DIAGNOSIS_NOTE_MAX, 0, "note", &te) != 0)
    return imp_fail(re, "note is over 1000 bytes or has control characters");
  return 0;
}

static int imp_insert(const struct records_ctx *cx, const struct imp_row *r, const char *patient,
                      const char *doctor, int64_t at, const char *id) {
  static const char *sql_dx =
      "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, doctor_id, diagnosed_at, source, "
      "verified, verified_at, note, created_at) VALUES (?1, ?2, upper(?3), ?4, ?5, ?6, 'his_import', 1, ?7, "
      "?8, ?7)";
  static const char *sql_imp =
      "INSERT INTO offline_diagnosis_imports (facility_id, his_id, diagnosis_id, imported_at) "
      "VALUES (?1, ?2, ?3, ?4)";
  int64_t now = ly_now_ms(cx->clock);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_dx);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, patient);
  ly_db_bind_text(st, 3, r->icd10);
  ly_db_bind_text(st, 4, r->facility_id);
  ly_db_bind_text(st, 5, doctor[0] ? doctor : NULL);
  ly_db_bind_int(st, 6, at);
  ly_db_bind_int(st, 7, now);
  ly_db_bind_text(st, 8, r->note);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  if (!(st = ly_db_stmt(cx->db, sql_imp))) return LY_EDB;
  ly_db_bind_text(st, 1, r->facility_id);
  ly_db_bind_text(st, 2, r->his_id);
  ly_db_bind_text(st, 3, id);
  ly_db_bind_int(st, 4, now);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(cx->db, rc);
}

/* One data row: 0 done (inserted or a duplicate), LY_EINVAL with re for a
 * faulty row, other codes for database faults (which end the import). */
static int imp_row(const struct records_ctx *cx, const char **f, struct diagnosis_import_report *rep,
                   struct ly_error *re) {
  static const char *sql_seen =
      "SELECT diagnosis_id FROM offline_diagnosis_imports WHERE facility_id = ?1 AND his_id = ?2";
  struct imp_row r = {f[0], f[1], f[2], f[3], f[4], f[5], f[6]};
  static const struct records_actor sys = {"system", "system", NULL};
  char patient[LY_ID_MAX], doctor[LY_ID_MAX], id[LY_ID_MAX];
  int64_t at = 0;
  int rc = imp_validate(cx, &r, &at, re);
  if (rc == 0) rc = imp_resolve(cx, &r, patient, doctor, re);
  if (rc) return rc;
  rc = imp_lookup(cx, sql_seen, r.facility_id, -1, NULL, 0, r.his_id);
  if (rc == 0) {
    rep->duplicates++;
    return 0;
  }
  if (rc != LY_ENOTFOUND) return rc;
  if ((rc = ly_id_new("dx", id, sizeof id))) return rc;
  if ((rc = imp_insert(cx, &r, patient, doctor, at, id))) return rc;
  rep->inserted++;
  return records_audit(cx, &sys, "record.diagnosis_import", patient, "offline_diagnosis", id, "ok", r.his_id);
}

static void imp_note(struct diagnosis_import_report *rep, long line, const char *msg) {
  rep->failed++;
  if (rep->nerrors >= DIAGNOSIS_IMPORT_MAX_ERRORS) return;
  rep->errors[rep->nerrors].line = line;
  snprintf(rep->errors[rep->nerrors].message, sizeof rep->errors[0].message, "%s", msg);
  rep->nerrors++;
}

static int imp_header_ok(struct csv_reader *r, struct diagnosis_import_report *rep, struct ly_error *e) {
  const char *f[IMP_COLS + 1];
  size_t nf = 0;
  int rc = csv_next(r, f, IMP_COLS + 1, &nf, e);
  if (rc < 0) {
    imp_note(rep, 1, e->message);
    return LY_EINVAL;
  }
  int ok = rc == 1 && nf == IMP_COLS;
  for (size_t i = 0; ok && i < IMP_COLS; i++)
    ok = strcmp(f[i], imp_header[i]) == 0;
  if (ok) return 0;
  imp_note(rep, 1,
           "the header must be facility_id,his_id,national_id,icd10,diagnosed_on,doctor_license_no,note");
  return LY_EINVAL;
}

/* Read every row inside the open transaction. */
static int imp_rows(const struct records_ctx *cx, struct csv_reader *r, struct diagnosis_import_report *rep,
                    struct ly_error *e) {
  const char *f[IMP_COLS + 1];
  size_t nf;
  for (;;) {
    int rc = csv_next(r, f, IMP_COLS + 1, &nf, e);
    if (rc == 0) break;
    if (rc < 0) {
      imp_note(rep, r->line, e->message);
      ly_error_clear(e);
      continue;
    }
    struct ly_error re;
    ly_error_clear(&re);
    if (++rep->rows > DIAGNOSIS_IMPORT_MAX_ROWS)
      return ly_error_set(e, LY_ETOOBIG, "import.too_many_rows", "The file has more than 200000 rows.",
                          "文件超过200000行。");
    if (nf != IMP_COLS) {
      imp_note(rep, r->line, "a row must have exactly 7 fields");
      continue;
    }
    int rr = imp_row(cx, f, rep, &re);
    if (rr == LY_EINVAL)
      imp_note(rep, r->line, re.message);
    else if (rr)
      return rr;
  }
  return rep->failed ? LY_EINVAL : 0;
}

int diagnosis_import_csv(const struct records_ctx *cx, const char *buf, size_t n,
                         struct diagnosis_import_report *rep, struct ly_error *e) {
  ly_error_clear(e);
  memset(rep, 0, sizeof *rep);
  if (n > DIAGNOSIS_IMPORT_MAX_BYTES)
    return ly_error_set(e, LY_ETOOBIG, "import.too_large", "The file is larger than 32 MiB.",
                        "文件超过32 MiB。");
  struct csv_reader *r = malloc(sizeof *r);
  if (!r) return records_done(e, LY_ENOMEM);
  csv_init(r, buf, n);
  int rc = imp_header_ok(r, rep, e);
  if (rc == 0 && (rc = ly_db_begin(cx->db)) == 0) rc = records_finish(cx->db, imp_rows(cx, r, rep, e));
  free(r);
  if (rc == LY_EINVAL || (rc < 0 && rep->failed)) {
    rep->inserted = 0;
    rep->duplicates = 0;
    ly_error_setf(e, LY_EINVAL, "import.rows_invalid", "%ld row(s) are faulty; nothing was imported",
                  rep->failed);
    return LY_EINVAL;
  }
  if (rc) rep->inserted = rep->duplicates = 0;
  return records_done(e, rc);
}

/* Read at most DIAGNOSIS_IMPORT_MAX_BYTES + 1 bytes of path. */
static char *imp_read(const char *path, size_t *len, int *too_big) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = DIAGNOSIS_IMPORT_MAX_BYTES + 1, n = 0;
  char *buf = malloc(cap);
  while (buf && n < cap) {
    size_t got = fread(buf + n, 1, cap - n, f);
    if (got == 0) break;
    n += got;
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    return NULL;
  }
  *too_big = n > DIAGNOSIS_IMPORT_MAX_BYTES;
  *len = n;
  return buf;
}

int diagnosis_import_main(const struct records_ctx *cx, const char *path, FILE *out, FILE *err) {
  size_t n = 0;
  int too_big = 0;
  char *buf = imp_read(path, &n, &too_big);
  if (!buf) {
    fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
    return 2;
  }
  struct diagnosis_import_report *rep = malloc(sizeof *rep);
  struct ly_error e;
  int rc =
      rep ? diagnosis_import_csv(cx, buf, too_big ? DIAGNOSIS_IMPORT_MAX_BYTES + 1 : n, rep, &e) : LY_ENOMEM;
  free(buf);
  if (!rep) return 2;
  for (int i = 0; i < rep->nerrors; i++)
    fprintf(err, "%s:%ld: %s\n", path, rep->errors[i].line, rep->errors[i].message);
  if (rep->failed > rep->nerrors)
    fprintf(err, "%s: … and %ld more faulty row(s)\n", path, rep->failed - rep->nerrors);
  if (rc == 0)
    fprintf(out, "imported %ld diagnoses from %s (%ld rows, %ld already imported)\n", rep->inserted, path,
            rep->rows, rep->duplicates);
  else
    fprintf(err, "%s: %s\n", path, e.message);
  free(rep);
  return rc == 0 ? 0 : 1;
}
