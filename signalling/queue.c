/* signalling/queue.c — a doctor's waiting queue, positions and estimates.
 *
 * The queue is the doctor's consultations in state waiting, referred
 * patients first (priority, higher first), then in booking order; it is read
 * from the database (the index consultations_doctor_state) whenever it may
 * have changed. The estimated wait of a patient with k people ahead is
 * k × the mean length of the doctor's last 10 consultations (10 minutes when
 * there are none; clamped to 2..60 minutes), plus what is left of the call
 * in progress (at least a minute) when the doctor is in one.
 *
 * What was last pushed is kept per doctor (struct sig_qcache), so a patient
 * hears queue.position only when their place or estimate moved.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/db.h"
#include "signalling/sig_internal.h"

#define QUEUE_MAX        500
#define MEAN_DEFAULT_MS  (10 * 60 * 1000)
#define MEAN_MIN_MS      (2 * 60 * 1000)
#define MEAN_MAX_MS      (60 * 60 * 1000)
#define REMAINING_MIN_MS (60 * 1000)

static const char sql_queue[] =
    "SELECT c.id, COALESCE(p.account_id, ''), p.id, p.name, p.name_en, c.icd10, c.priority, c.booked_at,"
    " COALESCE(c.checked_in_at, 0)"
    " FROM consultations c JOIN patients p ON p.id = c.patient_id"
    " WHERE c.doctor_id = ?1 AND c.state = 'waiting'"
    " ORDER BY c.priority DESC, c.booked_at ASC, c.id ASC LIMIT 500";

static const char sql_durations[] =
    "SELECT ended_at - started_at FROM consultations"
    " WHERE doctor_id = ?1 AND state IN ('ended', 'notes_signed') AND started_at IS NOT NULL"
    " AND ended_at > started_at ORDER BY ended_at DESC LIMIT 10";

static const char sql_in_call[] =
    "SELECT started_at FROM consultations WHERE doctor_id = ?1 AND state = 'in_call'"
    " ORDER BY started_at DESC LIMIT 1";

int64_t queue_estimate(int64_t mean_ms, uint32_t ahead, int doctor_in_call, int64_t call_elapsed_ms) {
  int64_t wait = (int64_t)ahead * mean_ms;
  if (doctor_in_call) {
    int64_t left = mean_ms - call_elapsed_ms;
    wait += left < REMAINING_MIN_MS ? REMAINING_MIN_MS : left;
  }
  return wait;
}

int64_t queue_mean_duration(struct sig *s, const char *doctor_id) {
  int64_t sum = 0, n = 0;
  sqlite3_stmt *st = ly_db_stmt(s->host.db, sql_durations);
  if (st == NULL) return MEAN_DEFAULT_MS;
  ly_db_bind_text(st, 1, doctor_id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    sum += sqlite3_column_int64(st, 0);
    n++;
  }
  sqlite3_reset(st);
  if (n == 0) return MEAN_DEFAULT_MS;
  int64_t mean = sum / n;
  return mean < MEAN_MIN_MS ? MEAN_MIN_MS : mean > MEAN_MAX_MS ? MEAN_MAX_MS : mean;
}

/* Elapsed ms of the doctor's call in progress, or -1 when none. */
static int64_t in_call_elapsed(struct sig *s, const char *doctor_id) {
  int64_t started = -1;
  sqlite3_stmt *st = ly_db_stmt(s->host.db, sql_in_call);
  if (st == NULL) return -1;
  ly_db_bind_text(st, 1, doctor_id);
  if (sqlite3_step(st) == SQLITE_ROW) started = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return started < 0 ? -1 : ly_now_ms(s->host.clock) - started;
}

/* Read the queue into items (JSON, may be NULL) and cache (may be NULL,
 * QUEUE_MAX entries). Returns the number of entries or a negative error. */
