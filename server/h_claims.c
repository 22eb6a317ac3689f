/* server/h_claims.c — the REST face of insurance/ (routes and roles in
 * h_claims.h). Translation only: JSON in, insurance_* calls, JSON out; the
 * rules live in insurance/.
 *
 * A rejected claim answers 422 with the usual {"error":{code,message,field}}
 * plus "claim": the recorded rejection (its id and numbered reason).
 */
#include "server/h_claims.h"

#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/err.h"
#include "core/json.h"
#include "insurance/claim.h"
#include "insurance/coverage.h"
#include "insurance/policy.h"
#include "insurance/statement.h"
#include "server/auth.h"
#include "server/server.h"

#define SERVICE_AT_MAX 4102444800000LL /* 2100-01-01 */
#define AMOUNT_LIMIT   1000000000000LL /* parse bound; insurance/ applies the real limits */

static int64_t now_ms(const struct ly_req *req) {
  return ly_now_ms(req->srv->clock);
}

static struct claim_actor actor_of(const struct ly_req *req) {
  struct claim_actor a = {req->acct->id, req->acct->role_name};
  return a;
}

static int bad_body(struct ly_req *req, struct ly_resp *resp) {
  return ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_body", "Send a JSON object.",
                           "请以 JSON 对象提交。");
}

/* Who may see a patient's claims: the patient, a linked doctor, a
 * supervisor (authz_patient), and the district's admin (billing office). */
static int may_read(struct ly_req *req, const char *patient_id) {
  if (req->acct->role == LY_ROLE_ADMIN) return 0;
  int rc = authz_patient(req->srv, req->acct, patient_id, 0);
  return rc == LY_ENOTFOUND ? LY_EFORBIDDEN : rc;
}

/* ---- request parsing -------------------------------------------------------- */

struct parsed_claim {
  struct claim_req req;
  struct claim_item items[ADJUDICATE_MAX_LINES];
};

/* Prefix the failing item's index to e->field ("quantity" → "items[2].quantity"). */
static int item_field(struct ly_error *e, size_t i, int rc) {
  char f[sizeof e->field];
  snprintf(f, sizeof f, "items[%u].%.32s", (unsigned)i, e->field);
  memcpy(e->field, f, sizeof f);
  return rc;
}

static int parse_item(const json_t *o, size_t i, struct claim_item *it, struct ly_error *e) {
  const char *kind = NULL;
  int64_t q = 1, price = 0; /* quantity defaults to 1 */
  int rc;
  memset(it, 0, sizeof *it);
  e->field[0] = '\0';
  if (!json_is_object(o))
    return item_field(e, i,
                      ly_error_set(e, LY_EINVAL, "request.invalid_field", "Each item is an object.",
                                   "每个收费项目须为对象。"));
  if ((rc = ly_json_get_str(o, "kind", 16, 1, &kind, e)) ||
      (rc = ly_json_get_str(o, "code", 47, 1, &it->code, e)) ||
      (rc = ly_json_get_int(o, "quantity", -AMOUNT_LIMIT, AMOUNT_LIMIT, 0, &q, e)))
    return item_field(e, i, rc);
  if (json_object_get(o, "unit_price_fen")) {
    if ((rc = ly_json_get_int(o, "unit_price_fen", -AMOUNT_LIMIT, AMOUNT_LIMIT, 1, &price, e)))
      return item_field(e, i, rc);
    it->has_price = 1;
  }
  if (adjudicate_kind_parse(kind, &it->kind)) {
    rc = ly_error_set(e, LY_EINVAL, "request.invalid_field", "kind is drug, fee or delivery.",
                      "kind 须为 drug、fee 或 delivery。");
    snprintf(e->field, sizeof e->field, "kind");
    return item_field(e, i, rc);
  }
  it->quantity = q;
  it->unit_price_fen = price;
  return 0;
}

