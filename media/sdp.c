/* media/sdp.c — strict SDP parser for WebRTC offers and answers. See sdp.h.
 *
 * Two passes over the lines: the first validates every line and learns which
 * payload types of each m-line are codecs the relay can forward (Firefox puts
 * a=fmtp and a=rtcp-fb before a=rtpmap, and Chrome lists some 30 video payload
 * types we could never use, so codec slots are only spent on known ones); the
 * second fills the struct.
 */
#include "media/sdp.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct pt_info {
  uint8_t id; /* enum sdp_codec_id, 0 = not forwardable */
};

struct parser {
  struct sdp_session *s;
  struct sdp_media *m; /* current m-section, NULL at session level */
  long line;
  struct ly_error *err;
  struct pt_info (*pts)[128]; /* [SDP_MAX_MEDIA][128] from pass 1 */
};

static int sdp_fail(struct ly_error *e, int rc, const char *code, long line, const char *msg) {
  if (e == NULL) return rc;
  memset(e, 0, sizeof *e);
  e->err = rc;
  snprintf(e->code, sizeof e->code, "%s", code);
  if (line > 0)
    snprintf(e->message, sizeof e->message, "SDP line %ld: %s", line, msg);
  else
    snprintf(e->message, sizeof e->message, "SDP: %s", msg);
  e->position = line > 0 ? line : -1;
  return rc;
}

#define MALFORMED(p, msg) sdp_fail((p)->err, LY_EPARSE, "media.sdp_malformed", (p)->line, (msg))

/* ---- small lexers: all take a NUL-terminated line and advance *s -------- */

static int lex_uint(const char **s, uint64_t max, uint64_t *out) {
  const char *p = *s;
  uint64_t v = 0;
  if (!isdigit((unsigned char)*p)) return -1;
  while (isdigit((unsigned char)*p)) {
    unsigned d = (unsigned)(*p - '0');
    if (v > (max - d) / 10) return -1;
    v = v * 10 + d;
    p++;
  }
  *s = p;
  *out = v;
  return 0;
}

/* A token up to a space or the end, copied into dst (cap incl. NUL). */
static int lex_token(const char **s, char *dst, size_t cap) {
  const char *p = *s;
  size_t n = strcspn(p, " ");
  if (n == 0 || n >= cap) return -1;
  memcpy(dst, p, n);
  dst[n] = '\0';
  *s = p + n;
  return 0;
}

static int lex_space(const char **s) {
  if (**s != ' ') return -1;
  while (**s == ' ')
    (*s)++;
  return 0;
}

static int is_ice_chars(const char *v) {
  for (; *v; v++)
    if (!isalnum((unsigned char)*v) && *v != '+' && *v != '/') return 0;
  return 1;
}

