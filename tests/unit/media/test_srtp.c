/* tests/unit/media/test_srtp.c — media/srtp.c: libsrtp's own known-answer
 * packets, round trips, tampering and replay for both profiles; and, since
 * AEAD_AES_128_GCM runs on our own code (media/srtp_gcm.c), interop with
 * libsrtp itself both ways: header extensions, CSRCs, padding, a sequence
 * number wrap, several SSRCs, reordering, SRTCP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include <srtp2/srtp.h>

#include "core/err.h"
#include "media/srtp.h"
#include "media/srtp_internal.h"

/* libsrtp test/srtp_driver.c reference packets (SSRC 0xcafebabe, seq 0x1234). */
static const uint8_t CM_KEY[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                                   0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                                   0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
static const uint8_t GCM_KEY[28] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                    0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3,
                                    0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const uint8_t RTP_PLAIN[28] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                      0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                      0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t RTCP_PLAIN[24] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
                                       0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                       0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t CM_RTP[38] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                   0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
                                   0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
                                   0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
static const uint8_t CM_RTCP[38] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28,
                                    0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41,
                                    0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
                                    0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};
static const uint8_t GCM_RTP[44] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba,
                                    0xbe, 0xc5, 0x00, 0x2e, 0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11,
                                    0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26, 0xf7,
                                    0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92};
static const uint8_t GCM_RTCP[44] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b,
                                     0x5d, 0xf0, 0x39, 0x2a, 0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e,
                                     0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46, 0xea,
                                     0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01};

static int setup(void **state) {
  (void)state;
  return ly_srtp_global_init();
}

static void known_answer(uint16_t profile, const uint8_t *key, const uint8_t *rtp_ct, size_t rtp_n,
                         const uint8_t *rtcp_ct, size_t rtcp_n) {
  struct ly_srtp a, b;
  uint8_t buf[128];
  size_t n;
  assert_int_equal(ly_srtp_init(&a, profile, key, key), 0);
  assert_int_equal(ly_srtp_init(&b, profile, key, key), 0);
  memcpy(buf, RTP_PLAIN, sizeof RTP_PLAIN);
  assert_int_equal(ly_srtp_protect_rtp(&a, buf, sizeof RTP_PLAIN, sizeof buf, &n), 0);
  assert_int_equal(n, rtp_n);
  assert_memory_equal(buf, rtp_ct, n);
  assert_int_equal(ly_srtp_unprotect_rtp(&b, buf, n, &n), 0);
  assert_int_equal(n, sizeof RTP_PLAIN);
  assert_memory_equal(buf, RTP_PLAIN, n);

  memcpy(buf, RTCP_PLAIN, sizeof RTCP_PLAIN);
  assert_int_equal(ly_srtp_protect_rtcp(&a, buf, sizeof RTCP_PLAIN, sizeof buf, &n), 0);
  assert_int_equal(n, rtcp_n);
  assert_memory_equal(buf, rtcp_ct, n);
  assert_int_equal(ly_srtp_unprotect_rtcp(&b, buf, n, &n), 0);
  assert_int_equal(n, sizeof RTCP_PLAIN);
  assert_memory_equal(buf, RTCP_PLAIN, n);
  ly_srtp_close(&a);
  ly_srtp_close(&b);
}

static void test_known_answer_cm(void **state) {
  (void)state;
  known_answer(0x0001, CM_KEY, CM_RTP, sizeof CM_RTP, CM_RTCP, sizeof CM_RTCP);
}

static void test_known_answer_gcm(void **state) {
  (void)state;
  known_answer(0x0007, GCM_KEY, GCM_RTP, sizeof GCM_RTP, GCM_RTCP, sizeof GCM_RTCP);
}

