/* Opening a partition (src/log/partition.c): recovery from torn writes at every kind of cut,
 * corrupt records in the active segment, a crashed roll, unreadable sealed segments, stale
 * temporary files; and retention by size and by age. */
#include "log/internal.h"
#include "logtest.h"

/* End position of each record in a segment image. */
static size_t record_ends(const unsigned char *b, size_t len, uint64_t *ends, size_t cap)
{
    size_t n = 0;
    for (size_t pos = 32; pos + 4 <= len && n < cap;) {
        pos += 4 + cer_log__get32(b + pos);
        if (pos > len)
            break;
        ends[n++] = pos;
    }
    return n;
}

TEST(torn_tail_truncated_at_every_kind_of_cut)
{
    char *dir = lt_tmpdir();
    char err[512];
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c = lt_conf(&rep, "fsync", "never", "index.interval.bytes", "512", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 150, 0);
    cer_log_close(l, NULL, 0);
    const char *seg = lt_seg(dir, "t", 0, 0, "log");
    char segpath[4096];
    snprintf(segpath, sizeof segpath, "%s", seg);
    size_t len;
    unsigned char *orig = lt_slurp(segpath, &len);
    char *oidx_path = strdup(lt_seg(dir, "t", 0, 0, "index"));
    size_t oidx_len;
    unsigned char *oidx = lt_slurp(oidx_path, &oidx_len); /* full index: stale after a cut */
    uint64_t ends[200];
    size_t n = record_ends(orig, len, ends, 200);
    CHECK_EQ_INT(n, 150);
    uint64_t seed = 0x1234567;
    for (int round = 0; round < 60; round++) {
        size_t cut = round == 0   ? 0
                     : round == 1 ? 20
                     : round == 2 ? len - 1
                                  : 32 + lt_rand(&seed) % (len - 32);
        if (round == 3)
            cut = (size_t)ends[74]; /* exactly on a boundary: nothing to truncate */
        lt_spit(segpath, orig, cut);
        lt_spit(oidx_path, oidx, oidx_len);
        size_t whole = 0;
        while (whole < n && ends[whole] <= cut)
            whole++;
        lt_reports_reset(&rep);
        CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
        int64_t end = -1;
        CHECK_EQ_INT(cer_log_offsets(l, "t", 0, NULL, &end), 0);
        if (end != (int64_t)whole)
            fprintf(stderr, "cut %zu: end %lld, expected %zu\n%s", cut, (long long)end, whole,
                    rep.all);
        CHECK_EQ_INT(end, (int64_t)whole);
        bool on_boundary = cut == 32 || (whole && ends[whole - 1] == cut);
        if (cut >= 32 && !on_boundary) {
            CHECK_CONTAINS(rep.all, "truncating a torn write");
            CHECK_CONTAINS(rep.all, segpath);
        }
        CHECK_EQ_INT(rep.errors, 0);
        lt_fill(l, "t", 0, whole, 1, 0);
        cer_log_close(l, NULL, 0);
        lt_gots g = lt_read_all(dir, "t", 0, c);
        lt_check_fill(&g, 0, whole + 1, -1);
        lt_gots_free(&g);
        CHECK_EQ_INT(rep.errors, 0);
    }
    free(orig);
    free(oidx);
    free(oidx_path);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(corrupt_record_in_active_segment_is_reported_and_skipped)
{
    char *dir = lt_tmpdir();
    char err[512];
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c = lt_conf(&rep, "fsync", "never", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 50, 0);
    cer_log_close(l, NULL, 0);
    char seg[4096];
    snprintf(seg, sizeof seg, "%s", lt_seg(dir, "t", 0, 0, "log"));
    size_t len;
    unsigned char *b = lt_slurp(seg, &len);
    uint64_t ends[64];
    record_ends(b, len, ends, 64);
    uint64_t pos20 = ends[19];
    b[pos20 + 40] ^= 0x10; /* inside record 20's key/value */
    lt_spit(seg, b, len);
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(rep.errors, 1);
    char want[128];
    snprintf(want, sizeof want, "at position %llu (offset 20)", (unsigned long long)pos20);
    CHECK_CONTAINS(rep.all, seg);
    CHECK_CONTAINS(rep.all, want);
    int64_t end;
    CHECK_EQ_INT(cer_log_offsets(l, "t", 0, NULL, &end), 0);
    CHECK_EQ_INT(end, 50); /* records after the damage are kept */
    lt_fill(l, "t", 0, 50, 1, 0);
    cer_log_close(l, NULL, 0);
    lt_reports_reset(&rep);
    lt_gots g = lt_read_all(dir, "t", 0, c);
    lt_check_fill(&g, 0, 51, 20);
    lt_gots_free(&g);
    CHECK_EQ_INT(rep.errors, 1);
    CHECK_CONTAINS(rep.all, want);

    /* damage in the last record of the active segment: cut there on open */
    free(b);
    b = lt_slurp(seg, &len);
    b[len - 3] ^= 0x01;
    lt_spit(seg, b, len);
    lt_reports_reset(&rep);
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_offsets(l, "t", 0, NULL, &end), 0);
    CHECK_EQ_INT(end, 50);
    CHECK_CONTAINS(rep.all, "fail their CRC32C");
    cer_log_close(l, NULL, 0);
    free(b);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(crashed_roll_leftover_is_removed)
{
    char *dir = lt_tmpdir();
    char err[512];
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c = lt_conf(&rep, "fsync", "never", "segment.bytes", "2048", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 40, 0);
    int64_t end;
    cer_log_offsets(l, "t", 0, NULL, &end);
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK(st.rolls >= 2);
    cer_log_close(l, NULL, 0);
    /* a next segment whose header never made it to disk */
    lt_spit(lt_seg(dir, "t", 0, 40, "log"), "CRLG\1", 5);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/t-0/00000000000000000040.log.tmp", dir);
    lt_spit(tmp, "junk", 4);
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_CONTAINS(rep.all, "incomplete file header");
    CHECK_EQ_INT(lt_file_size(tmp), 0);
    CHECK_EQ_INT(cer_log_offsets(l, "t", 0, NULL, &end), 0);
    CHECK_EQ_INT(end, 40);
    lt_fill(l, "t", 0, 40, 20, 0);
    cer_log_close(l, NULL, 0);
    lt_gots g = lt_read_all(dir, "t", 0, c);
    lt_check_fill(&g, 0, 60, -1);
    lt_gots_free(&g);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(corrupt_segment_header_is_refused_with_its_name)
{
    char *dir = lt_tmpdir();
    char err[512];
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c = lt_conf(&rep, "fsync", "never", "segment.bytes", "2048", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 40, 0);
    cer_log_close(l, NULL, 0);
    char seg[4096];
    snprintf(seg, sizeof seg, "%s", lt_seg(dir, "t", 0, 0, "log"));
    size_t len;
    unsigned char *b = lt_slurp(seg, &len);
    b[9] ^= 1; /* base offset byte, covered by the header CRC */
    lt_spit(seg, b, len);
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), CER_LOG_ECORRUPT);
    CHECK_CONTAINS(err, seg);
    CHECK_CONTAINS(err, "header");
    /* a reader skips the unreadable segment and reports it */
    lt_gots g = lt_read_all(dir, "t", 0, c);
    CHECK(g.n > 0 && g.n < 40);
    if (g.n)
        CHECK(g.r[0].offset > 0);
    CHECK_EQ_INT(g.r[g.n - 1].offset, 39);
    CHECK_CONTAINS(rep.all, "header missing or corrupt");
    lt_gots_free(&g);
    /* a future format version is named as such */
    b[9] ^= 1;
    b[4] = 2;
    cer_log__put32(b + 28, cer_log_crc32c(0, b, 28));
    lt_spit(seg, b, len);
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), CER_LOG_EVERSION);
    CHECK_CONTAINS(err, "version 2");
    free(b);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

