/* server/server_internal.h — what the files of server/ share with each other
 * and nobody else (options, the HTTP layer's lifecycle, static files, query
 * encoding). Other folders use server.h, http.h, auth.h and metrics.h.
 */
#ifndef LY_SERVER_INTERNAL_H
#define LY_SERVER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/err.h"

struct ly_server;
struct ly_config;
struct ly_http;
struct lws;
struct lws_protocols;
struct lws_vhost;

/* --- options.c: the ly_opt table of struct ly_config --------------------- */
extern const struct ly_opt server_opts[];
extern const size_t server_nopts;
/* Load argv[first..) + environment + config file into cfg (defaults first).
 * *help is set when --help was given. 0 or LY_EINVAL with e filled. */
int options_load(struct ly_config *cfg, int argc, char **argv, int first, int *help, struct ly_error *e);
/* The `lianyi serve --help` text. */
void options_help(FILE *out);
/* The same two for `lianyi audit verify` (data, config, log-level). */
int options_load_audit(struct ly_config *cfg, int argc, char **argv, int first, int *help,
                       struct ly_error *e);
void options_help_audit(FILE *out);
/* For tools: data, master-key, config, log-level flags, then positional
 * arguments from *next_arg on. */
int options_load_tool(struct ly_config *cfg, int argc, char **argv, int first, int *next_arg, int *help,
                      struct ly_error *e);
/* A context for a command-line tool: options from argv[first..), logging,
 * the master key and the database — no network. *next_arg is the first
 * positional argument. 0, 1 (--help printed) or an LY_E* code (logged). */
int server_open_tool(struct ly_server *srv, const char *tool, int argc, char **argv, int first,
                     int *next_arg);

/* --- http.c: the lws protocol of the HTTP layer -------------------------- */
/* The layer's state; srv->http. 0 or LY_ENOMEM/LY_EIO (web root missing). */
int http_init(struct ly_server *srv);
void http_close(struct ly_server *srv);
/* The protocol to list first on the vhost (it receives every HTTP request). */
const struct lws_protocols *http_protocol(void);
/* Stop accepting, then serve until no request is in flight or max_ms has
 * passed (SIGTERM path; idle keep-alive connections are simply closed). */
void http_drain(struct ly_server *srv, int64_t max_ms);
/* Requests received and not yet fully answered. */
unsigned http_inflight(const struct ly_server *srv);
/* The resolved web root (realpath), for static.c. */
const char *http_web_root(const struct ly_server *srv);

/* --- loop.c: the service loop (libev, epoll) under lws ------------------- */
struct lws_context_creation_info;
/* Make the loop and point the lws context options at it (before
 * lws_create_context). 0, LY_ENOMEM or LY_EIO (logged). */
int loop_create(struct ly_server *srv, struct lws_context_creation_info *info);
/* One turn: wait for at least one event and handle what is ready. */
void loop_run_once(struct ly_server *srv);
/* Free the loop (after lws_context_destroy). */
void loop_destroy(struct ly_server *srv);

/* --- jobs.c: periodic jobs on the service loop (lws_sul timers) --------- */
/* Schedule every job of the table (after the lws context exists). */
int jobs_start(struct ly_server *srv);
/* Cancel them (before lws_context_destroy). */
void jobs_stop(struct ly_server *srv);

/* --- listener.c: our own listening socket, accepted into lws ------------ */
const struct lws_protocols *listener_protocol(void);
/* Before the lws context is made (lws sizes its descriptor table from the
 * limit then): raise the soft open-file limit towards --max-connections and
 * lower cfg.max_connections to what the descriptors allow (logged). */
void listener_fit_fd_limit(struct ly_server *srv);
/* Bind host:port (srv->listen_port gets the real port) and start accepting
 * into vh. 0 or LY_EIO/LY_ENOMEM with the reason logged. */
int listener_open(struct ly_server *srv, struct lws_vhost *vh, const char *host, int port);
/* Close the listening socket: new connections are refused from now on. */
void listener_stop(struct ly_server *srv);
/* Free the state (after lws_context_destroy). */
void listener_close(struct ly_server *srv);
/* LWS_CALLBACK_WSI_DESTROY (protocols[0], server/http.c): an accepted
 * connection is gone; its place under the connection limits is free. */
