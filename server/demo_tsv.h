/* server/demo_tsv.h — a tiny strict reader for the demo data tables
 * (the .tsv files of server/demo/data/, compiled in as ly_demo_files[]).
 *
 * Format: UTF-8, one record per line, fields separated by one TAB, no quoting.
 * The first non-comment line is the header (column names). Lines starting
 * with '#' and empty lines are skipped; a trailing CR is dropped. Every record
 * must have exactly as many fields as the header. Fields are copied into
 * bounded buffers: an over-long field, a missing or extra field, a duplicate
 * column name or a value that does not parse is an error, and t->err names
 * the file, the line and the column ("formulary.tsv:12: column 'price_fen':
 * not an integer: 'abc'").
 *
 * The reader borrows the embedded bytes; it allocates nothing and needs no
 * close. A struct demo_tsv is large (~22 KB): keep one per seeding step,
 * static storage or the heap, not many on a small stack.
 */
#ifndef LY_DEMO_TSV_H
#define LY_DEMO_TSV_H

#include <stddef.h>
#include <stdint.h>

struct ly_embedded_file;

#define DEMO_TSV_MAX_COLS  40
#define DEMO_TSV_NAME_MAX  48  /* column name, bytes incl. NUL */
#define DEMO_TSV_FIELD_MAX 512 /* one field, bytes incl. NUL */
#define DEMO_TSV_ERR_MAX   256

struct demo_tsv {
  const char *file; /* file name, for messages */
  const char *p;    /* cursor into the embedded bytes */
  const char *end;
  int line; /* 1-based number of the current record's line */
  int ncols;
  char cols[DEMO_TSV_MAX_COLS][DEMO_TSV_NAME_MAX];
  char field[DEMO_TSV_MAX_COLS][DEMO_TSV_FIELD_MAX];
  char err[DEMO_TSV_ERR_MAX];
};

/* Find name in the sentinel-terminated table and read its header.
 * LY_ENOTFOUND when the file is absent, LY_EPARSE on a bad header. */
int demo_tsv_open(struct demo_tsv *t, const struct ly_embedded_file *table, const char *name);
/* Map column names to indexes (idx[i] for names[i]); LY_ENOTFOUND naming the
 * first missing column. */
int demo_tsv_columns(struct demo_tsv *t, const char *const *names, int *idx, int n);
/* Advance to the next record: 1 when one was read, 0 at the end, LY_EPARSE
 * (or LY_ETOOBIG for an over-long field) with t->err set. */
int demo_tsv_next(struct demo_tsv *t);
/* The current record's field (borrowed until the next demo_tsv_next). */
const char *demo_tsv_get(const struct demo_tsv *t, int col);
/* Parse the field as a decimal integer within [min, max] / a real number;
 * LY_EPARSE with t->err naming file, line and column otherwise. */
int demo_tsv_int(struct demo_tsv *t, int col, int64_t min, int64_t max, int64_t *out);
int demo_tsv_real(struct demo_tsv *t, int col, double *out);

#endif
