/* server/metrics.c — Prometheus text exposition with fixed-capacity tables.
 *
 * Everything here runs on the service thread; nothing is locked. Route and
 * method labels are static strings (route table names), compared by pointer
 * first and by content second.
 */
#include "server/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "server/handlers.h"
#include "server/server.h"

#define SERIES_MAX  512
#define ROUTES_MAX  192
#define OUT_INITIAL (16 * 1024)

static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
  const char *route, *method;
  int status;
  uint64_t count;
};

struct hist {
  const char *route;
  uint64_t bucket[NBUCKETS]; /* cumulative at render time, per-bucket here */
  uint64_t count;
  double sum;
};

struct source {
  ly_metrics_source fn;
  void *ud;
};

struct ly_metrics {
  int64_t start_ms;
  int64_t open;
  size_t nseries, nhist, nsources;
  struct series series[SERIES_MAX];
  struct hist hist[ROUTES_MAX];
  struct source sources[LY_METRICS_SOURCES_MAX];
};

int metrics_init(int64_t start_wall_ms, struct ly_metrics **out) {
  struct ly_metrics *m = calloc(1, sizeof(*m));
  if (m == NULL) return LY_ENOMEM;
  m->start_ms = start_wall_ms;
  *out = m;
  return 0;
}

void metrics_close(struct ly_metrics *m) {
  free(m);
}

static int same(const char *a, const char *b) {
  return a == b || strcmp(a, b) == 0;
}

/* The last slot of each table is kept for route="other": everything that
 * finds the table full is counted there, nothing is dropped. */
static struct series *series_get(struct ly_metrics *m, const char *route, const char *method, int status) {
  for (size_t i = 0; i < m->nseries; i++) {
    struct series *s = &m->series[i];
    if (s->status == status && same(s->route, route) && same(s->method, method)) return s;
  }
  if (m->nseries < SERIES_MAX - 1) {
    struct series *s = &m->series[m->nseries++];
    s->route = route;
    s->method = method;
    s->status = status;
    return s;
  }
  struct series *s = &m->series[SERIES_MAX - 1];
  s->route = "other";
  s->method = "other";
  s->status = 0;
  m->nseries = SERIES_MAX;
  return s;
}

static struct hist *hist_get(struct ly_metrics *m, const char *route) {
  for (size_t i = 0; i < m->nhist; i++)
    if (same(m->hist[i].route, route)) return &m->hist[i];
  if (m->nhist < ROUTES_MAX - 1) {
    struct hist *h = &m->hist[m->nhist++];
    h->route = route;
    return h;
  }
  struct hist *h = &m->hist[ROUTES_MAX - 1];
  h->route = "other";
  m->nhist = ROUTES_MAX;
  return h;
}

void metrics_http(struct ly_metrics *m, const char *route, const char *method, int status,
                  int64_t duration_us) {
  if (m == NULL) return;
  double s = duration_us > 0 ? (double)duration_us / 1e6 : 0.0;
  series_get(m, route, method, status)->count++;
  struct hist *h = hist_get(m, route);
  for (size_t i = 0; i < NBUCKETS; i++) {
    if (s <= buckets[i]) {
      h->bucket[i]++;
      break;
    }
  }
  h->count++;
  h->sum += s;
}

void metrics_connections(struct ly_metrics *m, int delta) {
  if (m != NULL) m->open += delta;
}

int metrics_add_source(struct ly_metrics *m, ly_metrics_source fn, void *ud) {
  if (m->nsources >= LY_METRICS_SOURCES_MAX) return LY_ETOOBIG;
  m->sources[m->nsources].fn = fn;
  m->sources[m->nsources].ud = ud;
  m->nsources++;
  return 0;
}

