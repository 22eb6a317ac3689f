/* media/queue.c — the bounded ring between the service thread and a worker.
 *
 * A mutex-protected ring of pointers plus an eventfd: pushes never block
 * beyond the (tiny) critical section and fail with LY_EAGAIN when the ring is
 * full, so a stuck consumer can never make the producer wait. The eventfd is
 * written on every push; consumers read it to reset and then drain the ring.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/err.h"
#include "media/media_internal.h"

int queue_init(struct queue *q, unsigned cap) {
  q->slot = calloc(cap, sizeof *q->slot);
  if (q->slot == NULL) return LY_ENOMEM;
  q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (q->efd < 0) {
    free(q->slot);
    return LY_EIO;
  }
  pthread_mutex_init(&q->mu, NULL);
  q->cap = cap;
  q->head = q->count = 0;
  return 0;
}

void queue_close(struct queue *q) {
  if (q->slot == NULL) return;
  pthread_mutex_destroy(&q->mu);
  close(q->efd);
  free(q->slot);
  q->slot = NULL;
}

int queue_push(struct queue *q, void *item) {
  pthread_mutex_lock(&q->mu);
  if (q->count == q->cap) {
    pthread_mutex_unlock(&q->mu);
    return LY_EAGAIN;
  }
  q->slot[(q->head + q->count) % q->cap] = item;
  q->count++;
  pthread_mutex_unlock(&q->mu);
  uint64_t one = 1;
  ssize_t r = write(q->efd, &one, sizeof one); /* only fails if the counter would overflow */
  (void)r;
  return 0;
}

void *queue_pop(struct queue *q) {
  void *item = NULL;
  pthread_mutex_lock(&q->mu);
  if (q->count > 0) {
    item = q->slot[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
  }
  pthread_mutex_unlock(&q->mu);
  return item;
}

void queue_drain_fd(struct queue *q) {
  uint64_t v;
  while (read(q->efd, &v, sizeof v) > 0) {
  }
}