/* A claim request from JSON; strings are borrowed from obj. */
static int parse_claim(const json_t *obj, int64_t now, struct parsed_claim *p, struct ly_error *e) {
  struct claim_req *r = &p->req;
  json_t *items = NULL;
  int64_t at = now;
  int rc;
  memset(p, 0, sizeof *p);
  if (!json_is_object(obj))
    return ly_error_set(e, LY_EINVAL, "request.invalid_body", "Each claim is a JSON object.",
                        "结算请求须为 JSON 对象。");
  if ((rc = ly_json_get_str(obj, "patient_id", LY_ID_MAX - 1, 0, &r->patient_id, e)) ||
      (rc = ly_json_get_str(obj, "facility_id", LY_ID_MAX - 1, 1, &r->facility_id, e)) ||
      (rc = ly_json_get_str(obj, "encounter_type", 15, 1, &r->encounter_type, e)) ||
      (rc = ly_json_get_str(obj, "encounter_id", CLAIM_ENCOUNTER_MAX - 1, 1, &r->encounter_id, e)) ||
      (rc = ly_json_get_str(obj, "episode_id", CLAIM_ENCOUNTER_MAX - 1, 0, &r->episode_id, e)) ||
      (rc = ly_json_get_str(obj, "doctor_title", 31, 0, &r->doctor_title, e)) ||
      (rc = ly_json_get_int(obj, "service_at", 0, SERVICE_AT_MAX, 0, &at, e)) ||
      (rc = ly_json_get_array(obj, "items", ADJUDICATE_MAX_LINES, 1, &items, e)))
    return rc;
  r->service_at = at;
  r->nitems = json_array_size(items);
  r->items = p->items;
  for (size_t i = 0; i < r->nitems; i++)
    if ((rc = parse_item(json_array_get(items, i), i, &p->items[i], e))) return rc;
  return 0;
}

/* 422 with the recorded rejection, or the error of e. */
static int claim_error(struct ly_req *req, struct ly_resp *resp, const struct ly_error *e,
                       const struct claim *c) {
  ly_resp_error(req, resp, e);
  if (e->err == LY_EDENIED && c->status == CLAIM_REJECTED && resp->json)
    json_object_set_new(resp->json, "claim", claim_to_json(c));
  return 0;
}

static int claim_ok(struct ly_resp *resp, int status, const struct claim *c) {
  return ly_resp_json(resp, status, json_pack("{s:o}", "claim", claim_to_json(c)));
}

/* ---- estimate / settle / batch / reverse ------------------------------------- */

int h_claims_estimate(struct ly_req *req, struct ly_resp *resp) {
  struct parsed_claim p;
  struct ly_error e;
  ly_error_clear(&e);
  if (parse_claim(req->json, now_ms(req), &p, &e)) return ly_resp_error(req, resp, &e);
  if (req->acct->role == LY_ROLE_PATIENT) {
    if (p.req.patient_id && strcmp(p.req.patient_id, req->acct->patient_id) != 0)
      return ly_resp_fail_i18n(req, resp, LY_EFORBIDDEN, "auth.forbidden",
                               "You can only estimate your own bills.", "只能估算本人的费用。");
    p.req.patient_id = req->acct->patient_id;
  }
  struct claim *c = malloc(sizeof *c);
  if (!c) return LY_ENOMEM;
  int rc = claim_estimate(req->srv->db, now_ms(req), &p.req, c, &e);
  rc = rc ? claim_error(req, resp, &e, c) : claim_ok(resp, 200, c);
  free(c);
  return rc;
}

int h_claims_settle(struct ly_req *req, struct ly_resp *resp) {
  struct parsed_claim p;
  struct ly_error e;
  ly_error_clear(&e);
  if (parse_claim(req->json, now_ms(req), &p, &e)) return ly_resp_error(req, resp, &e);
  struct claim *c = malloc(sizeof *c);
  if (!c) return LY_ENOMEM;
  struct claim_actor a = actor_of(req);
  int rc = claim_settle(req->srv->db, now_ms(req), &a, &p.req, c, &e);
  rc = rc ? claim_error(req, resp, &e, c) : claim_ok(resp, c->replayed ? 200 : 201, c);
  free(c);
  return rc;
}

