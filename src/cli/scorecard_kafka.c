/* The Kafka side of `cerelay scorecard` (scorecard.h): consumer-group threads measuring
 * freshness, ids and per-key order; topic administration (create, delete, retention, partitions);
 * the replay into a new group copied with the replay destination; a decoding read-back. */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cerelay/ce_binding.h"
#include "cli/replay.h"
#include "cli/scorecard.h"

enum { ADMIN_TIMEOUT_MS = 15000, CONNECT_TIMEOUT_MS = 5000, MAX_HEADERS = 64 };

int64_t sc_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static rd_kafka_conf_t *base_conf(const sc_kafka_conf *kc, char *err, size_t n)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char why[256];
    if (rd_kafka_conf_set(c, "bootstrap.servers", kc->brokers, why, sizeof why) != 0)
        goto bad;
    for (const char *const *p = kc->props; p && *p; p++) {
        char k[256];
        const char *eq = strchr(*p, '=');
        if (!eq || (size_t)(eq - *p) >= sizeof k) {
            snprintf(err, n, "-X %s: expected NAME=VALUE", *p);
            rd_kafka_conf_destroy(c);
            return NULL;
        }
        memcpy(k, *p, (size_t)(eq - *p));
        k[eq - *p] = 0;
        if (rd_kafka_conf_set(c, k, eq + 1, why, sizeof why) != 0) {
            snprintf(err, n, "kafka property '%s': %s", k, why);
            rd_kafka_conf_destroy(c);
            return NULL;
        }
    }
    rd_kafka_conf_set_log_cb(c, quiet_log);
    return c;
bad:
    snprintf(err, n, "kafka: %s", why);
    rd_kafka_conf_destroy(c);
    return NULL;
}

/* ------------------------------------------------------------------ consumer groups --- */

typedef struct group_impl {
    pthread_t th;
    rd_kafka_t *rk;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int assigned;
} group_impl;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    group_impl *im = ((sc_group *)opaque)->impl;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        pthread_mutex_lock(&im->mu);
        im->assigned = 1;
        pthread_cond_broadcast(&im->cv);
        pthread_mutex_unlock(&im->mu);
    } else {
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        else
            rd_kafka_assign(rk, NULL);
    }
}

static const char *header(rd_kafka_headers_t *h, const char *name, size_t *len)
{
    const void *v = NULL;
    if (!h || rd_kafka_header_get_last(h, name, &v, len) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
        return NULL;
    return v;
}

/* "ce_scseq" -> sequence number; -1 when absent or malformed. */
static int64_t seq_of(rd_kafka_headers_t *h)
{
    size_t len;
    const char *v = header(h, "ce_scseq", &len);
    if (!v || len == 0 || len > 18)
        return -1;
    int64_t s = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        s = s * 10 + (v[i] - '0');
    }
    return s;
}

/* The entry of (key, partition) in g's table (partition -1: the key over all partitions);
 * NULL when the table is full. */
static int key_slot(sc_group *g, const rd_kafka_message_t *m, int32_t part)
{
    size_t kl = m->key_len < sizeof g->keys[0] - 1 ? m->key_len : sizeof g->keys[0] - 1;
    for (int i = 0; i < g->nkeys; i++)
        if (g->key_last_part[i] == part && strncmp(g->keys[i], m->key, kl) == 0 &&
            g->keys[i][kl] == 0)
            return i;
    if (g->nkeys == SC_MAX_KEYS)
        return -1;
    int i = g->nkeys++;
    memcpy(g->keys[i], m->key, kl);
    g->keys[i][kl] = 0;
    g->key_last_seq[i] = -1;
    g->key_last_part[i] = part;
    return i;
}

/* Per-key order: within one partition the sequence must never go back (Kafka's guarantee: a
 * violation is an order_violation); across partitions (a key the new partition count moved) it
 * may, counted in order_violations_moved. */
