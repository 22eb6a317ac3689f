/* media/rtp.c — RTP header parse/write. See rtp.h. */
#include "media/rtp.h"

#include <string.h>

#include "core/err.h"
#include "media/bytes_internal.h"

int rtp_is_rtp(const uint8_t *buf, size_t len) {
  if (len < RTP_MIN_HEADER || buf[0] < 128 || buf[0] > 191) return 0;
  return !(buf[1] >= 192 && buf[1] <= 223);
}

/* Walk the RFC 8285 elements of an extension block. two = two-byte form. */
static int parse_ext_elements(const uint8_t *buf, size_t off, size_t n, int two, struct rtp_hdr *h) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = buf[off + i];
    if (b == 0) { /* padding between elements */
      i++;
      continue;
    }
    size_t id, len, hdr;
    if (two) {
      if (n - i < 2) return LY_EPARSE;
      id = b;
      len = buf[off + i + 1];
      hdr = 2;
    } else {
      id = b >> 4;
      len = (size_t)(b & 0x0F) + 1;
      hdr = 1;
      if (id == 15) return 0; /* RFC 8285 §4.2: stop processing here */
    }
    if (len > n - i - hdr) return LY_EPARSE;
    if (h->n_ext >= RTP_MAX_EXT) return LY_EPARSE;
    h->ext[h->n_ext].id = (uint8_t)id;
    h->ext[h->n_ext].len = (uint8_t)len;
    h->ext[h->n_ext].off = (uint16_t)(off + i + hdr);
    h->n_ext++;
    i += hdr + len;
  }
  return 0;
}

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h) {
  memset(h, 0, sizeof *h);
  if (len < RTP_MIN_HEADER || (buf[0] >> 6) != 2 || len > 0xFFFF) return LY_EPARSE;
  h->padding = (buf[0] >> 5) & 1;
  h->has_ext = (buf[0] >> 4) & 1;
  h->csrc_count = buf[0] & 0x0F;
  h->marker = buf[1] >> 7;
  h->pt = buf[1] & 0x7F;
  h->seq = rd16(buf + 2);
  h->ts = rd32(buf + 4);
  h->ssrc = rd32(buf + 8);
  size_t off = RTP_MIN_HEADER + 4u * h->csrc_count;
  if (off > len) return LY_EPARSE;
  if (h->has_ext) {
    if (len - off < 4) return LY_EPARSE;
    h->ext_profile = rd16(buf + off);
    size_t n = 4u * rd16(buf + off + 2);
    off += 4;
    if (n > len - off) return LY_EPARSE;
    int rc = 0;
    if (h->ext_profile == 0xBEDE)
      rc = parse_ext_elements(buf, off, n, 0, h);
    else if ((h->ext_profile & 0xFFF0) == 0x1000)
      rc = parse_ext_elements(buf, off, n, 1, h);
    if (rc != 0) return rc;
    off += n;
  }
  h->header_len = off;
  size_t rest = len - off;
  if (h->padding) {
    if (rest == 0) return LY_EPARSE;
    h->pad_len = buf[len - 1];
    if (h->pad_len == 0 || h->pad_len > rest) return LY_EPARSE;
    rest -= h->pad_len;
  }
  h->payload_len = rest;
  return 0;
}

int rtp_ext_find(const uint8_t *buf, const struct rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len) {
  if (id == 0) return LY_ENOTFOUND;
  for (unsigned i = 0; i < h->n_ext; i++) {
    if (h->ext[i].id == id) {
      *data = buf + h->ext[i].off;
      *len = h->ext[i].len;
      return 0;
    }
  }
  return LY_ENOTFOUND;
}

int rtp_ext_audio_level(const uint8_t *buf, const struct rtp_hdr *h, uint8_t id, int *voice, int *level) {
  const uint8_t *d;
  size_t n;
  if (rtp_ext_find(buf, h, id, &d, &n) != 0 || n < 1) return LY_ENOTFOUND;
  *voice = d[0] >> 7;
  *level = d[0] & 0x7F;
  return 0;
}

int rtp_ext_abs_send_time(const uint8_t *buf, const struct rtp_hdr *h, uint8_t id, uint32_t *t) {
  const uint8_t *d;
  size_t n;
  if (rtp_ext_find(buf, h, id, &d, &n) != 0 || n != 3) return LY_ENOTFOUND;
  *t = rd24(d);
  return 0;
}

uint32_t rtp_abs_send_time_from_ms(int64_t ms) {
  /* 6.18 fixed point seconds, modulo 64 s */
  uint64_t v = ((uint64_t)ms << 18) / 1000;
  return (uint32_t)(v & 0xFFFFFF);
}

int rtp_ext_mid(const uint8_t *buf, const struct rtp_hdr *h, uint8_t id, char *out, size_t cap) {
  const uint8_t *d;
  size_t n;
  if (rtp_ext_find(buf, h, id, &d, &n) != 0) return LY_ENOTFOUND;
  if (n + 1 > cap) return LY_ETOOBIG;
  memcpy(out, d, n);
  out[n] = '\0';
  return 0;
}

static int one_byte_ok(const struct rtp_out *o) {
  for (unsigned i = 0; i < o->n_ext; i++)
    if (o->ext[i].id < 1 || o->ext[i].id > 14 || o->ext[i].len < 1 || o->ext[i].len > 16) return 0;
  return 1;
}

int rtp_write_header(const struct rtp_out *o, uint8_t *buf, size_t cap, size_t *out_len) {
  if (o->n_ext > RTP_MAX_EXT || o->pt > 127) return LY_EINVAL;
  int two = !one_byte_ok(o);
  size_t ext = 0;
  for (unsigned i = 0; i < o->n_ext; i++) {
    if (o->ext[i].id == 0) return LY_EINVAL;
    ext += (two ? 2u : 1u) + o->ext[i].len;
  }
  size_t ext_padded = (ext + 3) & ~(size_t)3;
  size_t total = RTP_MIN_HEADER + (o->n_ext ? 4 + ext_padded : 0);
  if (total > cap) return LY_ETOOBIG;
  buf[0] = (uint8_t)(0x80 | (o->n_ext ? 0x10 : 0));
  buf[1] = (uint8_t)((o->marker ? 0x80 : 0) | o->pt);
  wr16(buf + 2, o->seq);
  wr32(buf + 4, o->ts);
  wr32(buf + 8, o->ssrc);
  if (o->n_ext) {
    uint8_t *p = buf + RTP_MIN_HEADER;
    wr16(p, two ? 0x1000 : 0xBEDE);
    wr16(p + 2, (uint16_t)(ext_padded / 4));
    p += 4;
    for (unsigned i = 0; i < o->n_ext; i++) {
      if (two) {
        *p++ = o->ext[i].id;
        *p++ = o->ext[i].len;
      } else {
        *p++ = (uint8_t)((o->ext[i].id << 4) | (o->ext[i].len - 1));
      }
      memcpy(p, o->ext[i].data, o->ext[i].len);
      p += o->ext[i].len;
    }
    memset(p, 0, ext_padded - ext);
  }
  *out_len = total;
  return 0;
}

void rtp_set_pt(uint8_t *buf, uint8_t pt) {
  buf[1] = (uint8_t)((buf[1] & 0x80) | (pt & 0x7F));
}
void rtp_set_seq(uint8_t *buf, uint16_t seq) {
  wr16(buf + 2, seq);
}
void rtp_set_ts(uint8_t *buf, uint32_t ts) {
  wr32(buf + 4, ts);
}
void rtp_set_ssrc(uint8_t *buf, uint32_t ssrc) {
  wr32(buf + 8, ssrc);
}
