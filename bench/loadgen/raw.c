/* bench/loadgen/raw.c — the adapter for bench_udp_relay (bench/limit): the
 * same participants, sockets and packet mix, without ICE, DTLS or SRTP. Each
 * socket registers with one "LGREG" datagram and is connected once the relay
 * says "LGOK". */
#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "lg.h"

static int raw_init(struct lg *g) {
  (void)g;
  return 0;
}

static int join(struct lg *g, struct pc *p, enum pc_kind kind, const struct lg_part *part) {
  if (pc_open(p, kind, 0) != 0) return -1;
  p->remote.sin_family = AF_INET;
  p->remote.sin_port = htons(g->cfg.port);
  inet_pton(AF_INET, "127.0.0.1", &p->remote.sin_addr);
  if (connect(p->fd, (struct sockaddr *)&p->remote, sizeof p->remote) != 0) return -1;
  uint8_t reg[11] = {'L',
                     'G',
                     'R',
                     'E',
                     'G',
                     (uint8_t)(part->room >> 24),
                     (uint8_t)(part->room >> 16),
                     (uint8_t)(part->room >> 8),
                     (uint8_t)part->room,
                     (uint8_t)part->idx,
                     (uint8_t)kind};
  for (int attempt = 0; attempt < 20; attempt++) {
    uint8_t ok[16];
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    if (send(p->fd, reg, sizeof reg, 0) != (ssize_t)sizeof reg) return -1;
    if (poll(&pfd, 1, 100) == 1 && recv(p->fd, ok, sizeof ok, 0) == 4 && memcmp(ok, "LGOK", 4) == 0) {
      p->connected = 1;
      return lg_watch(g, p);
    }
  }
  lg_log("raw: the relay on port %u does not answer", g->cfg.port);
  return -1;
}

static int raw_setup_room(struct lg *g, unsigned r) {
  for (unsigned k = 0; k < g->cfg.room_size; k++) {
    struct lg_part *p = &g->parts[r * g->cfg.room_size + k];
    if (join(g, &p->pub, PC_PUB, p) != 0 || join(g, &p->sub, PC_SUB, p) != 0) return -1;
    for (int m = 0; m < 2; m++) {
      p->pub.tx[m].pt = m == PC_AUDIO ? 111 : 96;
      p->pub.tx[m].ssrc = 0x10000000u + p->index * 2 + (unsigned)m;
    }
  }
  return 0;
}

static void raw_keepalive(struct lg *g, int64_t now) {
  (void)g;
  (void)now;
}

static void raw_shutdown(struct lg *g) {
  (void)g;
}

const struct lg_server_ops lg_raw_ops = {
    .name = "raw",
    .init = raw_init,
    .setup_room = raw_setup_room,
    .keepalive = raw_keepalive,
    .shutdown = raw_shutdown,
};