void listener_wsi_destroyed(struct ly_server *srv, struct lws *wsi);
/* 1 when wsi's address is over --max-connections-per-ip: answer it 503
 * http.too_many_connections and close (server/http.c). */
int listener_wsi_over(struct lws *wsi);
/* server/http.c, as struct sig_host's upgrade_refused (ud: the server): a
 * WebSocket upgrade from an address over its limit is answered 503 (1);
 * 0 lets it go on, -1 hangs up. */
int http_upgrade_refused(void *ud, struct lws *wsi);

/* --- tls.c: the certificate --------------------------------------------- */
/* SIGHUP: load --tls-cert/--tls-key again for new handshakes (open
 * connections keep theirs). A pair that does not check out is refused and
 * logged, and the old certificate stays. 0, LY_EINVAL or LY_EIO. */
int tls_reload(struct ly_server *srv);

/* --- offload.c: CPU-heavy work off the service thread --------------------- */
/* A job, owned by its submitter's code: embed it first in a struct of your
 * own, set work and done, submit it. work runs on the worker thread and may
 * touch only the job's own data; done runs afterwards on the service thread
 * and frees the job. At shutdown done runs with cancelled set (work may not
 * have run): free, answer nobody. */
struct ly_offload_job {
  void (*work)(struct ly_offload_job *j);
  void (*done)(struct ly_server *srv, struct ly_offload_job *j);
  int cancelled;
  struct ly_offload_job *next;
};
const struct lws_protocols *offload_protocol(void);
/* The worker thread and its wake-up, watched in vh. 0 or LY_ENOMEM/LY_EIO (logged). */
int offload_start(struct ly_server *srv, struct lws_vhost *vh);
/* 1 when a job would be taken now, 0 when the queue is full, -1 when there
 * is no worker thread (submit would run the job on the spot). */
int offload_room(const struct ly_server *srv);
/* Queue j: 0, or LY_EAGAIN when too many jobs wait (j untouched). Without
 * a worker (tools, tests) j runs at once, work then done. */
int offload_submit(struct ly_server *srv, struct ly_offload_job *j);
/* Join the worker; cancel what is left (done with cancelled set). */
void offload_stop(struct ly_server *srv);

/* --- conn_limit.c: open connections, in all and per peer address ---------- */
struct ly_conn_limit;
struct sockaddr;
/* Room for max_connections (at most per_ip from one address; 0: no such
 * limit) in srv->conn_limit, with a /metrics source. 0 or LY_ENOMEM. */
int conn_limit_init(struct ly_server *srv, uint32_t max_connections, uint32_t per_ip);
void conn_limit_close(struct ly_conn_limit *l);
/* May a connection from peer be taken? 0 with *slot (give it back with
 * conn_limit_release); LY_EAGAIN (all taken); LY_ERATE over the per-address
 * limit: with *slot when it is admitted only to be answered 503 (up to as
 * many again; conn_limit_over says so later), else with *slot untouched. */
int conn_limit_admit(struct ly_conn_limit *l, const struct sockaddr *peer, void **slot);
/* 1 when slot was admitted over its address's limit. */
int conn_limit_over(const void *slot);
void conn_limit_release(struct ly_conn_limit *l, void *slot);
/* Count a connection refused for want of file descriptors. */
void conn_limit_refused_fds(struct ly_conn_limit *l);
uint32_t conn_limit_open(const struct ly_conn_limit *l);

/* --- static.c: files under cfg.web_root ---------------------------------- */
/* Resolve a request path to a regular file inside root (realpath'd). 0 with
 * the file's path, content type and cache policy; LY_ENOTFOUND (also for
 * traversal attempts, hidden files and directories). */
int static_resolve(const char *root, const char *path, char *file, size_t filesz, const char **ctype,
                   const char **cache_control);
/* 1 when path belongs to the static tree (not /api, not /ws, not /metrics…). */
int static_path(const char *path);

/* --- resp.c: query strings ------------------------------------------------ */
/* Decode %XX and '+' of s[0..n) into out; LY_ETOOBIG, LY_EPARSE (a NUL). */
int query_decode(const char *s, size_t n, char *out, size_t outsz);
/* Append "name=value" (a decoded lws URI-args fragment, split at its first
 * '=') percent-encoded to out at *off, with '&' between pairs. */
int query_append_pair(char *out, size_t outsz, size_t *off, const char *pair);

#endif
