/* bench/recording_cost.c — CPU cost of recording one consultation (issue 5,
 * acceptance 5): media/recorder.c as a media worker runs it — two speakers'
 * 20 ms Opus packets in (decoded by libopus), mixed, encoded (VOIP, 48 kHz)
 * and written as Ogg pages — for `rooms` consultations side by side, on
 * simulated time as fast as one core goes. The answer is CPU seconds per
 * second of consultation, i.e. the share of one core a recorded call costs.
 *
 * Built by CMake (bench_recording_cost); `make bench` runs a short version:
 *   build/bench_recording_cost [rooms=20] [seconds=60] [dir=/tmp]
 */
#include <math.h>
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "media/recorder.h"

#define PKTS 50 /* one second of packets per voice, replayed */

struct voice {
  uint8_t pkt[PKTS][400];
  size_t len[PKTS];
};

/* One second of a tone at hz as 20 ms Opus packets, like a browser's. */
static int make_voice(struct voice *v, double hz) {
  int err = 0;
  OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  if (enc == NULL) return -1;
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
  double phase = 0;
  for (int p = 0; p < PKTS; p++) {
    int16_t pcm[960];
    for (int i = 0; i < 960; i++, phase += 2 * M_PI * hz / 48000)
      pcm[i] = (int16_t)(6000 * sin(phase));
    opus_int32 n = opus_encode(enc, pcm, 960, v->pkt[p], sizeof v->pkt[p]);
    if (n <= 0) return -1;
    v->len[p] = (size_t)n;
  }
  opus_encoder_destroy(enc);
  return 0;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int rooms = argc > 1 ? atoi(argv[1]) : 20, seconds = argc > 2 ? atoi(argv[2]) : 60;
  const char *dir = argc > 3 ? argv[3] : "/tmp";
  static struct voice a, b;
  if (rooms < 1 || rooms > 1000 || seconds < 1 || make_voice(&a, 440) || make_voice(&b, 880)) return 2;
  struct recorder *r = calloc((size_t)rooms, sizeof *r);
  char path[512];
  if (r == NULL) return 2;
  for (int i = 0; i < rooms; i++) {
    snprintf(path, sizeof path, "%s/lianyi-bench-rec-%d-%d.opus", dir, (int)getpid(), i);
    unlink(path);
    if (recorder_open(&r[i], path, 0) != 0) return 2;
  }
  double t0 = cpu_now();
  for (int64_t ms = 0; ms < seconds * 1000LL; ms += 20) {
    int p = (int)(ms / 20) % PKTS;
    for (int i = 0; i < rooms; i++) {
      recorder_on_opus(&r[i], 1, a.pkt[p], a.len[p]);
      recorder_on_opus(&r[i], 2, b.pkt[p], b.len[p]);
      recorder_tick(&r[i], ms);
    }
  }
  double t1 = cpu_now();
  int64_t dur = 0;
  for (int i = 0; i < rooms; i++) {
    recorder_close(&r[i], &dur);
    snprintf(path, sizeof path, "%s/lianyi-bench-rec-%d-%d.opus", dir, (int)getpid(), i);
    unlink(path);
  }
  double per = (t1 - t0) / ((double)rooms * seconds);
  printf(
      "recording: %d consultations x %d s (2 voices each): %.3f s CPU -> %.2f %% of one core per "
      "consultation (decode x2, mix, encode, Ogg); one core records ~%.0f at once\n",
      rooms, seconds, t1 - t0, per * 100, 1 / per);
  free(r);
  return 0;
}
