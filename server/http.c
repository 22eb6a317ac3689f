/* server/http.c — the HTTP layer: one lws protocol that reads a request,
 * answers it from the route table (or from the web root), and writes the
 * response.
 *
 * Per request (struct tx, malloc'd when the headers are complete, freed when
 * the answer is queued or the connection closes; idle keep-alive connections
 * hold nothing but a pointer):
 *   headers → Content-Length over --max-body: 413 at once, the rest of the
 *   body is read and dropped, then the connection closes;
 *   body (bounded by its Content-Length) → route match → JSON parse (400 with
 *   the position) → 404 / 405 (+Allow) → bearer token (401) → role (403) →
 *   handler → serialise → headers + body in ≤ 16 KiB writes on WRITEABLE.
 * Everything runs on the service thread; handlers are synchronous.
 *
 * Group commit: API handlers run inside the database's batch transaction
 * (ly_db_batch_enter) and their answers wait (TX_WAIT_COMMIT) until
 * server_run commits the batch after the loop turn; then they are released
 * — or, if the commit failed, replaced by a 503 saying nothing was saved.
 * So one disk flush serves every request of a turn and no client is told
 * "done" before its write is durable.
 *
 * lws delivers the path already percent-decoded and normalised ("/a/../b" is
 * "/b"), and the query as decoded '&'-separated fragments; the fragments are
 * re-encoded into req->query so ly_req_query() sees one canonical form.
 */
#include <ctype.h>
#include <libwebsockets.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/db.h"
#include "core/json.h"
#include "core/log.h"
#include "server/auth.h"
#include "server/http.h"
#include "server/http_internal.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/server_internal.h"
#include "server/static_gz.h"

static struct ly_server *srv_of(struct lws *wsi) {
  return lws_context_user(lws_get_context(wsi));
}

/* --- building answers ----------------------------------------------------- */

/* Move a handler's ly_resp into tx (serialising JSON). */
static void take_response(struct tx *tx, struct ly_resp *resp) {
  tx->status = resp->status ? resp->status : 200;
  if (resp->raw != NULL) {
    tx->out = resp->raw;
    tx->out_len = resp->raw_len;
    tx->out_ctype = resp->content_type ? resp->content_type : "application/octet-stream";
  } else if (resp->json != NULL) {
    tx->out = ly_json_dump(resp->json, &tx->out_len);
    tx->out_ctype = resp->content_type ? resp->content_type : JSON_TYPE;
    if (tx->out == NULL) {
      tx->status = 500;
      tx->out_len = 0;
    }
  } else {
    tx->out_ctype = resp->content_type; /* no body (204, or HEAD of a file) */
  }
  if (resp->json != NULL) json_decref(resp->json);
  resp->json = NULL;
  resp->raw = NULL;
  memcpy(tx->out_headers, resp->headers, sizeof(resp->headers));
}

static void fail(struct ly_req *req, struct ly_resp *resp, int err, const char *code, const char *en,
                 const char *zh) {
  ly_resp_fail_i18n(req, resp, err, code, en, zh);
}

static void not_found(struct tx *tx, struct ly_req *req, struct ly_resp *resp) {
  tx->route_name = "not_found";
  fail(req, resp, LY_ENOTFOUND, "not_found", "No such resource.", "请求的资源不存在。");
}

static void method_not_allowed(struct tx *tx, struct ly_req *req, struct ly_resp *resp, unsigned allowed) {
  char allow[64];

  tx->route_name = "method_not_allowed";
  http_methods_str(allowed, allow, sizeof(allow));
  if (allowed & LY_GET) {
    size_t l = strlen(allow);
    snprintf(allow + l, sizeof(allow) - l, ", HEAD");
  }
  fail(req, resp, LY_EMETHOD, "request.method_not_allowed", "This method is not allowed here.",
       "此地址不支持该请求方法。");
  ly_resp_header(resp, "Allow", allow);
}

static void json_error(struct ly_req *req, struct ly_resp *resp, struct ly_error *e) {
  if (e->err != LY_EPARSE) {
    ly_resp_error(req, resp, e);
    return;
  }
  struct ly_error pe;
  char en[sizeof(pe.message)], zh[sizeof(pe.message_zh)];
  snprintf(en, sizeof(en), "Malformed JSON at position %ld (%.300s).", e->position, e->message);
  snprintf(zh, sizeof(zh), "请求体不是有效的 JSON（position %ld）。", e->position);
  ly_error_set(&pe, LY_EPARSE, "request.malformed_json", en, zh);
  pe.position = e->position;
  ly_resp_error(req, resp, &pe);
}

