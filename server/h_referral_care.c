/* server/h_referral_care.c — REST for family-doctor contracts, department
 * slots and remote consultations (h_referral.h). Rules in referral/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "referral/contract.h"
#include "referral/remote.h"
#include "referral/slot.h"
#include "server/h_referral.h"
#include "server/server.h"

#define QUERY_MAX 64
#define DAY_MS    86400000LL

/* ---- family doctors ------------------------------------------------------- */

int h_family_doctor_get(struct ly_req *req, struct ly_resp *resp) {
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *o = NULL;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (contract_get_json(&cx, &who, who.patient_id, &o, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, o);
}

int h_family_doctor_put(struct ly_req *req, struct ly_resp *resp) {
  const char *doctor = NULL;
  char id[LY_ID_MAX];
  int switched = 0;
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  ly_error_clear(&e);
  if (h_ref_body(req, resp, 0)) return 0;
  if (ly_json_get_str(req->json, "doctor_id", LY_ID_MAX - 1, 1, &doctor, &e))
    return ly_resp_error(req, resp, &e);
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (contract_sign(&cx, &who, doctor, id, &switched, &e)) return ly_resp_error(req, resp, &e);
  json_t *o = NULL;
  if (contract_get_json(&cx, &who, who.patient_id, &o, &e)) return ly_resp_error(req, resp, &e);
  json_object_set_new(o, "switched", json_boolean(switched));
  return ly_resp_json(resp, 200, o);
}

int h_family_doctor_delete(struct ly_req *req, struct ly_resp *resp) {
  const char *reason = NULL;
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  ly_error_clear(&e);
  if (h_ref_body(req, resp, 1)) return 0;
  if (req->json && ly_json_get_str(req->json, "reason", CONTRACT_REASON_MAX, 0, &reason, &e))
    return ly_resp_error(req, resp, &e);
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (contract_end(&cx, &who, NULL, reason, &e)) return ly_resp_error(req, resp, &e);
  resp->status = 204;
  return 0;
}

int h_family_doctors_list(struct ly_req *req, struct ly_resp *resp) {
  char sub[QUERY_MAX];
  const char *subdistrict = NULL;
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *items = NULL;
  if (h_ref_query(req, resp, "subdistrict_id", sub, sizeof sub, &subdistrict)) return 0;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (contract_gps_json(&cx, &who, subdistrict, &items, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

int h_contracts_list(struct ly_req *req, struct ly_resp *resp) {
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *items = NULL;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (contract_patients_json(&cx, &who, &items, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

int h_contracts_end(struct ly_req *req, struct ly_resp *resp) {
  const char *reason = NULL;
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  ly_error_clear(&e);
  if (h_ref_body(req, resp, 1)) return 0;
  if (req->json && ly_json_get_str(req->json, "reason", CONTRACT_REASON_MAX, 0, &reason, &e))
    return ly_resp_error(req, resp, &e);
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (contract_end(&cx, &who, req->params[0], reason, &e)) return ly_resp_error(req, resp, &e);
  resp->status = 204;
  return 0;
}

/* ---- slots ------------------------------------------------------------------ */

static int query_ms(struct ly_req *req, struct ly_resp *resp, const char *key, int64_t def, int64_t *out) {
  char buf[32];
  const char *v;
  if (h_ref_query(req, resp, key, buf, sizeof buf, &v)) return -1;
  *out = def;
  if (!v) return 0;
  if (ly_time_parse_any(v, out) == 0) return 0;
  ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field",
                    "Times are UTC milliseconds or YYYY-MM-DD.", "时间须为 UTC 毫秒数或 YYYY-MM-DD。");
  return -1;
}

int h_slots_list(struct ly_req *req, struct ly_resp *resp) {
  int64_t now = ly_now_ms(req->srv->clock), from, to;
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *o = NULL;
  if (query_ms(req, resp, "from", now, &from) || query_ms(req, resp, "to", from + 14 * DAY_MS, &to)) return 0;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (slot_list_json(&cx, &who, req->params[0], from, to, &o, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, o);
}

int h_slots_publish(struct ly_req *req, struct ly_resp *resp) {
  struct slot_publish p = {.department_id = req->params[0], .reserved_bp = -1};
  int64_t starts = 0, minutes = 0, count = 0, pct = -1;
  int published = 0, reserved = 0;
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  ly_error_clear(&e);
  if (h_ref_body(req, resp, 0)) return 0;
  if (ly_json_get_int(req->json, "starts_at", 0, INT64_MAX / 2, 1, &starts, &e) ||
      ly_json_get_int(req->json, "minutes", 5, 240, 1, &minutes, &e) ||
      ly_json_get_int(req->json, "count", 1, SLOT_PUBLISH_MAX, 1, &count, &e) ||
      ly_json_get_int(req->json, "reserved_percent", 0, 100, 0, &pct, &e))
    return ly_resp_error(req, resp, &e);
  p.starts_at = starts;
  p.minutes = (int)minutes;
  p.count = (int)count;
  if (pct >= 0) p.reserved_bp = (int)pct * 100;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (slot_publish(&cx, &who, &p, &published, &reserved, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 201, json_pack("{s:i, s:i}", "published", published, "reserved", reserved));
}

int h_slot_policy_put(struct ly_req *req, struct ly_resp *resp) {
  int64_t pct = 0;
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  ly_error_clear(&e);
  if (h_ref_body(req, resp, 0)) return 0;
  if (ly_json_get_int(req->json, "reserved_percent", 0, 100, 1, &pct, &e))
    return ly_resp_error(req, resp, &e);
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (slot_policy_set(&cx, &who, req->params[0], (int)pct * 100, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(
      resp, 200,
      json_pack("{s:s, s:I}", "department_id", req->params[0], "reserved_percent", (json_int_t)pct));
}

/* ---- remote consultations --------------------------------------------------- */

static int respond_remote(struct ly_req *req, struct ly_resp *resp, const char *id, int status) {
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *o = NULL;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (remote_get_json(&cx, &who, id, &o, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, status, json_pack("{s:o}", "remote_consultation", o));
}

int h_remote_create(struct ly_req *req, struct ly_resp *resp) {
  struct remote_new in = {0};
  char id[LY_ID_MAX];
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  const json_t *b = req->json;
  ly_error_clear(&e);
  if (h_ref_body(req, resp, 0)) return 0;
  if (ly_json_get_str(b, "patient_id", LY_ID_MAX - 1, 1, &in.patient_id, &e) ||
      ly_json_get_str(b, "department_id", LY_ID_MAX - 1, 1, &in.department_id, &e) ||
      ly_json_get_str(b, "specialist_id", LY_ID_MAX - 1, 0, &in.specialist_id, &e) ||
      ly_json_get_str(b, "icd10", 16, 1, &in.icd10, &e) ||
      ly_json_get_str(b, "question", REMOTE_TEXT_MAX, 1, &in.question, &e) ||
      ly_json_get_str(b, "location", 16, 1, &in.location, &e))
    return ly_resp_error(req, resp, &e);
  if (h_ref_patient(req, resp, in.patient_id)) return 0;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (remote_request(&cx, &who, &in, id, &e)) return ly_resp_error(req, resp, &e);
  return respond_remote(req, resp, id, 201);
}

int h_remote_list(struct ly_req *req, struct ly_resp *resp) {
  char state[QUERY_MAX];
  const char *st = NULL;
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *items = NULL;
  if (h_ref_query(req, resp, "state", state, sizeof state, &st)) return 0;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (remote_list_json(&cx, &who, st, &items, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

int h_remote_get(struct ly_req *req, struct ly_resp *resp) {
  return respond_remote(req, resp, req->params[0], 200);
}

static int remote_refer(struct ly_req *req, struct ly_resp *resp) {
  const char *urgency = NULL;
  char ref[LY_ID_MAX];
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  ly_error_clear(&e);
  if (req->json && ly_json_get_str(req->json, "urgency", 16, 0, &urgency, &e))
    return ly_resp_error(req, resp, &e);
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (remote_refer_up(&cx, &who, req->params[0], urgency, ref, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 201, json_pack("{s:s}", "referral_id", ref));
}

int h_remote_act(struct ly_req *req, struct ly_resp *resp) {
  static const char *const names[] = {"accept", "reject", "schedule", "cancel", "opinion"};
  struct remote_act a = {0};
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  int ev = -1;
  ly_error_clear(&e);
  if (h_ref_body(req, resp, 1)) return 0;
  if (strcmp(req->params[1], "refer-up") == 0) return remote_refer(req, resp);
  for (int i = 0; i < 5; i++)
    if (strcmp(req->params[1], names[i]) == 0) ev = i;
  if (ev < 0)
    return ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "not_found", "No such action on a remote consultation.",
                             "没有该远程会诊操作。");
  a.ev = (enum remote_event)ev;
  if (req->json && (ly_json_get_str(req->json, "reason", REFERRAL_REASON_MAX, 0, &a.reason, &e) ||
                    ly_json_get_int(req->json, "at", 0, INT64_MAX / 2, ev == REMOTE_SCHEDULE, &a.at, &e) ||
                    ly_json_get_str(req->json, "opinion", REMOTE_TEXT_MAX, 0, &a.opinion, &e) ||
                    ly_json_get_str(req->json, "advice", REMOTE_TEXT_MAX, 0, &a.advice, &e)))
    return ly_resp_error(req, resp, &e);
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (remote_step(&cx, &who, req->params[0], &a, &e)) return ly_resp_error(req, resp, &e);
  return respond_remote(req, resp, req->params[0], 200);
}
