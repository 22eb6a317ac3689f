/* signalling/sig_internal.h — what the files of signalling/ share with each
 * other and nobody else.
 *
 * Three lifetimes:
 *   struct sig_conn  one WebSocket (lws per-session data): socket buffers only.
 *   struct sig_peer  one authenticated participant session: made by `auth`,
 *                    survives its socket by the resume window, then expires.
 *                    Holds the replay ring of its events and its rooms.
 *   struct sig_acct  one account with peers: presence (doctors), the last
 *                    queue pushed (doctors), the peers list.
 * A room (struct sig_room) exists while it has members.
 *
 * Memory per idle authenticated socket is one sig_conn + one sig_peer (a
 * few hundred bytes): receive buffers, reply queues and replay rings are
 * allocated on first use and bounded (SIG_* below).
 */
#ifndef LY_SIG_INTERNAL_H
#define LY_SIG_INTERNAL_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stdint.h>

#include "core/err.h"
#include "core/ids.h"
#include "signalling/lifecycle.h"
#include "signalling/sig.h"

#define SIG_FRAME_MAX         (64 * 1024) /* largest message accepted */
#define SIG_JSON_DEPTH        16
#define SIG_PRE               LWS_PRE
#define SIG_REPLIES_HIGH      16 /* replies queued: stop reading this socket … */
#define SIG_REPLIES_LOW       4  /* … until they are down to this */
#define SIG_REPLIES_MAX       64 /* more than this (lws had them buffered): cut off */
#define SIG_WRITE_BATCH       16 /* messages written per WRITEABLE callback at most */
#define SIG_RING_CAP          64 /* events kept per participant for replay (power of 2) */
#define SIG_PEER_ROOMS        4  /* rooms one participant may be in */
#define SIG_ROOM_MEMBERS      8  /* participants (sockets' sessions) in one room */
#define SIG_SECRET_BYTES      16
#define SIG_TOKEN_LEN         32                /* base64url of slot(4) gen(4) secret(16) */
#define SIG_RATE_BURST        100               /* messages a socket may send at once … */
#define SIG_RATE_PER_S        50                /* … and per second after that */
#define SIG_VERIFY_TRIES      5                 /* failed re-verifications before refusal */
#define SIG_CALLED_TIMEOUT_MS (10 * 60 * 1000)  /* called but nobody came: no_show */
#define SIG_CALL_MAX_MS       (4 * 3600 * 1000) /* in_call longer than this: ended (timeout) */
#define SIG_ROOM_CLOSE_WAIT_MS 5000 /* an ended room waits this long at most for its recording's final state */
#define SIG_CHAT_MAX          2000              /* bytes of one chat message */
#define SIG_AUTH_TIMEOUT_S    10                /* a socket must authenticate this soon, or it is closed */
#define SIG_HISTORY_MAX       200               /* chat messages sent on join */

/* WebSocket close codes (RFC 6455 §7.4.2: 4000-4999 are the application's). */
#define SIG_CLOSE_AUTH_REQUIRED 4401 /* first message was not a valid auth */
#define SIG_CLOSE_AUTH_FAILED   4403 /* auth refused (token unknown/expired) */
#define SIG_CLOSE_TOO_SLOW      4408 /* the client does not read its messages */
#define SIG_CLOSE_FULL          4503 /* too many sessions */

enum sig_presence_state { SIG_AWAY = 0, SIG_ONLINE = 1, SIG_BUSY = 2 };

/* One serialised message. Replies live on their socket's queue; events live
 * in their participant's ring (one owner each, no reference counts). */
struct sig_msg {
  struct sig_msg *next;
  uint32_t seq; /* events: the participant's event number (from 1); replies: 0 */
  uint32_t len;
  unsigned char buf[]; /* SIG_PRE bytes of headroom for lws, then len bytes */
};

/* Events with seq in [lo, hi) are kept at slot[seq % SIG_RING_CAP]. */
struct sig_ring {
  uint32_t lo;
  struct sig_msg *slot[SIG_RING_CAP];
};

