/* core/config.c — options from flags, environment, a config file and defaults.
 *
 * Loading order is defaults, file, environment, flags, each overwriting the
 * last, which gives the documented precedence. Flags are scanned once first
 * (validated, not stored) to find --config and --help before anything else.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define CFG_ENV_PREFIX "LIANYI_"
#define CFG_NAME_MAX   64

struct cfg_val {
  int64_t i;
  const char *s;
};

/* Errors all look alike: LY_EINVAL, code config.invalid, the option's name
 * in e->field and a message that starts with where the value came from. */
static int cfg_err(struct ly_error *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cfg_err(struct ly_error *e, const char *name, const char *fmt, ...) {
  if (!e) return LY_EINVAL;
  va_list ap;
  va_start(ap, fmt);
  ly_error_vsetf(e, LY_EINVAL, "config.invalid", fmt, ap);
  va_end(ap);
  snprintf(e->field, sizeof e->field, "%s", name ? name : "");
  return LY_EINVAL;
}

static const struct ly_opt *cfg_find(const struct ly_opt *opts, size_t nopts, const char *name, size_t len) {
  for (size_t i = 0; i < nopts; i++)
    if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0) return &opts[i];
  return NULL;
}

/* "media-port" → "LIANYI_MEDIA_PORT". */
static void cfg_env_name(const char *name, char *out, size_t outsz) {
  size_t o = (size_t)snprintf(out, outsz, "%s", CFG_ENV_PREFIX);
  for (; *name && o + 1 < outsz; name++)
    out[o++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
  out[o] = '\0';
}

static int cfg_parse_int(const char *s, int64_t *out) {
  if (!*s || isspace((unsigned char)*s)) return -1;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

/* Check value for o without storing it; src names where it came from. */
static int cfg_convert(const struct ly_opt *o, const char *value, const char *src, struct cfg_val *v,
                       struct ly_error *e) {
  v->s = value;
  switch (o->kind) {
    case LY_OPT_STRING:
      if (strlen(value) > LY_OPT_STR_MAX - 1)
        return cfg_err(e, o->name, "%s: value is longer than %d bytes", src, LY_OPT_STR_MAX - 1);
      return LY_OK;
    case LY_OPT_INT:
      if (cfg_parse_int(value, &v->i)) return cfg_err(e, o->name, "%s: '%s' is not an integer", src, value);
      if (v->i < o->min || v->i > o->max) {
        return cfg_err(e, o->name, "%s: %s is out of range %lld..%lld", src, value, (long long)o->min,
                       (long long)o->max);
      }
      return LY_OK;
    case LY_OPT_BOOL:
      if (!strcmp(value, "1") || !strcmp(value, "true"))
        v->i = 1;
      else if (!strcmp(value, "0") || !strcmp(value, "false"))
        v->i = 0;
      else
        return cfg_err(e, o->name, "%s: '%s' is not a boolean (1/0/true/false)", src, value);
      return LY_OK;
  }
  return cfg_err(e, o->name, "%s: unknown option kind", src);
}

static void cfg_store(const struct ly_opt *o, void *target, const struct cfg_val *v) {
  char *p = (char *)target + o->offset;
  if (o->kind == LY_OPT_STRING) {
    snprintf(p, LY_OPT_STR_MAX, "%s", v->s);
  } else if (o->kind == LY_OPT_INT) {
    memcpy(p, &v->i, sizeof v->i);
  } else {
    int b = (int)v->i;
    memcpy(p, &b, sizeof b);
  }
}

static int cfg_set(const struct ly_opt *o, void *target, const char *value, const char *src,
                   struct ly_error *e) {
  struct cfg_val v = {0};
  int rc = cfg_convert(o, value, src, &v, e);
  if (rc == LY_OK && target) cfg_store(o, target, &v);
  return rc;
}

/* Options without a default start as "", 0 or false, so the target is
 * fully defined whatever the caller's struct held before. */
static int cfg_defaults(const struct ly_opt *opts, size_t nopts, void *target, struct ly_error *e) {
  for (size_t i = 0; i < nopts; i++) {
    const struct ly_opt *o = &opts[i];
    if (o->def) {
      int rc = cfg_set(o, target, o->def, "default", e);
      if (rc) return rc;
    } else {
      struct cfg_val zero = {0, ""};
      cfg_store(o, target, &zero);
    }
  }
  return LY_OK;
}

struct cfg_scan {
  const char *config_path; /* from --config, if given */
  int next;
};

/* "--help" or "-h" anywhere before "--": help wins over any other error in
 * the flags, so a user can always get it. */
static int cfg_wants_help(int argc, char **argv, int first) {
  for (int i = first; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
  return 0;
}

/* The value for the flag at argv[*i]; advances *i past a separate value. */
static const char *cfg_flag_value(const struct ly_opt *o, const char *eq, int argc, char **argv, int *i) {
  if (eq) return eq + 1;
  if (o && o->kind == LY_OPT_BOOL) return "true";
  if (*i + 1 < argc) return argv[++*i];
  return NULL;
}

/* Walk the flags. With target NULL values are only checked (pass one). */
static int cfg_flags(const struct ly_opt *opts, size_t nopts, void *target, int argc, char **argv, int first,
                     struct cfg_scan *sc, struct ly_error *e) {
  int i;
  for (i = first; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      i++;
      break;
    }
    if (a[0] != '-' || !strcmp(a, "-")) break; /* first positional argument */
    if (a[1] != '-') return cfg_err(e, a, "unknown option %s", a);
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct ly_opt *o = cfg_find(opts, nopts, name, len);
    char fname[CFG_NAME_MAX];
    snprintf(fname, sizeof fname, "%.*s", (int)(len < sizeof fname ? len : sizeof fname - 1), name);
    int is_config = len == 6 && !memcmp(name, "config", 6);
    if (!o && !is_config) return cfg_err(e, fname, "unknown option %s", a);
    const char *value = cfg_flag_value(o, eq, argc, argv, &i);
    if (!value) return cfg_err(e, fname, "option %s needs a value", a);
    if (is_config) sc->config_path = value;
    if (o) {
      char src[CFG_NAME_MAX + 8];
      snprintf(src, sizeof src, "--%s", o->name);
      int rc = cfg_set(o, target, value, src, e);
      if (rc) return rc;
    }
  }
  sc->next = i;
  return LY_OK;
}

static const char *cfg_getenv(char *const *envp, const char *name) {
  size_t len = strlen(name);
  for (; envp && *envp; envp++)
    if (!strncmp(*envp, name, len) && (*envp)[len] == '=') return *envp + len + 1;
  return NULL;
}

static int cfg_env(const struct ly_opt *opts, size_t nopts, void *target, char *const *envp,
                   struct ly_error *e) {
  for (size_t i = 0; i < nopts; i++) {
    char name[CFG_NAME_MAX + 8];
    cfg_env_name(opts[i].name, name, sizeof name);
    const char *v = cfg_getenv(envp, name);
    if (!v) continue;
    int rc = cfg_set(&opts[i], target, v, name, e);
    if (rc) return rc;
  }
  return LY_OK;
}

static char *cfg_trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  return s;
}

/* One "key = value" line (already trimmed, not blank, not a comment). */
static int cfg_file_line(const struct ly_opt *opts, size_t nopts, void *target, char *line, const char *where,
                         struct ly_error *e) {
  char *eq = strchr(line, '=');
  if (!eq) return cfg_err(e, "", "%s: expected 'key = value', got '%.60s'", where, line);
  *eq = '\0';
  char *key = cfg_trim(line), *value = cfg_trim(eq + 1);
  size_t vlen = strlen(value);
  if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') { /* optional quotes keep edge spaces */
    value[vlen - 1] = '\0';
    value++;
  }
  const struct ly_opt *o = cfg_find(opts, nopts, key, strlen(key));
  if (!o) return cfg_err(e, key, "%s: unknown key '%.60s'", where, key);
  return cfg_set(o, target, value, where, e);
}

