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
/* Bind host:port (srv->listen_port gets the real port) and start accepting
 * into vh. 0 or LY_EIO/LY_ENOMEM with the reason logged. */
int listener_open(struct ly_server *srv, struct lws_vhost *vh, const char *host, int port);
/* Close the listening socket: new connections are refused from now on. */
void listener_stop(struct ly_server *srv);
/* Free the state (after lws_context_destroy). */
void listener_close(struct ly_server *srv);

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
