/* referral/episode.c — referral episodes. An up-referral opens one; the
 * insurance engine (insurance/claim.h) charges one deductible per episode,
 * so the episode's insurance_episodes row (0007) is made here, at zero, in
 * the same transaction: the id can then never be claimed for another
 * patient first.
 */
#include <sqlite3.h>

#include "core/clock.h"
#include "core/db.h"
#include "core/err.h"
#include "referral/referral_internal.h"

int episode_open(const struct referral_ctx *cx, const char *patient_id, char id_out[LY_ID_MAX]) {
  static const char *sql_ins =
      "INSERT INTO insurance_episodes (id, patient_id, deductible_charged_fen, created_at) VALUES (?1, ?2, "
      "0, ?3)";
  static const char *sql_ref =
      "INSERT INTO referral_episodes (id, patient_id, opened_at) VALUES (?1, ?2, ?3)";
  int64_t now = ly_now_ms(cx->clock);
  int rc = ly_id_new("episode", id_out, LY_ID_MAX);
  for (int i = 0; rc == 0 && i < 2; i++) {
    sqlite3_stmt *st = ly_db_stmt(cx->db, i == 0 ? sql_ins : sql_ref);
    if (!st) return LY_EDB;
    ly_db_bind_text(st, 1, id_out);
    ly_db_bind_text(st, 2, patient_id);
    ly_db_bind_int(st, 3, now);
    rc = ref_step_done(cx->db, st);
  }
  return rc;
}

int episode_close(const struct referral_ctx *cx, const char *episode_id) {
  static const char *sql = "UPDATE referral_episodes SET closed_at = ?2 WHERE id = ?1 AND closed_at IS NULL";
  if (episode_id == NULL || episode_id[0] == '\0') return 0;
  sqlite3_stmt *st = ly_db_stmt(cx->db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, episode_id);
  ly_db_bind_int(st, 2, ly_now_ms(cx->clock));
  return ref_step_done(cx->db, st);
}

int episode_current(struct ly_db *db, const char *patient_id, char id_out[LY_ID_MAX]) {
  static const char *sql =
      "SELECT id FROM referral_episodes WHERE patient_id = ?1 AND closed_at IS NULL"
      " ORDER BY opened_at DESC, id DESC LIMIT 1";
  sqlite3_stmt *st = ly_db_stmt(db, sql);
  if (!st) return LY_EDB;
  ly_db_bind_text(st, 1, patient_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) ref_copy(id_out, LY_ID_MAX, ly_db_col_text(st, 0));
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 0;
  return rc == SQLITE_DONE ? LY_ENOTFOUND : ly_db_rc(db, rc);
}
