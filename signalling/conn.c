/* signalling/conn.c — the lws protocol: one struct sig_conn per WebSocket.
 *
 * Receiving: a message that arrives in one piece is parsed straight from
 * lws's buffer; one that arrives in fragments is gathered in a buffer that
 * grows to at most SIG_FRAME_MAX. A bigger message is not gathered: the rest
 * of it is read and dropped, then one error reply (request.too_large) is
 * sent and the connection goes on.
 *
 * Sending: one message per WRITEABLE callback (lws's rule): first the
 * replies in order, then the participant's events from its replay ring.
 * When SIG_REPLIES_HIGH replies are waiting the socket is not read any more
 * (lws rx flow control) until they are down to SIG_REPLIES_LOW, so a client
 * that pipelines requests without reading answers only stalls itself. A
 * socket whose unsent events fall out of the ring (or that somehow passes
 * SIG_REPLIES_MAX replies) is cut off (close 4408): a slow client cannot make
 * the server's memory grow. Its session stays resumable.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "signalling/sig_internal.h"

#define SWEEP_INTERVAL_US (1000 * LWS_US_PER_MS)
#define RX_FIRST_CAP      4096

static void sweep_cb(lws_sorted_usec_list_t *sul) {
  struct sig *s = lws_container_of(sul, struct sig, sweep);
  int64_t now = ly_mono_ms(s->host.clock);
  peer_sweep(s, now);
  room_sweep(s, now);
  media_glue_sweep(s, now);
  lws_sul_schedule(s->lws, 0, &s->sweep, sweep_cb, SWEEP_INTERVAL_US);
}

/* Ask lws for a WRITEABLE callback. Unit tests drive a conn without a
 * socket (wsi NULL): replies then just stay queued for the test to read. */
static void wake(struct sig_conn *c) {
  if (c->wsi != NULL) lws_callback_on_writable(c->wsi);
}

static void rx_reset(struct sig_conn *c) {
  free(c->rx);
  c->rx = NULL;
  c->rx_len = c->rx_cap = 0;
}

static void free_replies(struct sig_conn *c) {
  while (c->rq_head != NULL) {
    struct sig_msg *m = c->rq_head;
    c->rq_head = m->next;
    free(m);
  }
  c->rq_tail = NULL;
  c->rq_count = 0;
}

