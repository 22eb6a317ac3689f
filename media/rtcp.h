/* media/rtcp.h — RTCP compound parsing and report/feedback writers
 * (RFC 3550 §6, RFC 4585 §6, RFC 5104 §4.3.1, draft-alvestrand-rmcat-remb).
 *
 * Parsing is an iterator over a caller-owned buffer: rtcp_next() yields one
 * packet of the compound at a time; rtcp_parse_*() decode one yielded packet
 * into fixed-size structs (no allocation). Writers append one packet to a
 * caller buffer and fail with LY_ETOOBIG rather than overrun it.
 */
#ifndef LY_MEDIA_RTCP_H
#define LY_MEDIA_RTCP_H

#include <stddef.h>
#include <stdint.h>

enum rtcp_type {
  RTCP_SR = 200,
  RTCP_RR = 201,
  RTCP_SDES = 202,
  RTCP_BYE = 203,
  RTCP_APP = 204,
  RTCP_RTPFB = 205, /* fmt 1: generic NACK */
  RTCP_PSFB = 206,  /* fmt 1: PLI, 4: FIR, 15: application layer (REMB) */
};
enum { RTCP_FMT_NACK = 1, RTCP_FMT_PLI = 1, RTCP_FMT_FIR = 4, RTCP_FMT_AFB = 15 };

#define RTCP_MAX_BLOCKS 31
#define RTCP_MAX_FCI    32 /* NACK pairs / FIR entries / REMB SSRCs kept per packet */

/* One packet of a compound: pointers alias the caller's buffer. */
struct rtcp_pkt {
  uint8_t type;
  uint8_t count;       /* RC / SC / FMT field */
  const uint8_t *data; /* from the first header byte */
  size_t len;          /* whole packet including header and padding */
};

struct rtcp_iter {
  const uint8_t *buf;
  size_t len, off;
};

struct rtcp_report_block {
  uint32_t ssrc;
  uint8_t fraction_lost;
  int32_t cumulative_lost; /* 24-bit signed */
  uint32_t ext_highest_seq, jitter, lsr, dlsr;
};

struct rtcp_sr {
  uint32_t ssrc;
  uint64_t ntp;
  uint32_t rtp_ts, packet_count, octet_count;
  uint8_t n_blocks;
  struct rtcp_report_block blocks[RTCP_MAX_BLOCKS];
};

struct rtcp_rr {
  uint32_t ssrc;
  uint8_t n_blocks;
  struct rtcp_report_block blocks[RTCP_MAX_BLOCKS];
};

struct rtcp_bye {
  uint8_t n_ssrc;
  uint32_t ssrc[RTCP_MAX_BLOCKS];
};

/* RTPFB and PSFB. Which arrays are filled depends on type/fmt. */
struct rtcp_fb {
  uint8_t type, fmt;
  uint32_t sender_ssrc, media_ssrc;
  uint8_t n_fci;
  struct {
    uint16_t pid, blp;
  } nack[RTCP_MAX_FCI]; /* RTPFB fmt 1 */
  struct {
    uint32_t ssrc;
    uint8_t seq;
  } fir[RTCP_MAX_FCI]; /* PSFB fmt 4 */
  int is_remb;         /* PSFB fmt 15 "REMB" */
  uint64_t remb_bps;
  uint32_t remb_ssrc[RTCP_MAX_FCI];
};

/* Validate a whole compound first (RFC 3550 A.2: version 2 everywhere, lengths
 * add up exactly, padding only on the last packet). Returns 0 or LY_EPARSE.
 * The first packet's type is not required to be SR/RR (RFC 5506 reduced size). */
int rtcp_validate(const uint8_t *buf, size_t len);
/* RFC 7983 / RFC 5761: first byte 128..191, second byte 192..223. */
int rtcp_is_rtcp(const uint8_t *buf, size_t len);

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 and the next packet, 0 at the end, LY_EPARSE on a bad header. */
int rtcp_next(struct rtcp_iter *it, struct rtcp_pkt *p);

int rtcp_parse_sr(const struct rtcp_pkt *p, struct rtcp_sr *out);
int rtcp_parse_rr(const struct rtcp_pkt *p, struct rtcp_rr *out);
int rtcp_parse_bye(const struct rtcp_pkt *p, struct rtcp_bye *out);
/* SDES: the CNAME of the first chunk that has one, NUL-terminated. */
int rtcp_parse_sdes_cname(const struct rtcp_pkt *p, uint32_t *ssrc, char *cname, size_t cap);
/* RTPFB/PSFB: NACK, PLI, FIR, REMB decoded; other formats return the common
 * header with n_fci = 0. LY_EPARSE when the FCI does not fit the format. */
int rtcp_parse_fb(const struct rtcp_pkt *p, struct rtcp_fb *out);
/* Expand NACK pid/blp pairs into sequence numbers (at most cap). */
size_t rtcp_nack_seqs(const struct rtcp_fb *fb, uint16_t *out, size_t cap);

/* Writers: each appends one packet at buf[*off], advances *off. Return 0,
 * LY_ETOOBIG (nothing written) or LY_EINVAL. */
int rtcp_write_sr(uint8_t *buf, size_t cap, size_t *off, const struct rtcp_sr *sr);
int rtcp_write_rr(uint8_t *buf, size_t cap, size_t *off, const struct rtcp_rr *rr);
int rtcp_write_sdes_cname(uint8_t *buf, size_t cap, size_t *off, uint32_t ssrc, const char *cname);
int rtcp_write_bye(uint8_t *buf, size_t cap, size_t *off, uint32_t ssrc);
int rtcp_write_pli(uint8_t *buf, size_t cap, size_t *off, uint32_t sender, uint32_t media);
int rtcp_write_fir(uint8_t *buf, size_t cap, size_t *off, uint32_t sender, uint32_t media, uint8_t seq);
/* REMB with bitrate in bits/s applying to the n listed SSRCs. */
int rtcp_write_remb(uint8_t *buf, size_t cap, size_t *off, uint32_t sender, uint64_t bps,
                    const uint32_t *ssrcs, size_t n);
/* Generic NACK for n sequence numbers (any order), packed into pid/blp pairs. */
int rtcp_write_nack(uint8_t *buf, size_t cap, size_t *off, uint32_t sender, uint32_t media,
                    const uint16_t *seqs, size_t n);

/* Middle 32 bits of an NTP timestamp (for LSR/DLSR), and NTP from UTC ms. */
uint64_t rtcp_ntp_from_ms(int64_t utc_ms);
static inline uint32_t rtcp_ntp_mid32(uint64_t ntp) {
  return (uint32_t)(ntp >> 16);
}

#endif
