/* media/stun.c — STUN parse/verify/write for ICE-lite. See stun.h. */
#include "media/stun.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "core/err.h"
#include "media/bytes_internal.h"

#define FINGERPRINT_XOR 0x5354554eu
#define MI_SIZE         20

/* Nibble-at-a-time CRC-32 (reflected polynomial 0xEDB88320): a 16-entry table
 * is small enough to read and fast enough for ~100-byte STUN messages. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
    0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
};

uint32_t stun_crc32(const uint8_t *buf, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    crc ^= buf[i];
    crc = (crc >> 4) ^ crc_nibble[crc & 15];
    crc = (crc >> 4) ^ crc_nibble[crc & 15];
  }
  return crc ^ 0xFFFFFFFFu;
}

int stun_is_stun(const uint8_t *buf, size_t len) {
  if (len < STUN_HEADER_SIZE || (buf[0] & 0xC0) != 0) return 0;
  if (rd32(buf + 4) != STUN_MAGIC_COOKIE) return 0;
  size_t body = rd16(buf + 2);
  return (body & 3) == 0 && body + STUN_HEADER_SIZE == len;
}

static int parse_xor_addr(const uint8_t *v, uint16_t vlen, const uint8_t *tid, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  if (vlen < 4) return LY_EPARSE;
  uint16_t port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
  if (v[1] == 0x01 && vlen == 8) {
    struct sockaddr_in *sin = (struct sockaddr_in *)out;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    uint32_t a = rd32(v + 4) ^ STUN_MAGIC_COOKIE;
    sin->sin_addr.s_addr = htonl(a);
    return 0;
  }
  if (v[1] == 0x02 && vlen == 20) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
    uint8_t mask[16];
    wr32(mask, STUN_MAGIC_COOKIE);
    memcpy(mask + 4, tid, 12);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    for (int i = 0; i < 16; i++)
      sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ mask[i];
    return 0;
  }
  return LY_EPARSE;
}

/* Record one attribute into m. Returns 0 or LY_EPARSE for a known attribute of
 * the wrong size. `seen_mi` suppresses everything but FINGERPRINT (§14.5). */
static int take_attr(struct stun_msg *m, uint16_t type, const uint8_t *v, uint16_t vlen, size_t off,
                     int seen_mi) {
  if (seen_mi && type != STUN_ATTR_FINGERPRINT) return 0;
  switch (type) {
    case STUN_ATTR_USERNAME:
      if (vlen > STUN_MAX_USERNAME) return LY_EPARSE;
      if (!m->has_username) {
        m->has_username = 1;
        m->username = v;
        m->username_len = vlen;
      }
      return 0;
    case STUN_ATTR_MESSAGE_INTEGRITY:
      if (vlen != MI_SIZE) return LY_EPARSE;
      m->has_integrity = 1;
      m->integrity_off = off;
      return 0;
    case STUN_ATTR_FINGERPRINT:
      if (vlen != 4) return LY_EPARSE;
      m->has_fingerprint = 1;
      m->fingerprint_off = off;
      return 0;
    case STUN_ATTR_PRIORITY:
      if (vlen != 4) return LY_EPARSE;
      if (!m->has_priority) m->priority = rd32(v);
      m->has_priority = 1;
      return 0;
    case STUN_ATTR_USE_CANDIDATE:
      if (vlen != 0) return LY_EPARSE;
      m->use_candidate = 1;
      return 0;
    case STUN_ATTR_ICE_CONTROLLING:
    case STUN_ATTR_ICE_CONTROLLED:
      if (vlen != 8) return LY_EPARSE;
      if (!m->has_ice_controlling && !m->has_ice_controlled) m->tiebreaker = rd64(v);
      if (type == STUN_ATTR_ICE_CONTROLLING)
        m->has_ice_controlling = 1;
      else
        m->has_ice_controlled = 1;
      return 0;
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
      if (m->has_xor_mapped) return 0;
      if (parse_xor_addr(v, vlen, m->tid, &m->xor_mapped) != 0) return LY_EPARSE;
      m->has_xor_mapped = 1;
      return 0;
    case STUN_ATTR_ERROR_CODE:
      if (vlen < 4 || (v[2] & 7) < 3 || (v[2] & 7) > 6 || v[3] > 99) return LY_EPARSE;
      if (!m->has_error_code) m->error_code = (uint16_t)((v[2] & 7) * 100 + v[3]);
      m->has_error_code = 1;
      return 0;
    default:
      if (type < 0x8000) {
        if (m->unknown_required < 4) m->unknown_types[m->unknown_required] = type;
        m->unknown_required++;
      }
      return 0;
  }
}

