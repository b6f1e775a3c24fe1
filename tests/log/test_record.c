/* Record framing: encode/decode round trips for every nullable combination, the size and
 * argument checks, and that the checksum rejects every single-bit error and every truncation. */
#include "log/internal.h"
#include "logtest.h"

static size_t encode(uint8_t *buf, const cer_log_rec *r, int64_t off, int64_t ts)
{
    int err;
    size_t n = cer_log__rec_size(r, 1 << 20, &err);
    CHECK(n > 0);
    cer_log__rec_encode(buf, n, r, off, ts);
    return n;
}

static void check_same(const cer_log_rec *a, const cer_log_rec *b)
{
    CHECK_EQ_INT(a->key == NULL, b->key == NULL);
    CHECK_EQ_INT(a->value == NULL, b->value == NULL);
    CHECK_EQ_INT(a->key_len, b->key_len);
    CHECK_EQ_INT(a->value_len, b->value_len);
    if (a->key && b->key)
        CHECK_EQ_MEM(a->key, a->key_len, b->key, b->key_len);
    if (a->value && b->value)
        CHECK_EQ_MEM(a->value, a->value_len, b->value, b->value_len);
    CHECK_EQ_INT(a->header_count, b->header_count);
    for (size_t i = 0; i < a->header_count && i < b->header_count; i++) {
        CHECK_EQ_MEM(a->headers[i].name, a->headers[i].name_len, b->headers[i].name,
                     b->headers[i].name_len);
        CHECK_EQ_MEM(a->headers[i].value, a->headers[i].value_len, b->headers[i].value,
                     b->headers[i].value_len);
    }
}

TEST(roundtrip_nullable_combinations)
{
    cer_log_header h[3] = {{"ce_type", 7, "x.y", 3}, {"ce_id", 5, "", 0}, {"ce_type", 7, "\0z", 2}};
    const char *keys[] = {NULL, "", "tenant-uuid"};
    const char *vals[] = {NULL, "", "{\"a\":1}"};
    uint8_t buf[512];
    for (int k = 0; k < 3; k++) {
        for (int v = 0; v < 3; v++) {
            for (size_t nh = 0; nh <= 3; nh += 3) {
                cer_log_rec r = lt_rec(keys[k], vals[v], 0);
                r.headers = nh ? h : NULL;
                r.header_count = nh;
                size_t n = encode(buf, &r, 1234567890123ll, 1700000000123ll);
                size_t total;
                CHECK_EQ_INT(cer_log__rec_frame(buf, n, CER_LOG__RECORD_LIMIT, &total),
                             CER_LOG__FRAME_OK);
                CHECK_EQ_INT(total, n);
                int64_t off, ts;
                size_t hn;
                CHECK(cer_log__rec_check(buf, n, &off, &ts, &hn));
                CHECK_EQ_INT(off, 1234567890123ll);
                CHECK_EQ_INT(ts, 1700000000123ll);
                CHECK_EQ_INT(hn, nh);
                cer_log_rec out;
                cer_log_header oh[3];
                cer_log__rec_decode(buf, n, &out, oh);
                check_same(&r, &out);
                CHECK_EQ_INT(out.offset, 1234567890123ll);
            }
        }
    }
}

TEST(size_and_argument_checks)
{
    int err;
    cer_log_rec r = lt_rec("k", "v", 0);
    CHECK_EQ_INT(cer_log__rec_size(&r, 1000, &err), CER_LOG__REC_MIN + 2);
    r.value_len = 2000;
    CHECK_EQ_INT(cer_log__rec_size(&r, 1000, &err), 0);
    CHECK_EQ_INT(err, CER_LOG_ETOOBIG);
    r = lt_rec(NULL, NULL, 0);
    r.key_len = 1;
    CHECK_EQ_INT(cer_log__rec_size(&r, 1000, &err), 0);
    CHECK_EQ_INT(err, CER_LOG_EINVAL);
    r = lt_rec(NULL, NULL, 0);
    r.value_len = 1;
    CHECK_EQ_INT(cer_log__rec_size(&r, 1000, &err), 0);
    CHECK_EQ_INT(err, CER_LOG_EINVAL);
    cer_log_header h = {NULL, 3, "x", 1};
    r = lt_rec("k", "v", 0);
    r.headers = &h;
    r.header_count = 1;
    CHECK_EQ_INT(cer_log__rec_size(&r, 1000, &err), 0);
    CHECK_EQ_INT(err, CER_LOG_EINVAL);
    r.header_count = 70000;
    CHECK_EQ_INT(cer_log__rec_size(&r, 1000, &err), 0);
    CHECK_EQ_INT(err, CER_LOG_EINVAL);
}

