/* server/static_gz.c — gzip for the web app's text files.
 *
 * Why here and not in libwebsockets: lws 4.1 sends a file gzip-encoded only
 * when a custom file-ops open() marks it as already gzip (the zip VFS of a
 * mount) or when it compresses on the fly (LWS_WITH_HTTP_STREAM_COMPRESSION);
 * Debian's build has neither (lws_config.h: LWS_WITH_ZIP_FOPS and
 * LWS_WITH_HTTP_STREAM_COMPRESSION undefined), and lws_serve_http_file()
 * never looks for a precompressed sibling. So the server compresses each
 * text file once, with zlib, when a client first asks for it gzip-encoded,
 * keeps the result keyed by path, mtime and size (an edited file is
 * compressed again: the web app has no build step), and sends it through
 * its ordinary response path. The cache is bounded; when a new entry does
 * not fit, the oldest entries are dropped.
 */
#include "server/static_gz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/err.h"

#define GZ_MAX_ENTRIES 512

struct gz_entry {
  char *path;
  int64_t mtime, size;
  unsigned char *data;
  size_t len;
};

struct static_gz {
  struct gz_entry e[GZ_MAX_ENTRIES];
  size_t n;         /* entries in use, oldest first */
  size_t bytes;     /* compressed bytes held */
  size_t max_bytes; /* bound on bytes */
  size_t max_file;  /* files bigger than this are sent as they are */
};

int static_gz_init(struct static_gz **out, size_t max_bytes, size_t max_file) {
  struct static_gz *gz = calloc(1, sizeof *gz);
  if (!gz) return LY_ENOMEM;
  gz->max_bytes = max_bytes;
  gz->max_file = max_file;
  *out = gz;
  return 0;
}

static void entry_free(struct gz_entry *x) {
  free(x->path);
  free(x->data);
  memset(x, 0, sizeof *x);
}

void static_gz_close(struct static_gz *gz) {
  if (!gz) return;
  for (size_t i = 0; i < gz->n; i++)
    entry_free(&gz->e[i]);
  free(gz);
}

int static_gz_type(const char *ctype) {
  return ctype &&
         (strncmp(ctype, "text/", 5) == 0 || strncmp(ctype, "application/json", 16) == 0 ||
          strncmp(ctype, "application/manifest+json", 25) == 0 || strcmp(ctype, "image/svg+xml") == 0);
}

/* Drops the oldest entry. */
static void evict(struct static_gz *gz) {
  gz->bytes -= gz->e[0].len;
  entry_free(&gz->e[0]);
  memmove(&gz->e[0], &gz->e[1], (gz->n - 1) * sizeof gz->e[0]);
  memset(&gz->e[gz->n - 1], 0, sizeof gz->e[0]);
  gz->n--;
}

/* The whole file into a malloc'd buffer of exactly size bytes. */
static int read_file(const char *file, int64_t size, unsigned char **out) {
  FILE *f = fopen(file, "rb");
  if (!f) return LY_EIO;
  unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
  size_t got = buf ? fread(buf, 1, (size_t)size, f) : 0;
  fclose(f);
  if (!buf) return LY_ENOMEM;
  if ((int64_t)got != size) {
    free(buf);
    return LY_EIO; /* changed under us: serve it plain this time */
  }
  *out = buf;
  return 0;
}

/* gzip (RFC 1952) of in[0..n) into a malloc'd buffer. */
static int deflate_gzip(const unsigned char *in, size_t n, unsigned char **out, size_t *len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return LY_ENOMEM;
  uLong cap = deflateBound(&z, (uLong)n);
  unsigned char *buf = malloc(cap);
  if (!buf) {
    deflateEnd(&z);
    return LY_ENOMEM;
  }
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)n;
  z.next_out = buf;
  z.avail_out = (uInt)cap;
  int rc = deflate(&z, Z_FINISH);
  *len = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    free(buf);
    return LY_EIO;
  }
  *out = buf;
  return 0;
}

