/* bench/loadgen/janus.c — the Janus adapter: the Janus API over its
 * WebSockets transport (subprotocol "janus-protocol") and the VideoRoom
 * plugin, as a browser application would use them.
 *
 * Each participant has its own WebSocket connection and Janus session with
 * two VideoRoom handles: a publisher ("joinandconfigure" with our offer,
 * Janus answers) and a subscriber to the others' feeds in one PeerConnection
 * ("join" as subscriber with a streams list, Janus offers, "start" with our
 * answer). Sessions get a keepalive every 20 s (session_timeout is 60 s). An
 * extra connection creates one room per consultation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"

#define KEEPALIVE_US 20000000
#define CALL_MS      10000
#define CONNECT_MS   20000

struct jn {
  struct ws_conn *admin; /* freed by main after ws_shutdown (g->admin_ws) */
  uint64_t session, handle;
  int64_t next_keepalive_us;
  uint64_t room_base; /* room ids of this run: room_base + r (Janus may hold rooms of an earlier run) */
};

struct wait_reply {
  struct ws_conn *c;
  const char *tx;
  json_t *got;
};

static int match_tx(const json_t *m, const void *arg) {
  const char *t = json_string_value(json_object_get(m, "transaction"));
  const char *j = json_string_value(json_object_get(m, "janus"));
  return t && j && strcmp(t, arg) == 0 && strcmp(j, "ack") != 0;
}

static int reply_arrived(void *arg) {
  struct wait_reply *w = arg;
  w->got = ws_take(w->c, match_tx, w->tx);
  return w->got != NULL || w->c->state == WS_CLOSED;
}

/* Send req (consumed) with a fresh transaction and wait for its reply (a
 * "success", "error" or the plugin's "event"), pumping media meanwhile.
 * Returns the reply (caller's) or NULL. */
static json_t *call(struct lg *g, struct ws_conn *c, json_t *req) {
  char tx[32];
  snprintf(tx, sizeof tx, "t%llu", (unsigned long long)lg_next_id(g));
  json_object_set_new(req, "transaction", json_string(tx));
  int rc = ws_send_json(c, req);
  json_decref(req);
  struct wait_reply w = {c, tx, NULL};
  if (rc != 0 || ws_wait(reply_arrived, &w, CALL_MS, lg_pump, g) != 0 || w.got == NULL) {
    lg_log("janus: no reply to %s", tx);
    return NULL;
  }
  return w.got;
}

static uint64_t data_id(json_t *reply) {
  json_t *id = json_object_get(json_object_get(reply, "data"), "id");
  return json_is_integer(id) ? (uint64_t)json_integer_value(id) : 0;
}

static json_t *plugin_data(json_t *reply) {
  return json_object_get(json_object_get(reply, "plugindata"), "data");
}

static const char *plugin_error(json_t *reply) {
  json_t *d = plugin_data(reply);
  const char *e = json_string_value(json_object_get(d, "error"));
  if (e) return e;
  e = json_string_value(json_object_get(json_object_get(reply, "error"), "reason"));
  return e ? e : (reply ? NULL : "no reply");
}

static int conn_open(void *arg) {
  return ((struct ws_conn *)arg)->state != WS_CONNECTING;
}

static struct ws_conn *open_conn(struct lg *g) {
  struct ws_conn *c = ws_open(g->cfg.port, "/", "janus-protocol");
  if (c == NULL || ws_wait(conn_open, c, CONNECT_MS, lg_pump, g) != 0 || c->state != WS_OPEN) {
    lg_log("janus: cannot connect to ws://127.0.0.1:%u", g->cfg.port);
    return NULL;
  }
  return c;
}

static uint64_t create_session(struct lg *g, struct ws_conn *c) {
  json_t *r = call(g, c, json_pack("{s:s}", "janus", "create"));
  uint64_t id = data_id(r);
  json_decref(r);
  return id;
}

static uint64_t attach(struct lg *g, struct ws_conn *c, uint64_t session) {
  json_t *r = call(g, c,
                   json_pack("{s:s,s:I,s:s}", "janus", "attach", "session_id", (json_int_t)session, "plugin",
                             "janus.plugin.videoroom"));
  uint64_t id = data_id(r);
  json_decref(r);
  return id;
}

/* A VideoRoom request on a handle, with an optional jsep. */
static json_t *message(struct lg *g, struct ws_conn *c, uint64_t session, uint64_t handle, json_t *body,
                       const char *jsep_type, const char *sdp) {
  json_t *req = json_pack("{s:s,s:I,s:I,s:o}", "janus", "message", "session_id", (json_int_t)session,
                          "handle_id", (json_int_t)handle, "body", body);
  if (jsep_type)
    json_object_set_new(req, "jsep", json_pack("{s:s,s:s,s:b}", "type", jsep_type, "sdp", sdp, "trickle", 0));
  return call(g, c, req);
}