static json_t *batch_result(const struct ly_req *req, int rc, const struct ly_error *e,
                            const struct claim *c) {
  int en = req->lang && strcmp(req->lang, "en") == 0;
  json_t *o = json_pack("{s:i}", "status", rc ? ly_err_http_status(rc) : c->replayed ? 200 : 201);
  if (rc) {
    const char *msg = !en && e->message_zh[0] ? e->message_zh : e->message[0] ? e->message : ly_strerror(rc);
    json_object_set_new(o, "error",
                        json_pack("{s:s, s:s, s:s}", "code", e->code[0] ? e->code : ly_errcode(rc), "message",
                                  msg, "field", e->field));
  }
  if (!rc || (rc == LY_EDENIED && c->status == CLAIM_REJECTED))
    json_object_set_new(o, "claim", claim_to_json(c));
  return o;
}

/* Many settlements, one commit (claim_settle_batch): malformed entries are
 * answered without being tried; the rest are settled or refused each on its
 * own; nothing is answered before the commit. */
int h_claims_batch(struct ly_req *req, struct ly_resp *resp) {
  json_t *list = NULL;
  struct ly_error e;
  ly_error_clear(&e);
  if (!json_is_object(req->json)) return bad_body(req, resp);
  if (ly_json_get_array(req->json, "claims", CLAIM_BATCH_MAX, 1, &list, &e))
    return ly_resp_error(req, resp, &e);
  size_t n = json_array_size(list), m = 0;
  struct parsed_claim *p = calloc(n ? n : 1, sizeof *p);
  struct claim_req *reqs = calloc(n ? n : 1, sizeof *reqs);
  struct claim *outs = calloc(n ? n : 1, sizeof *outs);
  struct ly_error *errs = calloc(n ? n : 1, sizeof *errs);
  int *rcs = calloc(n ? n : 1, sizeof *rcs);
  size_t *slot = calloc(n ? n : 1, sizeof *slot);
  int rc = p && reqs && outs && errs && rcs && slot ? 0 : LY_ENOMEM;
  struct ly_error *perr = rc ? NULL : calloc(n ? n : 1, sizeof *perr);
  if (!perr) rc = LY_ENOMEM;
  for (size_t i = 0; !rc && i < n; i++) {
    ly_error_clear(&perr[i]);
    if (parse_claim(json_array_get(list, i), now_ms(req), &p[i], &perr[i]) == 0) {
      slot[i] = m;
      reqs[m++] = p[i].req;
    } else {
      slot[i] = (size_t)-1;
    }
  }
  struct claim_actor a = actor_of(req);
  if (!rc) rc = claim_settle_batch(req->srv->db, now_ms(req), &a, reqs, m, outs, rcs, errs);
  json_t *results = rc ? NULL : json_array();
  for (size_t i = 0; results && i < n; i++) {
    size_t k = slot[i];
    json_array_append_new(results, k == (size_t)-1 ? batch_result(req, perr[i].err, &perr[i], &outs[0])
                                                   : batch_result(req, rcs[k], &errs[k], &outs[k]));
  }
  free(p);
  free(reqs);
  free(outs);
  free(errs);
  free(rcs);
  free(slot);
  free(perr);
  if (rc) return rc;
  return ly_resp_json(resp, 200, json_pack("{s:o}", "results", results));
}

int h_claims_reverse(struct ly_req *req, struct ly_resp *resp) {
  const char *reason = NULL;
  struct ly_error e;
  ly_error_clear(&e);
  if (!json_is_object(req->json)) return bad_body(req, resp);
  if (ly_json_get_str(req->json, "reason", CLAIM_REASON_MAX - 1, 1, &reason, &e))
    return ly_resp_error(req, resp, &e);
  struct claim *c = malloc(sizeof *c);
  if (!c) return LY_ENOMEM;
  struct claim_actor a = actor_of(req);
  int rc = claim_reverse(req->srv->db, now_ms(req), &a, req->params[0], reason, c, &e);
  rc = rc ? ly_resp_error(req, resp, &e) : claim_ok(resp, 200, c);
  free(c);
  return rc;
}

