/* media/level.h — an Opus stream's audio level by decoding samples of it, as
 * the RFC 6464 extension byte (voice bit 0x80 | level in -dBov), for
 * publishers whose packets do not carry the extension. See level.c. */
#ifndef LY_MEDIA_LEVEL_H
#define LY_MEDIA_LEVEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct OpusDecoder OpusDecoder;

/* Louder than -50 dBov counts as voice (speech is -10..-40; a quiet room's
 * noise and digital silence are below). */
#define LEVEL_VOICE_DBOV 50
#define LEVEL_PERIOD_MS  500 /* a level this often */
#define LEVEL_RUN        3   /* packets decoded for one (after a decoder reset) */

/* One stream's sampling state; zeroed = nothing yet. */
struct level {
  OpusDecoder *dec; /* made on first use */
  int64_t next_ms;  /* next sample starts at the first packet from then */
  unsigned run;     /* packets decoded in the sample under way */
};

/* Feed the stream's next packet. Returns 0 with *out set when a sample is
 * complete; LY_EAGAIN between samples (nothing decoded, or not enough yet);
 * LY_EINVAL for an undecodable packet; LY_ENOMEM. */
int level_from_opus(struct level *lv, const uint8_t *payload, size_t len, int64_t now_ms, uint8_t *out);
void level_free(struct level *lv);

#endif
