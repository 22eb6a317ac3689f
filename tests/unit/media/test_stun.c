/* tests/unit/media/test_stun.c — media/stun.c against RFC 5769 vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka after the standard headers */
#include <arpa/inet.h>
#include <cmocka.h>

#include "core/err.h"
#include "media/stun.h"

static const char *PWD = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t TID[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

/* RFC 5769 §2.1 */
static const uint8_t REQ[108] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 §2.2 */
static const uint8_t RESP4[80] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 §2.3 */
static const uint8_t RESP6[92] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static void test_crc32_check_value(void **state) {
  (void)state;
  assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
  assert_int_equal(stun_crc32(NULL, 0), 0);
}

static void test_rfc5769_request(void **state) {
  (void)state;
  struct stun_msg m;
  assert_int_equal(stun_is_stun(REQ, sizeof REQ), 1);
  assert_int_equal(stun_parse(REQ, sizeof REQ, &m), 0);
  assert_int_equal(m.type, STUN_BINDING_REQUEST);
  assert_memory_equal(m.tid, TID, 12);
  assert_true(m.has_username);
  assert_int_equal(m.username_len, 9);
  assert_memory_equal(m.username, "evtj:h6vY", 9);
  assert_true(m.has_priority);
  assert_int_equal(m.priority, 0x6e0001ffu);
  assert_true(m.has_ice_controlled);
  assert_false(m.has_ice_controlling);
  assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
  assert_false(m.use_candidate);
  assert_int_equal(m.unknown_required, 0);
  assert_int_equal(stun_check_integrity(&m, (const uint8_t *)PWD, strlen(PWD)), 0);
  assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"wrong", 5), LY_EAUTH);
  assert_int_equal(stun_check_fingerprint(&m), 0);

  const char *l, *r;
  size_t ll, rl;
  assert_int_equal(stun_username_split(&m, &l, &ll, &r, &rl), 0);
  assert_int_equal(ll, 4);
  assert_memory_equal(l, "evtj", 4);
  assert_int_equal(rl, 4);
  assert_memory_equal(r, "h6vY", 4);
}

static void test_rfc5769_ipv4_response(void **state) {
  (void)state;
  struct stun_msg m;
  assert_int_equal(stun_parse(RESP4, sizeof RESP4, &m), 0);
  assert_int_equal(m.type, STUN_BINDING_SUCCESS);
  assert_true(m.has_xor_mapped);
  const struct sockaddr_in *sin = (const struct sockaddr_in *)&m.xor_mapped;
  assert_int_equal(sin->sin_family, AF_INET);
  assert_int_equal(ntohs(sin->sin_port), 32853);
  assert_int_equal(ntohl(sin->sin_addr.s_addr), 0xC0000201u);
  assert_int_equal(stun_check_integrity(&m, (const uint8_t *)PWD, strlen(PWD)), 0);
  assert_int_equal(stun_check_fingerprint(&m), 0);
}

static void test_rfc5769_ipv6_response(void **state) {
  (void)state;
  struct stun_msg m;
  assert_int_equal(stun_parse(RESP6, sizeof RESP6, &m), 0);
  assert_true(m.has_xor_mapped);
  const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&m.xor_mapped;
  assert_int_equal(sin6->sin6_family, AF_INET6);
  assert_int_equal(ntohs(sin6->sin6_port), 32853);
  struct in6_addr want;
  assert_int_equal(inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &want), 1);
  assert_memory_equal(&sin6->sin6_addr, &want, 16);
  assert_int_equal(stun_check_integrity(&m, (const uint8_t *)PWD, strlen(PWD)), 0);
  assert_int_equal(stun_check_fingerprint(&m), 0);
}