static int is_token_chars(const char *v) {
  for (; *v; v++)
    if (!isgraph((unsigned char)*v)) return 0;
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = (char)tolower((unsigned char)c);
  return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* "sha-256 AB:CD:..." -> 32 bytes. Returns 1 if sha-256 parsed, 0 for another
 * hash function (ignored), -1 if malformed. */
static int lex_fingerprint(const char *v, uint8_t out[32]) {
  const char *sp = strchr(v, ' ');
  if (sp == NULL) return -1;
  if ((size_t)(sp - v) != 7 || strncasecmp(v, "sha-256", 7) != 0) return 0;
  const char *h = sp + 1;
  if (strlen(h) != 32 * 3 - 1) return -1;
  for (int i = 0; i < 32; i++) {
    int a = hexval(h[3 * i]), b = hexval(h[3 * i + 1]);
    if (a < 0 || b < 0 || (i < 31 && h[3 * i + 2] != ':')) return -1;
    out[i] = (uint8_t)(a << 4 | b);
  }
  return 1;
}

/* ---- line iteration ------------------------------------------------------- */

struct lines {
  const char *text;
  size_t len, off;
  long no;
};

/* Next line into buf (NUL-terminated, CR/LF stripped). 1 = got one, 0 = end,
 * <0 = error (too long, bad byte, empty line inside the text). */
static int next_line(struct lines *ls, char *buf, struct ly_error *err) {
  if (ls->off >= ls->len) return 0;
  const char *start = ls->text + ls->off;
  size_t rest = ls->len - ls->off;
  const char *nl = memchr(start, '\n', rest);
  size_t n = nl ? (size_t)(nl - start) : rest;
  ls->off += n + (nl ? 1 : 0);
  ls->no++;
  if (n > 0 && start[n - 1] == '\r') n--;
  if (n > SDP_MAX_LINE) return sdp_fail(err, LY_ETOOBIG, "media.sdp_too_large", ls->no, "line too long");
  if (n == 0) {
    if (ls->off >= ls->len) return 0; /* trailing newline */
    return sdp_fail(err, LY_EPARSE, "media.sdp_malformed", ls->no, "empty line");
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)start[i];
    if ((c < 0x20 && c != '\t') || c == 0x7F)
      return sdp_fail(err, LY_EPARSE, "media.sdp_malformed", ls->no, "control character");
  }
  if (n < 2 || start[1] != '=' || !islower((unsigned char)start[0]))
    return sdp_fail(err, LY_EPARSE, "media.sdp_malformed", ls->no, "not a <type>=<value> line");
  memcpy(buf, start, n);
  buf[n] = '\0';
  return 1;
}

/* ---- codecs ------------------------------------------------------------- */

static uint8_t codec_id_of(const char *name, size_t n) {
  if (n == 4 && strncasecmp(name, "opus", 4) == 0) return SDP_CODEC_OPUS;
  if (n == 3 && strncasecmp(name, "VP8", 3) == 0) return SDP_CODEC_VP8;
  if (n == 4 && strncasecmp(name, "H264", 4) == 0) return SDP_CODEC_H264;
  if (n == 3 && strncasecmp(name, "rtx", 3) == 0) return SDP_CODEC_RTX;
  return 0;
}

/* "a=rtpmap:<pt> <name>/<clock>[/<channels>]" after the colon. */
static int lex_rtpmap(const char *v, uint8_t *pt, uint8_t *id, uint32_t *clock, uint8_t *ch) {
  uint64_t x;
  if (lex_uint(&v, 127, &x) != 0 || lex_space(&v) != 0) return -1;
  *pt = (uint8_t)x;
  const char *slash = strchr(v, '/');
  if (slash == NULL || slash == v) return -1;
  *id = codec_id_of(v, (size_t)(slash - v));
  v = slash + 1;
  if (lex_uint(&v, 1000000, &x) != 0 || x == 0) return -1;
  *clock = (uint32_t)x;
  *ch = 1;
  if (*v == '/') {
    v++;
    if (lex_uint(&v, 8, &x) != 0 || x == 0) return -1;
    *ch = (uint8_t)x;
  }
  return *v == '\0' ? 0 : -1;
}

static struct sdp_codec *codec_slot(struct parser *p, uint8_t pt) {
  struct sdp_media *m = p->m;
  for (unsigned i = 0; i < m->n_codecs; i++)
    if (m->codecs[i].pt == pt) return &m->codecs[i];
  uint8_t id = p->pts[p->s->n_media - 1][pt].id;
  if (id == 0 || m->n_codecs >= SDP_MAX_CODECS) return NULL;
  struct sdp_codec *c = &m->codecs[m->n_codecs++];
  memset(c, 0, sizeof *c);
  c->pt = pt;
  c->id = id;
  c->channels = 1;
  c->packetization_mode = -1;
  return c;
}

