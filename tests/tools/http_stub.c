/* http_stub: a test HTTP server (libmicrohttpd) that records every request and answers with a
 * scripted sequence of statuses. Used by the HTTP sink and `send --http` tests.
 *   http_stub DIR STATUS[,STATUS...] [--retry-after SECS] [--delay-ms MS]
 * Listens on 127.0.0.1 on a free port, writes the port to DIR/port, then for request N writes
 * DIR/N.headers ("name: value" lines, lowercase names) and DIR/N.body, and answers with the
 * Nth status (the last one repeats). Runs until SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct req {
    char *body;
    size_t len, cap;
} req;

static const char *dir;
static int statuses[64], nstatuses;
static int retry_after = -1, delay_ms;
static int count;
static volatile sig_atomic_t done;

static void on_sig(int s)
{
    done = 1;
}

static enum MHD_Result write_header(void *cls, enum MHD_ValueKind kind, const char *k,
                                    const char *v)
{
    FILE *f = cls;
    for (const char *p = k; *p; p++)
        fputc(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p, f);
    fprintf(f, ": %s\n", v ? v : "");
    return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **state)
{
    req *r = *state;
    if (!r) {
        r = calloc(1, sizeof *r);
        *state = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->len + *upload_size > r->cap) {
            r->cap = (r->len + *upload_size) * 2;
            r->body = realloc(r->body, r->cap);
        }
        memcpy(r->body + r->len, upload, *upload_size);
        r->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    int n = count++;
    char path[4096];
    snprintf(path, sizeof path, "%s/%d.headers", dir, n);
    FILE *f = fopen(path, "w");
    fprintf(f, ":method: %s\n:path: %s\n", method, url);
    MHD_get_connection_values(c, MHD_HEADER_KIND, write_header, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/%d.body", dir, n);
    f = fopen(path, "wb");
    if (r->len)
        fwrite(r->body, 1, r->len, f);
    fclose(f);
    if (delay_ms) {
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    int status = statuses[n < nstatuses ? n : nstatuses - 1];
    const char *msg = status < 300 ? "{\"ok\":true}" : "{\"title\":\"scripted failure\"}";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (retry_after >= 0 && (status == 429 || status == 503)) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode toe)
{
    req *r = *state;
    if (r) {
        free(r->body);
        free(r);
    }
    *state = NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: http_stub DIR STATUS[,STATUS...] [--retry-after S] "
                        "[--delay-ms MS]\n");
        return 2;
    }
    dir = argv[1];
    for (char *tok = strtok(argv[2], ","); tok && nstatuses < 64; tok = strtok(NULL, ","))
        statuses[nstatuses++] = atoi(tok);
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--retry-after") == 0)
            retry_after = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--delay-ms") == 0)
            delay_ms = atoi(argv[i + 1]);
    }
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "http_stub: cannot start\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char path[4096];
    snprintf(path, sizeof path, "%s/port.tmp", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%u\n", (unsigned)info->port);
    fclose(f);
    char final[4096];
    snprintf(final, sizeof final, "%s/port", dir);
    rename(path, final);
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);
    while (!done)
        pause();
    MHD_stop_daemon(d);
    return 0;
}
