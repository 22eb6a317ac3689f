/* records/csv.h — a strict CSV reader for imports from hospital systems (HIS).
 *
 * RFC 4180 with tighter rules, because the input is a file from another
 * system and every fault should be named by line: fields separated by ',';
 * a field is either unquoted (no '"', no ',') or wholly quoted with '""' for
 * a quote; rows end with LF or CRLF; no line breaks inside fields; no NUL
 * bytes; valid UTF-8; a UTF-8 byte-order mark is skipped at the start; blank
 * lines are errors except at the very end; a line may not exceed
 * CSV_LINE_MAX bytes. The reader never allocates.
 */
#ifndef LY_RECORDS_CSV_H
#define LY_RECORDS_CSV_H

#include <stddef.h>

struct ly_error;

#define CSV_LINE_MAX 4096

struct csv_reader {
  const char *p, *end;
  long line;                  /* 1-based number of the row last read */
  char buf[CSV_LINE_MAX + 1]; /* the row's fields, unescaped, NUL-separated */
};

void csv_init(struct csv_reader *r, const char *data, size_t n);

/* Read the next row into fields[0..*nfields) (pointers into r->buf, valid
 * until the next call). Returns 1 for a row, 0 at the end of the input, or
 * LY_EPARSE / LY_ETOOBIG with e (code "import.csv_malformed") saying what
 * is wrong and e->position = the line number (r->line). The reader has moved
 * past the faulty line, so reading may go on to report further faults. */
int csv_next(struct csv_reader *r, const char **fields, size_t max_fields, size_t *nfields,
             struct ly_error *e);

#endif
