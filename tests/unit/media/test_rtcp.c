/* tests/unit/media/test_rtcp.c — media/rtcp.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/err.h"
#include "media/rtcp.h"

/* SR with one report block, then SDES CNAME "abcd" (the shape browsers send). */
static const uint8_t SR_SDES[] = {
    0x81, 200,  0x00, 0x0C,                         /* SR, RC=1, length 12 */
    0x11, 0x22, 0x33, 0x44,                         /* sender SSRC */
    0xE8, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, /* NTP */
    0x00, 0x00, 0x10, 0x00,                         /* RTP ts */
    0x00, 0x00, 0x00, 0x64,                         /* packets 100 */
    0x00, 0x00, 0x27, 0x10,                         /* octets 10000 */
    0x55, 0x66, 0x77, 0x88,                         /* block: ssrc */
    0x40, 0xFF, 0xFF, 0xFE,                         /* fraction 64, cumulative -2 */
    0x00, 0x01, 0x00, 0x05,                         /* ext highest seq */
    0x00, 0x00, 0x00, 0x20,                         /* jitter */
    0xAA, 0xBB, 0xCC, 0xDD,                         /* LSR */
    0x00, 0x01, 0x00, 0x00,                         /* DLSR */
    0x81, 202,  0x00, 0x03,                         /* SDES, 1 chunk, length 3 */
    0x11, 0x22, 0x33, 0x44, 0x01, 0x04, 'a',  'b',  'c', 'd', 0x00, 0x00,
};

static void test_sr_sdes_compound(void **state) {
  (void)state;
  assert_int_equal(rtcp_is_rtcp(SR_SDES, sizeof SR_SDES), 1);
  assert_int_equal(rtcp_validate(SR_SDES, sizeof SR_SDES), 0);
  struct rtcp_iter it;
  struct rtcp_pkt p;
  rtcp_iter_init(&it, SR_SDES, sizeof SR_SDES);
  assert_int_equal(rtcp_next(&it, &p), 1);
  assert_int_equal(p.type, RTCP_SR);
  struct rtcp_sr sr;
  assert_int_equal(rtcp_parse_sr(&p, &sr), 0);
  assert_int_equal(sr.ssrc, 0x11223344u);
  assert_true(sr.ntp == 0xE800000080000000ull);
  assert_int_equal(sr.rtp_ts, 0x1000);
  assert_int_equal(sr.packet_count, 100);
  assert_int_equal(sr.octet_count, 10000);
  assert_int_equal(sr.n_blocks, 1);
  assert_int_equal(sr.blocks[0].ssrc, 0x55667788u);
  assert_int_equal(sr.blocks[0].fraction_lost, 64);
  assert_int_equal(sr.blocks[0].cumulative_lost, -2);
  assert_int_equal(sr.blocks[0].ext_highest_seq, 0x10005);
  assert_int_equal(sr.blocks[0].jitter, 32);
  assert_int_equal(sr.blocks[0].lsr, 0xAABBCCDDu);
  assert_int_equal(sr.blocks[0].dlsr, 0x10000);
  assert_int_equal(rtcp_next(&it, &p), 1);
  assert_int_equal(p.type, RTCP_SDES);
  uint32_t ssrc;
  char cname[16];
  assert_int_equal(rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof cname), 0);
  assert_int_equal(ssrc, 0x11223344u);
  assert_string_equal(cname, "abcd");
  assert_int_equal(rtcp_parse_sdes_cname(&p, &ssrc, cname, 4), LY_ETOOBIG);
  assert_int_equal(rtcp_next(&it, &p), 0);

  /* the writers reproduce the same bytes */
  uint8_t out[128];
  size_t off = 0;
  assert_int_equal(rtcp_write_sr(out, sizeof out, &off, &sr), 0);
  assert_int_equal(rtcp_write_sdes_cname(out, sizeof out, &off, 0x11223344u, "abcd"), 0);
  assert_int_equal(off, sizeof SR_SDES);
  assert_memory_equal(out, SR_SDES, off);
}

