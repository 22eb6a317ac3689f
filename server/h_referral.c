/* server/h_referral.c — REST for referrals and the supervision figures
 * (h_referral.h). The rules are in referral/; this file translates HTTP.
 */
#include "server/h_referral.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "referral/stats.h"
#include "server/auth.h"
#include "server/notices.h"
#include "server/server.h"

#define QUERY_MAX 64
#define DAY_MS    86400000LL

void h_ref_actor(const struct ly_req *req, struct referral_actor *who) {
  who->id = req->acct->id;
  who->role = req->acct->role_name;
  who->patient_id = req->acct->patient_id[0] ? req->acct->patient_id : NULL;
}

void h_ref_ctx(const struct ly_req *req, struct referral_ctx *cx) {
  cx->db = req->srv->db;
  cx->clock = req->srv->clock;
  cx->keys = &req->srv->keys;
}

int h_ref_body(struct ly_req *req, struct ly_resp *resp, int optional) {
  if (req->json == NULL && optional && (req->body == NULL || req->body_len == 0)) return 0;
  if (req->json != NULL && json_is_object(req->json)) return 0;
  ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_body", "Send a JSON object.",
                    "请以 JSON 对象提交。");
  return -1;
}

int h_ref_query(struct ly_req *req, struct ly_resp *resp, const char *key, char *buf, size_t n,
                const char **out) {
  int rc = ly_req_query(req, key, buf, n);
  *out = rc == 0 && buf[0] ? buf : NULL;
  if (rc == 0 || rc == LY_ENOTFOUND) return 0;
  struct ly_error e;
  ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "Query parameter %s is not valid.", key);
  snprintf(e.field, sizeof e.field, "%s", key);
  ly_resp_error(req, resp, &e);
  return -1;
}

int h_ref_patient(struct ly_req *req, struct ly_resp *resp, const char *patient_id) {
  if (req->acct->role != LY_ROLE_DOCTOR) return 0;
  int rc = authz_patient(req->srv, req->acct, patient_id, 1);
  if (rc == 0) return 0;
  if (rc == LY_ENOTFOUND)
    ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "referral.patient_not_found", "No such patient.",
                      "未找到该患者。");
  else
    ly_resp_fail_i18n(req, resp, LY_EFORBIDDEN, "auth.forbidden",
                      "You may only refer patients you care for (contracted, consulted or referred to you).",
                      "只能为您签约、接诊或接收转诊的患者开具转诊。");
  return -1;
}

/* A referral as JSON for the caller, as the response (status 200 or 201). */
static int respond_referral(struct ly_req *req, struct ly_resp *resp, const char *id, int status) {
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *o = NULL;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (referral_get_json(&cx, &who, id, &o, &e) != 0) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, status, json_pack("{s:o}", "referral", o));
}

int h_referrals_desk(struct ly_req *req, struct ly_resp *resp) {
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *o = NULL;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (referral_desk_json(&cx, &who, &o, &e) != 0) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, o);
}

#define ATTACH_MAX REFERRAL_MAX_ATTACH

static int parse_attachments(const json_t *body, struct referral_attachment *att, size_t *n,
                             struct ly_error *e) {
  json_t *arr = NULL, *it;
  size_t i;
  int rc = ly_json_get_array(body, "attachments", ATTACH_MAX, 0, &arr, e);
  *n = 0;
  if (rc || !arr) return rc;
  json_array_foreach(arr, i, it) {
    if ((rc = ly_json_get_str(it, "kind", 16, 1, &att[i].kind, e)) ||
        (rc = ly_json_get_str(it, "id", LY_ID_MAX - 1, 1, &att[i].id, e))) {
      snprintf(e->field, sizeof e->field, "attachments[%zu]", i);
      return rc;
    }
  }
  *n = json_array_size(arr);
  return 0;
}

