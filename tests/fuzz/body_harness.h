/* tests/fuzz/body_harness.h — the libFuzzer harness of the fuzz_body_*.c
 * targets: request bodies (and query strings) through the real REST handlers
 * of one route family, on a demo district in a temporary directory.
 *
 * A target defines BODY_FAMILY (a NULL-terminated list of route-name
 * prefixes) and includes this file. Input:
 *   "<route name> <role> <param> <param>\n<body or query>"
 * The route is the family's route of that name (any other name picks one by
 * its hash, so mutated names still reach a handler); role picks one of the
 * roles the route admits (the router's check is not bypassed), params pick
 * path parameters from objects made at start (a prescription in each state,
 * a consultation, note, lab order, care plan, referral, claim, ...). For
 * POST/PUT the rest is the body, parsed by ly_json_parse with the server's
 * limits exactly as server/http.c does (handlers run only on parsed JSON);
 * for GET/DELETE it is the query string.
 *
 * Each run is one transaction rolled back afterwards, so the district is the
 * same for every input. Properties: the handler answers a status in
 * 200..599; a JSON answer serialises; an error answer (>= 400) carries
 * {"error":{"code": string}}; the handler leaves no transaction open.
 */
#ifndef LY_FUZZ_BODY_HARNESS_H
#define LY_FUZZ_BODY_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/json.h"
#include "core/log.h"
#include "server/auth.h"
#include "server/demo.h"
#include "server/handlers.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/server.h"

#define BH_ROUTES   64
#define BH_PARAMS   24
#define BH_BODY_MAX (64 * 1024)

static struct ly_server bh_srv;
static struct ly_fake_clock bh_clk;
static const struct ly_route *bh_routes[BH_ROUTES];
static size_t bh_nroutes;
static char bh_params[BH_PARAMS][64];
static size_t bh_nparams;
static struct ly_account bh_acct[6]; /* by role bit: patient, doctor, pharmacist, staff, admin, supervisor */

static const char *const bh_users[6] = {"patient1",  "doctor1", "pharmacist1",
                                        "pharmacy1", "admin",   "supervisor"};

static void bh_die(const char *what) {
  fprintf(stderr, "body harness: %s\n", what);
  abort();
}

static int bh_in_family(const char *name) {
  static const char *const family[] = BODY_FAMILY;
  for (size_t i = 0; family[i] != NULL; i++)
    if (strncmp(name, family[i], strlen(family[i])) == 0) return 1;
  return 0;
}

static void bh_param(const char *v) {
  if (v != NULL && v[0] && bh_nparams < BH_PARAMS) snprintf(bh_params[bh_nparams++], 64, "%s", v);
}

static const struct ly_route *bh_route(const char *name) {
  for (const struct ly_route *r = ly_routes; r->pattern != NULL; r++)
    if (strcmp(r->name, name) == 0) return r;
  bh_die(name);
  return NULL;
}

/* Call a handler as user u (index into bh_users), committed: for setting up. */
static json_t *bh_setup(const char *route, int u, const char *p0, const char *p1, const char *body,
                        const char *idem) {
  struct ly_req req = {.srv = &bh_srv, .lang = "en", .query = "", .ip = "127.0.0.1"};
  struct ly_resp resp = {.status = 200};
  struct ly_error e;
  req.route = bh_route(route);
  req.method = req.route->method;
  req.path = req.route->pattern;
  req.params[0] = p0;
  req.params[1] = p1;
  req.nparams = 2;
  req.acct = &bh_acct[u];
  req.idempotency_key = idem;
  if (body != NULL &&
      ly_json_parse(body, strlen(body), BH_BODY_MAX, LY_JSON_MAX_DEPTH_DEFAULT, &req.json, &e))
    bh_die(body);
  req.body = body;
  req.body_len = body ? strlen(body) : 0;
  if (ly_db_begin(bh_srv.db) != 0) bh_die("begin");
  req.route->handler(&req, &resp);
  if (ly_db_commit(bh_srv.db) != 0) bh_die("commit");
  json_decref(req.json);
  free(resp.raw);
  if (resp.status >= 300) {
    char *s = resp.json ? json_dumps(resp.json, 0) : NULL;
    fprintf(stderr, "body harness: setup %s answered %d %s\n", route, resp.status, s ? s : "");
    abort();
  }
  return resp.json;
}

