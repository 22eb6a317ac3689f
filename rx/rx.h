/* rx/rx.h — the context every rx/ function takes, and the limits of its inputs.
 *
 * rx/ knows nothing of HTTP. It takes a struct rx_ctx (the database, the
 * clock, the keys and the rule configuration), the acting account (struct
 * records_actor) and plain structs; returns 0 or a negative LY_E* code and
 * fills a struct ly_error (stable code, sentences in English and Chinese) on
 * refusal. Views are json_t (new references the caller json_decref's).
 * Every state change is one transaction with its event row and audit entry.
 * Access codes never leave this folder except in the patient's own view, and
 * are never logged or audited.
 */
#ifndef LY_RX_H
#define LY_RX_H

#include <stdint.h>

#include "records/records.h"
#include "rx/rules.h"

struct rx_ctx {
  struct records_ctx rec;    /* db, clock, keys (enc seals access codes, sign unwraps doctors' keys) */
  struct rules_config rules; /* rules_config_default() unless configured */
  int supervision_share_bp;  /* weekly sample share in basis points (500 = 5%) */
  int64_t utc_offset_ms;     /* the district's local time (China: +8 h) for validity days and weeks */
};

/* Defaults: rules_config_default, 5% sampling, UTC+8. */
void rx_ctx_init(struct rx_ctx *cx, struct ly_db *db, const struct ly_clock *clock,
                 const struct ly_keys *keys);

#define RX_MAX_ITEMS       5    /* 处方管理办法 第六条 */
#define RX_TEXT_MAX        500  /* chronic reason */
#define RX_ASSESSMENT_MAX  2000 /* long-term assessment */
#define RX_NOTE_MAX        1000 /* note, reasons */
#define RX_DOSE_MAX        200
#define RX_IDEM_KEY_MAX    128
#define RX_ACCESS_CODE_LEN 32

#endif
