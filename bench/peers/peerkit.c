/* peerkit: the small C helpers of bench/peers/otelcol.sh, so the script needs no Python or JVM
 * tools. It writes the OTLP/HTTP protobuf log export the load generator posts, and counts what
 * reached a Kafka topic: records, bytes, and (for the Collector, which writes one Kafka record
 * per batch) the OTLP log records inside each record.
 * Usage:
 *   peerkit payload N FILE              ExportLogsServiceRequest with N log records
 *   peerkit snap BROKER TOPIC           high watermarks, one "partition offset" line each
 *   peerkit count BROKER TOPIC SNAPFILE otlp|events
 *       consumes the whole topic and prints, for the records after SNAPFILE's offsets:
 *       "window_records N window_logrecords N window_bytes N" and for the whole topic
 *       "total_records N total_logrecords N total_bytes N" (bytes: key + value + headers)
 *   peerkit delete BROKER TOPIC         delete the topic */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAXP = 64, PAYLOAD_CAP = 1 << 24 };

/* ---- protobuf writing (just what an ExportLogsServiceRequest needs) ---- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void varint(buf *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    do {
        t[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, t, n);
}

static void tag(buf *b, unsigned field, unsigned wire)
{
    varint(b, (uint64_t)field << 3 | wire);
}

static void bytes_field(buf *b, unsigned field, const void *s, size_t n)
{
    tag(b, field, 2);
    varint(b, n);
    put(b, s, n);
}

static void str_field(buf *b, unsigned field, const char *s)
{
    bytes_field(b, field, s, strlen(s));
}

static void sub_field(buf *b, unsigned field, buf *sub)
{
    bytes_field(b, field, sub->p, sub->n);
    sub->n = 0;
}

static void fixed64_field(buf *b, unsigned field, uint64_t v)
{
    uint8_t t[8];
    for (int i = 0; i < 8; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    tag(b, field, 1);
    put(b, t, 8);
}

/* KeyValue{1: key, 2: AnyValue{1: string | 3: int}} appended to b as field `field`. */
static void kv_str(buf *b, unsigned field, const char *k, const char *v)
{
    buf any = {0}, kv = {0};
    str_field(&any, 1, v);
    str_field(&kv, 1, k);
    sub_field(&kv, 2, &any);
    sub_field(b, field, &kv);
    free(any.p);
    free(kv.p);
}

static void kv_int(buf *b, unsigned field, const char *k, int64_t v)
{
    buf any = {0}, kv = {0};
    tag(&any, 3, 0);
    varint(&any, (uint64_t)v);
    str_field(&kv, 1, k);
    sub_field(&kv, 2, &any);
    sub_field(b, field, &kv);
    free(any.p);
    free(kv.p);
}

/* One log record of about 520 bytes: an LLM gateway's access log, with a GenAI-usage-shaped
 * event name, so cerelay's catalog and masking see it (its attributes are not the catalog
 * schema's: in warn mode that is a warning per event, as in issue 19). */
static void log_record(buf *out, unsigned i)
{
    buf r = {0}, any = {0};
    uint64_t t = 1796040000000000000ULL + (uint64_t)i * 1000003ULL;
    char s[320], tid[16], sid[8];
    fixed64_field(&r, 1, t);
    tag(&r, 2, 0);
    varint(&r, 9); /* SEVERITY_NUMBER_INFO */
    str_field(&r, 3, "INFO");
    snprintf(s, sizeof s,
             "POST /v1/chat/completions 200 tenant=tenant-%04u user=user-%05u "
             "model=anthropic.claude-3-sonnet-20240229-v1:0 in=150 out=350 latency_ms=1250 "
             "request_id=req-%08x-%04x",
             i % 97, i % 9973, i * 2654435761u, i & 0xffff);
    str_field(&any, 1, s);
    sub_field(&r, 5, &any);
    char v[64];
    snprintf(v, sizeof v, "tenant-%04u", i % 97);
    kv_str(&r, 6, "tenant_id", v);
    snprintf(v, sizeof v, "user-%05u", i % 9973);
    kv_str(&r, 6, "user_id", v);
    kv_str(&r, 6, "gen_ai.provider.name", "aws.bedrock");
    kv_str(&r, 6, "gen_ai.request.model", "anthropic.claude-3-sonnet-20240229-v1:0");
    kv_int(&r, 6, "gen_ai.usage.input_tokens", 150);
    kv_int(&r, 6, "gen_ai.usage.output_tokens", 350);
    kv_int(&r, 6, "http.response.status_code", 200);
    for (int k = 0; k < 16; k++)
        tid[k] = (char)(i * 31 + (unsigned)k * 7 + 1);
    for (int k = 0; k < 8; k++)
        sid[k] = (char)(i * 17 + (unsigned)k * 3 + 1);
    tag(&r, 8, 5); /* flags: fixed32 1 (sampled) */
    put(&r, "\x01\x00\x00\x00", 4);
    bytes_field(&r, 9, tid, 16);
    bytes_field(&r, 10, sid, 8);
    fixed64_field(&r, 11, t + 1000);
    str_field(&r, 12, "eventzr.llm.usage.v1");
    sub_field(out, 2, &r);
    free(r.p);
    free(any.p);
}

