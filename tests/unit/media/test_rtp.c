/* tests/unit/media/test_rtp.c — media/rtp.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/err.h"
#include "media/rtp.h"

/* A Chrome-shaped Opus packet: one-byte extensions (RFC 8285 §4.2)
 * id 1 ssrc-audio-level (voice, 30 dBov), padding byte, id 2 abs-send-time,
 * id 4 mid "0", then 3 payload bytes. */
static const uint8_t OPUS_PKT[] = {
    0x90, 0xEF, 0x12, 0x34,                         /* V=2 X=1, M=1 PT=111, seq 0x1234 */
    0x00, 0x01, 0xE2, 0x40,                         /* ts 123456 */
    0xCA, 0xFE, 0xBA, 0xBE,                         /* ssrc */
    0xBE, 0xDE, 0x00, 0x03,                         /* one-byte profile, 3 words */
    0x10, 0x9E, 0x00, 0x22, 0x12, 0x34, 0x56, 0x40, /* al, pad, ast(3), mid(1).. */
    0x30, 0x00, 0x00, 0x00,                         /* ..'0', padding */
    0xFC, 0xFF, 0xFE,                               /* payload */
};

static void test_parse_one_byte_ext(void **state) {
  (void)state;
  struct rtp_hdr h;
  assert_int_equal(rtp_is_rtp(OPUS_PKT, sizeof OPUS_PKT), 1);
  assert_int_equal(rtp_parse(OPUS_PKT, sizeof OPUS_PKT, &h), 0);
  assert_int_equal(h.marker, 1);
  assert_int_equal(h.pt, 111);
  assert_int_equal(h.seq, 0x1234);
  assert_int_equal(h.ts, 123456);
  assert_int_equal(h.ssrc, 0xCAFEBABEu);
  assert_int_equal(h.ext_profile, 0xBEDE);
  assert_int_equal(h.n_ext, 3);
  assert_int_equal(h.header_len, 28);
  assert_int_equal(h.payload_len, 3);
  int voice, level;
  assert_int_equal(rtp_ext_audio_level(OPUS_PKT, &h, 1, &voice, &level), 0);
  assert_int_equal(voice, 1);
  assert_int_equal(level, 30);
  uint32_t t;
  assert_int_equal(rtp_ext_abs_send_time(OPUS_PKT, &h, 2, &t), 0);
  assert_int_equal(t, 0x123456);
  char mid[8];
  assert_int_equal(rtp_ext_mid(OPUS_PKT, &h, 4, mid, sizeof mid), 0);
  assert_string_equal(mid, "0");
  assert_int_equal(rtp_ext_mid(OPUS_PKT, &h, 4, mid, 1), LY_ETOOBIG);
  assert_int_equal(rtp_ext_audio_level(OPUS_PKT, &h, 9, &voice, &level), LY_ENOTFOUND);
  assert_int_equal(rtp_ext_abs_send_time(OPUS_PKT, &h, 1, &t), LY_ENOTFOUND); /* wrong size */
}

