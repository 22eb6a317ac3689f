/* core/audit.h — the audit chain (全程留痕).
 *
 * Every read or write of a patient's data appends one entry in the SAME
 * transaction as the action it records (ly_audit_append must be called inside
 * ly_db_begin/ly_db_tx). Each entry's hash = SHA-256(previous entry's hash ||
 * length-prefixed fields of this entry, seq included), so changing, deleting
 * or reordering any stored byte breaks the chain from that entry on.
 */
#ifndef LY_AUDIT_H
#define LY_AUDIT_H

#include <stdint.h>

struct ly_db;

struct ly_audit_entry {
  int64_t at_ms;            /* UTC ms */
  const char *actor_id;     /* account id, or "system" */
  const char *actor_role;   /* patient|doctor|…|system */
  const char *action;       /* "record.read", "rx.sign", "session.login", … */
  const char *patient_id;   /* the patient whose data it touches, or NULL */
  const char *object_type;  /* "prescription", "consultation", … or NULL */
  const char *object_id;    /* or NULL */
  const char *outcome;      /* "ok" | "denied" | "error" | a refusal code */
  const char *detail;       /* short non-secret detail or NULL (<= 512 bytes) */
};

/* Append e; fills *seq_out (may be NULL) with the entry's sequence number.
 * LY_ESTATE if called outside a transaction; LY_EINVAL without actor_id,
 * actor_role, action or outcome; LY_ETOOBIG for a text field over 256 bytes
 * (detail: 512). */
int ly_audit_append(struct ly_db *db, const struct ly_audit_entry *e, int64_t *seq_out);

/* Recompute the whole chain. 0 when intact (*checked_out = number of entries);
 * LY_ECONFLICT with *first_bad_seq_out = the first entry whose stored hash or
 * link does not match (a deleted entry is named by its missing seq). */
int ly_audit_verify(struct ly_db *db, int64_t *checked_out, int64_t *first_bad_seq_out);

#endif
