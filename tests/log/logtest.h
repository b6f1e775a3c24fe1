/* Helpers shared by the log tests: scratch directories under the build dir, a collector for the
 * library's reports, conf and record builders, and small file utilities. */
#ifndef CER_LOG_TEST_H
#define CER_LOG_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/log.h"
#include "harness.h"

#define LT_UNUSED __attribute__((unused))

/* A fresh empty directory ./tmp-log-XXXXXX (build dir: a real disk, so fsync is real). */
static LT_UNUSED char *lt_tmpdir(void)
{
    char *p = strdup("tmp-log-XXXXXX");
    if (!mkdtemp(p)) {
        cer_test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        abort();
    }
    return p;
}

static int lt_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* rm -rf path, and free it. */
static LT_UNUSED void lt_cleanup(char *path)
{
    nftw(path, lt_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

/* Collects reports from the library (thread-safe). */
typedef struct lt_reports {
    pthread_mutex_t mu;
    int n, errors, warns, infos;
    char all[1 << 16];
} lt_reports;

static LT_UNUSED void lt_report_cb(void *ctx, int level, const char *msg)
{
    lt_reports *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->n++;
    r->errors += level == CER_LOG_LEVEL_ERROR;
    r->warns += level == CER_LOG_LEVEL_WARN;
    r->infos += level == CER_LOG_LEVEL_INFO;
    size_t len = strlen(r->all);
    snprintf(r->all + len, sizeof r->all - len, "[%d] %s\n", level, msg);
    pthread_mutex_unlock(&r->mu);
}

static LT_UNUSED void lt_reports_init(lt_reports *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static LT_UNUSED void lt_reports_reset(lt_reports *r)
{
    pthread_mutex_lock(&r->mu);
    r->n = r->errors = r->warns = r->infos = 0;
    r->all[0] = 0;
    pthread_mutex_unlock(&r->mu);
}

/* New conf reporting into `rep` (may be NULL), then "key", "value" pairs, NULL-terminated. */
static LT_UNUSED cer_log_conf *lt_conf(lt_reports *rep, ...)
{
    cer_log_conf *c = cer_log_conf_new();
    if (rep)
        cer_log_conf_set_report_cb(c, lt_report_cb, rep);
    va_list ap;
    va_start(ap, rep);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        char err[256];
        if (cer_log_conf_set(c, k, v, err, sizeof err) != 0)
            cer_test_fail(__FILE__, __LINE__, "conf %s=%s: %s", k, v, err);
    }
    va_end(ap);
    return c;
}

/* A record with string key/value (NULL = null). */
static LT_UNUSED cer_log_rec lt_rec(const char *key, const char *value, int64_t ts)
{
    cer_log_rec r;
    memset(&r, 0, sizeof r);
    r.key = key;
    r.key_len = key ? strlen(key) : 0;
    r.value = value;
    r.value_len = value ? strlen(value) : 0;
    r.timestamp_ms = ts;
    return r;
}

/* Deterministic value for record i: "v<i>-" followed by filler up to a size varying with i. */
static LT_UNUSED size_t lt_value(char *buf, size_t cap, uint64_t i)
{
    size_t n = (size_t)snprintf(buf, cap, "v%llu-", (unsigned long long)i);
    size_t want = 20 + (size_t)((i * 2654435761u) % 180);
    while (n < want && n + 1 < cap) {
        buf[n] = (char)('a' + (i + n) % 26);
        n++;
    }
    buf[n] = 0;
    return n;
}

static LT_UNUSED int64_t lt_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static LT_UNUSED void lt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Whole file into a malloc'd buffer; NULL when absent. */
static LT_UNUSED unsigned char *lt_slurp(const char *path, size_t *len)
{
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    fstat(fd, &st);
    unsigned char *b = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return b;
}

static LT_UNUSED void lt_spit(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len)
        cer_test_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (fd >= 0)
        close(fd);
}

static LT_UNUSED uint64_t lt_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Path of segment/index file `base` of partition topic-part under dir. */
static LT_UNUSED const char *lt_seg(const char *dir, const char *topic, int part, int64_t base,
                                    const char *ext)
{
    static char buf[4][4096];
    static int slot;
    char *b = buf[slot++ & 3];
    snprintf(b, 4096, "%s/%s-%d/%020lld.%s", dir, topic, part, (long long)base, ext);
    return b;
}

/* xorshift PRNG so failures reproduce from the printed seed. */
static LT_UNUSED uint64_t lt_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* A record read back, copied out of the reader's buffer. */
typedef struct lt_got {
    int64_t offset, ts;
    int key_null, value_null;
    char *key, *value;
    size_t key_len, value_len, nheaders;
} lt_got;

typedef struct lt_gots {
    lt_got *r;
    size_t n;
} lt_gots;

static LT_UNUSED char *lt_dup(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    return d;
}

/* Read every record currently in topic-part (from the earliest) without waiting. Returns the
 * number of errors other than CER_LOG_EAGAIN seen (each also fails the test unless allowed). */
static LT_UNUSED lt_gots lt_read_all(const char *dir, const char *topic, int part,
                                     const cer_log_conf *conf)
{
    lt_gots g = {NULL, 0};
    cer_log_reader *r;
    char err[512];
    if (cer_log_reader_open(&r, dir, topic, part, conf, err, sizeof err) != 0) {
        cer_test_fail(__FILE__, __LINE__, "reader_open: %s", err);
        return g;
    }
    size_t cap = 0;
    for (;;) {
        cer_log_rec rec;
        int rc = cer_log_reader_next(r, &rec, 0, err, sizeof err);
        if (rc == CER_LOG_EAGAIN)
            break;
        if (rc) {
            cer_test_fail(__FILE__, __LINE__, "reader_next: %s: %s", cer_log_err_name(rc), err);
            break;
        }
        if (g.n == cap) {
            cap = cap ? cap * 2 : 64;
            g.r = realloc(g.r, cap * sizeof *g.r);
        }
        lt_got *o = &g.r[g.n++];
        o->offset = rec.offset;
        o->ts = rec.timestamp_ms;
        o->key_null = rec.key == NULL;
        o->value_null = rec.value == NULL;
        o->key = lt_dup(rec.key, rec.key_len);
        o->value = lt_dup(rec.value, rec.value_len);
        o->key_len = rec.key_len;
        o->value_len = rec.value_len;
        o->nheaders = rec.header_count;
    }
    cer_log_reader_close(r);
    return g;
}

static LT_UNUSED void lt_gots_free(lt_gots *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->r[i].key);
        free(g->r[i].value);
    }
    free(g->r);
    g->r = NULL;
    g->n = 0;
}

