/* Writer side of one partition: opening and recovering its directory (validating sealed
 * segments, rebuilding indexes, truncating the active segment's torn tail), retention, offsets,
 * statistics and close. Appending lives in append.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/partition.h"

/* Remove temporary files a crash may have left (segment creation, atomic index writes). */
static void remove_temps(const char *pdir)
{
    DIR *d = opendir(pdir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strstr(de->d_name, ".tmp") && de->d_name[0] != '.') {
            char path[CER_LOG__PATH_MAX];
            if (cer_log__path(path, NULL, 0, "%s/%s", pdir, de->d_name) == 0)
                unlink(path);
        }
    }
    closedir(d);
}

static int open_seg(cer_log__part *p, int64_t base, int flags, int *fd, uint64_t *size, char *path,
                    char *errstr, size_t errstr_size)
{
    int rc = cer_log__path(path, errstr, errstr_size, "%s/%020lld.log", p->dir, (long long)base);
    if (rc)
        return rc;
    *fd = open(path, flags | O_CLOEXEC);
    if (*fd < 0)
        return cer_log__errno(errno, errstr, errstr_size, "open", path);
    struct stat st;
    if (fstat(*fd, &st) != 0) {
        rc = cer_log__errno(errno, errstr, errstr_size, "stat", path);
        close(*fd);
        *fd = -1;
        return rc;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

/* Read and check the segment header. */
static int check_header(int fd, uint64_t size, int64_t base, const char *path, int64_t *created,
                        char *errstr, size_t errstr_size)
{
    uint8_t hdr[CER_LOG__SEG_HDR];
    int64_t hb = 0;
    int rc = CER_LOG_ECORRUPT;
    if (size >= CER_LOG__SEG_HDR && cer_log__pread_full(fd, hdr, sizeof hdr, 0) == sizeof hdr)
        rc = cer_log__seg_header_decode(hdr, &hb, created);
    if (rc == 0 && hb != base)
        rc = CER_LOG_ECORRUPT;
    if (rc == CER_LOG_EVERSION)
        return cerx_errf(rc, errstr, errstr_size, "segment %s has format version %u", path,
                         cer_log__get16(hdr + 4));
    if (rc)
        return cerx_errf(rc, errstr, errstr_size, "segment %s: file header missing or corrupt",
                         path);
    return 0;
}

static int add_sealed(cer_log__part *p, const cer_log__seginfo *si)
{
    int rc =
        cer_log__grow((void **)&p->segs, &p->segcap, p->nsegs + 1, sizeof *p->segs, SIZE_MAX / 64);
    if (rc == 0)
        p->segs[p->nsegs++] = *si;
    return rc;
}

/* Fast check of a sealed segment whose index is sealed and well-formed: the records after the
 * last offset index entry must run cleanly to the end of the file. */
static bool sealed_tail_ok(cer_log__part *p, int fd, const char *path, uint64_t size,
                           const cer_log__index *ix, int64_t *next_offset)
{
    cer_log__cursor c;
    cer_log__cursor_init(&c, p->conf, (size_t)p->conf->max_record_bytes);
    cer_log__cursor_attach(&c, fd, path, ix->base);
    if (ix->on)
        cer_log__cursor_seek(&c, ix->o[ix->on - 1].pos, ix->base + ix->o[ix->on - 1].rel - 1);
    bool ok = true, any = false;
    for (;;) {
        cer_log_rec r;
        uint64_t pos;
        size_t sz;
        int err;
        cer_log__cur_status st = cer_log__cursor_next(&c, size, &r, &pos, &sz, &err);
        if (st == CER_LOG__CUR_END)
            break;
        if (st == CER_LOG__CUR_BIG) {
            cer_log__cursor_skip_big(&c);
        } else if (st != CER_LOG__CUR_REC || r.timestamp_ms > ix->max_ts) {
            ok = false;
            break;
        }
        any = true;
    }
    *next_offset = c.last_offset + 1;
    cer_log__cursor_free(&c);
    return ok && any;
}

static int load_sealed(cer_log__part *p, int64_t base, char *errstr, size_t errstr_size)
{
    char path[CER_LOG__PATH_MAX];
    int fd;
    uint64_t size;
    int64_t created;
    int rc = open_seg(p, base, O_RDONLY, &fd, &size, path, errstr, errstr_size);
    if (rc)
        return rc;
    rc = check_header(fd, size, base, path, &created, errstr, errstr_size);
    cer_log__index ix;
    bool complete = false;
    if (rc == 0)
        rc = cer_log__index_load(p->dir, base, size, &ix, &complete, errstr, errstr_size);
    if (rc) {
        close(fd);
        return rc;
    }
    int64_t next = base;
    if (complete && ix.sealed && ix.tn > 0)
        ix.max_ts = ix.t[ix.tn - 1].ts;
    if (!(complete && ix.sealed && ix.tn > 0 && sealed_tail_ok(p, fd, path, size, &ix, &next))) {
        cer_log__index_free(&ix);
        cer_log__report(p->conf, CER_LOG_LEVEL_WARN, "rebuilding the indexes of segment %s", path);
        uint64_t end;
        bool bad, shrt;
        rc = cer_log__seg_scan(p->dir, fd, base, p->conf, size, false, &ix, &end, &bad, &shrt,
                               errstr, errstr_size);
        if (rc) {
            close(fd);
            return rc;
        }
        if (bad)
            cer_log__report(p->conf, CER_LOG_LEVEL_ERROR,
                            "segment %s: %llu bytes from position %llu are not valid records "
                            "(sealed segment left unchanged; readers skip them)",
                            path, (unsigned long long)(size - end), (unsigned long long)end);
        next = ix.next_offset;
        if (cer_log__index_seal(&ix) == 0)
            rc = cer_log__index_write(p->dir, &ix, errstr, errstr_size);
    }
    close(fd);
    cer_log__seginfo si = {base, size, ix.records || ix.tn ? ix.max_ts : INT64_MIN, next};
    cer_log__index_free(&ix);
    if (rc == 0 && (rc = add_sealed(p, &si)) != 0)
        rc = cerx_errf(rc, errstr, errstr_size, "%s: out of memory", p->label);
    return rc;
}

static int open_index_fd(cer_log__part *p, int64_t base, bool time_index, int *fd, char *errstr,
                         size_t errstr_size)
{
    char path[CER_LOG__PATH_MAX];
    cer_log__index_path(path, p->dir, base, time_index);
    *fd = open(path, O_RDWR | O_CLOEXEC);
    if (*fd < 0)
        return cer_log__errno(errno, errstr, errstr_size, "open", path);
    return 0;
}

/* Become the writer of the active segment: scan it whole, truncate a torn or corrupt tail,
 * rewrite its indexes. Returns 1 when the file was a crashed roll's empty leftover and was
 * removed (the caller then makes the previous segment active). */
static int open_active(cer_log__part *p, int64_t base, char *errstr, size_t errstr_size)
{
    char path[CER_LOG__PATH_MAX];
    int fd;
    uint64_t size;
    int64_t created = cer_log__now_ms();
    int rc = open_seg(p, base, O_RDWR, &fd, &size, path, errstr, errstr_size);
    if (rc)
        return rc;
    rc = check_header(fd, size, base, path, &created, errstr, errstr_size);
    cer_log__index ix;
    uint64_t end = CER_LOG__SEG_HDR;
    bool bad = false, shrt = false;
    if (rc == CER_LOG_ECORRUPT && size <= CER_LOG__SEG_HDR + CER_LOG__REC_MIN) {
        /* Too short to hold a record: a segment whose creation was cut short. */
        cer_log__report(p->conf, CER_LOG_LEVEL_WARN,
                        "removing segment %s: incomplete file header and no records", path);
        close(fd);
        if (unlink(path) != 0)
            return cer_log__errno(errno, errstr, errstr_size, "unlink", path);
        rc = cer_log__fsync_dir(p->dir, errstr, errstr_size);
        return rc ? rc : 1;
    }
    if (rc == 0)
        rc = cer_log__seg_scan(p->dir, fd, base, p->conf, size, true, &ix, &end, &bad, &shrt,
                               errstr, errstr_size);
    if (rc) {
        close(fd);
        return rc;
    }
    if (end < size) {
        if (shrt)
            cer_log__report(p->conf, CER_LOG_LEVEL_INFO,
                            "segment %s: truncating a torn write of %llu bytes at position %llu",
                            path, (unsigned long long)(size - end), (unsigned long long)end);
        else
            cer_log__report(p->conf, CER_LOG_LEVEL_ERROR,
                            "segment %s: truncating %llu bytes at position %llu (offset %lld) "
                            "that fail their CRC32C or structure check",
                            path, (unsigned long long)(size - end), (unsigned long long)end,
                            (long long)ix.next_offset);
        if (ftruncate(fd, (off_t)end) != 0 || fdatasync(fd) != 0) {
            rc = cer_log__errno(errno, errstr, errstr_size, "truncate", path);
            cer_log__index_free(&ix);
            close(fd);
            return rc;
        }
    }
    ix.sealed = false;
    rc = cer_log__index_write(p->dir, &ix, errstr, errstr_size);
    if (rc == 0)
        rc = open_index_fd(p, base, false, &p->ofd, errstr, errstr_size);
    if (rc == 0)
        rc = open_index_fd(p, base, true, &p->tfd, errstr, errstr_size);
    if (rc) {
        cer_log__index_free(&ix);
        close(fd);
        return rc;
    }
    p->fd = fd;
    p->ix = ix;
    p->o_done = ix.on;
    p->t_done = ix.tn;
    p->size = p->assigned = end;
    p->created_ms = created;
    p->next_offset = p->written = p->synced = ix.next_offset;
    return 0;
}

static int create_first(cer_log__part *p, int64_t base, char *errstr, size_t errstr_size)
{
    int64_t now = cer_log__now_ms();
    int fd;
    int rc = cer_log__seg_create(p->dir, base, now, &fd, errstr, errstr_size);
    if (rc)
        return rc;
    close(fd);
    return open_active(p, base, errstr, errstr_size);
}

int cer_log__part_open(cer_log__part **out, const char *logdir, const char *topic, int32_t id,
                       const cer_log_conf *conf, char *errstr, size_t errstr_size)
{
    *out = NULL;
    cer_log__part *p = cer_log__calloc(1, sizeof *p);
    if (!p)
        return cerx_errf(CER_LOG_ENOMEM, errstr, errstr_size, "out of memory");
    p->conf = conf;
    p->fd = p->ofd = p->tfd = -1;
    p->pending.limit = p->spare.limit = (size_t)conf->max_pending_bytes;
    snprintf(p->label, sizeof p->label, "%s-%d", topic, (int)id);
    int64_t *bases = NULL;
    size_t n = 0;
    int rc = cer_log__path(p->dir, errstr, errstr_size, "%s/%s", logdir, p->label);
    if (rc == 0)
        rc = cer_log__mkdir(p->dir, errstr, errstr_size);
    if (rc == 0) {
        remove_temps(p->dir);
        rc = cer_log__list_segments(p->dir, &bases, &n, errstr, errstr_size);
    }
    for (size_t i = 0; rc == 0 && i + 1 < n; i++)
        rc = load_sealed(p, bases[i], errstr, errstr_size);
    if (rc == 0 && n == 0)
        rc = create_first(p, 0, errstr, errstr_size);
    else if (rc == 0) {
        rc = open_active(p, bases[n - 1], errstr, errstr_size);
        if (rc == 1 && p->nsegs) { /* the previous segment becomes active again */
            int64_t prev = p->segs[--p->nsegs].base;
            rc = open_active(p, prev, errstr, errstr_size);
        } else if (rc == 1) {
            rc = create_first(p, bases[n - 1], errstr, errstr_size);
        }
    }
    cer_log__free(bases);
    if (rc == 0 && p->nsegs && p->segs[p->nsegs - 1].next_offset != p->ix.base) {
        int64_t prev_end = p->segs[p->nsegs - 1].next_offset;
        cer_log__report(conf, CER_LOG_LEVEL_WARN,
                        "%s: segment %020lld.log starts at offset %lld but the previous "
                        "segment ends before offset %lld",
                        p->label, (long long)p->ix.base, (long long)p->ix.base,
                        (long long)prev_end);
        /* Overlap (only possible with damaged or tampered files): new records must still come
         * after every stored offset, or readers would skip them. */
        if (prev_end > p->next_offset && prev_end - p->ix.base <= UINT32_MAX)
            p->next_offset = p->written = p->synced = prev_end;
    }
    if (rc == 0 && (pthread_mutex_init(&p->mu, NULL) != 0 || pthread_cond_init(&p->cv, NULL))) {
        rc = cerx_errf(CER_LOG_ENOMEM, errstr, errstr_size, "cannot create mutex");
        pthread_mutex_destroy(&p->mu);
    }
    if (rc) {
        if (p->fd >= 0)
            close(p->fd);
        if (p->ofd >= 0)
            close(p->ofd);
        if (p->tfd >= 0)
            close(p->tfd);
        cer_log__index_free(&p->ix);
        cer_log__free(p->segs);
        cer_log__free(p);
        return rc;
    }
    p->last_sync_ms = cer_log__mono_ms();
    p->retention_due = true;
    *out = p;
    return 0;
}

void cer_log__part_close(cer_log__part *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    while (p->flushing)
        pthread_cond_wait(&p->cv, &p->mu);
    for (int i = 0; i < 64 && !p->failed; i++) {
        if (!(p->pending.len || p->synced < p->written || p->o_done < p->ix.on ||
              p->t_done < p->ix.tn))
            break;
        cer_log__part_lead(p, true);
    }
    pthread_mutex_unlock(&p->mu);
    close(p->fd);
    close(p->ofd);
    close(p->tfd);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    cer_log__index_free(&p->ix);
    cer_log__buf_free(&p->pending);
    cer_log__buf_free(&p->spare);
    cer_log__free(p->segs);
    cer_log__free(p);
}

void cer_log__part_offsets(cer_log__part *p, int64_t *start, int64_t *end)
{
    pthread_mutex_lock(&p->mu);
    if (start)
        *start = p->nsegs ? p->segs[0].base : p->ix.base;
    if (end)
        *end = p->next_offset;
    pthread_mutex_unlock(&p->mu);
}

void cer_log__part_stats(cer_log__part *p, cer_log_stats *acc)
{
    pthread_mutex_lock(&p->mu);
    acc->records += p->st.records;
    acc->bytes += p->st.bytes;
    acc->writes += p->st.writes;
    acc->fsyncs += p->st.fsyncs;
    acc->rolls += p->st.rolls;
    acc->segments += p->nsegs + 1;
    pthread_mutex_unlock(&p->mu);
}

/* Delete the oldest closed segments chosen by retention (before_offset < 0) or, with
 * before_offset >= 0, those whose records all lie below before_offset. */
static int part_delete(cer_log__part *p, int64_t now_ms, int64_t before_offset, size_t *deleted,
                       char *errstr, size_t errstr_size)
{
    const cer_log_conf *c = p->conf;
    if (now_ms == 0)
        now_ms = cer_log__now_ms();
    cer_log__seginfo victims[64];
    size_t nv = 0;
    pthread_mutex_lock(&p->mu);
    uint64_t total = p->size;
    for (size_t i = 0; i < p->nsegs; i++)
        total += p->segs[i].size;
    /* Kafka's rule: delete oldest segments while the rest still reach the limit, or while
     * their newest record is older than retention.ms; stop at the first one to keep. */
    while (nv < p->nsegs && nv < 64) {
        const cer_log__seginfo *s = &p->segs[nv];
        if (before_offset >= 0) {
            if (s->next_offset > before_offset)
                break;
        } else {
            bool by_size =
                c->retention_bytes >= 0 && total - s->size >= (uint64_t)c->retention_bytes;
            bool by_age = c->retention_ms >= 0 && s->max_ts < now_ms - c->retention_ms;
            if (!by_size && !by_age)
                break;
        }
        total -= s->size;
        victims[nv] = *s;
        nv++;
    }
    if (nv) {
        memmove(p->segs, p->segs + nv, (p->nsegs - nv) * sizeof *p->segs);
        p->nsegs -= nv;
    }
    pthread_mutex_unlock(&p->mu);
    int rc = 0;
    for (size_t i = 0; i < nv; i++) {
        static const char *const ext[] = {"log", "index", "timeindex"};
        for (int k = 0; k < 3; k++) {
            char path[CER_LOG__PATH_MAX];
            if (cer_log__path(path, NULL, 0, "%s/%020lld.%s", p->dir, (long long)victims[i].base,
                              ext[k]) != 0)
                continue;
            if (unlink(path) != 0 && errno != ENOENT && rc == 0)
                rc = cer_log__errno(errno, errstr, errstr_size, "unlink", path);
        }
        cer_log__report(c, CER_LOG_LEVEL_INFO,
                        "%s: retention deleted segment %020lld.log (%llu bytes, offsets "
                        "%lld..%lld)",
                        p->label, (long long)victims[i].base, (unsigned long long)victims[i].size,
                        (long long)victims[i].base, (long long)(victims[i].next_offset - 1));
    }
    if (nv && rc == 0)
        rc = cer_log__fsync_dir(p->dir, errstr, errstr_size);
    if (deleted)
        *deleted += nv;
    return rc;
}

int cer_log__part_retention(cer_log__part *p, int64_t now_ms, size_t *deleted, char *errstr,
                            size_t errstr_size)
{
    return part_delete(p, now_ms, -1, deleted, errstr, errstr_size);
}

int cer_log__part_delete_before(cer_log__part *p, int64_t before_offset, size_t *deleted,
                                char *errstr, size_t errstr_size)
{
    return part_delete(p, 0, before_offset, deleted, errstr, errstr_size);
}
