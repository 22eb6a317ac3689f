/* server/h_stats.h — the district dashboard's figures (server/h_stats.c):
 * read-only aggregates for admins and supervisors. */
#ifndef LY_SERVER_H_STATS_H
#define LY_SERVER_H_STATS_H

#include "server/http.h"

int h_stats_filters(struct ly_req *req, struct ly_resp *resp);
int h_stats_consultations(struct ly_req *req, struct ly_resp *resp);
int h_stats_prescriptions(struct ly_req *req, struct ly_resp *resp);
int h_stats_dispatch(struct ly_req *req, struct ly_resp *resp);
int h_stats_claims(struct ly_req *req, struct ly_resp *resp);
int h_stats_quality(struct ly_req *req, struct ly_resp *resp);

#endif