static void fmtp_params(struct sdp_codec *c) {
  const char *f = c->fmtp;
  while (*f) {
    size_t n = strcspn(f, ";");
    const char *eq = memchr(f, '=', n);
    if (eq != NULL) {
      size_t kl = (size_t)(eq - f);
      const char *val = eq + 1;
      uint64_t x;
      if (kl == 16 && strncasecmp(f, "profile-level-id", kl) == 0 && n - kl - 1 == 6) {
        uint32_t v = 0;
        int ok = 1;
        for (int i = 0; i < 6; i++) {
          int h = hexval(val[i]);
          if (h < 0) ok = 0;
          v = v << 4 | (uint32_t)(h < 0 ? 0 : h);
        }
        if (ok) c->profile_level_id = v;
      } else if (kl == 18 && strncasecmp(f, "packetization-mode", kl) == 0 && lex_uint(&val, 2, &x) == 0) {
        c->packetization_mode = (int8_t)x;
      } else if (kl == 3 && strncasecmp(f, "apt", kl) == 0 && lex_uint(&val, 127, &x) == 0) {
        c->apt = (uint8_t)x;
      }
    }
    f += n;
    while (*f == ';' || *f == ' ')
      f++;
  }
}

static int attr_rtpmap(struct parser *p, const char *v) {
  uint8_t pt, id, ch;
  uint32_t clock;
  if (lex_rtpmap(v, &pt, &id, &clock, &ch) != 0) return MALFORMED(p, "bad a=rtpmap");
  struct sdp_codec *c = codec_slot(p, pt);
  if (c == NULL) return 0;
  c->clock = clock;
  c->channels = ch;
  return 0;
}

static int attr_fmtp(struct parser *p, const char *v) {
  uint64_t x;
  if (lex_uint(&v, 127, &x) != 0 || lex_space(&v) != 0) return MALFORMED(p, "bad a=fmtp");
  struct sdp_codec *c = codec_slot(p, (uint8_t)x);
  if (c == NULL) return 0;
  if (strlen(v) >= sizeof c->fmtp) return MALFORMED(p, "a=fmtp too long");
  snprintf(c->fmtp, sizeof c->fmtp, "%s", v);
  fmtp_params(c);
  return 0;
}

static int attr_rtcp_fb(struct parser *p, const char *v) {
  uint64_t x = 0;
  int all = 0;
  if (*v == '*') {
    all = 1;
    v++;
  } else if (lex_uint(&v, 127, &x) != 0) {
    return MALFORMED(p, "bad a=rtcp-fb");
  }
  if (lex_space(&v) != 0) return MALFORMED(p, "bad a=rtcp-fb");
  uint8_t bit = 0;
  if (strcmp(v, "nack") == 0)
    bit = SDP_FB_NACK;
  else if (strcmp(v, "nack pli") == 0)
    bit = SDP_FB_PLI;
  else if (strcmp(v, "ccm fir") == 0)
    bit = SDP_FB_FIR;
  else if (strcmp(v, "goog-remb") == 0)
    bit = SDP_FB_REMB;
  else if (strcmp(v, "transport-cc") == 0)
    bit = SDP_FB_TCC;
  if (all) {
    for (unsigned i = 0; i < p->m->n_codecs; i++)
      p->m->codecs[i].fb |= bit;
    return 0;
  }
  struct sdp_codec *c = codec_slot(p, (uint8_t)x);
  if (c != NULL) c->fb |= bit;
  return 0;
}

static int attr_extmap(struct parser *p, const char *v) {
  uint64_t id;
  if (lex_uint(&v, 255, &id) != 0 || id == 0) return MALFORMED(p, "bad a=extmap");
  if (*v == '/') v += strcspn(v, " "); /* direction: we use what was offered */
  if (lex_space(&v) != 0) return MALFORMED(p, "bad a=extmap");
  size_t n = strcspn(v, " ");
  static const struct {
    const char *uri;
    uint8_t ext;
  } known[] = {
      {"urn:ietf:params:rtp-hdrext:sdes:mid", SDP_EXT_MID},
      {"urn:ietf:params:rtp-hdrext:ssrc-audio-level", SDP_EXT_AUDIO_LEVEL},
      {"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", SDP_EXT_ABS_SEND_TIME},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strlen(known[i].uri) == n && strncmp(v, known[i].uri, n) == 0) p->m->ext[known[i].ext] = (uint8_t)id;
  return 0;
}

