/* server/h_sessions.c — sign in, sign out, who am I.
 *
 *   POST   /api/v1/sessions          {username, password} → 201 {token, expires_at, account}
 *   DELETE /api/v1/sessions/current  → 204 (the token stops working at once)
 *   GET    /api/v1/me                → {account}
 */
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "server/auth.h"
#include "server/handlers.h"
#include "server/server.h"

#define USERNAME_MAX 64
#define PASSWORD_MAX 256

/* A patient's account also names its patient record (the id their own
 * record's routes take: /api/v1/patients/{id}/...). */
json_t *h_account_json(const struct ly_account *acct) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", acct->id, "username", acct->username, "role",
                        acct->role_name, "name", acct->name, "name_en", acct->name_en);
  if (o && acct->role == LY_ROLE_PATIENT && acct->patient_id[0])
    json_object_set_new(o, "patient_id", json_string(acct->patient_id));
  return o;
}

int h_sessions_create(struct ly_req *req, struct ly_resp *resp) {
  const char *username = NULL, *password = NULL;
  struct ly_account acct;
  struct ly_error e;
  char token[64];
  int64_t expires_at = 0;

  ly_error_clear(&e);
  if (req->json == NULL || !json_is_object(req->json))
    return ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_body",
                             "Send a JSON object with username and password.",
                             "请以 JSON 对象提交用户名和密码。");
  if (ly_json_get_str(req->json, "username", USERNAME_MAX, 1, &username, &e) != 0 ||
      ly_json_get_str(req->json, "password", PASSWORD_MAX, 1, &password, &e) != 0)
    return ly_resp_error(req, resp, &e);
  if (auth_login(req->srv, username, password, req->ip, &acct, token, sizeof(token), &expires_at, &e) != 0)
    return ly_resp_error(req, resp, &e);
  json_t *body = json_pack("{s:s, s:I, s:o}", "token", token, "expires_at", (json_int_t)expires_at, "account",
                           h_account_json(&acct));
  memset(token, 0, sizeof(token));
  return ly_resp_json(resp, 201, body);
}

int h_sessions_delete_current(struct ly_req *req, struct ly_resp *resp) {
  int rc = auth_logout(req->srv, req->token);
  if (rc == LY_ENOTFOUND)
    return ly_resp_fail_i18n(req, resp, LY_EAUTH, "auth.session_expired", "Your session has already ended.",
                             "登录已结束。");
  if (rc != 0) return rc;
  return ly_resp_json(resp, 204, NULL);
}

int h_me_get(struct ly_req *req, struct ly_resp *resp) {
  return ly_resp_json(resp, 200, json_pack("{s:o}", "account", h_account_json(req->acct)));
}
