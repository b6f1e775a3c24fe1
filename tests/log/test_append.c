/* Appending (src/log/append.c): group commit across threads, what each fsync policy waits for,
 * batches, segment rolls by size and age, size limits, and a partition that refuses appends after
 * a failed fdatasync. */
#include "log/internal.h"
#include "logtest.h"

/* Test sync hook: counts calls, optionally sleeps (to force appenders to pile up), optionally
 * fails. */
typedef struct hook {
    int calls;
    int sleep_ms;
    int fail_errno;
    int synced_flag;
} hook;

static int hook_fn(void *ctx, int fd)
{
    hook *h = ctx;
    __atomic_fetch_add(&h->calls, 1, __ATOMIC_SEQ_CST);
    if (h->sleep_ms)
        lt_sleep_ms(h->sleep_ms);
    if (h->fail_errno)
        return -h->fail_errno;
    __atomic_store_n(&h->synced_flag, 1, __ATOMIC_SEQ_CST);
    return fdatasync(fd) == 0 ? 0 : -errno;
}

typedef struct worker {
    cer_log *l;
    int id, n;
    int64_t *offsets;
    int errors;
} worker;

static void *append_worker(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < w->n; i++) {
        char val[64];
        snprintf(val, sizeof val, "t%d-%d", w->id, i);
        cer_log_rec r = lt_rec("key", val, 0);
        if (cer_log_append(w->l, "t", 0, &r, NULL, &w->offsets[i], NULL, 0) != 0)
            w->errors++;
    }
    return NULL;
}

/* With `always`, concurrent appenders share fdatasyncs: while one group syncs (slowly, 5 ms
 * here), the others queue up and go out together in the next write. */
TEST(group_commit_batches_concurrent_appends)
{
    char *dir = lt_tmpdir();
    hook h = {.sleep_ms = 5};
    cer_log_conf *c = lt_conf(NULL, "fsync", "always", NULL);
    cer_log__conf_set_sync_hook(c, hook_fn, &h);
    cer_log *l;
    char err[512];
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 1, err, sizeof err), 0);
    enum { T = 4, N = 100 };
    worker w[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        w[i] = (worker){l, i, N, calloc(N, sizeof(int64_t)), 0};
        pthread_create(&th[i], NULL, append_worker, &w[i]);
    }
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    fprintf(stderr, "%d appends: %llu writes, %llu fsyncs\n", T * N, (unsigned long long)st.writes,
            (unsigned long long)st.fsyncs);
    CHECK_EQ_INT(st.records, T * N);
    CHECK(st.fsyncs < T * N * 3 / 4); /* without group commit: exactly one per append */
    CHECK_EQ_INT(st.writes, st.fsyncs);
    /* every offset 0..399 assigned exactly once; each thread's offsets increase */
    char seen[T * N] = {0};
    for (int i = 0; i < T; i++) {
        CHECK_EQ_INT(w[i].errors, 0);
        for (int k = 0; k < N; k++) {
            int64_t o = w[i].offsets[k];
            CHECK(o >= 0 && o < T * N);
            if (o >= 0 && o < T * N)
                seen[o]++;
            if (k)
                CHECK(o > w[i].offsets[k - 1]);
        }
    }
    int dup = 0;
    for (int i = 0; i < T * N; i++)
        dup += seen[i] != 1;
    CHECK_EQ_INT(dup, 0);
    cer_log_close(l, NULL, 0);
    /* the file holds what each append acknowledged */
    lt_gots g = lt_read_all(dir, "t", 0, NULL);
    CHECK_EQ_INT(g.n, T * N);
    for (int i = 0; i < T; i++) {
        for (int k = 0; k < N; k++) {
            int64_t o = w[i].offsets[k];
            char val[64];
            snprintf(val, sizeof val, "t%d-%d", i, k);
            if (o >= 0 && (size_t)o < g.n)
                CHECK_EQ_STR(g.r[o].value, val);
        }
        free(w[i].offsets);
    }
    lt_gots_free(&g);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

