/* tests/fuzz/fuzz_rtcp.c — libFuzzer target for media/rtcp.c. */
#include <stddef.h>
#include <stdint.h>

#include "media/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)rtcp_is_rtcp(data, size);
  if (rtcp_validate(data, size) != 0) return 0;
  struct rtcp_iter it;
  struct rtcp_pkt p;
  struct rtcp_sr sr;
  struct rtcp_rr rr;
  struct rtcp_bye bye;
  struct rtcp_fb fb;
  uint16_t seqs[600];
  uint32_t ssrc;
  char cname[64];
  uint8_t out[1500];
  size_t off = 0;
  rtcp_iter_init(&it, data, size);
  while (rtcp_next(&it, &p) == 1) {
    switch (p.type) {
      case RTCP_SR:
        if (rtcp_parse_sr(&p, &sr) == 0) (void)rtcp_write_sr(out, sizeof out, &off, &sr);
        break;
      case RTCP_RR:
        if (rtcp_parse_rr(&p, &rr) == 0) (void)rtcp_write_rr(out, sizeof out, &off, &rr);
        break;
      case RTCP_SDES:
        (void)rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof cname);
        break;
      case RTCP_BYE:
        (void)rtcp_parse_bye(&p, &bye);
        break;
      case RTCP_RTPFB:
      case RTCP_PSFB:
        if (rtcp_parse_fb(&p, &fb) == 0) {
          size_t n = rtcp_nack_seqs(&fb, seqs, sizeof seqs / sizeof seqs[0]);
          if (n > 0 && n <= RTCP_MAX_FCI) (void)rtcp_write_nack(out, sizeof out, &off, 1, 2, seqs, n);
          if (fb.is_remb)
            (void)rtcp_write_remb(out, sizeof out, &off, 1, fb.remb_bps, fb.remb_ssrc, fb.n_fci);
        }
        break;
      default:
        break;
    }
  }
  if (off > 0 && rtcp_validate(out, off) != 0) __builtin_trap();
  return 0;
}
