/* tests/unit/media/test_recorder.c — media/recorder.c: two voices in, one
 * Ogg Opus file out, read back with libogg and libopus (and opusinfo when
 * installed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>
#include <math.h>
#include <ogg/ogg.h>
#include <opus/opus.h>
#include <unistd.h>

#include "core/err.h"
#include "media/recorder.h"

static void temp_path(char *out, size_t cap, const char *tag) {
  static int n;
  snprintf(out, cap, "/tmp/lianyi-test-rec-%d-%s-%d.opus", (int)getpid(), tag, n++);
  unlink(out);
}

/* 20 ms Opus packets of a sine tone, as a browser would send them. */
struct tone {
  OpusEncoder *enc;
  double phase, hz;
};

static size_t tone_packet(struct tone *t, uint8_t *out, size_t cap) {
  int16_t pcm[960 * 2];
  for (int i = 0; i < 960; i++) {
    int16_t v = (int16_t)(8000 * sin(t->phase));
    pcm[2 * i] = pcm[2 * i + 1] = v;
    t->phase += 2 * M_PI * t->hz / 48000;
  }
  opus_int32 n = opus_encode(t->enc, pcm, 960, out, (opus_int32)cap);
  assert_true(n > 0);
  return (size_t)n;
}

struct readback {
  int packets, heads, tags, eos, channels;
  int64_t last_granule;
  double energy;
  long samples;
};

static void read_file(const char *path, struct readback *rb) {
  memset(rb, 0, sizeof *rb);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  ogg_sync_state oy;
  ogg_stream_state os;
  ogg_sync_init(&oy);
  int have_stream = 0, err;
  OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
  ogg_page pg;
  ogg_packet op;
  for (;;) {
    char *buf = ogg_sync_buffer(&oy, 4096);
    size_t n = fread(buf, 1, 4096, f);
    ogg_sync_wrote(&oy, (long)n);
    while (ogg_sync_pageout(&oy, &pg) == 1) {
      if (!have_stream) ogg_stream_init(&os, ogg_page_serialno(&pg)), have_stream = 1;
      ogg_stream_pagein(&os, &pg);
      if (ogg_page_eos(&pg)) rb->eos = 1;
      if (ogg_page_granulepos(&pg) >= 0) rb->last_granule = ogg_page_granulepos(&pg);
      while (ogg_stream_packetout(&os, &op) == 1) {
        if (op.bytes >= 19 && memcmp(op.packet, "OpusHead", 8) == 0) {
          rb->heads++;
          rb->channels = op.packet[9];
        } else if (op.bytes >= 8 && memcmp(op.packet, "OpusTags", 8) == 0)
          rb->tags++;
        else {
          int16_t pcm[5760 * 2];
          int s = opus_decode(dec, op.packet, (opus_int32)op.bytes, pcm, 5760, 0);
          assert_true(s > 0);
          for (int i = 0; i < s * 2; i++)
            rb->energy += (double)pcm[i] * pcm[i];
          rb->samples += s;
          rb->packets++;
        }
      }
    }
    if (n == 0) break;
  }
  if (have_stream) ogg_stream_clear(&os);
  ogg_sync_clear(&oy);
  opus_decoder_destroy(dec);
  fclose(f);
}

