/* Kafka source for tail: assigns every partition of the topic from the requested position
 * (or joins a consumer group with --group) and stops at the end of what exists unless
 * following. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/source.h"

enum { MAX_HEADERS = 256 };

struct src {
    rd_kafka_t *rk;
    rd_kafka_message_t *cur;
    int follow, grouped;
    int nparts, neof;
    char *eof;          /* per partition: reached the end once */
    int64_t *last_seen; /* grouped: next offset to commit per partition (-1 none) */
    int64_t *ends;      /* manual: per partition, offsets at or past this are not read */
    ce_header hdrs[MAX_HEADERS];
    char *topic;
};

static int set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t n)
{
    char why[256];
    if (rd_kafka_conf_set(c, k, v, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(err, n, "kafka property '%s': %s", k, why);
        return -1;
    }
    return 0;
}

static void kclose(src *s)
{
    if (!s)
        return;
    if (s->cur)
        rd_kafka_message_destroy(s->cur);
    if (s->rk) {
        rd_kafka_consumer_close(s->rk);
        rd_kafka_destroy(s->rk);
    }
    free(s->eof);
    free(s->last_seen);
    free(s->ends);
    free(s->topic);
    free(s);
}

static int kopen(src **out, const src_conf *c, char *err, size_t errsz)
{
    *out = NULL;
    src *s = calloc(1, sizeof *s);
    if (!s)
        return CE_ENOMEM;
    s->follow = c->follow;
    s->grouped = c->group != NULL;
    s->topic = strdup(c->topic);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char gid[64];
    snprintf(gid, sizeof gid, "cerelay-tail-%d", (int)getpid());
    const char *reset = c->whence == SRC_LATEST ? "latest" : "earliest";
    if (set(conf, "bootstrap.servers", c->brokers, err, errsz) ||
        set(conf, "group.id", c->group ? c->group : gid, err, errsz) ||
        set(conf, "enable.partition.eof", "true", err, errsz) ||
        set(conf, "enable.auto.commit", "false", err, errsz) ||
        set(conf, "auto.offset.reset", reset, err, errsz))
        goto fail;
    for (const char *const *p = c->props; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        if (!eq || eq == *p) {
            snprintf(err, errsz, "kafka property '%s': expected name=value", *p);
            goto fail;
        }
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *p), *p);
        if (set(conf, name, eq + 1, err, errsz))
            goto fail;
    }
    char why[512];
    s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!s->rk) {
        snprintf(err, errsz, "kafka: %s", why);
        goto fail;
    }
    conf = NULL;
    rd_kafka_poll_set_consumer(s->rk);
    /* Partition count from metadata (bounded wait). */
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(s->rk, c->topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(s->rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (e) {
        snprintf(err, errsz, "kafka: metadata for topic '%s': %s", c->topic, rd_kafka_err2str(e));
        goto fail;
    }
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        snprintf(err, errsz, "kafka: topic '%s': %s", c->topic,
                 md->topic_cnt && md->topics[0].err ? rd_kafka_err2str(md->topics[0].err)
                                                    : "no partitions");
        rd_kafka_metadata_destroy(md);
        goto fail;
    }
    s->nparts = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(s->nparts);
    for (int i = 0; i < s->nparts; i++) {
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_add(parts, c->topic, md->topics[0].partitions[i].id);
        tp->offset = c->whence == SRC_EARLIEST ? RD_KAFKA_OFFSET_BEGINNING
                     : c->whence == SRC_LATEST ? RD_KAFKA_OFFSET_END
                     : c->whence == SRC_OFFSET ? c->arg
                                               : c->arg; /* time: resolved below */
    }
    rd_kafka_metadata_destroy(md);
    s->eof = calloc((size_t)s->nparts, 1);
    s->last_seen = malloc(sizeof(int64_t) * (size_t)s->nparts);
    s->ends = malloc(sizeof(int64_t) * (size_t)s->nparts);
    if (!s->eof || !s->last_seen || !s->ends) {
        rd_kafka_topic_partition_list_destroy(parts);
        goto fail;
    }
    for (int i = 0; i < s->nparts; i++)
        s->last_seen[i] = s->ends[i] = -1;
    if (c->manual) {
        rd_kafka_topic_partition_list_destroy(parts);
        *out = s;
        return 0;
    }
    if (c->whence == SRC_TIME) {
        e = rd_kafka_offsets_for_times(s->rk, parts, 10000);
        if (e) {
            snprintf(err, errsz, "kafka: offsets for time: %s", rd_kafka_err2str(e));
            rd_kafka_topic_partition_list_destroy(parts);
            goto fail;
        }
    }
    if (s->grouped && c->whence != SRC_OFFSET && c->whence != SRC_TIME) {
        /* Resume from the group's committed offsets where they exist. */
        rd_kafka_committed(s->rk, parts, 10000);
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].offset < 0)
                parts->elems[i].offset =
                    c->whence == SRC_EARLIEST ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    }
    e = rd_kafka_assign(s->rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e) {
        snprintf(err, errsz, "kafka: assign: %s", rd_kafka_err2str(e));
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    kclose(s);
    return CE_EINVAL;
}

