/* media/level.c — a publisher's audio level when its packets carry no RFC
 * 6464 header extension (DESIGN §9: "decoding where it is absent").
 *
 * Decoding every packet on the forwarding thread would cost it ~20 µs a
 * packet, so the level is sampled: every LEVEL_PERIOD_MS the decoder is reset
 * and LEVEL_RUN consecutive packets are decoded at 8 kHz mono (libopus
 * decodes any packet at any rate; speech's level is in that band); the first
 * ones only settle the decoder's prediction after the reset, the last one
 * gives the level. That is 3 decodes in 25 packets, a tenth of the cost, and a
 * level every half second is plenty for "who is speaking" and for the 10 s
 * silence alert. The result is the extension's byte, so the rest of the relay
 * treats both sources alike.
 *
 * The state belongs to the publishing stream (struct level, freed with
 * level_free) and is used on its worker thread only.
 */
#include "media/level.h"

#include <math.h>
#include <opus/opus.h>

#include "core/err.h"

#define LEVEL_RATE    8000
#define LEVEL_SAMPLES 960 /* 120 ms at 8 kHz, the longest Opus packet */

static uint8_t level_byte(const int16_t *pcm, int n) {
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += (double)pcm[i] * pcm[i];
  double rms = sqrt(sum / n) / 32768.0;
  /* RFC 6464 §3: the level in -dBov, 0 (loudest) .. 127 (silence or below) */
  double dbov = rms > 0 ? -20.0 * log10(rms) : 127.0;
  uint8_t level = dbov >= 127.0 ? 127 : dbov <= 0 ? 0 : (uint8_t)lround(dbov);
  return (uint8_t)((level <= LEVEL_VOICE_DBOV ? 0x80 : 0) | level);
}

int level_from_opus(struct level *lv, const uint8_t *payload, size_t len, int64_t now_ms, uint8_t *out) {
  if (len == 0 || len > 1500) return LY_EINVAL;
  if (lv->run == 0 && now_ms < lv->next_ms) return LY_EAGAIN; /* between samples */
  if (lv->dec == NULL) {
    int err = 0;
    lv->dec = opus_decoder_create(LEVEL_RATE, 1, &err);
    if (lv->dec == NULL) return LY_ENOMEM;
  }
  if (lv->run == 0) opus_decoder_ctl(lv->dec, OPUS_RESET_STATE);
  int16_t pcm[LEVEL_SAMPLES];
  int n = opus_decode(lv->dec, payload, (opus_int32)len, pcm, LEVEL_SAMPLES, 0);
  if (n <= 0) { /* corrupt: no level this time, the stream goes on */
    lv->run = 0;
    lv->next_ms = now_ms + LEVEL_PERIOD_MS;
    return LY_EINVAL;
  }
  if (++lv->run < LEVEL_RUN) return LY_EAGAIN;
  lv->run = 0;
  lv->next_ms = now_ms + LEVEL_PERIOD_MS;
  *out = level_byte(pcm, n);
  return 0;
}

void level_free(struct level *lv) {
  opus_decoder_destroy(lv->dec);
  lv->dec = NULL;
  lv->run = 0;
  lv->next_ms = 0;
}
