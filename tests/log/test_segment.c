/* Segment files and the cursor (src/log/segment.c): header checks, and that a single flipped bit
 * anywhere in a sealed segment's records costs exactly the record it hit, which is reported with
 * the segment file, byte position and offset and never returned. */
#include "log/internal.h"
#include "logtest.h"

TEST(header_roundtrip_and_checks)
{
    uint8_t h[CER_LOG__SEG_HDR];
    cer_log__seg_header_encode(h, 1234567, 1700000000000ll);
    CHECK_EQ_MEM(h, 4, "CRLG", 4);
    int64_t base = 0, created = 0;
    CHECK_EQ_INT(cer_log__seg_header_decode(h, &base, &created), 0);
    CHECK_EQ_INT(base, 1234567);
    CHECK_EQ_INT(created, 1700000000000ll);
    for (size_t bit = 0; bit < CER_LOG__SEG_HDR * 8; bit++) {
        h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int rc = cer_log__seg_header_decode(h, &base, &created);
        if (rc == 0)
            cer_test_fail(__FILE__, __LINE__, "bit %zu flip accepted", bit);
        h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    h[4] = 9; /* a later version with a valid CRC */
    cer_log__put32(h + 28, cer_log_crc32c(0, h, 28));
    CHECK_EQ_INT(cer_log__seg_header_decode(h, &base, &created), CER_LOG_EVERSION);
}

/* Build DIR with t-0 = one sealed segment of n records (+ one record in a second segment). */
static char *sealed_fixture(int n, cer_log_conf *c)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    lt_fill(l, "t", 0, 0, (uint64_t)n, 0);
    cer_log_close(l, NULL, 0);
    cer_log_conf *small = lt_conf(NULL, "fsync", "never", "segment.bytes", "1024", NULL);
    CHECK_EQ_INT(cer_log_open(&l, dir, small, err, sizeof err), 0);
    lt_fill(l, "t", 0, (uint64_t)n, 1, 0); /* does not fit: rolls */
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(small);
    CHECK(lt_file_size(lt_seg(dir, "t", 0, n, "log")) > 32);
    return dir;
}

TEST(random_bit_flips_in_sealed_segment_cost_one_record)
{
    enum { N = 80 };
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c = lt_conf(&rep, "fsync", "never", NULL);
    char *dir = sealed_fixture(N, c);
    char seg[4096];
    snprintf(seg, sizeof seg, "%s", lt_seg(dir, "t", 0, 0, "log"));
    size_t len;
    unsigned char *orig = lt_slurp(seg, &len);
    uint64_t starts[N + 1];
    size_t n = 0;
    for (uint64_t pos = 32; pos < len && n < N; n++) {
        starts[n] = pos;
        pos += 4 + cer_log__get32(orig + pos);
    }
    CHECK_EQ_INT(n, N);
    starts[N] = len;
    uint64_t seed = 0xfeedface;
    for (int round = 0; round < 120; round++) {
        /* a few fixed spots (length field, CRC, offset field, last record), then random */
        uint64_t bit;
        if (round == 0)
            bit = starts[10] * 8 + 6; /* length field, grows by 64 */
        else if (round == 1)
            bit = starts[10] * 8 + 3; /* length field, shrinks or grows by 8 */
        else if (round == 2)
            bit = (starts[33] + 4) * 8; /* CRC field */
        else if (round == 3)
            bit = (starts[40] + 12) * 8 + 1; /* offset field */
        else if (round == 4)
            bit = (len - 1) * 8; /* last record */
        else if (round == 5)
            bit = (starts[0] + 3) * 8 + 7; /* first record, length's top bit */
        else
            bit = 32 * 8 + lt_rand(&seed) % ((len - 32) * 8);
        size_t k = 0;
        while (k + 1 < N && starts[k + 1] * 8 <= bit)
            k++;
        unsigned char *b = malloc(len);
        memcpy(b, orig, len);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        lt_spit(seg, b, len);
        free(b);
        lt_reports_reset(&rep);
        lt_gots g = lt_read_all(dir, "t", 0, c);
        lt_check_fill(&g, 0, N + 1, (int64_t)k);
        char want[128];
        snprintf(want, sizeof want, "position %llu (offset %zu)", (unsigned long long)starts[k], k);
        CHECK_EQ_INT(rep.errors, 1);
        CHECK_CONTAINS(rep.all, seg);
        CHECK_CONTAINS(rep.all, want);
        if (rep.errors != 1 || !strstr(rep.all, want))
            fprintf(stderr, "round %d bit %llu (record %zu):\n%s", round, (unsigned long long)bit,
                    k, rep.all);
        lt_gots_free(&g);
    }
    free(orig);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

/* A record larger than the reader's max.record.bytes is not corruption: it is verified, reported
 * as CER_LOG_ETOOBIG for its offset, and reading continues after it. */
TEST(oversized_record_for_reader)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    static char big[5000];
    memset(big, 'B', sizeof big);
    cer_log_rec r = lt_rec("k", "small", 0);
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
    r.value = big;
    r.value_len = sizeof big;
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
    r = lt_rec("k", "after", 0);
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), 0);
    cer_log_close(l, NULL, 0);
    lt_reports rep;
    lt_reports_init(&rep);
    cer_log_conf *c = lt_conf(&rep, "max.record.bytes", "1000", NULL);
    cer_log_reader *rd;
    CHECK_EQ_INT(cer_log_reader_open(&rd, dir, "t", 0, c, err, sizeof err), 0);
    cer_log_rec out;
    CHECK_EQ_INT(cer_log_reader_next(rd, &out, 0, err, sizeof err), 0);
    CHECK_EQ_INT(out.offset, 0);
    CHECK_EQ_INT(cer_log_reader_next(rd, &out, 0, err, sizeof err), CER_LOG_ETOOBIG);
    CHECK_CONTAINS(err, "offset 1");
    CHECK_CONTAINS(err, "5037 bytes"); /* 36 fixed + 1 key + 5000 value */
    CHECK_EQ_INT(cer_log_reader_next(rd, &out, 0, err, sizeof err), 0);
    CHECK_EQ_INT(out.offset, 2);
    CHECK_EQ_MEM(out.value, out.value_len, "after", 5);
    CHECK_EQ_INT(cer_log_reader_next(rd, &out, 0, err, sizeof err), CER_LOG_EAGAIN);
    CHECK_EQ_INT(rep.errors, 0);
    cer_log_reader_close(rd);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}
