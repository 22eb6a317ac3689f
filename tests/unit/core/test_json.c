/* tests/unit/core/test_json.c — core/json.c: limits, fault positions, getters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"

static int parse(const char *s, size_t max_depth, json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  return ly_json_parse(s, strlen(s), 1 << 20, max_depth, out, e);
}

static char *nested(int depth) {
  char *s = malloc((size_t)depth * 2 + 1);
  memset(s, '[', (size_t)depth);
  memset(s + depth, ']', (size_t)depth);
  s[depth * 2] = '\0';
  return s;
}

static void test_depth_limit(void **state) {
  json_t *v = NULL;
  struct ly_error e;
  char *s16 = nested(16), *s17 = nested(17);
  assert_int_equal(ly_json_depth(s16, strlen(s16)), 16);
  assert_int_equal(parse(s16, 16, &v, &e), LY_OK);
  assert_non_null(v);
  json_decref(v);
  v = (json_t *)1;
  assert_int_equal(parse(s17, 16, &v, &e), LY_ETOOBIG);
  assert_null(v);
  assert_int_equal(e.err, LY_ETOOBIG);
  assert_non_null(strstr(e.message, "17"));
  /* 0 means the default (16) */
  assert_int_equal(parse(s17, 0, &v, &e), LY_ETOOBIG);
  assert_int_equal(parse(s16, 0, &v, &e), LY_OK);
  json_decref(v);
  free(s16);
  free(s17);
  /* a hostile prefix is refused before jansson recurses into it */
  char *deep = nested(100000);
  deep[100000] = '\0'; /* unterminated: only openers */
  assert_int_equal(parse(deep, 16, &v, &e), LY_ETOOBIG);
  free(deep);
}

