/* signalling/recording.c — consultation recordings from signalling's side:
 * the patient's consent, starting and stopping the relay's recorder, and the
 * row in `recordings` (0011) once the file is closed.
 *
 *   recording.consent {consultation_id, consent}  patient: stored on the
 *     consultation (recording_consent), audited, told to the room
 *     (recording.consent); consent = false while recording stops it.
 *   recording.get {consultation_id}  patient, doctor: {consent (null until
 *     answered), recording} — the doctor's console shows whether it is on.
 *
 * A room is recorded when the call is on (in_call), the patient consented
 * and a participant's send transport is connected (the relay records a room
 * only once it has one): media_record_start(room, DATA/recordings/<id>.opus).
 * The relay's MEDIA_EV_RECORDING events become recording.state events to the
 * room {recording, error?; when over: saved, recording_id, duration_ms}; the
 * file is listed when the relay says it is
 * closed — at the end of the call (the room's transports close), when the
 * patient withdraws, or cut short by a write error (disk full): then the
 * room is told, the call goes on unrecorded, and the row keeps the error.
 * A room is recorded at most once per life of the room (rec != REC_OFF).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/json.h"
#include "core/log.h"
#include "media/media.h"
#include "signalling/consult.h"
#include "signalling/sig_internal.h"

#define RETENTION_MS (1096LL * 24 * 3600 * 1000) /* 3 years, leap day included (DESIGN §2) */

static const char sql_consent_get[] = "SELECT recording_consent FROM consultations WHERE id = ?";
static const char sql_consent_set[] =
    "UPDATE consultations SET recording_consent = ?, updated_at = ? WHERE id = ?";
static const char sql_insert[] =
    "INSERT INTO recordings (id, consultation_id, patient_id, file, duration_ms, size_bytes, error,"
    " created_at, retention_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* -1 unanswered, 0 declined, 1 consented; LY_E* (< -1) on a database error. */
static int consent_of(struct ly_db *db, const char *cid) {
  sqlite3_stmt *st = ly_db_stmt(db, sql_consent_get);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, cid);
  int v = -1;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
    v = sqlite3_column_int(st, 0) ? 1 : 0;
  sqlite3_reset(st);
  return v;
}

static void tell(struct sig *s, const char *cid, const char *type, json_t *d) {
  struct sig_room *r = room_get(s, cid);
  if (d == NULL) return;
  if (r != NULL) room_event(s, r, type, d, NULL);
  json_decref(d);
}

static int has_send_transport(struct sig *s, const char *cid) {
  for (struct mg_part *mp = s->media_parts; mp != NULL; mp = mp->next)
    if (mp->id[MG_SEND] != 0 && strcmp(mp->cid, cid) == 0) return 1;
  return 0;
}

/* DATA/recordings/<name>; the directory is made on first use. */
static int file_path(const struct sig *s, const char *name, char *out, size_t n) {
  if (s->host.data_dir == NULL || s->host.data_dir[0] == '\0') return LY_ESTATE;
  int k = snprintf(out, n, "%s/recordings", s->host.data_dir);
  if (k < 0 || (size_t)k >= n) return LY_ETOOBIG;
  if (mkdir(out, 0750) != 0 && errno != EEXIST) return LY_EIO;
  if (name == NULL) return 0;
  k = snprintf(out, n, "%s/recordings/%s", s->host.data_dir, name);
  return k < 0 || (size_t)k >= n ? LY_ETOOBIG : 0;
}

void recording_maybe_start(struct sig *s, const char *cid) {
  struct sig_room *r = room_get(s, cid);
  char path[256], name[LY_ID_MAX + 8];
  if (s->host.media == NULL || r == NULL || r->state != LC_IN_CALL || r->rec != REC_OFF) return;
  if (!has_send_transport(s, cid) || consent_of(s->host.db, cid) != 1) return;
  snprintf(name, sizeof name, "%s.opus", cid);
  if (file_path(s, name, path, sizeof path) != 0) {
    LY_WARN(s->host.log, "recording.no_dir", "cannot make the recordings directory for %s", cid);
    return;
  }
  if (media_record_start(s->host.media, cid, path) == 0) r->rec = REC_STARTING; /* EAGAIN: next connect */
}

