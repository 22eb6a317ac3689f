/* server/h_fhir_claims.c — a claim as FHIR R4 Claim and ClaimResponse.
 *
 *   GET /fhir/r4/Claim/{id}          the bill: patient, provider, coverage, items
 *   GET /fhir/r4/ClaimResponse/{id}  the adjudication: per item and in total,
 *                                    submitted / eligible / deductible / benefit
 *                                    (HL7 adjudication codes) and our own split
 *                                    (fully self-paid, 乙 share, account, cash)
 *
 * FHIR ids are [A-Za-z0-9-.]{1,64}; ours carry '_', never '.', so '_' is sent
 * as '.' and mapped back. Money is CNY with two decimals: the body is
 * serialised here with 15 significant digits (amounts stay below 10^13 fen),
 * so 12.60 is written 12.6 and never 12.599999999999999.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "insurance/claim.h"
#include "server/h_claims.h"
#include "server/server.h"

#define ADJ_SYSTEM        "http://terminology.hl7.org/CodeSystem/adjudication"
#define LY_ADJ_SYSTEM     "urn:lianyi:fhir:adjudication"
#define CLAIM_TYPE_SYSTEM "http://terminology.hl7.org/CodeSystem/claim-type"

static void fhir_id(const char *ours, char *out, size_t outsz) {
  snprintf(out, outsz, "%s", ours);
  for (char *p = out; *p; p++)
    if (*p == '_') *p = '.';
}

static void our_id(const char *fhir, char *out, size_t outsz) {
  snprintf(out, outsz, "%s", fhir);
  for (char *p = out; *p; p++)
    if (*p == '.') *p = '_';
}

static json_t *ref(const char *type, const char *id) {
  char fid[LY_ID_MAX + 16], r[LY_ID_MAX + 64];
  fhir_id(id, fid, sizeof fid);
  snprintf(r, sizeof r, "%s/%s", type, fid);
  return json_pack("{s:s}", "reference", r);
}

static json_t *money(int64_t fen) {
  return json_pack("{s:f, s:s}", "value", (double)fen / 100.0, "currency", "CNY");
}

static json_t *coding(const char *system, const char *code, const char *display) {
  json_t *c = json_pack("{s:s, s:s}", "system", system, "code", code);
  if (c && display && *display) json_object_set_new(c, "display", json_string(display));
  return json_pack("{s:[o]}", "coding", c);
}

static json_t *claim_type(const struct claim *c) {
  return coding(CLAIM_TYPE_SYSTEM, strcmp(c->encounter_type, "dispense") == 0 ? "pharmacy" : "professional",
                NULL);
}

static void iso(int64_t ms, char *out, size_t outsz) {
  ly_time_iso(ms, out, outsz);
}

static json_t *claim_items(const struct claim *c) {
  json_t *items = json_array();
  for (size_t i = 0; items && i < c->nlines; i++) {
    const struct claim_line *l = &c->lines[i];
    const char *system = l->kind == ADJUDICATE_DRUG ? "urn:lianyi:formulary" : "urn:lianyi:fee-schedule";
    json_array_append_new(
        items, json_pack("{s:I, s:o, s:{s:I}, s:o, s:o}", "sequence", (json_int_t)(i + 1), "productOrService",
                         coding(system, l->code, l->name), "quantity", "value", (json_int_t)l->quantity,
                         "unitPrice", money(l->unit_price_fen), "net", money(l->amounts.total_fen)));
  }
  return items;
}

static json_t *fhir_claim(const struct claim *c) {
  char fid[LY_ID_MAX + 16], created[32], service[32];
  fhir_id(c->id, fid, sizeof fid);
  iso(c->settled_at, created, sizeof created);
  iso(c->service_at, service, sizeof service);
  json_t *cov = ref("Coverage", c->patient_id);
  if (cov && c->plan_id[0]) json_object_set_new(cov, "display", json_string(c->plan_id));
  return json_pack(
      "{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:{s:s}, s:o, s:o, s:[{s:i, s:b, s:o}], s:o, s:o}", "resourceType",
      "Claim", "id", fid, "status", c->status == CLAIM_REVERSED ? "cancelled" : "active", "type",
      claim_type(c), "use", "claim", "patient", ref("Patient", c->patient_id), "created", created,
      "billablePeriod", "start", service, "provider", ref("Organization", c->facility_id), "priority",
      coding("http://terminology.hl7.org/CodeSystem/processpriority", "normal", NULL), "insurance",
      "sequence", 1, "focal", 1, "coverage", cov, "item", claim_items(c), "total", money(c->total.total_fen));
}

/* The adjudication of one line or of the whole claim. */
static json_t *adjudication(const struct adjudicate_amounts *a) {
  struct {
    const char *system, *code;
    int64_t fen;
  } rows[8] = {{ADJ_SYSTEM, "submitted", a->total_fen},
               {ADJ_SYSTEM, "eligible", a->in_scope_fen},
               {ADJ_SYSTEM, "deductible", a->deductible_fen},
               {ADJ_SYSTEM, "benefit", a->fund_fen},
               {LY_ADJ_SYSTEM, "fully-self-paid", a->fully_self_fen},
               {LY_ADJ_SYSTEM, "pre-self-paid", a->pre_self_fen},
               {LY_ADJ_SYSTEM, "personal-account", a->account_fen},
               {LY_ADJ_SYSTEM, "cash", a->cash_fen}};
  json_t *arr = json_array();
  for (int k = 0; arr && k < 8; k++)
    json_array_append_new(arr, json_pack("{s:o, s:o}", "category", coding(rows[k].system, rows[k].code, NULL),
                                         "amount", money(rows[k].fen)));
  return arr;
}

