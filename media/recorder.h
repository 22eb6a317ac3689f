/* media/recorder.h — a room's consultation recording as an Ogg Opus file
 * (RFC 7845): every published Opus stream is decoded, the voices are mixed,
 * and the mix is encoded again (one mono 48 kHz track, 20 ms frames) into Ogg pages
 * that browsers play.
 *
 * One struct recorder per recorded room, owned by that room's worker thread;
 * not thread-safe. Memory is allocated when recording starts and when a new
 * source first speaks (its decoder and a bounded 200 ms PCM FIFO); the packet
 * path itself does not allocate. Consent is the caller's business: signalling
 * starts a recording only after the participants agreed.
 */
#ifndef LY_MEDIA_RECORDER_H
#define LY_MEDIA_RECORDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RECORDER_MAX_SOURCES 8
#define RECORDER_RATE        48000
#define RECORDER_FRAME       960  /* 20 ms at 48 kHz */
#define RECORDER_FIFO        9600 /* 200 ms */
#define RECORDER_MAX_BEHIND_MS 10000 /* a tick later than this skips ahead (see recorder_tick) */

typedef struct OpusEncoder OpusEncoder;
typedef struct OpusDecoder OpusDecoder;

struct recorder_source {
  uint64_t key; /* caller's id for the stream (0 = slot free) */
  OpusDecoder *dec;
  int16_t *fifo; /* mono, RECORDER_FIFO samples */
  unsigned head, count;
};

struct recorder {
  FILE *f;
  void *ogg; /* ogg_stream_state */
  OpusEncoder *enc;
  int64_t next_frame_ms;
  uint64_t granule; /* 48 kHz samples written, pre-skip included */
  int64_t packetno;
  uint32_t frames; /* 20 ms frames encoded */
  int err;         /* first write error, sticky */
  struct recorder_source src[RECORDER_MAX_SOURCES];
};

/* Create path (it must not exist: recordings are never overwritten) and write
 * the OpusHead and OpusTags pages. now_ms: monotonic clock. Returns 0,
 * LY_EEXIST, LY_EIO or LY_ENOMEM; on error nothing is left open. */
int recorder_open(struct recorder *r, const char *path, int64_t now_ms);

/* One Opus packet (RTP payload) of stream `key`. A stream that cannot get a
 * slot (more than RECORDER_MAX_SOURCES) is ignored. Bad packets are skipped. */
void recorder_on_opus(struct recorder *r, uint64_t key, const uint8_t *payload, size_t len);

/* Mix and encode the 20 ms frames due by now_ms (at most 50 per call: a late
 * caller catches up over several calls; more than RECORDER_MAX_BEHIND_MS
 * behind, it skips ahead). */
void recorder_tick(struct recorder *r, int64_t now_ms);

/* Finish the stream (end-of-stream page), close the file and free. Returns 0
 * or the first I/O error. *duration_ms (if not NULL) gets the recorded length. */
int recorder_close(struct recorder *r, int64_t *duration_ms);

#endif
