/* media/spsc.c — a bounded single-producer single-consumer ring of
 * fixed-size slots, lock-free (C11 acquire/release on two counters).
 *
 * The producer writes a slot it claimed, then publishes it (a release store
 * of tail); the consumer sees it after an acquire load of tail, reads it in
 * place and releases it (a release store of head), after which the producer
 * may reuse it. head and tail run freely and wrap; tail - head is the fill.
 * Nothing blocks and nothing allocates after spsc_init(): a full ring says
 * so and the producer decides (media/recthread.c drops a packet for the
 * recording, never delays forwarding).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "core/err.h"
#include "media/media_internal.h"

int spsc_init(struct spsc *q, unsigned cap, size_t slot_size) {
  if (cap == 0 || (cap & (cap - 1)) != 0 || slot_size == 0) return LY_EINVAL;
  q->slots = calloc(cap, slot_size);
  if (q->slots == NULL) return LY_ENOMEM;
  q->cap = cap;
  q->slot_size = slot_size;
  atomic_init(&q->head, 0);
  atomic_init(&q->tail, 0);
  return 0;
}

void spsc_close(struct spsc *q) {
  free(q->slots);
  q->slots = NULL;
  q->cap = 0;
}

unsigned spsc_free(struct spsc *q) {
  unsigned tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  unsigned head = atomic_load_explicit(&q->head, memory_order_acquire);
  return q->cap - (tail - head);
}

void *spsc_claim(struct spsc *q) {
  unsigned tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  unsigned head = atomic_load_explicit(&q->head, memory_order_acquire);
  if (tail - head == q->cap) return NULL;
  return q->slots + (size_t)(tail & (q->cap - 1)) * q->slot_size;
}

void spsc_publish(struct spsc *q) {
  unsigned tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
}

void *spsc_peek(struct spsc *q) {
  unsigned head = atomic_load_explicit(&q->head, memory_order_relaxed);
  unsigned tail = atomic_load_explicit(&q->tail, memory_order_acquire);
  if (head == tail) return NULL;
  return q->slots + (size_t)(head & (q->cap - 1)) * q->slot_size;
}

void spsc_release(struct spsc *q) {
  unsigned head = atomic_load_explicit(&q->head, memory_order_relaxed);
  atomic_store_explicit(&q->head, head + 1, memory_order_release);
}
