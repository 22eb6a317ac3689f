/* bench/forward_recording.c — the relay's forwarding with recording on in
 * every room vs off (issue 5, acceptance 5): one media worker, R consultation
 * rooms, each with two publishers sending 20 ms Opus packets (50 packets/s,
 * real libopus voice, so the recorder decodes, mixes and encodes) and one
 * subscriber receiving both. Real ICE, DTLS, SRTP. For each R: forwarded
 * packets/s, loss and latency with recording off, then with every room
 * recorded (media_record_start) — the first seconds after it starts, and
 * the steady state after them — and the process CPU.
 *
 * Built by CMake (`make build`); the peers are bench/fwd_peer.c's:
 *   build/bench_forward_recording [rooms=25,50,100,150] [seconds=5] [dir=/tmp]
 */
#include <math.h>
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/fwd_peer.h"
#include "media/rtp.h"

#define MAXROOMS 170 /* 3 transports each, 512 per worker */

struct room {
  struct fwd_peer pub[2], sub;
  uint16_t seq[2];
};

#define PKTS 50
static uint8_t opus_pkt[2][PKTS][400];
static size_t opus_len[2][PKTS];

static void make_voices(void) {
  int err = 0;
  for (int v = 0; v < 2; v++) {
    OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    if (enc == NULL) fwd_peer_die("opus");
    double phase = 0, hz = v ? 880 : 440;
    for (int p = 0; p < PKTS; p++) {
      int16_t pcm[960];
      for (int i = 0; i < 960; i++, phase += 2 * M_PI * hz / 48000)
        pcm[i] = (int16_t)(6000 * sin(phase));
      opus_int32 n = opus_encode(enc, pcm, 960, opus_pkt[v][p], sizeof opus_pkt[v][p]);
      if (n <= 0) fwd_peer_die("opus_encode");
      opus_len[v][p] = (size_t)n;
    }
    opus_encoder_destroy(enc);
  }
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void drain(struct room *rooms, int nr, uint64_t *got) {
  uint8_t buf[2048];
  ssize_t r;
  for (int i = 0; i < nr; i++) {
    while ((r = recv(rooms[i].sub.fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
      if (rtp_is_rtp(buf, (size_t)r)) (*got)++;
    for (int k = 0; k < 2; k++) /* RTCP from the relay to publishers */
      while (recv(rooms[i].pub[k].fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
  }
}

/* Every publisher sends 50 packets/s for `seconds`; returns forwarded pkt/s. */
static void run(struct media *m, struct room *rooms, int nr, int seconds, const char *what) {
  struct media_metrics m0, m1;
  media_metrics(m, &m0);
  uint8_t pkt[600];
  uint64_t sent = 0, got = 0;
  int64_t start = fwd_peer_now_ns(), next = start, tick = 0;
  double c0 = cpu_now();
  while (fwd_peer_now_ns() - start < (int64_t)seconds * 1000000000LL) {
    if (fwd_peer_now_ns() >= next) {
      int p = (int)(tick % PKTS);
      for (int i = 0; i < nr; i++) {
        for (int k = 0; k < 2; k++) {
          struct rtp_out o = {.pt = 111,
                              .seq = rooms[i].seq[k]++,
                              .ts = (uint32_t)(tick * 960),
                              .ssrc = (uint32_t)(1000 + i * 2 + k)};
          size_t hl, n;
          rtp_write_header(&o, pkt, sizeof pkt, &hl);
          memcpy(pkt + hl, opus_pkt[k][p], opus_len[k][p]);
          if (ly_srtp_protect_rtp(&rooms[i].pub[k].srtp, pkt, hl + opus_len[k][p], sizeof pkt, &n) == 0)
            fwd_peer_send(&rooms[i].pub[k], pkt, n);
          sent++;
        }
      }
      tick++;
      next += 20000000LL;
    }
    drain(rooms, nr, &got);
    usleep(500);
  }
  for (int k = 0; k < 50; k++) {
    usleep(2000);
    drain(rooms, nr, &got);
  }
  double cpu = cpu_now() - c0;
  media_metrics(m, &m1);
  printf(
      "%4d rooms, recording %-17s: in %7.0f pkt/s, forwarded %7.0f pkt/s, loss %6.3f%%, process CPU %5.1f%% "
      "of "
      "one core; relay sent %.0f pkt/s\n",
      nr, what, (double)sent / seconds, (double)got / seconds, 100.0 * (1.0 - (double)got / (double)sent),
      100.0 * cpu / seconds, (double)(m1.forwarded_packets - m0.forwarded_packets) / seconds);
}

static int record_all(struct media *m, struct room *rooms, int nr, const char *dir, int on) {
  char name[32], path[512];
  for (int i = 0; i < nr; i++) {
    snprintf(name, sizeof name, "r%d", i);
    snprintf(path, sizeof path, "%s/lianyi-bench-fwd-%d-%d.opus", dir, (int)getpid(), i);
    if (on) {
      unlink(path);
      if (media_record_start(m, name, path) != 0) return -1;
    } else {
      media_record_stop(m, name);
    }
  }
  for (int i = 0; i < nr; i++) { /* one MEDIA_EV_RECORDING per room */
    struct media_event *ev = fwd_peer_wait_event(m, MEDIA_EV_RECORDING, 0);
    media_event_free(ev);
  }
  if (!on)
    for (int i = 0; i < nr; i++) {
      snprintf(path, sizeof path, "%s/lianyi-bench-fwd-%d-%d.opus", dir, (int)getpid(), i);
      unlink(path);
    }
  (void)rooms;
  return 0;
}

int main(int argc, char **argv) {
  const char *counts = argc > 1 ? argv[1] : "25,50,100,150";
  int seconds = argc > 2 ? atoi(argv[2]) : 5;
  const char *dir = argc > 3 ? argv[3] : "/tmp";
  make_voices();
  char *list = strdup(counts);
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    int nr = atoi(tok);
    if (nr < 1 || nr > MAXROOMS) fwd_peer_die("rooms 1..170");
    struct media_config cfg = {
        .workers = 1, .listen_ip = "127.0.0.1", .consent_timeout_ms = 3600000}; /* no ICE refresh here */
    struct media *m;
    if (media_start(&cfg, &m) != 0) fwd_peer_die("media_start");
    struct room *rooms = calloc((size_t)nr, sizeof *rooms);
    for (int i = 0; i < nr; i++) {
      char room[32], label[32];
      snprintf(room, sizeof room, "r%d", i);
      for (int k = 0; k < 2; k++) {
        snprintf(label, sizeof label, "p%da%d", i, k);
        fwd_peer_init(&rooms[i].pub[k], m, room, label, MEDIA_SEND);
        fwd_peer_publish(m, &rooms[i].pub[k], 0, (uint32_t)(1000 + i * 2 + k));
      }
      snprintf(label, sizeof label, "s%d", i);
      fwd_peer_init(&rooms[i].sub, m, room, label, MEDIA_RECV);
      fwd_peer_subscribe(m, &rooms[i].sub);
    }
    run(m, rooms, nr, seconds, "off");
    if (record_all(m, rooms, nr, dir, 1) != 0) fwd_peer_die("record");
    run(m, rooms, nr, seconds, "on, first seconds");
    run(m, rooms, nr, seconds, "on, steady");
    record_all(m, rooms, nr, dir, 0);
    media_stop(m);
    for (int i = 0; i < nr; i++) {
      fwd_peer_close(&rooms[i].sub);
      for (int k = 0; k < 2; k++)
        fwd_peer_close(&rooms[i].pub[k]);
    }
    free(rooms);
  }
  free(list);
  return 0;
}
