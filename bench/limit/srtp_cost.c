/* bench/limit/srtp_cost.c — bench_srtp_cost: what SRTP costs per packet on
 * this machine, for both suites a browser may negotiate.
 *
 *   bench_srtp_cost [--seconds 1] [--contexts 1000] [--json]
 *
 * Two implementations: libsrtp itself (Debian's libsrtp2, built on NSS — what
 * Janus uses for both suites) and the relay's own wrappers (media/srtp.c:
 * AEAD_AES_128_GCM on OpenSSL, media/srtp_gcm.c; AES_CM_128_HMAC_SHA1_80 on
 * libsrtp). Each is timed with one context alive and again with --contexts
 * more alive (as a relay carrying that many calls has): NSS's cost per
 * packet grows with the number of keys in the process. For the benchmark's
 * packet sizes (120-byte audio, 1,200- and 900-byte video) it protects, then
 * unprotects (fresh sequence numbers, replay checks on), and prints
 * nanoseconds per protect, per unprotect, and per relayed packet of the mix
 * (one unprotect in, one protect out; 50 audio : 60 large : 30 small video).
 * AES-128-GCM straight through OpenSSL's EVP is printed for reference: the
 * cipher alone.
 */
#include <openssl/evp.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/dtls.h"
#include "media/rtp.h"
#include "media/srtp.h"

struct cost {
  double protect_ns, unprotect_ns;
};

/* One direction pair of either implementation. */
struct pair {
  int lib; /* 1: libsrtp directly, 0: media/srtp.c */
  srtp_t tx, rx;
  struct ly_srtp a, b;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static srtp_t lib_session(uint16_t profile, const uint8_t *key, int inbound) {
  srtp_policy_t pol;
  srtp_t s = NULL;
  memset(&pol, 0, sizeof pol);
  if (profile == DTLS_SRTP_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
  }
  pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  pol.key = (unsigned char *)(uintptr_t)key;
  pol.window_size = 1024;
  pol.allow_repeat_tx = 1;
  return srtp_create(&s, &pol) == srtp_err_status_ok ? s : NULL;
}

static int pair_open(struct pair *p, int lib, uint16_t profile, unsigned salt) {
  uint8_t k1[30], k2[30];
  for (int i = 0; i < 30; i++)
    k1[i] = (uint8_t)(i * 7 + salt), k2[i] = (uint8_t)(i * 5 + 3 + salt);
  memset(p, 0, sizeof *p);
  p->lib = lib;
  if (lib) return (p->tx = lib_session(profile, k1, 0)) && (p->rx = lib_session(profile, k1, 1)) ? 0 : -1;
  return ly_srtp_init(&p->a, profile, k1, k2) == 0 && ly_srtp_init(&p->b, profile, k2, k1) == 0 ? 0 : -1;
}

static void pair_close(struct pair *p) {
  if (p->tx) srtp_dealloc(p->tx);
  if (p->rx) srtp_dealloc(p->rx);
  ly_srtp_close(&p->a);
  ly_srtp_close(&p->b);
}

static int protect(struct pair *p, uint8_t *pkt, size_t len, size_t cap, size_t *out) {
  if (!p->lib) return ly_srtp_protect_rtp(&p->a, pkt, len, cap, out);
  int n = (int)len;
  int rc = srtp_protect(p->tx, pkt, &n) == srtp_err_status_ok ? 0 : -1;
  *out = (size_t)n;
  return rc;
}

static int unprotect(struct pair *p, uint8_t *pkt, size_t len, size_t *out) {
  if (!p->lib) return ly_srtp_unprotect_rtp(&p->b, pkt, len, out);
  int n = (int)len;
  int rc = srtp_unprotect(p->rx, pkt, &n) == srtp_err_status_ok ? 0 : -1;
  *out = (size_t)n;
  return rc;
}

/* Protect `wire`-byte packets (tag included) and unprotect them for about
 * `seconds`. */
static int measure(struct pair *p, uint16_t profile, unsigned wire, double seconds, struct cost *out) {
  size_t tag = profile == DTLS_SRTP_AES128_CM_SHA1_80 ? 10 : 16;
  uint8_t pkt[1600];
  int64_t prot = 0, unprot = 0, n = 0, end = now_ns() + (int64_t)(seconds * 1e9);
  static uint16_t seq = 1;
  while (now_ns() < end) {
    for (int k = 0; k < 256; k++, n++) {
      struct rtp_out o = {.pt = 96, .seq = seq++, .ts = (uint32_t)n * 3000, .ssrc = 0x1234};
      size_t hl, len;
      rtp_write_header(&o, pkt, sizeof pkt, &hl);
      memset(pkt + hl, 0x5a, wire - tag - hl);
      int64_t t0 = now_ns();
      if (protect(p, pkt, wire - tag, sizeof pkt, &len) != 0) return -1;
      int64_t t1 = now_ns();
      if (unprotect(p, pkt, len, &len) != 0) return -1;
      prot += t1 - t0;
      unprot += now_ns() - t1;
    }
  }
  out->protect_ns = (double)prot / (double)n;
  out->unprotect_ns = (double)unprot / (double)n;
  return 0;
}

/* AES-128-GCM through EVP with one keyed context: ns per packet of `wire`
 * bytes whose first 20 are authenticated only. */
static double evp_gcm_ns(unsigned wire, double seconds) {
  static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  uint8_t iv[12] = {0}, buf[1600], out[1600], tag[16];
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n;
  if (c == NULL || !EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv)) return -1;
  memset(buf, 0x5a, sizeof buf);
  int64_t spent = 0, count = 0, end = now_ns() + (int64_t)(seconds * 1e9);
  while (now_ns() < end) {
    int64_t t0 = now_ns();
    for (int k = 0; k < 256; k++, count++) {
      memcpy(iv, &count, sizeof count);
      EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv);
      EVP_EncryptUpdate(c, NULL, &n, buf, 20);
      EVP_EncryptUpdate(c, out, &n, buf + 20, (int)wire - 36);
      EVP_EncryptFinal_ex(c, out + n, &n);
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    }
    spent += now_ns() - t0;
  }
  EVP_CIPHER_CTX_free(c);
  return (double)spent / (double)count;
}

