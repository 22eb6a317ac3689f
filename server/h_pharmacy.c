/* server/h_pharmacy.c — the pharmacy console's REST (server/h_pharmacy.h):
 * queue, walk-in lookup and claim, detail, claim/release, dispense,
 * complete, delivery, stock. Every call acts for the caller's own pharmacy;
 * the domain (rx/) decides what that pharmacy may see and audits it.
 * Responses holding a claim's secret are marked no-store. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "rx/delivery.h"
#include "rx/dispatch.h"
#include "rx/dispense.h"
#include "rx/pharmacy.h"
#include "rx/pharmacy_claim.h"
#include "rx/qr.h"
#include "rx/stock.h"
#include "server/h_pharmacy.h"
#include "server/h_rx.h"
#include "server/server.h"

#define HP_QUERY_MAX 96

static int hp_actor(struct ly_req *req, struct ly_resp *resp, struct pharmacy_actor *pa) {
  if (!req->acct->pharmacy_id[0]) {
    ly_resp_fail_i18n(req, resp, LY_EFORBIDDEN, "pharmacy.no_pharmacy",
                      "Your account does not belong to a pharmacy.", "您的账号未关联药店。");
    return 1;
  }
  pa->account_id = req->acct->id;
  pa->pharmacy_id = req->acct->pharmacy_id;
  return 0;
}

static int hp_fail(struct ly_req *req, struct ly_resp *resp, const struct ly_error *e) {
  return hrx_error(req, resp, e, NULL);
}

/* A query parameter (NULL when absent); 1 with the response filled when bad. */
static int hp_query(struct ly_req *req, struct ly_resp *resp, const char *key, char *buf, size_t n,
                    const char **out) {
  int rc = ly_req_query(req, key, buf, n);
  *out = rc == 0 && buf[0] ? buf : NULL;
  if (rc == 0 || rc == LY_ENOTFOUND) return 0;
  struct ly_error e;
  ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "Query parameter %s is not valid.", key);
  snprintf(e.field, sizeof e.field, "%s", key);
  ly_resp_error(req, resp, &e);
  return 1;
}

/* A whole number from the query in [lo, hi] (def when absent). */
static int hp_query_int(struct ly_req *req, struct ly_resp *resp, const char *key, int lo, int hi, int def,
                        int *out) {
  char buf[16];
  const char *s = NULL;
  *out = def;
  if (hp_query(req, resp, key, buf, sizeof buf, &s)) return 1;
  if (!s) return 0;
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (*end == '\0' && v >= lo && v <= hi) {
    *out = (int)v;
    return 0;
  }
  ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field", "A whole number in range was expected.",
                    "此处须为范围内的整数。");
  return 1;
}

/* The patient's code from {qr} or {id, access_code}, into buf (NUL-terminated, *n bytes). */
static int hp_code(struct ly_req *req, struct ly_resp *resp, char *buf, size_t bufsz, size_t *n) {
  json_t *qr = req->json ? json_object_get(req->json, "qr") : NULL;
  const char *id = NULL, *code = NULL;
  if (json_is_string(qr)) {
    size_t len = json_string_length(qr);
    if (len >= bufsz) len = bufsz - 1; /* still over QR_INPUT_MAX: refused as too long */
    memcpy(buf, json_string_value(qr), len);
    buf[len] = '\0';
    *n = len;
    return 0;
  }
  if (hrx_str(req, resp, "id", LY_ID_MAX - 1, 1, &id) || hrx_str(req, resp, "access_code", 64, 1, &code))
    return 1;
  int w = snprintf(buf, bufsz, "%s%s:%s", QR_PREFIX, id, code);
  *n = w > 0 && (size_t)w < bufsz ? (size_t)w : 0;
  return 0;
}

static void hp_ctx(struct ly_req *req, struct rx_ctx *cx) {
  hrx_ctx(req, cx);
}

/* ---- reading ------------------------------------------------------------------------- */

int h_pharmacy_me(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa)) return 0;
  hp_ctx(req, &cx);
  if (pharmacy_card(&cx, pa.pharmacy_id, &out) != 0) return ly_resp_fail(req, resp, LY_ENOTFOUND, NULL, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "pharmacy", out));
}

