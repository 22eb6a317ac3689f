/* tests/unit/core/test_config.c — core/config.c: precedence, parsing, errors, help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"

struct cfg {
  char listen[LY_OPT_STR_MAX];
  char name[LY_OPT_STR_MAX];
  int64_t port;
  int demo;
  int64_t ttl;
};

static const struct ly_opt opts[] = {
    {"listen", LY_OPT_STRING, offsetof(struct cfg, listen), "127.0.0.1:8080", 0, 0, "HOST:PORT",
     "Address to listen on."},
    {"media-port", LY_OPT_INT, offsetof(struct cfg, port), "40000", 1, 65535, "PORT",
     "First UDP media port."},
    {"demo", LY_OPT_BOOL, offsetof(struct cfg, demo), "false", 0, 0, NULL, "Create the demo district."},
    {"session-ttl-s", LY_OPT_INT, offsetof(struct cfg, ttl), "43200", 60, 2592000, NULL, "Session lifetime."},
    {"name", LY_OPT_STRING, offsetof(struct cfg, name), NULL, 0, 0, NULL, "A name without a default."},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static char cfg_path[64];

static int setup(void **state) {
  snprintf(cfg_path, sizeof cfg_path, "/tmp/ly_test_cfg.XXXXXX");
  int fd = mkstemp(cfg_path);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

static int teardown(void **state) {
  unlink(cfg_path);
  return 0;
}

static void write_file(const char *text) {
  FILE *f = fopen(cfg_path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* argv from a NULL-terminated list; argv[0] is the program. */
static int load(struct cfg *c, char **argv, char **envp, int *next, int *help, struct ly_error *e) {
  int argc = 0;
  while (argv[argc])
    argc++;
  memset(c, 0x5a, sizeof *c); /* garbage: every field must be written */
  ly_error_clear(e);
  return ly_config_load(opts, NOPTS, c, argc, argv, 1, envp, next, help, e);
}

static void test_defaults(void **state) {
  struct cfg c;
  struct ly_error e;
  char *argv[] = {"lianyi", NULL};
  int next = -1, help = -1;
  assert_int_equal(load(&c, argv, NULL, &next, &help, &e), LY_OK);
  assert_string_equal(c.listen, "127.0.0.1:8080");
  assert_string_equal(c.name, "");
  assert_int_equal(c.port, 40000);
  assert_int_equal(c.demo, 0);
  assert_int_equal(c.ttl, 43200);
  assert_int_equal(next, 1);
  assert_int_equal(help, 0);
}

static void test_precedence(void **state) {
  struct cfg c;
  struct ly_error e;
  char cfgflag[96];
  snprintf(cfgflag, sizeof cfgflag, "--config=%s", cfg_path);
  write_file(
      "# a comment\n\nlisten = file:1\nmedia-port = 1000\n  name = \" from file \"  \r\nsession-ttl-s=600\n");
  char *argv[] = {"lianyi", cfgflag, "--listen", "flag:3", NULL};
  char *envp[] = {"PATH=/bin", "LIANYI_LISTEN=env:2", "LIANYI_MEDIA_PORT=2000", "LIANYI_BIN=/x/lianyi", NULL};
  assert_int_equal(load(&c, argv, envp, NULL, NULL, &e), LY_OK);
  assert_string_equal(c.listen, "flag:3");    /* flag > env > file */
  assert_int_equal(c.port, 2000);             /* env > file */
  assert_string_equal(c.name, " from file "); /* file > default; quotes keep spaces */
  assert_int_equal(c.ttl, 600);
  assert_int_equal(c.demo, 0); /* default */
  /* LIANYI_CONFIG names the file when there is no --config */
  char envcfg[96];
  snprintf(envcfg, sizeof envcfg, "LIANYI_CONFIG=%s", cfg_path);
  char *argv2[] = {"lianyi", NULL};
  char *envp2[] = {envcfg, NULL};
  assert_int_equal(load(&c, argv2, envp2, NULL, NULL, &e), LY_OK);
  assert_string_equal(c.listen, "file:1");
  assert_int_equal(c.port, 1000);
}

