/* media/rtcp.c — RTCP compound parsing and writers. See rtcp.h. */
#include "media/rtcp.h"

#include <string.h>

#include "core/err.h"
#include "media/bytes_internal.h"

#define RB_SIZE 24 /* report block */

int rtcp_is_rtcp(const uint8_t *buf, size_t len) {
  return len >= 8 && buf[0] >= 128 && buf[0] <= 191 && buf[1] >= 192 && buf[1] <= 223;
}

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len) {
  it->buf = buf;
  it->len = len;
  it->off = 0;
}

int rtcp_next(struct rtcp_iter *it, struct rtcp_pkt *p) {
  if (it->off >= it->len) return 0;
  const uint8_t *b = it->buf + it->off;
  size_t rest = it->len - it->off;
  if (rest < 4 || (b[0] >> 6) != 2) return LY_EPARSE;
  size_t plen = 4u * ((size_t)rd16(b + 2) + 1);
  if (plen > rest) return LY_EPARSE;
  p->type = b[1];
  p->count = b[0] & 0x1F;
  p->data = b;
  p->len = plen;
  if (b[0] & 0x20) { /* padding: the count is in the last byte */
    uint8_t pad = b[plen - 1];
    if (pad == 0 || pad > plen - 4) return LY_EPARSE;
    p->len = plen - pad; /* parsers see the unpadded packet */
  }
  it->off += plen;
  return 1;
}

int rtcp_validate(const uint8_t *buf, size_t len) {
  struct rtcp_iter it;
  struct rtcp_pkt p;
  int rc;
  if (len < 4) return LY_EPARSE;
  rtcp_iter_init(&it, buf, len);
  while ((rc = rtcp_next(&it, &p)) == 1) {
    if (p.type < 192 || p.type > 223) return LY_EPARSE;
    if ((p.data[0] & 0x20) && it.off != len) return LY_EPARSE; /* padding only at the end */
  }
  return rc;
}

static void parse_block(const uint8_t *b, struct rtcp_report_block *rb) {
  rb->ssrc = rd32(b);
  rb->fraction_lost = b[4];
  uint32_t cl = rd24(b + 5);
  rb->cumulative_lost = (cl & 0x800000) ? (int32_t)(cl | 0xFF000000u) : (int32_t)cl;
  rb->ext_highest_seq = rd32(b + 8);
  rb->jitter = rd32(b + 12);
  rb->lsr = rd32(b + 16);
  rb->dlsr = rd32(b + 20);
}

static void write_block(uint8_t *b, const struct rtcp_report_block *rb) {
  wr32(b, rb->ssrc);
  b[4] = rb->fraction_lost;
  int32_t cl = rb->cumulative_lost;
  if (cl > 0x7FFFFF) cl = 0x7FFFFF;
  if (cl < -0x800000) cl = -0x800000;
  wr24(b + 5, (uint32_t)cl & 0xFFFFFF);
  wr32(b + 8, rb->ext_highest_seq);
  wr32(b + 12, rb->jitter);
  wr32(b + 16, rb->lsr);
  wr32(b + 20, rb->dlsr);
}

int rtcp_parse_sr(const struct rtcp_pkt *p, struct rtcp_sr *out) {
  memset(out, 0, sizeof *out);
  if (p->type != RTCP_SR || p->len < 28 + (size_t)p->count * RB_SIZE) return LY_EPARSE;
  const uint8_t *b = p->data;
  out->ssrc = rd32(b + 4);
  out->ntp = rd64(b + 8);
  out->rtp_ts = rd32(b + 16);
  out->packet_count = rd32(b + 20);
  out->octet_count = rd32(b + 24);
  out->n_blocks = p->count;
  for (unsigned i = 0; i < p->count; i++)
    parse_block(b + 28 + i * RB_SIZE, &out->blocks[i]);
  return 0;
}

