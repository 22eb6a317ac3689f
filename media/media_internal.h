/* media/media_internal.h — structures shared by the .c files of media/ (not for other folders).
 *
 * Threading: struct media's service-side fields (next_id, rooms map) belong to
 * the service thread; each struct worker and everything reachable from it
 * (transports, rooms, buffers) belongs to that worker's thread. The two meet
 * only in struct queue (mutex-protected bounded ring + eventfd).
 */
#ifndef LY_MEDIA_INTERNAL_H
#define LY_MEDIA_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "media/dtls.h"
#include "media/level.h"
#include "media/media.h"
#include "media/sdp.h"
#include "media/srtp.h"

/* ---- queue.c: bounded MPSC/SPSC ring of pointers with an eventfd wake-up -- */
struct queue {
  pthread_mutex_t mu;
  void **slot;
  unsigned cap, head, count;
  int efd; /* readable while count > 0 (best effort: reset by queue_drain_fd) */
};
int queue_init(struct queue *q, unsigned cap);
void queue_close(struct queue *q);           /* items still queued are the caller's to free first */
int queue_push(struct queue *q, void *item); /* 0 or LY_EAGAIN when full */
void *queue_pop(struct queue *q);            /* NULL when empty */
void queue_drain_fd(struct queue *q);

/* ---- spsc.c: bounded single-producer single-consumer ring, lock-free ---- */
struct spsc {
  uint8_t *slots;
  unsigned cap; /* a power of 2 */
  size_t slot_size;
  _Atomic unsigned head; /* next slot to read: the consumer's */
  _Atomic unsigned tail; /* next slot to write: the producer's */
};
int spsc_init(struct spsc *q, unsigned cap, size_t slot_size); /* LY_EINVAL unless cap is a power of 2 */
void spsc_close(struct spsc *q);
unsigned spsc_free(struct spsc *q); /* producer: free slots now (at least) */
void *spsc_claim(struct spsc *q);   /* producer: the next slot to fill, NULL when full */
void spsc_publish(struct spsc *q);  /* producer: the claimed slot is ready */
void *spsc_peek(struct spsc *q);    /* consumer: the oldest ready slot, NULL when empty */
void spsc_release(struct spsc *q);  /* consumer: done with it; the producer may reuse it */

/* ---- commands (media.c builds, worker.c consumes and frees) ---------------- */
enum cmd_type {
  CMD_CREATE = 1,
  CMD_APPLY,
  CMD_SUBSCRIBE,
  CMD_CLOSE,
  CMD_CLOSE_ROOM,
  CMD_STATS,
  CMD_RECORD,
  CMD_UNRECORD
};
struct media_cmd {
  enum cmd_type type;
  uint64_t id;
  uint8_t kind, sdp_type;
  char room[MEDIA_ROOM_MAX];
  char label[MEDIA_LABEL_MAX];
  char *sdp; /* CMD_APPLY: the SDP; CMD_RECORD: the file path */
  size_t sdp_len;
};

#define MEDIA_MAX_PKT      1500
#define MEDIA_BUF          (MEDIA_MAX_PKT + LY_SRTP_MAX_TRAILER + 64)
#define MEDIA_BATCH        64
#define MEDIA_ROOM_MEMBERS 32
#define MEDIA_CHECKED      4   /* addresses that passed an ICE check, per transport */
/* Packets kept per published video stream for NACKs (power of 2): 256 is
 * over 2 s of video at the 1,200 kbit/s cap (~110 packets/s), far more than a
 * NACK's round trip; 512 slots of MEDIA_MAX_PKT were 768 KB per stream, most
 * of a call's memory, faulted in while it forwards. */
#define MEDIA_NACK_CACHE   256
#define MEDIA_ADDR_PROBE   8   /* slots of the address table looked at from an address's hash */

/* A published stream (one accepted m-line of a MEDIA_SEND transport). */
struct pub_stream {
  uint32_t ssrc; /* from SDP, or learned from the first packet */
  uint8_t active;
  uint8_t have_seq;
  uint16_t max_seq; /* RFC 3550 A.1 */
  uint32_t cycles, base_seq, received, expected_prior, received_prior;
  uint32_t transit, jitter; /* RFC 3550 A.8, in clock units << 4 */
  uint64_t last_sr_ntp;     /* from the publisher's SR */
  int64_t last_sr_ms;
  int64_t last_pli_ms; /* rate limit of PLIs we send to the publisher */
  uint8_t fir_seq;
  uint8_t (*cache)[MEDIA_MAX_PKT]; /* video: NACK cache slots, NULL for audio */
  uint16_t *cache_len;
  uint16_t *cache_seq;
  struct level level; /* audio without the RFC 6464 extension: its level by decoding (level.c) */
};

