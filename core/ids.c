/* core/ids.c — random ids and tokens, base64url and hex. */
#include "core/ids.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

#define IDS_ID_BYTES        16
#define IDS_PREFIX_MAX      16
#define IDS_TOKEN_MAX_BYTES 256

static const char ids_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int ly_random_bytes(void *buf, size_t n) {
  if (n == 0) return LY_OK;
  if (n > (size_t)0x7fffffff) return LY_EINVAL;
  if (RAND_bytes(buf, (int)n) == 1) return LY_OK;
  ERR_clear_error(); /* keep the thread's OpenSSL error queue clean for TLS users */
  return LY_ECRYPTO;
}

/* Characters needed for n bytes without padding. */
static size_t ids_b64_len(size_t n) {
  return (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
}

int ly_b64url_encode(const uint8_t *in, size_t n, char *out, size_t outsz) {
  size_t need = ids_b64_len(n);
  if (n > ((size_t)0x7fffffff / 4) * 3 || outsz < need + 1) return LY_ETOOBIG;
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = ids_b64[v >> 18 & 63];
    out[o++] = ids_b64[v >> 12 & 63];
    out[o++] = ids_b64[v >> 6 & 63];
    out[o++] = ids_b64[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = ids_b64[v >> 18 & 63];
    out[o++] = ids_b64[v >> 12 & 63];
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = ids_b64[v >> 18 & 63];
    out[o++] = ids_b64[v >> 12 & 63];
    out[o++] = ids_b64[v >> 6 & 63];
  }
  out[o] = '\0';
  return (int)o;
}

static int ids_b64_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

/* Strict: no padding, no whitespace, no standard-alphabet '+' '/', and the
 * unused low bits of the last character must be zero, so every byte string
 * has exactly one accepted encoding. */
int ly_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outsz, size_t *outlen) {
  if (n % 4 == 1) return LY_EPARSE;
  size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
  if (outsz < need) return LY_ETOOBIG;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int v = ids_b64_val(in[i]);
    if (v < 0) return LY_EPARSE;
    acc = (acc << 6 | (uint32_t)v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return LY_EPARSE;
  if (outlen) *outlen = o;
  return LY_OK;
}

int ly_id_new(const char *prefix, char *out, size_t outsz) {
  uint8_t raw[IDS_ID_BYTES];
  size_t plen = prefix ? strlen(prefix) : 0;
  if (plen == 0 || plen > IDS_PREFIX_MAX) return LY_EINVAL;
  if (outsz < plen + 1 + ids_b64_len(IDS_ID_BYTES) + 1) return LY_ETOOBIG;
  int rc = ly_random_bytes(raw, sizeof raw);
  if (rc) return rc;
  memcpy(out, prefix, plen);
  out[plen] = '_';
  rc = ly_b64url_encode(raw, sizeof raw, out + plen + 1, outsz - plen - 1);
  return rc < 0 ? rc : LY_OK;
}

int ly_token_new(size_t nbytes, char *out, size_t outsz) {
  uint8_t raw[IDS_TOKEN_MAX_BYTES];
  if (nbytes == 0 || nbytes > sizeof raw) return LY_EINVAL;
  if (outsz < ids_b64_len(nbytes) + 1) return LY_ETOOBIG;
  int rc = ly_random_bytes(raw, nbytes);
  if (rc == LY_OK) rc = ly_b64url_encode(raw, nbytes, out, outsz);
  OPENSSL_cleanse(raw, nbytes); /* tokens are secrets; leave no copy on the stack */
  return rc < 0 ? rc : LY_OK;
}

void ly_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz) {
  static const char digits[] = "0123456789abcdef";
  if (!out || outsz == 0) return;
  size_t o = 0;
  for (size_t i = 0; i < n && o + 2 < outsz; i++) {
    out[o++] = digits[in[i] >> 4];
    out[o++] = digits[in[i] & 15];
  }
  out[o] = '\0';
}

static int ids_hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int ly_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outsz) {
  if (!in || inlen != 2 * outsz) return LY_EPARSE;
  for (size_t i = 0; i < outsz; i++) {
    int hi = ids_hex_val(in[2 * i]), lo = ids_hex_val(in[2 * i + 1]);
    if (hi < 0 || lo < 0) return LY_EPARSE;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return LY_OK;
}
