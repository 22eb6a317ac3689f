/* server/tls.c — the certificate: loading it again on SIGHUP.
 *
 * A renewed certificate (ACME, an operator's copy) is put in place over the
 * files named by --tls-cert / --tls-key and the server is sent SIGHUP. The
 * pair is first loaded and checked against each other in a scratch SSL_CTX:
 * a key that does not match its certificate (say, one file copied and the
 * other not yet) is refused with a log line and the old certificate stays.
 * Then lws_tls_cert_updated() loads the files into the vhost's own SSL_CTX:
 * handshakes from then on present the new certificate, while connections
 * already open (HTTPS keep-alive, WSS sessions, calls) keep their SSL objects
 * and go on undisturbed. Runs on the service thread (the signalfd).
 */
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/ids.h"
#include "server/server.h"
#include "server/server_internal.h"

/* Load cert + key into a scratch context and check they belong together.
 * 0, or LY_EINVAL with the reason in why. The certificate's SHA-256 (hex)
 * goes to fp. */
static int tls_pair_check(const char *cert, const char *key, char *why, size_t whysz, char *fp, size_t fpsz) {
  SSL_CTX *c = SSL_CTX_new(TLS_server_method());
  int ok = c != NULL && SSL_CTX_use_certificate_chain_file(c, cert) == 1 &&
           SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) == 1 && SSL_CTX_check_private_key(c) == 1;
  unsigned long err = ERR_get_error();
  ERR_clear_error();
  X509 *x = ok ? SSL_CTX_get0_certificate(c) : NULL;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  fp[0] = '\0';
  if (x != NULL && X509_digest(x, EVP_sha256(), md, &mdlen) == 1) ly_hex_encode(md, mdlen, fp, fpsz);
  if (!ok) snprintf(why, whysz, "%s", err ? ERR_reason_error_string(err) : "cannot read the files");
  SSL_CTX_free(c);
  return ok ? 0 : LY_EINVAL;
}

int tls_reload(struct ly_server *srv) {
  const char *cert = srv->cfg.tls_cert, *key = srv->cfg.tls_key;
  char why[160], fp[2 * EVP_MAX_MD_SIZE + 1];

  if (cert[0] == '\0') {
    LY_INFO(&srv->log, "tls.reload_skipped", "SIGHUP: no --tls-cert, nothing to reload");
    return 0;
  }
  if (tls_pair_check(cert, key, why, sizeof(why), fp, sizeof(fp)) != 0) {
    LY_ERROR(&srv->log, "tls.reload_refused",
             "SIGHUP: %s and %s do not make a usable pair (%s); the current certificate stays", cert, key,
             why);
    return LY_EINVAL;
  }
  if (lws_tls_cert_updated(srv->lws, cert, key, NULL, 0, NULL, 0) != 0) {
    LY_ERROR(&srv->log, "tls.reload_failed",
             "SIGHUP: the certificate could not be loaded; the current one stays");
    return LY_EIO;
  }
  LY_INFO(&srv->log, "tls.reloaded",
          "SIGHUP: certificate %s loaded (SHA-256 %.16s…); open connections keep theirs", cert, fp);
  return 0;
}