static int create_up(struct ly_req *req, struct ly_resp *resp, char id[LY_ID_MAX]) {
  struct referral_attachment att[ATTACH_MAX];
  struct referral_up_new in = {.attachments = att};
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  const json_t *b = req->json;
  ly_error_clear(&e);
  if (ly_json_get_str(b, "patient_id", LY_ID_MAX - 1, 1, &in.patient_id, &e) ||
      ly_json_get_str(b, "to_department_id", LY_ID_MAX - 1, 1, &in.to_department_id, &e) ||
      ly_json_get_str(b, "urgency", 16, 1, &in.urgency, &e) ||
      ly_json_get_str(b, "icd10", 16, 1, &in.icd10, &e) ||
      ly_json_get_str(b, "reason", REFERRAL_REASON_MAX, 1, &in.reason, &e) ||
      ly_json_get_str(b, "summary", REFERRAL_SUMMARY_MAX, 0, &in.summary, &e) ||
      parse_attachments(b, att, &in.nattachments, &e))
    return ly_resp_error(req, resp, &e), -1;
  if (h_ref_patient(req, resp, in.patient_id)) return -1;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (referral_create_up(&cx, &who, &in, id, &e)) return ly_resp_error(req, resp, &e), -1;
  return 0;
}

/* One care-plan target {kind, low1?, high1?, low2?, high2?}. */
static int parse_target(const json_t *o, struct careplan_target *t, struct ly_error *e) {
  static const char *const keys[] = {"low1", "high1", "low2", "high2"};
  double *v[] = {&t->low1, &t->high1, &t->low2, &t->high2};
  int *has[] = {&t->has_low1, &t->has_high1, &t->has_low2, &t->has_high2};
  memset(t, 0, sizeof *t);
  int rc = ly_json_get_str(o, "kind", 16, 1, &t->kind, e);
  for (int k = 0; rc == 0 && k < 4; k++) {
    json_t *x = json_object_get(o, keys[k]);
    if (!x || json_is_null(x)) continue;
    if (!json_is_number(x))
      return ly_error_set(e, LY_EINVAL, "request.invalid_field", "Target bounds are numbers.",
                          "目标值须为数字。");
    *v[k] = json_number_value(x);
    *has[k] = 1;
  }
  return rc;
}

static int create_down(struct ly_req *req, struct ly_resp *resp, char id[LY_ID_MAX]) {
  struct careplan_target t[CAREPLAN_MAX_TARGETS];
  struct referral_down_new in = {.targets = t};
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  const json_t *b = req->json;
  json_t *arr = NULL, *it;
  int64_t days = 0;
  size_t i;
  ly_error_clear(&e);
  int rc = ly_json_get_str(b, "patient_id", LY_ID_MAX - 1, 1, &in.patient_id, &e) ||
           ly_json_get_str(b, "to_doctor_id", LY_ID_MAX - 1, 0, &in.to_doctor_id, &e) ||
           ly_json_get_str(b, "icd10", 16, 1, &in.icd10, &e) ||
           ly_json_get_str(b, "reason", REFERRAL_REASON_MAX, 1, &in.reason, &e) ||
           ly_json_get_str(b, "summary", REFERRAL_SUMMARY_MAX, 0, &in.summary, &e) ||
           ly_json_get_str(b, "plan_note", 1000, 0, &in.plan_note, &e) ||
           ly_json_get_int(b, "follow_up_days", 1, 366, 1, &days, &e) ||
           ly_json_get_array(b, "targets", CAREPLAN_MAX_TARGETS, 0, &arr, &e);
  json_array_foreach(arr, i, it) {
    if (rc || (rc = parse_target(it, &t[i], &e))) break;
    in.ntargets = i + 1;
  }
  if (rc) return ly_resp_error(req, resp, &e), -1;
  in.follow_up_days = (int)days;
  if (h_ref_patient(req, resp, in.patient_id)) return -1;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (referral_create_down(&cx, &who, &in, id, &e)) return ly_resp_error(req, resp, &e), -1;
  return 0;
}

