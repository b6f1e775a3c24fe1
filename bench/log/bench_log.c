/* bench_log: appends of the seed-000 usage event (its CloudEvents JSON envelope, compacted, as
 * the value; key "tenant-uuid") to one partition under fsync always/interval/never with 1 and 4
 * appender threads: events/s, MB/s, p50/p99 append-to-ack latency; then read throughput of a
 * reader over the largest log; RSS throughout. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/log.h"

#define MAX_SAMPLES (1u << 21)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The first top-level JSON object in the seed file, with whitespace outside strings removed. */
static char *load_event(size_t *len)
{
    char path[4096];
    DIR *d = opendir(CER_SHARED_DIR "/seeds");
    struct dirent *de;
    path[0] = 0;
    while (d && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "000_", 4) == 0)
            snprintf(path, sizeof path, "%s/seeds/%s", CER_SHARED_DIR, de->d_name);
    if (d)
        closedir(d);
    FILE *f = path[0] ? fopen(path, "rb") : NULL;
    if (!f) {
        fprintf(stderr, "bench_log: seed 000 not found under %s/seeds\n", CER_SHARED_DIR);
        exit(1);
    }
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *out = malloc(n + 1);
    size_t o = 0;
    int depth = 0, in_str = 0, esc = 0, started = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (!started && c != '{')
            continue;
        started = 1;
        if (in_str) {
            out[o++] = c;
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        out[o++] = c;
        if (c == '"')
            in_str = 1;
        else if (c == '{')
            depth++;
        else if (c == '}' && --depth == 0)
            break;
    }
    *len = o;
    return out;
}

typedef struct worker {
    cer_log *log;
    const char *value;
    size_t value_len;
    volatile int *stop;
    uint32_t *lat_ns;
    size_t n, cap;
    uint64_t appended;
    int errors;
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    cer_log_rec r = {0};
    r.key = "tenant-uuid";
    r.key_len = 11;
    r.value = w->value;
    r.value_len = w->value_len;
    while (!*w->stop) {
        double t0 = now_s();
        if (cer_log_append(w->log, "usage", 0, &r, NULL, NULL, NULL, 0) != 0) {
            w->errors++;
            break;
        }
        double dt = now_s() - t0;
        if (w->n < w->cap)
            w->lat_ns[w->n++] = (uint32_t)(dt * 1e9 > 4e9 ? 4e9 : dt * 1e9);
        w->appended++;
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int rm_cb(const char *p, const struct stat *s, int fl, struct FTW *ftw)
{
    (void)s, (void)fl, (void)ftw;
    return remove(p);
}

static void report_cb(void *ctx, int level, const char *msg)
{
    (void)ctx;
    if (level <= CER_LOG_LEVEL_WARN)
        fprintf(stderr, "log: %s\n", msg);
}

int main(int argc, char **argv)
{
    double seconds = 1.5;
    const char *base = "bench-log-tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--dir") == 0)
            base = argv[i + 1];
    }
    size_t vlen;
    char *value = load_event(&vlen);
    printf("bench_log: value = seed-000 usage event, %zu bytes of compact JSON; key "
           "\"tenant-uuid\"; one partition; %.1f s per run; dir %s\n",
           vlen, seconds, base);
    printf("%-9s %7s %12s %9s %10s %10s %9s\n", "fsync", "threads", "events/s", "MB/s", "p50 us",
           "p99 us", "RSS MB");
    static const char *const policies[] = {"always", "interval", "never"};
    static const int threads[] = {1, 4};
    char keep[4096] = "";
    uint64_t keep_records = 0;
    for (int p = 0; p < 3; p++) {
        for (int t = 0; t < 2; t++) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s-%s-%d", base, policies[p], threads[t]);
            nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
            cer_log_conf *c = cer_log_conf_new();
            char err[512];
            cer_log_conf_set(c, "fsync", policies[p], NULL, 0);
            cer_log_conf_set(c, "fsync.interval.ms", "100", NULL, 0);
            cer_log_conf_set_report_cb(c, report_cb, NULL);
            cer_log *log;
            if (cer_log_open(&log, dir, c, err, sizeof err) != 0) {
                fprintf(stderr, "open %s: %s\n", dir, err);
                return 1;
            }
            cer_log_topic_create(log, "usage", 1, NULL, 0);
            volatile int stop = 0;
            worker w[4];
            pthread_t th[4];
            for (int i = 0; i < threads[t]; i++) {
                w[i] = (worker){log, value,       vlen, &stop, malloc(MAX_SAMPLES * 4),
                                0,   MAX_SAMPLES, 0,    0};
                pthread_create(&th[i], NULL, run_worker, &w[i]);
            }
            double t0 = now_s();
            while (now_s() - t0 < seconds) {
                struct timespec ts = {0, 10000000};
                nanosleep(&ts, NULL);
            }
            stop = 1;
            uint64_t total = 0;
            size_t ns = 0;
            int errors = 0;
            for (int i = 0; i < threads[t]; i++) {
                pthread_join(th[i], NULL);
                total += w[i].appended;
                ns += w[i].n;
                errors += w[i].errors;
            }
            double el = now_s() - t0;
            uint32_t *all = malloc((ns ? ns : 1) * 4);
            size_t k = 0;
            for (int i = 0; i < threads[t]; i++) {
                memcpy(all + k, w[i].lat_ns, w[i].n * 4);
                k += w[i].n;
                free(w[i].lat_ns);
            }
            qsort(all, ns, 4, cmp_u32);
            cer_log_stats st;
            cer_log_stats_get(log, &st);
            long rss = rss_kb();
            cer_log_close(log, NULL, 0);
            cer_log_conf_destroy(c);
            printf("%-9s %7d %12.0f %9.1f %10.1f %10.1f %9.1f   (%llu fsyncs, %llu writes%s)\n",
                   policies[p], threads[t], total / el, (double)st.bytes / el / 1e6,
                   ns ? all[ns / 2] / 1e3 : 0, ns ? all[(size_t)(ns * 0.99)] / 1e3 : 0,
                   rss / 1024.0, (unsigned long long)st.fsyncs, (unsigned long long)st.writes,
                   errors ? ", ERRORS" : "");
            fflush(stdout);
            free(all);
            if (total > keep_records) {
                if (keep[0])
                    nftw(keep, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
                snprintf(keep, sizeof keep, "%s", dir);
                keep_records = total;
            } else {
                nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
            }
        }
    }
    /* read throughput over the largest log (page cache warm: it was just written) */
    cer_log_reader *r;
    char err[512];
    if (cer_log_reader_open(&r, keep, "usage", 0, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "reader: %s\n", err);
        return 1;
    }
    double t0 = now_s();
    uint64_t n = 0, bytes = 0;
    cer_log_rec rec;
    while (cer_log_reader_next(r, &rec, 0, NULL, 0) == 0) {
        n++;
        bytes += rec.value_len + rec.key_len;
    }
    double el = now_s() - t0;
    cer_log_reader_close(r);
    printf("read: %llu records in %.3f s = %.0f records/s, %.1f MB/s of key+value (CRC "
           "checked); RSS %.1f MB\n",
           (unsigned long long)n, el, n / el, bytes / el / 1e6, rss_kb() / 1024.0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %.1f MB\n", ru.ru_maxrss / 1024.0);
    nftw(keep, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(value);
    return n == keep_records ? 0 : 2;
}
