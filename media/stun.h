/* media/stun.h — STUN messages for ICE-lite (RFC 8489/5389, RFC 8445 §7.1).
 *
 * Parsing never allocates: a parsed struct stun_msg points into the caller's
 * buffer, which must outlive it. Writing goes through a struct stun_writer over
 * a caller-owned buffer of fixed capacity; overflow is a sticky error reported
 * by stun_writer_finish(), never a realloc. All functions are reentrant and
 * keep no state of their own.
 */
#ifndef LY_MEDIA_STUN_H
#define LY_MEDIA_STUN_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_SIZE  20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_MAX_USERNAME 513 /* RFC 8489 §14.3 */

enum stun_type {
  STUN_BINDING_REQUEST = 0x0001,
  STUN_BINDING_INDICATION = 0x0011,
  STUN_BINDING_SUCCESS = 0x0101,
  STUN_BINDING_ERROR = 0x0111,
};

enum stun_attr {
  STUN_ATTR_MAPPED_ADDRESS = 0x0001,
  STUN_ATTR_USERNAME = 0x0006,
  STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
  STUN_ATTR_ERROR_CODE = 0x0009,
  STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
  STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  STUN_ATTR_PRIORITY = 0x0024,
  STUN_ATTR_USE_CANDIDATE = 0x0025,
  STUN_ATTR_SOFTWARE = 0x8022,
  STUN_ATTR_FINGERPRINT = 0x8028,
  STUN_ATTR_ICE_CONTROLLED = 0x8029,
  STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* A parsed message. Pointers alias the parsed buffer. Only the first
 * occurrence of each attribute is kept (RFC 8489 §14); attributes after
 * MESSAGE-INTEGRITY other than FINGERPRINT are ignored (§14.5). */
struct stun_msg {
  uint16_t type;
  uint16_t length; /* body length from the header */
  uint8_t tid[12];
  const uint8_t *raw; /* the whole message */
  size_t raw_len;

  const uint8_t *username; /* not NUL-terminated */
  uint16_t username_len;
  int has_username;

  int has_integrity;
  size_t integrity_off; /* offset of the MESSAGE-INTEGRITY attribute header */
  int has_fingerprint;
  size_t fingerprint_off;

  int has_priority;
  uint32_t priority;
  int use_candidate;
  int has_ice_controlling;
  int has_ice_controlled;
  uint64_t tiebreaker;

  int has_xor_mapped;
  struct sockaddr_storage xor_mapped;

  int has_error_code;
  uint16_t error_code; /* class*100 + number */

  int unknown_required;      /* number of unknown comprehension-required attributes */
  uint16_t unknown_types[4]; /* the first ones, for a 420 response */
};

/* Cheap RFC 7983 test: could buf be a STUN message (first byte 0..3, magic
 * cookie, length consistent)? Returns 1 or 0. */
int stun_is_stun(const uint8_t *buf, size_t len);

/* Strictly parse one message occupying exactly len bytes. Returns 0, or
 * LY_EPARSE on any malformation (header, attribute bounds, attribute sizes,
 * anything after FINGERPRINT); out is then unspecified. */
int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *out);

/* Verify MESSAGE-INTEGRITY (HMAC-SHA1, short-term credential: key is the
 * password bytes). Returns 0, LY_EAUTH if absent or wrong. Constant-time. */
int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t keylen);

/* Verify FINGERPRINT. Returns 0, LY_EPARSE if absent, LY_EAUTH if wrong. */
int stun_check_fingerprint(const struct stun_msg *m);

/* The ICE short-term USERNAME is "RECEIVER_UFRAG:SENDER_UFRAG". Split it;
 * pointers alias m->username. Returns 0 or LY_EPARSE (absent, no colon). */
int stun_username_split(const struct stun_msg *m, const char **local, size_t *local_len, const char **remote,
                        size_t *remote_len);

/* CRC-32 (ISO-HDLC, as zlib) of len bytes. */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

/* Writer over a caller buffer. Errors are sticky; finish reports them. */
struct stun_writer {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int err;
  uint8_t pad; /* padding byte value, 0 by default (RFC 5769 vectors use 0x20) */
};

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type, const uint8_t tid[12]);
void stun_writer_attr(struct stun_writer *w, uint16_t type, const void *val, size_t len);
void stun_writer_u32(struct stun_writer *w, uint16_t type, uint32_t v);
void stun_writer_u64(struct stun_writer *w, uint16_t type, uint64_t v);
/* XOR-MAPPED-ADDRESS for an AF_INET or AF_INET6 address (others: LY_EINVAL). */
void stun_writer_xor_addr(struct stun_writer *w, uint16_t type, const struct sockaddr *sa);
/* MESSAGE-INTEGRITY over everything written so far. */
void stun_writer_integrity(struct stun_writer *w, const uint8_t *key, size_t keylen);
/* FINGERPRINT; must be last. */
void stun_writer_fingerprint(struct stun_writer *w);
/* Returns 0 and the total length, or the first error (LY_ETOOBIG, LY_EINVAL). */
int stun_writer_finish(struct stun_writer *w, size_t *out_len);

/* Binding success response to req with XOR-MAPPED-ADDRESS = mapped, then
 * MESSAGE-INTEGRITY keyed by our ICE password, then FINGERPRINT (RFC 8445
 * §7.3). Returns 0, LY_ETOOBIG or LY_EINVAL. */
int stun_write_binding_response(const struct stun_msg *req, const struct sockaddr *mapped, const uint8_t *pwd,
                                size_t pwdlen, uint8_t *out, size_t cap, size_t *out_len);

/* Binding request as an ICE agent sends it (used by tests and bench load
 * sources): USERNAME, PRIORITY, ICE-CONTROLLING tiebreaker, optional
 * USE-CANDIDATE, MESSAGE-INTEGRITY with the peer's pwd, FINGERPRINT. */
struct stun_request_params {
  const uint8_t *tid; /* 12 bytes */
  const char *username;
  const char *pwd;
  uint32_t priority;
  uint64_t tiebreaker;
  int use_candidate;
};
int stun_write_binding_request(const struct stun_request_params *p, uint8_t *out, size_t cap,
                               size_t *out_len);

#endif