/* API bodies are JSON unless they say they are something binary (a form
 * post from curl without a content type is still read as JSON). */
static int body_is_json(const char *ctype) {
  static const char *const binary[] = {"multipart/", "application/octet-stream", "image/", "audio/",
                                       "video/"};
  for (size_t i = 0; i < sizeof(binary) / sizeof(binary[0]); i++)
    if (strncasecmp(ctype, binary[i], strlen(binary[i])) == 0) return 0;
  return 1;
}

/* Bearer token → account; role check. 0 to go on, else resp is filled. */
static int authorize(struct ly_req *req, struct ly_resp *resp, const struct ly_route *route,
                     const char *token, struct ly_account *acct) {
  struct ly_error e;

  if (route->flags & LY_ROUTE_PUBLIC) return 0;
  if (token[0] == '\0') {
    fail(req, resp, LY_EAUTH, "auth.required", "Please sign in first.", "请先登录，再进行此操作。");
    return -1;
  }
  memset(&e, 0, sizeof(e));
  e.position = -1;
  if (auth_session(req->srv, token, acct, &e) != 0) {
    if (e.err == 0) e.err = LY_EAUTH;
    ly_resp_error(req, resp, &e);
    return -1;
  }
  req->acct = acct;
  if (!(route->roles & (unsigned)acct->role)) {
    fail(req, resp, LY_EFORBIDDEN, "auth.forbidden", "Your role may not do this.",
         "您的角色无权执行此操作。");
    return -1;
  }
  return 0;
}

static void run_handler(struct ly_req *req, struct ly_resp *resp, const struct ly_route *route) {
  int rc = route->handler(req, resp);
  if (rc != 0 && resp->json == NULL && resp->raw == NULL) {
    struct ly_error e;
    memset(&e, 0, sizeof(e));
    e.err = rc;
    e.position = -1;
    ly_resp_error(req, resp, &e);
  }
  if (resp->status >= 500)
    LY_ERROR(&req->srv->log, "http.handler_failed", "%s answered %d", route->name, resp->status);
}

/* Static files. 0: lws is sending the file (TX_FILE); 1: resp holds a HEAD
 * answer (tx->out_len is the file size); 3: resp holds the answer (304, or
 * the gzip body); -1: resp holds a 404; -2: close. */
static int serve_static(struct ly_server *srv, struct lws *wsi, struct tx *tx, struct ly_req *req,
                        struct ly_resp *resp) {
  char file[PATH_MAX], extra[256];
  const char *ctype, *cache;
  struct stat st;

  if (static_resolve(http_web_root(srv), tx->path, file, sizeof(file), &ctype, &cache) != 0 ||
      stat(file, &st) != 0) {
    not_found(tx, req, resp);
    tx->route_name = "static";
    return -1;
  }
  tx->route_name = "static";
  if (tx->head) {
    /* lws_serve_http_file would complete a HEAD transaction under our feet */
    resp->status = 200;
    resp->content_type = ctype;
    ly_resp_header(resp, "Cache-Control", cache);
    tx->out_len = (size_t)st.st_size;
    return 1;
  }
  int n = static_gz_answer(srv->http->gz, file, &st, ctype, cache, tx->gzip_ok, tx->inm, resp);
  if (n == 1) return 3;
  if (n < 0 || (n = static_gz_headers(&st, ctype, cache, extra, sizeof(extra))) < 0) return -2;
  tx->status = 200;
  tx->st = TX_FILE;
  n = lws_serve_http_file(wsi, file, ctype, extra, n);
  return n < 0 ? -2 : 0;
}

/* Route and answer. Returns 0 when the answer is in tx, 1 when lws is
 * serving a file, 2 when the handler deferred it (ly_req_defer), -1 when the
 * connection must close. */
