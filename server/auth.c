/* server/auth.c — accounts, sessions, the login failure window, and the
 * object-level check on patients' data.
 *
 * Login answers the same 401 (auth.invalid_credentials) for an unknown user,
 * a wrong password and a disabled account, and spends one scrypt on each so
 * the time does not tell them apart either. Failures are counted per
 * username in a fixed in-memory table: after 5 failures inside a 60 s window
 * every attempt is 429 (auth.too_many_attempts) until the window ends; an
 * attempt counts from its start, so checks still running count too. The
 * scrypt runs off the service thread (auth_login_start / _check / _finish,
 * server/h_sessions.c and server/offload.c). Bearer tokens are 32 random bytes in base64url; only their SHA-256 is
 * stored. A login or logout and its audit entry commit in one transaction.
 */
#include "server/auth.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/ids.h"
#include "server/server.h"

#define FAIL_SLOTS     512
#define FAIL_WINDOW_MS 60000
#define FAIL_LIMIT     5 /* failures allowed per window; the next attempt is refused */
#define TOKEN_BYTES    32
#define TOKEN_LEN      43

/* A well-formed scrypt encoding no password matches: verifying against it
 * costs what verifying a real hash costs. */
static const char dummy_hash[] =
    "scrypt$15$8$1$bGlhbnlpLWR1bW15LXNsdA$bm8tcGFzc3dvcmQtaGFzaGVzLXRvLXRoaXMta2V5ISE";

struct fail_slot {
  char username[72];
  int64_t start_ms; /* monotonic start of the window */
  int count;
};

struct ly_auth {
  struct fail_slot slots[FAIL_SLOTS];
};

int auth_init(struct ly_server *srv, struct ly_auth **out) {
  (void)srv;
  *out = calloc(1, sizeof(**out));
  return *out ? 0 : LY_ENOMEM;
}

void auth_close(struct ly_auth *a) {
  free(a);
}

/* --- the failure window --------------------------------------------------- */

static struct fail_slot *fail_find(struct ly_auth *a, const char *username) {
  for (size_t i = 0; i < FAIL_SLOTS; i++)
    if (a->slots[i].username[0] && strcmp(a->slots[i].username, username) == 0) return &a->slots[i];
  return NULL;
}

static int fail_locked(struct ly_auth *a, const char *username, int64_t now) {
  struct fail_slot *s = fail_find(a, username);
  return s != NULL && now - s->start_ms < FAIL_WINDOW_MS && s->count >= FAIL_LIMIT;
}

/* Count a failure. A full table reuses an expired slot, else the oldest. */
static void fail_record(struct ly_auth *a, const char *username, int64_t now) {
  struct fail_slot *s = fail_find(a, username);

  if (s == NULL) {
    s = &a->slots[0];
    for (size_t i = 0; i < FAIL_SLOTS; i++) {
      struct fail_slot *c = &a->slots[i];
      if (!c->username[0] || now - c->start_ms >= FAIL_WINDOW_MS) {
        s = c;
        break;
      }
      if (c->start_ms < s->start_ms) s = c;
    }
    snprintf(s->username, sizeof(s->username), "%s", username);
    s->count = 0;
    s->start_ms = now;
  }
  if (now - s->start_ms >= FAIL_WINDOW_MS) {
    s->start_ms = now;
    s->count = 0;
  }
  s->count++;
}

static void fail_clear(struct ly_auth *a, const char *username) {
  struct fail_slot *s = fail_find(a, username);
  if (s != NULL) memset(s, 0, sizeof(*s));
}

/* --- accounts ------------------------------------------------------------- */

static const struct {
  const char *name;
  enum ly_role role;
} roles[] = {
    {"patient", LY_ROLE_PATIENT},       {"doctor", LY_ROLE_DOCTOR},
    {"pharmacist", LY_ROLE_PHARMACIST}, {"pharmacy_staff", LY_ROLE_PHARMACY_STAFF},
    {"admin", LY_ROLE_ADMIN},           {"supervisor", LY_ROLE_SUPERVISOR},
};

