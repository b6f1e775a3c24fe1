/* Readers: follow one partition from any process without a lock. A reader walks segment files
 * read-only with a cursor, uses the sparse indexes (when they check out) to seek by offset or
 * timestamp, steps to the next segment once a newer one exists, and in follow mode sleeps on
 * inotify until the writer appends. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef CER_LOG_HAVE_INOTIFY
#include <sys/inotify.h>
#endif

#include "log/internal.h"

struct cer_log_reader {
    char pdir[CER_LOG__PATH_MAX];
    cer_log_conf conf;
    int64_t *segs; /* last directory listing */
    size_t nsegs;
    int fd;
    int64_t seg_base;
    uint64_t size; /* size of the open segment when last checked (fstat only at its end) */
    bool have_seg;
    cer_log__cursor cur;
    int64_t position; /* next offset wanted */
    int ino_fd;
    bool armed;
    int64_t warned_base; /* corrupt tail already reported at (warned_base, warned_pos) */
    uint64_t warned_pos;
};

static int refresh(cer_log_reader *r, char *errstr, size_t errstr_size)
{
    cer_log__free(r->segs);
    r->segs = NULL;
    r->nsegs = 0;
    return cer_log__list_segments(r->pdir, &r->segs, &r->nsegs, errstr, errstr_size);
}

/* First listed segment with base > b, or -1. */
static int64_t next_after(const cer_log_reader *r, int64_t b)
{
    for (size_t i = 0; i < r->nsegs; i++)
        if (r->segs[i] > b)
            return r->segs[i];
    return -1;
}

static void close_seg(cer_log_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->have_seg = false;
}

/* Open segment `base` (from the current listing). Returns 0, CER_LOG_ENOTFOUND (deleted since
 * the listing), CER_LOG_ECORRUPT (bad header, reported) or another error. */
static int open_seg(cer_log_reader *r, int64_t base, char *errstr, size_t errstr_size)
{
    close_seg(r);
    char path[CER_LOG__PATH_MAX];
    int rc = cer_log__path(path, errstr, errstr_size, "%s/%020lld.log", r->pdir, (long long)base);
    if (rc)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CER_LOG_ENOTFOUND
                               : cer_log__errno(errno, errstr, errstr_size, "open", path);
    uint8_t hdr[CER_LOG__SEG_HDR];
    int64_t hb = -1, created;
    if (cer_log__pread_full(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr ||
        cer_log__seg_header_decode(hdr, &hb, &created) != 0 || hb != base) {
        close(fd);
        cer_log__report(&r->conf, CER_LOG_LEVEL_ERROR,
                        "segment %s: file header missing or corrupt; skipping the segment", path);
        return CER_LOG_ECORRUPT;
    }
    r->fd = fd;
    r->seg_base = base;
    r->size = 0;
    r->have_seg = true;
    cer_log__cursor_attach(&r->cur, fd, path, base);
    r->cur.open_tail = next_after(r, base) < 0;
    return 0;
}

static uint64_t file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Does the record at pos claim offset `want`? (A cheap check of an index hint; the cursor
 * verifies the checksum when it reads the record.) */
static bool offset_at(cer_log_reader *r, uint64_t pos, int64_t want)
{
    uint8_t b[CER_LOG__REC_FIXED];
    return cer_log__pread_full(r->fd, b, sizeof b, pos) == (ssize_t)sizeof b &&
           (int64_t)cer_log__get64(b + 12) == want;
}

/* Position the open segment's cursor at the index entry for `offset` or timestamp `ts`. */
static void index_hint(cer_log_reader *r, bool by_time, int64_t target, cer_log__index *ix)
{
    bool complete;
    cer_log__index_init(ix, r->seg_base);
    if (cer_log__index_load(r->pdir, r->seg_base, file_size(r->fd), ix, &complete, NULL, 0))
        return;
    uint32_t rel = 0, pos = 0;
    if (by_time) {
        const cer_log__tent *t = cer_log__index_find_time(ix, target);
        if (t)
            rel = t->rel, pos = t->pos;
    } else {
        const cer_log__oent *o = cer_log__index_find_offset(ix, target);
        if (o)
            rel = o->rel, pos = o->pos;
    }
    if (pos && offset_at(r, pos, r->seg_base + rel))
        cer_log__cursor_seek(&r->cur, pos, r->seg_base + rel - 1);
}

/* Open the segment that holds r->position. Leaves have_seg false when there is none yet. */
static int locate(cer_log_reader *r, char *errstr, size_t errstr_size)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        int rc = refresh(r, errstr, errstr_size);
        if (rc || r->nsegs == 0)
            return rc;
        size_t i = 0;
        while (i + 1 < r->nsegs && r->segs[i + 1] <= r->position)
            i++;
        if (r->position < r->segs[0]) {
            if (r->position > 0)
                cer_log__report(&r->conf, CER_LOG_LEVEL_INFO,
                                "%s: offset %lld is no longer stored; continuing at %lld", r->pdir,
                                (long long)r->position, (long long)r->segs[0]);
            r->position = r->segs[0];
        }
        rc = open_seg(r, r->segs[i], errstr, errstr_size);
        if (rc == CER_LOG_ECORRUPT && i + 1 < r->nsegs) {
            r->position = r->segs[i + 1];
            continue;
        }
        if (rc == CER_LOG_ECORRUPT)
            return 0; /* the newest segment is unreadable: wait for a newer one */
        if (rc == CER_LOG_ENOTFOUND)
            continue; /* deleted by retention since the listing */
        if (rc)
            return rc;
        cer_log__index ix;
        index_hint(r, false, r->position, &ix);
        cer_log__index_free(&ix);
        return 0;
    }
    return cerx_errf(CER_LOG_EIO, errstr, errstr_size, "%s: segments keep disappearing", r->pdir);
}

