/* tests/fuzz/fuzz_http_route.c — libFuzzer target for the untrusted-input
 * paths of server/router.c, server/resp.c (query strings) and
 * server/static.c (path checks). Input: "<path>\n<query>".
 * Property: re-encoding a decoded query fragment and decoding it again gives
 * the fragment back. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "server/http.h"
#include "server/server_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char buf[4096], scratch[512], out[512], enc[4096];
  const char *params[LY_MAX_PATH_PARAMS];
  const struct ly_route *r;
  int n;

  if (size >= sizeof(buf)) return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  char *nl = strchr(buf, '\n');
  const char *query = "";
  if (nl != NULL) {
    *nl = '\0';
    query = nl + 1;
  }
  const char *path = buf;
  static const enum ly_method methods[] = {LY_GET, LY_POST, LY_PUT, LY_PATCH, LY_DELETE};
  for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
    int rc = http_route_match(ly_routes, methods[i], path, &r, params, &n, scratch, sizeof(scratch));
    if (rc == 0 && (n < 0 || n > LY_MAX_PATH_PARAMS || r->method != methods[i])) __builtin_trap();
  }
  (void)http_route_allowed(ly_routes, path);
  (void)static_path(path);
  const char *ctype, *cache;
  if (static_resolve("/nonexistent-web-root", path, out, sizeof(out), &ctype, &cache) == 0) __builtin_trap();

  struct ly_req req;
  memset(&req, 0, sizeof(req));
  req.query = query;
  (void)ly_req_query(&req, "limit", out, sizeof(out));
  (void)ly_req_query(&req, "", out, sizeof(out));

  /* lws hands fragments over decoded; encoding then decoding is the identity */
  size_t off = 0;
  if (query_append_pair(enc, sizeof(enc), &off, query) == 0) {
    const char *eq = strchr(query, '=');
    char key[256];
    size_t kl = eq ? (size_t)(eq - query) : strlen(query);
    if (kl < sizeof(key)) {
      memcpy(key, query, kl);
      key[kl] = '\0';
      req.query = enc;
      int rc = ly_req_query(&req, key, out, sizeof(out));
      if (kl > 0 && strchr(key, '&') == NULL && rc == 0 && strcmp(out, eq ? eq + 1 : "") != 0)
        __builtin_trap();
    }
  }
  return 0;
}
