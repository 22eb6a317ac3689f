/* tests/unit/media/test_spsc.c — media/spsc.c: full and empty, wrap-around,
 * and a producer and a consumer thread passing 200,000 numbered slots in
 * order (run under ASan/UBSan too; TSan would see the same pairs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>
#include <pthread.h>

#include "core/err.h"
#include "media/media_internal.h"

struct item {
  uint64_t n;
  uint8_t pad[40];
};

static void test_full_empty_wrap(void **state) {
  (void)state;
  struct spsc q;
  assert_int_equal(spsc_init(&q, 6, sizeof(struct item)), LY_EINVAL); /* not a power of 2 */
  assert_int_equal(spsc_init(&q, 8, sizeof(struct item)), 0);
  assert_null(spsc_peek(&q));
  for (uint64_t round = 0; round < 5; round++) { /* counters wrap past the slots several times */
    for (uint64_t i = 0; i < 8; i++) {
      struct item *it = spsc_claim(&q);
      assert_non_null(it);
      it->n = round * 100 + i;
      spsc_publish(&q);
    }
    assert_int_equal(spsc_free(&q), 0);
    assert_null(spsc_claim(&q)); /* full */
    for (uint64_t i = 0; i < 8; i++) {
      struct item *it = spsc_peek(&q);
      assert_non_null(it);
      assert_int_equal(it->n, round * 100 + i);
      spsc_release(&q);
    }
    assert_null(spsc_peek(&q));
    assert_int_equal(spsc_free(&q), 8);
  }
  spsc_close(&q);
}

#define N 200000

static void *producer(void *arg) {
  struct spsc *q = arg;
  for (uint64_t i = 0; i < N;) {
    struct item *it = spsc_claim(q);
    if (it == NULL) continue; /* full: spin */
    it->n = i;
    memset(it->pad, (int)(i & 0xff), sizeof it->pad);
    spsc_publish(q);
    i++;
  }
  return NULL;
}

static void test_two_threads(void **state) {
  (void)state;
  struct spsc q;
  assert_int_equal(spsc_init(&q, 64, sizeof(struct item)), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, producer, &q), 0);
  uint64_t want = 0;
  while (want < N) {
    struct item *it = spsc_peek(&q);
    if (it == NULL) continue;
    if (it->n != want || it->pad[39] != (uint8_t)(want & 0xff)) fail_msg("slot %llu out of order", (unsigned long long)want);
    spsc_release(&q);
    want++;
  }
  pthread_join(th, NULL);
  assert_null(spsc_peek(&q));
  spsc_close(&q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_empty_wrap),
      cmocka_unit_test(test_two_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
