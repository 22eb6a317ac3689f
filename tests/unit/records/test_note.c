/* tests/unit/records/test_note.c — records/note.c, note_sign.c, signature.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>

#include "core/audit.h"
#include "records/note.h"
#include "tests/unit/records/fixture.h"

static int setup(void **state) {
  struct fixture *f = fx_open();
  fx_consultation(f, "con_1", "pat_1", "doc_a", "fac_c", "ended");
  fx_consultation(f, "con_booked", "pat_1", "doc_a", "fac_c", "booked");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx_close(*state);
  return 0;
}

static const char *const DX1[] = {"I10", "E11.9"};

static void test_save_sign_correct(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX], id2[LY_ID_MAX], id3[LY_ID_MAX];
  struct note_input in = {"头晕三天", "高血压5年", "BP 150/95", "低盐饮食", DX1, 0, NULL};
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_1", &in, id, &e), 0);
  /* not signable without a diagnosis */
  assert_int_equal(note_sign(&f->cx, &FX_DOC_A, id, &e), LY_EDENIED);
  assert_string_equal(e.code, "records.note_incomplete");
  in.nicd10 = 2;
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_1", &in, id2, &e), 0);
  assert_string_equal(id, id2); /* the same draft */
  /* another doctor may not sign or write */
  assert_int_equal(note_sign(&f->cx, &FX_DOC_B, id, &e), LY_EFORBIDDEN);
  assert_int_equal(note_save(&f->cx, &FX_DOC_B, "con_1", &in, id2, &e), LY_EFORBIDDEN);
  assert_int_equal(note_sign(&f->cx, &FX_DOC_A, id, &e), 0);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM consultations WHERE id='con_1' AND state='notes_signed'"),
                   1);
  assert_int_equal(note_sign(&f->cx, &FX_DOC_A, id, &e), LY_ESTATE);
  assert_string_equal(e.code, "records.note_signed");
  /* the database refuses to change a signed note, whatever the code does */
  assert_int_not_equal(
      sqlite3_exec(ly_db_sqlite(f->db), "UPDATE consultation_notes SET advice='x'", NULL, NULL, NULL),
      SQLITE_OK);
  assert_int_not_equal(
      sqlite3_exec(ly_db_sqlite(f->db), "DELETE FROM consultation_note_diagnoses", NULL, NULL, NULL),
      SQLITE_OK);
  /* a correction needs a reason and makes version 2, keeping version 1 */
  in.advice = "低盐饮食，监测血压";
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_1", &in, id3, &e), LY_EINVAL);
  assert_string_equal(e.code, "records.correction_reason_required");
  in.correction_reason = "补充随访建议";
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_1", &in, id3, &e), 0);
  assert_string_not_equal(id3, id);
  assert_int_equal(note_sign(&f->cx, &FX_DOC_A, id3, &e), 0);
  json_t *list = NULL;
  assert_int_equal(note_list(&f->cx, &FX_DOC_A, "con_1", &list, &e), 0);
  assert_int_equal(json_array_size(list), 2);
  json_t *v1 = json_array_get(list, 0), *v2 = json_array_get(list, 1);
  assert_string_equal(json_string_value(json_object_get(v1, "advice")), "低盐饮食");
  assert_string_equal(json_string_value(json_object_get(v2, "supersedes")), id);
  assert_int_equal(json_array_size(json_object_get(v2, "diagnoses")), 2);
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(json_object_get(v2, "diagnoses"), 0), "name")),
      "高血压");
  json_decref(list);
  int64_t checked = 0, bad = 0;
  assert_int_equal(ly_audit_verify(f->db, &checked, &bad), 0);
}

static void test_refusals(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  struct note_input in = {"头晕", "", "", "", DX1, 1, NULL};
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_booked", &in, id, &e), LY_ESTATE);
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_none", &in, id, &e), LY_ENOTFOUND);
  static const char *const bad_dx[] = {"hypertension"};
  in.icd10 = bad_dx;
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_1", &in, id, &e), LY_EINVAL);
  assert_string_equal(e.code, "records.icd10_invalid");
  in.icd10 = DX1;
  in.chief_complaint = "bad\x01text";
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_1", &in, id, &e), LY_EINVAL);
  static char big[NOTE_SHORT_MAX + 2];
  memset(big, 'x', NOTE_SHORT_MAX + 1);
  in.chief_complaint = big;
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_1", &in, id, &e), LY_EINVAL);
  assert_int_equal(fx_int(f, "SELECT count(*) FROM consultation_notes"), 0);
}

static void test_signed_envelope_verifies(void **state) {
  struct fixture *f = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  struct note_input in = {"头晕", "", "", "", DX1, 1, NULL};
  assert_int_equal(note_save(&f->cx, &FX_DOC_A, "con_1", &in, id, &e), 0);
  json_t *env = NULL;
  assert_int_equal(note_signed(&f->cx, &FX_DOC_A, id, &env, &e), LY_ESTATE);
  assert_int_equal(note_sign(&f->cx, &FX_DOC_A, id, &e), 0);
  assert_int_equal(note_signed(&f->cx, &FX_DOC_A, id, &env, &e), 0);
  char *text = json_dumps(env, JSON_COMPACT);
  size_t n = strlen(text);
  struct signature_info info;
  uint8_t pub[LY_ED25519_PUB_LEN], other[LY_ED25519_PUB_LEN];
  assert_int_equal(signature_doctor_pub(&f->cx, "doc_a", pub, &e), 0);
  assert_int_equal(signature_doctor_pub(&f->cx, "doc_b", other, &e), 0);
  assert_int_equal(signature_verify(text, n, pub, &info, &e), 0);
  assert_string_equal(info.kind, "consultation_note");
  assert_string_equal(info.id, id);
  json_decref(info.document);
  assert_int_equal(signature_verify(text, n, other, &info, &e), LY_ECRYPTO);
  /* change every byte of the document in turn: never verifies */
  const char *doc = strstr(text, "\"document\":\"") + 12;
  size_t start = (size_t)(doc - text), bad = 0;
  for (size_t i = start; i < start + 200 && i < n; i++) {
    char keep = text[i];
    text[i] = keep == 'a' ? 'b' : 'a';
    if (signature_verify(text, n, NULL, &info, &e) == 0) {
      bad++;
      json_decref(info.document);
    }
    text[i] = keep;
  }
  assert_int_equal(bad, 0);
  free(text);
  json_decref(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_save_sign_correct, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_signed_envelope_verifies, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
