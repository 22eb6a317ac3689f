/* server/h_records_more.c — REST handlers of the ICD-10 condition search,
 * lab/exam orders, vitals, care plans and care alerts. The domain functions audit every access. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "records/careplan.h"
#include "records/condition.h"
#include "records/document.h"
#include "records/lab.h"
#include "records/vitals.h"
#include "server/auth.h"
#include "server/h_rx.h"
#include "server/notices.h"
#include "server/server.h"

/* A number field of obj: 1 when present (finite), 0 when absent/null, -1 when not a number. */
static int hm_num(const json_t *obj, const char *key, double *out) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_number(v) || !isfinite(json_number_value(v))) return -1;
  *out = json_number_value(v);
  return 1;
}

static int hm_bad_number(struct ly_req *req, struct ly_resp *resp, const char *key) {
  struct ly_error e;
  ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "field '%s' must be a number", key);
  snprintf(e.field, sizeof e.field, "%s", key);
  snprintf(e.message_zh, sizeof e.message_zh, "字段 %s 须为数字。", key);
  return ly_resp_error(req, resp, &e);
}

/* ---- ICD-10 conditions (the diagnosis picker) ----------------------------------- */

int h_conditions_search(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct ly_error e;
  char q[CONDITION_QUERY_MAX * 3 + 1] = "", limit[8] = "";
  json_t *arr = NULL;
  ly_req_query(req, "q", q, sizeof q);
  ly_req_query(req, "limit", limit, sizeof limit);
  hrx_ctx(req, &cx);
  if (condition_search(&cx.rec, q, limit[0] ? atoi(limit) : 20, &arr, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "conditions", arr));
}

/* ---- lab and exam orders -------------------------------------------------------- */

/* May the caller act on this order? The performing facility's doctors may
 * without a link to the patient; everyone else goes through authz_patient.
 * 1 with the response filled when not. */
static int hm_lab_access(struct ly_req *req, struct ly_resp *resp, struct rx_ctx *cx, int write) {
  char patient[LY_ID_MAX], facility[LY_ID_MAX];
  int rc = lab_parties(&cx->rec, req->params[0], patient, NULL, facility);
  if (rc == LY_ENOTFOUND)
    return ly_resp_fail_i18n(req, resp, rc, "records.lab_order_not_found", "No such lab or exam order.",
                             "未找到该检验检查单。"),
           1;
  if (rc) return ly_resp_fail(req, resp, rc, NULL, NULL), 1;
  if (req->acct->role == LY_ROLE_DOCTOR && req->acct->facility_id[0] &&
      strcmp(req->acct->facility_id, facility) == 0)
    return 0;
  return hrx_patient(req, resp, patient, write);
}

int h_labs_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *arr = NULL;
  if (hrx_patient(req, resp, req->params[0], 0)) return 0;
  hrx_ctx(req, &cx);
  if (lab_list(&cx.rec, &who, req->params[0], &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "orders", arr));
}

