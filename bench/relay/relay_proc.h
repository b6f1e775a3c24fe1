/* A `cerelay run` child for the relay benchmarks: started with a configuration file, its
 * events port read from --print-addresses, stopped with SIGTERM (SIGKILL after 15 s). */
#ifndef CER_BENCH_RELAY_PROC_H
#define CER_BENCH_RELAY_PROC_H

#include <sys/types.h>

typedef struct relay_proc {
    pid_t pid;
    int port;
    double cpu0, cpu1;
} relay_proc;

/* Start `bin run -c cfg --print-addresses` with stderr to logpath; 0 once the events port is
 * known (rp->port), -1 otherwise (the child may still run: call relay_stop). */
int relay_start(const char *bin, const char *cfg, const char *logpath, relay_proc *rp);
void relay_stop(relay_proc *rp);
/* Is a TCP listener at "host:port"? */
int relay_reachable(const char *hostport);

#endif
