/* Local-log source for tail: one reader per partition of DIR/<topic>-<N>, read round-robin.
 * Records are Kafka-binding messages (the log sink stores events in binary mode). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/log.h"
#include "cli/source.h"

enum { MAX_PARTS = 10000, MAX_HEADERS = 256 };

struct src {
    cer_log_reader **r;
    int nparts, cur;
    char *at_end; /* per partition: nothing more right now */
    int follow, manual;
    char *done;    /* manual: per partition, left out or past its range */
    int64_t *ends; /* manual: offsets at or past this are not returned (-1: no end) */
    int64_t *pos;  /* manual: next offset to commit (-1: nothing to commit) */
    char *dir;
    cer_log_group *group;
    char *topic;
    ce_header hdrs[MAX_HEADERS];
};

/* Count DIR/<topic>-<N> directories; partitions must be 0..N-1. */
static int count_partitions(const char *dir, const char *topic)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    size_t tl = strlen(topic);
    int maxp = -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, topic, tl) != 0 || de->d_name[tl] != '-')
            continue;
        char *end;
        long p = strtol(de->d_name + tl + 1, &end, 10);
        if (*end || end == de->d_name + tl + 1 || p < 0 || p >= MAX_PARTS)
            continue;
        if (p > maxp)
            maxp = (int)p;
    }
    closedir(d);
    return maxp + 1;
}

static void lclose(src *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nparts; i++)
        cer_log_reader_close(s->r[i]);
    free(s->r);
    free(s->at_end);
    free(s->done);
    free(s->ends);
    free(s->pos);
    free(s->dir);
    cer_log_group_close(s->group);
    free(s->topic);
    free(s);
}

static int lopen(src **out, const src_conf *c, char *err, size_t errsz)
{
    *out = NULL;
    int n = count_partitions(c->log_dir, c->topic);
    if (n < 0) {
        snprintf(err, errsz, "log: cannot open directory '%s'", c->log_dir);
        return CE_EIO;
    }
    if (n == 0) {
        snprintf(err, errsz, "log: no topic '%s' in '%s'", c->topic, c->log_dir);
        return CE_ENOTFOUND;
    }
    src *s = calloc(1, sizeof *s);
    if (!s)
        return CE_ENOMEM;
    s->nparts = n;
    s->follow = c->follow;
    s->topic = strdup(c->topic);
    s->manual = c->manual;
    s->dir = strdup(c->log_dir);
    s->r = calloc((size_t)n, sizeof *s->r);
    s->at_end = calloc((size_t)n, 1);
    s->done = calloc((size_t)n, 1);
    s->ends = malloc((size_t)n * sizeof *s->ends);
    s->pos = malloc((size_t)n * sizeof *s->pos);
    if (!s->topic || !s->dir || !s->r || !s->at_end || !s->done || !s->ends || !s->pos) {
        lclose(s);
        return CE_ENOMEM;
    }
    if (c->group && cer_log_group_open(&s->group, c->log_dir, c->group, err, errsz) != 0) {
        lclose(s);
        return CE_EIO;
    }
    for (int p = 0; p < n; p++) {
        if (cer_log_reader_open(&s->r[p], c->log_dir, c->topic, p, NULL, err, errsz) != 0) {
            lclose(s);
            return CE_EIO;
        }
        s->ends[p] = s->pos[p] = -1;
        if (c->manual)
            continue;
        cer_log_whence w = CER_LOG_SEEK_EARLIEST;
        int64_t arg = 0;
        switch (c->whence) {
        case SRC_EARLIEST:
            w = CER_LOG_SEEK_EARLIEST;
            break;
        case SRC_LATEST:
            w = CER_LOG_SEEK_LATEST;
            break;
        case SRC_OFFSET:
            w = CER_LOG_SEEK_OFFSET, arg = c->arg;
            break;
        case SRC_TIME:
            w = CER_LOG_SEEK_TIME, arg = c->arg;
            break;
        }
        int64_t committed;
        if (s->group && (c->whence == SRC_EARLIEST || c->whence == SRC_LATEST) &&
            cer_log_group_committed(s->group, c->topic, p, &committed, NULL, 0) == 0)
            w = CER_LOG_SEEK_OFFSET, arg = committed;
        if (cer_log_reader_seek(s->r[p], w, arg, err, errsz) != 0) {
            lclose(s);
            return CE_EIO;
        }
    }
    *out = s;
    return 0;
}

/* Point msg/meta at a record just read from partition p. */
static void fill(src *s, const cer_log_rec *rec, int p, ce_kafka_message *msg, src_meta *meta)
{
    size_t nh = rec->header_count < MAX_HEADERS ? rec->header_count : MAX_HEADERS;
    for (size_t i = 0; i < nh; i++) {
        s->hdrs[i].name.ptr = rec->headers[i].name;
        s->hdrs[i].name.len = rec->headers[i].name_len;
        s->hdrs[i].value.ptr = rec->headers[i].value ? rec->headers[i].value : "";
        s->hdrs[i].value.len = rec->headers[i].value_len;
    }
    msg->headers = s->hdrs;
    msg->header_count = nh;
    msg->key.ptr = rec->key;
    msg->key.len = rec->key_len;
    msg->value.ptr = rec->value;
    msg->value.len = rec->value_len;
    meta->partition = p;
    meta->offset = rec->offset;
    meta->timestamp_ms = rec->timestamp_ms;
    meta->key = msg->key;
}

/* Is the record at offset `off` of partition p past its range? Marks p done at its end. */
static int past_end(src *s, int p, int64_t off)
{
    if (s->ends[p] < 0)
        return 0;
    if (off >= s->ends[p]) {
        s->done[p] = 1;
        return 1;
    }
    if (off + 1 >= s->ends[p])
        s->done[p] = 1;
    s->pos[p] = off + 1;
    return 0;
}