int h_pharmacy_queue(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  char cbuf[HP_QUERY_MAX];
  const char *cursor = NULL;
  int limit = 0;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_query(req, resp, "cursor", cbuf, sizeof cbuf, &cursor) ||
      hp_query_int(req, resp, "limit", 1, DISPATCH_QUEUE_MAX, DISPATCH_QUEUE_DEFAULT, &limit))
    return 0;
  hp_ctx(req, &cx);
  if (dispatch_queue(&cx, &pa, cursor, limit, &out, &e) != 0) return hp_fail(req, resp, &e);
  return ly_resp_json(resp, 200, out);
}

int h_pharmacy_work(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  char sbuf[16];
  const char *state = NULL;
  int limit = 0;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_query(req, resp, "state", sbuf, sizeof sbuf, &state) ||
      hp_query_int(req, resp, "limit", 1, 200, 50, &limit))
    return 0;
  hp_ctx(req, &cx);
  if (pharmacy_work(&cx, &pa, state ? state : "active", limit, &out, &e) != 0) return hp_fail(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", out));
}

int h_pharmacy_get(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa)) return 0;
  hp_ctx(req, &cx);
  if (pharmacy_prescription(&cx, &pa, req->params[0], &out, &e) != 0) return hp_fail(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "prescription", out));
}

int h_pharmacy_lookup(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  char code[QR_INPUT_MAX + 2];
  size_t n = 0;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_code(req, resp, code, sizeof code, &n)) return 0;
  hp_ctx(req, &cx);
  int rc = pharmacy_lookup_code(&cx, &pa, code, n, &out, &e);
  OPENSSL_cleanse(code, sizeof code);
  if (rc != 0) return hp_fail(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "prescription", out));
}

/* ---- claims --------------------------------------------------------------------------- */

/* After a claim: the other consoles of this pharmacy, a pharmacy whose queue lost it, the patient. */
static int hp_claimed(struct ly_req *req, struct ly_resp *resp, const struct pharmacy_actor *pa,
                      const char *id, struct pharmacy_claim_out *out) {
  if (!out->repeat) {
    json_t *d = json_pack("{s:s, s:s}", "prescription_id", id, "state", "in_progress");
    hph_push_pharmacy(req->srv, pa->pharmacy_id, "pharmacy.changed", d);
    json_decref(d);
    if (out->superseded[0]) {
      d = json_pack("{s:s, s:s}", "prescription_id", id, "reason", "claimed_elsewhere");
      hph_push_pharmacy(req->srv, out->superseded, "pharmacy.withdrawn", d);
      json_decref(d);
    }
    hph_tell_patient(req->srv, out->patient_account, id, "in_progress", "claimed");
  }
  ly_resp_header(resp, "Cache-Control", "no-store");
  int status = out->repeat ? 200 : 201;
  json_t *view = out->view;
  OPENSSL_cleanse(out->secret, sizeof out->secret);
  return ly_resp_json(resp, status, json_pack("{s:o}", "claim", view));
}

int h_pharmacy_claim(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct pharmacy_claim_out out;
  struct rx_ctx cx;
  struct ly_error e;
  if (hp_actor(req, resp, &pa)) return 0;
  hp_ctx(req, &cx);
  if (pharmacy_claim(&cx, &pa, req->params[0], &out, &e) != 0) return hp_fail(req, resp, &e);
  return hp_claimed(req, resp, &pa, req->params[0], &out);
}

int h_pharmacy_claim_code(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct pharmacy_claim_out out;
  struct rx_ctx cx;
  struct ly_error e;
  char code[QR_INPUT_MAX + 2], id[LY_ID_MAX];
  size_t n = 0;
  if (hp_actor(req, resp, &pa) || hp_code(req, resp, code, sizeof code, &n)) return 0;
  hp_ctx(req, &cx);
  int rc = pharmacy_claim_code(&cx, &pa, code, n, &out, &e);
  OPENSSL_cleanse(code, sizeof code);
  if (rc != 0) return hp_fail(req, resp, &e);
  snprintf(id, sizeof id, "%s", json_string_value(json_object_get(out.view, "prescription_id")));
  return hp_claimed(req, resp, &pa, id, &out);
}