/* The writer reproduces the vectors byte for byte (with their 0x20 padding). */
static void test_writer_reproduces_vectors(void **state) {
  (void)state;
  uint8_t buf[256];
  size_t n = 0;
  struct stun_writer w;
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(32853)};
  inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
  stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_SUCCESS, TID);
  w.pad = 0x20;
  stun_writer_attr(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
  stun_writer_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&sin);
  stun_writer_integrity(&w, (const uint8_t *)PWD, strlen(PWD));
  stun_writer_fingerprint(&w);
  assert_int_equal(stun_writer_finish(&w, &n), 0);
  assert_int_equal(n, sizeof RESP4);
  assert_memory_equal(buf, RESP4, n);

  struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(32853)};
  inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &sin6.sin6_addr);
  stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_SUCCESS, TID);
  w.pad = 0x20;
  stun_writer_attr(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
  stun_writer_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&sin6);
  stun_writer_integrity(&w, (const uint8_t *)PWD, strlen(PWD));
  stun_writer_fingerprint(&w);
  assert_int_equal(stun_writer_finish(&w, &n), 0);
  assert_int_equal(n, sizeof RESP6);
  assert_memory_equal(buf, RESP6, n);

  stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, TID);
  w.pad = 0x20;
  stun_writer_attr(&w, STUN_ATTR_SOFTWARE, "STUN test client", 16);
  stun_writer_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
  stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
  stun_writer_attr(&w, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
  stun_writer_integrity(&w, (const uint8_t *)PWD, strlen(PWD));
  stun_writer_fingerprint(&w);
  assert_int_equal(stun_writer_finish(&w, &n), 0);
  assert_int_equal(n, sizeof REQ);
  assert_memory_equal(buf, REQ, n);
}

static void test_binding_round_trip(void **state) {
  (void)state;
  uint8_t req[256], resp[256];
  size_t n = 0, rn = 0;
  struct stun_request_params p = {.tid = TID,
                                  .username = "srvU:cliU",
                                  .pwd = "serverpassword0123456789",
                                  .priority = 1853824767u,
                                  .tiebreaker = 42,
                                  .use_candidate = 1};
  assert_int_equal(stun_write_binding_request(&p, req, sizeof req, &n), 0);
  struct stun_msg m;
  assert_int_equal(stun_parse(req, n, &m), 0);
  assert_true(m.use_candidate);
  assert_true(m.has_ice_controlling);
  assert_true(m.tiebreaker == 42);
  assert_int_equal(m.priority, 1853824767u);
  assert_int_equal(stun_check_integrity(&m, (const uint8_t *)p.pwd, strlen(p.pwd)), 0);
  assert_int_equal(stun_check_fingerprint(&m), 0);

  struct sockaddr_in6 from = {.sin6_family = AF_INET6, .sin6_port = htons(50000)};
  inet_pton(AF_INET6, "fe80::1", &from.sin6_addr);
  assert_int_equal(stun_write_binding_response(&m, (struct sockaddr *)&from, (const uint8_t *)p.pwd,
                                               strlen(p.pwd), resp, sizeof resp, &rn),
                   0);
  struct stun_msg r;
  assert_int_equal(stun_parse(resp, rn, &r), 0);
  assert_int_equal(r.type, STUN_BINDING_SUCCESS);
  assert_memory_equal(r.tid, TID, 12);
  assert_true(r.has_xor_mapped);
  assert_memory_equal(&((struct sockaddr_in6 *)&r.xor_mapped)->sin6_addr, &from.sin6_addr, 16);
  assert_int_equal(stun_check_integrity(&r, (const uint8_t *)p.pwd, strlen(p.pwd)), 0);
  assert_int_equal(stun_check_fingerprint(&r), 0);

  /* too small an output buffer is an error, not an overrun */
  assert_int_equal(stun_write_binding_response(&m, (struct sockaddr *)&from, (const uint8_t *)p.pwd,
                                               strlen(p.pwd), resp, 40, &rn),
                   LY_ETOOBIG);
  assert_int_equal(stun_write_binding_request(&p, req, 10, &n), LY_ETOOBIG);
}

/* Every truncation fails; every single-bit flip fails parse, integrity or fingerprint. */
static void test_truncation_and_bitflips(void **state) {
  (void)state;
  struct stun_msg m;
  uint8_t buf[sizeof REQ];
  for (size_t i = 0; i < sizeof REQ; i++)
    assert_int_not_equal(stun_parse(REQ, i, &m), 0);
  for (size_t i = 0; i < sizeof REQ; i++) {
    for (int b = 0; b < 8; b++) {
      memcpy(buf, REQ, sizeof buf);
      buf[i] ^= (uint8_t)(1u << b);
      int ok = stun_parse(buf, sizeof buf, &m) == 0 &&
               stun_check_integrity(&m, (const uint8_t *)PWD, strlen(PWD)) == 0 &&
               stun_check_fingerprint(&m) == 0;
      /* padding bytes of USERNAME (offsets 73..75) are not covered by anything
       * but the fingerprint, which still catches them */
      assert_false(ok);
    }
  }
}

