/* tests/unit/rx/test_renewal.c — rx/renewal.c, supervision*.c, formulary.c, notice.c. */
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
#include "rx/formulary.h"
#include "rx/notice.h"
#include "rx/prescription.h"
#include "rx/renewal.h"
#include "rx/supervision.h"
#include "tests/unit/records/fixture.h"

struct rxfx {
  struct fixture *f;
  struct rx_ctx cx;
};

static int setup(void **state) {
  struct rxfx *t = calloc(1, sizeof *t);
  t->f = fx_open();
  rx_ctx_init(&t->cx, t->f->db, &t->f->clock.clock, &t->f->keys);
  fx_consultation(t->f, "con_1", "pat_1", "doc_a", "fac_c", "ended");
  fx_sql(t->f,
         "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified, "
         "created_at) "
         "VALUES ('dx1', 'pat_1', 'I10', 'fac_h', 1773741600000, 'facility', 1, 0)");
  *state = t;
  return 0;
}

static int teardown(void **state) {
  struct rxfx *t = *state;
  int64_t checked = 0, bad = 0;
  assert_int_equal(ly_audit_verify(t->f->db, &checked, &bad), 0);
  fx_close(t->f);
  free(t);
  return 0;
}

static const struct prescription_item_in AMLO28 = {"amlodipine", 4, 28, 1000, "5 mg 口服 每日一次"};
static const struct prescription_item_in AMOX = {"amoxicillin", 1, 3, 3000, "250 mg 口服 每日三次"};

/* A ready prescription of doc_a for pat_1. */
static void issued(struct rxfx *t, const char *kind, const struct prescription_item_in *item,
                   char id[LY_ID_MAX]) {
  struct ly_error e;
  struct prescription_in in = {"pat_1", "con_1", "I10", kind, "高血压病情稳定", NULL, 0, 1,
                               NULL,    NULL,    item,  1};
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, NULL, &e), 0);
  assert_int_equal(prescription_sign(&t->cx, &FX_DOC_A, id, NULL, NULL, NULL, &e), 0);
  assert_int_equal(prescription_approve(&t->cx, &FX_PH_A, id, NULL, NULL, NULL, &e), 0);
}

static void test_renewal_round_trip(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  char old[LY_ID_MAX], rid[LY_ID_MAX], rid2[LY_ID_MAX];
  issued(t, "chronic", &AMLO28, old);
  assert_int_equal(renewal_request(&t->cx, &FX_PATIENT, "pat_2", old, "", rid, &e), LY_ENOTFOUND);
  assert_int_equal(renewal_request(&t->cx, &FX_PATIENT, "pat_1", old, "药快吃完了", rid, &e), 0);
  assert_int_equal(renewal_request(&t->cx, &FX_PATIENT, "pat_1", old, "", rid2, &e), LY_EEXIST);
  assert_string_equal(e.code, "rx.renewal_pending");
  json_t *list = NULL;
  assert_int_equal(renewal_list(&t->cx, &FX_DOC_A, NULL, 1, &list, &e), 0);
  assert_int_equal(json_array_size(list), 1);
  json_decref(list);
  assert_int_equal(renewal_approve(&t->cx, &FX_DOC_B, rid, NULL, NULL, NULL, &e), LY_EFORBIDDEN);
  t->f->clock.now += 20 * FX_DAY;
  json_t *r1 = NULL, *r2 = NULL;
  assert_int_equal(renewal_approve(&t->cx, &FX_DOC_A, rid, "ren-1", &r1, NULL, &e), 0);
  assert_int_equal(renewal_approve(&t->cx, &FX_DOC_A, rid, "ren-1", &r2, NULL, &e), 0);
  assert_true(json_equal(r1, r2));
  assert_int_equal(renewal_approve(&t->cx, &FX_DOC_A, rid, NULL, NULL, NULL, &e), LY_ESTATE);
  const char *nid = json_string_value(json_object_get(json_object_get(r1, "prescription"), "id"));
  struct prescription_parties pp;
  assert_int_equal(prescription_parties(&t->cx, nid, &pp), 0);
  assert_string_equal(pp.state, "pending_review");
  assert_int_equal(fx_int(t->f, "SELECT count(*) FROM prescriptions WHERE renewal_of IS NOT NULL"), 1);
  /* through review again */
  assert_int_equal(prescription_approve(&t->cx, &FX_PH_A, nid, NULL, NULL, NULL, &e), 0);
  assert_int_equal(fx_int(t->f,
                          "SELECT count(*) FROM rx_notices WHERE account_id='pat_acct' AND "
                          "kind='rx.renewal_approved'"),
                   1);
  assert_int_equal(fx_int(t->f,
                          "SELECT count(*) FROM rx_notices WHERE account_id='doc_a' AND "
                          "kind='rx.renewal_requested'"),
                   1);
  json_decref(r1);
  json_decref(r2);
  /* the patient reads their notices */
  assert_int_equal(notice_list(&t->cx, &FX_PATIENT, 0, &list, &e), 0);
  assert_true(json_array_size(list) >= 3);
  json_int_t last =
      json_integer_value(json_object_get(json_array_get(list, json_array_size(list) - 1), "id"));
  json_decref(list);
  assert_int_equal(notice_read(&t->cx, &FX_PATIENT, last, &e), 0);
  assert_int_equal(
      fx_int(t->f, "SELECT count(*) FROM rx_notices WHERE account_id='pat_acct' AND read_at IS NULL"), 0);
}