/* `always` acknowledges only after the sync; `never` does not sync on append at all. */
TEST(fsync_policy_always_vs_never)
{
    char *dir = lt_tmpdir();
    char err[512];
    hook h = {.sleep_ms = 30};
    cer_log_conf *c = lt_conf(NULL, "fsync", "always", NULL);
    cer_log__conf_set_sync_hook(c, hook_fn, &h);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 1, err, sizeof err), 0);
    cer_log_rec r = lt_rec("k", "v", 0);
    int64_t t0 = lt_mono_ms();
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
    CHECK(lt_mono_ms() - t0 >= 30);
    CHECK_EQ_INT(h.synced_flag, 1);
    CHECK_EQ_INT(h.calls, 1);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);

    hook h2 = {0};
    c = lt_conf(NULL, "fsync", "never", NULL);
    cer_log__conf_set_sync_hook(c, hook_fn, &h2);
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
    CHECK_EQ_INT(h2.calls, 0);
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK_EQ_INT(st.fsyncs, 0);
    CHECK_EQ_INT(st.writes, 50);
    CHECK_EQ_INT(cer_log_flush(l, err, sizeof err), 0); /* explicit flush syncs */
    CHECK_EQ_INT(h2.calls, 1);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

/* `interval`: appends return without a sync (unless one is due); the background thread syncs
 * within the period. */
TEST(fsync_policy_interval_background_sync)
{
    char *dir = lt_tmpdir();
    char err[512];
    hook h = {0};
    cer_log_conf *c = lt_conf(NULL, "fsync", "interval", "fsync.interval.ms", "300", NULL);
    cer_log__conf_set_sync_hook(c, hook_fn, &h);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 1, err, sizeof err), 0);
    cer_log_rec r = lt_rec("k", "v", 0);
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
    int c0 = __atomic_load_n(&h.calls, __ATOMIC_SEQ_CST);
    if (c0) { /* a slow machine made the first sync due already; right after it, none is */
        CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
        CHECK_EQ_INT(__atomic_load_n(&h.calls, __ATOMIC_SEQ_CST), c0);
    }
    int64_t t0 = lt_mono_ms();
    while (__atomic_load_n(&h.calls, __ATOMIC_SEQ_CST) == c0 && lt_mono_ms() - t0 < 3000)
        lt_sleep_ms(5);
    int64_t waited = lt_mono_ms() - t0;
    fprintf(stderr, "background sync after %lld ms\n", (long long)waited);
    CHECK(__atomic_load_n(&h.calls, __ATOMIC_SEQ_CST) > c0);
    CHECK(waited < 2000);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(batch_is_one_write_with_consecutive_offsets)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 2, err, sizeof err), 0);
    cer_log_rec recs[100];
    char vals[100][16];
    for (int i = 0; i < 100; i++) {
        snprintf(vals[i], sizeof vals[i], "b%d", i);
        recs[i] = lt_rec(i % 2 ? "k" : NULL, i % 7 ? vals[i] : NULL, 1000 + i);
    }
    int64_t base = -1;
    CHECK_EQ_INT(cer_log_append(l, "t", 1, &recs[0], NULL, NULL, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_append_batch(l, "t", 1, recs, 100, &base, err, sizeof err), 0);
    CHECK_EQ_INT(base, 1);
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK_EQ_INT(st.writes, 2);
    CHECK_EQ_INT(st.fsyncs, 2);
    /* an invalid record anywhere: nothing appended */
    recs[50].value = NULL;
    recs[50].value_len = 4;
    CHECK_EQ_INT(cer_log_append_batch(l, "t", 1, recs, 100, &base, err, sizeof err),
                 CER_LOG_EINVAL);
    CHECK_CONTAINS(err, "record 50");
    int64_t end;
    CHECK_EQ_INT(cer_log_offsets(l, "t", 1, NULL, &end), 0);
    CHECK_EQ_INT(end, 101);
    cer_log_close(l, NULL, 0);
    lt_gots g = lt_read_all(dir, "t", 1, NULL);
    CHECK_EQ_INT(g.n, 101);
    for (size_t i = 1; i < g.n; i++) {
        int k = (int)i - 1;
        CHECK_EQ_INT(g.r[i].offset, (int64_t)i);
        CHECK_EQ_INT(g.r[i].ts, 1000 + k);
        CHECK_EQ_INT(g.r[i].key_null, k % 2 == 0);
        CHECK_EQ_INT(g.r[i].value_null, k % 7 == 0);
        if (k % 7)
            CHECK_EQ_STR(g.r[i].value, vals[k]);
    }
    lt_gots_free(&g);
    lt_cleanup(dir);
}