static void test_malformed(void **state) {
  (void)state;
  struct stun_msg m;
  uint8_t buf[sizeof REQ + 8];
  memcpy(buf, REQ, sizeof REQ);
  buf[4] = 0x22; /* bad cookie */
  assert_int_equal(stun_parse(buf, sizeof REQ, &m), LY_EPARSE);
  memcpy(buf, REQ, sizeof REQ);
  buf[0] = 0x40; /* top bits set */
  assert_int_equal(stun_parse(buf, sizeof REQ, &m), LY_EPARSE);
  memcpy(buf, REQ, sizeof REQ);
  buf[23] = 0x40; /* SOFTWARE length runs past the end */
  assert_int_equal(stun_parse(buf, sizeof REQ, &m), LY_EPARSE);
  memcpy(buf, REQ, sizeof REQ);
  buf[43] = 0x05; /* PRIORITY of the wrong size */
  assert_int_equal(stun_parse(buf, sizeof REQ, &m), LY_EPARSE);

  /* something after FINGERPRINT */
  memcpy(buf, REQ, sizeof REQ);
  static const uint8_t extra[8] = {0x00, 0x25, 0x00, 0x00, 0x00, 0x25, 0x00, 0x00};
  memcpy(buf + sizeof REQ, extra, 4);
  buf[3] = 0x5c;
  assert_int_equal(stun_parse(buf, sizeof REQ + 4, &m), LY_EPARSE);

  /* header length disagreeing with the datagram */
  memcpy(buf, REQ, sizeof REQ);
  assert_int_equal(stun_parse(buf, sizeof REQ - 4, &m), LY_EPARSE);
  assert_int_equal(stun_is_stun(buf, 19), 0);
}

/* Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored, and an
 * unknown comprehension-required attribute is reported. */
static void test_ignored_and_unknown(void **state) {
  (void)state;
  uint8_t buf[256];
  size_t n;
  struct stun_writer w;
  stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_REQUEST, TID);
  stun_writer_attr(&w, 0x7777, "x", 1);
  stun_writer_attr(&w, 0xC057, "abcd", 4); /* comprehension-optional */
  stun_writer_integrity(&w, (const uint8_t *)"k", 1);
  stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
  stun_writer_attr(&w, STUN_ATTR_USERNAME, "a:b", 3);
  assert_int_equal(stun_writer_finish(&w, &n), 0);
  struct stun_msg m;
  assert_int_equal(stun_parse(buf, n, &m), 0);
  assert_false(m.use_candidate);
  assert_false(m.has_username);
  assert_int_equal(m.unknown_required, 1);
  assert_int_equal(m.unknown_types[0], 0x7777);
  assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"k", 1), 0);
  assert_int_equal(stun_check_fingerprint(&m), LY_EPARSE);
  const char *l, *r;
  size_t ll, rl;
  assert_int_equal(stun_username_split(&m, &l, &ll, &r, &rl), LY_EPARSE);
}

static void test_writer_bad_family(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n;
  struct stun_writer w;
  struct sockaddr sa = {.sa_family = AF_UNIX};
  stun_writer_init(&w, buf, sizeof buf, STUN_BINDING_SUCCESS, TID);
  stun_writer_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &sa);
  assert_int_equal(stun_writer_finish(&w, &n), LY_EINVAL);
  stun_writer_init(&w, buf, 10, STUN_BINDING_SUCCESS, TID);
  assert_int_equal(stun_writer_finish(&w, &n), LY_ETOOBIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crc32_check_value),         cmocka_unit_test(test_rfc5769_request),
      cmocka_unit_test(test_rfc5769_ipv4_response),     cmocka_unit_test(test_rfc5769_ipv6_response),
      cmocka_unit_test(test_writer_reproduces_vectors), cmocka_unit_test(test_binding_round_trip),
      cmocka_unit_test(test_truncation_and_bitflips),   cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_ignored_and_unknown),       cmocka_unit_test(test_writer_bad_family),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
