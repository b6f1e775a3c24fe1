/* Readers (src/log/reader.c): seeks by offset, time and to either end; follow mode that sleeps
 * until an append (bounded, no busy loop); a reader in another process while the writer appends
 * and rolls; and readers across retention. */
#include <signal.h>
#include <sys/wait.h>

#include "log/internal.h"
#include "logtest.h"

TEST(open_missing_partition)
{
    char *dir = lt_tmpdir();
    cer_log_reader *r = NULL;
    char err[512];
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "nope", 0, NULL, err, sizeof err), CER_LOG_ENOTFOUND);
    CHECK_CONTAINS(err, "nope-0");
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "a/b", 0, NULL, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", -1, NULL, err, sizeof err), CER_LOG_EINVAL);
    cer_log_reader_close(NULL);
    lt_cleanup(dir);
}

TEST(seek_offsets_and_ends)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_conf *c = lt_conf(NULL, "fsync", "never", "segment.bytes", "2048",
                              "index.interval.bytes", "200", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 100, 0);
    CHECK_EQ_INT(cer_log_flush(l, err, sizeof err), 0);
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", 0, c, err, sizeof err), 0);
    cer_log_rec rec;
    char val[256];
    for (int64_t o = 0; o < 100; o++) {
        CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_OFFSET, o, err, sizeof err), 0);
        CHECK_EQ_INT(cer_log_reader_position(r), o);
        CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), 0);
        CHECK_EQ_INT(rec.offset, o);
        size_t n = lt_value(val, sizeof val, (uint64_t)o);
        CHECK_EQ_MEM(rec.value, rec.value_len, val, n);
        CHECK_EQ_INT(cer_log_reader_position(r), o + 1);
    }
    CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_EARLIEST, 0, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), 0);
    CHECK_EQ_INT(rec.offset, 0);
    CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_LATEST, 0, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_reader_position(r), 100);
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), CER_LOG_EAGAIN);
    lt_fill(l, "t", 0, 100, 1, 0);
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), 0);
    CHECK_EQ_INT(rec.offset, 100);
    /* past the end: waits for exactly that offset */
    CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_OFFSET, 150, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), CER_LOG_EAGAIN);
    lt_fill(l, "t", 0, 101, 60, 0);
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), 0);
    CHECK_EQ_INT(rec.offset, 150);
    CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_OFFSET, -1, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_reader_seek(r, (cer_log_whence)9, 0, err, sizeof err), CER_LOG_EINVAL);
    cer_log_reader_close(r);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

static int64_t wobbly_ts(int i)
{
    return 100000 + i * 10 + ((i * 7) % 5 - 2) * 13;
}

TEST(seek_by_timestamp_matches_brute_force)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_conf *c = lt_conf(NULL, "fsync", "never", "segment.bytes", "4096",
                              "index.interval.bytes", "128", "retention.ms", "-1", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    enum { N = 300 };
    for (int i = 0; i < N; i++) {
        cer_log_rec rec = lt_rec("k", "some value for the time index test", wobbly_ts(i));
        CHECK_EQ_INT(cer_log_append(l, "t", 0, &rec, NULL, NULL, err, sizeof err), 0);
    }
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK(st.segments >= 3);
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", 0, c, err, sizeof err), 0);
    int bad = 0;
    for (int64_t t = 99900; t <= 103100; t += 7) {
        int want = N;
        for (int i = 0; i < N; i++) {
            if (wobbly_ts(i) >= t) {
                want = i;
                break;
            }
        }
        CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_TIME, t, err, sizeof err), 0);
        cer_log_rec rec;
        int rc = cer_log_reader_next(r, &rec, 0, err, sizeof err);
        if (want == N) {
            bad += rc != CER_LOG_EAGAIN || cer_log_reader_position(r) != N;
        } else if (rc != 0 || rec.offset != want || rec.timestamp_ms != wobbly_ts(want)) {
            if (bad++ < 5)
                fprintf(stderr, "T=%lld: rc %d offset %lld, want %d\n", (long long)t, rc,
                        (long long)(rc ? -1 : rec.offset), want);
        }
    }
    CHECK_EQ_INT(bad, 0);
    cer_log_reader_close(r);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

