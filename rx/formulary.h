/* rx/formulary.h — the drug formulary: search by name (Chinese or English),
 * pinyin initials or ATC code, and one drug's facts. No patient data: not
 * audited. */
#ifndef LY_RX_FORMULARY_H
#define LY_RX_FORMULARY_H

#include <jansson.h>

#include "rx/rx.h"

struct ly_error;

#define FORMULARY_QUERY_MAX 64

/* Drugs matching q (1-64 bytes): pinyin initials or ATC prefix, or a part
 * of the Chinese or English generic name; pinyin/ATC matches first. At most
 * limit (1-100) rows: {id, generic_name, generic_en, pinyin, atc, form,
 * strength, pack_size, unit, price_fen, category, controlled, antimicrobial,
 * default_daily_units, chronic_use, online_allowed}. */
int formulary_search(struct rx_ctx *cx, const char *q, int limit, json_t **out, struct ly_error *e);
/* One drug (LY_ENOTFOUND rx.unknown_drug). */
int formulary_get(struct rx_ctx *cx, const char *drug_id, json_t **out, struct ly_error *e);

#endif
