/* server/listener.c — the listening socket, owned by us rather than lws.
 *
 * lws 4.1 can only stop listening through lws_context_deprecate(), which
 * touches the listen wsi after freeing it (a crash under ASan). So the vhost
 * is created without a listener (CONTEXT_PORT_NO_LISTEN_SERVER), the socket
 * is bound here and watched as a raw descriptor in the same loop, and every
 * accepted connection is handed to lws as an HTTP (or HTTPS) connection.
 * Stopping is then just closing that one descriptor: new connections are
 * refused while the ones already accepted are served to the end.
 *
 * Limits (server/conn_limit.c): a connection over --max-connections is
 * closed at accept; one over --max-connections-per-ip is answered 503 (as
 * many again as the limit; past that closed at accept too). Refusals are
 * counted and logged at most once a second. When the process runs out of descriptors (EMFILE) a spare
 * one is given up to accept and close the waiting connection, so the
 * listening socket does not stay readable and spin the loop. At start the
 * soft open-file limit is raised towards --max-connections (up to the hard
 * limit); if it cannot reach it, the limit taken is what the descriptors
 * allow, and the log says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server.h"
#include "server/server_internal.h"

#define ACCEPT_BATCH 64
#define FD_RESERVE   64 /* descriptors kept for the database, logs, signals and the media sockets */

struct ly_listener {
  struct lws_vhost *vh;
  struct lws *wsi; /* the raw-file wsi watching the socket; NULL once closed */
  int port;
  int spare_fd;           /* given up on EMFILE to accept and close a connection */
  int64_t refused_log_ms; /* when a refusal was last logged (at most one line a second) */
  uint64_t refused_since; /* refusals not logged yet */
};

static int bind_one(const struct addrinfo *ai) {
  int one = 1, fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);

  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ai->ai_family == AF_INET6) {
    int v6only = 0; /* "[::]" also takes IPv4 */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
  }
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/* Bind host:port (host "" = every interface); the bound port in *port_out. */
static int open_socket(struct ly_server *srv, const char *host, int port, int *port_out) {
  struct addrinfo hints, *res = NULL;
  char service[16];
  int fd = -1, err = 0;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  snprintf(service, sizeof(service), "%d", port);
  int rc = getaddrinfo(host[0] ? host : NULL, service, &hints, &res);
  if (rc != 0) {
    LY_ERROR(&srv->log, "server.listen_failed", "cannot resolve %s: %s", host, gai_strerror(rc));
    return -1;
  }
  /* Prefer IPv6 for the wildcard (dual stack); otherwise take the first that binds. */
  for (int pass = 0; pass < 2 && fd < 0; pass++) {
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
      if (!host[0] && pass == 0 && ai->ai_family != AF_INET6) continue;
      if ((fd = bind_one(ai)) < 0) err = errno;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    LY_ERROR(&srv->log, "server.listen_failed", "cannot listen on %s: %s", srv->cfg.listen, strerror(err));
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
  return fd;
}

/* A connection refused: count it; one log line a second at most. */
static void refused(struct ly_server *srv, struct ly_listener *l, const char *why) {
  int64_t now = ly_mono_ms(srv->clock);
  l->refused_since++;
  if (now - l->refused_log_ms < 1000) return;
  LY_WARN(&srv->log, "server.connection_refused", "%llu connection(s) refused (%s); %u open",
          (unsigned long long)l->refused_since, why, conn_limit_open(srv->conn_limit));
  l->refused_log_ms = now;
  l->refused_since = 0;
}

/* Out of descriptors: give up the spare one to take the waiting connection
 * off the queue and close it, then take the spare back. */
static void shed_one(struct ly_server *srv, struct ly_listener *l, int lfd) {
  if (l->spare_fd >= 0) close(l->spare_fd);
  int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (fd >= 0) close(fd);
  l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  conn_limit_refused_fds(srv->conn_limit);
  refused(srv, l, "out of file descriptors");
}

/* Hand fd to lws as an HTTP(S) connection holding slot; 0 or -1 (closed). */
static int adopt(struct ly_server *srv, struct ly_listener *l, int fd, void *slot) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  lws_sock_file_fd_type d;
  d.sockfd = fd;
  /* On failure lws closes fd itself. */
  struct lws *wsi = lws_adopt_descriptor_vhost(l->vh, LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP | LWS_ADOPT_ALLOW_SSL,
                                               d, NULL, NULL);
  if (wsi == NULL) {
    conn_limit_release(srv->conn_limit, slot);
    refused(srv, l, "lws could not take it");
    return -1;
  }
  lws_set_opaque_user_data(wsi, slot); /* back in listener_wsi_destroyed() */
  return 0;
}