static const char *bh_str(json_t *o, const char *a, const char *b) {
  json_t *v = json_object_get(o, a);
  if (b != NULL) v = json_object_get(v, b);
  return json_string_value(v);
}

static void bh_exec(const char *sql) {
  if (ly_db_exec(bh_srv.db, sql) != 0) bh_die(sql);
}

/* A consultation of patient1 with doctor1 that has ended, to hang things on. */
static void bh_consultation(void) {
  static const char sql[] =
      "INSERT INTO consultations (id, patient_id, doctor_id, facility_id, icd10, state, booked_at, "
      "started_at,"
      " ended_at, updated_at) SELECT 'con_fuzz', p.id, d.account_id, d.facility_id, 'I10', 'ended', 0, 1, 2, "
      "2"
      " FROM patients p JOIN accounts a ON a.id = p.account_id, doctors d JOIN accounts b ON b.id = "
      "d.account_id"
      " WHERE a.username = 'patient1' AND b.username = 'doctor1'";
  bh_exec(sql);
  bh_param("con_fuzz");
}

/* Prescriptions in several states, and the other objects the routes name. */
static void bh_objects(void) {
  char body[1024], rx[4][64];
  const char *pid = bh_acct[0].patient_id;
  bh_param(pid);
  bh_consultation();
  snprintf(body, sizeof body,
           "{\"patient_id\":\"%s\",\"consultation_id\":\"con_fuzz\",\"icd10\":\"I10\",\"kind\":\"normal\","
           "\"items\":[{\"drug_id\":\"drug-amlodipine-5mg-tab\",\"quantity\":1,\"days\":7,\"daily_units\":1,"
           "\"dose\":\"5 mg qd\"}]}",
           pid);
  for (int i = 0; i < 4; i++) {
    json_t *r = bh_setup("rx.create", 1, NULL, NULL, body, NULL);
    snprintf(rx[i], sizeof rx[i], "%s", bh_str(r, "prescription", "id"));
    json_decref(r);
    bh_param(rx[i]);
    if (i >= 1) json_decref(bh_setup("rx.sign", 1, rx[i], NULL, NULL, NULL));
    if (i >= 2) json_decref(bh_setup("rx.approve", 2, rx[i], NULL, NULL, NULL));
  }
  snprintf(body, sizeof body, "{\"mode\":\"pickup\",\"pharmacy_id\":\"%s\"}", bh_acct[3].pharmacy_id);
  json_decref(bh_setup("rx.dispatch", 0, rx[3], NULL, body, NULL));
  json_decref(bh_setup("pharmacy.claim", 3, rx[3], NULL, NULL, NULL));
  json_t *n = bh_setup("records.notes_save", 1, "con_fuzz", NULL,
                       "{\"chief_complaint\":\"x\",\"diagnoses\":[\"I10\"]}", NULL);
  bh_param(bh_str(n, "note", "id"));
  json_decref(n);
  json_t *l =
      bh_setup("records.labs_order", 1, pid, NULL,
               "{\"facility_id\":\"hosp-renmin\",\"kind\":\"lab\",\"code\":\"HBA1C\",\"name\":\"x\"}", NULL);
  bh_param(bh_str(l, "order", "id"));
  json_decref(l);
  json_t *c =
      bh_setup("records.careplans_create", 1, pid, NULL, "{\"icd10\":\"I10\",\"follow_up_days\":30}", NULL);
  bh_param(bh_str(c, "id", NULL));
  json_decref(c);
  snprintf(body, sizeof body, "{\"doctor_id\":\"%s\"}", bh_acct[1].id);
  json_decref(bh_setup("family_doctor.put", 0, NULL, NULL, body, NULL));
}

