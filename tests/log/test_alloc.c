/* Allocation (src/log/alloc.c): every allocation goes through the replaceable allocator, and a
 * failure of the Nth allocation anywhere in a full writer/reader/group scenario is returned as an
 * error (CER_LOG_ENOMEM or a failure that carries it) with nothing leaked or left locked (the ASan
 * build checks the leaks). */
#include <stdlib.h>

#include "logtest.h"

static long alloc_calls, fail_at;

static void *t_malloc(size_t n)
{
    if (++alloc_calls == fail_at)
        return NULL;
    return malloc(n);
}

static void *t_realloc(void *p, size_t n)
{
    if (++alloc_calls == fail_at)
        return NULL;
    return realloc(p, n);
}

static const cer_log_allocator counting = {t_malloc, t_realloc, free};

/* Returns 0 when every step succeeded, or the first error. */
static int scenario(const char *dir)
{
    char err[512];
    cer_log_conf *c = cer_log_conf_new();
    if (!c)
        return CER_LOG_ENOMEM;
    int rc = cer_log_conf_set(c, "segment.bytes", "1024", err, sizeof err);
    cer_log *l = NULL;
    cer_log_reader *r = NULL;
    cer_log_group *g = NULL;
    if (rc == 0)
        rc = cer_log_open(&l, dir, c, err, sizeof err);
    if (rc == 0)
        rc = cer_log_topic_create(l, "t", 2, err, sizeof err);
    cer_log_header h = {"h", 1, "v", 1};
    cer_log_rec recs[20];
    for (int i = 0; i < 20; i++) {
        recs[i] = lt_rec("key", "a value that makes segments roll", 0);
        recs[i].headers = &h;
        recs[i].header_count = 1;
    }
    for (int i = 0; rc == 0 && i < 20; i++)
        rc = cer_log_append(l, "t", 1, &recs[i], NULL, NULL, err, sizeof err);
    if (rc == 0)
        rc = cer_log_append_batch(l, "t", 0, recs, 20, NULL, err, sizeof err);
    if (rc == 0)
        rc = cer_log_flush(l, err, sizeof err);
    if (rc == 0)
        rc = cer_log_reader_open(&r, dir, "t", 1, c, err, sizeof err);
    if (rc == 0)
        rc = cer_log_reader_seek(r, CER_LOG_SEEK_OFFSET, 9, err, sizeof err);
    for (int i = 0; rc == 0 && i < 5; i++) {
        cer_log_rec out;
        rc = cer_log_reader_next(r, &out, 0, err, sizeof err);
    }
    if (rc == 0)
        rc = cer_log_group_open(&g, dir, "g", err, sizeof err);
    if (rc == 0)
        rc = cer_log_group_commit(g, "t", 1, cer_log_reader_position(r), err, sizeof err);
    int64_t off;
    if (rc == 0)
        rc = cer_log_group_committed(g, "t", 1, &off, err, sizeof err);
    cer_log_group_close(g);
    cer_log_reader_close(r);
    int crc = cer_log_close(l, err, sizeof err);
    cer_log_conf_destroy(c);
    return rc ? rc : crc;
}

TEST(fail_each_allocation_in_turn)
{
    int failures = 0;
    long total = 0;
    for (fail_at = 1;; fail_at++) {
        char *dir = lt_tmpdir();
        alloc_calls = 0;
        cer_log_set_allocator(&counting);
        int rc = scenario(dir);
        cer_log_set_allocator(NULL);
        if (alloc_calls < fail_at) { /* nothing failed: the scenario is complete */
            CHECK_EQ_INT(rc, 0);
            total = alloc_calls;
            lt_cleanup(dir);
            break;
        }
        /* the injected failure surfaced as an error, or was absorbed (e.g. an index hint) */
        if (rc != 0)
            failures++;
        if (rc != 0 && rc != CER_LOG_ENOMEM && rc != CER_LOG_EFAILED && rc != CER_LOG_EIO)
            cer_test_fail(__FILE__, __LINE__, "allocation %ld: unexpected %s", fail_at,
                          cer_log_err_name(rc));
        /* the directory is usable afterwards: lock released, data recoverable */
        cer_log *l;
        char err[512];
        CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
        cer_log_close(l, NULL, 0);
        lt_cleanup(dir);
        if (fail_at > 5000)
            break;
    }
    fprintf(stderr, "%ld allocations in the scenario; %d injected failures returned errors\n",
            total, failures);
    CHECK(total > 20);
    CHECK(failures > total / 2);
}
