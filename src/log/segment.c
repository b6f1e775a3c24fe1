/* Segment files: the versioned file header, atomic creation, and the cursor that walks a
 * segment's records, telling valid records from a torn tail and from corruption it can skip
 * (re-synchronising on the next valid record). Shared by recovery, index rebuilds and readers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log/internal.h"

void cer_log__seg_header_encode(uint8_t out[CER_LOG__SEG_HDR], int64_t base, int64_t created_ms)
{
    memset(out, 0, CER_LOG__SEG_HDR);
    memcpy(out, CER_LOG__SEG_MAGIC, 4);
    cer_log__put16(out + 4, CER_LOG__VERSION);
    cer_log__put64(out + 8, (uint64_t)base);
    cer_log__put64(out + 16, (uint64_t)created_ms);
    cer_log__put32(out + 28, cer_log_crc32c(0, out, 28));
}

int cer_log__seg_header_decode(const uint8_t *in, int64_t *base, int64_t *created_ms)
{
    if (memcmp(in, CER_LOG__SEG_MAGIC, 4) != 0 ||
        cer_log_crc32c(0, in, 28) != cer_log__get32(in + 28))
        return CER_LOG_ECORRUPT;
    if (cer_log__get16(in + 4) != CER_LOG__VERSION)
        return CER_LOG_EVERSION;
    *base = (int64_t)cer_log__get64(in + 8);
    if (*base < 0 || *base > CER_LOG__MAX_OFFSET)
        return CER_LOG_ECORRUPT;
    *created_ms = (int64_t)cer_log__get64(in + 16);
    return 0;
}

int cer_log__seg_create(const char *pdir, int64_t base, int64_t created_ms, int *fd_out,
                        char *errstr, size_t errstr_size)
{
    char path[CER_LOG__PATH_MAX], tmp[CER_LOG__PATH_MAX];
    int rc = cer_log__path(path, errstr, errstr_size, "%s/%020lld.log", pdir, (long long)base);
    if (rc == 0)
        rc = cer_log__path(tmp, errstr, errstr_size, "%s.tmp", path);
    if (rc)
        return rc;
    /* Written under a temporary name and renamed, so a reader never sees a partial header. */
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return cer_log__errno(errno, errstr, errstr_size, "create", tmp);
    uint8_t hdr[CER_LOG__SEG_HDR];
    cer_log__seg_header_encode(hdr, base, created_ms);
    int e = cer_log__pwrite_all(fd, hdr, sizeof hdr, 0);
    if (e == 0 && fdatasync(fd) != 0)
        e = -errno;
    if (e == 0 && link(tmp, path) != 0)
        e = -errno; /* link, not rename: fails instead of replacing an existing segment */
    unlink(tmp);
    if (e) {
        close(fd);
        return cer_log__errno(-e, errstr, errstr_size, "create segment", path);
    }
    rc = cer_log__fsync_dir(pdir, errstr, errstr_size);
    if (rc) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}

/* ---- cursor ------------------------------------------------------------------------------ */

void cer_log__cursor_init(cer_log__cursor *c, const cer_log_conf *conf, size_t max_record)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->conf = conf;
    c->max_record = max_record;
}

void cer_log__cursor_attach(cer_log__cursor *c, int fd, const char *path, int64_t base)
{
    c->fd = fd;
    snprintf(c->path, sizeof c->path, "%s", path);
    c->base = base;
    c->buf.len = 0;
    c->win_pos = 0;
    c->open_tail = false;
    cer_log__cursor_seek(c, CER_LOG__SEG_HDR, base - 1);
}

void cer_log__cursor_seek(cer_log__cursor *c, uint64_t pos, int64_t last_offset)
{
    c->pos = pos;
    c->last_offset = last_offset;
}

void cer_log__cursor_free(cer_log__cursor *c)
{
    cer_log__buf_free(&c->buf);
    cer_log__free(c->hdrs);
    c->hdrs = NULL;
    c->hdr_cap = 0;
}

/* A record's offset must follow the previous one and stay within 2^32 of the segment base (index
 * entries hold it relative to the base in 32 bits). */
static bool offset_fits(const cer_log__cursor *c, int64_t off)
{
    return off > c->last_offset && (uint64_t)(off - c->base) <= UINT32_MAX;
}

/* Make the window hold [pos, pos+need) (or up to EOF). *p points at pos; returns the number of
 * bytes available there, or -errno. */
static ssize_t window(cer_log__cursor *c, uint64_t pos, size_t need, uint64_t size,
                      const uint8_t **p)
{
    uint64_t infile = size > pos ? size - pos : 0;
    size_t want = need < infile ? need : (size_t)infile;
    if (!(pos >= c->win_pos && pos + want <= c->win_pos + c->buf.len)) {
        size_t chunk = need > CER_LOG__READ_CHUNK ? need : CER_LOG__READ_CHUNK;
        if (chunk > infile)
            chunk = (size_t)infile;
        c->buf.len = 0;
        if (cer_log__buf_reserve(&c->buf, chunk ? chunk : 1))
            return -ENOMEM;
        ssize_t n = cer_log__pread_full(c->fd, c->buf.ptr, chunk, pos);
        if (n < 0)
            return n;
        c->buf.len = (size_t)n;
        c->win_pos = pos;
    }
    *p = c->buf.ptr + (pos - c->win_pos);
    return (ssize_t)(c->win_pos + c->buf.len - pos);
}