static void bh_more_objects(void) {
  char body[1024];
  const char *pid = bh_acct[0].patient_id;
  snprintf(body, sizeof body,
           "{\"direction\":\"up\",\"patient_id\":\"%s\",\"to_department_id\":\"dept-renmin-cardiology\","
           "\"urgency\":\"routine\",\"icd10\":\"I10\",\"reason\":\"x\",\"summary\":\"y\"}",
           pid);
  json_t *r = bh_setup("referrals.create", 1, NULL, NULL, body, NULL);
  bh_param(bh_str(r, "referral", "id"));
  json_decref(r);
  snprintf(
      body, sizeof body,
      "{\"patient_id\":\"%s\",\"facility_id\":\"cc-pingshan\",\"encounter_type\":\"dispense\","
      "\"encounter_id\":\"fuzz-1\",\"service_at\":%lld,\"doctor_title\":\"gp\",\"items\":[{\"kind\":\"fee\","
      "\"code\":\"110200001\"}]}",
      pid, (long long)(bh_clk.now - 3600000));
  json_t *cl = bh_setup("claims.settle", 4, NULL, NULL, body, NULL);
  bh_param(bh_str(cl, "claim", "id"));
  json_decref(cl);
  bh_param(bh_acct[1].id);
  bh_param("drug-amlodipine-5mg-tab");
  bh_param("dept-renmin-cardiology");
  bh_param("accept");
  bh_param("cancel");
  bh_param("none");
}

static void bh_account(int u) {
  static const char sql[] = "SELECT id FROM accounts WHERE username = ?1";
  sqlite3_stmt *st = ly_db_stmt(bh_srv.db, sql);
  ly_db_bind_text(st, 1, bh_users[u]);
  if (sqlite3_step(st) != SQLITE_ROW) bh_die(bh_users[u]);
  char id[64];
  snprintf(id, sizeof id, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (auth_load_account(&bh_srv, id, &bh_acct[u]) != 0) bh_die("account");
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  char dir[] = "/tmp/ly_fuzz_body_XXXXXX", path[96];
  uint8_t key[32] = {1, 2, 3};
  struct ly_error e;
  (void)argc;
  (void)argv;
  if (mkdtemp(dir) == NULL) bh_die("mkdtemp");
  snprintf(path, sizeof path, "%s/lianyi.db", dir);
  ly_fake_clock_init(&bh_clk, ly_now_ms(ly_clock_system()));
  bh_srv.clock = &bh_clk.clock;
  ly_logger_init(&bh_srv.log, 2, LY_LOG_OFF, bh_srv.clock);
  snprintf(bh_srv.cfg.data, sizeof bh_srv.cfg.data, "%s", dir);
  bh_srv.cfg.session_ttl_s = 3600;
  bh_srv.cfg.max_body = BH_BODY_MAX;
  bh_srv.cfg.max_connections = 100;
  bh_srv.cfg.resume_window_ms = 30000;
  bh_srv.cfg.followup_window_days = 365;
  bh_srv.cfg.dispatch_deadline_s = 7200;
  bh_srv.cfg.billing_interval_ms = 10000;
  if (ly_keys_derive(key, &bh_srv.keys) != 0 || ly_db_open(path, &bh_srv.db, &e) != 0 ||
      metrics_init(bh_clk.now, &bh_srv.metrics) != 0 || auth_init(&bh_srv, &bh_srv.auth) != 0 ||
      demo_seed(&bh_srv) != 0 || h_consultations_ws_init(&bh_srv) != 0)
    bh_die("server context");
  for (int u = 0; u < 6; u++)
    bh_account(u);
  bh_objects();
  bh_more_objects();
  for (const struct ly_route *r = ly_routes; r->pattern != NULL && bh_nroutes < BH_ROUTES; r++)
    if (bh_in_family(r->name) && strcmp(r->name, "sessions.create") != 0) bh_routes[bh_nroutes++] = r;
  if (bh_nroutes == 0) bh_die("no routes in the family");
  return 0;
}

/* "name role p0 p1\n" → route, account, two params; returns the header length. */
static size_t bh_header(const uint8_t *data, size_t size, const struct ly_route **route,
                        const struct ly_account **acct, const char **p0, const char **p1) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t hl = nl ? (size_t)(nl - data) : size, nl_len = 0;
  uint32_t h = 2166136261u;
  unsigned num[3] = {0, 0, 0};
  while (nl_len < hl && data[nl_len] != ' ')
    nl_len++;
  for (size_t i = 0; i < nl_len; i++)
    h = (h ^ data[i]) * 16777619u;
  *route = bh_routes[h % bh_nroutes];
  for (size_t i = 0; i < bh_nroutes; i++)
    if (strlen(bh_routes[i]->name) == nl_len && memcmp(bh_routes[i]->name, data, nl_len) == 0)
      *route = bh_routes[i];
  for (size_t i = nl_len, k = 0; i < hl && k < 3; i++) {
    if (data[i] >= '0' && data[i] <= '9') num[k] = num[k] * 10 + (data[i] - '0');
    if (data[i] == ' ' && i > nl_len) k++;
  }
  unsigned roles = (*route)->roles ? (*route)->roles : LY_ROLE_ANY, pick = num[0] % 6;
  while (!(roles & (1u << pick)))
    pick = (pick + 1) % 6;
  *acct = &bh_acct[pick];
  *p0 = bh_params[num[1] % bh_nparams];
  *p1 = bh_params[num[2] % bh_nparams];
  return nl ? hl + 1 : size;
}

