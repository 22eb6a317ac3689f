/* media/srtp_gcm.c — AEAD_AES_128_GCM SRTP/SRTCP on OpenSSL. See srtp_internal.h. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "media/srtp_internal.h"

#define TAG         16
#define RTP_WINDOW  1024 /* as media/srtp.c gives libsrtp */
#define RTCP_WINDOW 128  /* libsrtp's SRTCP window */
#define MAX_RTCP    0x7FFFFFFFu

struct tx_stream {
  uint32_t ssrc;
  uint8_t used;
  uint64_t highest;    /* 48-bit index (ROC << 16 | SEQ) of the newest packet sent */
  uint32_t rtcp_index; /* last SRTCP index sent */
};

struct rx_stream {
  uint32_t ssrc;
  uint8_t used;
  uint64_t highest;               /* newest authenticated index */
  uint64_t bits[RTP_WINDOW / 64]; /* bit k: highest - k was received */
  uint32_t rtcp_high;             /* newest authenticated SRTCP index (0: none yet) */
  uint64_t rtcp_bits[RTCP_WINDOW / 64];
};

struct ly_srtp_gcm {
  EVP_CIPHER_CTX *tx_rtp, *tx_rtcp, *rx_rtp, *rx_rtcp; /* keyed once; an IV per packet */
  uint8_t tx_rtp_salt[12], tx_rtcp_salt[12], rx_rtp_salt[12], rx_rtcp_salt[12];
  struct tx_stream tx[GCM_TX_SSRCS];
  struct rx_stream rx[GCM_RX_SSRCS];
};

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* ---- keys -------------------------------------------------------------------- */

/* RFC 3711 §4.3.3 AES-CM PRF: n octets of AES-CTR keystream from the master
 * key, the counter block being the (padded) master salt with the label XORed
 * into octet 7. */
static int kdf(const uint8_t *master, uint8_t label, uint8_t *out, size_t n) {
  uint8_t iv[16] = {0}, zero[16] = {0};
  memcpy(iv, master + 16, 12); /* octets 12 and 13 of the 14-octet salt stay zero */
  iv[7] ^= label;
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int len = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, master, iv) &&
                    EVP_EncryptUpdate(c, out, &len, zero, (int)n) && len == (int)n;
  EVP_CIPHER_CTX_free(c);
  OPENSSL_cleanse(iv, sizeof iv);
  return ok ? 0 : LY_ECRYPTO;
}

/* A context keyed with the session key of `label`, and its session salt. */
static EVP_CIPHER_CTX *keyed(const uint8_t *master, uint8_t key_label, uint8_t salt_label, uint8_t salt[12],
                             int encrypt) {
  uint8_t key[16];
  EVP_CIPHER_CTX *c = NULL;
  if (kdf(master, key_label, key, sizeof key) == 0 && kdf(master, salt_label, salt, 12) == 0 &&
      (c = EVP_CIPHER_CTX_new()) != NULL &&
      !EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, key, NULL, encrypt)) {
    EVP_CIPHER_CTX_free(c);
    c = NULL;
  }
  OPENSSL_cleanse(key, sizeof key);
  return c;
}

struct ly_srtp_gcm *ly_srtp_gcm_new(const uint8_t *local, const uint8_t *remote) {
  struct ly_srtp_gcm *g = calloc(1, sizeof *g);
  if (g == NULL) return NULL;
  /* labels: 0 RTP key, 2 RTP salt, 3 RTCP key, 5 RTCP salt (RFC 3711 §4.3.2) */
  g->tx_rtp = keyed(local, 0, 2, g->tx_rtp_salt, 1);
  g->tx_rtcp = keyed(local, 3, 5, g->tx_rtcp_salt, 1);
  g->rx_rtp = keyed(remote, 0, 2, g->rx_rtp_salt, 0);
  g->rx_rtcp = keyed(remote, 3, 5, g->rx_rtcp_salt, 0);
  if (g->tx_rtp && g->tx_rtcp && g->rx_rtp && g->rx_rtcp) return g;
  ly_srtp_gcm_free(g);
  return NULL;
}

