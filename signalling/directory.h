/* signalling/directory.h — the doctor directory (名医团队): doctors who may
 * consult online, searchable by specialty, facility, title, subdistrict,
 * department and name, each with title, facility, years of practice, the
 * number of online consultations they finished, the patients' average
 * rating and their presence; a profile adds the bio and the weekly schedule.
 *
 * Only public professional data is returned, so reads are not audited.
 */
#ifndef LY_SIG_DIRECTORY_H
#define LY_SIG_DIRECTORY_H

#include <jansson.h>

#include "signalling/booking.h"

struct sig;

struct directory_filter {
  const char *specialty; /* "cardiology", "general_practice", … */
  const char *facility_id;
  const char *title; /* doctor_titles.id */
  const char *subdistrict_id;
  const char *department_id;
  const char *q; /* part of the name (Chinese or pinyin) */
  int limit;     /* 1..100, 0 → 20 */
  int offset;    /* 0..10000 */
};

/* s (may be NULL) gives presence. *out = {items: [...], limit, offset}. */
int directory_search(struct sig *s, struct ly_db *db, const struct ly_clock *clock,
                     const struct booking_rules *rules, const struct directory_filter *f, json_t **out,
                     struct ly_error *e);

/* One doctor's profile; also for doctors who may not consult online
 * ("bookable": false). LY_ENOTFOUND (consult.doctor_not_found). */
int directory_get(struct sig *s, struct ly_db *db, const struct ly_clock *clock,
                  const struct booking_rules *rules, const char *doctor_id, json_t **out, struct ly_error *e);

#endif
