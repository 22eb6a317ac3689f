/* tests/unit/server/test_router.c — server/router.c (route matching, Allow)
 * and the query-string half of server/resp.c (decoding, re-encoding). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/err.h"
#include "server/http.h"
#include "server/server_internal.h"

static int h(struct ly_req *req, struct ly_resp *resp) {
  return 0;
}

/* Literal-vs-parameter order is deliberately mixed up. */
static const struct ly_route table[] = {
    {LY_GET, "/api/v1/sessions/{id}", h, LY_ROLE_ANY, 0, "sessions.get"},
    {LY_DELETE, "/api/v1/sessions/current", h, LY_ROLE_ANY, 0, "sessions.delete_current"},
    {LY_DELETE, "/api/v1/sessions/{id}", h, LY_ROLE_ANY, 0, "sessions.delete"},
    {LY_POST, "/api/v1/sessions", h, 0, LY_ROUTE_PUBLIC, "sessions.create"},
    {LY_GET, "/api/v1/me", h, LY_ROLE_ANY, 0, "me.get"},
    {LY_GET, "/api/v1/consultations/{id}/notes/{note}", h, LY_ROLE_ANY, 0, "notes.get"},
    {LY_POST, "/api/v1/consultations/{id}/cancel", h, LY_ROLE_ANY, 0, "consultations.cancel"},
    {LY_GET, "/api/v1/a/{p1}/{p2}/{p3}/{p4}/{p5}", h, LY_ROLE_ANY, 0, "too.many"},
    {LY_GET, "/", h, 0, LY_ROUTE_PUBLIC, "root"},
    {0, NULL, NULL, 0, 0, NULL},
};

struct match {
  int rc;
  const struct ly_route *r;
  const char *params[LY_MAX_PATH_PARAMS];
  int n;
  char scratch[256];
};

static int match(struct match *m, enum ly_method meth, const char *path) {
  memset(m, 0, sizeof(*m));
  m->rc = http_route_match(table, meth, path, &m->r, m->params, &m->n, m->scratch, sizeof(m->scratch));
  return m->rc;
}

static void test_exact_and_params(void **state) {
  struct match m;
  assert_int_equal(match(&m, LY_POST, "/api/v1/sessions"), 0);
  assert_string_equal(m.r->name, "sessions.create");
  assert_int_equal(m.n, 0);

  assert_int_equal(match(&m, LY_GET, "/api/v1/consultations/c_123/notes/n9"), 0);
  assert_string_equal(m.r->name, "notes.get");
  assert_int_equal(m.n, 2);
  assert_string_equal(m.params[0], "c_123");
  assert_string_equal(m.params[1], "n9");

  assert_int_equal(match(&m, LY_GET, "/"), 0);
  assert_string_equal(m.r->name, "root");
}

static void test_literal_beats_param(void **state) {
  struct match m;
  assert_int_equal(match(&m, LY_DELETE, "/api/v1/sessions/current"), 0);
  assert_string_equal(m.r->name, "sessions.delete_current");
  assert_int_equal(match(&m, LY_DELETE, "/api/v1/sessions/abc"), 0);
  assert_string_equal(m.r->name, "sessions.delete");
  assert_string_equal(m.params[0], "abc");
  /* GET has only the parameter form: "current" is then just an id */
  assert_int_equal(match(&m, LY_GET, "/api/v1/sessions/current"), 0);
  assert_string_equal(m.r->name, "sessions.get");
}

static void test_segments_must_match_exactly(void **state) {
  struct match m;
  assert_int_equal(match(&m, LY_GET, "/api/v1/mee"), LY_ENOTFOUND);
  assert_int_equal(match(&m, LY_GET, "/api/v1/m"), LY_ENOTFOUND);
  assert_int_equal(match(&m, LY_GET, "/api/v1/me/"), LY_ENOTFOUND);
  assert_int_equal(match(&m, LY_GET, "/api/v1//me"), LY_ENOTFOUND);
  assert_int_equal(match(&m, LY_POST, "/api/v1/sessions/extra/segments"), LY_ENOTFOUND);
  assert_int_equal(match(&m, LY_POST, "/api/v1/consultations//cancel"), LY_ENOTFOUND); /* empty param */
  assert_int_equal(match(&m, LY_GET, "api/v1/me"), LY_ENOTFOUND);
  assert_int_equal(match(&m, LY_GET, ""), LY_ENOTFOUND);
  assert_int_equal(match(&m, LY_GET, "/API/V1/ME"), LY_ENOTFOUND);
  /* more {params} than LY_MAX_PATH_PARAMS never match */
  assert_int_equal(match(&m, LY_GET, "/api/v1/a/1/2/3/4/5"), LY_ENOTFOUND);
}