static int hp_secret(struct ly_req *req, struct ly_resp *resp, const char **secret) {
  return hrx_str(req, resp, "secret", CLAIM_SECRET_CHARS + 8, 1, secret);
}

/* The patient's account (for events) of a prescription. */
static void hp_patient_account(struct ly_req *req, const char *id, char out[LY_ID_MAX]) {
  struct rx_ctx cx;
  hp_ctx(req, &cx);
  if (pharmacy_patient_account(&cx, id, out) != 0) out[0] = '\0';
}

static void hp_changed(struct ly_req *req, const struct pharmacy_actor *pa, const char *id, const char *state,
                       const char *what) {
  char account[LY_ID_MAX];
  json_t *d = json_pack("{s:s, s:s, s:s}", "prescription_id", id, "state", state, "what", what);
  hph_push_pharmacy(req->srv, pa->pharmacy_id, "pharmacy.changed", d);
  json_decref(d);
  hp_patient_account(req, id, account);
  hph_tell_patient(req->srv, account, id, state, what);
}

int h_pharmacy_release(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  const char *secret = NULL, *reason = NULL;
  int repeat = 0;
  if (hp_actor(req, resp, &pa) || hp_secret(req, resp, &secret) ||
      hrx_str(req, resp, "reason", RX_NOTE_MAX, 0, &reason))
    return 0;
  hp_ctx(req, &cx);
  if (pharmacy_release(&cx, &pa, req->params[0], secret, reason, &repeat, &e) != 0)
    return hp_fail(req, resp, &e);
  if (!repeat) hp_changed(req, &pa, req->params[0], "ready", "released");
  return ly_resp_json(
      resp, 200,
      json_pack("{s:s, s:s, s:b}", "prescription_id", req->params[0], "state", "ready", "repeat", repeat));
}

/* ---- dispensing and completing ----------------------------------------------------------- */

static int hp_items(struct ly_req *req, struct ly_resp *resp, struct dispense_item_in *items, size_t *n) {
  json_t *arr = NULL;
  struct ly_error e;
  ly_error_clear(&e);
  if (ly_json_get_array(req->json, "items", DISPENSE_MAX_ITEMS, 1, &arr, &e) != 0)
    return ly_resp_error(req, resp, &e), 1;
  *n = json_array_size(arr);
  for (size_t i = 0; i < *n; i++) {
    json_t *o = json_array_get(arr, i);
    int64_t line = 0, q = 0;
    memset(&items[i], 0, sizeof items[i]);
    if (!json_is_object(o) || ly_json_get_int(o, "line", 1, RX_MAX_ITEMS, 1, &line, &e) ||
        ly_json_get_int(o, "quantity", 1, DISPENSE_MAX_QUANTITY, 1, &q, &e) ||
        ly_json_get_str(o, "drug_id", LY_ID_MAX - 1, 0, &items[i].drug_id, &e) ||
        ly_json_get_str(o, "reason", DISPENSE_REASON_MAX, 0, &items[i].reason, &e)) {
      if (!e.err)
        ly_error_set(&e, LY_EINVAL, "request.invalid_field", "Each item is an object.", "每一项须为对象。");
      snprintf(e.field, sizeof e.field, "items[%zu]", i);
      return ly_resp_error(req, resp, &e), 1;
    }
    items[i].line = (int)line;
    items[i].quantity = q;
  }
  return 0;
}

int h_pharmacy_dispense(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct dispense_item_in items[DISPENSE_MAX_ITEMS];
  struct rx_ctx cx;
  struct ly_error e;
  const char *secret = NULL;
  size_t n = 0;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_secret(req, resp, &secret) || hp_items(req, resp, items, &n)) return 0;
  struct dispense_in in = {req->params[0], secret, req->idempotency_key, items, n};
  hp_ctx(req, &cx);
  if (dispense_record(&cx, &pa, &in, &out, &e) != 0) return hp_fail(req, resp, &e);
  int replayed = json_is_true(json_object_get(out, "replayed"));
  if (!replayed) hp_changed(req, &pa, req->params[0], "in_progress", "dispensed");
  return ly_resp_json(resp, replayed ? 200 : 201, json_pack("{s:o}", "dispense", out));
}

