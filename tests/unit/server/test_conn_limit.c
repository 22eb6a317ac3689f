/* tests/unit/server/test_conn_limit.c — server/conn_limit.c: the global and
 * per-address limits (and the band admitted over it to be refused with a
 * 503), slots given back, and the per-address table (linear
 * probing with backward-shift deletion) against a plain array model under
 * thousands of random admits and releases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "server/server.h"
#include "server/server_internal.h"

static struct sockaddr_in v4(uint32_t host) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(host);
  return a;
}

static void test_limits(void **state) {
  struct ly_server srv;
  void *slots[12], *s = NULL;
  (void)state;
  memset(&srv, 0, sizeof(srv));
  assert_int_equal(conn_limit_init(&srv, 12, 3), 0);
  struct sockaddr_in a = v4(0x7f000001), b = v4(0x7f000002);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&a, &slots[i]), 0);
    assert_false(conn_limit_over(slots[i]));
  }
  for (int i = 3; i < 6; i++) { /* as many again are admitted to be told 503 */
    slots[i] = NULL;
    assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&a, &slots[i]), LY_ERATE);
    assert_non_null(slots[i]);
    assert_true(conn_limit_over(slots[i]));
  }
  assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&a, &s), LY_ERATE);
  assert_null(s); /* past that: closed at accept */
  for (int i = 6; i < 9; i++)
    assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&b, &slots[i]), 0);
  struct sockaddr_in6 c;
  memset(&c, 0, sizeof(c));
  c.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::1", &c.sin6_addr);
  for (int i = 9; i < 12; i++)
    assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&c, &slots[i]), 0);
  assert_int_equal(conn_limit_open(srv.conn_limit), 12);
  assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&c, &s), LY_EAGAIN); /* all 12 taken */
  assert_null(s);
  conn_limit_release(srv.conn_limit, slots[0]);
  conn_limit_release(srv.conn_limit, slots[0]);             /* twice: ignored */
  conn_limit_release(srv.conn_limit, (char *)slots[1] + 1); /* not a slot: ignored */
  conn_limit_release(srv.conn_limit, NULL);
  assert_int_equal(conn_limit_open(srv.conn_limit), 11);
  assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&b, &s), LY_ERATE); /* b has its 3 */
  assert_true(conn_limit_over(s));
  conn_limit_release(srv.conn_limit, s);
  for (int i = 3; i < 6; i++) /* a's refused ones close */
    conn_limit_release(srv.conn_limit, slots[i]);
  assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&a, &s), 0); /* a has room again */
  assert_false(conn_limit_over(s));
  conn_limit_close(srv.conn_limit);
}

/* Random admits and releases from 40 addresses that share buckets; the
 * per-address counts must match a model, and every slot must come back. */
static void test_table_against_model(void **state) {
  enum { MAX = 64, ADDRS = 40, STEPS = 20000 };
  struct ly_server srv;
  void *held[MAX];
  int owner[MAX], count[ADDRS] = {0}, nheld = 0;
  (void)state;
  memset(&srv, 0, sizeof(srv));
  assert_int_equal(conn_limit_init(&srv, MAX, 4), 0);
  srand(7);
  for (int step = 0; step < STEPS; step++) {
    if (nheld > 0 && (rand() % 2 || nheld == MAX)) {
      int k = rand() % nheld;
      conn_limit_release(srv.conn_limit, held[k]);
      count[owner[k]]--;
      held[k] = held[--nheld];
      owner[k] = owner[nheld];
    } else {
      int a = rand() % ADDRS;
      struct sockaddr_in sa = v4(0x0a000000u + (uint32_t)a * 256); /* 10.0.x.0: similar keys */
      void *s = NULL;
      int rc = conn_limit_admit(srv.conn_limit, (struct sockaddr *)&sa, &s);
      if (count[a] >= 8) { /* 4 allowed, 4 more to be refused with a 503, then none */
        assert_int_equal(rc, LY_ERATE);
        assert_null(s);
      } else {
        assert_int_equal(rc, count[a] >= 4 ? LY_ERATE : 0);
        assert_int_equal(conn_limit_over(s), count[a] >= 4);
        held[nheld] = s;
        owner[nheld++] = a;
        count[a]++;
      }
    }
    assert_int_equal(conn_limit_open(srv.conn_limit), nheld);
  }
  while (nheld > 0)
    conn_limit_release(srv.conn_limit, held[--nheld]);
  assert_int_equal(conn_limit_open(srv.conn_limit), 0);
  for (int a = 0; a < ADDRS; a++) { /* every address may have its 4 again */
    struct sockaddr_in sa = v4(0x0a000000u + (uint32_t)a * 256);
    void *s = NULL;
    if (a < MAX / 4)
      for (int k = 0; k < 4; k++)
        assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&sa, &s), 0);
  }
  conn_limit_close(srv.conn_limit);
}

/* Without a per-address limit only the total counts. */
static void test_no_per_ip(void **state) {
  struct ly_server srv;
  void *s = NULL;
  (void)state;
  memset(&srv, 0, sizeof(srv));
  assert_int_equal(conn_limit_init(&srv, 16, 0), 0);
  struct sockaddr_in a = v4(0x7f000001);
  for (int i = 0; i < 16; i++)
    assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&a, &s), 0);
  assert_int_equal(conn_limit_admit(srv.conn_limit, (struct sockaddr *)&a, &s), LY_EAGAIN);
  conn_limit_close(srv.conn_limit);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_table_against_model),
      cmocka_unit_test(test_no_per_ip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