static struct sdp_ssrc *ssrc_slot(struct sdp_media *m, uint32_t ssrc) {
  for (unsigned i = 0; i < m->n_ssrc; i++)
    if (m->ssrcs[i].ssrc == ssrc) return &m->ssrcs[i];
  if (m->n_ssrc >= SDP_MAX_SSRC) return NULL;
  struct sdp_ssrc *s = &m->ssrcs[m->n_ssrc++];
  memset(s, 0, sizeof *s);
  s->ssrc = ssrc;
  return s;
}

static int attr_ssrc(struct parser *p, const char *v) {
  uint64_t x;
  if (lex_uint(&v, UINT32_MAX, &x) != 0 || lex_space(&v) != 0) return MALFORMED(p, "bad a=ssrc");
  struct sdp_ssrc *s = ssrc_slot(p->m, (uint32_t)x);
  if (s == NULL) return MALFORMED(p, "too many SSRCs");
  if (strncmp(v, "cname:", 6) == 0) {
    if (strlen(v + 6) >= sizeof s->cname || !is_token_chars(v + 6)) return MALFORMED(p, "bad cname");
    snprintf(s->cname, sizeof s->cname, "%s", v + 6);
  } else if (strncmp(v, "msid:", 5) == 0 && p->m->msid_stream[0] == '\0') {
    v += 5;
    if (lex_token(&v, p->m->msid_stream, SDP_TOKEN) != 0) return MALFORMED(p, "bad msid");
    if (*v == ' ' && (lex_space(&v) != 0 || lex_token(&v, p->m->msid_track, SDP_TOKEN) != 0))
      return MALFORMED(p, "bad msid");
  }
  return 0;
}

static int attr_ssrc_group(struct parser *p, const char *v) {
  uint64_t a, b;
  if (strncmp(v, "FID ", 4) != 0) return 0; /* SIM and others: not used */
  v += 4;
  if (lex_uint(&v, UINT32_MAX, &a) != 0 || lex_space(&v) != 0 || lex_uint(&v, UINT32_MAX, &b) != 0 ||
      *v != '\0')
    return MALFORMED(p, "bad a=ssrc-group");
  struct sdp_ssrc *s = ssrc_slot(p->m, (uint32_t)a);
  if (s == NULL) return MALFORMED(p, "too many SSRCs");
  s->rtx_ssrc = (uint32_t)b;
  return 0;
}

static int attr_msid(struct parser *p, const char *v) {
  struct sdp_media *m = p->m;
  if (lex_token(&v, m->msid_stream, SDP_TOKEN) != 0) return MALFORMED(p, "bad a=msid");
  m->msid_track[0] = '\0';
  if (*v == '\0') return 0;
  if (lex_space(&v) != 0 || lex_token(&v, m->msid_track, SDP_TOKEN) != 0 || *v != '\0')
    return MALFORMED(p, "bad a=msid");
  return 0;
}

static int attr_group(struct parser *p, const char *v) {
  if (strncmp(v, "BUNDLE", 6) != 0 || (v[6] != ' ' && v[6] != '\0')) return 0;
  v += 6;
  p->s->n_bundle = 0;
  while (*v == ' ') {
    lex_space(&v);
    if (*v == '\0') break;
    if (p->s->n_bundle >= SDP_MAX_MEDIA) return MALFORMED(p, "BUNDLE group too large");
    if (lex_token(&v, p->s->bundle[p->s->n_bundle], SDP_TOKEN) != 0) return MALFORMED(p, "bad BUNDLE mid");
    p->s->n_bundle++;
  }
  return *v == '\0' ? 0 : MALFORMED(p, "bad a=group");
}

