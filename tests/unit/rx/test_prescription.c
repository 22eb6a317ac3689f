/* tests/unit/rx/test_prescription.c — rx/prescription*.c over a real database:
 * the whole path, every legal and illegal transition, idempotent repeats,
 * review eligibility, expiry, bad input and signature tampering. */
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
#include "core/ids.h"
#include "rx/prescription.h"
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
  fx_consultation(t->f, "con_b", "pat_1", "doc_b", "fac_h", "ended");
  fx_consultation(t->f, "con_kid", "pat_kid", "doc_a", "fac_c", "ended");
  fx_sql(t->f,
         "INSERT INTO offline_diagnoses (id, patient_id, icd10, facility_id, diagnosed_at, source, verified, "
         "created_at) "
         "VALUES ('dx1', 'pat_1', 'I10', 'fac_h', 1773741600000, 'facility', 1, 0),"
         "       ('dx2', 'pat_kid', 'J06', 'fac_h', 1773741600000, 'facility', 1, 0)");
  fx_sql(t->f,
         "INSERT INTO accounts VALUES ('ph_h','ph_h','pharmacist','医院药师','Pharm H','x',0,0);"
         "INSERT INTO pharmacists VALUES ('ph_h','fac_h','PH-H',0)");
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

static const struct prescription_item_in AMLO = {"amlodipine", 1, 7, 1000, "5 mg 口服 每日一次"};

static struct prescription_in draft_in(void) {
  struct prescription_in in = {"pat_1", "con_1", "I10", "normal", NULL, NULL, 0, 1, NULL, NULL, &AMLO, 1};
  return in;
}

static void create(struct rxfx *t, char id[LY_ID_MAX]) {
  struct ly_error e;
  struct rules_result v;
  struct prescription_in in = draft_in();
  int rc = prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e);
  if (rc) print_error("create: %s %s\n", e.code, e.message);
  assert_int_equal(rc, 0);
  assert_int_equal(v.n, 0);
}

static int sign(struct rxfx *t, const char *id, const char *key, struct ly_error *e) {
  return prescription_sign(&t->cx, &FX_DOC_A, id, key, NULL, NULL, e);
}

static int approve(struct rxfx *t, const struct records_actor *who, const char *id, struct ly_error *e) {
  return prescription_approve(&t->cx, who, id, NULL, NULL, NULL, e);
}

static void test_whole_path(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  char id[LY_ID_MAX];
  create(t, id);
  assert_int_equal(sign(t, id, NULL, &e), 0);
  assert_int_equal(approve(t, &FX_PH_A, id, &e), 0);
  json_t *v = NULL;
  assert_int_equal(prescription_get(&t->cx, &FX_PATIENT, id, 1, &v, &e), 0);
  assert_string_equal(json_string_value(json_object_get(v, "state")), "ready");
  const char *code = json_string_value(json_object_get(v, "access_code"));
  assert_non_null(code);
  assert_int_equal(strlen(code), 43); /* 32 bytes base64url */
  assert_non_null(strstr(json_string_value(json_object_get(v, "qr")), id));
  json_decref(v);
  /* the code never reaches the audit log */
  assert_int_equal(
      fx_int(t->f, "SELECT count(*) FROM audit WHERE detail IS NOT NULL AND length(detail) > 40"), 0);
  /* a pharmacist's view carries the rules' verdicts and no code */
  assert_int_equal(prescription_get(&t->cx, &FX_PH_A, id, 0, &v, &e), 0);
  assert_null(json_object_get(v, "access_code"));
  assert_int_equal(json_array_size(json_object_get(v, "verdicts")), 0);
  json_decref(v);
  assert_int_equal(
      fx_int(t->f, "SELECT count(*) FROM rx_notices WHERE account_id='pat_acct' AND kind='rx.ready'"), 1);
}

/* ---- every transition, legal and illegal ------------------------------------ */

enum act { A_SIGN, A_APPROVE, A_REJECT, A_CANCEL, A_EXPIRE };

static const char *state_of(struct rxfx *t, const char *id) {
  static char s[24];
  struct prescription_parties p;
  assert_int_equal(prescription_parties(&t->cx, id, &p), 0);
  snprintf(s, sizeof s, "%s", p.state);
  return s;
}

