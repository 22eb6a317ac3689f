/* core/embed.h — files compiled into the binary (cmake/embed.cmake).
 * Arrays end with a {NULL, NULL, 0} sentinel; data is NUL-terminated. */
#ifndef LY_EMBED_H
#define LY_EMBED_H

#include <stddef.h>

struct ly_embedded_file {
  const char *name;  /* file name without directories */
  const char *data;
  size_t len;
};

/* Find name in a sentinel-terminated table; NULL when absent. */
const struct ly_embedded_file *ly_embed_find(const struct ly_embedded_file *table, const char *name);

#endif
