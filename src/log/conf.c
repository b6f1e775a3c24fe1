/* The log configuration: string keys with typed, range-checked values (a table drives set, get
 * and the defaults), the report callback, and a sync hook for tests. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/internal.h"

typedef struct conf_key {
    const char *name;
    size_t field; /* offsetof the int64_t field */
    int64_t def, min, max;
} conf_key;

#define F(x) offsetof(cer_log_conf, x)
static const conf_key keys[] = {
    {"segment.bytes", F(segment_bytes), 134217728, 1024, 2147483647},
    {"segment.ms", F(segment_ms), 604800000, 1, INT64_MAX},
    {"index.interval.bytes", F(index_interval), 4096, 1, 1073741824},
    {"fsync.interval.ms", F(fsync_interval_ms), 1000, 1, 86400000},
    {"retention.bytes", F(retention_bytes), -1, -1, INT64_MAX},
    {"retention.ms", F(retention_ms), 604800000, -1, INT64_MAX},
    {"max.record.bytes", F(max_record_bytes), 2097152, 64, CER_LOG__RECORD_LIMIT},
    {"max.pending.bytes", F(max_pending_bytes), 67108864, 65536, 1073741824},
    {"topic.partitions", F(topic_partitions), 1, 1, CER_LOG__MAX_PARTITIONS},
};
#undef F

static const char *const policies[] = {"always", "interval", "never"};

static int64_t *field(cer_log_conf *c, const conf_key *k)
{
    return (int64_t *)(void *)((char *)c + k->field);
}

void cer_log__conf_defaults(cer_log_conf *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        *field(c, &keys[i]) = keys[i].def;
    c->fsync_policy = CER_LOG__FSYNC_ALWAYS;
}

cer_log_conf *cer_log_conf_new(void)
{
    cer_log_conf *c = cer_log__malloc(sizeof *c);
    if (c)
        cer_log__conf_defaults(c);
    return c;
}

void cer_log_conf_destroy(cer_log_conf *conf)
{
    cer_log__free(conf);
}

int cer_log_conf_set(cer_log_conf *conf, const char *key, const char *value, char *errstr,
                     size_t errstr_size)
{
    if (!conf || !key || !value)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "NULL argument");
    if (strcmp(key, "fsync") == 0) {
        for (int i = 0; i < 3; i++) {
            if (strcmp(value, policies[i]) == 0) {
                conf->fsync_policy = i;
                return 0;
            }
        }
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "fsync: \"%s\" is not one of always, interval, never", value);
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const conf_key *k = &keys[i];
        if (strcmp(key, k->name) != 0)
            continue;
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < k->min || v > k->max)
            return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                             "%s: \"%s\" is not an integer in [%" PRId64 ", %" PRId64 "]", key,
                             value, k->min, k->max);
        *field(conf, k) = v;
        return 0;
    }
    return cerx_errf(CER_LOG_ENOTFOUND, errstr, errstr_size, "unknown config key \"%s\"", key);
}

int cer_log_conf_get(const cer_log_conf *conf, const char *key, char *out, size_t out_size)
{
    if (!conf || !key || !out || out_size == 0)
        return CER_LOG_EINVAL;
    if (strcmp(key, "fsync") == 0) {
        snprintf(out, out_size, "%s", policies[conf->fsync_policy]);
        return 0;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i].name) == 0) {
            snprintf(out, out_size, "%" PRId64, *field((cer_log_conf *)conf, &keys[i]));
            return 0;
        }
    }
    return CER_LOG_ENOTFOUND;
}

void cer_log_conf_set_report_cb(cer_log_conf *conf, cer_log_report_fn fn, void *ctx)
{
    conf->report = fn;
    conf->report_ctx = ctx;
}

void cer_log__conf_set_sync_hook(cer_log_conf *c, cer_log__sync_hook fn, void *ctx)
{
    c->sync_hook = fn;
    c->sync_ctx = ctx;
}