static void note_key(sc_group *g, const rd_kafka_message_t *m, int64_t seq)
{
    if (!m->key || m->key_len == 0)
        return;
    int in = key_slot(g, m, m->partition), all = key_slot(g, m, -1);
    if (in >= 0) {
        if (seq < g->key_last_seq[in])
            g->order_violations++;
        else
            g->key_last_seq[in] = seq;
    }
    if (all >= 0) {
        if (seq < g->key_last_seq[all])
            g->order_violations_moved++;
        else
            g->key_last_seq[all] = seq;
    }
}

static void consume_one(sc_group *g, rd_kafka_message_t *m)
{
    int64_t now = sc_wall_ms();
    rd_kafka_headers_t *h = NULL;
    rd_kafka_message_headers(m, &h);
    int64_t seq = seq_of(h);
    size_t tl;
    const char *t = header(h, "ce_time", &tl);
    int64_t ns;
    g->consumed++;
    if (seq < 0 || !t || ce_timestamp_parse(t, tl, &ns) != 0) {
        g->undecodable++;
        return;
    }
    if ((size_t)seq < g->nseq) {
        if (g->seen[seq] == 0)
            g->distinct++;
        else
            g->duplicates++;
        if (g->seen[seq] < 255)
            g->seen[seq]++;
    }
    if (g->nsamples < g->cap_samples)
        g->samples[g->nsamples++] = (sc_sample){ns / 1000000, now};
    note_key(g, m, seq);
}

