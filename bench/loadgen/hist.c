/* bench/loadgen/hist.c — log-linear histogram. See hist.h. */
#include "hist.h"

#include <string.h>

void hist_reset(struct hist *h) {
  memset(h, 0, sizeof *h);
}

static unsigned bucket_of(int64_t v) {
  if (v < HIST_LINEAR) return v < 0 ? 0 : (unsigned)v;
  unsigned top = 63u - (unsigned)__builtin_clzll((unsigned long long)v); /* >= 10 */
  if (top >= 10 + HIST_OCTAVES) return HIST_BUCKETS - 1;
  unsigned sub = (unsigned)((unsigned long long)v >> (top - 6)) & (HIST_SUB - 1);
  return HIST_LINEAR + (top - 10) * HIST_SUB + sub;
}

static int64_t lower_bound(unsigned b) {
  if (b < HIST_LINEAR) return b;
  unsigned oct = (b - HIST_LINEAR) / HIST_SUB, sub = (b - HIST_LINEAR) % HIST_SUB;
  return (int64_t)((64ull + sub) << (oct + 4)); /* (1 << (oct+10)) * (1 + sub/64) */
}

void hist_add(struct hist *h, int64_t us) {
  h->b[bucket_of(us)]++;
  h->n++;
  if (us > h->max) h->max = us;
}

void hist_merge(struct hist *into, const struct hist *from) {
  for (unsigned i = 0; i < HIST_BUCKETS; i++)
    into->b[i] += from->b[i];
  into->n += from->n;
  if (from->max > into->max) into->max = from->max;
}

int64_t hist_quantile(const struct hist *h, double q) {
  if (h->n == 0) return 0;
  uint64_t want = (uint64_t)(q * (double)(h->n - 1)) + 1, seen = 0;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) {
    seen += h->b[i];
    if (seen >= want) return lower_bound(i);
  }
  return h->max;
}