static int consent_store(struct sig *s, const struct consult_actor *who, const struct consult_row *c,
                         int consent) {
  int64_t now = ly_now_ms(s->host.clock);
  int rc = ly_db_begin(s->host.db);
  if (rc != 0) return rc;
  sqlite3_stmt *st = ly_db_stmt(s->host.db, sql_consent_set);
  if (st == NULL) {
    ly_db_rollback(s->host.db);
    return LY_EDB;
  }
  ly_db_bind_int(st, 1, consent);
  ly_db_bind_int(st, 2, now);
  ly_db_bind_text(st, 3, c->id);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  rc = rc == SQLITE_DONE ? 0 : ly_db_rc(s->host.db, rc);
  struct ly_audit_entry a = {.at_ms = now,
                             .actor_id = who->id,
                             .actor_role = who->role,
                             .action = "consult.recording_consent",
                             .patient_id = c->patient_id,
                             .object_type = "consultation",
                             .object_id = c->id,
                             .outcome = "ok",
                             .detail = consent ? "consented" : "declined"};
  if (rc == 0) rc = ly_audit_append(s->host.db, &a, NULL);
  if (rc != 0) {
    ly_db_rollback(s->host.db);
    return rc;
  }
  return ly_db_commit(s->host.db);
}

static int load(struct sig *s, struct sig_conn *c, const char *cid, int write, struct consult_row *row,
                struct ly_error *e) {
  struct consult_actor who;
  ws_actor(c->peer, &who);
  int rc = consult_load(s->host.db, cid, row);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, LY_ENOTFOUND, "consult.not_found", "No such consultation.", "没有这个问诊。");
  if (rc != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  return consult_access(s->host.db, row, &who, write, e);
}

int ws_recording_consent(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply,
                         struct ly_error *e) {
  const char *cid;
  int consent = 0;
  struct consult_row row;
  struct consult_actor who;
  int rc = ws_cid(data, &cid, e);
  if (rc == 0) rc = ly_json_get_bool(data, "consent", 1, &consent, e);
  if (rc != 0 || (rc = load(s, c, cid, 1, &row, e)) != 0) return rc;
  if (lifecycle_is_final(row.state))
    return ly_error_set(e, LY_ESTATE, "recording.consultation_over", "This consultation is over.",
                        "本次问诊已结束。");
  ws_actor(c->peer, &who);
  if ((rc = consent_store(s, &who, &row, consent)) != 0) return ly_error_set(e, rc, NULL, NULL, NULL);
  tell(s, cid, "recording.consent", json_pack("{s:s, s:b}", "consultation_id", cid, "consent", consent));
  struct sig_room *r = room_get(s, cid);
  if (consent)
    recording_maybe_start(s, cid);
  else if (r != NULL && (r->rec == REC_STARTING || r->rec == REC_ON) && s->host.media != NULL)
    media_record_stop(s->host.media, cid); /* withdrawn: the file so far is kept and listed */
  *reply = json_pack("{s:s, s:b}", "consultation_id", cid, "consent", consent);
  return 0;
}

int ws_recording_get(struct sig *s, struct sig_conn *c, json_t *data, json_t **reply, struct ly_error *e) {
  const char *cid;
  struct consult_row row;
  int rc = ws_cid(data, &cid, e);
  if (rc != 0 || (rc = load(s, c, cid, 0, &row, e)) != 0) return rc;
  int consent = consent_of(s->host.db, cid);
  if (consent < -1) return ly_error_set(e, consent, NULL, NULL, NULL);
  struct sig_room *r = room_get(s, cid);
  *reply = json_pack("{s:s, s:o, s:b}", "consultation_id", cid, "consent",
                     consent < 0 ? json_null() : json_boolean(consent), "recording",
                     r != NULL && r->rec == REC_ON);
  return 0;
}

/* ---- the relay's events ----------------------------------------------------- */

