/* Sparse indexes (src/log/index.c): lookups, that a rebuild from the segment reproduces the
 * writer's index files byte for byte, and that missing, corrupt or lying index files are
 * rebuilt or ignored without changing what readers see. */
#include "log/internal.h"
#include "logtest.h"

TEST(lookups)
{
    cer_log__index ix;
    cer_log__index_init(&ix, 1000);
    /* records of 100 bytes at positions 32, 132, ...; timestamps wobble */
    for (int i = 0; i < 100; i++) {
        int64_t ts = 5000 + i * 10 + (i % 3 == 0 ? -15 : 0);
        CHECK_EQ_INT(cer_log__index_note(&ix, 1000 + i, 32 + 100 * (uint64_t)i, ts, 250), 0);
    }
    CHECK(ix.on > 20 && ix.on < 40);
    CHECK_EQ_INT(ix.next_offset, 1100);
    CHECK(cer_log__index_find_offset(&ix, 999) == NULL);
    CHECK(cer_log__index_find_offset(&ix, 1000) == NULL); /* start at the header */
    for (int64_t o = 1003; o < 1100; o++) {
        const cer_log__oent *e = cer_log__index_find_offset(&ix, o);
        CHECK(e != NULL);
        if (e) {
            CHECK(1000 + (int64_t)e->rel <= o);
            CHECK(e == &ix.o[ix.on - 1] || 1000 + (int64_t)(e + 1)->rel > o);
            CHECK_EQ_INT(e->pos, 32 + 100 * e->rel);
        }
    }
    /* every time entry is a lower bound: all records up to it are older than its ts */
    for (size_t k = 0; k < ix.tn; k++) {
        for (uint32_t i = 0; i <= ix.t[k].rel; i++) {
            int64_t ts = 5000 + i * 10 + (i % 3 == 0 ? -15 : 0);
            CHECK(ts <= ix.t[k].ts);
        }
    }
    CHECK(cer_log__index_find_time(&ix, 0) == NULL);
    const cer_log__tent *t = cer_log__index_find_time(&ix, 5500);
    CHECK(t && t->ts < 5500 && (t == &ix.t[ix.tn - 1] || (t + 1)->ts >= 5500));
    CHECK_EQ_INT(cer_log__index_seal(&ix), 0);
    CHECK(ix.sealed);
    CHECK_EQ_INT(ix.t[ix.tn - 1].ts, ix.max_ts);
    cer_log__index_free(&ix);
}

static void fill_wobbly(cer_log *l, int from, int n)
{
    char val[64];
    for (int i = from; i < from + n; i++) {
        snprintf(val, sizeof val, "value-%d-%.*s", i, i % 40,
                 "0123456789012345678901234567890123456789");
        cer_log_rec r = lt_rec("k", val, 1700000000000ll + i * 10 + (i % 4 == 0 ? -25 : 0));
        CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, NULL, 0), 0);
    }
}

#define NSEG_MAX 64

TEST(rebuild_reproduces_index_files_exactly)
{
    char *dir = lt_tmpdir();
    char err[512];
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c = lt_conf(&rep, "fsync", "never", "segment.bytes", "8192",
                              "index.interval.bytes", "256", "retention.ms", "-1", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    fill_wobbly(l, 0, 700);
    cer_log_close(l, NULL, 0);
    int64_t bases[NSEG_MAX];
    int nseg = 0;
    for (int64_t b = 0; b < 700 && nseg < NSEG_MAX; b++)
        if (lt_file_size(lt_seg(dir, "t", 0, b, "log")))
            bases[nseg++] = b;
    CHECK(nseg >= 5);
    unsigned char *orig[NSEG_MAX][2];
    size_t olen[NSEG_MAX][2];
    for (int i = 0; i < nseg; i++) {
        orig[i][0] = lt_slurp(lt_seg(dir, "t", 0, bases[i], "index"), &olen[i][0]);
        orig[i][1] = lt_slurp(lt_seg(dir, "t", 0, bases[i], "timeindex"), &olen[i][1]);
        CHECK(orig[i][0] && orig[i][1]);
        CHECK(olen[i][0] > 24 || i == nseg - 1);
        unlink(lt_seg(dir, "t", 0, bases[i], "index"));
        /* and garbage in place of every time index */
        lt_spit(lt_seg(dir, "t", 0, bases[i], "timeindex"), "garbage", 7);
    }
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(rep.warns, nseg - 1); /* one "rebuilding" per sealed segment */
    CHECK_CONTAINS(rep.all, "rebuilding the indexes");
    cer_log_close(l, NULL, 0);
    for (int i = 0; i < nseg; i++) {
        for (int k = 0; k < 2; k++) {
            size_t len;
            unsigned char *now =
                lt_slurp(lt_seg(dir, "t", 0, bases[i], k ? "timeindex" : "index"), &len);
            CHECK(now != NULL);
            if (now)
                CHECK(len == olen[i][k] && memcmp(now, orig[i][k], len) == 0);
            free(now);
            free(orig[i][k]);
        }
    }
    /* a third open trusts the sealed indexes: no rebuild */
    lt_reports_reset(&rep);
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    CHECK_EQ_INT(rep.warns, 0);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

/* An index whose entries point at the wrong records must not change what a seek returns. */
TEST(lying_index_does_not_mislead_readers)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_conf *c =
        lt_conf(NULL, "fsync", "never", "index.interval.bytes", "128", "retention.ms", "-1", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    fill_wobbly(l, 0, 200);
    cer_log_close(l, NULL, 0);
    const char *ipath = lt_seg(dir, "t", 0, 0, "index");
    size_t len;
    unsigned char *b = lt_slurp(ipath, &len);
    CHECK(len > 24 + 8 * 10);
    for (size_t e = 24; e + 8 <= len; e += 8) /* shift every position by 5 bytes */
        cer_log__put32(b + e + 4, cer_log__get32(b + e + 4) + 5);
    lt_spit(ipath, b, len);
    free(b);
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", 0, c, err, sizeof err), 0);
    for (int64_t o = 0; o < 200; o += 7) {
        CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_OFFSET, o, err, sizeof err), 0);
        cer_log_rec rec;
        CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), 0);
        CHECK_EQ_INT(rec.offset, o);
    }
    cer_log_reader_close(r);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}
