/* server/static.c — the web app's files under cfg.web_root.
 *
 * A request path is served only when every segment is a plain name (no "..",
 * no "." and no hidden files, no backslashes), and when the realpath() of the
 * file lies under the realpath() of the web root — so neither "/../x",
 * encoded variants (lws decodes before we see the path) nor symlinks leaving
 * the root can reach other files. "/" is index.html. HTML is revalidated on
 * every load (Cache-Control: no-cache) so a new build shows at once; other
 * assets may be cached for an hour.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "server/server_internal.h"

static const struct {
  const char *ext;
  const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".ogg", "audio/ogg"},
};

static const char *type_of(const char *file) {
  const char *dot = strrchr(file, '.'), *slash = strrchr(file, '/');
  if (dot == NULL || (slash != NULL && dot < slash)) return "application/octet-stream";
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    if (strcmp(dot, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

static int prefixed(const char *path, const char *word) {
  size_t n = strlen(word);
  return strncmp(path, word, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int static_path(const char *path) {
  return path[0] == '/' && !prefixed(path, "/api") && !prefixed(path, "/ws") && !prefixed(path, "/metrics") &&
         !prefixed(path, "/healthz");
}

/* Every segment must be a plain name: not empty (except the last of "/"),
 * not starting with '.', no backslash or control bytes. */
static int safe_path(const char *path) {
  if (path[0] != '/') return 0;
  for (const char *seg = path + 1;;) {
    size_t n = strcspn(seg, "/");
    if (n == 0 && seg[n] == '/') return 0;
    if (n > 0 && seg[0] == '.') return 0;
    for (size_t i = 0; i < n; i++)
      if (seg[i] == '\\' || (unsigned char)seg[i] < 0x20 || seg[i] == 0x7f) return 0;
    if (seg[n] == '\0') return 1;
    seg += n + 1;
  }
}

int static_resolve(const char *root, const char *path, char *file, size_t filesz, const char **ctype,
                   const char **cache_control) {
  char want[PATH_MAX], real[PATH_MAX];
  struct stat st;
  size_t rl = strlen(root);

  if (rl == 0 || !safe_path(path) || strstr(path, "..") != NULL) return LY_ENOTFOUND;
  if (strcmp(path, "/") == 0) path = "/index.html";
  int n = snprintf(want, sizeof(want), "%s%s", root, path);
  if (n < 0 || (size_t)n >= sizeof(want)) return LY_ENOTFOUND;
  if (realpath(want, real) == NULL) return LY_ENOTFOUND;
  if (strncmp(real, root, rl) != 0 || real[rl] != '/') return LY_ENOTFOUND;
  if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) return LY_ENOTFOUND;
  size_t fl = strlen(real);
  if (fl + 1 > filesz) return LY_ENOTFOUND;
  memcpy(file, real, fl + 1);
  *ctype = type_of(real);
  *cache_control = strcmp(*ctype, "text/html; charset=utf-8") == 0 ? "no-cache" : "max-age=3600";
  return 0;
}