/* Run the expiry job 5 days on: 0 when it expired this prescription. */
static int expire(struct rxfx *t, const char *id) {
  int n = 0, was = strcmp(state_of(t, id), "expired") == 0;
  t->f->clock.now += 5 * FX_DAY;
  int rc = prescription_expire_due(&t->cx, &n);
  if (rc) return rc;
  return !was && strcmp(state_of(t, id), "expired") == 0 ? 0 : LY_ESTATE;
}

static int act(struct rxfx *t, const char *id, enum act a, struct ly_error *e) {
  switch (a) {
    case A_SIGN:
      return sign(t, id, NULL, e);
    case A_APPROVE:
      return approve(t, &FX_PH_A, id, e);
    case A_REJECT:
      return prescription_reject(&t->cx, &FX_PH_A, id, "剂量需调整", NULL, e);
    case A_CANCEL:
      return prescription_cancel(&t->cx, &FX_DOC_A, id, "患者改用其他药物", e);
    case A_EXPIRE:
      return expire(t, id);
  }
  return LY_EINVAL;
}

/* A prescription brought to `path` (a sequence of legal actions). */
static void bring(struct rxfx *t, char id[LY_ID_MAX], const enum act *path, size_t n) {
  struct ly_error e;
  t->f->clock.now = FX_NOW;
  create(t, id);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(act(t, id, path[i], &e), 0);
}

static void test_transitions(void **state) {
  struct rxfx *t = *state;
  static const enum act to_pending[] = {A_SIGN}, to_returned[] = {A_SIGN, A_REJECT},
                        to_ready[] = {A_SIGN, A_APPROVE}, to_cancelled[] = {A_CANCEL},
                        to_expired[] = {A_SIGN, A_APPROVE, A_EXPIRE};
  struct {
    const char *name;
    const enum act *path;
    size_t n;
    int want[5]; /* sign, approve, reject, cancel, expire: 0 legal, else the code */
    const char *after[5];
  } rows[] = {
      {"draft", NULL, 0, {0, LY_ESTATE, LY_ESTATE, 0, LY_ESTATE}, {"pending_review", 0, 0, "cancelled", 0}},
      {"pending_review",
       to_pending,
       1,
       {LY_ESTATE, 0, 0, 0, 0},
       {0, "ready", "returned", "cancelled", "expired"}},
      {"returned",
       to_returned,
       2,
       {0, LY_ESTATE, LY_ESTATE, 0, 0},
       {"pending_review", 0, 0, "cancelled", "expired"}},
      {"ready", to_ready, 2, {LY_ESTATE, LY_ESTATE, LY_ESTATE, 0, 0}, {0, 0, 0, "cancelled", "expired"}},
      {"cancelled", to_cancelled, 1, {LY_ESTATE, LY_ESTATE, LY_ESTATE, LY_ESTATE, LY_ESTATE}, {0}},
      {"expired", to_expired, 3, {LY_ESTATE, LY_ESTATE, LY_ESTATE, LY_ESTATE, LY_ESTATE}, {0}},
  };
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
    for (int a = A_SIGN; a <= A_EXPIRE; a++) {
      char id[LY_ID_MAX];
      struct ly_error e;
      bring(t, id, rows[r].path, rows[r].n);
      assert_string_equal(state_of(t, id), rows[r].name);
      int rc = act(t, id, (enum act)a, &e);
      if (rc != rows[r].want[a]) print_error("from %s action %d: got %d (%s)\n", rows[r].name, a, rc, e.code);
      assert_int_equal(rc, rows[r].want[a]);
      if (rc == LY_ESTATE && a != A_EXPIRE) assert_string_equal(e.code, "rx.illegal_transition");
      assert_string_equal(state_of(t, id), rc == 0 ? rows[r].after[a] : rows[r].name);
    }
}

