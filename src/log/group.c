/* Consumer groups: committed offsets per topic-partition in DIR/groups/<group>.offsets, a small
 * text file ending in its own CRC32C, replaced atomically under an flock on
 * DIR/groups/<group>.lock so that commits from several processes never overwrite each other. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log/internal.h"

#define LOCK_WAIT_MS   10000 /* longest wait for another process's commit */
#define LINE_MAX_BYTES (CER_LOG__NAME_MAX + 64)

typedef struct entry {
    char topic[CER_LOG__NAME_MAX + 1];
    int32_t partition;
    int64_t offset;
} entry;

struct cer_log_group {
    char dir[CER_LOG__PATH_MAX];
    char path[CER_LOG__PATH_MAX];
    char lock_path[CER_LOG__PATH_MAX];
    entry *e;
    size_t n, cap;
};

int cer_log_group_open(cer_log_group **out, const char *dir, const char *group, char *errstr,
                       size_t errstr_size)
{
    if (!out || !dir || !cer_log__name_valid(group))
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "invalid group name \"%s\": use 1..%d of [A-Za-z0-9._-]",
                         group ? group : "(null)", CER_LOG__NAME_MAX);
    *out = NULL;
    cer_log_group *g = cer_log__calloc(1, sizeof *g);
    if (!g)
        return cerx_errf(CER_LOG_ENOMEM, errstr, errstr_size, "out of memory");
    int rc = cer_log__path(g->dir, errstr, errstr_size, "%s/groups", dir);
    if (rc == 0)
        rc = cer_log__path(g->path, errstr, errstr_size, "%s/%s.offsets", g->dir, group);
    if (rc == 0)
        rc = cer_log__path(g->lock_path, errstr, errstr_size, "%s/%s.lock", g->dir, group);
    if (rc == 0)
        rc = cer_log__mkdir(g->dir, errstr, errstr_size);
    if (rc) {
        cer_log__free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void cer_log_group_close(cer_log_group *g)
{
    if (!g)
        return;
    cer_log__free(g->e);
    cer_log__free(g);
}

/* Load the file into g->e. A missing file is an empty group. */
static int load(cer_log_group *g, char *errstr, size_t errstr_size)
{
    g->n = 0;
    char *data;
    size_t len;
    int rc = cer_log__read_small(g->path, (size_t)CER_LOG__MAX_GROUP_ENTRIES * LINE_MAX_BYTES,
                                 &data, &len, errstr, errstr_size);
    if (rc == CER_LOG_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    /* The last line is "crc32c XXXXXXXX\n" over every byte before it. */
    const char *hdr = "cerelay-group 1\n";
    size_t body = len >= 16 ? len - 16 : 0;
    unsigned crc = 0;
    char nl = 0;
    if (len < 16 + strlen(hdr) || strncmp(data, hdr, strlen(hdr)) != 0 ||
        sscanf(data + body, "crc32c %8x%c", &crc, &nl) != 2 || nl != '\n' ||
        crc != cer_log_crc32c(0, data, body)) {
        cer_log__free(data);
        return cerx_errf(CER_LOG_ECORRUPT, errstr, errstr_size,
                         "group file %s fails its header or CRC32C check", g->path);
    }
    data[body] = 0;
    char *save = NULL;
    for (char *line = strtok_r(data + strlen(hdr), "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        entry e;
        long long off;
        int part, used = 0;
        if (sscanf(line, "%lld %d %200s%n", &off, &part, e.topic, &used) != 3 || line[used] != 0 ||
            off < 0 || part < 0 || !cer_log__name_valid(e.topic)) {
            rc = cerx_errf(CER_LOG_ECORRUPT, errstr, errstr_size,
                           "group file %s: malformed line \"%.80s\"", g->path, line);
            break;
        }
        e.partition = part;
        e.offset = off;
        rc = cer_log__grow((void **)&g->e, &g->cap, g->n + 1, sizeof *g->e,
                           CER_LOG__MAX_GROUP_ENTRIES);
        if (rc)
            rc = cerx_errf(rc, errstr, errstr_size, "group file %s: %s", g->path,
                           cer_log_strerror(rc));
        else
            g->e[g->n++] = e;
    }
    cer_log__free(data);
    return rc;
}

static entry *find(cer_log_group *g, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->e[i].partition == partition && strcmp(g->e[i].topic, topic) == 0)
            return &g->e[i];
    return NULL;
}

static int save(cer_log_group *g, char *errstr, size_t errstr_size)
{
    cer_log__buf b = {0};
    int rc = cer_log__buf_reserve(&b, 32 + g->n * LINE_MAX_BYTES);
    if (rc)
        return cerx_errf(rc, errstr, errstr_size, "out of memory");
    b.len = (size_t)sprintf((char *)b.ptr, "cerelay-group 1\n");
    for (size_t i = 0; i < g->n; i++)
        b.len += (size_t)sprintf((char *)b.ptr + b.len, "%" PRId64 " %d %s\n", g->e[i].offset,
                                 (int)g->e[i].partition, g->e[i].topic);
    b.len += (size_t)sprintf((char *)b.ptr + b.len, "crc32c %08x\n",
                             (unsigned)cer_log_crc32c(0, b.ptr, b.len));
    rc = cer_log__write_atomic(g->dir, g->path, b.ptr, b.len, true, errstr, errstr_size);
    cer_log__buf_free(&b);
    return rc;
}

/* Take the group's flock, waiting at most LOCK_WAIT_MS. */
static int lock_group(cer_log_group *g, int *fd, char *errstr, size_t errstr_size)
{
    *fd = open(g->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return cer_log__errno(errno, errstr, errstr_size, "open", g->lock_path);
    int64_t deadline = cer_log__mono_ms() + LOCK_WAIT_MS;
    while (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || cer_log__mono_ms() > deadline) {
            int e = errno;
            close(*fd);
            if (e == EWOULDBLOCK)
                return cerx_errf(CER_LOG_ELOCKED, errstr, errstr_size,
                                 "%s held by another process for over %d ms", g->lock_path,
                                 LOCK_WAIT_MS);
            return cer_log__errno(e, errstr, errstr_size, "flock", g->lock_path);
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

int cer_log_group_commit_many(cer_log_group *g, const char *topic, size_t n,
                              const int32_t *partitions, const int64_t *next_offsets, char *errstr,
                              size_t errstr_size)
{
    if (!g || !cer_log__name_valid(topic) || (n && (!partitions || !next_offsets)))
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "invalid commit (topic \"%s\")",
                         topic ? topic : "(null)");
    for (size_t i = 0; i < n; i++)
        if (partitions[i] < 0 || next_offsets[i] < 0)
            return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                             "invalid commit (topic \"%s\", partition %d, offset %lld)", topic,
                             (int)partitions[i], (long long)next_offsets[i]);
    if (n == 0)
        return 0;
    int fd;
    int rc = lock_group(g, &fd, errstr, errstr_size);
    if (rc)
        return rc;
    rc = load(g, errstr, errstr_size);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        entry *e = find(g, topic, partitions[i]);
        if (!e) {
            rc = cer_log__grow((void **)&g->e, &g->cap, g->n + 1, sizeof *g->e,
                               CER_LOG__MAX_GROUP_ENTRIES);
            if (rc) {
                rc = cerx_errf(rc, errstr, errstr_size, "group %s: %s", g->path,
                               cer_log_strerror(rc));
                break;
            }
            e = &g->e[g->n++];
            snprintf(e->topic, sizeof e->topic, "%s", topic);
            e->partition = partitions[i];
        }
        e->offset = next_offsets[i];
    }
    if (rc == 0)
        rc = save(g, errstr, errstr_size);
    close(fd); /* releases the flock */
    return rc;
}

int cer_log_group_commit(cer_log_group *g, const char *topic, int32_t partition,
                         int64_t next_offset, char *errstr, size_t errstr_size)
{
    if (!g || !cer_log__name_valid(topic) || partition < 0 || next_offset < 0)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "invalid commit (topic \"%s\", partition %d, offset %lld)",
                         topic ? topic : "(null)", (int)partition, (long long)next_offset);
    return cer_log_group_commit_many(g, topic, 1, &partition, &next_offset, errstr, errstr_size);
}

int cer_log_group_committed(cer_log_group *g, const char *topic, int32_t partition,
                            int64_t *next_offset, char *errstr, size_t errstr_size)
{
    if (!g || !topic || !next_offset)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "NULL argument");
    int rc = load(g, errstr, errstr_size);
    if (rc)
        return rc;
    entry *e = find(g, topic, partition);
    if (!e)
        return cerx_errf(CER_LOG_ENOTFOUND, errstr, errstr_size, "group %s has no offset for %s-%d",
                         g->path, topic, (int)partition);
    *next_offset = e->offset;
    return 0;
}