int h_pharmacy_complete(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  const char *secret = NULL;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_secret(req, resp, &secret)) return 0;
  hp_ctx(req, &cx);
  if (dispense_complete(&cx, &pa, req->params[0], secret, &out, &e) != 0) return hp_fail(req, resp, &e);
  hp_changed(req, &pa, req->params[0], "completed", "completed");
  return ly_resp_json(resp, 200, json_pack("{s:o}", "receipt", out));
}

/* ---- delivery ------------------------------------------------------------------------------ */

int h_pharmacy_delivery_out(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  const char *secret = NULL;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_secret(req, resp, &secret)) return 0;
  hp_ctx(req, &cx);
  if (delivery_out(&cx, &pa, req->params[0], secret, &out, &e) != 0) return hp_fail(req, resp, &e);
  hp_changed(req, &pa, req->params[0], "in_progress", "out_for_delivery");
  return ly_resp_json(resp, 200, json_pack("{s:o}", "delivery", out));
}

int h_pharmacy_delivery_deliver(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  const char *secret = NULL, *code = NULL;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_secret(req, resp, &secret) || hrx_str(req, resp, "code", 16, 1, &code))
    return 0;
  hp_ctx(req, &cx);
  if (delivery_deliver(&cx, &pa, req->params[0], secret, code, &out, &e) != 0) return hp_fail(req, resp, &e);
  hp_changed(req, &pa, req->params[0], "completed", "delivered");
  return ly_resp_json(resp, 200, json_pack("{s:o}", "receipt", out));
}

int h_pharmacy_delivery_fail(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  const char *secret = NULL, *reason = NULL;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_secret(req, resp, &secret) ||
      hrx_str(req, resp, "reason", DELIVERY_REASON_MAX, 1, &reason))
    return 0;
  hp_ctx(req, &cx);
  if (delivery_fail(&cx, &pa, req->params[0], secret, reason, &out, &e) != 0) return hp_fail(req, resp, &e);
  hp_changed(req, &pa, req->params[0], "in_progress", "delivery_failed");
  return ly_resp_json(resp, 200, json_pack("{s:o}", "delivery", out));
}

/* ---- stock ------------------------------------------------------------------------------------ */

int h_pharmacy_stock_list(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  char qbuf[HP_QUERY_MAX];
  const char *q = NULL;
  int low = 0, limit = 0;
  json_t *out = NULL;
  if (hp_actor(req, resp, &pa) || hp_query(req, resp, "q", qbuf, sizeof qbuf, &q) ||
      hp_query_int(req, resp, "low", 0, 1, 0, &low) || hp_query_int(req, resp, "limit", 1, 500, 100, &limit))
    return 0;
  hp_ctx(req, &cx);
  if (stock_list(&cx, &pa, q, low, limit, &out, &e) != 0) return hp_fail(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", out));
}

int h_pharmacy_stock_put(struct ly_req *req, struct ly_resp *resp) {
  struct pharmacy_actor pa;
  struct rx_ctx cx;
  struct ly_error e;
  int64_t quantity = 0, low = -1;
  json_t *out = NULL;
  ly_error_clear(&e);
  if (hp_actor(req, resp, &pa)) return 0;
  if (!req->json ||
      ly_json_get_int(req->json, "quantity", -10LL * STOCK_MAX, 10LL * STOCK_MAX, 1, &quantity, &e) ||
      ly_json_get_int(req->json, "low_threshold", 0, STOCK_MAX, 0, &low, &e)) {
    if (!e.err)
      ly_error_set(&e, LY_EINVAL, "request.invalid_body", "Send a JSON object.", "请以 JSON 对象提交。");
    return ly_resp_error(req, resp, &e);
  }
  hp_ctx(req, &cx);
  if (stock_set(&cx, &pa, req->params[0], quantity, low, &out, &e) != 0) return hp_fail(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "stock", out));
}
