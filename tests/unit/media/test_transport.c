/* tests/unit/media/test_transport.c — media/transport.c: finding the
 * transport a datagram belongs to by its source address, with thousands of
 * transports on one worker (the address table is a verified hint: collisions,
 * closed transports and reused slots must never send a packet to the wrong
 * transport). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka after the standard headers */
#include <arpa/inet.h>
#include <cmocka.h>

#include "media/media_internal.h"

#define N 3000

static struct sockaddr_storage v4(uint16_t port) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *a = (struct sockaddr_in *)&ss;
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
  return ss;
}

static struct sockaddr_storage v6(uint16_t port) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  inet_pton(AF_INET6, "::1", &a->sin6_addr);
  return ss;
}

/* A worker with N connected transports, transport i checked from port
 * 10000 + i (every third over IPv6), as the worker thread would have them. */
static struct worker *make_worker(void) {
  struct worker *w = calloc(1, sizeof *w);
  w->max = 4096;
  w->hi = N;
  w->t = calloc(w->max, sizeof *w->t);
  w->addr_mask = 4 * 4096 - 1;
  w->addr_slot = malloc((w->addr_mask + 1) * sizeof *w->addr_slot);
  for (unsigned i = 0; i <= w->addr_mask; i++)
    w->addr_slot[i] = -1;
  for (unsigned i = 0; i < N; i++) {
    w->t[i].state = TS_CONNECTED;
    w->t[i].n_checked = 1;
    w->t[i].checked[0] = i % 3 ? v4((uint16_t)(10000 + i)) : v6((uint16_t)(10000 + i));
  }
  return w;
}

static void free_worker(struct worker *w) {
  free(w->t);
  free(w->addr_slot);
  free(w);
}

static struct sockaddr_storage addr_of(unsigned i) {
  return i % 3 ? v4((uint16_t)(10000 + i)) : v6((uint16_t)(10000 + i));
}

static void test_every_address_finds_its_transport(void **state) {
  (void)state;
  struct worker *w = make_worker();
  for (int round = 0; round < 3; round++) /* the first round fills the table, the others use it */
    for (unsigned i = 0; i < N; i++) {
      struct sockaddr_storage a = addr_of(i);
      assert_ptr_equal(transport_by_addr(w, &a), &w->t[i]);
    }
  struct sockaddr_storage unknown = v4(9999), other_family = v6(10001);
  assert_null(transport_by_addr(w, &unknown));
  assert_null(transport_by_addr(w, &other_family)); /* 10001 is transport 1's, over IPv4 */
  free_worker(w);
}

static void test_closed_and_reused_slots(void **state) {
  (void)state;
  struct worker *w = make_worker();
  for (unsigned i = 0; i < N; i++) {
    struct sockaddr_storage a = addr_of(i);
    assert_ptr_equal(transport_by_addr(w, &a), &w->t[i]);
  }
  /* transport 500 closes: its address belongs to nobody now */
  struct sockaddr_storage old = addr_of(500);
  w->t[500].state = TS_CLOSED;
  assert_null(transport_by_addr(w, &old));
  /* its slot is reused by a new transport from another address */
  memset(&w->t[500], 0, sizeof w->t[500]);
  w->t[500].state = TS_CONNECTED;
  w->t[500].n_checked = 1;
  w->t[500].checked[0] = v4(60000);
  struct sockaddr_storage fresh = v4(60000);
  assert_null(transport_by_addr(w, &old));
  assert_ptr_equal(transport_by_addr(w, &fresh), &w->t[500]);
  /* a transport checked from a second address answers to both */
  w->t[7].checked[w->t[7].n_checked++] = v4(61000);
  struct sockaddr_storage second = v4(61000), first = addr_of(7);
  assert_ptr_equal(transport_by_addr(w, &second), &w->t[7]);
  assert_ptr_equal(transport_by_addr(w, &first), &w->t[7]);
  /* a transport not yet checked from anywhere is never found */
  w->t[8].n_checked = 0;
  struct sockaddr_storage eight = addr_of(8);
  assert_null(transport_by_addr(w, &eight));
  free_worker(w);
}

/* Transports beyond the high-water mark are not looked at. */
static void test_high_water_mark(void **state) {
  (void)state;
  struct worker *w = make_worker();
  w->hi = 100;
  struct sockaddr_storage beyond = addr_of(200), inside = addr_of(99);
  assert_null(transport_by_addr(w, &beyond));
  assert_ptr_equal(transport_by_addr(w, &inside), &w->t[99]);
  free_worker(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_address_finds_its_transport),
      cmocka_unit_test(test_closed_and_reused_slots),
      cmocka_unit_test(test_high_water_mark),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
