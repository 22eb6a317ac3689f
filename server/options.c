/* server/options.c — every setting of `lianyi serve`, as one table.
 *
 * Each row gives a flag (--listen), an environment variable (LIANYI_LISTEN)
 * and a config-file key (listen = …); core/config.c applies the precedence
 * flags > environment > config file > default and prints --help from the
 * same rows, so the help can never miss an option.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "server/server.h"
#include "server/server_internal.h"

extern char **environ;

#define STR(field, name, def, metavar, help) \
  { name, LY_OPT_STRING, offsetof(struct ly_config, field), def, 0, 0, metavar, help }
#define INT(field, name, def, lo, hi, metavar, help) \
  { name, LY_OPT_INT, offsetof(struct ly_config, field), def, lo, hi, metavar, help }
#define BOOL(field, name, help) \
  { name, LY_OPT_BOOL, offsetof(struct ly_config, field), "0", 0, 1, NULL, help }

const struct ly_opt server_opts[] = {
    STR(listen, "listen", "127.0.0.1:8080", "HOST:PORT",
        "Address to listen on; port 0 picks a free port. Without TLS only loopback "
        "(127.0.0.0/8, ::1, localhost) is allowed."),
    STR(data, "data", "./data", "DIR", "Data directory (created 0700): lianyi.db, master.key, recordings."),
    STR(web_root, "web-root", NULL, "DIR",
        "Directory of the web app served for every path outside /api and /ws "
        "(default: ../web beside the executable if present, else ./web)."),
    BOOL(demo, "demo", "Create the demo district when the database has no accounts; print the demo logins."),
    STR(tls_cert, "tls-cert", NULL, "FILE",
        "TLS certificate chain (PEM). With --tls-key: HTTPS/WSS, TLS >= 1.2, HSTS."),
    STR(tls_key, "tls-key", NULL, "FILE", "TLS private key (PEM)."),
    STR(log_level, "log-level", "info", "LEVEL", "debug | info | warn | error | off (JSON lines on stderr)."),
    STR(master_key, "master-key", NULL, "HEX",
        "64 hex characters: the key for encrypted columns and signing keys. Default: DATA/master.key, "
        "made on first start. Prefer the environment variable to the flag."),
    STR(config, "config", NULL, "FILE", "Config file of `name = value` lines (same names as the flags)."),
    INT(session_ttl_s, "session-ttl-s", "43200", 1, 30LL * 24 * 3600, "N",
        "Lifetime of a login session in seconds."),
    INT(max_body, "max-body", "1048576", 1024, 64LL * 1024 * 1024, "BYTES",
        "Largest request body accepted; larger ones get 413."),
    INT(max_connections, "max-connections", "20000", 16, 1000000, "N",
        "Most simultaneous connections (HTTP and WebSocket); more are closed at accept. Raised against the "
        "open-file limit at start."),
    INT(max_connections_per_ip, "max-connections-per-ip", "0", 0, 1000000, "N",
        "Most simultaneous connections from one address; 0 = no limit. More get 503 "
        "http.too_many_connections. Set it when clients are not behind a shared address (a proxy, a "
        "hospital NAT, a mobile carrier's CGNAT)."),
    INT(resume_window_ms, "resume-window-ms", "30000", 100, 600000, "MS",
        "How long a participant whose WebSocket dropped may resume (rooms, queue place, missed events)."),
    INT(followup_window_days, "followup-window-days", "365", 1, 3650, "DAYS",
        "An online follow-up needs a verified offline diagnosis of the same condition this recent."),
    INT(dispatch_deadline_s, "dispatch-deadline-s", "7200", 1, 7LL * 24 * 3600, "SECONDS",
        "How long a pharmacy has to claim a prescription dispatched to it before it lapses back to the patient."),
    INT(billing_interval_ms, "billing-interval-ms", "10000", 50, 3600000, "MS",
        "How often the billing job bills ended consultations and completed dispenses to insurance, and "
        "reverses the claims of returned dispenses."),
    INT(media_workers, "media-workers", "0", 0, 256, "N",
        "Media relay worker threads, each with its own UDP port; 0 = one per CPU."),
    INT(media_port, "media-port", "0", 0, 65535, "PORT",
        "UDP port of media worker 0; worker i uses PORT+i. 0 picks free ports (development); "
        "in production set it and open PORT..PORT+N-1 in the firewall."),
    STR(media_ip, "media-ip", NULL, "IP",
        "Address written into ICE candidates, where browsers send media (the public address behind NAT). "
        "Default: the listen address; 127.0.0.1 when listening on loopback or on every interface."),
    INT(max_video_kbps, "max-video-kbps", "1200", 100, 20000, "KBPS",
        "Most video bitrate a participant may send (REMB and b=AS to publishers)."),
    INT(weak_link_loss_pct, "weak-link-loss-pct", "10", 1, 100, "PCT",
        "Weak links: video loss (from a subscriber's receiver reports) above which its video is paused."),
    INT(weak_link_stop_ms, "weak-link-stop-ms", "5000", 100, 600000, "MS",
        "How long the video loss must stay above --weak-link-loss-pct before the subscriber gets audio only."),
    INT(weak_link_recover_pct, "weak-link-recover-pct", "2", 1, 100, "PCT",
        "Audio loss under which a paused subscriber's video may resume."),
    INT(weak_link_recover_ms, "weak-link-recover-ms", "10000", 100, 600000, "MS",
        "How long the loss must stay under --weak-link-recover-pct before the video resumes."),
};
const size_t server_nopts = sizeof(server_opts) / sizeof(server_opts[0]);

/* `lianyi audit verify` needs only where the data is. */
static const struct ly_opt audit_opts[] = {
    STR(data, "data", "./data", "DIR", "Data directory holding lianyi.db."),
    STR(config, "config", NULL, "FILE", "Config file of `name = value` lines."),
    STR(log_level, "log-level", "warn", "LEVEL", "debug | info | warn | error | off."),
};

