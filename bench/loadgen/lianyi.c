/* bench/loadgen/lianyi.c — the Lianyi adapter: docs/signalling.md over /ws.
 *
 * Each participant is one WebSocket session: "auth" with the token of the
 * consultation's patient or doctor (bench/loadgen/lianyi_prep.mjs prepared
 * the consultations, all `called`), "doctor.verify" for a doctor, then
 * "room.join". Media: "media.offer" with our publishing offer (the reply
 * carries the relay's answer); once everyone's send transport is connected,
 * "media.subscribe": the relay sends its offer for the receive transport as
 * a "media.offer" event and we answer with "media.answer" (again whenever it
 * offers again). The relay is ICE-lite: it never checks us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"

#define CALL_MS    10000
#define CONNECT_MS 20000

struct ly {
  json_t *file; /* the prepared consultations */
  json_t *rooms;
  const char *password;
};

struct wait_msg {
  struct ws_conn *c;
  int (*match)(const json_t *, const void *);
  const void *arg;
  json_t *got;
};

static int arrived(void *arg) {
  struct wait_msg *w = arg;
  w->got = ws_take(w->c, w->match, w->arg);
  return w->got != NULL || w->c->state == WS_CLOSED;
}

static json_t *wait_for(struct lg *g, struct ws_conn *c, int (*match)(const json_t *, const void *),
                        const void *arg) {
  struct wait_msg w = {c, match, arg, NULL};
  if (ws_wait(arrived, &w, CALL_MS, lg_pump, g) != 0) return NULL;
  return w.got;
}

static int match_id(const json_t *m, const void *id) {
  const char *v = json_string_value(json_object_get(m, "id"));
  return v && strcmp(v, id) == 0;
}

/* A request; its reply's data (caller's) or NULL, with the error logged. */
static json_t *request(struct lg *g, struct ws_conn *c, const char *type, json_t *data) {
  char id[32];
  snprintf(id, sizeof id, "r%llu", (unsigned long long)lg_next_id(g));
  json_t *req = json_pack("{s:s,s:s,s:o}", "id", id, "type", type, "data", data);
  int rc = ws_send_json(c, req);
  json_decref(req);
  json_t *rep = rc == 0 ? wait_for(g, c, match_id, id) : NULL;
  json_t *out = NULL;
  if (rep && json_is_true(json_object_get(rep, "ok")))
    out = json_incref(json_object_get(rep, "data"));
  else
    lg_log("lianyi: %s refused: %s", type,
           rep ? json_string_value(json_object_get(json_object_get(rep, "error"), "code")) : "no reply");
  json_decref(rep);
  return out;
}

static int ly_init(struct lg *g) {
  struct ly *l = calloc(1, sizeof *l);
  json_error_t e;
  if (l == NULL) return -1;
  g->server = l;
  l->file = g->cfg.rooms_file ? json_load_file(g->cfg.rooms_file, 0, &e) : NULL;
  l->rooms = json_object_get(l->file, "rooms");
  l->password = json_string_value(json_object_get(l->file, "doctor_password"));
  if (json_array_size(l->rooms) < g->cfg.max_rooms || l->password == NULL) {
    lg_log("lianyi: %s holds %zu consultations, the sweep needs %u",
           g->cfg.rooms_file ? g->cfg.rooms_file : "(none)", json_array_size(l->rooms), g->cfg.max_rooms);
    return -1;
  }
  return 0;
}

static int conn_open(void *arg) {
  return ((struct ws_conn *)arg)->state != WS_CONNECTING;
}

static const char *field(struct lg *g, unsigned room, const char *who, const char *key) {
  struct ly *l = g->server;
  json_t *r = json_array_get(l->rooms, room);
  return json_string_value(json_object_get(who ? json_object_get(r, who) : r, key));
}

/* Participant 0 is the patient, 1 the consultation's doctor (the specialist
 * of a remote consultation), 2 the patient's family doctor who asked for it
 * (lianyi_prep.mjs --three). */
static const char *who_of(unsigned idx) {
  return idx == 0 ? "patient" : idx == 1 ? "doctor" : "third";
}

static int join(struct lg *g, struct lg_part *p) {
  const char *who = who_of(p->idx), *cid = field(g, p->room, NULL, "consultation_id");
  struct ly *l = g->server;
  p->ws = ws_open(g->cfg.port, "/ws", NULL);
  if (p->ws == NULL || ws_wait(conn_open, p->ws, CONNECT_MS, lg_pump, g) != 0 || p->ws->state != WS_OPEN)
    return -1;
  snprintf(p->consultation, sizeof p->consultation, "%s", cid);
  snprintf(p->account, sizeof p->account, "%s", field(g, p->room, who, "account_id"));
  json_t *d = request(g, p->ws, "auth", json_pack("{s:s}", "token", field(g, p->room, who, "token")));
  if (d == NULL) return -1;
  json_decref(d);
  if (p->idx > 0) {
    if ((d = request(g, p->ws, "doctor.verify", json_pack("{s:s}", "password", l->password))) == NULL)
      return -1;
    json_decref(d);
  }
  d = request(g, p->ws, "room.join", json_pack("{s:s}", "consultation_id", cid));
  json_decref(d);
  return d ? 0 : -1;
}