/* ---- reads (audited) --------------------------------------------------------- */

struct read_ctx {
  struct ly_req *req;
  const char *id, *action, *patient_id;
  struct claim *c;
  int limit;
  json_t *out;
  struct ly_error *e;
};

static int audit_read(struct ly_db *db, struct read_ctx *x, const char *patient_id, const char *object_type,
                      const char *object_id) {
  struct ly_audit_entry a = {now_ms(x->req),
                             x->req->acct->id,
                             x->req->acct->role_name,
                             x->action,
                             patient_id,
                             object_type,
                             object_id,
                             "ok",
                             NULL};
  return ly_audit_append(db, &a, NULL);
}

static int load_claim_tx(struct ly_db *db, void *ud) {
  struct read_ctx *x = ud;
  int rc = claim_get(db, x->id, x->c);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(x->e, rc, "insurance.claim_not_found", "No such claim.", "没有该结算单。");
  if (rc) return rc;
  if ((rc = may_read(x->req, x->c->patient_id)))
    return ly_error_set(x->e, rc, "auth.forbidden", "You may not see this claim.", "无权查看该结算单。");
  return audit_read(db, x, x->c->patient_id, "claim", x->c->id);
}

int h_claims_load_for(struct ly_req *req, const char *id, const char *action, struct claim *c,
                      struct ly_error *e) {
  struct read_ctx x = {req, id, action, NULL, c, 0, NULL, e};
  ly_error_clear(e);
  int rc = ly_db_tx(req->srv->db, load_claim_tx, &x);
  if (rc && !e->err) ly_error_set(e, rc, NULL, NULL, NULL);
  return rc;
}

int h_claims_get(struct ly_req *req, struct ly_resp *resp) {
  struct ly_error e;
  struct claim *c = malloc(sizeof *c);
  if (!c) return LY_ENOMEM;
  int rc = h_claims_load_for(req, req->params[0], "claim.read", c, &e);
  rc = rc ? ly_resp_error(req, resp, &e) : claim_ok(resp, 200, c);
  free(c);
  return rc;
}

static int list_tx(struct ly_db *db, void *ud) {
  struct read_ctx *x = ud;
  int rc = claim_list_json(db, x->patient_id, x->limit, &x->out);
  return rc ? rc : audit_read(db, x, x->patient_id, "claims", NULL);
}

static int query_int(const struct ly_req *req, const char *key, int64_t min, int64_t max, int64_t *out) {
  char buf[24], *end;
  if (ly_req_query(req, key, buf, sizeof buf) != 0) return 0; /* absent: keep the default */
  long long v = strtoll(buf, &end, 10);
  if (!buf[0] || *end || v < min || v > max) return LY_EINVAL;
  *out = v;
  return 0;
}

int h_claims_list(struct ly_req *req, struct ly_resp *resp) {
  char patient[LY_ID_MAX];
  int64_t limit = 50;
  struct ly_error e;
  ly_error_clear(&e);
  int rc = ly_req_query(req, "patient", patient, sizeof patient);
  if (rc == LY_ENOTFOUND && req->acct->role == LY_ROLE_PATIENT)
    snprintf(patient, sizeof patient, "%s", req->acct->patient_id);
  else if (rc)
    return ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field", "Name the patient: ?patient=ID.",
                             "请指定患者：?patient=ID。");
  if (query_int(req, "limit", 1, 1000, &limit))
    return ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field", "limit is 1 to 1000.",
                             "limit 须为 1 到 1000。");
  if ((rc = may_read(req, patient)))
    return ly_resp_fail_i18n(req, resp, rc, "auth.forbidden", "You may not see this patient's claims.",
                             "无权查看该患者的结算单。");
  struct read_ctx x = {req, NULL, "claim.list", patient, NULL, (int)limit, NULL, &e};
  if ((rc = ly_db_tx(req->srv->db, list_tx, &x))) return rc;
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", x.out));
}