int rtcp_parse_rr(const struct rtcp_pkt *p, struct rtcp_rr *out) {
  memset(out, 0, sizeof *out);
  if (p->type != RTCP_RR || p->len < 8 + (size_t)p->count * RB_SIZE) return LY_EPARSE;
  out->ssrc = rd32(p->data + 4);
  out->n_blocks = p->count;
  for (unsigned i = 0; i < p->count; i++)
    parse_block(p->data + 8 + i * RB_SIZE, &out->blocks[i]);
  return 0;
}

int rtcp_parse_bye(const struct rtcp_pkt *p, struct rtcp_bye *out) {
  memset(out, 0, sizeof *out);
  if (p->type != RTCP_BYE || p->len < 4 + (size_t)p->count * 4) return LY_EPARSE;
  out->n_ssrc = p->count;
  for (unsigned i = 0; i < p->count; i++)
    out->ssrc[i] = rd32(p->data + 4 + 4 * i);
  return 0;
}

int rtcp_parse_sdes_cname(const struct rtcp_pkt *p, uint32_t *ssrc, char *cname, size_t cap) {
  if (p->type != RTCP_SDES) return LY_EPARSE;
  size_t off = 4;
  for (unsigned c = 0; c < p->count; c++) {
    /* off may pass the end after padding the previous chunk: compare first */
    if (off > p->len || p->len - off < 4) return LY_EPARSE;
    uint32_t s = rd32(p->data + off);
    off += 4;
    for (;;) { /* items until the null item */
      if (off >= p->len) return LY_EPARSE;
      uint8_t t = p->data[off];
      if (t == 0) break;
      if (p->len - off < 2 || p->data[off + 1] > p->len - off - 2) return LY_EPARSE;
      uint8_t n = p->data[off + 1];
      if (t == 1) {
        if ((size_t)n + 1 > cap) return LY_ETOOBIG;
        memcpy(cname, p->data + off + 2, n);
        cname[n] = '\0';
        *ssrc = s;
        return 0;
      }
      off += 2u + n;
    }
    off = (off + 4) & ~(size_t)3; /* skip the null item and pad to 32 bits */
  }
  return LY_ENOTFOUND;
}

static int parse_psfb_fci(const struct rtcp_pkt *p, struct rtcp_fb *out) {
  const uint8_t *f = p->data + 12;
  size_t n = p->len - 12;
  if (out->fmt == RTCP_FMT_FIR) {
    if (n % 8 != 0) return LY_EPARSE;
    for (size_t i = 0; i < n / 8 && out->n_fci < RTCP_MAX_FCI; i++) {
      out->fir[out->n_fci].ssrc = rd32(f + 8 * i);
      out->fir[out->n_fci].seq = f[8 * i + 4];
      out->n_fci++;
    }
  } else if (out->fmt == RTCP_FMT_AFB && n >= 8 && memcmp(f, "REMB", 4) == 0) {
    uint8_t num = f[4];
    if (n < 8 + 4u * num) return LY_EPARSE;
    uint8_t exp = f[5] >> 2;
    uint32_t mant = ((uint32_t)(f[5] & 3) << 16) | rd16(f + 6);
    out->is_remb = 1;
    out->remb_bps = exp > 46 ? UINT64_MAX : (uint64_t)mant << exp;
    for (unsigned i = 0; i < num && out->n_fci < RTCP_MAX_FCI; i++)
      out->remb_ssrc[out->n_fci++] = rd32(f + 8 + 4 * i);
  }
  return 0;
}

int rtcp_parse_fb(const struct rtcp_pkt *p, struct rtcp_fb *out) {
  memset(out, 0, sizeof *out);
  if ((p->type != RTCP_RTPFB && p->type != RTCP_PSFB) || p->len < 12) return LY_EPARSE;
  out->type = p->type;
  out->fmt = p->count;
  out->sender_ssrc = rd32(p->data + 4);
  out->media_ssrc = rd32(p->data + 8);
  if (p->type == RTCP_RTPFB && out->fmt == RTCP_FMT_NACK) {
    size_t n = (p->len - 12) / 4;
    if (n == 0) return LY_EPARSE;
    for (size_t i = 0; i < n && out->n_fci < RTCP_MAX_FCI; i++) {
      out->nack[out->n_fci].pid = rd16(p->data + 12 + 4 * i);
      out->nack[out->n_fci].blp = rd16(p->data + 14 + 4 * i);
      out->n_fci++;
    }
    return 0;
  }
  if (p->type == RTCP_PSFB) return parse_psfb_fci(p, out);
  return 0;
}

