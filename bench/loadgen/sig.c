/* bench/loadgen/sig.c — part C: signalling sessions held and request latency.
 *
 *   bench_loadgen sig --server lianyi|janus --port P --pid PID [--n 1000] [--rate 1000]
 *       [--seconds 10] [--hold 5] [--per-room 8] [--rooms-file F] [--label L] [--json]
 *
 * Lianyi: N WebSocket sessions each authenticate ("auth" with a patient's
 * token) and join the room of a prepared consultation (bench/loadgen/
 * lianyi_prep.mjs), up to --per-room sessions per room. Janus: N WebSocket
 * connections each create a Janus session, attach a VideoRoom handle and join
 * a room as a publisher (without media) — what a browser does before it
 * publishes — up to --per-room per room; sessions get keepalives every 20 s.
 * At most 200 sessions are being set up at once.
 *
 * Then the sessions are held idle for --hold seconds, and for --seconds
 * requests go out at --rate per second, open loop (on a clock, round-robin
 * over the sessions): Lianyi "ping", Janus "keepalive" (both the protocol's
 * cheapest round trip). Reported: sessions established and still open, the
 * server's RSS per session (RSS after setup minus before, over N), request
 * latency p50/p99/p999, and the server's CPU during the load.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hist.h"
#include "lg.h"
#include "proc.h"

#define SETUP_PARALLEL 200
#define KEEPALIVE_US   20000000
#define LOAD_ID        1000000000ull /* request ids of the load phase start here */

enum { S_CONNECTING, S_STEP1, S_STEP2, S_STEP3, S_DONE, S_FAILED };

struct sess {
  struct ws_conn *ws;
  int state;
  unsigned idx;
  uint64_t session, handle; /* Janus */
  int64_t next_keepalive_us;
};

struct sig {
  int server;
  uint16_t port;
  pid_t pid;
  unsigned n, rate, per_room;
  double seconds, hold;
  const char *label, *rooms_file;
  int json;
  json_t *rooms; /* Lianyi: the prepared consultations */
  uint64_t room_base;
  struct sess *s;
  unsigned done, failed;
  int64_t *sent_at; /* load phase: send time by request index */
  size_t cap;
  struct hist lat;
  uint64_t replies, errors;
  struct ws_conn *admin; /* Janus: the connection that made the rooms */
  char last_error[128];
};

static void sig_usage(void) {
  fputs(
      "usage: bench_loadgen sig --server lianyi|janus --port P --pid PID [--n N] [--rate R] [--seconds S]\n"
      "         [--hold S] [--per-room K] [--rooms-file F] [--label L] [--json]\n",
      stderr);
  exit(2);
}

static void send_fmt(struct sess *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_fmt(struct sess *x, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n < sizeof buf) ws_send_text(x->ws, buf, (size_t)n);
}

static const char *room_field(struct sig *g, unsigned room, const char *who, const char *key) {
  json_t *r = json_array_get(g->rooms, room % json_array_size(g->rooms));
  if (who) r = json_object_get(r, who);
  return json_string_value(json_object_get(r, key));
}

static void fail(struct sig *g, struct sess *x, const char *why) {
  x->state = S_FAILED;
  g->failed++;
  snprintf(g->last_error, sizeof g->last_error, "%s", why);
}

/* The first request once the WebSocket is open. */
static void begin(struct sig *g, struct sess *x) {
  x->state = S_STEP1;
  if (g->server == LG_LIANYI)
    send_fmt(x, "{\"id\":\"a\",\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}",
             room_field(g, x->idx / g->per_room, "patient", "token"));
  else
    send_fmt(x, "{\"janus\":\"create\",\"transaction\":\"c\"}");
}

static void lianyi_step(struct sig *g, struct sess *x, json_t *m) {
  const char *id = json_string_value(json_object_get(m, "id"));
  if (id == NULL) return; /* an event */
  if (!json_is_true(json_object_get(m, "ok"))) {
    const char *code = json_string_value(json_object_get(json_object_get(m, "error"), "code"));
    fail(g, x, code ? code : "refused");
  } else if (x->state == S_STEP1) {
    x->state = S_STEP2;
    send_fmt(x, "{\"id\":\"j\",\"type\":\"room.join\",\"data\":{\"consultation_id\":\"%s\"}}",
             room_field(g, x->idx / g->per_room, NULL, "consultation_id"));
  } else if (x->state == S_STEP2) {
    x->state = S_DONE;
    g->done++;
  }
}