static int dispatch(struct ly_server *srv, struct lws *wsi, struct tx *tx) {
  struct ly_resp resp = {.status = 200};
  struct ly_req req = {.srv = srv,
                       .method = tx->method,
                       .path = tx->path,
                       .query = tx->query,
                       .lang = tx->lang,
                       .ip = tx->ip,
                       .conn = wsi};
  struct ly_account acct;
  const struct ly_route *route = NULL;
  char scratch[TX_PATH_MAX];
  json_t *json = NULL;
  int rc = LY_ENOTFOUND, is_static = static_path(tx->path);

  if (tx->method != 0)
    rc = http_route_match(ly_routes, tx->method, tx->path, &route, req.params, &req.nparams, scratch,
                          sizeof(scratch));
  tx->route_name = route ? route->name : "unmatched";
  if (!is_static && tx->body_len > 0 && body_is_json(tx->ctype)) {
    struct ly_error e;
    memset(&e, 0, sizeof(e));
    e.position = -1;
    if (ly_json_parse(tx->body, tx->body_len, (size_t)srv->cfg.max_body, LY_JSON_MAX_DEPTH_DEFAULT, &json,
                      &e) != 0) {
      json_error(&req, &resp, &e);
      goto out;
    }
  }
  if (rc == 0) {
    req.route = route;
    req.body = tx->body;
    req.body_len = tx->body_len;
    req.json = json;
    req.idempotency_key = tx->idem[0] ? tx->idem : NULL;
    req.range = tx->range[0] ? tx->range : NULL;
    req.token = tx->token[0] ? tx->token : NULL;
    tx->batched = ly_db_batch_enter(srv->db) == LY_OK;
    if (authorize(&req, &resp, route, tx->token, &acct) == 0) run_handler(&req, &resp, route);
    if (tx->batched) ly_db_batch_leave(srv->db);
    if (tx->st == TX_WAIT_WORK) { /* ly_req_defer: ly_req_finish answers */
      if (json != NULL) json_decref(json);
      return 2;
    }
  } else if (is_static && (tx->method == LY_GET)) {
    int s = serve_static(srv, wsi, tx, &req, &resp);
    if (s == 0) return 1;
    if (s == -2) return -1;
    if (s == 3) {
      take_response(tx, &resp);
      return 0;
    }
    if (s == 1) {
      size_t size = tx->out_len;
      take_response(tx, &resp);
      tx->out_len = size;
      return 0;
    }
  } else if (rc == LY_EMETHOD || (is_static && tx->method != LY_GET)) {
    method_not_allowed(tx, &req, &resp, rc == LY_EMETHOD ? http_route_allowed(ly_routes, tx->path) : LY_GET);
  } else {
    unsigned allowed = http_route_allowed(ly_routes, tx->path);
    if (allowed)
      method_not_allowed(tx, &req, &resp, allowed);
    else
      not_found(tx, &req, &resp);
  }
out:
  if (json != NULL) json_decref(json);
  take_response(tx, &resp);
  return 0;
}

/* --- writing answers ------------------------------------------------------ */

/* Add resp->headers ("Name: value\r\n" lines) to the lws header block. */
static int add_extra_headers(struct lws *wsi, const char *lines, unsigned char **p, unsigned char *end) {
  char name[80];

  while (*lines) {
    const char *colon = strchr(lines, ':'), *eol = strstr(lines, "\r\n");
    if (colon == NULL || eol == NULL || colon > eol) return 0;
    size_t nl = (size_t)(colon - lines);
    if (nl + 2 > sizeof(name)) return 1;
    for (size_t i = 0; i < nl; i++)
      name[i] = (char)tolower((unsigned char)lines[i]);
    name[nl] = ':';
    name[nl + 1] = '\0';
    const char *v = colon + 1;
    while (*v == ' ')
      v++;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)v,
                                    (int)(eol - v), p, end))
      return 1;
    lines = eol + 2;
  }
  return 0;
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end) {
  return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                     (int)strlen(value), p, end);
}

static int build_headers(struct lws *wsi, struct tx *tx, unsigned char **p, unsigned char *end) {
  if (lws_add_http_common_headers(wsi, (unsigned)tx->status, tx->out_ctype, (lws_filepos_t)tx->out_len, p,
                                  end))
    return 1;
  if (strcasestr(tx->out_headers, "cache-control:") == NULL &&
      add_header(wsi, "cache-control:", "no-store", p, end))
    return 1;
  if (add_header(wsi, "x-content-type-options:", "nosniff", p, end)) return 1;
  if (tx->close_after && add_header(wsi, "connection:", "close", p, end)) return 1;
  return add_extra_headers(wsi, tx->out_headers, p, end);
}

