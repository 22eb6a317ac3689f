/* server/http_internal.h — what server/http.c and server/http_intake.c
 * share: the HTTP layer's state and one request's transaction (struct tx).
 * Nothing outside the HTTP layer includes this. */
#ifndef LY_HTTP_INTERNAL_H
#define LY_HTTP_INTERNAL_H

#include <libwebsockets.h>
#include <limits.h>
#include <stdint.h>

#include "server/http.h"

#define TX_PATH_MAX    2048
#define TX_QUERY_MAX   4096
#define TX_HDR_MAX     512
#define TX_CHUNK       16384
#define TX_HEADER_ROOM 2048
#define JSON_TYPE      "application/json; charset=utf-8"
#define BATCH_MAX      256 /* answers held for one commit; a full batch commits at once */
#define DEFER_MAX      128 /* answers waiting for work off the service thread (ly_req_defer) */

struct ly_http {
  struct ly_server *srv;
  unsigned inflight;
  unsigned npending;
  struct lws *pending[BATCH_MAX]; /* connections whose answer waits for the batch commit */
  struct {
    struct lws *wsi; /* NULL: free, or the client went away */
    uint16_t gen;    /* handles of earlier uses of this slot no longer match */
  } deferred[DEFER_MAX];
  lws_sorted_usec_list_t tick; /* wakes the loop while draining */
  char web_root[PATH_MAX];
  struct static_gz *gz; /* gzip-compressed web app files (server/static_gz.c) */
};

enum tx_state { TX_NEW, TX_BODY, TX_DISCARD, TX_WAIT_COMMIT, TX_WAIT_WORK, TX_SENDING, TX_FILE };

struct tx {
  enum tx_state st;
  enum ly_method method;   /* 0 for methods no route can have (OPTIONS, …) */
  const char *method_name; /* static */
  int head, close_after, headers_sent;
  int batched; /* the handler ran inside the batch transaction */
  int64_t t0_ms;
  char path[TX_PATH_MAX];
  char query[TX_QUERY_MAX];
  char token[TX_HDR_MAX];
  char idem[TX_HDR_MAX];
  char range[128];
  char ctype[128];
  char ip[64];
  char inm[128]; /* If-None-Match */
  int gzip_ok;   /* Accept-Encoding names gzip */
  const char *lang;
  char *body;
  size_t body_len, body_cap;
  /* the answer */
  const char *route_name; /* static: a route's name or one of the labels below */
  int status;
  char *out;
  size_t out_len, out_off;
  const char *out_ctype;
  char out_headers[640];
  unsigned char *wbuf;
};

struct pss {
  struct tx *tx;
  int close_when_flushed; /* answered with Connection: close, bytes still queued in lws */
};

/* Fill tx from the request headers (method, path, query re-encoded,
 * language, bearer token, content type, range, Idempotency-Key,
 * If-None-Match, gzip, peer address). LY_ETOOBIG for an over-long path or
 * query. */
int http_intake_read(struct lws *wsi, struct tx *tx, const char *uri, size_t len);
/* Copy header h into out ("" when absent); 1 when present and it fit. */
int http_intake_header(struct lws *wsi, enum lws_token_indexes h, char *out, size_t outsz);

#endif
