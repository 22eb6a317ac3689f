/* server/metrics.h — Prometheus metrics (GET /metrics, text format 0.0.4).
 *
 * Fixed-capacity tables, owned by the service thread: request counters by
 * (route, method, status), a latency histogram per route, open connections,
 * plus any number (up to LY_METRICS_SOURCES_MAX) of sources registered by
 * other folders (media stats, signalling rooms) that append their own text.
 * Series beyond a table's capacity are folded into route="other".
 */
#ifndef LY_METRICS_H
#define LY_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct ly_metrics;

#define LY_METRICS_OUT_MAX     (1024 * 1024)
#define LY_METRICS_SOURCES_MAX 8

/* A bounded text buffer the renderers append to. */
struct ly_metrics_out {
  char *buf;
  size_t len, cap;
  int overflow; /* set when something did not fit; the text is then cut */
};
void metrics_printf(struct ly_metrics_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef void (*ly_metrics_source)(void *ud, struct ly_metrics_out *out);

/* start_wall_ms: the process start time (UTC ms). 0 or LY_ENOMEM. */
int metrics_init(int64_t start_wall_ms, struct ly_metrics **out);
void metrics_close(struct ly_metrics *m);

/* One answered request. route and method must be static strings. */
void metrics_http(struct ly_metrics *m, const char *route, const char *method, int status,
                  int64_t duration_us);
/* Open connections gauge: +1 / -1. */
void metrics_connections(struct ly_metrics *m, int delta);
/* Add a source; LY_ETOOBIG when the table is full. */
int metrics_add_source(struct ly_metrics *m, ly_metrics_source fn, void *ud);
/* The whole exposition into a malloc'd buffer (caller frees). db_errors is
 * ly_db_error_count() of the server's connection. 0 or LY_ENOMEM. */
int metrics_render(const struct ly_metrics *m, uint64_t db_errors, char **text, size_t *len);

#endif
