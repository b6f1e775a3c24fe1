/* Tests of the request pipeline (src/pipeline): decode limits at, below and above each cap, the
 * verdict per event (accepted, denied, rejected with reason and index, dead-lettered), routing
 * computed once, OTLP decoding (JSON, protobuf, gzip bombs), and ownership on every path (run
 * under ASan: a batch [denied, catalog-rejected] was a use-after-free in the relay before). */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cerelay/otlp.h"
#include "harness.h"
#include "pipeline/fresh.h"
#include "pipeline/pipeline.h"

static const char base_cfg[] = "binding: kafka\n"
                               "kafka:\n"
                               "  brokers: [127.0.0.1:1]\n"
                               "  topic: \"ai.{type}\"\n"
                               "routes:\n"
                               "  - match: \"io.coresdk.auth.*\"\n"
                               "    topic: coresdk-auth\n"
                               "    key: \"tenant-{tenantid}\"\n"
                               "catalog:\n"
                               "  mode: warn\n"
                               "  types:\n"
                               "    eventzr.llm.usage.v1: enforce\n"
                               "policy:\n"
                               "  default: allow\n"
                               "  rules:\n"
                               "    - name: no-prompts\n"
                               "      action: deny\n"
                               "      when: \"type LIKE 'eventzr.llm.prompt.%'\"\n"
                               "limits:\n"
                               "  max_body_bytes: 64KiB\n"
                               "  max_event_bytes: 2KiB\n"
                               "  max_batch_events: 4\n"
                               "http:\n"
                               "  batch_size: 4\n";

typedef struct fixture {
    cer_config cfg;
    cer_pipeline *pl;
    cer_batch *b;
    cer_pipeline_shared shared;
} fixture;