static void test_renewal_refusals(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  struct rules_result v;
  char acute[LY_ID_MAX], old[LY_ID_MAX], rid[LY_ID_MAX];
  issued(t, "acute", &AMOX, acute);
  assert_int_equal(renewal_request(&t->cx, &FX_PATIENT, "pat_1", acute, "", rid, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.renewal_not_chronic");
  issued(t, "chronic", &AMLO28, old);
  assert_int_equal(renewal_request(&t->cx, &FX_DOC_A, "pat_1", old, "", rid, &e), LY_EFORBIDDEN);
  assert_int_equal(renewal_request(&t->cx, &FX_PATIENT, "pat_1", old, "", rid, &e), 0);
  assert_int_equal(renewal_decline(&t->cx, &FX_DOC_A, rid, "", &e), LY_EINVAL);
  assert_int_equal(renewal_decline(&t->cx, &FX_DOC_A, rid, "血压控制不佳，请来门诊复查", &e), 0);
  assert_int_equal(renewal_decline(&t->cx, &FX_DOC_A, rid, "again", &e), LY_ESTATE);
  /* a later request whose offline diagnosis has left the window: the rules refuse, nothing written */
  assert_int_equal(renewal_request(&t->cx, &FX_PATIENT, "pat_1", old, "", rid, &e), 0);
  t->f->clock.now += 300 * FX_DAY;
  assert_int_equal(renewal_approve(&t->cx, &FX_DOC_A, rid, NULL, NULL, &v, &e), LY_EDENIED);
  assert_true(rules_result_has(&v, "consult.first_visit_offline_only"));
  assert_int_equal(fx_int(t->f, "SELECT count(*) FROM prescriptions WHERE renewal_of IS NOT NULL"), 0);
  assert_int_equal(renewal_withdraw(&t->cx, &FX_PATIENT, "pat_1", rid, &e), 0);
  assert_int_equal(fx_int(t->f, "SELECT count(*) FROM rx_notices WHERE kind='rx.renewal_declined'"), 1);
}

static void test_supervision_sampling(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  char id[LY_ID_MAX], wk[16];
  int sampled = -1;
  /* 25 prescriptions by doc_a and a signed note: 5% of 26 rounds up to 2 */
  for (int i = 0; i < 25; i++)
    issued(t, "chronic", &AMLO28, id);
  static const char *const dx[] = {"I10"};
  struct note_input in = {"头晕", "", "", "", dx, 1, NULL};
  char note[LY_ID_MAX];
  assert_int_equal(note_save(&t->cx.rec, &FX_DOC_A, "con_1", &in, note, &e), 0);
  assert_int_equal(note_sign(&t->cx.rec, &FX_DOC_A, note, &e), 0);
  /* doc_b: one signed prescription is enough to be sampled once */
  fx_consultation(t->f, "con_b", "pat_1", "doc_b", "fac_h", "ended");
  struct prescription_in pb = {"pat_1", "con_b", "I10", "normal", NULL, NULL, 0, 1, NULL, NULL, &AMLO28, 1};
  struct prescription_item_in a7 = {"amlodipine", 1, 7, 1000, "5 mg 口服 每日一次"};
  pb.items = &a7;
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_B, &pb, id, NULL, &e), 0);
  assert_int_equal(prescription_sign(&t->cx, &FX_DOC_B, id, NULL, NULL, NULL, &e), 0);
  supervision_week_of(&t->cx, FX_NOW, wk, sizeof wk);
  assert_string_equal(wk, "2026-W25"); /* Monday 2026-06-15 */
  int64_t start = 0;
  assert_int_equal(supervision_week_start(&t->cx, wk, &start), 0);
  assert_int_equal(start, FX_NOW - 18 * 3600000LL); /* 00:00 Beijing = 16:00Z the day before */
  assert_int_equal(supervision_week_start(&t->cx, "2026-W54", &start), LY_EPARSE);
  assert_int_equal(supervision_sample(&t->cx, wk, &sampled, &e), 0);
  assert_int_equal(sampled, 3);
  assert_int_equal(fx_int(t->f, "SELECT count(DISTINCT doctor_id) FROM supervision_samples"), 2);
  assert_int_equal(supervision_sample(&t->cx, wk, &sampled, &e), LY_EEXIST);
  /* the week after has no activity */
  t->f->clock.now = FX_NOW + 14 * FX_DAY;
  assert_int_equal(supervision_sample(&t->cx, NULL, &sampled, &e), 0);
  assert_int_equal(sampled, 0);
  json_t *list = NULL;
  assert_int_equal(supervision_list(&t->cx, &FX_DOC_A, NULL, 1, &list, &e), LY_EFORBIDDEN);
  assert_int_equal(supervision_list(&t->cx, &FX_SUPERVISOR, wk, 1, &list, &e), 0);
  assert_int_equal(json_array_size(list), 3);
  const char *sid = json_string_value(json_object_get(json_array_get(list, 0), "id"));
  const char *sdoc = json_string_value(json_object_get(json_array_get(list, 0), "doctor_id"));
  struct records_actor doc = {sdoc, "doctor", NULL};
  assert_int_equal(supervision_finding(&t->cx, &FX_SUPERVISOR, sid, "concerns", "", &e), LY_EINVAL);
  assert_int_equal(supervision_finding(&t->cx, &FX_SUPERVISOR, sid, "concerns", "用量偏大", &e), 0);
  assert_int_equal(supervision_finding(&t->cx, &FX_SUPERVISOR, sid, "appropriate", NULL, &e), LY_ESTATE);
  json_t *mine = NULL;
  assert_int_equal(supervision_mine(&t->cx, &doc, &mine, &e), 0);
  assert_int_equal(json_array_size(mine), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(mine, 0), "finding_text")),
                      "用量偏大");
  json_decref(mine);
  json_decref(list);
}