struct sig_acct;
struct media_event;
struct sig_room;
struct sig_conn;

struct sig_peer {
  struct sig_acct *acct;
  struct sig_peer *acct_next;
  struct sig_conn *conn; /* NULL while detached */
  int64_t detached_at;   /* monotonic ms */
  uint32_t slot, gen;
  uint8_t secret[SIG_SECRET_BYTES];
  uint8_t verified; /* doctor re-verified in this console session */
  uint8_t verify_failures;
  uint32_t next_seq;     /* seq of the next event (= ring hi) */
  struct sig_ring *ring; /* NULL until the first event */
  struct sig_room *rooms[SIG_PEER_ROOMS];
  char waiting[LY_ID_MAX]; /* the consultation this session checked in, or "" */
};

struct sig_qentry {
  char cid[LY_ID_MAX];
  char patient_account[LY_ID_MAX];
  uint32_t position;
  int64_t estimate_ms;
};

/* What a doctor's queue looked like when it was last pushed. */
struct sig_qcache {
  uint32_t n;
  struct sig_qentry e[];
};

struct sig_acct {
  struct sig_account a;
  struct sig_peer *peers;
  uint32_t npeers;
  uint32_t live; /* peers with a socket */
  uint8_t is_doctor, is_patient;
  uint8_t presence;  /* doctors: the state chosen on the console */
  uint8_t announced; /* doctors: the effective state last told to others */
  struct sig_qcache *queue;
};

struct sig_room {
  char id[LY_ID_MAX]; /* the consultation */
  char doctor_id[LY_ID_MAX];
  char patient_account[LY_ID_MAX];
  enum lc_state state;
  int64_t since_mono; /* when the room entered its current state */
  uint8_t rec;        /* recording.c: enum rec_state */
  uint8_t closing;    /* over, waiting for its recording's final state (room_close) */
  uint8_t n;
  struct sig_peer *members[SIG_ROOM_MEMBERS];
};

struct sig_conn {
  struct lws *wsi;
  struct sig *s;
  struct sig_peer *peer; /* NULL until authenticated */
  struct sig_msg *rq_head, *rq_tail;
  uint32_t rq_count;
  uint32_t send_seq; /* next event seq to write */
  char *rx;          /* a message arriving in several fragments */
  uint32_t rx_len, rx_cap;
  uint8_t rx_discard; /* dropping the rest of an oversize message */
  uint8_t rx_binary;
  uint8_t en;          /* messages in English (else Chinese) */
  uint8_t counted;     /* counted in stats.sockets */
  uint8_t rx_paused;   /* lws_rx_flow_control(0) while replies pile up */
  uint16_t close_code; /* when set: close once the replies are written */
  const char *close_reason;
  int64_t rate_at; /* token bucket: last refill (monotonic ms) */
  int32_t rate_tokens;
  json_t *req_id; /* the id of the request being handled (borrowed; see SIG_REPLY_LATER) */
};

/* A string-keyed map; keys are borrowed from the values (which outlive their entry). */
struct strmap_node;
struct strmap {
  struct strmap_node **b;
  uint32_t nb, count;
};

struct mg_part;

struct sig {
  struct sig_host host;
  struct lws_protocols protocol[2]; /* ours and a terminator; .user = this */
  struct lws_context *lws;
  lws_sorted_usec_list_t sweep;
  struct strmap accounts; /* account id → struct sig_acct */
  struct strmap rooms;    /* consultation id → struct sig_room */
  struct sig_peer **slots;
  uint32_t nslots, cap_slots;
  uint32_t *free_slots, nfree;
  uint32_t gen;
  struct sig_stats stats;
  struct mg_part *media_parts; /* media_glue.c: participants with media */
};