static void test_two_voices(void **state) {
  (void)state;
  char path[256];
  temp_path(path, sizeof path, "two");
  struct recorder r;
  assert_int_equal(recorder_open(&r, path, 1000), 0);
  int err;
  struct tone a = {.enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_VOIP, &err), .hz = 440};
  struct tone b = {.enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_VOIP, &err), .hz = 660};
  uint8_t pkt[1500];
  int64_t now = 1000;
  for (int i = 0; i < 50; i++) { /* one second of both talking */
    recorder_on_opus(&r, 11, pkt, tone_packet(&a, pkt, sizeof pkt));
    recorder_on_opus(&r, 22, pkt, tone_packet(&b, pkt, sizeof pkt));
    recorder_tick(&r, now);
    now += 20;
  }
  recorder_on_opus(&r, 11, (const uint8_t *)"\xff\xff\xff", 3); /* garbage: skipped */
  for (int i = 0; i < 25; i++, now += 20)
    recorder_tick(&r, now); /* half a second of silence */
  int64_t dur = 0;
  assert_int_equal(recorder_close(&r, &dur), 0);
  assert_true(dur >= 1500 && dur <= 1560);
  struct readback rb;
  read_file(path, &rb);
  assert_int_equal(rb.heads, 1);
  assert_int_equal(rb.channels, 1); /* one mono track */
  assert_int_equal(rb.tags, 1);
  assert_true(rb.eos);
  assert_int_equal(rb.packets, (int)(dur / 20));
  assert_int_equal(rb.last_granule, rb.packets * 960);
  assert_true(rb.energy / (double)(rb.samples * 2) > 1e5); /* not silence: the tones are in */
  if (access("/usr/bin/opusinfo", X_OK) == 0) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "/usr/bin/opusinfo %s >/dev/null 2>&1", path);
    assert_int_equal(system(cmd), 0);
  }
  opus_encoder_destroy(a.enc);
  opus_encoder_destroy(b.enc);
  unlink(path);
}

static void test_limits_and_errors(void **state) {
  (void)state;
  char path[256];
  temp_path(path, sizeof path, "lim");
  struct recorder r;
  assert_int_equal(recorder_open(&r, path, 0), 0);
  struct recorder again;
  assert_int_equal(recorder_open(&again, path, 0), LY_EEXIST); /* never overwritten */
  int err;
  struct tone t = {.enc = opus_encoder_create(48000, 2, OPUS_APPLICATION_VOIP, &err), .hz = 300};
  uint8_t pkt[1500];
  for (uint64_t k = 1; k <= RECORDER_MAX_SOURCES + 3; k++)
    recorder_on_opus(&r, k, pkt, tone_packet(&t, pkt, sizeof pkt));
  int used = 0;
  for (int i = 0; i < RECORDER_MAX_SOURCES; i++)
    used += r.src[i].key != 0;
  assert_int_equal(used, RECORDER_MAX_SOURCES);
  /* a burst longer than the FIFO keeps only the newest 200 ms */
  for (int i = 0; i < 30; i++)
    recorder_on_opus(&r, 1, pkt, tone_packet(&t, pkt, sizeof pkt));
  assert_int_equal(r.src[0].count, RECORDER_FIFO);
  /* a long stall does not encode minutes of silence in one go */
  recorder_tick(&r, 600000);
  assert_true(r.frames <= 51);
  assert_int_equal(recorder_close(&r, NULL), 0);
  assert_int_equal(recorder_close(&r, NULL), 0); /* closed: no-op */
  assert_int_equal(recorder_open(&r, "/nonexistent-dir/x.opus", 0), LY_EIO);
  opus_encoder_destroy(t.enc);
  unlink(path);
}

/* A late caller (the recording thread yielding to forwarding) catches up
 * 1 s per tick and the file keeps the call's length. */
static void test_late_ticks_catch_up(void **state) {
  (void)state;
  char path[256];
  temp_path(path, sizeof path, "late");
  struct recorder r;
  assert_int_equal(recorder_open(&r, path, 1000), 0);
  recorder_tick(&r, 4000); /* 3 s late */
  assert_int_equal(r.frames, 50);
  recorder_tick(&r, 4010);
  recorder_tick(&r, 4020);
  recorder_tick(&r, 4030);
  assert_int_equal(r.frames, 152); /* the frames at 1000, 1020 .. 4020 ms */
  int64_t dur = 0;
  assert_int_equal(recorder_close(&r, &dur), 0);
  assert_int_equal(dur, 153 * 20); /* and the end-of-stream frame */
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_voices),
      cmocka_unit_test(test_limits_and_errors),
      cmocka_unit_test(test_late_ticks_catch_up),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
