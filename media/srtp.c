/* media/srtp.c — SRTP sessions per transport: AEAD_AES_128_GCM on OpenSSL
 * (media/srtp_gcm.c), AES_CM_128_HMAC_SHA1_80 on libsrtp. See srtp.h. */
#include "media/srtp.h"

#include <pthread.h>
#include <srtp2/srtp.h>
#include <string.h>

#include "core/err.h"
#include "media/srtp_internal.h"

#define PROFILE_CM_SHA1_80 0x0001
#define PROFILE_GCM_128    0x0007
#define REPLAY_WINDOW      1024

/* libsrtp's crypto kernel is process-wide and srtp_init() fails when called
 * twice, so the one process-global of media/ mirrors it: a once-flag. Several
 * struct media (tests, relay mode) can then start in one process. */
static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t srtp_once_status = srtp_err_status_fail;

static void srtp_once_init(void) {
  srtp_once_status = srtp_init();
}

int ly_srtp_global_init(void) {
  pthread_once(&srtp_once, srtp_once_init);
  return srtp_once_status == srtp_err_status_ok ? 0 : LY_ECRYPTO;
}

static int make_session(srtp_t *out, uint16_t profile, const uint8_t *key, int inbound) {
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  if (profile == PROFILE_GCM_128) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
  } else if (profile == PROFILE_CM_SHA1_80) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
  } else {
    return LY_EINVAL;
  }
  pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  pol.key = (unsigned char *)key; /* libsrtp copies the master key */
  pol.window_size = REPLAY_WINDOW;
  pol.allow_repeat_tx = inbound ? 0 : 1;
  return srtp_create(out, &pol) == srtp_err_status_ok ? 0 : LY_ECRYPTO;
}

int ly_srtp_init(struct ly_srtp *s, uint16_t profile, const uint8_t *local, const uint8_t *remote) {
  memset(s, 0, sizeof *s);
  if (profile == PROFILE_GCM_128) {
    s->gcm = ly_srtp_gcm_new(local, remote);
    s->profile = s->gcm ? profile : 0;
    return s->gcm ? 0 : LY_ECRYPTO;
  }
  int rc = make_session(&s->tx, profile, local, 0);
  if (rc == 0) rc = make_session(&s->rx, profile, remote, 1);
  if (rc != 0) {
    ly_srtp_close(s);
    return rc;
  }
  s->profile = profile;
  return 0;
}

void ly_srtp_close(struct ly_srtp *s) {
  ly_srtp_gcm_free(s->gcm);
  if (s->tx) srtp_dealloc(s->tx);
  if (s->rx) srtp_dealloc(s->rx);
  memset(s, 0, sizeof *s);
}

static int map_err(srtp_err_status_t st) {
  switch (st) {
    case srtp_err_status_ok:
      return 0;
    case srtp_err_status_auth_fail:
      return LY_EAUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return LY_EEXIST;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
      return LY_EPARSE;
    default:
      return LY_ECRYPTO;
  }
}

static int protect(struct ly_srtp *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len, int rtcp) {
  if (s->tx == NULL && s->gcm == NULL) return LY_ECRYPTO;
  if (len > 0xFFFF || cap < len + LY_SRTP_MAX_TRAILER) return LY_ETOOBIG;
  if (s->gcm) return ly_srtp_gcm_protect(s->gcm, buf, len, cap, out_len, rtcp);
  int n = (int)len;
  srtp_err_status_t st = rtcp ? srtp_protect_rtcp(s->tx, buf, &n) : srtp_protect(s->tx, buf, &n);
  if (st != srtp_err_status_ok) return map_err(st);
  *out_len = (size_t)n;
  return 0;
}

static int unprotect(struct ly_srtp *s, uint8_t *buf, size_t len, size_t *out_len, int rtcp) {
  if (s->rx == NULL && s->gcm == NULL) return LY_ECRYPTO;
  if (len > 0xFFFF || len < (rtcp ? 8u : 12u)) return LY_EPARSE;
  if (s->gcm) return ly_srtp_gcm_unprotect(s->gcm, buf, len, out_len, rtcp);
  int n = (int)len;
  srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(s->rx, buf, &n) : srtp_unprotect(s->rx, buf, &n);
  if (st != srtp_err_status_ok) return map_err(st);
  *out_len = (size_t)n;
  return 0;
}

int ly_srtp_protect_rtp(struct ly_srtp *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len) {
  return protect(s, buf, len, cap, out_len, 0);
}

int ly_srtp_protect_rtcp(struct ly_srtp *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len) {
  return protect(s, buf, len, cap, out_len, 1);
}

int ly_srtp_unprotect_rtp(struct ly_srtp *s, uint8_t *buf, size_t len, size_t *out_len) {
  return unprotect(s, buf, len, out_len, 0);
}

int ly_srtp_unprotect_rtcp(struct ly_srtp *s, uint8_t *buf, size_t len, size_t *out_len) {
  return unprotect(s, buf, len, out_len, 1);
}