/* Two ends with crossed keys, as DTLS gives them: tamper and replay fail. */
static void round_trip(uint16_t profile) {
  uint8_t k1[30], k2[30];
  for (size_t i = 0; i < sizeof k1; i++) {
    k1[i] = (uint8_t)i;
    k2[i] = (uint8_t)(0x80 + i);
  }
  struct ly_srtp relay, browser;
  assert_int_equal(ly_srtp_init(&relay, profile, k1, k2), 0);
  assert_int_equal(ly_srtp_init(&browser, profile, k2, k1), 0);
  uint8_t pkt[200], orig[200], copy[240];
  size_t n, m;
  for (int seq = 0; seq < 50; seq++) {
    memset(pkt, 0x5a, sizeof pkt);
    pkt[0] = 0x80, pkt[1] = 111, pkt[2] = 0, pkt[3] = (uint8_t)seq;
    pkt[8] = 1, pkt[9] = 2, pkt[10] = 3, pkt[11] = 4;
    memcpy(orig, pkt, 100);
    uint8_t buf[240];
    memcpy(buf, pkt, 100);
    assert_int_equal(ly_srtp_protect_rtp(&browser, buf, 100, sizeof buf, &n), 0);
    assert_true(n > 100);
    memcpy(copy, buf, n);
    assert_int_equal(ly_srtp_unprotect_rtp(&relay, buf, n, &m), 0);
    assert_int_equal(m, 100);
    assert_memory_equal(buf, orig, 100);
    /* the same packet again is a replay */
    memcpy(buf, copy, n);
    assert_int_equal(ly_srtp_unprotect_rtp(&relay, buf, n, &m), LY_EEXIST);
  }
  /* a flipped payload bit, a flipped header bit, a cut tag: all refused */
  uint8_t buf[240];
  memcpy(buf, pkt, 100);
  buf[3] = 200;
  assert_int_equal(ly_srtp_protect_rtp(&browser, buf, 100, sizeof buf, &n), 0);
  memcpy(copy, buf, n);
  buf[50] ^= 1;
  assert_int_equal(ly_srtp_unprotect_rtp(&relay, buf, n, &m), LY_EAUTH);
  memcpy(buf, copy, n);
  buf[1] ^= 1;
  assert_int_equal(ly_srtp_unprotect_rtp(&relay, buf, n, &m), LY_EAUTH);
  memcpy(buf, copy, n);
  assert_int_not_equal(ly_srtp_unprotect_rtp(&relay, buf, n - 1, &m), 0);
  memcpy(buf, copy, n);
  assert_int_equal(ly_srtp_unprotect_rtp(&relay, buf, n, &m), 0); /* intact: still fine */

  /* the relay may send the same packet twice (a NACK answer) */
  memcpy(buf, orig, 100);
  assert_int_equal(ly_srtp_protect_rtp(&relay, buf, 100, sizeof buf, &n), 0);
  memcpy(buf, orig, 100);
  assert_int_equal(ly_srtp_protect_rtp(&relay, buf, 100, sizeof buf, &n), 0);

  /* RTCP both ways, and tampering */
  static const uint8_t pli[12] = {0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
  memcpy(buf, pli, 12);
  assert_int_equal(ly_srtp_protect_rtcp(&relay, buf, 12, sizeof buf, &n), 0);
  memcpy(copy, buf, n);
  assert_int_equal(ly_srtp_unprotect_rtcp(&browser, buf, n, &m), 0);
  assert_int_equal(m, 12);
  assert_memory_equal(buf, pli, 12);
  assert_int_equal(ly_srtp_unprotect_rtcp(&browser, copy, n, &m), LY_EEXIST); /* replayed */
  memcpy(buf, pli, 12);
  assert_int_equal(ly_srtp_protect_rtcp(&relay, buf, 12, sizeof buf, &n), 0);
  buf[9] ^= 0x10;
  assert_int_equal(ly_srtp_unprotect_rtcp(&browser, buf, n, &m), LY_EAUTH);

  /* no room for the trailer */
  assert_int_equal(ly_srtp_protect_rtp(&relay, buf, 100, 110, &n), LY_ETOOBIG);
  assert_int_equal(ly_srtp_unprotect_rtp(&relay, buf, 5, &n), LY_EPARSE);
  ly_srtp_close(&relay);
  ly_srtp_close(&browser);
}

static void test_round_trip_gcm(void **state) {
  (void)state;
  round_trip(0x0007);
}

static void test_round_trip_cm(void **state) {
  (void)state;
  round_trip(0x0001);
}

static void test_bad_profile(void **state) {
  (void)state;
  struct ly_srtp s;
  uint8_t k[30] = {0};
  assert_int_equal(ly_srtp_init(&s, 0x0002, k, k), LY_EINVAL);
  ly_srtp_close(&s);
  uint8_t buf[64] = {0x80};
  size_t n;
  assert_int_equal(ly_srtp_protect_rtp(&s, buf, 12, sizeof buf, &n), LY_ECRYPTO);
}

/* A libsrtp session with the GCM profile, as media/srtp.c used to make them. */
static srtp_t libsrtp_gcm(const uint8_t *key, int inbound) {
  srtp_policy_t pol;
  srtp_t s = NULL;
  memset(&pol, 0, sizeof pol);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
  pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  pol.key = (unsigned char *)(uintptr_t)key;
  pol.window_size = 1024;
  pol.allow_repeat_tx = 1;
  assert_int_equal(srtp_create(&s, &pol), srtp_err_status_ok);
  return s;
}

/* RTP packet `seq` of `ssrc`: a CSRC, a one-byte header extension, padding
 * on every third; returns its length. */
static size_t make_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, size_t payload) {
  size_t n = 0;
  int pad = seq % 3 == 0;
  p[n++] = (uint8_t)(0x80 | 0x10 | 0x01 | (pad ? 0x20 : 0)), p[n++] = 96;
  p[n++] = (uint8_t)(seq >> 8), p[n++] = (uint8_t)seq;
  for (int i = 0; i < 4; i++)
    p[n++] = (uint8_t)(seq * 7 + i); /* timestamp */
  for (int i = 3; i >= 0; i--)
    p[n++] = (uint8_t)(ssrc >> (8 * i));
  for (int i = 0; i < 4; i++)
    p[n++] = (uint8_t)(0xC0 + i);                       /* CSRC */
  p[n++] = 0xBE, p[n++] = 0xDE, p[n++] = 0, p[n++] = 1; /* one-byte extension, 1 word */
  p[n++] = 0x10, p[n++] = 0x2A, p[n++] = 0, p[n++] = 0; /* id 1, len 1 */
  for (size_t i = 0; i < payload; i++)
    p[n++] = (uint8_t)(i ^ seq);
  if (pad) p[n++] = 0, p[n++] = 0, p[n++] = 0, p[n++] = 4;
  return n;
}

