/* The writer handle: the directory lock (flock on DIR/.lock holding the writer's pid), topic
 * metadata (DIR/<topic>.topic), routing of appends to partitions (murmur2 or round-robin), the
 * background fsync thread of the `interval` policy, and close. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log/internal.h"

typedef struct topic {
    char *name;
    int32_t nparts;
    cer_log__part **parts;
    uint32_t rr; /* round-robin counter for keyless records */
} topic;

struct cer_log {
    char dir[CER_LOG__PATH_MAX];
    cer_log_conf conf;
    int lock_fd;
    pthread_rwlock_t lock; /* guards the topic list; topics are never removed while open */
    topic **topics;
    size_t ntopics, tcap;
    pthread_t flusher;
    bool flusher_on, stopping;
    pthread_mutex_t fmu;
    pthread_cond_t fcv;
};

static int take_lock(cer_log *log, char *errstr, size_t errstr_size)
{
    char path[CER_LOG__PATH_MAX];
    int rc = cer_log__path(path, errstr, errstr_size, "%s/.lock", log->dir);
    if (rc)
        return rc;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cer_log__errno(errno, errstr, errstr_size, "open", path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = e == EWOULDBLOCK ? cer_log__pread_full(fd, pid, sizeof pid - 1, 0) : 0;
        close(fd);
        if (e != EWOULDBLOCK)
            return cer_log__errno(e, errstr, errstr_size, "flock", path);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        return cerx_errf(CER_LOG_ELOCKED, errstr, errstr_size,
                         "log directory %s is locked by another writer (pid %s, per %s)", log->dir,
                         pid[0] ? pid : "unknown", path);
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || cer_log__pwrite_all(fd, pid, (size_t)len, 0) != 0) {
        rc = cer_log__errno(errno, errstr, errstr_size, "write", path);
        close(fd);
        return rc;
    }
    log->lock_fd = fd;
    return 0;
}

static topic *find_topic(cer_log *log, const char *name)
{
    for (size_t i = 0; i < log->ntopics; i++)
        if (strcmp(log->topics[i]->name, name) == 0)
            return log->topics[i];
    return NULL;
}

static void topic_free(topic *t)
{
    if (!t)
        return;
    for (int32_t i = 0; t->parts && i < t->nparts; i++)
        cer_log__part_close(t->parts[i]);
    cer_log__free(t->parts);
    cer_log__free(t->name);
    cer_log__free(t);
}

/* Open (creating directories as needed) all partitions of a topic and register it. Caller holds
 * the write lock (or is open()). */
static int topic_load(cer_log *log, const char *name, int32_t n, bool write_meta, char *errstr,
                      size_t errstr_size)
{
    if (log->ntopics >= CER_LOG__MAX_TOPICS)
        return cerx_errf(CER_LOG_ELIMIT, errstr, errstr_size, "more than %d topics",
                         CER_LOG__MAX_TOPICS);
    int rc = cer_log__grow((void **)&log->topics, &log->tcap, log->ntopics + 1, sizeof *log->topics,
                           CER_LOG__MAX_TOPICS);
    topic *t = rc ? NULL : cer_log__calloc(1, sizeof *t);
    if (t) {
        t->name = cer_log__strdup(name);
        t->parts = cer_log__calloc((size_t)n, sizeof *t->parts);
    }
    if (!t || !t->name || !t->parts) {
        topic_free(t);
        return cerx_errf(CER_LOG_ENOMEM, errstr, errstr_size, "out of memory");
    }
    t->nparts = n;
    for (int32_t i = 0; i < n && rc == 0; i++)
        rc = cer_log__part_open(&t->parts[i], log->dir, name, i, &log->conf, errstr, errstr_size);
    if (rc == 0 && write_meta) {
        char path[CER_LOG__PATH_MAX], meta[64];
        int len = snprintf(meta, sizeof meta, "cerelay-topic 1\npartitions %d\n", (int)n);
        rc = cer_log__path(path, errstr, errstr_size, "%s/%s.topic", log->dir, name);
        if (rc == 0)
            rc =
                cer_log__write_atomic(log->dir, path, meta, (size_t)len, true, errstr, errstr_size);
    }
    if (rc) {
        topic_free(t);
        return rc;
    }
    log->topics[log->ntopics++] = t;
    return 0;
}

