/* server/h_doctors.c — the doctor directory (名医团队) over REST.
 *
 *   GET /api/v1/doctors ?specialty=&facility_id=&title=&subdistrict_id=&department_id=&q=&limit=&offset= GET
 * /api/v1/doctors/{id}           profile, schedule, counts, average rating, presence GET
 * /api/v1/doctors/{id}/ratings   anonymous scores and comments; supervisors see whose
 *
 * Only doctors who may consult online are listed (licensed, >= 3 years of
 * independent practice). Presence comes from the signalling service.
 */
#include <stdlib.h>
#include <string.h>

#include "server/handlers.h"
#include "server/server.h"
#include "signalling/directory.h"
#include "signalling/rating.h"

#define QUERY_MAX 96

struct booking_rules h_consultations_rules(const struct ly_server *srv);

/* Query value or NULL; -1 with resp filled when it is too long. */
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

static int query_int(struct ly_req *req, struct ly_resp *resp, const char *key, int lo, int hi, int *out) {
  char buf[16], *end;
  const char *v;
  if (query(req, resp, key, buf, sizeof(buf), &v) != 0) return -1;
  if (v == NULL) return 0;
  long x = strtol(v, &end, 10);
  if (*end == '\0' && x >= lo && x <= hi) {
    *out = (int)x;
    return 0;
  }
  struct ly_error e;
  ly_error_setf(&e, LY_EINVAL, "request.invalid_field", "%s must be a whole number from %d to %d.", key, lo,
                hi);
  snprintf(e.field, sizeof(e.field), "%s", key);
  ly_resp_error(req, resp, &e);
  return -1;
}

int h_doctors_list(struct ly_req *req, struct ly_resp *resp) {
  char spec[QUERY_MAX], fac[QUERY_MAX], title[QUERY_MAX], sub[QUERY_MAX], dept[QUERY_MAX], q[QUERY_MAX];
  struct directory_filter f = {0};
  struct ly_error e;
  json_t *out;

  if (query(req, resp, "specialty", spec, sizeof(spec), &f.specialty) != 0 ||
      query(req, resp, "facility_id", fac, sizeof(fac), &f.facility_id) != 0 ||
      query(req, resp, "title", title, sizeof(title), &f.title) != 0 ||
      query(req, resp, "subdistrict_id", sub, sizeof(sub), &f.subdistrict_id) != 0 ||
      query(req, resp, "department_id", dept, sizeof(dept), &f.department_id) != 0 ||
      query(req, resp, "q", q, sizeof(q), &f.q) != 0 ||
      query_int(req, resp, "limit", 1, 100, &f.limit) != 0 ||
      query_int(req, resp, "offset", 0, 10000, &f.offset) != 0)
    return 0;
  struct booking_rules rules = h_consultations_rules(req->srv);
  ly_error_clear(&e);
  if (directory_search(req->srv->sig, req->srv->db, req->srv->clock, &rules, &f, &out, &e) != 0)
    return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, out);
}

int h_doctors_get(struct ly_req *req, struct ly_resp *resp) {
  struct ly_error e;
  json_t *d;
  struct booking_rules rules = h_consultations_rules(req->srv);

  ly_error_clear(&e);
  if (directory_get(req->srv->sig, req->srv->db, req->srv->clock, &rules, req->params[0], &d, &e) != 0)
    return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "doctor", d));
}

int h_doctors_ratings(struct ly_req *req, struct ly_resp *resp) {
  struct consult_actor who = {.id = req->acct->id,
                              .role = req->acct->role_name,
                              .patient_id = req->acct->patient_id[0] ? req->acct->patient_id : NULL};
  struct ly_error e;
  json_t *out;
  int limit = 50;

  if (query_int(req, resp, "limit", 1, 200, &limit) != 0) return 0;
  ly_error_clear(&e);
  if (rating_list(req->srv->db, req->srv->clock, &who, req->params[0], limit, &out, &e) != 0)
    return ly_resp_error(req, resp, &e);
  return ly_resp_json(resp, 200, out);
}
