/* server/h_recordings.c — consultation recordings (Ogg Opus, written by the
 * media relay, listed by signalling/recording.c in `recordings`, 0011).
 *
 *   GET /api/v1/consultations/{id}/recordings  the list {items: [{id, duration_ms,
 *       size_bytes, error, created_at, retention_until}]}
 *   GET /api/v1/consultations/{id}/recording   the newest file as audio/ogg;
 *       ?id=rec_… picks one. HTTP Range (RFC 9110 §14): one range →
 *       206 + Content-Range; an unsatisfiable one → 416; none → 200.
 *
 * Who: the consultation's doctor, its patient, and supervisors — nobody else
 * (403, the refusal audited). Access is checked before anything else is
 * said, so another's consultation answers 403 whether it has a recording or
 * not. Every download (and every listing) is audited in the chain, with the
 * byte range in the detail.
 *
 *   POST /api/v1/consultations/{id}/recording/ticket {id?}  a play ticket:
 *       {url, expires_at}. A browser's <audio src> cannot send the bearer
 *       token, so the player asks for a URL that carries a ticket instead:
 *   GET /api/v1/consultations/{id}/recording/play?id=rec_…&ticket=…  the
 *       same file with the same Range handling, for the <audio> element's own
 *       range requests (it streams and seeks without holding the file). The
 *       ticket is "<expires_ms>.<account id>.<HMAC-SHA256 hex>" over the
 *       consultation, the recording, the account and the expiry with the
 *       server's MAC key: valid TICKET_MS, for that one recording, and only
 *       for the account that asked — whose access is checked again (the
 *       consultation's doctor or patient, a supervisor) and who is named in
 *       the audit of every download. A ticket outlives its session's logout
 *       by at most TICKET_MS.
 *
 * Only the requested bytes are read (pread), and at most RANGE_MAX of them
 * per answer: a browser's <audio> asks `bytes=0-` and then for what it still
 * needs, so an hour of audio is never held in memory at once.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "server/auth.h"
#include "server/handlers.h"
#include "server/server.h"
#include "signalling/consult.h"

#define RANGE_MAX (4u << 20) /* bytes in one answer */
#define TICKET_MS (3600LL * 1000) /* a play ticket's life: an hour of listening and seeking */

static const char sql_newest[] =
    "SELECT id, file, size_bytes FROM recordings WHERE consultation_id = ?"
    " AND (?2 IS NULL OR id = ?2) ORDER BY created_at DESC LIMIT 1";
static const char sql_exists[] = "SELECT 1 FROM recordings WHERE consultation_id = ? AND id = ?";
static const char sql_list[] =
    "SELECT id, duration_ms, size_bytes, error, created_at, retention_until FROM recordings"
    " WHERE consultation_id = ? ORDER BY created_at";

struct rec_range {
  int64_t first, last; /* inclusive */
  int partial;
};

static int audit(struct ly_req *req, const char *action, const char *patient_id, const char *object_id,
                 const char *outcome, const char *detail) {
  struct ly_audit_entry a = {.at_ms = ly_now_ms(req->srv->clock),
                             .actor_id = req->acct->id,
                             .actor_role = req->acct->role_name,
                             .action = action,
                             .patient_id = patient_id,
                             .object_type = "recording",
                             .object_id = object_id,
                             .outcome = outcome,
                             .detail = detail};
  struct ly_db *db = req->srv->db;
  int rc = ly_db_begin(db);
  if (rc != 0) return rc;
  if ((rc = ly_audit_append(db, &a, NULL)) != 0) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

/* The consultation's doctor, its patient, or a supervisor; else 403 (audited). */
static int allowed(struct ly_req *req, struct ly_resp *resp, struct consult_row *c) {
  const struct ly_account *a = req->acct;
  int rc = consult_load(req->srv->db, req->params[0], c);
  if (rc == LY_ENOTFOUND) {
    ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "consult.not_found", "No such consultation.",
                      "没有这个问诊。");
    return -1;
  }
  if (rc != 0) {
    ly_resp_fail(req, resp, rc, "internal", "The recording could not be read.");
    return -1;
  }
  int ok =
      strcmp(a->role_name, "supervisor") == 0 ||
      (strcmp(a->role_name, "doctor") == 0 && strcmp(a->id, c->doctor_id) == 0) ||
      (strcmp(a->role_name, "patient") == 0 && a->patient_id[0] && strcmp(a->patient_id, c->patient_id) == 0);
  if (ok) return 0;
  audit(req, "consult.recording_read", c->patient_id, c->id, "denied", NULL);
  ly_resp_fail_i18n(req, resp, LY_EFORBIDDEN, "auth.forbidden",
                    "Only the consultation's doctor, its patient and supervisors may hear its recording.",
                    "仅本次问诊的医生、患者本人和监管人员可以收听录音。");
  return -1;
}