static void janus_step(struct sig *g, struct sess *x, json_t *m) {
  const char *j = json_string_value(json_object_get(m, "janus"));
  if (j == NULL || !strcmp(j, "ack")) return;
  if (!strcmp(j, "error")) {
    const char *r = json_string_value(json_object_get(json_object_get(m, "error"), "reason"));
    fail(g, x, r ? r : "error");
    return;
  }
  uint64_t id = (uint64_t)json_integer_value(json_object_get(json_object_get(m, "data"), "id"));
  if (x->state == S_STEP1 && !strcmp(j, "success")) {
    x->session = id;
    x->state = S_STEP2;
    send_fmt(x,
             "{\"janus\":\"attach\",\"session_id\":%llu,\"plugin\":\"janus.plugin.videoroom\","
             "\"transaction\":\"t\"}",
             (unsigned long long)x->session);
  } else if (x->state == S_STEP2 && !strcmp(j, "success")) {
    x->handle = id;
    x->state = S_STEP3;
    send_fmt(x,
             "{\"janus\":\"message\",\"session_id\":%llu,\"handle_id\":%llu,\"transaction\":\"j\",\"body\":"
             "{\"request\":\"join\",\"ptype\":\"publisher\",\"room\":%llu,\"display\":\"s%u\"}}",
             (unsigned long long)x->session, (unsigned long long)x->handle,
             (unsigned long long)(g->room_base + x->idx / g->per_room), x->idx);
  } else if (x->state == S_STEP3 && !strcmp(j, "event")) {
    json_t *d = json_object_get(json_object_get(m, "plugindata"), "data");
    const char *what = json_string_value(json_object_get(d, "videoroom"));
    if (what && !strcmp(what, "joined")) {
      x->state = S_DONE;
      x->next_keepalive_us = lg_now_us() + KEEPALIVE_US;
      g->done++;
    } else {
      const char *e = json_string_value(json_object_get(d, "error"));
      fail(g, x, e ? e : "join refused");
    }
  }
}

/* A load-phase reply: Lianyi {"id": "<k>", ...}, Janus {"transaction": "<k>"}. */
static int load_reply(struct sig *g, json_t *m) {
  const char *id = json_string_value(json_object_get(m, g->server == LG_LIANYI ? "id" : "transaction"));
  if (id == NULL || id[0] < '0' || id[0] > '9') return 0;
  unsigned long long k = strtoull(id, NULL, 10);
  if (k < LOAD_ID || k - LOAD_ID >= g->cap) return 0;
  int64_t t = g->sent_at[k - LOAD_ID];
  if (t == 0) return 1;
  g->sent_at[k - LOAD_ID] = 0;
  hist_add(&g->lat, lg_now_us() - t);
  g->replies++;
  if (g->server == LG_LIANYI && !json_is_true(json_object_get(m, "ok"))) g->errors++;
  return 1;
}

static struct sig *G; /* the one run; each connection's sink gets its session */

static void sink(struct ws_conn *c, json_t *m, void *ud) {
  struct sess *x = ud;
  (void)c;
  if (!load_reply(G, m) && x->state != S_DONE && x->state != S_FAILED) {
    if (G->server == LG_LIANYI)
      lianyi_step(G, x, m);
    else
      janus_step(G, x, m);
  }
  json_decref(m);
}

/* ---- setup -------------------------------------------------------------------- */

static int open_sess(struct sig *g, struct sess *x) {
  x->ws = ws_open(g->port, g->server == LG_LIANYI ? "/ws" : "/",
                  g->server == LG_LIANYI ? NULL : "janus-protocol");
  if (x->ws == NULL) return -1;
  x->ws->sink = sink;
  x->ws->sink_ud = x;
  x->state = S_CONNECTING;
  return 0;
}

