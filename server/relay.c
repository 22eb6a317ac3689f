/* server/relay.c — the media relay inside the server (relay.h).
 *
 * The relay's workers post events on an eventfd; the service loop watches a
 * duplicate of it as an adopted raw descriptor, exactly like the signalfd
 * (server.c), so it works under whichever event loop lws runs on, and lws
 * closes its own copy. Readable means "events pending": they go to
 * signalling (sig_media_events), which drains the fd.
 *
 * Addresses: the workers bind to the listen host ("" → every interface,
 * "localhost" → 127.0.0.1); candidates carry --media-ip, else what media/
 * derives (the bound address; 127.0.0.1 for every interface). Only an IP
 * literal may go into a candidate line.
 */
#include "server/relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "media/media.h"
#include "server/metrics.h"
#include "server/server.h"
#include "signalling/sig.h"

static int is_ip(const char *s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int is_loopback_ip(const char *s) {
  return strncmp(s, "127.", 4) == 0 || strcmp(s, "::1") == 0;
}

static int relay_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len) {
  struct ly_server *srv = lws_context_user(lws_get_context(wsi));
  struct media_event *ev;

  if (reason != LWS_CALLBACK_RAW_RX_FILE || srv->media == NULL) return 0;
  if (srv->sig != NULL) {
    sig_media_events(srv->sig);
    return 0;
  }
  while ((ev = media_next_event(srv->media)) != NULL) /* nobody to tell: drain */
    media_event_free(ev);
  return 0;
}

static const struct lws_protocols protocol = {
    .name = "lianyi-media-events",
    .callback = relay_callback,
};

const struct lws_protocols *relay_protocol(void) {
  return &protocol;
}

static void relay_metrics(void *ud, struct ly_metrics_out *o) {
  struct ly_server *srv = ud;
  struct media_metrics mm;
  if (srv->media == NULL) return;
  media_metrics(srv->media, &mm);
  metrics_printf(
      o,
      "# HELP lianyi_media_forwarded_packets_total RTP packets the relay forwarded to subscribers.\n"
      "# TYPE lianyi_media_forwarded_packets_total counter\n"
      "lianyi_media_forwarded_packets_total %llu\n"
      "# HELP lianyi_media_dtls_failures_total DTLS handshakes that failed or were refused.\n"
      "# TYPE lianyi_media_dtls_failures_total counter\n"
      "lianyi_media_dtls_failures_total %llu\n"
      "# HELP lianyi_media_transports Media transports open now.\n"
      "# TYPE lianyi_media_transports gauge\n"
      "lianyi_media_transports %llu\n"
      "# HELP lianyi_media_transports_connected Media transports keyed (ICE and DTLS-SRTP done) now.\n"
      "# TYPE lianyi_media_transports_connected gauge\n"
      "lianyi_media_transports_connected %llu\n"
      "# HELP lianyi_media_rooms Rooms with media transports now.\n"
      "# TYPE lianyi_media_rooms gauge\n"
      "lianyi_media_rooms %llu\n"
      "# HELP lianyi_media_workers Media relay worker threads.\n"
      "# TYPE lianyi_media_workers gauge\n"
      "lianyi_media_workers %u\n",
      (unsigned long long)mm.forwarded_packets, (unsigned long long)mm.dtls_failures,
      (unsigned long long)mm.transports, (unsigned long long)mm.connected, (unsigned long long)mm.rooms,
      media_worker_count(srv->media));
}

static int check(struct ly_server *srv, const char *bind_ip, unsigned workers) {
  const char *cand = srv->cfg.media_ip;
  if (cand[0] != '\0' && !is_ip(cand)) {
    LY_ERROR(&srv->log, "config.invalid", "--media-ip must be an IPv4 or IPv6 address (got '%s')", cand);
    return LY_EINVAL;
  }
  if (srv->cfg.media_port > 0 && srv->cfg.media_port + workers - 1 > 65535) {
    LY_ERROR(&srv->log, "config.invalid", "--media-port %lld leaves no room for %u workers below 65536",
             (long long)srv->cfg.media_port, workers);
    return LY_EINVAL;
  }
  if (cand[0] == '\0' && !is_loopback_ip(bind_ip))
    LY_WARN(&srv->log, "media.candidate_default",
            "media candidates carry %s: set --media-ip to the address browsers reach this host by",
            strcmp(bind_ip, "0.0.0.0") == 0 ? "127.0.0.1" : bind_ip);
  return 0;
}

int relay_start(struct ly_server *srv, const char *host) {
  char bind_ip[64];
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned workers =
      srv->cfg.media_workers > 0 ? (unsigned)srv->cfg.media_workers : (ncpu > 0 ? (unsigned)ncpu : 1);

  if (host[0] == '\0')
    snprintf(bind_ip, sizeof(bind_ip), "0.0.0.0");
  else if (strcmp(host, "localhost") == 0 || !is_ip(host))
    snprintf(bind_ip, sizeof(bind_ip), "%s", strcmp(host, "localhost") == 0 ? "127.0.0.1" : "0.0.0.0");
  else
    snprintf(bind_ip, sizeof(bind_ip), "%s", host);
  int rc = check(srv, bind_ip, workers);
  if (rc != 0) return rc;
  struct media_config mc = {
      .workers = workers,
      .base_port = (uint16_t)srv->cfg.media_port,
      .listen_ip = bind_ip,
      .candidate_ip = srv->cfg.media_ip[0] ? srv->cfg.media_ip : NULL,
      .max_video_kbps = (uint32_t)srv->cfg.max_video_kbps,
      .weak_loss_pct = (uint32_t)srv->cfg.weak_link_loss_pct,
      .weak_after_ms = (uint32_t)srv->cfg.weak_link_stop_ms,
      .good_loss_pct = (uint32_t)srv->cfg.weak_link_recover_pct,
      .good_after_ms = (uint32_t)srv->cfg.weak_link_recover_ms,
      .log = &srv->log,
      .clock = srv->clock,
  };
  if ((rc = media_start(&mc, &srv->media)) != 0) {
    LY_ERROR(&srv->log, "media.start_failed", "cannot start the media relay on %s (UDP port %lld…): %s",
             bind_ip, (long long)srv->cfg.media_port, ly_strerror(rc));
    return rc;
  }
  LY_INFO(&srv->log, "media.listening", "media relay: %u worker(s) on %s UDP ports %u..%u", workers, bind_ip,
          (unsigned)media_worker_port(srv->media, 0), (unsigned)media_worker_port(srv->media, workers - 1));
  return metrics_add_source(srv->metrics, relay_metrics, srv);
}

int relay_adopt(struct ly_server *srv, struct lws_vhost *vh) {
  lws_sock_file_fd_type fd;
  fd.filefd = fcntl(media_event_fd(srv->media), F_DUPFD_CLOEXEC, 0);
  if (fd.filefd < 0 ||
      lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, protocol.name, NULL) == NULL) {
    LY_ERROR(&srv->log, "media.adopt_failed", "cannot watch the media relay's events: %s", strerror(errno));
    return LY_EIO;
  }
  return 0;
}

void relay_stop(struct ly_server *srv) {
  media_stop(srv->media);
  srv->media = NULL;
}
