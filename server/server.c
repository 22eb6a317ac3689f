/* server/server.c — the server context: configuration, data directory,
 * master key, database, the lws context and its one vhost, signals.
 *
 * SIGTERM, SIGINT and SIGHUP are blocked in every thread and read from a
 * signalfd that the lws loop watches like any other descriptor, so they are
 * handled on the service thread. SIGHUP loads the TLS certificate again
 * (server/tls.c). On SIGTERM/SIGINT: stop accepting, let in-flight requests
 * finish (bounded), close connections, then close the database (which
 * checkpoints the WAL). A second signal during the drain changes nothing;
 * SIGKILL is what the durability tests use for a crash.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/db.h"
#include "core/ids.h"
#include "server/auth.h"
#include "server/demo.h"
#include "server/handlers.h"
#include "server/metrics.h"
#include "server/relay.h"
#include "server/server_internal.h"
#include "signalling/sig.h"

#define DRAIN_MAX_MS 10000
#define HOST_MAX     256

/* --- lws logging into our JSON lines ------------------------------------- */

static void lws_log_emit(int level, const char *line) {
  struct ly_logger lg;
  size_t n = strlen(line);

  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    n--;
  ly_logger_init(&lg, 2, LY_LOG_DEBUG, ly_clock_system());
  ly_log(&lg, level == LLL_ERR ? LY_LOG_ERROR : LY_LOG_WARN, "lws", "%.*s", (int)n, line);
}

/* --- the listen address ---------------------------------------------------- */

/* "HOST:PORT", "[v6]:PORT" or ":PORT" → host (empty: every interface), port. */
static int parse_listen(const char *s, char *host, size_t hostsz, int *port) {
  const char *colon;
  size_t hl;

  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (close == NULL || close[1] != ':') return LY_EINVAL;
    hl = (size_t)(close - s - 1);
    s++;
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (colon == NULL) return LY_EINVAL;
    hl = (size_t)(colon - s);
  }
  if (hl >= hostsz) return LY_EINVAL;
  memcpy(host, s, hl);
  host[hl] = '\0';
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535) return LY_EINVAL;
  *port = (int)p;
  return 0;
}

static int is_loopback(const char *host) {
  struct in_addr a4;
  struct in6_addr a6;

  if (strcmp(host, "localhost") == 0) return 1;
  if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, host, &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  return 0;
}

/* Settings that must hold before anything is created on disk. */
static int check_config(struct ly_server *srv, char *host, size_t hostsz, int *port) {
  struct ly_config *c = &srv->cfg;
  int tls = c->tls_cert[0] != '\0';

  if (parse_listen(c->listen, host, hostsz, port) != 0) {
    LY_ERROR(&srv->log, "config.invalid", "--listen must be HOST:PORT (got '%s')", c->listen);
    return LY_EINVAL;
  }
  if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0')) {
    LY_ERROR(&srv->log, "config.invalid", "--tls-cert and --tls-key must be given together");
    return LY_EINVAL;
  }
  if (!tls && !is_loopback(host)) {
    LY_ERROR(&srv->log, "config.insecure_listen",
             "refusing to serve plain HTTP on '%s': without --tls-cert/--tls-key only a loopback address "
             "(127.0.0.0/8, ::1, localhost) is allowed",
             host[0] ? host : "every interface");
    return LY_EINVAL;
  }
  return 0;
}

/* --- data directory and master key ---------------------------------------- */

static int make_data_dir(struct ly_server *srv) {
  const char *d = srv->cfg.data;
  struct stat st;

  if (mkdir(d, 0700) != 0 && errno != EEXIST) {
    LY_ERROR(&srv->log, "data.mkdir_failed", "cannot create data directory %s: %s", d, strerror(errno));
    return LY_EIO;
  }
  if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
    LY_ERROR(&srv->log, "data.not_a_directory", "%s is not a directory", d);
    return LY_EIO;
  }
  if (st.st_mode & 077) LY_WARN(&srv->log, "data.permissions", "data directory %s is readable by others", d);
  return 0;
}

