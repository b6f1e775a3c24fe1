/* Tests of gzip inflation (src/otlp/gzip.c) and of the OTLP/HTTP entry point that picks the
 * decoder from Content-Type and Content-Encoding (src/otlp/request.c). */
#include <zlib.h>

#include "otlptest.h"

/* gzip-compress in[0..n) into a malloc'd buffer. */
static uint8_t *gz(const void *in, size_t n, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)n) + 32;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

TEST(gunzip_round_trip_and_members)
{
    const char *text = "hello, gzip";
    size_t n;
    uint8_t *z = gz(text, strlen(text), &n);
    ce_buf out;
    ce_buf_init(&out);
    char err[256];
    CHECK_EQ_INT(cer_otlp_gunzip(z, n, 0, &out, err, sizeof err), 0);
    CHECK_EQ_MEM(out.ptr, out.len, text, strlen(text));
    /* Two members back to back inflate to the concatenation; out is appended to. */
    uint8_t *two = malloc(2 * n);
    memcpy(two, z, n);
    memcpy(two + n, z, n);
    CHECK_EQ_INT(cer_otlp_gunzip(two, 2 * n, 0, &out, err, sizeof err), 0);
    CHECK_EQ_MEM(out.ptr, out.len, "hello, gziphello, gziphello, gzip", 33);
    free(two);
    free(z);
    ce_buf_free(&out);
}

TEST(gunzip_caps_a_zip_bomb)
{
    size_t big = 16u << 20; /* 16 MiB of zeros compress to a few KiB */
    uint8_t *zeros = calloc(1, big);
    size_t n;
    uint8_t *z = gz(zeros, big, &n);
    free(zeros);
    CHECK(n < 64 * 1024);
    ce_buf out;
    ce_buf_init(&out);
    ce_buf_append(&out, "keep", 4);
    char err[256];
    CHECK_EQ_INT(cer_otlp_gunzip(z, n, 1u << 20, &out, err, sizeof err), CE_ETOOBIG);
    CHECK_EQ_STR(err, "gzip: decompressed body exceeds 1048576 bytes");
    CHECK_EQ_INT(out.len, 4);             /* unchanged on failure */
    CHECK(out.cap <= (2u << 20) + 65536); /* ce_buf doubling: at most about twice the cap */
    /* Exactly at the cap is fine; one byte less is not. */
    out.len = 0;
    CHECK_EQ_INT(cer_otlp_gunzip(z, n, big, &out, err, sizeof err), 0);
    CHECK_EQ_INT(out.len, big);
    out.len = 0;
    CHECK_EQ_INT(cer_otlp_gunzip(z, n, big - 1, &out, err, sizeof err), CE_ETOOBIG);
    free(z);
    ce_buf_free(&out);
}