TEST(size_limits)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_conf *c = lt_conf(NULL, "max.record.bytes", "1000", "max.pending.bytes", "65536", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    static char big[70000];
    memset(big, 'x', sizeof big);
    cer_log_rec r = lt_rec("k", NULL, 0);
    r.value = big;
    r.value_len = 1000;
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), CER_LOG_ETOOBIG);
    CHECK_CONTAINS(err, "max.record.bytes");
    r.value_len = 1000 - 36 - 1; /* exactly at the limit with a 1-byte key */
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
    cer_log_rec recs[80];
    for (int i = 0; i < 80; i++)
        recs[i] = r; /* 80 * 1000 bytes > max.pending.bytes */
    CHECK_EQ_INT(cer_log_append_batch(l, "t", 0, recs, 80, NULL, err, sizeof err), CER_LOG_ETOOBIG);
    CHECK_CONTAINS(err, "max.pending.bytes");
    CHECK_EQ_INT(cer_log_append_batch(l, "t", 0, recs, 60, NULL, err, sizeof err), 0);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(segment_roll_by_size)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_conf *c = lt_conf(NULL, "segment.bytes", "4096", "fsync", "never", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 300, 0);
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK(st.rolls >= 10);
    CHECK_EQ_INT(st.segments, st.rolls + 1);
    cer_log_close(l, NULL, 0);
    /* every segment is within the limit and named after the offset of its first record */
    char pdir[4096];
    snprintf(pdir, sizeof pdir, "%s/t-0", dir);
    int64_t next = 0;
    uint64_t nseg = 0;
    for (;;) {
        const char *seg = lt_seg(dir, "t", 0, next, "log");
        uint64_t sz = lt_file_size(seg);
        if (!sz)
            break;
        nseg++;
        CHECK(sz <= 4096);
        size_t len;
        unsigned char *b = lt_slurp(seg, &len);
        int64_t count = 0;
        for (size_t pos = 32; pos + 4 <= len; count++) {
            uint32_t rl = b[pos] | b[pos + 1] << 8 | b[pos + 2] << 16 | (uint32_t)b[pos + 3] << 24;
            int64_t off = 0;
            memcpy(&off, b + pos + 12, 8);
            CHECK_EQ_INT(off, next + count);
            pos += 4 + rl;
        }
        free(b);
        CHECK(count > 0);
        next += count;
    }
    CHECK_EQ_INT(nseg, st.segments);
    CHECK_EQ_INT(next, 300);
    lt_gots g = lt_read_all(dir, "t", 0, NULL);
    lt_check_fill(&g, 0, 300, -1);
    lt_gots_free(&g);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(segment_roll_by_age)
{
    char *dir = lt_tmpdir();
    char err[512];
    /* 400 ms: five appends must fit in one segment's age even on a loaded CI machine */
    cer_log_conf *c = lt_conf(NULL, "segment.ms", "400", "fsync", "never", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 5, 0);
    lt_sleep_ms(500);
    lt_fill(l, "t", 0, 5, 5, 0);
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK_EQ_INT(st.rolls, 1);
    CHECK(lt_file_size(lt_seg(dir, "t", 0, 5, "log")) > 32);
    cer_log_close(l, NULL, 0);
    /* an empty active segment never rolls, however old */
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_sleep_ms(500);
    lt_fill(l, "t", 0, 10, 1, 0);
    cer_log_stats_get(l, &st);
    CHECK_EQ_INT(st.rolls, 1);
    cer_log_close(l, NULL, 0);
    lt_gots g = lt_read_all(dir, "t", 0, NULL);
    lt_check_fill(&g, 0, 11, -1);
    lt_gots_free(&g);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

/* After a failed fdatasync the fate of unsynced data is unknown (Linux may drop the dirty pages
 * and clear the error): the partition must refuse further appends rather than retry. */
TEST(failed_fsync_fails_the_partition)
{
    char *dir = lt_tmpdir();
    char err[512];
    lt_reports rep;
    lt_reports_init(&rep);
    hook h = {.fail_errno = EIO};
    cer_log_conf *c = lt_conf(&rep, NULL);
    cer_log__conf_set_sync_hook(c, hook_fn, &h);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 2, err, sizeof err), 0);
    cer_log_rec r = lt_rec("k", "v", 0);
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), CER_LOG_EFAILED);
    CHECK_CONTAINS(err, "fdatasync");
    CHECK_CONTAINS(err, "t-0");
    h.fail_errno = 0;
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), CER_LOG_EFAILED);
    CHECK_EQ_INT(cer_log_append(l, "t", 1, &r, NULL, NULL, err, sizeof err), 0); /* others ok */
    CHECK_EQ_INT(cer_log_flush(l, err, sizeof err), CER_LOG_EFAILED);
    CHECK_EQ_INT(rep.errors, 1);
    CHECK_EQ_INT(cer_log_close(l, err, sizeof err), CER_LOG_EFAILED);
    /* reopening recovers: the record that was written before the failed sync is readable */
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    int64_t off;
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, &off, err, sizeof err), 0);
    CHECK_EQ_INT(off, 1);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}