static void bh_check(const struct ly_resp *resp) {
  if (resp->status < 200 || resp->status > 599) __builtin_trap();
  if (resp->json == NULL) return;
  char *s = json_dumps(resp->json, JSON_COMPACT);
  if (s == NULL) __builtin_trap();
  free(s);
  if (resp->status >= 400 && !json_is_string(json_object_get(json_object_get(resp->json, "error"), "code")))
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const struct ly_route *route;
  const struct ly_account *acct;
  const char *p0, *p1;
  struct ly_error e;
  if (size > BH_BODY_MAX) return 0;
  size_t off = bh_header(data, size, &route, &acct, &p0, &p1);
  char *rest = malloc(size - off + 1);
  if (rest == NULL) return 0;
  memcpy(rest, data + off, size - off);
  rest[size - off] = '\0';
  struct ly_req req = {.srv = &bh_srv,
                       .method = route->method,
                       .path = route->pattern,
                       .lang = "zh-CN",
                       .query = "",
                       .ip = "127.0.0.1",
                       .route = route,
                       .acct = acct,
                       .token = "fuzz"};
  struct ly_resp resp = {.status = 200};
  req.params[0] = p0;
  req.params[1] = p1;
  req.nparams = 2;
  req.idempotency_key = "fuzz-key";
  int body = route->method == LY_POST || route->method == LY_PUT || route->method == LY_PATCH;
  if (!body) req.query = rest;
  memset(&e, 0, sizeof e);
  if (body && size > off) {
    req.body = rest;
    req.body_len = size - off;
    if (ly_json_parse(rest, size - off, BH_BODY_MAX, LY_JSON_MAX_DEPTH_DEFAULT, &req.json, &e) != 0) {
      free(rest);
      return 0; /* server/http.c answers 400 before any handler */
    }
  }
  if (ly_db_begin(bh_srv.db) != 0) __builtin_trap();
  int rc = route->handler(&req, &resp);
  if (rc != 0 && resp.json == NULL && resp.raw == NULL)
    resp.status = 500; /* http.c turns rc into an error */
  else
    bh_check(&resp);
  ly_db_rollback(bh_srv.db);
  if (ly_db_in_tx(bh_srv.db)) __builtin_trap(); /* the handler left a transaction open */
  json_decref(req.json);
  json_decref(resp.json);
  free(resp.raw);
  free(rest);
  return 0;
}

#endif