/* ICE, DTLS and setup attributes: valid at session and media level. */
static int attr_transport(struct parser *p, const char *name, const char *v, int *handled) {
  char *ufrag = p->m ? p->m->ice_ufrag : p->s->ice_ufrag;
  char *pwd = p->m ? p->m->ice_pwd : p->s->ice_pwd;
  *handled = 1;
  if (strcmp(name, "ice-ufrag") == 0) {
    size_t n = strlen(v);
    if (n < 4 || n >= SDP_TOKEN || !is_ice_chars(v)) return MALFORMED(p, "bad a=ice-ufrag");
    memcpy(ufrag, v, n + 1);
  } else if (strcmp(name, "ice-pwd") == 0) {
    size_t n = strlen(v);
    if (n < 22 || n > 256 || !is_ice_chars(v)) return MALFORMED(p, "bad a=ice-pwd");
    memcpy(pwd, v, n + 1);
  } else if (strcmp(name, "fingerprint") == 0) {
    uint8_t fp[32];
    int r = lex_fingerprint(v, fp);
    if (r < 0) return MALFORMED(p, "bad a=fingerprint");
    uint8_t *have = p->m ? &p->m->has_fingerprint : &p->s->has_fingerprint;
    if (r == 1 && !*have) {
      memcpy(p->m ? p->m->fingerprint : p->s->fingerprint, fp, 32);
      *have = 1;
    }
  } else if (strcmp(name, "setup") == 0) {
    uint8_t st = strcmp(v, "actpass") == 0   ? SDP_SETUP_ACTPASS
                 : strcmp(v, "active") == 0  ? SDP_SETUP_ACTIVE
                 : strcmp(v, "passive") == 0 ? SDP_SETUP_PASSIVE
                                             : SDP_SETUP_NONE;
    if (st == SDP_SETUP_NONE) return MALFORMED(p, "bad a=setup");
    if (p->m)
      p->m->setup = st;
    else
      p->s->setup = st;
  } else {
    *handled = 0;
  }
  return 0;
}

static int attr_media(struct parser *p, const char *name, const char *v) {
  struct sdp_media *m = p->m;
  if (strcmp(name, "mid") == 0) {
    if (strlen(v) >= SDP_TOKEN || !is_token_chars(v) || *v == '\0') return MALFORMED(p, "bad a=mid");
    snprintf(m->mid, sizeof m->mid, "%s", v);
  } else if (strcmp(name, "sendrecv") == 0)
    m->dir = SDP_DIR_SENDRECV;
  else if (strcmp(name, "sendonly") == 0)
    m->dir = SDP_DIR_SENDONLY;
  else if (strcmp(name, "recvonly") == 0)
    m->dir = SDP_DIR_RECVONLY;
  else if (strcmp(name, "inactive") == 0)
    m->dir = SDP_DIR_INACTIVE;
  else if (strcmp(name, "rtcp-mux") == 0)
    m->rtcp_mux = 1;
  else if (strcmp(name, "rtcp-rsize") == 0)
    m->rtcp_rsize = 1;
  else if (strcmp(name, "bundle-only") == 0)
    m->bundle_only = 1;
  else if (strcmp(name, "rtpmap") == 0)
    return attr_rtpmap(p, v);
  else if (strcmp(name, "fmtp") == 0)
    return attr_fmtp(p, v);
  else if (strcmp(name, "rtcp-fb") == 0)
    return attr_rtcp_fb(p, v);
  else if (strcmp(name, "extmap") == 0)
    return attr_extmap(p, v);
  else if (strcmp(name, "ssrc") == 0)
    return attr_ssrc(p, v);
  else if (strcmp(name, "ssrc-group") == 0)
    return attr_ssrc_group(p, v);
  else if (strcmp(name, "msid") == 0)
    return attr_msid(p, v);
  return 0; /* candidate, rtcp, extmap-allow-mixed, ...: not needed */
}

static int parse_attr(struct parser *p, const char *v) {
  char name[32];
  size_t n = strcspn(v, ":");
  if (n == 0 || n >= sizeof name) return MALFORMED(p, "bad attribute name");
  memcpy(name, v, n);
  name[n] = '\0';
  const char *val = v[n] == ':' ? v + n + 1 : v + n;
  int handled, rc = attr_transport(p, name, val, &handled);
  if (rc != 0 || handled) return rc;
  if (p->m != NULL) return attr_media(p, name, val);
  if (strcmp(name, "group") == 0) return attr_group(p, val);
  if (strcmp(name, "ice-lite") == 0) p->s->ice_lite = 1;
  return 0;
}

