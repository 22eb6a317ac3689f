/* server/h_pharmacy_patient.c — the patient's side of pharmacy dispatch
 * (choose a pharmacy, see where the prescription stands, reset the delivery
 * code, the receipt), the events pushed to consoles and patients, and the
 * lapse job. The domain (rx/) checks the objects and audits every access. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "rx/delivery.h"
#include "rx/dispatch.h"
#include "rx/pharmacy.h"
#include "rx/receipt.h"
#include "server/h_pharmacy.h"
#include "server/h_rx.h"
#include "server/server.h"
#include "signalling/sig.h"

#define HPH_STAFF_MAX    64
#define HPH_QUERY_MAX    32
#define HPH_LAPSE_ROUNDS 16 /* batches per tick at most: the loop stays responsive */

/* ---- events ------------------------------------------------------------------------ */

void hph_push_account(struct ly_server *srv, const char *account_id, const char *type, json_t *data) {
  sig_push_account(srv->sig, account_id, type, data);
}

void hph_push_pharmacy(struct ly_server *srv, const char *pharmacy_id, const char *type, json_t *data) {
  char accounts[HPH_STAFF_MAX][LY_ID_MAX];
  size_t n = 0;
  struct rx_ctx cx;
  if (!data || !pharmacy_id || !pharmacy_id[0]) return;
  rx_ctx_init(&cx, srv->db, srv->clock, &srv->keys);
  if (pharmacy_staff_accounts(&cx, pharmacy_id, accounts, HPH_STAFF_MAX, &n) != 0) return;
  for (size_t i = 0; i < n; i++)
    hph_push_account(srv, accounts[i], type, data);
}

void hph_tell_patient(struct ly_server *srv, const char *patient_account, const char *prescription_id,
                      const char *state, const char *what) {
  if (!patient_account || !patient_account[0]) return;
  json_t *d = json_pack("{s:s, s:s, s:s, s:I}", "prescription_id", prescription_id, "state", state, "what",
                        what, "at", (json_int_t)ly_now_ms(srv->clock));
  hph_push_account(srv, patient_account, "rx.dispatch_changed", d);
  json_decref(d);
}

static void hph_withdrawn(struct ly_server *srv, const char *pharmacy_id, const char *prescription_id,
                          const char *reason) {
  json_t *d = json_pack("{s:s, s:s}", "prescription_id", prescription_id, "reason", reason);
  hph_push_pharmacy(srv, pharmacy_id, "pharmacy.withdrawn", d);
  json_decref(d);
}

/* ---- the patient ------------------------------------------------------------------- */

static int hph_query(struct ly_req *req, struct ly_resp *resp, const char *key, char *buf, size_t n,
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

/* A number from the query (strict); 1 with the response filled on a bad one. */
static int hph_query_num(struct ly_req *req, struct ly_resp *resp, const char *key, double *out, int *given) {
  char buf[HPH_QUERY_MAX];
  const char *s = NULL;
  if (hph_query(req, resp, key, buf, sizeof buf, &s)) return 1;
  *given = s != NULL;
  if (!s) return 0;
  char *end = NULL;
  *out = strtod(s, &end);
  if (end && *end == '\0' && isfinite(*out)) return 0;
  ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field", "A number was expected.",
                    "此处须为数字。");
  return 1;
}

int h_rx_pharmacies(struct ly_req *req, struct ly_resp *resp) {
  char mode[16];
  const char *m = NULL;
  double lat = 0, lon = 0, limit = 0;
  int has_lat = 0, has_lon = 0, has_limit = 0;
  if (hph_query(req, resp, "mode", mode, sizeof mode, &m) ||
      hph_query_num(req, resp, "lat", &lat, &has_lat) || hph_query_num(req, resp, "lon", &lon, &has_lon) ||
      hph_query_num(req, resp, "limit", &limit, &has_limit))
    return 0;
  if (has_lat != has_lon || (has_limit && (limit < 1 || limit > PHARMACY_SEARCH_MAX)))
    return ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field",
                             "Give lat and lon together, and limit 1-50.",
                             "lat 与 lon 须同时提供，limit 为 1-50。");
  struct pharmacy_search_in in = {
      req->params[0], m ? m : "pickup", has_lat, lat, lon, has_limit ? (int)limit : 0};
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *out = NULL;
  hrx_ctx(req, &cx);
  if (pharmacy_search(&cx, &who, &in, &out, &e) != 0) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, out);
}