/* Queue the next part of the answer: 1 when it is all queued, 0 when more
 * WRITEABLE callbacks are needed, -1 on error. */
static int send_step(struct lws *wsi, struct tx *tx) {
  if (tx->wbuf == NULL && (tx->wbuf = malloc(LWS_PRE + TX_HEADER_ROOM + TX_CHUNK)) == NULL) return -1;
  unsigned char *start = tx->wbuf + LWS_PRE, *p = start;

  if (!tx->headers_sent) {
    if (build_headers(wsi, tx, &p, start + TX_HEADER_ROOM)) return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, start + TX_HEADER_ROOM)) return -1;
    tx->headers_sent = 1;
    if (tx->head || tx->out_len == 0) return 1;
    if (lws_send_pipe_choked(wsi)) return 0;
  }
  size_t n = tx->out_len - tx->out_off;
  if (n > TX_CHUNK) n = TX_CHUNK;
  memcpy(start, tx->out + tx->out_off, n);
  tx->out_off += n;
  int last = tx->out_off == tx->out_len;
  if (lws_write(wsi, start, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n) return -1;
  return last;
}

/* --- per-request bookkeeping --------------------------------------------- */

static void tx_free(struct ly_http *h, struct tx *tx) {
  if (tx == NULL) return;
  free(tx->body);
  free(tx->out);
  free(tx->wbuf);
  free(tx);
  if (h->inflight > 0) h->inflight--;
}

/* Count and log the answered request. */
static void tx_account(struct ly_server *srv, struct tx *tx) {
  int64_t ms = ly_mono_ms(srv->clock) - tx->t0_ms;
  const char *route = tx->route_name ? tx->route_name : "unmatched";

  metrics_http(srv->metrics, route, tx->method_name, tx->status, ms * 1000);
  json_t *f = json_pack("{s:s, s:s, s:i, s:I}", "method", tx->method_name, "route", route, "status",
                        tx->status, "duration_ms", (json_int_t)ms);
  ly_log_fields(&srv->log, LY_LOG_INFO, "http.request", f, "%s %s %d", tx->method_name, route, tx->status);
  json_decref(f);
}

/* The answer is fully queued: account, free, and go back to keep-alive.
 * Returns what the lws callback must return. */