static int match_tx(const json_t *m, const void *tx) {
  const char *t = json_string_value(json_object_get(m, "transaction"));
  const char *j = json_string_value(json_object_get(m, "janus"));
  return t && j && !strcmp(t, tx) && strcmp(j, "ack") != 0;
}

/* One request on the admin connection; its reply (caller's) or NULL. */
static json_t *admin_call(struct ws_conn *c, const char *text, const char *tx) {
  int64_t end = lg_now_us() + 10000000;
  ws_send_text(c, text, strlen(text));
  while (lg_now_us() < end) {
    ws_service();
    json_t *m = ws_take(c, match_tx, tx);
    if (m) return m;
    usleep(200);
  }
  return NULL;
}

static uint64_t data_id(json_t *m) {
  return (uint64_t)json_integer_value(json_object_get(json_object_get(m, "data"), "id"));
}

/* Janus: the rooms the sessions join, made through one extra session. */
static int janus_rooms(struct sig *g) {
  char buf[512], tx[32];
  struct ws_conn *c = ws_open(g->port, "/", "janus-protocol");
  for (int64_t end = lg_now_us() + 10000000; c && c->state == WS_CONNECTING && lg_now_us() < end; usleep(500))
    ws_service();
  if (c == NULL || c->state != WS_OPEN) return -1;
  json_t *m = admin_call(c, "{\"janus\":\"create\",\"transaction\":\"c\"}", "c");
  uint64_t sid = data_id(m);
  json_decref(m);
  snprintf(buf, sizeof buf,
           "{\"janus\":\"attach\",\"session_id\":%llu,\"plugin\":\"janus.plugin.videoroom\","
           "\"transaction\":\"t\"}",
           (unsigned long long)sid);
  m = admin_call(c, buf, "t");
  uint64_t hid = data_id(m);
  json_decref(m);
  g->room_base = 2000000 + (uint64_t)(lg_now_us() % 1000000) * 1000;
  for (unsigned r = 0; r * g->per_room < g->n; r++) {
    snprintf(tx, sizeof tx, "r%u", r);
    snprintf(buf, sizeof buf,
             "{\"janus\":\"message\",\"session_id\":%llu,\"handle_id\":%llu,\"transaction\":\"%s\","
             "\"body\":{\"request\":\"create\",\"room\":%llu,\"publishers\":%u}}",
             (unsigned long long)sid, (unsigned long long)hid, tx, (unsigned long long)(g->room_base + r),
             g->per_room);
    m = admin_call(c, buf, tx);
    json_t *d = json_object_get(json_object_get(m, "plugindata"), "data");
    const char *what = json_string_value(json_object_get(d, "videoroom"));
    int ok = what && !strcmp(what, "created");
    json_decref(m);
    if (!ok) return -1;
  }
  ws_close(c); /* the rooms stay until Janus stops */
  g->admin = c;
  return 0;
}

/* Open, authenticate and join every session, SETUP_PARALLEL at a time. */
static double setup_all(struct sig *g) {
  int64_t t0 = lg_now_us();
  unsigned next = 0;
  while (g->done + g->failed < g->n && lg_now_us() - t0 < 300000000) {
    unsigned busy = next - g->done - g->failed;
    while (next < g->n && busy < SETUP_PARALLEL) {
      struct sess *x = &g->s[next];
      x->idx = next++;
      busy++;
      if (open_sess(g, x) != 0) fail(g, x, "cannot connect");
    }
    ws_service();
    for (unsigned i = next > 2 * SETUP_PARALLEL ? next - 2 * SETUP_PARALLEL : 0; i < next; i++) {
      struct sess *x = &g->s[i];
      if (x->state == S_CONNECTING && x->ws->state == WS_OPEN) begin(g, x);
      if (x->state != S_DONE && x->state != S_FAILED && x->ws->state == WS_CLOSED)
        fail(g, x, "connection closed");
    }
    usleep(100);
  }
  return (double)(lg_now_us() - t0) / 1e6;
}

