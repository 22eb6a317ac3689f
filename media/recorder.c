/* media/recorder.c — Ogg Opus recording of a room's mixed audio. See recorder.h. */
#include "media/recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <ogg/ogg.h>
#include <openssl/rand.h>
#include <opus/opus.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"

#define RECORDER_BITRATE 24000 /* mono voice, VOIP mode (issue 5: ~24 kbit/s) */
#define MAX_DECODED      5760 /* 120 ms, the longest Opus packet */

static void put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v) {
  put_le16(p, (uint16_t)v);
  put_le16(p + 2, (uint16_t)(v >> 16));
}

static void write_pages(struct recorder *r, int flush) {
  ogg_page pg;
  ogg_stream_state *os = r->ogg;
  while (flush ? ogg_stream_flush(os, &pg) : ogg_stream_pageout(os, &pg)) {
    if (fwrite(pg.header, 1, (size_t)pg.header_len, r->f) != (size_t)pg.header_len ||
        fwrite(pg.body, 1, (size_t)pg.body_len, r->f) != (size_t)pg.body_len)
      r->err = LY_EIO;
  }
}

static void packet_in(struct recorder *r, const uint8_t *data, size_t len, int bos, int eos) {
  ogg_packet op = {.packet = (unsigned char *)data,
                   .bytes = (long)len,
                   .b_o_s = bos,
                   .e_o_s = eos,
                   .granulepos = (ogg_int64_t)r->granule,
                   .packetno = r->packetno++};
  ogg_stream_packetin(r->ogg, &op);
}

/* RFC 7845 §5: identification and comment headers, each on its own page. */
static void write_headers(struct recorder *r, uint16_t preskip) {
  uint8_t head[19];
  memcpy(head, "OpusHead", 8);
  head[8] = 1; /* version */
  head[9] = 1; /* channels: one mono track (issue 5) */
  put_le16(head + 10, preskip);
  put_le32(head + 12, RECORDER_RATE);
  put_le16(head + 16, 0); /* output gain */
  head[18] = 0;           /* mapping family 0: mono or stereo, no table */
  packet_in(r, head, sizeof head, 1, 0);
  write_pages(r, 1);
  static const char vendor[] = "lianyi-media";
  uint8_t tags[8 + 4 + sizeof vendor - 1 + 4];
  memcpy(tags, "OpusTags", 8);
  put_le32(tags + 8, sizeof vendor - 1);
  memcpy(tags + 12, vendor, sizeof vendor - 1);
  put_le32(tags + 12 + sizeof vendor - 1, 0); /* no user comments: no personal data in files */
  packet_in(r, tags, sizeof tags, 0, 0);
  write_pages(r, 1);
}

int recorder_open(struct recorder *r, const char *path, int64_t now_ms) {
  memset(r, 0, sizeof *r);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return errno == EEXIST ? LY_EEXIST : LY_EIO;
  r->f = fdopen(fd, "wb");
  r->ogg = calloc(1, sizeof(ogg_stream_state));
  int oerr = 0;
  r->enc = opus_encoder_create(RECORDER_RATE, 1, OPUS_APPLICATION_VOIP, &oerr);
  uint32_t serial = 0;
  if (RAND_bytes((unsigned char *)&serial, sizeof serial) != 1) serial = (uint32_t)now_ms;
  if (r->f == NULL || r->ogg == NULL || r->enc == NULL || ogg_stream_init(r->ogg, (int)serial) != 0) {
    if (r->f)
      fclose(r->f);
    else
      close(fd);
    unlink(path);
    free(r->ogg);
    opus_encoder_destroy(r->enc);
    memset(r, 0, sizeof *r);
    return LY_ENOMEM;
  }
  opus_encoder_ctl(r->enc, OPUS_SET_BITRATE(RECORDER_BITRATE));
  opus_int32 lookahead = 312;
  opus_encoder_ctl(r->enc, OPUS_GET_LOOKAHEAD(&lookahead));
  write_headers(r, (uint16_t)lookahead);
  r->next_frame_ms = now_ms;
  if (r->err != 0) {
    int err = r->err;
    recorder_close(r, NULL);
    unlink(path);
    return err;
  }
  return 0;
}

