/* server/h_records.c — the helpers shared by the records and rx handlers, and
 * the REST handlers of offline diagnoses, documents and consultation notes.
 * The domain functions audit every access; these check the object first. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/ids.h"
#include "core/json.h"
#include "records/diagnosis.h"
#include "records/document.h"
#include "records/note.h"
#include "rx/prescription.h"
#include "server/auth.h"
#include "server/h_rx.h"
#include "server/server.h"

/* ---- shared helpers ---------------------------------------------------------- */

struct records_actor hrx_actor(const struct ly_req *req) {
  const struct ly_account *a = req->acct;
  struct records_actor w = {a->id, a->role_name, a->facility_id[0] ? a->facility_id : NULL};
  return w;
}

void hrx_ctx(const struct ly_req *req, struct rx_ctx *cx) {
  rx_ctx_init(cx, req->srv->db, req->srv->clock, &req->srv->keys);
}

int hrx_error(struct ly_req *req, struct ly_resp *resp, const struct ly_error *e,
              const struct rules_result *viol) {
  ly_resp_error(req, resp, e);
  json_t *err = resp->json ? json_object_get(resp->json, "error") : NULL;
  if (err && viol && viol->n > 0) json_object_set_new(err, "violations", prescription_violations_json(viol));
  return 0;
}

int hrx_patient(struct ly_req *req, struct ly_resp *resp, const char *patient_id, int write) {
  int rc = authz_patient(req->srv, req->acct, patient_id, write);
  if (rc == 0) return 0;
  struct ly_error e;
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  hrx_ctx(req, &cx);
  if (rc == LY_ENOTFOUND)
    ly_error_set(&e, rc, "records.patient_not_found", "No such patient.", "未找到该患者。");
  else if (rc == LY_EFORBIDDEN)
    ly_error_set(&e, rc, "auth.forbidden", "You may not see or change this patient's record.",
                 "您无权查看或修改该患者的病历。");
  else
    ly_error_set(&e, rc, NULL, NULL, NULL);
  if (rc == LY_EFORBIDDEN)
    records_audit_refusal(&cx.rec, &who, write ? "record.write" : "record.read", patient_id, "patient",
                          patient_id, &e);
  ly_resp_error(req, resp, &e);
  return 1;
}

int hrx_str(struct ly_req *req, struct ly_resp *resp, const char *key, size_t max, int required,
            const char **out) {
  struct ly_error e;
  *out = NULL;
  ly_error_clear(&e);
  if (ly_json_get_str(req->json, key, max, required, out, &e) == 0) return 0;
  ly_resp_error(req, resp, &e);
  return 1;
}

int hrx_b64(struct ly_req *req, struct ly_resp *resp, const char *key, size_t max, void **out,
            size_t *outlen) {
  const char *s = NULL;
  *out = NULL;
  *outlen = 0;
  if (hrx_str(req, resp, key, max / 3 * 4 + 8, 1, &s)) return 1;
  size_t n = strlen(s);
  char *url = malloc(n + 1);
  uint8_t *bin = malloc(max + 1);
  while (n > 0 && s[n - 1] == '=')
    n--;
  for (size_t i = 0; url && i < n; i++)
    url[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
  size_t got = 0;
  if (!url || !bin || ly_b64url_decode(url, n, bin, max, &got) != 0) {
    free(url);
    free(bin);
    ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field", "The document must be base64.",
                      "文件须为 base64 编码。");
    return 1;
  }
  free(url);
  *out = bin;
  *outlen = got;
  return 0;
}

/* Parse "YYYY-MM-DD" or ISO-8601 of a body field; 1 with the response filled. */
static int hr_date(struct ly_req *req, struct ly_resp *resp, const char *key, int64_t *out) {
  const char *s = NULL;
  if (hrx_str(req, resp, key, 32, 1, &s)) return 1;
  if (ly_time_parse(s, out) == 0) return 0;
  ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_field", "Dates are written YYYY-MM-DD.",
                    "日期格式须为 YYYY-MM-DD。");
  return 1;
}

