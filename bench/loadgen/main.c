/* bench/loadgen/main.c — bench_loadgen: simulated consultations against
 * Lianyi, Janus or the raw UDP relay, and signalling sessions (part C).
 *
 *   bench_loadgen media --server janus|lianyi|raw --port P [--pid PID] [--cpu N]
 *       [--room-size 2|3] [--sweep 10,20,50] [--window 5] [--warmup 1] [--suite gcm|cm]
 *       [--half] [--rooms-file F] [--label L] [--json] [--mem-mb 4096]
 *   bench_loadgen sig ...   (see sig.c)
 *
 * media: sets up rooms up to each point of the sweep (they stay up), sends a
 * window of media for all of them and prints one row per point: forwarded
 * packets/s, server CPU and CPU-µs per forwarded packet, one-way latency,
 * loss, server RSS and the load generator's own CPU. The capacity is the
 * largest point with loss < 0.5 % and p99 < 20 ms. --json prints the rows as
 * JSON objects on stdout (the table then goes to stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "lg.h"
#include "traffic.h"

#define CAP_LOSS   0.005
#define CAP_P99_US 20000

int sig_main(int argc, char **argv);

static void usage(void) {
  fputs(
      "usage: bench_loadgen media --server janus|lianyi|raw --port P [--pid PID] [--cpu N]\n"
      "         [--room-size 2|3] [--sweep 10,20,50] [--window S] [--warmup S] [--suite gcm|cm]\n"
      "         [--half] [--rooms-file F] [--label L] [--json] [--mem-mb MB] [--stop-loss F] [--local-ip A]\n"
      "       bench_loadgen sig --server janus|lianyi --port P --pid PID [--n N] [--rate R] [--seconds S]\n",
      stderr);
  exit(2);
}

static void parse_sweep(struct lg_config *c, const char *s) {
  char *copy = strdup(s), *save = NULL;
  c->n_sweep = 0;
  for (char *t = strtok_r(copy, ",", &save); t && c->n_sweep < LG_MAX_SWEEP; t = strtok_r(NULL, ",", &save))
    if (atoi(t) > 0) c->sweep[c->n_sweep++] = (unsigned)atoi(t);
  free(copy);
  c->max_rooms = 0;
  for (unsigned i = 0; i < c->n_sweep; i++)
    if (c->sweep[i] > c->max_rooms) c->max_rooms = c->sweep[i];
}

static int parse_args(struct lg_config *c, int argc, char **argv) {
  *c = (struct lg_config){.server_cpu = -1,
                          .room_size = 2,
                          .warmup_s = 1,
                          .window_s = 5,
                          .drain_s = 0.3,
                          .profile = DTLS_SRTP_AEAD_AES_128_GCM,
                          .stop_loss = 0.05,
                          .mem_mb = 4096};
  parse_sweep(c, "10,20,50");
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--half")) {
      c->half = 1;
      continue;
    }
    if (!strcmp(a, "--json")) {
      c->json = 1;
      continue;
    }
    if (v == NULL) usage();
    i++;
    if (!strcmp(a, "--server"))
      c->server = !strcmp(v, "janus")    ? LG_JANUS
                  : !strcmp(v, "lianyi") ? LG_LIANYI
                  : !strcmp(v, "raw")    ? LG_RAW
                                         : 0;
    else if (!strcmp(a, "--port"))
      c->port = (uint16_t)atoi(v);
    else if (!strcmp(a, "--pid"))
      c->server_pid = (pid_t)atoi(v);
    else if (!strcmp(a, "--cpu"))
      c->server_cpu = atoi(v);
    else if (!strcmp(a, "--room-size"))
      c->room_size = (unsigned)atoi(v);
    else if (!strcmp(a, "--sweep"))
      parse_sweep(c, v);
    else if (!strcmp(a, "--window"))
      c->window_s = atof(v);
    else if (!strcmp(a, "--warmup"))
      c->warmup_s = atof(v);
    else if (!strcmp(a, "--suite"))
      c->profile = !strcmp(v, "cm") ? DTLS_SRTP_AES128_CM_SHA1_80 : DTLS_SRTP_AEAD_AES_128_GCM;
    else if (!strcmp(a, "--rooms-file"))
      c->rooms_file = v;
    else if (!strcmp(a, "--label"))
      c->label = v;
    else if (!strcmp(a, "--local-ip"))
      c->local_ip = v;
    else if (!strcmp(a, "--mem-mb"))
      c->mem_mb = (unsigned)atoi(v);
    else if (!strcmp(a, "--stop-loss"))
      c->stop_loss = atof(v);
    else
      usage();
  }
  if (!c->server || !c->port || c->room_size < 2 || c->room_size > LG_MAX_ROOM || !c->n_sweep) usage();
  return 0;
}

static const char *server_name(int s) {
  return s == LG_JANUS ? "janus" : s == LG_LIANYI ? "lianyi" : "raw-udp";
}

static void print_header(FILE *f) {
  fprintf(f, "%-22s %6s %6s %10s %7s %8s %7s %8s %8s %8s %7s %8s %7s %8s\n", "scenario", "rooms", "parts",
          "fwd pkt/s", "srv CPU", "µs/pkt", "core", "p50 µs", "p99 µs", "p999 µs", "loss %", "RSS MB",
          "lg CPU", "lag p99");
}

static int passes(const struct tr_result *r) {
  return r->loss < CAP_LOSS && hist_quantile(&r->lat, 0.99) < CAP_P99_US;
}

static void print_row(const struct lg *g, const struct tr_result *r, const char *tag) {
  FILE *f = g->cfg.json ? stderr : stdout;
  double w = r->window_s * 1e6, pk = r->received ? (double)r->received : 1;
  const char *label = g->cfg.label ? g->cfg.label : server_name(g->cfg.server);
  fprintf(f, "%-22s %6u %6u %10.0f %6.1f%% %8.2f %6.1f%% %8lld %8lld %8lld %7.3f %8.1f %6.1f%% %8lld%s\n",
          label, r->rooms, r->participants, r->fwd_pps, 100.0 * (double)r->server_cpu_us / w,
          (double)r->server_cpu_us / pk, 100.0 * (double)r->server_core_us / w,
          (long long)hist_quantile(&r->lat, 0.5), (long long)hist_quantile(&r->lat, 0.99),
          (long long)hist_quantile(&r->lat, 0.999), 100.0 * r->loss, (double)r->server_rss_kb / 1024.0,
          100.0 * (double)r->lg_cpu_us / w, (long long)hist_quantile(&r->lag, 0.99), tag);
  fflush(f);
  if (!g->cfg.json) return;
  printf(
      "{\"label\":\"%s\",\"server\":\"%s\",\"room_size\":%u,\"suite\":\"%s\",\"point\":\"%s\",\"rooms\":%u,"
      "\"participants\":%u,\"window_s\":%.3f,\"sent\":%llu,\"send_failed\":%llu,\"expected\":%llu,"
      "\"received\":%llu,\"fwd_pps\":%.1f,\"loss\":%.6f,\"server_cpu_us\":%lld,\"server_core_us\":%lld,"
      "\"lg_cpu_us\":%lld,\"server_rss_kb\":%lld,\"p50_us\":%lld,\"p99_us\":%lld,\"p999_us\":%lld,"
      "\"max_us\":%lld,\"lag_p50_us\":%lld,\"lag_p99_us\":%lld,\"unknown\":%llu,\"verified\":%llu,"
      "\"mismatched\":%llu,\"build_s\":%.2f,\"passes\":%s}\n",
      label, server_name(g->cfg.server), g->cfg.room_size,
      g->cfg.profile == DTLS_SRTP_AES128_CM_SHA1_80 ? "cm" : "gcm", tag[0] ? "half" : "sweep", r->rooms,
      r->participants, r->window_s, (unsigned long long)r->sent, (unsigned long long)r->send_failed,
      (unsigned long long)r->expected, (unsigned long long)r->received, r->fwd_pps, r->loss,
      (long long)r->server_cpu_us, (long long)r->server_core_us, (long long)r->lg_cpu_us,
      (long long)r->server_rss_kb, (long long)hist_quantile(&r->lat, 0.5),
      (long long)hist_quantile(&r->lat, 0.99), (long long)hist_quantile(&r->lat, 0.999),
      (long long)r->lat.max, (long long)hist_quantile(&r->lag, 0.5), (long long)hist_quantile(&r->lag, 0.99),
      (unsigned long long)r->unknown, (unsigned long long)r->verified, (unsigned long long)r->mismatched,
      r->build_s, passes(r) ? "true" : "false");
  fflush(stdout);
}

/* Set up rooms until `rooms` are ready. */
static int grow(struct lg *g, unsigned rooms) {
  int64_t t0 = lg_now_us();
  unsigned from = g->rooms_ready;
  while (g->rooms_ready < rooms) {
    unsigned r = g->rooms_ready, rs = g->cfg.room_size;
    for (unsigned k = 0; k < rs; k++) {
      struct lg_part *p = &g->parts[r * rs + k];
      p->index = r * rs + k;
      p->room = r;
      p->idx = k;
    }
    g->n_parts = (r + 1) * rs;
    if (g->ops->setup_room(g, r) != 0) {
      lg_log("room %u could not be set up", r);
      return -1;
    }
    g->rooms_ready++;
  }
  if (rooms > from)
    lg_log("set up rooms %u..%u in %.1f s", from, rooms - 1, (double)(lg_now_us() - t0) / 1e6);
  return 0;
}

