/* server/http_intake.c — reading one HTTP request's headers into its
 * transaction (server/http_internal.h): method, path, query string (lws
 * hands the fragments over decoded; they are re-encoded into one canonical
 * form for ly_req_query), language, bearer token, content type, range,
 * Idempotency-Key, If-None-Match, gzip and the peer's address. */
#include <libwebsockets.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "server/http_internal.h"
#include "server/server_internal.h"

static const struct {
  int lws;
  enum ly_method m;
  const char *name;
} methods[] = {
    {LWSHUMETH_GET, LY_GET, "GET"},          {LWSHUMETH_POST, LY_POST, "POST"},
    {LWSHUMETH_PUT, LY_PUT, "PUT"},          {LWSHUMETH_PATCH, LY_PATCH, "PATCH"},
    {LWSHUMETH_DELETE, LY_DELETE, "DELETE"}, {LWSHUMETH_HEAD, LY_GET, "HEAD"},
    {LWSHUMETH_OPTIONS, 0, "OPTIONS"},
};

/* Copy header h into out ("" when absent); 1 when present and it fit. */
int http_intake_header(struct lws *wsi, enum lws_token_indexes h, char *out, size_t outsz) {
  out[0] = '\0';
  int n = lws_hdr_total_length(wsi, h);
  if (n <= 0 || (size_t)n >= outsz) return 0;
  return lws_hdr_copy(wsi, out, (int)outsz, h) > 0;
}

/* "en…" as the first language tag → English; everything else Chinese. */
static const char *pick_lang(const char *al) {
  while (*al == ' ')
    al++;
  if ((al[0] == 'e' || al[0] == 'E') && (al[1] == 'n' || al[1] == 'N') && strchr("-_,; ", al[2]) != NULL)
    return "en";
  return "zh-CN";
}

/* "Bearer <token>" → token; anything else leaves out empty. */
static void bearer(const char *auth, char *out, size_t outsz) {
  out[0] = '\0';
  if (strncasecmp(auth, "bearer ", 7) != 0) return;
  auth += 7;
  while (*auth == ' ')
    auth++;
  size_t n = strcspn(auth, " \t");
  if (n == 0 || n >= outsz || auth[n] != '\0') return;
  memcpy(out, auth, n);
  out[n] = '\0';
}

static int read_query(struct lws *wsi, struct tx *tx) {
  char frag[TX_QUERY_MAX];
  size_t off = 0;

  tx->query[0] = '\0';
  for (int i = 0; i < 64; i++) {
    if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) >= (int)sizeof(frag)) return LY_ETOOBIG;
    int n = lws_hdr_copy_fragment(wsi, frag, (int)sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0) break; /* no more fragments */
    if (n == 0) continue;
    int rc = query_append_pair(tx->query, sizeof(tx->query), &off, frag);
    if (rc != 0) return rc;
  }
  return 0;
}

/* Fill tx from the request headers. LY_ETOOBIG for an over-long path/query. */
int http_intake_read(struct lws *wsi, struct tx *tx, const char *uri, size_t len) {
  char *uri_ptr, buf[TX_HDR_MAX];
  int uri_len, m = lws_http_get_uri_and_method(wsi, &uri_ptr, &uri_len);

  tx->method_name = "OTHER";
  for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
    if (methods[i].lws == m) {
      tx->method = methods[i].m;
      tx->method_name = methods[i].name;
      tx->head = m == LWSHUMETH_HEAD;
    }
  }
  if (len == 0 || len >= sizeof(tx->path)) return LY_ETOOBIG;
  memcpy(tx->path, uri, len);
  tx->path[len] = '\0';
  http_intake_header(wsi, WSI_TOKEN_HTTP_ACCEPT_LANGUAGE, buf, sizeof(buf));
  tx->lang = pick_lang(buf);
  if (http_intake_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, buf, sizeof(buf)))
    bearer(buf, tx->token, sizeof(tx->token));
  http_intake_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, tx->ctype, sizeof(tx->ctype));
  http_intake_header(wsi, WSI_TOKEN_HTTP_RANGE, tx->range, sizeof(tx->range));
  http_intake_header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, tx->inm, sizeof(tx->inm));
  tx->gzip_ok = http_intake_header(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, buf, sizeof(buf)) &&
                strstr(buf, "gzip") != NULL;
  tx->idem[0] = '\0';
  int n = lws_hdr_custom_length(wsi, "idempotency-key:", 16);
  if (n > 0 && (size_t)n < sizeof(tx->idem) &&
      lws_hdr_custom_copy(wsi, tx->idem, sizeof(tx->idem), "idempotency-key:", 16) < 0)
    tx->idem[0] = '\0';
  lws_get_peer_simple(wsi, tx->ip, sizeof(tx->ip));
  return read_query(wsi, tx);
}
