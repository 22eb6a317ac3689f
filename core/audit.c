/* core/audit.c — the append-only, hash-chained audit log.
 *
 * hash(n) = SHA-256( prev_hash(n) || u64be(seq) || u64be(at_ms) || F(actor_id)
 *                   || F(actor_role) || F(action) || F(patient_id) || F(object_type)
 *                   || F(object_id) || F(outcome) || F(detail) )
 * where F(NULL) = u32be(0xFFFFFFFF) and F(s) = u32be(len) || bytes, so NULL and
 * "" differ and no two field splits give the same input. prev_hash(1) is 32
 * zero bytes; prev_hash(n) = hash(n-1).
 */
#include "core/audit.h"

#include <string.h>

#include "core/crypto.h"
#include "core/db.h"
#include "core/err.h"

#define AUDIT_FIELDS     8
#define AUDIT_FIELD_MAX  256 /* ids, roles, action and outcome codes */
#define AUDIT_DETAIL_MAX 512 /* as promised in audit.h */
#define AUDIT_BUF        (LY_SHA256_LEN + 16 + AUDIT_FIELDS * 4 + 7 * AUDIT_FIELD_MAX + AUDIT_DETAIL_MAX)

struct audit_text {
  const char *p; /* NULL for SQL NULL */
  size_t n;
};

static void audit_put_u64(uint8_t *b, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    b[i] = (uint8_t)v;
}

static void audit_put_u32(uint8_t *b, uint32_t v) {
  for (int i = 3; i >= 0; i--, v >>= 8)
    b[i] = (uint8_t)v;
}

/* f[0..7] in the order of the comment above. LY_ETOOBIG when a field is over
 * its limit (a stored row that big was not written by us: also a mismatch). */
static int audit_hash(const uint8_t prev[LY_SHA256_LEN], int64_t seq, int64_t at,
                      const struct audit_text f[AUDIT_FIELDS], uint8_t out[LY_SHA256_LEN]) {
  uint8_t buf[AUDIT_BUF];
  size_t o = 0;
  memcpy(buf, prev, LY_SHA256_LEN);
  o += LY_SHA256_LEN;
  audit_put_u64(buf + o, (uint64_t)seq);
  audit_put_u64(buf + o + 8, (uint64_t)at);
  o += 16;
  for (int i = 0; i < AUDIT_FIELDS; i++) {
    size_t max = i == AUDIT_FIELDS - 1 ? AUDIT_DETAIL_MAX : AUDIT_FIELD_MAX;
    if (f[i].p && f[i].n > max) return LY_ETOOBIG;
    audit_put_u32(buf + o, f[i].p ? (uint32_t)f[i].n : 0xFFFFFFFFu);
    o += 4;
    if (f[i].p) {
      memcpy(buf + o, f[i].p, f[i].n);
      o += f[i].n;
    }
  }
  return ly_sha256(buf, o, out);
}

static struct audit_text audit_str(const char *s) {
  struct audit_text t = {s, s ? strlen(s) : 0};
  return t;
}

/* The last entry's seq and hash; seq 0 and zero hash for an empty log. */
static int audit_last(struct ly_db *db, int64_t *seq, uint8_t hash[LY_SHA256_LEN]) {
  static const char *sql = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  int rc = sqlite3_step(st);
  *seq = 0;
  memset(hash, 0, LY_SHA256_LEN);
  if (rc == SQLITE_ROW) {
    *seq = sqlite3_column_int64(st, 0);
    const void *h = sqlite3_column_blob(st, 1);
    if (h && sqlite3_column_bytes(st, 1) == LY_SHA256_LEN)
      memcpy(hash, h, LY_SHA256_LEN);
    else
      rc = SQLITE_CORRUPT; /* a hash that is not 32 bytes cannot be chained onto */
  }
  sqlite3_reset(st);
  return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? LY_OK : ly_db_rc(db, rc);
}

