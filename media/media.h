/* media/media.h — the media relay's command API (what signalling calls).
 *
 * Shape (DESIGN §1, §9): a struct media is a set of worker threads, each
 * owning one UDP socket (port base_port + i) and the rooms placed on it. The
 * service thread (libwebsockets loop) talks to workers only through commands
 * and events:
 *
 *   service thread                         worker i
 *   media_create_transport() ──cmd queue──▶ makes ICE creds, binds to room
 *   media_apply_remote()     ──(eventfd)──▶ answers an offer / checks an answer
 *   media_subscribe(), media_close_*(), media_request_stats()
 *   media_next_event()       ◀─event queue─ created, local description, connected,
 *     (after media_event_fd() polls          failed, consent timeout, closed,
 *      readable)                             stats, error
 *
 * Threading: every function here is for the ONE service thread that called
 * media_start(), except where stated. The queues are the only shared
 * structures. Commands never block: a full queue returns LY_EAGAIN.
 *
 * Ownership: struct media is made by media_start() and freed by media_stop()
 * (which joins the workers and frees every transport). Command arguments are
 * copied; the caller keeps its strings. Each event returned by
 * media_next_event() belongs to the caller until media_event_free().
 *
 * Identifiers: transports get a nonzero 64-bit id from
 * media_create_transport(), unique for the life of the struct media. Rooms
 * are named by the caller (any string up to MEDIA_ROOM_MAX-1 bytes); a room
 * lives on one worker, picked when its first transport is created.
 * Errors are LY_E* codes (core/err.h); refusals of an SDP carry a stable
 * "media.sdp_*" code in the MEDIA_EV_ERROR event.
 */
#ifndef LY_MEDIA_MEDIA_H
#define LY_MEDIA_MEDIA_H

#include <stddef.h>
#include <stdint.h>

struct ly_logger;
struct ly_clock;
struct media;

#define MEDIA_ROOM_MAX  64
#define MEDIA_LABEL_MAX 64

struct media_config {
  unsigned workers;            /* worker threads; 0 = one per online CPU */
  uint16_t base_port;          /* worker i binds base_port + i; 0 = ephemeral ports (tests) */
  const char *listen_ip;       /* bind address, e.g. "0.0.0.0"; NULL = "127.0.0.1" */
  const char *candidate_ip;    /* address written into candidates; NULL = listen_ip, or
                                  127.0.0.1 when listening on the wildcard */
  uint32_t max_video_kbps;     /* REMB and b=AS cap for publishers; 0 = 1200 */
  unsigned max_transports;     /* per worker; 0 = 4096 (memory is used only for those used) */
  unsigned queue_len;          /* command and event queue slots; 0 = 4096 */
  uint32_t consent_timeout_ms; /* 0 = 30000 (RFC 7675) */
  uint32_t silence_ms;         /* MEDIA_EV_SILENCE after this long without voice; 0 = 10000 */
  /* Weak links (MEDIA_EV_WEAK_LINK): a subscriber's reported video loss above
   * weak_loss_pct (0 = 10 %) for weak_after_ms (0 = 5000) pauses its video;
   * audio loss under good_loss_pct (0 = 2 %) for good_after_ms (0 = 10000)
   * resumes it. Percentages are of packets, compared with the reports'
   * fraction lost (/256). */
  uint32_t weak_loss_pct, good_loss_pct;
  uint32_t weak_after_ms, good_after_ms;
  const struct ly_logger *log;  /* may be NULL (silent) */
  const struct ly_clock *clock; /* NULL = the system clock */
};

/* Create the DTLS certificate, sockets and threads. Returns 0, LY_EIO (a port
 * is taken), LY_ENOMEM, LY_ECRYPTO or LY_EINVAL. On error nothing is left. */
int media_start(const struct media_config *cfg, struct media **out);
/* Stop the workers, close every transport (no events follow), free m. */
void media_stop(struct media *m);

/* An fd that is readable while events are pending (an eventfd; the service
 * loop adopts it, e.g. into libwebsockets). Reading it is optional;
 * media_next_event() resets it. */
int media_event_fd(const struct media *m);
unsigned media_worker_count(const struct media *m);
uint16_t media_worker_port(const struct media *m, unsigned i);
/* The sha-256 fingerprint of the relay's DTLS certificate ("AB:CD:..."). */
const char *media_fingerprint(const struct media *m);

enum media_transport_kind {
  MEDIA_SEND = 1, /* the browser sends (publishes) on it: browser offers, relay answers */
  MEDIA_RECV = 2, /* the browser receives on it: relay offers, browser answers */
};

/* Create a transport in `room` for a participant (`label`: an opaque id used
 * to keep a participant's own streams out of its receive transport and as
 * msid/cname; no personal data; 1..63 of [A-Za-z0-9._-], else LY_EINVAL).
 * Answered by MEDIA_EV_CREATED (or MEDIA_EV_ERROR). *out_id is set at once. */
int media_create_transport(struct media *m, const char *room, const char *label,
                           enum media_transport_kind kind, uint64_t *out_id);

enum media_sdp_type { MEDIA_SDP_OFFER = 1, MEDIA_SDP_ANSWER = 2 };