static void test_idempotent_repeats(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  char id[LY_ID_MAX], id2[LY_ID_MAX];
  json_t *r1 = NULL, *r2 = NULL;
  create(t, id);
  create(t, id2);
  assert_int_equal(prescription_sign(&t->cx, &FX_DOC_A, id, "k-1", &r1, NULL, &e), 0);
  t->f->clock.now += 1000;
  assert_int_equal(prescription_sign(&t->cx, &FX_DOC_A, id, "k-1", &r2, NULL, &e), 0);
  assert_true(json_equal(r1, r2));
  json_decref(r2);
  /* without the key a second signing is an illegal transition */
  assert_int_equal(sign(t, id, NULL, &e), LY_ESTATE);
  /* the same key for another prescription is refused */
  assert_int_equal(prescription_sign(&t->cx, &FX_DOC_A, id2, "k-1", NULL, NULL, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "request.idempotency_key_reused");
  assert_int_equal(prescription_approve(&t->cx, &FX_PH_A, id, "a-1", &r2, NULL, &e), 0);
  json_t *r3 = NULL;
  assert_int_equal(prescription_approve(&t->cx, &FX_PH_A, id, "a-1", &r3, NULL, &e), 0);
  assert_true(json_equal(r2, r3));
  assert_string_equal(json_string_value(json_object_get(r3, "state")), "ready");
  assert_int_equal(fx_int(t->f, "SELECT count(*) FROM prescription_events WHERE action='approve'"), 1);
  json_decref(r1);
  json_decref(r2);
  json_decref(r3);
}

static void test_review_eligibility(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  struct rules_result v;
  char id[LY_ID_MAX];
  create(t, id);
  assert_int_equal(sign(t, id, NULL, &e), 0);
  assert_int_equal(prescription_approve(&t->cx, &FX_PH_YOUNG, id, NULL, NULL, &v, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.reviewer_experience");
  assert_int_equal(prescription_approve(&t->cx, &FX_DOC_A, id, NULL, NULL, &v, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.reviewer_is_prescriber");
  struct records_actor ph_h = {"ph_h", "pharmacist", "fac_h"};
  assert_int_equal(prescription_approve(&t->cx, &ph_h, id, NULL, NULL, &v, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.reviewer_wrong_facility");
  assert_int_equal(prescription_approve(&t->cx, &FX_DOC_B, id, NULL, NULL, &v, &e), LY_EFORBIDDEN);
  assert_int_equal(prescription_reject(&t->cx, &FX_PH_YOUNG, id, "x", &v, &e), LY_EDENIED);
  assert_string_equal(state_of(t, id), "pending_review");
  /* refusals are audited too */
  assert_true(fx_int(t->f, "SELECT count(*) FROM audit WHERE action='rx.approve' AND outcome LIKE 'rx.%'") >=
              3);
  assert_int_equal(approve(t, &FX_PH_CENTRE, id, &e), 0); /* the district review centre may */
}

static void test_reject_fix_resign(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  struct rules_result v;
  char id[LY_ID_MAX];
  create(t, id);
  assert_int_equal(sign(t, id, NULL, &e), 0);
  assert_int_equal(prescription_reject(&t->cx, &FX_PH_A, id, "", &v, &e), LY_EINVAL);
  assert_int_equal(prescription_reject(&t->cx, &FX_PH_A, id, "请改为慢性病处方并注明理由", &v, &e), 0);
  assert_int_equal(
      fx_int(t->f, "SELECT count(*) FROM rx_notices WHERE account_id='doc_a' AND kind='rx.returned'"), 1);
  struct prescription_item_in longer = {"amlodipine", 4, 28, 1000, "5 mg 口服 每日一次"};
  struct prescription_in in = draft_in();
  in.items = &longer;
  assert_int_equal(prescription_update(&t->cx, &FX_DOC_A, id, &in, &v, &e), 0);
  assert_int_equal(v.n, 1); /* 28 days on a normal prescription: shown, not saved as a refusal */
  assert_int_equal(sign(t, id, NULL, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.quantity_over_limit");
  in.kind = "chronic";
  in.chronic_reason = "高血压病情稳定，行动不便";
  assert_int_equal(prescription_update(&t->cx, &FX_DOC_A, id, &in, &v, &e), 0);
  assert_int_equal(v.n, 0);
  assert_int_equal(sign(t, id, NULL, &e), 0);
  assert_int_equal(approve(t, &FX_PH_A, id, &e), 0);
  assert_int_equal(fx_int(t->f, "SELECT revision FROM prescriptions"), 3);
  assert_int_equal(prescription_update(&t->cx, &FX_DOC_A, id, &in, &v, &e), LY_ESTATE);
}

static void test_expiry(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  char id[LY_ID_MAX], id3[LY_ID_MAX];
  int n = -1;
  create(t, id);
  struct prescription_in in = draft_in();
  in.validity_days = 3;
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id3, NULL, &e), 0);
  assert_int_equal(sign(t, id, NULL, &e), 0);
  assert_int_equal(sign(t, id3, NULL, &e), 0);
  assert_int_equal(approve(t, &FX_PH_A, id, &e), 0);
  assert_int_equal(approve(t, &FX_PH_A, id3, &e), 0);
  /* FX_NOW is 18:00 in Beijing: valid to 23:59:59.999 local, i.e. 15:59:59.999Z */
  int64_t end = FX_NOW + 6 * 3600000LL - 1;
  assert_int_equal(fx_int(t->f, "SELECT min(valid_until) FROM prescriptions"), end);
  t->f->clock.now = end;
  assert_int_equal(prescription_expire_due(&t->cx, &n), 0);
  assert_int_equal(n, 0);
  t->f->clock.now = end + 1;
  assert_int_equal(prescription_expire_due(&t->cx, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(state_of(t, id), "expired");
  assert_string_equal(state_of(t, id3), "ready");
  t->f->clock.now = end + 2 * FX_DAY + 1;
  assert_int_equal(prescription_expire_due(&t->cx, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(fx_int(t->f, "SELECT count(*) FROM rx_notices WHERE kind='rx.expired'"), 2);
}

static void test_bad_input(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  struct rules_result v;
  char id[LY_ID_MAX];
  struct prescription_in in = draft_in();
  struct prescription_item_in it = AMLO;
  in.items = &it;
  it.drug_id = "no_such_drug";
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.unknown_drug");
  it = AMLO;
  it.quantity = -1;
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.quantity_invalid");
  it = AMLO;
  it.days = 100000;
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.quantity_absurd");
  static char longdose[400];
  memset(longdose, 'x', sizeof longdose - 1);
  it = AMLO;
  it.dose = longdose;
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e), LY_EDENIED);
  assert_string_equal(e.code, "rx.dose_text_invalid");
  it = AMLO;
  in.consultation_id = "con_b"; /* another doctor's consultation */
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e), LY_EFORBIDDEN);
  assert_string_equal(e.code, "rx.consultation_mismatch");
  in.consultation_id = "con_1";
  in.patient_id = "pat_2"; /* a patient not of this consultation */
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e), LY_EFORBIDDEN);
  in.patient_id = "pat_1";
  in.kind = "forever";
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e), LY_EINVAL);
  in.kind = "normal";
  assert_int_equal(prescription_create(&t->cx, &FX_PH_A, &in, id, &v, &e), LY_EFORBIDDEN);
  assert_int_equal(fx_int(t->f, "SELECT count(*) FROM prescriptions"), 0);
  /* a draft with rule violations is saved, but cannot be signed; all come back at once */
  struct prescription_item_in morphine = {"morphine", 1, 8, 1000, "10 mg 口服 必要时"};
  in.items = &morphine;
  assert_int_equal(prescription_create(&t->cx, &FX_DOC_A, &in, id, &v, &e), 0);
  assert_true(rules_result_has(&v, "rx.controlled_online_forbidden"));
  assert_true(rules_result_has(&v, "rx.quantity_over_limit"));
  assert_int_equal(sign(t, id, NULL, &e), LY_EDENIED);
  assert_string_equal(state_of(t, id), "draft");
  /* another doctor signing: only the prescriber signs */
  assert_int_equal(prescription_sign(&t->cx, &FX_DOC_B, id, NULL, NULL, &v, &e), LY_EDENIED);
  assert_true(rules_result_has(&v, "rx.signer_not_prescriber"));
}

static void test_check_and_children(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  struct rules_result v;
  struct prescription_item_in amox = {"amoxicillin", 1, 3, 3000, "250 mg 口服 每日三次"};
  struct prescription_in in = {"pat_kid", "con_kid", "J06", "acute", NULL, NULL, 0, 1, NULL, NULL, &amox, 1};
  assert_int_equal(prescription_check(&t->cx, &FX_DOC_A, &in, &v, &e), 0);
  assert_int_equal(v.n, 1);
  assert_true(rules_result_has(&v, "rx.child_guardian_required"));
  in.guardian_name = "母亲 王芳";
  assert_int_equal(prescription_check(&t->cx, &FX_DOC_A, &in, &v, &e), 0);
  assert_int_equal(v.n, 0);
  /* the consultation's recorded guardian counts too */
  in.guardian_name = NULL;
  fx_sql(t->f, "UPDATE consultations SET guardian_name = '父亲' WHERE id = 'con_kid'");
  assert_int_equal(prescription_check(&t->cx, &FX_DOC_A, &in, &v, &e), 0);
  assert_int_equal(v.n, 0);
  /* a first visit: no offline diagnosis of E11 */
  struct prescription_in dm = draft_in();
  dm.icd10 = "E11.9";
  assert_int_equal(prescription_check(&t->cx, &FX_DOC_A, &dm, &v, &e), 0);
  assert_true(rules_result_has(&v, "consult.first_visit_offline_only"));
  /* a young doctor may not prescribe online (checking without a consultation) */
  dm.consultation_id = NULL;
  assert_int_equal(prescription_check(&t->cx, &FX_DOC_YOUNG, &dm, &v, &e), 0);
  assert_true(rules_result_has(&v, "rx.prescriber_experience"));
  assert_int_equal(fx_int(t->f, "SELECT count(*) FROM prescriptions"), 0);
}

static void test_tamper(void **state) {
  struct rxfx *t = *state;
  struct ly_error e;
  char id[LY_ID_MAX], got[LY_ID_MAX];
  create(t, id);
  assert_int_equal(sign(t, id, NULL, &e), 0);
  json_t *env = NULL;
  assert_int_equal(prescription_signed(&t->cx, &FX_PATIENT, id, &env, &e), 0);
  char *text = json_dumps(env, JSON_COMPACT);
  size_t n = strlen(text);
  uint8_t pub[LY_ED25519_PUB_LEN];
  assert_int_equal(signature_doctor_pub(&t->cx.rec, "doc_a", pub, &e), 0);
  assert_int_equal(prescription_verify_file(text, n, pub, got, &e), 0);
  assert_string_equal(got, id);
  /* one byte changed anywhere: refused */
  size_t accepted = 0;
  for (size_t i = 0; i < n; i++) {
    char keep = text[i];
    text[i] = keep == '1' ? '2' : '1';
    if (prescription_verify_file(text, n, pub, got, &e) == 0) accepted++;
    text[i] = keep;
  }
  assert_int_equal(accepted, 0);
  /* the CLI wrapper: exit 0 valid, 1 invalid (also under another key), 2 unreadable */
  char path[160], b64[64];
  snprintf(path, sizeof path, "%s/rx.json", t->f->dir);
  FILE *fp = fopen(path, "w");
  fputs(text, fp);
  fclose(fp);
  FILE *out = tmpfile(), *err = tmpfile();
  ly_b64url_encode(pub, sizeof pub, b64, sizeof b64);
  assert_int_equal(prescription_verify_main(path, NULL, out, err), 0);
  assert_int_equal(prescription_verify_main(path, b64, out, err), 0);
  assert_int_equal(prescription_verify_main(path, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", out, err),
                   1);
  assert_int_equal(prescription_verify_main(path, "short", out, err), 2);
  text[n / 2] = text[n / 2] == '1' ? '2' : '1';
  fp = fopen(path, "w");
  fputs(text, fp);
  fclose(fp);
  assert_int_equal(prescription_verify_main(path, b64, out, err), 1);
  assert_int_equal(prescription_verify_main("/nonexistent/rx.json", NULL, out, err), 2);
  fclose(out);
  fclose(err);
  unlink(path);
  free(text);
  json_decref(env);
  /* the stored document altered in the database: review refuses */
  fx_sql(t->f, "UPDATE prescriptions SET document = replace(document, '\"quantity\":1', '\"quantity\":9')");
  assert_int_equal(approve(t, &FX_PH_A, id, &e), LY_ECONFLICT);
  assert_string_equal(e.code, "rx.signature_invalid");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_whole_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_transitions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idempotent_repeats, setup, teardown),
      cmocka_unit_test_setup_teardown(test_review_eligibility, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reject_fix_resign, setup, teardown),
      cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_and_children, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
