/* server/relay.h — the media relay (media/) inside the server: started from
 * the --media-* options, its event fd watched by the service loop, its events
 * handed to signalling, its counters in /metrics. Service thread only. */
#ifndef LY_SERVER_RELAY_H
#define LY_SERVER_RELAY_H

struct ly_server;
struct lws_protocols;
struct lws_vhost;

/* Start the workers (srv->media) on the listen address `host` (as parsed
 * from --listen: "" = every interface). 0, or LY_EINVAL (a --media-* value)
 * / LY_EIO (a port taken) with the reason logged. */
int relay_start(struct ly_server *srv, const char *host);
/* The raw protocol that reads the relay's event fd; add it to the vhost. */
const struct lws_protocols *relay_protocol(void);
/* Watch the event fd in the vhost's loop (after relay_start). */
int relay_adopt(struct ly_server *srv, struct lws_vhost *vh);
/* Stop the workers; after signalling is gone. NULL media is fine. */
void relay_stop(struct ly_server *srv);

#endif
