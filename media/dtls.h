/* media/dtls.h — DTLS 1.2 with use_srtp for WebRTC (RFC 5763/5764, RFC 8827).
 *
 * struct dtls_ctx: one per process (made by whoever makes the media workers):
 * an ECDSA P-256 self-signed certificate, its sha-256 fingerprint for SDP, and
 * the OpenSSL SSL_CTX. After dtls_ctx_create() returns it is read-only and may
 * be shared by all worker threads (SSL_new on a shared SSL_CTX is thread-safe).
 *
 * struct dtls_conn: one per transport, owned by the worker thread that owns the
 * transport; not thread-safe. Incoming datagrams are fed with dtls_conn_input();
 * outgoing datagrams go out through the send callback given at init, one call
 * per datagram, synchronously inside dtls_conn_* calls. The peer certificate's
 * sha-256 must equal the fingerprint from the peer's SDP, else the handshake
 * fails with a bad_certificate alert.
 */
#ifndef LY_MEDIA_DTLS_H
#define LY_MEDIA_DTLS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_st BIO;
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct bio_method_st BIO_METHOD;

#define DTLS_FINGERPRINT_LEN 95 /* "AB:" x 31 + "AB" */
#define DTLS_MTU             1200

enum dtls_role { DTLS_ROLE_SERVER, DTLS_ROLE_CLIENT };
enum dtls_state { DTLS_NEW, DTLS_HANDSHAKING, DTLS_CONNECTED, DTLS_FAILED, DTLS_CLOSED };

/* SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2). */
enum dtls_srtp_profile { DTLS_SRTP_AES128_CM_SHA1_80 = 0x0001, DTLS_SRTP_AEAD_AES_128_GCM = 0x0007 };

struct dtls_ctx {
  SSL_CTX *ssl_ctx;
  X509 *cert;
  EVP_PKEY *key;
  BIO_METHOD *out_method; /* our datagram-preserving output BIO */
  char fingerprint[DTLS_FINGERPRINT_LEN + 1];
};

/* Make a fresh key and certificate (valid 30 days from now). Returns 0,
 * LY_ENOMEM or LY_ECRYPTO. Free with dtls_ctx_close(). */
int dtls_ctx_init(struct dtls_ctx *ctx);
void dtls_ctx_close(struct dtls_ctx *ctx);

/* "AB:CD:..." of a certificate's DER (sha-256); out has DTLS_FINGERPRINT_LEN+1. */
int dtls_fingerprint_of(X509 *cert, char *out, uint8_t raw[32]);

typedef void (*dtls_send_fn)(void *ud, const uint8_t *buf, size_t len);

/* Keying material for SRTP, from the exporter "EXTRACTOR-dtls_srtp". */
struct dtls_srtp_keys {
  uint16_t profile; /* enum dtls_srtp_profile */
  uint8_t key_len, salt_len;
  uint8_t local[32];  /* key || salt for what we send */
  uint8_t remote[32]; /* key || salt for what we receive */
};

struct dtls_conn {
  SSL *ssl;
  BIO *rbio, *wbio;
  uint8_t state;         /* enum dtls_state */
  uint8_t role;          /* enum dtls_role */
  uint8_t remote_fp[32]; /* expected sha-256 of the peer certificate */
  uint8_t fp_mismatch;   /* the handshake failed on the fingerprint */
  dtls_send_fn send;
  void *send_ud;
  struct dtls_srtp_keys keys; /* valid in DTLS_CONNECTED */
};

/* Prepare c, which must not move in memory until closed (OpenSSL keeps a
 * pointer to it). remote_fp: the 32 bytes of the peer's SDP a=fingerprint.
 * A client starts its handshake at once (its first flight goes to send).
 * Returns 0, LY_ENOMEM or LY_ECRYPTO; on error nothing needs closing. */
int dtls_conn_init(struct dtls_conn *c, const struct dtls_ctx *ctx, enum dtls_role role,
                   const uint8_t remote_fp[32], dtls_send_fn send, void *send_ud);
/* Send close_notify if connected and free everything. Safe on a zeroed struct. */
void dtls_conn_close(struct dtls_conn *c);

/* Feed one received DTLS datagram. Returns the new state (enum dtls_state).
 * Application data after the handshake is read and dropped (no data channels). */
int dtls_conn_input(struct dtls_conn *c, const uint8_t *buf, size_t len);

/* Milliseconds until dtls_conn_on_timeout() is due, or -1 if no timer runs. */
int64_t dtls_conn_timeout_ms(struct dtls_conn *c);
/* Retransmit the last flight if its timer expired (RFC 6347 §4.2.4). Returns
 * the state; DTLS_FAILED once OpenSSL gives up. */
int dtls_conn_on_timeout(struct dtls_conn *c);

/* RFC 7983: first byte 20..63 is DTLS. */
static inline int dtls_is_dtls(const uint8_t *buf, size_t len) {
  return len >= 13 && buf[0] >= 20 && buf[0] <= 63;
}

#endif
