/* tests/unit/referral/test_referral.c — referral/referral.c, referral_fsm.c,
 * referral_flow.c, referral_view.c, episode.c on a real temporary database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/audit.h"
#include "records/careplan.h"
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

static int up(struct fixture *f, const struct referral_actor *who, const char *dept, const char *urgency,
              char id[LY_ID_MAX], struct ly_error *e) {
  struct referral_up_new in = {"pat_1", dept, urgency, "I10", "血压控制不佳", "近三月血压 170/100", NULL, 0};
  return referral_create_up(&f->cx, who, &in, id, e);
}

static int act(struct fixture *f, const struct referral_actor *who, const char *id, enum referral_event ev,
               const char *reason, const char *outcome, struct ly_error *e) {
  struct referral_act a = {ev, reason, NULL, outcome};
  return referral_transition(&f->cx, who, id, &a, e);
}

static void publish(struct fixture *f, const char *dept, int count) {
  struct ly_error e;
  int n = 0, r = 0;
  struct slot_publish p = {dept, FX_NOW + FX_DAY, 15, count, -1};
  assert_int_equal(slot_publish(&f->cx, &FX_SPEC, &p, &n, &r, &e), 0);
}

static char *state_of(struct fixture *f, const char *id, char *buf, size_t n) {
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(ly_db_sqlite(f->db), "SELECT state FROM referrals WHERE id = ?1", -1, &st, NULL);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  buf[0] = '\0';
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return buf;
}

/* The whole table: each (direction, state, event, party) either moves to the
 * listed state or is refused with the right error. */
static void test_fsm_table(void **state) {
  (void)state;
  struct {
    enum referral_direction dir;
    enum referral_state from;
    enum referral_event ev;
    unsigned parties;
    enum referral_state to;
  } legal[] = {
      {REFERRAL_UP, REFERRAL_REQUESTED, REFERRAL_ACCEPT, REFERRAL_RECEIVER, REFERRAL_ACCEPTED},
      {REFERRAL_UP, REFERRAL_REQUESTED, REFERRAL_REJECT, REFERRAL_RECEIVER, REFERRAL_REJECTED},
      {REFERRAL_UP, REFERRAL_ACCEPTED, REFERRAL_SCHEDULE, REFERRAL_RECEIVER, REFERRAL_SCHEDULED},
      {REFERRAL_UP, REFERRAL_SCHEDULED, REFERRAL_ARRIVE, REFERRAL_RECEIVER, REFERRAL_ARRIVED},
      {REFERRAL_UP, REFERRAL_SCHEDULED, REFERRAL_MARK_NO_SHOW, REFERRAL_RECEIVER, REFERRAL_NO_SHOW},
      {REFERRAL_UP, REFERRAL_ARRIVED, REFERRAL_COMPLETE, REFERRAL_RECEIVER, REFERRAL_COMPLETED},
      {REFERRAL_UP, REFERRAL_REQUESTED, REFERRAL_CANCEL, REFERRAL_REFERRER, REFERRAL_CANCELLED},
      {REFERRAL_UP, REFERRAL_REQUESTED, REFERRAL_CANCEL, REFERRAL_PATIENT, REFERRAL_CANCELLED},
      {REFERRAL_UP, REFERRAL_ACCEPTED, REFERRAL_CANCEL, REFERRAL_REFERRER, REFERRAL_CANCELLED},
      {REFERRAL_UP, REFERRAL_ACCEPTED, REFERRAL_CANCEL, REFERRAL_PATIENT, REFERRAL_CANCELLED},
      {REFERRAL_UP, REFERRAL_SCHEDULED, REFERRAL_CANCEL, REFERRAL_REFERRER, REFERRAL_CANCELLED},
      {REFERRAL_UP, REFERRAL_SCHEDULED, REFERRAL_CANCEL, REFERRAL_PATIENT, REFERRAL_CANCELLED},
      {REFERRAL_DOWN, REFERRAL_REQUESTED, REFERRAL_ACCEPT, REFERRAL_RECEIVER, REFERRAL_ACCEPTED},
      {REFERRAL_DOWN, REFERRAL_REQUESTED, REFERRAL_REJECT, REFERRAL_RECEIVER, REFERRAL_REJECTED},
      {REFERRAL_DOWN, REFERRAL_ACCEPTED, REFERRAL_COMPLETE, REFERRAL_RECEIVER, REFERRAL_COMPLETED},
      {REFERRAL_DOWN, REFERRAL_REQUESTED, REFERRAL_CANCEL, REFERRAL_REFERRER, REFERRAL_CANCELLED},
      {REFERRAL_DOWN, REFERRAL_REQUESTED, REFERRAL_CANCEL, REFERRAL_PATIENT, REFERRAL_CANCELLED},
  };
  const unsigned parties[] = {REFERRAL_REFERRER, REFERRAL_RECEIVER, REFERRAL_PATIENT};
  int checked = 0;
  for (int d = REFERRAL_UP; d <= REFERRAL_DOWN; d++)
    for (int s = 0; s < REFERRAL_NSTATES; s++)
      for (int ev = 0; ev < REFERRAL_NEVENTS; ev++) {
        int any = 0;
        for (int p = 0; p < 3; p++) {
          int want = -1;
          for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++) {
            if (legal[i].dir == (enum referral_direction)d && legal[i].from == (enum referral_state)s &&
                legal[i].ev == (enum referral_event)ev) {
              any = 1;
              if (legal[i].parties == parties[p]) want = (int)legal[i].to;
            }
          }
          enum referral_state to = REFERRAL_NSTATES;
          unsigned needed = 0;
          int rc = referral_fsm_next((enum referral_direction)d, (enum referral_state)s,
                                     (enum referral_event)ev, parties[p], &to, &needed);
          if (want >= 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(to, want);
          } else {
            assert_int_not_equal(rc, 0);
          }
          checked++;
        }
        for (int p = 0; p < 3; p++) {
          enum referral_state to;
          unsigned needed = 0;
          int rc = referral_fsm_next((enum referral_direction)d, (enum referral_state)s,
                                     (enum referral_event)ev, parties[p], &to, &needed);
          if (!any) assert_int_equal(rc, LY_ESTATE);
          if (any && rc) assert_int_equal(rc, LY_EFORBIDDEN);
        }
      }
  assert_int_equal(checked, 2 * REFERRAL_NSTATES * REFERRAL_NEVENTS * 3);
  enum referral_state s;
  enum referral_event ev;
  assert_int_equal(referral_state_parse("no_show", &s), 0);
  assert_int_equal(s, REFERRAL_NO_SHOW);
  assert_int_equal(referral_event_parse("schedule", &ev), 0);
  assert_int_equal(referral_event_parse("explode", &ev), LY_EINVAL);
  assert_null(referral_state_name(REFERRAL_NSTATES));
}

