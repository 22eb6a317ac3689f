/* tests/unit/rx/test_qr.c — rx/qr.c: the patient's code as hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/err.h"
#include "rx/qr.h"

#define ID   "rx_ABCDEFGHIJKLMNOPQRSTUV"
#define CODE "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

static int parse(const char *s) {
  struct qr_code q;
  struct ly_error e;
  int rc = qr_parse(s, strlen(s), &q, &e);
  if (rc == 0) {
    assert_string_equal(q.id, ID);
    for (int i = 0; i < RX_ACCESS_CODE_LEN; i++)
      assert_int_equal(q.code[i], i);
  } else {
    assert_string_equal(q.id, "");
  }
  return rc;
}

static void test_good(void **state) {
  (void)state;
  assert_int_equal(parse("LYRX1:" ID ":" CODE), 0);
  assert_int_equal(parse(" \tLYRX1:" ID ":" CODE "\r\n"), 0);
  struct qr_code q;
  struct ly_error e;
  assert_int_equal(qr_from_parts(ID, CODE, &q, &e), 0);
  qr_wipe(&q);
}

static void test_bad(void **state) {
  (void)state;
  static const char *bad[] = {
      "",
      "LYRX1:",
      "LYRX1::",
      "lyrx1:" ID ":" CODE,
      "LYRX2:" ID ":" CODE,
      "LYRX1:" ID CODE,
      "LYRX1:" ID ":" CODE "=",
      "LYRX1:" ID ":" CODE "A",
      "LYRX1:" ID
      ":"
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",
      "LYRX1:" ID
      ":"
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+",
      "LYRX1:" ID
      ":"
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh/",
      "LYRX1:rx_ABC:" CODE,
      "LYRX1:xx_ABCDEFGHIJKLMNOPQRSTUV:" CODE,
      "LYRX1:rx_ABCDEFGHIJKLMNOPQRST'V:" CODE,
      "LYRX1:" ID ":" CODE ":x",
      "LYRX1:" ID " :" CODE,
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (parse(bad[i]) != LY_EPARSE) print_error("accepted: %s\n", bad[i]);
    assert_int_equal(parse(bad[i]), LY_EPARSE);
  }
  /* an embedded NUL is not the end of the input */
  const char nul[] = "LYRX1:" ID ":" CODE "\0junk";
  struct qr_code q;
  struct ly_error e;
  assert_int_equal(qr_parse(nul, sizeof nul - 1, &q, &e), LY_EPARSE);
  assert_string_equal(e.code, "rx.code_malformed");
  char big[QR_INPUT_MAX + 2];
  memset(big, ' ', sizeof big);
  assert_int_equal(qr_parse(big, sizeof big, &q, &e), LY_ETOOBIG);
  assert_int_equal(qr_parse(NULL, 0, &q, &e), LY_EPARSE);
  assert_int_equal(qr_from_parts(ID, NULL, &q, &e), LY_EPARSE);
  assert_int_equal(qr_from_parts(ID, big, &q, &e), LY_ETOOBIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good),
      cmocka_unit_test(test_bad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
