/* server/notices.h — WebSocket events that tell people what happened to
 * them (server/notices.c). Events: `notice` (an rx_notices row, pushed by
 * the relay job), `lab.resulted`, `referral.changed`; docs/signalling.md. */
#ifndef LY_SERVER_NOTICES_H
#define LY_SERVER_NOTICES_H

#include <jansson.h>

struct ly_server;

/* The relay: pushes rx_notices rows newer than the last pushed to their
 * accounts (at most a batch per run). The first run only reads where to
 * start. 0 or a database error; *pushed = rows pushed. */
int notices_relay_run(struct ly_server *srv, int *pushed);
/* The job (server/jobs.c): notices_relay_run, failures logged. */
void notices_tick(struct ly_server *srv);

/* After POST /lab-orders/{id}/result: `answer` is the reply ({"order": …});
 * its patient hears `lab.resulted`. */
void notices_lab_resulted(struct ly_server *srv, const json_t *answer);
/* After POST /referrals/{id}/{action}: `answer` is the reply
 * ({"referral": …}); the patient and the doctors on both ends, except the
 * one who acted (actor_id), hear `referral.changed`. */
void notices_referral_changed(struct ly_server *srv, const json_t *answer, const char *action,
                              const char *actor_id);

#endif