static void copy(char *dst, size_t dstsz, const char *src) {
  snprintf(dst, dstsz, "%s", src ? src : "");
}

static const char sql_account[] =
    "SELECT a.id, a.username, a.role, a.name, a.name_en, a.disabled,"
    " (SELECT p.id FROM patients p WHERE p.account_id = a.id),"
    " COALESCE((SELECT d.facility_id FROM doctors d WHERE d.account_id = a.id),"
    "          (SELECT ph.facility_id FROM pharmacists ph WHERE ph.account_id = a.id)),"
    " (SELECT s.pharmacy_id FROM pharmacy_staff s WHERE s.account_id = a.id)"
    " FROM accounts a WHERE a.id = ?1";

/* Load an account; *disabled (may be NULL) says whether it is switched off. */
static int load_account(struct ly_server *srv, const char *id, struct ly_account *acct, int *disabled) {
  sqlite3_stmt *st = ly_db_stmt(srv->db, sql_account);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(srv->db, rc);
  }
  memset(acct, 0, sizeof(*acct));
  copy(acct->id, sizeof(acct->id), ly_db_col_text(st, 0));
  copy(acct->username, sizeof(acct->username), ly_db_col_text(st, 1));
  copy(acct->role_name, sizeof(acct->role_name), ly_db_col_text(st, 2));
  copy(acct->name, sizeof(acct->name), ly_db_col_text(st, 3));
  copy(acct->name_en, sizeof(acct->name_en), ly_db_col_text(st, 4));
  if (disabled != NULL) *disabled = sqlite3_column_int(st, 5) != 0;
  copy(acct->patient_id, sizeof(acct->patient_id), ly_db_col_text(st, 6));
  copy(acct->facility_id, sizeof(acct->facility_id), ly_db_col_text(st, 7));
  copy(acct->pharmacy_id, sizeof(acct->pharmacy_id), ly_db_col_text(st, 8));
  sqlite3_reset(st);
  for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
    if (strcmp(acct->role_name, roles[i].name) == 0) acct->role = roles[i].role;
  return acct->role ? 0 : LY_EINTERNAL;
}

int auth_load_account(struct ly_server *srv, const char *account_id, struct ly_account *acct) {
  return load_account(srv, account_id, acct, NULL);
}

/* --- login ---------------------------------------------------------------- */

static int invalid_credentials(struct ly_error *e) {
  return ly_error_set(e, LY_EAUTH, "auth.invalid_credentials", "The username or password is incorrect.",
                      "用户名或密码不正确。");
}

struct login_tx {
  const struct ly_account *acct;
  const uint8_t *hash;
  int64_t now, expires_at;
  const char *ip;
};

static const char sql_session_insert[] =
    "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)";

static int audit_session(struct ly_db *db, const struct ly_account *acct, int64_t now, const char *action,
                         const char *outcome, const char *detail) {
  struct ly_audit_entry a = {
      .at_ms = now,
      .actor_id = acct->id,
      .actor_role = acct->role_name,
      .action = action,
      .patient_id = acct->patient_id[0] ? acct->patient_id : NULL,
      .object_type = "session",
      .outcome = outcome,
      .detail = detail,
  };
  return ly_audit_append(db, &a, NULL);
}

static int login_tx_fn(struct ly_db *db, void *ud) {
  struct login_tx *t = ud;
  char detail[96];

  snprintf(detail, sizeof(detail), "ip=%s", t->ip ? t->ip : "");
  sqlite3_stmt *st = ly_db_stmt(db, sql_session_insert);
  if (st == NULL) return LY_EDB;
  ly_db_bind_blob(st, 1, t->hash, LY_SHA256_LEN);
  ly_db_bind_text(st, 2, t->acct->id);
  ly_db_bind_int(st, 3, t->now);
  ly_db_bind_int(st, 4, t->expires_at);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(db, rc);
  return audit_session(db, t->acct, t->now, "session.login", "ok", detail);
}

