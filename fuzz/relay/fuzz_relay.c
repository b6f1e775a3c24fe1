/* libFuzzer target for the relay's request handler. One relay (local-log binding in a temporary
 * directory, ack none, small limits, a catalog in enforce mode, a deny rule with dead letters,
 * masking) serves every input through cer__relay_request, the same handler libmicrohttpd calls.
 * Input: byte 0 picks the endpoint and method; then header lines "Name: value\n" up to an
 * empty line; the rest is the body. Oracles: the status is 2xx/4xx/5xx, and every 4xx/5xx is
 * an application/problem+json object with a urn:cerelay:problem type; ASan/LSan catch memory
 * errors and leaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        fprintf(stderr, "fuzz_relay: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(dir, sizeof dir, "/tmp/cer_fuzz_relay_XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char text[2048], err[1024];
    snprintf(text, sizeof text,
             "binding: log\n"
             "log:\n  dir: %s/log\n  fsync: never\n"
             "listen:\n  events: \"\"\n  otlp: \"\"\n"
             "ack: none\n"
             "logging:\n  level: error\n"
             "catalog:\n  mode: warn\n  types:\n    eventzr.llm.usage.v1: enforce\n"
             "policy:\n  dead_letter: true\n  rules:\n    - name: no-prompts\n"
             "      action: deny\n      when: \"type LIKE 'eventzr.llm.prompt.%%'\"\n"
             "dead_letter:\n  log_dir: %s/dlq\n"
             "masking:\n  rules:\n    - name: sub\n      path: /subject\n      action: redact\n"
             "routes:\n  - match: \"io.*\"\n    topic: \"io-{source}\"\n"
             "limits:\n  max_body_bytes: 64KiB\n  max_event_bytes: 4KiB\n"
             "  max_batch_events: 16\n  max_memory_bytes: 64MiB\n"
             "http:\n  batch_size: 16\n",
             dir, dir);
    if (cer_config_load_string(text, strlen(text), "fuzz.yaml", &R.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_relay: %s\n", err);
        abort();
    }
    if (cer__relay_open(&R, 2000, true, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_relay: %s\n", err);
        abort();
    }
    atexit(cleanup);
    return 0;
}

static const struct {
    int kind;
    const char *method, *url;
} endpoints[] = {
    {LISTEN_EVENTS, "POST", "/events"},  {LISTEN_EVENTS, "POST", "/events"},
    {LISTEN_EVENTS, "POST", "/"},        {LISTEN_OTLP, "POST", "/v1/logs"},
    {LISTEN_OTLP, "POST", "/v1/traces"}, {LISTEN_EVENTS, "GET", "/events"},
    {LISTEN_EVENTS, "GET", "/readyz"},   {LISTEN_EVENTS, "POST", "/nope"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t ep = data[0] % (sizeof endpoints / sizeof endpoints[0]);
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    /* headers: copies, NUL-terminated like the HTTP library's */
    ce_header h[64];
    char *owned[64];
    size_t nh = 0;
    while (p < end && nh < 64) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || nl == p) {
            p = nl ? nl + 1 : p;
            break;
        }
        const char *colon = memchr(p, ':', (size_t)(nl - p));
        if (colon) {
            size_t nlen = (size_t)(colon - p);
            const char *v = colon + 1;
            while (v < nl && *v == ' ')
                v++;
            size_t vlen = (size_t)(nl - v);
            char *c = malloc(nlen + vlen + 2);
            memcpy(c, p, nlen);
            c[nlen] = 0;
            memcpy(c + nlen + 1, v, vlen);
            c[nlen + 1 + vlen] = 0;
            owned[nh] = c;
            h[nh] = (ce_header){{c, nlen}, {c + nlen + 1, vlen}};
            nh++;
        }
        p = nl + 1;
    }
    ce_buf out;
    ce_buf_init(&out);
    char ctype[64];
    unsigned st =
        cer__relay_request(&R, endpoints[ep].kind, endpoints[ep].method, endpoints[ep].url, h, nh,
                           p, (size_t)(end - p), &out, ctype, sizeof ctype);
    if (st < 200 || st > 599)
        abort();
    if (st >= 400 && strcmp(endpoints[ep].url, "/readyz") != 0) {
        static const char pfx[] = "{\"type\":\"urn:cerelay:problem:";
        if (strcmp(ctype, "application/problem+json") != 0 || out.len < sizeof pfx - 1 ||
            memcmp(out.ptr, pfx, sizeof pfx - 1) != 0) {
            fprintf(stderr, "status %u is not a problem: %s %.*s\n", st, ctype, (int)out.len,
                    out.ptr ? out.ptr : "");
            abort();
        }
    }
    ce_buf_free(&out);
    for (size_t i = 0; i < nh; i++)
        free(owned[i]);
    return 0;
}