int static_gz_get(struct static_gz *gz, const char *file, int64_t mtime, int64_t size,
                  const unsigned char **out, size_t *len) {
  if (!gz || size < 0 || (size_t)size > gz->max_file) return LY_ETOOBIG;
  for (size_t i = 0; i < gz->n; i++) {
    struct gz_entry *x = &gz->e[i];
    if (strcmp(x->path, file) != 0) continue;
    if (x->mtime == mtime && x->size == size) {
      *out = x->data;
      *len = x->len;
      return 0;
    }
    gz->bytes -= x->len; /* the file changed: compress it again */
    entry_free(x);
    memmove(x, x + 1, (gz->n - i - 1) * sizeof *x);
    memset(&gz->e[gz->n - 1], 0, sizeof *x);
    gz->n--;
    break;
  }
  unsigned char *raw = NULL, *z = NULL;
  size_t zlen = 0;
  int rc = read_file(file, size, &raw);
  if (rc == 0) rc = deflate_gzip(raw, (size_t)size, &z, &zlen);
  free(raw);
  if (rc) return rc;
  char *path = strdup(file);
  if (!path || zlen > gz->max_bytes) {
    free(path);
    free(z);
    return path ? LY_ETOOBIG : LY_ENOMEM;
  }
  while (gz->n > 0 && (gz->n == GZ_MAX_ENTRIES || gz->bytes + zlen > gz->max_bytes))
    evict(gz);
  gz->e[gz->n++] = (struct gz_entry){path, mtime, size, z, zlen};
  gz->bytes += zlen;
  *out = z;
  *len = zlen;
  return 0;
}

/* "size-mtime" of the file, quoted; "-gz" for its gzip form. */
static void etag_of(const struct stat *st, int gz, char *out, size_t n) {
  snprintf(out, n, "\"%llx-%llx%s\"", (unsigned long long)st->st_size,
           (unsigned long long)st->st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st->st_mtim.tv_nsec,
           gz ? "-gz" : "");
}

int static_gz_headers(const struct stat *st, const char *ctype, const char *cache, char *out, size_t n) {
  char etag[64];
  etag_of(st, 0, etag, sizeof etag);
  int w = snprintf(out, n, "cache-control: %s\r\netag: %s\r\nx-content-type-options: nosniff\r\n%s", cache,
                   etag, static_gz_type(ctype) ? "vary: accept-encoding\r\n" : "");
  return w < 0 || (size_t)w >= n ? -1 : w;
}

/* Does If-None-Match name etag (a list, or "*")? */
static int matches(const char *inm, const char *etag) {
  if (!inm || !inm[0]) return 0;
  if (strcmp(inm, "*") == 0) return 1;
  const char *p = strstr(inm, etag);
  return p != NULL;
}

int static_gz_answer(struct static_gz *gz, const char *file, const struct stat *st, const char *ctype,
                     const char *cache, int gzip_ok, const char *if_none_match, struct ly_resp *resp) {
  int use_gz = gzip_ok && static_gz_type(ctype);
  char etag[64];
  etag_of(st, use_gz, etag, sizeof etag);
  const unsigned char *z = NULL;
  size_t zlen = 0;
  if (!matches(if_none_match, etag)) {
    if (!use_gz) return 0;
    if (static_gz_get(gz, file, (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
                      (int64_t)st->st_size, &z, &zlen) != 0)
      return 0; /* not worth it or not readable now: lws sends it plain */
    if (!(resp->raw = malloc(zlen ? zlen : 1))) return LY_ENOMEM;
    memcpy(resp->raw, z, zlen);
    resp->raw_len = zlen;
    resp->status = 200;
  } else {
    resp->status = 304; /* the client has this version */
  }
  resp->content_type = ctype;
  if (ly_resp_header(resp, "Cache-Control", cache) || ly_resp_header(resp, "ETag", etag) ||
      (static_gz_type(ctype) && ly_resp_header(resp, "Vary", "Accept-Encoding")) ||
      (resp->status == 200 && ly_resp_header(resp, "Content-Encoding", "gzip"))) {
    free(resp->raw);
    resp->raw = NULL;
    return LY_ETOOBIG;
  }
  return 1;
}
