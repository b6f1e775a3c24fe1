/* The on-disk format against golden files produced by an independent encoder written from
 * docs/log-format.md (tests/log/golden/format.py): the library must read them, and must write
 * byte-identical segment and index files for the same records. */
#include "log/internal.h"
#include "logtest.h"

#define NREC 40

/* The records golden_records() in format.py describes. */
typedef struct grec {
    char key[32], value[128];
    int key_null, value_null;
    cer_log_header h[2];
    char hid[32];
    size_t nh;
    int64_t ts;
} grec;

static void golden(grec *g, int i)
{
    memset(g, 0, sizeof *g);
    g->key_null = i % 5 == 0;
    snprintf(g->key, sizeof g->key, "tenant-%d", i % 3);
    g->value_null = i % 7 == 3;
    char pad[64];
    int np = i * 3 % 50;
    memset(pad, 'x', (size_t)np);
    pad[np] = 0;
    snprintf(g->value, sizeof g->value, "{\"n\":%d,\"pad\":\"%s\"}", i, pad);
    if (i % 4 == 0) {
        snprintf(g->hid, sizeof g->hid, "evt-%d", i);
        g->h[0] = (cer_log_header){"ce_type", 7, "eventzr.llm.usage.v1", 20};
        g->h[1] = (cer_log_header){"ce_id", 5, g->hid, strlen(g->hid)};
        g->nh = 2;
    }
    g->ts = 1700000000000ll + i * 1000 + (i % 6 == 5 ? -1500 : 0);
}

static cer_log_rec as_rec(const grec *g)
{
    cer_log_rec r = lt_rec(g->key_null ? NULL : g->key, g->value_null ? NULL : g->value, g->ts);
    r.headers = g->nh ? g->h : NULL;
    r.header_count = g->nh;
    return r;
}

static unsigned char *golden_file(const char *ext, size_t *len)
{
    char rel[64];
    snprintf(rel, sizeof rel, "tests/log/golden/segment-v1.%s", ext);
    unsigned char *b = lt_slurp(cer_test_src_path(rel), len);
    if (!b)
        cer_test_fail(__FILE__, __LINE__, "missing golden file %s", rel);
    return b;
}

TEST(reads_golden_segment)
{
    char *dir = lt_tmpdir();
    char pdir[4096];
    snprintf(pdir, sizeof pdir, "%s/t-0", dir);
    mkdir(pdir, 0755);
    static const char *const ext[] = {"log", "index", "timeindex"};
    for (int k = 0; k < 3; k++) {
        size_t len;
        unsigned char *b = golden_file(ext[k], &len);
        if (b)
            lt_spit(lt_seg(dir, "t", 0, 0, ext[k]), b, len);
        free(b);
    }
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c = lt_conf(&rep, NULL);
    lt_gots g = lt_read_all(dir, "t", 0, c);
    CHECK_EQ_INT(g.n, NREC);
    for (size_t i = 0; i < g.n && i < NREC; i++) {
        grec e;
        golden(&e, (int)i);
        CHECK_EQ_INT(g.r[i].offset, (int64_t)i);
        CHECK_EQ_INT(g.r[i].ts, e.ts);
        CHECK_EQ_INT(g.r[i].key_null, e.key_null);
        CHECK_EQ_INT(g.r[i].value_null, e.value_null);
        if (!e.key_null)
            CHECK_EQ_STR(g.r[i].key, e.key);
        if (!e.value_null)
            CHECK_EQ_STR(g.r[i].value, e.value);
        CHECK_EQ_INT(g.r[i].nheaders, e.nh);
    }
    lt_gots_free(&g);
    /* seeks through the golden indexes */
    cer_log_reader *r;
    char err[512];
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "t", 0, c, err, sizeof err), 0);
    for (int64_t t = 1699999999000ll; t < 1700000041000ll; t += 250) {
        int want = NREC;
        for (int i = 0; i < NREC; i++) {
            grec e;
            golden(&e, i);
            if (e.ts >= t) {
                want = i;
                break;
            }
        }
        CHECK_EQ_INT(cer_log_reader_seek(r, CER_LOG_SEEK_TIME, t, err, sizeof err), 0);
        CHECK_EQ_INT(cer_log_reader_position(r), want);
    }
    cer_log_reader_close(r);
    CHECK_EQ_INT(rep.n, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

static void compare_with_golden(const char *dir)
{
    size_t glen, len;
    unsigned char *gold = golden_file("log", &glen);
    unsigned char *mine = lt_slurp(lt_seg(dir, "t", 0, 0, "log"), &len);
    CHECK(gold && mine);
    if (gold && mine) {
        CHECK_EQ_INT(len, glen);
        /* header: all but created_ms (16..23) and the header CRC (28..31) */
        CHECK(memcmp(mine, gold, 16) == 0 && memcmp(mine + 24, gold + 24, 4) == 0);
        CHECK(len == glen && memcmp(mine + 32, gold + 32, len - 32) == 0);
    }
    free(gold);
    free(mine);
    static const char *const ext[] = {"index", "timeindex"};
    for (int k = 0; k < 2; k++) {
        gold = golden_file(ext[k], &glen);
        mine = lt_slurp(lt_seg(dir, "t", 0, 0, ext[k]), &len);
        CHECK(gold && mine && len == glen && memcmp(gold, mine, len) == 0);
        free(gold);
        free(mine);
    }
}

TEST(writes_golden_bytes)
{
    char *dir = lt_tmpdir();
    char err[512];
    /* the golden segment is 3565 bytes: the 41st record rolls it, sealing the online index */
    cer_log_conf *c = lt_conf(NULL, "fsync", "never", "index.interval.bytes", "64", "segment.bytes",
                              "3565", "retention.ms", "-1", NULL);
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    for (int i = 0; i <= NREC; i++) {
        grec g;
        golden(&g, i);
        cer_log_rec r = as_rec(&g);
        CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
    }
    cer_log_stats st;
    cer_log_stats_get(l, &st);
    CHECK_EQ_INT(st.rolls, 1);
    cer_log_close(l, NULL, 0);
    compare_with_golden(dir);
    /* and the same again when the indexes are rebuilt from the segment */
    unlink(lt_seg(dir, "t", 0, 0, "index"));
    unlink(lt_seg(dir, "t", 0, 0, "timeindex"));
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    cer_log_close(l, NULL, 0);
    compare_with_golden(dir);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}