static const char sql_login_lookup[] = "SELECT id, password_hash, disabled FROM accounts WHERE username = ?1";

int auth_login_start(struct ly_server *srv, struct auth_login *l, struct ly_error *e) {
  l->id[0] = '\0';
  l->disabled = 0;
  l->verify_rc = LY_EAUTH;
  copy(l->hash, sizeof(l->hash), dummy_hash);
  int64_t mono = ly_mono_ms(srv->clock);
  if (fail_locked(srv->auth, l->username, mono))
    return ly_error_set(e, LY_ERATE, "auth.too_many_attempts",
                        "Too many failed sign-in attempts. Please wait a minute and try again.",
                        "登录失败次数过多，请一分钟后再试。");
  /* Counted as a failure from the start, cleared on success: attempts still
   * being checked on the offload thread count against the window too. */
  fail_record(srv->auth, l->username, mono);
  sqlite3_stmt *st = ly_db_stmt(srv->db, sql_login_lookup);
  if (st == NULL) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, l->username);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    copy(l->id, sizeof(l->id), ly_db_col_text(st, 0));
    copy(l->hash, sizeof(l->hash), ly_db_col_text(st, 1));
    l->disabled = sqlite3_column_int(st, 2) != 0;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ly_error_set(e, ly_db_rc(srv->db, rc), NULL, NULL, NULL);
  return 0;
}

/* The same work whether the user exists or not: an unknown name is checked
 * against a hash no password matches. */
void auth_login_check(struct auth_login *l) {
  l->verify_rc = ly_password_verify(l->password, l->hash);
  OPENSSL_cleanse(l->password, sizeof(l->password));
}

