/* core/config.h — table-driven configuration.
 *
 * Each option has one name that gives its flag (--media-port), its environment
 * variable (LIANYI_MEDIA_PORT) and its config-file key (media-port = 40000).
 * Precedence: flags > environment > config file (--config FILE or
 * LIANYI_CONFIG) > default. Values are written into a caller's struct at
 * the option's offset: LY_OPT_STRING into char[LY_OPT_STR_MAX], LY_OPT_INT into
 * int64_t, LY_OPT_BOOL into int (a bare flag means true; values 1/0/true/false).
 */
#ifndef LY_CONFIG_H
#define LY_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ly_error;

#define LY_OPT_STR_MAX 512
#define LY_CONFIG_FILE_MAX (64 * 1024)

enum ly_opt_kind { LY_OPT_STRING, LY_OPT_INT, LY_OPT_BOOL };

struct ly_opt {
  const char *name;     /* "listen" */
  enum ly_opt_kind kind;
  size_t offset;        /* offsetof(target struct, field) */
  const char *def;      /* default as text, or NULL */
  int64_t min, max;     /* LY_OPT_INT bounds (inclusive) */
  const char *metavar;  /* "HOST:PORT" for --help */
  const char *help;
};

/* Parse argv[first..argc) (flags only; the first non-flag argument stops
 * parsing and its index goes to *next_arg), envp (NULL-terminated, may be
 * NULL) and the config file into target. Unknown flags or keys, bad numbers,
 * out-of-range values and over-long strings are LY_EINVAL with e naming the
 * option. "--help" sets *help_out to 1 (may be NULL to treat it as unknown).
 * "--config FILE" is accepted even when no option is named "config"; a bool
 * flag takes a value only as --name=value; "--" ends the flags. */
int ly_config_load(const struct ly_opt *opts, size_t nopts, void *target, int argc, char **argv,
                   int first, char *const *envp, int *next_arg, int *help_out, struct ly_error *e);

/* Print every option: flag, metavar, environment variable, default and help. */
void ly_config_help(FILE *out, const char *usage, const struct ly_opt *opts, size_t nopts);

#endif
