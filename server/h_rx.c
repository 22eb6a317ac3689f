/* server/h_rx.c — REST handlers of prescriptions: formulary, rules, check,
 * drafts, signing, review, cancellation and the signed document. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "rx/formulary.h"
#include "rx/prescription.h"
#include "server/auth.h"
#include "server/h_rx.h"
#include "server/server.h"

/* ---- formulary and rules ------------------------------------------------------ */

int h_formulary_search(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct ly_error e;
  char q[FORMULARY_QUERY_MAX * 3 + 1] = "", limit[8] = "";
  json_t *arr = NULL;
  ly_req_query(req, "q", q, sizeof q);
  ly_req_query(req, "limit", limit, sizeof limit);
  hrx_ctx(req, &cx);
  if (formulary_search(&cx, q, limit[0] ? atoi(limit) : 20, &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "drugs", arr));
}

int h_formulary_get(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct ly_error e;
  json_t *d = NULL;
  hrx_ctx(req, &cx);
  if (formulary_get(&cx, req->params[0], &d, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "drug", d));
}

int h_rx_rules(struct ly_req *req, struct ly_resp *resp) {
  size_t n;
  const struct rules_rule *t = rules_table(&n);
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++) {
    json_t *stages = json_array();
    if (t[i].stage & RULES_STAGE_INPUT) json_array_append_new(stages, json_string("input"));
    if (t[i].stage & RULES_STAGE_DRAFT) json_array_append_new(stages, json_string("sign"));
    if (t[i].stage & RULES_STAGE_REVIEW) json_array_append_new(stages, json_string("review"));
    json_array_append_new(arr, json_pack("{s:s, s:o, s:s, s:s, s:s}", "code", t[i].code, "stages", stages,
                                         "source", t[i].source, "message", t[i].en, "message_zh", t[i].zh));
  }
  return ly_resp_json(resp, 200, json_pack("{s:o}", "rules", arr));
}

/* ---- the body of a prescription ---------------------------------------------------- */

struct hx_body {
  struct prescription_in in;
  struct prescription_item_in items[RX_MAX_ITEMS + 1];
};

static int hx_field_error(struct ly_req *req, struct ly_resp *resp, struct ly_error *e, size_t i) {
  char key[32];
  snprintf(key, sizeof key, "%.20s", e->field);
  snprintf(e->field, sizeof e->field, "items[%zu].%s", i, key);
  return hrx_error(req, resp, e, NULL), 1;
}

/* Quantities are taken wide so the rules, not the parser, name absurd ones. */
static int hx_item(struct ly_req *req, struct ly_resp *resp, json_t *o, size_t i,
                   struct prescription_item_in *it) {
  struct ly_error e;
  double daily = 0;
  ly_error_clear(&e);
  memset(it, 0, sizeof *it);
  if (ly_json_get_str(o, "drug_id", 64, 1, &it->drug_id, &e) ||
      ly_json_get_int(o, "quantity", -1000000000, 1000000000, 1, &it->quantity, &e) ||
      ly_json_get_int(o, "days", -1000000000, 1000000000, 1, &it->days, &e))
    return hx_field_error(req, resp, &e, i);
  /* an empty dose is the rule's to name (rx.dose_text_invalid), not the parser's */
  json_t *dose = json_object_get(o, "dose");
  if (json_is_string(dose) && json_string_length(dose) == 0)
    it->dose = "";
  else if (ly_json_get_str(o, "dose", 4 * RX_DOSE_MAX, 0, &it->dose, &e))
    return hx_field_error(req, resp, &e, i);
  json_t *d = json_object_get(o, "daily_units");
  if (!json_is_number(d) || !isfinite(daily = json_number_value(d)) || fabs(daily) > 1e9) {
    ly_error_set(&e, LY_EINVAL, "request.invalid_field", "daily_units must be a number",
                 "每日用量须为数字。");
    snprintf(e.field, sizeof e.field, "daily_units");
    return hx_field_error(req, resp, &e, i);
  }
  it->daily_milli = llround(daily * 1000.0);
  return 0;
}