int auth_login_finish(struct ly_server *srv, struct auth_login *l, struct ly_account *acct, char *token_out,
                      size_t token_sz, int64_t *expires_at, struct ly_error *e) {
  int64_t now = ly_now_ms(srv->clock);
  uint8_t hash[LY_SHA256_LEN];
  int rc = l->verify_rc;

  if (rc == LY_EPARSE && l->id[0])
    LY_ERROR(&srv->log, "auth.bad_hash", "account %s has an unreadable password hash", l->id);
  if (rc != 0 || !l->id[0] || l->disabled) {
    /* Not audited: a database write only for existing accounts would make
     * the answer measurably slower for them than for unknown names. The
     * failure was counted at the start. */
    if (l->id[0])
      LY_INFO(&srv->log, "auth.login_failed", "failed sign-in to account %s", l->id);
    else
      LY_INFO(&srv->log, "auth.login_failed", "failed sign-in (unknown user)");
    return invalid_credentials(e);
  }
  fail_clear(srv->auth, l->username);
  if ((rc = load_account(srv, l->id, acct, NULL)) != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  if (token_sz < TOKEN_LEN + 1) return ly_error_set(e, LY_ETOOBIG, NULL, NULL, NULL);
  if ((rc = ly_token_new(TOKEN_BYTES, token_out, token_sz)) != 0 ||
      (rc = ly_sha256(token_out, strlen(token_out), hash)) != 0)
    return ly_error_set(e, rc, NULL, NULL, NULL);
  struct login_tx t = {
      .acct = acct, .hash = hash, .now = now, .expires_at = now + srv->cfg.session_ttl_s * 1000, .ip = l->ip};
  if ((rc = ly_db_tx(srv->db, login_tx_fn, &t)) != 0) {
    memset(token_out, 0, token_sz);
    return ly_error_set(e, rc, NULL, NULL, NULL);
  }
  *expires_at = t.expires_at;
  return 0;
}

int auth_login(struct ly_server *srv, const char *username, const char *password, const char *ip,
               struct ly_account *acct, char *token_out, size_t token_sz, int64_t *expires_at,
               struct ly_error *e) {
  struct auth_login *l = calloc(1, sizeof(*l));
  if (l == NULL) return ly_error_set(e, LY_ENOMEM, NULL, NULL, NULL);
  copy(l->username, sizeof(l->username), username);
  copy(l->password, sizeof(l->password), password);
  copy(l->ip, sizeof(l->ip), ip);
  int rc = auth_login_start(srv, l, e);
  if (rc == 0) {
    auth_login_check(l);
    rc = auth_login_finish(srv, l, acct, token_out, token_sz, expires_at, e);
  }
  OPENSSL_cleanse(l, sizeof(*l));
  free(l);
  return rc;
}

/* --- sessions ------------------------------------------------------------- */

static const char sql_session_get[] =
    "SELECT account_id, expires_at, revoked_at IS NOT NULL FROM sessions WHERE token_hash = ?1";

/* The session row of a token: 0, LY_ENOTFOUND, or a db error. */
static int session_get(struct ly_server *srv, const char *token, char *account_id, size_t idsz,
                       int64_t *expires, int *revoked) {
  uint8_t hash[LY_SHA256_LEN];

  if (strlen(token) != TOKEN_LEN || ly_sha256(token, TOKEN_LEN, hash) != 0) return LY_ENOTFOUND;
  sqlite3_stmt *st = ly_db_stmt(srv->db, sql_session_get);
  if (st == NULL) return LY_EDB;
  ly_db_bind_blob(st, 1, hash, LY_SHA256_LEN);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    copy(account_id, idsz, ly_db_col_text(st, 0));
    *expires = sqlite3_column_int64(st, 1);
    *revoked = sqlite3_column_int(st, 2);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return LY_ENOTFOUND;
  return rc == SQLITE_ROW ? 0 : ly_db_rc(srv->db, rc);
}

int auth_session(struct ly_server *srv, const char *token, struct ly_account *acct, struct ly_error *e) {
  char id[LY_ID_MAX + 16];
  int64_t expires = 0;
  int revoked = 0, disabled = 0;

  if (token == NULL || token[0] == '\0')
    return ly_error_set(e, LY_EAUTH, "auth.required", "Please sign in first.", "请先登录，再进行此操作。");
  int rc = session_get(srv, token, id, sizeof(id), &expires, &revoked);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_EAUTH, "auth.required", "This sign-in is not valid. Please sign in again.",
                        "登录凭证无效，请重新登录。");
  if (rc != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  if (revoked || expires <= ly_now_ms(srv->clock))
    return ly_error_set(e, LY_EAUTH, "auth.session_expired", "Your session has ended. Please sign in again.",
                        "登录已过期，请重新登录。");
  rc = load_account(srv, id, acct, &disabled);
  if (rc == LY_ENOTFOUND || (rc == 0 && disabled))
    return ly_error_set(e, LY_EAUTH, "auth.session_expired", "Your session has ended. Please sign in again.",
                        "登录已过期，请重新登录。");
  return rc ? ly_error_set(e, rc, NULL, NULL, NULL) : 0;
}

struct logout_tx {
  const struct ly_account *acct;
  const uint8_t *hash;
  int64_t now;
};

static const char sql_session_revoke[] =
    "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL";

static int logout_tx_fn(struct ly_db *db, void *ud) {
  struct logout_tx *t = ud;
  sqlite3_stmt *st = ly_db_stmt(db, sql_session_revoke);
  if (st == NULL) return LY_EDB;
  ly_db_bind_blob(st, 1, t->hash, LY_SHA256_LEN);
  ly_db_bind_int(st, 2, t->now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(db, rc);
  if (sqlite3_changes(ly_db_sqlite(db)) == 0) return LY_ENOTFOUND;
  return audit_session(db, t->acct, t->now, "session.logout", "ok", NULL);
}

int auth_logout(struct ly_server *srv, const char *token) {
  char id[LY_ID_MAX + 16];
  int64_t expires;
  int revoked;
  uint8_t hash[LY_SHA256_LEN];
  struct ly_account acct;

  int rc = session_get(srv, token ? token : "", id, sizeof(id), &expires, &revoked);
  if (rc != 0) return rc;
  if (revoked) return LY_ENOTFOUND;
  if ((rc = load_account(srv, id, &acct, NULL)) != 0) return rc;
  if ((rc = ly_sha256(token, strlen(token), hash)) != 0) return rc;
  struct logout_tx t = {.acct = &acct, .hash = hash, .now = ly_now_ms(srv->clock)};
  return ly_db_tx(srv->db, logout_tx_fn, &t);
}

/* --- object-level checks -------------------------------------------------- */

/* How a doctor can be linked to a patient: each statement binds ?1 = the
 * doctor's account id and ?2 = the patient id and returns a row when they
 * are linked. Features that create links (referrals, family-doctor
 * contracts) add their statement here. A statement whose tables do not
 * exist fails to prepare and is skipped. */
static const char *const doctor_links[] = {
    /* a booking cancelled before the call never made the doctor the patient's */
    "SELECT 1 FROM consultations WHERE doctor_id = ?1 AND patient_id = ?2 AND state <> 'cancelled' LIMIT 1",
    "SELECT 1 FROM consultation_participants cp JOIN consultations c ON c.id = cp.consultation_id"
    " WHERE cp.account_id = ?1 AND c.patient_id = ?2 AND c.state <> 'cancelled' LIMIT 1",
    /* referral/: the family doctor; the referrer; the receiving GP or department */
    "SELECT 1 FROM family_doctor_contracts WHERE doctor_id = ?1 AND patient_id = ?2 AND state = 'active'"
    " LIMIT 1",
    "SELECT 1 FROM referrals r LEFT JOIN doctors d ON d.account_id = ?1 WHERE r.patient_id = ?2 AND"
    " (r.from_doctor_id = ?1 OR (r.state NOT IN ('rejected', 'cancelled') AND (r.to_doctor_id = ?1 OR"
    " (r.direction = 'up' AND r.to_department_id = d.department_id)))) LIMIT 1",
    "SELECT 1 FROM remote_consultations rc LEFT JOIN doctors d ON d.account_id = ?1 WHERE rc.patient_id = ?2"
    " AND (rc.gp_id = ?1 OR (rc.state NOT IN ('rejected', 'cancelled') AND rc.department_id = d.department_id))"
    " LIMIT 1",
    NULL,
};

static const char sql_patient_exists[] = "SELECT 1 FROM patients WHERE id = ?1";

static int row_exists(struct ly_server *srv, const char *sql, const char *a, const char *b) {
  sqlite3_stmt *st = ly_db_stmt(srv->db, sql);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, a);
  if (b != NULL) ly_db_bind_text(st, 2, b);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 1;
  return rc == SQLITE_DONE ? 0 : ly_db_rc(srv->db, rc);
}

static int doctor_linked(struct ly_server *srv, const char *doctor_id, const char *patient_id) {
  for (size_t i = 0; doctor_links[i] != NULL; i++) {
    int r = row_exists(srv, doctor_links[i], doctor_id, patient_id);
    if (r == 1) return 0;
    if (r < 0 && r != LY_EDB) return r;
  }
  return LY_EFORBIDDEN;
}

int authz_patient(struct ly_server *srv, const struct ly_account *acct, const char *patient_id, int write) {
  if (acct == NULL || patient_id == NULL || patient_id[0] == '\0') return LY_EFORBIDDEN;
  if (acct->role == LY_ROLE_PATIENT) return strcmp(acct->patient_id, patient_id) == 0 ? 0 : LY_EFORBIDDEN;
  if (acct->role != LY_ROLE_DOCTOR && acct->role != LY_ROLE_SUPERVISOR) return LY_EFORBIDDEN;
  int r = row_exists(srv, sql_patient_exists, patient_id, NULL);
  if (r < 0) return r;
  if (r == 0) return LY_ENOTFOUND;
  if (acct->role == LY_ROLE_SUPERVISOR) return write ? LY_EFORBIDDEN : 0;
  return doctor_linked(srv, acct->id, patient_id);
}