/* Parse DIR/<name>.topic. */
static int read_meta(cer_log *log, const char *name, int32_t *n, char *errstr, size_t errstr_size)
{
    char path[CER_LOG__PATH_MAX];
    int rc = cer_log__path(path, errstr, errstr_size, "%s/%s.topic", log->dir, name);
    char *data = NULL;
    size_t len;
    if (rc == 0)
        rc = cer_log__read_small(path, 4096, &data, &len, errstr, errstr_size);
    if (rc)
        return rc;
    int version = 0, parts = 0, used = 0;
    if (sscanf(data, "cerelay-topic %d\npartitions %d\n%n", &version, &parts, &used) != 2 ||
        (size_t)used != len)
        rc = cerx_errf(CER_LOG_ECORRUPT, errstr, errstr_size, "%s: malformed topic metadata", path);
    else if (version != 1)
        rc = cerx_errf(CER_LOG_EVERSION, errstr, errstr_size, "%s: metadata version %d", path,
                       version);
    else if (parts < 1 || parts > CER_LOG__MAX_PARTITIONS)
        rc = cerx_errf(CER_LOG_ECORRUPT, errstr, errstr_size, "%s: %d partitions", path, parts);
    cer_log__free(data);
    *n = parts;
    return rc;
}

static int load_topics(cer_log *log, char *errstr, size_t errstr_size)
{
    DIR *d = opendir(log->dir);
    if (!d)
        return cer_log__errno(errno, errstr, errstr_size, "opendir", log->dir);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 6 || strcmp(de->d_name + len - 6, ".topic") != 0)
            continue;
        char name[CER_LOG__NAME_MAX + 1];
        if (len - 6 > CER_LOG__NAME_MAX)
            continue;
        memcpy(name, de->d_name, len - 6);
        name[len - 6] = 0;
        if (!cer_log__name_valid(name))
            continue;
        int32_t n;
        rc = read_meta(log, name, &n, errstr, errstr_size);
        if (rc == 0)
            rc = topic_load(log, name, n, false, errstr, errstr_size);
    }
    closedir(d);
    return rc;
}

static void *flusher_main(void *arg)
{
    cer_log *log = arg;
    pthread_mutex_lock(&log->fmu);
    while (!log->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (log->conf.fsync_interval_ms % 1000) * 1000000;
        ts.tv_sec += (time_t)(log->conf.fsync_interval_ms / 1000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&log->fcv, &log->fmu, &ts);
        if (log->stopping)
            break;
        pthread_mutex_unlock(&log->fmu);
        pthread_rwlock_rdlock(&log->lock);
        for (size_t i = 0; i < log->ntopics; i++)
            for (int32_t k = 0; k < log->topics[i]->nparts; k++)
                cer_log__part_flush(log->topics[i]->parts[k], true, NULL, 0);
        pthread_rwlock_unlock(&log->lock);
        pthread_mutex_lock(&log->fmu);
    }
    pthread_mutex_unlock(&log->fmu);
    return NULL;
}

static int start_flusher(cer_log *log, char *errstr, size_t errstr_size)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int e = pthread_cond_init(&log->fcv, &ca);
    pthread_condattr_destroy(&ca);
    if (e == 0 && (e = pthread_create(&log->flusher, NULL, flusher_main, log)) != 0)
        pthread_cond_destroy(&log->fcv);
    if (e)
        return cer_log__errno(e, errstr, errstr_size, "start fsync thread for", log->dir);
    log->flusher_on = true;
    return 0;
}

static void log_free(cer_log *log)
{
    for (size_t i = 0; i < log->ntopics; i++)
        topic_free(log->topics[i]);
    cer_log__free(log->topics);
    if (log->lock_fd >= 0)
        close(log->lock_fd); /* releases the flock; the file stays (unlinking it would race) */
    pthread_rwlock_destroy(&log->lock);
    pthread_mutex_destroy(&log->fmu);
    cer_log__free(log);
}

