/* tests/fuzz/fuzz_config.c — libFuzzer target for core/config.c with the
 * server's option table (server/options.c): the config file parser, flags
 * and the environment. Input: the first byte picks where the rest goes —
 * 0: the content of the config file (--config FILE); 1: flags, one per line;
 * 2: environment entries (NAME=value), one per line; 3: all three, split at
 * the first two NUL bytes. Properties: on success every string option is
 * NUL-terminated inside its buffer and every integer option is within its
 * bounds; on failure the error says which option; nothing is read outside
 * the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "server/server.h"
#include "server/server_internal.h"

#define MAX_ARGS 64

static char cfg_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  char dir[] = "/tmp/ly_fuzz_cfg_XXXXXX";
  (void)argc;
  (void)argv;
  if (mkdtemp(dir) == NULL) abort();
  snprintf(cfg_path, sizeof cfg_path, "%s/lianyi.conf", dir);
  return 0;
}

/* Split s (NUL-terminated, modified) at '\n' into out[1..]; returns the count. */
static int split_lines(char *s, char **out, int max) {
  int n = 0;
  while (s != NULL && *s && n < max) {
    char *nl = strchr(s, '\n');
    if (nl) *nl = '\0';
    out[n++] = s;
    s = nl ? nl + 1 : NULL;
  }
  return n;
}

static void check(const struct ly_config *c) {
  for (size_t i = 0; i < server_nopts; i++) {
    const struct ly_opt *o = &server_opts[i];
    const char *p = (const char *)c + o->offset;
    if (o->kind == LY_OPT_STRING && memchr(p, '\0', LY_OPT_STR_MAX) == NULL) __builtin_trap();
    if (o->kind == LY_OPT_INT) {
      int64_t v;
      memcpy(&v, p, sizeof v);
      if (v < o->min || v > o->max) __builtin_trap();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *argv[MAX_ARGS + 5], *envp[MAX_ARGS + 1]; /* "lianyi serve --config FILE", flags, NULL */
  int argc = 2, envc = 0, help = 0, next = 0;
  struct ly_config cfg;
  struct ly_error e;

  if (size < 1 || size > LY_CONFIG_FILE_MAX + 1024) return 0;
  char *buf = malloc(size);
  if (buf == NULL) return 0;
  memcpy(buf, data + 1, size - 1);
  buf[size - 1] = '\0';
  char *file = NULL, *flags = NULL, *env = NULL;
  size_t n = size - 1;
  switch (data[0] & 3) {
    case 0:
      file = buf;
      break;
    case 1:
      flags = buf;
      break;
    case 2:
      env = buf;
      break;
    default: {
      file = buf;
      char *a = memchr(buf, '\0', n);
      flags = a && a + 1 < buf + n ? a + 1 : NULL;
      char *b = flags ? memchr(flags, '\0', (size_t)(buf + n - flags)) : NULL;
      env = b && b + 1 < buf + n ? b + 1 : NULL;
      n = strlen(buf);
    }
  }
  argv[0] = "lianyi";
  argv[1] = "serve";
  if (file != NULL) {
    size_t len = (data[0] & 3) == 0 ? n : strlen(file);
    FILE *f = fopen(cfg_path, "wb");
    if (f == NULL || fwrite(file, 1, len, f) != len) abort();
    fclose(f);
    argv[argc++] = "--config";
    argv[argc++] = cfg_path;
  }
  argc += split_lines(flags, argv + argc, MAX_ARGS);
  argv[argc] = NULL;
  envc = split_lines(env, envp, MAX_ARGS);
  envp[envc] = NULL;
  memset(&e, 0, sizeof e);
  int rc = ly_config_load(server_opts, server_nopts, &cfg, argc, argv, 2, envp, &next, &help, &e);
  if (rc == 0 && !help) check(&cfg);
  if (rc != 0 && (rc != LY_EINVAL || e.err == 0 || memchr(e.message, '\0', sizeof e.message) == NULL))
    __builtin_trap();
  if (!help && (next < 2 || next > argc)) __builtin_trap(); /* --help returns before the scan */
  free(buf);
  return 0;
}
