/* server/notices.c — telling people over WebSocket what happened to them.
 *
 * rx/ writes a notice row (rx_notices) in the transaction of every change a
 * person must hear about — a prescription approved (rx.ready), returned to
 * its doctor (rx.returned), expired, claimed, completed, a renewal asked for
 * or decided, a dispatch lapsed, a supervision finding — but the domain knows
 * nothing of sockets. The relay job here pushes each new row to its account
 * as a `notice` event, after it is committed (a job's first statement commits
 * the open batch, core/db.h), so nobody is told of a change that was rolled
 * back. The rows stay: GET /api/v1/me/notices lists what a client missed
 * while offline.
 *
 * Records and referrals keep no notice rows; their handlers call
 * notices_lab_resulted / notices_referral_changed with the answer they are
 * about to send, and the patient (and, for referrals, the doctors) hear of it
 * at once. Pushing is best effort: a failure here never fails the request.
 */
#include "server/notices.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/db.h"
#include "core/err.h"
#include "core/ids.h"
#include "server/server.h"
#include "signalling/sig.h"

#define NOTICES_BATCH 200 /* rows pushed per run at most; the rest next run */

static const char sql_max[] = "SELECT COALESCE(MAX(id), 0) FROM rx_notices";
static const char sql_new[] =
    "SELECT id, account_id, kind, prescription_id, renewal_id, created_at FROM rx_notices WHERE id > ?1 "
    "ORDER BY id LIMIT ?2";
static const char sql_patient_account[] = "SELECT account_id FROM patients WHERE id = ?1";

/* The newest id now (where a fresh relay starts), or -1 on a database error. */
static int64_t notices_max(struct ly_db *db) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_max);
  int64_t v = -1;
  if (st && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  if (st) sqlite3_reset(st);
  return v;
}

static void push_row(struct ly_server *srv, sqlite3_stmt *st) {
  const char *account = ly_db_col_text(st, 1);
  json_t *d = json_pack("{s:I, s:s, s:s?, s:s?, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0), "kind",
                        ly_db_col_text(st, 2), "prescription_id", (const char *)sqlite3_column_text(st, 3),
                        "renewal_id", (const char *)sqlite3_column_text(st, 4), "created_at",
                        (json_int_t)sqlite3_column_int64(st, 5));
  if (d) sig_push_account(srv->sig, account, "notice", d);
  json_decref(d);
}

int notices_relay_run(struct ly_server *srv, int *pushed) {
  *pushed = 0;
  if (!srv->notices_started) {
    int64_t m = notices_max(srv->db);
    if (m < 0) return LY_EDB;
    srv->notices_pushed = m; /* rows from before start were (or will be) listed, not pushed */
    srv->notices_started = 1;
    return 0;
  }
  sqlite3_stmt *st = ly_db_stmt(srv->db, sql_new);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, srv->notices_pushed);
  ly_db_bind_int(st, 2, NOTICES_BATCH);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    srv->notices_pushed = sqlite3_column_int64(st, 0);
    push_row(srv, st);
    (*pushed)++;
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : ly_db_rc(srv->db, rc);
}

void notices_tick(struct ly_server *srv) {
  int n = 0, rc = notices_relay_run(srv, &n);
  if (rc) LY_WARN(&srv->log, "notices.relay_failed", "notice relay: %s", ly_strerror(rc));
}

/* The patient's account of a patient id ("" when unknown). */
static void patient_account(struct ly_server *srv, const char *patient_id, char out[LY_ID_MAX]) {
  out[0] = '\0';
  sqlite3_stmt *st = patient_id ? ly_db_stmt(srv->db, sql_patient_account) : NULL;
  if (!st) return;
  ly_db_bind_text(st, 1, patient_id);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
}

static const char *str_of(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

void notices_lab_resulted(struct ly_server *srv, const json_t *answer) {
  const json_t *o = json_object_get(answer, "order");
  char account[LY_ID_MAX];
  if (!o || !str_of(o, "id")) return;
  patient_account(srv, str_of(o, "patient_id"), account);
  if (!account[0]) return;
  json_t *d = json_pack("{s:s, s:s?, s:s?, s:s?}", "order_id", str_of(o, "id"), "patient_id",
                        str_of(o, "patient_id"), "name", str_of(o, "name"), "state", str_of(o, "state"));
  if (d) sig_push_account(srv->sig, account, "lab.resulted", d);
  json_decref(d);
}

void notices_referral_changed(struct ly_server *srv, const json_t *answer, const char *action,
                              const char *actor_id) {
  const json_t *r = json_object_get(answer, "referral");
  char account[LY_ID_MAX];
  if (!r || !str_of(r, "id")) return;
  json_t *d = json_pack("{s:s, s:s?, s:s?, s:s?}", "referral_id", str_of(r, "id"), "state",
                        str_of(r, "state"), "direction", str_of(r, "direction"), "action", action);
  if (!d) return;
  patient_account(srv, str_of(r, "patient_id"), account);
  const char *to[] = {account, str_of(r, "from_doctor_id"), str_of(r, "to_doctor_id")};
  for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
    int seen = 0; /* the same person twice (a doctor on both ends) hears it once */
    for (size_t j = 0; j < i; j++)
      seen |= to[j] && to[i] && strcmp(to[i], to[j]) == 0;
    if (to[i] && to[i][0] && !seen && (!actor_id || strcmp(to[i], actor_id) != 0))
      sig_push_account(srv->sig, to[i], "referral.changed", d);
  }
  json_decref(d);
}
