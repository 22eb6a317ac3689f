/* bench/loadgen/ws.c — WebSocket client connections on libwebsockets. See ws.h. */
#include "ws.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static struct lws_context *ctx;

static void inbox_push(struct ws_conn *c, json_t *m) {
  if (c->in_count == WS_INBOX) { /* drop the oldest */
    json_decref(c->inbox[c->in_head]);
    c->in_head = (c->in_head + 1) % WS_INBOX;
    c->in_count--;
    c->in_dropped++;
  }
  c->inbox[(c->in_head + c->in_count) % WS_INBOX] = m;
  c->in_count++;
  c->received++;
}

static void on_receive(struct lws *wsi, struct ws_conn *c, const void *in, size_t len) {
  if (c->rx_len + len > WS_MAX_TEXT) { /* too big for any reply we expect: drop it */
    c->rx_len = 0;
    return;
  }
  char *nb = realloc(c->rx, c->rx_len + len + 1);
  if (nb == NULL) return;
  c->rx = nb;
  memcpy(c->rx + c->rx_len, in, len);
  c->rx_len += len;
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return;
  json_t *m = json_loadb(c->rx, c->rx_len, 0, NULL);
  c->rx_len = 0;
  if (m && c->sink) {
    c->received++;
    c->sink(c, m, c->sink_ud);
  } else if (m) {
    inbox_push(c, m);
  }
}

static void on_writeable(struct lws *wsi, struct ws_conn *c) {
  if (c->out_count == 0) return;
  unsigned i = c->out_head;
  int n = lws_write(wsi, (unsigned char *)c->out[i] + LWS_PRE, c->out_len[i], LWS_WRITE_TEXT);
  free(c->out[i]);
  c->out[i] = NULL;
  c->out_head = (c->out_head + 1) % WS_OUTBOX;
  c->out_count--;
  if (n >= 0) c->sent++;
  if (c->out_count > 0) lws_callback_on_writable(wsi);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  struct ws_conn *c = user;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (c) {
        c->state = WS_OPEN;
        if (c->out_count) lws_callback_on_writable(wsi);
      }
      break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (c) on_receive(wsi, c, in, len);
      break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      if (c) on_writeable(wsi, c);
      break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
      if (c) {
        c->state = WS_CLOSED;
        c->wsi = NULL;
      }
      break;
    default:
      break;
  }
  return 0;
}

static const struct lws_protocols protocols[] = {
    {.name = "lg-client", .callback = callback, .per_session_data_size = 0, .rx_buffer_size = 65536},
    {.name = NULL}};

int ws_init(unsigned max_conns) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max; /* every connection and every media socket is a descriptor */
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  lws_set_log_level(LLL_ERR, NULL);
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.fd_limit_per_thread = max_conns + 64;
  info.gid = -1;
  info.uid = -1;
  ctx = lws_create_context(&info);
  return ctx ? 0 : -1;
}

void ws_shutdown(void) {
  if (ctx) lws_context_destroy(ctx);
  ctx = NULL;
}

struct ws_conn *ws_open(uint16_t port, const char *path, const char *subprotocol) {
  struct ws_conn *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  struct lws_client_connect_info ci;
  memset(&ci, 0, sizeof ci);
  ci.context = ctx;
  ci.address = "127.0.0.1";
  ci.port = port;
  ci.path = path;
  ci.host = "127.0.0.1";
  ci.origin = "127.0.0.1";
  ci.protocol = subprotocol;
  ci.local_protocol_name = "lg-client";
  ci.userdata = c;
  ci.pwsi = &c->wsi;
  if (lws_client_connect_via_info(&ci) == NULL) {
    free(c);
    return NULL;
  }
  return c;
}

int ws_send_text(struct ws_conn *c, const char *text, size_t len) {
  if (c->state == WS_CLOSED || c->out_count == WS_OUTBOX) return -1;
  char *b = malloc(LWS_PRE + len);
  if (b == NULL) return -1;
  memcpy(b + LWS_PRE, text, len);
  unsigned i = (c->out_head + c->out_count) % WS_OUTBOX;
  c->out[i] = b;
  c->out_len[i] = len;
  c->out_count++;
  if (c->state == WS_OPEN && c->wsi) lws_callback_on_writable(c->wsi);
  return 0;
}

int ws_send_json(struct ws_conn *c, const json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT);
  if (s == NULL) return -1;
  int rc = ws_send_text(c, s, strlen(s));
  free(s);
  return rc;
}

json_t *ws_take(struct ws_conn *c, int (*match)(const json_t *, const void *), const void *arg) {
  for (unsigned k = 0; k < c->in_count; k++) {
    unsigned i = (c->in_head + k) % WS_INBOX;
    json_t *m = c->inbox[i];
    if (!match(m, arg)) continue;
    for (unsigned j = k; j > 0; j--) /* close the gap: keep the order of the rest */
      c->inbox[(c->in_head + j) % WS_INBOX] = c->inbox[(c->in_head + j - 1) % WS_INBOX];
    c->in_head = (c->in_head + 1) % WS_INBOX;
    c->in_count--;
    return m;
  }
  return NULL;
}

void ws_clear(struct ws_conn *c) {
  while (c->in_count) {
    json_decref(c->inbox[c->in_head]);
    c->in_head = (c->in_head + 1) % WS_INBOX;
    c->in_count--;
  }
}

void ws_close(struct ws_conn *c) {
  if (c->wsi && c->state != WS_CLOSED) lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

void ws_free(struct ws_conn *c) {
  if (c == NULL) return;
  ws_clear(c);
  for (unsigned k = 0; k < c->out_count; k++)
    free(c->out[(c->out_head + k) % WS_OUTBOX]);
  free(c->rx);
  free(c);
}

void ws_service(void) {
  if (ctx) lws_service(ctx, -1); /* negative: poll without waiting */
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ws_wait(int (*pred)(void *), void *arg, int timeout_ms, void (*idle)(void *), void *idle_arg) {
  int64_t end = mono_ms() + timeout_ms;
  for (;;) {
    ws_service();
    if (pred(arg)) return 0;
    if (mono_ms() >= end) return -1;
    if (idle)
      idle(idle_arg);
    else {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
}
