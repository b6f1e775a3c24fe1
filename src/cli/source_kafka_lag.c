/* Kafka side of `cerelay lag`: consumer groups (ListConsumerGroups), their committed offsets
 * (ListConsumerGroupOffsets), watermarks, and the timestamps of the next unconsumed record of
 * every lagging partition, fetched with a private consumer that never commits. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cerelay/ce_binding.h"
#include "cli/lag.h"

enum { MAX_HDRS = 256 };

struct lag_kafka {
    int timeout_ms; /* each cluster request; fetching next records gets half of it */
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
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

/* librdkafka's own log lines (connection refused, retries) are not printed: failures reach the
 * user through the request that failed, once, naming it. */
static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

void lag_kafka_destroy(lag_kafka *k)
{
    if (!k)
        return;
    if (k->q)
        rd_kafka_queue_destroy(k->q);
    if (k->rk) {
        rd_kafka_consumer_close(k->rk);
        rd_kafka_destroy(k->rk);
    }
    free(k);
}

lag_kafka *lag_kafka_new(const char *brokers, const char *const *props, int timeout_ms, char *err,
                         size_t errsz)
{
    lag_kafka *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    k->timeout_ms = timeout_ms;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char gid[64];
    /* A private group id: assign() needs one; nothing is ever committed under it. */
    snprintf(gid, sizeof gid, "cerelay-lag-%d", (int)getpid());
    if (set(conf, "bootstrap.servers", brokers, err, errsz) ||
        set(conf, "group.id", gid, err, errsz) ||
        set(conf, "enable.auto.commit", "false", err, errsz) ||
        set(conf, "enable.auto.offset.store", "false", err, errsz) ||
        set(conf, "enable.partition.eof", "true", err, errsz) ||
        set(conf, "fetch.wait.max.ms", "50", err, errsz) ||
        set(conf, "queued.max.messages.kbytes", "1024", err, errsz))
        goto fail;
    for (const char *const *p = props; p && *p; p++) {
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
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    char why[512];
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!k->rk) {
        snprintf(err, errsz, "kafka: %s", why);
        goto fail;
    }
    conf = NULL;
    rd_kafka_poll_set_consumer(k->rk);
    k->q = rd_kafka_queue_new(k->rk);
    return k;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    lag_kafka_destroy(k);
    return NULL;
}

/* Wait for the admin result of type `type` on the private queue. */
static rd_kafka_event_t *wait_result(lag_kafka *k, rd_kafka_event_type_t type, char *err,
                                     size_t errsz)
{
    for (;;) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(k->q, k->timeout_ms + 2000);
        if (!ev) {
            snprintf(err, errsz, "kafka: no answer from the cluster in %d ms",
                     k->timeout_ms + 2000);
            return NULL;
        }
        if (rd_kafka_event_type(ev) == type) {
            if (rd_kafka_event_error(ev)) {
                snprintf(err, errsz, "kafka: %s", rd_kafka_event_error_string(ev));
                rd_kafka_event_destroy(ev);
                return NULL;
            }
            return ev;
        }
        rd_kafka_event_destroy(ev);
    }
}

static rd_kafka_AdminOptions_t *admin_options(lag_kafka *k, rd_kafka_admin_op_t op)
{
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(k->rk, op);
    char why[128];
    rd_kafka_AdminOptions_set_request_timeout(o, k->timeout_ms, why, sizeof why);
    return o;
}

