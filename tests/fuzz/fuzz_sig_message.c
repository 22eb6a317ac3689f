/* tests/fuzz/fuzz_sig_message.c — libFuzzer target for the WebSocket
 * message path of signalling/: wire.c (envelope, limits) and dispatch.c with
 * every handler, on a migrated database in a temporary directory.
 * Input: one message. Each run uses a fresh socket: first the input before
 * auth (must be refused and closed), then after a patient's auth and after a
 * doctor's auth. Properties: every message gets exactly one reply, each reply
 * is JSON with ok true/false, and a pre-auth message always closes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/log.h"
#include "signalling/sig_internal.h"

static struct sig *sig;
static struct ly_db *db;
static struct ly_fake_clock clk;
static struct ly_logger lg;

static int auth(void *ud, const char *token, struct sig_account *out, struct ly_error *e) {
  (void)ud;
  memset(out, 0, sizeof(*out));
  if (strcmp(token, "p") == 0) {
    snprintf(out->id, sizeof(out->id), "acct_p");
    snprintf(out->role, sizeof(out->role), "patient");
    snprintf(out->patient_id, sizeof(out->patient_id), "pat_p");
    return 0;
  }
  if (strcmp(token, "d") == 0) {
    snprintf(out->id, sizeof(out->id), "doc_d");
    snprintf(out->role, sizeof(out->role), "doctor");
    return 0;
  }
  return ly_error_set(e, LY_EAUTH, "auth.required", "no", NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  char dir[] = "/tmp/ly_fuzz_sig_XXXXXX", path[64];
  struct ly_error e;
  (void)argc;
  (void)argv;
  if (mkdtemp(dir) == NULL) abort();
  snprintf(path, sizeof(path), "%s/f.db", dir);
  if (ly_db_open(path, &db, &e) != 0) abort();
  ly_fake_clock_init(&clk, 1781517600000LL);
  ly_logger_init(&lg, 2, LY_LOG_OFF, &clk.clock);
  struct sig_host host = {.db = db, .clock = &clk.clock, .log = &lg, .authenticate = auth};
  if (sig_create(&host, &sig) != 0) abort();
  return 0;
}

/* Pop every reply; check its shape; return how many there were. */
static int replies(struct sig_conn *c) {
  int n = 0;
  while (c->rq_head != NULL) {
    struct sig_msg *m = c->rq_head;
    c->rq_head = m->next;
    json_t *v = json_loadb((const char *)m->buf + SIG_PRE, m->len, 0, NULL);
    if (v == NULL || !json_is_boolean(json_object_get(v, "ok"))) __builtin_trap();
    json_decref(v);
    free(m);
    n++;
  }
  c->rq_tail = NULL;
  c->rq_count = 0;
  return n;
}

static void conn(struct sig_conn *c) {
  memset(c, 0, sizeof(*c));
  c->s = sig;
  c->counted = 1;
  c->rate_tokens = SIG_RATE_BURST;
  c->rate_at = clk.mono;
}

static void as(const char *token, const uint8_t *data, size_t size) {
  static const char *const fmt = "{\"id\":\"a\",\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}";
  char msg[96];
  struct sig_conn c;
  conn(&c);
  snprintf(msg, sizeof(msg), fmt, token);
  dispatch_message(sig, &c, msg, strlen(msg));
  if (replies(&c) != 1 || c.peer == NULL) __builtin_trap();
  dispatch_message(sig, &c, (const char *)data, size);
  if (replies(&c) != 1) __builtin_trap();
  if (c.peer != NULL) peer_end(sig, c.peer, "left");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct sig_conn c;
  if (size > SIG_FRAME_MAX + 16) return 0;
  conn(&c);
  dispatch_message(sig, &c, (const char *)data, size);
  int n = replies(&c);
  if (c.peer == NULL && (n != 1 || c.close_code == 0)) __builtin_trap(); /* refused and closed */
  if (c.peer != NULL) peer_end(sig, c.peer, "left");
  as("p", data, size);
  as("d", data, size);
  return 0;
}