/* Tools that read the data (`lianyi import diagnoses`): the data directory
 * and the master key, then their own positional arguments. */
static const struct ly_opt tool_opts[] = {
    STR(data, "data", "./data", "DIR", "Data directory holding lianyi.db."),
    STR(master_key, "master-key", NULL, "HEX", "64 hex characters; default DATA/master.key."),
    STR(config, "config", NULL, "FILE", "Config file of `name = value` lines."),
    STR(log_level, "log-level", "warn", "LEVEL", "debug | info | warn | error | off."),
};

static const char serve_usage[] =
    "Usage: lianyi serve [options]\n"
    "\n"
    "Runs the Lianyi server: REST API under /api/v1, WebSocket signalling on /ws,\n"
    "the web app, /healthz and /metrics. Stops cleanly on SIGTERM or SIGINT.\n"
    "Settings come from flags, then LIANYI_* environment variables, then the\n"
    "config file, then the defaults below.\n";

static const char audit_usage[] =
    "Usage: lianyi audit verify [options]\n"
    "\n"
    "Recomputes the audit chain; prints `OK: N entries` (exit 0) or\n"
    "`BROKEN: first bad entry seq=S` (exit 1).\n";

/* <dir of the executable>/../web when it exists, else ./web. */
static void default_web_root(char *out, size_t outsz) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  struct stat st;

  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL) {
      *slash = '\0';
      char cand[PATH_MAX];
      int len = snprintf(cand, sizeof(cand), "%s/../web", exe);
      if (len > 0 && (size_t)len < sizeof(cand) && (size_t)len < outsz && stat(cand, &st) == 0 &&
          S_ISDIR(st.st_mode)) {
        memcpy(out, cand, (size_t)len + 1);
        return;
      }
    }
  }
  snprintf(out, outsz, "./web");
}

static int load_table(const struct ly_opt *opts, size_t n, struct ly_config *cfg, int argc, char **argv,
                      int first, int *help, struct ly_error *e) {
  int next = argc;

  memset(cfg, 0, sizeof(*cfg));
  int rc = ly_config_load(opts, n, cfg, argc, argv, first, environ, &next, help, e);
  if (rc != 0) return rc;
  if (help != NULL && *help) return 0;
  if (next < argc)
    return ly_error_setf(e, LY_EINVAL, "config.unexpected_argument", "unexpected argument '%s'", argv[next]);
  return 0;
}

int options_load(struct ly_config *cfg, int argc, char **argv, int first, int *help, struct ly_error *e) {
  int rc = load_table(server_opts, server_nopts, cfg, argc, argv, first, help, e);
  if (rc != 0 || (help != NULL && *help)) return rc;
  if (cfg->web_root[0] == '\0') default_web_root(cfg->web_root, sizeof(cfg->web_root));
  return 0;
}

int options_load_audit(struct ly_config *cfg, int argc, char **argv, int first, int *help,
                       struct ly_error *e) {
  return load_table(audit_opts, sizeof(audit_opts) / sizeof(audit_opts[0]), cfg, argc, argv, first, help, e);
}

int options_load_tool(struct ly_config *cfg, int argc, char **argv, int first, int *next_arg, int *help,
                      struct ly_error *e) {
  memset(cfg, 0, sizeof(*cfg));
  *next_arg = argc;
  return ly_config_load(tool_opts, sizeof(tool_opts) / sizeof(tool_opts[0]), cfg, argc, argv, first, environ,
                        next_arg, help, e);
}

void options_help(FILE *out) {
  ly_config_help(out, serve_usage, server_opts, server_nopts);
}

void options_help_audit(FILE *out) {
  ly_config_help(out, audit_usage, audit_opts, sizeof(audit_opts) / sizeof(audit_opts[0]));
}