static json_t *response_items(const struct claim *c) {
  json_t *items = json_array();
  for (size_t i = 0; items && i < c->nlines; i++)
    json_array_append_new(items, json_pack("{s:I, s:o}", "itemSequence", (json_int_t)(i + 1), "adjudication",
                                           adjudication(&c->lines[i].amounts)));
  return items;
}

static json_t *fhir_claim_response(const struct claim *c) {
  char fid[LY_ID_MAX + 16], created[32], disposition[160];
  fhir_id(c->id, fid, sizeof fid);
  iso(c->settled_at, created, sizeof created);
  int rejected = c->status == CLAIM_REJECTED;
  if (rejected)
    snprintf(disposition, sizeof disposition, "Rejected, reason %d: %s", c->reject_reason, c->reject_code);
  else
    snprintf(disposition, sizeof disposition, "%s",
             c->status == CLAIM_REVERSED ? "Settled, then reversed" : "Settled");
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:{s:s}, s:o, s:s, s:s}", "resourceType",
                "ClaimResponse", "id", fid, "status", c->status == CLAIM_REVERSED ? "cancelled" : "active",
                "type", claim_type(c), "use", "claim", "patient", ref("Patient", c->patient_id), "created",
                created, "insurer", "display", "联医区医保 Lianyi district medical insurance", "request",
                ref("Claim", c->id), "outcome", rejected ? "error" : "complete", "disposition", disposition);
  if (!o) return NULL;
  if (rejected) {
    json_object_set_new(
        o, "error", json_pack("[{s:o}]", "code", coding("urn:lianyi:claim-reject", c->reject_code, NULL)));
    return o;
  }
  json_object_set_new(o, "item", response_items(c));
  json_object_set_new(o, "total", adjudication(&c->total));
  return o;
}

static int fhir_send(struct ly_resp *resp, json_t *o) {
  if (!o) return LY_ENOMEM;
  char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
  json_decref(o);
  if (!txt) return LY_ENOMEM;
  resp->raw = txt;
  resp->raw_len = strlen(txt);
  resp->content_type = "application/fhir+json; charset=utf-8";
  resp->status = 200;
  return 0;
}

static int fhir_get(struct ly_req *req, struct ly_resp *resp, int response) {
  char id[LY_ID_MAX + 16];
  struct ly_error e;
  our_id(req->params[0], id, sizeof id);
  struct claim *c = malloc(sizeof *c);
  if (!c) return LY_ENOMEM;
  int rc = h_claims_load_for(req, id, response ? "claim.fhir_response" : "claim.fhir", c, &e);
  if (rc) {
    free(c);
    return ly_resp_error(req, resp, &e);
  }
  rc = fhir_send(resp, response ? fhir_claim_response(c) : fhir_claim(c));
  free(c);
  return rc;
}

int h_fhir_claim(struct ly_req *req, struct ly_resp *resp) {
  return fhir_get(req, resp, 0);
}

int h_fhir_claim_response(struct ly_req *req, struct ly_resp *resp) {
  return fhir_get(req, resp, 1);
}
