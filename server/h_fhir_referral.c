/* server/h_fhir_referral.c — a referral as FHIR R4 ServiceRequest (what was
 * asked: the referral order) and Task (its fulfilment: who holds it, its
 * state, the appointment, the outcome). Same access rules and audit as
 * GET /api/v1/referrals/{id} (the referral is read through referral/).
 *
 *   GET /fhir/r4/ServiceRequest/{id}
 *   GET /fhir/r4/Task/{id}
 *
 * FHIR ids are [A-Za-z0-9-.]{1,64}; ours carry '_', never '.', so '_' is sent
 * as '.' and mapped back (as h_fhir_claims.c does). Our state is kept exactly
 * in Task.businessStatus; Task.status is the nearest FHIR code.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "server/h_referral.h"
#include "server/server.h"

#define SNOMED      "http://snomed.info/sct"
#define ICD10       "http://hl7.org/fhir/sid/icd-10"
#define LY_STATE    "urn:lianyi:fhir:referral-state"
#define LY_REFERRAL "urn:lianyi:referral"

static const char *str(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static void fhir_id(const char *ours, char *out, size_t n) {
  snprintf(out, n, "%s", ours);
  for (char *p = out; *p; p++)
    if (*p == '_') *p = '.';
}

static void our_id(const char *fhir, char *out, size_t n) {
  snprintf(out, n, "%s", fhir);
  for (char *p = out; *p; p++)
    if (*p == '.') *p = '_';
}

static json_t *ref(const char *type, const char *id, const char *display) {
  char fid[LY_ID_MAX + 16], r[LY_ID_MAX + 64];
  fhir_id(id, fid, sizeof fid);
  snprintf(r, sizeof r, "%s/%s", type, fid);
  json_t *o = json_pack("{s:s}", "reference", r);
  if (o && display && *display) json_object_set_new(o, "display", json_string(display));
  return o;
}

static json_t *when(const json_t *o, const char *key) {
  char iso[32];
  ly_time_iso((int64_t)json_integer_value(json_object_get(o, key)), iso, sizeof iso);
  return json_string(iso);
}

static const char *name_in(const struct ly_req *req, const json_t *o, const char *key) {
  char k[64];
  snprintf(k, sizeof k, "%s_en", key);
  const char *en = str(o, k);
  return strcmp(req->lang, "en") == 0 && *en ? en : str(o, key);
}

/* The receiving side: the department's facility (up), the GP (down). */
static json_t *receiver(const struct ly_req *req, const json_t *r) {
  if (strcmp(str(r, "direction"), "down") == 0)
    return ref("Practitioner", str(r, "to_doctor_id"), name_in(req, r, "to_doctor_name"));
  char display[256];
  snprintf(display, sizeof display, "%s %s", name_in(req, r, "to_facility_name"),
           name_in(req, r, "to_department_name"));
  return ref("Organization", str(r, "to_facility_id"), display);
}

static const char *sr_status(const char *state) {
  if (!strcmp(state, "completed")) return "completed";
  if (!strcmp(state, "rejected") || !strcmp(state, "cancelled") || !strcmp(state, "no_show"))
    return "revoked";
  return "active";
}

static json_t *supporting(const json_t *r) {
  static const struct {
    const char *kind, *type;
  } map[] = {{"diagnosis", "Condition"},
             {"note", "DocumentReference"},
             {"lab_order", "ServiceRequest"},
             {"document", "DocumentReference"},
             {"care_plan", "CarePlan"}};
  json_t *out = json_array(), *a;
  size_t i;
  json_array_foreach(json_object_get(r, "attachments"), i, a) {
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
      if (!strcmp(str(a, "kind"), map[k].kind))
        json_array_append_new(out, ref(map[k].type, str(a, "id"), NULL));
  }
  return out;
}

