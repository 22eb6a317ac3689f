/* tests/unit/core/test_clock.c — core/clock.c: clocks and ISO-8601. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h>

#include "core/clock.h"
#include "core/err.h"

static void test_system_clock(void **state) {
  const struct ly_clock *c = ly_clock_system();
  assert_ptr_equal(c, ly_clock_system());
  int64_t now = ly_now_ms(c), t = (int64_t)time(NULL) * 1000;
  assert_true(now > t - 2000 && now < t + 2000);
  int64_t m1 = ly_mono_ms(c), m2 = ly_mono_ms(c);
  assert_true(m2 >= m1);
}

static void test_fake_clock(void **state) {
  struct ly_fake_clock fc;
  ly_fake_clock_init(&fc, 1000);
  const struct ly_clock *c = &fc.clock;
  assert_int_equal(ly_now_ms(c), 1000);
  assert_int_equal(ly_mono_ms(c), 0);
  fc.now -= 5000; /* wall time may jump backwards… */
  fc.mono += 10;  /* …monotonic time only forwards */
  assert_true(ly_now_ms(c) == -4000);
  assert_int_equal(ly_mono_ms(c), 10);
}

static void test_iso_format(void **state) {
  char buf[32];
  ly_time_iso(0, buf, sizeof buf);
  assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
  ly_time_iso(1795665480007, buf, sizeof buf);
  assert_string_equal(buf, "2026-11-26T03:58:00.007Z");
  ly_time_iso(-1, buf, sizeof buf); /* floors, not truncates */
  assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
  ly_time_iso(951782400000, buf, sizeof buf); /* leap day */
  assert_string_equal(buf, "2000-02-29T00:00:00.000Z");
  ly_time_date(1795665480007, buf, sizeof buf);
  assert_string_equal(buf, "2026-11-26");
  char small[11];
  ly_time_iso(0, small, sizeof small); /* truncated, still terminated */
  assert_string_equal(small, "1970-01-01");
}

static void test_parse(void **state) {
  int64_t ms = 0;
  assert_int_equal(ly_time_parse("2026-11-26", &ms), LY_OK);
  assert_true(ms == 1795651200000);
  assert_int_equal(ly_time_parse("2026-11-26T03:58:00.007Z", &ms), LY_OK);
  assert_true(ms == 1795665480007);
  assert_int_equal(ly_time_parse("2026-11-26T03:58:00Z", &ms), LY_OK);
  assert_true(ms == 1795665480000);
  assert_int_equal(ly_time_parse("2026-11-26T03:58:00.5Z", &ms), LY_OK);
  assert_true(ms == 1795665480500);
  assert_int_equal(ly_time_parse("2026-11-26T03:58:00.123456789Z", &ms), LY_OK);
  assert_true(ms == 1795665480123);
  assert_int_equal(ly_time_parse("2000-02-29", &ms), LY_OK);
  assert_int_equal(ly_time_parse("1969-12-31T23:59:59.999Z", &ms), LY_OK);
  assert_true(ms == -1);
  /* round trip */
  char buf[32];
  for (int64_t t = -86400000LL * 400; t < 86400000LL * 40000; t += 86400000LL * 97 + 3723456) {
    ly_time_iso(t, buf, sizeof buf);
    assert_int_equal(ly_time_parse(buf, &ms), LY_OK);
    assert_true(ms == t);
  }
}

static void test_parse_rejects(void **state) {
  const char *bad[] = {"",
                       "2026",
                       "2026-11-2",
                       "2026-11-26T",
                       "2026-13-01",
                       "2026-00-10",
                       "2026-02-29",
                       "2026-04-31",
                       "2026-11-26 03:58:00Z",
                       "2026-11-26T03:58:00",
                       "2026-11-26T24:00:00Z",
                       "2026-11-26T03:60:00Z",
                       "2026-11-26T03:58:60Z",
                       "2026-11-26T03:58:00.Z",
                       "2026-11-26T03:58:00+08:00",
                       "2026-11-26T03:58:00.1234567890Z",
                       "+026-11-26",
                       " 2026-11-26",
                       "2026-11-26x",
                       "2026-11-26T3:58:00Z",
                       "2026-11-26T03:58:00Zjunk"};
  int64_t ms = 42;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (ly_time_parse(bad[i], &ms) != LY_EPARSE) fail_msg("accepted '%s'", bad[i]);
  }
  assert_true(ms == 42); /* untouched on failure */
  assert_int_equal(ly_time_parse(NULL, &ms), LY_EINVAL);
}

/* What a query string may hold for a time: milliseconds or a date, never a value
 * that would overflow when a handler adds a window to it. */
static void test_parse_any(void **state) {
  (void)state;
  int64_t ms = -1;
  assert_int_equal(ly_time_parse_any("0", &ms), LY_OK);
  assert_int_equal(ms, 0);
  assert_int_equal(ly_time_parse_any("1790000000000", &ms), LY_OK);
  assert_int_equal(ms, 1790000000000LL);
  assert_int_equal(ly_time_parse_any("2026-11-26", &ms), LY_OK);
  assert_int_equal(ms, 1795651200000LL);
  assert_int_equal(ly_time_parse_any("253402300799999", &ms), LY_OK);
  assert_int_equal(ms, LY_TIME_MAX_MS);
  const char *bad[] = {"", "-1", "+5", " 5", "253402300800000", "17900000000900000180000000000",
                       "99999999999999999999", "1969-12-31", "12abc", "0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ms = 42;
    if (ly_time_parse_any(bad[i], &ms) != LY_EPARSE) fail_msg("accepted '%s'", bad[i]);
    assert_int_equal(ms, 42);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_system_clock),  cmocka_unit_test(test_fake_clock),
      cmocka_unit_test(test_iso_format),    cmocka_unit_test(test_parse),
      cmocka_unit_test(test_parse_rejects), cmocka_unit_test(test_parse_any),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
