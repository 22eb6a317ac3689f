/* server/demo_tsv.c — strict TSV reader over embedded bytes (see demo_tsv.h). */
#include "server/demo_tsv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "core/err.h"

static int tsv_fail(struct demo_tsv *t, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fill t->err with "<file>:<line>: <message>" and return err. */
static int tsv_fail(struct demo_tsv *t, int err, const char *fmt, ...) {
  char msg[DEMO_TSV_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(t->err, sizeof t->err, "%.48s:%d: %.190s", t->file, t->line, msg);
  return err;
}

/* One physical line [*b, *e) starting at p (without the LF and a trailing CR);
 * returns the start of the next line. */
static const char *tsv_line(const char *p, const char *end, const char **b, const char **e) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  const char *stop = nl ? nl : end;
  *b = p;
  *e = (stop > p && stop[-1] == '\r') ? stop - 1 : stop;
  return nl ? nl + 1 : end;
}

static int tsv_skippable(const char *b, const char *e) {
  return b == e || *b == '#';
}

/* Split [b, e) at TABs into out[] (each bounded by cap bytes). Returns the
 * number of fields, or LY_ETOOBIG / LY_EPARSE with t->err set. */
static int tsv_split(struct demo_tsv *t, const char *b, const char *e, char (*out)[DEMO_TSV_FIELD_MAX],
                     size_t cap, int maxn) {
  int n = 0;
  for (;;) {
    const char *tab = memchr(b, '\t', (size_t)(e - b));
    const char *fe = tab ? tab : e;
    size_t len = (size_t)(fe - b);
    if (n >= maxn) return tsv_fail(t, LY_EPARSE, "more than %d fields", maxn);
    if (len + 1 > cap) return tsv_fail(t, LY_ETOOBIG, "field %d longer than %zu bytes", n + 1, cap - 1);
    memcpy(out[n], b, len);
    out[n][len] = '\0';
    n++;
    if (!tab) return n;
    b = tab + 1;
  }
}

int demo_tsv_open(struct demo_tsv *t, const struct ly_embedded_file *table, const char *name) {
  memset(t, 0, sizeof *t);
  t->file = name;
  const struct ly_embedded_file *f = ly_embed_find(table, name);
  if (!f) return tsv_fail(t, LY_ENOTFOUND, "data file is not embedded in the binary");
  t->p = f->data;
  t->end = f->data + f->len;
  while (t->p < t->end) {
    const char *b, *e;
    t->p = tsv_line(t->p, t->end, &b, &e);
    t->line++;
    if (tsv_skippable(b, e)) continue;
    int n = tsv_split(t, b, e, t->field, DEMO_TSV_NAME_MAX, DEMO_TSV_MAX_COLS);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
      if (!t->field[i][0]) return tsv_fail(t, LY_EPARSE, "header: column %d has no name", i + 1);
      for (int j = 0; j < i; j++)
        if (!strcmp(t->cols[j], t->field[i]))
          return tsv_fail(t, LY_EPARSE, "header: duplicate column '%s'", t->field[i]);
      memcpy(t->cols[i], t->field[i], DEMO_TSV_NAME_MAX);
    }
    t->ncols = n;
    memset(t->field, 0, sizeof t->field);
    return LY_OK;
  }
  return tsv_fail(t, LY_EPARSE, "no header row");
}

int demo_tsv_columns(struct demo_tsv *t, const char *const *names, int *idx, int n) {
  for (int i = 0; i < n; i++) {
    idx[i] = -1;
    for (int c = 0; c < t->ncols; c++)
      if (!strcmp(t->cols[c], names[i])) idx[i] = c;
    if (idx[i] < 0) {
      snprintf(t->err, sizeof t->err, "%s: header has no column '%s'", t->file, names[i]);
      return LY_ENOTFOUND;
    }
  }
  return LY_OK;
}

int demo_tsv_next(struct demo_tsv *t) {
  while (t->p < t->end) {
    const char *b, *e;
    t->p = tsv_line(t->p, t->end, &b, &e);
    t->line++;
    if (tsv_skippable(b, e)) continue;
    int n = tsv_split(t, b, e, t->field, DEMO_TSV_FIELD_MAX, DEMO_TSV_MAX_COLS);
    if (n < 0) return n;
    if (n != t->ncols) return tsv_fail(t, LY_EPARSE, "%d fields, the header has %d", n, t->ncols);
    return 1;
  }
  return 0;
}

const char *demo_tsv_get(const struct demo_tsv *t, int col) {
  return (col >= 0 && col < t->ncols) ? t->field[col] : "";
}

static const char *tsv_colname(const struct demo_tsv *t, int col) {
  return (col >= 0 && col < t->ncols) ? t->cols[col] : "?";
}

int demo_tsv_int(struct demo_tsv *t, int col, int64_t min, int64_t max, int64_t *out) {
  const char *s = demo_tsv_get(t, col);
  char *endp = NULL;
  errno = 0;
  long long v = strtoll(s, &endp, 10);
  if (!*s || *endp || errno || v < min || v > max)
    return tsv_fail(t, LY_EPARSE, "column '%s': not an integer in [%lld, %lld]: '%s'", tsv_colname(t, col),
                    (long long)min, (long long)max, s);
  *out = v;
  return LY_OK;
}

int demo_tsv_real(struct demo_tsv *t, int col, double *out) {
  const char *s = demo_tsv_get(t, col);
  char *endp = NULL;
  errno = 0;
  double v = strtod(s, &endp);
  if (!*s || *endp || errno || !isfinite(v))
    return tsv_fail(t, LY_EPARSE, "column '%s': not a number: '%s'", tsv_colname(t, col), s);
  *out = v;
  return LY_OK;
}
