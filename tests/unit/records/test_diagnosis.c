/* tests/unit/records/test_diagnosis.c — records/diagnosis.c, diagnosis_import.c, csv.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/audit.h"
#include "records/csv.h"
#include "records/diagnosis.h"
#include "tests/unit/records/fixture.h"

static int setup(void **state) {
  *state = fx_open();
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static const char PNG[] = "\x89PNG\r\n\x1A\n....";

static void test_add_by_doctor(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  struct diagnosis_new dx = {"pat_1", "I10.x00", NULL, NULL, FX_NOW - 30 * FX_DAY, "门诊确诊"};
  assert_int_equal(diagnosis_add(&f->cx, &FX_DOC_A, &dx, id, &e), 0);
  assert_int_equal(fx_int(f, "SELECT verified FROM offline_diagnoses WHERE source='facility'"), 1);
  /* a doctor cannot record another facility's diagnosis */
  dx.facility_id = "fac_h";
  assert_int_equal(diagnosis_add(&f->cx, &FX_DOC_A, &dx, id, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "records.facility_mismatch");
  dx.facility_id = NULL;
  /* bad icd10, unknown patient, future date, patients may not */
  dx.icd10 = "hypertension";
  assert_int_equal(diagnosis_add(&f->cx, &FX_DOC_A, &dx, id, &e), LY_EINVAL);
  assert_string_equal(e.code, "records.icd10_invalid");
  dx.icd10 = "I10";
  dx.patient_id = "nobody";
  assert_int_equal(diagnosis_add(&f->cx, &FX_DOC_A, &dx, id, &e), LY_ENOTFOUND);
  dx.patient_id = "pat_1";
  dx.diagnosed_at = FX_NOW + 3 * FX_DAY;
  assert_int_equal(diagnosis_add(&f->cx, &FX_DOC_A, &dx, id, &e), LY_EINVAL);
  assert_string_equal(e.code, "records.diagnosis_date_invalid");
  assert_int_equal(diagnosis_add(&f->cx, &FX_PATIENT, &dx, id, &e), LY_EFORBIDDEN);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM offline_diagnoses"), 1);
  int64_t checked = 0, bad = 0;
  assert_int_equal(ly_audit_verify(f->db, &checked, &bad), 0);
  assert_true(checked >= 1);
}

static void test_upload_and_verify(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX], id2[LY_ID_MAX];
  struct diagnosis_upload up = {{"pat_1", "E11.9", "fac_h", NULL, FX_NOW - 60 * FX_DAY, ""},
                                "糖尿病，医院诊断",
                                "image/png",
                                PNG,
                                sizeof PNG - 1};
  assert_int_equal(diagnosis_upload(&f->cx, &FX_PATIENT, &up, id, &e), 0);
  assert_int_equal(fx_int(f, "SELECT verified FROM offline_diagnoses"), 0);
  /* a PDF claimed as PNG is refused */
  up.doc = "%PDF-1.7";
  up.doc_len = 8;
  assert_int_equal(diagnosis_upload(&f->cx, &FX_PATIENT, &up, id2, &e), LY_EINVAL);
  assert_string_equal(e.code, "records.document_type");
  up.content_type = "application/pdf";
  assert_int_equal(diagnosis_upload(&f->cx, &FX_PATIENT, &up, id2, &e), 0);
  /* rejection needs a reason; verification by a doctor makes it count */
  assert_int_equal(diagnosis_verify(&f->cx, &FX_DOC_B, id2, 0, "", &e), LY_EINVAL);
  assert_int_equal(diagnosis_verify(&f->cx, &FX_DOC_B, id2, 0, "照片不清晰", &e), 0);
  assert_int_equal(diagnosis_verify(&f->cx, &FX_PATIENT, id, 1, NULL, &e), LY_EFORBIDDEN);
  assert_int_equal(diagnosis_verify(&f->cx, &FX_DOC_B, id, 1, NULL, &e), 0);
  assert_int_equal(diagnosis_verify(&f->cx, &FX_DOC_B, id, 1, NULL, &e), LY_ESTATE);
  assert_string_equal(e.code, "records.diagnosis_already_decided");
  assert_int_equal(fx_int(f, "SELECT count(*) FROM offline_diagnoses WHERE verified=1"), 1);
  json_t *list = NULL;
  assert_int_equal(diagnosis_list(&f->cx, &FX_DOC_B, "pat_1", &list, &e), 0);
  assert_int_equal(json_array_size(list), 2);
  json_t *rej = json_array_get(list, 0);
  if (json_is_true(json_object_get(rej, "verified"))) rej = json_array_get(list, 1);
  assert_string_equal(json_string_value(json_object_get(json_object_get(rej, "evidence"), "decision")),
                      "rejected");
  json_decref(list);
}

#define HDR "facility_id,his_id,national_id,icd10,diagnosed_on,doctor_license_no,note\n"

static void test_import_good_and_idempotent(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  struct diagnosis_import_report rep;
  const char *csv = "\xEF\xBB\xBF" HDR
                    "fac_h,H-1,110101196001010011,I10,2026-01-05,doc_b,\"高血压, 二级\"\r\n"
                    "fac_c,C-9,11010119800707003X,E11.9,2025-12-31,,\"note with \"\"quotes\"\"\"\n";
  assert_int_equal(diagnosis_import_csv(&f->cx, csv, strlen(csv), &rep, &e), 0);
  assert_int_equal(rep.rows, 2);
  assert_int_equal(rep.inserted, 2);
  assert_int_equal(
      fx_int(f, "SELECT count(*) FROM offline_diagnoses WHERE source='his_import' AND verified=1"), 2);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM offline_diagnoses WHERE note='note with \"quotes\"'"), 1);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM offline_diagnoses WHERE doctor_id='doc_b'"), 1);
  assert_int_equal(diagnosis_import_csv(&f->cx, csv, strlen(csv), &rep, &e), 0);
  assert_int_equal(rep.inserted, 0);
  assert_int_equal(rep.duplicates, 2);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM offline_diagnoses"), 2);
}

