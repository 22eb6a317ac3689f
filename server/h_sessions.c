/* server/h_sessions.c — sign in, sign out, who am I.
 *
 *   POST   /api/v1/sessions          {username, password} → 201 {token, expires_at, account}
 *   DELETE /api/v1/sessions/current  → 204 (the token stops working at once)
 *   GET    /api/v1/me                → {account}
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "server/auth.h"
#include "server/handlers.h"
#include "server/server.h"
#include "server/server_internal.h"

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

/* A sign-in waiting for its password check on the offload thread. */
struct login_job {
  struct ly_offload_job job; /* first: the offload hands this back */
  struct auth_login login;
  uint32_t handle; /* the deferred HTTP answer */
  const char *lang;
};

static void login_work(struct ly_offload_job *j) {
  auth_login_check(&((struct login_job *)j)->login);
}

static void login_done(struct ly_server *srv, struct ly_offload_job *j) {
  struct login_job *lj = (struct login_job *)j;
  struct ly_req req = {.srv = srv, .lang = lj->lang};
  struct ly_resp resp = {.status = 200};
  struct ly_account acct;
  struct ly_error e;
  char token[64];
  int64_t expires_at = 0;

  if (!j->cancelled) {
    ly_error_clear(&e);
    if (auth_login_finish(srv, &lj->login, &acct, token, sizeof(token), &expires_at, &e) != 0) {
      ly_resp_error(&req, &resp, &e);
    } else {
      ly_resp_json(&resp, 201,
                   json_pack("{s:s, s:I, s:o}", "token", token, "expires_at", (json_int_t)expires_at,
                             "account", h_account_json(&acct)));
      OPENSSL_cleanse(token, sizeof(token));
    }
    ly_req_finish(srv, lj->handle, &resp);
  }
  OPENSSL_cleanse(lj, sizeof(*lj));
  free(lj);
}

static int busy(struct ly_req *req, struct ly_resp *resp) {
  return ly_resp_fail_i18n(req, resp, LY_EAGAIN, "auth.busy",
                           "Too many people are signing in right now. Please try again in a moment.",
                           "当前登录人数过多，请稍后再试。");
}

/* The password check (scrypt) runs off the service thread; the answer
 * follows when it is done (ly_req_defer). */
int h_sessions_create(struct ly_req *req, struct ly_resp *resp) {
  const char *username = NULL, *password = NULL;
  struct ly_error e;
  uint32_t handle = 0;

  ly_error_clear(&e);
  if (req->json == NULL || !json_is_object(req->json))
    return ly_resp_fail_i18n(req, resp, LY_EINVAL, "request.invalid_body",
                             "Send a JSON object with username and password.",
                             "请以 JSON 对象提交用户名和密码。");
  if (ly_json_get_str(req->json, "username", USERNAME_MAX, 1, &username, &e) != 0 ||
      ly_json_get_str(req->json, "password", PASSWORD_MAX, 1, &password, &e) != 0)
    return ly_resp_error(req, resp, &e);
  /* before the attempt counts against the username's failure window */
  int room = offload_room(req->srv);
  if (room == 0) return busy(req, resp);
  struct login_job *lj = calloc(1, sizeof(*lj));
  if (lj == NULL) return LY_ENOMEM;
  snprintf(lj->login.username, sizeof(lj->login.username), "%s", username);
  snprintf(lj->login.password, sizeof(lj->login.password), "%s", password);
  snprintf(lj->login.ip, sizeof(lj->login.ip), "%s", req->ip ? req->ip : "");
  lj->lang = req->lang;
  lj->job.work = login_work;
  lj->job.done = login_done;
  int rc = auth_login_start(req->srv, &lj->login, &e);
  if (rc == 0 && req->conn != NULL && room > 0 && (rc = ly_req_defer(req, &handle)) == 0) {
    lj->handle = handle;
    offload_submit(req->srv, &lj->job); /* there is room: it takes the job */
    return 0;
  }
  if (rc == 0) { /* no worker thread (a tool, a harness calling the handler): check here */
    struct ly_account acct;
    char token[64];
    int64_t expires_at = 0;
    auth_login_check(&lj->login);
    rc = auth_login_finish(req->srv, &lj->login, &acct, token, sizeof(token), &expires_at, &e);
    if (rc == 0)
      ly_resp_json(resp, 201,
                   json_pack("{s:s, s:I, s:o}", "token", token, "expires_at", (json_int_t)expires_at,
                             "account", h_account_json(&acct)));
    OPENSSL_cleanse(token, sizeof(token));
  }
  OPENSSL_cleanse(lj, sizeof(*lj));
  free(lj);
  if (rc == LY_EAGAIN) return busy(req, resp);
  return rc == 0 ? 0 : ly_resp_error(req, resp, &e);
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
