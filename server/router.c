/* server/router.c — method + path → route, from the route table.
 *
 * A pattern is '/'-separated segments; "{name}" matches exactly one non-empty
 * segment, any other segment must be equal byte for byte. Segment counts must
 * be equal (no prefixes, a trailing '/' is another path). When several
 * patterns match, the most specific wins: compared from the left, a literal
 * segment beats a parameter, so "/sessions/current" is chosen over
 * "/sessions/{id}" wherever the two appear in the table.
 */
#include <stdint.h>
#include <string.h>

#include "server/http.h"

struct capture {
  const char *p;
  size_t n;
};

/* 1 when path matches pat; caps/ncaps get the {param} segments and *spec a
 * score where bit (31 - i) is set when segment i matched a literal. */
static int pattern_match(const char *pat, const char *path, struct capture *caps, int *ncaps,
                         uint32_t *spec) {
  int n = 0, i = 0;
  uint32_t sp = 0;

  if (pat[0] != '/' || path[0] != '/') return 0;
  for (;;) {
    pat++;
    path++;
    size_t pl = strcspn(pat, "/"), ql = strcspn(path, "/");
    if (pl >= 2 && pat[0] == '{' && pat[pl - 1] == '}') {
      if (ql == 0 || n >= LY_MAX_PATH_PARAMS) return 0;
      caps[n].p = path;
      caps[n].n = ql;
      n++;
    } else {
      if (pl != ql || memcmp(pat, path, pl) != 0) return 0;
      if (i < 32) sp |= 1u << (31 - i);
    }
    pat += pl;
    path += ql;
    i++;
    if (*pat == '\0' || *path == '\0') break;
  }
  if (*pat != '\0' || *path != '\0') return 0;
  *ncaps = n;
  *spec = sp;
  return 1;
}

int http_route_match(const struct ly_route *table, enum ly_method m, const char *path,
                     const struct ly_route **out, const char **params, int *nparams, char *scratch,
                     size_t scratchsz) {
  struct capture caps[LY_MAX_PATH_PARAMS], best_caps[LY_MAX_PATH_PARAMS];
  const struct ly_route *best = NULL;
  uint32_t best_spec = 0;
  int best_n = 0, other_method = 0;

  for (const struct ly_route *r = table; r->pattern != NULL; r++) {
    int n;
    uint32_t spec;
    if (!pattern_match(r->pattern, path, caps, &n, &spec)) continue;
    if (r->method != m) {
      other_method = 1;
      continue;
    }
    if (best == NULL || spec > best_spec) {
      best = r;
      best_spec = spec;
      best_n = n;
      memcpy(best_caps, caps, sizeof(caps));
    }
  }
  if (best == NULL) return other_method ? LY_EMETHOD : LY_ENOTFOUND;

  size_t off = 0;
  for (int i = 0; i < best_n; i++) {
    if (off + best_caps[i].n + 1 > scratchsz) return LY_ETOOBIG;
    memcpy(scratch + off, best_caps[i].p, best_caps[i].n);
    scratch[off + best_caps[i].n] = '\0';
    params[i] = scratch + off;
    off += best_caps[i].n + 1;
  }
  *nparams = best_n;
  *out = best;
  return 0;
}

unsigned http_route_allowed(const struct ly_route *table, const char *path) {
  struct capture caps[LY_MAX_PATH_PARAMS];
  unsigned mask = 0;

  for (const struct ly_route *r = table; r->pattern != NULL; r++) {
    int n;
    uint32_t spec;
    if (pattern_match(r->pattern, path, caps, &n, &spec)) mask |= (unsigned)r->method;
  }
  return mask;
}

static const struct {
  enum ly_method m;
  const char *name;
} method_names[] = {
    {LY_GET, "GET"}, {LY_POST, "POST"}, {LY_PUT, "PUT"}, {LY_PATCH, "PATCH"}, {LY_DELETE, "DELETE"},
};

void http_methods_str(unsigned mask, char *out, size_t outsz) {
  size_t off = 0;

  if (outsz == 0) return;
  out[0] = '\0';
  for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
    if (!(mask & (unsigned)method_names[i].m)) continue;
    const char *sep = off ? ", " : "";
    size_t need = strlen(sep) + strlen(method_names[i].name);
    if (off + need + 1 > outsz) break;
    memcpy(out + off, sep, strlen(sep));
    memcpy(out + off + strlen(sep), method_names[i].name, strlen(method_names[i].name));
    off += need;
    out[off] = '\0';
  }
}
