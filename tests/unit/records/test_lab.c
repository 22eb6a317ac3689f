/* tests/unit/records/test_lab.c — records/lab.c, lab_result.c: every transition, legal and not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/audit.h"
#include "records/document.h"
#include "records/lab.h"
#include "tests/unit/records/fixture.h"

static int setup(void **state) {
  *state = fx_open();
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

/* doc_a (fac_c) orders an HbA1c at the hospital fac_h, where doc_b works. */
static void order(struct fixture *f, char id[LY_ID_MAX]) {
  struct ly_error e;
  struct lab_order_new in = {"pat_1", NULL, "fac_h", "lab", "HBA1C", "糖化血红蛋白", "糖尿病随访"};
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), 0);
}

static const struct lab_result_in ROWS[] = {
    {"HbA1c", "7.2", "%", 1, 7.2, 1, 1, 4.0, 6.0, ""},
    {"Glucose", "5.1", "mmol/L", 1, 5.1, 1, 1, 3.9, 6.1, ""},
    {"Urine protein", "阴性", "", 0, 0, 0, 0, 0, 0, "阴性"},
};

static void test_path_and_flags(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  order(f, id);
  assert_int_equal(lab_schedule(&f->cx, &FX_DOC_A, id, FX_NOW + FX_DAY, &e), LY_EFORBIDDEN); /* orderer */
  assert_int_equal(lab_schedule(&f->cx, &FX_DOC_B, id, FX_NOW + FX_DAY, &e), 0);
  assert_int_equal(lab_schedule(&f->cx, &FX_DOC_B, id, FX_NOW + 2 * FX_DAY, &e), 0); /* reschedule */
  struct lab_report rep = {"控制欠佳", ROWS, 3, "application/pdf", "%PDF-1.4 report", 15};
  assert_int_equal(lab_result(&f->cx, &FX_DOC_A, id, &rep, &e), LY_EFORBIDDEN);
  assert_int_equal(lab_result(&f->cx, &FX_DOC_B, id, &rep, &e), 0);
  json_t *o = NULL;
  assert_int_equal(lab_get(&f->cx, &FX_PATIENT, id, &o, &e), 0);
  assert_string_equal(json_string_value(json_object_get(o, "state")), "resulted");
  json_t *res = json_object_get(o, "results");
  assert_int_equal(json_array_size(res), 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "flag")), "H");
  assert_string_equal(json_string_value(json_object_get(json_array_get(res, 1), "flag")), "N");
  assert_string_equal(json_string_value(json_object_get(json_array_get(res, 2), "flag")), "");
  const char *doc_id = json_string_value(json_object_get(o, "report_document_id"));
  assert_non_null(doc_id);
  struct document d;
  assert_int_equal(document_get(&f->cx, &FX_PATIENT, doc_id, &d, &e), 0);
  assert_int_equal(d.size, 15);
  assert_string_equal(d.kind, "lab_report");
  document_free(&d);
  json_decref(o);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM lab_order_events"), 4);
  int64_t checked = 0, bad = 0;
  assert_int_equal(ly_audit_verify(f->db, &checked, &bad), 0);
}

struct lab_step {
  const char *action;
  const struct records_actor *who;
  int want;
};

static int lab_do(struct fixture *f, const char *id, const struct lab_step *s, struct ly_error *e) {
  static const struct lab_report rep = {"ok", NULL, 0, NULL, NULL, 0};
  if (strcmp(s->action, "schedule") == 0) return lab_schedule(&f->cx, s->who, id, FX_NOW + FX_DAY, e);
  if (strcmp(s->action, "result") == 0) return lab_result(&f->cx, s->who, id, &rep, e);
  return lab_cancel(&f->cx, s->who, id, "患者取消", e);
}