/* Look up an object's patient and check access; 1 with the response filled. */
static int hr_object(struct ly_req *req, struct ly_resp *resp, int lookup_rc, const char *patient,
                     int write) {
  if (lookup_rc == LY_ENOTFOUND)
    return ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "not_found", "Not found.", "未找到。"), 1;
  if (lookup_rc) return ly_resp_fail(req, resp, lookup_rc, NULL, NULL), 1;
  return hrx_patient(req, resp, patient, write);
}

/* ---- offline diagnoses ----------------------------------------------------------- */

int h_diagnoses_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  json_t *arr = NULL;
  if (hrx_patient(req, resp, req->params[0], 0)) return 0;
  hrx_ctx(req, &cx);
  if (diagnosis_list(&cx.rec, &who, req->params[0], &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "diagnoses", arr));
}

int h_diagnoses_add(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct diagnosis_new in = {req->params[0], NULL, NULL, NULL, 0, NULL};
  char id[LY_ID_MAX];
  if (hrx_patient(req, resp, req->params[0], 1) || hrx_str(req, resp, "icd10", 16, 1, &in.icd10) ||
      hrx_str(req, resp, "facility_id", 64, 0, &in.facility_id) ||
      hrx_str(req, resp, "note", DIAGNOSIS_NOTE_MAX, 0, &in.note) ||
      hr_date(req, resp, "diagnosed_on", &in.diagnosed_at))
    return 0;
  hrx_ctx(req, &cx);
  if (diagnosis_add(&cx.rec, &who, &in, id, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 201, json_pack("{s:s, s:b}", "id", id, "verified", 1));
}

int h_diagnoses_upload(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct diagnosis_upload up;
  char id[LY_ID_MAX];
  void *doc = NULL;
  memset(&up, 0, sizeof up);
  up.dx.patient_id = req->params[0];
  if (hrx_patient(req, resp, req->params[0], 1) || hrx_str(req, resp, "icd10", 16, 1, &up.dx.icd10) ||
      hrx_str(req, resp, "facility_id", 64, 1, &up.dx.facility_id) ||
      hrx_str(req, resp, "claimed_text", DIAGNOSIS_NOTE_MAX, 0, &up.claimed_text) ||
      hrx_str(req, resp, "content_type", 32, 1, &up.content_type) ||
      hr_date(req, resp, "diagnosed_on", &up.dx.diagnosed_at) ||
      hrx_b64(req, resp, "document", DOCUMENT_MAX, &doc, &up.doc_len))
    return 0;
  up.doc = doc;
  hrx_ctx(req, &cx);
  int rc = diagnosis_upload(&cx.rec, &who, &up, id, &e);
  free(doc);
  if (rc) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 201, json_pack("{s:s, s:b}", "id", id, "verified", 0));
}

int h_diagnoses_verify(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char patient[LY_ID_MAX];
  const char *reason = NULL;
  int accept = 0;
  hrx_ctx(req, &cx);
  if (hr_object(req, resp, diagnosis_patient(&cx.rec, req->params[0], patient), patient, 1) ||
      hrx_str(req, resp, "reason", DIAGNOSIS_NOTE_MAX, 0, &reason))
    return 0;
  ly_error_clear(&e);
  if (ly_json_get_bool(req->json, "accept", 1, &accept, &e)) return hrx_error(req, resp, &e, NULL);
  if (diagnosis_verify(&cx.rec, &who, req->params[0], accept, reason, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:s, s:b}", "id", req->params[0], "verified", accept));
}

int h_documents_get(struct ly_req *req, struct ly_resp *resp) {
  static const char *const types[] = {"image/jpeg", "image/png", "application/pdf"};
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct document d;
  char patient[LY_ID_MAX];
  hrx_ctx(req, &cx);
  if (hr_object(req, resp, document_patient(&cx.rec, req->params[0], patient), patient, 0)) return 0;
  if (document_get(&cx.rec, &who, req->params[0], &d, &e)) return hrx_error(req, resp, &e, NULL);
  resp->content_type = "application/octet-stream";
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(d.content_type, types[i]) == 0) resp->content_type = types[i];
  resp->raw = d.data;
  resp->raw_len = d.size;
  resp->status = 200;
  ly_resp_header(resp, "Cache-Control", "private, no-store");
  return 0;
}