static int cfg_read_file(const char *path, char **out, struct ly_error *e) {
  FILE *f = fopen(path, "rb");
  if (!f) return cfg_err(e, "config", "cannot open config file %s: %s", path, strerror(errno));
  char *buf = malloc(LY_CONFIG_FILE_MAX + 1);
  size_t n = buf ? fread(buf, 1, LY_CONFIG_FILE_MAX + 1, f) : 0;
  int bad = ferror(f);
  fclose(f);
  if (!buf) return ly_error_set(e, LY_ENOMEM, NULL, NULL, NULL);
  if (bad || n > LY_CONFIG_FILE_MAX) {
    free(buf);
    return cfg_err(e, "config", "config file %s is unreadable or larger than %d bytes", path,
                   LY_CONFIG_FILE_MAX);
  }
  buf[n] = '\0';
  *out = buf;
  return LY_OK;
}

static int cfg_file(const struct ly_opt *opts, size_t nopts, void *target, const char *path,
                    struct ly_error *e) {
  char *buf = NULL;
  int rc = cfg_read_file(path, &buf, e);
  if (rc) return rc;
  char *line = buf;
  for (int lineno = 1; rc == LY_OK && line; lineno++) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    char *t = cfg_trim(line);
    if (*t && *t != '#') {
      char where[LY_OPT_STR_MAX + 16];
      snprintf(where, sizeof where, "%s:%d", path, lineno);
      rc = cfg_file_line(opts, nopts, target, t, where, e);
    }
    line = nl ? nl + 1 : NULL;
  }
  free(buf);
  return rc;
}

