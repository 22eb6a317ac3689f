/* tests/unit/core/test_err.c — core/err.c: the code table and struct ly_error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/err.h"

static void test_table(void **state) {
  assert_string_equal(ly_strerror(LY_OK), "success");
  assert_string_equal(ly_strerror(LY_EDB), "database error");
  assert_string_equal(ly_errcode(LY_EDB), "internal.database");
  assert_string_equal(ly_errcode(LY_EDENIED), "rule.violation");
  assert_int_equal(ly_err_http_status(LY_OK), 200);
  assert_int_equal(ly_err_http_status(LY_ENOTFOUND), 404);
  assert_int_equal(ly_err_http_status(LY_ETOOBIG), 413);
  assert_int_equal(ly_err_http_status(LY_ERATE), 429);
  assert_int_equal(ly_err_http_status(LY_EDENIED), 422);
  assert_int_equal(ly_err_http_status(LY_EMETHOD), 405);
  assert_int_equal(ly_err_http_status(LY_EINTERNAL), 500);
  /* unknown codes: never NULL, 500 */
  assert_non_null(ly_strerror(-999));
  assert_non_null(ly_errcode(12345));
  assert_int_equal(ly_err_http_status(-999), 500);
}

static void test_every_code_distinct(void **state) {
  static const int codes[] = {
#define X(name, val, http, code, msg) LY_##name,
      LY_ERRNO_MAP(X)
#undef X
  };
  size_t n = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < n; i++) {
    assert_true(codes[i] <= 0);
    assert_true(strlen(ly_errcode(codes[i])) > 0);
    for (size_t j = i + 1; j < n; j++)
      assert_int_not_equal(codes[i], codes[j]);
  }
}

static void test_set(void **state) {
  struct ly_error e;
  ly_error_clear(&e);
  assert_int_equal(e.err, 0);
  assert_int_equal(e.position, -1);
  snprintf(e.field, sizeof e.field, "stale");
  e.position = 7;
  int rc = ly_error_set(&e, LY_EDENIED, "rx.quantity_over_limit", "At most 7 days.", "最多 7 天。");
  assert_int_equal(rc, LY_EDENIED);
  assert_int_equal(e.err, LY_EDENIED);
  assert_string_equal(e.code, "rx.quantity_over_limit");
  assert_string_equal(e.message, "At most 7 days.");
  assert_string_equal(e.message_zh, "最多 7 天。");
  assert_string_equal(e.field, ""); /* reset, so a stale field never leaks */
  assert_int_equal(e.position, -1);
  /* NULLs: empty code, default message */
  ly_error_set(&e, LY_ENOTFOUND, NULL, NULL, NULL);
  assert_string_equal(e.code, "");
  assert_string_equal(e.message, "not found");
  assert_string_equal(e.message_zh, "");
  /* NULL e is fine and still returns the code */
  assert_int_equal(ly_error_set(NULL, LY_EAUTH, "x", "y", "z"), LY_EAUTH);
  assert_int_equal(ly_error_setf(NULL, LY_EAUTH, "x", "%d", 1), LY_EAUTH);
}

static void test_setf_and_bounds(void **state) {
  struct ly_error e;
  assert_int_equal(ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "field %s must be <= %d", "days", 7),
                   LY_EINVAL);
  assert_string_equal(e.message, "field days must be <= 7");
  char longs[1000];
  memset(longs, 'a', sizeof longs - 1);
  longs[sizeof longs - 1] = '\0';
  ly_error_set(&e, LY_EINVAL, longs, longs, NULL);
  assert_int_equal(strlen(e.code), sizeof e.code - 1);
  assert_int_equal(strlen(e.message), sizeof e.message - 1);
  /* a cut never leaves half a UTF-8 character behind */
  char zh[1000] = "";
  for (int i = 0; i < 300; i++)
    memcpy(zh + i * 3, "处", 3);
  zh[900] = '\0';
  ly_error_set(&e, LY_EDENIED, "x", "x", zh);
  size_t n = strlen(e.message_zh);
  assert_true(n <= sizeof e.message_zh - 1);
  assert_int_equal(n % 3, 0);
  ly_error_setf(&e, LY_EDENIED, "x", "a%s", zh);
  n = strlen(e.message);
  assert_int_equal((n - 1) % 3, 0);
  assert_true(n >= sizeof e.message - 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_every_code_distinct),
      cmocka_unit_test(test_set),
      cmocka_unit_test(test_setf_and_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
