/* tests/unit/media/interop/harness.c — the relay behind a JSON-lines pipe, for
 * chromium_loopback.mjs (a manual interop check with a real browser; not run by
 * CTest). One command per stdin line, one reply per stdout line:
 *   {"op":"create","room","label","kind":"send"|"recv"}  {"op":"apply","id","type","sdp"}
 *   {"op":"subscribe","id"}  {"op":"stats","id"}
 * Build: cc -D_GNU_SOURCE -I. tests/unit/media/interop/harness.c media/*.c core/err.c core/clock.c \
 *        core/log.c -lssl -lcrypto -lsrtp2 -ljansson -lpthread -o /tmp/relay-harness */
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "media/media.h"
static struct media *m;
static struct media_event *wait_for(uint64_t id, int a, int b) {
  for (int i = 0; i < 1000; i++) {
    struct media_event *ev;
    while ((ev = media_next_event(m))) {
      fprintf(stderr, "[event %d id %llu %s]\n", ev->type, (unsigned long long)ev->transport_id, ev->code);
      if (ev->transport_id == id && (ev->type == a || ev->type == b || ev->type == MEDIA_EV_ERROR)) return ev;
      media_event_free(ev);
    }
    struct pollfd p = {.fd = media_event_fd(m), .events = POLLIN};
    poll(&p, 1, 10);
  }
  return NULL;
}
int main(void) {
  struct media_config cfg = {.workers = 1, .listen_ip = "127.0.0.1"};
  if (media_start(&cfg, &m)) return 1;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, stdin) > 0) {
    json_t *j = json_loads(line, 0, NULL), *out = json_object();
    const char *op = json_string_value(json_object_get(j, "op"));
    uint64_t id = (uint64_t)json_integer_value(json_object_get(j, "id"));
    struct media_event *ev = NULL;
    if (!strcmp(op, "create")) {
      const char *kind = json_string_value(json_object_get(j, "kind"));
      media_create_transport(m, json_string_value(json_object_get(j, "room")),
                             json_string_value(json_object_get(j, "label")),
                             !strcmp(kind, "send") ? MEDIA_SEND : MEDIA_RECV, &id);
      ev = wait_for(id, MEDIA_EV_CREATED, -1);
    } else if (!strcmp(op, "apply")) {
      const char *sdp = json_string_value(json_object_get(j, "sdp"));
      media_apply_remote(m, id,
                         !strcmp(json_string_value(json_object_get(j, "type")), "offer") ? MEDIA_SDP_OFFER
                                                                                         : MEDIA_SDP_ANSWER,
                         sdp, strlen(sdp));
      ev = wait_for(id, MEDIA_EV_LOCAL_SDP, -1);
    } else if (!strcmp(op, "subscribe")) {
      media_subscribe(m, id);
      ev = wait_for(id, MEDIA_EV_LOCAL_SDP, -1);
    } else if (!strcmp(op, "record") || !strcmp(op, "unrecord")) {
      const char *room = json_string_value(json_object_get(j, "room"));
      if (!strcmp(op, "record"))
        media_record_start(m, room, json_string_value(json_object_get(j, "path")));
      else
        media_record_stop(m, room);
      ev = wait_for(0, MEDIA_EV_RECORDING, -1);
    } else if (!strcmp(op, "close")) {
      media_close_transport(m, id);
      ev = wait_for(id, MEDIA_EV_CLOSED, -1);
    } else if (!strcmp(op, "stats")) {
      media_request_stats(m, id);
      ev = wait_for(id, MEDIA_EV_STATS, -1);
    }
    json_object_set_new(out, "id", json_integer((json_int_t)id));
    if (ev) {
      json_object_set_new(out, "type", json_integer(ev->type));
      if (ev->sdp) json_object_set_new(out, "sdp", json_string(ev->sdp));
      if (ev->code[0]) json_object_set_new(out, "error", json_string(ev->code));
      json_object_set_new(out, "message", json_string(ev->message));
      json_object_set_new(out, "in", json_integer((json_int_t)ev->stats.packets_in));
      json_object_set_new(out, "out", json_integer((json_int_t)ev->stats.packets_out));
      json_object_set_new(out, "rtt", json_integer(ev->stats.rtt_ms));
      json_object_set_new(out, "nacks", json_integer((json_int_t)ev->stats.nacks_in));
      json_object_set_new(out, "plis", json_integer((json_int_t)ev->stats.plis_in));
      json_object_set_new(out, "connected", json_integer(ev->stats.connected));
      json_object_set_new(out, "duration_ms", json_integer(ev->duration_ms));
      media_event_free(ev);
    }
    char *s = json_dumps(out, JSON_COMPACT);
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    json_decref(out);
    json_decref(j);
  }
  media_stop(m);
  return 0;
}