void ly_srtp_gcm_free(struct ly_srtp_gcm *g) {
  if (g == NULL) return;
  EVP_CIPHER_CTX_free(g->tx_rtp);
  EVP_CIPHER_CTX_free(g->tx_rtcp);
  EVP_CIPHER_CTX_free(g->rx_rtp);
  EVP_CIPHER_CTX_free(g->rx_rtcp);
  OPENSSL_cleanse(g, sizeof *g);
  free(g);
}

/* ---- indices and replay ---------------------------------------------------------- */

/* libsrtp's srtp_rdbx_estimate_index: the 48-bit index a sequence number
 * most likely has given the newest one, and how far ahead of it that is. */
static int32_t estimate(uint64_t highest, uint16_t s, uint64_t *guess) {
  if (highest <= 32768) { /* the beginning: ROC 0 */
    *guess = s;
    return (int32_t)s - (int32_t)highest;
  }
  uint32_t roc = (uint32_t)(highest >> 16);
  int32_t local = (int32_t)(highest & 0xFFFF), seq = s, diff;
  if (local < 32768) {
    if (seq - local > 32768)
      roc--, diff = seq - local - 65536;
    else
      diff = seq - local;
  } else {
    if (local - 32768 > seq)
      roc++, diff = seq - local + 65536;
    else
      diff = seq - local;
  }
  *guess = (uint64_t)roc << 16 | s;
  return diff;
}

/* Window of `w` bits below the newest index: 0, or LY_EEXIST when the index
 * `delta` away was seen or is too old. */
static int window_check(const uint64_t *bits, int w, int64_t delta) {
  if (delta > 0) return 0;
  if (-delta >= w) return LY_EEXIST;
  return (bits[-delta / 64] >> (-delta % 64)) & 1 ? LY_EEXIST : 0;
}

static void window_add(uint64_t *bits, int w, int64_t delta) {
  int words = w / 64;
  if (delta <= 0) {
    bits[-delta / 64] |= 1ull << (-delta % 64);
    return;
  }
  if (delta >= w) {
    memset(bits, 0, (size_t)words * sizeof bits[0]);
  } else { /* shift toward older: bit k becomes bit k + delta */
    int q = (int)(delta / 64), r = (int)(delta % 64);
    for (int i = words - 1; i >= 0; i--) {
      uint64_t hi = i - q >= 0 ? bits[i - q] << r : 0;
      uint64_t lo = r && i - q - 1 >= 0 ? bits[i - q - 1] >> (64 - r) : 0;
      bits[i] = hi | lo;
    }
  }
  bits[0] |= 1;
}

static struct tx_stream *tx_stream(struct ly_srtp_gcm *g, uint32_t ssrc) {
  for (unsigned i = 0; i < GCM_TX_SSRCS; i++)
    if (g->tx[i].used && g->tx[i].ssrc == ssrc) return &g->tx[i];
  for (unsigned i = 0; i < GCM_TX_SSRCS; i++)
    if (!g->tx[i].used) {
      g->tx[i] = (struct tx_stream){.ssrc = ssrc, .used = 1};
      return &g->tx[i];
    }
  return NULL;
}

static struct rx_stream *rx_stream(struct ly_srtp_gcm *g, uint32_t ssrc) {
  for (unsigned i = 0; i < GCM_RX_SSRCS; i++)
    if (g->rx[i].used && g->rx[i].ssrc == ssrc) return &g->rx[i];
  return NULL;
}

/* Keep an SSRC whose first packet just authenticated. */
static struct rx_stream *rx_add(struct ly_srtp_gcm *g, const struct rx_stream *fresh) {
  for (unsigned i = 0; i < GCM_RX_SSRCS; i++)
    if (!g->rx[i].used) {
      g->rx[i] = *fresh;
      g->rx[i].used = 1;
      return &g->rx[i];
    }
  return NULL;
}

/* ---- AES-GCM --------------------------------------------------------------------- */

