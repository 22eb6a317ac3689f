/* server/demo_rand.c — the demo's deterministic randomness: per-entity
 * splitmix64 streams, opaque-looking derived ids, valid resident ID numbers.
 *
 * Every entity draws from its own stream, seeded by (DEMO_SEED, tag, index),
 * so the 37th patient's name does not change when a pharmacy is added or a
 * table gains a row: the demo stays stable while the data grows.
 */
#include <stdio.h>
#include <string.h>

#include "core/crypto.h"
#include "core/err.h"
#include "core/ids.h"
#include "server/demo_internal.h"

static uint64_t rand_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* FNV-1a, enough to turn a tag into 64 bits. */
static uint64_t rand_fnv(const char *s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
  return h;
}

void demo_rand_init(struct demo_rand *r, const char *tag, uint64_t index) {
  r->s = rand_mix(DEMO_SEED ^ rand_mix(rand_fnv(tag)) ^ rand_mix(index + 0x9e3779b97f4a7c15ULL));
}

uint64_t demo_rand_u64(struct demo_rand *r) {
  r->s += 0x9e3779b97f4a7c15ULL;
  return rand_mix(r->s);
}

uint32_t demo_rand_below(struct demo_rand *r, uint32_t n) {
  if (n <= 1) return 0;
  /* Lemire's multiply-shift; the bias (< n / 2^64) is irrelevant here. */
  return (uint32_t)(((unsigned __int128)demo_rand_u64(r) * n) >> 64);
}

int demo_rand_range(struct demo_rand *r, int lo, int hi) {
  if (hi <= lo) return lo;
  return lo + (int)demo_rand_below(r, (uint32_t)(hi - lo + 1));
}

int demo_rand_chance(struct demo_rand *r, int permille) {
  return (int)demo_rand_below(r, 1000) < permille;
}

double demo_rand_real(struct demo_rand *r, double lo, double hi) {
  double u = (double)(demo_rand_u64(r) >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * u;
}

int demo_rand_weighted(struct demo_rand *r, const int *weights, int n) {
  int64_t total = 0;
  for (int i = 0; i < n; i++)
    total += weights[i] > 0 ? weights[i] : 0;
  if (total <= 0) return n > 0 ? (int)demo_rand_below(r, (uint32_t)n) : -1;
  int64_t x = (int64_t)(demo_rand_u64(r) % (uint64_t)total);
  for (int i = 0; i < n; i++) {
    if (weights[i] <= 0) continue;
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return n - 1;
}

/* "<prefix>_" + base64url(first 16 bytes of SHA-256("lianyi-demo|seed|tag|index")):
 * the same shape as ly_id_new, stable across runs, and not an obvious
 * counter. (Derived ids are guessable by anyone with the source: demo only.) */
int demo_rand_id(const char *prefix, const char *tag, uint64_t index, char *out, size_t outsz) {
  char in[96];
  uint8_t h[LY_SHA256_LEN];
  int n = snprintf(in, sizeof in, "lianyi-demo|%llx|%s|%llu", (unsigned long long)DEMO_SEED, tag,
                   (unsigned long long)index);
  if (n < 0 || (size_t)n >= sizeof in) return LY_EINVAL;
  int rc = ly_sha256(in, (size_t)n, h);
  if (rc) return rc;
  size_t pl = strlen(prefix);
  if (outsz < pl + 2 + 23) return LY_ETOOBIG;
  memcpy(out, prefix, pl);
  out[pl] = '_';
  rc = ly_b64url_encode(h, 16, out + pl + 1, outsz - pl - 1);
  return rc < 0 ? rc : LY_OK;
}

char demo_rand_id_check(const char *first17) {
  static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char map[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; i++) {
    if (first17[i] < '0' || first17[i] > '9') return 0;
    sum += (first17[i] - '0') * w[i];
  }
  return map[sum % 11];
}

int demo_rand_national_id(const char *birth_date, int seq, char sex, char out[19]) {
  /* 440310 (Pingshan) + YYYYMMDD + 3-digit order code (odd: male, even:
   * female) + the ISO 7064 MOD 11-2 check character (GB 11643-1999). */
  if (strlen(birth_date) != 10 || seq < 0 || seq > 999) return LY_EINVAL;
  if ((seq % 2 == 1) != (sex == 'M')) return LY_EINVAL;
  int n = snprintf(out, 19, "%s%.4s%.2s%.2s%03d", DEMO_REGION_CODE, birth_date, birth_date + 5,
                   birth_date + 8, seq);
  if (n != 17) return LY_EINVAL;
  char c = demo_rand_id_check(out);
  if (!c) return LY_EINVAL;
  out[17] = c;
  out[18] = '\0';
  return LY_OK;
}