static int tx_done(struct lws *wsi, struct pss *pss) {
  struct ly_server *srv = srv_of(wsi);
  struct tx *tx = pss->tx;
  int close = tx->close_after || tx->head || srv->stopping;

  tx_account(srv, tx);
  pss->tx = NULL;
  tx_free(srv->http, tx);
  if (close && lws_partial_buffered(wsi)) {
    /* lws only calls WRITEABLE again once its queue is flushed: close then */
    pss->close_when_flushed = 1;
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (close) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Refuse from inside the HTTP callback, before any body is read: write the
 * answer now (with Connection: close), drop whatever body follows, and close
 * when it has been read or after REFUSE_LINGER_S — closing at once with
 * unread input would reset the connection and could lose the answer. */
#define REFUSE_LINGER_S 3
static int refuse(struct lws *wsi, struct tx *tx, int status, int err, const char *code, const char *en,
                  const char *zh) {
  struct ly_req req = {.srv = srv_of(wsi), .lang = tx->lang};
  struct ly_resp resp = {.status = status};
  int rc;

  if (tx->route_name == NULL) tx->route_name = "unmatched";
  tx->close_after = 1;
  fail(&req, &resp, err, code, en, zh);
  take_response(tx, &resp);
  tx->status = status;
  tx->st = TX_DISCARD;
  while ((rc = send_step(wsi, tx)) == 0) {
  }
  if (rc < 0) return -1;
  tx_account(srv_of(wsi), tx);
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, REFUSE_LINGER_S);
  return 0;
}

/* --- group commit ------------------------------------------------------- */

static void send_now(struct lws *wsi, struct tx *tx) {
  tx->st = TX_SENDING;
  lws_callback_on_writable(wsi);
}

/* The answer is built: send it, or hold it for the batch commit. */
static void answer_ready(struct ly_server *srv, struct lws *wsi, struct tx *tx) {
  struct ly_http *h = srv->http;
  if (!tx->batched || !ly_db_batch_is_open(srv->db)) {
    send_now(wsi, tx);
    return;
  }
  tx->st = TX_WAIT_COMMIT;
  h->pending[h->npending++] = wsi;
  if (h->npending == BATCH_MAX) ly_db_batch_commit(srv->db); /* releases them through the hook */
}

/* The batch committed (rc 0) or was rolled back: release the held answers. */
static void batch_done(void *ud, int rc) {
  struct ly_server *srv = ud;
  struct ly_http *h = srv->http;
  if (h == NULL) return;
  if (rc != 0)
    LY_ERROR(&srv->log, "http.batch_failed", "commit of %u request(s) failed: %s", h->npending,
             ly_strerror(rc));
  for (unsigned i = 0; i < h->npending; i++) {
    struct pss *pss = lws_wsi_user(h->pending[i]);
    struct tx *tx = pss ? pss->tx : NULL;
    if (tx == NULL || tx->st != TX_WAIT_COMMIT) continue;
    if (rc != 0) {
      struct ly_req req = {.srv = srv, .lang = tx->lang};
      struct ly_resp resp = {.status = 503};
      free(tx->out);
      tx->out = NULL;
      tx->out_headers[0] = '\0';
      fail(&req, &resp, LY_EAGAIN, "internal.not_saved",
           "The change could not be saved, so nothing was changed. Please try again.",
           "保存失败，本次操作没有生效，请重试。");
      take_response(tx, &resp);
    }
    send_now(h->pending[i], tx);
  }
  h->npending = 0;
}

/* A connection closed: forget its held answer, and any deferred one. */
static void batch_forget(struct ly_http *h, struct lws *wsi) {
  for (unsigned i = 0; h != NULL && i < DEFER_MAX; i++)
    if (h->deferred[i].wsi == wsi) h->deferred[i].wsi = NULL;
  for (unsigned i = 0; h != NULL && i < h->npending; i++) {
    if (h->pending[i] != wsi) continue;
    h->pending[i] = h->pending[--h->npending];
    return;
  }
}

/* --- answers that wait for work off the service thread ------------------ */

int ly_req_defer(struct ly_req *req, uint32_t *handle) {
  struct ly_http *h = req->srv->http;
  struct lws *wsi = req->conn;
  struct pss *pss = wsi ? lws_wsi_user(wsi) : NULL;
  if (h == NULL || pss == NULL || pss->tx == NULL) return LY_EINVAL;
  for (uint32_t i = 0; i < DEFER_MAX; i++) {
    if (h->deferred[i].wsi != NULL) continue;
    h->deferred[i].wsi = wsi;
    h->deferred[i].gen++;
    pss->tx->st = TX_WAIT_WORK;
    *handle = i | (uint32_t)h->deferred[i].gen << 16;
    return 0;
  }
  return LY_EAGAIN;
}

void ly_req_finish(struct ly_server *srv, uint32_t handle, struct ly_resp *resp) {
  struct ly_http *h = srv->http;
  uint32_t i = handle & 0xffff;
  struct lws *wsi = NULL;
  if (h != NULL && i < DEFER_MAX && h->deferred[i].gen == (uint16_t)(handle >> 16)) {
    wsi = h->deferred[i].wsi;
    h->deferred[i].wsi = NULL;
  }
  struct pss *pss = wsi ? lws_wsi_user(wsi) : NULL;
  if (pss != NULL && pss->tx != NULL && pss->tx->st == TX_WAIT_WORK) {
    take_response(pss->tx, resp);
    send_now(wsi, pss->tx);
    return;
  }
  json_decref(resp->json); /* the client has gone */
  free(resp->raw);
  resp->json = NULL;
  resp->raw = NULL;
}

/* A new transaction, its headers read (pss: attached to the connection);
 * NULL when out of memory. *bad is set when the path or query is too long. */
static struct tx *tx_begin(struct lws *wsi, struct pss *pss, const char *uri, size_t len, int *bad) {
  struct ly_server *srv = srv_of(wsi);
  struct tx *tx = calloc(1, sizeof(*tx));

  if (tx == NULL) return NULL;
  if (pss != NULL) {
    if (pss->tx != NULL) tx_free(srv->http, pss->tx);
    pss->tx = tx;
  }
  srv->http->inflight++;
  tx->t0_ms = ly_mono_ms(srv->clock);
  tx->lang = "zh-CN";
  *bad = http_intake_read(wsi, tx, uri, len) != 0;
  return tx;
}

/* The connection's address is over --max-connections-per-ip
 * (server/listener.c admitted it only to say so): 503, then close. */
static int refuse_over(struct lws *wsi, struct tx *tx) {
  tx->route_name = "too_many_connections";
  return refuse(wsi, tx, 503, LY_ERATE, "http.too_many_connections",
                "Too many connections from your network address. Close some and try again.",
                "来自您网络地址的连接过多，请关闭一些后重试。");
}

int http_upgrade_refused(void *ud, struct lws *wsi) {
  struct ly_server *srv = ud;
  int bad;
  if (!listener_wsi_over(wsi)) return 0;
  struct tx *tx = tx_begin(wsi, NULL, "/ws", 3, &bad);
  int rc = tx != NULL ? refuse_over(wsi, tx) : -1; /* written in full, or failed */
  if (tx != NULL) tx_free(srv->http, tx);
  return rc < 0 ? -1 : 1;
}

static int on_http(struct lws *wsi, struct pss *pss, const char *uri, size_t len) {
  struct ly_server *srv = srv_of(wsi);
  char cl[32];
  int bad;
  struct tx *tx = tx_begin(wsi, pss, uri, len, &bad);

  if (tx == NULL) return -1;
  if (listener_wsi_over(wsi)) return refuse_over(wsi, tx);
  if (bad)
    return refuse(wsi, tx, 414, LY_ETOOBIG, "request.uri_too_long", "The address is too long.",
                  "请求地址过长。");
  /* every client we serve sends a Content-Length; chunked bodies are not read */
  if (!http_intake_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl)) &&
      lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
    return refuse(wsi, tx, 411, LY_EINVAL, "request.length_required",
                  "Send the body with a Content-Length header.", "请求体需要带 Content-Length 头。");
  if (cl[0] != '\0') {
    char *endp;
    long long v = strtoll(cl, &endp, 10);
    if (v > srv->cfg.max_body) {
      tx->route_name = "too_large";
      return refuse(wsi, tx, 413, LY_ETOOBIG, "request.too_large",
                    "The request body is larger than the server accepts.", "请求内容超过服务器允许的大小。");
    }
    if (v > 0) {
      tx->body_cap = (size_t)v;
      if ((tx->body = malloc(tx->body_cap + 1)) == NULL) return -1;
      tx->st = TX_BODY;
      return 0;
    }
  }
  int rc = dispatch(srv, wsi, tx);
  if (rc < 0) return -1;
  if (rc == 0) answer_ready(srv, wsi, tx);
  return 0;
}