/* One measured window over the first `active` rooms. Every packet carries
 * its scheduled time, so the window must start after it is built: the lead
 * is 0.2 s plus twice the last build's time per packet (taken as 1 µs
 * before the first) — a window that starts late makes the load generator
 * send its backlog in a burst, which the server would be blamed for. */
static int measure(struct lg *g, unsigned active, struct tr_result *r) {
  struct tr_window w;
  for (int k = 0; k < 20; k++) /* let setup traffic settle */
    lg_pump(g);
  double pkts = (double)active * g->cfg.room_size * (g->cfg.warmup_s + g->cfg.window_s) *
                (TR_PPS_AUDIO + TR_PPS_VIDEO);
  double per = g->build_us_per_pkt > 0 ? g->build_us_per_pkt : 1.0;
  if (tr_build(g, active, 0.2 + 2 * per * pkts / 1e6, &w) != 0) {
    lg_log("not enough memory for %u rooms x %.1f s (raise --mem-mb or shorten --window)", active,
           g->cfg.warmup_s + g->cfg.window_s);
    return -1;
  }
  if (w.n) g->build_us_per_pkt = w.build_s * 1e6 / (double)w.n;
  int64_t late = lg_now_us() - w.t0;
  if (late > 0) lg_log("building the window took %.2f s, %lld µs past its start", w.build_s, (long long)late);
  tr_run(g, &w, r);
  tr_free(&w);
  return 0;
}

