/* Emitter configuration: string properties parsed into em_conf, and the mapping of the
 * remote destination onto a sink configuration. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emitter/internal.h"

cer_emitter_conf *cer_emitter_conf_new(void)
{
    cer_emitter_conf *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->c.binding = BIND_STDOUT;
    c->c.kafka_mode = CE_MODE_BINARY;
    c->c.http_mode = CE_MODE_BATCH;
    c->c.http_batch = 50;
    c->c.http_flush_ms = 5000;
    c->c.log_partitions = 1;
    c->c.buffer_max = (uint64_t)1 << 30;
    c->c.buffer_partitions = 1;
    c->c.queue_max = (uint64_t)64 << 20;
    return c;
}

void cer__em_conf_free(em_conf *c)
{
    free(c->kafka_brokers);
    free(c->kafka_topic);
    free(c->kafka_key);
    for (int i = 0; i < c->nkafka_props; i++)
        free(c->kafka_props[i]);
    for (int i = 0; i < c->nkafka_headers; i++)
        free(c->kafka_headers[i]);
    free(c->http_url);
    for (int i = 0; i < c->nhttp_headers; i++)
        free(c->http_headers[i]);
    free(c->log_dir);
    free(c->log_topic);
    free(c->log_fsync);
    free(c->buffer_dir);
    free(c->buffer_fsync);
    free(c->dlq_dir);
}

void cer_emitter_conf_destroy(cer_emitter_conf *c)
{
    if (!c)
        return;
    cer__em_conf_free(&c->c);
    free(c);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void cer__em_conf_copy(em_conf *d, const em_conf *s)
{
    *d = *s;
    d->kafka_brokers = dup_or_null(s->kafka_brokers);
    d->kafka_topic = dup_or_null(s->kafka_topic);
    d->kafka_key = dup_or_null(s->kafka_key);
    for (int i = 0; i < s->nkafka_props; i++)
        d->kafka_props[i] = strdup(s->kafka_props[i]);
    for (int i = 0; i < s->nkafka_headers; i++)
        d->kafka_headers[i] = strdup(s->kafka_headers[i]);
    d->http_url = dup_or_null(s->http_url);
    for (int i = 0; i < s->nhttp_headers; i++)
        d->http_headers[i] = strdup(s->http_headers[i]);
    d->log_dir = dup_or_null(s->log_dir);
    d->log_topic = dup_or_null(s->log_topic);
    d->log_fsync = dup_or_null(s->log_fsync);
    d->buffer_dir = dup_or_null(s->buffer_dir);
    d->buffer_fsync = dup_or_null(s->buffer_fsync);
    d->dlq_dir = dup_or_null(s->dlq_dir);
}

static int bad(char *errstr, size_t n, const char *key, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(errstr, n, "emitter property '%s': %s", key, why);
    return CE_EINVAL;
}

static int set_str(char **dst, const char *v)
{
    char *d = strdup(v);
    if (!d)
        return CE_ENOMEM;
    free(*dst);
    *dst = d;
    return 0;
}

static int parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

int cer_emitter_conf_set(cer_emitter_conf *conf, const char *key, const char *v, char *errstr,
                         size_t n)
{
    em_conf *c = &conf->c;
    uint64_t u;
    if (!key || !v)
        return bad(errstr, n, key ? key : "(null)", "NULL");
    if (strcmp(key, "binding") == 0) {
        if (strcmp(v, "kafka") == 0)
            c->binding = BIND_KAFKA;
        else if (strcmp(v, "http") == 0)
            c->binding = BIND_HTTP;
        else if (strcmp(v, "log") == 0)
            c->binding = BIND_LOG;
        else if (strcmp(v, "stdout") == 0)
            c->binding = BIND_STDOUT;
        else
            return bad(errstr, n, key, "expected kafka, http, log or stdout, not '%s'", v);
        return 0;
    }
    if (strcmp(key, "kafka.brokers") == 0)
        return set_str(&c->kafka_brokers, v);
    if (strcmp(key, "kafka.topic") == 0)
        return set_str(&c->kafka_topic, v);
    if (strcmp(key, "kafka.key") == 0)
        return set_str(&c->kafka_key, v);
    if (strcmp(key, "kafka.mode") == 0) {
        if (strcmp(v, "binary") == 0)
            c->kafka_mode = CE_MODE_BINARY;
        else if (strcmp(v, "structured") == 0)
            c->kafka_mode = CE_MODE_STRUCTURED;
        else
            return bad(errstr, n, key, "expected binary or structured, not '%s'", v);
        return 0;
    }
    if (strncmp(key, "kafka.header.", 13) == 0 && key[13]) {
        /* a record header; the value is a template ({attribute}, {{ for a literal brace) */
        if (c->nkafka_headers == EM_MAX_PROPS)
            return bad(errstr, n, key, "too many kafka headers");
        if (strncasecmp(key + 13, "ce_", 3) == 0 || strcasecmp(key + 13, "content-type") == 0)
            return bad(errstr, n, key, "ce_* and content-type are the CloudEvents binding's own");
        char why[200];
        if (*v && ce_kafka_key_check(v, why, sizeof why))
            return bad(errstr, n, key, "template '%s': %s", v, why);
        size_t len = strlen(key + 13) + 2 + strlen(v) + 1;
        char *p = malloc(len);
        if (!p)
            return CE_ENOMEM;
        snprintf(p, len, "%s: %s", key + 13, v);
        c->kafka_headers[c->nkafka_headers++] = p;
        return 0;
    }
    if (strncmp(key, "kafka.", 6) == 0 && key[6]) {
        if (c->nkafka_props == EM_MAX_PROPS)
            return bad(errstr, n, key, "too many kafka properties");
        size_t len = strlen(key + 6) + 1 + strlen(v) + 1;
        char *p = malloc(len);
        if (!p)
            return CE_ENOMEM;
        snprintf(p, len, "%s=%s", key + 6, v);
        c->kafka_props[c->nkafka_props++] = p;
        if (strcmp(key + 6, "message.timeout.ms") == 0 ||
            strcmp(key + 6, "delivery.timeout.ms") == 0)
            c->kafka_timeout_set = 1;
        return 0;
    }
    if (strcmp(key, "http.url") == 0)
        return set_str(&c->http_url, v);
    if (strcmp(key, "http.mode") == 0) {
        if (strcmp(v, "batch") == 0)
            c->http_mode = CE_MODE_BATCH;
        else if (strcmp(v, "structured") == 0)
            c->http_mode = CE_MODE_STRUCTURED;
        else if (strcmp(v, "binary") == 0)
            c->http_mode = CE_MODE_BINARY;
        else
            return bad(errstr, n, key, "expected batch, structured or binary, not '%s'", v);
        return 0;
    }
    if (strcmp(key, "http.batch_size") == 0) {
        if (parse_u64(v, 1, 100000, &u))
            return bad(errstr, n, key, "expected a number from 1 to 100000, not '%s'", v);
        c->http_batch = (size_t)u;
        return 0;
    }
    if (strcmp(key, "http.flush_interval_ms") == 0) {
        if (parse_u64(v, 1, 3600000, &u))
            return bad(errstr, n, key, "expected milliseconds from 1 to 3600000, not '%s'", v);
        c->http_flush_ms = (long)u;
        return 0;
    }
    if (strncmp(key, "http.header.", 12) == 0 && key[12]) {
        if (c->nhttp_headers == EM_MAX_PROPS)
            return bad(errstr, n, key, "too many headers");
        size_t len = strlen(key + 12) + 2 + strlen(v) + 1;
        char *p = malloc(len);
        if (!p)
            return CE_ENOMEM;
        snprintf(p, len, "%s: %s", key + 12, v);
        c->http_headers[c->nhttp_headers++] = p;
        return 0;
    }
    if (strcmp(key, "log.dir") == 0)
        return set_str(&c->log_dir, v);
    if (strcmp(key, "log.topic") == 0)
        return set_str(&c->log_topic, v);
    if (strcmp(key, "log.fsync") == 0 || strcmp(key, "buffer.fsync") == 0) {
        if (strcmp(v, "always") && strcmp(v, "interval") && strcmp(v, "never"))
            return bad(errstr, n, key, "expected always, interval or never, not '%s'", v);
        return set_str(key[0] == 'l' ? &c->log_fsync : &c->buffer_fsync, v);
    }
    if (strcmp(key, "log.partitions") == 0 || strcmp(key, "buffer.partitions") == 0) {
        if (parse_u64(v, 1, 1024, &u))
            return bad(errstr, n, key, "expected a number from 1 to 1024, not '%s'", v);
        if (key[0] == 'l')
            c->log_partitions = (int)u;
        else
            c->buffer_partitions = (int)u;
        return 0;
    }
    if (strcmp(key, "buffer") == 0) {
        if (strcmp(v, "disk") == 0)
            c->disk = true;
        else if (strcmp(v, "memory") == 0)
            c->disk = false;
        else
            return bad(errstr, n, key, "expected memory or disk, not '%s'", v);
        return 0;
    }
    if (strcmp(key, "buffer.dir") == 0)
        return set_str(&c->buffer_dir, v);
    if (strcmp(key, "buffer.max_bytes") == 0 || strcmp(key, "queue.max_bytes") == 0) {
        if (parse_u64(v, 1024, UINT64_MAX / 2, &u))
            return bad(errstr, n, key, "expected a byte count of at least 1024, not '%s'", v);
        if (key[0] == 'b')
            c->buffer_max = u;
        else
            c->queue_max = u;
        return 0;
    }
    if (strcmp(key, "buffer.forget_after_persist") == 0) {
        if (strcmp(v, "true") == 0)
            c->forget_after_persist = true;
        else if (strcmp(v, "false") == 0)
            c->forget_after_persist = false;
        else
            return bad(errstr, n, key, "expected true or false, not '%s'", v);
        return 0;
    }
    if (strcmp(key, "buffer.when_full") == 0) {
        if (strcmp(v, "block") == 0)
            c->drop_oldest = false;
        else if (strcmp(v, "drop_oldest") == 0)
            c->drop_oldest = true;
        else
            return bad(errstr, n, key, "expected block or drop_oldest, not '%s'", v);
        return 0;
    }
    if (strcmp(key, "dead_letter.dir") == 0)
        return set_str(&c->dlq_dir, v);
    if (strcmp(key, "log.sample_interval_ms") == 0) {
        if (parse_u64(v, 1, UINT64_MAX / 1000000, &u))
            return bad(errstr, n, key, "expected milliseconds (at least 1), not '%s'", v);
        c->log_sample_ms = u;
        return 0;
    }
    return bad(errstr, n, key, "unknown property");
}