int cer_log_open(cer_log **out, const char *dir, const cer_log_conf *conf, char *errstr,
                 size_t errstr_size)
{
    if (!out || !dir || !*dir)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "NULL or empty argument");
    *out = NULL;
    cer_log *log = cer_log__calloc(1, sizeof *log);
    if (!log)
        return cerx_errf(CER_LOG_ENOMEM, errstr, errstr_size, "out of memory");
    log->lock_fd = -1;
    pthread_rwlock_init(&log->lock, NULL);
    pthread_mutex_init(&log->fmu, NULL);
    if (conf)
        log->conf = *conf;
    else
        cer_log__conf_defaults(&log->conf);
    int rc = cer_log__path(log->dir, errstr, errstr_size, "%s", dir);
    if (rc == 0)
        rc = cer_log__mkdir(log->dir, errstr, errstr_size);
    if (rc == 0)
        rc = take_lock(log, errstr, errstr_size);
    if (rc == 0)
        rc = load_topics(log, errstr, errstr_size);
    if (rc == 0)
        rc = cer_log_retention_run(log, 0, NULL, errstr, errstr_size);
    if (rc == 0 && log->conf.fsync_policy == CER_LOG__FSYNC_INTERVAL)
        rc = start_flusher(log, errstr, errstr_size);
    if (rc) {
        log_free(log);
        return rc;
    }
    *out = log;
    return 0;
}

int cer_log_close(cer_log *log, char *errstr, size_t errstr_size)
{
    if (!log)
        return 0;
    if (log->flusher_on) {
        pthread_mutex_lock(&log->fmu);
        log->stopping = true;
        pthread_cond_signal(&log->fcv);
        pthread_mutex_unlock(&log->fmu);
        pthread_join(log->flusher, NULL);
        pthread_cond_destroy(&log->fcv);
    }
    int rc = cer_log_flush(log, errstr, errstr_size);
    log_free(log);
    return rc;
}

int cer_log_topic_create(cer_log *log, const char *name, int32_t partitions, char *errstr,
                         size_t errstr_size)
{
    if (!log || !cer_log__name_valid(name))
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "invalid topic name \"%s\": use 1..%d of [A-Za-z0-9._-]",
                         name ? name : "(null)", CER_LOG__NAME_MAX);
    if (partitions < 1 || partitions > CER_LOG__MAX_PARTITIONS)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "topic %s: partition count %d not in 1..%d", name, (int)partitions,
                         CER_LOG__MAX_PARTITIONS);
    pthread_rwlock_wrlock(&log->lock);
    int rc = 0;
    topic *t = find_topic(log, name);
    if (t && t->nparts != partitions)
        rc = cerx_errf(CER_LOG_EEXISTS, errstr, errstr_size,
                       "topic %s exists with %d partitions, not %d", name, (int)t->nparts,
                       (int)partitions);
    else if (!t)
        rc = topic_load(log, name, partitions, true, errstr, errstr_size);
    pthread_rwlock_unlock(&log->lock);
    return rc;
}

int32_t cer_log_topic_partitions(cer_log *log, const char *name)
{
    if (!log || !name)
        return CER_LOG_EINVAL;
    pthread_rwlock_rdlock(&log->lock);
    topic *t = find_topic(log, name);
    int32_t n = t ? t->nparts : CER_LOG_ENOTFOUND;
    pthread_rwlock_unlock(&log->lock);
    return n;
}

/* Find (or auto-create) a topic; returns it with no lock held (topics are stable). */
static int get_topic(cer_log *log, const char *name, bool create, topic **out, char *errstr,
                     size_t errstr_size)
{
    pthread_rwlock_rdlock(&log->lock);
    topic *t = find_topic(log, name);
    pthread_rwlock_unlock(&log->lock);
    if (!t && create) {
        int rc = cer_log_topic_create(log, name, (int32_t)log->conf.topic_partitions, errstr,
                                      errstr_size);
        if (rc && rc != CER_LOG_EEXISTS)
            return rc;
        pthread_rwlock_rdlock(&log->lock);
        t = find_topic(log, name);
        pthread_rwlock_unlock(&log->lock);
    }
    if (!t)
        return cerx_errf(CER_LOG_ENOTFOUND, errstr, errstr_size, "no topic \"%s\"",
                         name ? name : "(null)");
    *out = t;
    return 0;
}

int cer_log_append(cer_log *log, const char *name, int32_t partition, const cer_log_rec *rec,
                   int32_t *partition_out, int64_t *offset_out, char *errstr, size_t errstr_size)
{
    if (!log || !name || !rec)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "NULL argument");
    topic *t;
    int rc = get_topic(log, name, true, &t, errstr, errstr_size);
    if (rc)
        return rc;
    if (partition == CER_LOG_PARTITION_AUTO)
        partition =
            rec->key
                ? cer_log_partition_for_key(rec->key, rec->key_len, t->nparts)
                : (int32_t)(__atomic_fetch_add(&t->rr, 1, __ATOMIC_RELAXED) % (uint32_t)t->nparts);
    if (partition < 0 || partition >= t->nparts)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "topic %s has no partition %d (it has %d)", name, (int)partition,
                         (int)t->nparts);
    int64_t off;
    rc = cer_log__part_append(t->parts[partition], rec, 1, &off, errstr, errstr_size);
    if (rc == 0 && partition_out)
        *partition_out = partition;
    if (rc == 0 && offset_out)
        *offset_out = off;
    return rc;
}

