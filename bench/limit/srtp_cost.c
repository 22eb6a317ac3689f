/* bench/limit/srtp_cost.c — bench_srtp_cost: what libsrtp costs per packet on
 * this machine, through the relay's own wrappers (media/srtp.c), for both
 * suites a browser may negotiate.
 *
 *   bench_srtp_cost [--seconds 1] [--json]
 *
 * For AEAD_AES_128_GCM and AES_CM_128_HMAC_SHA1_80, and for the benchmark's
 * packet sizes (120-byte audio, 1,200- and 900-byte video), it protects and
 * then unprotects packets in a loop (fresh sequence numbers, replay checks
 * on) and prints nanoseconds per protect, per unprotect, and per relayed
 * packet of the benchmark's mix (one unprotect on the way in and one protect
 * on the way out, weighted 50 audio : 60 large video : 30 small video).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/dtls.h"
#include "media/rtp.h"
#include "media/srtp.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct cost {
  double protect_ns, unprotect_ns;
};

/* Protect `wire`-byte packets (after the tag) with tx and unprotect them with
 * rx for about `seconds`. */
static int measure(uint16_t profile, unsigned wire, double seconds, struct cost *out) {
  uint8_t key[32], salt_key[32];
  for (int i = 0; i < 32; i++)
    key[i] = (uint8_t)(i * 7 + 1), salt_key[i] = (uint8_t)(i * 5 + 3);
  struct ly_srtp tx, rx;
  memset(&tx, 0, sizeof tx);
  memset(&rx, 0, sizeof rx);
  if (ly_srtp_init(&tx, profile, key, salt_key) != 0 || ly_srtp_init(&rx, profile, salt_key, key) != 0)
    return -1;
  size_t tag = profile == DTLS_SRTP_AES128_CM_SHA1_80 ? 10 : 16;
  uint8_t pkt[1600], copy[1600];
  int64_t prot = 0, unprot = 0, n = 0, end = now_ns() + (int64_t)(seconds * 1e9);
  uint16_t seq = 1;
  while (now_ns() < end) {
    for (int k = 0; k < 256; k++, n++) {
      struct rtp_out o = {.pt = 96, .seq = seq++, .ts = (uint32_t)n * 3000, .ssrc = 0x1234};
      size_t hl, len;
      rtp_write_header(&o, pkt, sizeof pkt, &hl);
      memset(pkt + hl, 0x5a, wire - tag - hl);
      int64_t t0 = now_ns();
      if (ly_srtp_protect_rtp(&tx, pkt, wire - tag, sizeof pkt, &len) != 0) return -1;
      int64_t t1 = now_ns();
      memcpy(copy, pkt, len);
      int64_t t2 = now_ns();
      if (ly_srtp_unprotect_rtp(&rx, copy, len, &len) != 0) return -1;
      int64_t t3 = now_ns();
      prot += t1 - t0;
      unprot += t3 - t2;
    }
  }
  ly_srtp_close(&tx);
  ly_srtp_close(&rx);
  out->protect_ns = (double)prot / (double)n;
  out->unprotect_ns = (double)unprot / (double)n;
  return 0;
}

int main(int argc, char **argv) {
  double seconds = 1;
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--json"))
      json = 1;
  }
  if (ly_srtp_global_init() != 0) return 1;
  static const struct {
    uint16_t profile;
    const char *name;
  } suites[] = {{DTLS_SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM"},
                {DTLS_SRTP_AES128_CM_SHA1_80, "AES_CM_128_HMAC_SHA1_80"}};
  static const unsigned sizes[3] = {120, 1200, 900};
  static const double weight[3] = {50.0 / 140, 60.0 / 140, 30.0 / 140};
  if (!json) printf("%-24s %8s %12s %14s\n", "suite", "bytes", "protect ns", "unprotect ns");
  for (unsigned s = 0; s < 2; s++) {
    double mix = 0;
    struct cost c[3];
    for (unsigned k = 0; k < 3; k++) {
      if (measure(suites[s].profile, sizes[k], seconds / 3, &c[k]) != 0) {
        fprintf(stderr, "bench_srtp_cost: %s failed\n", suites[s].name);
        return 1;
      }
      mix += weight[k] * (c[k].protect_ns + c[k].unprotect_ns);
      if (!json)
        printf("%-24s %8u %12.0f %14.0f\n", suites[s].name, sizes[k], c[k].protect_ns, c[k].unprotect_ns);
    }
    if (json)
      printf(
          "{\"suite\":\"%s\",\"audio_protect_ns\":%.0f,\"audio_unprotect_ns\":%.0f,\"video_protect_ns\":%.0f,"
          "\"video_unprotect_ns\":%.0f,\"mix_relay_ns\":%.0f}\n",
          suites[s].name, c[0].protect_ns, c[0].unprotect_ns, c[1].protect_ns, c[1].unprotect_ns, mix);
    else
      printf("%-24s %8s %27.0f  (protect + unprotect, the benchmark's mix)\n", suites[s].name, "mix", mix);
  }
  return 0;
}