/* --- strmap.c ------------------------------------------------------------- */
int strmap_init(struct strmap *m, uint32_t nbuckets);
void strmap_close(struct strmap *m); /* frees the nodes, not the values */
void *strmap_get(const struct strmap *m, const char *key);
int strmap_put(struct strmap *m, const char *key, void *value); /* LY_EEXIST, LY_ENOMEM */
void *strmap_del(struct strmap *m, const char *key);            /* the value, or NULL */
/* Call fn on every value (fn must not change the map). */
void strmap_each(const struct strmap *m, void (*fn)(void *value, void *ud), void *ud);

/* --- wire.c: message framing ---------------------------------------------- */
struct wire_in {
  json_t *root; /* owned: the parsed message */
  json_t *id;   /* borrowed: string or integer, or NULL */
  const char *type;
  json_t *data; /* borrowed: an object (an empty one when absent) */
};
/* Parse one message. On failure e says why and in->id is the id when one
 * could be read (so the error reply can carry it). */
int wire_parse(const char *buf, size_t len, struct wire_in *in, struct ly_error *e);
void wire_free(struct wire_in *in);
struct sig_msg *wire_msg(const char *json, size_t len);
struct sig_msg *wire_reply_ok(json_t *id, json_t *data); /* steals data (NULL → {}) */
struct sig_msg *wire_reply_err(json_t *id, const struct ly_error *e, int en);
struct sig_msg *wire_event(const char *type, uint32_t seq, json_t *data); /* borrows data */

/* --- conn.c: sockets ------------------------------------------------------ */
int conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
/* Queue a reply (takes m); a full queue cuts the socket off. */
void conn_send_reply(struct sig_conn *c, struct sig_msg *m);
/* Close after the queued replies are written. */
void conn_close_after(struct sig_conn *c, uint16_t code, const char *reason);
/* Events became available for this socket. */
void conn_kick(struct sig_conn *c);

/* --- dispatch.c: the message table ---------------------------------------- */
void dispatch_message(struct sig *s, struct sig_conn *c, const char *buf, size_t len);
/* Reply to a message that could not be read at all (oversize, binary). */
void dispatch_refuse(struct sig_conn *c, const struct ly_error *e);

/* --- peer.c: participant sessions, resume tokens, replay ---------------- */
struct sig_acct *peer_acct_get(struct sig *s, const struct sig_account *a); /* find or make */
/* A new session for acct on socket c; its resume token into tok. */
int peer_new(struct sig *s, struct sig_acct *acct, struct sig_conn *c, struct sig_peer **out,
             char tok[SIG_TOKEN_LEN + 1]);
/* Find a detached or attached session by resume token; LY_ENOTFOUND. */
int peer_find(struct sig *s, const char *token, struct sig_peer **out);
void peer_token(const struct sig_peer *p, char tok[SIG_TOKEN_LEN + 1]);
/* Attach p to c (taking it from its old socket, if any); events after
 * last_seq are replayed. *missed is set when some of them are gone. */
void peer_attach(struct sig *s, struct sig_peer *p, struct sig_conn *c, uint32_t last_seq, int *missed);
/* The socket went away: keep p for the resume window. */
void peer_detach(struct sig *s, struct sig_peer *p);
/* The session is over (expired or ended by the server): leave everything, free. */
void peer_end(struct sig *s, struct sig_peer *p, const char *why);
/* Append an event to p's ring and wake its socket. */
void peer_event(struct sig *s, struct sig_peer *p, const char *type, json_t *data);
/* The same to every session of an account (found by id; none is fine). */
void peer_event_account(struct sig *s, const char *account_id, const char *type, json_t *data);
/* Expire detached sessions older than the resume window. */
void peer_sweep(struct sig *s, int64_t now_mono);
void peer_free_all(struct sig *s);

/* --- room.c --------------------------------------------------------------- */
struct sig_room *room_get(struct sig *s, const char *cid);
/* Join (making the room); LY_ETOOBIG when full or the peer is in too many rooms. */
int room_join(struct sig *s, const char *cid, const char *doctor_id, const char *patient_account,
              enum lc_state st, struct sig_peer *p, struct sig_room **out);