static int load(struct sig *s, const char *doctor_id, json_t *items, struct sig_qentry *cache) {
  int64_t mean = queue_mean_duration(s, doctor_id), elapsed = in_call_elapsed(s, doctor_id);
  uint32_t n = 0;
  sqlite3_stmt *st = ly_db_stmt(s->host.db, sql_queue);
  if (st == NULL) return LY_EDB;
  ly_db_bind_text(st, 1, doctor_id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < QUEUE_MAX) {
    int64_t est = queue_estimate(mean, n, elapsed >= 0, elapsed);
    if (cache != NULL) {
      struct sig_qentry *q = &cache[n];
      snprintf(q->cid, sizeof(q->cid), "%s", ly_db_col_text(st, 0));
      snprintf(q->patient_account, sizeof(q->patient_account), "%s", ly_db_col_text(st, 1));
      q->position = n + 1;
      q->estimate_ms = est;
    }
    if (items != NULL) {
      json_t *it = json_pack(
          "{s:s, s:i, s:I, s:{s:s, s:s, s:s}, s:s, s:i, s:I, s:I}", "consultation_id", ly_db_col_text(st, 0),
          "position", (int)(n + 1), "estimated_wait_ms", (json_int_t)est, "patient", "id",
          ly_db_col_text(st, 2), "name", ly_db_col_text(st, 3), "name_en", ly_db_col_text(st, 4), "icd10",
          ly_db_col_text(st, 5), "priority", sqlite3_column_int(st, 6), "booked_at",
          (json_int_t)sqlite3_column_int64(st, 7), "checked_in_at", (json_int_t)sqlite3_column_int64(st, 8));
      if (it != NULL) json_array_append_new(items, it);
    }
    n++;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ly_db_rc(s->host.db, rc);
  return (int)n;
}

int queue_items(struct sig *s, const char *doctor_id, json_t **out) {
  json_t *items = json_array();
  int n = load(s, doctor_id, items, NULL);
  if (n < 0) {
    json_decref(items);
    return n;
  }
  *out = items;
  return 0;
}

static json_t *position_json(const char *cid, uint32_t position, int64_t est, const char *presence) {
  return json_pack("{s:s, s:i, s:i, s:I, s:s}", "consultation_id", cid, "position", (int)position, "ahead",
                   position > 0 ? (int)position - 1 : 0, "estimated_wait_ms", (json_int_t)est,
                   "doctor_presence", presence);
}

int queue_position(struct sig *s, const char *doctor_id, const char *cid, json_t **out) {
  struct sig_qentry *cache = calloc(QUEUE_MAX, sizeof(*cache));
  if (cache == NULL) return LY_ENOMEM;
  int n = load(s, doctor_id, NULL, cache);
  if (n < 0) {
    free(cache);
    return n;
  }
  uint32_t pos = 0;
  int64_t est = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(cache[i].cid, cid) == 0) {
      pos = cache[i].position;
      est = cache[i].estimate_ms;
    }
  }
  free(cache);
  *out = position_json(cid, pos, est, sig_presence(s, doctor_id));
  return 0;
}

static const struct sig_qentry *find(const struct sig_qcache *q, const char *cid) {
  for (uint32_t i = 0; q != NULL && i < q->n; i++)
    if (strcmp(q->e[i].cid, cid) == 0) return &q->e[i];
  return NULL;
}

/* The doctor's account record, made (without sessions) when needed. */
static struct sig_acct *doctor_acct(struct sig *s, const char *doctor_id) {
  struct sig_acct *a = strmap_get(&s->accounts, doctor_id);
  if (a != NULL) return a;
  struct sig_account blank;
  memset(&blank, 0, sizeof(blank));
  snprintf(blank.id, sizeof(blank.id), "%s", doctor_id);
  snprintf(blank.role, sizeof(blank.role), "doctor");
  return peer_acct_get(s, &blank);
}

static int push_positions(struct sig *s, struct sig_acct *doc, const struct sig_qcache *now) {
  const char *presence = presence_name(presence_effective(doc));
  int changed = doc->queue == NULL || doc->queue->n != now->n;
  for (uint32_t i = 0; i < now->n; i++) {
    const struct sig_qentry *e = &now->e[i], *old = find(doc->queue, e->cid);
    if (old != NULL && old->position == e->position && old->estimate_ms == e->estimate_ms) continue;
    changed = 1;
    json_t *d = position_json(e->cid, e->position, e->estimate_ms, presence);
    if (d != NULL && e->patient_account[0]) peer_event_account(s, e->patient_account, "queue.position", d);
    json_decref(d);
  }
  return changed;
}

void queue_refresh(struct sig *s, const char *doctor_id) {
  struct sig_qcache *q = malloc(sizeof(*q) + QUEUE_MAX * sizeof(q->e[0]));
  struct sig_acct *doc = doctor_acct(s, doctor_id);
  json_t *items = json_array();

  if (q == NULL || doc == NULL || items == NULL) goto out;
  int n = load(s, doctor_id, items, q->e);
  if (n < 0) goto out;
  q->n = (uint32_t)n;
  int changed = push_positions(s, doc, q);
  struct sig_qcache *small = realloc(q, sizeof(*q) + (size_t)n * sizeof(q->e[0]));
  if (small != NULL) q = small;
  free(doc->queue);
  doc->queue = q;
  q = NULL;
  if (changed) {
    json_t *d = json_pack("{s:s, s:O}", "doctor_id", doctor_id, "items", items);
    for (struct sig_peer *p = doc->peers; d != NULL && p != NULL; p = p->acct_next)
      peer_event(s, p, "queue.updated", d);
    json_decref(d);
  }
out:
  free(q);
  json_decref(items);
}
