/* tests/unit/signalling/test_booking.c — signalling/booking.c and
 * consult.c against a real database: the follow-up rule, eligibility,
 * guardians, departments, transitions with their event rows and audit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "signalling/booking.h"
#include "signalling/consult.h"

static const struct consult_actor PAT_A = {"acct_a", "patient", "pat_a"};
static const struct consult_actor PAT_B = {"acct_b", "patient", "pat_b"};
static const struct consult_actor PAT_KID = {"acct_kid", "patient", "pat_kid"};
static const struct consult_actor DOC_A = {"doc_a", "doctor", NULL};
static const struct consult_actor DOC_B = {"doc_b", "doctor", NULL};
static const struct consult_actor SUP = {"sup", "supervisor", NULL};
static const struct consult_actor SYS = {"system", "system", NULL};

static int setup(void **state) {
  *state = fx_open(0);
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static int book(struct fixture *f, const struct consult_actor *who, const char *doctor, const char *dept,
                const char *icd, const char *guardian, struct consult_row *out, struct ly_error *e) {
  struct booking_request r = {
      .doctor_id = doctor, .department_id = dept, .icd10 = icd, .guardian_name = guardian};
  ly_error_clear(e);
  return booking_create(f->db, &f->clock.clock, NULL, who, &r, out, e);
}

static void follow_up_rule(void **state) {
  struct fixture *f = *state;
  struct consult_row c;
  struct ly_error e;

  assert_int_equal(book(f, &PAT_B, "doc_a", NULL, "I10", NULL, &c, &e), LY_EDENIED);
  assert_string_equal(e.code, "consult.first_visit_offline_only");
  assert_int_equal(book(f, &PAT_A, "doc_a", NULL, "E11.9", NULL, &c, &e), LY_EDENIED); /* not verified */
  assert_int_equal(book(f, &PAT_A, "doc_a", NULL, "J45.9", NULL, &c, &e), LY_EDENIED); /* 400 days old */
  assert_string_equal(e.code, "consult.first_visit_offline_only");
  /* the same ICD-10 category counts: I10 on record, I10.x booked */
  assert_int_equal(book(f, &PAT_A, "doc_a", NULL, "I10.0", NULL, &c, &e), 0);
  assert_int_equal(c.state, LC_BOOKED);
  assert_string_equal(c.offline_diagnosis_id, "dx1");
  assert_string_equal(c.patient_account, "acct_a");
  assert_int_equal(book(f, &PAT_A, "doc_a", NULL, "I10", NULL, &c, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "consult.already_booked");
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM consultation_participants"), 2);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM consultation_events WHERE to_state = 'booked'"), 1);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'consult.book' AND outcome = 'ok'"),
                   1);
  assert_int_equal(fx_int(f,
                          "SELECT COUNT(*) FROM audit WHERE action = 'consult.book' AND outcome = "
                          "'consult.first_visit_offline_only'"),
                   3);
  /* a longer window lets the old diagnosis count */
  struct booking_rules wide = {.followup_window_ms = 500 * FX_DAY};
  struct booking_request r = {.doctor_id = "doc_b", .icd10 = "J45"};
  assert_int_equal(booking_create(f->db, &f->clock.clock, &wide, &PAT_A, &r, &c, &e), 0);
}

static void eligibility(void **state) {
  struct fixture *f = *state;
  struct consult_row c;
  struct ly_error e;

  assert_int_equal(book(f, &PAT_A, "doc_young", NULL, "I10", NULL, &c, &e), LY_EDENIED);
  assert_string_equal(e.code, "consult.doctor_not_eligible");
  assert_int_equal(book(f, &PAT_A, "doc_off", NULL, "I10", NULL, &c, &e), LY_EDENIED);
  assert_string_equal(e.code, "consult.doctor_not_eligible");
  assert_int_equal(book(f, &PAT_A, "nobody", NULL, "I10", NULL, &c, &e), LY_ENOTFOUND);
  assert_string_equal(e.code, "consult.doctor_not_found");
  assert_int_equal(book(f, &PAT_A, NULL, "no_dept", "I10", NULL, &c, &e), LY_ENOTFOUND);
  assert_int_equal(book(f, &PAT_A, NULL, NULL, "I10", NULL, &c, &e), LY_EINVAL);
  assert_int_equal(book(f, &PAT_A, "doc_a", NULL, "hypertension", NULL, &c, &e), LY_EINVAL);
  assert_string_equal(e.code, "records.icd10_invalid");
  assert_int_equal(book(f, &DOC_A, "doc_a", NULL, "I10", NULL, &c, &e), LY_EFORBIDDEN);
  assert_int_equal(booking_doctor_eligible(f->db, &f->clock.clock, NULL, "doc_a", &e), 0);
  assert_int_equal(booking_doctor_eligible(f->db, &f->clock.clock, NULL, "doc_young", &e), LY_EDENIED);
}

static void department_and_guardian(void **state) {
  struct fixture *f = *state;
  struct consult_row c;
  struct ly_error e;

  /* doc_a and doc_b are both free: the first by id; then the one with fewer open */
  assert_int_equal(book(f, &PAT_A, NULL, "dept_gp", "I10", NULL, &c, &e), 0);
  assert_string_equal(c.doctor_id, "doc_a");
  assert_string_equal(c.department_id, "dept_gp");
  assert_int_equal(book(f, &PAT_KID, NULL, "dept_gp", "J45.9", "李妈妈", &c, &e), 0);
  assert_string_equal(c.doctor_id, "doc_b");
  assert_string_equal(c.guardian_name, "李妈妈");
  assert_int_equal(book(f, &PAT_KID, "doc_a", NULL, "J45.9", NULL, &c, &e), LY_EDENIED);
  assert_string_equal(e.code, "consult.guardian_required");
  assert_string_equal(e.field, "guardian_name");
}

