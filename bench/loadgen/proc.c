/* bench/loadgen/proc.c — /proc readings. See proc.h. */
#include "proc.h"

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int64_t stat_cpu_us(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  unsigned long long ut, st;
  if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (int64_t)((ut + st) * 1000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

int64_t proc_cpu_us(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  if (d == NULL) return -1;
  unsigned long long ns = 0;
  int found = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char p2[320];
    snprintf(p2, sizeof p2, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
    FILE *f = fopen(p2, "r");
    unsigned long long v;
    if (f && fscanf(f, "%llu", &v) == 1) {
      ns += v;
      found = 1;
    }
    if (f) fclose(f);
  }
  closedir(d);
  return found ? (int64_t)(ns / 1000) : stat_cpu_us(pid);
}

int64_t proc_rss_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  long long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %lld", &kb) == 1) break;
  fclose(f);
  return kb;
}

int64_t proc_core_busy_us(int cpu) {
  FILE *f = fopen("/proc/stat", "r");
  if (f == NULL) return -1;
  char line[512], want[16];
  snprintf(want, sizeof want, "cpu%d ", cpu);
  int64_t busy = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long long u, ni, sy, id, io, irq, sirq, steal;
    if (strncmp(line, want, strlen(want)) != 0) continue;
    if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &u, &ni, &sy, &id, &io, &irq,
               &sirq, &steal) == 8)
      busy = (int64_t)((u + ni + sy + irq + sirq + steal) * 1000000ull /
                       (unsigned long long)sysconf(_SC_CLK_TCK));
    break;
  }
  fclose(f);
  return busy;
}

int proc_this_cpu(void) {
  return sched_getcpu();
}
