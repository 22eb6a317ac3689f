/* media/srtp_internal.h — AEAD_AES_128_GCM SRTP on OpenSSL (media/srtp_gcm.c),
 * used by media/srtp.c for profile 0x0007; not for other folders.
 *
 * Why not libsrtp for this profile: Debian's libsrtp2 is built on NSS, whose
 * softoken opens a PKCS#11 session per packet and finds it, and the key, in
 * tables that grow with every key in the process. One protect costs ~2 µs
 * with 10 contexts, ~14 µs with 1,000 and ~120 µs with 3,000 (measured with
 * bench/limit/srtp_cost.c's code on the benchmark machine): a relay's cost
 * per packet grew with the number of calls it carried. Here a context is two
 * keyed EVP_CIPHER_CTX per direction, and a packet costs the cipher alone.
 *
 * The wire format and the bookkeeping follow libsrtp's exactly (the unit
 * tests check both ways against libsrtp itself): key derivation (RFC 3711
 * §4.3.3, the 96-bit master salt padded with two zero octets), IVs and AAD
 * (RFC 7714 §8–9), index estimation (RFC 3711 Appendix A, an SSRC's first
 * packets taken with ROC 0), a 1,024-packet replay window on receive (SRTCP:
 * 128), repeats allowed on send, the SRTCP index from 1 up to 2^31−1.
 *
 * Ownership: ly_srtp_gcm_new() allocates everything; ly_srtp_gcm_free()
 * frees it (and wipes the keys). A context belongs to one thread. At most
 * GCM_TX_SSRCS sending and GCM_RX_SSRCS receiving SSRCs (a receiving one is
 * added only once a packet of it has authenticated); beyond, LY_ECRYPTO.
 */
#ifndef LY_MEDIA_SRTP_INTERNAL_H
#define LY_MEDIA_SRTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define GCM_TX_SSRCS 32
#define GCM_RX_SSRCS 16

struct ly_srtp_gcm;

/* local/remote: master key (16) || master salt (12). NULL on error. */
struct ly_srtp_gcm *ly_srtp_gcm_new(const uint8_t *local, const uint8_t *remote);
void ly_srtp_gcm_free(struct ly_srtp_gcm *g);

/* As ly_srtp_protect_rtp() and friends (media/srtp.h): in place, same
 * return codes. */
int ly_srtp_gcm_protect(struct ly_srtp_gcm *g, uint8_t *buf, size_t len, size_t cap, size_t *out_len,
                        int rtcp);
int ly_srtp_gcm_unprotect(struct ly_srtp_gcm *g, uint8_t *buf, size_t len, size_t *out_len, int rtcp);

#endif