typedef struct follower {
    const char *dir;
    int timeout;
    int rc;
    int64_t offset, waited_ms, cpu_ms;
} follower;

static int64_t thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *follow_main(void *arg)
{
    follower *f = arg;
    cer_log_reader *r;
    if (cer_log_reader_open(&r, f->dir, "t", 0, NULL, NULL, 0) != 0) {
        f->rc = -100;
        return NULL;
    }
    cer_log_reader_seek(r, CER_LOG_SEEK_LATEST, 0, NULL, 0);
    int64_t t0 = lt_mono_ms(), c0 = thread_cpu_ms();
    cer_log_rec rec;
    f->rc = cer_log_reader_next(r, &rec, f->timeout, NULL, 0);
    f->waited_ms = lt_mono_ms() - t0;
    f->cpu_ms = thread_cpu_ms() - c0;
    f->offset = f->rc == 0 ? rec.offset : -1;
    cer_log_reader_close(r);
    return NULL;
}

TEST(follow_wakes_on_append_and_times_out_without_spinning)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 3, 0);
    /* wakes on append */
    follower f = {dir, 5000, 0, 0, 0, 0};
    pthread_t th;
    pthread_create(&th, NULL, follow_main, &f);
    lt_sleep_ms(150);
    lt_fill(l, "t", 0, 3, 1, 0);
    pthread_join(th, NULL);
    fprintf(stderr, "woke after %lld ms using %lld ms CPU\n", (long long)f.waited_ms,
            (long long)f.cpu_ms);
    CHECK_EQ_INT(f.rc, 0);
    CHECK_EQ_INT(f.offset, 3);
    CHECK(f.waited_ms >= 100 && f.waited_ms < 2000);
    CHECK(f.cpu_ms < 50);
    /* times out, bounded */
    follower g = {dir, 300, 0, 0, 0, 0};
    pthread_create(&th, NULL, follow_main, &g);
    pthread_join(th, NULL);
    fprintf(stderr, "timed out after %lld ms using %lld ms CPU\n", (long long)g.waited_ms,
            (long long)g.cpu_ms);
    CHECK_EQ_INT(g.rc, CER_LOG_EAGAIN);
    CHECK(g.waited_ms >= 300 && g.waited_ms < 1500);
    CHECK(g.cpu_ms < 50);
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", 0, NULL, err, sizeof err), 0);
    cer_log_rec rec;
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, -1, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, CER_LOG_MAX_WAIT_MS + 1, err, sizeof err),
                 CER_LOG_EINVAL);
    cer_log_reader_close(r);
    cer_log_close(l, NULL, 0);
    lt_cleanup(dir);
}

/* Child process follows the partition while the parent appends (with rolls); the child checks
 * every record arrives once, in order, intact. */
TEST(reader_in_another_process_while_writing)
{
    char *dir = lt_tmpdir();
    char err[512];
    enum { N = 3000 };
    cer_log_conf *c = lt_conf(NULL, "fsync", "never", "segment.bytes", "16384", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 1, err, sizeof err), 0);
    pid_t pid = fork();
    if (pid == 0) {
        cer_log_reader *r;
        if (cer_log_reader_open(&r, dir, "t", 0, NULL, NULL, 0) != 0)
            _exit(10);
        char val[256];
        for (int64_t i = 0; i < N; i++) {
            cer_log_rec rec;
            int rc = cer_log_reader_next(r, &rec, 10000, NULL, 0);
            if (rc != 0)
                _exit(11);
            size_t n = lt_value(val, sizeof val, (uint64_t)i);
            if (rec.offset != i || rec.value_len != n || memcmp(rec.value, val, n) != 0)
                _exit(12);
        }
        cer_log_rec rec;
        _exit(cer_log_reader_next(r, &rec, 100, NULL, 0) == CER_LOG_EAGAIN ? 0 : 13);
    }
    for (int i = 0; i < N; i += 100) {
        lt_fill(l, "t", 0, (uint64_t)i, 100, 0);
        lt_sleep_ms(1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st));
    CHECK_EQ_INT(WEXITSTATUS(st), 0);
    cer_log_stats s;
    cer_log_stats_get(l, &s);
    CHECK(s.rolls >= 10);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

