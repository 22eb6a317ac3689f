/* server/offload.c — CPU-heavy work off the service thread (a password's
 * scrypt costs ~150 ms: on the service thread twenty sign-ins stalled every
 * other request for three seconds).
 *
 * One worker thread takes jobs from a bounded queue, runs job->work with
 * nothing but the job's own data, and puts the job on a done list; an
 * eventfd, watched by the service loop as an adopted raw descriptor (like the
 * signalfd and the relay's events), wakes the loop, which runs job->done for
 * each finished job on the service thread. The two lists and two flags are
 * the only state the threads share, under one mutex; a job belongs to the
 * worker from submit until it is on the done list.
 */
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/err.h"
#include "server/server.h"
#include "server/server_internal.h"

#define OFFLOAD_QUEUE_MAX 64 /* jobs waiting or running; more are refused (LY_EAGAIN) */

struct ly_offload {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct ly_offload_job *todo_head, *todo_tail, *done_head, *done_tail;
  unsigned queued; /* submitted, not yet done on the service thread */
  int stop, efd, started;
};

static void push(struct ly_offload_job **head, struct ly_offload_job **tail, struct ly_offload_job *j) {
  j->next = NULL;
  if (*tail)
    (*tail)->next = j;
  else
    *head = j;
  *tail = j;
}

static void *worker(void *ud) {
  struct ly_offload *o = ud;
  pthread_mutex_lock(&o->mu);
  for (;;) {
    while (!o->stop && o->todo_head == NULL)
      pthread_cond_wait(&o->cv, &o->mu);
    if (o->stop) break;
    struct ly_offload_job *j = o->todo_head;
    o->todo_head = j->next;
    if (o->todo_head == NULL) o->todo_tail = NULL;
    pthread_mutex_unlock(&o->mu);
    j->work(j);
    pthread_mutex_lock(&o->mu);
    push(&o->done_head, &o->done_tail, j);
    uint64_t one = 1;
    if (write(o->efd, &one, sizeof(one)) < 0) { /* the counter is far from full: cannot fail */
    }
  }
  pthread_mutex_unlock(&o->mu);
  return NULL;
}

/* Readable eventfd: run the finished jobs' done callbacks here. */
static int offload_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len) {
  struct ly_server *srv = lws_context_user(lws_get_context(wsi));
  struct ly_offload *o = srv ? srv->offload : NULL;
  uint64_t n;
  if (reason != LWS_CALLBACK_RAW_RX_FILE || o == NULL) return 0;
  if (read(lws_get_socket_fd(wsi), &n, sizeof(n)) < 0 && errno != EAGAIN) return 0;
  pthread_mutex_lock(&o->mu);
  struct ly_offload_job *j = o->done_head;
  o->done_head = o->done_tail = NULL;
  pthread_mutex_unlock(&o->mu);
  while (j != NULL) {
    struct ly_offload_job *next = j->next;
    o->queued--;
    j->done(srv, j);
    j = next;
  }
  return 0;
}

static const struct lws_protocols offload_protocol_row = {
    .name = "lianyi-offload",
    .callback = offload_callback,
};

const struct lws_protocols *offload_protocol(void) {
  return &offload_protocol_row;
}

int offload_start(struct ly_server *srv, struct lws_vhost *vh) {
  struct ly_offload *o = calloc(1, sizeof(*o));
  lws_sock_file_fd_type fd;
  if (o == NULL) return LY_ENOMEM;
  pthread_mutex_init(&o->mu, NULL);
  pthread_cond_init(&o->cv, NULL);
  o->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  srv->offload = o;
  fd.filefd = o->efd >= 0 ? fcntl(o->efd, F_DUPFD_CLOEXEC, 0) : -1; /* lws closes its own copy */
  if (fd.filefd < 0 ||
      lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, offload_protocol_row.name, NULL) == NULL ||
      pthread_create(&o->thread, NULL, worker, o) != 0) {
    LY_ERROR(&srv->log, "server.offload_failed", "cannot start the worker thread: %s", strerror(errno));
    return LY_EIO;
  }
  o->started = 1;
  return 0;
}

int offload_room(const struct ly_server *srv) {
  const struct ly_offload *o = srv->offload;
  if (o == NULL || !o->started) return -1;
  return o->queued < OFFLOAD_QUEUE_MAX;
}

int offload_submit(struct ly_server *srv, struct ly_offload_job *j) {
  struct ly_offload *o = srv->offload;
  if (o == NULL || !o->started) {
    j->work(j); /* no worker (a tool, a test harness): run it here and now */
    j->done(srv, j);
    return 0;
  }
  if (o->queued >= OFFLOAD_QUEUE_MAX) return LY_EAGAIN;
  o->queued++;
  pthread_mutex_lock(&o->mu);
  push(&o->todo_head, &o->todo_tail, j);
  pthread_cond_signal(&o->cv);
  pthread_mutex_unlock(&o->mu);
  return 0;
}

void offload_stop(struct ly_server *srv) {
  struct ly_offload *o = srv->offload;
  if (o == NULL) return;
  if (o->started) {
    pthread_mutex_lock(&o->mu);
    o->stop = 1;
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->thread, NULL);
  }
  /* jobs never run or never answered: done frees them, told not to answer */
  struct ly_offload_job *lists[2] = {o->done_head, o->todo_head};
  srv->offload = NULL;
  for (int k = 0; k < 2; k++) {
    for (struct ly_offload_job *j = lists[k], *next; j != NULL; j = next) {
      next = j->next;
      j->cancelled = 1;
      j->done(srv, j);
    }
  }
  if (o->efd >= 0) close(o->efd);
  pthread_mutex_destroy(&o->mu);
  pthread_cond_destroy(&o->cv);
  free(o);
}
