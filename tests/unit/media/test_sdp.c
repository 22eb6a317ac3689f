/* tests/unit/media/test_sdp.c — media/sdp.c and media/sdp_write.c with
 * Chrome- and Firefox-shaped descriptions (the .sdp files in fixtures/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "media/sdp.h"
#include "tests/unit/media/sdp_fixtures.h"

static const char *FP =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

static struct sdp_session *parse_ok(const char *text) {
  struct sdp_session *s = malloc(sizeof *s);
  struct ly_error e;
  assert_non_null(s);
  int rc = sdp_parse(text, strlen(text), s, &e);
  if (rc != 0) fail_msg("%s: %s", e.code, e.message);
  return s;
}

static int parse_err(const char *text, struct ly_error *e) {
  struct sdp_session *s = malloc(sizeof *s);
  int rc = sdp_parse(text, strlen(text), s, e);
  free(s);
  return rc;
}

static struct sdp_local local_params(void) {
  struct sdp_local l = {.ice_ufrag = "lyUf",
                        .ice_pwd = "relaypassword0123456789ab",
                        .fingerprint = FP,
                        .ip = "127.0.0.1",
                        .port = 40000,
                        .sess_id = 77,
                        .sess_version = 1,
                        .max_video_kbps = 1200};
  return l;
}

static void test_parse_chrome_offer(void **state) {
  (void)state;
  struct sdp_session *s = parse_ok(CHROME_OFFER);
  assert_true(s->sess_id == 4611731400430051336ull);
  assert_int_equal(s->n_bundle, 2);
  assert_string_equal(s->bundle[1], "1");
  assert_int_equal(s->n_media, 2);
  const struct sdp_media *a = &s->media[0], *v = &s->media[1];
  assert_int_equal(a->kind, SDP_KIND_AUDIO);
  assert_string_equal(a->mid, "0");
  assert_int_equal(a->dir, SDP_DIR_SENDONLY);
  assert_true(a->rtcp_mux && a->rtcp_rsize);
  assert_int_equal(a->setup, SDP_SETUP_ACTPASS);
  const char *u, *p;
  assert_int_equal(sdp_media_ice(s, 0, &u, &p), 0);
  assert_string_equal(u, "Hq3x");
  assert_string_equal(p, "2Zq7vTQ9mC1yLk4pXw8sRb0n");
  const uint8_t *fp;
  assert_int_equal(sdp_media_fingerprint(s, 1, &fp), 0);
  assert_int_equal(fp[0], 0x3F);
  assert_int_equal(fp[31], 0x19);
  const struct sdp_codec *opus = sdp_media_codec(a, 111);
  assert_non_null(opus);
  assert_int_equal(opus->id, SDP_CODEC_OPUS);
  assert_int_equal(opus->clock, 48000);
  assert_int_equal(opus->channels, 2);
  assert_string_equal(opus->fmtp, "minptime=10;useinbandfec=1");
  assert_int_equal(opus->fb, SDP_FB_TCC);
  assert_null(sdp_media_codec(a, 9)); /* G722: not forwardable, not kept */
  assert_int_equal(a->ext[SDP_EXT_AUDIO_LEVEL], 1);
  assert_int_equal(a->ext[SDP_EXT_ABS_SEND_TIME], 2);
  assert_int_equal(a->ext[SDP_EXT_MID], 4);
  assert_int_equal(a->n_ssrc, 1);
  assert_int_equal(a->ssrcs[0].ssrc, 1001770862u);
  assert_string_equal(a->ssrcs[0].cname, "T0u0Cq2GQ4mmXvKx");
  assert_string_equal(a->msid_track, "8c1f0e2d-6a3b-4c5d-8e9f-0a1b2c3d4e5f");

  const struct sdp_codec *vp8 = sdp_media_codec(v, 96);
  assert_non_null(vp8);
  assert_int_equal(vp8->id, SDP_CODEC_VP8);
  assert_int_equal(vp8->fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB | SDP_FB_TCC);
  const struct sdp_codec *h = sdp_media_codec(v, 106);
  assert_non_null(h);
  assert_int_equal(h->packetization_mode, 1);
  assert_int_equal(h->profile_level_id, 0x42e01f);
  assert_null(sdp_media_codec(v, 97)); /* rtx */
  assert_null(sdp_media_codec(v, 45)); /* AV1 */
  assert_int_equal(v->n_ssrc, 1);      /* the FID rtx SSRC is folded in */
  assert_int_equal(v->ssrcs[0].ssrc, 3181935371u);
  assert_int_equal(v->ssrcs[0].rtx_ssrc, 1442219402u);
  assert_int_equal(v->ext[SDP_EXT_MID], 4);
  assert_int_equal(v->ext[SDP_EXT_AUDIO_LEVEL], 0);
  free(s);
}