static void test_csrc_two_byte_and_padding(void **state) {
  (void)state;
  static const uint8_t pkt[] = {
      0xB2, 0x60, 0x00, 0x01, 0,    0,    0,    1,    0, 0, 0, 2, /* P=1 X=1 CC=2, PT=96 */
      0,    0,    0,    0xA,  0,    0,    0,    0xB,              /* CSRCs */
      0x10, 0x00, 0x00, 0x02,                                     /* two-byte profile, 2 words */
      0x05, 0x00, 0x07, 0x03, 0x61, 0x62, 0x63, 0x00,             /* id5 len0, id7 "abc", pad */
      0xAA, 0xBB, 0x00, 0x00, 0x03,                               /* payload 2 + padding 3 */
  };
  struct rtp_hdr h;
  assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), 0);
  assert_int_equal(h.csrc_count, 2);
  assert_int_equal(h.padding, 1);
  assert_int_equal(h.pad_len, 3);
  assert_int_equal(h.header_len, 32);
  assert_int_equal(h.payload_len, 2);
  assert_int_equal(h.n_ext, 2);
  const uint8_t *d;
  size_t n;
  assert_int_equal(rtp_ext_find(pkt, &h, 5, &d, &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(rtp_ext_find(pkt, &h, 7, &d, &n), 0);
  assert_int_equal(n, 3);
  assert_memory_equal(d, "abc", 3);
}

static void test_id15_stops_and_unknown_profile(void **state) {
  (void)state;
  static const uint8_t pkt[] = {
      0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xBE, 0xDE, 0x00, 0x01, 0x10, 0x01, 0xF0, 0x00,
  };
  struct rtp_hdr h;
  assert_int_equal(rtp_parse(pkt, sizeof pkt, &h), 0);
  assert_int_equal(h.n_ext, 1);
  uint8_t other[sizeof pkt];
  memcpy(other, pkt, sizeof pkt);
  other[12] = 0x12; /* some other profile: block skipped, not interpreted */
  assert_int_equal(rtp_parse(other, sizeof other, &h), 0);
  assert_int_equal(h.n_ext, 0);
  assert_int_equal(h.header_len, 20);
}

static void test_malformed(void **state) {
  (void)state;
  struct rtp_hdr h;
  uint8_t buf[sizeof OPUS_PKT];
  for (size_t i = 0; i < 28; i++)
    assert_int_not_equal(rtp_parse(OPUS_PKT, i, &h), 0);
  memcpy(buf, OPUS_PKT, sizeof buf);
  buf[0] = 0x50; /* version 1 */
  assert_int_equal(rtp_parse(buf, sizeof buf, &h), LY_EPARSE);
  memcpy(buf, OPUS_PKT, sizeof buf);
  buf[15] = 0x09; /* extension longer than the packet */
  assert_int_equal(rtp_parse(buf, sizeof buf, &h), LY_EPARSE);
  memcpy(buf, OPUS_PKT, sizeof buf);
  buf[23] = 0x4F; /* mid element claims 16 bytes */
  assert_int_equal(rtp_parse(buf, sizeof buf, &h), LY_EPARSE);
  memcpy(buf, OPUS_PKT, sizeof buf);
  buf[0] |= 0x20; /* padding: last byte 0xFE > rest */
  assert_int_equal(rtp_parse(buf, sizeof buf, &h), LY_EPARSE);
  buf[sizeof buf - 1] = 0; /* padding count 0 */
  assert_int_equal(rtp_parse(buf, sizeof buf, &h), LY_EPARSE);
  buf[0] = 0x8F; /* 15 CSRCs in a short packet */
  assert_int_equal(rtp_parse(buf, sizeof buf, &h), LY_EPARSE);
}

static void test_is_rtp_demux(void **state) {
  (void)state;
  uint8_t rtcp[8] = {0x80, 200, 0, 1, 0, 0, 0, 0};
  uint8_t rtp[12] = {0x80, 0x6F};
  uint8_t stun[20] = {0x00, 0x01};
  assert_int_equal(rtp_is_rtp(rtp, sizeof rtp), 1);
  rtp[1] = 0xE0; /* marker + PT 96 is RTP, not RTCP (224 is past 223) */
  assert_int_equal(rtp_is_rtp(rtp, sizeof rtp), 1);
  assert_int_equal(rtp_is_rtp(rtcp, sizeof rtcp), 0);
  assert_int_equal(rtp_is_rtp(stun, sizeof stun), 0);
}

static void test_write_header_round_trip(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n;
  uint8_t al = 0x9E, ast[3] = {1, 2, 3};
  struct rtp_out o = {.marker = 1, .pt = 100, .seq = 65535, .ts = 0xFFFFFFFFu, .ssrc = 7, .n_ext = 3};
  o.ext[0].id = 1, o.ext[0].len = 1, o.ext[0].data = &al;
  o.ext[1].id = 3, o.ext[1].len = 3, o.ext[1].data = ast;
  o.ext[2].id = 9, o.ext[2].len = 2, o.ext[2].data = (const uint8_t *)"s1";
  assert_int_equal(rtp_write_header(&o, buf, sizeof buf, &n), 0);
  assert_int_equal(n, 12 + 4 + 12);
  struct rtp_hdr h;
  assert_int_equal(rtp_parse(buf, n, &h), 0);
  assert_int_equal(h.ext_profile, 0xBEDE);
  assert_int_equal(h.marker, 1);
  assert_int_equal(h.pt, 100);
  assert_int_equal(h.seq, 65535);
  assert_int_equal(h.ts, 0xFFFFFFFFu);
  assert_int_equal(h.ssrc, 7);
  char mid[8];
  assert_int_equal(rtp_ext_mid(buf, &h, 9, mid, sizeof mid), 0);
  assert_string_equal(mid, "s1");
  uint32_t t;
  assert_int_equal(rtp_ext_abs_send_time(buf, &h, 3, &t), 0);
  assert_int_equal(t, 0x010203);

  o.ext[2].id = 20; /* forces the two-byte form */
  assert_int_equal(rtp_write_header(&o, buf, sizeof buf, &n), 0);
  assert_int_equal(rtp_parse(buf, n, &h), 0);
  assert_int_equal(h.ext_profile, 0x1000);
  assert_int_equal(rtp_ext_mid(buf, &h, 20, mid, sizeof mid), 0);
  assert_string_equal(mid, "s1");
  assert_int_equal(rtp_write_header(&o, buf, 20, &n), LY_ETOOBIG);
  o.ext[2].id = 0;
  assert_int_equal(rtp_write_header(&o, buf, sizeof buf, &n), LY_EINVAL);
  o.n_ext = 0;
  assert_int_equal(rtp_write_header(&o, buf, sizeof buf, &n), 0);
  assert_int_equal(n, 12);
  assert_int_equal(buf[0], 0x80);
}

static void test_setters(void **state) {
  (void)state;
  uint8_t buf[sizeof OPUS_PKT];
  memcpy(buf, OPUS_PKT, sizeof buf);
  rtp_set_pt(buf, 96);
  rtp_set_seq(buf, 7);
  rtp_set_ts(buf, 8);
  rtp_set_ssrc(buf, 9);
  struct rtp_hdr h;
  assert_int_equal(rtp_parse(buf, sizeof buf, &h), 0);
  assert_int_equal(h.marker, 1);
  assert_int_equal(h.pt, 96);
  assert_int_equal(h.seq, 7);
  assert_int_equal(h.ts, 8);
  assert_int_equal(h.ssrc, 9);
  assert_memory_equal(buf + 12, OPUS_PKT + 12, sizeof buf - 12);
  assert_int_equal(rtp_seq_diff(2, 65534), 4);
  assert_int_equal(rtp_seq_diff(65534, 2), -4);
}

static void test_abs_send_time(void **state) {
  (void)state;
  assert_int_equal(rtp_abs_send_time_from_ms(0), 0);
  assert_int_equal(rtp_abs_send_time_from_ms(1000), 1u << 18);
  assert_int_equal(rtp_abs_send_time_from_ms(64000), 0); /* wraps every 64 s */
  assert_int_equal(rtp_abs_send_time_from_ms(500), 1u << 17);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_one_byte_ext),
      cmocka_unit_test(test_csrc_two_byte_and_padding),
      cmocka_unit_test(test_id15_stops_and_unknown_profile),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_is_rtp_demux),
      cmocka_unit_test(test_write_header_round_trip),
      cmocka_unit_test(test_setters),
      cmocka_unit_test(test_abs_send_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