static void test_validate_rejects(void **state) {
  (void)state;
  uint8_t b[sizeof SR_SDES + 8];
  for (size_t i = 1; i < sizeof SR_SDES; i++)
    if (i != 52) assert_int_not_equal(rtcp_validate(SR_SDES, i), 0); /* 52 = SR alone */
  assert_int_equal(rtcp_validate(SR_SDES, 52), 0);
  memcpy(b, SR_SDES, sizeof SR_SDES);
  b[52] = 0x41; /* version 1 in the second packet */
  assert_int_equal(rtcp_validate(b, sizeof SR_SDES), LY_EPARSE);
  memcpy(b, SR_SDES, sizeof SR_SDES);
  b[0] |= 0x20; /* padding on a packet that is not last */
  assert_int_equal(rtcp_validate(b, sizeof SR_SDES), LY_EPARSE);
  memcpy(b, SR_SDES, sizeof SR_SDES);
  b[3] = 0x40; /* length past the end */
  assert_int_equal(rtcp_validate(b, sizeof SR_SDES), LY_EPARSE);
  memcpy(b, SR_SDES, sizeof SR_SDES);
  b[53] = 100; /* not an RTCP type */
  assert_int_equal(rtcp_validate(b, sizeof SR_SDES), LY_EPARSE);
  /* padding on the last packet is fine and hidden from parsers */
  uint8_t bye[12] = {0xA1, 203, 0, 2, 0, 0, 0, 9, 0, 0, 0, 4};
  assert_int_equal(rtcp_validate(bye, sizeof bye), 0);
  struct rtcp_iter it;
  struct rtcp_pkt p;
  rtcp_iter_init(&it, bye, sizeof bye);
  assert_int_equal(rtcp_next(&it, &p), 1);
  assert_int_equal(p.len, 8);
  struct rtcp_bye by;
  assert_int_equal(rtcp_parse_bye(&p, &by), 0);
  assert_int_equal(by.n_ssrc, 1);
  assert_int_equal(by.ssrc[0], 9);
  bye[11] = 12; /* padding larger than the body */
  assert_int_equal(rtcp_validate(bye, sizeof bye), LY_EPARSE);
  /* SR that claims more blocks than it holds */
  uint8_t bad_sr[28] = {0x82, 200, 0, 6};
  rtcp_iter_init(&it, bad_sr, sizeof bad_sr);
  assert_int_equal(rtcp_next(&it, &p), 1);
  struct rtcp_sr sr;
  assert_int_equal(rtcp_parse_sr(&p, &sr), LY_EPARSE);
}

static int one_packet(const uint8_t *b, size_t n, struct rtcp_pkt *p) {
  struct rtcp_iter it;
  rtcp_iter_init(&it, b, n);
  return rtcp_next(&it, p);
}

