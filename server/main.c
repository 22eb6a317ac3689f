/* server/main.c — the lianyi command: `serve` and the operator's tools
 * (`audit verify`, `claims statement`, …), chosen from one table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/err.h"
#include "insurance/statement.h"
#include "records/diagnosis.h"
#include "rx/prescription.h"
#include "server/http.h"
#include "server/server.h"
#include "server/server_internal.h"

static void usage(FILE *out) {
  fprintf(out,
          "Lianyi (联医) — online-plus-offline medical platform server.\n"
          "\n"
          "Usage:\n"
          "  lianyi serve [options]          run the server (lianyi serve --help)\n"
          "  lianyi audit verify [options]   check the audit chain (lianyi audit verify --help)\n"
          "  lianyi import diagnoses [--data DIR] FILE   offline diagnoses from a HIS CSV export\n"
          "  lianyi rx verify FILE [PUBKEY]  verify a signed prescription offline\n"
          "  lianyi claims statement --date D [--facility F] [--format csv|json] [--check] [--data DIR]\n"
          "                                  daily insurance statement; --check reconciles lines,\n"
          "                                  claims and accumulators (exit 1 on any difference)\n"
          "  lianyi --help                   this text and every option\n"
          "\n");
}

static int cmd_serve(int argc, char **argv) {
  struct ly_server srv;
  int rc = server_init(&srv, argc, argv, 2);

  if (rc == 0) rc = server_run(&srv);
  server_close(&srv);
  if (rc == 1) return 0; /* --help */
  return rc == 0 ? 0 : 1;
}

/* Exit 0 when intact, 1 when broken, 2 when it could not be checked. */
static int cmd_audit_verify(int argc, char **argv) {
  struct ly_config cfg;
  struct ly_error e;
  struct ly_db *db = NULL;
  struct stat st;
  char path[LY_OPT_STR_MAX + 32];
  int help = 0;
  int64_t checked = 0, bad = 0;

  ly_error_clear(&e);
  if (options_load_audit(&cfg, argc, argv, 3, &help, &e) != 0) {
    fprintf(stderr, "lianyi audit verify: %s\n", e.message);
    return 2;
  }
  if (help) {
    options_help_audit(stdout);
    return 0;
  }
  snprintf(path, sizeof(path), "%s/lianyi.db", cfg.data);
  if (stat(path, &st) != 0) {
    fprintf(stderr, "lianyi audit verify: no database at %s\n", path);
    return 2;
  }
  if (ly_db_open(path, &db, &e) != 0) {
    fprintf(stderr, "lianyi audit verify: %s\n", e.message);
    return 2;
  }
  int rc = ly_audit_verify(db, &checked, &bad);
  ly_db_close(db);
  if (rc == 0) {
    printf("OK: %lld entries\n", (long long)checked);
    return 0;
  }
  if (rc == LY_ECONFLICT) {
    printf("BROKEN: first bad entry seq=%lld\n", (long long)bad);
    return 1;
  }
  fprintf(stderr, "lianyi audit verify: %s\n", ly_strerror(rc));
  return 2;
}

/* --data DIR / --data=DIR anywhere in argv, else LIANYI_DATA, else ./data:
 * the tools below take the rest of their arguments themselves. */
static const char *tool_data_dir(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--data") && i + 1 < argc) return argv[i + 1];
    if (!strncmp(argv[i], "--data=", 7)) return argv[i] + 7;
  }
  const char *env = getenv("LIANYI_DATA");
  return env && *env ? env : "./data";
}

/* Open DATA/lianyi.db for a tool (migrating it like the server would). */
static int tool_open_db(const char *tool, int argc, char **argv, struct ly_db **db) {
  char path[LY_OPT_STR_MAX + 32];
  struct stat st;
  struct ly_error e;
  ly_error_clear(&e);
  snprintf(path, sizeof(path), "%s/lianyi.db", tool_data_dir(argc, argv));
  if (stat(path, &st) != 0) {
    fprintf(stderr, "lianyi %s: no database at %s\n", tool, path);
    return 2;
  }
  if (ly_db_open(path, db, &e) != 0) {
    fprintf(stderr, "lianyi %s: %s\n", tool, e.message);
    return 2;
  }
  return 0;
}