int h_recordings_list(struct ly_req *req, struct ly_resp *resp) {
  struct consult_row c;
  if (allowed(req, resp, &c) != 0) return 0;
  sqlite3_stmt *st = ly_db_stmt(req->srv->db, sql_list);
  json_t *items = json_array();
  if (st == NULL || items == NULL) {
    json_decref(items);
    return ly_resp_fail(req, resp, LY_EDB, "internal", "The recordings could not be listed.");
  }
  ly_db_bind_text(st, 1, c.id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:s?, s:I, s:I}", "id", ly_db_col_text(st, 0), "duration_ms",
        (json_int_t)sqlite3_column_int64(st, 1), "size_bytes", (json_int_t)sqlite3_column_int64(st, 2),
        "error", sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : ly_db_col_text(st, 3), "created_at",
        (json_int_t)sqlite3_column_int64(st, 4), "retention_until", (json_int_t)sqlite3_column_int64(st, 5));
    if (o != NULL) json_array_append_new(items, o);
  }
  sqlite3_reset(st);
  if (audit(req, "consult.recording_list", c.patient_id, c.id, "ok", NULL) != 0) {
    json_decref(items);
    return ly_resp_fail(req, resp, LY_EDB, "internal", "The recordings could not be listed.");
  }
  return ly_resp_json(resp, 200, json_pack("{s:s, s:o}", "consultation_id", c.id, "items", items));
}

static int parse_num(const char **p, int64_t *out) {
  int64_t v = 0;
  if (**p < '0' || **p > '9') return -1;
  for (; **p >= '0' && **p <= '9'; (*p)++) {
    if (v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (**p - '0');
  }
  *out = v;
  return 0;
}

/* One "bytes=" range of a file of size bytes (RFC 9110 §14.1.2); several
 * ranges are answered as the first. 0, or -1 when unsatisfiable / malformed
 * (a malformed Range is ignored: the whole file, as §14.2 allows). */
static int parse_range(const char *h, int64_t size, struct rec_range *r) {
  r->first = 0;
  r->last = size - 1;
  r->partial = 0;
  if (h == NULL || strncmp(h, "bytes=", 6) != 0) return 0;
  const char *p = h + 6;
  int64_t a = -1, b = -1;
  if (*p == '-') { /* the last n bytes */
    p++;
    if (parse_num(&p, &b) != 0 || b == 0) return -1;
    a = b >= size ? 0 : size - b;
    b = size - 1;
  } else {
    if (parse_num(&p, &a) != 0 || *p++ != '-') return 0;
    if (*p >= '0' && *p <= '9' && parse_num(&p, &b) != 0) return 0;
    if (b < 0 || b >= size) b = size - 1;
    if (a >= size || b < a) return -1;
  }
  r->first = a;
  r->last = b;
  r->partial = 1;
  return 0;
}

/* Read [first, last] of fd (capped at RANGE_MAX) into resp->raw. */
static int read_range(int fd, struct rec_range *r, struct ly_resp *resp) {
  if (r->last - r->first + 1 > (int64_t)RANGE_MAX) {
    r->last = r->first + RANGE_MAX - 1;
    r->partial = 1;
  }
  size_t n = (size_t)(r->last - r->first + 1), got = 0;
  char *buf = malloc(n ? n : 1);
  if (buf == NULL) return LY_ENOMEM;
  while (got < n) {
    ssize_t k = pread(fd, buf + got, n - got, (off_t)(r->first + (int64_t)got));
    if (k <= 0) {
      free(buf);
      return LY_EIO;
    }
    got += (size_t)k;
  }
  resp->raw = buf;
  resp->raw_len = n;
  return 0;
}

/* The file of the chosen recording: 0 with fd open and its size, or -1 with resp filled. */
static int open_file(struct ly_req *req, struct ly_resp *resp, const struct consult_row *c, char *rec_id,
                     size_t idn, int *fd, int64_t *size) {
  char want[LY_ID_MAX], file[128], path[LY_OPT_STR_MAX + 160];
  int have_want = ly_req_query(req, "id", want, sizeof want) == 0;
  sqlite3_stmt *st = ly_db_stmt(req->srv->db, sql_newest);
  if (st == NULL) return ly_resp_fail(req, resp, LY_EDB, "internal", "The recording could not be read.") - 1;
  ly_db_bind_text(st, 1, c->id);
  ly_db_bind_text(st, 2, have_want ? want : NULL);
  int found = sqlite3_step(st) == SQLITE_ROW;
  if (found) {
    snprintf(rec_id, idn, "%s", ly_db_col_text(st, 0));
    snprintf(file, sizeof file, "%s", ly_db_col_text(st, 1));
  }
  sqlite3_reset(st);
  if (!found || strchr(file, '/') != NULL || file[0] == '.') {
    ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "recording.not_found",
                      "This consultation has no such recording.", "本次问诊没有该录音。");
    return -1;
  }
  struct stat sb;
  int k = snprintf(path, sizeof path, "%s/recordings/%s", req->srv->cfg.data, file);
  *fd = -1;
  if (k < 0 || (size_t)k >= sizeof path || (*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
      fstat(*fd, &sb) != 0) {
    if (*fd >= 0) close(*fd);
    ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "recording.missing", "The recording's file is missing.",
                      "录音文件缺失。");
    return -1;
  }
  *size = (int64_t)sb.st_size;
  return 0;
}