/* Leave; the room is freed when empty. why: "left" | "timeout" | "ended". */
void room_leave(struct sig *s, struct sig_room *r, struct sig_peer *p, const char *why);
/* The consultation is over: the media transports close and everyone is out
 * (consultation.state told them), the room is freed — except while it is
 * recorded: then it stays, closing, until recording.c has told it the
 * recording's final state (saved, its duration) and calls room_close_now(),
 * or SIG_ROOM_CLOSE_WAIT_MS passes (room_sweep). */
void room_close(struct sig *s, struct sig_room *r);
void room_close_now(struct sig *s, struct sig_room *r);
int room_has(const struct sig_room *r, const struct sig_peer *p);
/* 1 when a session of account id is in the room. */
int room_has_account(const struct sig_room *r, const char *account_id);
void room_event(struct sig *s, struct sig_room *r, const char *type, json_t *data,
                const struct sig_peer *except);
/* [{account_id, role, name, name_en, connected}] of the room. */
json_t *room_participants(const struct sig_room *r);
/* Time-outs: called → no_show, in_call too long → ended, closing too long → freed. */
void room_sweep(struct sig *s, int64_t now_mono);

/* --- presence.c ----------------------------------------------------------- */
const char *presence_name(int state);
int presence_parse(const char *name, int *out);
int presence_effective(const struct sig_acct *a);
/* If the doctor's effective presence changed since it was last told: tell
 * the doctor's sessions and the patients in their queue. */
void presence_changed(struct sig *s, struct sig_acct *doctor);

/* --- queue.c: doctors' waiting queues ------------------------------------- */
/* Rebuild a doctor's queue from the database and push what changed:
 * queue.position to each waiting patient whose place or estimate moved,
 * queue.updated to the doctor. */
void queue_refresh(struct sig *s, const char *doctor_id);
/* The doctor's queue as JSON items (for queue.get and queue.updated). */
int queue_items(struct sig *s, const char *doctor_id, json_t **out);
/* One patient's place: {consultation_id, position, ahead, estimated_wait_ms, doctor_presence}. */
int queue_position(struct sig *s, const char *doctor_id, const char *cid, json_t **out);
/* The average of the doctor's last consultations (ms), 10 min when none. */
int64_t queue_mean_duration(struct sig *s, const char *doctor_id);
/* Estimated wait for a patient with `ahead` people before them. */
int64_t queue_estimate(int64_t mean_ms, uint32_t ahead, int doctor_in_call, int64_t call_elapsed_ms);

/* --- notify.c: after a state change --------------------------------------- */
/* Push consultation.state to the participants and the room, keep the room's
 * state, and refresh the doctor's queue when the change touches it. */
void notify_state(struct sig *s, const char *cid, const char *from, const char *to, const char *reason);

/* --- handlers (ws_session.c, ws_call.c, ws_room.c, ws_media.c) ------------ */
typedef int (*sig_handler)(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply,
                           struct ly_error *e);
/* A handler's return value (not an LY_E* code) meaning "the reply comes
 * later": the handler took a reference to c->req_id and answers it itself
 * (media_glue.c, once the relay has answered). dispatch.c sends nothing. */