int cer_log_append_batch(cer_log *log, const char *name, int32_t partition, const cer_log_rec *recs,
                         size_t n, int64_t *base_offset_out, char *errstr, size_t errstr_size)
{
    if (!log || !name || !recs || n == 0)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "NULL argument or empty batch");
    topic *t;
    int rc = get_topic(log, name, true, &t, errstr, errstr_size);
    if (rc)
        return rc;
    if (partition < 0 || partition >= t->nparts)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "topic %s has no partition %d (it has %d)", name, (int)partition,
                         (int)t->nparts);
    return cer_log__part_append(t->parts[partition], recs, n, base_offset_out, errstr, errstr_size);
}

int cer_log_flush(cer_log *log, char *errstr, size_t errstr_size)
{
    if (!log)
        return CER_LOG_EINVAL;
    int rc = 0;
    pthread_rwlock_rdlock(&log->lock);
    for (size_t i = 0; i < log->ntopics; i++) {
        for (int32_t k = 0; k < log->topics[i]->nparts; k++) {
            int e = cer_log__part_flush(log->topics[i]->parts[k], true, rc ? NULL : errstr,
                                        errstr_size);
            rc = rc ? rc : e;
        }
    }
    pthread_rwlock_unlock(&log->lock);
    return rc;
}

int cer_log_offsets(cer_log *log, const char *name, int32_t partition, int64_t *start, int64_t *end)
{
    topic *t;
    if (!log || !name || get_topic(log, name, false, &t, NULL, 0) != 0 || partition < 0 ||
        partition >= t->nparts)
        return CER_LOG_ENOTFOUND;
    cer_log__part_offsets(t->parts[partition], start, end);
    return 0;
}

int cer_log_retention_run(cer_log *log, int64_t now_ms, size_t *deleted, char *errstr,
                          size_t errstr_size)
{
    if (!log)
        return CER_LOG_EINVAL;
    int rc = 0;
    size_t total = 0;
    pthread_rwlock_rdlock(&log->lock);
    for (size_t i = 0; i < log->ntopics; i++) {
        for (int32_t k = 0; k < log->topics[i]->nparts; k++) {
            size_t before;
            do { /* one pass deletes at most 64 segments */
                before = total;
                int e = cer_log__part_retention(log->topics[i]->parts[k], now_ms, &total,
                                                rc ? NULL : errstr, errstr_size);
                rc = rc ? rc : e;
            } while (rc == 0 && total - before == 64);
        }
    }
    pthread_rwlock_unlock(&log->lock);
    if (deleted)
        *deleted = total;
    return rc;
}

int cer_log_delete_before(cer_log *log, const char *name, int32_t partition, int64_t before_offset,
                          size_t *deleted, char *errstr, size_t errstr_size)
{
    topic *t;
    if (!log || !name || before_offset < 0)
        return CER_LOG_EINVAL;
    pthread_rwlock_rdlock(&log->lock);
    int rc = get_topic(log, name, false, &t, NULL, 0);
    if (rc == 0 && (partition < 0 || partition >= t->nparts))
        rc = CER_LOG_ENOTFOUND;
    size_t total = 0, before;
    while (rc == 0) { /* one pass deletes at most 64 segments */
        before = total;
        rc = cer_log__part_delete_before(t->parts[partition], before_offset, &total, errstr,
                                         errstr_size);
        if (total - before < 64)
            break;
    }
    pthread_rwlock_unlock(&log->lock);
    if (deleted)
        *deleted = total;
    return rc;
}

void cer_log_stats_get(cer_log *log, cer_log_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_rwlock_rdlock(&log->lock);
    for (size_t i = 0; i < log->ntopics; i++)
        for (int32_t k = 0; k < log->topics[i]->nparts; k++)
            cer_log__part_stats(log->topics[i]->parts[k], out);
    pthread_rwlock_unlock(&log->lock);
}