static int jn_init(struct lg *g) {
  struct jn *j = calloc(1, sizeof *j);
  if (j == NULL) return -1;
  g->server = j;
  j->room_base = 1000000 + (uint64_t)(lg_now_us() % 1000000) * 1000;
  if ((j->admin = g->admin_ws = open_conn(g)) == NULL) return -1;
  j->session = create_session(g, j->admin);
  j->handle = j->session ? attach(g, j->admin, j->session) : 0;
  return j->handle ? 0 : -1;
}

static int create_room(struct lg *g, unsigned r) {
  struct jn *j = g->server;
  json_t *body =
      json_pack("{s:s,s:I,s:i,s:s,s:s}", "request", "create", "room", (json_int_t)(j->room_base + r),
                "publishers", (int)g->cfg.room_size, "audiocodec", "opus", "videocodec", "vp8");
  json_t *rep = message(g, j->admin, j->session, j->handle, body, NULL, NULL);
  const char *what = json_string_value(json_object_get(plugin_data(rep), "videoroom"));
  int ok = what && strcmp(what, "created") == 0;
  if (!ok) lg_log("janus: room %u not created: %s", r, plugin_error(rep) ? plugin_error(rep) : "?");
  json_decref(rep);
  return ok ? 0 : -1;
}

static int connect_part(struct lg *g, struct lg_part *p) {
  if ((p->ws = open_conn(g)) == NULL) return -1;
  p->j_session = create_session(g, p->ws);
  p->j_pub = p->j_session ? attach(g, p->ws, p->j_session) : 0;
  p->j_sub = p->j_pub ? attach(g, p->ws, p->j_session) : 0;
  p->next_keepalive_us = lg_now_us() + KEEPALIVE_US;
  return p->j_sub ? 0 : -1;
}

static int publish(struct lg *g, struct lg_part *p) {
  char sdp[PC_SDP_MAX], err[256], disp[32];
  if (pc_open(&p->pub, PC_PUB, 1) != 0 || lg_watch(g, &p->pub) != 0) return -1;
  int n = pc_write_offer(&p->pub, 0x10000000u + p->index * 2, 0x10000001u + p->index * 2, sdp, sizeof sdp);
  if (n < 0) return -1;
  snprintf(disp, sizeof disp, "p%u", p->index);
  json_t *body = json_pack("{s:s,s:I,s:s,s:s}", "request", "joinandconfigure", "room",
                           (json_int_t)(((struct jn *)g->server)->room_base + p->room), "ptype", "publisher",
                           "display", disp);
  json_t *rep = message(g, p->ws, p->j_session, p->j_pub, body, "offer", sdp);
  const char *ans = json_string_value(json_object_get(json_object_get(rep, "jsep"), "sdp"));
  json_t *id = json_object_get(plugin_data(rep), "id");
  int rc = -1;
  if (ans == NULL || !json_is_integer(id)) {
    lg_log("janus: publish refused: %s", plugin_error(rep) ? plugin_error(rep) : "no answer");
  } else if (pc_apply_answer(&p->pub, ans, strlen(ans), err, sizeof err) != 0) {
    lg_log("janus: %s", err);
  } else {
    p->j_feed = (uint64_t)json_integer_value(id);
    pc_start(&p->pub);
    rc = 0;
  }
  json_decref(rep);
  return rc;
}

/* Join as a subscriber to every other participant's feed; Janus answers
 * with its offer (in *out, the caller's). A feed only exists once its
 * PeerConnection is up on Janus's side, so "no such feed" is retried. */
static json_t *join_subscriber(struct lg *g, struct lg_part *p) {
  for (int attempt = 0; attempt < 100; attempt++) {
    json_t *streams = json_array();
    for (unsigned k = 0; k < g->cfg.room_size; k++) {
      struct lg_part *o = &g->parts[p->room * g->cfg.room_size + k];
      if (o != p) json_array_append_new(streams, json_pack("{s:I}", "feed", (json_int_t)o->j_feed));
    }
    json_t *body = json_pack("{s:s,s:I,s:s,s:o}", "request", "join", "room",
                             (json_int_t)(((struct jn *)g->server)->room_base + p->room), "ptype",
                             "subscriber", "streams", streams);
    json_t *rep = message(g, p->ws, p->j_session, p->j_sub, body, NULL, NULL);
    if (json_object_get(json_object_get(rep, "jsep"), "sdp")) return rep;
    json_t *code = json_object_get(plugin_data(rep), "error_code");
    if (!json_is_integer(code) || json_integer_value(code) != 428) {
      lg_log("janus: subscribe refused: %s", plugin_error(rep) ? plugin_error(rep) : "?");
      json_decref(rep);
      return NULL;
    }
    json_decref(rep);
    for (int k = 0; k < 20; k++) /* ~20 ms for Janus to finish the publisher's setup */
      lg_pump(g);
  }
  return NULL;
}