int h_labs_order(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct lab_order_new in = {req->params[0], NULL, NULL, NULL, NULL, NULL, NULL};
  char id[LY_ID_MAX];
  json_t *o = NULL;
  if (hrx_patient(req, resp, req->params[0], 1) ||
      hrx_str(req, resp, "consultation_id", 64, 0, &in.consultation_id) ||
      hrx_str(req, resp, "facility_id", 64, 1, &in.facility_id) ||
      hrx_str(req, resp, "kind", 8, 1, &in.kind) || hrx_str(req, resp, "code", 64, 1, &in.code) ||
      hrx_str(req, resp, "name", 200, 1, &in.name) ||
      hrx_str(req, resp, "clinical_note", 2000, 0, &in.clinical_note))
    return 0;
  hrx_ctx(req, &cx);
  if (lab_order(&cx.rec, &who, &in, id, &e) || lab_get(&cx.rec, &who, id, &o, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 201, json_pack("{s:o}", "order", o));
}

static int hm_lab_reply(struct ly_req *req, struct ly_resp *resp, struct rx_ctx *cx) {
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *o = NULL;
  if (lab_get(&cx->rec, &who, req->params[0], &o, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "order", o));
}

int h_labs_get(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  hrx_ctx(req, &cx);
  if (hm_lab_access(req, resp, &cx, 0)) return 0;
  return hm_lab_reply(req, resp, &cx);
}

int h_labs_schedule(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  int64_t when = 0;
  hrx_ctx(req, &cx);
  if (hm_lab_access(req, resp, &cx, 1)) return 0;
  ly_error_clear(&e);
  if (ly_json_get_int(req->json, "scheduled_for", 0, INT64_MAX / 2, 1, &when, &e) ||
      lab_schedule(&cx.rec, &who, req->params[0], when, &e))
    return hrx_error(req, resp, &e, NULL);
  return hm_lab_reply(req, resp, &cx);
}

int h_labs_cancel(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  const char *reason = NULL;
  hrx_ctx(req, &cx);
  if (hm_lab_access(req, resp, &cx, 1) || hrx_str(req, resp, "reason", 1000, 1, &reason)) return 0;
  if (lab_cancel(&cx.rec, &who, req->params[0], reason, &e)) return hrx_error(req, resp, &e, NULL);
  return hm_lab_reply(req, resp, &cx);
}

/* results[i] of the body into rows[i]; 1 with the response filled. */
static int hm_lab_rows(struct ly_req *req, struct ly_resp *resp, json_t *arr, struct lab_result_in *rows) {
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *r = json_array_get(arr, i);
    struct lab_result_in *x = &rows[i];
    memset(x, 0, sizeof *x);
    x->analyte = json_string_value(json_object_get(r, "analyte"));
    x->value = json_string_value(json_object_get(r, "value"));
    x->unit = json_string_value(json_object_get(r, "unit"));
    x->ref_text = json_string_value(json_object_get(r, "ref_text"));
    int a = hm_num(r, "value_num", &x->num), b = hm_num(r, "ref_low", &x->low),
        c = hm_num(r, "ref_high", &x->high);
    if (a < 0 || b < 0 || c < 0) return hm_bad_number(req, resp, "results"), 1;
    x->has_num = a, x->has_low = b, x->has_high = c;
  }
  return 0;
}

int h_labs_result(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct lab_result_in rows[LAB_MAX_RESULTS];
  struct lab_report rep = {NULL, rows, 0, NULL, NULL, 0};
  json_t *arr = NULL;
  void *doc = NULL;
  hrx_ctx(req, &cx);
  ly_error_clear(&e);
  if (hm_lab_access(req, resp, &cx, 1) || hrx_str(req, resp, "summary", 4000, 0, &rep.summary)) return 0;
  if (ly_json_get_array(req->json, "results", LAB_MAX_RESULTS, 0, &arr, &e))
    return hrx_error(req, resp, &e, NULL);
  if (arr && hm_lab_rows(req, resp, arr, rows)) return 0;
  rep.nrows = arr ? json_array_size(arr) : 0;
  if (json_object_get(req->json, "report")) {
    if (hrx_str(req, resp, "report_content_type", 32, 1, &rep.content_type) ||
        hrx_b64(req, resp, "report", DOCUMENT_MAX, &doc, &rep.doc_len))
      return 0;
    rep.doc = doc;
  }
  int rc = lab_result(&cx.rec, &who, req->params[0], &rep, &e);
  free(doc);
  if (rc) return hrx_error(req, resp, &e, NULL);
  rc = hm_lab_reply(req, resp, &cx);
  if (resp->status == 200) notices_lab_resulted(req->srv, resp->json);
  return rc;
}

/* ---- vitals ------------------------------------------------------------------------ */

int h_vitals_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char kind[16] = "", since[24] = "";
  json_t *arr = NULL;
  if (hrx_patient(req, resp, req->params[0], 0)) return 0;
  ly_req_query(req, "kind", kind, sizeof kind);
  ly_req_query(req, "since", since, sizeof since);
  hrx_ctx(req, &cx);
  if (vitals_list(&cx.rec, &who, req->params[0], kind[0] ? kind : NULL,
                  since[0] ? strtoll(since, NULL, 10) : 0, &arr, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "vitals", arr));
}

