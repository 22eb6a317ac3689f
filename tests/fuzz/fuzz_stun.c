/* tests/fuzz/fuzz_stun.c — libFuzzer target for media/stun.c. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct stun_msg m;
  (void)stun_is_stun(data, size);
  if (stun_parse(data, size, &m) != 0) return 0;
  (void)stun_check_integrity(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBt", 22);
  (void)stun_check_fingerprint(&m);
  const char *l, *r;
  size_t ll, rl;
  if (stun_username_split(&m, &l, &ll, &r, &rl) == 0 && ll + rl + 1 != m.username_len) __builtin_trap();
  uint8_t out[128];
  size_t n;
  struct sockaddr_in6 sa;
  memset(&sa, 0, sizeof sa);
  sa.sin6_family = AF_INET6;
  if (stun_write_binding_response(&m, (struct sockaddr *)&sa, (const uint8_t *)"pw", 2, out, sizeof out,
                                  &n) == 0) {
    struct stun_msg r2;
    if (stun_parse(out, n, &r2) != 0 || stun_check_fingerprint(&r2) != 0) __builtin_trap();
  }
  return 0;
}
