/* bench/loadgen/pc.h — one simulated browser PeerConnection: a UDP socket on
 * 127.0.0.1, full ICE (controlling: checks with USE-CANDIDATE, and answers to
 * the server's own checks), a DTLS 1.2 client (media/dtls.c) and SRTP
 * (media/srtp.c, AEAD_AES_128_GCM or AES_CM_128_HMAC_SHA1_80).
 *
 * The socket binds to 127.0.0.1 unless pc_global_init names another local
 * address. A publishing PC offers one Opus and one VP8 m-line (sendonly); a
 * subscribing PC answers the server's offer (recvonly for every Opus/VP8
 * m-line). Both say a=setup:active, so the load generator is always the DTLS
 * client. Everything runs on the caller's thread; nothing here allocates on
 * the packet path.
 *
 * Timing: all times are CLOCK_REALTIME microseconds (lg_now_us), the clock of
 * the kernel's SO_TIMESTAMPNS receive stamps.
 */
#ifndef LG_PC_H
#define LG_PC_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"
#include "media/srtp.h"

#define PC_MAX_RX     8 /* streams one subscribing PC receives (3-party: 4) */
#define PC_SDP_MAX    8192
#define PC_FLIGHT_MAX 4

int64_t lg_now_us(void);

enum pc_kind { PC_PUB = 1, PC_SUB = 2 };
enum pc_media { PC_AUDIO = 0, PC_VIDEO = 1 };

/* What a publishing PC sends on each of its two m-lines. */
struct pc_tx {
  uint32_t ssrc;
  uint8_t pt;
  uint8_t ext_mid, ext_level, ext_ast; /* negotiated one-byte ids, 0 = not negotiated */
  char mid[16];
};

/* A stream a subscribing PC receives, learnt from its first packet. */
struct pc_rx {
  uint32_t ssrc;
  int32_t stream;   /* the load generator's stream id, -1 until learnt */
  uint16_t seq_off; /* header seq - our seq */
  uint32_t ts_off;  /* header ts - our scheduled send time (low 32 bits of µs) */
  uint64_t verified, mismatched;
};

struct pc {
  int fd;
  uint8_t kind;          /* enum pc_kind */
  uint8_t full_ice_peer; /* the server runs full ICE and checks us (Janus) */
  uint8_t controlling;
  uint8_t ice_done;     /* our check got its success response */
  uint8_t peer_checked; /* we answered at least one check of the server */
  uint8_t connected;    /* DTLS done, SRTP keyed */
  uint8_t failed;
  uint16_t port;
  struct sockaddr_in remote;
  char ufrag[12], pwd[40];
  char r_ufrag[64], r_pwd[260];
  uint8_t r_fp[32];
  uint64_t tiebreaker;
  uint8_t tid[12];
  int64_t started_us, next_check_us, next_consent_us, ice_done_us;
  struct dtls_conn dtls;
  struct ly_srtp srtp;
  /* our last DTLS flight, resent on our own (faster) timer while the
   * handshake runs: OpenSSL waits a full second before its first retransmit */
  uint8_t flight[PC_FLIGHT_MAX][1500];
  uint16_t flight_len[PC_FLIGHT_MAX];
  uint8_t n_flight, flight_done;
  int64_t flight_us, flight_wait_us;
  struct pc_tx tx[2];
  struct pc_rx rx[PC_MAX_RX];
  unsigned n_rx;
  uint64_t stun_answered, rtcp_in, rtp_unknown;
};

/* Process-wide: our DTLS certificate, which SRTP profile we offer
 * (DTLS_SRTP_AEAD_AES_128_GCM or DTLS_SRTP_AES128_CM_SHA1_80), and the
 * address our sockets bind to (NULL: 127.0.0.1; it must be one of this
 * machine's). Janus needs this machine's own address: libnice pins its
 * sockets to their interface (IP_UNICAST_IF), so it cannot reach 127.0.0.1. */
int pc_global_init(uint16_t profile, const char *local_ip);
const char *pc_fingerprint(void);

/* Open the socket and make fresh ICE credentials. Returns 0 or -1. */
int pc_open(struct pc *p, enum pc_kind kind, int full_ice_peer);
void pc_close(struct pc *p);

/* The publishing offer: audio (Opus, mid "0") and video (VP8, mid "1"),
 * sendonly, with ssrcs a_ssrc / v_ssrc. Returns the length or -1. */
int pc_write_offer(struct pc *p, uint32_t a_ssrc, uint32_t v_ssrc, char *out, size_t cap);
/* Apply the server's answer to our offer. Returns 0 or -1 (message in err). */
int pc_apply_answer(struct pc *p, const char *sdp, size_t len, char *err, size_t errcap);
/* Answer the server's offer (for a subscribing PC). Returns the length or -1. */
int pc_answer_offer(struct pc *p, const char *sdp, size_t len, char *out, size_t cap, char *err,
                    size_t errcap);

/* Start ICE checks now. */
void pc_start(struct pc *p);
/* One datagram from the socket. Returns 1 if it was RTP for the caller (buf
 * untouched), 0 if handled here (STUN, DTLS, RTCP, junk). */
int pc_input(struct pc *p, uint8_t *buf, size_t len, const struct sockaddr_in *from);
/* Timers: check retransmission, consent checks every 5 s, DTLS retransmission. */
void pc_tick(struct pc *p, int64_t now_us);
/* Send a protected datagram to the server (the nominated address). */
int pc_send(struct pc *p, const uint8_t *buf, size_t len);

#endif