static int parse_m(struct parser *p, const char *v, int pass1) {
  if (p->s->n_media >= SDP_MAX_MEDIA) return MALFORMED(p, "too many m-lines");
  struct sdp_media *m = &p->s->media[p->s->n_media++];
  char kind[16], proto[32];
  uint64_t port;
  if (lex_token(&v, kind, sizeof kind) || lex_space(&v) || lex_uint(&v, 65535, &port))
    return MALFORMED(p, "bad m-line");
  if (*v == '/') { /* port/count */
    uint64_t cnt;
    v++;
    if (lex_uint(&v, 65535, &cnt) != 0) return MALFORMED(p, "bad m-line");
  }
  if (lex_space(&v) || lex_token(&v, proto, sizeof proto) || *v != ' ') return MALFORMED(p, "bad m-line");
  p->m = m;
  if (pass1) return 0;
  memset(m, 0, sizeof *m);
  m->kind = strcmp(kind, "audio") == 0         ? SDP_KIND_AUDIO
            : strcmp(kind, "video") == 0       ? SDP_KIND_VIDEO
            : strcmp(kind, "application") == 0 ? SDP_KIND_APPLICATION
                                               : SDP_KIND_OTHER;
  m->port = (uint16_t)port;
  snprintf(m->proto, sizeof m->proto, "%s", proto);
  int rtp = strstr(proto, "RTP/") != NULL;
  while (*v == ' ') { /* the format list: payload types for RTP */
    char fmt[64];
    lex_space(&v);
    if (lex_token(&v, fmt, sizeof fmt) != 0) return MALFORMED(p, "bad m-line format");
    const char *f = fmt;
    uint64_t pt;
    if (rtp && (lex_uint(&f, 127, &pt) != 0 || *f != '\0')) return MALFORMED(p, "bad payload type");
  }
  return 0;
}

/* Pass 1 for one line: learn the forwardable payload types of each m-line. */
static int pass1_line(struct parser *p, const char *line) {
  if (line[0] == 'm') {
    if (parse_m(p, line + 2, 1) != 0) return LY_EPARSE;
    return 0;
  }
  if (p->m == NULL || strncmp(line, "a=rtpmap:", 9) != 0) return 0;
  uint8_t pt, id, ch;
  uint32_t clock;
  if (lex_rtpmap(line + 9, &pt, &id, &clock, &ch) != 0) return MALFORMED(p, "bad a=rtpmap");
  p->pts[p->s->n_media - 1][pt].id = id == SDP_CODEC_RTX ? 0 : id; /* rtx is not negotiated */
  return 0;
}

static int parse_o(struct parser *p, const char *v) {
  char user[256];
  uint64_t id, ver;
  if (lex_token(&v, user, sizeof user) || lex_space(&v) || lex_uint(&v, UINT64_MAX, &id) || lex_space(&v) ||
      lex_uint(&v, UINT64_MAX, &ver) || *v != ' ')
    return MALFORMED(p, "bad o= line");
  p->s->sess_id = id;
  p->s->sess_version = ver;
  return 0;
}

/* Drop SSRCs that are only the rtx half of a FID group. */
static void finish_media(struct sdp_media *m) {
  unsigned k = 0;
  for (unsigned i = 0; i < m->n_ssrc; i++) {
    int is_rtx = 0;
    for (unsigned j = 0; j < m->n_ssrc; j++)
      if (m->ssrcs[j].rtx_ssrc == m->ssrcs[i].ssrc) is_rtx = 1;
    if (!is_rtx) m->ssrcs[k++] = m->ssrcs[i];
  }
  m->n_ssrc = (uint8_t)k;
}

