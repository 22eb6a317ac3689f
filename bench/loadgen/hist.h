/* bench/loadgen/hist.h — a fixed-size log-linear histogram of microseconds:
 * exact below 1,024 µs, then 64 sub-buckets per power of two (error < 1.6 %)
 * up to 2^31 µs. No allocation; values below 0 count as 0, above the top as
 * the top. Not thread-safe (one per thread, merged with hist_merge). */
#ifndef LG_HIST_H
#define LG_HIST_H

#include <stdint.h>

#define HIST_LINEAR  1024
#define HIST_SUB     64
#define HIST_OCTAVES 21 /* 2^10 .. 2^31 */
#define HIST_BUCKETS (HIST_LINEAR + HIST_OCTAVES * HIST_SUB)

struct hist {
  uint64_t n;
  int64_t max;
  uint64_t b[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_add(struct hist *h, int64_t us);
void hist_merge(struct hist *into, const struct hist *from);
/* The value at quantile q (0..1), as the lower bound of its bucket; 0 if empty. */
int64_t hist_quantile(const struct hist *h, double q);

#endif
