/* records/note_sign.c — signing a consultation note and exporting it signed.
 *
 * The signed document (canonical JSON, records/signature.h):
 *   {"type":"consultation_note","format":1,"id","consultation_id","version",
 *    "supersedes","patient_id","doctor_id","chief_complaint","history",
 *    "findings","advice","diagnoses":[{"icd10","name"}],"correction_reason",
 *    "signed_at","signer":{"doctor_id","public_key"}}
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "core/ids.h"
#include "records/note.h"
#include "records/note_internal.h"
#include "records/records.h"
#include "records/signature.h"

static const char *const note_doc_keys[] = {
    "id",      "consultation_id", "version", "supersedes", "patient_id",       "doctor_id", "chief_complaint",
    "history", "findings",        "advice",  "diagnoses",  "correction_reason"};

static json_t *note_document(const json_t *row, int64_t now, const uint8_t pub[LY_ED25519_PUB_LEN]) {
  char p64[48];
  if (ly_b64url_encode(pub, LY_ED25519_PUB_LEN, p64, sizeof p64) < 0) return NULL;
  json_t *d = json_pack("{s:s, s:i, s:I, s:{s:s, s:s}}", "type", "consultation_note", "format", 1,
                        "signed_at", (json_int_t)now, "signer", "doctor_id",
                        json_string_value(json_object_get(row, "doctor_id")), "public_key", p64);
  for (size_t i = 0; d && i < sizeof note_doc_keys / sizeof note_doc_keys[0]; i++)
    json_object_set(d, note_doc_keys[i], json_object_get(row, note_doc_keys[i]));
  return d;
}

static int note_store_signature(const struct records_ctx *cx, const char *id, int64_t now, const char *doc,
                                const uint8_t *sig, const uint8_t *pub) {
  static const char *sql =
      "UPDATE consultation_notes SET signed_at = ?2, document = ?3, signature = ?4, sign_pub = ?5, "
      "updated_at = ?2 "
      "WHERE id = ?1 AND signed_at IS NULL";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  ly_db_bind_int(st, 2, now);
  ly_db_bind_text(st, 3, doc);
  ly_db_bind_blob(st, 4, sig, LY_ED25519_SIG_LEN);
  ly_db_bind_blob(st, 5, pub, LY_ED25519_PUB_LEN);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return sqlite3_changes(ly_db_sqlite(cx->db)) == 1 ? 0 : LY_ECONFLICT;
}

/* An ended consultation becomes notes_signed, with its event and audit entry. */
static int note_consultation_signed(const struct records_ctx *cx, const struct records_actor *who,
                                    const char *consultation_id, const char *patient_id, int64_t now) {
  static const char *sql_up =
      "UPDATE consultations SET state = 'notes_signed', updated_at = ?2 WHERE id = ?1 AND state = 'ended'";
  static const char *sql_ev =
      "INSERT INTO consultation_events (consultation_id, seq, at, actor_id, from_state, to_state, reason) "
      "VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM consultation_events WHERE consultation_id = ?1), "
      "?2, ?3, "
      "'ended', 'notes_signed', NULL)";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql_up);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, consultation_id);
  ly_db_bind_int(st, 2, now);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  if (sqlite3_changes(ly_db_sqlite(cx->db)) == 0) return 0;
  if (!(st = ly_db_stmt(cx->db, sql_ev))) return LY_EDB;
  ly_db_bind_text(st, 1, consultation_id);
  ly_db_bind_int(st, 2, now);
  ly_db_bind_text(st, 3, who->id);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
  return records_audit(cx, who, "consultation.notes_signed", patient_id, "consultation", consultation_id,
                       "ok", NULL);
}

static int note_check_signable(const json_t *row, const struct records_actor *who, struct ly_error *e) {
  if (json_is_true(json_object_get(row, "signed")))
    return ly_error_set(e, LY_ESTATE, "records.note_signed",
                        "This note is signed and cannot be changed; save a correction instead.",
                        "该病历已签署，不能修改；请另存为更正版本。");
  if (!records_is(who, "doctor") ||
      strcmp(who->id, json_string_value(json_object_get(row, "doctor_id"))) != 0)
    return ly_error_set(e, LY_EFORBIDDEN, "records.not_note_author",
                        "Only the consultation's doctor may sign its notes.", "只有接诊医师可以签署病历。");
  const char *cc = json_string_value(json_object_get(row, "chief_complaint"));
  if (!cc || !cc[0] || json_array_size(json_object_get(row, "diagnoses")) == 0)
    return ly_error_set(e, LY_EDENIED, "records.note_incomplete",
                        "A note needs a chief complaint and at least one diagnosis before it is signed.",
                        "病历须填写主诉和至少一个诊断后方可签署。");
  return 0;
}