/* Each sequence from a fresh order; each step's expected outcome. */
static void test_transition_table(void **state) {
  struct fixture *f = *state;
  static const struct lab_step seqs[][4] = {
      {{"result", &FX_DOC_B, 0},
       {"result", &FX_DOC_B, LY_ESTATE},
       {"cancel", &FX_DOC_A, LY_ESTATE},
       {NULL, 0, 0}},
      {{"cancel", &FX_DOC_A, 0},
       {"schedule", &FX_DOC_B, LY_ESTATE},
       {"result", &FX_DOC_B, LY_ESTATE},
       {NULL, 0, 0}},
      {{"schedule", &FX_DOC_B, 0}, {"cancel", &FX_DOC_B, 0}, {"cancel", &FX_DOC_A, LY_ESTATE}, {NULL, 0, 0}},
      {{"schedule", &FX_DOC_B, 0},
       {"result", &FX_DOC_B, 0},
       {"schedule", &FX_DOC_B, LY_ESTATE},
       {NULL, 0, 0}},
      {{"cancel", &FX_PATIENT, LY_EFORBIDDEN},
       {"cancel", &FX_DOC_YOUNG, LY_EFORBIDDEN},
       {"schedule", &FX_DOC_YOUNG, LY_EFORBIDDEN},
       {NULL, 0, 0}},
  };
  for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
    char id[LY_ID_MAX];
    order(f, id);
    for (size_t j = 0; j < 4 && seqs[i][j].action; j++) {
      struct ly_error e;
      int rc = lab_do(f, id, &seqs[i][j], &e);
      if (rc != seqs[i][j].want)
        print_error("sequence %zu step %zu (%s): got %d\n", i, j, seqs[i][j].action, rc);
      assert_int_equal(rc, seqs[i][j].want);
      if (rc == LY_ESTATE) assert_string_equal(e.code, "records.lab_illegal_transition");
    }
  }
}

static void test_bad_input(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  struct lab_order_new in = {"pat_1", NULL, "fac_h", "xray", "CXR", "胸片", ""};
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), LY_EINVAL);
  in.kind = "exam";
  in.code = "has space";
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), LY_EINVAL);
  in.code = "CXR";
  in.facility_id = "fac_none";
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), LY_EINVAL);
  in.facility_id = "fac_h";
  assert_int_equal(lab_order(&f->cx, &FX_PATIENT, &in, id, &e), LY_EFORBIDDEN);
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), 0);
  struct lab_result_in bad = {"x", "1", "", 1, 1, 1, 1, 5, 2, ""}; /* low > high */
  struct lab_report rep = {"", &bad, 1, NULL, NULL, 0};
  assert_int_equal(lab_result(&f->cx, &FX_DOC_B, id, &rep, &e), LY_EINVAL);
  rep.nrows = 0;
  assert_int_equal(lab_result(&f->cx, &FX_DOC_B, id, &rep, &e), LY_EINVAL); /* empty */
  rep.content_type = "image/png";
  rep.doc = "GIF89a";
  rep.doc_len = 6;
  assert_int_equal(lab_result(&f->cx, &FX_DOC_B, id, &rep, &e), LY_EINVAL);
  assert_string_equal(e.code, "records.document_type");
  assert_int_equal(fx_int(f, "SELECT count(*) FROM lab_orders WHERE state='ordered'"), 1);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM record_documents"), 0);
  assert_int_equal(lab_cancel(&f->cx, &FX_DOC_A, id, "", &e), LY_EINVAL); /* reason required */
  json_t *list = NULL;
  assert_int_equal(lab_list(&f->cx, &FX_DOC_A, "pat_1", &list, &e), 0);
  assert_int_equal(json_array_size(list), 1);
  json_decref(list);
}

/* A cited consultation must be the orderer's own with this patient. */
static void test_consultation_must_match(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  fx_consultation(f, "con_a1", "pat_1", "doc_a", "fac_c", "ended");
  fx_consultation(f, "con_a2", "pat_2", "doc_a", "fac_c", "ended");
  fx_consultation(f, "con_b1", "pat_1", "doc_b", "fac_h", "ended");
  struct lab_order_new in = {"pat_1", "con_a2", "fac_h", "lab", "HBA1C", "糖化血红蛋白", ""};
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), LY_EFORBIDDEN); /* another patient's */
  assert_string_equal(e.code, "records.consultation_mismatch");
  in.consultation_id = "con_b1";
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), LY_EFORBIDDEN); /* another doctor's */
  in.consultation_id = "con_none";
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), LY_EFORBIDDEN);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM lab_orders"), 0);
  in.consultation_id = "con_a1";
  assert_int_equal(lab_order(&f->cx, &FX_DOC_A, &in, id, &e), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_path_and_flags, setup, teardown),
      cmocka_unit_test_setup_teardown(test_transition_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_consultation_must_match, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
