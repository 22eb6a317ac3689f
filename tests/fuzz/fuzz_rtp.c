/* tests/fuzz/fuzz_rtp.c — libFuzzer target for media/rtp.c. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct rtp_hdr h;
  (void)rtp_is_rtp(data, size);
  if (rtp_parse(data, size, &h) != 0) return 0;
  if (h.header_len + h.payload_len + h.pad_len != size) __builtin_trap();
  int v, l;
  uint32_t t;
  char mid[32];
  for (uint8_t id = 1; id < 16; id++) {
    (void)rtp_ext_audio_level(data, &h, id, &v, &l);
    (void)rtp_ext_abs_send_time(data, &h, id, &t);
    (void)rtp_ext_mid(data, &h, id, mid, sizeof mid);
  }
  /* re-write the header with the parsed extensions and parse it back */
  struct rtp_out o;
  memset(&o, 0, sizeof o);
  o.pt = h.pt;
  o.seq = h.seq;
  o.ts = h.ts;
  o.ssrc = h.ssrc;
  for (unsigned i = 0; i < h.n_ext; i++) {
    if (h.ext[i].len == 0) continue;
    o.ext[o.n_ext].id = h.ext[i].id;
    o.ext[o.n_ext].len = h.ext[i].len;
    o.ext[o.n_ext].data = data + h.ext[i].off;
    o.n_ext++;
  }
  uint8_t out[4200];
  size_t n;
  if (rtp_write_header(&o, out, sizeof out, &n) == 0) {
    struct rtp_hdr h2;
    if (rtp_parse(out, n, &h2) != 0 || h2.ssrc != h.ssrc || h2.n_ext != o.n_ext) __builtin_trap();
  }
  return 0;
}