static int run_pass(struct parser *p, const char *text, size_t len, int pass1) {
  static const char order_err[] = "v=, o= and s= must come first";
  struct lines ls = {text, len, 0, 0};
  char line[SDP_MAX_LINE + 1];
  int rc, seen = 0; /* bit 0: v, 1: o, 2: s */
  p->m = NULL;
  p->s->n_media = 0;
  while ((rc = next_line(&ls, line, p->err)) == 1) {
    p->line = ls.no;
    rc = 0;
    const char *v = line + 2;
    if (ls.no == 1 && strcmp(line, "v=0") != 0) return MALFORMED(p, "first line must be v=0");
    if (line[0] == 'v')
      seen |= 1;
    else if (line[0] == 'o')
      seen |= 2;
    else if (line[0] == 's')
      seen |= 4;
    else if (seen != 7)
      return MALFORMED(p, order_err);
    if (pass1) {
      if ((rc = pass1_line(p, line)) != 0) return rc;
      continue;
    }
    if (line[0] == 'o')
      rc = parse_o(p, v);
    else if (line[0] == 'm') {
      if (p->m) finish_media(p->m);
      rc = parse_m(p, v, 0);
    } else if (line[0] == 'a')
      rc = parse_attr(p, v);
    if (rc != 0) return rc;
  }
  if (rc < 0) return rc;
  if (seen != 7) return sdp_fail(p->err, LY_EPARSE, "media.sdp_malformed", 0, order_err);
  if (!pass1 && p->m) finish_media(p->m);
  for (unsigned i = 0; !pass1 && i < p->s->n_media; i++) /* RFC 8843 §9.2: mids identify m-lines */
    for (unsigned j = i + 1; j < p->s->n_media; j++)
      if (p->s->media[i].mid[0] && strcmp(p->s->media[i].mid, p->s->media[j].mid) == 0)
        return sdp_fail(p->err, LY_EPARSE, "media.sdp_malformed", 0, "duplicate a=mid");
  return 0;
}

int sdp_parse(const char *text, size_t len, struct sdp_session *out, struct ly_error *err) {
  struct pt_info pts[SDP_MAX_MEDIA][128];
  struct parser p = {.s = out, .err = err, .pts = pts};
  memset(out, 0, sizeof *out);
  if (len > SDP_MAX_SIZE) return sdp_fail(err, LY_ETOOBIG, "media.sdp_too_large", 0, "larger than 64 KiB");
  if (memchr(text, '\0', len) != NULL) return sdp_fail(err, LY_EPARSE, "media.sdp_malformed", 0, "NUL byte");
  memset(pts, 0, sizeof pts);
  int rc = run_pass(&p, text, len, 1);
  if (rc == 0) {
    memset(out, 0, sizeof *out);
    rc = run_pass(&p, text, len, 0);
  }
  if (rc != 0) memset(out, 0, sizeof *out);
  return rc;
}

int sdp_media_ice(const struct sdp_session *s, unsigned i, const char **ufrag, const char **pwd) {
  if (i >= s->n_media) return LY_ENOTFOUND;
  const struct sdp_media *m = &s->media[i];
  *ufrag = m->ice_ufrag[0] ? m->ice_ufrag : s->ice_ufrag;
  *pwd = m->ice_pwd[0] ? m->ice_pwd : s->ice_pwd;
  return (**ufrag && **pwd) ? 0 : LY_ENOTFOUND;
}

int sdp_media_fingerprint(const struct sdp_session *s, unsigned i, const uint8_t **fp32) {
  if (i >= s->n_media) return LY_ENOTFOUND;
  if (s->media[i].has_fingerprint)
    *fp32 = s->media[i].fingerprint;
  else if (s->has_fingerprint)
    *fp32 = s->fingerprint;
  else
    return LY_ENOTFOUND;
  return 0;
}

uint8_t sdp_media_setup(const struct sdp_session *s, unsigned i) {
  if (i >= s->n_media) return SDP_SETUP_NONE;
  return s->media[i].setup != SDP_SETUP_NONE ? s->media[i].setup : s->setup;
}

const struct sdp_codec *sdp_media_codec(const struct sdp_media *m, uint8_t pt) {
  for (unsigned i = 0; i < m->n_codecs; i++)
    if (m->codecs[i].pt == pt) return &m->codecs[i];
  return NULL;
}
