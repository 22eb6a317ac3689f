/* tests/fuzz/fuzz_diagnosis_csv.c — libFuzzer target for the HIS diagnosis
 * import: the strict CSV reader (records/csv.c) on its own, then the whole
 * import (records/diagnosis_import.c) into a migrated database with one
 * facility, doctor and patient (tests/unit/records/fixture.h).
 *
 * Properties: the reader never hands out more fields than asked for, every
 * field lies inside its row buffer and fits CSV_LINE_MAX, line numbers only
 * grow and the reader ends in at most one call per input byte (+1); the
 * import either commits every row or none (counted before and after), and
 * its report never claims more rows than the file has lines. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "records/csv.h"
#include "records/diagnosis.h"
#include "tests/unit/records/fixture.h"

#define MAX_FIELDS 12

static void check_reader(const uint8_t *data, size_t size) {
  static struct csv_reader r;
  const char *f[MAX_FIELDS];
  size_t nf = 0;
  long last = 0;
  struct ly_error e;
  csv_init(&r, (const char *)data, size);
  for (size_t calls = 0;; calls++) {
    if (calls > size + 1) __builtin_trap(); /* the reader must make progress */
    int rc = csv_next(&r, f, MAX_FIELDS, &nf, &e);
    if (rc == 0) break;
    if (r.line < last) __builtin_trap();
    last = r.line;
    if (rc != 1) {
      if (rc != LY_EPARSE && rc != LY_ETOOBIG) __builtin_trap();
      continue;
    }
    if (nf > MAX_FIELDS) __builtin_trap();
    for (size_t i = 0; i < nf; i++) {
      if (f[i] < r.buf || f[i] > r.buf + CSV_LINE_MAX) __builtin_trap();
      if (strlen(f[i]) > CSV_LINE_MAX - (size_t)(f[i] - r.buf)) __builtin_trap();
    }
  }
}

static struct fixture *fuzz_db(void) {
  static struct fixture *f;
  if (!f) {
    f = fx_open();
    /* a fuzzing database: durability is not what is tested here */
    fx_sql(f, "PRAGMA synchronous=OFF");
  }
  return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024) return 0;
  check_reader(data, size);

  struct fixture *f = fuzz_db();
  static struct diagnosis_import_report rep;
  struct ly_error e;
  int64_t before = fx_int(f, "SELECT count(*) FROM offline_diagnoses");
  memset(&rep, 0, sizeof rep);
  int rc = diagnosis_import_csv(&f->cx, (const char *)data, size, &rep, &e);
  int64_t after = fx_int(f, "SELECT count(*) FROM offline_diagnoses");
  long lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  if (rc != 0 && after != before) __builtin_trap(); /* all or nothing */
  if (rc == 0 && after - before != rep.inserted) __builtin_trap();
  if (rep.rows < 0 || rep.rows > lines || rep.inserted + rep.duplicates > rep.rows) __builtin_trap();
  if (rep.nerrors < 0 || rep.nerrors > DIAGNOSIS_IMPORT_MAX_ERRORS) __builtin_trap();
  return 0;
}