static void test_flag_forms(void **state) {
  struct cfg c;
  struct ly_error e;
  int next = 0;
  char *a1[] = {"lianyi", "--media-port=5", "--name", "x y", "--demo", "audit", "--listen", "ignored", NULL};
  assert_int_equal(load(&c, a1, NULL, &next, NULL, &e), LY_OK);
  assert_int_equal(c.port, 5);
  assert_string_equal(c.name, "x y");
  assert_int_equal(c.demo, 1); /* bare bool flag means true */
  assert_int_equal(next, 5);   /* "audit": the first non-flag argument */
  assert_string_equal(c.listen, "127.0.0.1:8080");
  char *a2[] = {"lianyi", "--demo=false", "--", "--listen", NULL};
  assert_int_equal(load(&c, a2, NULL, &next, NULL, &e), LY_OK);
  assert_int_equal(c.demo, 0);
  assert_int_equal(next, 3);
  char *a3[] = {"lianyi", "--demo=1", "--name=", NULL};
  assert_int_equal(load(&c, a3, NULL, &next, NULL, &e), LY_OK);
  assert_int_equal(c.demo, 1);
  assert_string_equal(c.name, "");
  assert_int_equal(next, 3);
  char *envp[] = {"LIANYI_DEMO=true", "LIANYI_SESSION_TTL_S=120", NULL};
  char *a4[] = {"lianyi", NULL};
  assert_int_equal(load(&c, a4, envp, &next, NULL, &e), LY_OK);
  assert_int_equal(c.demo, 1);
  assert_int_equal(c.ttl, 120);
}

static void test_errors(void **state) {
  struct cfg c;
  struct ly_error e;
  char *unknown[] = {"lianyi", "--bogus=1", NULL};
  assert_int_equal(load(&c, unknown, NULL, NULL, NULL, &e), LY_EINVAL);
  assert_string_equal(e.field, "bogus");
  assert_non_null(strstr(e.message, "--bogus"));
  char *single[] = {"lianyi", "-x", NULL};
  assert_int_equal(load(&c, single, NULL, NULL, NULL, &e), LY_EINVAL);
  char *badint[] = {"lianyi", "--media-port", "80a", NULL};
  assert_int_equal(load(&c, badint, NULL, NULL, NULL, &e), LY_EINVAL);
  assert_string_equal(e.field, "media-port");
  assert_non_null(strstr(e.message, "'80a' is not an integer"));
  char *range[] = {"lianyi", "--media-port=70000", NULL};
  assert_int_equal(load(&c, range, NULL, NULL, NULL, &e), LY_EINVAL);
  assert_non_null(strstr(e.message, "1..65535"));
  char *empty[] = {"lianyi", "--media-port=", NULL};
  assert_int_equal(load(&c, empty, NULL, NULL, NULL, &e), LY_EINVAL);
  char *space[] = {"lianyi", "--media-port= 5", NULL};
  assert_int_equal(load(&c, space, NULL, NULL, NULL, &e), LY_EINVAL);
  char *nobool[] = {"lianyi", "--demo=yes", NULL};
  assert_int_equal(load(&c, nobool, NULL, NULL, NULL, &e), LY_EINVAL);
  char *novalue[] = {"lianyi", "--listen", NULL};
  assert_int_equal(load(&c, novalue, NULL, NULL, NULL, &e), LY_EINVAL);
  assert_non_null(strstr(e.message, "needs a value"));
  char *ok[] = {"lianyi", NULL};
  char *envp[] = {"LIANYI_MEDIA_PORT=lots", NULL};
  assert_int_equal(load(&c, ok, envp, NULL, NULL, &e), LY_EINVAL);
  assert_non_null(strstr(e.message, "LIANYI_MEDIA_PORT"));
  char *missing[] = {"lianyi", "--config", "/nonexistent/lianyi.conf", NULL};
  assert_int_equal(load(&c, missing, NULL, NULL, NULL, &e), LY_EINVAL);
  assert_non_null(strstr(e.message, "/nonexistent/lianyi.conf"));
}

static void test_long_strings(void **state) {
  struct cfg c;
  struct ly_error e;
  static char flag[LY_OPT_STR_MAX + 16];
  int n = snprintf(flag, sizeof flag, "--name=");
  memset(flag + n, 'a', LY_OPT_STR_MAX - 1);
  flag[n + LY_OPT_STR_MAX - 1] = '\0';
  char *argv[] = {"lianyi", flag, NULL};
  assert_int_equal(load(&c, argv, NULL, NULL, NULL, &e), LY_OK);
  assert_int_equal(strlen(c.name), LY_OPT_STR_MAX - 1);
  flag[n + LY_OPT_STR_MAX - 1] = 'a';
  flag[n + LY_OPT_STR_MAX] = '\0';
  assert_int_equal(load(&c, argv, NULL, NULL, NULL, &e), LY_EINVAL);
  assert_string_equal(e.field, "name");
}

