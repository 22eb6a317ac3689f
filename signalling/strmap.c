/* signalling/strmap.c — a small chained hash map from strings to pointers.
 *
 * Keys are borrowed from the values (an account's id, a room's id), so a
 * value must be removed before it is freed. The bucket array doubles when
 * the load passes 1; a failed grow keeps the old array (still correct, just
 * slower), so only the node allocation of strmap_put can fail.
 */
#include <stdlib.h>
#include <string.h>

#include "signalling/sig_internal.h"

struct strmap_node {
  struct strmap_node *next;
  const char *key;
  void *value;
  uint32_t hash;
};

/* FNV-1a: ids are random already; this only has to spread them. */
static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

int strmap_init(struct strmap *m, uint32_t nbuckets) {
  uint32_t n = 16;
  while (n < nbuckets && n < (1u << 24))
    n <<= 1;
  m->b = calloc(n, sizeof(*m->b));
  if (m->b == NULL) return LY_ENOMEM;
  m->nb = n;
  m->count = 0;
  return 0;
}

void strmap_close(struct strmap *m) {
  for (uint32_t i = 0; m->b != NULL && i < m->nb; i++) {
    struct strmap_node *n = m->b[i];
    while (n != NULL) {
      struct strmap_node *next = n->next;
      free(n);
      n = next;
    }
  }
  free(m->b);
  m->b = NULL;
  m->nb = m->count = 0;
}

static void grow(struct strmap *m) {
  uint32_t nb = m->nb * 2;
  struct strmap_node **b = calloc(nb, sizeof(*b));
  if (b == NULL) return;
  for (uint32_t i = 0; i < m->nb; i++) {
    struct strmap_node *n = m->b[i];
    while (n != NULL) {
      struct strmap_node *next = n->next;
      n->next = b[n->hash & (nb - 1)];
      b[n->hash & (nb - 1)] = n;
      n = next;
    }
  }
  free(m->b);
  m->b = b;
  m->nb = nb;
}

void *strmap_get(const struct strmap *m, const char *key) {
  uint32_t h = hash_str(key);
  for (struct strmap_node *n = m->b[h & (m->nb - 1)]; n != NULL; n = n->next)
    if (n->hash == h && strcmp(n->key, key) == 0) return n->value;
  return NULL;
}

int strmap_put(struct strmap *m, const char *key, void *value) {
  if (strmap_get(m, key) != NULL) return LY_EEXIST;
  struct strmap_node *n = malloc(sizeof(*n));
  if (n == NULL) return LY_ENOMEM;
  if (m->count >= m->nb && m->nb < (1u << 24)) grow(m);
  n->hash = hash_str(key);
  n->key = key;
  n->value = value;
  n->next = m->b[n->hash & (m->nb - 1)];
  m->b[n->hash & (m->nb - 1)] = n;
  m->count++;
  return 0;
}

void *strmap_del(struct strmap *m, const char *key) {
  uint32_t h = hash_str(key);
  for (struct strmap_node **pp = &m->b[h & (m->nb - 1)]; *pp != NULL; pp = &(*pp)->next) {
    struct strmap_node *n = *pp;
    if (n->hash == h && strcmp(n->key, key) == 0) {
      void *v = n->value;
      *pp = n->next;
      free(n);
      m->count--;
      return v;
    }
  }
  return NULL;
}

void strmap_each(const struct strmap *m, void (*fn)(void *value, void *ud), void *ud) {
  for (uint32_t i = 0; i < m->nb; i++)
    for (struct strmap_node *n = m->b[i]; n != NULL; n = n->next)
      fn(n->value, ud);
}
