/* server/http.h — requests, responses and the route table.
 *
 * The HTTP layer (server/http.c) reads a request with lws, enforces the body
 * limit (413), parses a JSON body with ly_json_parse (400 with the position),
 * matches the route table (404 / 405), authenticates the bearer token, checks
 * the route's roles (403), then calls the handler synchronously on the
 * service thread. The handler fills resp; the layer serialises and sends it
 * and records metrics. A handler never writes to the socket itself.
 */
#ifndef LY_HTTP_H
#define LY_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct ly_server;

enum ly_method { LY_GET = 1, LY_POST = 2, LY_PUT = 4, LY_PATCH = 8, LY_DELETE = 16 };

enum ly_role {
  LY_ROLE_PATIENT = 1 << 0,
  LY_ROLE_DOCTOR = 1 << 1,
  LY_ROLE_PHARMACIST = 1 << 2,
  LY_ROLE_PHARMACY_STAFF = 1 << 3,
  LY_ROLE_ADMIN = 1 << 4,
  LY_ROLE_SUPERVISOR = 1 << 5,
};
#define LY_ROLE_ANY 0x3f

/* The authenticated caller, loaded once per request. */
struct ly_account {
  char id[48];
  char username[64];
  enum ly_role role;
  char role_name[16]; /* "patient", … */
  char name[96];
  char name_en[96];
  char patient_id[48];  /* for patients: their patients.id */
  char facility_id[48]; /* doctors/pharmacists: their facility */
  char pharmacy_id[48]; /* pharmacy_staff: their pharmacy */
};

#define LY_MAX_PATH_PARAMS 4

struct ly_req {
  struct ly_server *srv;
  enum ly_method method;
  const char *path;                       /* without the query */
  const char *query;                      /* raw, without '?', or "" */
  const char *params[LY_MAX_PATH_PARAMS]; /* {name} segments in order */
  int nparams;
  const char *body; /* raw body (NUL-terminated), or NULL */
  size_t body_len;
  json_t *json;                  /* parsed body when it was JSON, borrowed */
  const struct ly_account *acct; /* NULL on public routes */
  const char *lang;              /* "zh-CN" (default) or "en" */
  const char *idempotency_key;   /* header Idempotency-Key, or NULL */
  const char *range;             /* header Range, or NULL */
  const char *ip;                /* peer address */
  const struct ly_route *route;
  const char *token; /* the bearer token, or NULL; never log it */
  void *conn;        /* the connection (server/http.c), for ly_req_defer */
};

struct ly_resp {
  int status;   /* default 200 */
  json_t *json; /* owned: set with ly_resp_json */
  char *raw;    /* owned malloc'd non-JSON body, or NULL */
  size_t raw_len;
  const char *content_type; /* static string; default application/json */
  char headers[512];        /* extra "Name: value\r\n" lines */
};

typedef int (*ly_handler)(struct ly_req *req, struct ly_resp *resp);

#define LY_ROUTE_PUBLIC 1u /* no bearer token needed */

struct ly_route {
  enum ly_method method;
  const char *pattern; /* "/api/v1/consultations/{id}/cancel" */
  ly_handler handler;
  unsigned roles; /* LY_ROLE_* mask allowed (ignored when PUBLIC) */
  unsigned flags;
  const char *name; /* metrics label, e.g. "consultations.cancel" */
};

/* The route table (server/routes.c), sentinel-terminated ({0}). */
extern const struct ly_route ly_routes[];

/* Match method+path. 0 and *out / params on a match; LY_ENOTFOUND when no
 * pattern matches; LY_EMETHOD when a pattern matches with another method. */
int http_route_match(const struct ly_route *table, enum ly_method m, const char *path,
                     const struct ly_route **out, const char **params, int *nparams, char *scratch,
                     size_t scratchsz);
/* The methods (LY_GET|…) of every pattern that matches path, for Allow. */
unsigned http_route_allowed(const struct ly_route *table, const char *path);
/* "GET, POST" for a method mask into out (for the Allow header). */
void http_methods_str(unsigned mask, char *out, size_t outsz);

/* Response helpers. They take ownership of json. Always return 0 so a
 * handler can `return ly_resp_json(resp, 200, obj);`. */
int ly_resp_json(struct ly_resp *resp, int status, json_t *json);
/* {"error":{"code","message"[, "field"]}} with the status of e->err, the
 * message in req->lang (zh falls back to en). */
int ly_resp_error(struct ly_req *req, struct ly_resp *resp, const struct ly_error *e);
/* Shorthand for a refusal without a prepared ly_error. */
int ly_resp_fail(struct ly_req *req, struct ly_resp *resp, int err, const char *code, const char *message);
/* The same with a Chinese sentence (used when req->lang is not "en"). */
int ly_resp_fail_i18n(struct ly_req *req, struct ly_resp *resp, int err, const char *code,
                      const char *message, const char *message_zh);
/* Append "Name: value\r\n" to resp->headers; LY_ETOOBIG when it does not fit. */
int ly_resp_header(struct ly_resp *resp, const char *name, const char *value);

/* Answering later: a handler whose answer needs work off the service thread
 * (server/offload.c) takes a handle with ly_req_defer, hands the work over
 * and returns 0 leaving resp empty. Back on the service thread,
 * ly_req_finish sends the answer — or, if the client has gone, frees it
 * (it takes ownership of resp's body either way). ly_req_defer: 0, or
 * LY_EAGAIN when too many requests already wait. */
int ly_req_defer(struct ly_req *req, uint32_t *handle);
void ly_req_finish(struct ly_server *srv, uint32_t handle, struct ly_resp *resp);

/* Query string value (decoded) into out; 0, LY_ENOTFOUND or LY_ETOOBIG
 * (LY_EPARSE when the value decodes to a NUL byte). */
int ly_req_query(const struct ly_req *req, const char *key, char *out, size_t outsz);

#endif
