/* media/dtls.c — DTLS 1.2 over memory BIOs for DTLS-SRTP. See dtls.h.
 *
 * Input goes through a plain memory BIO (one datagram is written and consumed
 * at a time). Output goes through a small BIO method of our own whose write
 * hands each record batch to the send callback: OpenSSL writes one datagram
 * per BIO_write, so boundaries are kept without an intermediate queue.
 */
#include "media/dtls.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

static const char SRTP_PROFILES[] = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
static const char CIPHERS[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";

/* ---- the output BIO ------------------------------------------------------ */

static int out_write(BIO *b, const char *data, int len) {
  struct dtls_conn *c = BIO_get_data(b);
  if (c != NULL && c->send != NULL && len > 0) c->send(c->send_ud, (const uint8_t *)data, (size_t)len);
  return len;
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)b, (void)num, (void)ptr;
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
      return DTLS_MTU;
    default:
      return 0; /* pending counts, peer address, MTU-exceeded: nothing to say */
  }
}

static int out_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

/* ---- certificate ------------------------------------------------------- */

int dtls_fingerprint_of(X509 *cert, char *out, uint8_t raw[32]) {
  unsigned int n = 0;
  uint8_t md[EVP_MAX_MD_SIZE];
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) return LY_ECRYPTO;
  if (raw) memcpy(raw, md, 32);
  if (out) {
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 32; i++) {
      out[3 * i] = hex[md[i] >> 4];
      out[3 * i + 1] = hex[md[i] & 15];
      out[3 * i + 2] = i < 31 ? ':' : '\0';
    }
  }
  return 0;
}

static X509 *make_cert(EVP_PKEY *key) {
  X509 *x = X509_new();
  BIGNUM *serial = BN_new();
  int ok = x && serial && X509_set_version(x, 2) &&
           BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
           BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) &&
           X509_gmtime_adj(X509_getm_notBefore(x), -86400) &&
           X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) && X509_set_pubkey(x, key);
  X509_NAME *name = ok ? X509_get_subject_name(x) : NULL;
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"lianyi-media", -1, -1, 0);
  ok = ok && X509_set_issuer_name(x, name) && X509_sign(x, key, EVP_sha256()) > 0;
  BN_free(serial);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

/* Pin the peer's leaf certificate to the SDP fingerprint. Self-signed chains
 * are expected, so only the fingerprint decides (RFC 8827 §6.5). */
static int verify_cb(int ok, X509_STORE_CTX *store) {
  (void)ok;
  SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct dtls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
  if (c == NULL) return 0;
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  uint8_t fp[32];
  X509 *cert = X509_STORE_CTX_get_current_cert(store);
  if (cert == NULL || dtls_fingerprint_of(cert, NULL, fp) != 0) return 0;
  if (CRYPTO_memcmp(fp, c->remote_fp, 32) != 0) {
    c->fp_mismatch = 1;
    return 0;
  }
  return 1;
}