static int lnext(src *s, ce_kafka_message *msg, src_meta *meta, volatile int *stop, char *err,
                 size_t errsz)
{
    cer_log_rec rec;
    while (!*stop) {
        int all_end = 1;
        for (int k = 0; k < s->nparts; k++) {
            int p = (s->cur + k) % s->nparts;
            if (s->done[p])
                continue;
            int rc = cer_log_reader_next(s->r[p], &rec, 0, err, errsz);
            if (rc == CER_LOG_EAGAIN) {
                s->at_end[p] = 1;
                continue;
            }
            if (rc != 0)
                return CE_EIO;
            all_end = 0;
            if (past_end(s, p, rec.offset))
                break; /* look again: p is done now */
            s->cur = (p + 1) % s->nparts;
            fill(s, &rec, p, msg, meta);
            return 1;
        }
        if (!all_end)
            continue;
        if (!s->follow)
            return 0;
        /* Everything is read: sleep on the log's change notification, partition by
         * partition, for a short while each (never a busy loop). */
        int wait = 500 / s->nparts > 20 ? 500 / s->nparts : 20;
        if (s->done[s->cur]) {
            s->cur = (s->cur + 1) % s->nparts;
            continue;
        }
        int rc = cer_log_reader_next(s->r[s->cur], &rec, wait, err, errsz);
        if (rc == 0) {
            int p = s->cur;
            s->cur = (p + 1) % s->nparts;
            if (past_end(s, p, rec.offset))
                continue;
            fill(s, &rec, p, msg, meta);
            return 1;
        }
        if (rc != CER_LOG_EAGAIN)
            return CE_EIO;
        s->cur = (s->cur + 1) % s->nparts;
    }
    return 0;
}

static int lcommit(src *s, char *err, size_t errsz)
{
    if (!s->group)
        return 0;
    for (int p = 0; p < s->nparts; p++) {
        int64_t at = s->manual ? s->pos[p] : cer_log_reader_position(s->r[p]);
        if (at >= 0 && cer_log_group_commit(s->group, s->topic, p, at, err, errsz) != 0)
            return CE_EIO;
    }
    return 0;
}

static int32_t lpartitions(src *s)
{
    return s->nparts;
}

int src_log_range(const char *dir, const char *topic, int32_t p, int64_t *lo, int64_t *hi,
                  char *err, size_t errsz)
{
    cer_log_reader *rd = NULL;
    cer_log_rec rec;
    int rc = cer_log_reader_open(&rd, dir, topic, p, NULL, err, errsz);
    if (rc == 0)
        rc = cer_log_reader_seek(rd, CER_LOG_SEEK_LATEST, 0, err, errsz);
    if (rc == 0) {
        *hi = cer_log_reader_position(rd);
        rc = cer_log_reader_seek(rd, CER_LOG_SEEK_EARLIEST, 0, err, errsz);
    }
    if (rc == 0) {
        rc = cer_log_reader_next(rd, &rec, 0, err, errsz);
        *lo = rc == 0 ? rec.offset : *hi;
        rc = rc == CER_LOG_EAGAIN ? 0 : rc;
    }
    cer_log_reader_close(rd);
    return rc ? CE_EIO : 0;
}

static int lwatermarks(src *s, int32_t p, int64_t *lo, int64_t *hi, char *err, size_t errsz)
{
    char why[400];
    if (src_log_range(s->dir, s->topic, p, lo, hi, why, sizeof why) != 0) {
        snprintf(err, errsz, "log: topic '%s' partition %d: %s", s->topic, (int)p, why);
        return CE_EIO;
    }
    return 0;
}

static int loffset_for_time(src *s, int32_t p, int64_t ts, int64_t *off, char *err, size_t errsz)
{
    cer_log_reader *rd = NULL;
    char why[400];
    int rc = cer_log_reader_open(&rd, s->dir, s->topic, p, NULL, why, sizeof why);
    if (rc == 0)
        rc = cer_log_reader_seek(rd, CER_LOG_SEEK_TIME, ts, why, sizeof why);
    if (rc == 0)
        *off = cer_log_reader_position(rd);
    cer_log_reader_close(rd);
    if (rc) {
        snprintf(err, errsz, "log: topic '%s' partition %d: offset for time %lld: %s", s->topic,
                 (int)p, (long long)ts, why);
        return CE_EIO;
    }
    return 0;
}

static int lcommitted(src *s, int32_t p, int64_t *off, char *err, size_t errsz)
{
    if (!s->group)
        return CE_ENOTFOUND;
    int rc = cer_log_group_committed(s->group, s->topic, p, off, err, errsz);
    return rc == CER_LOG_ENOTFOUND ? CE_ENOTFOUND : rc ? CE_EIO : 0;
}

static int lstart(src *s, const int64_t *starts, const int64_t *ends, char *err, size_t errsz)
{
    for (int p = 0; p < s->nparts; p++) {
        s->ends[p] = ends ? ends[p] : -1;
        if (starts[p] < 0 || (s->ends[p] >= 0 && starts[p] >= s->ends[p])) {
            s->done[p] = 1;
            continue;
        }
        s->pos[p] = starts[p];
        if (cer_log_reader_seek(s->r[p], CER_LOG_SEEK_OFFSET, starts[p], err, errsz) != 0)
            return CE_EIO;
    }
    return 0;
}

const src_ops src_log = {
    lopen, lnext, lcommit, lclose, lpartitions, lwatermarks, loffset_for_time, lcommitted, lstart};
