/* tests/unit/referral/test_slot.c — referral/slot.c: publishing with the
 * reserved share, scheduling into reserved slots, never a slot twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "referral/slot.h"
#include "tests/unit/referral/fixture.h"

static int setup(void **state) {
  *state = fx_open();
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static void accepted_urgent(struct fixture *f, char id[LY_ID_MAX]) {
  struct ly_error e;
  struct referral_up_new in = {"pat_1", "dept_t_card", "urgent", "I10", "胸痛", NULL, NULL, 0};
  assert_int_equal(referral_create_up(&f->cx, &FX_GP, &in, id, &e), 0);
  struct referral_act a = {REFERRAL_ACCEPT, NULL, NULL, NULL};
  assert_int_equal(referral_transition(&f->cx, &FX_SPEC, id, &a, &e), 0);
}

static void test_publish_share(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  int n = 0, r = 0;
  struct slot_publish p = {"dept_t_card", FX_NOW + FX_DAY, 10, 50, -1};
  assert_int_equal(slot_publish(&f->cx, &FX_SPEC, &p, &n, &r, &e), 0);
  assert_int_equal(n, 50);
  assert_int_equal(r, 10); /* the default 20 % */
  /* spread evenly: one in every five */
  assert_int_equal(fx_int(f,
                          "SELECT COUNT(*) FROM department_slots WHERE reserved = 1 AND"
                          " ((starts_at - 1781604000000) / 600000) % 5 = 2"),
                   10);
  /* the same times again: refused whole */
  assert_int_equal(slot_publish(&f->cx, &FX_SPEC, &p, &n, &r, &e), LY_EEXIST);
  assert_string_equal(e.code, "referral.slot_exists");
  assert_int_equal(n, 0);
  /* another department's doctor, a patient, the past, a bad size */
  assert_int_equal(slot_publish(&f->cx, &FX_ENDO, &p, &n, &r, &e), LY_EFORBIDDEN);
  assert_int_equal(slot_publish(&f->cx, &FX_PAT1, &p, &n, &r, &e), LY_EFORBIDDEN);
  struct slot_publish past = {"dept_t_card", FX_NOW - 1, 10, 5, -1};
  assert_int_equal(slot_publish(&f->cx, &FX_SPEC, &past, &n, &r, &e), LY_EINVAL);
  struct slot_publish big = {"dept_t_card", FX_NOW + 2 * FX_DAY, 10, 201, -1};
  assert_int_equal(slot_publish(&f->cx, &FX_SPEC, &big, &n, &r, &e), LY_EINVAL);
  /* the department's policy, and an explicit share */
  assert_int_equal(slot_policy_set(&f->cx, &FX_SPEC2, "dept_t_card", 5000, &e), 0);
  assert_int_equal(slot_policy_set(&f->cx, &FX_SPEC2, "dept_t_card", 10001, &e), LY_EINVAL);
  struct slot_publish half = {"dept_t_card", FX_NOW + 3 * FX_DAY, 30, 7, -1};
  assert_int_equal(slot_publish(&f->cx, &FX_SPEC, &half, &n, &r, &e), 0);
  assert_int_equal(r, 4); /* round(3.5) */
  struct slot_publish none = {"dept_t_card", FX_NOW + 4 * FX_DAY, 30, 7, 0};
  assert_int_equal(slot_publish(&f->cx, &FX_ADMIN, &none, &n, &r, &e), 0);
  assert_int_equal(r, 0);
  json_t *cal = NULL;
  assert_int_equal(slot_list_json(&f->cx, &FX_ENDO, "dept_t_card", FX_NOW, FX_NOW + 10 * FX_DAY, &cal, &e),
                   0);
  assert_int_equal(json_array_size(json_object_get(cal, "slots")), 64);
  assert_int_equal(json_integer_value(json_object_get(cal, "reserved_bp")), 5000);
  json_decref(cal);
  assert_int_equal(slot_list_json(&f->cx, &FX_PAT1, "dept_t_card", 0, FX_NOW * 2, &cal, &e), LY_EFORBIDDEN);
}

/* More urgent referrals than reserved slots: each reserved slot goes to
 * exactly one referral, earliest first, the rest are told there is none. */
static void test_reserved_exhausted(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  int n = 0, r = 0;
  struct slot_publish p = {"dept_t_card", FX_NOW + FX_DAY, 10, 50, -1};
  assert_int_equal(slot_publish(&f->cx, &FX_SPEC, &p, &n, &r, &e), 0);
  int ok = 0, none = 0;
  int64_t last = 0;
  for (int i = 0; i < 15; i++) {
    char id[LY_ID_MAX];
    accepted_urgent(f, id);
    struct referral_act a = {REFERRAL_SCHEDULE, NULL, NULL, NULL};
    int rc = referral_transition(&f->cx, &FX_SPEC, id, &a, &e);
    if (rc == 0) {
      ok++;
      int64_t at = fx_int(f, "SELECT MAX(scheduled_for) FROM referrals");
      assert_true(at > last); /* earliest first */
      last = at;
    } else {
      assert_int_equal(rc, LY_ECONFLICT);
      assert_string_equal(e.code, "referral.no_reserved_slot");
      none++;
    }
  }
  assert_int_equal(ok, 10);
  assert_int_equal(none, 5);
  assert_int_equal(fx_int(f, "SELECT COUNT(DISTINCT slot_id) FROM referrals WHERE state = 'scheduled'"), 10);
  assert_int_equal(
      fx_int(f, "SELECT COUNT(*) FROM department_slots WHERE referral_id IS NOT NULL AND reserved = 0"), 0);
  /* a named, unreserved slot can still be given; a taken one cannot */
  char id[LY_ID_MAX], free_slot[64], taken[64];
  snprintf(free_slot, sizeof free_slot, "%s", "x");
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(
      ly_db_sqlite(f->db),
      "SELECT (SELECT id FROM department_slots WHERE referral_id IS NULL ORDER BY starts_at LIMIT 1),"
      " (SELECT id FROM department_slots WHERE referral_id IS NOT NULL LIMIT 1)",
      -1, &st, NULL);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  snprintf(free_slot, sizeof free_slot, "%s", (const char *)sqlite3_column_text(st, 0));
  snprintf(taken, sizeof taken, "%s", (const char *)sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  accepted_urgent(f, id);
  struct referral_act a = {REFERRAL_SCHEDULE, NULL, taken, NULL};
  assert_int_equal(referral_transition(&f->cx, &FX_SPEC, id, &a, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "referral.slot_taken");
  a.slot_id = "slot_elsewhere";
  assert_int_equal(referral_transition(&f->cx, &FX_SPEC, id, &a, &e), LY_ENOTFOUND);
  a.slot_id = free_slot;
  assert_int_equal(referral_transition(&f->cx, &FX_SPEC, id, &a, &e), 0);
  /* the database itself refuses a second holder */
  char sql[256];
  snprintf(sql, sizeof sql,
           "UPDATE department_slots SET referral_id = '%s' WHERE id <> '%s' AND referral_id IS NULL", id,
           free_slot);
  char *err = NULL;
  assert_int_not_equal(sqlite3_exec(ly_db_sqlite(f->db), sql, NULL, NULL, &err), SQLITE_OK);
  sqlite3_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_publish_share, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reserved_exhausted, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
