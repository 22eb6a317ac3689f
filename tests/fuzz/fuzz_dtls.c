/* tests/fuzz/fuzz_dtls.c — libFuzzer target for media/dtls.c: datagrams from an
 * unknown peer into a fresh relay-side DTLS association. The input is a series
 * of datagrams, each prefixed by a 2-byte big-endian length. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/dtls.h"

static void sink(void *ud, const uint8_t *buf, size_t len) {
  (void)ud, (void)buf, (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct dtls_ctx ctx;
  static int ready;
  if (!ready) {
    if (dtls_ctx_init(&ctx) != 0) __builtin_trap();
    ready = 1;
  }
  uint8_t fp[32];
  memset(fp, 0x5a, sizeof fp);
  struct dtls_conn c;
  if (dtls_conn_init(&c, &ctx, DTLS_ROLE_SERVER, fp, sink, NULL) != 0) return 0;
  size_t off = 0;
  while (size - off >= 2) {
    size_t n = ((size_t)data[off] << 8) | data[off + 1];
    off += 2;
    if (n > size - off) n = size - off;
    int st = dtls_conn_input(&c, data + off, n);
    off += n;
    if (st == DTLS_CONNECTED) __builtin_trap(); /* impossible: nobody holds a key for fp */
    if (st != DTLS_HANDSHAKING) break;
  }
  dtls_conn_close(&c);
  return 0;
}
