/* records/records.c — shared helpers of the clinical record. */
#include "records/records.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"

int records_audit(const struct records_ctx *cx, const struct records_actor *who, const char *action,
                  const char *patient_id, const char *object_type, const char *object_id, const char *outcome,
                  const char *detail) {
  struct ly_audit_entry a = {
      .at_ms = ly_now_ms(cx->clock),
      .actor_id = who && who->id ? who->id : "system",
      .actor_role = who && who->role ? who->role : "system",
      .action = action,
      .patient_id = patient_id,
      .object_type = object_type,
      .object_id = object_id,
      .outcome = outcome ? outcome : "ok",
      .detail = detail,
  };
  return ly_audit_append(cx->db, &a, NULL);
}

int records_audit_refusal(const struct records_ctx *cx, const struct records_actor *who, const char *action,
                          const char *patient_id, const char *object_type, const char *object_id,
                          const struct ly_error *e) {
  const char *code = e && e->code[0] ? e->code : "denied";
  int rc = ly_db_begin(cx->db);
  if (rc) return rc;
  rc = records_audit(cx, who, action, patient_id, object_type, object_id, code, NULL);
  return records_finish(cx->db, rc);
}

int records_done(struct ly_error *e, int rc) {
  if (rc && e && e->err == 0) ly_error_set(e, rc, NULL, NULL, NULL);
  return rc;
}

int records_finish(struct ly_db *db, int rc) {
  if (rc) {
    ly_db_rollback(db);
    return rc;
  }
  return ly_db_commit(db);
}

/* Length of the UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t records_utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || len > n || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4)) return 0;
  for (size_t k = 1; k < len; k++)
    if ((s[k] & 0xC0) != 0x80) return 0;
  if (len == 3 && c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
  if (len == 3 && c == 0xED && s[1] >= 0xA0) return 0; /* surrogates */
  if (len == 4 && c == 0xF0 && s[1] < 0x90) return 0;
  return len;
}

static int records_field_err(struct ly_error *e, const char *field, const char *en, const char *zh) {
  ly_error_set(e, LY_EINVAL, "request.invalid_field", en, zh);
  if (e) snprintf(e->field, sizeof e->field, "%s", field);
  return LY_EINVAL;
}

int records_text_check(const char *s, size_t max, int required, const char *field, struct ly_error *e) {
  if (!s) s = "";
  size_t n = strlen(s);
  if (n > max) return records_field_err(e, field, "This text is too long.", "文本过长。");
  int blank = 1;
  for (size_t i = 0; i < n;) {
    const unsigned char *p = (const unsigned char *)s + i;
    size_t len = records_utf8_len(p, n - i);
    if (len == 0) return records_field_err(e, field, "This text is not valid UTF-8.", "文本编码无效。");
    if (len == 1 && ((p[0] < 0x20 && p[0] != '\n' && p[0] != '\t') || p[0] == 0x7f))
      return records_field_err(e, field, "This text contains control characters.", "文本含有控制字符。");
    if (!(len == 1 && (p[0] == ' ' || p[0] == '\n' || p[0] == '\t'))) blank = 0;
    i += len;
  }
  if (required && blank) return records_field_err(e, field, "This field is required.", "此项为必填项。");
  return 0;
}

int records_patient_exists(const struct records_ctx *cx, const char *patient_id, struct ly_error *e) {
  static const char *sql = "SELECT 1 FROM patients WHERE id = ?1";
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return ly_error_set(e, LY_EDB, NULL, NULL, NULL);
  ly_db_bind_text(st, 1, patient_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc != SQLITE_DONE) return ly_error_set(e, ly_db_rc(cx->db, rc), NULL, NULL, NULL);
  return ly_error_set(e, LY_ENOTFOUND, "records.patient_not_found", "No such patient.", "未找到该患者。");
}

int records_is(const struct records_actor *who, const char *role_name) {
  return who && who->role && strcmp(who->role, role_name) == 0;
}

int records_icd10_category(const char *s, char *out, size_t outsz) {
  if (!s || outsz < 4) return LY_EINVAL;
  size_t n = strlen(s);
  if (n < 3 || n > 8) return LY_EINVAL;
  char c0 = s[0];
  if (c0 >= 'a' && c0 <= 'z') c0 = (char)(c0 - 'a' + 'A');
  if (c0 < 'A' || c0 > 'Z' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9') return LY_EINVAL;
  if (n > 3) {
    if (s[3] != '.' || n == 4) return LY_EINVAL;
    for (size_t i = 4; i < n; i++) {
      char ch = s[i];
      int ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
      if (!ok) return LY_EINVAL;
    }
  }
  out[0] = c0;
  out[1] = s[1];
  out[2] = s[2];
  out[3] = '\0';
  return 0;
}

int records_icd10_check(const char *s, const char *field, struct ly_error *e) {
  char cat[4];
  if (records_icd10_category(s, cat, sizeof cat) == 0) return 0;
  ly_error_set(e, LY_EINVAL, "records.icd10_invalid", "This is not an ICD-10 code (e.g. I10 or E11.9).",
               "这不是有效的ICD-10编码（如 I10、E11.9）。");
  if (e) snprintf(e->field, sizeof e->field, "%s", field);
  return LY_EINVAL;
}