/* IV (RFC 7714 §8.1 / §9.1): 00 00 | SSRC | a (ROC, or 00 00 + index high) | b, XOR salt. */
static void make_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc, uint32_t a, uint16_t b) {
  iv[0] = iv[1] = 0;
  wr32(iv + 2, ssrc);
  wr32(iv + 6, a);
  iv[10] = (uint8_t)(b >> 8), iv[11] = (uint8_t)b;
  for (int i = 0; i < 12; i++)
    iv[i] ^= salt[i];
}

/* Encrypt data[0..n) in place and write the tag; aad2 may be NULL. */
static int seal(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *aad, size_t na, const uint8_t *aad2,
                size_t na2, uint8_t *data, size_t n, uint8_t tag[TAG]) {
  int l = 0;
  if (!EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) || !EVP_EncryptUpdate(c, NULL, &l, aad, (int)na) ||
      (aad2 && !EVP_EncryptUpdate(c, NULL, &l, aad2, (int)na2)) ||
      (n && !EVP_EncryptUpdate(c, data, &l, data, (int)n)) || !EVP_EncryptFinal_ex(c, data + n, &l) ||
      !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag))
    return LY_ECRYPTO;
  return 0;
}

/* Decrypt data[0..n) in place if the tag verifies: 0, else LY_EAUTH (data is
 * then garbage: the caller drops the packet). */
static int unseal(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *aad, size_t na, const uint8_t *aad2,
                  size_t na2, uint8_t *data, size_t n, const uint8_t tag[TAG]) {
  int l = 0;
  if (!EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) || !EVP_DecryptUpdate(c, NULL, &l, aad, (int)na) ||
      (aad2 && !EVP_DecryptUpdate(c, NULL, &l, aad2, (int)na2)) ||
      (n && !EVP_DecryptUpdate(c, data, &l, data, (int)n)) ||
      !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, (void *)(uintptr_t)tag))
    return LY_ECRYPTO;
  return EVP_DecryptFinal_ex(c, data + n, &l) > 0 ? 0 : LY_EAUTH;
}

/* Fixed header + CSRCs + extension (what GCM authenticates), or 0. */
static size_t rtp_header_len(const uint8_t *b, size_t len) {
  if (len < 12 || (b[0] >> 6) != 2) return 0;
  size_t hl = 12 + 4u * (b[0] & 0x0F);
  if ((b[0] & 0x10) && hl + 4 <= len)
    hl += 4 + 4u * ((size_t)b[hl + 2] << 8 | b[hl + 3]);
  else if (b[0] & 0x10)
    return 0;
  return hl <= len ? hl : 0;
}

static int protect_rtp(struct ly_srtp_gcm *g, uint8_t *buf, size_t len, size_t *out_len) {
  size_t hl = rtp_header_len(buf, len);
  if (hl == 0) return LY_EPARSE;
  struct tx_stream *s = tx_stream(g, rd32(buf + 8));
  if (s == NULL) return LY_ECRYPTO;
  uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
  uint64_t guess;
  int32_t delta = estimate(s->highest, seq, &guess);
  if (delta <= -RTP_WINDOW) return LY_EEXIST; /* repeats are fine (NACK answers), ancient ones are not */
  if (delta > 0) s->highest = guess;
  uint8_t iv[12];
  make_iv(iv, g->tx_rtp_salt, s->ssrc, (uint32_t)(guess >> 16), seq);
  int rc = seal(g->tx_rtp, iv, buf, hl, NULL, 0, buf + hl, len - hl, buf + len);
  if (rc == 0) *out_len = len + TAG;
  return rc;
}