int cer_log_reader_open(cer_log_reader **out, const char *dir, const char *topic, int32_t partition,
                        const cer_log_conf *conf, char *errstr, size_t errstr_size)
{
    if (!out || !dir || !cer_log__name_valid(topic) || partition < 0)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "invalid reader arguments (topic \"%s\", partition %d)",
                         topic ? topic : "(null)", (int)partition);
    *out = NULL;
    cer_log_reader *r = cer_log__calloc(1, sizeof *r);
    if (!r)
        return cerx_errf(CER_LOG_ENOMEM, errstr, errstr_size, "out of memory");
    r->fd = r->ino_fd = -1;
    r->warned_base = -1;
    if (conf)
        r->conf = *conf;
    else
        cer_log__conf_defaults(&r->conf);
    cer_log__cursor_init(&r->cur, &r->conf, (size_t)r->conf.max_record_bytes);
    int rc = cer_log__path(r->pdir, errstr, errstr_size, "%s/%s-%d", dir, topic, (int)partition);
    struct stat st;
    if (rc == 0 && stat(r->pdir, &st) != 0)
        rc = errno == ENOENT ? cerx_errf(CER_LOG_ENOTFOUND, errstr, errstr_size,
                                         "partition directory %s does not exist", r->pdir)
                             : cer_log__errno(errno, errstr, errstr_size, "stat", r->pdir);
    if (rc == 0)
        rc = cer_log_reader_seek(r, CER_LOG_SEEK_EARLIEST, 0, errstr, errstr_size);
    if (rc) {
        cer_log_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

void cer_log_reader_close(cer_log_reader *r)
{
    if (!r)
        return;
    close_seg(r);
    if (r->ino_fd >= 0)
        close(r->ino_fd);
    cer_log__cursor_free(&r->cur);
    cer_log__free(r->segs);
    cer_log__free(r);
}

int64_t cer_log_reader_position(const cer_log_reader *r)
{
    return r->position;
}

/* Walk the open segment to its end; position after its last record. */
static int seek_end(cer_log_reader *r, char *errstr, size_t errstr_size)
{
    for (;;) {
        cer_log_rec rec;
        uint64_t pos;
        size_t sz;
        int err;
        cer_log__cur_status st =
            cer_log__cursor_next(&r->cur, file_size(r->fd), &rec, &pos, &sz, &err);
        if (st == CER_LOG__CUR_ERR)
            return cerx_errf(err, errstr, errstr_size, "%s: %s", r->cur.path,
                             cer_log_strerror(err));
        if (st == CER_LOG__CUR_BIG)
            cer_log__cursor_skip_big(&r->cur);
        if (st == CER_LOG__CUR_END || st == CER_LOG__CUR_TAIL)
            break;
    }
    r->position = r->cur.last_offset + 1;
    return 0;
}

static int seek_latest(cer_log_reader *r, char *errstr, size_t errstr_size)
{
    int rc = refresh(r, errstr, errstr_size);
    if (rc || r->nsegs == 0)
        return rc;
    rc = open_seg(r, r->segs[r->nsegs - 1], errstr, errstr_size);
    if (rc == CER_LOG_ECORRUPT || rc == CER_LOG_ENOTFOUND) {
        r->position = r->segs[r->nsegs - 1];
        return 0;
    }
    if (rc)
        return rc;
    cer_log__index ix;
    index_hint(r, false, INT64_MAX, &ix);
    cer_log__index_free(&ix);
    return seek_end(r, errstr, errstr_size);
}

/* Leave the cursor before the first record with timestamp >= ts in the open segment; returns
 * true when found. */
static bool scan_time(cer_log_reader *r, int64_t ts)
{
    for (;;) {
        cer_log_rec rec;
        uint64_t pos;
        size_t sz;
        int err;
        int64_t before = r->cur.last_offset;
        cer_log__cur_status st =
            cer_log__cursor_next(&r->cur, file_size(r->fd), &rec, &pos, &sz, &err);
        int64_t off = st == CER_LOG__CUR_BIG ? r->cur.big_offset : rec.offset;
        int64_t rts = st == CER_LOG__CUR_BIG ? r->cur.big_ts : rec.timestamp_ms;
        if (st == CER_LOG__CUR_BIG)
            pos = r->cur.pos;
        if (st == CER_LOG__CUR_REC || st == CER_LOG__CUR_BIG) {
            if (rts >= ts) {
                cer_log__cursor_seek(&r->cur, pos, before);
                r->position = off;
                return true;
            }
            if (st == CER_LOG__CUR_BIG)
                cer_log__cursor_skip_big(&r->cur);
        } else if (st != CER_LOG__CUR_SKIP) {
            return false;
        }
    }
}

static int seek_time(cer_log_reader *r, int64_t ts, char *errstr, size_t errstr_size)
{
    int rc = refresh(r, errstr, errstr_size);
    for (size_t i = 0; rc == 0 && i < r->nsegs; i++) {
        rc = open_seg(r, r->segs[i], errstr, errstr_size);
        if (rc == CER_LOG_ECORRUPT || rc == CER_LOG_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc)
            return rc;
        cer_log__index ix;
        index_hint(r, true, ts, &ix);
        /* A sealed index's last time entry is the segment's newest timestamp. */
        bool older = ix.sealed && ix.tn && ix.t[ix.tn - 1].ts < ts;
        cer_log__index_free(&ix);
        if (!older && scan_time(r, ts))
            return 0;
    }
    return rc ? rc : seek_latest(r, errstr, errstr_size);
}

int cer_log_reader_seek(cer_log_reader *r, cer_log_whence whence, int64_t arg, char *errstr,
                        size_t errstr_size)
{
    if (!r)
        return CER_LOG_EINVAL;
    close_seg(r);
    switch (whence) {
    case CER_LOG_SEEK_EARLIEST:
        r->position = 0;
        return 0;
    case CER_LOG_SEEK_OFFSET:
        if (arg < 0)
            return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "negative offset %lld",
                             (long long)arg);
        r->position = arg;
        return 0;
    case CER_LOG_SEEK_LATEST:
        return seek_latest(r, errstr, errstr_size);
    case CER_LOG_SEEK_TIME:
        return seek_time(r, arg, errstr, errstr_size);
    }
    return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "unknown whence %d", (int)whence);
}