static void test_import_all_or_nothing(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  struct diagnosis_import_report rep;
  const char *csv = HDR
      "fac_h,H-1,110101196001010011,I10,2026-01-05,,ok\n"       /* 2: good */
      "fac_x,H-2,110101196001010011,I10,2026-01-05,,\n"         /* 3: facility */
      "fac_h,H-3,110101196001010099,I10,2026-01-05,,\n"         /* 4: patient */
      "fac_h,H-4,110101196001010011,hyper,2026-01-05,,\n"       /* 5: icd10 */
      "fac_h,H-5,110101196001010011,I10,2026-02-30x,,\n"        /* 6: date */
      "fac_h,H-6,110101196001010011,I10,2026-01-05,doc_a,\n"    /* 7: doctor elsewhere */
      "fac_h,H-7,110101196001010011,I10,2026-01-05\n"           /* 8: fields */
      "fac_h,H-8,1101011960,I10,2026-01-05,,\n"                 /* 9: national id */
      "fac_h,H\"9,110101196001010011,I10,2026-01-05,,\n"        /* 10: stray quote */
      "\n"                                                      /* 11: empty line */
      "fac_h,H-10,110101196001010011,I10,2027-01-05,,\n"        /* 12: future */
      "fac_h,H-11,110101196001010011,I10,2026-01-05,,\"open\n"; /* 13: unterminated */
  assert_int_equal(diagnosis_import_csv(&f->cx, csv, strlen(csv), &rep, &e), LY_EINVAL);
  assert_string_equal(e.code, "import.rows_invalid");
  assert_int_equal(rep.failed, 11);
  long want[] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  assert_int_equal(rep.nerrors, 11);
  for (int i = 0; i < 11; i++)
    assert_int_equal(rep.errors[i].line, want[i]);
  assert_int_equal(rep.inserted, 0);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM offline_diagnoses"), 0);
  /* wrong header */
  const char *bad = "facility,his\n";
  assert_int_equal(diagnosis_import_csv(&f->cx, bad, strlen(bad), &rep, &e), LY_EINVAL);
  assert_int_equal(rep.errors[0].line, 1);
}

static void test_import_main(void **state) {
  struct fixture *f = *state;
  char path[160];
  snprintf(path, sizeof path, "%s/his.csv", f->dir);
  FILE *fp = fopen(path, "w");
  fputs(HDR "fac_h,H-1,110101196001010011,I10,2026-01-05,,\n", fp);
  fclose(fp);
  FILE *out = tmpfile(), *err = tmpfile();
  assert_int_equal(diagnosis_import_main(&f->cx, path, out, err), 0);
  assert_int_equal(diagnosis_import_main(&f->cx, "/nonexistent/x.csv", out, err), 2);
  fp = fopen(path, "w");
  fputs(HDR "fac_h,H-2,bad,I10,2026-01-05,,\n", fp);
  fclose(fp);
  assert_int_equal(diagnosis_import_main(&f->cx, path, out, err), 1);
  char buf[512] = {0};
  rewind(err);
  size_t n = fread(buf, 1, sizeof buf - 1, err);
  buf[n] = '\0';
  assert_non_null(strstr(buf, "his.csv:2: national_id"));
  fclose(out);
  fclose(err);
  unlink(path);
}

static void test_csv_reader(void **state) {
  (void)state;
  struct csv_reader *r = malloc(sizeof *r);
  const char *f[4];
  size_t nf;
  struct ly_error e;
  const char *in = "a,\"b,c\",\"\"\nx,,z";
  csv_init(r, in, strlen(in));
  assert_int_equal(csv_next(r, f, 4, &nf, &e), 1);
  assert_int_equal(nf, 3);
  assert_string_equal(f[1], "b,c");
  assert_string_equal(f[2], "");
  assert_int_equal(csv_next(r, f, 4, &nf, &e), 1);
  assert_string_equal(f[1], "");
  assert_int_equal(csv_next(r, f, 4, &nf, &e), 0);
  const char bad[] = "a\0b\n";
  csv_init(r, bad, 4);
  assert_int_equal(csv_next(r, f, 4, &nf, &e), LY_EPARSE);
  csv_init(r, "a,b,c,d,e\n", 10);
  assert_int_equal(csv_next(r, f, 4, &nf, &e), LY_EPARSE);
  csv_init(r, "\xC3\x28\n", 3);
  assert_int_equal(csv_next(r, f, 4, &nf, &e), LY_EPARSE);
  static char big[CSV_LINE_MAX + 10];
  memset(big, 'a', sizeof big - 1);
  csv_init(r, big, sizeof big - 1);
  assert_int_equal(csv_next(r, f, 4, &nf, &e), LY_ETOOBIG);
  free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_add_by_doctor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_upload_and_verify, setup, teardown),
      cmocka_unit_test_setup_teardown(test_import_good_and_idempotent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_import_all_or_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_import_main, setup, teardown),
      cmocka_unit_test(test_csv_reader),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
