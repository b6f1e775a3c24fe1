/* Tests of one OTLP/gRPC call (src/relay/grpc_call.c, through grpc.c's cer__relay_grpc_feed): the
 * seed corpus of fuzz/grpc (what grpcio sent for real calls, captured) is fed to a server
 * session of a real relay (local log, ack none), and the gRPC status in the answer's header
 * blocks (decoded with nghttp2's HPACK inflater) is checked, with what reached the log. */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cerelay/log.h"
#include "harness.h"
#include "relay/grpc.h"
#include "relay/relay.h"

static relay *start(char *dir, size_t n, const char *extra)
{
    snprintf(dir, n, "/tmp/cer_grpc_call_XXXXXX");
    if (!mkdtemp(dir))
        cer_test_fail(__FILE__, __LINE__, "mkdtemp");
    relay *r = calloc(1, sizeof *r);
    char text[1024], err[1024];
    snprintf(text, sizeof text,
             "binding: log\nlog:\n  dir: %s/log\n  fsync: never\n"
             "listen:\n  events: \"\"\n  otlp: \"\"\n%s"
             "ack: none\nlogging:\n  level: error\n",
             dir, extra ? extra : "");
    if (cer_config_load_string(text, strlen(text), "t.yaml", &r->cfg, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "config: %s", err);
    if (cer__relay_open(r, 2000, true, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "cer__relay_open: %s", err);
    return r;
}

static void stop(relay *r, const char *dir)
{
    cer__relay_close(r, 2000);
    free(r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        cer_test_fail(__FILE__, __LINE__, "rm");
}

/* A seed of fuzz/grpc/corpus into in[]; returns its length. */
static size_t seed(const char *name, uint8_t *in, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz/grpc/corpus/%s", CER_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    size_t len = f ? fread(in, 1, cap, f) : 0;
    if (f)
        fclose(f);
    return len;
}

/* in[0..len) through a fresh session; the last grpc-status the server sent (or "") and its
 * grpc-message. Fails the test when the output is not HTTP/2 frames. */
static void feed_bytes(relay *r, const uint8_t *in, size_t len, char *status, char *msg,
                       size_t msg_size)
{
    ce_buf out;
    ce_buf_init(&out);
    CHECK_EQ_INT(cer__relay_grpc_feed(r, in, len, &out), 0);
    status[0] = msg[0] = 0;
    nghttp2_hd_inflater *inf;
    CHECK_EQ_INT(nghttp2_hd_inflate_new(&inf), 0);
    const uint8_t *p = (const uint8_t *)out.ptr;
    for (size_t off = 0; off + 9 <= out.len;) {
        size_t flen = (size_t)p[off] << 16 | (size_t)p[off + 1] << 8 | p[off + 2];
        uint8_t type = p[off + 3], flags = p[off + 4];
        CHECK(off + 9 + flen <= out.len);
        if (off + 9 + flen > out.len)
            break;
        if (type == NGHTTP2_HEADERS) {
            const uint8_t *b = p + off + 9;
            size_t bl = flen;
            if (flags & NGHTTP2_FLAG_PADDED) /* never sent by nghttp2 by default */
                bl = 0;
            if (flags & NGHTTP2_FLAG_PRIORITY)
                b += 5, bl -= 5;
            for (;;) {
                nghttp2_nv nv;
                int fl = 0;
                ssize_t k = nghttp2_hd_inflate_hd2(inf, &nv, &fl, b, bl, 1);
                CHECK(k >= 0);
                if (k < 0)
                    break;
                b += k, bl -= (size_t)k;
                if (fl & NGHTTP2_HD_INFLATE_EMIT) {
                    if (nv.namelen == 11 && memcmp(nv.name, "grpc-status", 11) == 0)
                        snprintf(status, 8, "%.*s", (int)nv.valuelen, nv.value);
                    if (nv.namelen == 12 && memcmp(nv.name, "grpc-message", 12) == 0)
                        snprintf(msg, msg_size, "%.*s", (int)nv.valuelen, nv.value);
                }
                if (fl & NGHTTP2_HD_INFLATE_FINAL) {
                    nghttp2_hd_inflate_end_headers(inf);
                    break;
                }
                if (k == 0 && bl == 0)
                    break;
            }
        }
        off += 9 + flen;
    }
    nghttp2_hd_inflate_del(inf);
    ce_buf_free(&out);
}

static void feed(relay *r, const char *name, char *status, char *msg, size_t msg_size)
{
    static uint8_t in[65536];
    size_t len = seed(name, in, sizeof in);
    feed_bytes(r, in, len, status, msg, msg_size);
}

static long count_log(const char *dir, const char *topic)
{
    char logdir[128], err[256];
    snprintf(logdir, sizeof logdir, "%s/log", dir);
    cer_log_reader *rd = NULL;
    if (cer_log_reader_open(&rd, logdir, topic, 0, NULL, err, sizeof err) != 0)
        return 0;
    long n = 0;
    cer_log_rec rec;
    while (cer_log_reader_next(rd, &rec, 0, err, sizeof err) == 0)
        n++;
    cer_log_reader_close(rd);
    return n;
}

TEST(captured_calls_get_their_status)
{
    char dir[64], status[8], msg[256];
    relay *r = start(dir, sizeof dir, NULL);
    feed(r, "logs", status, msg, sizeof msg); /* two records */
    CHECK_EQ_STR(status, "0");
    feed(r, "logs_gzip", status, msg, sizeof msg); /* grpc-encoding gzip, one record */
    CHECK_EQ_STR(status, "0");
    feed(r, "garbage", status, msg, sizeof msg); /* not protobuf */
    CHECK_EQ_STR(status, "3");
    feed(r, "traces_empty", status, msg, sizeof msg); /* an empty request: nothing to export */
    CHECK_EQ_STR(status, "0");
    cer__relay_close(r, 2000);
    CHECK_EQ_INT(count_log(dir, "io.opentelemetry.log"), 3);
    free(r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

TEST(bearer_token_from_metadata)
{
    char dir[64], status[8], msg[256];
    relay *r = start(dir, sizeof dir, "  auth:\n    bearer_tokens: [x]\n");
    feed(r, "logs", status, msg, sizeof msg); /* no authorization */
    CHECK_EQ_STR(status, "16");
    feed(r, "traces_empty", status, msg, sizeof msg); /* authorization: Bearer x */
    CHECK_EQ_STR(status, "0");
    stop(r, dir);
}

/* The 5-byte gRPC prefix of the seed's first DATA frame on stream 1, or NULL. */
static uint8_t *grpc_prefix(uint8_t *in, size_t len)
{
    for (size_t off = 0; off + 9 <= len;) {
        size_t flen = (size_t)in[off] << 16 | (size_t)in[off + 1] << 8 | in[off + 2];
        if (in[off + 3] == NGHTTP2_DATA && in[off + 8] == 1 && flen >= 5)
            return in + off + 9;
        off += 9 + flen;
    }
    return NULL;
}

TEST(framing_errors_are_invalid_argument)
{
    char dir[64], status[8], msg[256];
    static uint8_t in[65536];
    relay *r = start(dir, sizeof dir, NULL);
    size_t len = seed("traces_empty", in, sizeof in); /* prefix 00 00000000, no message */
    uint8_t *p = grpc_prefix(in, len);
    CHECK(p != NULL);
    if (!p)
        return;
    p[4] = 1; /* declares one byte that never comes */
    feed_bytes(r, in, len, status, msg, sizeof msg);
    CHECK_EQ_STR(status, "3");
    CHECK(strstr(msg, "shorter than its prefix") != NULL);
    p[4] = 0, p[0] = 2; /* a compressed flag that does not exist */
    feed_bytes(r, in, len, status, msg, sizeof msg);
    CHECK_EQ_STR(status, "3");
    p[0] = 1; /* compressed, without grpc-encoding */
    feed_bytes(r, in, len, status, msg, sizeof msg);
    CHECK_EQ_STR(status, "12");
    CHECK(strstr(msg, "grpc-encoding") != NULL);
    stop(r, dir);
}