/* The row in `recordings` for the finished file; its id in id[LY_ID_MAX]. */
static int list_file(struct sig *s, const struct media_event *ev, const struct consult_row *c, char *id) {
  struct stat sb;
  const char *name = strrchr(ev->path, '/');
  name = name != NULL ? name + 1 : ev->path;
  if (stat(ev->path, &sb) != 0) return LY_ENOTFOUND; /* never created: nothing to list */
  int64_t now = ly_now_ms(s->host.clock);
  int rc = ly_id_new("rec", id, LY_ID_MAX);
  if (rc != 0 || (rc = ly_db_begin(s->host.db)) != 0) return rc;
  sqlite3_stmt *st = ly_db_stmt(s->host.db, sql_insert);
  if (st == NULL) {
    ly_db_rollback(s->host.db);
    return LY_EDB;
  }
  ly_db_bind_text(st, 1, id);
  ly_db_bind_text(st, 2, c->id);
  ly_db_bind_text(st, 3, c->patient_id);
  ly_db_bind_text(st, 4, name);
  ly_db_bind_int(st, 5, ev->duration_ms);
  ly_db_bind_int(st, 6, (int64_t)sb.st_size);
  ly_db_bind_text(st, 7, ev->err != 0 ? ev->code : NULL);
  ly_db_bind_int(st, 8, now);
  ly_db_bind_int(st, 9, now + RETENTION_MS);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  rc = rc == SQLITE_DONE ? 0 : ly_db_rc(s->host.db, rc);
  struct ly_audit_entry a = {.at_ms = now,
                             .actor_id = "system",
                             .actor_role = "system",
                             .action = "consult.recording_saved",
                             .patient_id = c->patient_id,
                             .object_type = "recording",
                             .object_id = id,
                             .outcome = ev->err != 0 ? "error" : "ok",
                             .detail = c->id};
  if (rc == 0) rc = ly_audit_append(s->host.db, &a, NULL);
  if (rc != 0) {
    ly_db_rollback(s->host.db);
    return rc;
  }
  return ly_db_commit(s->host.db);
}

/* Started: the room is told. Finished: the file is listed first, then the
 * room is told its final state {recording: false, saved, recording_id,
 * duration_ms} — a room closing at the end of the consultation waits for
 * this (room_close) and closes after it. */
static void on_recording(struct sig *s, const struct media_event *ev) {
  struct sig_room *r = room_get(s, ev->room);
  struct consult_row c;
  char id[LY_ID_MAX] = "";
  int rc = 0;
  if (ev->recording) {
    if (r != NULL) r->rec = REC_ON;
  } else {
    if (r != NULL) r->rec = REC_OVER;
    rc = consult_load(s->host.db, ev->room, &c);
    if (rc == 0) rc = list_file(s, ev, &c, id);
    if (rc != 0)
      LY_ERROR(s->host.log, "recording.not_listed", "recording %s not listed: %s", ev->path, ly_strerror(rc));
  }
  json_t *d = json_pack("{s:s, s:b}", "consultation_id", ev->room, "recording", ev->recording);
  if (d != NULL && !ev->recording) {
    json_object_set_new(d, "duration_ms", json_integer(ev->duration_ms));
    json_object_set_new(d, "saved", json_boolean(rc == 0));
    if (rc == 0) json_object_set_new(d, "recording_id", json_string(id));
  }
  if (d != NULL && ev->err != 0) json_object_set_new(d, "error", json_string(ev->code));
  tell(s, ev->room, "recording.state", d);
  if (r != NULL && !ev->recording && r->closing) room_close_now(s, r);
}

/* A refused record command (media.recording_exists, media.no_such_room, …):
 * the room is told it is not recorded; the call is not touched. */
static void on_refused(struct sig *s, const struct media_event *ev) {
  struct sig_room *r = room_get(s, ev->room);
  if (strcmp(ev->code, "media.already_recording") == 0 || strcmp(ev->code, "media.not_recording") == 0)
    return;
  if (r != NULL && r->rec == REC_STARTING) r->rec = REC_OVER;
  LY_WARN(s->host.log, "recording.refused", "recording of %s refused: %s", ev->room, ev->code);
  tell(s, ev->room, "recording.state",
       json_pack("{s:s, s:b, s:s}", "consultation_id", ev->room, "recording", 0, "error", ev->code));
  if (r != NULL && r->closing) room_close_now(s, r);
}

int recording_on_event(struct sig *s, const struct media_event *ev) {
  if (ev->type == MEDIA_EV_RECORDING) {
    on_recording(s, ev);
    return 1;
  }
  if (ev->type == MEDIA_EV_ERROR && ev->transport_id == 0 && ev->room[0] != '\0') {
    on_refused(s, ev);
    return 1;
  }
  return 0;
}
