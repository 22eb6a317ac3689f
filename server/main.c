/* server/main.c — the lianyi command: `serve` and `audit verify`. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/err.h"
#include "server/server.h"
#include "server/server_internal.h"

static void usage(FILE *out) {
  fprintf(out,
          "Lianyi (联医) — online-plus-offline medical platform server.\n"
          "\n"
          "Usage:\n"
          "  lianyi serve [options]          run the server (lianyi serve --help)\n"
          "  lianyi audit verify [options]   check the audit chain (lianyi audit verify --help)\n"
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
  if (!strcmp(argv[1], "serve")) return cmd_serve(argc, argv);
  if (!strcmp(argv[1], "audit") && argc >= 3 && !strcmp(argv[2], "verify"))
    return cmd_audit_verify(argc, argv);
  fprintf(stderr, "lianyi: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