int ly_config_load(const struct ly_opt *opts, size_t nopts, void *target, int argc, char **argv, int first,
                   char *const *envp, int *next_arg, int *help_out, struct ly_error *e) {
  struct cfg_scan sc = {NULL, argc};
  if (!opts || !target) return LY_EINVAL;
  if (help_out) *help_out = 0;
  int rc = cfg_defaults(opts, nopts, target, e);
  if (rc == LY_OK && help_out && cfg_wants_help(argc, argv, first)) {
    *help_out = 1;
    return LY_OK;
  }
  if (rc == LY_OK) rc = cfg_flags(opts, nopts, NULL, argc, argv, first, &sc, e);
  if (rc == LY_OK) {
    const char *path = sc.config_path ? sc.config_path : cfg_getenv(envp, CFG_ENV_PREFIX "CONFIG");
    if (path && *path) rc = cfg_file(opts, nopts, target, path, e);
    if (rc == LY_OK) rc = cfg_env(opts, nopts, target, envp, e);
    if (rc == LY_OK) rc = cfg_flags(opts, nopts, target, argc, argv, first, &sc, e);
  }
  if (next_arg) *next_arg = sc.next;
  return rc;
}

/* "--name METAVAR" as printed in the first column. */
static void cfg_help_flag(const struct ly_opt *o, char *out, size_t outsz) {
  const char *mv = o->metavar ? o->metavar : o->kind == LY_OPT_INT ? "N" : "VALUE";
  if (o->kind == LY_OPT_BOOL)
    snprintf(out, outsz, "--%s", o->name);
  else
    snprintf(out, outsz, "--%s %s", o->name, mv);
}

static void cfg_help_row(FILE *out, int width, const char *flag, const char *help, const char *env,
                         const char *def) {
  fprintf(out, "  %-*s  %s\n", width, flag, help ? help : "");
  if (env) {
    fprintf(out, "  %-*s  [env %s", width, "", env);
    if (def && *def) fprintf(out, ", default %s", def);
    fprintf(out, "]\n");
  }
}

void ly_config_help(FILE *out, const char *usage, const struct ly_opt *opts, size_t nopts) {
  char flag[CFG_NAME_MAX + 48], env[CFG_NAME_MAX + 8];
  int width = (int)strlen("--config FILE"), has_config = 0;
  for (size_t i = 0; i < nopts; i++) {
    cfg_help_flag(&opts[i], flag, sizeof flag);
    if ((int)strlen(flag) > width) width = (int)strlen(flag);
    if (!strcmp(opts[i].name, "config")) has_config = 1;
  }
  /* usage may be one line ("lianyi serve [options]") or a whole paragraph
   * that already starts with "Usage:". */
  if (usage && *usage) {
    size_t ulen = strlen(usage);
    fprintf(out, "%s%s%s\n", strncmp(usage, "Usage:", 6) ? "Usage: " : "", usage,
            usage[ulen - 1] == '\n' ? "" : "\n");
  }
  fprintf(out, "Options (flags > environment > config file > default):\n");
  for (size_t i = 0; i < nopts; i++) {
    cfg_help_flag(&opts[i], flag, sizeof flag);
    cfg_env_name(opts[i].name, env, sizeof env);
    cfg_help_row(out, width, flag, opts[i].help, env, opts[i].def);
  }
  if (!has_config)
    cfg_help_row(out, width, "--config FILE", "Read options from FILE (key = value lines).",
                 CFG_ENV_PREFIX "CONFIG", NULL);
  cfg_help_row(out, width, "--help", "Show this help and exit.", NULL, NULL);
}