static void test_formulary(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  json_t *r = NULL;
  assert_int_equal(formulary_search(&t->cx, "aldp", 10, &r, &e), 0); /* pinyin initials */
  assert_int_equal(json_array_size(r), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "id")), "amlodipine");
  json_decref(r);
  assert_int_equal(formulary_search(&t->cx, "N0", 10, &r, &e), 0); /* ATC prefix */
  assert_int_equal(json_array_size(r), 2);
  assert_false(json_is_true(json_object_get(json_array_get(r, 0), "online_allowed")));
  json_decref(r);
  assert_int_equal(formulary_search(&t->cx, "双胍", 10, &r, &e), 0); /* part of the Chinese name */
  assert_int_equal(json_array_size(r), 1);
  json_decref(r);
  assert_int_equal(formulary_search(&t->cx, "%", 10, &r, &e), 0); /* wildcards are literal */
  assert_int_equal(json_array_size(r), 0);
  json_decref(r);
  assert_int_equal(formulary_search(&t->cx, "", 10, &r, &e), LY_EINVAL);
  assert_int_equal(formulary_get(&t->cx, "nope", &r, &e), LY_ENOTFOUND);
  assert_int_equal(formulary_get(&t->cx, "metformin", &r, &e), 0);
  json_decref(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_renewal_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_renewal_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_supervision_sampling, setup, teardown),
      cmocka_unit_test_setup_teardown(test_formulary, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
