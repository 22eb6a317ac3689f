/* records/document.c — stored attachments of the clinical record. */
#include "records/document.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"
#include "records/records.h"

struct doc_type {
  const char *content_type;
  const char *magic;
  size_t magic_len;
};

static const struct doc_type doc_types[] = {
    {"image/jpeg", "\xFF\xD8\xFF", 3},
    {"image/png", "\x89PNG\r\n\x1A\n", 8},
    {"application/pdf", "%PDF-", 5},
};

static int doc_type_ok(const char *content_type, const void *data, size_t n) {
  for (size_t i = 0; content_type && i < sizeof doc_types / sizeof doc_types[0]; i++)
    if (strcmp(content_type, doc_types[i].content_type) == 0)
      return n >= doc_types[i].magic_len && memcmp(data, doc_types[i].magic, doc_types[i].magic_len) == 0;
  return 0;
}

int document_store(const struct records_ctx *cx, const struct records_actor *who, const char *patient_id,
                   const char *kind, const char *content_type, const void *data, size_t n,
                   char id_out[LY_ID_MAX], struct ly_error *e) {
  static const char *sql =
      "INSERT INTO record_documents (id, patient_id, kind, content_type, size, sha256, data, uploaded_by, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
  if (n == 0 || n > DOCUMENT_MAX)
    return ly_error_set(e, n ? LY_ETOOBIG : LY_EINVAL, "records.document_too_large",
                        "Documents must be between 1 byte and 5 MiB.", "文件大小须在1字节至5 MiB之间。");
  if (!doc_type_ok(content_type, data, n))
    return ly_error_set(e, LY_EINVAL, "records.document_type", "Only JPEG, PNG or PDF files are accepted.",
                        "仅接受 JPEG、PNG 或 PDF 文件。");
  uint8_t hash[LY_SHA256_LEN];
  if (ly_sha256(data, n, hash) || ly_id_new("doc", id_out, LY_ID_MAX))
    return ly_error_set(e, LY_ECRYPTO, NULL, NULL, NULL);
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, id_out);
  ly_db_bind_text(st, 2, patient_id);
  ly_db_bind_text(st, 3, kind);
  ly_db_bind_text(st, 4, content_type);
  ly_db_bind_int(st, 5, (int64_t)n);
  ly_db_bind_blob(st, 6, hash, sizeof hash);
  ly_db_bind_blob(st, 7, data, (int)n);
  ly_db_bind_text(st, 8, who->id);
  ly_db_bind_int(st, 9, ly_now_ms(cx->clock));
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_error_set(e, ly_db_rc(cx->db, rc), NULL, NULL, NULL);
  return 0;
}

static int doc_load(const struct records_ctx *cx, const char *id, struct document *out, struct ly_error *e) {
  static const char *sql = "SELECT patient_id, kind, content_type, data FROM record_documents WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return ly_error_set(e, ly_db_rc(cx->db, rc), NULL, NULL, NULL);
    return ly_error_set(e, LY_ENOTFOUND, "records.document_not_found", "No such document.", "未找到该文件。");
  }
  snprintf(out->id, sizeof out->id, "%s", id);
  snprintf(out->patient_id, sizeof out->patient_id, "%s", ly_db_col_text(st, 0));
  snprintf(out->kind, sizeof out->kind, "%s", ly_db_col_text(st, 1));
  snprintf(out->content_type, sizeof out->content_type, "%s", ly_db_col_text(st, 2));
  out->size = (size_t)sqlite3_column_bytes(st, 3);
  out->data = malloc(out->size ? out->size : 1);
  if (out->data && out->size) memcpy(out->data, sqlite3_column_blob(st, 3), out->size);
  sqlite3_reset(st);
  return out->data ? 0 : ly_error_set(e, LY_ENOMEM, NULL, NULL, NULL);
}

int document_get(const struct records_ctx *cx, const struct records_actor *who, const char *id,
                 struct document *out, struct ly_error *e) {
  memset(out, 0, sizeof *out);
  ly_error_clear(e);
  int rc = ly_db_begin(cx->db);
  if (rc) return records_done(e, rc);
  rc = doc_load(cx, id, out, e);
  if (rc == 0)
    rc = records_audit(cx, who, "record.document_read", out->patient_id, "document", id, "ok", NULL);
  rc = records_finish(cx->db, rc);
  if (rc) document_free(out);
  return records_done(e, rc);
}

void document_free(struct document *d) {
  if (!d) return;
  free(d->data);
  d->data = NULL;
}

int document_patient(const struct records_ctx *cx, const char *id, char patient_out[LY_ID_MAX]) {
  static const char *sql = "SELECT patient_id FROM record_documents WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) snprintf(patient_out, LY_ID_MAX, "%s", ly_db_col_text(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(cx->db, rc);
}