static int note_sign_tx(const struct records_ctx *cx, const struct records_actor *who, const char *note_id,
                        struct ly_error *e) {
  json_t *row = NULL, *doc = NULL;
  char *text = NULL;
  uint8_t pub[LY_ED25519_PUB_LEN], pub2[LY_ED25519_PUB_LEN], sig[LY_ED25519_SIG_LEN];
  int64_t now = ly_now_ms(cx->clock);
  int rc = note_fetch(cx, note_id, &row);
  if (rc == LY_ENOTFOUND)
    return ly_error_set(e, rc, "records.note_not_found", "No such note.", "未找到该病历。");
  if (rc == 0) rc = note_check_signable(row, who, e);
  if (rc == 0) rc = signature_doctor_pub(cx, who->id, pub, e);
  if (rc == 0 && !(doc = note_document(row, now, pub))) rc = LY_ENOMEM;
  if (rc == 0 && !(text = signature_canonical(doc, NULL))) rc = LY_ENOMEM;
  if (rc == 0) rc = signature_doctor_sign(cx, who->id, text, strlen(text), sig, pub2, e);
  if (rc == 0) rc = note_store_signature(cx, note_id, now, text, sig, pub2);
  if (rc == 0)
    rc = note_consultation_signed(cx, who, json_string_value(json_object_get(row, "consultation_id")),
                                  json_string_value(json_object_get(row, "patient_id")), now);
  if (rc == 0)
    rc = records_audit(cx, who, "record.note_sign", json_string_value(json_object_get(row, "patient_id")),
                       "consultation_note", note_id, "ok", NULL);
  free(text);
  json_decref(doc);
  json_decref(row);
  return rc;
}

int note_sign(const struct records_ctx *cx, const struct records_actor *who, const char *note_id,
              struct ly_error *e) {
  ly_error_clear(e);
  int rc = ly_db_begin(cx->db);
  if (rc) return records_done(e, rc);
  return records_done(e, records_finish(cx->db, note_sign_tx(cx, who, note_id, e)));
}

static int note_signed_tx(const struct records_ctx *cx, const struct records_actor *who, const char *note_id,
                          json_t **out, struct ly_error *e) {
  static const char *sql =
      "SELECT patient_id, document, signature, sign_pub FROM consultation_notes WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, note_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_db_rc(cx->db, rc);
    return ly_error_set(e, LY_ENOTFOUND, "records.note_not_found", "No such note.", "未找到该病历。");
  }
  char patient[LY_ID_MAX];
  snprintf(patient, sizeof patient, "%s", ly_db_col_text(st, 0));
  if (sqlite3_column_type(st, 1) == SQLITE_NULL || sqlite3_column_bytes(st, 2) != LY_ED25519_SIG_LEN ||
      sqlite3_column_bytes(st, 3) != LY_ED25519_PUB_LEN) {
    sqlite3_reset(st);
    return ly_error_set(e, LY_ESTATE, "records.note_not_signed", "This note is not signed yet.",
                        "该病历尚未签署。");
  }
  *out = signature_envelope("consultation_note", ly_db_col_text(st, 1), sqlite3_column_blob(st, 2),
                            sqlite3_column_blob(st, 3));
  sqlite3_reset(st);
  if (!*out) return LY_ENOMEM;
  return records_audit(cx, who, "record.read", patient, "consultation_note", note_id, "ok", "signed");
}

int note_signed(const struct records_ctx *cx, const struct records_actor *who, const char *note_id,
                json_t **out, struct ly_error *e) {
  ly_error_clear(e);
  *out = NULL;
  int rc = ly_db_begin(cx->db);
  if (rc) return records_done(e, rc);
  rc = records_finish(cx->db, note_signed_tx(cx, who, note_id, out, e));
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  return records_done(e, rc);
}
