/* rx/stock.h — a pharmacy's stock, per drug, in packs (DESIGN §5).
 *
 * The pharmacy sets a count (after a delivery from its wholesaler, a stock
 * take); dispensing takes from it inside the dispense's transaction. Stock is
 * never negative: a set below zero is refused (rx.stock_negative) and a take
 * larger than what is there is LY_ECONFLICT rx.out_of_stock. Every change is
 * a row of pharmacy_stock_moves and an audit entry.
 */
#ifndef LY_RX_STOCK_H
#define LY_RX_STOCK_H

#include <jansson.h>
#include <stdint.h>

#include "rx/pharmacy.h"
#include "rx/rx.h"

struct ly_error;

#define STOCK_MAX 1000000 /* packs of one drug at one pharmacy */

/* Set the count of drug_id (known to the formulary) to quantity (0..STOCK_MAX);
 * low_threshold < 0 leaves the threshold as it is. *out: {drug_id, quantity,
 * low_threshold, low, updated_at}. */
int stock_set(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *drug_id, int64_t quantity,
              int64_t low_threshold, json_t **out, struct ly_error *e);

/* The pharmacy's stock: q (NULL: any) matches the drug id, generic name or
 * pinyin initials; low_only: only drugs at or below their threshold, lowest
 * first. At most limit (1..500). [{drug_id, generic_name, generic_en,
 * strength, form, unit, quantity, low_threshold, low, updated_at}]. */
int stock_list(struct rx_ctx *cx, const struct pharmacy_actor *pa, const char *q, int low_only, int limit,
               json_t **out, struct ly_error *e);

/* Inside the caller's transaction: take quantity packs (LY_ECONFLICT
 * rx.out_of_stock, e->field = field) or put them back, with a move row. */
int stock_take(struct rx_ctx *cx, const char *pharmacy_id, const char *drug_id, int64_t quantity,
               const char *ref, const char *actor_id, const char *field, struct ly_error *e);
int stock_return(struct rx_ctx *cx, const char *pharmacy_id, const char *drug_id, int64_t quantity,
                 const char *ref, const char *actor_id);

#endif
