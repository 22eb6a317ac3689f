/* server/h_rx_more.c — REST handlers of renewals, the review queue,
 * supervision and notices, and the periodic jobs of records/ and rx/. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "records/careplan.h"
#include "rx/notice.h"
#include "rx/prescription.h"
#include "rx/renewal.h"
#include "rx/supervision.h"
#include "server/auth.h"
#include "server/h_rx.h"
#include "server/server.h"

/* ---- renewals --------------------------------------------------------------------- */

int h_rx_renewal_request(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  const char *note = NULL;
  char id[LY_ID_MAX];
  if (hrx_str(req, resp, "note", 4 * RX_NOTE_MAX, 0, &note)) return 0;
  hrx_ctx(req, &cx);
  if (renewal_request(&cx, &who, req->acct->patient_id, req->params[0], note, id, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 201, json_pack("{s:s, s:s}", "id", id, "state", "requested"));
}

int h_renewals_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char open[4] = "";
  json_t *arr = NULL;
  ly_req_query(req, "open", open, sizeof open);
  hrx_ctx(req, &cx);
  const char *patient = req->acct->role == LY_ROLE_PATIENT ? req->acct->patient_id : NULL;
  if (renewal_list(&cx, &who, patient, strcmp(open, "1") == 0, &arr, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "renewals", arr));
}

int h_renewals_approve(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct rules_result *v = calloc(1, sizeof *v); /* n = 0 until a rule check fills it */
  json_t *result = NULL;
  if (!v) return ly_resp_fail(req, resp, LY_ENOMEM, NULL, NULL);
  hrx_ctx(req, &cx);
  if (renewal_approve(&cx, &who, req->params[0], req->idempotency_key, &result, v, &e))
    hrx_error(req, resp, &e, v);
  else
    ly_resp_json(resp, 200, result);
  free(v);
  return 0;
}

int h_renewals_decline(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  const char *reason = NULL;
  if (hrx_str(req, resp, "reason", 4 * RX_NOTE_MAX, 1, &reason)) return 0;
  hrx_ctx(req, &cx);
  if (renewal_decline(&cx, &who, req->params[0], reason, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:s, s:s}", "id", req->params[0], "state", "declined"));
}

int h_renewals_withdraw(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  hrx_ctx(req, &cx);
  if (renewal_withdraw(&cx, &who, req->acct->patient_id, req->params[0], &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:s, s:s}", "id", req->params[0], "state", "withdrawn"));
}

/* ---- pharmacist review queue ------------------------------------------------------------ */

int h_rx_review_queue(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *arr = NULL;
  hrx_ctx(req, &cx);
  if (prescription_review_queue(&cx, &who, &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "queue", arr));
}

/* ---- supervision -------------------------------------------------------------------------- */

int h_supervision_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char week[16] = "", open[4] = "";
  json_t *arr = NULL;
  ly_req_query(req, "week", week, sizeof week);
  ly_req_query(req, "open", open, sizeof open);
  hrx_ctx(req, &cx);
  if (supervision_list(&cx, &who, week[0] ? week : NULL, strcmp(open, "1") == 0, &arr, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "samples", arr));
}

int h_supervision_finding(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  const char *finding = NULL, *text = NULL;
  if (hrx_str(req, resp, "finding", 16, 1, &finding) || hrx_str(req, resp, "text", 4 * RX_NOTE_MAX, 0, &text))
    return 0;
  hrx_ctx(req, &cx);
  if (supervision_finding(&cx, &who, req->params[0], finding, text, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:s, s:s}", "id", req->params[0], "finding", finding));
}

int h_supervision_run(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct ly_error e;
  const char *week = NULL;
  int sampled = 0;
  if (hrx_str(req, resp, "week", 8, 0, &week)) return 0;
  hrx_ctx(req, &cx);
  if (supervision_sample(&cx, week, &sampled, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:s?, s:i}", "week", week, "sampled", sampled));
}

int h_me_findings(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *arr = NULL;
  hrx_ctx(req, &cx);
  if (supervision_mine(&cx, &who, &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "findings", arr));
}

/* ---- notices ---------------------------------------------------------------------------------- */

int h_me_notices(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char after[24] = "";
  json_t *arr = NULL;
  ly_req_query(req, "after", after, sizeof after);
  hrx_ctx(req, &cx);
  if (notice_list(&cx, &who, after[0] ? strtoll(after, NULL, 10) : 0, &arr, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "notices", arr));
}

int h_me_notices_read(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  int64_t up_to = 0;
  ly_error_clear(&e);
  hrx_ctx(req, &cx);
  if (ly_json_get_int(req->json, "up_to", 0, INT64_MAX / 2, 1, &up_to, &e) ||
      notice_read(&cx, &who, up_to, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:I}", "up_to", (json_int_t)up_to));
}

/* ---- jobs --------------------------------------------------------------------------------------- */

/* POST /api/v1/rx/jobs/run (admin): the periodic jobs now, with their counts. */
int h_rx_jobs_run(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct ly_error e;
  int expired = 0, missed = 0, sampled = 0, rc;
  hrx_ctx(req, &cx);
  if ((rc = prescription_expire_due(&cx, &expired)) || (rc = careplan_check_missed(&cx.rec, &missed)))
    return ly_resp_fail(req, resp, rc, NULL, NULL);
  rc = supervision_sample(&cx, NULL, &sampled, &e);
  if (rc && rc != LY_EEXIST) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(
      resp, 200,
      json_pack("{s:i, s:i, s:i}", "expired", expired, "missed_follow_ups", missed, "sampled", sampled));
}

void h_rx_tick(struct ly_server *srv) {
  struct rx_ctx cx;
  struct ly_error e;
  int n = 0, rc;
  rx_ctx_init(&cx, srv->db, srv->clock, &srv->keys);
  if ((rc = prescription_expire_due(&cx, &n)) != 0)
    LY_WARN(&srv->log, "rx.expire_failed", "prescription expiry job: %s", ly_strerror(rc));
  else if (n > 0)
    LY_INFO(&srv->log, "rx.expired", "%d prescription(s) expired", n);
  if ((rc = careplan_check_missed(&cx.rec, &n)) != 0)
    LY_WARN(&srv->log, "records.followup_job_failed", "missed follow-up job: %s", ly_strerror(rc));
  else if (n > 0)
    LY_INFO(&srv->log, "records.followups_missed", "%d missed follow-up alert(s)", n);
  rc = supervision_sample(&cx, NULL, &n, &e);
  if (rc == 0)
    LY_INFO(&srv->log, "rx.supervision_sampled", "%d item(s) sampled for supervision", n);
  else if (rc != LY_EEXIST)
    LY_WARN(&srv->log, "rx.supervision_failed", "supervision sampling: %s", e.message);
}