static void test_up_levels_and_episode(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  /* up to a community centre, from a hospital to a lower or equal one: refused */
  assert_int_equal(up(f, &FX_GP, "dept_c2_gp", "routine", id, &e), LY_EDENIED);
  assert_string_equal(e.code, "referral.wrong_level");
  assert_int_equal(up(f, &FX_SPEC, "dept_s_card", "routine", id, &e), LY_EDENIED);
  assert_string_equal(e.code, "referral.wrong_level");
  assert_int_equal(up(f, &FX_SEC, "dept_t_card", "routine", id, &e), 0); /* secondary → tertiary is up */
  /* bad input */
  assert_int_equal(up(f, &FX_GP, "dept_t_card", "soon", id, &e), LY_EINVAL);
  assert_int_equal(up(f, &FX_GP, "no_such_dept", "routine", id, &e), LY_ENOTFOUND);
  assert_int_equal(up(f, &FX_PAT1, "dept_t_card", "routine", id, &e), LY_EFORBIDDEN);
  struct referral_attachment bad = {"note", "nope"};
  struct referral_up_new in = {"pat_1", "dept_t_card", "routine", "I10", "r", NULL, &bad, 1};
  assert_int_equal(referral_create_up(&f->cx, &FX_GP, &in, id, &e), LY_EINVAL);
  assert_string_equal(e.code, "referral.attachment_invalid");
  /* a good one opens an episode with its insurance row at zero */
  assert_int_equal(up(f, &FX_GP, "dept_t_card", "urgent", id, &e), 0);
  assert_int_equal(fx_int(f,
                          "SELECT COUNT(*) FROM referral_episodes e JOIN insurance_episodes i ON i.id = e.id"
                          " WHERE i.deductible_charged_fen = 0 AND e.patient_id = 'pat_1'"),
                   2);
  assert_int_equal(
      fx_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'referral.create' AND outcome <> 'ok'"), 6);
  int64_t checked = 0, bad_seq = 0;
  assert_int_equal(ly_audit_verify(f->db, &checked, &bad_seq), 0);
}

static void test_up_full_path(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX], s[16];
  publish(f, "dept_t_card", 10);
  assert_int_equal(up(f, &FX_GP, "dept_t_card", "routine", id, &e), 0);
  /* another department may not accept; nor the referrer, nor the patient */
  assert_int_equal(act(f, &FX_ENDO, id, REFERRAL_ACCEPT, NULL, NULL, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "referral.other_department");
  assert_int_equal(act(f, &FX_GP, id, REFERRAL_ACCEPT, NULL, NULL, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "referral.wrong_party");
  assert_int_equal(act(f, &FX_PAT1, id, REFERRAL_ACCEPT, NULL, NULL, &e), LY_EFORBIDDEN);
  assert_int_equal(act(f, &FX_PAT2, id, REFERRAL_CANCEL, NULL, NULL, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "referral.not_yours");
  /* out of order */
  assert_int_equal(act(f, &FX_SPEC, id, REFERRAL_ARRIVE, NULL, NULL, &e), LY_ESTATE);
  assert_string_equal(e.code, "referral.illegal_transition");
  assert_int_equal(act(f, &FX_SPEC2, id, REFERRAL_ACCEPT, NULL, NULL, &e),
                   0); /* any doctor of the department */
  assert_int_equal(act(f, &FX_SPEC, id, REFERRAL_ACCEPT, NULL, NULL, &e), LY_ESTATE);
  assert_int_equal(act(f, &FX_SPEC, id, REFERRAL_SCHEDULE, NULL, NULL, &e), 0);
  assert_string_equal(state_of(f, id, s, sizeof s), "scheduled");
  assert_int_equal(
      fx_int(f, "SELECT COUNT(*) FROM department_slots WHERE referral_id IS NOT NULL AND reserved = 1"), 1);
  assert_int_equal(act(f, &FX_SPEC, id, REFERRAL_ARRIVE, NULL, NULL, &e), 0);
  assert_int_equal(act(f, &FX_SPEC, id, REFERRAL_COMPLETE, NULL, NULL, &e), LY_EINVAL); /* summary required */
  assert_int_equal(act(f, &FX_SPEC, id, REFERRAL_COMPLETE, NULL, "调整降压方案，社区随访", &e), 0);
  assert_int_equal(act(f, &FX_GP, id, REFERRAL_CANCEL, NULL, NULL, &e), LY_ESTATE);
  assert_string_equal(state_of(f, id, s, sizeof s), "completed");
  /* the history and the view */
  json_t *o = NULL;
  assert_int_equal(referral_get_json(&f->cx, &FX_GP, id, &o, &e), 0);
  assert_int_equal(json_array_size(json_object_get(o, "events")), 5);
  assert_string_equal(json_string_value(json_object_get(o, "outcome")), "调整降压方案，社区随访");
  assert_string_equal(json_string_value(json_object_get(o, "to_department_name_en")), "Cardiology");
  assert_true(json_is_object(json_object_get(o, "slot")));
  json_decref(o);
  assert_int_equal(referral_get_json(&f->cx, &FX_PAT2, id, &o, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "referral.not_yours");
  assert_int_equal(referral_get_json(&f->cx, &FX_ENDO, id, &o, &e), LY_EFORBIDDEN);
  assert_int_equal(referral_get_json(&f->cx, &FX_ADMIN, id, &o, &e), LY_EFORBIDDEN);
  assert_int_equal(referral_get_json(&f->cx, &FX_SUP, id, &o, &e), 0);
  json_decref(o);
  assert_int_equal(referral_get_json(&f->cx, &FX_PAT1, "ref_none", &o, &e), LY_ENOTFOUND);
}

static void test_reject_cancel_no_show(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char a[LY_ID_MAX], b[LY_ID_MAX], c[LY_ID_MAX], s[16];
  publish(f, "dept_t_card", 10);
  assert_int_equal(up(f, &FX_GP, "dept_t_card", "routine", a, &e), 0);
  assert_int_equal(act(f, &FX_SPEC, a, REFERRAL_REJECT, NULL, NULL, &e), LY_EINVAL); /* reason required */
  assert_int_equal(act(f, &FX_SPEC, a, REFERRAL_REJECT, "本院无床位", NULL, &e), 0);
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM referral_episodes WHERE closed_at IS NOT NULL"), 1);
  assert_int_equal(up(f, &FX_GP, "dept_t_card", "routine", b, &e), 0);
  assert_int_equal(act(f, &FX_SPEC, b, REFERRAL_ACCEPT, NULL, NULL, &e), 0);
  assert_int_equal(act(f, &FX_SPEC, b, REFERRAL_SCHEDULE, NULL, NULL, &e), 0);
  assert_int_equal(act(f, &FX_PAT1, b, REFERRAL_CANCEL, "家中有事", NULL, &e), 0); /* frees the slot */
  assert_int_equal(fx_int(f, "SELECT COUNT(*) FROM department_slots WHERE referral_id IS NOT NULL"), 0);
  assert_int_equal(up(f, &FX_GP, "dept_t_card", "routine", c, &e), 0);
  assert_int_equal(act(f, &FX_SPEC, c, REFERRAL_ACCEPT, NULL, NULL, &e), 0);
  assert_int_equal(act(f, &FX_SPEC, c, REFERRAL_SCHEDULE, NULL, NULL, &e), 0);
  assert_int_equal(act(f, &FX_GP, c, REFERRAL_MARK_NO_SHOW, NULL, NULL, &e), LY_EFORBIDDEN);
  assert_int_equal(act(f, &FX_SPEC, c, REFERRAL_MARK_NO_SHOW, NULL, NULL, &e), 0);
  assert_string_equal(state_of(f, c, s, sizeof s), "no_show");
  assert_int_equal(act(f, &FX_SPEC, c, REFERRAL_ARRIVE, NULL, NULL, &e), LY_ESTATE);
  /* the outgoing list of the GP has all three; the department's incoming too */
  json_t *items = NULL;
  struct referral_filter out = {"outgoing", NULL, NULL, NULL, 0};
  assert_int_equal(referral_list_json(&f->cx, &FX_GP, &out, &items, &e), 0);
  assert_int_equal(json_array_size(items), 3);
  json_decref(items);
  struct referral_filter in = {"incoming", "no_show", NULL, NULL, 0};
  assert_int_equal(referral_list_json(&f->cx, &FX_SPEC2, &in, &items, &e), 0);
  assert_int_equal(json_array_size(items), 1);
  json_decref(items);
  assert_int_equal(referral_list_json(&f->cx, &FX_ENDO, &out, &items, &e), 0);
  assert_int_equal(json_array_size(items), 0);
  json_decref(items);
  assert_int_equal(referral_list_json(&f->cx, &FX_PAT2, &out, &items, &e), 0);
  assert_int_equal(json_array_size(items), 0);
  json_decref(items);
}

static void test_down(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  struct careplan_target t[] = {{"bp", 1, 1, 1, 1, 90, 135, 60, 85}};
  struct referral_down_new in = {"pat_1", "gp", "I10", "病情稳定", "出院小结", 14, "每两周随访血压", t, 1};
  /* from a community centre, to a hospital doctor, for an acute condition: refused */
  assert_int_equal(referral_create_down(&f->cx, &FX_GP2, &in, id, &e), LY_EDENIED);
  assert_string_equal(e.code, "referral.wrong_level");
  in.to_doctor_id = "spec2";
  assert_int_equal(referral_create_down(&f->cx, &FX_SPEC, &in, id, &e), LY_EDENIED);
  assert_string_equal(e.code, "referral.wrong_level");
  in.to_doctor_id = "gp";
  in.icd10 = "J06.9";
  assert_int_equal(referral_create_down(&f->cx, &FX_SPEC, &in, id, &e), LY_EDENIED);
  assert_string_equal(e.code, "referral.not_chronic");
  in.icd10 = "I10";
  in.follow_up_days = 0;
  assert_int_equal(referral_create_down(&f->cx, &FX_SPEC, &in, id, &e), LY_EINVAL);
  in.follow_up_days = 14;
  assert_int_equal(referral_create_down(&f->cx, &FX_SPEC, &in, id, &e), 0);
  /* only the receiving GP accepts; the plan becomes the patient's, in the GP's name */
  assert_int_equal(act(f, &FX_GP2, id, REFERRAL_ACCEPT, NULL, NULL, &e), LY_EFORBIDDEN);
  assert_int_equal(act(f, &FX_SPEC, id, REFERRAL_ACCEPT, NULL, NULL, &e), LY_EFORBIDDEN);
  assert_int_equal(act(f, &FX_GP, id, REFERRAL_SCHEDULE, NULL, NULL, &e), LY_ESTATE);
  assert_int_equal(act(f, &FX_GP, id, REFERRAL_ACCEPT, NULL, NULL, &e), 0);
  assert_int_equal(fx_int(f,
                          "SELECT COUNT(*) FROM care_plans p JOIN referrals r ON r.care_plan_id = p.id"
                          " WHERE p.doctor_id = 'gp' AND p.follow_up_days = 14 AND p.active = 1"),
                   1);
  assert_int_equal(fx_int(f, "SELECT high1 FROM care_plan_targets WHERE kind = 'bp'"), 135);
  json_t *plans = NULL;
  struct records_actor pat = {"pat_acct", "patient", NULL};
  assert_int_equal(careplan_list(&f->rcx, &pat, "pat_1", &plans, &e), 0);
  assert_int_equal(json_array_size(plans), 1);
  json_decref(plans);
  assert_int_equal(act(f, &FX_GP, id, REFERRAL_COMPLETE, NULL, NULL, &e), 0);
  /* no GP named: the family doctor, else a GP of the patient's subdistrict */
  in.to_doctor_id = NULL;
  in.patient_id = "pat_2";
  assert_int_equal(referral_create_down(&f->cx, &FX_SPEC, &in, id, &e), 0);
  assert_int_equal(
      fx_int(f, "SELECT COUNT(*) FROM referrals WHERE patient_id = 'pat_2' AND to_doctor_id = 'gp2'"), 1);
}

/* A consultation booked while an up-referral to the department is accepted
 * goes ahead in the queue (0008 trigger on 0003 consultations). */
static void test_queue_priority(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  assert_int_equal(up(f, &FX_GP, "dept_t_card", "routine", id, &e), 0);
  fx_sql(f,
         "INSERT INTO consultations (id, patient_id, doctor_id, facility_id, department_id, icd10, state,"
         " booked_at, updated_at) VALUES ('c1', 'pat_1', 'spec', 'fac_t', 'dept_t_card', 'I10', 'booked', 1, "
         "1)");
  assert_int_equal(fx_int(f, "SELECT priority FROM consultations WHERE id = 'c1'"), 0); /* only requested */
  assert_int_equal(act(f, &FX_SPEC, id, REFERRAL_ACCEPT, NULL, NULL, &e), 0);
  fx_sql(f,
         "INSERT INTO consultations (id, patient_id, doctor_id, facility_id, department_id, icd10, state,"
         " booked_at, updated_at) VALUES ('c2', 'pat_1', 'spec', 'fac_t', 'dept_t_card', 'I10', 'booked', 2, "
         "2)");
  assert_int_equal(fx_int(f, "SELECT priority FROM consultations WHERE id = 'c2'"), 1);
  assert_int_equal(
      fx_int(f, "SELECT COUNT(*) FROM consultations WHERE id = 'c2' AND referral_id IS NOT NULL"), 1);
  fx_sql(f,
         "INSERT INTO consultations (id, patient_id, doctor_id, facility_id, department_id, icd10, state,"
         " booked_at, updated_at) VALUES ('c3', 'pat_2', 'spec', 'fac_t', 'dept_t_card', 'I10', 'booked', 3, "
         "3)");
  assert_int_equal(fx_int(f, "SELECT priority FROM consultations WHERE id = 'c3'"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fsm_table),
      cmocka_unit_test_setup_teardown(test_up_levels_and_episode, setup, teardown),
      cmocka_unit_test_setup_teardown(test_up_full_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reject_cancel_no_show, setup, teardown),
      cmocka_unit_test_setup_teardown(test_down, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue_priority, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
