/* bench/loadgen/lg.h — the load generator's shared state: configuration,
 * participants, the setup pump, and the server adapters.
 *
 * A participant is one simulated browser in a consultation room: a
 * publishing PeerConnection (Opus + VP8 out) and a subscribing one (the
 * others' audio and video in), plus its signalling connection. Rooms are set
 * up one after another by the server's adapter (struct lg_server_ops) and
 * stay up for the whole run; each measured window then sends media for the
 * first `active` rooms.
 *
 * Ownership: struct lg owns every participant (one array sized for
 * cfg.max_rooms at start, never moved: PCs are registered in epoll by
 * address) and every connection. Single-threaded.
 */
#ifndef LG_LG_H
#define LG_LG_H

#include <stdint.h>
#include <sys/types.h>

#include "pc.h"
#include "ws.h"

#define LG_MAX_SWEEP 32
#define LG_MAX_ROOM  3

enum lg_server { LG_JANUS = 1, LG_LIANYI = 2, LG_RAW = 3 };

struct lg_config {
  int server;         /* enum lg_server */
  uint16_t port;      /* Janus WebSockets / Lianyi HTTP+WS / raw relay UDP port */
  pid_t server_pid;   /* for CPU and RSS; 0 = not measured */
  int server_cpu;     /* the core the server is pinned to, -1 = unknown */
  unsigned room_size; /* 2 (1:1) or 3 (remote consultation) */
  unsigned sweep[LG_MAX_SWEEP], n_sweep;
  unsigned max_rooms; /* the largest point of the sweep */
  double warmup_s, window_s, drain_s;
  uint16_t profile;       /* DTLS_SRTP_AEAD_AES_128_GCM or DTLS_SRTP_AES128_CM_SHA1_80 */
  const char *label;      /* the scenario's name in the output */
  const char *rooms_file; /* Lianyi: the consultations prepared by bench/loadgen/lianyi_prep.mjs */
  double stop_loss;       /* stop the sweep once loss exceeds this (fraction) */
  int half;               /* after the sweep, measure again at half the capacity */
  unsigned mem_mb;        /* budget for pre-encrypted packets */
  int json;               /* print one JSON object per point as well */
  const char *local_ip;   /* our sockets' address (NULL: 127.0.0.1) */
};

struct lg_part {
  unsigned index, room, idx; /* global index, room, place in the room */
  struct pc pub, sub;
  uint32_t seq[2]; /* next sequence number per stream (audio, video), kept across windows */
  struct ws_conn *ws;
  /* Janus */
  uint64_t j_session, j_pub, j_sub, j_feed;
  int64_t next_keepalive_us;
  /* Lianyi */
  char consultation[64], account[64];
  uint64_t seen_rx; /* messages received when the adapter last looked */
};

struct lg;

/* A server adapter: signalling for one kind of server. */
struct lg_server_ops {
  const char *name;
  int (*init)(struct lg *g);
  /* Connect, publish and subscribe every participant of room r; return once
   * every PeerConnection of the room is connected (0) or on failure (-1). */
  int (*setup_room)(struct lg *g, unsigned r);
  /* Keep the signalling sessions alive (called every 50 ms or so). */
  void (*keepalive)(struct lg *g, int64_t now_us);
  void (*shutdown)(struct lg *g);
};

extern const struct lg_server_ops lg_janus_ops;
extern const struct lg_server_ops lg_lianyi_ops;
extern const struct lg_server_ops lg_raw_ops;

struct lg {
  struct lg_config cfg;
  const struct lg_server_ops *ops;
  struct lg_part *parts; /* [cfg.max_rooms * cfg.room_size] */
  unsigned n_parts, rooms_ready;
  int epfd;
  int64_t next_sweep_us, next_keepalive_us;
  uint64_t next_tx;         /* transaction / request ids */
  void *server;             /* the adapter's own state */
  double build_us_per_pkt;  /* how long building a window took per packet, last time */
  struct ws_conn *admin_ws; /* an adapter's extra connection, freed after ws_shutdown */
};

/* Register a PC's socket with the pump. Returns 0 or -1. */
int lg_watch(struct lg *g, struct pc *p);
/* One round of the setup pump: read every ready socket (RTP is dropped here),
 * run PC timers, keep signalling alive, and service WebSockets. Waits at most
 * 1 ms. arg is the struct lg. */
void lg_pump(void *arg);
/* Pump until every PC in pcs is connected (0), one failed or timeout (-1). */
int lg_wait_connected(struct lg *g, struct pc *const *pcs, unsigned n, int timeout_ms);
/* A fresh request id. */
uint64_t lg_next_id(struct lg *g);
/* Diagnostics on stderr. */
void lg_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