int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *m) {
  memset(m, 0, sizeof *m);
  if (!stun_is_stun(buf, len)) return LY_EPARSE;
  m->type = rd16(buf);
  m->length = rd16(buf + 2);
  memcpy(m->tid, buf + 8, 12);
  m->raw = buf;
  m->raw_len = len;
  size_t off = STUN_HEADER_SIZE;
  while (off < len) {
    if (m->has_fingerprint) return LY_EPARSE; /* FINGERPRINT must be last */
    if (len - off < 4) return LY_EPARSE;
    uint16_t type = rd16(buf + off), vlen = rd16(buf + off + 2);
    size_t padded = ((size_t)vlen + 3) & ~(size_t)3;
    if (padded > len - off - 4) return LY_EPARSE;
    int rc = take_attr(m, type, buf + off + 4, vlen, off, m->has_integrity);
    if (rc != 0) return rc;
    off += 4 + padded;
  }
  return 0;
}

/* HMAC-SHA1 over msg[0..end) with the header length field replaced by
 * `fake_len` (RFC 8489 §14.5: the length as if the message ended after MI). */
static int stun_hmac(const uint8_t *msg, size_t end, uint16_t fake_len, const uint8_t *key, size_t keylen,
                     uint8_t out[MI_SIZE]) {
  uint8_t hdr[STUN_HEADER_SIZE];
  memcpy(hdr, msg, STUN_HEADER_SIZE);
  wr16(hdr + 2, fake_len);
  EVP_MAC *mac = NULL;
  EVP_MAC_CTX *ctx = NULL;
  int rc = LY_ECRYPTO;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA1", 0),
                         OSSL_PARAM_construct_end()};
  size_t outl = 0;
  mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (mac == NULL || (ctx = EVP_MAC_CTX_new(mac)) == NULL) goto done;
  /* An empty password is legal in STUN; HMAC wants a non-NULL key pointer. */
  if (!EVP_MAC_init(ctx, keylen ? key : (const uint8_t *)"", keylen, params)) goto done;
  if (!EVP_MAC_update(ctx, hdr, sizeof hdr)) goto done;
  if (!EVP_MAC_update(ctx, msg + STUN_HEADER_SIZE, end - STUN_HEADER_SIZE)) goto done;
  if (!EVP_MAC_final(ctx, out, &outl, MI_SIZE) || outl != MI_SIZE) goto done;
  rc = 0;
done:
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return rc;
}

int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t keylen) {
  if (!m->has_integrity) return LY_EAUTH;
  size_t off = m->integrity_off;
  uint8_t mac[MI_SIZE];
  uint16_t fake_len = (uint16_t)(off + 4 + MI_SIZE - STUN_HEADER_SIZE);
  if (stun_hmac(m->raw, off, fake_len, key, keylen, mac) != 0) return LY_EAUTH;
  return CRYPTO_memcmp(mac, m->raw + off + 4, MI_SIZE) == 0 ? 0 : LY_EAUTH;
}

int stun_check_fingerprint(const struct stun_msg *m) {
  if (!m->has_fingerprint) return LY_EPARSE;
  uint32_t want = stun_crc32(m->raw, m->fingerprint_off) ^ FINGERPRINT_XOR;
  return rd32(m->raw + m->fingerprint_off + 4) == want ? 0 : LY_EAUTH;
}

int stun_username_split(const struct stun_msg *m, const char **local, size_t *local_len, const char **remote,
                        size_t *remote_len) {
  if (!m->has_username) return LY_EPARSE;
  const char *u = (const char *)m->username;
  const char *colon = memchr(u, ':', m->username_len);
  if (colon == NULL) return LY_EPARSE;
  *local = u;
  *local_len = (size_t)(colon - u);
  *remote = colon + 1;
  *remote_len = m->username_len - *local_len - 1;
  return 0;
}

/* ---- writer ------------------------------------------------------------ */

static void set_body_len(struct stun_writer *w, size_t body) {
  wr16(w->buf + 2, (uint16_t)body);
}

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type, const uint8_t tid[12]) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
  if (cap < STUN_HEADER_SIZE) {
    w->err = LY_ETOOBIG;
    return;
  }
  wr16(buf, type);
  wr16(buf + 2, 0);
  wr32(buf + 4, STUN_MAGIC_COOKIE);
  memcpy(buf + 8, tid, 12);
  w->len = STUN_HEADER_SIZE;
}

