/* media/sdp.h — SDP for WebRTC (RFC 8866, RFC 8829 JSEP, RFC 8843 BUNDLE).
 *
 * sdp_parse() reads a browser's offer or answer (Chrome and Firefox shapes)
 * into a struct sdp_session: a fixed-size, caller-owned struct (about 60 KB;
 * heap-allocate it) with no pointers, so it can be copied or kept. Input is
 * limited to SDP_MAX_SIZE bytes and SDP_MAX_LINE per line; every limit below is
 * a hard bound: codecs the relay cannot forward are skipped, while a structural
 * problem (syntax, too many m-lines) is refused with a struct ly_error whose
 * code is one of the "media.sdp_*" strings.
 *
 * The writers (sdp_write.c) produce the relay's answers and offers into a
 * caller buffer; they never allocate and fail with LY_ETOOBIG if it is short.
 * Nothing here keeps state or touches globals.
 */
#ifndef LY_MEDIA_SDP_H
#define LY_MEDIA_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define SDP_MAX_SIZE   65536
#define SDP_MAX_LINE   4096
#define SDP_MAX_MEDIA  16
#define SDP_MAX_CODECS 24 /* kept per m-line: opus, VP8, H264 (rtx is not negotiated) */
#define SDP_MAX_EXTMAP 16
#define SDP_MAX_SSRC   8
#define SDP_TOKEN      64 /* mids, ufrags, cnames, msid ids (with NUL) */
#define SDP_FMTP       160

enum sdp_kind { SDP_KIND_AUDIO, SDP_KIND_VIDEO, SDP_KIND_APPLICATION, SDP_KIND_OTHER };
enum sdp_dir { SDP_DIR_SENDRECV, SDP_DIR_SENDONLY, SDP_DIR_RECVONLY, SDP_DIR_INACTIVE };
enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE };
enum sdp_codec_id { SDP_CODEC_OPUS = 1, SDP_CODEC_VP8, SDP_CODEC_H264, SDP_CODEC_RTX };
enum sdp_ext_id {
  SDP_EXT_MID = 1,       /* urn:ietf:params:rtp-hdrext:sdes:mid */
  SDP_EXT_AUDIO_LEVEL,   /* urn:ietf:params:rtp-hdrext:ssrc-audio-level */
  SDP_EXT_ABS_SEND_TIME, /* http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time */
};
enum { SDP_FB_NACK = 1, SDP_FB_PLI = 2, SDP_FB_FIR = 4, SDP_FB_REMB = 8, SDP_FB_TCC = 16 };

struct sdp_codec {
  uint8_t pt;
  uint8_t id;       /* enum sdp_codec_id */
  uint8_t channels; /* 2 for opus, else 1 */
  uint8_t fb;       /* SDP_FB_* bits from a=rtcp-fb */
  uint32_t clock;
  uint8_t apt;               /* rtx: associated payload type */
  int8_t packetization_mode; /* H264, -1 if absent */
  uint32_t profile_level_id; /* H264, 0 if absent */
  char fmtp[SDP_FMTP];       /* raw parameters, "" if none */
};

struct sdp_ssrc {
  uint32_t ssrc;
  uint32_t rtx_ssrc; /* from a=ssrc-group:FID, 0 if none */
  char cname[SDP_TOKEN];
};

struct sdp_media {
  uint8_t kind;  /* enum sdp_kind */
  uint8_t dir;   /* enum sdp_dir */
  uint8_t setup; /* enum sdp_setup, NONE = take the session's */
  uint8_t rtcp_mux, rtcp_rsize, bundle_only;
  uint16_t port;  /* 0: rejected / disabled */
  char proto[32]; /* "UDP/TLS/RTP/SAVPF" */
  char mid[SDP_TOKEN];
  char ice_ufrag[SDP_TOKEN]; /* "" = take the session's */
  char ice_pwd[260];
  uint8_t has_fingerprint;
  uint8_t fingerprint[32]; /* sha-256 */
  char msid_stream[SDP_TOKEN], msid_track[SDP_TOKEN];
  uint8_t n_codecs, n_ssrc;
  struct sdp_codec codecs[SDP_MAX_CODECS];
  uint8_t ext[4]; /* enum sdp_ext_id -> negotiated id (1..14), 0 = absent */
  struct sdp_ssrc ssrcs[SDP_MAX_SSRC];
};