static void *group_main(void *arg)
{
    sc_group *g = arg;
    group_impl *im = g->impl;
    int64_t next_ms = 0;
    while (!g->stop) {
        int64_t now = sc_wall_ms();
        if (now >= g->stall_from_ms && now < g->stall_until_ms) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (g->throttle_eps > 0 && now < next_ms) {
            int64_t w = next_ms - now;
            struct timespec ts = {0, (long)(w > 100 ? 100 : w) * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(im->rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            consume_one(g, m);
            if (g->throttle_eps > 0)
                next_ms = sc_wall_ms() + (int64_t)(1000.0 / g->throttle_eps);
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (g->errors++ == 0)
                snprintf(g->first_error, sizeof g->first_error, "%s", rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

int sc_group_start(sc_group *g, const sc_kafka_conf *kc, const char *topic, int timeout_ms,
                   char *err, size_t n)
{
    group_impl *im = calloc(1, sizeof *im);
    if (!im) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    pthread_mutex_init(&im->mu, NULL);
    pthread_cond_init(&im->cv, NULL);
    g->impl = im;
    rd_kafka_conf_t *c = base_conf(kc, err, n);
    char why[256];
    if (!c)
        return -1;
    rd_kafka_conf_set(c, "group.id", g->group_id, why, sizeof why);
    rd_kafka_conf_set(c, "auto.offset.reset", "earliest", why, sizeof why);
    rd_kafka_conf_set(c, "partition.assignment.strategy", "cooperative-sticky", why, sizeof why);
    rd_kafka_conf_set(c, "topic.metadata.refresh.interval.ms", "1000", why, sizeof why);
    rd_kafka_conf_set(c, "fetch.wait.max.ms", "50", why, sizeof why);
    rd_kafka_conf_set(c, "session.timeout.ms", "10000", why, sizeof why);
    rd_kafka_conf_set(c, "heartbeat.interval.ms", "1000", why, sizeof why);
    rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
    rd_kafka_conf_set_opaque(c, g);
    im->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, why, sizeof why);
    if (!im->rk) {
        rd_kafka_conf_destroy(c);
        snprintf(err, n, "kafka consumer: %s", why);
        return -1;
    }
    rd_kafka_poll_set_consumer(im->rk);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tl, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(im->rk, tl);
    rd_kafka_topic_partition_list_destroy(tl);
    if (e) {
        snprintf(err, n, "kafka: subscribe %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    if (pthread_create(&im->th, NULL, group_main, g) != 0) {
        snprintf(err, n, "pthread_create failed");
        return -1;
    }
    g->started = 1;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    pthread_mutex_lock(&im->mu);
    while (!im->assigned)
        if (pthread_cond_timedwait(&im->cv, &im->mu, &dl) == ETIMEDOUT)
            break;
    int ok = im->assigned;
    pthread_mutex_unlock(&im->mu);
    if (!ok) {
        snprintf(err, n, "group %s: no partitions assigned within %d ms", g->group_id, timeout_ms);
        return -1;
    }
    return 0;
}

void sc_group_stop(sc_group *g)
{
    group_impl *im = g->impl;
    if (!im)
        return;
    g->stop = 1;
    if (g->started) {
        pthread_join(im->th, NULL);
        g->started = 0;
    }
    if (im->rk) {
        rd_kafka_consumer_close(im->rk);
        rd_kafka_destroy(im->rk);
    }
    pthread_mutex_destroy(&im->mu);
    pthread_cond_destroy(&im->cv);
    free(im);
    g->impl = NULL;
}

void sc_group_free(sc_group *g)
{
    sc_group_stop(g);
    free(g->samples);
    free(g->seen);
    g->samples = NULL;
    g->seen = NULL;
}

/* ---------------------------------------------------------------------------- admin --- */

static rd_kafka_t *admin_new(const sc_kafka_conf *kc, char *err, size_t n)
{
    rd_kafka_conf_t *c = base_conf(kc, err, n);
    char why[256];
    if (!c)
        return NULL;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, why, sizeof why);
    if (!rk) {
        rd_kafka_conf_destroy(c);
        snprintf(err, n, "kafka: %s", why);
    }
    return rk;
}

static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, char *err, size_t n)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, ADMIN_TIMEOUT_MS + 2000);
    if (!ev) {
        snprintf(err, n, "kafka admin: no answer within %d ms", ADMIN_TIMEOUT_MS);
        return NULL;
    }
    if (rd_kafka_event_error(ev)) {
        snprintf(err, n, "kafka admin: %s", rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static int topic_results(const rd_kafka_topic_result_t **r, size_t cnt, int ignore, char *err,
                         size_t n)
{
    for (size_t i = 0; i < cnt; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(r[i]);
        if (e && e != (rd_kafka_resp_err_t)ignore) {
            snprintf(err, n, "topic %s: %s", rd_kafka_topic_result_name(r[i]),
                     rd_kafka_topic_result_error_string(r[i])
                         ? rd_kafka_topic_result_error_string(r[i])
                         : rd_kafka_err2str(e));
            return -1;
        }
    }
    return 0;
}

int sc_topic_create(const sc_kafka_conf *kc, const char *topic, int partitions, int *nbrokers,
                    char *err, size_t n)
{
    rd_kafka_t *rk = admin_new(kc, err, n);
    if (!rk)
        return -1;
    int rc = -1;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, CONNECT_TIMEOUT_MS);
    if (e) {
        snprintf(err, n, "kafka: cannot reach %s: %s", kc->brokers, rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return -1;
    }
    *nbrokers = md->broker_cnt;
    int rf = md->broker_cnt >= 3 ? 3 : md->broker_cnt;
    rd_kafka_metadata_destroy(md);
    char why[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, rf, why, sizeof why);
    if (!nt) {
        snprintf(err, n, "topic %s: %s", topic, why);
        rd_kafka_destroy(rk);
        return -1;
    }
    if (rf >= 3)
        rd_kafka_NewTopic_set_config(nt, "min.insync.replicas", "2");
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(o, ADMIN_TIMEOUT_MS, why, sizeof why);
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = admin_wait(q, err, n);
    if (ev) {
        size_t cnt;
        const rd_kafka_topic_result_t **r =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        rc = topic_results(r, cnt, 0, err, n);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    /* Wait until the metadata shows the partitions (a cluster propagates new topics). */
    for (int i = 0; rc == 0 && i < 100; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        md = NULL;
        e = rd_kafka_metadata(rk, 0, rkt, &md, ADMIN_TIMEOUT_MS);
        rd_kafka_topic_destroy(rkt);
        int ready = !e && md->topic_cnt == 1 && !md->topics[0].err &&
                    md->topics[0].partition_cnt == partitions;
        for (int p = 0; ready && p < md->topics[0].partition_cnt; p++)
            if (md->topics[0].partitions[p].leader < 0)
                ready = 0;
        if (md)
            rd_kafka_metadata_destroy(md);
        if (ready)
            break;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    rd_kafka_destroy(rk);
    return rc;
}

int sc_probe(const sc_kafka_conf *kc, int timeout_ms, char *err, size_t n)
{
    rd_kafka_t *rk = admin_new(kc, err, n);
    if (!rk)
        return -1;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
    if (e)
        snprintf(err, n, "kafka: %s", rd_kafka_err2str(e));
    else
        rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    return e ? -1 : 0;
}

int sc_topic_delete(const sc_kafka_conf *kc, const char *const *topics, int nt, char *err, size_t n)
{
    rd_kafka_t *rk = admin_new(kc, err, n);
    if (!rk)
        return -1;
    rd_kafka_DeleteTopic_t *dt[8];
    if (nt > 8)
        nt = 8;
    for (int i = 0; i < nt; i++)
        dt[i] = rd_kafka_DeleteTopic_new(topics[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopics(rk, dt, (size_t)nt, NULL, q);
    int rc = -1;
    rd_kafka_event_t *ev = admin_wait(q, err, n);
    if (ev) {
        size_t cnt;
        const rd_kafka_topic_result_t **r =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
        rc = topic_results(r, cnt, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, err, n);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_DeleteTopic_destroy_array(dt, (size_t)nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

int sc_topic_set_retention(const sc_kafka_conf *kc, const char *topic, int64_t ms, int64_t *got,
                           char *err, size_t n)
{
    rd_kafka_t *rk = admin_new(kc, err, n);
    if (!rk)
        return -1;
    int rc = -1;
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    /* AlterConfigs (librdkafka 2.0 has no incremental variant): sets the topic's dynamic
     * configuration to exactly this; the scorecard's topics have no other override. */
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_ConfigResource_set_config(cr, "retention.ms", v);
    rd_kafka_AlterConfigs(rk, &cr, 1, NULL, q);
    rd_kafka_event_t *ev = admin_wait(q, err, n);
    rd_kafka_ConfigResource_destroy(cr);
    if (!ev)
        goto out;
    size_t cnt;
    const rd_kafka_ConfigResource_t **res =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &cnt);
    if (cnt < 1 || rd_kafka_ConfigResource_error(res[0])) {
        snprintf(err, n, "AlterConfigs %s: %s", topic,
                 cnt ? rd_kafka_ConfigResource_error_string(res[0]) : "no result");
        rd_kafka_event_destroy(ev);
        goto out;
    }
    rd_kafka_event_destroy(ev);
    /* Read it back; brokers apply metadata changes asynchronously, so a broker may answer
     * with the old value for a moment: ask again for up to 10 s. */
    for (int attempt = 0; attempt < 50; attempt++) {
        rc = -1;
        cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
        rd_kafka_DescribeConfigs(rk, &cr, 1, NULL, q);
        ev = admin_wait(q, err, n);
        rd_kafka_ConfigResource_destroy(cr);
        if (!ev)
            break;
        res = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
                                                        &cnt);
        *got = -1;
        if (cnt >= 1 && !rd_kafka_ConfigResource_error(res[0])) {
            size_t nc;
            const rd_kafka_ConfigEntry_t **ents = rd_kafka_ConfigResource_configs(res[0], &nc);
            for (size_t i = 0; i < nc; i++)
                if (strcmp(rd_kafka_ConfigEntry_name(ents[i]), "retention.ms") == 0 &&
                    rd_kafka_ConfigEntry_value(ents[i]))
                    *got = strtoll(rd_kafka_ConfigEntry_value(ents[i]), NULL, 10);
            rc = 0;
        } else {
            snprintf(err, n, "DescribeConfigs %s: %s", topic,
                     cnt ? rd_kafka_ConfigResource_error_string(res[0]) : "no result");
        }
        rd_kafka_event_destroy(ev);
        if (rc != 0 || *got == ms)
            break;
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
out:
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

int sc_topic_add_partitions(const sc_kafka_conf *kc, const char *topic, int total, char *err,
                            size_t n)
{
    rd_kafka_t *rk = admin_new(kc, err, n);
    if (!rk)
        return -1;
    char why[256];
    rd_kafka_NewPartitions_t *np =
        rd_kafka_NewPartitions_new(topic, (size_t)total, why, sizeof why);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreatePartitions(rk, &np, 1, NULL, q);
    int rc = -1;
    rd_kafka_event_t *ev = admin_wait(q, err, n);
    if (ev) {
        size_t cnt;
        const rd_kafka_topic_result_t **r = rd_kafka_CreatePartitions_result_topics(
            rd_kafka_event_CreatePartitions_result(ev), &cnt);
        rc = topic_results(r, cnt, 0, err, n);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

/* --------------------------------------------------------------- replay, read-back --- */

/* A consumer assigned to every partition of `topic` from the beginning; *ends gets the end
 * offsets now, *nparts their count. */
static rd_kafka_t *reader_new(const sc_kafka_conf *kc, const char *topic, const char *group,
                              int64_t **ends, int *nparts, char *err, size_t n)
{
    rd_kafka_conf_t *c = base_conf(kc, err, n);
    char why[256];
    if (!c)
        return NULL;
    rd_kafka_conf_set(c, "group.id", group, why, sizeof why);
    rd_kafka_conf_set(c, "enable.auto.commit", "false", why, sizeof why);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, why, sizeof why);
    if (!rk) {
        rd_kafka_conf_destroy(c);
        snprintf(err, n, "kafka consumer: %s", why);
        return NULL;
    }
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, ADMIN_TIMEOUT_MS);
    rd_kafka_topic_destroy(rkt);
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
        snprintf(err, n, "kafka: metadata of %s: %s", topic,
                 rd_kafka_err2str(e ? e : md->topics[0].err));
        if (md)
            rd_kafka_metadata_destroy(md);
        rd_kafka_destroy(rk);
        return NULL;
    }
    *nparts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    *ends = calloc((size_t)*nparts, sizeof **ends);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(*nparts);
    for (int p = 0; p < *nparts; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, ADMIN_TIMEOUT_MS) != 0)
            hi = 0;
        (*ends)[p] = hi;
        rd_kafka_topic_partition_list_add(tl, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, tl);
    rd_kafka_topic_partition_list_destroy(tl);
    return rk;
}

static int reader_done(const int64_t *pos, const int64_t *ends, int nparts)
{
    for (int p = 0; p < nparts; p++)
        if (pos[p] < ends[p])
            return 0;
    return 1;
}

int sc_replay(const sc_kafka_conf *kc, const char *topic, const char *group, const char *dev_topic,
              uint8_t *seen, size_t nseq, sc_replay_result *res, char *err, size_t n)
{
    memset(res, 0, sizeof *res);
    int64_t *ends = NULL;
    int nparts = 0;
    int64_t t0 = sc_wall_ms();
    rd_kafka_t *rk = reader_new(kc, topic, group, &ends, &nparts, err, n);
    if (!rk)
        return -1;
    int64_t *pos = calloc((size_t)nparts, sizeof *pos);
    rk_dest *d = NULL;
    int rc = -1;
    if (rk_dest_open(&d, kc->brokers, kc->props, dev_topic, nparts, NULL, err, n) != 0)
        goto out;
    int64_t deadline = t0 + 120000;
    while (!reader_done(pos, ends, nparts)) {
        if (sc_wall_ms() > deadline) {
            snprintf(err, n, "replay: end offsets not reached within 120 s (%zu read)", res->read);
            goto out;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->partition < nparts && m->offset + 1 > pos[m->partition])
            pos[m->partition] = m->offset + 1;
        if (m->partition < nparts && m->offset >= ends[m->partition]) {
            rd_kafka_message_destroy(m);
            continue; /* written after the replay started: not part of the window */
        }
        res->read++;
        rd_kafka_headers_t *h = NULL;
        rd_kafka_message_headers(m, &h);
        int64_t seq = seq_of(h);
        if (seq < 0 || (size_t)seq >= nseq)
            res->undecodable++;
        else if (seen[seq] < 255)
            seen[seq]++;
        ce_header hs[MAX_HEADERS];
        size_t nh = 0;
        const char *hn;
        const void *hv;
        size_t hl;
        for (size_t i = 0;
             nh < MAX_HEADERS && h && rd_kafka_header_get_all(h, i, &hn, &hv, &hl) == 0; i++)
            hs[nh++] = (ce_header){{hn, strlen(hn)}, {hv, hl}};
        ce_kafka_message km = {{m->key, m->key_len}, {m->payload, m->len}, hs, nh};
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        int prc =
            rk_dest_produce(d, &km, rk_dest_keeps_partitions(d) ? m->partition : -1, ts, err, n);
        rd_kafka_message_destroy(m);
        if (prc != 0)
            goto out;
        rk_dest_poll(d, 0);
    }
    if (rk_dest_checkpoint(d, 60000, NULL, NULL, NULL, 0, err, n) != 0)
        goto out;
    size_t failed;
    rk_dest_counts(d, &res->copied, &failed);
    res->seconds = (double)(sc_wall_ms() - t0) / 1000.0;
    rc = 0;
out:
    rk_dest_close(d);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(pos);
    free(ends);
    return rc;
}

int sc_read_back(const sc_kafka_conf *kc, const char *topic, size_t expect, size_t *ok, size_t *bad,
                 char *err, size_t n)
{
    (void)expect;
    *ok = *bad = 0;
    int64_t *ends = NULL;
    int nparts = 0;
    rd_kafka_t *rk = reader_new(kc, topic, "cerelay-scorecard-readback", &ends, &nparts, err, n);
    if (!rk)
        return -1;
    int64_t *pos = calloc((size_t)nparts, sizeof *pos);
    int64_t deadline = sc_wall_ms() + 60000;
    int rc = 0;
    ce_event *ev = ce_event_new();
    while (!reader_done(pos, ends, nparts)) {
        if (sc_wall_ms() > deadline) {
            snprintf(err, n, "read-back of %s: end offsets not reached within 60 s", topic);
            rc = -1;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (!m->err && m->partition < nparts) {
            pos[m->partition] = m->offset + 1;
            rd_kafka_headers_t *h = NULL;
            rd_kafka_message_headers(m, &h);
            ce_header hs[MAX_HEADERS];
            size_t nh = 0;
            const char *hn;
            const void *hv;
            size_t hl;
            for (size_t i = 0;
                 nh < MAX_HEADERS && h && rd_kafka_header_get_all(h, i, &hn, &hv, &hl) == 0; i++)
                hs[nh++] = (ce_header){{hn, strlen(hn)}, {hv, hl}};
            ce_kafka_message km = {{m->key, m->key_len}, {m->payload, m->len}, hs, nh};
            char why[256];
            if (ce_kafka_decode_into(&km, NULL, ev, why, sizeof why) == 0 &&
                ce_event_get_str(ev, "scseq").len > 0 && ce_event_get_str(ev, "id").len > 0)
                (*ok)++;
            else
                (*bad)++;
        }
        rd_kafka_message_destroy(m);
    }
    ce_event_destroy(ev);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(pos);
    free(ends);
    return rc;
}
