/* Kafka destination of `cerelay replay` (see replay.h): a raw record copier on librdkafka with
 * idempotence, acks=all and, for resumable runs on one cluster, transactions that carry the
 * consumer group's offsets. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cli/replay.h"

enum { META_TIMEOUT_MS = 10000, TXN_TIMEOUT_MS = 60000 };

struct rk_dest {
    rd_kafka_t *rk;
    char *topic;
    int keep_partitions, transactional, in_txn;
    size_t delivered, failed;
    char first_error[256];
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    rk_dest *d = opaque;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        d->delivered++;
        return;
    }
    if (d->failed++ == 0)
        snprintf(d->first_error, sizeof d->first_error, "kafka: topic '%s' partition %d: %s",
                 d->topic, (int)m->partition, rd_kafka_err2str(m->err));
}

static int set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t n)
{
    char why[256];
    if (rd_kafka_conf_set(c, k, v, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(err, n, "kafka property '%s': %s", k, why);
        return -1;
    }
    return 0;
}

/* Partition count of `topic`; 0 when it does not exist; negative on error. */
static int topic_partitions(rd_kafka_t *rk, const char *topic, char *err, size_t errsz)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, META_TIMEOUT_MS);
    rd_kafka_topic_destroy(rkt);
    if (e) {
        snprintf(err, errsz, "kafka: metadata for topic '%s': %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    int n = 0;
    if (md->topic_cnt == 1 && !md->topics[0].err)
        n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

static int create_topic(rd_kafka_t *rk, const char *topic, int32_t parts, char *err, size_t errsz)
{
    char why[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, -1, why, sizeof why);
    if (!nt) {
        snprintf(err, errsz, "kafka: topic '%s': %s", topic, why);
        return -1;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, META_TIMEOUT_MS);
    int rc = 0;
    if (!ev) {
        snprintf(err, errsz, "kafka: creating topic '%s': no answer", topic);
        rc = -1;
    } else {
        size_t n = 0;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
        if (!e && n == 1)
            e = rd_kafka_topic_result_error(tr[0]);
        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            snprintf(err, errsz, "kafka: creating topic '%s': %s", topic, rd_kafka_err2str(e));
            rc = -1;
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    return rc;
}

static int txn_error(rd_kafka_error_t *e, const char *what, char *err, size_t errsz)
{
    snprintf(err, errsz, "kafka: %s: %s", what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return CE_EIO;
}

int rk_dest_open(rk_dest **out, const char *brokers, const char *const *props, const char *topic,
                 int32_t src_parts, const char *txn_id, char *err, size_t errsz)
{
    *out = NULL;
    rk_dest *d = calloc(1, sizeof *d);
    if (!d || !(d->topic = strdup(topic))) {
        free(d);
        snprintf(err, errsz, "out of memory");
        return CE_ENOMEM;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = set(conf, "bootstrap.servers", brokers, err, errsz) ||
             set(conf, "enable.idempotence", "true", err, errsz) ||
             set(conf, "acks", "all", err, errsz) || set(conf, "linger.ms", "5", err, errsz) ||
             set(conf, "partitioner", "murmur2_random", err, errsz) ||
             (txn_id && set(conf, "transactional.id", txn_id, err, errsz));
    for (const char *const *p = props; !rc && p && *p; p++) {
        const char *eq = strchr(*p, '=');
        if (!eq || eq == *p) {
            snprintf(err, errsz, "kafka property '%s': expected name=value", *p);
            rc = -1;
            break;
        }
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *p), *p);
        rc = set(conf, name, eq + 1, err, errsz);
    }
    if (rc) {
        rd_kafka_conf_destroy(conf);
        rk_dest_close(d);
        return CE_EINVAL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, d);
    char why[512];
    d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!d->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errsz, "kafka: %s", why);
        rk_dest_close(d);
        return CE_EINVAL;
    }
    int n = topic_partitions(d->rk, topic, err, errsz);
    if (n == 0 && create_topic(d->rk, topic, src_parts, err, errsz) == 0)
        n = topic_partitions(d->rk, topic, err, errsz);
    if (n <= 0) {
        if (n == 0)
            snprintf(err, errsz, "kafka: topic '%s' has no partitions", topic);
        rk_dest_close(d);
        return CE_EIO;
    }
    d->keep_partitions = n == src_parts;
    if (txn_id) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(d->rk, TXN_TIMEOUT_MS);
        if (e) {
            txn_error(e, "init_transactions", err, errsz);
            rk_dest_close(d);
            return CE_EIO;
        }
        d->transactional = 1;
    }
    *out = d;
    return 0;
}

