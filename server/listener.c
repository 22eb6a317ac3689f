/* server/listener.c — the listening socket, owned by us rather than lws.
 *
 * lws 4.1 can only stop listening through lws_context_deprecate(), which
 * touches the listen wsi after freeing it (a crash under ASan). So the vhost
 * is created without a listener (CONTEXT_PORT_NO_LISTEN_SERVER), the socket
 * is bound here and watched as a raw descriptor in the same loop, and every
 * accepted connection is handed to lws as an HTTP (or HTTPS) connection.
 * Stopping is then just closing that one descriptor: new connections are
 * refused while the ones already accepted are served to the end.
 */
#include <errno.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server.h"
#include "server/server_internal.h"

#define ACCEPT_BATCH 64

struct ly_listener {
  struct lws_vhost *vh;
  struct lws *wsi; /* the raw-file wsi watching the socket; NULL once closed */
  int port;
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

static void accept_some(struct ly_server *srv, struct ly_listener *l, int lfd) {
  for (int i = 0; i < ACCEPT_BATCH && !srv->stopping; i++) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        LY_WARN(&srv->log, "server.accept_failed", "accept: %s", strerror(errno));
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    lws_sock_file_fd_type d;
    d.sockfd = fd;
    /* On failure (e.g. --max-connections reached) lws closes fd itself. */
    if (lws_adopt_descriptor_vhost(l->vh, LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP | LWS_ADOPT_ALLOW_SSL, d, NULL,
                                   NULL) == NULL)
      LY_WARN(&srv->log, "server.connection_refused", "could not take a new connection (limit reached?)");
  }
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

int listener_open(struct ly_server *srv, struct lws_vhost *vh, const char *host, int port) {
  struct ly_listener *l = calloc(1, sizeof(*l));
  lws_sock_file_fd_type d;

  if (l == NULL) return LY_ENOMEM;
  l->vh = vh;
  srv->listener = l;
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
  free(srv->listener);
  srv->listener = NULL;
}
