/* server/server.h — the one server context, made in main() and passed to
 * everything that runs on the service thread. There are no other process
 * globals: signal handling goes through a signalfd adopted into the lws loop.
 */
#ifndef LY_SERVER_H
#define LY_SERVER_H

#include <stdint.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"

struct lws_context;
struct ly_db;
struct ly_metrics;
struct ly_auth;
struct ly_jobs;
struct ly_loop;
struct ly_http;
struct ly_listener;
struct ly_conn_limit;
struct ly_offload;
struct media;
struct sig;

/* Everything configurable (see server/options.c for the table, --help). */
struct ly_config {
  char listen[LY_OPT_STR_MAX];   /* HOST:PORT, default 127.0.0.1:8080 */
  char data[LY_OPT_STR_MAX];     /* data directory, default ./data */
  char web_root[LY_OPT_STR_MAX]; /* static files, default: web/ beside the binary's source */
  char tls_cert[LY_OPT_STR_MAX];
  char tls_key[LY_OPT_STR_MAX];
  char master_key[LY_OPT_STR_MAX]; /* 64 hex chars; else data/master.key is made/read */
  char log_level[LY_OPT_STR_MAX];
  char config[LY_OPT_STR_MAX];  /* the config file itself */
  int demo;                     /* create the demo district when the data dir is empty */
  int64_t session_ttl_s;        /* default 43200 (12 h) */
  int64_t max_body;             /* bytes, default 1 MiB */
  int64_t max_connections;      /* default 20000 */
  int64_t max_connections_per_ip; /* 0: no per-address limit (server/conn_limit.c) */
  int64_t resume_window_ms;     /* signalling: a dropped socket may resume this long (30000) */
  int64_t followup_window_days; /* online follow-up needs an offline diagnosis this recent (365) */
  int64_t dispatch_deadline_s;  /* a pharmacy must claim a dispatched prescription within this (7200) */
  int64_t billing_interval_ms;  /* the billing job runs this often (10000; server/billing.h) */

  /* the media relay (server/relay.c) */
  int64_t media_workers;         /* worker threads; 0 = one per CPU */
  int64_t media_port;            /* UDP port of worker 0 (worker i: +i); 0 = free ports */
  char media_ip[LY_OPT_STR_MAX]; /* address in ICE candidates; "" = from the listen address */
  int64_t max_video_kbps;        /* REMB / b=AS cap for publishers (1200) */
  int64_t weak_link_loss_pct;    /* weak links (docs/operations.md): video loss above this % ... (10) */
  int64_t weak_link_stop_ms;     /* ... for this long pauses a subscriber's video (5000) */
  int64_t weak_link_recover_pct; /* audio loss under this % ... (2) */
  int64_t weak_link_recover_ms;  /* ... for this long resumes it (10000) */
};

struct ly_server {
  struct ly_config cfg;
  struct ly_logger log;
  const struct ly_clock *clock;
  struct ly_keys keys;
  struct ly_db *db;
  struct lws_context *lws;
  struct ly_loop *loop;             /* the event loop under lws (server/loop.c) */
  struct ly_metrics *metrics;
  struct ly_auth *auth;
  struct ly_jobs *jobs; /* periodic jobs (server/jobs.c) */
  int64_t started_mono_ms;
  int stopping;                 /* set on SIGTERM/SIGINT; the loop drains and exits */
  int listen_port;              /* the port actually bound (for --listen :0) */
  struct ly_http *http;         /* the HTTP layer's state (server/http.c) */
  struct ly_listener *listener; /* the listening socket (server/listener.c) */
  struct ly_conn_limit *conn_limit; /* open connections and their limits (server/conn_limit.c) */
  struct ly_offload *offload;       /* CPU work off the service thread (server/offload.c) */
  struct sig *sig;              /* WebSocket signalling (signalling/sig.h) */
  int notices_started;          /* the notice relay has read where to start (server/notices.c) */
  int64_t notices_pushed;       /* the last rx_notices id it pushed */
  struct media *media;          /* the media relay (media/media.h, started by server/relay.c) */
};

/* Build the context from argv of `lianyi serve …`, open the data directory
 * and the database (migrating, and seeding the demo when asked), and bind.
 * Returns 0 or an LY_E* code with a message already logged; returns 1 when
 * `--help` was asked for (the help is printed on stdout, nothing is opened). */
int server_init(struct ly_server *srv, int argc, char **argv, int first);
/* Run the service loop until SIGTERM/SIGINT, then drain and return 0. */
int server_run(struct ly_server *srv);
/* Free everything server_init made; safe on a partly initialised context. */
void server_close(struct ly_server *srv);

#endif
