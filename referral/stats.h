/* referral/stats.h — supervision figures on referrals (no patient data).
 *
 * Over referrals requested in [from, to) (UTC ms), optionally only those
 * from or to one facility. Months are the district's calendar months
 * (China Standard Time, UTC+8).
 *
 *   {"from","to","facility_id",
 *    "by_facility_month": [{"month":"2026-06","facility_id","facility_name","facility_name_en",
 *                           "level","up_out","up_in","down_out","down_in"}],
 *    "totals": {"up","down","states":{"requested":n,…}},
 *    "scheduled": n, "median_request_to_scheduled_ms": ms | null,
 *    "no_shows": n, "attended": n, "no_show_rate": 0..1 | null}
 *
 * The no-show rate is over up-referrals that reached their appointment:
 * no_show / (no_show + arrived + completed).
 */
#ifndef LY_REFERRAL_STATS_H
#define LY_REFERRAL_STATS_H

#include <jansson.h>
#include <stdint.h>

struct ly_db;

int stats_referrals_json(struct ly_db *db, int64_t from, int64_t to, const char *facility_id, json_t **out);

#endif