int h_referrals_create(struct ly_req *req, struct ly_resp *resp) {
  const char *dir = NULL;
  char id[LY_ID_MAX];
  struct ly_error e;
  ly_error_clear(&e);
  if (h_ref_body(req, resp, 0)) return 0;
  if (ly_json_get_str(req->json, "direction", 8, 1, &dir, &e)) return ly_resp_error(req, resp, &e);
  int up = strcmp(dir, "up") == 0;
  if (!up && strcmp(dir, "down") != 0)
    return ly_resp_fail_i18n(req, resp, LY_EINVAL, "referral.direction_invalid", "direction is up or down.",
                             "direction 须为 up（上转）或 down（下转）。");
  if ((up ? create_up : create_down)(req, resp, id)) return 0;
  return respond_referral(req, resp, id, 201);
}

int h_referrals_list(struct ly_req *req, struct ly_resp *resp) {
  char box[QUERY_MAX], state[QUERY_MAX], dir[QUERY_MAX], fac[QUERY_MAX], lim[16];
  const char *limit = NULL;
  struct referral_filter f = {0};
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *items = NULL;
  if (h_ref_query(req, resp, "box", box, sizeof box, &f.box) ||
      h_ref_query(req, resp, "state", state, sizeof state, &f.state) ||
      h_ref_query(req, resp, "direction", dir, sizeof dir, &f.direction) ||
      h_ref_query(req, resp, "facility_id", fac, sizeof fac, &f.facility_id) ||
      h_ref_query(req, resp, "limit", lim, sizeof lim, &limit))
    return 0;
  f.limit = limit ? atoi(limit) : 0;
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (referral_list_json(&cx, &who, &f, &items, &e)) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

int h_referrals_get(struct ly_req *req, struct ly_resp *resp) {
  return respond_referral(req, resp, req->params[0], 200);
}

int h_referrals_act(struct ly_req *req, struct ly_resp *resp) {
  struct referral_act a = {0};
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  ly_error_clear(&e);
  if (referral_event_parse(req->params[1], &a.ev))
    return ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "not_found", "No such action on a referral.",
                             "没有该转诊操作。");
  if (h_ref_body(req, resp, 1)) return 0;
  if (req->json && (ly_json_get_str(req->json, "reason", REFERRAL_REASON_MAX, 0, &a.reason, &e) ||
                    ly_json_get_str(req->json, "slot_id", LY_ID_MAX - 1, 0, &a.slot_id, &e) ||
                    ly_json_get_str(req->json, "outcome", REFERRAL_SUMMARY_MAX, 0, &a.outcome, &e)))
    return ly_resp_error(req, resp, &e);
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (referral_transition(&cx, &who, req->params[0], &a, &e)) return ly_resp_error(req, resp, &e);
  int rc = respond_referral(req, resp, req->params[0], 200);
  if (resp->status == 200) notices_referral_changed(req->srv, resp->json, req->params[1], req->acct->id);
  return rc;
}

/* A time from the query: UTC ms, or a date / ISO time; def when absent. */
static int query_time(struct ly_req *req, struct ly_resp *resp, const char *key, int64_t def, int64_t *out) {
  char buf[40];
  const char *v;
  if (h_ref_query(req, resp, key, buf, sizeof buf, &v)) return -1;
  *out = def;
  if (!v) return 0;
  if (ly_time_parse_any(v, out) == 0) return 0;
  struct ly_error e;
  ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "%s is a time: UTC milliseconds or YYYY-MM-DD.", key);
  snprintf(e.field, sizeof e.field, "%s", key);
  ly_resp_error(req, resp, &e);
  return -1;
}

int h_referrals_stats(struct ly_req *req, struct ly_resp *resp) {
  char fac[QUERY_MAX];
  const char *facility = NULL;
  int64_t now = ly_now_ms(req->srv->clock), from, to;
  json_t *o = NULL;
  if (query_time(req, resp, "from", now - 365 * DAY_MS, &from) ||
      query_time(req, resp, "to", now + DAY_MS, &to) ||
      h_ref_query(req, resp, "facility_id", fac, sizeof fac, &facility))
    return 0;
  int rc = stats_referrals_json(req->srv->db, from, to, facility, &o);
  if (rc) return rc;
  return ly_resp_json(resp, 200, o);
}
