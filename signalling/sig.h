/* signalling/sig.h — the WebSocket signalling service (DESIGN §8).
 *
 * One struct sig per server, made with sig_create() before the lws context
 * and freed with sig_destroy() after it. Everything here runs on the lws
 * service thread; nothing is thread-safe. The server lends the database, the
 * clock, the logger and a token resolver through struct sig_host (signalling
 * knows nothing of HTTP or of how sessions are stored).
 *
 * The protocol itself (messages, events, error codes, the state diagram) is
 * documented in docs/signalling.md.
 */
#ifndef LY_SIG_H
#define LY_SIG_H

#include <jansson.h>
#include <stdint.h>

struct ly_db;
struct ly_clock;
struct ly_logger;
struct ly_keys;
struct ly_error;
struct lws;
struct lws_protocols;
struct lws_protocol_vhost_options;
struct media;
struct sig;

/* The authenticated account behind a session token. */
struct sig_account {
  char id[48];
  char role[16]; /* "patient", "doctor", "pharmacist", … */
  char name[96];
  char name_en[96];
  char patient_id[48]; /* patients: their patients.id */
  char facility_id[48];
};

/* What the server lends signalling. Copied by sig_create; db, clock, log and
 * keys must outlive the struct sig. */
struct sig_host {
  struct ly_db *db;
  const struct ly_clock *clock;
  const struct ly_logger *log;
  const struct ly_keys *keys;
  /* Resolve a bearer session token: 0 and *out, or LY_EAUTH with e filled
   * (auth.required / auth.session_expired). Never logs the token. */
  int (*authenticate)(void *ud, const char *token, struct sig_account *out, struct ly_error *e);
  void *ud;
  /* Before a socket becomes a WebSocket (request headers still readable):
   * 1 when the host refused it and answered the request itself (e.g. a 503
   * over a connection limit), -1 to hang up, 0 to go on. NULL: always go on. */
  int (*upgrade_refused)(void *ud, struct lws *wsi);
  int64_t resume_window_ms; /* how long a dropped participant may resume; 0 → 30000 */
  int64_t max_sessions;     /* most simultaneous sockets; 0 → 20000 */
  /* The media relay (media/media.h), lent; it must outlive the struct sig.
   * NULL: the media.* messages answer media.not_live. Its events come in
   * through sig_media_events(). */
  struct media *media;
  /* The data directory (recordings go to DATA/recordings/), lent; NULL: no
   * recordings. */
  const char *data_dir;
};

/* Make the service and normalise consultations left in a live state by a
 * previous run (waiting/called → booked, in_call → ended), audited as the
 * system. 0 or LY_ENOMEM / a database error. */
int sig_create(const struct sig_host *host, struct sig **out);
/* End what no socket can carry on (in_call → ended, waiting/called →
 * booked; reason "server_shutdown", audited) and free everything; NULL is
 * fine. Call after the lws context is destroyed, before the database closes. */
void sig_destroy(struct sig *s);

/* The lws protocol serving /ws (name "lianyi-signalling"). Add it to the
 * vhost's protocol list after the HTTP protocol; its `user` is s. */
const struct lws_protocols *sig_protocol(struct sig *s);
/* Per-vhost options that make this protocol the vhost's default for
 * WebSocket upgrades without a Sec-WebSocket-Protocol header (browsers'
 * `new WebSocket(url)`); HTTP requests still go to protocols[0]. Static. */
const struct lws_protocol_vhost_options *sig_vhost_options(void);

/* A doctor's presence as shown to patients: "online", "busy" or "away". */
const char *sig_presence(struct sig *s, const char *doctor_account_id);

/* Tell connected participants that a consultation changed outside the
 * socket layer (REST booking or cancel): pushes consultation.state to its
 * participants and rebuilds the doctor's queue. from may be NULL. */
void sig_consultation_changed(struct sig *s, const char *consultation_id, const char *from, const char *to);

/* Push an event {"type", "data"} (no id) to every session of an account,
 * for changes made outside the socket layer (a prescription dispatched to a
 * pharmacy, a dispense the patient is waiting for). data is borrowed; an
 * account with no session is fine (the event is simply not sent). */
void sig_push_account(struct sig *s, const char *account_id, const char *type, json_t *data);

/* Handle the relay's pending events (call when media_event_fd() is
 * readable): answers to media.offer / media.answer / media.stats, the
 * relay's offers to subscribers, media.state to the rooms. Handles at most
 * a batch per call; the fd stays readable while more are pending. */
void sig_media_events(struct sig *s);

/* Counters for /metrics and the bench. */
struct sig_stats {
  uint64_t sockets;      /* open WebSocket connections */
  uint64_t peers;        /* authenticated participants, attached or resumable */
  uint64_t detached;     /* of those, waiting for a resume */
  uint64_t rooms;        /* rooms with members */
  uint64_t messages_in;  /* requests received since start */
  uint64_t messages_out; /* replies and events sent */
  uint64_t cut_off;      /* slow consumers disconnected */
};
void sig_stats_get(const struct sig *s, struct sig_stats *out);

#endif