static void accept_some(struct ly_server *srv, struct ly_listener *l, int lfd) {
  for (int i = 0; i < ACCEPT_BATCH && !srv->stopping; i++) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE)
        shed_one(srv, l, lfd);
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        LY_WARN(&srv->log, "server.accept_failed", "accept: %s", strerror(errno));
      return;
    }
    void *slot = NULL;
    int rc = conn_limit_admit(srv->conn_limit, (struct sockaddr *)&peer, &slot);
    if (rc != 0) refused(srv, l, rc == LY_ERATE ? "--max-connections-per-ip" : "--max-connections");
    if (slot == NULL) {
      close(fd);
      continue;
    }
    adopt(srv, l, fd, slot); /* one admitted "over" is answered 503 (server/http.c) */
  }
}

void listener_wsi_destroyed(struct ly_server *srv, struct lws *wsi) {
  void *slot = lws_get_opaque_user_data(wsi);
  if (slot == NULL || srv == NULL) return;
  lws_set_opaque_user_data(wsi, NULL);
  conn_limit_release(srv->conn_limit, slot);
}

int listener_wsi_over(struct lws *wsi) {
  return conn_limit_over(lws_get_opaque_user_data(wsi));
}

/* Raise the soft open-file limit towards want; the connections it allows. */
static uint32_t fit_fd_limit(struct ly_server *srv, uint32_t want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return want;
  rlim_t need = (rlim_t)want + FD_RESERVE;
  if (rl.rlim_cur < need && rl.rlim_cur != RLIM_INFINITY) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) return want;
  uint32_t fit = rl.rlim_cur > 2 * FD_RESERVE ? (uint32_t)(rl.rlim_cur - FD_RESERVE) : FD_RESERVE;
  ly_log(&srv->log, fit >= want / 10 * 9 ? LY_LOG_INFO : LY_LOG_WARN, "server.fd_limit",
          "the open-file limit is %llu: at most %u connections instead of --max-connections %u (raise "
          "`ulimit -n` or LimitNOFILE)",
          (unsigned long long)rl.rlim_cur, fit, want);
  return fit;
}

static int listen_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len) {
  struct ly_server *srv = lws_context_user(lws_get_context(wsi));
  struct ly_listener *l = srv ? srv->listener : NULL;

  if (l == NULL) return 0;
  switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
      accept_some(srv, l, lws_get_socket_fd(wsi));
      return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (l->wsi == wsi) l->wsi = NULL;
      return 0;
    default:
      return 0;
  }
}

static const struct lws_protocols listen_protocol = {
    .name = "lianyi-listen",
    .callback = listen_callback,
};

const struct lws_protocols *listener_protocol(void) {
  return &listen_protocol;
}

void listener_fit_fd_limit(struct ly_server *srv) {
  srv->cfg.max_connections = fit_fd_limit(srv, (uint32_t)srv->cfg.max_connections);
}

int listener_open(struct ly_server *srv, struct lws_vhost *vh, const char *host, int port) {
  struct ly_listener *l = calloc(1, sizeof(*l));
  lws_sock_file_fd_type d;

  if (l == NULL) return LY_ENOMEM;
  l->vh = vh;
  l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  srv->listener = l;
  int rc =
      conn_limit_init(srv, (uint32_t)srv->cfg.max_connections, (uint32_t)srv->cfg.max_connections_per_ip);
  if (rc != 0) return rc;
  d.filefd = open_socket(srv, host, port, &l->port);
  if (d.filefd < 0) return LY_EIO;
  l->wsi = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, d, listen_protocol.name, NULL);
  if (l->wsi == NULL) {
    LY_ERROR(&srv->log, "server.listen_failed", "cannot watch the listening socket");
    return LY_EIO;
  }
  srv->listen_port = l->port;
  return 0;
}

void listener_stop(struct ly_server *srv) {
  struct ly_listener *l = srv->listener;

  if (l != NULL && l->wsi != NULL) {
    struct lws *w = l->wsi;
    l->wsi = NULL;
    lws_set_timeout(w, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_SYNC); /* closes the socket */
  }
}

void listener_close(struct ly_server *srv) {
  if (srv->listener != NULL && srv->listener->spare_fd >= 0) close(srv->listener->spare_fd);
  free(srv->listener);
  srv->listener = NULL;
  conn_limit_close(srv->conn_limit);
  srv->conn_limit = NULL;
}