#define SIG_REPLY_LATER 1
int ws_session_auth(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_session_ping(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_session_verify(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_session_presence_set(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply,
                            struct ly_error *e);
int ws_session_presence_get(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply,
                            struct ly_error *e);
int ws_session_bye(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_session_get(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_session_resume(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_call_check_in(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_call_leave(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_call_queue(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_call_next(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_call_patient(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_call_end(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_call_no_show(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_call_cancel(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_room_join(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_room_leave(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_room_chat(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_room_history(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_media_offer(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_media_answer(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_media_subscribe(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_media_unsubscribe(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply,
                         struct ly_error *e);
int ws_media_mute(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_media_stats(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);

/* --- media_glue.c: one participant's transports on the relay ------------- *
 * Each participant session in a room (struct sig_peer × consultation) may
 * have a send transport (it publishes: its offer, the relay's answer) and a
 * receive transport (the relay offers what the others publish, it answers;
 * re-offered whenever the room's publishers change). Requests waiting for
 * the relay keep their id here and are answered from its events; one of
 * each kind at a time per participant, timed out by media_glue_sweep(). */
enum mg_dir { MG_SEND = 0, MG_RECV = 1 };
enum mg_recv_state { MG_IDLE = 0, MG_OFFERING, MG_WAIT_ANSWER, MG_APPLYING };
struct mg_wait {
  json_t *id;       /* the request's id (a reference), NULL when none waits */
  int64_t since_ms; /* monotonic */
};
struct mg_part {
  struct mg_part *next;
  struct sig_peer *peer;
  char cid[LY_ID_MAX];
  uint64_t id[2];     /* transports by enum mg_dir; 0 = none */
  uint8_t recv_state; /* enum mg_recv_state */
  uint8_t dirty;      /* the room changed while an offer/answer was under way: offer again after */
  int64_t recv_since; /* monotonic ms: when recv_state was last set */
  struct mg_wait offer, answer, stats;
  json_t *stats_items; /* media.stats: transports collected so far */
  uint8_t stats_left;  /* STATS events still expected */
};
/* The participant's media in room cid, or NULL; make: create it. */
struct mg_part *media_glue_part(struct sig *s, struct sig_peer *p, const char *cid, int make);
/* Open the transport of a direction if it is not (LY_E* from media_create_transport). */
int media_glue_open(struct sig *s, struct mg_part *mp, enum mg_dir dir);
/* Ask the relay for a (new) offer on the receive transport, or mark it to
 * be asked once the offer/answer under way is done. */
void media_glue_offer_again(struct sig *s, struct mg_part *mp);
/* Keep a request waiting for the relay (takes a reference to c->req_id). */
void media_glue_wait(struct sig *s, struct sig_conn *c, struct mg_wait *w);
/* Close the transport of a direction (its waiting requests fail). */
void media_glue_close(struct sig *s, struct mg_part *mp, enum mg_dir dir);
/* The participant left room cid / the room closed: transports closed, state freed. */
void media_glue_leave(struct sig *s, const char *cid, struct sig_peer *p);
void media_glue_room_closed(struct sig *s, const char *cid);
/* Waiting requests older than the relay should take are answered media.timeout. */
void media_glue_sweep(struct sig *s, int64_t now_mono);
/* sig_destroy: free every participant's state (no commands, no replies). */
void media_glue_free_all(struct sig *s);

/* --- recording.c: consent, and the relay's recorder for a room ------------ */
enum rec_state { REC_OFF = 0, REC_STARTING, REC_ON, REC_OVER };
/* Start recording room cid if the call is on, the patient consented and a
 * send transport exists (called when one connects, and on consent). */
void recording_maybe_start(struct sig *s, const char *cid);
/* A relay event about a recording (MEDIA_EV_RECORDING, or a refused record
 * command naming its room): handled, 1; anything else, 0. */
int recording_on_event(struct sig *s, const struct media_event *ev);
int ws_recording_consent(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);
int ws_recording_get(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e);

/* --- chat.c --------------------------------------------------------------- */
/* Store a chat message (audited) and return its JSON view. */
int chat_store(struct sig *s, const struct sig_account *from, const char *cid, const char *patient_id,
               const char *text, json_t **out, struct ly_error *e);
/* The last `limit` messages (oldest first), optionally before a time; audited as a read. */
int chat_history(struct sig *s, const struct sig_account *who, const char *cid, const char *patient_id,
                 int64_t before, int limit, json_t **out);

/* --- helpers shared by the handlers (ws_session.c) ------------------------ */
/* The consult_actor of a session. */
struct consult_actor;
void ws_actor(const struct sig_peer *p, struct consult_actor *out);
/* Read data.consultation_id (required, <= LY_ID_MAX). */
int ws_cid(json_t *data, const char **out, struct ly_error *e);

#endif