/* Ours protects, libsrtp unprotects, and the other way round, across a
 * sequence number wrap (ROC 0 -> 1) on two SSRCs. */
static void test_gcm_interop_rtp(void **state) {
  (void)state;
  uint8_t k1[28], k2[28];
  for (int i = 0; i < 28; i++)
    k1[i] = (uint8_t)(3 * i + 1), k2[i] = (uint8_t)(0xF0 - i);
  struct ly_srtp ours;
  assert_int_equal(ly_srtp_init(&ours, 0x0007, k1, k2), 0);
  srtp_t lib_rx = libsrtp_gcm(k1, 1), lib_tx = libsrtp_gcm(k2, 0);
  uint8_t pkt[600], want[600];
  for (unsigned i = 0; i < 300; i++) {
    uint16_t seq = (uint16_t)(65400 + i); /* wraps after 136 packets */
    uint32_t ssrc = i % 2 ? 0x11111111u : 0x22222222u;
    size_t n = make_rtp(pkt, ssrc, seq, 20 + i % 200), m;
    memcpy(want, pkt, n);
    assert_int_equal(ly_srtp_protect_rtp(&ours, pkt, n, sizeof pkt, &m), 0);
    int len = (int)m;
    assert_int_equal(srtp_unprotect(lib_rx, pkt, &len), srtp_err_status_ok);
    assert_int_equal(len, (int)n);
    assert_memory_equal(pkt, want, n);
    memcpy(pkt, want, n);
    len = (int)n;
    assert_int_equal(srtp_protect(lib_tx, pkt, &len), srtp_err_status_ok);
    assert_int_equal(ly_srtp_unprotect_rtp(&ours, pkt, (size_t)len, &m), 0);
    assert_int_equal(m, n);
    assert_memory_equal(pkt, want, n);
  }
  srtp_dealloc(lib_rx);
  srtp_dealloc(lib_tx);
  ly_srtp_close(&ours);
}

