/* server/static_gz.h — gzip and revalidation for the web app's files
 * (server/static_gz.c): a bounded cache of gzip-compressed text files, and
 * the answers the server builds itself (304 Not Modified, a gzip body); the
 * rest is sent by lws_serve_http_file with static_gz_headers(). */
#ifndef LY_SERVER_STATIC_GZ_H
#define LY_SERVER_STATIC_GZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "server/http.h"

struct static_gz;

/* A cache holding at most max_bytes of compressed data; files over max_file
 * bytes are never compressed. Freed with static_gz_close. */
int static_gz_init(struct static_gz **out, size_t max_bytes, size_t max_file);
void static_gz_close(struct static_gz *gz);

/* Whether a content type is worth compressing (text, JSON, SVG). */
int static_gz_type(const char *ctype);

/* The gzip bytes of file, whose stat gave mtime (ns) and size: 0 with
 * out and len (owned by the cache, valid until the next call), or an error
 * (LY_ETOOBIG, LY_EIO, LY_ENOMEM) — then send the file as it is. */
int static_gz_get(struct static_gz *gz, const char *file, int64_t mtime, int64_t size,
                  const unsigned char **out, size_t *len);

/* GET of a static file (st: its stat): 1 with resp holding the answer — 304
 * when if_none_match names this version, or the gzip body when gzip_ok and
 * the type compresses — or 0: send the file plain (lws_serve_http_file) with
 * the header lines of static_gz_headers(); or an error. */
int static_gz_answer(struct static_gz *gz, const char *file, const struct stat *st, const char *ctype,
                     const char *cache, int gzip_ok, const char *if_none_match, struct ly_resp *resp);

/* "cache-control, etag, x-content-type-options, vary" lines for the plain
 * answer into out; their length, or -1 when out is too small. */
int static_gz_headers(const struct stat *st, const char *ctype, const char *cache, char *out, size_t n);

#endif