/* Is there a valid record at q, at most (q - c->pos) / REC_MIN + 1 offsets after the last one?
 * Returns 1/0 (its offset in *off), or -errno. */
static int valid_at(cer_log__cursor *c, uint64_t q, uint64_t size, int64_t *off)
{
    const uint8_t *p;
    ssize_t n = window(c, q, CER_LOG__REC_FIXED, size, &p);
    if (n < 0)
        return (int)n;
    if (n < (ssize_t)CER_LOG__REC_FIXED)
        return 0;
    uint64_t total = (uint64_t)cer_log__get32(p) + 4;
    *off = (int64_t)cer_log__get64(p + 12);
    int64_t most = c->last_offset + 1 + (int64_t)((q - c->pos) / CER_LOG__REC_MIN);
    if (total < CER_LOG__REC_MIN || total > c->max_record || q + total > size ||
        !offset_fits(c, *off) || *off > most)
        return 0;
    n = window(c, q, (size_t)total, size, &p);
    if (n < 0)
        return (int)n;
    int64_t o, ts;
    size_t nh;
    return n >= (ssize_t)total && cer_log__rec_check(p, (size_t)total, &o, &ts, &nh);
}

/* The bytes at c->pos are not a valid record: find the next valid one. `total` is the length
 * the bad record claims (0 if unusable). When the record right after that length is the one
 * expected after a single bad record, the damage was inside the record and only it is lost;
 * otherwise search byte by byte for the earliest valid record. */
static cer_log__cur_status resync(cer_log__cursor *c, uint64_t size, uint64_t total, int *err)
{
    uint64_t found = 0;
    int64_t off = 0;
    int v = 0;
    if (total && c->pos + total < size) {
        v = valid_at(c, c->pos + total, size, &off);
        if (v > 0 && off == c->last_offset + 2)
            found = c->pos + total;
    }
    for (uint64_t q = c->pos + 1; !found && v >= 0 && q + CER_LOG__REC_MIN <= size; q++) {
        v = valid_at(c, q, size, &off);
        if (v > 0)
            found = q;
    }
    if (v < 0) {
        *err = cer_log__errno(-v, NULL, 0, "read", c->path);
        return CER_LOG__CUR_ERR;
    }
    if (!found) {
        c->tail_short = false;
        c->buf.len = 0;
        return CER_LOG__CUR_TAIL;
    }
    c->bad_pos = c->pos;
    c->bad_end = found;
    c->skip_offset = off;
    c->pos = found;
    return CER_LOG__CUR_SKIP;
}

/* A record larger than max_record: checksum it in chunks without holding it whole. */
static cer_log__cur_status check_big(cer_log__cursor *c, uint64_t size, uint64_t total, int *err)
{
    const uint8_t *p;
    ssize_t n = window(c, c->pos, CER_LOG__REC_FIXED, size, &p);
    if (n < (ssize_t)CER_LOG__REC_FIXED)
        return resync(c, size, 0, err);
    uint32_t want = cer_log__get32(p + 4);
    int64_t off = (int64_t)cer_log__get64(p + 12);
    int64_t ts = (int64_t)cer_log__get64(p + 20);
    uint32_t crc = 0;
    for (uint64_t q = c->pos + 8; q < c->pos + total;) {
        size_t step = CER_LOG__READ_CHUNK;
        if (step > c->pos + total - q)
            step = (size_t)(c->pos + total - q);
        n = window(c, q, step, size, &p);
        if (n < (ssize_t)step) {
            *err = cer_log__errno(n < 0 ? (int)-n : EIO, NULL, 0, "read", c->path);
            return CER_LOG__CUR_ERR;
        }
        crc = cer_log_crc32c(crc, p, step);
        q += step;
    }
    if (crc != want || !offset_fits(c, off))
        return resync(c, size, total, err);
    c->big_size = (size_t)total;
    c->big_offset = off;
    c->big_ts = ts;
    return CER_LOG__CUR_BIG;
}