static void keepalives(struct sig *g, int64_t now) {
  if (g->server != LG_JANUS) return;
  for (unsigned i = 0; i < g->n; i++) {
    struct sess *x = &g->s[i];
    if (x->state != S_DONE || now < x->next_keepalive_us) continue;
    send_fmt(x, "{\"janus\":\"keepalive\",\"session_id\":%llu,\"transaction\":\"k\"}",
             (unsigned long long)x->session);
    x->next_keepalive_us = now + KEEPALIVE_US;
  }
}

static void idle_for(struct sig *g, double seconds) {
  int64_t end = lg_now_us() + (int64_t)(seconds * 1e6);
  while (lg_now_us() < end) {
    ws_service();
    keepalives(g, lg_now_us());
    usleep(1000);
  }
}

/* Requests at g->rate per second, open loop, round-robin over held sessions. */
static void load(struct sig *g, int64_t *cpu_us) {
  g->cap = (size_t)(g->rate * g->seconds) + 16;
  g->sent_at = calloc(g->cap, sizeof *g->sent_at);
  int64_t t0 = lg_now_us(), end = t0 + (int64_t)(g->seconds * 1e6), c0 = proc_cpu_us(g->pid);
  size_t k = 0;
  unsigned rr = 0;
  while (lg_now_us() < end) {
    size_t due = (size_t)((double)(lg_now_us() - t0) * g->rate / 1e6);
    for (; k < due && k < g->cap; k++) {
      struct sess *x = NULL;
      for (unsigned tries = 0; tries < g->n && x == NULL; tries++, rr++)
        if (g->s[rr % g->n].state == S_DONE) x = &g->s[rr % g->n];
      if (x == NULL) break;
      rr++;
      g->sent_at[k] = lg_now_us();
      if (g->server == LG_LIANYI)
        send_fmt(x, "{\"id\":\"%llu\",\"type\":\"ping\",\"data\":{}}", (unsigned long long)(LOAD_ID + k));
      else
        send_fmt(x, "{\"janus\":\"keepalive\",\"session_id\":%llu,\"transaction\":\"%llu\"}",
                 (unsigned long long)x->session, (unsigned long long)(LOAD_ID + k));
    }
    ws_service();
    usleep(200);
  }
  for (int64_t drain = lg_now_us() + 2000000; lg_now_us() < drain && g->replies < k; usleep(500))
    ws_service();
  *cpu_us = proc_cpu_us(g->pid) - c0;
  for (size_t i = 0; i < k; i++) /* never answered: counted as errors */
    if (g->sent_at[i]) g->errors++;
}

static void parse(struct sig *g, int argc, char **argv) {
  *g = (struct sig){.n = 1000, .rate = 1000, .per_room = 8, .seconds = 10, .hold = 5};
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--json")) {
      g->json = 1;
      continue;
    }
    if (v == NULL) sig_usage();
    i++;
    if (!strcmp(a, "--server"))
      g->server = !strcmp(v, "janus") ? LG_JANUS : !strcmp(v, "lianyi") ? LG_LIANYI : 0;
    else if (!strcmp(a, "--port"))
      g->port = (uint16_t)atoi(v);
    else if (!strcmp(a, "--pid"))
      g->pid = (pid_t)atoi(v);
    else if (!strcmp(a, "--n"))
      g->n = (unsigned)atoi(v);
    else if (!strcmp(a, "--rate"))
      g->rate = (unsigned)atoi(v);
    else if (!strcmp(a, "--seconds"))
      g->seconds = atof(v);
    else if (!strcmp(a, "--hold"))
      g->hold = atof(v);
    else if (!strcmp(a, "--per-room"))
      g->per_room = (unsigned)atoi(v);
    else if (!strcmp(a, "--rooms-file"))
      g->rooms_file = v;
    else if (!strcmp(a, "--label"))
      g->label = v;
    else
      sig_usage();
  }
  if (!g->server || !g->port || !g->pid || !g->n || !g->per_room) sig_usage();
}

static int load_rooms(struct sig *g) {
  json_error_t e;
  json_t *f = g->rooms_file ? json_load_file(g->rooms_file, 0, &e) : NULL;
  g->rooms = json_incref(json_object_get(f, "rooms"));
  json_decref(f);
  size_t have = json_array_size(g->rooms);
  if (have * g->per_room < g->n) {
    lg_log("sig: %zu prepared consultations hold only %zu sessions (--rooms-file)", have, have * g->per_room);
    return -1;
  }
  return 0;
}