static const unsigned SIZES[3] = {120, 1200, 900};
static const double WEIGHT[3] = {50.0 / 140, 60.0 / 140, 30.0 / 140};

/* One implementation and suite, with `extra` idle contexts alive. */
static int run(int lib, uint16_t profile, const char *suite, unsigned extra, double seconds, int json) {
  struct pair *idle = calloc(extra + 1, sizeof *idle), p;
  int rc = -1;
  for (unsigned i = 0; i < extra; i++)
    if (idle == NULL || pair_open(&idle[i], lib, profile, i + 1) != 0) goto out;
  struct cost c[3];
  double mix = 0;
  if (pair_open(&p, lib, profile, 0) != 0) goto out;
  for (unsigned k = 0; k < 3; k++) {
    if (measure(&p, profile, SIZES[k], seconds / 3, &c[k]) != 0) break;
    mix += WEIGHT[k] * (c[k].protect_ns + c[k].unprotect_ns);
    rc = k == 2 ? 0 : -1;
  }
  pair_close(&p);
  const char *impl = lib                                     ? "libsrtp (NSS)"
                     : profile == DTLS_SRTP_AEAD_AES_128_GCM ? "lianyi (OpenSSL)"
                                                             : "lianyi (libsrtp)";
  if (rc == 0 && json)
    printf(
        "{\"impl\":\"%s\",\"suite\":\"%s\",\"contexts\":%u,\"audio_protect_ns\":%.0f,\"audio_unprotect_ns\":%"
        ".0f,"
        "\"video_protect_ns\":%.0f,\"video_unprotect_ns\":%.0f,\"mix_relay_ns\":%.0f}\n",
        impl, suite, extra + 1, c[0].protect_ns, c[0].unprotect_ns, c[1].protect_ns, c[1].unprotect_ns, mix);
  else if (rc == 0)
    printf("%-18s %-24s %8u %9.0f %9.0f %9.0f %9.0f %10.0f\n", impl, suite, extra + 1, c[0].protect_ns,
           c[0].unprotect_ns, c[1].protect_ns, c[1].unprotect_ns, mix);
out:
  for (unsigned i = 0; idle && i < extra; i++)
    pair_close(&idle[i]);
  free(idle);
  return rc;
}

int main(int argc, char **argv) {
  double seconds = 1;
  unsigned contexts = 1000;
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--contexts") && i + 1 < argc)
      contexts = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--json"))
      json = 1;
  }
  if (ly_srtp_global_init() != 0) return 1;
  if (!json)
    printf("%-18s %-24s %8s %9s %9s %9s %9s %10s\n", "implementation", "suite", "contexts", "audio p",
           "audio u", "video p", "video u", "mix ns");
  static const struct {
    uint16_t profile;
    const char *name;
  } suites[] = {{DTLS_SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM"},
                {DTLS_SRTP_AES128_CM_SHA1_80, "AES_CM_128_HMAC_SHA1_80"}};
  for (unsigned s = 0; s < 2; s++)
    for (int lib = 1; lib >= 0; lib--)
      for (unsigned extra = 0; extra <= contexts; extra += contexts ? contexts : 1)
        if (run(lib, suites[s].profile, suites[s].name, extra, seconds, json) != 0) {
          fprintf(stderr, "bench_srtp_cost: %s failed\n", suites[s].name);
          return 1;
        }
  double e120 = evp_gcm_ns(120, seconds / 2), e1200 = evp_gcm_ns(1200, seconds / 2);
  if (json)
    printf("{\"impl\":\"OpenSSL EVP\",\"suite\":\"AES-128-GCM\",\"audio_ns\":%.0f,\"video_ns\":%.0f}\n", e120,
           e1200);
  else
    printf("%-18s %-24s %8s %9.0f %9s %9.0f   (the cipher alone, for reference)\n", "OpenSSL EVP",
           "AES-128-GCM", "1", e120, "", e1200);
  return 0;
}