static void test_parse_firefox_offer(void **state) {
  (void)state;
  struct sdp_session *s = parse_ok(FIREFOX_OFFER);
  assert_true(s->sess_id == 5095383929018296297ull);
  assert_true(s->has_fingerprint);
  assert_int_equal(s->fingerprint[0], 0xA1);
  assert_int_equal(s->n_media, 3);
  assert_int_equal(s->n_bundle, 3);
  const struct sdp_media *a = &s->media[0], *v = &s->media[1];
  const struct sdp_codec *opus = sdp_media_codec(a, 109);
  assert_non_null(opus);
  assert_string_equal(opus->fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
  assert_int_equal(a->ext[SDP_EXT_AUDIO_LEVEL], 1);
  assert_int_equal(a->ext[SDP_EXT_MID], 3);
  const uint8_t *fp;
  assert_int_equal(sdp_media_fingerprint(s, 0, &fp), 0); /* from the session level */
  assert_int_equal(sdp_media_setup(s, 1), SDP_SETUP_ACTPASS);
  /* fmtp and rtcp-fb come before rtpmap in Firefox's offers */
  const struct sdp_codec *h = sdp_media_codec(v, 126);
  assert_non_null(h);
  assert_int_equal(h->id, SDP_CODEC_H264);
  assert_int_equal(h->packetization_mode, 1);
  assert_int_equal(h->fb & SDP_FB_PLI, SDP_FB_PLI);
  const struct sdp_codec *h0 = sdp_media_codec(v, 97);
  assert_non_null(h0);
  assert_int_equal(h0->packetization_mode, -1);
  assert_int_equal(v->ext[SDP_EXT_ABS_SEND_TIME], 4);
  assert_int_equal(v->n_ssrc, 1);
  assert_int_equal(v->ssrcs[0].ssrc, 3702553164u);
  assert_string_equal(v->msid_stream, "{0f6e2a7c-1b3d-4e5f-8a9b-c0d1e2f3a4b5}");
  assert_int_equal(s->media[2].kind, SDP_KIND_APPLICATION);
  free(s);
}

static void test_answer_chrome(void **state) {
  (void)state;
  struct sdp_session *s = parse_ok(CHROME_OFFER);
  struct sdp_track t[SDP_MAX_MEDIA];
  unsigned n;
  struct ly_error e;
  assert_int_equal(sdp_negotiate_offer(s, t, &n, &e), 0);
  assert_int_equal(n, 2);
  assert_true(t[0].active && t[1].active);
  assert_int_equal(t[0].codec.pt, 111);
  assert_int_equal(t[0].dir, SDP_DIR_RECVONLY);
  assert_int_equal(t[0].ssrc, 1001770862u);
  assert_int_equal(t[1].codec.id, SDP_CODEC_VP8);
  assert_int_equal(t[1].ext[SDP_EXT_ABS_SEND_TIME], 2);
  struct sdp_local l = local_params();
  char out[8192];
  size_t len;
  assert_int_equal(sdp_write_answer(s, t, n, &l, out, sizeof out, &len), 0);
  assert_int_equal(strlen(out), len);
  assert_non_null(strstr(out, "a=group:BUNDLE 0 1\r\n"));
  assert_non_null(strstr(out, "a=ice-lite\r\n"));
  assert_non_null(strstr(out, "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"));
  assert_non_null(strstr(out, "a=rtcp-fb:96 goog-remb\r\n"));
  assert_non_null(strstr(out, "a=rtcp-fb:96 nack pli\r\n"));
  assert_null(strstr(out, "transport-cc"));
  assert_non_null(strstr(out, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"));
  assert_non_null(strstr(out, "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"));
  assert_non_null(strstr(out, "b=AS:1200\r\n"));
  /* our answer parses back with our own parser */
  struct sdp_session *back = parse_ok(out);
  assert_true(back->ice_lite);
  assert_int_equal(back->n_media, 2);
  assert_int_equal(sdp_media_setup(back, 0), SDP_SETUP_PASSIVE);
  assert_int_equal(back->media[0].dir, SDP_DIR_RECVONLY);
  assert_int_equal(back->media[0].fingerprint[0], 0xAA);
  assert_non_null(sdp_media_codec(&back->media[1], 96));
  assert_int_equal(sdp_write_answer(s, t, n, &l, out, 300, &len), LY_ETOOBIG);
  free(back);
  free(s);
}

static void test_answer_firefox_rejects_datachannel(void **state) {
  (void)state;
  struct sdp_session *s = parse_ok(FIREFOX_OFFER);
  struct sdp_track t[SDP_MAX_MEDIA];
  unsigned n;
  assert_int_equal(sdp_negotiate_offer(s, t, &n, NULL), 0);
  assert_int_equal(n, 3);
  assert_int_equal(t[1].codec.pt, 120); /* VP8 preferred over H264 */
  assert_false(t[2].active);
  struct sdp_local l = local_params();
  char out[8192];
  size_t len;
  assert_int_equal(sdp_write_answer(s, t, n, &l, out, sizeof out, &len), 0);
  assert_non_null(strstr(out, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  assert_non_null(strstr(out, "a=group:BUNDLE 0 1\r\n"));
  assert_non_null(strstr(out, "a=mid:2\r\na=inactive\r\n"));
  struct sdp_session *back = parse_ok(out);
  assert_int_equal(back->n_media, 3);
  assert_int_equal(back->media[2].port, 0);
  free(back);
  free(s);
}

/* Replace the first occurrence of `from` with `to` in a fixture copy. */
static char *edited(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  assert_non_null(at);
  size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  assert_non_null(out);
  snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  return out;
}

static void test_h264_when_no_vp8(void **state) {
  (void)state;
  char *text = edited(CHROME_OFFER, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000");
  struct sdp_session *s = parse_ok(text);
  struct sdp_track t[SDP_MAX_MEDIA];
  unsigned n;
  assert_int_equal(sdp_negotiate_offer(s, t, &n, NULL), 0);
  assert_int_equal(t[1].codec.id, SDP_CODEC_H264);
  assert_int_equal(t[1].codec.pt, 106); /* 42e01f with packetization-mode=1 */
  struct sdp_local l = local_params();
  char out[8192];
  size_t len;
  assert_int_equal(sdp_write_answer(s, t, n, &l, out, sizeof out, &len), 0);
  assert_non_null(
      strstr(out, "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"));
  free(s);
  free(text);
}

static void expect_refusal(const char *text, const char *code) {
  struct sdp_session *s = parse_ok(text);
  struct sdp_track t[SDP_MAX_MEDIA];
  unsigned n;
  struct ly_error e;
  assert_int_equal(sdp_negotiate_offer(s, t, &n, &e), LY_EDENIED);
  assert_string_equal(e.code, code);
  free(s);
}

static void test_refusals(void **state) {
  (void)state;
  char *x;
  x = edited(FIREFOX_OFFER, "a=rtcp-mux\r\n", "");
  expect_refusal(x, "media.sdp_no_rtcp_mux");
  free(x);
  x = edited(FIREFOX_OFFER, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 1 2");
  expect_refusal(x, "media.sdp_not_bundled");
  free(x);
  x = edited(FIREFOX_OFFER, "a=fingerprint:sha-256", "a=fingerprint:sha-1");
  x[strstr(x, "sha-1 ") - x + 6] = 'A';
  expect_refusal(x, "media.sdp_no_fingerprint");
  free(x);
  x = edited(CHROME_OFFER, "a=setup:actpass", "a=setup:passive");
  expect_refusal(x, "media.sdp_bad_setup");
  free(x);
  x = edited(CHROME_OFFER, "m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio 9 RTP/AVP");
  expect_refusal(x, "media.sdp_bad_proto");
  free(x);
  char *y = edited(CHROME_OFFER, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 ISAC/16000");
  x = edited(y, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000");
  free(y);
  y = edited(x, "packetization-mode=1;profile-level-id=42001f",
             "packetization-mode=0;profile-level-id=42001f");
  free(x);
  x = edited(y, "packetization-mode=1;profile-level-id=42e01f",
             "packetization-mode=0;profile-level-id=42e01f");
  free(y);
  y = edited(x, "packetization-mode=1;profile-level-id=4d001f",
             "packetization-mode=0;profile-level-id=4d001f");
  free(x);
  x = edited(y, "packetization-mode=1;profile-level-id=64001f",
             "packetization-mode=0;profile-level-id=64001f");
  free(y);
  expect_refusal(x, "media.sdp_no_common_codec");
  free(x);
  x = edited(CHROME_OFFER, "a=ice-pwd:2Zq7vTQ9mC1yLk4pXw8sRb0n\r\n", "");
  expect_refusal(x, "media.sdp_no_ice_credentials");
  free(x);
}

static void expect_malformed(const char *text, int rc) {
  struct ly_error e;
  assert_int_equal(parse_err(text, &e), rc);
}

static void test_malformed(void **state) {
  (void)state;
  expect_malformed("", LY_EPARSE);
  expect_malformed("v=1\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", LY_EPARSE);
  expect_malformed("v=0\r\ns=-\r\n", LY_EPARSE);
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n\r\ns=-\r\n", LY_EPARSE); /* empty line */
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nnonsense\r\n", LY_EPARSE);
  expect_malformed("v=0\r\no=- x 1 IN IP4 0.0.0.0\r\ns=-\r\n", LY_EPARSE);
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 99999 RTP/AVP 0\r\n", LY_EPARSE);
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 128\r\n", LY_EPARSE);
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\na=ice-ufrag:a b\r\n", LY_EPARSE);
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\na=fingerprint:sha-256 AA:BB\r\n", LY_EPARSE);
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\na=setup:both\r\n", LY_EPARSE);
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
                   LY_EPARSE);
  expect_malformed("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\na=x\x01y\r\n", LY_EPARSE);
  struct ly_error e;
  assert_int_equal(parse_err(CHROME_OFFER, &e), 0);
  /* position is the line number */
  assert_int_equal(parse_err("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=setup:x\r\n", &e),
                   LY_EPARSE);
  assert_int_equal(e.position, 5);
  assert_string_equal(e.code, "media.sdp_malformed");

  /* size and line limits */
  size_t big = SDP_MAX_SIZE + 1;
  char *huge = malloc(big + 1);
  memset(huge, 'a', big);
  huge[big] = '\0';
  struct sdp_session *s = malloc(sizeof *s);
  assert_int_equal(sdp_parse(huge, big, s, &e), LY_ETOOBIG);
  assert_string_equal(e.code, "media.sdp_too_large");
  char *line = malloc(SDP_MAX_LINE + 64);
  int k = snprintf(line, SDP_MAX_LINE + 64, "v=0\r\na=");
  memset(line + k, 'x', SDP_MAX_LINE);
  line[k + SDP_MAX_LINE] = '\0';
  assert_int_equal(sdp_parse(line, strlen(line), s, &e), LY_ETOOBIG);
  /* NUL inside */
  assert_int_equal(sdp_parse("v=0\r\n\0", 6, s, &e), LY_EPARSE);
  /* too many m-lines */
  char many[4096];
  size_t off = (size_t)snprintf(many, sizeof many, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
  for (int i = 0; i < SDP_MAX_MEDIA + 1; i++)
    off +=
        (size_t)snprintf(many + off, sizeof many - off, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:%d\r\n", i);
  assert_int_equal(sdp_parse(many, off, s, &e), LY_EPARSE);
  free(line);
  free(huge);
  free(s);
}

/* Regressions from fuzzing: duplicate mids are refused; an odd m-line with an
 * RTP protocol is rejected with a payload type, so our answer parses back. */
static void test_fuzz_regressions(void **state) {
  (void)state;
  char *x = edited(FIREFOX_OFFER, "a=mid:1\r\n", "a=mid:0\r\n");
  struct ly_error e;
  assert_int_equal(parse_err(x, &e), LY_EPARSE);
  assert_non_null(strstr(e.message, "duplicate a=mid"));
  free(x);
  x = edited(FIREFOX_OFFER, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
             "m=application 9 UDP/TLS/RTP/SAVPF 5");
  struct sdp_session *s = parse_ok(x);
  struct sdp_track t[SDP_MAX_MEDIA];
  unsigned n;
  assert_int_equal(sdp_negotiate_offer(s, t, &n, NULL), 0);
  struct sdp_local l = local_params();
  char out[8192];
  size_t len;
  assert_int_equal(sdp_write_answer(s, t, n, &l, out, sizeof out, &len), 0);
  assert_non_null(strstr(out, "m=application 0 UDP/TLS/RTP/SAVPF 0\r\n"));
  struct sdp_session *back = parse_ok(out);
  assert_int_equal(back->n_media, 3);
  free(back);
  free(s);
  free(x);
}

/* Every prefix of the fixtures parses or fails cleanly (ASan watches). */
static void test_prefixes(void **state) {
  (void)state;
  struct sdp_session *s = malloc(sizeof *s);
  const char *texts[] = {CHROME_OFFER, FIREFOX_OFFER};
  for (int t = 0; t < 2; t++) {
    size_t n = strlen(texts[t]);
    for (size_t i = 0; i < n; i += 7) {
      char *copy = malloc(i + 1);
      memcpy(copy, texts[t], i);
      (void)sdp_parse(copy, i, s, NULL);
      free(copy);
    }
  }
  free(s);
}

static void test_offer_and_check_answer(void **state) {
  (void)state;
  struct sdp_track t[2];
  memset(t, 0, sizeof t);
  t[0] = (struct sdp_track){.kind = SDP_KIND_AUDIO, .active = 1, .dir = SDP_DIR_SENDONLY, .ssrc = 11111};
  snprintf(t[0].mid, sizeof t[0].mid, "a0");
  t[0].codec = (struct sdp_codec){.pt = 111, .id = SDP_CODEC_OPUS, .channels = 2, .clock = 48000};
  t[0].ext[SDP_EXT_AUDIO_LEVEL] = SDP_OFFER_EXT_AUDIO_LEVEL;
  t[0].ext[SDP_EXT_MID] = SDP_OFFER_EXT_MID;
  snprintf(t[0].cname, sizeof t[0].cname, "patient1");
  snprintf(t[0].msid_stream, sizeof t[0].msid_stream, "p1");
  snprintf(t[0].msid_track, sizeof t[0].msid_track, "p1a");
  t[1] = t[0];
  t[1].kind = SDP_KIND_VIDEO;
  t[1].ssrc = 22222;
  snprintf(t[1].mid, sizeof t[1].mid, "v0");
  snprintf(t[1].msid_track, sizeof t[1].msid_track, "p1v");
  t[1].codec = (struct sdp_codec){.pt = 96, .id = SDP_CODEC_VP8, .channels = 1, .clock = 90000};
  t[1].ext[SDP_EXT_AUDIO_LEVEL] = 0;
  t[1].ext[SDP_EXT_ABS_SEND_TIME] = SDP_OFFER_EXT_ABS_SEND_TIME;
  struct sdp_local l = local_params();
  char out[8192];
  size_t len;
  assert_int_equal(sdp_write_offer(t, 2, &l, out, sizeof out, &len), 0);
  assert_non_null(strstr(out, "a=setup:actpass\r\n"));
  assert_non_null(strstr(out, "a=sendonly\r\n"));
  assert_non_null(strstr(out, "a=ssrc:22222 msid:p1 p1v\r\n"));
  assert_non_null(strstr(out, "a=rtcp-fb:96 ccm fir\r\n"));
  assert_non_null(strstr(out, "a=group:BUNDLE a0 v0\r\n"));
  struct sdp_session *back = parse_ok(out);
  assert_int_equal(back->media[1].ssrcs[0].ssrc, 22222);
  assert_string_equal(back->media[0].ssrcs[0].cname, "patient1");
  assert_int_equal(back->media[1].ext[SDP_EXT_ABS_SEND_TIME], SDP_OFFER_EXT_ABS_SEND_TIME);
  free(back);

  uint8_t acc[2];
  struct ly_error e;
  struct sdp_session *ans = parse_ok(CHROME_ANSWER);
  assert_int_equal(sdp_check_answer(ans, t, 2, acc, &e), 0);
  assert_true(acc[0] && acc[1]);
  free(ans);
  ans = parse_ok(FIREFOX_ANSWER);
  assert_int_equal(sdp_check_answer(ans, t, 2, acc, &e), 0);
  assert_true(acc[0] && acc[1]);
  assert_int_equal(sdp_check_answer(ans, t, 1, acc, &e), LY_EDENIED);
  assert_string_equal(e.code, "media.sdp_answer_mismatch");
  free(ans);
  char *x = edited(CHROME_ANSWER, "a=setup:active", "a=setup:passive");
  ans = parse_ok(x);
  assert_int_equal(sdp_check_answer(ans, t, 2, acc, &e), LY_EDENIED);
  assert_string_equal(e.code, "media.sdp_bad_setup");
  free(ans);
  free(x);
  /* a browser that declines the video codec leaves that track unaccepted */
  x = edited(CHROME_ANSWER, "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000");
  ans = parse_ok(x);
  assert_int_equal(sdp_check_answer(ans, t, 2, acc, &e), 0);
  assert_true(acc[0]);
  assert_false(acc[1]);
  free(ans);
  free(x);

  /* a stopped track keeps its m-line, with port 0 and out of BUNDLE */
  t[0].active = 0;
  assert_int_equal(sdp_write_offer(t, 2, &l, out, sizeof out, &len), 0);
  assert_non_null(strstr(out, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"));
  assert_non_null(strstr(out, "a=group:BUNDLE v0\r\n"));
  assert_int_equal(sdp_write_offer(t, 0, &l, out, sizeof out, &len), LY_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_chrome_offer), cmocka_unit_test(test_parse_firefox_offer),
      cmocka_unit_test(test_answer_chrome),      cmocka_unit_test(test_answer_firefox_rejects_datachannel),
      cmocka_unit_test(test_h264_when_no_vp8),   cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_malformed),          cmocka_unit_test(test_prefixes),
      cmocka_unit_test(test_fuzz_regressions),   cmocka_unit_test(test_offer_and_check_answer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
