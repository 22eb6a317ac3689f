/* signalling/sig.c — making and freeing the signalling service (sig.h). */
#include "signalling/sig.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

#define SIG_PROTOCOL_NAME "lianyi-signalling"
#define RESUME_DEFAULT_MS 30000
#define SESSIONS_DEFAULT  20000
/* lws reads a frame into a per-connection buffer of this size (allocated on
 * the first message): small keeps idle sessions cheap; larger messages
 * simply arrive in several pieces (conn.c gathers them). */
#define RX_CHUNK 1024

_Static_assert(SIG_RING_CAP > 0 && (SIG_RING_CAP & (SIG_RING_CAP - 1)) == 0,
               "ring size must be a power of 2");

/* pvo "default" makes our protocol the vhost's default for WebSocket
 * upgrades that name no subprotocol (lws_process_ws_upgrade). */
static const struct lws_protocol_vhost_options pvo_default = {NULL, NULL, "default", "1"};
static const struct lws_protocol_vhost_options pvo = {NULL, &pvo_default, SIG_PROTOCOL_NAME, ""};

const struct lws_protocol_vhost_options *sig_vhost_options(void) {
  return &pvo;
}

const struct lws_protocols *sig_protocol(struct sig *s) {
  return &s->protocol[0];
}

int sig_create(const struct sig_host *host, struct sig **out) {
  struct sig *s = calloc(1, sizeof(*s));
  int changed = 0;

  *out = NULL;
  if (s == NULL) return LY_ENOMEM;
  s->host = *host;
  if (s->host.resume_window_ms <= 0) s->host.resume_window_ms = RESUME_DEFAULT_MS;
  if (s->host.max_sessions <= 0) s->host.max_sessions = SESSIONS_DEFAULT;
  s->protocol[0].name = SIG_PROTOCOL_NAME;
  s->protocol[0].callback = conn_callback;
  s->protocol[0].per_session_data_size = sizeof(struct sig_conn);
  s->protocol[0].rx_buffer_size = RX_CHUNK;
  s->protocol[0].user = s;
  int rc = strmap_init(&s->accounts, 256);
  if (rc == 0) rc = strmap_init(&s->rooms, 64);
  if (rc == 0) rc = consult_normalise(s->host.db, s->host.clock, "server_restart", &changed);
  if (rc != 0) {
    sig_destroy(s);
    return rc;
  }
  if (changed > 0)
    LY_INFO(s->host.log, "sig.normalised", "%d consultation(s) left live by the last run were reset",
            changed);
  *out = s;
  return 0;
}

static void free_room(void *value, void *ud) {
  free(value);
}

static void free_acct(void *value, void *ud) {
  struct sig_acct *a = value;
  free(a->queue);
  free(a);
}

void sig_destroy(struct sig *s) {
  int ended = 0;
  if (s == NULL) return;
  /* Nobody can be connected any more: calls end cleanly, queues empty. */
  if (s->host.db != NULL && consult_normalise(s->host.db, s->host.clock, "server_shutdown", &ended) == 0 &&
      ended > 0)
    LY_INFO(s->host.log, "sig.shutdown", "%d live consultation(s) ended or returned to booked", ended);
  media_glue_free_all(s);
  peer_free_all(s);
  if (s->rooms.b != NULL) strmap_each(&s->rooms, free_room, NULL);
  if (s->accounts.b != NULL) strmap_each(&s->accounts, free_acct, NULL);
  strmap_close(&s->rooms);
  strmap_close(&s->accounts);
  free(s);
}

void sig_stats_get(const struct sig *s, struct sig_stats *out) {
  if (s == NULL) {
    memset(out, 0, sizeof(*out));
    return;
  }
  *out = s->stats;
}

void sig_push_account(struct sig *s, const char *account_id, const char *type, json_t *data) {
  if (s != NULL && account_id != NULL && account_id[0] != '\0') peer_event_account(s, account_id, type, data);
}