size_t rtcp_nack_seqs(const struct rtcp_fb *fb, uint16_t *out, size_t cap) {
  size_t n = 0;
  for (unsigned i = 0; i < fb->n_fci; i++) {
    if (n < cap) out[n++] = fb->nack[i].pid;
    for (int b = 0; b < 16; b++)
      if ((fb->nack[i].blp >> b) & 1 && n < cap) out[n++] = (uint16_t)(fb->nack[i].pid + b + 1);
  }
  return n;
}

/* ---- writers ------------------------------------------------------------ */

static uint8_t *reserve(uint8_t *buf, size_t cap, size_t *off, size_t n) {
  if (*off > cap || n > cap - *off) return NULL;
  uint8_t *p = buf + *off;
  memset(p, 0, n);
  *off += n;
  return p;
}

static void put_header(uint8_t *p, uint8_t count, uint8_t type, size_t total) {
  p[0] = (uint8_t)(0x80 | (count & 0x1F));
  p[1] = type;
  wr16(p + 2, (uint16_t)(total / 4 - 1));
}

int rtcp_write_sr(uint8_t *buf, size_t cap, size_t *off, const struct rtcp_sr *sr) {
  if (sr->n_blocks > RTCP_MAX_BLOCKS) return LY_EINVAL;
  size_t total = 28 + (size_t)sr->n_blocks * RB_SIZE;
  uint8_t *p = reserve(buf, cap, off, total);
  if (p == NULL) return LY_ETOOBIG;
  put_header(p, sr->n_blocks, RTCP_SR, total);
  wr32(p + 4, sr->ssrc);
  wr64(p + 8, sr->ntp);
  wr32(p + 16, sr->rtp_ts);
  wr32(p + 20, sr->packet_count);
  wr32(p + 24, sr->octet_count);
  for (unsigned i = 0; i < sr->n_blocks; i++)
    write_block(p + 28 + i * RB_SIZE, &sr->blocks[i]);
  return 0;
}

int rtcp_write_rr(uint8_t *buf, size_t cap, size_t *off, const struct rtcp_rr *rr) {
  if (rr->n_blocks > RTCP_MAX_BLOCKS) return LY_EINVAL;
  size_t total = 8 + (size_t)rr->n_blocks * RB_SIZE;
  uint8_t *p = reserve(buf, cap, off, total);
  if (p == NULL) return LY_ETOOBIG;
  put_header(p, rr->n_blocks, RTCP_RR, total);
  wr32(p + 4, rr->ssrc);
  for (unsigned i = 0; i < rr->n_blocks; i++)
    write_block(p + 8 + i * RB_SIZE, &rr->blocks[i]);
  return 0;
}

int rtcp_write_sdes_cname(uint8_t *buf, size_t cap, size_t *off, uint32_t ssrc, const char *cname) {
  size_t n = strlen(cname);
  if (n > 255) return LY_EINVAL;
  size_t total = (4 + 4 + 2 + n + 1 + 3) & ~(size_t)3; /* null item + padding */
  uint8_t *p = reserve(buf, cap, off, total);
  if (p == NULL) return LY_ETOOBIG;
  put_header(p, 1, RTCP_SDES, total);
  wr32(p + 4, ssrc);
  p[8] = 1; /* CNAME */
  p[9] = (uint8_t)n;
  memcpy(p + 10, cname, n);
  return 0;
}