/* Sleep until the partition directory changes or `ms` pass. */
static void wait_change(cer_log_reader *r, int64_t ms)
{
    if (r->ino_fd >= 0) {
        struct pollfd pfd = {r->ino_fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)ms) > 0) {
            char buf[4096];
            while (read(r->ino_fd, buf, sizeof buf) > 0) {
            }
        }
        return;
    }
    if (ms > 20) /* no inotify: sleep in short slices */
        ms = 20;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void arm(cer_log_reader *r)
{
    r->armed = true;
#ifdef CER_LOG_HAVE_INOTIFY
    r->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (r->ino_fd >= 0 &&
        inotify_add_watch(r->ino_fd, r->pdir,
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE) < 0) {
        close(r->ino_fd);
        r->ino_fd = -1;
    }
#endif
}

int cer_log_reader_next(cer_log_reader *r, cer_log_rec *out, int timeout_ms, char *errstr,
                        size_t errstr_size)
{
    if (!r || !out || timeout_ms < 0 || timeout_ms > CER_LOG_MAX_WAIT_MS)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                         "invalid arguments (timeout %d ms, at most %d)", timeout_ms,
                         CER_LOG_MAX_WAIT_MS);
    int64_t deadline = cer_log__mono_ms() + timeout_ms;
    for (;;) {
        int rc;
        if (!r->have_seg && (rc = locate(r, errstr, errstr_size)) != 0)
            return rc;
        if (r->have_seg) {
            uint64_t pos;
            size_t sz;
            int err;
            cer_log__cur_status st = cer_log__cursor_next(&r->cur, r->size, out, &pos, &sz, &err);
            if (st == CER_LOG__CUR_END || st == CER_LOG__CUR_TAIL) {
                uint64_t now = file_size(r->fd);
                if (now != r->size) { /* the writer appended since we last looked */
                    r->size = now;
                    continue;
                }
            }
            if (st == CER_LOG__CUR_REC) {
                if (out->offset < r->position)
                    continue;
                r->position = out->offset + 1;
                return 0;
            }
            if (st == CER_LOG__CUR_SKIP) {
                cer_log__report(&r->conf, CER_LOG_LEVEL_ERROR,
                                "corrupt record in segment %s at position %llu (offset %lld): "
                                "CRC32C or structure check failed; %llu bytes skipped, offsets "
                                "%lld..%lld unreadable",
                                r->cur.path, (unsigned long long)r->cur.bad_pos,
                                (long long)(r->cur.last_offset + 1),
                                (unsigned long long)(r->cur.bad_end - r->cur.bad_pos),
                                (long long)(r->cur.last_offset + 1),
                                (long long)(r->cur.skip_offset - 1));
                continue;
            }
            if (st == CER_LOG__CUR_BIG) {
                int64_t off = r->cur.big_offset;
                uint64_t bpos = r->cur.pos;
                cer_log__cursor_skip_big(&r->cur);
                if (off < r->position)
                    continue;
                r->position = off + 1;
                return cerx_errf(CER_LOG_ETOOBIG, errstr, errstr_size,
                                 "record at offset %lld (segment %s, position %llu) is %zu "
                                 "bytes, over max.record.bytes; skipped",
                                 (long long)off, r->cur.path, (unsigned long long)bpos,
                                 r->cur.big_size);
            }
            if (st == CER_LOG__CUR_ERR)
                return cerx_errf(err, errstr, errstr_size, "reading %s: %s", r->cur.path,
                                 cer_log_strerror(err));
            /* END or TAIL: is this segment finished? */
            if ((rc = refresh(r, errstr, errstr_size)) != 0)
                return rc;
            int64_t nb = next_after(r, r->seg_base);
            if (st == CER_LOG__CUR_TAIL && !r->cur.tail_short &&
                (r->warned_base != r->seg_base || r->warned_pos != r->cur.pos)) {
                r->warned_base = r->seg_base;
                r->warned_pos = r->cur.pos;
                cer_log__report(&r->conf, nb < 0 ? CER_LOG_LEVEL_WARN : CER_LOG_LEVEL_ERROR,
                                "segment %s: bytes at position %llu (offset %lld) fail their "
                                "CRC32C or structure check and no valid record follows%s",
                                r->cur.path, (unsigned long long)r->cur.pos,
                                (long long)(r->cur.last_offset + 1),
                                nb < 0 ? " (corrupt, or a write in progress)" : "");
            }
            if (nb >= 0 && r->cur.open_tail) {
                /* A newer segment exists, so this one is complete: one more pass to its end. */
                r->cur.open_tail = false;
                r->size = file_size(r->fd);
                continue;
            }
            if (nb >= 0) {
                rc = open_seg(r, nb, errstr, errstr_size);
                if (rc && rc != CER_LOG_ECORRUPT && rc != CER_LOG_ENOTFOUND)
                    return rc;
                if (rc) { /* unreadable or deleted meanwhile: let locate() sort it out */
                    close_seg(r);
                    if (r->position < nb)
                        r->position = nb;
                }
                continue;
            }
        }
        int64_t remain = deadline - cer_log__mono_ms();
        if (remain <= 0)
            return CER_LOG_EAGAIN;
        if (!r->armed) {
            arm(r); /* check once more after arming, so no append slips between */
            continue;
        }
        wait_change(r, remain);
    }
}