static struct recorder_source *source(struct recorder *r, uint64_t key) {
  struct recorder_source *free_slot = NULL;
  for (int i = 0; i < RECORDER_MAX_SOURCES; i++) {
    if (r->src[i].key == key) return &r->src[i];
    if (r->src[i].key == 0 && free_slot == NULL) free_slot = &r->src[i];
  }
  if (free_slot == NULL || key == 0) return NULL;
  int err = 0;
  free_slot->dec = opus_decoder_create(RECORDER_RATE, 1, &err); /* libopus downmixes stereo packets */
  free_slot->fifo = malloc(RECORDER_FIFO * sizeof(int16_t));
  if (free_slot->dec == NULL || free_slot->fifo == NULL) {
    opus_decoder_destroy(free_slot->dec);
    free(free_slot->fifo);
    memset(free_slot, 0, sizeof *free_slot);
    return NULL;
  }
  free_slot->key = key;
  return free_slot;
}

void recorder_on_opus(struct recorder *r, uint64_t key, const uint8_t *payload, size_t len) {
  if (r->f == NULL || len == 0 || len > 1275 * 3) return;
  struct recorder_source *s = source(r, key);
  if (s == NULL) return;
  int16_t pcm[MAX_DECODED];
  int n = opus_decode(s->dec, payload, (opus_int32)len, pcm, MAX_DECODED, 0);
  if (n <= 0) return;
  for (int i = 0; i < n; i++) {
    if (s->count == RECORDER_FIFO) { /* more than 200 ms queued: drop the oldest */
      s->head = (s->head + 1) % RECORDER_FIFO;
      s->count--;
    }
    unsigned at = (s->head + s->count) % RECORDER_FIFO;
    s->fifo[at] = pcm[i];
    s->count++;
  }
}

static void mix_frame(struct recorder *r, int16_t *out) {
  int32_t acc[RECORDER_FRAME];
  memset(acc, 0, sizeof acc);
  for (int k = 0; k < RECORDER_MAX_SOURCES; k++) {
    struct recorder_source *s = &r->src[k];
    if (s->key == 0) continue;
    unsigned take = s->count < RECORDER_FRAME ? s->count : RECORDER_FRAME; /* missing: silence */
    for (unsigned i = 0; i < take; i++) {
      unsigned at = (s->head + i) % RECORDER_FIFO;
      acc[i] += s->fifo[at];
    }
    s->head = (s->head + take) % RECORDER_FIFO;
    s->count -= take;
  }
  for (int i = 0; i < RECORDER_FRAME; i++)
    out[i] = (int16_t)(acc[i] > 32767 ? 32767 : acc[i] < -32768 ? -32768 : acc[i]);
}

static void encode_frame(struct recorder *r, int eos) {
  int16_t pcm[RECORDER_FRAME];
  uint8_t pkt[1500];
  mix_frame(r, pcm);
  opus_int32 n = opus_encode(r->enc, pcm, RECORDER_FRAME, pkt, sizeof pkt);
  if (n <= 0) return;
  r->granule += RECORDER_FRAME;
  r->frames++;
  packet_in(r, pkt, (size_t)n, 0, eos);
  write_pages(r, eos);
}

void recorder_tick(struct recorder *r, int64_t now_ms) {
  if (r->f == NULL) return;
  /* A late tick (the recording thread yields to forwarding when the CPU is
   * short) catches up at most 1 s per call, so the file keeps the call's
   * length; only a stall longer than RECORDER_MAX_BEHIND_MS (the clock
   * jumped, the machine slept) skips ahead rather than encode it all. */
  if (now_ms - r->next_frame_ms > RECORDER_MAX_BEHIND_MS) r->next_frame_ms = now_ms;
  for (int guard = 0; now_ms >= r->next_frame_ms && guard < 50; guard++) {
    encode_frame(r, 0);
    r->next_frame_ms += 20;
  }
}

int recorder_close(struct recorder *r, int64_t *duration_ms) {
  if (r->f == NULL) return 0;
  encode_frame(r, 1); /* the last packet carries end-of-stream */
  write_pages(r, 1);
  if (fflush(r->f) != 0 || fsync(fileno(r->f)) != 0) r->err = r->err ? r->err : LY_EIO;
  if (fclose(r->f) != 0 && r->err == 0) r->err = LY_EIO;
  ogg_stream_clear(r->ogg);
  free(r->ogg);
  opus_encoder_destroy(r->enc);
  for (int i = 0; i < RECORDER_MAX_SOURCES; i++) {
    opus_decoder_destroy(r->src[i].dec);
    free(r->src[i].fifo);
  }
  if (duration_ms) *duration_ms = (int64_t)r->frames * 20;
  int err = r->err;
  memset(r, 0, sizeof *r);
  return err;
}