/* Stop reading partition p: paused, and counted as at its end. */
static void finish_partition(src *s, int32_t p)
{
    if (s->eof[p])
        return;
    s->eof[p] = 1;
    s->neof++;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->topic, p);
    rd_kafka_pause_partitions(s->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

static int knext(src *s, ce_kafka_message *msg, src_meta *meta, volatile int *stop, char *err,
                 size_t errsz)
{
    if (s->cur) {
        rd_kafka_message_destroy(s->cur);
        s->cur = NULL;
    }
    while (!*stop) {
        if (!s->follow && s->neof >= s->nparts)
            return 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(s->rk, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition >= 0 && m->partition < s->nparts && !s->eof[m->partition]) {
                s->eof[m->partition] = 1;
                s->neof++;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            snprintf(err, errsz, "kafka: %s", rd_kafka_message_errstr(m));
            int fatal = m->err != RD_KAFKA_RESP_ERR__TRANSPORT &&
                        m->err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
            rd_kafka_message_destroy(m);
            if (fatal)
                return CE_EIO;
            continue;
        }
        int32_t p = m->partition;
        if (p >= 0 && p < s->nparts && s->ends[p] >= 0 && m->offset >= s->ends[p]) {
            finish_partition(s, p); /* past the range (a gap, or fetched before the pause) */
            rd_kafka_message_destroy(m);
            continue;
        }
        if (p >= 0 && p < s->nparts && s->ends[p] >= 0 && m->offset + 1 >= s->ends[p])
            finish_partition(s, p); /* the range's last record */
        s->cur = m;
        rd_kafka_headers_t *h = NULL;
        size_t n = 0;
        if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char *name;
            const void *val;
            size_t vlen;
            for (size_t i = 0;
                 n < MAX_HEADERS && !rd_kafka_header_get_all(h, i, &name, &val, &vlen); i++, n++) {
                s->hdrs[n].name.ptr = name;
                s->hdrs[n].name.len = strlen(name);
                s->hdrs[n].value.ptr = val ? val : "";
                s->hdrs[n].value.len = vlen;
            }
        }
        msg->headers = s->hdrs;
        msg->header_count = n;
        msg->key.ptr = m->key;
        msg->key.len = m->key_len;
        msg->value.ptr = m->payload;
        msg->value.len = m->len;
        rd_kafka_timestamp_type_t tt;
        meta->partition = m->partition;
        meta->offset = m->offset;
        meta->timestamp_ms = rd_kafka_message_timestamp(m, &tt);
        meta->key = msg->key;
        if (m->partition >= 0 && m->partition < s->nparts)
            s->last_seen[m->partition] = m->offset + 1;
        return 1;
    }
    return 0;
}

static int kcommit(src *s, char *err, size_t errsz)
{
    if (!s->grouped)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    for (int i = 0; i < s->nparts; i++)
        if (s->last_seen[i] >= 0)
            rd_kafka_topic_partition_list_add(l, s->topic, i)->offset = s->last_seen[i];
    rd_kafka_resp_err_t e = l->cnt ? rd_kafka_commit(s->rk, l, 0) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, errsz, "kafka: commit: %s", rd_kafka_err2str(e));
        return CE_EIO;
    }
    return 0;
}

static int32_t kpartitions(src *s)
{
    return s->nparts;
}

static int kwatermarks(src *s, int32_t p, int64_t *lo, int64_t *hi, char *err, size_t errsz)
{
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(s->rk, s->topic, p, lo, hi, 10000);
    if (e) {
        snprintf(err, errsz, "kafka: topic '%s' partition %d: watermarks: %s", s->topic, (int)p,
                 rd_kafka_err2str(e));
        return CE_EIO;
    }
    return 0;
}

static int koffset_for_time(src *s, int32_t p, int64_t ts, int64_t *off, char *err, size_t errsz)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->topic, p)->offset = ts;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(s->rk, l, 10000);
    if (!e)
        e = l->elems[0].err;
    int64_t o = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, errsz, "kafka: topic '%s' partition %d: offset for time %lld: %s", s->topic,
                 (int)p, (long long)ts, rd_kafka_err2str(e));
        return CE_EIO;
    }
    if (o < 0) { /* no record that recent: the end */
        int64_t lo;
        return kwatermarks(s, p, &lo, off, err, errsz);
    }
    *off = o;
    return 0;
}

static int kcommitted(src *s, int32_t p, int64_t *off, char *err, size_t errsz)
{
    if (!s->grouped)
        return CE_ENOTFOUND;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->topic, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(s->rk, l, 10000);
    if (!e)
        e = l->elems[0].err;
    int64_t o = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, errsz, "kafka: topic '%s' partition %d: committed offset: %s", s->topic,
                 (int)p, rd_kafka_err2str(e));
        return CE_EIO;
    }
    if (o < 0)
        return CE_ENOTFOUND;
    *off = o;
    return 0;
}

static int kstart(src *s, const int64_t *starts, const int64_t *ends, char *err, size_t errsz)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    for (int p = 0; p < s->nparts; p++) {
        s->ends[p] = ends ? ends[p] : -1;
        if (starts[p] < 0 || (s->ends[p] >= 0 && starts[p] >= s->ends[p])) {
            s->eof[p] = 1;
            s->neof++;
            continue;
        }
        rd_kafka_topic_partition_list_add(l, s->topic, p)->offset = starts[p];
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(s->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, errsz, "kafka: assign: %s", rd_kafka_err2str(e));
        return CE_EIO;
    }
    return 0;
}

const src_ops src_kafka = {
    kopen, knext, kcommit, kclose, kpartitions, kwatermarks, koffset_for_time, kcommitted, kstart};
