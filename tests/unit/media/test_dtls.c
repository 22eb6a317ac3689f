/* tests/unit/media/test_dtls.c — media/dtls.c against a DTLS client written
 * here directly on OpenSSL with memory BIOs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
/* cmocka after the standard headers */
#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/err.h"
#include "media/dtls.h"

/* Datagrams the relay side sent, waiting for the test client. */
struct wire {
  uint8_t buf[16][1600];
  size_t len[16];
  int n;
  int total;
};

static void wire_send(void *ud, const uint8_t *b, size_t n) {
  struct wire *w = ud;
  w->total++;
  assert_true(n <= 1600);
  if (w->n < 16) {
    memcpy(w->buf[w->n], b, n);
    w->len[w->n++] = n;
  }
}

struct client {
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *rbio, *wbio;
  EVP_PKEY *key;
  X509 *cert;
  uint8_t fp[32];
};

static int accept_any(int ok, X509_STORE_CTX *st) {
  (void)ok, (void)st;
  return 1;
}

/* The test client's memory BIO would glue a retransmitted ClientHello to its
 * next flight in one "datagram"; a long client timer keeps it from retransmitting
 * while the relay's own retransmission is under test. */
static unsigned int slow_timer(SSL *s, unsigned int timer_us) {
  (void)s, (void)timer_us;
  return 10u * 1000 * 1000;
}

static void client_init(struct client *c, const char *profiles) {
  memset(c, 0, sizeof *c);
  c->key = EVP_EC_gen("P-256");
  c->cert = X509_new();
  assert_non_null(c->key);
  X509_set_version(c->cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c->cert), 7);
  X509_gmtime_adj(X509_getm_notBefore(c->cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(c->cert), 3600);
  X509_set_pubkey(c->cert, c->key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(c->cert), "CN", MBSTRING_ASC,
                             (const unsigned char *)"browser", -1, -1, 0);
  X509_set_issuer_name(c->cert, X509_get_subject_name(c->cert));
  assert_true(X509_sign(c->cert, c->key, EVP_sha256()) > 0);
  assert_int_equal(dtls_fingerprint_of(c->cert, NULL, c->fp), 0);
  c->ctx = SSL_CTX_new(DTLS_client_method());
  SSL_CTX_use_certificate(c->ctx, c->cert);
  SSL_CTX_use_PrivateKey(c->ctx, c->key);
  SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, accept_any);
  if (profiles) assert_int_equal(SSL_CTX_set_tlsext_use_srtp(c->ctx, profiles), 0);
  c->ssl = SSL_new(c->ctx);
  c->rbio = BIO_new(BIO_s_mem());
  c->wbio = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(c->rbio, -1);
  SSL_set_bio(c->ssl, c->rbio, c->wbio);
  SSL_set_connect_state(c->ssl);
  DTLS_set_timer_cb(c->ssl, slow_timer);
}

static void client_free(struct client *c) {
  SSL_free(c->ssl);
  SSL_CTX_free(c->ctx);
  X509_free(c->cert);
  EVP_PKEY_free(c->key);
  ERR_clear_error();
}

/* Move everything: client output to the server, server output to the client. */
static int pump(struct client *cl, struct dtls_conn *srv, struct wire *w) {
  int st = srv->state;
  uint8_t buf[4096];
  (void)SSL_do_handshake(cl->ssl);
  int n;
  while ((n = BIO_read(cl->wbio, buf, sizeof buf)) > 0)
    st = dtls_conn_input(srv, buf, (size_t)n);
  for (int i = 0; i < w->n; i++)
    BIO_write(cl->rbio, w->buf[i], (int)w->len[i]);
  w->n = 0;
  (void)SSL_do_handshake(cl->ssl);
  return st;
}

static int handshake(struct client *cl, struct dtls_conn *srv, struct wire *w) {
  for (int i = 0; i < 10; i++) {
    pump(cl, srv, w);
    if (srv->state != DTLS_HANDSHAKING && SSL_is_init_finished(cl->ssl)) break;
  }
  pump(cl, srv, w);
  return srv->state;
}

