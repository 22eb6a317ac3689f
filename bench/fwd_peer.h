/* bench/fwd_peer.h — a minimal WebRTC peer for the in-process relay
 * benchmarks (bench/forward.c, bench/forward_recording.c): a UDP socket on
 * 127.0.0.1, an ICE check with USE-CANDIDATE, a DTLS client and SRTP, set up
 * against a struct media started in the same process through its command
 * API, as signalling would. Benchmarks only: every failure prints and exits.
 *
 * A struct fwd_peer is caller-owned; fwd_peer_close() frees what
 * fwd_peer_init() and the set-up made.
 */
#ifndef LY_BENCH_FWD_PEER_H
#define LY_BENCH_FWD_PEER_H

#include <netinet/in.h>
#include <stdint.h>

#include "media/dtls.h"
#include "media/media.h"
#include "media/srtp.h"

struct fwd_peer {
  int fd;
  struct sockaddr_in relay;
  struct dtls_ctx ctx;
  struct dtls_conn dtls;
  struct ly_srtp srtp;
  char ufrag[16], pwd[40], r_ufrag[16], r_pwd[40];
  uint8_t relay_fp[32];
  uint64_t id, received;
};

int64_t fwd_peer_now_ns(void); /* CLOCK_MONOTONIC */
void fwd_peer_die(const char *what);
/* The next event of `type` for transport id (0: any); other events are
 * dropped, errors printed. Dies after 4 s. Free with media_event_free(). */
struct media_event *fwd_peer_wait_event(struct media *m, enum media_event_type type, uint64_t id);

/* A socket (8 MB receive buffer) and a transport of `kind` in `room`. */
void fwd_peer_init(struct fwd_peer *p, struct media *m, const char *room, const char *label,
                   enum media_transport_kind kind);
/* Publish one stream on a MEDIA_SEND peer — Opus (PT 111) or, with video,
 * VP8 (PT 96, NACK and PLI) — under `ssrc`; returns once connected. */
void fwd_peer_publish(struct media *m, struct fwd_peer *p, int video, uint32_t ssrc);
/* Subscribe a MEDIA_RECV peer: answer every m-line of the relay's offer as a
 * browser would (recvonly, the offered codec); returns once connected. */
void fwd_peer_subscribe(struct media *m, struct fwd_peer *p);
/* Send one datagram to the relay (also the DTLS send callback). */
void fwd_peer_send(void *peer, const uint8_t *buf, size_t len);
void fwd_peer_close(struct fwd_peer *p);

#endif
