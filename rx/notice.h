/* rx/notice.h — what an account has been told by rx/ (a prescription is
 * ready, returned, expired, cancelled; a renewal was asked for or decided; a
 * supervision finding). Written in the transaction of the change that
 * caused it; the server lists them and may push them. */
#ifndef LY_RX_NOTICE_H
#define LY_RX_NOTICE_H

#include <jansson.h>
#include <stdint.h>

#include "rx/rx.h"

struct ly_error;

/* The caller's notices after id `after` (0: from the start), oldest first,
 * at most 100: [{id, kind, prescription_id, renewal_id, created_at, read}]. */
int notice_list(struct rx_ctx *cx, const struct records_actor *who, int64_t after, json_t **out,
                struct ly_error *e);
/* Mark the caller's notices up to and including id as read. */
int notice_read(struct rx_ctx *cx, const struct records_actor *who, int64_t up_to, struct ly_error *e);

#endif