static void test_method_not_allowed(void **state) {
  struct match m;
  assert_int_equal(match(&m, LY_PUT, "/api/v1/sessions"), LY_EMETHOD);
  assert_int_equal(match(&m, LY_GET, "/api/v1/consultations/x/cancel"), LY_EMETHOD);
  assert_int_equal(http_route_allowed(table, "/api/v1/sessions"), LY_POST);
  assert_int_equal(http_route_allowed(table, "/api/v1/sessions/current"), LY_GET | LY_DELETE);
  assert_int_equal(http_route_allowed(table, "/nope"), 0);

  char allow[64];
  http_methods_str(LY_GET | LY_DELETE | LY_POST, allow, sizeof(allow));
  assert_string_equal(allow, "GET, POST, DELETE");
  http_methods_str(0, allow, sizeof(allow));
  assert_string_equal(allow, "");
  http_methods_str(LY_GET | LY_POST, allow, 6); /* bounded: whole names only */
  assert_string_equal(allow, "GET");
}

static void test_scratch_bounded(void **state) {
  const struct ly_route *r = NULL;
  const char *params[LY_MAX_PATH_PARAMS];
  int n = -1;
  char scratch[4];
  assert_int_equal(
      http_route_match(table, LY_DELETE, "/api/v1/sessions/abcdef", &r, params, &n, scratch, sizeof(scratch)),
      LY_ETOOBIG);
  assert_int_equal(
      http_route_match(table, LY_DELETE, "/api/v1/sessions/abc", &r, params, &n, scratch, sizeof(scratch)),
      0);
  assert_string_equal(params[0], "abc");
}

static int q(const char *query, const char *key, char *out, size_t outsz) {
  struct ly_req req;
  memset(&req, 0, sizeof(req));
  req.query = query;
  return ly_req_query(&req, key, out, outsz);
}

static void test_query_values(void **state) {
  char v[32];
  assert_int_equal(q("limit=20&x=1", "limit", v, sizeof(v)), 0);
  assert_string_equal(v, "20");
  assert_int_equal(q("limit=20&x=1", "x", v, sizeof(v)), 0);
  assert_string_equal(v, "1");
  assert_int_equal(q("limit=20&x=1", "lim", v, sizeof(v)), LY_ENOTFOUND);
  assert_int_equal(q("limitx=1", "limit", v, sizeof(v)), LY_ENOTFOUND);
  assert_int_equal(q("", "limit", v, sizeof(v)), LY_ENOTFOUND);
  assert_int_equal(q("a=1&a=2", "a", v, sizeof(v)), 0); /* the first wins */
  assert_string_equal(v, "1");
  assert_int_equal(q("flag&b=", "flag", v, sizeof(v)), 0);
  assert_string_equal(v, "");
  assert_int_equal(q("flag&b=", "b", v, sizeof(v)), 0);
  assert_string_equal(v, "");
  assert_int_equal(q("a=1;b=2", "b", v, sizeof(v)), 0);
  assert_string_equal(v, "2");
}

static void test_query_decoding(void **state) {
  char v[32];
  assert_int_equal(q("name=%E5%BC%A0+%E4%B8%89", "name", v, sizeof(v)), 0);
  assert_string_equal(v, "张 三");
  assert_int_equal(q("q=a%26b%3Dc", "q", v, sizeof(v)), 0);
  assert_string_equal(v, "a&b=c");
  assert_int_equal(q("q=100%", "q", v, sizeof(v)), 0); /* malformed escapes stay literal */
  assert_string_equal(v, "100%");
  assert_int_equal(q("q=%zz%4", "q", v, sizeof(v)), 0);
  assert_string_equal(v, "%zz%4");
  assert_int_equal(q("%6Cimit=7", "limit", v, sizeof(v)), 0); /* keys are decoded too */
  assert_string_equal(v, "7");
  assert_int_equal(q("q=a%00b", "q", v, sizeof(v)), LY_EPARSE);
  assert_int_equal(q("q=abcdef", "q", v, 6), LY_ETOOBIG);
  assert_int_equal(q("q=abcde", "q", v, 6), 0);
  assert_string_equal(v, "abcde");
}

static void test_query_reencoding(void **state) {
  char out[64], v[32];
  size_t off = 0;
  /* lws hands over decoded fragments; re-encoding keeps '&' and '=' inside values */
  assert_int_equal(query_append_pair(out, sizeof(out), &off, "q=a&b=c"), 0);
  assert_int_equal(query_append_pair(out, sizeof(out), &off, "name=张 三"), 0);
  assert_int_equal(query_append_pair(out, sizeof(out), &off, "flag"), 0);
  assert_string_equal(out, "q=a%26b%3Dc&name=%E5%BC%A0%20%E4%B8%89&flag");
  assert_int_equal(q(out, "q", v, sizeof(v)), 0);
  assert_string_equal(v, "a&b=c");
  assert_int_equal(q(out, "name", v, sizeof(v)), 0);
  assert_string_equal(v, "张 三");
  assert_int_equal(q(out, "flag", v, sizeof(v)), 0);
  assert_string_equal(v, "");

  char small[8];
  off = 0;
  assert_int_equal(query_append_pair(small, sizeof(small), &off, "x=1234567"), LY_ETOOBIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_and_params),
      cmocka_unit_test(test_literal_beats_param),
      cmocka_unit_test(test_segments_must_match_exactly),
      cmocka_unit_test(test_method_not_allowed),
      cmocka_unit_test(test_scratch_bounded),
      cmocka_unit_test(test_query_values),
      cmocka_unit_test(test_query_decoding),
      cmocka_unit_test(test_query_reencoding),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