/* Drop the socket now (lws closes it on its next turn; CLOSED follows). */
static void cut_off(struct sig_conn *c) {
  if (c->close_code == SIG_CLOSE_TOO_SLOW) return;
  free_replies(c);
  c->close_code = SIG_CLOSE_TOO_SLOW;
  c->close_reason = "too slow: messages were not read";
  c->s->stats.cut_off++;
  LY_WARN(c->s->host.log, "sig.cut_off", "a WebSocket client was not reading its messages; disconnected");
  if (c->wsi != NULL) lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

void conn_send_reply(struct sig_conn *c, struct sig_msg *m) {
  if (c->close_code == SIG_CLOSE_TOO_SLOW) {
    free(m);
    return;
  }
  if (m == NULL || c->rq_count >= SIG_REPLIES_MAX) {
    free(m);
    cut_off(c);
    return;
  }
  if (c->rq_tail != NULL)
    c->rq_tail->next = m;
  else
    c->rq_head = m;
  c->rq_tail = m;
  c->rq_count++;
  if (c->rq_count >= SIG_REPLIES_HIGH && !c->rx_paused && c->wsi != NULL) {
    lws_rx_flow_control(c->wsi, 0); /* backpressure: read no more until the replies are out */
    c->rx_paused = 1;
  }
  wake(c);
}

void conn_close_after(struct sig_conn *c, uint16_t code, const char *reason) {
  if (c->close_code != 0) return;
  c->close_code = code;
  c->close_reason = reason;
  wake(c);
}

void conn_kick(struct sig_conn *c) {
  struct sig_peer *p = c->peer;
  if (p != NULL && p->ring != NULL && c->send_seq < p->ring->lo) {
    cut_off(c); /* events it never got were pushed out of the ring */
    return;
  }
  wake(c);
}

static void refuse_too_large(struct sig_conn *c) {
  struct ly_error e;
  ly_error_set(&e, LY_ETOOBIG, "request.too_large", "A message may be at most 64 KiB.",
               "消息不能超过 64 KiB。");
  dispatch_refuse(c, &e);
}

static void handle(struct sig_conn *c, const char *buf, size_t len) {
  if (c->rx_binary) {
    struct ly_error e;
    ly_error_set(&e, LY_EINVAL, "request.binary", "Messages are JSON text frames, not binary.",
                 "消息须为 JSON 文本帧，而非二进制帧。");
    dispatch_refuse(c, &e);
    return;
  }
  dispatch_message(c->s, c, buf, len);
}

static int append(struct sig_conn *c, const char *in, size_t len) {
  size_t need = (size_t)c->rx_len + len;
  if (need > c->rx_cap) {
    size_t cap = c->rx_cap ? c->rx_cap : RX_FIRST_CAP;
    while (cap < need)
      cap *= 2;
    if (cap > SIG_FRAME_MAX) cap = SIG_FRAME_MAX;
    char *p = realloc(c->rx, cap);
    if (p == NULL) return LY_ENOMEM;
    c->rx = p;
    c->rx_cap = (uint32_t)cap;
  }
  memcpy(c->rx + c->rx_len, in, len);
  c->rx_len = (uint32_t)need;
  return 0;
}

static int on_receive(struct sig_conn *c, const char *in, size_t len) {
  int final = lws_is_final_fragment(c->wsi);

  if (c->close_code != 0) return 0; /* closing: input is ignored */
  if (c->rx_discard) {
    if (final) {
      c->rx_discard = 0;
      refuse_too_large(c);
    }
    return 0;
  }
  if (c->rx_len == 0) c->rx_binary = (uint8_t)lws_frame_is_binary(c->wsi);
  if (final && c->rx_len == 0) {
    handle(c, in, len);
    return 0;
  }
  if ((size_t)c->rx_len + len > SIG_FRAME_MAX || append(c, in, len) != 0) {
    rx_reset(c);
    if (final)
      refuse_too_large(c);
    else
      c->rx_discard = 1;
    return 0;
  }
  if (final) {
    handle(c, c->rx, c->rx_len);
    rx_reset(c);
  }
  return 0;
}

/* The next message to write: a reply (taken off the queue) or the next event. */
static struct sig_msg *next_out(struct sig_conn *c, int *is_reply) {
  if (c->rq_head != NULL) {
    struct sig_msg *m = c->rq_head;
    c->rq_head = m->next;
    if (c->rq_head == NULL) c->rq_tail = NULL;
    c->rq_count--;
    *is_reply = 1;
    return m;
  }
  *is_reply = 0;
  struct sig_peer *p = c->peer;
  if (p == NULL || p->ring == NULL || c->close_code != 0) return NULL;
  if (c->send_seq < p->ring->lo) c->send_seq = p->ring->lo;
  if (c->send_seq >= p->next_seq) return NULL;
  return p->ring->slot[c->send_seq % SIG_RING_CAP];
}

static int more_out(const struct sig_conn *c) {
  const struct sig_peer *p = c->peer;
  if (c->rq_head != NULL) return 1;
  return c->close_code == 0 && p != NULL && p->ring != NULL && c->send_seq < p->next_seq;
}

/* Write one message; -1 when the socket failed. */
static int write_one(struct sig_conn *c) {
  int is_reply;
  struct sig_msg *m = next_out(c, &is_reply);
  if (m == NULL) return 0;
  int n = lws_write(c->wsi, m->buf + SIG_PRE, m->len, LWS_WRITE_TEXT);
  uint32_t len = m->len;
  if (is_reply)
    free(m);
  else
    c->send_seq++;
  if (n < (int)len) return -1;
  c->s->stats.messages_out++;
  return 1;
}

/* Up to SIG_WRITE_BATCH messages per callback, while the kernel takes them
 * whole (lws_send_pipe_choked: nothing partial pending, socket writable). */
static int on_writeable(struct sig_conn *c) {
  if (c->close_code == SIG_CLOSE_TOO_SLOW) return -1;
  for (int i = 0; i < SIG_WRITE_BATCH && more_out(c); i++) {
    if (i > 0 && lws_send_pipe_choked(c->wsi)) break;
    if (write_one(c) < 0) return -1;
  }
  if (c->rx_paused && c->rq_count <= SIG_REPLIES_LOW) {
    lws_rx_flow_control(c->wsi, 1);
    c->rx_paused = 0;
  }
  if (more_out(c)) {
    lws_callback_on_writable(c->wsi);
    return 0;
  }
  if (c->close_code != 0) {
    const char *r = c->close_reason ? c->close_reason : "";
    lws_close_reason(c->wsi, (enum lws_close_status)c->close_code, (unsigned char *)r, strlen(r));
    return -1;
  }
  return 0;
}

static int on_established(struct sig *s, struct lws *wsi, struct sig_conn *c) {
  memset(c, 0, sizeof(*c));
  c->wsi = wsi;
  c->s = s;
  c->counted = 1;
  c->rate_tokens = SIG_RATE_BURST;
  c->rate_at = ly_mono_ms(s->host.clock);
  s->stats.sockets++;
  /* an idle socket that never authenticates would hold a connection for ever
   * (a slow-loris): lws closes it; dispatch.c lifts this once it has */
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_REASON_BASE, SIG_AUTH_TIMEOUT_S);
  if ((int64_t)s->stats.sockets > s->host.max_sessions)
    conn_close_after(c, SIG_CLOSE_FULL, "too many sessions");
  return 0;
}

static void on_closed(struct sig *s, struct sig_conn *c) {
  if (!c->counted) return;
  if (c->peer != NULL && c->peer->conn == c) peer_detach(s, c->peer);
  c->peer = NULL;
  free_replies(c);
  rx_reset(c);
  c->counted = 0;
  s->stats.sockets--;
}

/* Only the /ws path upgrades to this protocol. */
static int filter(struct lws *wsi) {
  char uri[16];
  int n = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
  if (n <= 0 || (size_t)n >= sizeof(uri)) return 1;
  if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0) return 1;
  return strcmp(uri, "/ws") != 0;
}

int conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  const struct lws_protocols *proto = lws_get_protocol(wsi);
  struct sig *s = proto ? proto->user : NULL;
  struct sig_conn *c = user;

  if (s == NULL) return 0;
  switch (reason) {
    case LWS_CALLBACK_PROTOCOL_INIT:
      s->lws = lws_get_context(wsi);
      lws_sul_schedule(s->lws, 0, &s->sweep, sweep_cb, SWEEP_INTERVAL_US);
      return 0;
    case LWS_CALLBACK_PROTOCOL_DESTROY:
      lws_sul_cancel(&s->sweep);
      return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: /* to the protocol upgraded to (lws 4.1), so here */
      return s->host.upgrade_refused ? s->host.upgrade_refused(s->host.ud, wsi) : 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return filter(wsi);
    case LWS_CALLBACK_ESTABLISHED:
      return on_established(s, wsi, c);
    case LWS_CALLBACK_RECEIVE:
      return c->counted ? on_receive(c, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return c->counted ? on_writeable(c) : 0;
    case LWS_CALLBACK_CLOSED:
      on_closed(s, c);
      return 0;
    default:
      return 0;
  }
}