static int coverage_tx(struct ly_db *db, void *ud) {
  struct read_ctx *x = ud;
  int rc = coverage_summary_json(db, x->patient_id, now_ms(x->req), &x->out);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(x->e, rc, "insurance.no_coverage", "You have no insurance coverage on record.",
                        "您没有医保参保记录。");
  return rc ? rc : audit_read(db, x, x->patient_id, "coverage", x->patient_id);
}

int h_coverage_me(struct ly_req *req, struct ly_resp *resp) {
  struct ly_error e;
  ly_error_clear(&e);
  struct read_ctx x = {req, NULL, "coverage.read", req->acct->patient_id, NULL, 0, NULL, &e};
  int rc = ly_db_tx(req->srv->db, coverage_tx, &x);
  if (rc == LY_ENOTFOUND) return ly_resp_error(req, resp, &e);
  if (rc) return rc;
  return ly_resp_json(resp, 200, json_pack("{s:o}", "coverage", x.out));
}

/* ---- statements and policy ----------------------------------------------------- */

int h_claims_statement(struct ly_req *req, struct ly_resp *resp) {
  char day[16], facility[LY_ID_MAX], format[8] = "json", check[4] = "0";
  int has_fac = ly_req_query(req, "facility", facility, sizeof facility) == 0;
  ly_req_query(req, "format", format, sizeof format);
  ly_req_query(req, "check", check, sizeof check);
  struct statement s;
  int rc = ly_req_query(req, "date", day, sizeof day);
  if (!rc) rc = statement_build(req->srv->db, day, has_fac ? facility : NULL, &s);
  if (rc == LY_EINVAL || rc == LY_ENOTFOUND || rc == LY_ETOOBIG)
    return ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field",
                             "date is YYYY-MM-DD (Beijing time).", "date 须为 YYYY-MM-DD（北京时间）。");
  if (rc) return rc;
  if (strcmp(format, "csv") == 0) {
    rc = statement_to_csv(&s, &resp->raw, &resp->raw_len);
    statement_free(&s);
    if (rc) return rc;
    resp->status = 200;
    resp->content_type = "text/csv; charset=utf-8";
    return 0;
  }
  json_t *o = statement_to_json(&s);
  statement_free(&s);
  if (o && strcmp(check, "1") == 0) {
    struct statement_check *c = malloc(sizeof *c);
    if (c && statement_check_run(req->srv->db, c) == 0)
      json_object_set_new(o, "check", statement_check_to_json(c));
    free(c);
  }
  return o ? ly_resp_json(resp, 200, o) : LY_ENOMEM;
}

int h_policies_list(struct ly_req *req, struct ly_resp *resp) {
  json_t *list = NULL;
  int rc = policy_list_json(req->srv->db, &list);
  if (rc) return rc;
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", list));
}

static int parse_rate(const json_t *o, struct policy_rate_in *r, struct ly_error *e) {
  int rc;
  if (!json_is_object(o))
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "A rate is an object.", NULL);
  if ((rc = ly_json_get_str(o, "plan_id", POLICY_PLAN_MAX - 1, 1, &r->plan_id, e)) ||
      (rc = ly_json_get_str(o, "facility_level", POLICY_LEVEL_MAX - 1, 1, &r->level, e)) ||
      (rc = ly_json_get_int(o, "ratio_bp", -AMOUNT_LIMIT, AMOUNT_LIMIT, 1, &r->ratio_bp, e)) ||
      (rc = ly_json_get_int(o, "deductible_fen", -AMOUNT_LIMIT, AMOUNT_LIMIT, 1, &r->deductible_fen, e)) ||
      (rc = ly_json_get_int(o, "cap_fen", -AMOUNT_LIMIT, AMOUNT_LIMIT, 1, &r->cap_fen, e)))
    return rc;
  return 0;
}