/* ---- consultation notes ------------------------------------------------------------ */

int h_notes_list(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char patient[LY_ID_MAX];
  json_t *arr = NULL;
  hrx_ctx(req, &cx);
  if (hr_object(req, resp, note_consultation_patient(&cx.rec, req->params[0], patient), patient, 0)) return 0;
  if (note_list(&cx.rec, &who, req->params[0], &arr, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "notes", arr));
}

/* The body's diagnoses: an array of ICD-10 strings (the domain checks them). */
static int hr_note_input(struct ly_req *req, struct ly_resp *resp, struct note_input *in, const char **dx) {
  json_t *arr = NULL;
  struct ly_error e;
  ly_error_clear(&e);
  if (hrx_str(req, resp, "chief_complaint", NOTE_SHORT_MAX, 0, &in->chief_complaint) ||
      hrx_str(req, resp, "history", NOTE_LONG_MAX, 0, &in->history) ||
      hrx_str(req, resp, "findings", NOTE_LONG_MAX, 0, &in->findings) ||
      hrx_str(req, resp, "advice", NOTE_LONG_MAX, 0, &in->advice) ||
      hrx_str(req, resp, "correction_reason", NOTE_SHORT_MAX, 0, &in->correction_reason))
    return 1;
  if (ly_json_get_array(req->json, "diagnoses", NOTE_MAX_DIAGNOSES, 0, &arr, &e))
    return hrx_error(req, resp, &e, NULL), 1;
  for (size_t i = 0; arr && i < json_array_size(arr); i++) {
    dx[i] = json_string_value(json_array_get(arr, i));
    if (!dx[i]) {
      ly_resp_fail_i18n(req, resp, LY_EINVAL, "records.icd10_invalid", "Diagnoses are ICD-10 codes.",
                        "诊断须为ICD-10编码。");
      return 1;
    }
  }
  in->icd10 = dx;
  in->nicd10 = arr ? json_array_size(arr) : 0;
  return 0;
}

int h_notes_save(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  struct note_input in;
  const char *dx[NOTE_MAX_DIAGNOSES];
  char patient[LY_ID_MAX], id[LY_ID_MAX];
  json_t *note = NULL;
  memset(&in, 0, sizeof in);
  hrx_ctx(req, &cx);
  if (hr_object(req, resp, note_consultation_patient(&cx.rec, req->params[0], patient), patient, 1) ||
      hr_note_input(req, resp, &in, dx))
    return 0;
  if (note_save(&cx.rec, &who, req->params[0], &in, id, &e) || note_get(&cx.rec, &who, id, &note, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "note", note));
}

int h_notes_get(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char patient[LY_ID_MAX];
  json_t *note = NULL;
  hrx_ctx(req, &cx);
  if (hr_object(req, resp, note_patient(&cx.rec, req->params[0], patient), patient, 0)) return 0;
  if (note_get(&cx.rec, &who, req->params[0], &note, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "note", note));
}

int h_notes_sign(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char patient[LY_ID_MAX];
  json_t *note = NULL;
  hrx_ctx(req, &cx);
  if (hr_object(req, resp, note_patient(&cx.rec, req->params[0], patient), patient, 1)) return 0;
  if (note_sign(&cx.rec, &who, req->params[0], &e) || note_get(&cx.rec, &who, req->params[0], &note, &e))
    return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, json_pack("{s:o}", "note", note));
}

int h_notes_signed(struct ly_req *req, struct ly_resp *resp) {
  struct rx_ctx cx;
  struct records_actor who = hrx_actor(req);
  struct ly_error e;
  char patient[LY_ID_MAX];
  json_t *env = NULL;
  hrx_ctx(req, &cx);
  if (hr_object(req, resp, note_patient(&cx.rec, req->params[0], patient), patient, 0)) return 0;
  if (note_signed(&cx.rec, &who, req->params[0], &env, &e)) return hrx_error(req, resp, &e, NULL);
  return ly_resp_json(resp, 200, env);
}