static int subscribe(struct lg *g, struct lg_part *p) {
  char sdp[PC_SDP_MAX], err[256];
  if (pc_open(&p->sub, PC_SUB, 1) != 0 || lg_watch(g, &p->sub) != 0) return -1;
  json_t *rep = join_subscriber(g, p);
  if (rep == NULL) return -1;
  const char *offer = json_string_value(json_object_get(json_object_get(rep, "jsep"), "sdp"));
  int n = pc_answer_offer(&p->sub, offer, strlen(offer), sdp, sizeof sdp, err, sizeof err);
  json_decref(rep);
  if (n < 0) {
    lg_log("janus: %s", err);
    return -1;
  }
  pc_start(&p->sub);
  json_t *body = json_pack("{s:s}", "request", "start");
  rep = message(g, p->ws, p->j_session, p->j_sub, body, "answer", sdp);
  const char *started = json_string_value(json_object_get(plugin_data(rep), "started"));
  int rc = started ? 0 : -1;
  if (rc) lg_log("janus: start refused: %s", plugin_error(rep) ? plugin_error(rep) : "?");
  json_decref(rep);
  return rc;
}

static int jn_setup_room(struct lg *g, unsigned r) {
  unsigned rs = g->cfg.room_size;
  struct lg_part *room = &g->parts[r * rs];
  struct pc *pcs[LG_MAX_ROOM] = {NULL};
  int64_t t0 = lg_now_us(), t1, t2, t3, t4;
  if (create_room(g, r) != 0) return -1;
  for (unsigned k = 0; k < rs; k++)
    if (connect_part(g, &room[k]) != 0 || publish(g, &room[k]) != 0) return -1;
  t1 = lg_now_us();
  for (unsigned k = 0; k < rs; k++)
    pcs[k] = &room[k].pub;
  if (lg_wait_connected(g, pcs, rs, CONNECT_MS) != 0) return -1;
  t2 = lg_now_us();
  for (unsigned k = 0; k < rs; k++)
    if (subscribe(g, &room[k]) != 0) return -1;
  t3 = lg_now_us();
  for (unsigned k = 0; k < rs; k++)
    pcs[k] = &room[k].sub;
  int rc = lg_wait_connected(g, pcs, rs, CONNECT_MS);
  t4 = lg_now_us();
  if (getenv("LG_DEBUG"))
    lg_log("room %u: publish %lld ms, connect %lld ms, subscribe %lld ms, connect %lld ms", r,
           (long long)(t1 - t0) / 1000, (long long)(t2 - t1) / 1000, (long long)(t3 - t2) / 1000,
           (long long)(t4 - t3) / 1000);
  return rc;
}

static void keepalive_conn(struct lg *g, struct ws_conn *c, uint64_t session) {
  json_t *req = json_pack("{s:s,s:I,s:s}", "janus", "keepalive", "session_id", (json_int_t)session,
                          "transaction", "ka");
  ws_send_json(c, req); /* its ack, like events nobody waits for, falls off the inbox */
  json_decref(req);
}

static void jn_keepalive(struct lg *g, int64_t now) {
  struct jn *j = g->server;
  for (unsigned i = 0; i < g->n_parts; i++) {
    struct lg_part *p = &g->parts[i];
    if (p->ws == NULL || p->j_session == 0 || now < p->next_keepalive_us) continue;
    keepalive_conn(g, p->ws, p->j_session);
    p->next_keepalive_us = now + KEEPALIVE_US;
  }
  if (j && j->admin && now >= j->next_keepalive_us) {
    keepalive_conn(g, j->admin, j->session);
    j->next_keepalive_us = now + KEEPALIVE_US;
  }
}

static void jn_shutdown(struct lg *g) {
  struct jn *j = g->server;
  for (unsigned i = 0; i < g->n_parts; i++)
    if (g->parts[i].ws) ws_close(g->parts[i].ws);
  if (j && j->admin) ws_close(j->admin);
  for (int k = 0; k < 50; k++)
    ws_service();
  free(j);
  g->server = NULL;
}

const struct lg_server_ops lg_janus_ops = {
    .name = "janus",
    .init = jn_init,
    .setup_room = jn_setup_room,
    .keepalive = jn_keepalive,
    .shutdown = jn_shutdown,
};
