/* libFuzzer target for the OTLP/gRPC server (src/relay/grpc.c): the input is what a client sends
 * after the HTTP/2 preface (frames, HPACK headers, gRPC-framed messages, gzip), fed to a fresh
 * nghttp2 server session of one relay (local-log binding, ack none, small limits) through
 * cer__relay_grpc_feed, which hands complete Export requests to the same handler as OTLP/HTTP.
 * Oracles: the server's first bytes are its SETTINGS frame; ASan/LSan catch memory errors and
 * leaks. Seeds in corpus/ are captured grpcio calls (logs, gzip, garbage, traces + auth). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay/grpc.h"
#include "relay/http.h"
#include "relay/relay.h"

static relay R;
static char dir[64];

static void cleanup(void)
{
    cer__relay_close(&R, 2000);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_grpc: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(dir, sizeof dir, "/tmp/cer_fuzz_grpc_XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char text[1024], err[1024];
    snprintf(text, sizeof text,
             "binding: log\n"
             "log:\n  dir: %s/log\n  fsync: never\n"
             "listen:\n  events: \"\"\n  otlp: \"\"\n  auth:\n    bearer_tokens: [x]\n"
             "ack: none\n"
             "logging:\n  level: error\n"
             "limits:\n  max_body_bytes: 64KiB\n  max_event_bytes: 4KiB\n"
             "  max_batch_events: 16\n  max_memory_bytes: 64MiB\n"
             "http:\n  batch_size: 16\n",
             dir);
    if (cer_config_load_string(text, strlen(text), "fuzz.yaml", &R.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_grpc: %s\n", err);
        abort();
    }
    if (cer__relay_open(&R, 2000, true, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_grpc: %s\n", err);
        abort();
    }
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ce_buf out;
    ce_buf_init(&out);
    cer__relay_grpc_feed(&R, data, size, &out);
    /* the server always speaks first: a SETTINGS frame (type 4) on stream 0 */
    if (out.len < 9 || (unsigned char)out.ptr[3] != 4)
        abort();
    ce_buf_free(&out);
    return 0;
}