static void run_ok(const char *client_profiles, uint16_t want_profile, int salt_len) {
  struct dtls_ctx ctx;
  assert_int_equal(dtls_ctx_init(&ctx), 0);
  assert_int_equal(strlen(ctx.fingerprint), DTLS_FINGERPRINT_LEN);
  struct client cl;
  client_init(&cl, client_profiles);
  struct wire w = {0};
  struct dtls_conn srv;
  assert_int_equal(dtls_conn_init(&srv, &ctx, DTLS_ROLE_SERVER, cl.fp, wire_send, &w), 0);
  assert_int_equal(handshake(&cl, &srv, &w), DTLS_CONNECTED);
  assert_true(SSL_is_init_finished(cl.ssl));
  assert_int_equal(srv.keys.profile, want_profile);
  assert_int_equal(srv.keys.salt_len, salt_len);

  /* the client saw our certificate: its fingerprint is what SDP carries */
  X509 *peer = SSL_get1_peer_certificate(cl.ssl);
  char fp[DTLS_FINGERPRINT_LEN + 1];
  assert_int_equal(dtls_fingerprint_of(peer, fp, NULL), 0);
  assert_string_equal(fp, ctx.fingerprint);
  X509_free(peer);

  /* both ends derive the same keys (RFC 5764 §4.2 layout) */
  uint8_t km[60];
  size_t kl = 16, sl = (size_t)salt_len;
  assert_int_equal(SSL_get_selected_srtp_profile(cl.ssl)->id, want_profile);
  assert_int_equal(
      SSL_export_keying_material(cl.ssl, km, 2 * (kl + sl), "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0), 1);
  assert_memory_equal(srv.keys.remote, km, kl);               /* client key */
  assert_memory_equal(srv.keys.remote + kl, km + 2 * kl, sl); /* client salt */
  assert_memory_equal(srv.keys.local, km + kl, kl);           /* server key */
  assert_memory_equal(srv.keys.local + kl, km + 2 * kl + sl, sl);

  /* application data after the handshake is dropped quietly */
  assert_int_equal(SSL_write(cl.ssl, "hello", 5), 5);
  assert_int_equal(pump(&cl, &srv, &w), DTLS_CONNECTED);

  /* our close sends close_notify */
  dtls_conn_close(&srv);
  assert_true(w.n >= 1);
  for (int i = 0; i < w.n; i++)
    BIO_write(cl.rbio, w.buf[i], (int)w.len[i]);
  char b[16];
  int r = SSL_read(cl.ssl, b, sizeof b);
  assert_int_equal(SSL_get_error(cl.ssl, r), SSL_ERROR_ZERO_RETURN);
  client_free(&cl);
  dtls_ctx_close(&ctx);
}

static void test_handshake_gcm_preferred(void **state) {
  (void)state;
  /* the client prefers CM; the relay's preference (GCM) wins */
  run_ok("SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", DTLS_SRTP_AEAD_AES_128_GCM, 12);
}

static void test_handshake_cm_accepted(void **state) {
  (void)state;
  run_ok("SRTP_AES128_CM_SHA1_80", DTLS_SRTP_AES128_CM_SHA1_80, 14);
}

static void test_wrong_fingerprint_refused(void **state) {
  (void)state;
  struct dtls_ctx ctx;
  assert_int_equal(dtls_ctx_init(&ctx), 0);
  struct client cl;
  client_init(&cl, "SRTP_AEAD_AES_128_GCM");
  uint8_t wrong[32];
  memcpy(wrong, cl.fp, 32);
  wrong[5] ^= 1;
  struct wire w = {0};
  struct dtls_conn srv;
  assert_int_equal(dtls_conn_init(&srv, &ctx, DTLS_ROLE_SERVER, wrong, wire_send, &w), 0);
  assert_int_equal(handshake(&cl, &srv, &w), DTLS_FAILED);
  assert_true(srv.fp_mismatch);
  assert_false(SSL_is_init_finished(cl.ssl));
  /* further input is ignored */
  assert_int_equal(dtls_conn_input(&srv, (const uint8_t *)"\x16\xfe\xfd", 3), DTLS_FAILED);
  dtls_conn_close(&srv);
  client_free(&cl);
  dtls_ctx_close(&ctx);
}

static void test_no_use_srtp_refused(void **state) {
  (void)state;
  struct dtls_ctx ctx;
  assert_int_equal(dtls_ctx_init(&ctx), 0);
  struct client cl;
  client_init(&cl, NULL);
  struct wire w = {0};
  struct dtls_conn srv;
  assert_int_equal(dtls_conn_init(&srv, &ctx, DTLS_ROLE_SERVER, cl.fp, wire_send, &w), 0);
  assert_int_equal(handshake(&cl, &srv, &w), DTLS_FAILED);
  dtls_conn_close(&srv);
  client_free(&cl);
  dtls_ctx_close(&ctx);
}

static void test_retransmit_and_garbage(void **state) {
  (void)state;
  struct dtls_ctx ctx;
  assert_int_equal(dtls_ctx_init(&ctx), 0);
  struct client cl;
  client_init(&cl, "SRTP_AEAD_AES_128_GCM");
  struct wire w = {0};
  struct dtls_conn srv;
  assert_int_equal(dtls_conn_init(&srv, &ctx, DTLS_ROLE_SERVER, cl.fp, wire_send, &w), 0);
  assert_int_equal(dtls_conn_timeout_ms(&srv), -1); /* nothing sent yet */
  /* garbage that looks like DTLS does not crash or connect */
  uint8_t junk[64];
  memset(junk, 0x16, sizeof junk);
  assert_int_equal(dtls_conn_input(&srv, junk, sizeof junk), DTLS_HANDSHAKING);
  /* ClientHello in, our flight out ... and lost */
  uint8_t buf[4096];
  (void)SSL_do_handshake(cl.ssl);
  int n = BIO_read(cl.wbio, buf, sizeof buf);
  assert_true(n > 0);
  dtls_conn_input(&srv, buf, (size_t)n);
  int sent = w.total;
  assert_true(sent >= 1);
  w.n = 0;
  int64_t t = dtls_conn_timeout_ms(&srv);
  assert_true(t > 0 && t <= 1000);
  usleep((useconds_t)(t + 50) * 1000);
  assert_int_equal(dtls_conn_timeout_ms(&srv), 0);
  assert_int_equal(dtls_conn_on_timeout(&srv), DTLS_HANDSHAKING);
  assert_true(w.total > sent); /* the flight went out again */
  /* and the handshake still completes from the retransmission */
  for (int i = 0; i < w.n; i++)
    BIO_write(cl.rbio, w.buf[i], (int)w.len[i]);
  w.n = 0;
  assert_int_equal(handshake(&cl, &srv, &w), DTLS_CONNECTED);
  /* the client closing is seen as DTLS_CLOSED */
  SSL_shutdown(cl.ssl);
  assert_int_equal(pump(&cl, &srv, &w), DTLS_CLOSED);
  dtls_conn_close(&srv);
  client_free(&cl);
  dtls_ctx_close(&ctx);
}

static void test_demux_and_zeroed_close(void **state) {
  (void)state;
  uint8_t hs[13] = {22, 0xfe, 0xfd};
  uint8_t stun[20] = {0, 1};
  assert_true(dtls_is_dtls(hs, sizeof hs));
  assert_false(dtls_is_dtls(stun, sizeof stun));
  assert_false(dtls_is_dtls(hs, 5));
  struct dtls_conn c;
  memset(&c, 0, sizeof c);
  dtls_conn_close(&c); /* safe on a zeroed struct */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_gcm_preferred),   cmocka_unit_test(test_handshake_cm_accepted),
      cmocka_unit_test(test_wrong_fingerprint_refused), cmocka_unit_test(test_no_use_srtp_refused),
      cmocka_unit_test(test_retransmit_and_garbage),    cmocka_unit_test(test_demux_and_zeroed_close),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