static int unprotect_rtp(struct ly_srtp_gcm *g, uint8_t *buf, size_t len, size_t *out_len) {
  size_t hl = len >= 12 + TAG ? rtp_header_len(buf, len - TAG) : 0;
  if (hl == 0) return LY_EPARSE;
  uint32_t ssrc = rd32(buf + 8);
  struct rx_stream fresh = {.ssrc = ssrc}, *s = rx_stream(g, ssrc);
  struct rx_stream *st = s ? s : &fresh;
  uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
  uint64_t guess;
  int32_t delta = estimate(st->highest, seq, &guess);
  if (window_check(st->bits, RTP_WINDOW, delta) != 0) return LY_EEXIST;
  uint8_t iv[12];
  make_iv(iv, g->rx_rtp_salt, ssrc, (uint32_t)(guess >> 16), seq);
  int rc = unseal(g->rx_rtp, iv, buf, hl, NULL, 0, buf + hl, len - hl - TAG, buf + len - TAG);
  if (rc != 0) return rc;
  if (s == NULL && (st = rx_add(g, &fresh)) == NULL) return LY_ECRYPTO;
  window_add(st->bits, RTP_WINDOW, delta);
  if (delta > 0) st->highest = guess;
  *out_len = len - TAG;
  return 0;
}

/* SRTCP (RFC 7714 §9): header(8) | encrypted | tag(16) | E+index(4); the
 * AAD is the header and the E+index word. */
static int protect_rtcp(struct ly_srtp_gcm *g, uint8_t *buf, size_t len, size_t *out_len) {
  if (len < 8) return LY_EPARSE;
  struct tx_stream *s = tx_stream(g, rd32(buf + 4));
  if (s == NULL || s->rtcp_index >= MAX_RTCP) return LY_ECRYPTO; /* full, or the key is worn out */
  uint32_t index = ++s->rtcp_index;
  uint8_t iv[12], trailer[4];
  wr32(trailer, 0x80000000u | index);
  make_iv(iv, g->tx_rtcp_salt, s->ssrc, index >> 16, (uint16_t)index);
  int rc = seal(g->tx_rtcp, iv, buf, 8, trailer, 4, buf + 8, len - 8, buf + len);
  if (rc != 0) return rc;
  memcpy(buf + len + TAG, trailer, 4);
  *out_len = len + TAG + 4;
  return 0;
}

static int unprotect_rtcp(struct ly_srtp_gcm *g, uint8_t *buf, size_t len, size_t *out_len) {
  if (len < 8 + TAG + 4) return LY_EPARSE;
  uint32_t ssrc = rd32(buf + 4), trailer = rd32(buf + len - 4), index = trailer & MAX_RTCP;
  int encrypted = (trailer >> 31) != 0;
  struct rx_stream fresh = {.ssrc = ssrc}, *s = rx_stream(g, ssrc);
  struct rx_stream *st = s ? s : &fresh;
  int64_t delta = (int64_t)index - st->rtcp_high;
  if (window_check(st->rtcp_bits, RTCP_WINDOW, delta) != 0) return LY_EEXIST;
  uint8_t iv[12];
  make_iv(iv, g->rx_rtcp_salt, ssrc, index >> 16, (uint16_t)index);
  size_t body = len - 8 - TAG - 4;
  int rc = encrypted ? unseal(g->rx_rtcp, iv, buf, 8, buf + len - 4, 4, buf + 8, body, buf + len - 4 - TAG)
                     : unseal(g->rx_rtcp, iv, buf, 8 + body, buf + len - 4, 4, NULL, 0, buf + len - 4 - TAG);
  if (rc != 0) return rc;
  if (s == NULL && (st = rx_add(g, &fresh)) == NULL) return LY_ECRYPTO;
  window_add(st->rtcp_bits, RTCP_WINDOW, delta);
  if (delta > 0) st->rtcp_high = index;
  *out_len = len - TAG - 4;
  return 0;
}

int ly_srtp_gcm_protect(struct ly_srtp_gcm *g, uint8_t *buf, size_t len, size_t cap, size_t *out_len,
                        int rtcp) {
  if (len > 0xFFFF || cap < len + TAG + 4) return LY_ETOOBIG;
  return rtcp ? protect_rtcp(g, buf, len, out_len) : protect_rtp(g, buf, len, out_len);
}

int ly_srtp_gcm_unprotect(struct ly_srtp_gcm *g, uint8_t *buf, size_t len, size_t *out_len, int rtcp) {
  if (len > 0xFFFF) return LY_EPARSE;
  return rtcp ? unprotect_rtcp(g, buf, len, out_len) : unprotect_rtp(g, buf, len, out_len);
}