int h_vitals_add(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct vitals_new in;
  char id[LY_ID_MAX];
  int alerts = 0;
  memset(&in, 0, sizeof in);
  in.patient_id = req->params[0];
  hrx_ctx(req, &cx);
  in.measured_at = ly_now_ms(req->srv->clock);
  ly_error_clear(&e);
  if (hrx_patient(req, resp, req->params[0], 1) || hrx_str(req, resp, "kind", 16, 1, &in.kind) ||
      hrx_str(req, resp, "note", 500, 0, &in.note))
    return 0;
  if (hm_num(req->json, "value1", &in.value1) != 1) return hm_bad_number(req, resp, "value1");
  in.has_value2 = hm_num(req->json, "value2", &in.value2);
  if (in.has_value2 < 0) return hm_bad_number(req, resp, "value2");
  if (ly_json_get_int(req->json, "measured_at", 0, INT64_MAX / 2, 0, &in.measured_at, &e) ||
      vitals_add(&cx.rec, &who, &in, id, &alerts, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 201, json_pack("{s:s, s:i}", "id", id, "alerts", alerts));
}

/* ---- care plans and alerts ------------------------------------------------------------ */

int h_careplans_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *arr = NULL;
  if (hrx_patient(req, resp, req->params[0], 0)) return 0;
  hrx_ctx(req, &cx);
  if (careplan_list(&cx.rec, &who, req->params[0], &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "care_plans", arr));
}

static int hm_targets(struct ly_req *req, struct ly_resp *resp, json_t *arr, struct careplan_target *t) {
  static const char *const keys[] = {"low1", "high1", "low2", "high2"};
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *o = json_array_get(arr, i);
    double *v[] = {&t[i].low1, &t[i].high1, &t[i].low2, &t[i].high2};
    int *has[] = {&t[i].has_low1, &t[i].has_high1, &t[i].has_low2, &t[i].has_high2};
    memset(&t[i], 0, sizeof t[i]);
    t[i].kind = json_string_value(json_object_get(o, "kind"));
    for (int k = 0; k < 4; k++) {
      *has[k] = hm_num(o, keys[k], v[k]);
      if (*has[k] < 0) return hm_bad_number(req, resp, "targets"), 1;
    }
  }
  return 0;
}

int h_careplans_create(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct careplan_target targets[CAREPLAN_MAX_TARGETS];
  struct careplan_new in = {req->params[0], NULL, 0, NULL, targets, 0};
  int64_t days = 0;
  char id[LY_ID_MAX];
  json_t *arr = NULL;
  ly_error_clear(&e);
  if (hrx_patient(req, resp, req->params[0], 1) || hrx_str(req, resp, "icd10", 16, 1, &in.icd10) ||
      hrx_str(req, resp, "note", 1000, 0, &in.note))
    return 0;
  if (ly_json_get_int(req->json, "follow_up_days", 0, 100000, 1, &days, &e) ||
      ly_json_get_array(req->json, "targets", CAREPLAN_MAX_TARGETS, 0, &arr, &e))
    return hrx_error(req, resp, &e, NULL);
  if (arr && hm_targets(req, resp, arr, targets)) return 0;
  in.follow_up_days = (int)days;
  in.ntargets = arr ? json_array_size(arr) : 0;
  hrx_ctx(req, &cx);
  if (careplan_create(&cx.rec, &who, &in, id, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 201, json_pack("{s:s}", "id", id));
}

int h_careplans_followup(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  hrx_ctx(req, &cx);
  if (careplan_followup(&cx.rec, &who, req->params[0], &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:s}", "id", req->params[0]));
}

int h_careplans_close(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  hrx_ctx(req, &cx);
  if (careplan_close(&cx.rec, &who, req->params[0], &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:s, s:b}", "id", req->params[0], "active", 0));
}

int h_care_alerts_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char open[4] = "";
  json_t *arr = NULL;
  ly_req_query(req, "open", open, sizeof open);
  hrx_ctx(req, &cx);
  if (careplan_alerts(&cx.rec, &who, strcmp(open, "1") == 0, &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "alerts", arr));
}

int h_care_alerts_ack(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  hrx_ctx(req, &cx);
  if (careplan_ack(&cx.rec, &who, req->params[0], &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:s, s:b}", "id", req->params[0], "acknowledged", 1));
}
