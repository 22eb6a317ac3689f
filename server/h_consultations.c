/* server/h_consultations.c — REST for consultations, and the glue that lends
 * the signalling service (signalling/sig.h) the server's database, clock,
 * logger and session check.
 *
 *   POST /api/v1/consultations               patient books {doctor_id | department_id, icd10, guardian_name?}
 *   GET  /api/v1/consultations               ?state=&doctor_id=&patient_id=&facility_id=&before=&limit=
 *   GET  /api/v1/consultations/{id}          with its transitions ("events")
 *   POST /api/v1/consultations/{id}/cancel   {reason?}
 *   PUT  /api/v1/consultations/{id}/rating   patient {score 1-5, comment?}
 *   GET  /api/v1/consultations/{id}/rating   patient, supervisor
 *
 * The rules live in signalling/ (booking.c, consult.c, rating.c); this file
 * translates HTTP to them and tells connected sockets what changed.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "server/auth.h"
#include "server/handlers.h"
#include "server/server.h"
#include "server/server_internal.h"
#include "signalling/booking.h"
#include "signalling/consult.h"
#include "signalling/rating.h"
#include "signalling/sig.h"

#define QUERY_MAX 64

static void actor_of(const struct ly_req *req, struct consult_actor *who) {
  who->id = req->acct->id;
  who->role = req->acct->role_name;
  who->patient_id = req->acct->patient_id[0] ? req->acct->patient_id : NULL;
}

struct booking_rules h_consultations_rules(const struct ly_server *srv) {
  struct booking_rules r = {.followup_window_ms = srv->cfg.followup_window_days * 24LL * 3600 * 1000};
  return booking_rules_resolve(&r);
}

static int body_object(struct ly_req *req, struct ly_resp *resp) {
  if (req->json != NULL && json_is_object(req->json)) return 0;
  ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_body", "Send a JSON object.",
                    "请以 JSON 对象提交。");
  return -1;
}

int h_consultations_create(struct ly_req *req, struct ly_resp *resp) {
  struct booking_request b = {0};
  struct consult_actor who;
  struct consult_row row;
  struct ly_error e;

  ly_error_clear(&e);
  if (body_object(req, resp) != 0) return 0;
  if (ly_json_get_str(req->json, "doctor_id", LY_ID_MAX - 1, 0, &b.doctor_id, &e) != 0 ||
      ly_json_get_str(req->json, "department_id", LY_ID_MAX - 1, 0, &b.department_id, &e) != 0 ||
      ly_json_get_str(req->json, "icd10", 16, 1, &b.icd10, &e) != 0 ||
      ly_json_get_str(req->json, "guardian_name", BOOKING_GUARDIAN_MAX, 0, &b.guardian_name, &e) != 0)
    return ly_resp_error(req, resp, &e);
  actor_of(req, &who);
  struct booking_rules rules = h_consultations_rules(req->srv);
  if (booking_create(req->srv->db, req->srv->clock, &rules, &who, &b, &row, &e) != 0)
    return ly_resp_error(req, resp, &e);
  sig_consultation_changed(req->srv->sig, row.id, NULL, "booked");
  return ly_resp_json(resp, 201, json_pack("{s:o}", "consultation", consult_json(&row)));
}

/* Copy query key into buf; NULL when absent. -1 (resp filled) when too long. */
static int query(struct ly_req *req, struct ly_resp *resp, const char *key, char *buf, size_t n,
                 const char **out) {
  int rc = ly_req_query(req, key, buf, n);
  *out = rc == 0 && buf[0] ? buf : NULL;
  if (rc == 0 || rc == LY_ENOTFOUND) return 0;
  struct ly_error e;
  ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "Query parameter %s is not valid.", key);
  snprintf(e.field, sizeof(e.field), "%s", key);
  ly_resp_error(req, resp, &e);
  return -1;
}

/* A whole number in [lo, hi] from the query (def when absent); -1 on a bad one. */
static int query_int(struct ly_req *req, struct ly_resp *resp, const char *key, int64_t lo, int64_t hi,
                     int64_t def, int64_t *out) {
  char buf[24], *end;
  const char *v;
  if (query(req, resp, key, buf, sizeof(buf), &v) != 0) return -1;
  *out = def;
  if (v == NULL) return 0;
  long long x = strtoll(v, &end, 10);
  if (*end == '\0' && x >= lo && x <= hi) {
    *out = x;
    return 0;
  }
  struct ly_error e;
  ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "%s must be a whole number from %lld to %lld.", key,
                (long long)lo, (long long)hi);
  snprintf(e.field, sizeof(e.field), "%s", key);
  ly_resp_error(req, resp, &e);
  return -1;
}