static int setup_ssl_ctx(struct dtls_ctx *ctx) {
  SSL_CTX *s = SSL_CTX_new(DTLS_method());
  if (s == NULL) return LY_ENOMEM;
  ctx->ssl_ctx = s;
  if (!SSL_CTX_set_min_proto_version(s, DTLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(s, DTLS1_2_VERSION) || !SSL_CTX_use_certificate(s, ctx->cert) ||
      !SSL_CTX_use_PrivateKey(s, ctx->key) || !SSL_CTX_check_private_key(s) ||
      !SSL_CTX_set_cipher_list(s, CIPHERS) || !SSL_CTX_set1_groups_list(s, "X25519:P-256") ||
      SSL_CTX_set_tlsext_use_srtp(s, SRTP_PROFILES) != 0) /* this one returns 0 on success */
    return LY_ECRYPTO;
  SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
  SSL_CTX_set_verify_depth(s, 4);
  SSL_CTX_set_read_ahead(s, 1);
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(s, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  return 0;
}

int dtls_ctx_init(struct dtls_ctx *ctx) {
  memset(ctx, 0, sizeof *ctx);
  int rc = LY_ECRYPTO;
  ctx->key = EVP_EC_gen("P-256");
  if (ctx->key == NULL || (ctx->cert = make_cert(ctx->key)) == NULL) goto fail;
  if (dtls_fingerprint_of(ctx->cert, ctx->fingerprint, NULL) != 0) goto fail;
  ctx->out_method = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "lianyi-dtls-out");
  if (ctx->out_method == NULL || !BIO_meth_set_write(ctx->out_method, out_write) ||
      !BIO_meth_set_ctrl(ctx->out_method, out_ctrl) || !BIO_meth_set_create(ctx->out_method, out_create))
    goto fail;
  if ((rc = setup_ssl_ctx(ctx)) != 0) goto fail;
  return 0;
fail:
  ERR_clear_error();
  dtls_ctx_close(ctx);
  return rc;
}

void dtls_ctx_close(struct dtls_ctx *ctx) {
  SSL_CTX_free(ctx->ssl_ctx);
  X509_free(ctx->cert);
  EVP_PKEY_free(ctx->key);
  BIO_meth_free(ctx->out_method);
  memset(ctx, 0, sizeof *ctx);
}

/* ---- connection -------------------------------------------------------- */

static int export_keys(struct dtls_conn *c) {
  const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(c->ssl);
  if (p == NULL) return LY_ECRYPTO; /* the peer did not negotiate use_srtp */
  struct dtls_srtp_keys *k = &c->keys;
  k->profile = (uint16_t)p->id;
  k->key_len = 16;
  if (p->id == DTLS_SRTP_AEAD_AES_128_GCM)
    k->salt_len = 12;
  else if (p->id == DTLS_SRTP_AES128_CM_SHA1_80)
    k->salt_len = 14;
  else
    return LY_ECRYPTO;
  size_t kl = k->key_len, sl = k->salt_len;
  uint8_t km[2 * (16 + 14)];
  static const char label[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(c->ssl, km, 2 * (kl + sl), label, sizeof label - 1, NULL, 0, 0) != 1)
    return LY_ECRYPTO;
  /* RFC 5764 §4.2: client key, server key, client salt, server salt */
  const uint8_t *ck = km, *sk = km + kl, *cs = km + 2 * kl, *ss = km + 2 * kl + sl;
  int server = c->role == DTLS_ROLE_SERVER;
  memcpy(k->local, server ? sk : ck, kl);
  memcpy(k->local + kl, server ? ss : cs, sl);
  memcpy(k->remote, server ? ck : sk, kl);
  memcpy(k->remote + kl, server ? cs : ss, sl);
  OPENSSL_cleanse(km, sizeof km);
  return 0;
}

/* Advance the handshake, or read and drop application data once connected. */
static int drive(struct dtls_conn *c) {
  ERR_clear_error();
  if (c->state == DTLS_HANDSHAKING) {
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
      c->state = export_keys(c) == 0 ? DTLS_CONNECTED : DTLS_FAILED;
    } else {
      int e = SSL_get_error(c->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) c->state = DTLS_FAILED;
    }
  }
  if (c->state == DTLS_CONNECTED) {
    uint8_t sink[2048];
    for (;;) {
      int r = SSL_read(c->ssl, sink, sizeof sink);
      if (r > 0) continue;
      int e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_ZERO_RETURN)
        c->state = DTLS_CLOSED;
      else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        c->state = DTLS_FAILED;
      break;
    }
  }
  ERR_clear_error();
  return c->state;
}

int dtls_conn_init(struct dtls_conn *c, const struct dtls_ctx *ctx, enum dtls_role role,
                   const uint8_t remote_fp[32], dtls_send_fn send, void *send_ud) {
  memset(c, 0, sizeof *c);
  c->role = (uint8_t)role;
  c->send = send;
  c->send_ud = send_ud;
  memcpy(c->remote_fp, remote_fp, 32);
  c->ssl = SSL_new(ctx->ssl_ctx);
  c->rbio = BIO_new(BIO_s_mem());
  c->wbio = BIO_new(ctx->out_method);
  if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
    SSL_free(c->ssl);
    BIO_free(c->rbio);
    BIO_free(c->wbio);
    memset(c, 0, sizeof *c);
    ERR_clear_error();
    return LY_ENOMEM;
  }
  BIO_set_mem_eof_return(c->rbio, -1);
  BIO_set_data(c->wbio, c);
  SSL_set_bio(c->ssl, c->rbio, c->wbio); /* the SSL owns both now */
  SSL_set_app_data(c->ssl, c);
  SSL_set_mtu(c->ssl, DTLS_MTU);
  c->state = DTLS_HANDSHAKING;
  if (role == DTLS_ROLE_CLIENT) {
    SSL_set_connect_state(c->ssl);
    drive(c); /* ClientHello */
  } else {
    SSL_set_accept_state(c->ssl);
  }
  return 0;
}

void dtls_conn_close(struct dtls_conn *c) {
  if (c->ssl != NULL) {
    if (c->state == DTLS_CONNECTED) {
      ERR_clear_error();
      SSL_shutdown(c->ssl); /* close_notify through the send callback */
    }
    SSL_free(c->ssl);
    ERR_clear_error();
  }
  OPENSSL_cleanse(&c->keys, sizeof c->keys);
  memset(c, 0, sizeof *c);
}

int dtls_conn_input(struct dtls_conn *c, const uint8_t *buf, size_t len) {
  if (c->state != DTLS_HANDSHAKING && c->state != DTLS_CONNECTED) return c->state;
  if (len == 0 || len > 65535) return c->state;
  if (BIO_write(c->rbio, buf, (int)len) != (int)len) return c->state;
  int st = drive(c);
  (void)BIO_reset(c->rbio); /* never let unread bytes merge with the next datagram */
  return st;
}

int64_t dtls_conn_timeout_ms(struct dtls_conn *c) {
  struct timeval tv;
  if (c->state != DTLS_HANDSHAKING || DTLSv1_get_timeout(c->ssl, &tv) != 1) return -1;
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int dtls_conn_on_timeout(struct dtls_conn *c) {
  if (c->state != DTLS_HANDSHAKING) return c->state;
  ERR_clear_error();
  if (DTLSv1_handle_timeout(c->ssl) < 0) c->state = DTLS_FAILED;
  ERR_clear_error();
  return c->state;
}
