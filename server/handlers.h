/* server/handlers.h — the REST handlers that server/routes.c lists.
 * Each follows ly_handler (http.h): fill resp, return 0 (or an LY_E* code,
 * which the HTTP layer turns into the generic error of that code). */
#ifndef LY_HANDLERS_H
#define LY_HANDLERS_H

#include "server/http.h"

/* h_sessions.c */
/* {id, username, role, name, name_en} of an account (new reference). */
json_t *h_account_json(const struct ly_account *acct);
int h_sessions_create(struct ly_req *req, struct ly_resp *resp);
int h_sessions_delete_current(struct ly_req *req, struct ly_resp *resp);
int h_me_get(struct ly_req *req, struct ly_resp *resp);
/* h_access_log.c */
int h_access_log_get(struct ly_req *req, struct ly_resp *resp);
/* health.c */
int h_healthz(struct ly_req *req, struct ly_resp *resp);
/* metrics.c */
int h_metrics(struct ly_req *req, struct ly_resp *resp);
/* h_consultations.c (the rules are in signalling/) */
struct booking_rules;
int h_consultations_create(struct ly_req *req, struct ly_resp *resp);
int h_consultations_list(struct ly_req *req, struct ly_resp *resp);
int h_consultations_get(struct ly_req *req, struct ly_resp *resp);
int h_consultations_cancel(struct ly_req *req, struct ly_resp *resp);
int h_consultations_rating_put(struct ly_req *req, struct ly_resp *resp);
int h_consultations_rating_get(struct ly_req *req, struct ly_resp *resp);
/* h_recordings.c: a consultation's recordings (list, the file with HTTP Range) */
int h_recordings_list(struct ly_req *req, struct ly_resp *resp);
int h_recordings_get(struct ly_req *req, struct ly_resp *resp);
int h_recordings_ticket(struct ly_req *req, struct ly_resp *resp); /* a play URL for <audio> */
int h_recordings_play(struct ly_req *req, struct ly_resp *resp);   /* public: the ticket authenticates */
/* The booking rules from the configuration. */
struct booking_rules h_consultations_rules(const struct ly_server *srv);
/* Start / stop the signalling service (srv->sig) around the lws context. */
int h_consultations_ws_init(struct ly_server *srv);
void h_consultations_ws_close(struct ly_server *srv);
/* h_doctors.c */
int h_doctors_list(struct ly_req *req, struct ly_resp *resp);
int h_doctors_get(struct ly_req *req, struct ly_resp *resp);
int h_doctors_ratings(struct ly_req *req, struct ly_resp *resp);

#endif