/* A body trickled in slower than BODY_MIN_RATE bytes a second on average,
 * once BODY_GRACE_MS have passed, is a slow-loris client: the connection is
 * closed. lws's own content timeout starts again with every byte, so alone it
 * would let one byte every 29 s hold a connection for ever. */
#define BODY_GRACE_MS 10000
#define BODY_MIN_RATE 500
static int body_too_slow(struct lws *wsi, const struct tx *tx) {
  struct ly_server *srv = srv_of(wsi);
  int64_t ms = ly_mono_ms(srv->clock) - tx->t0_ms;
  if (ms <= BODY_GRACE_MS || (int64_t)tx->body_len >= ms * BODY_MIN_RATE / 1000) return 0;
  LY_WARN(&srv->log, "http.body_too_slow", "a request body came at %lld bytes/s; connection closed",
          (long long)(tx->body_len * 1000 / (size_t)ms));
  return 1;
}

static int on_body(struct lws *wsi, struct tx *tx, const char *in, size_t len) {
  if (tx == NULL || tx->st != TX_BODY) return 0;
  if (tx->body_len + len > tx->body_cap) return -1; /* more than declared */
  if (body_too_slow(wsi, tx)) return -1;
  memcpy(tx->body + tx->body_len, in, len);
  tx->body_len += len;
  tx->body[tx->body_len] = '\0';
  return 0;
}

static int on_body_done(struct lws *wsi, struct pss *pss) {
  struct tx *tx = pss->tx;

  if (tx == NULL) return 0;
  if (tx->st == TX_DISCARD) return -1; /* 413 already sent with Connection: close */
  if (tx->st != TX_BODY) return 0;
  int rc = dispatch(srv_of(wsi), wsi, tx);
  if (rc < 0) return -1;
  if (rc == 0) answer_ready(srv_of(wsi), wsi, tx);
  return 0;
}