static void test_pli_fir_remb(void **state) {
  (void)state;
  uint8_t b[64];
  size_t off = 0;
  struct rtcp_pkt p;
  struct rtcp_fb fb;
  static const uint8_t pli[12] = {0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
  assert_int_equal(rtcp_write_pli(b, sizeof b, &off, 1, 2), 0);
  assert_memory_equal(b, pli, 12);
  assert_int_equal(one_packet(b, off, &p), 1);
  assert_int_equal(rtcp_parse_fb(&p, &fb), 0);
  assert_int_equal(fb.type, RTCP_PSFB);
  assert_int_equal(fb.fmt, RTCP_FMT_PLI);
  assert_int_equal(fb.media_ssrc, 2);

  off = 0;
  static const uint8_t fir[20] = {0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 7, 0, 0, 0};
  assert_int_equal(rtcp_write_fir(b, sizeof b, &off, 1, 2, 7), 0);
  assert_memory_equal(b, fir, 20);
  assert_int_equal(one_packet(b, off, &p), 1);
  assert_int_equal(rtcp_parse_fb(&p, &fb), 0);
  assert_int_equal(fb.n_fci, 1);
  assert_int_equal(fb.fir[0].ssrc, 2);
  assert_int_equal(fb.fir[0].seq, 7);

  /* REMB 1,200,000 bps = 0x124F80: exponent 3, mantissa 150000 (0x249F0) */
  off = 0;
  uint32_t ssrcs[2] = {0xA, 0xB};
  static const uint8_t remb[28] = {0x8F, 206, 0, 6,    0,    0,    0, 1, 0, 0,   0, 0, 'R', 'E',
                                   'M',  'B', 2, 0x0E, 0x49, 0xF0, 0, 0, 0, 0xA, 0, 0, 0,   0xB};
  assert_int_equal(rtcp_write_remb(b, sizeof b, &off, 1, 1200000, ssrcs, 2), 0);
  assert_int_equal(off, 28);
  assert_memory_equal(b, remb, 28);
  assert_int_equal(one_packet(b, off, &p), 1);
  assert_int_equal(rtcp_parse_fb(&p, &fb), 0);
  assert_true(fb.is_remb);
  assert_true(fb.remb_bps == 1200000);
  assert_int_equal(fb.n_fci, 2);
  assert_int_equal(fb.remb_ssrc[1], 0xB);
  uint8_t short_remb[28];
  memcpy(short_remb, remb, 28);
  short_remb[16] = 9; /* more SSRCs than fit */
  assert_int_equal(one_packet(short_remb, 28, &p), 1);
  assert_int_equal(rtcp_parse_fb(&p, &fb), LY_EPARSE);
  assert_int_equal(rtcp_write_pli(b, 20, &off, 1, 2), LY_ETOOBIG);
}

static void test_nack(void **state) {
  (void)state;
  uint8_t b[64];
  size_t off = 0;
  uint16_t seqs[] = {100, 101, 116, 117, 65535, 3};
  assert_int_equal(rtcp_write_nack(b, sizeof b, &off, 1, 2, seqs, 6), 0);
  /* pairs: 100 + blp bits {0,15} ; 117 alone; 65535 + bit 3 (for 3 = 65535+4) */
  static const uint8_t want[24] = {0x81, 205, 0,    5, 0, 0,   0, 1, 0,    0,    0, 2,
                                   0,    100, 0x80, 1, 0, 117, 0, 0, 0xFF, 0xFF, 0, 8};
  assert_int_equal(off, 24);
  assert_memory_equal(b, want, 24);
  struct rtcp_pkt p;
  struct rtcp_fb fb;
  assert_int_equal(one_packet(b, off, &p), 1);
  assert_int_equal(rtcp_parse_fb(&p, &fb), 0);
  assert_int_equal(fb.n_fci, 3);
  uint16_t out[64];
  size_t n = rtcp_nack_seqs(&fb, out, 64);
  assert_int_equal(n, 6);
  uint16_t sorted_want[] = {100, 101, 116, 117, 65535, 3};
  assert_memory_equal(out, sorted_want, sizeof sorted_want);
  assert_int_equal(rtcp_nack_seqs(&fb, out, 2), 2);
  assert_int_equal(rtcp_write_nack(b, sizeof b, &off, 1, 2, seqs, 0), LY_EINVAL);
  uint8_t empty[12] = {0x81, 205, 0, 2};
  assert_int_equal(one_packet(empty, 12, &p), 1);
  assert_int_equal(rtcp_parse_fb(&p, &fb), LY_EPARSE);
}

static void test_rr_round_trip(void **state) {
  (void)state;
  struct rtcp_rr rr = {.ssrc = 5, .n_blocks = 2};
  rr.blocks[0] = (struct rtcp_report_block){.ssrc = 1,
                                            .fraction_lost = 3,
                                            .cumulative_lost = -7,
                                            .ext_highest_seq = 70000,
                                            .jitter = 9,
                                            .lsr = 1,
                                            .dlsr = 2};
  rr.blocks[1] = (struct rtcp_report_block){.ssrc = 2, .cumulative_lost = 0x7FFFFF};
  uint8_t b[128];
  size_t off = 0;
  assert_int_equal(rtcp_write_rr(b, sizeof b, &off, &rr), 0);
  assert_int_equal(rtcp_write_bye(b, sizeof b, &off, 5), 0);
  assert_int_equal(rtcp_validate(b, off), 0);
  struct rtcp_pkt p;
  struct rtcp_rr got;
  assert_int_equal(one_packet(b, off, &p), 1);
  assert_int_equal(rtcp_parse_rr(&p, &got), 0);
  assert_int_equal(got.n_blocks, 2);
  assert_int_equal(got.blocks[0].cumulative_lost, -7);
  assert_int_equal(got.blocks[0].ext_highest_seq, 70000);
  assert_int_equal(got.blocks[1].cumulative_lost, 0x7FFFFF);
  struct rtcp_fb fb;
  assert_int_equal(rtcp_parse_fb(&p, &fb), LY_EPARSE);
}

static void test_ntp(void **state) {
  (void)state;
  assert_true(rtcp_ntp_from_ms(0) == (2208988800ull << 32));
  assert_true(rtcp_ntp_from_ms(1500) == ((2208988801ull << 32) | 0x80000000u));
  assert_int_equal(rtcp_ntp_mid32(0x0123456789ABCDEFull), 0x456789ABu);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sr_sdes_compound), cmocka_unit_test(test_validate_rejects),
      cmocka_unit_test(test_pli_fir_remb),     cmocka_unit_test(test_nack),
      cmocka_unit_test(test_rr_round_trip),    cmocka_unit_test(test_ntp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
