/* bench_kafka: produce the seed-000 usage event N times to the local broker (a) with a plain
 * librdkafka producer loop of pre-encoded binary-mode messages (the ceiling) and (b) through
 * cerelay's Kafka sink, which encodes each event with the binding, as `cerelay send` does.
 * Both wait for every delivery report. Usage: bench_kafka [N] (broker: CER_KAFKA_BOOTSTRAP,
 * default 127.0.0.1:9092). */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sink/sink.h"

static const char *USAGE_DATA =
    "{\"tenantId\":\"tenant-uuid\",\"userId\":\"user-uuid\",\"provider\":\"aws-bedrock\","
    "\"model\":\"anthropic.claude-3-sonnet-20240229-v1:0\",\"useCase\":\"event-creation\","
    "\"inputTokens\":150,\"outputTokens\":350,\"totalTokens\":500,\"latencyMs\":1250,"
    "\"costUsd\":0.0025,\"cached\":false}";

static size_t delivered, failed;
static int64_t *lat_start;
static double *lat;
static size_t nlat;

static void dr_plain(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    if (m->err)
        failed++;
    else
        delivered++;
    size_t i = (size_t)(uintptr_t)m->_private;
    lat[nlat++] = (double)(cer_mono_ns() - lat_start[i]) / 1e6;
}

static void on_delivery(void *opaque, int err, const char *reason)
{
    if (err)
        failed++;
    else
        delivered++;
    size_t i = (size_t)(uintptr_t)opaque;
    lat[nlat++] = (double)(cer_mono_ns() - lat_start[i]) / 1e6;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, size_t n, int64_t ns, size_t bytes)
{
    qsort(lat, nlat, sizeof *lat, cmpd);
    double s = (double)ns / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-28s %8zu ev  %9.0f ev/s  %7.1f MB/s  p50 %6.1f ms  p99 %6.1f ms  failed %zu  "
           "maxrss %ld MiB\n",
           name, n, (double)delivered / s, (double)bytes / s / 1e6, nlat ? lat[nlat / 2] : 0.0,
           nlat ? lat[nlat * 99 / 100] : 0.0, failed, ru.ru_maxrss / 1024);
}

static ce_event *usage_event(void)
{
    char err[256];
    ce_event *e = ce_event_new();
    ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
    ce_event_set_str(e, "id", "evt-550e8400-e29b-41d4-a716-446655440000", err, sizeof err);
    ce_event_set_str(e, "source", "llm-orch-svc", err, sizeof err);
    ce_event_set_str(e, "type", "eventzr.llm.usage.v1", err, sizeof err);
    ce_event_set_str(e, "time", "2026-02-27T12:00:00.000Z", err, sizeof err);
    ce_event_set_str(e, "datacontenttype", "application/json", err, sizeof err);
    ce_event_set_str(e, "subject", "tenant-uuid", err, sizeof err);
    ce_event_set_data(e, CE_DATA_JSON, USAGE_DATA, strlen(USAGE_DATA), err, sizeof err);
    return e;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    const char *boot = getenv("CER_KAFKA_BOOTSTRAP");
    if (!boot)
        boot = "127.0.0.1:9092";
    char topic[128], err[512];
    snprintf(topic, sizeof topic, "cerelay-bench-%d", (int)getpid());
    lat_start = malloc(sizeof *lat_start * n);
    lat = malloc(sizeof *lat * n);
    ce_event *ev = usage_event();
    ce_kafka_msg *km = ce_kafka_msg_new(0);
    ce_kafka_encode(km, ev, CE_MODE_BINARY, 0, err, sizeof err);
    ce_kafka_msg_set_key(km, ev, NULL, err, sizeof err);
    ce_kafka_message m = ce_kafka_msg_view(km);
    size_t msg_bytes = m.value.len + m.key.len;
    for (size_t i = 0; i < m.header_count; i++)
        msg_bytes += m.headers[i].name.len + m.headers[i].value.len;
    printf("bench_kafka: %zu events of %zu bytes (binary mode) to %s, topic %s\n", n, msg_bytes,
           boot, topic);

    /* (a) plain librdkafka loop: same settings as the sink (idempotent, acks=all, linger 5) */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", boot, err, sizeof err);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_plain);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "bench_kafka: %s\n", err);
        return 1;
    }
    /* warm up: create the topic and connect */
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE("w", 1),
                      RD_KAFKA_V_OPAQUE((void *)0), RD_KAFKA_V_END);
    lat_start[0] = cer_mono_ns();
    rd_kafka_flush(rk, 30000);
    delivered = failed = nlat = 0;
    int64_t t0 = cer_mono_ns();
    for (size_t i = 0; i < n; i++) {
        rd_kafka_headers_t *h = rd_kafka_headers_new(m.header_count);
        for (size_t k = 0; k < m.header_count; k++)
            rd_kafka_header_add(h, m.headers[k].name.ptr, (ssize_t)m.headers[k].name.len,
                                m.headers[k].value.ptr, (ssize_t)m.headers[k].value.len);
        lat_start[i] = cer_mono_ns();
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(m.key.ptr, m.key.len),
                RD_KAFKA_V_VALUE((void *)m.value.ptr, m.value.len), RD_KAFKA_V_HEADERS(h),
                RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 100);
                continue;
            }
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 60000);
    report("librdkafka loop (ceiling)", n, cer_mono_ns() - t0, msg_bytes * n);
    rd_kafka_destroy(rk);

    /* (b) cerelay's Kafka sink, encoding every event */
    delivered = failed = nlat = 0;
    cer_sink_conf sc = {0};
    sc.brokers = boot;
    sc.topic = topic;
    sc.mode = CE_MODE_BINARY;
    sc.on_delivery = on_delivery;
    cer_sink *s;
    if (cer_sink_kafka.open(&s, &sc, err, sizeof err)) {
        fprintf(stderr, "bench_kafka: %s\n", err);
        return 1;
    }
    t0 = cer_mono_ns();
    for (size_t i = 0; i < n; i++) {
        lat_start[i] = cer_mono_ns();
        while (cer_sink_kafka.submit(s, ev, (void *)(uintptr_t)i, err, sizeof err) ==
               CER_SINK_EQUEUE)
            cer_sink_kafka.poll(s, 100);
        cer_sink_kafka.poll(s, 0);
    }
    cer_sink_kafka.flush(s, 60000);
    report("cerelay kafka sink (send)", n, cer_mono_ns() - t0, msg_bytes * n);
    cer_sink_kafka.close(s);
    ce_kafka_msg_destroy(km);
    ce_event_destroy(ev);
    free(lat);
    free(lat_start);
    return 0;
}