int h_consultations_list(struct ly_req *req, struct ly_resp *resp) {
  char state[QUERY_MAX], doctor[QUERY_MAX], patient[QUERY_MAX], facility[QUERY_MAX];
  struct consult_filter f = {0};
  struct consult_actor who;
  struct ly_error e;
  int64_t before, limit;
  json_t *items;

  if (query(req, resp, "state", state, sizeof(state), &f.state) != 0 ||
      query(req, resp, "doctor_id", doctor, sizeof(doctor), &f.doctor_id) != 0 ||
      query(req, resp, "patient_id", patient, sizeof(patient), &f.patient_id) != 0 ||
      query(req, resp, "facility_id", facility, sizeof(facility), &f.facility_id) != 0 ||
      query_int(req, resp, "before", 1, INT64_MAX, 0, &before) != 0 ||
      query_int(req, resp, "limit", 1, 100, 20, &limit) != 0)
    return 0;
  f.before = before;
  f.limit = (int)limit;
  actor_of(req, &who);
  ly_error_clear(&e);
  if (consult_list(req->srv->db, req->srv->clock, &who, &f, &items, &e) != 0)
    return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "items", items));
}

int h_consultations_get(struct ly_req *req, struct ly_resp *resp) {
  struct consult_actor who;
  struct ly_error e;
  json_t *c;

  actor_of(req, &who);
  ly_error_clear(&e);
  if (consult_get(req->srv->db, req->srv->clock, &who, req->params[0], &c, &e) != 0)
    return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "consultation", c));
}

int h_consultations_cancel(struct ly_req *req, struct ly_resp *resp) {
  const char *reason = NULL;
  struct consult_actor who;
  struct consult_row before, after;
  struct ly_error e;

  ly_error_clear(&e);
  if (req->json != NULL && !json_is_object(req->json)) return body_object(req, resp), 0;
  if (req->json != NULL && ly_json_get_str(req->json, "reason", CONSULT_REASON_MAX, 0, &reason, &e) != 0)
    return ly_resp_error(req, resp, &e);
  actor_of(req, &who);
  int had = consult_load(req->srv->db, req->params[0], &before) == 0;
  if (consult_transition(req->srv->db, req->srv->clock, &who, req->params[0], LC_CANCEL, reason, &after,
                         &e) != 0)
    return ly_resp_error(req, resp, &e);
  sig_consultation_changed(req->srv->sig, after.id, had ? lifecycle_state_name(before.state) : NULL,
                           "cancelled");
  return ly_resp_json(resp, 200, json_pack("{s:o}", "consultation", consult_json(&after)));
}

int h_consultations_rating_put(struct ly_req *req, struct ly_resp *resp) {
  const char *comment = NULL;
  int64_t score = 0;
  struct consult_actor who;
  struct ly_error e;
  bool created = false;
  json_t *r;

  ly_error_clear(&e);
  if (body_object(req, resp) != 0) return 0;
  json_t *cm = json_object_get(req->json, "comment"); /* "" means no comment */
  if (ly_json_get_int(req->json, "score", 1, 5, 1, &score, &e) != 0 ||
      (!(json_is_string(cm) && json_string_length(cm) == 0) &&
       ly_json_get_str(req->json, "comment", 2048, 0, &comment, &e) != 0))
    return ly_resp_error(req, resp, &e);
  actor_of(req, &who);
  if (rating_put(req->srv->db, req->srv->clock, &who, req->params[0], (int)score, comment, &created, &r,
                 &e) != 0)
    return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, created ? 201 : 200, json_pack("{s:o}", "rating", r));
}

int h_consultations_rating_get(struct ly_req *req, struct ly_resp *resp) {
  struct consult_actor who;
  struct ly_error e;
  json_t *r;

  ly_error_clear(&e);
  actor_of(req, &who);
  if (rating_get(req->srv->db, req->srv->clock, &who, req->params[0], &r, &e) != 0)
    return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "rating", r));
}

/* --- the signalling service ----------------------------------------------- */

static void copy(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src);
}

/* sig_host.authenticate: a session token → the account, through server/auth.c. */
static int ws_authenticate(void *ud, const char *token, struct sig_account *out, struct ly_error *e) {
  struct ly_server *srv = ud;
  struct ly_account acct;
  int rc = auth_session(srv, token, &acct, e);
  if (rc != 0) return rc;
  copy(out->id, sizeof(out->id), acct.id);
  copy(out->role, sizeof(out->role), acct.role_name);
  copy(out->name, sizeof(out->name), acct.name);
  copy(out->name_en, sizeof(out->name_en), acct.name_en);
  copy(out->patient_id, sizeof(out->patient_id), acct.patient_id);
  copy(out->facility_id, sizeof(out->facility_id), acct.facility_id);
  return 0;
}

int h_consultations_ws_init(struct ly_server *srv) {
  struct sig_host host = {
      .db = srv->db,
      .clock = srv->clock,
      .log = &srv->log,
      .keys = &srv->keys,
      .authenticate = ws_authenticate,
      .ud = srv,
      .upgrade_refused = http_upgrade_refused,
      .resume_window_ms = srv->cfg.resume_window_ms,
      .max_sessions = srv->cfg.max_connections,
      .media = srv->media,
      .data_dir = srv->cfg.data,
  };
  int rc = sig_create(&host, &srv->sig);
  if (rc != 0) LY_ERROR(&srv->log, "sig.init_failed", "cannot start signalling: %s", ly_strerror(rc));
  return rc;
}

void h_consultations_ws_close(struct ly_server *srv) {
  sig_destroy(srv->sig);
  srv->sig = NULL;
}