static int publish(struct lg *g, struct lg_part *p) {
  char sdp[PC_SDP_MAX], err[256];
  if (pc_open(&p->pub, PC_PUB, 0) != 0 || lg_watch(g, &p->pub) != 0) return -1;
  if (pc_write_offer(&p->pub, 0x10000000u + p->index * 2, 0x10000001u + p->index * 2, sdp, sizeof sdp) < 0)
    return -1;
  json_t *d = request(g, p->ws, "media.offer",
                      json_pack("{s:s,s:s}", "consultation_id", p->consultation, "sdp", sdp));
  const char *ans = json_string_value(json_object_get(d, "sdp"));
  int rc = ans ? pc_apply_answer(&p->pub, ans, strlen(ans), err, sizeof err) : -1;
  if (ans && rc != 0) lg_log("lianyi: %s", err);
  json_decref(d);
  if (rc == 0) pc_start(&p->pub);
  return rc;
}

static int match_offer(const json_t *m, const void *cid) {
  const char *t = json_string_value(json_object_get(m, "type"));
  const char *c = json_string_value(json_object_get(json_object_get(m, "data"), "consultation_id"));
  return t && c && json_object_get(m, "id") == NULL && strcmp(t, "media.offer") == 0 && strcmp(c, cid) == 0;
}

/* Answer the relay's offer for p's receive transport (the first, or a
 * renegotiation when someone starts or stops publishing). */
static int answer(struct lg *g, struct lg_part *p, json_t *ev) {
  char sdp[PC_SDP_MAX], err[256];
  const char *offer = json_string_value(json_object_get(json_object_get(ev, "data"), "sdp"));
  int n = offer ? pc_answer_offer(&p->sub, offer, strlen(offer), sdp, sizeof sdp, err, sizeof err) : -1;
  if (n < 0) {
    lg_log("lianyi: %s", offer ? err : "no offer from the relay");
    return -1;
  }
  json_t *d = request(g, p->ws, "media.answer",
                      json_pack("{s:s,s:s}", "consultation_id", p->consultation, "sdp", sdp));
  json_decref(d);
  if (d && p->sub.started_us == 0) pc_start(&p->sub);
  return d ? 0 : -1;
}

/* Make p's receive transport; the relay offers everything the others publish. */
static int subscribe(struct lg *g, struct lg_part *p) {
  if (pc_open(&p->sub, PC_SUB, 0) != 0 || lg_watch(g, &p->sub) != 0) return -1;
  json_t *d = request(g, p->ws, "media.subscribe", json_pack("{s:s}", "consultation_id", p->consultation));
  if (d == NULL) return -1;
  json_decref(d);
  json_t *ev = wait_for(g, p->ws, match_offer, p->consultation);
  int rc = ev ? answer(g, p, ev) : -1;
  json_decref(ev);
  return rc;
}

static int ly_setup_room(struct lg *g, unsigned r) {
  unsigned rs = g->cfg.room_size;
  struct lg_part *room = &g->parts[r * rs];
  struct pc *pcs[LG_MAX_ROOM] = {NULL};
  for (unsigned k = 0; k < rs; k++)
    if (join(g, &room[k]) != 0 || publish(g, &room[k]) != 0) return -1;
  for (unsigned k = 0; k < rs; k++)
    pcs[k] = &room[k].pub;
  if (lg_wait_connected(g, pcs, rs, CONNECT_MS) != 0) return -1;
  for (unsigned k = 0; k < rs; k++) {
    if (subscribe(g, &room[k]) != 0) return -1;
    pcs[k] = &room[k].sub;
  }
  return lg_wait_connected(g, pcs, rs, CONNECT_MS);
}

/* Lianyi needs no keepalive. A new offer for a receive transport (someone
 * started or stopped publishing) is answered here; other events nobody waits
 * for fall off the inbox. */
static void ly_keepalive(struct lg *g, int64_t now) {
  static int busy; /* answering pumps, and the pump calls us: once at a time */
  (void)now;
  if (busy) return;
  busy = 1;
  for (unsigned i = 0; i < g->n_parts; i++) {
    struct lg_part *p = &g->parts[i];
    if (p->ws == NULL || p->sub.started_us == 0 || p->ws->received == p->seen_rx) continue;
    p->seen_rx = p->ws->received; /* look only when something arrived */
    json_t *ev = ws_take(p->ws, match_offer, p->consultation);
    if (ev) answer(g, p, ev);
    json_decref(ev);
  }
  busy = 0;
}

static void ly_shutdown(struct lg *g) {
  struct ly *l = g->server;
  for (unsigned i = 0; i < g->n_parts; i++)
    if (g->parts[i].ws) ws_close(g->parts[i].ws);
  for (int k = 0; k < 50; k++)
    ws_service();
  if (l) json_decref(l->file);
  free(l);
  g->server = NULL;
}

const struct lg_server_ops lg_lianyi_ops = {
    .name = "lianyi",
    .init = ly_init,
    .setup_room = ly_setup_room,
    .keepalive = ly_keepalive,
    .shutdown = ly_shutdown,
};