static int payload(unsigned n, const char *path)
{
    buf req = {0}, rl = {0}, res = {0}, sl = {0}, scope = {0};
    kv_str(&res, 1, "service.name", "llm-gateway");
    kv_str(&res, 1, "service.namespace", "ai-platform");
    kv_str(&res, 1, "service.version", "2.14.1");
    kv_str(&res, 1, "host.name", "gw-7f9c4d-x2k8p");
    kv_str(&res, 1, "deployment.environment.name", "production");
    str_field(&scope, 1, "gateway.access");
    str_field(&scope, 2, "1.0.0");
    sub_field(&sl, 1, &scope);
    for (unsigned i = 0; i < n; i++)
        log_record(&sl, i);
    sub_field(&rl, 1, &res);
    sub_field(&rl, 2, &sl);
    sub_field(&req, 1, &rl);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(req.p, 1, req.n, f) != req.n || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    printf("%zu\n", req.n);
    free(req.p);
    free(rl.p);
    free(res.p);
    free(sl.p);
    free(scope.p);
    return 0;
}

/* ---- protobuf reading: count LogRecords in an ExportLogsServiceRequest ---- */

static int rd_varint(const uint8_t **p, const uint8_t *e, uint64_t *v)
{
    *v = 0;
    for (int s = 0; s < 64 && *p < e; s += 7) {
        uint8_t c = *(*p)++;
        *v |= (uint64_t)(c & 0x7f) << s;
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

/* Calls itself on length-delimited field `path[0]`, down the path; counts the last level. */
static long count_path(const uint8_t *p, const uint8_t *e, const unsigned *path, int depth)
{
    long n = 0;
    while (p < e) {
        uint64_t key, len;
        if (rd_varint(&p, e, &key) != 0)
            return -1;
        unsigned field = (unsigned)(key >> 3), wire = (unsigned)(key & 7);
        switch (wire) {
        case 0:
            if (rd_varint(&p, e, &len) != 0)
                return -1;
            break;
        case 1:
            p += 8;
            break;
        case 5:
            p += 4;
            break;
        case 2:
            if (rd_varint(&p, e, &len) != 0 || len > (uint64_t)(e - p))
                return -1;
            if (field == path[0]) {
                if (depth == 1)
                    n++;
                else {
                    long k = count_path(p, p + len, path + 1, depth - 1);
                    if (k < 0)
                        return -1;
                    n += k;
                }
            }
            p += len;
            break;
        default:
            return -1;
        }
    }
    return p == e ? n : -1;
}

/* ---- Kafka ---- */

static rd_kafka_t *client(const char *broker, rd_kafka_type_t type)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", broker, err, sizeof err) != RD_KAFKA_CONF_OK ||
        (type == RD_KAFKA_CONSUMER &&
         (rd_kafka_conf_set(c, "group.id", "cerelay-peers-count", err, sizeof err) ||
          rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof err) ||
          rd_kafka_conf_set(c, "fetch.max.bytes", "104857600", err, sizeof err) ||
          rd_kafka_conf_set(c, "max.partition.fetch.bytes", "16777216", err, sizeof err) ||
          rd_kafka_conf_set(c, "queued.max.messages.kbytes", "262144", err, sizeof err)))) {
        fprintf(stderr, "peerkit: %s\n", err);
        exit(1);
    }
    rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "peerkit: %s\n", err);
        exit(1);
    }
    return rk;
}

static int partitions(rd_kafka_t *rk, const char *topic)
{
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    int n = -1;
    if (rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && !md->topics[0].err)
            n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(t);
    return n > MAXP ? MAXP : n;
}

