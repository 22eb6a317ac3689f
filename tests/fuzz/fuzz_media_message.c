/* tests/fuzz/fuzz_media_message.c — libFuzzer target for the media.*
 * messages: signalling/ws_media.c and media_glue.c in front of a real relay
 * (one worker on 127.0.0.1), on a migrated database with a consultation in
 * call (patient acct_a and doctor doc_a in its room).
 *
 * Input: the first byte picks the type (media.offer, answer, subscribe,
 * unsubscribe, mute, stats; as the patient or the doctor), the rest is the
 * message's `data` object; the text "@cid" in it stands for the consultation
 * id. Properties: every message gets exactly one reply — some only once the
 * relay has answered, so the relay's events are pumped until it comes (2 s
 * at most) — and every reply is JSON with ok true/false. Every 64 inputs the
 * patient leaves the room and joins again (closing its transports). */
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/signalling/fixture.h"
#include "media/media.h"
#include "signalling/booking.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

static struct fixture fx;
static struct media *relay;
static struct sig_conn pc, dc; /* the patient's and the doctor's sockets */
static char cid[LY_ID_MAX];
static unsigned runs;

static const char *const types[] = {"media.offer",       "media.answer", "media.subscribe",
                                    "media.unsubscribe", "media.mute",   "media.stats"};

static void conn(struct sig_conn *c) {
  memset(c, 0, sizeof(*c));
  c->s = fx.sig;
  c->counted = 1;
  c->rate_tokens = SIG_RATE_BURST;
  c->rate_at = fx.clock.mono;
}

/* Pop every reply; check its shape; return how many. */
static int replies(struct sig_conn *c, int *ok) {
  int n = 0;
  while (c->rq_head != NULL) {
    struct sig_msg *m = c->rq_head;
    c->rq_head = m->next;
    json_t *v = json_loadb((const char *)m->buf + SIG_PRE, m->len, 0, NULL);
    if (v == NULL || !json_is_boolean(json_object_get(v, "ok"))) __builtin_trap();
    if (ok) *ok = json_is_true(json_object_get(v, "ok"));
    json_decref(v);
    free(m);
    n++;
  }
  c->rq_tail = NULL;
  c->rq_count = 0;
  return n;
}

/* The sockets "write" their events at once (the test has no lws to do it):
 * otherwise they would fall out of the replay ring and the socket be cut off. */
static void events_read(void) {
  if (pc.peer != NULL) pc.send_seq = pc.peer->next_seq;
  if (dc.peer != NULL) dc.send_seq = dc.peer->next_seq;
}

static int64_t mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send one message; pump the relay's events until its one reply is there. */
static int exchange(struct sig_conn *c, const char *msg, size_t len) {
  int ok = 0, n;
  c->rate_tokens = SIG_RATE_BURST;
  dispatch_message(fx.sig, c, msg, len);
  events_read();
  int64_t end = mono_now() + 2000;
  while ((n = replies(c, &ok)) == 0 && mono_now() < end) {
    struct pollfd p = {.fd = media_event_fd(relay), .events = POLLIN};
    poll(&p, 1, 10);
    sig_media_events(fx.sig);
    events_read();
  }
  if (n != 1 || replies(c, NULL) != 0) __builtin_trap();
  for (int i = 0; i < 5; i++) { /* later events (offers, state) go to the rings */
    sig_media_events(fx.sig);
    events_read();
  }
  replies(&pc, NULL); /* an answer the other socket was still owed */
  replies(&dc, NULL);
  return ok;
}

static int say(struct sig_conn *c, const char *type, const char *extra) {
  char msg[512];
  int n = snprintf(msg, sizeof(msg), "{\"id\":\"s\",\"type\":\"%s\",\"data\":{\"consultation_id\":\"%s\"%s}}",
                   type, cid, extra);
  return exchange(c, msg, (size_t)n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  char pw[LY_PASSWORD_HASH_MAX];
  struct ly_error e;
  struct consult_row row;
  (void)argc;
  (void)argv;
  snprintf(fx.dir, sizeof(fx.dir), "/tmp/ly_fuzz_media_XXXXXX");
  if (mkdtemp(fx.dir) == NULL) abort();
  snprintf(fx.path, sizeof(fx.path), "%s/f.db", fx.dir);
  if (ly_db_open(fx.path, &fx.db, &e) != 0 || ly_password_hash("secret", pw, sizeof(pw)) != 0) abort();
  ly_fake_clock_init(&fx.clock, FX_NOW);
  fx.clock.mono = 1000000;
  ly_logger_init(&fx.log, 2, LY_LOG_OFF, &fx.clock.clock);
  fx_exec_seed(&fx, pw);
  struct media_config mc = {.workers = 1, .listen_ip = "127.0.0.1"};
  if (media_start(&mc, &relay) != 0) abort();
  struct sig_host host = {
      .db = fx.db, .clock = &fx.clock.clock, .log = &fx.log, .authenticate = fx_authenticate, .media = relay};
  if (sig_create(&host, &fx.sig) != 0) abort();
  struct consult_actor pa = {"acct_a", "patient", "pat_a"};
  struct booking_request br = {.doctor_id = "doc_a", .icd10 = "I10"};
  if (booking_create(fx.db, &fx.clock.clock, NULL, &pa, &br, &row, &e) != 0) abort();
  snprintf(cid, sizeof(cid), "%s", row.id);
  conn(&pc);
  conn(&dc);
  static const char auth_p[] = "{\"id\":\"a\",\"type\":\"auth\",\"data\":{\"token\":\"tok-a\"}}";
  static const char auth_d[] = "{\"id\":\"a\",\"type\":\"auth\",\"data\":{\"token\":\"tok-doc\"}}";
  static const char verify[] = "{\"id\":\"v\",\"type\":\"doctor.verify\",\"data\":{\"password\":\"secret\"}}";
  if (!exchange(&pc, auth_p, strlen(auth_p)) || !exchange(&dc, auth_d, strlen(auth_d)) ||
      !exchange(&dc, verify, strlen(verify)) || !say(&pc, "queue.check_in", "") ||
      !say(&dc, "call.patient", "") || !say(&pc, "room.join", ""))
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char msg[SIG_FRAME_MAX];
  if (size < 1 || size > 16384) return 0;
  struct sig_conn *c = (data[0] & 0x80) ? &dc : &pc;
  const char *type = types[(data[0] & 0x7f) % (sizeof(types) / sizeof(types[0]))];
  int n = snprintf(msg, sizeof(msg), "{\"id\":\"f\",\"type\":\"%s\",\"data\":", type);
  for (size_t i = 1; i < size && n < (int)sizeof(msg) - 64; i++) {
    if (i + 4 <= size && memcmp(data + i, "@cid", 4) == 0) {
      n += snprintf(msg + n, sizeof(msg) - (size_t)n, "%s", cid);
      i += 3;
    } else {
      msg[n++] = (char)data[i];
    }
  }
  msg[n++] = '}';
  exchange(c, msg, (size_t)n);
  if (++runs % 64 == 0) { /* leave and come back: the transports close, the room renegotiates */
    say(&pc, "room.leave", "");
    say(&pc, "room.join", "");
  }
  return 0;
}
