/* bench/loadgen/traffic.h — media-shaped traffic for one measured window:
 * built and encrypted before the window, sent on schedule, and measured at
 * the receivers from RTP headers alone.
 *
 * Per participant: audio 50 packets/s of 120 bytes on the wire, video 30
 * frames/s of 3 packets (1,200 + 1,200 + 900 bytes: 90 packets/s averaging
 * 1,100 bytes, ~790 kbit/s), each stream starting at a random phase. Every
 * packet carries our stream id, sequence number and scheduled send time in
 * its payload; the RTP timestamp is the scheduled send time in microseconds
 * (low 32 bits) and the RTP sequence number ours. An SFU rewrites SSRC,
 * sequence and timestamp with constant offsets per subscriber, so a receiver
 * decrypts the first packet of each SSRC to learn the offsets and from then
 * on reads only the clear header (and re-checks one packet in 4,096).
 *
 * Memory: tr_build allocates the window's packets (about 105 MB per 1,000
 * participants-seconds); tr_free releases them.
 */
#ifndef LG_TRAFFIC_H
#define LG_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "lg.h"

struct tr_entry {
  int64_t t;     /* scheduled send time, µs */
  struct pc *pc; /* publishing PC */
  uint8_t *data;
  uint32_t stream;
  uint16_t len;
  uint8_t in_window;
};

struct tr_window {
  struct tr_entry *e;
  size_t n;
  uint8_t *arena;
  size_t arena_cap, arena_len;
  int64_t t0, w_start, w_end; /* sending starts at t0; measured: [w_start, w_end) */
  unsigned active_rooms;
  double build_s; /* time spent building and encrypting */
};

struct tr_result {
  unsigned rooms, participants;
  uint64_t sent, send_failed, expected, received, unknown, verified, mismatched;
  double window_s, fwd_pps, loss;
  struct hist lat, lag; /* one-way latency; how late the load generator sent */
  int64_t server_cpu_us, server_core_us, lg_cpu_us, server_rss_kb;
  double build_s;
};

/* Build the packets of rooms [0, active) for a window starting `lead_s` from
 * now. Returns 0, or -1 (out of memory: shorten the window). */
int tr_build(struct lg *g, unsigned active, double lead_s, struct tr_window *w);
/* Send them on schedule while receiving and measuring; fills r. */
void tr_run(struct lg *g, struct tr_window *w, struct tr_result *r);
void tr_free(struct tr_window *w);
/* Read every ready socket for ICE/DTLS/STUN (RTP is dropped), waiting up to
 * wait_us for the first: the setup pump's input. */
void tr_receive_setup(struct lg *g, int64_t wait_us);

/* Packets per second one participant publishes, and its bytes per second. */
#define TR_PPS_AUDIO 50
#define TR_PPS_VIDEO 90

#endif