static int hx_parse(struct ly_req *req, struct ly_resp *resp, struct hx_body *b, int need_patient) {
  struct prescription_in *in = &b->in;
  struct ly_error e;
  int64_t validity = 0;
  json_t *items = NULL;
  memset(b, 0, sizeof *b);
  ly_error_clear(&e);
  if (hrx_str(req, resp, "patient_id", 64, need_patient, &in->patient_id) ||
      hrx_str(req, resp, "consultation_id", 64, 0, &in->consultation_id) ||
      hrx_str(req, resp, "icd10", 16, 1, &in->icd10) || hrx_str(req, resp, "kind", 16, 1, &in->kind) ||
      hrx_str(req, resp, "chronic_reason", 4 * RX_TEXT_MAX, 0, &in->chronic_reason) ||
      hrx_str(req, resp, "assessment", 4 * RX_ASSESSMENT_MAX, 0, &in->assessment) ||
      hrx_str(req, resp, "guardian_name", 256, 0, &in->guardian_name) ||
      hrx_str(req, resp, "note", 4 * RX_NOTE_MAX, 0, &in->note))
    return 1;
  if (ly_json_get_bool(req->json, "patient_consent", 0, &in->patient_consent, &e) ||
      ly_json_get_int(req->json, "validity_days", -1000, 1000, 0, &validity, &e) ||
      ly_json_get_array(req->json, "items", 50, 1, &items, &e))
    return hrx_error(req, resp, &e, NULL), 1;
  in->validity_days = validity == 0 ? 1 : (int)validity;
  in->nitems =
      json_array_size(items); /* more than RX_MAX_ITEMS: refused by the domain before items are read */
  in->items = b->items;
  for (size_t i = 0; i < in->nitems && i <= RX_MAX_ITEMS; i++)
    if (hx_item(req, resp, json_array_get(items, i), i, &b->items[i])) return 1;
  return 0;
}

/* ---- object-level access ------------------------------------------------------------- */

/* May the caller see (write = 0) or act on (write = 1) this prescription?
 * Patients: their own; doctors: the prescriber, or linked to the patient;
 * pharmacists: of their facility or any (review centre), not after the fact
 * for writes the domain refuses; supervisors: read. 1 with the response filled. */
static int hx_access(struct ly_req *req, struct ly_resp *resp, struct rx_ctx *cx, int write,
                     struct prescription_parties *pp) {
  const struct ly_account *a = req->acct;
  int rc = prescription_parties(cx, req->params[0], pp), ok = 0;
  if (rc && rc != LY_ENOTFOUND) return ly_resp_fail(req, resp, rc, NULL, NULL), 1;
  if (rc == 0) {
    if (a->role == LY_ROLE_PATIENT) ok = strcmp(a->patient_id, pp->patient_id) == 0;
    if (a->role == LY_ROLE_PHARMACIST)
      ok = !a->facility_id[0] || strcmp(a->facility_id, pp->facility_id) == 0;
    if (a->role == LY_ROLE_SUPERVISOR) ok = !write;
    if (a->role == LY_ROLE_DOCTOR && strcmp(a->id, pp->doctor_id) == 0) ok = 1;
    if (a->role == LY_ROLE_DOCTOR && !ok) return hrx_patient(req, resp, pp->patient_id, write);
  }
  if (ok) return 0;
  /* not found and not yours look the same: a prescription id says nothing */
  ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "rx.not_found", "No such prescription.", "未找到该处方。");
  return 1;
}

static int hx_view(struct ly_req *req, struct ly_resp *resp, struct rx_ctx *cx, const char *id, int status,
                   json_t *extra) {
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *v = NULL;
  if (prescription_get(cx, &who, id, req->acct->role == LY_ROLE_PATIENT, &v, &e)) {
    json_decref(extra);
    return hrx_error(req, resp, &e, NULL);
  }
  json_t *body = json_pack("{s:o}", "prescription", v);
  if (body && extra) json_object_update(body, extra);
  json_decref(extra);
  return ly_resp_json(resp, status, body);
}

/* ---- drafts ------------------------------------------------------------------------------ */

int h_rx_check(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct hx_body *b = malloc(sizeof *b);
  struct rules_result *v = calloc(1, sizeof *v); /* n = 0 until a rule check fills it */
  int done = !b || !v;
  if (done) ly_resp_fail(req, resp, LY_ENOMEM, NULL, NULL);
  if (!done) done = hx_parse(req, resp, b, 1) || hrx_patient(req, resp, b->in.patient_id, 0);
  if (!done) {
    hrx_ctx(req, &cx);
    if (prescription_check(&cx, &who, &b->in, v, &e))
      hrx_error(req, resp, &e, v);
    else
      ly_resp_json(resp, 200,
                   json_pack("{s:b, s:o}", "ok", v->n == 0, "violations", prescription_violations_json(v)));
  }
  free(b);
  free(v);
  return 0;
}

int h_rx_create(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char id[LY_ID_MAX];
  struct hx_body *b = malloc(sizeof *b);
  struct rules_result *v = calloc(1, sizeof *v); /* n = 0 until a rule check fills it */
  int done = !b || !v;
  if (done) ly_resp_fail(req, resp, LY_ENOMEM, NULL, NULL);
  if (!done) done = hx_parse(req, resp, b, 1) || hrx_patient(req, resp, b->in.patient_id, 1);
  if (!done) {
    hrx_ctx(req, &cx);
    if (prescription_create(&cx, &who, &b->in, id, v, &e))
      hrx_error(req, resp, &e, v);
    else
      hx_view(req, resp, &cx, id, 201, json_pack("{s:o}", "violations", prescription_violations_json(v)));
  }
  free(b);
  free(v);
  return 0;
}