/* One m-line of a MEDIA_RECV transport: a publisher's stream as this
 * subscriber sees it. */
struct sub_slot {
  uint64_t pub_id;   /* publishing transport */
  uint8_t pub_track; /* its m-line index */
  uint8_t accepted;  /* the browser's answer took it */
  uint16_t seq_delta;
  uint32_t ts_delta;
  uint32_t packets, octets; /* for our SRs */
  uint32_t last_ts;
  uint64_t last_sr_ntp; /* the SR we sent last (its middle 32 bits come back as LSR) */
  int64_t block_ms;     /* arrival of the subscriber's last report block on this slot; 0 none */
  uint32_t block_seq;   /* its extended highest sequence number */
  int64_t span_from, span_to;          /* the interval the last report covering packets was about */
  uint8_t span_fraction, prior_fraction; /* its fraction lost, and the one before (weak links) */
};

enum transport_state { TS_FREE = 0, TS_NEW, TS_CONNECTING, TS_CONNECTED, TS_CLOSED };

struct transport {
  uint64_t id;
  uint8_t state, kind;
  uint8_t has_remote; /* remote description applied: fingerprint and ufrag known */
  uint8_t srtp_ready;
  int room; /* index into worker.rooms */
  char label[MEDIA_LABEL_MAX];
  char ufrag[9], pwd[33];
  char remote_ufrag[SDP_TOKEN];
  uint8_t remote_fp[32];
  struct sockaddr_storage checked[MEDIA_CHECKED];
  uint8_t n_checked;
  int8_t selected; /* index into checked, -1 until nominated */
  int64_t last_consent_ms;
  int64_t created_ms;
  struct dtls_conn dtls;
  struct ly_srtp srtp;
  unsigned n_tracks;
  struct sdp_track tracks[SDP_MAX_MEDIA];
  struct pub_stream pub[SDP_MAX_MEDIA];
  struct sub_slot sub[SDP_MAX_MEDIA];
  uint64_t sess_version;
  uint8_t weak;                        /* subscriber on a bad link: video paused */
  uint8_t silent;                      /* publisher: MEDIA_EV_SILENCE sent, no voice since */
  int64_t last_voice_ms;               /* publisher: last packet flagged voice (RFC 6464) */
  int64_t bad_since_ms, good_since_ms; /* subscriber: start of the bad / good period under way; 0 none */
  int64_t weak_since_ms;               /* subscriber: when its video was paused */
  int64_t last_block_ms;               /* subscriber: last report block that counted */
  struct media_stats stats;
  struct worker *w; /* back pointer for the DTLS send callback */
};

struct room {
  char name[MEDIA_ROOM_MAX];
  unsigned n;
  int members[MEDIA_ROOM_MEMBERS]; /* transport indices */
  uint32_t rec;                    /* its recording's id on the recording thread; 0 none */
};

struct recthread;
struct worker {
  struct media *m;
  unsigned index;
  pthread_t thread;
  int fd, epfd, stop_efd;
  uint16_t port;
  struct queue cmds;
  unsigned max;
  struct transport *t; /* [max] */
  struct room *rooms;  /* [max] */
  unsigned hi;         /* 1 + the highest transport or room index ever used: loops stop there, so
                          memory for slots never used is never touched */
  /* address → transport index, a hint checked on every use (a stale or
   * colliding slot only costs a scan): open addressing over MEDIA_ADDR_PROBE
   * slots, at least 4 per transport */
  int *addr_slot;
  unsigned addr_mask;
  int64_t next_tick_ms, next_report_ms;
  int quiet; /* stopping: no more events */
  struct recthread *rec; /* recordings (recthread.c), made on the first one; NULL before */
  uint32_t rec_next;     /* last recording id given */
  /* /metrics counters: written by this worker, read by media_metrics() */
  _Atomic uint64_t forwarded, dtls_failures, n_transports, n_connected, n_rooms;
  /* receive batch */
  struct mmsghdr *rx_msg;
  struct iovec *rx_iov;
  uint8_t (*rx_buf)[MEDIA_BUF];
  struct sockaddr_storage *rx_addr;
  /* send batch */
  struct mmsghdr *tx_msg;
  struct iovec *tx_iov;
  uint8_t (*tx_buf)[MEDIA_BUF];
  struct sockaddr_storage *tx_addr;
  unsigned tx_n;
};