static int parse_fee(const json_t *o, struct policy_fee_in *f, struct ly_error *e) {
  int rc, covered = 1;
  if (!json_is_object(o))
    return ly_error_set(e, LY_EINVAL, "request.invalid_field", "A fee is an object.", NULL);
  f->doctor_title = "any";
  if ((rc = ly_json_get_str(o, "item_code", POLICY_CODE_MAX - 1, 1, &f->item_code, e)) ||
      (rc = ly_json_get_str(o, "name", POLICY_NAME_MAX - 1, 1, &f->name, e)) ||
      (rc = ly_json_get_str(o, "name_en", POLICY_NAME_MAX - 1, 0, &f->name_en, e)) ||
      (rc = ly_json_get_str(o, "facility_level", POLICY_LEVEL_MAX - 1, 1, &f->level, e)) ||
      (rc = ly_json_get_str(o, "doctor_title", 31, 0, &f->doctor_title, e)) ||
      (rc = ly_json_get_int(o, "price_fen", -AMOUNT_LIMIT, AMOUNT_LIMIT, 1, &f->price_fen, e)) ||
      (rc = ly_json_get_bool(o, "covered", 0, &covered, e)))
    return rc;
  f->covered = covered;
  return 0;
}

struct policy_body {
  struct policy_change c;
  struct policy_rate_in rates[POLICY_MAX_RATES];
  struct policy_fee_in fees[POLICY_MAX_FEES];
};

static int parse_policy(const json_t *o, struct policy_body *b, struct ly_error *e) {
  json_t *rates = NULL, *fees = NULL, *cats = NULL;
  int rc;
  if ((rc = ly_json_get_int(o, "effective_from", 0, SERVICE_AT_MAX, 1, &b->c.effective_from, e)) ||
      (rc = ly_json_get_str(o, "note", 200, 0, &b->c.note, e)) ||
      (rc = ly_json_get_array(o, "rates", POLICY_MAX_RATES, 0, &rates, e)) ||
      (rc = ly_json_get_array(o, "fees", POLICY_MAX_FEES, 0, &fees, e)) ||
      (rc = ly_json_get_object(o, "categories", 0, &cats, e)))
    return rc;
  b->c.nrates = json_array_size(rates);
  b->c.rates = b->rates;
  for (size_t i = 0; i < b->c.nrates; i++)
    if ((rc = parse_rate(json_array_get(rates, i), &b->rates[i], e))) return rc;
  b->c.nfees = json_array_size(fees);
  b->c.fees = b->fees;
  for (size_t i = 0; i < b->c.nfees; i++)
    if ((rc = parse_fee(json_array_get(fees, i), &b->fees[i], e))) return rc;
  if (cats) {
    const char *names[3] = {"甲", "乙", "丙"};
    for (int k = 0; k < 3; k++)
      if ((rc = ly_json_get_int(cats, names[k], -AMOUNT_LIMIT, AMOUNT_LIMIT, 1, &b->c.self_pay_bp[k], e)))
        return rc;
    b->c.set_categories = 1;
  }
  return 0;
}

int h_policies_create(struct ly_req *req, struct ly_resp *resp) {
  struct ly_error e;
  char id[LY_ID_MAX];
  ly_error_clear(&e);
  if (!json_is_object(req->json)) return bad_body(req, resp);
  struct policy_body *b = calloc(1, sizeof *b);
  if (!b) return LY_ENOMEM;
  int rc = parse_policy(req->json, b, &e);
  if (!rc)
    rc = policy_create(req->srv->db, now_ms(req), req->acct->id, req->acct->role_name, &b->c, id, sizeof id,
                       &e);
  free(b);
  if (rc) return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 201, json_pack("{s:s}", "id", id));
}