static int snap(const char *broker, const char *topic)
{
    rd_kafka_t *rk = client(broker, RD_KAFKA_PRODUCER);
    int np = partitions(rk, topic);
    if (np < 0) {
        fprintf(stderr, "peerkit: no topic %s\n", topic);
        rd_kafka_destroy(rk);
        return 1;
    }
    for (int p = 0; p < np; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000)) {
            fprintf(stderr, "peerkit: watermarks of %s/%d failed\n", topic, p);
            return 1;
        }
        printf("%d %lld\n", p, (long long)hi);
    }
    rd_kafka_destroy(rk);
    return 0;
}

static int count(const char *broker, const char *topic, const char *snapfile, int otlp)
{
    int64_t from[MAXP] = {0}, hi[MAXP] = {0};
    FILE *f = fopen(snapfile, "r");
    int p;
    long long o;
    if (!f) {
        perror(snapfile);
        return 1;
    }
    while (fscanf(f, "%d %lld", &p, &o) == 2)
        if (p >= 0 && p < MAXP)
            from[p] = o;
    fclose(f);
    rd_kafka_t *rk = client(broker, RD_KAFKA_CONSUMER);
    int np = partitions(rk, topic);
    if (np < 0) {
        fprintf(stderr, "peerkit: no topic %s\n", topic);
        return 1;
    }
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(np);
    int open = 0;
    for (p = 0; p < np; p++) {
        int64_t lo;
        rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi[p], 10000);
        if (hi[p] > lo) {
            rd_kafka_topic_partition_list_add(tl, topic, p)->offset = lo;
            open++;
        }
    }
    rd_kafka_assign(rk, tl);
    rd_kafka_topic_partition_list_destroy(tl);
    static const unsigned path[] = {1, 2, 2}; /* resource_logs.scope_logs.log_records */
    unsigned long long w_rec = 0, w_log = 0, w_bytes = 0, t_rec = 0, t_log = 0, t_bytes = 0;
    long bad = 0;
    time_t deadline = time(NULL) + 300;
    while (open > 0 && time(NULL) < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "peerkit: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        unsigned long long nb = m->len + m->key_len;
        rd_kafka_headers_t *h;
        if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char *name;
            const void *val;
            size_t vl;
            for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &val, &vl) == 0; i++)
                nb += strlen(name) + vl;
        }
        long logs = 1;
        if (otlp) {
            logs = count_path(m->payload, (const uint8_t *)m->payload + m->len, path, 3);
            if (logs < 0) {
                bad++;
                logs = 0;
            }
        }
        int mp = m->partition;
        t_rec++, t_log += (unsigned long long)logs, t_bytes += nb;
        if (m->offset >= from[mp])
            w_rec++, w_log += (unsigned long long)logs, w_bytes += nb;
        if (m->offset + 1 >= hi[mp])
            open--;
        rd_kafka_message_destroy(m);
    }
    printf("window_records %llu window_logrecords %llu window_bytes %llu\n", w_rec, w_log, w_bytes);
    printf("total_records %llu total_logrecords %llu total_bytes %llu\n", t_rec, t_log, t_bytes);
    if (bad)
        fprintf(stderr, "peerkit: %ld records were not OTLP log exports\n", bad);
    if (open > 0)
        fprintf(stderr, "peerkit: gave up reading %s after 300 s\n", topic);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return open > 0;
}

/* Delete a topic (the benchmark's own, once counted); waits at most 30 s for the answer. */
static int delete_topic(const char *broker, const char *topic)
{
    rd_kafka_t *rk = client(broker, RD_KAFKA_PRODUCER);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = 1;
    if (ev) {
        const rd_kafka_DeleteTopics_result_t *res = rd_kafka_event_DeleteTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t **tr =
            res ? rd_kafka_DeleteTopics_result_topics(res, &n) : NULL;
        rc = rd_kafka_event_error(ev) || (n == 1 && rd_kafka_topic_result_error(tr[0]));
        if (rc)
            fprintf(stderr, "peerkit: deleting %s: %s\n", topic,
                    n == 1 ? rd_kafka_topic_result_error_string(tr[0])
                           : rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "payload") == 0)
        return payload((unsigned)strtoul(argv[2], NULL, 10), argv[3]);
    if (argc == 4 && strcmp(argv[1], "snap") == 0)
        return snap(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "delete") == 0)
        return delete_topic(argv[2], argv[3]);
    if (argc == 6 && strcmp(argv[1], "count") == 0)
        return count(argv[2], argv[3], argv[4], strcmp(argv[5], "otlp") == 0);
    fprintf(stderr, "usage: peerkit payload N FILE | snap BROKER TOPIC | "
                    "count BROKER TOPIC SNAPFILE otlp|events | delete BROKER TOPIC\n");
    return 2;
}