static fixture *setup(const char *extra)
{
    fixture *f = calloc(1, sizeof *f);
    char text[4096], err[1024];
    snprintf(text, sizeof text, "%s%s", base_cfg, extra ? extra : "");
    if (cer_config_load_string(text, strlen(text), "t.yaml", &f->cfg, err, sizeof err) != 0) {
        cer_test_fail(__FILE__, __LINE__, "config: %s", err);
        return f;
    }
    if (cer_pipeline_new(&f->pl, &f->cfg, &f->shared, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "pipeline: %s", err);
    f->b = cer_batch_new();
    return f;
}

static void teardown(fixture *f)
{
    cer_batch_destroy(f->b);
    cer_pipeline_destroy(f->pl);
    cer_dlq_destroy(atomic_load(&f->shared.dlq));
    cer_config_free(&f->cfg);
    free(f);
}

#define EV(type, id, extra)                                                                        \
    "{\"specversion\":\"1.0\",\"id\":\"" id "\",\"source\":\"/s\",\"type\":\"" type "\"" extra "}"
#define PROMPT EV("eventzr.llm.prompt.v1", "p1", "")
#define BAD_USAGE                                                                                  \
    EV("eventzr.llm.usage.v1", "u1",                                                               \
       ",\"datacontenttype\":\"application/json\",\"data\":{\"inputTokens\":-5}")
#define PLAIN EV("t.one", "a1", ",\"subject\":\"sub-1\"")

static cer_reason decode_json(fixture *f, const char *s)
{
    char err[512];
    return cer_pipeline_decode_json(f->pl, s, strlen(s), f->b, err, sizeof err);
}

static cer_reason decode_http(fixture *f, const char *ctype, const char *body,
                              const ce_header *extra, size_t nextra)
{
    ce_header h[16];
    size_t n = 0;
    if (ctype)
        h[n++] = (ce_header){{"Content-Type", 12}, {ctype, strlen(ctype)}};
    for (size_t i = 0; i < nextra; i++)
        h[n++] = extra[i];
    ce_http_message msg = {h, n, {body, strlen(body)}};
    char err[512];
    return cer_pipeline_decode_http(f->pl, &msg, f->b, err, sizeof err);
}

static const cer_item *item(fixture *f, size_t i)
{
    const cer_item *it = cer_batch_item(f->b, i);
    if (!it)
        cer_test_fail(__FILE__, __LINE__, "no item %zu", i);
    static cer_item none;
    return it ? it : &none;
}

/* ---- ownership ----------------------------------------------------------------------------- */

TEST(denied_then_catalog_rejected_whole)
{
    fixture *f = setup(NULL);
    CHECK_EQ_INT(decode_json(f, "[" PROMPT "," BAD_USAGE "," PLAIN "]"), CER_REASON_NONE);
    CHECK_EQ_INT(cer_batch_count(f->b), 3);
    size_t first = 99;
    CHECK_EQ_INT(cer_pipeline_process(f->pl, f->b, CER_PIPELINE_WHOLE), CER_REASON_INVALID);
    CHECK_EQ_INT(cer_batch_outcome(f->b, &first), CER_REASON_INVALID);
    CHECK_EQ_INT(first, 1);
    CHECK_EQ_INT(item(f, 1)->verdict, CER_VERDICT_REJECTED);
    CHECK_CONTAINS(item(f, 1)->detail, "catalog (enforce)");
    CHECK_CONTAINS(item(f, 1)->detail, "inputTokens");
    /* the request is refused whole: nobody was denied (and so nothing dead-lettered) */
    CHECK_EQ_INT(item(f, 0)->verdict, CER_VERDICT_PENDING);
    CHECK_EQ_INT(atomic_load(&f->shared.denied), 0);
    teardown(f); /* ASan: every event freed exactly once */
}

TEST(denied_then_catalog_rejected_each)
{
    fixture *f = setup(NULL);
    CHECK_EQ_INT(decode_json(f, "[" PROMPT "," BAD_USAGE "," PLAIN "]"), CER_REASON_NONE);
    CHECK_EQ_INT(cer_pipeline_process(f->pl, f->b, 0), CER_REASON_INVALID);
    CHECK_EQ_INT(item(f, 0)->verdict, CER_VERDICT_DENIED);
    CHECK_EQ_STR(item(f, 0)->rule, "no-prompts");
    CHECK_EQ_INT(item(f, 1)->verdict, CER_VERDICT_REJECTED);
    CHECK_EQ_INT(item(f, 2)->verdict, CER_VERDICT_ACCEPTED);
    teardown(f);
}

TEST(accepted_denied_counts_and_array)
{
    fixture *f = setup(NULL);
    CHECK_EQ_INT(decode_json(f, "[" PROMPT "," PLAIN "," PROMPT "]"), CER_REASON_NONE);
    CHECK_EQ_INT(cer_pipeline_process(f->pl, f->b, CER_PIPELINE_WHOLE), CER_REASON_NONE);
    CHECK_EQ_INT(cer_batch_count_verdict(f->b, CER_VERDICT_DENIED), 2);
    size_t n = 0;
    const ce_event *const *evs = cer_batch_accepted(f->b, &n);
    CHECK_EQ_INT(n, 1);
    ce_slice id = ce_event_get_str(evs[0], "id");
    CHECK_EQ_MEM(id.ptr, id.len, "a1", 2);
    teardown(f);
}

/* ---- routing -------------------------------------------------------------------------------- */

TEST(routing_rendered_once_per_event)
{
    fixture *f = setup(NULL);
    CHECK_EQ_INT(decode_json(f,
                             "[" PLAIN
                             "," EV("io.coresdk.auth.denied", "x", ",\"tenantid\":\"t9\"") "," EV(
                                 "io.coresdk.auth.denied", "y", "") "]"),
                 CER_REASON_NONE);
    cer_pipeline_process(f->pl, f->b, 0);
    CHECK_EQ_STR(item(f, 0)->topic, "ai.t.one");
    CHECK_EQ_STR(item(f, 0)->key, "sub-1"); /* the default key: subject */
    CHECK_EQ_STR(item(f, 1)->topic, "coresdk-auth");
    CHECK_EQ_STR(item(f, 1)->key, "tenant-t9");
    /* a key template naming a missing attribute cannot be routed: rejected, not lost later */
    CHECK_EQ_INT(item(f, 2)->verdict, CER_VERDICT_REJECTED);
    CHECK_CONTAINS(item(f, 2)->detail, "key: ");
    CHECK_CONTAINS(item(f, 2)->detail, "tenantid");
    const char *tt, *kt;
    cer_pipeline_route(f->pl, cer_batch_item(f->b, 1)->ev, &tt, &kt);
    CHECK_EQ_STR(tt, "coresdk-auth");
    CHECK_EQ_STR(kt, "tenant-{tenantid}");
    teardown(f);
}

/* ---- limits --------------------------------------------------------------------------------- */

/* A structured event whose JSON encoding is exactly `size` bytes (data is text). */
static char *event_of_size(size_t size)
{
    ce_event *e = ce_event_new();
    ce_event_set_str(e, "specversion", "1.0", NULL, 0);
    ce_event_set_str(e, "id", "big", NULL, 0);
    ce_event_set_str(e, "source", "/s", NULL, 0);
    ce_event_set_str(e, "type", "t.big", NULL, 0);
    ce_event_set_data(e, CE_DATA_TEXT, "", 0, NULL, 0);
    ce_buf b;
    ce_buf_init(&b);
    ce_json_encode(e, 0, &b, NULL, 0);
    size_t base = b.len;
    ce_buf_free(&b);
    char *pad = malloc(size - base + 1);
    memset(pad, 'a', size - base);
    ce_event_set_data(e, CE_DATA_TEXT, pad, size - base, NULL, 0);
    free(pad);
    ce_buf_init(&b);
    ce_json_encode(e, 0, &b, NULL, 0);
    ce_buf_append(&b, "", 1);
    ce_event_destroy(e);
    if (b.len - 1 != size)
        cer_test_fail(__FILE__, __LINE__, "built %zu bytes, wanted %zu", b.len - 1, size);
    return b.ptr;
}

TEST(max_event_bytes_structured_at_below_above)
{
    const size_t sizes[] = {2047, 2048, 2049};
    const cer_reason want[] = {CER_REASON_NONE, CER_REASON_NONE, CER_REASON_TOO_LARGE};
    for (int i = 0; i < 3; i++) {
        fixture *f = setup(NULL);
        char *ev = event_of_size(sizes[i]);
        CHECK_EQ_INT(decode_http(f, "application/cloudevents+json", ev, NULL, 0), CER_REASON_NONE);
        CHECK_EQ_INT(cer_pipeline_process(f->pl, f->b, CER_PIPELINE_WHOLE), want[i]);
        if (want[i] == CER_REASON_TOO_LARGE) {
            CHECK_EQ_INT(item(f, 0)->reason, CER_REASON_TOO_LARGE);
            CHECK_CONTAINS(item(f, 0)->detail, "limits.max_event_bytes (2048)");
        }
        free(ev);
        teardown(f);
    }
}

TEST(max_event_bytes_batch_names_the_index)
{
    for (int over = 0; over < 2; over++) {
        fixture *f = setup(NULL);
        char *big = event_of_size(over ? 2049 : 2048);
        char body[8192];
        snprintf(body, sizeof body, "[%s,%s,%s]", PLAIN, PLAIN, big);
        CHECK_EQ_INT(decode_http(f, "application/cloudevents-batch+json", body, NULL, 0),
                     CER_REASON_NONE);
        size_t first = 99;
        cer_pipeline_process(f->pl, f->b, CER_PIPELINE_WHOLE);
        CHECK_EQ_INT(cer_batch_outcome(f->b, &first),
                     over ? CER_REASON_TOO_LARGE : CER_REASON_NONE);
        if (over)
            CHECK_EQ_INT(first, 2);
        free(big);
        teardown(f);
    }
}

TEST(max_event_bytes_binary_mode)
{
    const size_t datalen[] = {1900, 2047, 2048, 2049, 4000};
    for (int i = 0; i < 5; i++) {
        fixture *f = setup(NULL);
        char *data = malloc(datalen[i] + 1);
        memset(data, 'x', datalen[i]);
        data[datalen[i]] = 0;
        ce_header h[] = {{{"ce-specversion", 14}, {"1.0", 3}},
                         {{"ce-id", 5}, {"b1", 2}},
                         {{"ce-source", 9}, {"/s", 2}},
                         {{"ce-type", 7}, {"t.bin", 5}}};
        CHECK_EQ_INT(decode_http(f, "text/plain", data, h, 4), CER_REASON_NONE);
        cer_reason r = cer_pipeline_process(f->pl, f->b, CER_PIPELINE_WHOLE);
        /* measured as the structured encoding: the data plus the attributes */
        ce_buf b;
        ce_buf_init(&b);
        ce_json_encode(cer_batch_item(f->b, 0)->ev, 0, &b, NULL, 0);
        CHECK_EQ_INT(r, b.len > 2048 ? CER_REASON_TOO_LARGE : CER_REASON_NONE);
        if (i == 0)
            CHECK_EQ_INT(r, CER_REASON_NONE);
        if (i >= 2)
            CHECK_EQ_INT(r, CER_REASON_TOO_LARGE);
        ce_buf_free(&b);
        free(data);
        teardown(f);
    }
}

TEST(max_batch_events_at_below_above)
{
    for (int n = 3; n <= 5; n++) {
        fixture *f = setup(NULL);
        char body[4096] = "[";
        for (int i = 0; i < n; i++)
            strcat(strcat(body, i ? "," : ""), PLAIN);
        strcat(body, "]");
        cer_reason r = decode_http(f, "application/cloudevents-batch+json", body, NULL, 0);
        CHECK_EQ_INT(r, n <= 4 ? CER_REASON_NONE : CER_REASON_TOO_LARGE);
        CHECK_EQ_INT(cer_batch_count(f->b), n <= 4 ? n : 0);
        teardown(f);
    }
}

/* ---- classification ---------------------------------------------------------------------------
 */

TEST(missing_source_single_and_batch_agree)
{
    const char *ev = "{\"specversion\":\"1.0\",\"id\":\"m1\",\"type\":\"t\"}";
    fixture *f = setup(NULL);
    CHECK_EQ_INT(decode_http(f, "application/cloudevents+json", ev, NULL, 0), CER_REASON_NONE);
    CHECK_EQ_INT(cer_batch_count(f->b), 1);
    CHECK_EQ_INT(item(f, 0)->verdict, CER_VERDICT_REJECTED);
    CHECK_EQ_INT(item(f, 0)->reason, CER_REASON_INVALID);
    CHECK_CONTAINS(item(f, 0)->detail, "source");
    teardown(f);
    f = setup(NULL);
    char body[512];
    snprintf(body, sizeof body, "[%s]", ev);
    CHECK_EQ_INT(decode_http(f, "application/cloudevents-batch+json", body, NULL, 0),
                 CER_REASON_NONE);
    CHECK_EQ_INT(item(f, 0)->verdict, CER_VERDICT_REJECTED);
    CHECK_EQ_INT(item(f, 0)->reason, CER_REASON_INVALID);
    CHECK_CONTAINS(item(f, 0)->detail, "source");
    teardown(f);
}

TEST(malformed_and_media_type)
{
    fixture *f = setup(NULL);
    CHECK_EQ_INT(decode_http(f, "application/cloudevents+json", "{\"specversion\":", NULL, 0),
                 CER_REASON_MALFORMED);
    CHECK_EQ_INT(cer_batch_count(f->b), 0);
    CHECK_EQ_INT(decode_http(f, "application/cloudevents-batch+json", "[{]", NULL, 0),
                 CER_REASON_MALFORMED);
    CHECK_EQ_INT(decode_http(f, "text/plain", "x", NULL, 0), CER_REASON_MEDIA_TYPE);
    teardown(f);
}

TEST(reason_table_is_complete)
{
    for (int r = 1; r < CER_REASON_COUNT; r++) {
        const cer_reason_info *ri = cer_reason_get((cer_reason)r);
        CHECK(ri->status >= 400 && ri->status < 600);
        CHECK(ri->kind && ri->title && ri->metric && *ri->metric);
        for (int k = 1; k < r; k++)
            CHECK(strcmp(ri->metric, cer_reason_get((cer_reason)k)->metric) != 0);
    }
    CHECK_EQ_INT(cer_reason_get(CER_REASON_TOO_LARGE)->status, 413);
    CHECK_EQ_INT(cer_reason_get(CER_REASON_HEADER_TOO_LARGE)->status, 431);
    CHECK_EQ_STR(cer_reason_get(CER_REASON_GOVERNANCE)->title, "Masking failed");
    CHECK_EQ_INT(cer_reason_of_error(CE_EMISSING), CER_REASON_INVALID);
    CHECK_EQ_INT(cer_reason_of_error(CE_ESYNTAX), CER_REASON_MALFORMED);
}

/* ---- dead letters --------------------------------------------------------------------------- */

typedef struct done_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls, err;
} done_state;