static int data_path(const struct ly_server *srv, const char *name, char *out, size_t outsz) {
  int n = snprintf(out, outsz, "%s/%s", srv->cfg.data, name);
  return n < 0 || (size_t)n >= outsz ? LY_ETOOBIG : 0;
}

/* DATA/master.key: 32 raw bytes, made 0600 on first start. */
static int key_file(struct ly_server *srv, uint8_t key[32]) {
  char path[LY_OPT_STR_MAX + 32];
  int rc = data_path(srv, "master.key", path, sizeof(path));
  if (rc != 0) return rc;

  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ly_random_bytes(key, 32) != 0 || write(fd, key, 32) != 32 || fsync(fd) != 0) {
      LY_ERROR(&srv->log, "key.create_failed", "cannot create %s: %s", path, strerror(errno));
      if (fd >= 0) close(fd);
      return LY_EIO;
    }
    close(fd);
    LY_INFO(&srv->log, "key.created", "created a new master key in %s", path);
    return 0;
  }
  struct stat st;
  ssize_t n = fd >= 0 ? read(fd, key, 32) : -1;
  if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 077))
    LY_WARN(&srv->log, "key.permissions", "%s is readable by others; chmod 600 it", path);
  if (fd >= 0) close(fd);
  if (n != 32) {
    LY_ERROR(&srv->log, "key.unreadable", "cannot read 32 bytes from %s", path);
    return LY_EIO;
  }
  return 0;
}

static int load_keys(struct ly_server *srv) {
  uint8_t key[32];
  const char *hex = srv->cfg.master_key;
  int rc;

  if (hex[0] != '\0') {
    rc = strlen(hex) == 64 ? ly_hex_decode(hex, 64, key, sizeof(key)) : LY_EPARSE;
    if (rc != 0)
      LY_ERROR(&srv->log, "key.invalid",
               "the master key must be 64 hex characters (32 bytes); got %zu characters", strlen(hex));
  } else {
    rc = key_file(srv, key);
  }
  if (rc == 0) rc = ly_keys_derive(key, &srv->keys);
  memset(key, 0, sizeof(key));
  return rc;
}

/* --- database and demo ----------------------------------------------------- */

static int open_db(struct ly_server *srv) {
  char path[LY_OPT_STR_MAX + 32];
  struct ly_error e;

  ly_error_clear(&e);
  int rc = data_path(srv, "lianyi.db", path, sizeof(path));
  if (rc == 0) rc = ly_db_open(path, &srv->db, &e);
  if (rc != 0) LY_ERROR(&srv->log, "db.open_failed", "%s", e.message[0] ? e.message : ly_strerror(rc));
  return rc;
}

static int account_count(struct ly_server *srv, int64_t *n) {
  static const char sql[] = "SELECT count(*) FROM accounts";
  sqlite3_stmt *st = ly_db_stmt(srv->db, sql);
  if (st == NULL) return LY_EDB;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : ly_db_rc(srv->db, rc);
}

static int demo(struct ly_server *srv) {
  int64_t n = 0;
  int rc = account_count(srv, &n);

  if (rc != 0) return rc;
  if (n == 0) {
    LY_INFO(&srv->log, "demo.seeding", "creating the demo district");
    if ((rc = demo_seed(srv)) != 0) {
      LY_ERROR(&srv->log, "demo.failed", "demo seeding failed: %s", ly_strerror(rc));
      return rc;
    }
  }
  rc = demo_print_logins(stdout);
  fflush(stdout);
  return rc;
}

/* --- lws ------------------------------------------------------------------- */

static int signal_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len) {
  struct ly_server *srv = lws_context_user(lws_get_context(wsi));
  struct signalfd_siginfo si;

  if (reason != LWS_CALLBACK_RAW_RX_FILE) return 0;
  while (read(lws_get_socket_fd(wsi), &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    if (si.ssi_signo == SIGHUP) { /* a renewed certificate (server/tls.c) */
      if (!srv->stopping) tls_reload(srv);
      continue;
    }
    if (!srv->stopping) LY_INFO(&srv->log, "server.stopping", "signal %u: shutting down", si.ssi_signo);
    srv->stopping = 1;
  }
  return 0;
}

static const struct lws_protocols signal_protocol = {
    .name = "lianyi-signal",
    .callback = signal_callback,
};

/* Block SIGTERM/SIGINT/SIGHUP (inherited by every thread made later) and
 * watch them through a signalfd adopted into the loop. */
static int watch_signals(struct ly_server *srv, struct lws_vhost *vh) {
  sigset_t set;
  lws_sock_file_fd_type fd;

  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  fd.filefd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd.filefd < 0 ||
      lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, signal_protocol.name, NULL) == NULL) {
    LY_ERROR(&srv->log, "server.signalfd_failed", "cannot watch signals: %s", strerror(errno));
    return LY_EIO;
  }
  return 0;
}