static int on_writeable(struct lws *wsi, struct pss *pss) {
  struct tx *tx = pss->tx;

  if (pss->close_when_flushed) return -1;
  if (tx == NULL || tx->st != TX_SENDING) return 0;
  int rc = send_step(wsi, tx);
  if (rc < 0) return -1;
  if (rc == 0) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  return tx_done(wsi, pss);
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len) {
  struct pss *pss = user;
  struct ly_server *srv;

  switch (reason) {
    case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
      metrics_connections(srv_of(wsi)->metrics, 1);
      return 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      srv = srv_of(wsi);
      metrics_connections(srv->metrics, -1);
      batch_forget(srv->http, wsi);
      if (pss != NULL) {
        tx_free(srv->http, pss->tx);
        pss->tx = NULL;
      }
      return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
      batch_forget(srv_of(wsi)->http, wsi);
      if (pss != NULL) {
        tx_free(srv_of(wsi)->http, pss->tx);
        pss->tx = NULL;
      }
      return 0;
    case LWS_CALLBACK_WSI_DESTROY: /* every wsi of the vhost, to protocols[0]: free its connection slot */
      listener_wsi_destroyed(srv_of(wsi), wsi);
      return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return 1; /* no WebSocket protocol is served by the HTTP layer */
    case LWS_CALLBACK_HTTP:
      return on_http(wsi, pss, in, len);
    case LWS_CALLBACK_HTTP_BODY:
      return on_body(wsi, pss->tx, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return on_body_done(wsi, pss);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return on_writeable(wsi, pss);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
      if (pss->tx == NULL) return lws_http_transaction_completed(wsi) ? -1 : 0;
      return tx_done(wsi, pss);
    default:
      return 0;
  }
}

static const struct lws_protocols protocol = {
    .name = "http",
    .callback = http_callback,
    .per_session_data_size = sizeof(struct pss),
    .rx_buffer_size = 0,
};

const struct lws_protocols *http_protocol(void) {
  return &protocol;
}

int http_init(struct ly_server *srv) {
  struct ly_http *h = calloc(1, sizeof(*h));

  if (h == NULL) return LY_ENOMEM;
  h->srv = srv;
  if (static_gz_init(&h->gz, 16u << 20, 4u << 20) != 0) { /* 16 MiB held, files up to 4 MiB */
    free(h);
    return LY_ENOMEM;
  }
  if (realpath(srv->cfg.web_root, h->web_root) == NULL) {
    LY_WARN(&srv->log, "http.no_web_root", "web root %s not found; only the API is served",
            srv->cfg.web_root);
    h->web_root[0] = '\0';
  }
  srv->http = h;
  ly_db_batch_set_hook(srv->db, batch_done, srv);
  return 0;
}

void http_close(struct ly_server *srv) {
  if (srv->db != NULL) ly_db_batch_set_hook(srv->db, NULL, NULL);
  if (srv->http) static_gz_close(srv->http->gz);
  free(srv->http);
  srv->http = NULL;
}

static void drain_tick(lws_sorted_usec_list_t *sul) {
  struct ly_http *h = lws_container_of(sul, struct ly_http, tick);
  lws_sul_schedule(h->srv->lws, 0, &h->tick, drain_tick, 100 * LWS_US_PER_MS);
}

void http_drain(struct ly_server *srv, int64_t max_ms) {
  struct ly_http *h = srv->http;
  int64_t deadline = ly_mono_ms(srv->clock) + max_ms;

  listener_stop(srv);
  LY_INFO(&srv->log, "server.draining", "no longer accepting; %u request(s) in flight", h->inflight);
  lws_sul_schedule(srv->lws, 0, &h->tick, drain_tick, 100 * LWS_US_PER_MS);
  while (h->inflight > 0 && ly_mono_ms(srv->clock) < deadline) {
    loop_run_once(srv);
    ly_db_batch_commit(srv->db);
  }
  lws_sul_cancel(&h->tick);
  if (h->inflight > 0)
    LY_WARN(&srv->log, "server.drain_timeout", "%u request(s) still in flight", h->inflight);
}

unsigned http_inflight(const struct ly_server *srv) {
  return srv->http ? srv->http->inflight : 0;
}

const char *http_web_root(const struct ly_server *srv) {
  return srv->http ? srv->http->web_root : "";
}