cer_log__cur_status cer_log__cursor_next(cer_log__cursor *c, uint64_t size, cer_log_rec *out,
                                         uint64_t *rec_pos, size_t *rec_size, int *err)
{
    *err = 0;
    if (c->pos >= size) {
        c->buf.len = 0; /* bytes past the end may change: never cache them */
        return CER_LOG__CUR_END;
    }
    const uint8_t *p;
    ssize_t n = window(c, c->pos, CER_LOG__REC_FIXED, size, &p);
    if (n < 0) {
        *err = cer_log__errno((int)-n, NULL, 0, "read", c->path);
        return CER_LOG__CUR_ERR;
    }
    uint64_t total = 0;
    bool short_frame = false;
    if (n < 4) {
        short_frame = true;
    } else {
        total = (uint64_t)cer_log__get32(p) + 4;
        if (total < CER_LOG__REC_MIN || total > CER_LOG__RECORD_LIMIT)
            return resync(c, size, 0, err);
        if (c->pos + total > size)
            short_frame = true;
    }
    if (short_frame) {
        /* A record cut short at the end of a segment that may still grow is a write in progress
         * or a torn write: never search inside it (its bytes may embed record-like data). */
        if (c->open_tail) {
            c->tail_short = true;
            c->buf.len = 0;
            return CER_LOG__CUR_TAIL;
        }
        return resync(c, size, 0, err);
    }
    if (total > c->max_record)
        return check_big(c, size, total, err);
    n = window(c, c->pos, (size_t)total, size, &p);
    if (n < 0) {
        *err = cer_log__errno((int)-n, NULL, 0, "read", c->path);
        return CER_LOG__CUR_ERR;
    }
    int64_t off, ts;
    size_t nh;
    if (n < (ssize_t)total || !cer_log__rec_check(p, (size_t)total, &off, &ts, &nh) ||
        !offset_fits(c, off))
        return resync(c, size, total, err);
    if (nh > c->hdr_cap) {
        int rc = cer_log__grow((void **)&c->hdrs, &c->hdr_cap, nh, sizeof *c->hdrs, 0xffff);
        if (rc) {
            *err = rc;
            return CER_LOG__CUR_ERR;
        }
    }
    cer_log__rec_decode(p, (size_t)total, out, c->hdrs);
    *rec_pos = c->pos;
    *rec_size = (size_t)total;
    c->pos += total;
    c->last_offset = off;
    return CER_LOG__CUR_REC;
}

/* After CER_LOG__CUR_BIG: step over the record. */
void cer_log__cursor_skip_big(cer_log__cursor *c)
{
    c->pos += c->big_size;
    c->last_offset = c->big_offset;
}

int cer_log__seg_scan(const char *pdir, int fd, int64_t base, const cer_log_conf *conf,
                      uint64_t size, bool open_tail, cer_log__index *ix, uint64_t *valid_end,
                      bool *tail_bad, bool *tail_short, char *errstr, size_t errstr_size)
{
    char path[CER_LOG__PATH_MAX];
    int rc = cer_log__path(path, errstr, errstr_size, "%s/%020lld.log", pdir, (long long)base);
    if (rc)
        return rc;
    cer_log__cursor c;
    cer_log__cursor_init(&c, conf, (size_t)conf->max_record_bytes);
    cer_log__cursor_attach(&c, fd, path, base);
    c.open_tail = open_tail;
    cer_log__index_init(ix, base);
    *tail_bad = *tail_short = false;
    for (;;) {
        cer_log_rec r;
        uint64_t pos;
        size_t sz;
        int err;
        cer_log__cur_status st = cer_log__cursor_next(&c, size, &r, &pos, &sz, &err);
        if (st == CER_LOG__CUR_REC || st == CER_LOG__CUR_BIG) {
            int64_t off = st == CER_LOG__CUR_REC ? r.offset : c.big_offset;
            int64_t ts = st == CER_LOG__CUR_REC ? r.timestamp_ms : c.big_ts;
            if (st == CER_LOG__CUR_BIG) {
                pos = c.pos;
                cer_log__cursor_skip_big(&c);
            }
            rc = cer_log__index_note(ix, off, pos, ts, (uint64_t)conf->index_interval);
            if (rc) {
                rc = cerx_errf(rc, errstr, errstr_size, "indexing %s: out of memory", path);
                break;
            }
        } else if (st == CER_LOG__CUR_SKIP) {
            cer_log__report(conf, CER_LOG_LEVEL_ERROR,
                            "corrupt record in segment %s at position %llu (offset %lld): "
                            "CRC32C or structure check failed; %llu bytes skipped, offsets "
                            "%lld..%lld unreadable",
                            path, (unsigned long long)c.bad_pos, (long long)(c.last_offset + 1),
                            (unsigned long long)(c.bad_end - c.bad_pos),
                            (long long)(c.last_offset + 1), (long long)(c.skip_offset - 1));
        } else if (st == CER_LOG__CUR_END || st == CER_LOG__CUR_TAIL) {
            *valid_end = c.pos;
            *tail_bad = st == CER_LOG__CUR_TAIL;
            *tail_short = st == CER_LOG__CUR_TAIL && c.tail_short;
            break;
        } else {
            rc =
                cerx_errf(err, errstr, errstr_size, "scanning %s: %s", path, cer_log_strerror(err));
            break;
        }
    }
    cer_log__cursor_free(&c);
    if (rc)
        cer_log__index_free(ix);
    return rc;
}
