/* media/rtp.h — RTP header parsing and writing (RFC 3550 §5.1, RFC 8285).
 *
 * Parsing never allocates and never copies: struct rtp_hdr holds offsets into
 * the caller's packet. The SFU forwards a packet by writing a fresh header for
 * each subscriber (rtp_write_header) in front of the unchanged payload, so that
 * SSRC, payload type, sequence number and header extensions (ids and the mid)
 * can all differ per subscriber without touching the publisher's buffer.
 * The in-place setters serve the simple cases (same layout, new numbers).
 */
#ifndef LY_MEDIA_RTP_H
#define LY_MEDIA_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_MIN_HEADER 12
#define RTP_MAX_EXT    16 /* extension elements kept by rtp_parse / written per packet */

struct rtp_ext {
  uint8_t id;   /* 1..14 (one-byte form) or 1..255 (two-byte form) */
  uint8_t len;  /* data length in bytes */
  uint16_t off; /* offset of the data in the packet */
};

struct rtp_hdr {
  uint8_t padding, marker, pt, csrc_count;
  uint16_t seq;
  uint32_t ts, ssrc;
  uint16_t ext_profile; /* 0xBEDE one-byte, 0x100X two-byte, other, or 0 if none */
  uint8_t has_ext;
  uint8_t n_ext; /* elements parsed (one- and two-byte forms only) */
  struct rtp_ext ext[RTP_MAX_EXT];
  size_t header_len;  /* fixed header + CSRCs + extension block */
  size_t payload_len; /* excluding padding */
  uint8_t pad_len;
};

/* RFC 7983 / RFC 5761: first byte 128..191 and not an RTCP packet type
 * (second byte 192..223 belongs to RTCP). Returns 1 or 0. */
int rtp_is_rtp(const uint8_t *buf, size_t len);

/* Parse a plaintext (or SRTP: the header is clear) RTP packet. Returns 0 or
 * LY_EPARSE (version, truncation, CSRC/extension/padding bounds, malformed or
 * more than RTP_MAX_EXT extension elements). */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h);

/* Find extension `id`. Returns 0 and fills data and len, or LY_ENOTFOUND. */
int rtp_ext_find(const uint8_t *buf, const struct rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len);

/* RFC 6464 client-to-mixer audio level: voice flag and level in -dBov (0..127). */
int rtp_ext_audio_level(const uint8_t *buf, const struct rtp_hdr *h, uint8_t id, int *voice, int *level);
/* abs-send-time: 24-bit 6.18 fixed-point seconds. */
int rtp_ext_abs_send_time(const uint8_t *buf, const struct rtp_hdr *h, uint8_t id, uint32_t *t);
/* abs-send-time value for a time in milliseconds. */
uint32_t rtp_abs_send_time_from_ms(int64_t ms);
/* RFC 8843 MID: copies it NUL-terminated into out. LY_ETOOBIG if it does not fit. */
int rtp_ext_mid(const uint8_t *buf, const struct rtp_hdr *h, uint8_t id, char *out, size_t cap);

/* A header to write: no CSRCs (the SFU does not mix). */
struct rtp_out {
  uint8_t marker, pt;
  uint16_t seq;
  uint32_t ts, ssrc;
  uint8_t n_ext;
  struct {
    uint8_t id, len;
    const uint8_t *data;
  } ext[RTP_MAX_EXT];
};

/* Write the header into buf; the one-byte form when every id is 1..14 and
 * every length 1..16, else the two-byte form. Returns 0 and the header length,
 * LY_ETOOBIG or LY_EINVAL (id 0 or 15 in one-byte form, too many elements). */
int rtp_write_header(const struct rtp_out *o, uint8_t *buf, size_t cap, size_t *out_len);

/* In-place rewrites of a parsed packet's fixed header. */
void rtp_set_pt(uint8_t *buf, uint8_t pt); /* keeps the marker bit */
void rtp_set_seq(uint8_t *buf, uint16_t seq);
void rtp_set_ts(uint8_t *buf, uint32_t ts);
void rtp_set_ssrc(uint8_t *buf, uint32_t ssrc);

/* Signed distance a - b in 16-bit sequence space (RFC 3550 A.1 style). */
static inline int16_t rtp_seq_diff(uint16_t a, uint16_t b) {
  return (int16_t)(uint16_t)(a - b);
}

#endif