static void transitions(void **state) {
  struct fixture *f = *state;
  struct consult_row c, after;
  struct ly_error e;
  assert_int_equal(book(f, &PAT_A, "doc_a", NULL, "I10", NULL, &c, &e), 0);

  ly_error_clear(&e);
  assert_int_equal(consult_transition(f->db, &f->clock.clock, &DOC_A, c.id, LC_CALL, NULL, &after, &e),
                   LY_ESTATE);
  assert_string_equal(e.code, "consult.illegal_transition");
  assert_int_equal(consult_transition(f->db, &f->clock.clock, &DOC_B, c.id, LC_CANCEL, NULL, &after, &e),
                   LY_EFORBIDDEN);
  assert_string_equal(e.code, "consult.not_participant");
  assert_int_equal(consult_transition(f->db, &f->clock.clock, &PAT_B, c.id, LC_CHECK_IN, NULL, &after, &e),
                   LY_EFORBIDDEN);
  assert_int_equal(consult_transition(f->db, &f->clock.clock, &SUP, c.id, LC_CANCEL, NULL, &after, &e),
                   LY_EFORBIDDEN);
  assert_int_equal(
      consult_transition(f->db, &f->clock.clock, &PAT_A, "con_none", LC_CHECK_IN, NULL, &after, &e),
      LY_ENOTFOUND);

  f->clock.now += 1000;
  assert_int_equal(consult_transition(f->db, &f->clock.clock, &PAT_A, c.id, LC_CHECK_IN, NULL, &after, &e),
                   0);
  assert_int_equal(after.state, LC_WAITING);
  assert_int_equal(after.checked_in_at, FX_NOW + 1000);
  assert_int_equal(consult_transition(f->db, &f->clock.clock, &DOC_A, c.id, LC_CALL, NULL, &after, &e), 0);
  assert_int_equal(consult_transition(f->db, &f->clock.clock, &SYS, c.id, LC_START, NULL, &after, &e), 0);
  f->clock.now += 600000;
  assert_int_equal(consult_transition(f->db, &f->clock.clock, &DOC_A, c.id, LC_END, "done", &after, &e), 0);
  assert_int_equal(after.state, LC_ENDED);
  assert_string_equal(after.end_reason, "done");
  assert_int_equal(after.ended_at - after.started_at, 600000);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM consultation_events"), 5);
  assert_int_equal(fx_int(f, "SELECT MAX(seq) FROM consultation_events"), 5);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'consult.end' AND outcome = 'ok'"),
                   1);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM audit WHERE outcome = 'consult.illegal_transition'"), 1);

  json_t *j;
  assert_int_equal(consult_get(f->db, &f->clock.clock, &SUP, c.id, &j, &e), 0);
  assert_int_equal(json_array_size(json_object_get(j, "events")), 5);
  json_decref(j);
  assert_int_equal(consult_get(f->db, &f->clock.clock, &PAT_B, c.id, &j, &e), LY_EFORBIDDEN);
  struct consult_filter none = {0};
  assert_int_equal(consult_list(f->db, &f->clock.clock, &PAT_B, &none, &j, &e), 0);
  assert_int_equal(json_array_size(j), 0);
  json_decref(j);
  assert_int_equal(consult_list(f->db, &f->clock.clock, &DOC_A, &none, &j, &e), 0);
  assert_int_equal(json_array_size(j), 1);
  json_decref(j);
}

static void normalise_after_restart(void **state) {
  struct fixture *f = *state;
  struct consult_row a, b;
  struct ly_error e;
  int n = 0;
  assert_int_equal(book(f, &PAT_A, "doc_a", NULL, "I10", NULL, &a, &e), 0);
  assert_int_equal(book(f, &PAT_A, "doc_b", NULL, "I10", NULL, &b, &e), 0);
  consult_transition(f->db, &f->clock.clock, &PAT_A, a.id, LC_CHECK_IN, NULL, NULL, &e);
  consult_transition(f->db, &f->clock.clock, &PAT_A, b.id, LC_CHECK_IN, NULL, NULL, &e);
  consult_transition(f->db, &f->clock.clock, &DOC_B, b.id, LC_CALL, NULL, NULL, &e);
  consult_transition(f->db, &f->clock.clock, &SYS, b.id, LC_START, NULL, NULL, &e);
  assert_int_equal(consult_normalise(f->db, &f->clock.clock, "server_restart", &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(consult_load(f->db, a.id, &a), 0);
  assert_int_equal(a.state, LC_BOOKED);
  assert_int_equal(consult_load(f->db, b.id, &b), 0);
  assert_int_equal(b.state, LC_ENDED);
  assert_string_equal(b.end_reason, "server_restart");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(follow_up_rule, setup, teardown),
      cmocka_unit_test_setup_teardown(eligibility, setup, teardown),
      cmocka_unit_test_setup_teardown(department_and_guardian, setup, teardown),
      cmocka_unit_test_setup_teardown(transitions, setup, teardown),
      cmocka_unit_test_setup_teardown(normalise_after_restart, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
