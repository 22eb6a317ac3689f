/* signalling/rating.h — patients' ratings of finished consultations
 * (patient satisfaction, 同质化管理).
 *
 * After a consultation has ended the patient may rate it once: a score 1–5
 * and an optional comment (<= 500 bytes), editable for 7 days after the
 * first rating. Ratings feed the directory's average and the supervisors'
 * view. A doctor never learns who gave which rating: the doctor's (and any
 * patient's) view of a doctor's ratings has scores and comments only, in no
 * particular order of time; supervisors see everything (audited).
 * Refusals: rating.not_ended (409), rating.edit_window_closed (409),
 * consult.not_participant (403), request.invalid_field (400).
 */
#ifndef LY_SIG_RATING_H
#define LY_SIG_RATING_H

#include <jansson.h>
#include <stdbool.h>

#include "signalling/consult.h"

#define RATING_COMMENT_MAX 500
#define RATING_EDIT_MS     (7LL * 24 * 3600 * 1000)

/* Rate (or re-rate within the window) consultation cid as patient who.
 * *created tells a first rating from an edit. *out = the rating. */
int rating_put(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
               const char *cid, int score, const char *comment, bool *created, json_t **out,
               struct ly_error *e);

/* The rating of one consultation: its patient or a supervisor.
 * LY_ENOTFOUND (rating.not_found) when not rated yet. */
int rating_get(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
               const char *cid, json_t **out, struct ly_error *e);

/* A doctor's ratings: {doctor_id, count, average, distribution:[n1..n5], items}.
 * Supervisors get items with consultation and patient ids and times (one
 * audit entry per patient); everyone else {score, comment} only. */
int rating_list(struct ly_db *db, const struct ly_clock *clock, const struct consult_actor *who,
                const char *doctor_id, int limit, json_t **out, struct ly_error *e);

#endif