static void unsatisfiable(struct ly_req *req, struct ly_resp *resp, int64_t size) {
  char v[64];
  snprintf(v, sizeof v, "bytes */%" PRId64, size);
  ly_resp_fail(req, resp, LY_EINVAL, "recording.range_not_satisfiable",
               "The requested range is outside the file.");
  resp->status = 416;
  ly_resp_header(resp, "Content-Range", v);
}

int h_recordings_get(struct ly_req *req, struct ly_resp *resp) {
  struct consult_row c;
  char rec_id[LY_ID_MAX], detail[LY_ID_MAX + 96], v[96];
  int fd = -1;
  int64_t size = 0;
  struct rec_range r;
  if (allowed(req, resp, &c) != 0 || open_file(req, resp, &c, rec_id, sizeof rec_id, &fd, &size) != 0)
    return 0;
  if (size == 0 || parse_range(req->range, size, &r) != 0) {
    close(fd);
    unsatisfiable(req, resp, size);
    return 0;
  }
  int rc = read_range(fd, &r, resp);
  close(fd);
  snprintf(detail, sizeof detail, "%s bytes=%" PRId64 "-%" PRId64 "/%" PRId64, c.id, r.first, r.last, size);
  if (rc == 0) rc = audit(req, "consult.recording_download", c.patient_id, rec_id, "ok", detail);
  if (rc != 0) {
    free(resp->raw);
    resp->raw = NULL;
    resp->raw_len = 0;
    return ly_resp_fail(req, resp, rc, "internal", "The recording could not be read.");
  }
  resp->status = r.partial ? 206 : 200;
  resp->content_type = "audio/ogg";
  ly_resp_header(resp, "Accept-Ranges", "bytes");
  ly_resp_header(resp, "Cache-Control", "private, no-store");
  if (r.partial) {
    snprintf(v, sizeof v, "bytes %" PRId64 "-%" PRId64 "/%" PRId64, r.first, r.last, size);
    ly_resp_header(resp, "Content-Range", v);
  }
  return 0;
}

/* ---- play tickets -------------------------------------------------------------- */

