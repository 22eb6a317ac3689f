/* bench/loadgen/lg.c — the setup pump shared by the server adapters. See lg.h. */
#include "lg.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/epoll.h>

#include "traffic.h"

void lg_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("loadgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

uint64_t lg_next_id(struct lg *g) {
  return ++g->next_tx;
}

int lg_watch(struct lg *g, struct pc *p) {
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
  return epoll_ctl(g->epfd, EPOLL_CTL_ADD, p->fd, &ev);
}

void lg_pump(void *arg) {
  struct lg *g = arg;
  tr_receive_setup(g, 1000);
  int64_t now = lg_now_us();
  if (now >= g->next_sweep_us) {
    for (unsigned k = 0; k < g->n_parts; k++) {
      if (g->parts[k].pub.fd >= 0) pc_tick(&g->parts[k].pub, now);
      if (g->parts[k].sub.fd >= 0) pc_tick(&g->parts[k].sub, now);
    }
    g->next_sweep_us = now + 10000;
  }
  if (now >= g->next_keepalive_us) {
    g->ops->keepalive(g, now);
    g->next_keepalive_us = now + 50000;
  }
  ws_service();
}

int lg_wait_connected(struct lg *g, struct pc *const *pcs, unsigned n, int timeout_ms) {
  int64_t end = lg_now_us() + (int64_t)timeout_ms * 1000;
  for (;;) {
    unsigned done = 0;
    for (unsigned i = 0; i < n; i++) {
      if (pcs[i]->failed) {
        lg_log("a PeerConnection failed (port %u, ICE %s, DTLS state %d)", pcs[i]->port,
               pcs[i]->ice_done ? "done" : "not done", pcs[i]->dtls.state);
        return -1;
      }
      done += pcs[i]->connected;
    }
    if (done == n) return 0;
    if (lg_now_us() >= end) {
      for (unsigned i = 0; i < n; i++)
        if (!pcs[i]->connected)
          lg_log("PeerConnection on port %u not connected: ICE %s, checked by the server %s, DTLS state %d",
                 pcs[i]->port, pcs[i]->ice_done ? "done" : "not done", pcs[i]->peer_checked ? "yes" : "no",
                 pcs[i]->dtls.state);
      return -1;
    }
    lg_pump(g);
  }
}