void metrics_printf(struct ly_metrics_out *o, const char *fmt, ...) {
  va_list ap;

  if (o->overflow) return;
  for (;;) {
    size_t room = o->cap - o->len;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
      o->overflow = 1;
      return;
    }
    if ((size_t)n < room) {
      o->len += (size_t)n;
      return;
    }
    /* Grow up to the bound, never past it. */
    size_t ncap = o->cap * 2;
    if (ncap > LY_METRICS_OUT_MAX) ncap = LY_METRICS_OUT_MAX;
    char *nb = ncap > o->cap ? realloc(o->buf, ncap) : NULL;
    if (nb == NULL) {
      o->buf[o->len] = '\0';
      o->overflow = 1;
      return;
    }
    o->buf = nb;
    o->cap = ncap;
  }
}

static void render_requests(const struct ly_metrics *m, struct ly_metrics_out *o) {
  metrics_printf(o,
                 "# HELP lianyi_http_requests_total HTTP requests answered, by route, method and status.\n"
                 "# TYPE lianyi_http_requests_total counter\n");
  for (size_t i = 0; i < m->nseries; i++) {
    const struct series *s = &m->series[i];
    metrics_printf(o, "lianyi_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n", s->route,
                   s->method, s->status, (unsigned long long)s->count);
  }
}

static void render_latency(const struct ly_metrics *m, struct ly_metrics_out *o) {
  metrics_printf(
      o,
      "# HELP lianyi_http_request_duration_seconds Time from request headers to the last byte queued.\n"
      "# TYPE lianyi_http_request_duration_seconds histogram\n");
  for (size_t i = 0; i < m->nhist; i++) {
    const struct hist *h = &m->hist[i];
    uint64_t cum = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
      cum += h->bucket[b];
      metrics_printf(o, "lianyi_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                     h->route, buckets[b], (unsigned long long)cum);
    }
    metrics_printf(o, "lianyi_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                   h->route, (unsigned long long)h->count);
    metrics_printf(o, "lianyi_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", h->route, h->sum);
    metrics_printf(o, "lianyi_http_request_duration_seconds_count{route=\"%s\"} %llu\n", h->route,
                   (unsigned long long)h->count);
  }
}

int metrics_render(const struct ly_metrics *m, uint64_t db_errors, char **text, size_t *len) {
  struct ly_metrics_out o = {.buf = malloc(OUT_INITIAL), .cap = OUT_INITIAL};

  if (o.buf == NULL) return LY_ENOMEM;
  o.buf[0] = '\0';
  render_requests(m, &o);
  render_latency(m, &o);
  metrics_printf(&o,
                 "# HELP lianyi_open_connections Open HTTP and WebSocket connections.\n"
                 "# TYPE lianyi_open_connections gauge\n"
                 "lianyi_open_connections %lld\n"
                 "# HELP lianyi_db_errors_total SQLite errors on the server's connection.\n"
                 "# TYPE lianyi_db_errors_total counter\n"
                 "lianyi_db_errors_total %llu\n"
                 "# HELP process_start_time_seconds Start time of the process since the epoch.\n"
                 "# TYPE process_start_time_seconds gauge\n"
                 "process_start_time_seconds %.3f\n"
                 "# HELP lianyi_process_start_time_seconds Start time of the process since the epoch.\n"
                 "# TYPE lianyi_process_start_time_seconds gauge\n"
                 "lianyi_process_start_time_seconds %.3f\n",
                 (long long)m->open, (unsigned long long)db_errors, (double)m->start_ms / 1000.0,
                 (double)m->start_ms / 1000.0);
  for (size_t i = 0; i < m->nsources; i++)
    m->sources[i].fn(m->sources[i].ud, &o);
  *text = o.buf;
  *len = o.len;
  return 0;
}

/* GET /metrics */
int h_metrics(struct ly_req *req, struct ly_resp *resp) {
  struct ly_server *srv = req->srv;
  char *text;
  size_t len;

  int rc = metrics_render(srv->metrics, srv->db ? ly_db_error_count(srv->db) : 0, &text, &len);
  if (rc != 0) return rc;
  resp->status = 200;
  resp->raw = text;
  resp->raw_len = len;
  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  return 0;
}