static int cmd_claims_statement(int argc, char **argv) {
  struct ly_db *db = NULL;
  int rc = tool_open_db("claims statement", argc, argv, &db);
  if (rc) return rc;
  rc = statement_cli(db, argc - 2, argv + 2, stdout, stderr);
  ly_db_close(db);
  return rc;
}

/* lianyi import diagnoses [--data DIR] FILE — offline diagnoses from a HIS CSV. */
static int cmd_import_diagnoses(int argc, char **argv) {
  struct ly_server srv;
  int next = argc;
  int rc = server_open_tool(&srv, "import diagnoses", argc, argv, 3, &next);
  if (rc == 0 && next + 1 != argc) {
    fprintf(stderr, "usage: lianyi import diagnoses [--data DIR] FILE\n");
    rc = 2;
  } else if (rc == 0) {
    struct records_ctx cx = {srv.db, srv.clock, &srv.keys};
    rc = diagnosis_import_main(&cx, argv[next], stdout, stderr);
  } else {
    rc = rc == 1 ? 0 : 2;
  }
  server_close(&srv);
  return rc;
}

/* lianyi rx verify FILE [PUBKEY] — check a signed prescription offline. */
static int cmd_rx_verify(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: lianyi rx verify FILE [DOCTOR_PUBLIC_KEY_BASE64URL]\n");
    return 2;
  }
  return prescription_verify_main(argv[3], argc == 5 ? argv[4] : NULL, stdout, stderr);
}

/* lianyi routes --json — the route table as JSON (method, pattern, roles,
 * public, name), for tests/integration/authz_matrix.test.mjs: a route added
 * without a row in its table fails that test. Not in the usage text. */
static int cmd_routes(int argc, char **argv) {
  static const char *const role_names[] = {"patient",        "doctor", "pharmacist",
                                           "pharmacy_staff", "admin",  "supervisor"};
  if (argc != 3 || strcmp(argv[2], "--json") != 0) {
    fprintf(stderr, "usage: lianyi routes --json\n");
    return 2;
  }
  json_t *arr = json_array();
  for (const struct ly_route *r = ly_routes; arr && r->pattern != NULL; r++) {
    char method[16];
    json_t *roles = json_array();
    http_methods_str((unsigned)r->method, method, sizeof(method));
    for (size_t i = 0; roles && i < sizeof(role_names) / sizeof(role_names[0]); i++)
      if (r->roles & (1u << i)) json_array_append_new(roles, json_string(role_names[i]));
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:o, s:b, s:s}", "method", method, "pattern", r->pattern, "roles", roles,
                       "public", (r->flags & LY_ROUTE_PUBLIC) != 0, "name", r->name));
  }
  int rc = arr && json_dumpf(arr, stdout, JSON_INDENT(1)) == 0 ? 0 : 1;
  json_decref(arr);
  printf("\n");
  return rc;
}

static const struct {
  const char *word1, *word2; /* word2 NULL: a one-word command */
  int (*run)(int argc, char **argv);
} commands[] = {
    {"serve", NULL, cmd_serve},
    {"audit", "verify", cmd_audit_verify},
    {"claims", "statement", cmd_claims_statement},
    {"import", "diagnoses", cmd_import_diagnoses},
    {"rx", "verify", cmd_rx_verify},
    {"routes", NULL, cmd_routes},
};

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    options_help(stdout);
    printf("\n");
    options_help_audit(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strcmp(argv[1], commands[i].word1) != 0) continue;
    if (commands[i].word2 && (argc < 3 || strcmp(argv[2], commands[i].word2) != 0)) continue;
    return commands[i].run(argc, argv);
  }
  fprintf(stderr, "lianyi: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
