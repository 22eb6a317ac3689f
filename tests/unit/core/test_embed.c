/* tests/unit/core/test_embed.c — core/embed.c and the generated migrations table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/embed.h"

static const struct ly_embedded_file table[] = {
    {"a.tsv", "x\ty\n", 4},
    {"b.tsv", "", 0},
    {NULL, NULL, 0},
};

static void test_find(void **state) {
  const struct ly_embedded_file *f = ly_embed_find(table, "a.tsv");
  assert_non_null(f);
  assert_int_equal(f->len, 4);
  assert_ptr_equal(ly_embed_find(table, "b.tsv"), &table[1]);
  assert_null(ly_embed_find(table, "c.tsv"));
  assert_null(ly_embed_find(table, "a.ts"));
  assert_null(ly_embed_find(table, NULL));
  assert_null(ly_embed_find(NULL, "a.tsv"));
}

static void test_generated_migrations(void **state) {
  assert_true(ly_migrations_count >= 1);
  for (int i = 0; i < ly_migrations_count; i++) {
    assert_true(ly_migrations[i].version > (i ? ly_migrations[i - 1].version : 0)); /* sorted by NNNN */
    assert_int_equal(atoi(ly_migrations[i].name), ly_migrations[i].version);
    assert_true(strlen(ly_migrations[i].sql) > 0);
  }
  assert_string_equal(ly_migrations[0].name, "0001_core.sql");
  assert_null(ly_migrations[ly_migrations_count].sql);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find),
      cmocka_unit_test(test_generated_migrations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