/* Every group of the cluster, or the named ones. Returns a NULL-terminated strdup'ed list. */
static char **list_groups(lag_kafka *k, const lag_query *q, char *err, size_t errsz)
{
    if (q->ngroups) {
        char **g = calloc((size_t)q->ngroups + 1, sizeof *g);
        for (int i = 0; g && i < q->ngroups; i++)
            g[i] = strdup(q->groups[i]);
        return g;
    }
    rd_kafka_AdminOptions_t *o = admin_options(k, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(k->rk, o, k->q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = wait_result(k, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, err, errsz);
    if (!ev)
        return NULL;
    const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t n = 0, nerr = 0;
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    if (nerr > 0) { /* a broker did not answer: the list would be incomplete */
        snprintf(err, errsz, "kafka: listing consumer groups: %s", rd_kafka_error_string(errs[0]));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    const rd_kafka_ConsumerGroupListing_t **l = rd_kafka_ListConsumerGroups_result_valid(res, &n);
    char **g = calloc(n + 1, sizeof *g);
    size_t m = 0;
    for (size_t i = 0; g && i < n; i++) {
        const char *id = rd_kafka_ConsumerGroupListing_group_id(l[i]);
        /* Our own private consumers (lag, tail, replay probes) never commit; skip them. */
        if (strncmp(id, "cerelay-lag-", 12) == 0)
            continue;
        g[m++] = strdup(id);
    }
    rd_kafka_event_destroy(ev);
    return g;
}

static void free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

/* Committed offsets of one group, appended as rows (topics filtered). */
static int group_offsets(lag_kafka *k, const char *group, const lag_query *q, lag_set *out,
                         char *err, size_t errsz)
{
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
    rd_kafka_AdminOptions_t *o = admin_options(k, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets(k->rk, &req, 1, o, k->q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    char why[384];
    rd_kafka_event_t *ev =
        wait_result(k, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, why, sizeof why);
    if (!ev) {
        snprintf(err, errsz, "group '%s': %s", group, why);
        return -1;
    }
    const rd_kafka_ListConsumerGroupOffsets_result_t *res =
        rd_kafka_event_ListConsumerGroupOffsets_result(ev);
    size_t n = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(res, &n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const rd_kafka_error_t *e = rd_kafka_group_result_error(gr[i]);
        if (e) {
            snprintf(err, errsz, "group '%s': %s", group, rd_kafka_error_string(e));
            rc = -1;
            break;
        }
        const rd_kafka_topic_partition_list_t *tps = rd_kafka_group_result_partitions(gr[i]);
        for (int j = 0; tps && j < tps->cnt; j++) {
            const rd_kafka_topic_partition_t *tp = &tps->elems[j];
            if (tp->offset < 0 || tp->err || !lag_name_wanted(tp->topic, q->topics, q->ntopics))
                continue;
            lag_row *r = lag_set_add(out);
            if (!r) {
                snprintf(err, errsz, "more than %d group partitions", LAG_MAX_ROWS);
                rc = -1;
                break;
            }
            snprintf(r->group, sizeof r->group, "%s", group);
            snprintf(r->topic, sizeof r->topic, "%s", tp->topic);
            r->partition = tp->partition;
            r->committed = tp->offset;
        }
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

/* Timestamps of the first record at or after each row's committed offset, for the rows
 * [from, to) of one group (a partition appears once per group, so one assignment serves all). */
static void next_records(lag_kafka *k, lag_set *s, size_t from, size_t to)
{
    size_t n = to - from, want = 0;
    char *done = calloc(n ? n : 1, 1);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++) {
        lag_row *r = &s->rows[from + i];
        if (lag_records(r) <= 0) {
            done[i] = 1;
            continue;
        }
        rd_kafka_topic_partition_list_add(l, r->topic, r->partition)->offset =
            r->committed > r->start ? r->committed : r->start;
        want++;
    }
    if (!done || want == 0 || rd_kafka_assign(k->rk, l) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_topic_partition_list_destroy(l);
        free(done);
        return;
    }
    ce_header hdrs[MAX_HDRS];
    int waited = 0;
    while (want > 0 && waited < k->timeout_ms / 2) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 100);
        if (!m) {
            waited += 100;
            continue;
        }
        const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
        size_t i = 0;
        while (i < n && (s->rows[from + i].partition != m->partition ||
                         strcmp(s->rows[from + i].topic, topic) != 0))
            i++;
        if (i == n || done[i] || (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
            rd_kafka_message_destroy(m);
            continue;
        }
        lag_row *r = &s->rows[from + i];
        done[i] = 1;
        want--;
        if (!m->err) {
            rd_kafka_timestamp_type_t tt;
            r->next_ts_ms = rd_kafka_message_timestamp(m, &tt);
            rd_kafka_headers_t *h = NULL;
            size_t nh = 0;
            if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char *name;
                const void *val;
                size_t vlen;
                for (; nh < MAX_HDRS && !rd_kafka_header_get_all(h, nh, &name, &val, &vlen); nh++) {
                    hdrs[nh].name.ptr = name;
                    hdrs[nh].name.len = strlen(name);
                    hdrs[nh].value.ptr = val ? val : "";
                    hdrs[nh].value.len = vlen;
                }
            }
            ce_kafka_message msg = {{m->key, m->key_len}, {m->payload, m->len}, hdrs, nh};
            r->next_event_ms = lag_event_time_ms(&msg);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_topic_partition_list_destroy(l);
    free(done);
    rd_kafka_assign(k->rk, NULL);
}

int lag_kafka_collect(lag_kafka *k, const lag_query *q, lag_set *out, char *err, size_t errsz)
{
    out->n = 0;
    char **groups = list_groups(k, q, err, errsz);
    if (!groups)
        return -1;
    int rc = 0;
    for (size_t g = 0; groups[g] && rc == 0; g++) {
        size_t from = out->n;
        rc = group_offsets(k, groups[g], q, out, err, errsz);
        if (rc)
            break;
        if (q->ngroups && out->n == from)
            fprintf(stderr, "cerelay lag: group '%s' has no committed offsets%s\n", groups[g],
                    q->ntopics ? " on the topics asked" : " (or does not exist)");
        size_t kept = from;
        for (size_t i = from; i < out->n; i++) {
            lag_row *r = &out->rows[i];
            int64_t lo, hi;
            rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(k->rk, r->topic, r->partition,
                                                                     &lo, &hi, k->timeout_ms);
            if (e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
                e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                /* A commit left on a deleted topic: say so, and show the rest. */
                fprintf(stderr, "cerelay lag: group '%s': topic '%s' partition %d: %s (skipped)\n",
                        r->group, r->topic, (int)r->partition, rd_kafka_err2str(e));
                continue;
            }
            if (e) {
                snprintf(err, errsz, "group '%s': topic '%s' partition %d: watermarks: %s",
                         r->group, r->topic, (int)r->partition, rd_kafka_err2str(e));
                rc = -1;
                break;
            }
            r->start = lo, r->end = hi;
            out->rows[kept++] = *r;
        }
        if (rc == 0)
            out->n = kept;
        if (rc == 0)
            next_records(k, out, from, out->n);
    }
    free_list(groups);
    lag_set_sort(out);
    return rc;
}