TEST(gunzip_rejects_bad_streams)
{
    const char *text = "some text that is long enough to compress into a few blocks of data";
    size_t n;
    uint8_t *z = gz(text, strlen(text), &n);
    ce_buf out;
    ce_buf_init(&out);
    char err[256];
    /* Every truncation fails. */
    for (size_t cut = 0; cut < n; cut++) {
        int rc = cer_otlp_gunzip(z, cut, 0, &out, err, sizeof err);
        if (rc != CE_ESYNTAX)
            cer_test_fail(__FILE__, __LINE__, "cut %zu: rc %s", cut, ce_err_name(rc));
        CHECK_EQ_INT(out.len, 0);
    }
    CHECK_EQ_INT(cer_otlp_gunzip(z, n - 1, 0, &out, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "gzip: truncated stream");
    /* Trailing garbage. */
    uint8_t *tail = malloc(n + 3);
    memcpy(tail, z, n);
    memcpy(tail + n, "abc", 3);
    CHECK_EQ_INT(cer_otlp_gunzip(tail, n + 3, 0, &out, err, sizeof err), CE_ESYNTAX);
    char want[80];
    snprintf(want, sizeof want, "gzip: trailing bytes after the stream at byte %zu", n);
    CHECK_EQ_STR(err, want);
    free(tail);
    /* Corrupt header and corrupt CRC. */
    uint8_t *bad = malloc(n);
    memcpy(bad, z, n);
    bad[0] = 0;
    CHECK_EQ_INT(cer_otlp_gunzip(bad, n, 0, &out, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "gzip: corrupt data");
    memcpy(bad, z, n);
    bad[n - 6] ^= 1;
    CHECK_EQ_INT(cer_otlp_gunzip(bad, n, 0, &out, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "gzip: corrupt data (incorrect data check)");
    /* Not gzip at all (a raw zlib or plain body). */
    CHECK_EQ_INT(cer_otlp_gunzip("{}", 2, 0, &out, err, sizeof err), CE_ESYNTAX);
    CHECK_EQ_INT(out.len, 0);
    free(bad);
    free(z);
    ce_buf_free(&out);
}

static const char *small_logs = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":"
                                "{\"stringValue\":\"zipped\"}}]}]}]}";

TEST(decode_http_dispatch)
{
    size_t n;
    uint8_t *z = gz(small_logs, strlen(small_logs), &n);
    cer_otlp_request *r = NULL;
    cer_otlp_encoding enc = 0;
    char err[256];
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "Application/JSON; charset=utf-8", " GZIP", z,
                                      n, NULL, &r, &enc, err, sizeof err),
                 0);
    CHECK_EQ_INT(enc, CER_OTLP_JSON);
    if (r) {
        CHECK_EQ_INT(cer_otlp_request_count(r), 1);
        CHECK_EQ_STR(r->logs->resource_logs[0]->scope_logs[0]->log_records[0]->body->string_value,
                     "zipped");
    }
    cer_otlp_request_destroy(r);
    /* identity / empty / NULL encodings take the body as is. */
    static const char *const plain[] = {NULL, "", "identity"};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "application/json", plain[i], small_logs,
                                          strlen(small_logs), NULL, &r, NULL, err, sizeof err),
                     0);
        cer_otlp_request_destroy(r);
    }
    /* Protobuf by content type (an empty body is an empty request). */
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_TRACES, "application/x-protobuf", NULL, "", 0, NULL,
                                      &r, &enc, err, sizeof err),
                 0);
    CHECK_EQ_INT(enc, CER_OTLP_PROTOBUF);
    cer_otlp_request_destroy(r);
    /* Unsupported content type and encoding. */
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "text/plain", NULL, "x", 1, NULL, &r, NULL,
                                      err, sizeof err),
                 CE_EUNSUPPORTED);
    CHECK_CONTAINS(err, "Content-Type 'text/plain'");
    CHECK_EQ_INT(
        cer_otlp_decode_http(CER_OTLP_LOGS, NULL, NULL, "x", 1, NULL, &r, NULL, err, sizeof err),
        CE_EUNSUPPORTED);
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "application/jsonx", NULL, "x", 1, NULL, &r,
                                      NULL, err, sizeof err),
                 CE_EUNSUPPORTED);
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "application/json", "br", z, n, NULL, &r, NULL,
                                      err, sizeof err),
                 CE_EUNSUPPORTED);
    CHECK_CONTAINS(err, "Content-Encoding 'br'");
    /* A gzip body that is not gzip. */
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "application/json", "gzip", small_logs,
                                      strlen(small_logs), NULL, &r, NULL, err, sizeof err),
                 CE_ESYNTAX);
    CHECK(r == NULL);
    free(z);
}

TEST(decode_http_caps)
{
    /* The body cap applies to the bytes received; the decoded cap to the inflated bytes. */
    size_t n;
    uint8_t *z = gz(small_logs, strlen(small_logs), &n);
    cer_otlp_request *r = NULL;
    char err[256];
    cer_otlp_limits lim = {.max_body_bytes = n - 1};
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "application/json", "gzip", z, n, &lim, &r,
                                      NULL, err, sizeof err),
                 CE_ETOOBIG);
    char want[80];
    snprintf(want, sizeof want, "body of %zu bytes exceeds the %zu-byte limit", n, n - 1);
    CHECK_EQ_STR(err, want);
    lim = (cer_otlp_limits){.max_decoded_bytes = strlen(small_logs) - 1};
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "application/json", "gzip", z, n, &lim, &r,
                                      NULL, err, sizeof err),
                 CE_ETOOBIG);
    CHECK_CONTAINS(err, "gzip: decompressed body exceeds");
    lim.max_decoded_bytes = strlen(small_logs);
    CHECK_EQ_INT(cer_otlp_decode_http(CER_OTLP_LOGS, "application/json", "gzip", z, n, &lim, &r,
                                      NULL, err, sizeof err),
                 0);
    cer_otlp_request_destroy(r);
    free(z);
}

static long budget = -1;
static void *fail_malloc(size_t n)
{
    if (budget == 0)
        return NULL;
    if (budget > 0)
        budget--;
    return malloc(n);
}
static void *fail_realloc(void *p, size_t n)
{
    if (budget == 0)
        return NULL;
    if (budget > 0)
        budget--;
    return realloc(p, n);
}

TEST(gunzip_allocation_failures)
{
    size_t n;
    uint8_t *z = gz(small_logs, strlen(small_logs), &n);
    ce_allocator a = {fail_malloc, fail_realloc, free};
    ce_set_allocator(&a);
    int nomem = 0;
    for (long k = 0; k < 1000; k++) {
        budget = k;
        cer_otlp_request *r = NULL;
        char err[256];
        int rc = cer_otlp_decode_http(CER_OTLP_LOGS, "application/json", "gzip", z, n, NULL, &r,
                                      NULL, err, sizeof err);
        budget = -1;
        cer_otlp_request_destroy(r);
        if (rc == 0)
            break;
        if (rc != CE_ENOMEM)
            cer_test_fail(__FILE__, __LINE__, "budget %ld: rc %s (%s)", k, ce_err_name(rc), err);
        nomem++;
    }
    ce_set_allocator(NULL);
    CHECK(nomem >= 3); /* zlib state, window, output buffer, request... */
    free(z);
}