/* SRTCP both ways, the index counting up from 1 on each side. */
static void test_gcm_interop_rtcp(void **state) {
  (void)state;
  uint8_t k1[28], k2[28];
  for (int i = 0; i < 28; i++)
    k1[i] = (uint8_t)(5 * i), k2[i] = (uint8_t)(0x33 ^ i);
  struct ly_srtp ours;
  assert_int_equal(ly_srtp_init(&ours, 0x0007, k1, k2), 0);
  srtp_t lib_rx = libsrtp_gcm(k1, 1), lib_tx = libsrtp_gcm(k2, 0);
  uint8_t pkt[200], want[200];
  for (int i = 0; i < 40; i++) {
    size_t n = 8 + 4 * (size_t)(i % 6), m; /* an RR with no blocks up to a few words more */
    for (size_t j = 0; j < n; j++)
      pkt[j] = (uint8_t)(i + 3 * j);
    pkt[0] = 0x80, pkt[1] = 201, pkt[2] = 0, pkt[3] = (uint8_t)(n / 4 - 1);
    pkt[4] = 0x0B, pkt[5] = 0xAD, pkt[6] = 0xF0, pkt[7] = (uint8_t)(i % 3); /* three senders */
    memcpy(want, pkt, n);
    assert_int_equal(ly_srtp_protect_rtcp(&ours, pkt, n, sizeof pkt, &m), 0);
    int len = (int)m;
    assert_int_equal(srtp_unprotect_rtcp(lib_rx, pkt, &len), srtp_err_status_ok);
    assert_int_equal(len, (int)n);
    assert_memory_equal(pkt, want, n);
    memcpy(pkt, want, n);
    len = (int)n;
    assert_int_equal(srtp_protect_rtcp(lib_tx, pkt, &len), srtp_err_status_ok);
    assert_int_equal(ly_srtp_unprotect_rtcp(&ours, pkt, (size_t)len, &m), 0);
    assert_int_equal(m, n);
    assert_memory_equal(pkt, want, n);
  }
  srtp_dealloc(lib_rx);
  srtp_dealloc(lib_tx);
  ly_srtp_close(&ours);
}

/* Reordering inside the window is fine once; far behind is refused; a
 * forged packet of a new SSRC leaves no state; the table of receiving SSRCs
 * is bounded. */
static void test_gcm_window(void **state) {
  (void)state;
  uint8_t k[28] = {9};
  struct ly_srtp a, b;
  assert_int_equal(ly_srtp_init(&a, 0x0007, k, k), 0);
  assert_int_equal(ly_srtp_init(&b, 0x0007, k, k), 0);
  static uint8_t sent[1200][80];
  static size_t len[1200];
  uint8_t buf[80];
  size_t m;
  for (unsigned i = 0; i < 1200; i++) {
    size_t n = make_rtp(sent[i], 0xABCDEF01u, (uint16_t)(1000 + i), 10);
    assert_int_equal(ly_srtp_protect_rtp(&a, sent[i], n, sizeof sent[i], &len[i]), 0);
  }
  for (unsigned i = 0; i < 1200; i += 2) { /* in pairs, the second first */
    unsigned j = i + 1 < 1200 ? i + 1 : i;
    memcpy(buf, sent[j], len[j]);
    assert_int_equal(ly_srtp_unprotect_rtp(&b, buf, len[j], &m), 0);
    if (j != i) {
      memcpy(buf, sent[i], len[i]);
      assert_int_equal(ly_srtp_unprotect_rtp(&b, buf, len[i], &m), 0);
    }
  }
  memcpy(buf, sent[1100], len[1100]); /* seen */
  assert_int_equal(ly_srtp_unprotect_rtp(&b, buf, len[1100], &m), LY_EEXIST);
  memcpy(buf, sent[50], len[50]); /* more than 1,024 behind */
  assert_int_equal(ly_srtp_unprotect_rtp(&b, buf, len[50], &m), LY_EEXIST);
  /* a new SSRC with a wrong tag: refused, and it does not take a slot */
  for (uint32_t s = 0; s < 40; s++) {
    size_t n = make_rtp(buf, 0x50000000u + s, 7, 10);
    assert_int_equal(ly_srtp_unprotect_rtp(&b, buf, n + 16, &m), LY_EAUTH);
  }
  unsigned accepted = 0;
  for (uint32_t s = 0; s < GCM_RX_SSRCS + 4; s++) {
    size_t n = make_rtp(buf, 0x60000000u + s, 7, 10), p;
    assert_int_equal(ly_srtp_protect_rtp(&a, buf, n, sizeof buf, &p), 0);
    int rc = ly_srtp_unprotect_rtp(&b, buf, p, &m);
    assert_true(rc == 0 || rc == LY_ECRYPTO);
    accepted += rc == 0;
  }
  assert_int_equal(accepted, GCM_RX_SSRCS - 1); /* one slot is 0xABCDEF01's */
  ly_srtp_close(&a);
  ly_srtp_close(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_answer_cm),  cmocka_unit_test(test_known_answer_gcm),
      cmocka_unit_test(test_round_trip_gcm),   cmocka_unit_test(test_round_trip_cm),
      cmocka_unit_test(test_bad_profile),      cmocka_unit_test(test_gcm_interop_rtp),
      cmocka_unit_test(test_gcm_interop_rtcp), cmocka_unit_test(test_gcm_window),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
