/* referral/slot.h — a department's appointment slots, and the share of them
 * reserved for referred patients (default 20 %, per department).
 *
 * A slot is given to at most one referral: department_slots.referral_id is
 * UNIQUE and is only ever set where it is NULL, in the transaction that
 * schedules the referral (referral_transition, REFERRAL_SCHEDULE).
 */
#ifndef LY_REFERRAL_SLOT_H
#define LY_REFERRAL_SLOT_H

#include <jansson.h>
#include <stdint.h>

#include "referral/referral.h"

#define SLOT_PUBLISH_MAX         200
#define SLOT_DEFAULT_RESERVED_BP 2000
#define SLOT_LIST_MAX            500

struct slot_publish {
  const char *department_id;
  int64_t starts_at; /* UTC ms, in the future */
  int minutes;       /* 5-240: each slot's length; slots follow each other */
  int count;         /* 1..SLOT_PUBLISH_MAX */
  int reserved_bp;   /* share reserved for referrals in basis points, -1: the department's policy */
};

/* Publish count consecutive slots. round(count × share) of them are reserved,
 * spread evenly through the run. who: a doctor of that department or an
 * admin (else LY_EFORBIDDEN referral.not_department_staff). A slot whose
 * start the department already has: LY_EEXIST referral.slot_exists, and
 * nothing is published. *published and *reserved count what was made. */
int slot_publish(const struct referral_ctx *cx, const struct referral_actor *who,
                 const struct slot_publish *in, int *published, int *reserved, struct ly_error *e);

/* The department's reserved share (basis points; the default when unset). */
int slot_policy_get(struct ly_db *db, const char *department_id, int *reserved_bp);
/* Set it (0-10000); who as for slot_publish. Applies to slots published later. */
int slot_policy_set(const struct referral_ctx *cx, const struct referral_actor *who,
                    const char *department_id, int reserved_bp, struct ly_error *e);

/* The department's slots starting in [from, to), earliest first:
 * {"department_id", "reserved_bp", "slots": [{"id","starts_at","minutes","reserved","taken"
 * [, "referral_id"]}]} — referral ids only for the department's own doctors.
 * Any doctor, admin or supervisor may look (no patient data). */
int slot_list_json(const struct referral_ctx *cx, const struct referral_actor *who, const char *department_id,
                   int64_t from, int64_t to, json_t **out, struct ly_error *e);

#endif