static int media_main(int argc, char **argv) {
  struct lg g;
  memset(&g, 0, sizeof g);
  parse_args(&g.cfg, argc, argv);
  g.ops = g.cfg.server == LG_JANUS ? &lg_janus_ops : g.cfg.server == LG_LIANYI ? &lg_lianyi_ops : &lg_raw_ops;
  unsigned max_parts = g.cfg.max_rooms * g.cfg.room_size;
  g.parts = calloc(max_parts, sizeof *g.parts);
  for (unsigned i = 0; g.parts && i < max_parts; i++)
    g.parts[i].pub.fd = g.parts[i].sub.fd = -1;
  g.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (g.parts == NULL || g.epfd < 0 || pc_global_init(g.cfg.profile, g.cfg.local_ip) != 0 ||
      ws_init(max_parts + 16) != 0) {
    lg_log("cannot initialise");
    return 1;
  }
  if (g.ops->init(&g) != 0) {
    lg_log("%s: cannot start the session", g.ops->name);
    return 1;
  }
  print_header(g.cfg.json ? stderr : stdout);
  unsigned capacity = 0;
  struct tr_result r;
  for (unsigned i = 0; i < g.cfg.n_sweep; i++) {
    unsigned rooms = g.cfg.sweep[i];
    if (grow(&g, rooms) != 0 || measure(&g, rooms, &r) != 0) break;
    print_row(&g, &r, "");
    if (passes(&r) && rooms > capacity) capacity = rooms;
    if (r.loss > g.cfg.stop_loss || hist_quantile(&r.lat, 0.99) > 10 * CAP_P99_US)
      break; /* far past capacity */
  }
  if (g.cfg.half && capacity >= 2 && measure(&g, capacity / 2, &r) == 0) print_row(&g, &r, " (half)");
  fprintf(g.cfg.json ? stderr : stdout, "capacity: %u rooms of %u (loss < 0.5 %%, p99 < 20 ms)\n", capacity,
          g.cfg.room_size);
  if (g.cfg.json) printf("{\"label\":\"%s\",\"capacity\":%u}\n", g.cfg.label ? g.cfg.label : "", capacity);
  g.ops->shutdown(&g);
  for (unsigned i = 0; i < g.n_parts; i++) {
    pc_close(&g.parts[i].pub);
    pc_close(&g.parts[i].sub);
  }
  ws_shutdown();
  for (unsigned i = 0; i < g.n_parts; i++)
    ws_free(g.parts[i].ws);
  ws_free(g.admin_ws);
  free(g.parts);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  if (!strcmp(argv[1], "media")) return media_main(argc, argv);
  if (!strcmp(argv[1], "sig")) return sig_main(argc, argv);
  usage();
  return 2;
}