static uint64_t dir_bytes(const char *dir, const char *topic, int64_t upto)
{
    uint64_t total = 0;
    for (int64_t b = 0; b <= upto; b++)
        total += lt_file_size(lt_seg(dir, topic, 0, b, "log"));
    return total;
}

TEST(retention_by_size)
{
    char *dir = lt_tmpdir();
    char err[512];
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c =
        lt_conf(&rep, "fsync", "never", "segment.bytes", "4096", "retention.bytes", "12288", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, 400, 0);
    int64_t start, end;
    CHECK_EQ_INT(cer_log_offsets(l, "t", 0, &start, &end), 0);
    CHECK(start > 0);
    CHECK_EQ_INT(end, 400);
    uint64_t bytes = dir_bytes(dir, "t", 400);
    fprintf(stderr, "kept %llu bytes from offset %lld\n", (unsigned long long)bytes,
            (long long)start);
    CHECK(bytes >= 12288 - 4096 && bytes <= 12288 + 4096);
    CHECK_EQ_INT(lt_file_size(lt_seg(dir, "t", 0, 0, "log")), 0);
    CHECK_EQ_INT(lt_file_size(lt_seg(dir, "t", 0, 0, "index")), 0);
    CHECK_EQ_INT(lt_file_size(lt_seg(dir, "t", 0, 0, "timeindex")), 0);
    CHECK_CONTAINS(rep.all, "retention deleted segment 00000000000000000000.log");
    cer_log_close(l, NULL, 0);
    lt_gots g = lt_read_all(dir, "t", 0, c);
    lt_check_fill(&g, (uint64_t)start, 400, -1);
    lt_gots_free(&g);
    /* retention.bytes 0: everything but the active segment goes, on open */
    cer_log_conf_set(c, "retention.bytes", "0", NULL, 0);
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK_EQ_INT(st.segments, 1);
    CHECK_EQ_INT(cer_log_offsets(l, "t", 0, &start, &end), 0);
    CHECK(start > 0 && start < 400);
    cer_log_close(l, NULL, 0);
    g = lt_read_all(dir, "t", 0, c);
    lt_check_fill(&g, (uint64_t)start, 400, -1);
    lt_gots_free(&g);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(retention_by_age)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_conf *c =
        lt_conf(NULL, "fsync", "never", "segment.bytes", "4096", "retention.ms", "3600000", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000;
    lt_fill(l, "t", 0, 0, 100, now - 2 * 3600000); /* two hours old */
    lt_fill(l, "t", 0, 100, 100, now);
    int64_t start, end;
    size_t deleted = 0;
    CHECK_EQ_INT(cer_log_retention_run(l, now, &deleted, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_offsets(l, "t", 0, &start, &end), 0);
    fprintf(stderr, "start %lld after age retention\n", (long long)start);
    CHECK(start > 0 && start <= 100); /* old-only segments gone, the mixed one kept */
    lt_gots g = lt_read_all(dir, "t", 0, NULL);
    CHECK(g.n > 100);
    if (g.n)
        CHECK_EQ_INT(g.r[0].offset, start);
    lt_gots_free(&g);
    /* far in the future everything is old, but the active segment stays */
    CHECK_EQ_INT(cer_log_retention_run(l, now + 10 * 3600000, &deleted, err, sizeof err), 0);
    CHECK(deleted > 0);
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK_EQ_INT(st.segments, 1);
    CHECK_EQ_INT(cer_log_offsets(l, "t", 0, &start, &end), 0);
    CHECK_EQ_INT(end, 200);
    cer_log_close(l, NULL, 0);
    g = lt_read_all(dir, "t", 0, NULL);
    lt_check_fill(&g, (uint64_t)start, 200, -1);
    lt_gots_free(&g);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}
