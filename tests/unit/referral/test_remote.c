/* tests/unit/referral/test_remote.c — referral/remote.c, remote_view.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "referral/remote.h"
#include "tests/unit/referral/fixture.h"

static int setup(void **state) {
  *state = fx_open();
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static int step(struct fixture *f, const struct referral_actor *who, const char *id, enum remote_event ev,
                struct ly_error *e) {
  struct remote_act a = {ev, ev == REMOTE_REJECT ? "没空" : NULL, FX_NOW + 3600000,
                         "考虑冠心病，建议上转做冠脉造影", "继续服药"};
  return remote_step(&f->cx, who, id, &a, e);
}

static void test_request_checks(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  struct remote_new in = {"pat_1", "dept_t_card", NULL, "I25.1", "胸闷两周", "centre"};
  assert_int_equal(remote_request(&f->cx, &FX_SPEC, &in, id, &e), LY_EDENIED); /* same level */
  assert_string_equal(e.code, "referral.wrong_level");
  assert_int_equal(remote_request(&f->cx, &FX_PAT1, &in, id, &e), LY_EFORBIDDEN);
  in.location = "bus";
  assert_int_equal(remote_request(&f->cx, &FX_GP, &in, id, &e), LY_EINVAL);
  in.location = "home";
  in.specialist_id = "endo";
  assert_int_equal(remote_request(&f->cx, &FX_GP, &in, id, &e), LY_EINVAL);
  in.specialist_id = "spec";
  assert_int_equal(remote_request(&f->cx, &FX_GP, &in, id, &e), 0);
  /* named: only that specialist accepts */
  assert_int_equal(step(f, &FX_SPEC2, id, REMOTE_ACCEPT, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "referral.other_department");
  assert_int_equal(step(f, &FX_ENDO, id, REMOTE_ACCEPT, &e), LY_EFORBIDDEN);
  assert_int_equal(step(f, &FX_SPEC, id, REMOTE_SCHEDULE, &e), LY_ESTATE);
  assert_int_equal(step(f, &FX_SPEC, id, REMOTE_REJECT, &e), 0);
  assert_int_equal(step(f, &FX_GP, id, REMOTE_CANCEL, &e), LY_ESTATE);
}

static void test_three_party_call_and_opinion(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX], ref[LY_ID_MAX];
  struct remote_new in = {"pat_1", "dept_t_card", NULL, "I25.1", "胸闷两周", "centre"};
  assert_int_equal(remote_request(&f->cx, &FX_GP, &in, id, &e), 0);
  assert_int_equal(step(f, &FX_SPEC2, id, REMOTE_ACCEPT, &e), 0); /* any doctor of the department */
  assert_int_equal(step(f, &FX_SPEC, id, REMOTE_SCHEDULE, &e), LY_EFORBIDDEN); /* not the one who accepted */
  assert_int_equal(step(f, &FX_SPEC2, id, REMOTE_SCHEDULE, &e), 0);
  /* one consultation, three participants, the specialist its doctor */
  assert_int_equal(fx_int(f,
                          "SELECT COUNT(*) FROM consultations c JOIN remote_consultations r"
                          " ON r.consultation_id = c.id WHERE c.kind = 'remote_consultation'"
                          " AND c.doctor_id = 'spec2' AND c.state = 'booked'"),
                   1);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM consultation_participants"), 3);
  assert_int_equal(fx_int(f,
                          "SELECT COUNT(*) FROM consultation_participants WHERE role = 'specialist'"
                          " AND account_id = 'spec2'"),
                   1);
  /* no opinion before the call took place; one-click referral only after the opinion */
  assert_int_not_equal(step(f, &FX_SPEC2, id, REMOTE_OPINION, &e), 0);
  assert_int_equal(remote_refer_up(&f->cx, &FX_GP, id, "urgent", ref, &e), LY_ESTATE);
  fx_sql(f, "UPDATE consultations SET state = 'ended'");
  assert_int_equal(step(f, &FX_GP, id, REMOTE_OPINION, &e), LY_EFORBIDDEN);
  assert_int_equal(step(f, &FX_SPEC2, id, REMOTE_OPINION, &e), 0);
  assert_int_equal(
      fx_int(f,
             "SELECT COUNT(*) FROM consultation_notes n JOIN remote_consultations r"
             " ON r.note_id = n.id WHERE n.signed_at IS NOT NULL AND n.findings LIKE '%冠脉造影%'"),
      1);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM consultations WHERE state = 'notes_signed'"), 1);
  /* one click: an up-referral from the GP to the department, linked both ways */
  assert_int_equal(remote_refer_up(&f->cx, &FX_SPEC2, id, "urgent", ref, &e), LY_EFORBIDDEN);
  assert_int_equal(remote_refer_up(&f->cx, &FX_GP, id, "urgent", ref, &e), 0);
  char again[LY_ID_MAX];
  assert_int_equal(remote_refer_up(&f->cx, &FX_GP, id, "urgent", again, &e), 0);
  assert_string_equal(ref, again);
  assert_int_equal(
      fx_int(f,
             "SELECT COUNT(*) FROM referrals r JOIN remote_consultations c ON c.referral_id = r.id"
             " AND r.remote_id = c.id WHERE r.urgency = 'urgent' AND r.state = 'requested'"),
      1);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM referral_attachments WHERE kind = 'note'"), 1);
  /* reads */
  json_t *o = NULL;
  assert_int_equal(remote_get_json(&f->cx, &FX_PAT1, id, &o, &e), 0);
  assert_string_equal(json_string_value(json_object_get(o, "state")), "completed");
  json_decref(o);
  assert_int_equal(remote_get_json(&f->cx, &FX_PAT2, id, &o, &e), LY_EFORBIDDEN);
  assert_int_equal(remote_get_json(&f->cx, &FX_ENDO, id, &o, &e), LY_EFORBIDDEN);
  assert_int_equal(remote_list_json(&f->cx, &FX_SPEC, NULL, &o, &e), 0);
  assert_int_equal(json_array_size(o), 1);
  json_decref(o);
  assert_int_equal(remote_list_json(&f->cx, &FX_GP2, NULL, &o, &e), 0);
  assert_int_equal(json_array_size(o), 0);
  json_decref(o);
}

static void test_cancel_cancels_the_call(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  struct remote_new in = {"pat_1", "dept_t_card", NULL, "I10", "血压", "home"};
  assert_int_equal(remote_request(&f->cx, &FX_GP, &in, id, &e), 0);
  assert_int_equal(step(f, &FX_SPEC, id, REMOTE_ACCEPT, &e), 0);
  struct remote_act past = {REMOTE_SCHEDULE, NULL, FX_NOW - 1, NULL, NULL};
  assert_int_equal(remote_step(&f->cx, &FX_SPEC, id, &past, &e), LY_EINVAL);
  assert_int_equal(step(f, &FX_SPEC, id, REMOTE_SCHEDULE, &e), 0);
  assert_int_equal(step(f, &FX_SPEC, id, REMOTE_CANCEL, &e), LY_EFORBIDDEN);
  assert_int_equal(step(f, &FX_GP, id, REMOTE_CANCEL, &e), 0);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM consultations WHERE state = 'cancelled'"), 1);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM consultation_events WHERE to_state = 'cancelled'"), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_request_checks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_three_party_call_and_opinion, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cancel_cancels_the_call, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