/* Append records 0..n-1 with lt_value(i) values (key "k<i>") to topic-part; returns the log. */
static LT_UNUSED void lt_fill(cer_log *l, const char *topic, int part, uint64_t from, uint64_t n,
                              int64_t ts)
{
    char val[256], key[32];
    for (uint64_t i = from; i < from + n; i++) {
        lt_value(val, sizeof val, i);
        snprintf(key, sizeof key, "k%llu", (unsigned long long)i);
        cer_log_rec r = lt_rec(key, val, ts);
        char err[512];
        int64_t off;
        int rc = cer_log_append(l, topic, part, &r, NULL, &off, err, sizeof err);
        if (rc != 0 || off != (int64_t)i) {
            cer_test_fail(__FILE__, __LINE__, "append %llu: rc %d off %lld: %s",
                          (unsigned long long)i, rc, (long long)off, err);
            return;
        }
    }
}

/* Check that g holds exactly the lt_fill records whose indexes are in [from, to) except `skip`
 * (-1 for none), in order. */
static LT_UNUSED void lt_check_fill(const lt_gots *g, uint64_t from, uint64_t to, int64_t skip)
{
    size_t want = (size_t)(to - from) - (skip >= (int64_t)from && skip < (int64_t)to);
    if (g->n != want)
        cer_test_fail(__FILE__, __LINE__, "read %zu records, expected %zu", g->n, want);
    size_t k = 0;
    char val[256];
    for (uint64_t i = from; i < to && k < g->n; i++) {
        if ((int64_t)i == skip)
            continue;
        size_t n = lt_value(val, sizeof val, i);
        const lt_got *o = &g->r[k++];
        if (o->offset != (int64_t)i || o->value_len != n || memcmp(o->value, val, n) != 0) {
            cer_test_fail(__FILE__, __LINE__, "record %zu: offset %lld (want %llu), value %.*s",
                          k - 1, (long long)o->offset, (unsigned long long)i, (int)o->value_len,
                          o->value);
            return;
        }
    }
}

#endif
