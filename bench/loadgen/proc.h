/* bench/loadgen/proc.h — what /proc says about a process and a core.
 * All functions return 0 (or -1 / 0 values) without allocating. */
#ifndef LG_PROC_H
#define LG_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* CPU time of every thread of pid, in µs: the sum of
 * /proc/PID/task/TID/schedstat (ns on CPU), else utime+stime from
 * /proc/PID/stat. -1 if pid is gone. */
int64_t proc_cpu_us(pid_t pid);
/* Resident set (VmRSS) in KiB, -1 if gone. */
int64_t proc_rss_kb(pid_t pid);
/* Busy time of core cpu from /proc/stat (user+nice+system+irq+softirq+steal),
 * in µs (USER_HZ resolution). -1 if unknown. */
int64_t proc_core_busy_us(int cpu);
/* The core this thread runs on now (sched_getcpu). */
int proc_this_cpu(void);

#endif
