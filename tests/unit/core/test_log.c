/* tests/unit/core/test_log.c — core/log.c: one escaped JSON object per line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

struct fx {
  int fds[2];
  struct ly_fake_clock clock;
  struct ly_logger lg;
  char buf[1 << 17];
};

static int fx_setup(void **state) {
  static struct fx f;
  memset(&f, 0, sizeof f);
  if (pipe(f.fds)) return -1;
  fcntl(f.fds[0], F_SETFL, O_NONBLOCK);
  fcntl(f.fds[1], F_SETPIPE_SZ, 1 << 17);
  ly_fake_clock_init(&f.clock, 1764129480123); /* 2025-11-26T03:58:00.123Z */
  ly_logger_init(&f.lg, f.fds[1], LY_LOG_INFO, &f.clock.clock);
  *state = &f;
  return 0;
}

static int fx_teardown(void **state) {
  struct fx *f = *state;
  close(f->fds[0]);
  close(f->fds[1]);
  return 0;
}

/* Everything written so far; "" when nothing was. */
static const char *drain(struct fx *f) {
  ssize_t n = read(f->fds[0], f->buf, sizeof f->buf - 1);
  f->buf[n > 0 ? n : 0] = '\0';
  return f->buf;
}

/* Exactly one line, parsed. */
static json_t *one_line(struct fx *f) {
  const char *s = drain(f);
  size_t len = strlen(s);
  assert_true(len > 1);
  assert_int_equal(s[len - 1], '\n');
  assert_null(memchr(s, '\n', len - 1));
  json_error_t err;
  json_t *v = json_loadb(s, len, 0, &err);
  if (!v) fail_msg("not JSON: %s (%s)", err.text, s);
  assert_true(json_is_object(v));
  return v;
}

static void test_basic_line(void **state) {
  struct fx *f = *state;
  ly_log(&f->lg, LY_LOG_INFO, "server.listening", "listening on %s:%d", "127.0.0.1", 8080);
  json_t *v = one_line(f);
  assert_string_equal(json_string_value(json_object_get(v, "ts")), "2025-11-26T03:58:00.123Z");
  assert_string_equal(json_string_value(json_object_get(v, "level")), "info");
  assert_string_equal(json_string_value(json_object_get(v, "event")), "server.listening");
  assert_string_equal(json_string_value(json_object_get(v, "msg")), "listening on 127.0.0.1:8080");
  /* the fixed keys come first, in this order */
  const char *s = f->buf;
  assert_int_equal(strncmp(s, "{\"ts\":", 6), 0);
  assert_true(strstr(s, "\"level\"") < strstr(s, "\"event\""));
  json_decref(v);
}

static void test_level_filter(void **state) {
  struct fx *f = *state;
  LY_DEBUG(&f->lg, "x.debug", "hidden");
  assert_string_equal(drain(f), "");
  LY_WARN(&f->lg, "x.warn", "shown");
  json_t *v = one_line(f);
  assert_string_equal(json_string_value(json_object_get(v, "level")), "warn");
  json_decref(v);
  f->lg.level = LY_LOG_OFF;
  LY_ERROR(&f->lg, "x.error", "off means off");
  assert_string_equal(drain(f), "");
  f->lg.level = LY_LOG_DEBUG;
  LY_DEBUG(&f->lg, "x.debug", "now shown");
  v = one_line(f);
  assert_string_equal(json_string_value(json_object_get(v, "level")), "debug");
  json_decref(v);
  ly_log(&f->lg, LY_LOG_OFF, "x", "OFF is not a level to log at");
  assert_string_equal(drain(f), "");
}

static void test_escaping(void **state) {
  struct fx *f = *state;
  const char *nasty = "quote\" backslash\\ newline\n tab\t bell\a 中文 </script>";
  ly_log(&f->lg, LY_LOG_ERROR, "ev\"il\n", "%s", nasty);
  json_t *v = one_line(f);
  assert_string_equal(json_string_value(json_object_get(v, "msg")), nasty);
  assert_string_equal(json_string_value(json_object_get(v, "event")), "ev\"il\n");
  json_decref(v);
  /* invalid UTF-8 degrades to '?' instead of losing the line */
  ly_log(&f->lg, LY_LOG_ERROR, "bad.utf8", "byte \xff here");
  v = one_line(f);
  assert_string_equal(json_string_value(json_object_get(v, "msg")), "byte ? here");
  json_decref(v);
}

static void test_fields_merged(void **state) {
  struct fx *f = *state;
  json_t *fields = json_pack("{s:i, s:s, s:s, s:b}", "port", 8080, "level", "forged", "who", "a\"b", "ok", 1);
  ly_log_fields(&f->lg, LY_LOG_INFO, "server.listening", fields, "up");
  assert_int_equal(fields->refcount, 1); /* not stolen */
  json_t *v = one_line(f);
  assert_int_equal(json_integer_value(json_object_get(v, "port")), 8080);
  assert_string_equal(json_string_value(json_object_get(v, "level")), "info"); /* cannot be forged */
  assert_string_equal(json_string_value(json_object_get(v, "who")), "a\"b");
  assert_true(json_is_true(json_object_get(v, "ok")));
  json_decref(v);
  json_decref(fields);
  ly_log_fields(&f->lg, LY_LOG_INFO, "no.fields", NULL, "plain");
  v = one_line(f);
  assert_int_equal(json_object_size(v), 4);
  json_decref(v);
}

static void test_long_lines(void **state) {
  struct fx *f = *state;
  char big[5000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  /* a long message is cut, never split over lines; a cut 3-byte character is dropped */
  char zh[3000] = "";
  for (int i = 0; i < 999; i++)
    memcpy(zh + i * 3, "中", 3);
  zh[2997] = '\0';
  ly_log(&f->lg, LY_LOG_INFO, "long", "a%s", zh);
  json_t *v = one_line(f);
  size_t n = strlen(json_string_value(json_object_get(v, "msg")));
  assert_true(n < 2048 && n > 2000);
  assert_int_equal((n - 1) % 3, 0);
  json_decref(v);
  /* a line over the stack buffer goes through the heap, still one write */
  json_t *fields = json_object();
  for (int i = 0; i < 8; i++) {
    char k[8];
    snprintf(k, sizeof k, "k%d", i);
    json_object_set_new(fields, k, json_string(big));
  }
  ly_log_fields(&f->lg, LY_LOG_INFO, "huge", fields, "many fields");
  json_decref(fields);
  v = one_line(f);
  assert_int_equal(json_string_length(json_object_get(v, "k7")), sizeof big - 1);
  json_decref(v);
}

static void test_level_parse(void **state) {
  enum ly_log_level l = LY_LOG_ERROR;
  assert_int_equal(ly_log_level_parse("debug", &l), LY_OK);
  assert_int_equal(l, LY_LOG_DEBUG);
  assert_int_equal(ly_log_level_parse("warn", &l), LY_OK);
  assert_int_equal(l, LY_LOG_WARN);
  assert_int_equal(ly_log_level_parse("off", &l), LY_OK);
  assert_int_equal(l, LY_LOG_OFF);
  assert_int_equal(ly_log_level_parse("INFO", &l), LY_EINVAL);
  assert_int_equal(ly_log_level_parse("warning", &l), LY_EINVAL);
  assert_int_equal(ly_log_level_parse(NULL, &l), LY_EINVAL);
  assert_int_equal(l, LY_LOG_OFF);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_basic_line, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_level_filter, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_escaping, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_fields_merged, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_long_lines, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_level_parse, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