/* A browser's description for transport id: the offer of a MEDIA_SEND
 * transport (answered by MEDIA_EV_LOCAL_SDP with the relay's answer) or the
 * answer to the relay's offer on a MEDIA_RECV transport (acknowledged by
 * MEDIA_EV_LOCAL_SDP with sdp == NULL). Refusals come as MEDIA_EV_ERROR.
 * sdp is copied (at most 64 KiB). */
int media_apply_remote(struct media *m, uint64_t id, enum media_sdp_type type, const char *sdp, size_t len);

/* (Re)build the relay's offer for MEDIA_RECV transport id from every stream
 * published in its room by other participants; m-lines of streams that ended
 * stay, inactive. Answered by MEDIA_EV_LOCAL_SDP (type MEDIA_SDP_OFFER). */
int media_subscribe(struct media *m, uint64_t id);

int media_close_transport(struct media *m, uint64_t id);
/* Close every transport of the room (each gets MEDIA_EV_CLOSED). */
int media_close_room(struct media *m, const char *room);
/* Record the room's audio (every publisher's Opus, mixed) into a new Ogg Opus
 * file at path (at most 255 bytes; the file must not exist, its directory
 * must). Only with the participants' consent: that check is the caller's.
 * Answered by MEDIA_EV_RECORDING (recording = 1) or MEDIA_EV_ERROR. */
int media_record_start(struct media *m, const char *room, const char *path);
/* Finish the file: MEDIA_EV_RECORDING (recording = 0, duration_ms) once it is
 * closed and synced. The same event comes when the room closes or empties. */
int media_record_stop(struct media *m, const char *room);

/* MEDIA_EV_STATS for transport id, or for every transport when id is 0. */
int media_request_stats(struct media *m, uint64_t id);

enum media_event_type {
  MEDIA_EV_CREATED = 1,     /* ice_ufrag, ice_pwd, fingerprint, ip, port */
  MEDIA_EV_LOCAL_SDP,       /* sdp_type + sdp (NULL: remote answer accepted) */
  MEDIA_EV_CONNECTED,       /* ICE checked and DTLS-SRTP keyed */
  MEDIA_EV_FAILED,          /* DTLS failed (e.g. fingerprint mismatch); closed follows */
  MEDIA_EV_CONSENT_TIMEOUT, /* no ICE check for consent_timeout_ms; closed follows */
  MEDIA_EV_CLOSED,          /* the transport is gone */
  MEDIA_EV_STATS,
  MEDIA_EV_ROOM_CHANGED, /* a publisher's streams started or ended: renegotiate */
  MEDIA_EV_RECORDING,    /* recording = 1 started / 0 finished (path, duration_ms) */
  MEDIA_EV_SILENCE,      /* silent = 1: a publisher sent no voice for silence_ms; 0: voice again */
  MEDIA_EV_WEAK_LINK,    /* audio_only = 1: a subscriber's loss stayed high, video paused;
                            audio_only = 0: its link recovered, video resumes */
  MEDIA_EV_ERROR,        /* a command failed: code, message */
};

struct media_stats {
  uint64_t packets_in, packets_out, bytes_in, bytes_out;
  uint64_t packets_lost;      /* as reported by the browser or counted by us */
  uint32_t fraction_lost_256; /* latest fraction lost, /256 */
  uint32_t jitter_ms;
  uint32_t rtt_ms; /* 0 if unknown */
  uint64_t nacks_in, plis_in, retransmits;
  uint8_t connected;
  /* published audio: latest level in -dBov (0 loudest .. 127 silence) and
   * packets flagged as voice, from the RFC 6464 header extension, or where
   * the packets lack it from decoding a sample every 500 ms (level.c) */
  uint8_t audio_level;
  uint64_t voice_packets;
};

struct media_event {
  enum media_event_type type;
  uint64_t transport_id;
  char room[MEDIA_ROOM_MAX];
  /* MEDIA_EV_CREATED */
  char ice_ufrag[16], ice_pwd[40];
  char fingerprint[96];
  char ip[64];
  uint16_t port;
  /* MEDIA_EV_LOCAL_SDP */
  enum media_sdp_type sdp_type;
  char *sdp; /* NUL-terminated; freed by media_event_free */
  size_t sdp_len;
  /* MEDIA_EV_STATS */
  struct media_stats stats;
  /* MEDIA_EV_WEAK_LINK */
  uint8_t audio_only;
  /* MEDIA_EV_SILENCE */
  uint8_t silent;
  /* MEDIA_EV_RECORDING */
  uint8_t recording;
  char path[256];
  int64_t duration_ms;
  /* MEDIA_EV_ERROR / FAILED */
  int err;       /* LY_E* */
  char code[64]; /* "media.sdp_no_common_codec", "media.no_such_transport", ... */
  char message[256];
};

/* Relay-wide counters for /metrics. Workers update them with relaxed atomic
 * adds (the one exception to "only the queues are shared": monotonic
 * counters read for reporting); this sums them. Any thread may call it. */
struct media_metrics {
  uint64_t forwarded_packets; /* RTP packets sent to subscribers, ever */
  uint64_t dtls_failures;     /* handshakes failed or refused (fingerprint) */
  uint64_t transports;        /* open now */
  uint64_t connected;         /* open and keyed now */
  uint64_t rooms;             /* rooms with at least one transport now */
};
void media_metrics(const struct media *m, struct media_metrics *out);

/* Next pending event, or NULL when none. */
struct media_event *media_next_event(struct media *m);
void media_event_free(struct media_event *ev);

#endif