int rtcp_write_bye(uint8_t *buf, size_t cap, size_t *off, uint32_t ssrc) {
  uint8_t *p = reserve(buf, cap, off, 8);
  if (p == NULL) return LY_ETOOBIG;
  put_header(p, 1, RTCP_BYE, 8);
  wr32(p + 4, ssrc);
  return 0;
}

int rtcp_write_pli(uint8_t *buf, size_t cap, size_t *off, uint32_t sender, uint32_t media) {
  uint8_t *p = reserve(buf, cap, off, 12);
  if (p == NULL) return LY_ETOOBIG;
  put_header(p, RTCP_FMT_PLI, RTCP_PSFB, 12);
  wr32(p + 4, sender);
  wr32(p + 8, media);
  return 0;
}

int rtcp_write_fir(uint8_t *buf, size_t cap, size_t *off, uint32_t sender, uint32_t media, uint8_t seq) {
  uint8_t *p = reserve(buf, cap, off, 20);
  if (p == NULL) return LY_ETOOBIG;
  put_header(p, RTCP_FMT_FIR, RTCP_PSFB, 20);
  wr32(p + 4, sender);
  wr32(p + 8, 0); /* RFC 5104 §4.3.1.2: media source SSRC is 0 */
  wr32(p + 12, media);
  p[16] = seq;
  return 0;
}

int rtcp_write_remb(uint8_t *buf, size_t cap, size_t *off, uint32_t sender, uint64_t bps,
                    const uint32_t *ssrcs, size_t n) {
  if (n > 255) return LY_EINVAL;
  size_t total = 20 + 4 * n;
  uint8_t *p = reserve(buf, cap, off, total);
  if (p == NULL) return LY_ETOOBIG;
  unsigned exp = 0;
  while (exp < 63 && (bps >> exp) > 0x3FFFF)
    exp++;
  uint32_t mant = (uint32_t)(bps >> exp);
  put_header(p, RTCP_FMT_AFB, RTCP_PSFB, total);
  wr32(p + 4, sender);
  memcpy(p + 12, "REMB", 4);
  p[16] = (uint8_t)n;
  p[17] = (uint8_t)((exp << 2) | (mant >> 16));
  wr16(p + 18, (uint16_t)mant);
  for (size_t i = 0; i < n; i++)
    wr32(p + 20 + 4 * i, ssrcs[i]);
  return 0;
}

int rtcp_write_nack(uint8_t *buf, size_t cap, size_t *off, uint32_t sender, uint32_t media,
                    const uint16_t *seqs, size_t n) {
  uint16_t pid[RTCP_MAX_FCI], blp[RTCP_MAX_FCI];
  size_t np = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    for (; j < np; j++) {
      int d = (uint16_t)(seqs[i] - pid[j]);
      if (d == 0) break;
      if (d >= 1 && d <= 16) {
        blp[j] |= (uint16_t)(1u << (d - 1));
        break;
      }
    }
    if (j < np) continue;
    if (np == RTCP_MAX_FCI) return LY_EINVAL;
    pid[np] = seqs[i];
    blp[np++] = 0;
  }
  if (np == 0) return LY_EINVAL;
  uint8_t *p = reserve(buf, cap, off, 12 + 4 * np);
  if (p == NULL) return LY_ETOOBIG;
  put_header(p, RTCP_FMT_NACK, RTCP_RTPFB, 12 + 4 * np);
  wr32(p + 4, sender);
  wr32(p + 8, media);
  for (size_t j = 0; j < np; j++) {
    wr16(p + 12 + 4 * j, pid[j]);
    wr16(p + 14 + 4 * j, blp[j]);
  }
  return 0;
}

uint64_t rtcp_ntp_from_ms(int64_t utc_ms) {
  /* NTP era 0 starts 1900-01-01; 2208988800 s before the Unix epoch. */
  uint64_t secs = (uint64_t)(utc_ms / 1000) + 2208988800ull;
  uint64_t frac = ((uint64_t)(utc_ms % 1000) << 32) / 1000;
  return (secs << 32) | frac;
}
