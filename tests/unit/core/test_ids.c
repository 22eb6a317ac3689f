/* tests/unit/core/test_ids.c — core/ids.c: ids, tokens, base64url, hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/err.h"
#include "core/ids.h"

static void test_b64url_rfc4648(void **state) {
  const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char *out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  char buf[16];
  uint8_t dec[16];
  size_t n;
  for (int i = 0; i < 7; i++) {
    assert_int_equal(ly_b64url_encode((const uint8_t *)in[i], strlen(in[i]), buf, sizeof buf),
                     (int)strlen(out[i]));
    assert_string_equal(buf, out[i]);
    assert_int_equal(ly_b64url_decode(out[i], strlen(out[i]), dec, sizeof dec, &n), LY_OK);
    assert_int_equal(n, strlen(in[i]));
    assert_memory_equal(dec, in[i], n);
  }
  /* the URL-safe alphabet */
  const uint8_t raw[] = {0xfb, 0xff, 0xbf};
  assert_int_equal(ly_b64url_encode(raw, 3, buf, sizeof buf), 4);
  assert_string_equal(buf, "-_-_");
}

static void test_b64url_strict(void **state) {
  uint8_t dec[16];
  size_t n;
  const char *bad[] = {"Zg==", "Zm9v=", "Zm9+", "Zm9/", "Z", "Zm9vY", "Zm 9v", "Zh", "Zm9", "Zm\n9v"};
  /* "Zh" and "Zm9" carry non-zero unused bits: second spellings of "f" and "fo" */
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (ly_b64url_decode(bad[i], strlen(bad[i]), dec, sizeof dec, &n) != LY_EPARSE)
      fail_msg("accepted '%s'", bad[i]);
  }
  assert_int_equal(ly_b64url_decode("Zm9vYmFy", 8, dec, 5, &n), LY_ETOOBIG);
  char small[4];
  assert_int_equal(ly_b64url_encode((const uint8_t *)"foo", 3, small, sizeof small), LY_ETOOBIG);
}

static void test_hex(void **state) {
  const uint8_t raw[] = {0x00, 0x01, 0xab, 0xff};
  char buf[9];
  uint8_t back[4];
  ly_hex_encode(raw, 4, buf, sizeof buf);
  assert_string_equal(buf, "0001abff");
  assert_int_equal(ly_hex_decode("0001ABff", 8, back, 4), LY_OK);
  assert_memory_equal(back, raw, 4);
  assert_int_equal(ly_hex_decode("0001abf", 7, back, 4), LY_EPARSE);
  assert_int_equal(ly_hex_decode("0001abfg", 8, back, 4), LY_EPARSE);
  assert_int_equal(ly_hex_decode("0001abff00", 10, back, 4), LY_EPARSE);
  char small[4];
  ly_hex_encode(raw, 4, small, sizeof small); /* whole bytes only, terminated */
  assert_string_equal(small, "00");
}

static void test_ids(void **state) {
  char a[LY_ID_MAX], b[LY_ID_MAX];
  assert_int_equal(ly_id_new("rx", a, sizeof a), LY_OK);
  assert_int_equal(ly_id_new("rx", b, sizeof b), LY_OK);
  assert_int_equal(strlen(a), 3 + 22);
  assert_int_equal(strncmp(a, "rx_", 3), 0);
  assert_string_not_equal(a, b);
  assert_int_equal(strspn(a + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 22);
  uint8_t raw[16];
  size_t n;
  assert_int_equal(ly_b64url_decode(a + 3, 22, raw, sizeof raw, &n), LY_OK);
  assert_int_equal(n, 16);
  char c[LY_ID_MAX];
  assert_int_equal(ly_id_new("consultation1234", c, sizeof c), LY_OK); /* 16-char prefix fits */
  assert_int_equal(ly_id_new("consultation12345", c, sizeof c), LY_EINVAL);
  assert_int_equal(ly_id_new("", c, sizeof c), LY_EINVAL);
  assert_int_equal(ly_id_new("rx", c, 20), LY_ETOOBIG);
}

static void test_tokens(void **state) {
  char t[64], u[64];
  assert_int_equal(ly_token_new(32, t, sizeof t), LY_OK);
  assert_int_equal(strlen(t), 43);
  assert_int_equal(ly_token_new(32, u, sizeof u), LY_OK);
  assert_string_not_equal(t, u);
  assert_int_equal(ly_token_new(32, t, 43), LY_ETOOBIG);
  assert_int_equal(ly_token_new(0, t, sizeof t), LY_EINVAL);
  /* crude randomness check: 4096 random bytes are not mostly one value */
  uint8_t r[4096];
  int counts[256] = {0};
  assert_int_equal(ly_random_bytes(r, sizeof r), LY_OK);
  for (size_t i = 0; i < sizeof r; i++)
    counts[r[i]]++;
  for (int i = 0; i < 256; i++)
    assert_true(counts[i] < 64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_b64url_rfc4648),
      cmocka_unit_test(test_b64url_strict),
      cmocka_unit_test(test_hex),
      cmocka_unit_test(test_ids),
      cmocka_unit_test(test_tokens),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