int h_rx_update(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct prescription_parties pp;
  struct hx_body *b = malloc(sizeof *b);
  struct rules_result *v = calloc(1, sizeof *v); /* n = 0 until a rule check fills it */
  hrx_ctx(req, &cx);
  int done = !b || !v;
  if (done) ly_resp_fail(req, resp, LY_ENOMEM, NULL, NULL);
  if (!done) done = hx_access(req, resp, &cx, 1, &pp) || hx_parse(req, resp, b, 0);
  if (!done) {
    if (prescription_update(&cx, &who, req->params[0], &b->in, v, &e))
      hrx_error(req, resp, &e, v);
    else
      hx_view(req, resp, &cx, req->params[0], 200,
              json_pack("{s:o}", "violations", prescription_violations_json(v)));
  }
  free(b);
  free(v);
  return 0;
}

int h_rx_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char patient[LY_ID_MAX] = "", state[24] = "", limit[8] = "";
  struct prescription_filter f = {NULL, NULL, NULL, 50};
  json_t *arr = NULL;
  ly_req_query(req, "patient", patient, sizeof patient);
  ly_req_query(req, "state", state, sizeof state);
  ly_req_query(req, "limit", limit, sizeof limit);
  if (limit[0]) f.limit = atoi(limit);
  if (state[0]) f.state = state;
  if (patient[0]) f.patient_id = patient;
  if (req->acct->role == LY_ROLE_PATIENT) f.patient_id = req->acct->patient_id;
  if (req->acct->role == LY_ROLE_DOCTOR && !patient[0]) f.doctor_id = req->acct->id;
  if (f.patient_id && req->acct->role != LY_ROLE_PATIENT && hrx_patient(req, resp, f.patient_id, 0)) return 0;
  hrx_ctx(req, &cx);
  if (prescription_list(&cx, &who, &f, &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "prescriptions", arr));
}

int h_rx_get(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct prescription_parties pp;
  hrx_ctx(req, &cx);
  if (hx_access(req, resp, &cx, 0, &pp)) return 0;
  return hx_view(req, resp, &cx, req->params[0], 200, NULL);
}

int h_rx_signed(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct prescription_parties pp;
  json_t *env = NULL;
  hrx_ctx(req, &cx);
  if (hx_access(req, resp, &cx, 0, &pp)) return 0;
  if (prescription_signed(&cx, &who, req->params[0], &env, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, env);
}

/* ---- transitions ------------------------------------------------------------------------------ */

typedef int (*hx_keyed_fn)(struct rx_ctx *cx, const struct records_actor *who, const char *id,
                           const char *key, json_t **result, struct rules_result *viol, struct ly_error *e);

/* sign / approve: idempotent with the Idempotency-Key header; the body is the first result. */
static int hx_keyed(struct ly_req *req, struct ly_resp *resp, hx_keyed_fn fn) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct prescription_parties pp;
  struct rules_result *v = calloc(1, sizeof *v); /* n = 0 until a rule check fills it */
  json_t *result = NULL;
  hrx_ctx(req, &cx);
  if (!v) return ly_resp_fail(req, resp, LY_ENOMEM, NULL, NULL);
  if (!hx_access(req, resp, &cx, 1, &pp)) {
    if (fn(&cx, &who, req->params[0], req->idempotency_key, &result, v, &e))
      hrx_error(req, resp, &e, v);
    else
      ly_resp_json(resp, 200, result);
  }
  free(v);
  return 0;
}

int h_rx_sign(struct ly_req *req, struct ly_resp *resp) {
  return hx_keyed(req, resp, prescription_sign);
}
int h_rx_approve(struct ly_req *req, struct ly_resp *resp) {
  return hx_keyed(req, resp, prescription_approve);
}

int h_rx_reject(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct prescription_parties pp;
  struct rules_result *v = calloc(1, sizeof *v); /* n = 0 until a rule check fills it */
  const char *reason = NULL;
  hrx_ctx(req, &cx);
  if (!v) return ly_resp_fail(req, resp, LY_ENOMEM, NULL, NULL);
  if (!hx_access(req, resp, &cx, 1, &pp) && !hrx_str(req, resp, "reason", 4 * RX_NOTE_MAX, 1, &reason)) {
    if (prescription_reject(&cx, &who, req->params[0], reason, v, &e))
      hrx_error(req, resp, &e, v);
    else
      hx_view(req, resp, &cx, req->params[0], 200, NULL);
  }
  free(v);
  return 0;
}

int h_rx_cancel(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct prescription_parties pp;
  const char *reason = NULL;
  hrx_ctx(req, &cx);
  if (hx_access(req, resp, &cx, 1, &pp) || hrx_str(req, resp, "reason", 4 * RX_NOTE_MAX, 1, &reason))
    return 0;
  if (prescription_cancel(&cx, &who, req->params[0], reason, &e)) return hrx_error(req, resp, &e, NULL);
  return hx_view(req, resp, &cx, req->params[0], 200, NULL);
}