void cer_emitter_conf_set_callbacks(cer_emitter_conf *conf, cer_delivery_fn on_delivery,
                                    cer_persisted_fn on_persisted, cer_emitter_log_fn on_log,
                                    void *ctx)
{
    conf->c.on_delivery = on_delivery;
    conf->c.on_persisted = on_persisted;
    conf->c.on_log = on_log;
    conf->c.ctx = ctx;
}

void cer_emitter_conf_set_router(cer_emitter_conf *conf, cer_route_fn fn, void *ctx)
{
    conf->c.route = fn;
    conf->c.route_ctx = ctx;
}

bool cer__em_kafka_prop_set(const em_conf *c, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < c->nkafka_props; i++)
        if (strncmp(c->kafka_props[i], name, n) == 0 && c->kafka_props[i][n] == '=')
            return true;
    return false;
}

const cer_sink_ops *cer__em_remote_sink(const em_conf *c, cer_sink_conf *sc, const char **props,
                                        const char **headers, const char *extra_prop)
{
    memset(sc, 0, sizeof *sc);
    sc->route = c->route;
    sc->route_ctx = c->route_ctx;
    int np = 0;
    switch (c->binding) {
    case BIND_KAFKA:
        sc->brokers = c->kafka_brokers;
        sc->topic = c->kafka_topic ? c->kafka_topic : "{type}";
        sc->key = c->kafka_key;
        sc->mode = c->kafka_mode;
        /* With the disk buffer the data is safe on disk: let librdkafka retry until the broker
         * is back rather than fail events after five minutes. */
        if (c->disk && !c->kafka_timeout_set)
            props[np++] = "message.timeout.ms=0";
        if (extra_prop && *extra_prop)
            props[np++] = extra_prop;
        for (int i = 0; i < c->nkafka_props; i++)
            props[np++] = c->kafka_props[i];
        props[np] = NULL;
        sc->props = props;
        for (int i = 0; i < c->nkafka_headers; i++)
            headers[i] = c->kafka_headers[i];
        headers[c->nkafka_headers] = NULL;
        sc->kafka_headers = headers;
        return &cer_sink_kafka;
    case BIND_HTTP:
        sc->url = c->http_url;
        sc->mode = c->http_mode;
        sc->batch_size = c->http_batch;
        sc->retry_forever = c->disk;
        for (int i = 0; i < c->nhttp_headers; i++)
            headers[i] = c->http_headers[i];
        headers[c->nhttp_headers] = NULL;
        sc->headers = headers;
        return &cer_sink_http;
    case BIND_LOG:
        sc->log_dir = c->log_dir;
        sc->topic = c->log_topic ? c->log_topic : "{type}";
        sc->log_partitions = c->log_partitions;
        sc->fsync = c->log_fsync;
        return &cer_sink_log;
    case BIND_STDOUT:
        return &cer_sink_stdout;
    }
    return NULL;
}