static void report(struct sig *g, double setup_s, int64_t rss0, int64_t rss1, int64_t rss2, int64_t cpu_us) {
  unsigned open = 0;
  for (unsigned i = 0; i < g->n; i++)
    open += g->s[i].state == S_DONE && g->s[i].ws->state == WS_OPEN;
  const char *name = g->label ? g->label : g->server == LG_LIANYI ? "lianyi" : "janus";
  double per = g->done ? (double)(rss1 - rss0) / g->done : 0;
  FILE *f = g->json ? stderr : stdout;
  fprintf(
      f,
      "%-10s sessions %u/%u (held %u) in %.1f s; RSS %.1f -> %.1f MB (%.1f after hold): %.1f KiB/session; "
      "%u req/s for %.0f s: p50 %lld µs, p99 %lld µs, p999 %lld µs, %llu errors, server CPU %.1f%%%s%s\n",
      name, g->done, g->n, open, setup_s, rss0 / 1024.0, rss1 / 1024.0, rss2 / 1024.0, per, g->rate,
      g->seconds, (long long)hist_quantile(&g->lat, 0.5), (long long)hist_quantile(&g->lat, 0.99),
      (long long)hist_quantile(&g->lat, 0.999), (unsigned long long)g->errors,
      100.0 * (double)cpu_us / (g->seconds * 1e6), g->failed ? "; last failure: " : "",
      g->failed ? g->last_error : "");
  if (g->json)
    printf(
        "{\"label\":\"%s\",\"server\":\"%s\",\"n\":%u,\"established\":%u,\"held\":%u,\"setup_s\":%.2f,"
        "\"rss0_kb\":%lld,\"rss1_kb\":%lld,\"rss2_kb\":%lld,\"rss_per_session_kb\":%.2f,\"rate\":%u,"
        "\"seconds\":%.1f,\"replies\":%llu,\"errors\":%llu,\"p50_us\":%lld,\"p99_us\":%lld,\"p999_us\":%lld,"
        "\"server_cpu_us\":%lld}\n",
        name, g->server == LG_LIANYI ? "lianyi" : "janus", g->n, g->done, open, setup_s, (long long)rss0,
        (long long)rss1, (long long)rss2, per, g->rate, g->seconds, (unsigned long long)g->replies,
        (unsigned long long)g->errors, (long long)hist_quantile(&g->lat, 0.5),
        (long long)hist_quantile(&g->lat, 0.99), (long long)hist_quantile(&g->lat, 0.999), (long long)cpu_us);
}

int sig_main(int argc, char **argv) {
  static struct sig g;
  parse(&g, argc, argv);
  G = &g;
  g.s = calloc(g.n, sizeof *g.s);
  if (g.s == NULL || ws_init(g.n + 16) != 0) return 1;
  if (g.server == LG_LIANYI && load_rooms(&g) != 0) return 1;
  if (g.server == LG_JANUS && janus_rooms(&g) != 0) {
    lg_log("sig: cannot create the Janus rooms");
    return 1;
  }
  idle_for(&g, 1);
  int64_t rss0 = proc_rss_kb(g.pid);
  double setup_s = setup_all(&g);
  idle_for(&g, 2);
  int64_t rss1 = proc_rss_kb(g.pid), cpu_us = 0;
  idle_for(&g, g.hold);
  int64_t rss2 = proc_rss_kb(g.pid);
  load(&g, &cpu_us);
  report(&g, setup_s, rss0, rss1, rss2, cpu_us);
  for (unsigned i = 0; i < g.n; i++)
    if (g.s[i].ws) ws_close(g.s[i].ws);
  for (int k = 0; k < 100; k++)
    ws_service();
  ws_shutdown();
  for (unsigned i = 0; i < g.n; i++)
    ws_free(g.s[i].ws);
  ws_free(g.admin);
  free(g.s);
  free(g.sent_at);
  json_decref(g.rooms);
  return 0;
}
