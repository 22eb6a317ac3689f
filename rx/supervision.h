/* rx/supervision.h — supervision sampling (同质化管理): online care is held to
 * the offline standard by supervisors reviewing a random sample of it.
 *
 * Weeks are ISO weeks of the district's local time ("2026-W24", Monday
 * 00:00 to the next Monday). Each week, per doctor with online activity
 * (signed consultation notes and prescriptions signed that week), a random
 * share (cx->supervision_share_bp, default 5%) rounded up — so at least one
 * item per active doctor — goes to the supervisors' list. A supervisor
 * records a finding; the doctor sees findings about their own work.
 */
#ifndef LY_RX_SUPERVISION_H
#define LY_RX_SUPERVISION_H

#include <jansson.h>
#include <stdint.h>

#include "rx/rx.h"

struct ly_error;

/* "YYYY-Www" of the local week containing at_ms into out (>= 9 bytes). */
void supervision_week_of(const struct rx_ctx *cx, int64_t at_ms, char *out, size_t outsz);
/* Start (UTC ms) of an ISO week "YYYY-Www"; LY_EPARSE. */
int supervision_week_start(const struct rx_ctx *cx, const char *week, int64_t *start_ms);

/* Sample `week` (NULL: the week before the current one). Once per week:
 * LY_EEXIST (rx.supervision_week_done) when it already ran. *sampled counts
 * the items put on the list. */
int supervision_sample(struct rx_ctx *cx, const char *week, int *sampled, struct ly_error *e);

/* Supervisors: the samples of week (NULL: all), open_only = without a finding. */
int supervision_list(struct rx_ctx *cx, const struct records_actor *who, const char *week, int open_only,
                     json_t **out, struct ly_error *e);

/* A supervisor records a finding: "appropriate", or "concerns" with text. Once. */
int supervision_finding(struct rx_ctx *cx, const struct records_actor *who, const char *sample_id,
                        const char *finding, const char *text, struct ly_error *e);

/* A doctor: findings about their own work (reviewed samples only). */
int supervision_mine(struct rx_ctx *cx, const struct records_actor *who, json_t **out, struct ly_error *e);

#endif