int h_rx_dispatch(struct ly_req *req, struct ly_resp *resp) {
  const char *mode = NULL, *pharmacy = NULL, *address = NULL;
  if (hrx_str(req, resp, "mode", 16, 1, &mode) ||
      hrx_str(req, resp, "pharmacy_id", LY_ID_MAX - 1, 1, &pharmacy) ||
      hrx_str(req, resp, "address", DISPATCH_ADDRESS_MAX, 0, &address))
    return 0;
  struct dispatch_in in = {req->params[0], mode, pharmacy, address, req->srv->cfg.dispatch_deadline_s * 1000};
  struct dispatch_out out;
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  hrx_ctx(req, &cx);
  if (dispatch_choose(&cx, &who, &in, &out, &e) != 0) return hrx_error(req, resp, &e, NULL);
  if (!out.repeat) {
    json_t *d = json_pack("{s:s, s:s, s:s, s:I}", "prescription_id", in.prescription_id, "dispatch_id",
                          out.dispatch_id, "mode", mode, "at", (json_int_t)ly_now_ms(req->srv->clock));
    hph_push_pharmacy(req->srv, out.pharmacy_id, "pharmacy.dispatched", d);
    json_decref(d);
    if (out.withdrawn_from[0]) hph_withdrawn(req->srv, out.withdrawn_from, in.prescription_id, "withdrawn");
  }
  return ly_resp_json(resp, out.repeat ? 200 : 201, out.view);
}

int h_rx_dispatch_get(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *out = NULL;
  hrx_ctx(req, &cx);
  if (dispatch_status(&cx, &who, req->params[0], &out, &e) != 0) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, out);
}

int h_rx_delivery_reset(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *out = NULL;
  hrx_ctx(req, &cx);
  if (delivery_reset_code(&cx, &who, req->params[0], &out, &e) != 0) return hrx_error(req, resp, &e, NULL);
  ly_resp_header(resp, "Cache-Control", "no-store");
  return ly_resp_json(resp, 200, json_pack("{s:o}", "delivery", out));
}

int h_rx_receipt(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *out = NULL;
  hrx_ctx(req, &cx);
  if (receipt_get(&cx, &who, req->params[0], &out, &e) != 0) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, out);
}

/* ---- the lapse job --------------------------------------------------------------------- */

void h_pharmacy_tick(struct ly_server *srv) {
  struct dispatch_lapsed *l = calloc(DISPATCH_LAPSE_BATCH, sizeof *l);
  struct rx_ctx cx;
  size_t n = 0, total = 0;
  if (!l) return;
  rx_ctx_init(&cx, srv->db, srv->clock, &srv->keys);
  for (int round = 0; round < HPH_LAPSE_ROUNDS; round++) {
    int rc = dispatch_lapse_due(&cx, l, &n);
    if (rc) {
      LY_WARN(&srv->log, "rx.lapse_failed", "dispatch lapse job: %s", ly_strerror(rc));
      break;
    }
    for (size_t i = 0; i < n; i++) {
      hph_withdrawn(srv, l[i].pharmacy_id, l[i].prescription_id, l[i].lapsed ? "lapsed" : "closed");
      if (l[i].lapsed)
        hph_tell_patient(srv, l[i].patient_account, l[i].prescription_id, "ready", "dispatch_lapsed");
    }
    total += n;
    if (n < DISPATCH_LAPSE_BATCH) break;
  }
  if (total > 0) LY_INFO(&srv->log, "rx.dispatch_lapsed", "%zu dispatch(es) lapsed or closed", total);
  free(l);
}
