/* server/conn_limit.c — how many connections are open, in all and per peer
 * address, and whether one more may be taken (--max-connections,
 * --max-connections-per-ip).
 *
 * Every admitted connection holds one slot of a pool sized for
 * --max-connections when it is made (bounded: no allocation per
 * connection); the slot's address goes on the lws wsi (opaque user data)
 * and comes back in LWS_CALLBACK_WSI_DESTROY, which lws sends for every wsi
 * it frees — also after an upgrade to WebSocket, which keeps the wsi. Per
 * address counts live in an open-addressing table (linear probing,
 * backward-shift deletion) of twice the pool's size, keyed by the 16-byte
 * address (IPv4 as ::ffff:a.b.c.d), so one client cannot hold every slot.
 *
 * Over its per-address limit an address may still have as many connections
 * again admitted "over": they hold a slot (and count for the address) only
 * to be answered 503 http.too_many_connections and closed (server/http.c),
 * so a browser sees why; past that they are closed at accept.
 * Everything runs on the service thread.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/server_internal.h"

struct conn_slot {
  uint8_t addr[16];
  int32_t next_free; /* -1: none; in use: -2 */
  uint8_t over;      /* admitted over the per-address limit: to be refused with a 503 */
};

struct ip_count {
  uint8_t addr[16];
  uint32_t count; /* 0: empty bucket */
};

struct ly_conn_limit {
  struct conn_slot *slots;
  uint32_t nslots, open, per_ip;
  int32_t free_head;
  struct ip_count *ips; /* NULL when there is no per-address limit */
  uint32_t ips_mask;
  uint64_t refused_total, refused_per_ip, refused_fds;
};

static uint32_t addr_hash(const uint8_t a[16]) {
  uint32_t h = 2166136261u;
  for (int i = 0; i < 16; i++)
    h = (h ^ a[i]) * 16777619u;
  return h;
}

/* The bucket holding addr, or the empty one where it would go. */
static uint32_t ip_find(const struct ly_conn_limit *l, const uint8_t addr[16]) {
  uint32_t i = addr_hash(addr) & l->ips_mask;
  while (l->ips[i].count != 0 && memcmp(l->ips[i].addr, addr, 16) != 0)
    i = (i + 1) & l->ips_mask;
  return i;
}

/* Empty bucket i, moving later entries of its run back (linear probing). */
static void ip_delete(struct ly_conn_limit *l, uint32_t i) {
  uint32_t j = i;
  for (;;) {
    l->ips[i].count = 0;
    for (;;) {
      j = (j + 1) & l->ips_mask;
      if (l->ips[j].count == 0) return;
      uint32_t home = addr_hash(l->ips[j].addr) & l->ips_mask;
      /* j may move to i when its home is not cyclically within (i, j] */
      if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) break;
    }
    l->ips[i] = l->ips[j];
    i = j;
  }
}

static void metrics_source(void *ud, struct ly_metrics_out *o) {
  const struct ly_conn_limit *l = ud;
  metrics_printf(
      o,
      "# HELP lianyi_connections_admitted Connections open now, as the connection limits count them.\n"
      "# TYPE lianyi_connections_admitted gauge\nlianyi_connections_admitted %u\n"
      "# HELP lianyi_connections_refused_total Connections closed at accept by a limit.\n"
      "# TYPE lianyi_connections_refused_total counter\n"
      "lianyi_connections_refused_total{reason=\"max_connections\"} %llu\n"
      "lianyi_connections_refused_total{reason=\"per_ip\"} %llu\n"
      "lianyi_connections_refused_total{reason=\"no_file_descriptors\"} %llu\n",
      l->open, (unsigned long long)l->refused_total, (unsigned long long)l->refused_per_ip,
      (unsigned long long)l->refused_fds);
}

int conn_limit_init(struct ly_server *srv, uint32_t max_connections, uint32_t per_ip) {
  struct ly_conn_limit *l = calloc(1, sizeof(*l));
  if (l == NULL) return LY_ENOMEM;
  l->nslots = max_connections;
  l->per_ip = per_ip;
  l->slots = calloc(max_connections, sizeof(*l->slots));
  if (per_ip > 0) {
    uint32_t cap = 16;
    while (cap < 2 * max_connections)
      cap *= 2;
    l->ips = calloc(cap, sizeof(*l->ips));
    l->ips_mask = cap - 1;
  }
  if (l->slots == NULL || (per_ip > 0 && l->ips == NULL)) {
    conn_limit_close(l);
    return LY_ENOMEM;
  }
  for (uint32_t i = 0; i < max_connections; i++)
    l->slots[i].next_free = i + 1 < max_connections ? (int32_t)(i + 1) : -1;
  l->free_head = 0;
  srv->conn_limit = l;
  if (srv->metrics != NULL) metrics_add_source(srv->metrics, metrics_source, l);
  return 0;
}

void conn_limit_close(struct ly_conn_limit *l) {
  if (l == NULL) return;
  free(l->slots);
  free(l->ips);
  free(l);
}

/* The peer's address as 16 bytes (IPv4 mapped into IPv6). */
static void addr_key(const struct sockaddr *sa, uint8_t out[16]) {
  memset(out, 0, 16);
  if (sa->sa_family == AF_INET6) {
    memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
  } else if (sa->sa_family == AF_INET) {
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
  }
}

int conn_limit_admit(struct ly_conn_limit *l, const struct sockaddr *peer, void **slot_out) {
  uint8_t key[16];
  if (l->free_head < 0) {
    l->refused_total++;
    return LY_EAGAIN;
  }
  addr_key(peer, key);
  uint32_t b = 0;
  if (l->ips != NULL) {
    b = ip_find(l, key);
    if (l->ips[b].count >= l->per_ip) {
      l->refused_per_ip++;
      if (l->ips[b].count >= 2 * l->per_ip) return LY_ERATE; /* not even to be told */
    }
  }
  struct conn_slot *s = &l->slots[l->free_head];
  l->free_head = s->next_free;
  s->next_free = -2;
  s->over = l->ips != NULL && l->ips[b].count >= l->per_ip;
  memcpy(s->addr, key, 16);
  if (l->ips != NULL) {
    memcpy(l->ips[b].addr, key, 16);
    l->ips[b].count++;
  }
  l->open++;
  *slot_out = s;
  return s->over ? LY_ERATE : 0;
}

int conn_limit_over(const void *slot) {
  return slot != NULL && ((const struct conn_slot *)slot)->over;
}

void conn_limit_release(struct ly_conn_limit *l, void *slot) {
  if (l == NULL || slot == NULL) return;
  uintptr_t off = (uintptr_t)slot - (uintptr_t)l->slots; /* only a slot of this pool, in use */
  if (off % sizeof(*l->slots) != 0 || off / sizeof(*l->slots) >= l->nslots) return;
  struct conn_slot *s = &l->slots[off / sizeof(*l->slots)];
  if (s->next_free != -2) return;
  if (l->ips != NULL) {
    uint32_t b = ip_find(l, s->addr);
    if (l->ips[b].count > 0 && --l->ips[b].count == 0) ip_delete(l, b);
  }
  s->next_free = l->free_head;
  l->free_head = (int32_t)(s - l->slots);
  l->open--;
}

void conn_limit_refused_fds(struct ly_conn_limit *l) {
  if (l != NULL) l->refused_fds++;
}

uint32_t conn_limit_open(const struct ly_conn_limit *l) {
  return l ? l->open : 0;
}
