/* media/srtp.h — SRTP/SRTCP sessions on libsrtp 2 (RFC 3711, RFC 7714).
 *
 * Functions are prefixed ly_srtp_ rather than srtp_ because libsrtp owns the
 * srtp_ namespace (srtp_create, srtp_protect, ...).
 *
 * ly_srtp_global_init() runs srtp_init(), which sets up libsrtp's process-wide
 * crypto kernel, once per process (later calls return the first result); call
 * it before any session exists. Each struct ly_srtp is then owned by one worker
 * thread (one per transport: an outbound and an inbound libsrtp session) and
 * is not thread-safe. Protect/unprotect work in place and never allocate,
 * except that libsrtp clones its template the first time an authenticated
 * packet with a new SSRC arrives (callers only unprotect SSRCs they expect).
 */
#ifndef LY_MEDIA_SRTP_H
#define LY_MEDIA_SRTP_H

#include <stddef.h>
#include <stdint.h>

#define LY_SRTP_MAX_TRAILER (16 + 4 + 4) /* tag, SRTCP index, slack: room to leave after a packet */

typedef struct srtp_ctx_t_ *ly_srtp_session_t;
struct ly_srtp_gcm;

/* AEAD_AES_128_GCM runs on OpenSSL (media/srtp_gcm.c: Debian's libsrtp2 is
 * built on NSS, whose cost per packet grows with the number of keys in the
 * process); AES_CM_128_HMAC_SHA1_80 on libsrtp. */
struct ly_srtp {
  ly_srtp_session_t tx, rx; /* libsrtp: AES_CM_128_HMAC_SHA1_80 */
  struct ly_srtp_gcm *gcm;  /* ours: AEAD_AES_128_GCM */
  uint16_t profile;         /* enum dtls_srtp_profile */
};

int ly_srtp_global_init(void);

/* Sessions for a DTLS-SRTP profile (0x0001 AES_CM_128_HMAC_SHA1_80 or 0x0007
 * AEAD_AES_128_GCM); local/remote are key||salt (16+14 or 16+12 bytes).
 * Replay protection is on for what we receive (window 1024); what we send may
 * repeat an index (answering a NACK from the cache re-sends the same packet).
 * Returns 0, LY_EINVAL (profile) or LY_ECRYPTO. */
int ly_srtp_init(struct ly_srtp *s, uint16_t profile, const uint8_t *local, const uint8_t *remote);
/* Safe on a zeroed struct. */
void ly_srtp_close(struct ly_srtp *s);

/* In place. buf must have cap >= len + LY_SRTP_MAX_TRAILER. *out_len gets the
 * new length. Returns 0, LY_ETOOBIG or LY_ECRYPTO. */
int ly_srtp_protect_rtp(struct ly_srtp *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len);
int ly_srtp_protect_rtcp(struct ly_srtp *s, uint8_t *buf, size_t len, size_t cap, size_t *out_len);
/* In place. Returns 0, LY_EAUTH (authentication failed), LY_EEXIST (replayed
 * or too old) or LY_EPARSE / LY_ECRYPTO. */
int ly_srtp_unprotect_rtp(struct ly_srtp *s, uint8_t *buf, size_t len, size_t *out_len);
int ly_srtp_unprotect_rtcp(struct ly_srtp *s, uint8_t *buf, size_t len, size_t *out_len);

#endif