struct sdp_session {
  uint64_t sess_id, sess_version;
  uint8_t setup; /* session-level a=setup */
  uint8_t ice_lite;
  uint8_t has_fingerprint;
  uint8_t fingerprint[32];
  char ice_ufrag[SDP_TOKEN];
  char ice_pwd[260];
  uint8_t n_bundle;
  char bundle[SDP_MAX_MEDIA][SDP_TOKEN]; /* mids of a=group:BUNDLE */
  uint8_t n_media;
  struct sdp_media media[SDP_MAX_MEDIA];
};

/* Parse text[0..len). Returns 0, or LY_ETOOBIG (size, line length,
 * "media.sdp_too_large") or LY_EPARSE ("media.sdp_malformed", err->position =
 * line number). err may be NULL. */
int sdp_parse(const char *text, size_t len, struct sdp_session *out, struct ly_error *err);

/* ICE credentials and DTLS fingerprint of m-line i (media level, else session
 * level). Return 0 or LY_ENOTFOUND. */
int sdp_media_ice(const struct sdp_session *s, unsigned i, const char **ufrag, const char **pwd);
int sdp_media_fingerprint(const struct sdp_session *s, unsigned i, const uint8_t **fp32);
uint8_t sdp_media_setup(const struct sdp_session *s, unsigned i);
/* The codec with payload type pt in m, or NULL. */
const struct sdp_codec *sdp_media_codec(const struct sdp_media *m, uint8_t pt);

/* ---- negotiation and writing (sdp_write.c) ------------------------------ */

/* What the relay needs to know about one negotiated m-line. */
struct sdp_track {
  uint8_t kind;   /* enum sdp_kind */
  uint8_t active; /* 0: rejected / inactive m-line (port 0 in our SDP) */
  uint8_t dir;    /* the relay's direction for this m-line */
  char mid[SDP_TOKEN];
  struct sdp_codec codec; /* the one codec used (pt as the browser knows it) */
  uint8_t ext[4];         /* enum sdp_ext_id -> id in this m-line */
  uint32_t ssrc;          /* publish: the browser's SSRC (0 unknown); subscribe: ours */
  char cname[SDP_TOKEN];
  char msid_stream[SDP_TOKEN], msid_track[SDP_TOKEN];
};

/* The relay's side of a description. */
struct sdp_local {
  const char *ice_ufrag, *ice_pwd;
  const char *fingerprint; /* "AB:CD:..." sha-256 */
  const char *ip;          /* host candidate address (IPv4 or IPv6 literal) */
  uint16_t port;
  uint64_t sess_id, sess_version;
  uint32_t max_video_kbps; /* b=AS on video m-lines, 0 = none */
};

/* Choose, for a browser's offer to send media (publish), what the relay
 * receives: per m-line Opus (audio) or VP8, else H264 with packetization-mode=1
 * (video); application and unknown m-lines are rejected. Fills tracks[0..n).
 * Refusals (LY_EDENIED with err->code): media.sdp_no_ice_credentials,
 * media.sdp_no_fingerprint, media.sdp_not_bundled, media.sdp_no_rtcp_mux,
 * media.sdp_bad_setup, media.sdp_bad_proto, media.sdp_no_common_codec. */
int sdp_negotiate_offer(const struct sdp_session *offer, struct sdp_track *tracks, unsigned *n,
                        struct ly_error *err);

/* Write the answer to `offer` for the negotiated tracks (a=ice-lite,
 * a=setup:passive, BUNDLE of the accepted mids, rtcp-mux, one host candidate).
 * Returns 0, LY_ETOOBIG or LY_EINVAL. */
int sdp_write_answer(const struct sdp_session *offer, const struct sdp_track *tracks, unsigned n,
                     const struct sdp_local *local, char *out, size_t cap, size_t *out_len);

/* Write the relay's offer for a receive transport: one sendonly m-line per
 * track (inactive ones with port 0 so that m-line order stays stable across
 * renegotiations), a=setup:actpass, our SSRC, cname and msid per track. */
int sdp_write_offer(const struct sdp_track *tracks, unsigned n, const struct sdp_local *local, char *out,
                    size_t cap, size_t *out_len);

/* Check the browser's answer to an offer written from tracks: same m-lines,
 * DTLS role active, credentials and fingerprint present, every active track
 * accepted with its payload type. accepted[i] (n entries) says which tracks the
 * browser took (it may refuse one it cannot decode). Returns 0 or LY_EDENIED
 * with err->code. */
int sdp_check_answer(const struct sdp_session *answer, const struct sdp_track *tracks, unsigned n,
                     uint8_t *accepted, struct ly_error *err);

/* The extension ids the relay uses in its own offers. */
enum { SDP_OFFER_EXT_AUDIO_LEVEL = 1, SDP_OFFER_EXT_ABS_SEND_TIME = 2, SDP_OFFER_EXT_MID = 3 };

#endif
