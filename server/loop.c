/* server/loop.c — the service loop: libwebsockets on a libev loop we own.
 *
 * lws's default loop calls poll() over every descriptor on every turn, so
 * with 10,000 idle WebSocket sessions each turn scans 10,000 entries: at a
 * few thousand messages per second that is most of a core. On libev with the
 * epoll backend a turn costs what is ready, not what is open. The loop is
 * "foreign" (ours, handed to lws) so that we run it one turn at a time and
 * commit the database batch after each turn (group commit, server/http.c).
 */
#include <ev.h>
#include <libwebsockets.h>
#include <stdlib.h>

#include "server/server.h"
#include "server/server_internal.h"

struct ly_loop {
  struct ev_loop *ev;
  void *foreign[1]; /* lws reads one loop per service thread */
};

int loop_create(struct ly_server *srv, struct lws_context_creation_info *info) {
  struct ly_loop *l = calloc(1, sizeof(*l));
  if (l == NULL) return LY_ENOMEM;
  l->ev = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
  if (l->ev == NULL) l->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
  if (l->ev == NULL) {
    free(l);
    LY_ERROR(&srv->log, "server.loop_failed", "cannot create the event loop");
    return LY_EIO;
  }
  l->foreign[0] = l->ev;
  info->options |= LWS_SERVER_OPTION_LIBEV;
  info->foreign_loops = l->foreign;
  srv->loop = l;
  return 0;
}

void loop_run_once(struct ly_server *srv) {
  ev_run(srv->loop->ev, EVRUN_ONCE);
}

void loop_destroy(struct ly_server *srv) {
  if (srv->loop == NULL) return;
  /* lws has closed its watchers in lws_context_destroy; let libev see that */
  ev_run(srv->loop->ev, EVRUN_NOWAIT);
  ev_loop_destroy(srv->loop->ev);
  free(srv->loop);
  srv->loop = NULL;
}