static void test_depth_scan_skips_strings(void **state) {
  const char *a = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[{{{{\"}";
  assert_int_equal(ly_json_depth(a, strlen(a)), 1);
  const char *b = "[\"\\\"[[[[\", {\"k\\\\\":[1]}]"; /* escaped quote, escaped backslash */
  assert_int_equal(ly_json_depth(b, strlen(b)), 3);
  const char *c = "{\"x\":[{\"y\":[]}],\"z\":{}}";
  assert_int_equal(ly_json_depth(c, strlen(c)), 4);
  assert_int_equal(ly_json_depth("", 0), 0);
  assert_int_equal(ly_json_depth("]]]", 3), 0);
  json_t *v;
  struct ly_error e;
  assert_int_equal(parse(a, 2, &v, &e), LY_OK);
  json_decref(v);
}

static void test_size_limit(void **state) {
  json_t *v = NULL;
  struct ly_error e;
  const char *s = "{\"a\":\"0123456789\"}";
  assert_int_equal(ly_json_parse(s, strlen(s), strlen(s) - 1, 16, &v, &e), LY_ETOOBIG);
  assert_null(v);
  assert_string_equal(e.code, "request.too_large");
  assert_int_equal(ly_json_parse(s, strlen(s), strlen(s), 16, &v, &e), LY_OK);
  json_decref(v);
  /* a big body is refused without being scanned */
  size_t big = 2u << 20;
  char *buf = malloc(big);
  memset(buf, ' ', big);
  buf[0] = '[';
  buf[big - 1] = ']';
  assert_int_equal(ly_json_parse(buf, big, 1 << 20, 16, &v, &e), LY_ETOOBIG);
  assert_int_equal(ly_json_parse(buf, big, 4u << 20, 16, &v, &e), LY_OK);
  json_decref(v);
  free(buf);
}

static void test_syntax_error_position(void **state) {
  json_t *v = NULL;
  struct ly_error e;
  const char *s = "{\"a\": 1,\n \"b\": x}";
  assert_int_equal(parse(s, 16, &v, &e), LY_EPARSE);
  assert_null(v);
  assert_int_equal(e.err, LY_EPARSE);
  assert_string_equal(e.code, "request.malformed");
  long x = (long)(strchr(s, 'x') - s);
  assert_true(e.position >= x && e.position <= x + 1);
  assert_int_equal(strncmp(e.message, "malformed JSON at line 2, column ", 33), 0);
  assert_non_null(strstr(e.message, "invalid token"));
  /* truncated input */
  assert_int_equal(parse("{\"a\": [1, 2", 16, &v, &e), LY_EPARSE);
  assert_true(e.position >= 10);
  assert_non_null(strstr(e.message, "line 1"));
}

static void test_rejections(void **state) {
  json_t *v = NULL;
  struct ly_error e;
  assert_int_equal(parse("{\"a\":1,\"a\":2}", 16, &v, &e), LY_EPARSE); /* duplicate keys */
  assert_non_null(strstr(e.message, "duplicate"));
  assert_int_equal(parse("{\"a\":\"x\\u0000y\"}", 16, &v, &e), LY_EPARSE); /* NUL in a string */
  assert_int_equal(parse("{\"a\":\"\xff\"}", 16, &v, &e), LY_EPARSE);      /* invalid UTF-8 */
  assert_int_equal(parse("{} []", 16, &v, &e), LY_EPARSE);                 /* trailing garbage */
  assert_int_equal(parse("", 16, &v, &e), LY_EPARSE);
  assert_int_equal(parse("42", 16, &v, &e), LY_EPARSE); /* top level is an object or array */
  assert_int_equal(ly_json_parse(NULL, 0, 10, 16, &v, &e), LY_EPARSE);
  assert_null(v);
}

static json_t *doc(void) {
  json_t *v;
  struct ly_error e;
  const char *s =
      "{\"name\":\"张三\",\"empty\":\"\",\"n\":7,\"big\":9007199254740993,\"real\":3.0,\"neg\":-5,"
      "\"yes\":true,\"no\":false,\"nil\":null,\"items\":[1,2,3],\"obj\":{\"k\":1},\"str_num\":\"7\"}";
  assert_int_equal(parse(s, 16, &v, &e), LY_OK);
  return v;
}

static void test_get_str(void **state) {
  json_t *d = doc();
  struct ly_error e;
  const char *s = "untouched";
  assert_int_equal(ly_json_get_str(d, "name", 6, 1, &s, &e), LY_OK);
  assert_string_equal(s, "张三");
  /* the limit is in bytes: 张三 is 6 */
  assert_int_equal(ly_json_get_str(d, "name", 5, 1, &s, &e), LY_EINVAL);
  assert_string_equal(e.code, "request.invalid_field");
  assert_string_equal(e.field, "name");
  assert_int_equal(ly_json_get_str(d, "empty", 10, 1, &s, &e), LY_EINVAL);
  assert_string_equal(e.field, "empty");
  assert_int_equal(ly_json_get_str(d, "n", 10, 1, &s, &e), LY_EINVAL);
  assert_string_equal(e.field, "n");
  assert_int_equal(ly_json_get_str(d, "missing", 10, 1, &s, &e), LY_EINVAL);
  assert_string_equal(e.code, "request.missing_field");
  assert_string_equal(e.field, "missing");
  s = "untouched";
  assert_int_equal(ly_json_get_str(d, "missing", 10, 0, &s, &e), LY_OK);
  assert_int_equal(ly_json_get_str(d, "nil", 10, 0, &s, &e), LY_OK); /* null counts as absent */
  assert_string_equal(s, "untouched");
  assert_int_equal(ly_json_get_str(d, "nil", 10, 1, &s, &e), LY_EINVAL);
  assert_string_equal(e.code, "request.missing_field");
  /* strings built in code with bad UTF-8 are still refused */
  json_t *o = json_object();
  json_object_set_new(o, "bad", json_stringn_nocheck("a\xc3", 2));
  json_object_set_new(o, "nul", json_stringn_nocheck("a\0b", 3));
  assert_int_equal(ly_json_get_str(o, "bad", 10, 1, &s, &e), LY_EINVAL);
  assert_int_equal(ly_json_get_str(o, "nul", 10, 1, &s, &e), LY_EINVAL);
  json_decref(o);
  json_decref(d);
}

static void test_get_int_bool(void **state) {
  json_t *d = doc();
  struct ly_error e;
  int64_t n = -1;
  assert_int_equal(ly_json_get_int(d, "n", 1, 7, 1, &n, &e), LY_OK);
  assert_int_equal(n, 7);
  assert_int_equal(ly_json_get_int(d, "n", 1, 6, 1, &n, &e), LY_EINVAL);
  assert_string_equal(e.field, "n");
  assert_non_null(strstr(e.message, "from 1 to 6"));
  assert_int_equal(ly_json_get_int(d, "neg", -10, 0, 1, &n, &e), LY_OK);
  assert_int_equal(n, -5);
  assert_int_equal(ly_json_get_int(d, "big", 0, INT64_MAX, 1, &n, &e), LY_OK);
  assert_true(n == 9007199254740993LL); /* exact, not through a double */
  assert_int_equal(ly_json_get_int(d, "real", 0, 10, 1, &n, &e), LY_EINVAL);
  assert_int_equal(ly_json_get_int(d, "str_num", 0, 10, 1, &n, &e), LY_EINVAL);
  assert_int_equal(ly_json_get_int(d, "absent", 0, 10, 1, &n, &e), LY_EINVAL);
  assert_string_equal(e.code, "request.missing_field");
  n = 99;
  assert_int_equal(ly_json_get_int(d, "absent", 0, 10, 0, &n, &e), LY_OK);
  assert_int_equal(n, 99);
  int b = -1;
  assert_int_equal(ly_json_get_bool(d, "yes", 1, &b, &e), LY_OK);
  assert_int_equal(b, 1);
  assert_int_equal(ly_json_get_bool(d, "no", 1, &b, &e), LY_OK);
  assert_int_equal(b, 0);
  assert_int_equal(ly_json_get_bool(d, "n", 1, &b, &e), LY_EINVAL);
  assert_string_equal(e.field, "n");
  json_decref(d);
}

static void test_get_array_object(void **state) {
  json_t *d = doc(), *a = NULL, *o = NULL;
  struct ly_error e;
  assert_int_equal(ly_json_get_array(d, "items", 3, 1, &a, &e), LY_OK);
  assert_int_equal(json_array_size(a), 3);
  assert_int_equal(ly_json_get_array(d, "items", 2, 1, &a, &e), LY_EINVAL);
  assert_string_equal(e.field, "items");
  assert_int_equal(ly_json_get_array(d, "obj", 10, 1, &a, &e), LY_EINVAL);
  assert_int_equal(ly_json_get_object(d, "obj", 1, &o, &e), LY_OK);
  assert_int_equal(json_integer_value(json_object_get(o, "k")), 1);
  assert_int_equal(ly_json_get_object(d, "items", 1, &o, &e), LY_EINVAL);
  assert_int_equal(ly_json_get_object(d, "nope", 1, &o, &e), LY_EINVAL);
  assert_string_equal(e.code, "request.missing_field");
  /* a non-object container has no fields */
  assert_int_equal(ly_json_get_object(a, "k", 1, &o, &e), LY_EINVAL);
  assert_int_equal(ly_json_get_object(NULL, "k", 0, &o, NULL), LY_OK);
  json_decref(d);
}

static void test_dump(void **state) {
  json_t *v = json_pack("{s:i, s:[b, n], s:s}", "b", 1, "a", 1, "z", "中\"");
  size_t len = 0;
  char *s = ly_json_dump(v, &len);
  assert_string_equal(s, "{\"b\":1,\"a\":[true,null],\"z\":\"中\\\"\"}");
  assert_int_equal(len, strlen(s));
  free(s);
  json_decref(v);
  json_t *n = json_integer(5);
  s = ly_json_dump(n, NULL);
  assert_string_equal(s, "5");
  free(s);
  json_decref(n);
  assert_null(ly_json_dump(NULL, &len));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_depth_limit),  cmocka_unit_test(test_depth_scan_skips_strings),
      cmocka_unit_test(test_size_limit),   cmocka_unit_test(test_syntax_error_position),
      cmocka_unit_test(test_rejections),   cmocka_unit_test(test_get_str),
      cmocka_unit_test(test_get_int_bool), cmocka_unit_test(test_get_array_object),
      cmocka_unit_test(test_dump),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