static void test_file_errors(void **state) {
  struct cfg c;
  struct ly_error e;
  char cfgflag[96];
  snprintf(cfgflag, sizeof cfgflag, "--config=%s", cfg_path);
  char *argv[] = {"lianyi", cfgflag, NULL};
  char where[96];
  write_file("listen = a\n# fine\n\nfrobnicate = 3\n");
  assert_int_equal(load(&c, argv, NULL, NULL, NULL, &e), LY_EINVAL);
  snprintf(where, sizeof where, "%s:4", cfg_path);
  assert_non_null(strstr(e.message, where));
  assert_non_null(strstr(e.message, "frobnicate"));
  write_file("listen = a\njust words\n");
  assert_int_equal(load(&c, argv, NULL, NULL, NULL, &e), LY_EINVAL);
  snprintf(where, sizeof where, "%s:2", cfg_path);
  assert_non_null(strstr(e.message, where));
  write_file("media-port = 0\n");
  assert_int_equal(load(&c, argv, NULL, NULL, NULL, &e), LY_EINVAL);
  snprintf(where, sizeof where, "%s:1", cfg_path);
  assert_non_null(strstr(e.message, where));
  assert_string_equal(e.field, "media-port");
  /* a file over the limit is refused whole */
  FILE *f = fopen(cfg_path, "w");
  for (int i = 0; i < LY_CONFIG_FILE_MAX / 10 + 1; i++)
    fputs("# padding\n", f);
  fclose(f);
  assert_int_equal(load(&c, argv, NULL, NULL, NULL, &e), LY_EINVAL);
}

static void test_help(void **state) {
  struct cfg c;
  struct ly_error e;
  int help = 0;
  char *argv[] = {"lianyi", "--listen=x", "--help", "--bogus", NULL};
  assert_int_equal(load(&c, argv, NULL, NULL, &help, &e), LY_OK);
  assert_int_equal(help, 1);
  assert_int_equal(load(&c, argv, NULL, NULL, NULL, &e), LY_EINVAL); /* help_out NULL: unknown */

  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  ly_config_help(out, "lianyi serve [options]", opts, NOPTS);
  fclose(out);
  assert_int_equal(strncmp(buf, "Usage: lianyi serve [options]\n\n", 31), 0);
  assert_non_null(strstr(buf, "--listen HOST:PORT"));
  assert_non_null(strstr(buf, "--session-ttl-s N"));
  assert_non_null(strstr(buf, "LIANYI_SESSION_TTL_S"));
  assert_non_null(strstr(buf, "default 127.0.0.1:8080"));
  assert_non_null(strstr(buf, "default 40000"));
  assert_non_null(strstr(buf, "--config FILE"));
  assert_non_null(strstr(buf, "LIANYI_CONFIG"));
  /* help texts start in one column */
  const char *h1 = strstr(buf, "Address to listen on."), *h2 = strstr(buf, "First UDP media port.");
  const char *l1 = h1, *l2 = h2;
  while (l1 > buf && l1[-1] != '\n')
    l1--;
  while (l2 > buf && l2[-1] != '\n')
    l2--;
  assert_int_equal(h1 - l1, h2 - l2);
  assert_true(h1 - l1 > (long)strlen("  --session-ttl-s N"));
  free(buf);
  /* a usage paragraph that already says "Usage:" is printed as it is */
  out = open_memstream(&buf, &len);
  ly_config_help(out, "Usage: lianyi audit verify\n\nChecks the chain.\n", opts, 1);
  fclose(out);
  assert_int_equal(strncmp(buf, "Usage: lianyi audit verify\n\nChecks the chain.\n\nOptions", 54), 0);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),     cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_flag_forms),   cmocka_unit_test(test_errors),
      cmocka_unit_test(test_long_strings), cmocka_unit_test(test_file_errors),
      cmocka_unit_test(test_help),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
