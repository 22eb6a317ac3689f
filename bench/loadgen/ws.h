/* bench/loadgen/ws.h — WebSocket client connections for the load generator
 * (libwebsockets client, JSON text messages through jansson).
 *
 * One process-wide context (ws_init / ws_shutdown) serves every connection;
 * everything runs on the thread that calls ws_service(), which never blocks.
 * Each connection keeps an inbox of the JSON messages it received, oldest
 * first (at most WS_INBOX; when full the oldest is dropped and counted), from
 * which callers take what they wait for with ws_take().
 *
 * Ownership: struct ws_conn is allocated by ws_open() and freed by
 * ws_free() (after ws_close(), or once it is closed). Messages taken from an
 * inbox belong to the caller (json_decref).
 */
#ifndef LG_WS_H
#define LG_WS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define WS_INBOX    64
#define WS_OUTBOX   256
#define WS_MAX_TEXT (256 * 1024)

enum ws_state { WS_CONNECTING = 0, WS_OPEN, WS_CLOSED };

struct ws_conn {
  struct lws *wsi;
  int state; /* enum ws_state */
  char *rx;  /* fragments of the message being received */
  size_t rx_len;
  json_t *inbox[WS_INBOX];
  unsigned in_head, in_count;
  uint64_t in_dropped;
  char *out[WS_OUTBOX]; /* LWS_PRE bytes of room, then the text */
  size_t out_len[WS_OUTBOX];
  unsigned out_head, out_count;
  uint64_t received, sent;
  /* if set, messages go here instead of the inbox (the receiver owns them) */
  void (*sink)(struct ws_conn *c, json_t *msg, void *ud);
  void *sink_ud;
};

/* Make the client context; max_conns sizes it (the process's descriptor
 * limit is raised to fit). Returns 0 or -1. */
int ws_init(unsigned max_conns);
void ws_shutdown(void);

/* Start connecting to ws://127.0.0.1:port/path with an optional subprotocol
 * (NULL for none). Returns NULL on error; state is WS_CONNECTING until open. */
struct ws_conn *ws_open(uint16_t port, const char *path, const char *subprotocol);
/* Queue a text message (copied). Returns 0, or -1 when closed or the outbox
 * is full. */
int ws_send_text(struct ws_conn *c, const char *text, size_t len);
/* Serialise and queue j (not consumed). */
int ws_send_json(struct ws_conn *c, const json_t *j);
/* Take the oldest inbox message for which match(msg, arg) is nonzero, or
 * NULL. */
json_t *ws_take(struct ws_conn *c, int (*match)(const json_t *msg, const void *arg), const void *arg);
/* Drop everything in the inbox. */
void ws_clear(struct ws_conn *c);
void ws_close(struct ws_conn *c);
void ws_free(struct ws_conn *c);

/* Run the event loop once without waiting (pending reads, writes, timers). */
void ws_service(void);
/* Service until pred(arg) or timeout_ms pass, calling idle(idle_arg) between
 * rounds (the media pump, so ICE and DTLS go on meanwhile). Returns 0 when
 * pred held, -1 on timeout. */
int ws_wait(int (*pred)(void *), void *arg, int timeout_ms, void (*idle)(void *), void *idle_arg);

#endif
