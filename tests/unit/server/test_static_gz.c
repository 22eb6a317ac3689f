/* tests/unit/server/test_static_gz.c — server/static_gz.c: the gzip cache
 * (a hit, a changed file compressed again, the byte bound, files too big),
 * which types compress, and the answers it builds (304, a gzip body, plain). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/err.h"
#include "server/static_gz.h"

static char dir[] = "/tmp/ly-gz-XXXXXX";

static void write_file(const char *name, const char *text, size_t repeat, char *path, size_t n) {
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  for (size_t i = 0; i < repeat; i++)
    fputs(text, f);
  fclose(f);
}

static int64_t mtime_of(const struct stat *st) {
  return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* gunzip of a buffer equals `repeat` copies of text. */
static void assert_gunzips_to(const unsigned char *z, size_t zlen, const char *text, size_t repeat) {
  size_t want = strlen(text) * repeat;
  unsigned char *out = malloc(want + 16);
  z_stream s;
  memset(&s, 0, sizeof s);
  assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
  s.next_in = (Bytef *)z;
  s.avail_in = (uInt)zlen;
  s.next_out = out;
  s.avail_out = (uInt)(want + 16);
  assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
  assert_int_equal(s.total_out, want);
  for (size_t i = 0; i < repeat; i++)
    assert_memory_equal(out + i * strlen(text), text, strlen(text));
  inflateEnd(&s);
  free(out);
}

static void test_types(void **state) {
  assert_true(static_gz_type("text/javascript; charset=utf-8"));
  assert_true(static_gz_type("text/css; charset=utf-8"));
  assert_true(static_gz_type("application/json; charset=utf-8"));
  assert_true(static_gz_type("image/svg+xml"));
  assert_false(static_gz_type("image/png"));
  assert_false(static_gz_type("font/woff2"));
  assert_false(static_gz_type(NULL));
}

static void test_hit_and_change(void **state) {
  struct static_gz *gz;
  char path[512];
  struct stat st;
  const unsigned char *z1, *z2;
  size_t l1, l2;
  assert_int_equal(static_gz_init(&gz, 1 << 20, 1 << 20), 0);
  write_file("a.js", "export const a = 1;\n", 200, path, sizeof path);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(static_gz_get(gz, path, mtime_of(&st), st.st_size, &z1, &l1), 0);
  assert_true(l1 < (size_t)st.st_size / 4);
  assert_gunzips_to(z1, l1, "export const a = 1;\n", 200);
  assert_int_equal(static_gz_get(gz, path, mtime_of(&st), st.st_size, &z2, &l2), 0);
  assert_ptr_equal(z1, z2); /* the cached copy */
  /* the file changed: compressed again */
  write_file("a.js", "export const b = 2;\n", 300, path, sizeof path);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(static_gz_get(gz, path, mtime_of(&st) + 1, st.st_size, &z2, &l2), 0);
  assert_gunzips_to(z2, l2, "export const b = 2;\n", 300);
  static_gz_close(gz);
}

static void test_bounds(void **state) {
  struct static_gz *gz;
  char path[512], name[32];
  struct stat st;
  const unsigned char *z;
  size_t len;
  /* files over max_file are never compressed */
  assert_int_equal(static_gz_init(&gz, 4096, 1000), 0);
  write_file("big.css", "body { color: red; }\n", 100, path, sizeof path);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(static_gz_get(gz, path, mtime_of(&st), st.st_size, &z, &len), LY_ETOOBIG);
  /* many small files: the cache stays within its bytes, the newest is there */
  for (int i = 0; i < 200; i++) {
    snprintf(name, sizeof name, "f%d.js", i);
    char text[64];
    snprintf(text, sizeof text, "// file %d %d %d\n", i, i * 7, i * 13);
    write_file(name, text, 5, path, sizeof path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(static_gz_get(gz, path, mtime_of(&st), st.st_size, &z, &len), 0);
    assert_gunzips_to(z, len, text, 5);
  }
  static_gz_close(gz);
}

static void test_answers(void **state) {
  struct static_gz *gz;
  char path[512], extra[256];
  struct stat st;
  assert_int_equal(static_gz_init(&gz, 1 << 20, 1 << 20), 0);
  write_file("b.js", "console.log('hello');\n", 50, path, sizeof path);
  assert_int_equal(stat(path, &st), 0);
  const char *js = "text/javascript; charset=utf-8";

  /* no gzip asked: lws sends it plain, with an ETag and Vary */
  struct ly_resp plain = {0};
  assert_int_equal(static_gz_answer(gz, path, &st, js, "max-age=3600", 0, "", &plain), 0);
  assert_true(static_gz_headers(&st, js, "max-age=3600", extra, sizeof extra) > 0);
  assert_non_null(strstr(extra, "cache-control: max-age=3600\r\n"));
  assert_non_null(strstr(extra, "vary: accept-encoding\r\n"));
  char *etag = strstr(extra, "etag: ");
  assert_non_null(etag);
  char tag[64];
  size_t tl = strcspn(etag + 6, "\r");
  memcpy(tag, etag + 6, tl);
  tag[tl] = '\0';

  /* gzip asked: the body is built here */
  struct ly_resp z = {0};
  assert_int_equal(static_gz_answer(gz, path, &st, js, "max-age=3600", 1, "", &z), 1);
  assert_int_equal(z.status, 200);
  assert_non_null(strstr(z.headers, "Content-Encoding: gzip"));
  assert_gunzips_to((unsigned char *)z.raw, z.raw_len, "console.log('hello');\n", 50);
  free(z.raw);

  /* the client has this version: 304, no body */
  struct ly_resp nm = {0};
  assert_int_equal(static_gz_answer(gz, path, &st, js, "max-age=3600", 0, tag, &nm), 1);
  assert_int_equal(nm.status, 304);
  assert_null(nm.raw);

  /* an image: never compressed, no Vary */
  struct ly_resp img = {0};
  assert_int_equal(static_gz_answer(gz, path, &st, "image/png", "max-age=3600", 1, "", &img), 0);
  assert_true(static_gz_headers(&st, "image/png", "max-age=3600", extra, sizeof extra) > 0);
  assert_null(strstr(extra, "vary:"));
  static_gz_close(gz);
}

static int setup(void **state) {
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types),
      cmocka_unit_test(test_hit_and_change),
      cmocka_unit_test(test_bounds),
      cmocka_unit_test(test_answers),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