int ly_audit_append(struct ly_db *db, const struct ly_audit_entry *e, int64_t *seq_out) {
  static const char *sql =
      "INSERT INTO audit (seq, at, actor_id, actor_role, action, patient_id, object_type, object_id,"
      " outcome, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
  uint8_t prev[LY_SHA256_LEN], hash[LY_SHA256_LEN];
  int64_t last;
  if (!db || !e || !e->actor_id || !e->actor_role || !e->action || !e->outcome) return LY_EINVAL;
  /* Outside a transaction the entry could commit without the action it
   * records (or the reverse): refuse rather than log something untrue. */
  if (!ly_db_in_tx(db)) return LY_ESTATE;
  struct audit_text f[AUDIT_FIELDS] = {
      audit_str(e->actor_id),    audit_str(e->actor_role), audit_str(e->action),  audit_str(e->patient_id),
      audit_str(e->object_type), audit_str(e->object_id),  audit_str(e->outcome), audit_str(e->detail)};
  int rc = audit_last(db, &last, prev);
  if (rc) return rc;
  rc = audit_hash(prev, last + 1, e->at_ms, f, hash);
  if (rc) return rc;
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_int(st, 1, last + 1);
  ly_db_bind_int(st, 2, e->at_ms);
  for (int i = 0; i < AUDIT_FIELDS; i++)
    ly_db_bind_text(st, 3 + i, f[i].p);
  ly_db_bind_blob(st, 11, prev, LY_SHA256_LEN);
  ly_db_bind_blob(st, 12, hash, LY_SHA256_LEN);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return ly_db_rc(db, rc);
  if (seq_out) *seq_out = last + 1;
  return LY_OK;
}

/* Does the current row of the verify query chain correctly onto prev?
 * On success prev is advanced to this row's hash. */
static int audit_row_ok(sqlite3_stmt *st, uint8_t prev[LY_SHA256_LEN]) {
  struct audit_text f[AUDIT_FIELDS];
  uint8_t want[LY_SHA256_LEN];
  for (int i = 0; i < AUDIT_FIELDS; i++) {
    f[i].p = (const char *)sqlite3_column_text(st, 2 + i);
    f[i].n = f[i].p ? (size_t)sqlite3_column_bytes(st, 2 + i) : 0;
  }
  const void *stored_prev = sqlite3_column_blob(st, 10);
  const void *stored_hash = sqlite3_column_blob(st, 11);
  if (!stored_prev || sqlite3_column_bytes(st, 10) != LY_SHA256_LEN || !stored_hash ||
      sqlite3_column_bytes(st, 11) != LY_SHA256_LEN)
    return 0;
  if (!ly_memeq(stored_prev, prev, LY_SHA256_LEN)) return 0;
  if (audit_hash(prev, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), f, want)) return 0;
  if (!ly_memeq(want, stored_hash, LY_SHA256_LEN)) return 0;
  memcpy(prev, want, LY_SHA256_LEN);
  return 1;
}

/* One SELECT walks the log, so the check sees one consistent snapshot. A
 * gap in seq (a deleted entry) is reported as the missing seq. */
int ly_audit_verify(struct ly_db *db, int64_t *checked_out, int64_t *first_bad_seq_out) {
  static const char *sql =
      "SELECT seq, at, actor_id, actor_role, action, patient_id, object_type, object_id, outcome, detail,"
      " prev_hash, hash FROM audit ORDER BY seq";
  uint8_t prev[LY_SHA256_LEN] = {0};
  int64_t expect = 1, checked = 0, bad = 0;
  int broken = 0;
  if (!db) return LY_EINVAL;
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(st, 0);
    if (seq != expect || !audit_row_ok(st, prev)) {
      broken = 1;
      bad = seq > expect ? expect : seq;
      break;
    }
    checked++;
    expect++;
  }
  sqlite3_reset(st);
  if (checked_out) *checked_out = checked;
  if (first_bad_seq_out) *first_bad_seq_out = bad;
  if (broken) return LY_ECONFLICT;
  return rc == SQLITE_DONE ? LY_OK : ly_db_rc(db, rc);
}