static int create_lws(struct ly_server *srv, const char *host, int port) {
  const struct lws_protocols *protocols[7]; /* lws copies the table into the vhost */
  struct lws_context_creation_info info;
  int tls = srv->cfg.tls_cert[0] != '\0';

  protocols[0] = http_protocol();
  protocols[1] = &signal_protocol;
  protocols[2] = listener_protocol();
  protocols[3] = sig_protocol(srv->sig); /* WebSocket /ws: the default for upgrades (sig_vhost_options) */
  protocols[4] = relay_protocol();
  protocols[5] = offload_protocol();
  protocols[6] = NULL;
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
  listener_fit_fd_limit(srv); /* before lws sizes its descriptor table */

  memset(&info, 0, sizeof(info));
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | (tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
  info.user = srv;
  info.count_threads = 1;
  info.fd_limit_per_thread = (unsigned)srv->cfg.max_connections + 64;
  info.max_http_header_data = 8192;
  info.server_string = "lianyi";
  info.pt_serv_buf_size = 16384;
  int rc = loop_create(srv, &info);
  if (rc != 0) return rc;
  srv->lws = lws_create_context(&info);
  if (srv->lws == NULL) {
    LY_ERROR(&srv->log, "server.lws_failed", "cannot create the libwebsockets context");
    return LY_EIO;
  }

  memset(&info, 0, sizeof(info));
  info.vhost_name = "lianyi";
  info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* server/listener.c owns the socket */
  info.pprotocols = protocols;
  info.pvo = sig_vhost_options();
  info.user = srv;
  info.keepalive_timeout = 30;
  info.timeout_secs = 30;
  info.alpn = "http/1.1"; /* one HTTP/1.1 code path, also under TLS */
  if (tls) {
    info.ssl_cert_filepath = srv->cfg.tls_cert;
    info.ssl_private_key_filepath = srv->cfg.tls_key;
    info.ssl_options_set = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    /* TLS 1.2: forward-secret AEAD suites only (TLS 1.3 has nothing weaker) */
    info.ssl_cipher_list =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
    /* lws reads DO_SSL_GLOBAL_INIT from the vhost's options too */
    info.options |=
        LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_STS; /* STS: HSTS on every response */
  }
  struct lws_vhost *vh = lws_create_vhost(srv->lws, &info);
  if (vh == NULL) {
    LY_ERROR(&srv->log, "server.vhost_failed", "cannot create the server (TLS certificate or key unusable?)");
    return LY_EIO;
  }
  rc = watch_signals(srv, vh);
  if (rc == 0) rc = relay_adopt(srv, vh);
  if (rc == 0) rc = offload_start(srv, vh);
  /* Initialise the protocols now (lws would on its first service turn): the
   * "default" option that sends /ws upgrades to signalling is read there, and
   * our own listener may accept a connection before lws first services. */
  if (rc == 0 && lws_protocol_init(srv->lws) != 0) {
    LY_ERROR(&srv->log, "server.vhost_failed", "cannot initialise the server's protocols");
    rc = LY_EIO;
  }
  return rc ? rc : listener_open(srv, vh, host, port);
}

static void log_listening(struct ly_server *srv, const char *host) {
  json_t *f = json_pack("{s:s, s:i, s:b}", "host", host[0] ? host : "*", "port", srv->listen_port, "tls",
                        srv->cfg.tls_cert[0] != '\0');
  ly_log_fields(&srv->log, LY_LOG_INFO, "server.listening", f, "listening on %s port %d",
                host[0] ? host : "*", srv->listen_port);
  json_decref(f);
}

/* --- lifecycle -------------------------------------------------------------- */

static int init_logging(struct ly_server *srv) {
  enum ly_log_level level;

  if (ly_log_level_parse(srv->cfg.log_level, &level) != 0) {
    LY_ERROR(&srv->log, "config.invalid", "--log-level must be debug, info, warn, error or off");
    return LY_EINVAL;
  }
  ly_logger_init(&srv->log, 2, level, srv->clock);
  return 0;
}

int server_init(struct ly_server *srv, int argc, char **argv, int first) {
  struct ly_error e;
  char host[HOST_MAX];
  int help = 0, port = 0, rc;

  memset(srv, 0, sizeof(*srv));
  srv->clock = ly_clock_system();
  srv->started_mono_ms = ly_mono_ms(srv->clock);
  ly_logger_init(&srv->log, 2, LY_LOG_INFO, srv->clock);
  ly_error_clear(&e);
  if ((rc = options_load(&srv->cfg, argc, argv, first, &help, &e)) != 0) {
    fprintf(stderr, "lianyi serve: %s (see lianyi serve --help)\n", e.message);
    return rc;
  }
  if (help) {
    options_help(stdout);
    return 1;
  }
  if ((rc = init_logging(srv)) != 0 || (rc = check_config(srv, host, sizeof(host), &port)) != 0) return rc;
  signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  if ((rc = make_data_dir(srv)) != 0 || (rc = load_keys(srv)) != 0 || (rc = open_db(srv)) != 0) return rc;
  if ((rc = metrics_init(ly_now_ms(srv->clock), &srv->metrics)) != 0 ||
      (rc = auth_init(srv, &srv->auth)) != 0 || (rc = http_init(srv)) != 0)
    return rc;
  if (srv->cfg.demo && (rc = demo(srv)) != 0) return rc;
  if ((rc = relay_start(srv, host)) != 0 || (rc = h_consultations_ws_init(srv)) != 0) return rc;
  if ((rc = create_lws(srv, host, port)) != 0 || (rc = jobs_start(srv)) != 0) return rc;
  log_listening(srv, host);
  return 0;
}

int server_open_tool(struct ly_server *srv, const char *tool, int argc, char **argv, int first,
                     int *next_arg) {
  struct ly_error e;
  int help = 0, rc;

  memset(srv, 0, sizeof(*srv));
  srv->clock = ly_clock_system();
  ly_logger_init(&srv->log, 2, LY_LOG_WARN, srv->clock);
  ly_error_clear(&e);
  if ((rc = options_load_tool(&srv->cfg, argc, argv, first, next_arg, &help, &e)) != 0) {
    fprintf(stderr, "lianyi %s: %s\n", tool, e.message);
    return rc;
  }
  if (help) {
    fprintf(stdout, "Usage: lianyi %s [--data DIR] [--master-key HEX] ARGS…\n", tool);
    return 1;
  }
  if ((rc = init_logging(srv)) != 0 || (rc = load_keys(srv)) != 0 || (rc = open_db(srv)) != 0) return rc;
  return 0;
}

int server_run(struct ly_server *srv) {
  while (!srv->stopping) {
    loop_run_once(srv);
    ly_db_batch_commit(srv->db); /* group commit of this turn's requests (server/http.c) */
  }
  http_drain(srv, DRAIN_MAX_MS);
  return 0;
}

void server_close(struct ly_server *srv) {
  jobs_stop(srv);
  offload_stop(srv);
  if (srv->lws != NULL) lws_context_destroy(srv->lws);
  srv->lws = NULL;
  loop_destroy(srv);
  listener_close(srv);
  http_close(srv);
  h_consultations_ws_close(srv);
  relay_stop(srv);
  auth_close(srv->auth);
  srv->auth = NULL;
  metrics_close(srv->metrics);
  srv->metrics = NULL;
  if (srv->db != NULL) {
    ly_db_close(srv->db);
    LY_INFO(&srv->log, "server.stopped", "database closed");
  }
  srv->db = NULL;
  memset(&srv->keys, 0, sizeof(srv->keys));
}