/* The reverse: a child writer under fsync=always, the parent following. */
TEST(follow_a_writer_process)
{
    char *dir = lt_tmpdir();
    enum { N = 400 };
    char err[512];
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 1, err, sizeof err), 0);
    cer_log_close(l, NULL, 0);
    pid_t pid = fork();
    if (pid == 0) {
        cer_log_conf *cc = lt_conf(NULL, "segment.bytes", "8192", NULL);
        cer_log *w;
        if (cer_log_open(&w, dir, cc, NULL, 0) != 0)
            _exit(10);
        lt_fill(w, "t", 0, 0, N, 0);
        _exit(cer_log_close(w, NULL, 0) == 0 && cer_test_failures == 0 ? 0 : 11);
    }
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", 0, NULL, err, sizeof err), 0);
    int got = 0;
    char val[256];
    for (int64_t i = 0; i < N; i++) {
        cer_log_rec rec;
        int rc = cer_log_reader_next(r, &rec, 10000, err, sizeof err);
        if (rc != 0) {
            CHECK_EQ_INT(rc, 0);
            break;
        }
        size_t n = lt_value(val, sizeof val, (uint64_t)i);
        if (rec.offset == i && rec.value_len == n && memcmp(rec.value, val, n) == 0)
            got++;
    }
    CHECK_EQ_INT(got, N);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cer_log_reader_close(r);
    lt_cleanup(dir);
}

TEST(reader_behind_retention_continues_at_log_start)
{
    char *dir = lt_tmpdir();
    char err[512];
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c =
        lt_conf(&rep, "fsync", "never", "segment.bytes", "2048", "retention.bytes", "4096", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 5, 0);
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", 0, c, err, sizeof err), 0);
    cer_log_rec rec;
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), 0);
    CHECK_EQ_INT(rec.offset, 0);
    lt_fill(l, "t", 0, 5, 200, 0); /* segment 0 and many more are deleted meanwhile */
    int64_t start;
    cer_log_offsets(l, "t", 0, &start, NULL);
    CHECK(start > 5);
    /* the open segment file stays readable to its end, then the reader jumps ahead */
    int64_t last = 0, n = 1;
    while (cer_log_reader_next(r, &rec, 0, err, sizeof err) == 0) {
        CHECK(rec.offset > last);
        last = rec.offset;
        n++;
    }
    CHECK_EQ_INT(last, 204);
    CHECK(n < 205);
    /* a fresh seek below the start lands on the start and says so */
    lt_reports_reset(&rep);
    CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_OFFSET, 1, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), 0);
    CHECK_EQ_INT(rec.offset, start);
    CHECK_CONTAINS(rep.all, "no longer stored");
    cer_log_reader_close(r);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(headers_and_nulls_read_back)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    cer_log_header h[2] = {{"ce_type", 7, "eventzr.llm.usage.v1", 20}, {"empty", 5, NULL, 0}};
    cer_log_rec rec = lt_rec(NULL, NULL, 1234);
    rec.headers = h;
    rec.header_count = 2;
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &rec, NULL, NULL, err, sizeof err), 0);
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", 0, NULL, err, sizeof err), 0);
    cer_log_rec out;
    CHECK_EQ_INT(cer_log_reader_next(r, &out, 0, err, sizeof err), 0);
    CHECK(out.key == NULL && out.key_len == 0);
    CHECK(out.value == NULL && out.value_len == 0);
    CHECK_EQ_INT(out.timestamp_ms, 1234);
    CHECK_EQ_INT(out.header_count, 2);
    CHECK_EQ_MEM(out.headers[0].name, out.headers[0].name_len, "ce_type", 7);
    CHECK_EQ_MEM(out.headers[0].value, out.headers[0].value_len, "eventzr.llm.usage.v1", 20);
    CHECK_EQ_MEM(out.headers[1].name, out.headers[1].name_len, "empty", 5);
    CHECK_EQ_INT(out.headers[1].value_len, 0);
    cer_log_reader_close(r);
    cer_log_close(l, NULL, 0);
    lt_cleanup(dir);
}
