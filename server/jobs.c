/* server/jobs.c — periodic jobs on the service thread.
 *
 * One table: each job runs every interval on the lws loop (lws_sul timers),
 * so it owns the database like any handler and needs no locks. A job must be
 * quick (bounded batches); a slow one delays every request. The first run is
 * one interval after start, so start-up stays fast.
 */
#include <libwebsockets.h>
#include <stdlib.h>

#include "server/billing.h"
#include "server/h_pharmacy.h"
#include "server/h_rx.h"
#include "server/notices.h"
#include "server/server.h"
#include "server/server_internal.h"

struct job_def {
  const char *name;
  int64_t interval_ms;
  void (*run)(struct ly_server *srv);
  int64_t (*interval)(const struct ly_server *srv); /* a setting, instead of interval_ms */
};

static const struct job_def jobs[] = {
    /* prescription expiry, missed follow-up alerts, weekly supervision sample */
    {"rx.tick", 60 * 1000, h_rx_tick, NULL},
    /* pharmacy dispatches not claimed in time go back to the patient */
    {"rx.dispatch_lapse", 1000, h_pharmacy_tick, NULL},
    /* ended consultations and completed dispenses billed, returned ones reversed */
    {"insurance.billing", 0, billing_tick, billing_interval_ms},
    /* new rx notices pushed to their accounts over WebSocket, once committed */
    {"notices.relay", 250, notices_tick, NULL},
};
#define NJOBS (sizeof(jobs) / sizeof(jobs[0]))

struct job_timer {
  lws_sorted_usec_list_t sul; /* first: the callback gets &sul */
  struct ly_server *srv;
  const struct job_def *def;
};

struct ly_jobs {
  struct job_timer timers[NJOBS];
};

static int64_t job_interval(const struct job_timer *t) {
  return t->def->interval ? t->def->interval(t->srv) : t->def->interval_ms;
}

static void job_fire(lws_sorted_usec_list_t *sul) {
  struct job_timer *t = lws_container_of(sul, struct job_timer, sul);
  if (t->srv->stopping) return;
  int64_t t0 = ly_mono_ms(t->srv->clock);
  t->def->run(t->srv);
  int64_t took = ly_mono_ms(t->srv->clock) - t0;
  if (took > 200) LY_WARN(&t->srv->log, "job.slow", "job %s took %lld ms", t->def->name, (long long)took);
  lws_sul_schedule(t->srv->lws, 0, &t->sul, job_fire, job_interval(t) * LWS_US_PER_MS);
}

int jobs_start(struct ly_server *srv) {
  struct ly_jobs *j = calloc(1, sizeof(*j));
  if (j == NULL) return LY_ENOMEM;
  for (size_t i = 0; i < NJOBS; i++) {
    j->timers[i].srv = srv;
    j->timers[i].def = &jobs[i];
    lws_sul_schedule(srv->lws, 0, &j->timers[i].sul, job_fire, job_interval(&j->timers[i]) * LWS_US_PER_MS);
  }
  srv->jobs = j;
  return 0;
}

void jobs_stop(struct ly_server *srv) {
  if (srv->jobs == NULL) return;
  for (size_t i = 0; i < NJOBS; i++)
    lws_sul_cancel(&srv->jobs->timers[i].sul);
  free(srv->jobs);
  srv->jobs = NULL;
}