/* CRC32C detects all single-bit errors; the structure check backs it for the length field. */
TEST(every_single_bit_flip_is_rejected)
{
    cer_log_header h = {"traceparent", 11, "00-abc-01", 9};
    cer_log_rec r = lt_rec("tenant-uuid", "{\"tokens\":500}", 0);
    r.headers = &h;
    r.header_count = 1;
    uint8_t buf[256];
    size_t n = encode(buf, &r, 42, 1700000000000ll);
    int accepted = 0;
    for (size_t bit = 0; bit < n * 8; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int64_t off, ts;
        size_t hn, total;
        if (cer_log__rec_frame(buf, n, CER_LOG__RECORD_LIMIT, &total) == CER_LOG__FRAME_OK &&
            cer_log__rec_check(buf, total, &off, &ts, &hn))
            accepted++;
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK_EQ_INT(accepted, 0);
    int64_t off, ts;
    size_t hn;
    CHECK(cer_log__rec_check(buf, n, &off, &ts, &hn));
}

TEST(truncations_are_short_or_rejected)
{
    cer_log_rec r = lt_rec("k", "some value", 0);
    uint8_t buf[128];
    size_t n = encode(buf, &r, 7, 1);
    for (size_t cut = 0; cut < n; cut++) {
        size_t total;
        CHECK_EQ_INT(cer_log__rec_frame(buf, cut, CER_LOG__RECORD_LIMIT, &total),
                     CER_LOG__FRAME_SHORT);
        int64_t off, ts;
        size_t hn;
        CHECK(!cer_log__rec_check(buf, cut, &off, &ts, &hn));
    }
    /* impossible lengths */
    size_t total;
    cer_log__put32(buf, 3);
    CHECK_EQ_INT(cer_log__rec_frame(buf, n, CER_LOG__RECORD_LIMIT, &total), CER_LOG__FRAME_BAD);
    cer_log__put32(buf, 0xffffffffu);
    CHECK_EQ_INT(cer_log__rec_frame(buf, n, CER_LOG__RECORD_LIMIT, &total), CER_LOG__FRAME_BAD);
}

/* A record whose CRC is right but whose inner lengths overrun is rejected (defence against
 * records written by a buggy or hostile writer). */
TEST(valid_crc_bad_structure_rejected)
{
    cer_log_rec r = lt_rec("key", "value", 0);
    uint8_t buf[128];
    size_t n = encode(buf, &r, 1, 1);
    cer_log__put32(buf + 28, 200); /* key_len beyond the record */
    cer_log__put32(buf + 4, cer_log_crc32c(0, buf + 8, n - 8));
    int64_t off, ts;
    size_t hn;
    CHECK(!cer_log__rec_check(buf, n, &off, &ts, &hn));
    n = encode(buf, &r, 1, 1);
    cer_log__put16(buf + 8, 0x4); /* unknown attribute bit */
    cer_log__put32(buf + 4, cer_log_crc32c(0, buf + 8, n - 8));
    CHECK(!cer_log__rec_check(buf, n, &off, &ts, &hn));
    n = encode(buf, &r, 1, 1);
    cer_log__put16(buf + 10, 1); /* a header that is not there */
    cer_log__put32(buf + 4, cer_log_crc32c(0, buf + 8, n - 8));
    CHECK(!cer_log__rec_check(buf, n, &off, &ts, &hn));
}
