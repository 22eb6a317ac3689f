/* server/auth.h — accounts, sessions, login rate limiting and the
 * authorization helper that every handler uses.
 */
#ifndef LY_AUTH_H
#define LY_AUTH_H

#include <stdint.h>

#include "core/crypto.h"
#include "server/http.h"

struct ly_server;
struct ly_auth;

int auth_init(struct ly_server *srv, struct ly_auth **out);
void auth_close(struct ly_auth *a);

/* Check username/password. On success fills acct, creates a session and
 * writes its bearer token (base64url of 32 random bytes; only its SHA-256 is
 * stored) into token_out and expiry into *expires_at. Wrong credentials:
 * LY_EAUTH with the same message whether the user exists or not. More than 5
 * failures for one username within a minute: LY_ERATE for the rest of it. */
int auth_login(struct ly_server *srv, const char *username, const char *password, const char *ip,
               struct ly_account *acct, char *token_out, size_t token_sz, int64_t *expires_at,
               struct ly_error *e);
/* The same sign-in in three steps, so that the password hash (scrypt,
 * ~150 ms) runs off the service thread (server/offload.c):
 * auth_login_start on the service thread (the failure window: LY_ERATE; the
 * account's hash, or a dummy one); auth_login_check on any thread (only the
 * struct; wipes the password); auth_login_finish on the service thread
 * (counts a failure or makes the session, as auth_login). Fill username,
 * password and ip before the start. */
struct auth_login {
  char username[72];
  char password[257];
  char ip[64];
  char id[64];
  char hash[LY_PASSWORD_HASH_MAX];
  int disabled, verify_rc;
};
int auth_login_start(struct ly_server *srv, struct auth_login *l, struct ly_error *e);
void auth_login_check(struct auth_login *l);
int auth_login_finish(struct ly_server *srv, struct auth_login *l, struct ly_account *acct, char *token_out,
                      size_t token_sz, int64_t *expires_at, struct ly_error *e);
/* Resolve a bearer token to its account: LY_EAUTH (auth.required /
 * auth.session_expired) when absent, unknown, revoked or expired. */
int auth_session(struct ly_server *srv, const char *token, struct ly_account *acct, struct ly_error *e);
int auth_logout(struct ly_server *srv, const char *token);
/* Load an account by id (roles' extra ids filled in). */
int auth_load_account(struct ly_server *srv, const char *account_id, struct ly_account *acct);

/* Object-level check: may this account see this patient's data?
 * patient: only themselves; doctor: patients they consult, were referred or
 * are contracted with (tables added by later features register here);
 * supervisor: read-only, yes; admin: no clinical data; pharmacy roles: no
 * (prescription-level checks live in rx). 0, LY_EFORBIDDEN or LY_ENOTFOUND.
 * `write` asks for permission to change it (supervisors: no). */
int authz_patient(struct ly_server *srv, const struct ly_account *acct, const char *patient_id, int write);

#endif
