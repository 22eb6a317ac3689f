/* records/csv.c — the strict CSV reader. */
#include "records/csv.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

void csv_init(struct csv_reader *r, const char *data, size_t n) {
  r->p = data;
  r->end = data + n;
  r->line = 0;
  r->buf[0] = '\0';
  if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) r->p += 3;
}

static int csv_fail(struct csv_reader *r, struct ly_error *e, int err, const char *what) {
  ly_error_set(e, err, "import.csv_malformed", what, NULL);
  if (e) e->position = r->line;
  return err;
}

/* 1 when [s, s+n) is valid UTF-8 without NUL. */
static int csv_utf8_ok(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t len = c == 0               ? 0
                 : c < 0x80           ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len == 0 || i + len > n || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4)) return 0;
    for (size_t k = 1; k < len; k++)
      if ((s[i + k] & 0xC0) != 0x80) return 0;
    if ((len == 3 && c == 0xE0 && s[i + 1] < 0xA0) || (len == 3 && c == 0xED && s[i + 1] >= 0xA0) ||
        (len == 4 && c == 0xF0 && s[i + 1] < 0x90))
      return 0;
    i += len;
  }
  return 1;
}

/* Split one line (without its line ending) into fields in r->buf. */
static int csv_split(struct csv_reader *r, const char *s, size_t n, const char **fields, size_t max_fields,
                     size_t *nfields, struct ly_error *e) {
  size_t out = 0, nf = 0, i = 0;
  for (;;) {
    if (nf == max_fields) return csv_fail(r, e, LY_EPARSE, "too many fields");
    fields[nf++] = r->buf + out;
    if (i < n && s[i] == '"') {
      for (i++;; i++) {
        if (i >= n) return csv_fail(r, e, LY_EPARSE, "unterminated quoted field");
        if (s[i] == '"') {
          if (i + 1 < n && s[i + 1] == '"') {
            r->buf[out++] = '"';
            i++;
            continue;
          }
          i++;
          break;
        }
        r->buf[out++] = s[i];
      }
      if (i < n && s[i] != ',') return csv_fail(r, e, LY_EPARSE, "text after a closing quote");
    } else {
      for (; i < n && s[i] != ','; i++) {
        if (s[i] == '"') return csv_fail(r, e, LY_EPARSE, "a quote inside an unquoted field");
        if (s[i] == '\r') return csv_fail(r, e, LY_EPARSE, "a carriage return inside a field");
        r->buf[out++] = s[i];
      }
    }
    r->buf[out++] = '\0';
    if (i >= n) break;
    i++; /* the comma */
  }
  *nfields = nf;
  return 1;
}

int csv_next(struct csv_reader *r, const char **fields, size_t max_fields, size_t *nfields,
             struct ly_error *e) {
  *nfields = 0;
  if (r->p >= r->end) return 0;
  r->line++;
  const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
  const char *stop = nl ? nl : r->end;
  size_t n = (size_t)(stop - r->p);
  const char *s = r->p;
  r->p = nl ? nl + 1 : r->end;
  if (n > 0 && s[n - 1] == '\r') n--;
  if (n > CSV_LINE_MAX) return csv_fail(r, e, LY_ETOOBIG, "line longer than 4096 bytes");
  if (memchr(s, '\0', n)) return csv_fail(r, e, LY_EPARSE, "a NUL byte");
  if (!csv_utf8_ok((const unsigned char *)s, n)) return csv_fail(r, e, LY_EPARSE, "invalid UTF-8");
  if (n == 0) {
    if (r->p >= r->end) return 0; /* the final line ending */
    return csv_fail(r, e, LY_EPARSE, "empty line");
  }
  return csv_split(r, s, n, fields, max_fields, nfields, e);
}
