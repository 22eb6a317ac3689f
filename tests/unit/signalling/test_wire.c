/* tests/unit/signalling/test_wire.c — signalling/wire.c: the message
 * envelope, its limits, and the shapes of replies and events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "signalling/sig_internal.h"

static int parse(const char *text, struct wire_in *in, struct ly_error *e) {
  ly_error_clear(e);
  return wire_parse(text, strlen(text), in, e);
}

static void good_messages(void **state) {
  struct wire_in in;
  struct ly_error e;
  (void)state;
  assert_int_equal(parse("{\"id\":\"7\",\"type\":\"chat.send\",\"data\":{\"text\":\"你好\"}}", &in, &e), 0);
  assert_string_equal(in.type, "chat.send");
  assert_string_equal(json_string_value(in.id), "7");
  assert_string_equal(json_string_value(json_object_get(in.data, "text")), "你好");
  wire_free(&in);
  assert_int_equal(parse("{\"id\":42,\"type\":\"ping\"}", &in, &e), 0);
  assert_int_equal(json_integer_value(in.id), 42);
  assert_true(json_is_object(in.data)); /* absent data is {} */
  wire_free(&in);
  assert_int_equal(parse("{\"id\":\"x\",\"type\":\"ping\",\"data\":null}", &in, &e), 0);
  assert_true(json_is_object(in.data));
  wire_free(&in);
}

static void bad_messages(void **state) {
  static const struct {
    const char *text, *code;
    int has_id;
  } cases[] = {
      {"[]", "request.invalid_message", 0},
      {"\"ping\"", "request.malformed", 0},
      {"{\"type\":\"ping\"}", "request.missing_field", 0},
      {"{\"id\":{},\"type\":\"ping\"}", "request.invalid_field", 0},
      {"{\"id\":\"\",\"type\":\"ping\"}", "request.invalid_field", 0},
      {"{\"id\":\"1\"}", "request.missing_field", 1},
      {"{\"id\":\"1\",\"type\":5}", "request.invalid_field", 1},
      {"{\"id\":\"1\",\"type\":\"ping\",\"data\":[1]}", "request.invalid_field", 1},
      {"{\"id\":\"1\",\"type\":\"ping\",", "request.malformed", 0},
  };
  struct wire_in in;
  struct ly_error e;
  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_not_equal(parse(cases[i].text, &in, &e), 0);
    assert_string_equal(e.code, cases[i].code);
    assert_int_equal(in.id != NULL, cases[i].has_id);
    wire_free(&in);
  }
}

static void limits(void **state) {
  struct wire_in in;
  struct ly_error e;
  char deep[128];
  (void)state;
  /* message (1) + data (2) + 14 arrays = 16 levels: fine; one more: refused */
  snprintf(deep, sizeof deep, "{\"id\":\"1\",\"type\":\"p\",\"data\":{\"a\":%s1%s}}", "[[[[[[[[[[[[[[",
           "]]]]]]]]]]]]]]");
  assert_int_equal(parse(deep, &in, &e), 0);
  wire_free(&in);
  snprintf(deep, sizeof deep, "{\"id\":\"1\",\"type\":\"p\",\"data\":{\"a\":%s1%s}}", "[[[[[[[[[[[[[[[",
           "]]]]]]]]]]]]]]]");
  assert_int_equal(parse(deep, &in, &e), LY_ETOOBIG);
  assert_string_equal(e.code, "request.too_deep");
  size_t n = SIG_FRAME_MAX + 100;
  char *big = malloc(n + 1);
  memset(big, ' ', n);
  memcpy(big, "{\"id\":\"1\",\"type\":\"ping\"}", 24);
  big[n] = '\0';
  assert_int_equal(wire_parse(big, n, &in, &e), LY_ETOOBIG);
  free(big);
}

static json_t *msg_json(struct sig_msg *m) {
  json_t *v = json_loadb((const char *)m->buf + SIG_PRE, m->len, 0, NULL);
  free(m);
  assert_non_null(v);
  return v;
}

static void shapes(void **state) {
  struct ly_error e;
  (void)state;
  json_t *id = json_string("9");
  json_t *v = msg_json(wire_reply_ok(id, json_pack("{s:i}", "n", 1)));
  assert_string_equal(json_string_value(json_object_get(v, "id")), "9");
  assert_true(json_is_true(json_object_get(v, "ok")));
  assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "data"), "n")), 1);
  json_decref(v);

  ly_error_set(&e, LY_EINVAL, "request.invalid_field", "Bad.", "不对。");
  snprintf(e.field, sizeof e.field, "text");
  v = msg_json(wire_reply_err(id, &e, 0));
  json_t *err = json_object_get(v, "error");
  assert_true(json_is_false(json_object_get(v, "ok")));
  assert_string_equal(json_string_value(json_object_get(err, "code")), "request.invalid_field");
  assert_string_equal(json_string_value(json_object_get(err, "message")), "不对。");
  assert_string_equal(json_string_value(json_object_get(err, "field")), "text");
  json_decref(v);
  v = msg_json(wire_reply_err(NULL, &e, 1));
  assert_true(json_is_null(json_object_get(v, "id")));
  assert_string_equal(json_string_value(json_object_get(json_object_get(v, "error"), "message")), "Bad.");
  json_decref(v);

  ly_error_set(&e, LY_EDB, NULL, NULL, NULL); /* no own code: the generic one */
  v = msg_json(wire_reply_err(id, &e, 1));
  assert_string_equal(json_string_value(json_object_get(json_object_get(v, "error"), "code")),
                      "internal.database");
  json_decref(v);

  json_t *d = json_pack("{s:i}", "position", 2);
  struct sig_msg *m = wire_event("queue.position", 12, d);
  assert_int_equal(m->seq, 12);
  v = msg_json(m);
  assert_null(json_object_get(v, "id"));
  assert_string_equal(json_string_value(json_object_get(v, "type")), "queue.position");
  assert_int_equal(json_integer_value(json_object_get(v, "seq")), 12);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "data"), "position")), 2);
  json_decref(v);
  json_decref(d);
  json_decref(id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(good_messages),
      cmocka_unit_test(bad_messages),
      cmocka_unit_test(limits),
      cmocka_unit_test(shapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
