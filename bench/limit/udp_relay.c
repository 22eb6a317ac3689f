/* bench/limit/udp_relay.c — bench_udp_relay: the ceiling any media relay can
 * reach on this machine. It forwards every RTP datagram of a publisher to the
 * other participants of its room with recvmmsg/sendmmsg and nothing else: no
 * ICE, no DTLS, no SRTP, no header rewriting, not even a copy (each outgoing
 * iovec points at the received buffer).
 *
 *   bench_udp_relay [--ip 127.0.0.1] [--port 19000]
 *
 * Participants register each socket with one datagram
 *   "LGREG" room(u32, big-endian) idx(u8) kind(u8: 1 publishes, 2 receives)
 * and get "LGOK" back. A datagram whose first byte is 128..191 (RTP) from a
 * registered publishing socket goes to every receiving socket of the room
 * but the publisher's own. Runs until SIGTERM/SIGINT, then prints its counters
 * on stderr. Single-threaded; every table has a fixed size made at start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH     64
#define MAX_ROOMS 8192
#define ROOM_MAX  4
#define SLOTS     65536 /* address hash table (power of 2) */
#define PKT_MAX   1600

struct member {
  uint32_t addr; /* network order */
  uint16_t port; /* network order, 0 = free slot */
  uint32_t room;
  uint8_t idx, kind;
};

struct room {
  struct sockaddr_in recv[ROOM_MAX]; /* receiving sockets by idx */
  uint8_t has[ROOM_MAX];
};

static struct member table[SLOTS];
static struct room *rooms;
static volatile sig_atomic_t stop;
static uint64_t n_in, n_out, n_dropped, n_unknown;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static unsigned slot_of(uint32_t addr, uint16_t port) {
  uint32_t h = (addr ^ ((uint32_t)port << 16) ^ port) * 2654435761u;
  return h & (SLOTS - 1);
}

static struct member *lookup(const struct sockaddr_in *a, int insert) {
  for (unsigned i = slot_of(a->sin_addr.s_addr, a->sin_port), n = 0; n < SLOTS;
       i = (i + 1) & (SLOTS - 1), n++) {
    struct member *m = &table[i];
    if (m->port == a->sin_port && m->addr == a->sin_addr.s_addr) return m;
    if (m->port == 0) {
      if (!insert) return NULL;
      m->addr = a->sin_addr.s_addr;
      m->port = a->sin_port;
      return m;
    }
  }
  return NULL;
}

static void on_register(int fd, const uint8_t *b, size_t len, const struct sockaddr_in *from) {
  if (len < 11) return;
  uint32_t room = (uint32_t)b[5] << 24 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 8 | b[8];
  uint8_t idx = b[9], kind = b[10];
  if (room >= MAX_ROOMS || idx >= ROOM_MAX || (kind != 1 && kind != 2)) return;
  struct member *m = lookup(from, 1);
  if (m == NULL) return;
  m->room = room;
  m->idx = idx;
  m->kind = kind;
  if (kind == 2) {
    rooms[room].recv[idx] = *from;
    rooms[room].has[idx] = 1;
  }
  (void)sendto(fd, "LGOK", 4, 0, (const struct sockaddr *)from, sizeof *from);
}

struct out {
  struct mmsghdr msg[BATCH * ROOM_MAX];
  struct iovec iov[BATCH * ROOM_MAX];
  unsigned n;
};

static void flush(int fd, struct out *o) {
  unsigned done = 0;
  while (done < o->n) {
    int r = sendmmsg(fd, o->msg + done, o->n - done, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) { /* the kernel refused one: count it and go on */
      n_dropped++;
      done++;
      continue;
    }
    done += (unsigned)r;
    n_out += (unsigned)r;
  }
  o->n = 0;
}

static void forward(struct out *o, uint8_t *buf, size_t len, const struct sockaddr_in *from) {
  struct member *m = lookup(from, 0);
  if (m == NULL || m->kind != 1) {
    n_unknown++;
    return;
  }
  struct room *r = &rooms[m->room];
  for (unsigned k = 0; k < ROOM_MAX; k++) {
    if (!r->has[k] || k == m->idx) continue;
    unsigned i = o->n++;
    o->iov[i] = (struct iovec){buf, len};
    o->msg[i].msg_hdr = (struct msghdr){
        .msg_name = &r->recv[k], .msg_namelen = sizeof r->recv[k], .msg_iov = &o->iov[i], .msg_iovlen = 1};
  }
}

static int open_socket(const char *ip, uint16_t port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int sz = 4 << 20;
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz); /* as the media workers do */
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void serve(int fd) {
  static uint8_t buf[BATCH][PKT_MAX];
  static struct sockaddr_in from[BATCH];
  static struct out o;
  struct mmsghdr in[BATCH];
  struct iovec iov[BATCH];
  while (!stop) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){buf[i], PKT_MAX};
      in[i].msg_hdr = (struct msghdr){
          .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    int n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue; /* EINTR on the signal that stops us */
    for (int i = 0; i < n; i++) {
      uint8_t *b = buf[i];
      size_t len = in[i].msg_len;
      n_in++;
      if (len >= 12 && b[0] >= 128 && b[0] <= 191)
        forward(&o, b, len, &from[i]);
      else if (len >= 5 && memcmp(b, "LGREG", 5) == 0)
        on_register(fd, b, len, &from[i]);
    }
    flush(fd, &o); /* before the buffers are reused */
  }
}

int main(int argc, char **argv) {
  const char *ip = "127.0.0.1";
  uint16_t port = 19000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--ip"))
      ip = argv[i + 1];
    else if (!strcmp(argv[i], "--port"))
      port = (uint16_t)atoi(argv[i + 1]);
  }
  rooms = calloc(MAX_ROOMS, sizeof *rooms);
  int fd = open_socket(ip, port);
  if (rooms == NULL || fd < 0) {
    fprintf(stderr, "bench_udp_relay: cannot listen on %s:%u\n", ip, port);
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  fprintf(stderr, "bench_udp_relay: listening on %s:%u\n", ip, port);
  serve(fd);
  fprintf(stderr, "bench_udp_relay: in %llu, out %llu, refused %llu, unknown %llu\n",
          (unsigned long long)n_in, (unsigned long long)n_out, (unsigned long long)n_dropped,
          (unsigned long long)n_unknown);
  close(fd);
  free(rooms);
  return 0;
}