static json_t *service_request(const struct ly_req *req, const json_t *r) {
  char fid[LY_ID_MAX + 16];
  int up = strcmp(str(r, "direction"), "up") == 0;
  fhir_id(str(r, "id"), fid, sizeof fid);
  json_t *reason =
      json_pack("{s:[{s:s, s:s, s:s}], s:s}", "coding", "system", ICD10, "code", str(r, "icd10"), "display",
                *str(r, "condition_name") ? name_in(req, r, "condition_name") : str(r, "icd10"), "text",
                str(r, "reason"));
  json_t *o = json_pack(
      "{s:s, s:s, s:[{s:s, s:s}], s:s, s:s, s:s, s:[{s:[{s:s, s:s, s:s}]}], s:{s:[{s:s, s:s, s:s}], s:s},"
      " s:o, s:o, s:o, s:[o], s:[o]}",
      "resourceType", "ServiceRequest", "id", fid, "identifier", "system", LY_REFERRAL, "value", str(r, "id"),
      "status", sr_status(str(r, "state")), "intent", "order", "priority", str(r, "urgency"), "category",
      "coding", "system", SNOMED, "code", "3457005", "display", "Patient referral", "code", "coding",
      "system", SNOMED, "code", "306206005", "display", "Referral to service", "text",
      up ? "上转 up-referral" : "下转 down-referral", "subject",
      ref("Patient", str(r, "patient_id"), name_in(req, r, "patient_name")), "authoredOn",
      when(r, "requested_at"), "requester",
      ref("Practitioner", str(r, "from_doctor_id"), name_in(req, r, "from_doctor_name")), "performer",
      receiver(req, r), "reasonCode", reason);
  if (!o) return NULL;
  if (*str(r, "summary")) json_object_set_new(o, "note", json_pack("[{s:s}]", "text", str(r, "summary")));
  if (json_is_integer(json_object_get(r, "scheduled_for")))
    json_object_set_new(o, "occurrenceDateTime", when(r, "scheduled_for"));
  json_t *info = supporting(r);
  if (json_array_size(info))
    json_object_set_new(o, "supportingInfo", info);
  else
    json_decref(info);
  return o;
}

static const char *task_status(const char *state) {
  static const char *const map[][2] = {{"requested", "requested"}, {"accepted", "accepted"},
                                       {"rejected", "rejected"},   {"scheduled", "ready"},
                                       {"arrived", "in-progress"}, {"completed", "completed"},
                                       {"cancelled", "cancelled"}, {"no_show", "failed"}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(state, map[i][0])) return map[i][1];
  return "requested";
}

static json_t *task(const struct ly_req *req, const json_t *r) {
  char fid[LY_ID_MAX + 16];
  const char *state = str(r, "state");
  fhir_id(str(r, "id"), fid, sizeof fid);
  json_t *o = json_pack(
      "{s:s, s:s, s:[{s:s, s:s}], s:[o], s:o, s:s, s:{s:[{s:s, s:s}], s:s}, s:s, s:s, s:o,"
      " s:o, s:o, s:o, s:o}",
      "resourceType", "Task", "id", fid, "identifier", "system", LY_REFERRAL, "value", str(r, "id"),
      "basedOn", ref("ServiceRequest", str(r, "id"), NULL), "focus",
      ref("ServiceRequest", str(r, "id"), NULL), "status", task_status(state), "businessStatus", "coding",
      "system", LY_STATE, "code", state, "text", state, "intent", "order", "priority", str(r, "urgency"),
      "for", ref("Patient", str(r, "patient_id"), name_in(req, r, "patient_name")), "authoredOn",
      when(r, "requested_at"), "lastModified", when(r, "updated_at"), "requester",
      ref("Practitioner", str(r, "from_doctor_id"), name_in(req, r, "from_doctor_name")), "owner",
      receiver(req, r));
  if (!o) return NULL;
  if (*str(r, "state_reason"))
    json_object_set_new(o, "statusReason", json_pack("{s:s}", "text", str(r, "state_reason")));
  if (json_is_integer(json_object_get(r, "scheduled_for")))
    json_object_set_new(o, "executionPeriod", json_pack("{s:o}", "start", when(r, "scheduled_for")));
  if (*str(r, "outcome"))
    json_object_set_new(
        o, "output",
        json_pack("[{s:{s:s}, s:s}]", "type", "text", "visit summary", "valueString", str(r, "outcome")));
  return o;
}

static int fhir_get(struct ly_req *req, struct ly_resp *resp,
                    json_t *(*build)(const struct ly_req *, const json_t *)) {
  char id[LY_ID_MAX + 16];
  struct referral_ctx cx;
  struct referral_actor who;
  struct ly_error e;
  json_t *r = NULL;
  our_id(req->params[0], id, sizeof id);
  h_ref_ctx(req, &cx);
  h_ref_actor(req, &who);
  if (referral_get_json(&cx, &who, id, &r, &e)) return ly_resp_error(req, resp, &e);
  json_t *o = build(req, r);
  json_decref(r);
  if (!o) return LY_ENOMEM;
  resp->content_type = "application/fhir+json; charset=utf-8";
  return ly_resp_json(resp, 200, o);
}

int h_fhir_service_request(struct ly_req *req, struct ly_resp *resp) {
  return fhir_get(req, resp, service_request);
}

int h_fhir_task(struct ly_req *req, struct ly_resp *resp) {
  return fhir_get(req, resp, task);
}