struct media {
  struct media_config cfg;
  char listen_ip[64], cand_ip[64];
  struct dtls_ctx dtls;
  struct queue events;
  unsigned n_workers;
  struct worker *workers;
  uint64_t next_id;
  /* service side: which worker a room and a transport live on */
  struct room_map {
    char name[MEDIA_ROOM_MAX];
    unsigned worker;
    unsigned transports;
  } * rooms;
  unsigned n_rooms, cap_rooms;
};

/* ---- worker.c ---- */
int worker_start(struct media *m, struct worker *w, unsigned index);
void worker_stop(struct worker *w); /* joins the thread; closes transports without events */
void worker_room_leave(struct worker *w, struct transport *t);
void worker_record_stop(struct worker *w, struct room *r);
/* MEDIA_EV_RECORDING (on: 1 started, 0 finished; err != 0: cut short by a write error). */
void worker_emit_recording(struct worker *w, const char *room, const char *path, int on, int64_t duration_ms,
                           int err);
/* A recording command refused: MEDIA_EV_ERROR naming the room, no transport. */
void worker_record_error(struct worker *w, const char *room, int err, const char *code, const char *msg);
int64_t worker_now(const struct worker *w);  /* monotonic ms */
int64_t worker_wall(const struct worker *w); /* UTC ms */
/* A free slot of the send batch (MEDIA_BUF bytes), flushing if full. */
uint8_t *worker_tx_slot(struct worker *w);
/* Queue the filled slot for addr. */
void worker_tx_commit(struct worker *w, size_t len, const struct sockaddr_storage *addr);
void worker_tx_flush(struct worker *w);
/* Push an event to the service thread (dropped with a log line if the queue
 * is full; ev is freed then). */
void worker_emit(struct worker *w, struct media_event *ev);
struct media_event *worker_event(struct worker *w, enum media_event_type type, const struct transport *t);
void worker_emit_error(struct worker *w, uint64_t id, int err, const char *code, const char *msg);
struct transport *worker_find(struct worker *w, uint64_t id);

/* ---- recthread.c: the worker's recording thread (decode, mix, encode, write) ---- */
int recthread_start(struct worker *w); /* on the first recording; 0 if running */
void recthread_stop(struct worker *w); /* after the worker thread is joined: every file finished */
int recthread_fd(const struct worker *w); /* readable when notes wait; -1 before the thread exists */
/* Start recording id (room, path: at most 63 / 255 bytes): MEDIA_EV_RECORDING 1 or an error
 * follows from recthread_notes(). LY_EAGAIN: too many recordings or the ring is full. */
int recthread_open(struct worker *w, uint32_t id, const char *room, const char *path);
void recthread_close(struct worker *w, uint32_t id); /* MEDIA_EV_RECORDING 0 follows */
void recthread_flush(struct worker *w);              /* retry closes the ring had no room for */
/* Copy one Opus payload of stream key for recording id (dropped when the ring is nearly full). */
void recthread_opus(struct worker *w, uint32_t id, uint64_t key, const uint8_t *payload, size_t len);
void recthread_notes(struct worker *w); /* the recording thread's notes → events */

/* ---- transport.c: ICE-lite, DTLS and SRTP of one transport ---- */
int transport_open(struct worker *w, struct transport *t, const struct media_cmd *c);
void transport_close(struct worker *w, struct transport *t, enum media_event_type why);
/* A datagram from addr: STUN (from anywhere), DTLS/SRTP (checked addresses only). */
void transport_on_stun(struct worker *w, const uint8_t *buf, size_t len, const struct sockaddr_storage *from);
struct transport *transport_by_addr(struct worker *w, const struct sockaddr_storage *from);
void transport_on_dtls(struct worker *w, struct transport *t, const uint8_t *buf, size_t len);
/* Send an already-protected datagram to the nominated address (dropped if none). */
void transport_send(struct worker *w, struct transport *t, const uint8_t *buf, size_t len);
/* Per-tick work: DTLS retransmission, consent freshness. */
void transport_tick(struct worker *w, struct transport *t, int64_t now);
int transport_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* ---- router.c: SDP per transport, RTP/RTCP forwarding in the room ---- */
void router_apply(struct worker *w, struct transport *t, const struct media_cmd *c);
void router_subscribe(struct worker *w, struct transport *t);
void router_on_rtp(struct worker *w, struct transport *t, uint8_t *buf, size_t len);
void router_on_rtcp(struct worker *w, struct transport *t, uint8_t *buf, size_t len);
void router_tick(struct worker *w, struct transport *t, int64_t now);
void router_release(struct worker *w, struct transport *t); /* free caches, tell the room */

#endif
