/* bench/loadgen/lianyi.c — the Lianyi adapter: docs/signalling.md over /ws. */
#include "lg.h"

static int ly_init(struct lg *g) {
  (void)g;
  lg_log("lianyi: the media.* messages of docs/signalling.md are not live yet");
  return -1;
}

static int ly_setup_room(struct lg *g, unsigned r) {
  (void)g;
  (void)r;
  return -1;
}

static void ly_keepalive(struct lg *g, int64_t now) {
  (void)g;
  (void)now;
}

static void ly_shutdown(struct lg *g) {
  (void)g;
}

const struct lg_server_ops lg_lianyi_ops = {
    .name = "lianyi",
    .init = ly_init,
    .setup_room = ly_setup_room,
    .keepalive = ly_keepalive,
    .shutdown = ly_shutdown,
};
