/* tests/fuzz/fuzz_sdp.c — libFuzzer target for media/sdp.c and sdp_write.c:
 * parse, negotiate as an offer, write the answer, parse our answer back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct sdp_session s, back; /* ~60 KB each: keep them off the stack */
  static struct sdp_track tracks[SDP_MAX_MEDIA];
  static char out[65536];
  struct ly_error e;
  if (sdp_parse((const char *)data, size, &s, &e) != 0) return 0;
  unsigned n = 0;
  if (sdp_negotiate_offer(&s, tracks, &n, &e) != 0) return 0;
  struct sdp_local l = {.ice_ufrag = "abcd",
                        .ice_pwd = "0123456789abcdefghijklmn",
                        .fingerprint =
                            "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:"
                            "44:55:66:77:88:99",
                        .ip = "127.0.0.1",
                        .port = 40000,
                        .sess_id = 1,
                        .sess_version = 1};
  size_t len = 0;
  if (sdp_write_answer(&s, tracks, n, &l, out, sizeof out, &len) != 0) return 0;
  if (sdp_parse(out, len, &back, &e) != 0) __builtin_trap(); /* our own answer must parse */
  if (back.n_media != s.n_media) __builtin_trap();
  uint8_t acc[SDP_MAX_MEDIA];
  (void)sdp_check_answer(&s, tracks, n, acc, &e);
  return 0;
}