/* hex HMAC of (consultation, recording, account, expiry) into out[65]. */
static int ticket_mac(const struct ly_server *srv, const char *cid, const char *rec, const char *acct, int64_t exp,
                      char out[2 * LY_SHA256_LEN + 1]) {
  char msg[4 * 80];
  uint8_t mac[LY_SHA256_LEN];
  int n = snprintf(msg, sizeof msg, "lianyi-recording-ticket\n%s\n%s\n%s\n%" PRId64, cid, rec, acct, exp);
  if (n < 0 || (size_t)n >= sizeof msg || ly_hmac_sha256(srv->keys.mac, sizeof srv->keys.mac, msg, (size_t)n, mac) != 0)
    return LY_EINVAL;
  for (int i = 0; i < LY_SHA256_LEN; i++)
    snprintf(out + 2 * i, 3, "%02x", mac[i]);
  return 0;
}

int h_recordings_ticket(struct ly_req *req, struct ly_resp *resp) {
  struct consult_row c;
  char rec[LY_ID_MAX], mac[2 * LY_SHA256_LEN + 1], url[512];
  if (allowed(req, resp, &c) != 0) return 0;
  const char *want = NULL;
  if (req->json != NULL && json_is_string(json_object_get(req->json, "id")))
    want = json_string_value(json_object_get(req->json, "id"));
  sqlite3_stmt *st = ly_db_stmt(req->srv->db, want ? sql_exists : sql_newest);
  if (st == NULL) return ly_resp_fail(req, resp, LY_EDB, "internal", "The recording could not be read.");
  ly_db_bind_text(st, 1, c.id);
  ly_db_bind_text(st, 2, want);
  int found = sqlite3_step(st) == SQLITE_ROW;
  if (found) snprintf(rec, sizeof rec, "%s", want ? want : ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (!found || strlen(rec) >= 64)
    return ly_resp_fail_i18n(req, resp, LY_ENOTFOUND, "recording.not_found", "This consultation has no such recording.",
                             "本次问诊没有该录音。");
  int64_t exp = ly_now_ms(req->srv->clock) + TICKET_MS;
  if (ticket_mac(req->srv, c.id, rec, req->acct->id, exp, mac) != 0)
    return ly_resp_fail(req, resp, LY_EINTERNAL, "internal", "The ticket could not be made.");
  /* ids are [A-Za-z0-9_-]: nothing to escape in the URL */
  snprintf(url, sizeof url, "/api/v1/consultations/%s/recording/play?id=%s&ticket=%" PRId64 ".%s.%s", c.id, rec, exp,
           req->acct->id, mac);
  return ly_resp_json(resp, 200, json_pack("{s:s, s:s, s:I}", "recording_id", rec, "url", url, "expires_at",
                                           (json_int_t)exp));
}

/* The ticket's account, if the ticket is genuine, unexpired and for this recording. */
static int ticket_account(struct ly_req *req, struct ly_account *acct) {
  char t[256], rec[LY_ID_MAX], mac[2 * LY_SHA256_LEN + 1];
  if (ly_req_query(req, "ticket", t, sizeof t) != 0 || ly_req_query(req, "id", rec, sizeof rec) != 0) return -1;
  char *dot1 = strchr(t, '.'), *dot2 = dot1 ? strrchr(t, '.') : NULL;
  if (dot1 == NULL || dot2 == dot1 || strlen(dot2 + 1) != 2 * LY_SHA256_LEN) return -1;
  *dot1 = *dot2 = '\0';
  char *end = NULL;
  long long exp = strtoll(t, &end, 10);
  if (end == t || *end != '\0' || exp < ly_now_ms(req->srv->clock)) return -1;
  if (ticket_mac(req->srv, req->params[0], rec, dot1 + 1, exp, mac) != 0 ||
      CRYPTO_memcmp(mac, dot2 + 1, 2 * LY_SHA256_LEN) != 0)
    return -1;
  return auth_load_account(req->srv, dot1 + 1, acct) == 0 ? 0 : -1;
}

int h_recordings_play(struct ly_req *req, struct ly_resp *resp) {
  struct ly_account acct;
  if (ticket_account(req, &acct) != 0)
    return ly_resp_fail_i18n(req, resp, LY_EAUTH, "recording.bad_ticket",
                             "This playback link is invalid or has expired.", "播放链接无效或已过期。");
  req->acct = &acct; /* from here on as that account: the same checks, the same audit */
  return h_recordings_get(req, resp);
}