int rk_dest_keeps_partitions(const rk_dest *d)
{
    return d->keep_partitions;
}

int rk_dest_produce(rk_dest *d, const ce_kafka_message *msg, int32_t partition, int64_t ts_ms,
                    char *err, size_t errsz)
{
    if (d->transactional && !d->in_txn) {
        rd_kafka_error_t *e = rd_kafka_begin_transaction(d->rk);
        if (e)
            return txn_error(e, "begin_transaction", err, errsz);
        d->in_txn = 1;
    }
    for (;;) {
        rd_kafka_headers_t *h = rd_kafka_headers_new(msg->header_count);
        for (size_t i = 0; i < msg->header_count; i++)
            rd_kafka_header_add(h, msg->headers[i].name.ptr, (ssize_t)msg->headers[i].name.len,
                                msg->headers[i].value.ptr, (ssize_t)msg->headers[i].value.len);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            d->rk, RD_KAFKA_V_TOPIC(d->topic),
            RD_KAFKA_V_PARTITION(partition >= 0 ? partition : RD_KAFKA_PARTITION_UA),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(msg->key.ptr, msg->key.len),
            RD_KAFKA_V_VALUE((void *)msg->value.ptr, msg->value.len),
            RD_KAFKA_V_TIMESTAMP(ts_ms > 0 ? ts_ms : 0), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
        if (!e)
            return 0;
        rd_kafka_headers_destroy(h);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(err, errsz, "kafka: topic '%s' partition %d: %s", d->topic, (int)partition,
                     rd_kafka_err2str(e));
            return CE_EIO;
        }
        rd_kafka_poll(d->rk, 50);
    }
}

void rk_dest_poll(rk_dest *d, int timeout_ms)
{
    rd_kafka_poll(d->rk, timeout_ms);
}

int rk_dest_checkpoint(rk_dest *d, int timeout_ms, const char *group, const char *src_topic,
                       const int64_t *next, int32_t nparts, char *err, size_t errsz)
{
    if (!d->transactional) {
        rd_kafka_flush(d->rk, timeout_ms);
        rd_kafka_poll(d->rk, 0);
        if (d->failed) {
            snprintf(err, errsz, "%s", d->first_error);
            return CE_EIO;
        }
        if (rd_kafka_outq_len(d->rk) > 0) {
            snprintf(err, errsz, "kafka: topic '%s': not acknowledged within %d ms", d->topic,
                     timeout_ms);
            return CE_EIO;
        }
        return 0;
    }
    rd_kafka_error_t *e;
    if (!d->in_txn) {
        if ((e = rd_kafka_begin_transaction(d->rk)) != NULL)
            return txn_error(e, "begin_transaction", err, errsz);
        d->in_txn = 1;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts);
    for (int32_t p = 0; p < nparts; p++)
        if (next[p] >= 0)
            rd_kafka_topic_partition_list_add(l, src_topic, p)->offset = next[p];
    rd_kafka_consumer_group_metadata_t *g = rd_kafka_consumer_group_metadata_new(group);
    e = l->cnt ? rd_kafka_send_offsets_to_transaction(d->rk, l, g, timeout_ms) : NULL;
    rd_kafka_consumer_group_metadata_destroy(g);
    rd_kafka_topic_partition_list_destroy(l);
    if (!e)
        e = rd_kafka_commit_transaction(d->rk, timeout_ms);
    if (e) {
        int abortable = rd_kafka_error_txn_requires_abort(e);
        txn_error(e, "commit_transaction", err, errsz);
        if (abortable) {
            rd_kafka_error_t *a = rd_kafka_abort_transaction(d->rk, timeout_ms);
            if (a)
                rd_kafka_error_destroy(a);
        }
        d->in_txn = 0;
        return CE_EIO;
    }
    d->in_txn = 0;
    rd_kafka_poll(d->rk, 0);
    return 0;
}

void rk_dest_counts(const rk_dest *d, size_t *delivered, size_t *failed)
{
    *delivered = d->delivered;
    *failed = d->failed;
}

void rk_dest_close(rk_dest *d)
{
    if (!d)
        return;
    if (d->rk) {
        if (d->in_txn) {
            rd_kafka_error_t *a = rd_kafka_abort_transaction(d->rk, 10000);
            if (a)
                rd_kafka_error_destroy(a);
        } else {
            rd_kafka_flush(d->rk, 10000);
        }
        rd_kafka_destroy(d->rk);
    }
    free(d->topic);
    free(d);
}