static void on_done(void *opaque, int err, const char *reason)
{
    done_state *d = opaque;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    d->err = err;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static size_t dir_bytes(const char *path)
{
    DIR *d = opendir(path);
    size_t total = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0)
            total += S_ISDIR(st.st_mode) ? dir_bytes(p) : (size_t)st.st_size;
    }
    closedir(d);
    return total;
}

TEST(dead_letters_handed_off_and_durable)
{
    char dir[] = "/tmp/cer_dlq_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    fixture *f = setup(NULL);
    cer_config_free(&f->cfg);
    cer_pipeline_destroy(f->pl);
    char text[4096], err[512];
    snprintf(text, sizeof text,
             "%s"
             "dead_letter:\n  log_dir: %s\n",
             base_cfg, dir);
    /* policy.dead_letter on */
    char *p = strstr(text, "policy:\n");
    char with[4200];
    snprintf(with, sizeof with, "%.*spolicy:\n  dead_letter: true\n%s", (int)(p - text), text,
             p + 8);
    CHECK_EQ_INT(cer_config_load_string(with, strlen(with), "t.yaml", &f->cfg, err, sizeof err), 0);
    CHECK_EQ_INT(cer_pipeline_new(&f->pl, &f->cfg, &f->shared, err, sizeof err), 0);
    cer_dlq *q = NULL;
    CHECK_EQ_INT(cer_dlq_new(&q, dir, 0, err, sizeof err), 0);
    atomic_store(&f->shared.dlq, q);
    CHECK_EQ_INT(decode_json(f, "[" PROMPT "," PLAIN "," PROMPT "]"), CER_REASON_NONE);
    CHECK_EQ_INT(cer_pipeline_process(f->pl, f->b, CER_PIPELINE_WHOLE), CER_REASON_NONE);
    CHECK(item(f, 0)->dead_letter);
    done_state d = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, -1};
    CHECK_EQ_INT(cer_pipeline_dead_letter(f->pl, f->b, on_done, &d), 2);
    pthread_mutex_lock(&d.mu);
    while (d.calls == 0)
        pthread_cond_wait(&d.cv, &d.mu);
    pthread_mutex_unlock(&d.mu);
    CHECK_EQ_INT(d.calls, 1);
    CHECK_EQ_INT(d.err, 0);
    CHECK(dir_bytes(dir) > 0);
    CHECK_EQ_INT(atomic_load(&f->shared.dead_lettered), 2);
    teardown(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* ---- OTLP ------------------------------------------------------------------------------------ */

TEST(otlp_json_and_protobuf)
{
    fixture *f = setup("otlp:\n  spans: all\n");
    size_t len;
    char *json = cer_test_read_file(cer_test_src_path("tests/otlp/golden/logs_example.json"), &len);
    cer_otlp_outcome oc;
    char err[512];
    CHECK_EQ_INT(cer_pipeline_decode_otlp(f->pl, CER_OTLP_LOGS, "application/json", NULL, json, len,
                                          f->b, &oc, err, sizeof err),
                 CER_REASON_NONE);
    CHECK_EQ_INT(oc.encoding, CER_OTLP_JSON);
    CHECK_EQ_INT(cer_batch_count(f->b) + oc.rejected, 3);
    free(json);
    cer_batch_clear(f->b);
    char *pb = cer_test_read_file(cer_test_src_path("tests/otlp/golden/py_logs.pb.gz"), &len);
    CHECK_EQ_INT(cer_pipeline_decode_otlp(f->pl, CER_OTLP_LOGS, "application/x-protobuf", "gzip",
                                          pb, len, f->b, &oc, err, sizeof err),
                 CER_REASON_NONE);
    CHECK_EQ_INT(oc.encoding, CER_OTLP_PROTOBUF);
    CHECK_EQ_INT(cer_batch_count(f->b), 2);
    CHECK_EQ_INT(cer_pipeline_process(f->pl, f->b, CER_PIPELINE_WHOLE), CER_REASON_NONE);
    free(pb);
    teardown(f);
}

/* gzip of n zero bytes */
static char *gzip_zeros(size_t n, size_t *out_len)
{
    z_stream zs = {0};
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    char *zeros = calloc(1, n);
    size_t cap = deflateBound(&zs, n);
    char *out = malloc(cap);
    zs.next_in = (unsigned char *)zeros;
    zs.avail_in = (unsigned)n;
    zs.next_out = (unsigned char *)out;
    zs.avail_out = (unsigned)cap;
    deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    free(zeros);
    return out;
}

TEST(otlp_gzip_inflated_size_bounded_by_max_body_bytes)
{
    /* max_body_bytes is 64KiB: zeros inflating to 64KiB+1 are refused as too large (not
     * malformed), while 64KiB - 1 is decoded (and then is not a valid protobuf: malformed) */
    const size_t sizes[] = {65535, 65536, 65537, 10u << 20};
    for (int i = 0; i < 4; i++) {
        fixture *f = setup(NULL);
        size_t len;
        char *gz = gzip_zeros(sizes[i], &len);
        CHECK(len < 65536);
        cer_otlp_outcome oc;
        char err[512];
        cer_reason r = cer_pipeline_decode_otlp(f->pl, CER_OTLP_LOGS, "application/x-protobuf",
                                                "gzip", gz, len, f->b, &oc, err, sizeof err);
        if (sizes[i] > 65536)
            CHECK_EQ_INT(r, CER_REASON_TOO_LARGE);
        else
            CHECK(r != CER_REASON_TOO_LARGE);
        free(gz);
        teardown(f);
    }
}

/* Freshness quantiles (src/pipeline/fresh.c): within the 2% bucket of the value, never above
 * the maximum seen, and a value beyond the buckets' range (an event from months ago) is
 * reported as itself, not as the last bucket's midpoint. */
TEST(fresh_quantiles_within_a_bucket_and_beyond_the_range)
{
    static uint64_t b[CER_FRESH_NBUCKETS];
    memset(b, 0, sizeof b);
    int64_t vals[] = {1000, 2000, 3000, 4000, 100000};
    int64_t max = 0;
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        b[cer_fresh_bucket(vals[i])]++;
        max = vals[i] > max ? vals[i] : max;
    }
    double p50 = cer_fresh_quantile(b, 5, max, 0.5);
    CHECK(p50 > 3000 * 0.97 && p50 < 3000 * 1.03);
    CHECK(cer_fresh_quantile(b, 5, max, 1.0) <= (double)max);
    memset(b, 0, sizeof b);
    int64_t huge = (int64_t)24453215 * 1000000; /* 283 days, in microseconds */
    b[cer_fresh_bucket(huge)]++;
    CHECK_EQ_INT(cer_fresh_bucket(huge), CER_FRESH_NBUCKETS - 1);
    CHECK(cer_fresh_quantile(b, 1, huge, 0.5) == (double)huge);
}
