/* A `cerelay run` child for the relay benchmarks (see relay_proc.h). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen.h"
#include "relay_proc.h"

int relay_start(const char *bin, const char *cfg, const char *logpath, relay_proc *rp)
{
    int out[2];
    if (pipe(out) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        FILE *lf = fopen(logpath, "w");
        if (lf)
            dup2(fileno(lf), 2);
        execl(bin, bin, "run", "-c", cfg, "--print-addresses", (char *)NULL);
        fprintf(stderr, "relay_proc: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    rp->pid = pid;
    rp->port = 0;
    char buf[512];
    size_t len = 0;
    double until = mono_s() + 20;
    while (!rp->port && mono_s() < until && len < sizeof buf - 1) {
        struct pollfd pf = {out[0], POLLIN, 0};
        if (poll(&pf, 1, 200) != 1)
            continue;
        ssize_t n = read(out[0], buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        char *u = strstr(buf, "events http://127.0.0.1:");
        if (u && strchr(u, '\n'))
            rp->port = atoi(u + strlen("events http://127.0.0.1:"));
    }
    close(out[0]);
    return rp->port > 0 ? 0 : -1;
}

void relay_stop(relay_proc *rp)
{
    if (rp->pid <= 0)
        return;
    kill(rp->pid, SIGTERM);
    for (int i = 0; i < 300; i++) { /* the relay drains for at most shutdown.drain_timeout */
        if (waitpid(rp->pid, NULL, WNOHANG) == rp->pid)
            return;
        usleep(50000);
    }
    kill(rp->pid, SIGKILL);
    waitpid(rp->pid, NULL, 0);
}

int relay_reachable(const char *hostport)
{
    char host[256];
    snprintf(host, sizeof host, "%s", hostport);
    char *comma = strchr(host, ',');
    if (comma)
        *comma = 0;
    char *colon = strrchr(host, ':');
    if (!colon)
        return 0;
    *colon = 0;
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
        return 0;
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    int ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return ok;
}