void stun_writer_attr(struct stun_writer *w, uint16_t type, const void *val, size_t len) {
  if (w->err) return;
  size_t padded = (len + 3) & ~(size_t)3;
  if (len > 0xFFFF || padded + 4 > w->cap - w->len || w->len + 4 + padded - STUN_HEADER_SIZE > 0xFFFF) {
    w->err = LY_ETOOBIG;
    return;
  }
  uint8_t *p = w->buf + w->len;
  wr16(p, type);
  wr16(p + 2, (uint16_t)len);
  if (len) memcpy(p + 4, val, len);
  memset(p + 4 + len, w->pad, padded - len);
  w->len += 4 + padded;
  set_body_len(w, w->len - STUN_HEADER_SIZE);
}

void stun_writer_u32(struct stun_writer *w, uint16_t type, uint32_t v) {
  uint8_t b[4];
  wr32(b, v);
  stun_writer_attr(w, type, b, 4);
}

void stun_writer_u64(struct stun_writer *w, uint16_t type, uint64_t v) {
  uint8_t b[8];
  wr64(b, v);
  stun_writer_attr(w, type, b, 8);
}

void stun_writer_xor_addr(struct stun_writer *w, uint16_t type, const struct sockaddr *sa) {
  uint8_t v[20] = {0};
  if (w->err) return;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
    v[1] = 0x01;
    wr16(v + 2, ntohs(sin->sin_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
    wr32(v + 4, ntohl(sin->sin_addr.s_addr) ^ STUN_MAGIC_COOKIE);
    stun_writer_attr(w, type, v, 8);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
    uint8_t mask[16];
    wr32(mask, STUN_MAGIC_COOKIE);
    memcpy(mask + 4, w->buf + 8, 12);
    v[1] = 0x02;
    wr16(v + 2, ntohs(sin6->sin6_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
    for (int i = 0; i < 16; i++)
      v[4 + i] = sin6->sin6_addr.s6_addr[i] ^ mask[i];
    stun_writer_attr(w, type, v, 20);
  } else {
    w->err = LY_EINVAL;
  }
}

void stun_writer_integrity(struct stun_writer *w, const uint8_t *key, size_t keylen) {
  uint8_t mac[MI_SIZE] = {0};
  if (w->err) return;
  size_t off = w->len;
  stun_writer_attr(w, STUN_ATTR_MESSAGE_INTEGRITY, mac, MI_SIZE);
  if (w->err) return;
  if (stun_hmac(w->buf, off, (uint16_t)(w->len - STUN_HEADER_SIZE), key, keylen, mac) != 0) {
    w->err = LY_ECRYPTO;
    return;
  }
  memcpy(w->buf + off + 4, mac, MI_SIZE);
}

void stun_writer_fingerprint(struct stun_writer *w) {
  uint8_t crc[4] = {0};
  if (w->err) return;
  size_t off = w->len;
  stun_writer_attr(w, STUN_ATTR_FINGERPRINT, crc, 4);
  if (w->err) return;
  wr32(w->buf + off + 4, stun_crc32(w->buf, off) ^ FINGERPRINT_XOR);
}

int stun_writer_finish(struct stun_writer *w, size_t *out_len) {
  if (w->err) return w->err;
  *out_len = w->len;
  return 0;
}

int stun_write_binding_response(const struct stun_msg *req, const struct sockaddr *mapped, const uint8_t *pwd,
                                size_t pwdlen, uint8_t *out, size_t cap, size_t *out_len) {
  struct stun_writer w;
  stun_writer_init(&w, out, cap, STUN_BINDING_SUCCESS, req->tid);
  stun_writer_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
  stun_writer_integrity(&w, pwd, pwdlen);
  stun_writer_fingerprint(&w);
  return stun_writer_finish(&w, out_len);
}

int stun_write_binding_request(const struct stun_request_params *p, uint8_t *out, size_t cap,
                               size_t *out_len) {
  struct stun_writer w;
  stun_writer_init(&w, out, cap, STUN_BINDING_REQUEST, p->tid);
  stun_writer_attr(&w, STUN_ATTR_USERNAME, p->username, strlen(p->username));
  stun_writer_u32(&w, STUN_ATTR_PRIORITY, p->priority);
  stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLING, p->tiebreaker);
  if (p->use_candidate) stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
  stun_writer_integrity(&w, (const uint8_t *)p->pwd, strlen(p->pwd));
  stun_writer_fingerprint(&w);
  return stun_writer_finish(&w, out_len);
}
