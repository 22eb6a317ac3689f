/* insurance/claim_internal.h — between claim.c (lifecycle) and
 * claim_store.c (rows in and out, JSON). Not for other folders. */
#ifndef LY_INSURANCE_CLAIM_INTERNAL_H
#define LY_INSURANCE_CLAIM_INTERNAL_H

#include <stddef.h>

#include "insurance/claim.h"

/* Insert the claim row (any status) and its lines. LY_EEXIST when the
 * encounter already has a non-rejected claim (the partial unique index). */
int claim_store_insert(struct ly_db *db, const struct claim *c);

/* The id of the encounter's non-rejected claim into claim_id; LY_ENOTFOUND. */
int claim_store_find_encounter(struct ly_db *db, const char *type, const char *encounter_id, char *claim_id,
                               size_t idsz);

#endif
