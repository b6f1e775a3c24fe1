/* Sparse per-segment indexes: the offset index (relative offset -> file position, one entry per
 * index.interval.bytes of records) and the time index (running newest timestamp -> the record
 * holding it). Built incrementally by the writer and identically by a rebuild scan; loaded and
 * validated by readers and on recovery. Layout: docs/log-format.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log/internal.h"

void cer_log__index_init(cer_log__index *ix, int64_t base)
{
    memset(ix, 0, sizeof *ix);
    ix->base = base;
    ix->last_entry_pos = CER_LOG__SEG_HDR;
    ix->max_ts = INT64_MIN;
    ix->next_offset = base;
}

void cer_log__index_free(cer_log__index *ix)
{
    cer_log__free(ix->o);
    cer_log__free(ix->t);
    ix->o = NULL;
    ix->t = NULL;
    ix->on = ix->ocap = ix->tn = ix->tcap = 0;
}

static int add_tent(cer_log__index *ix)
{
    if (ix->tn && ix->t[ix->tn - 1].ts >= ix->max_ts)
        return 0;
    int rc = cer_log__grow((void **)&ix->t, &ix->tcap, ix->tn + 1, sizeof *ix->t, SIZE_MAX / 32);
    if (rc)
        return rc;
    ix->t[ix->tn++] = (cer_log__tent){ix->max_ts, ix->max_rel, ix->max_pos};
    return 0;
}

int cer_log__index_note(cer_log__index *ix, int64_t offset, uint64_t pos, int64_t ts,
                        uint64_t interval)
{
    uint32_t rel = (uint32_t)(offset - ix->base);
    if (ts > ix->max_ts || ix->records == 0) {
        ix->max_ts = ts;
        ix->max_rel = rel;
        ix->max_pos = (uint32_t)pos;
    }
    if (pos - ix->last_entry_pos >= interval) {
        int rc =
            cer_log__grow((void **)&ix->o, &ix->ocap, ix->on + 1, sizeof *ix->o, SIZE_MAX / 32);
        if (rc == 0)
            rc =
                cer_log__grow((void **)&ix->t, &ix->tcap, ix->tn + 1, sizeof *ix->t, SIZE_MAX / 32);
        if (rc)
            return rc;
        ix->o[ix->on++] = (cer_log__oent){rel, (uint32_t)pos};
        ix->last_entry_pos = pos;
        add_tent(ix); /* cannot fail: capacity reserved above */
    }
    ix->records++;
    ix->next_offset = offset + 1;
    return 0;
}

int cer_log__index_seal(cer_log__index *ix)
{
    if (ix->records) {
        int rc = add_tent(ix);
        if (rc)
            return rc;
    }
    ix->sealed = true;
    return 0;
}

void cer_log__index_header(uint8_t out[CER_LOG__IDX_HDR], const char *magic, uint16_t esize,
                           int64_t base, uint32_t flags)
{
    memcpy(out, magic, 4);
    cer_log__put16(out + 4, CER_LOG__VERSION);
    cer_log__put16(out + 6, esize);
    cer_log__put64(out + 8, (uint64_t)base);
    cer_log__put32(out + 16, flags);
    cer_log__put32(out + 20, cer_log_crc32c(0, out, 20));
}

void cer_log__oent_encode(uint8_t out[CER_LOG__OENT], const cer_log__oent *e)
{
    cer_log__put32(out, e->rel);
    cer_log__put32(out + 4, e->pos);
}

void cer_log__tent_encode(uint8_t out[CER_LOG__TENT], const cer_log__tent *e)
{
    cer_log__put64(out, (uint64_t)e->ts);
    cer_log__put32(out + 8, e->rel);
    cer_log__put32(out + 12, e->pos);
}

int cer_log__index_path(char *out, const char *pdir, int64_t base, bool time_index)
{
    return cer_log__path(out, NULL, 0, "%s/%020lld.%s", pdir, (long long)base,
                         time_index ? "timeindex" : "index");
}

static int write_one(const char *pdir, const cer_log__index *ix, bool time_index, char *errstr,
                     size_t errstr_size)
{
    size_t esize = time_index ? CER_LOG__TENT : CER_LOG__OENT;
    size_t n = time_index ? ix->tn : ix->on;
    cer_log__buf b = {0};
    int rc = cer_log__buf_reserve(&b, CER_LOG__IDX_HDR + n * esize);
    if (rc)
        return cerx_errf(rc, errstr, errstr_size, "index of %s: out of memory", pdir);
    cer_log__index_header(b.ptr, time_index ? CER_LOG__TIDX_MAGIC : CER_LOG__OIDX_MAGIC,
                          (uint16_t)esize, ix->base, ix->sealed ? CER_LOG__IDX_SEALED : 0);
    b.len = CER_LOG__IDX_HDR;
    for (size_t i = 0; i < n; i++, b.len += esize) {
        if (time_index)
            cer_log__tent_encode(b.ptr + b.len, &ix->t[i]);
        else
            cer_log__oent_encode(b.ptr + b.len, &ix->o[i]);
    }
    char path[CER_LOG__PATH_MAX];
    rc = cer_log__index_path(path, pdir, ix->base, time_index);
    if (rc == 0)
        rc = cer_log__write_atomic(pdir, path, b.ptr, b.len, false, errstr, errstr_size);
    cer_log__buf_free(&b);
    return rc;
}

int cer_log__index_write(const char *pdir, const cer_log__index *ix, char *errstr,
                         size_t errstr_size)
{
    int rc = write_one(pdir, ix, false, errstr, errstr_size);
    return rc ? rc : write_one(pdir, ix, true, errstr, errstr_size);
}

/* Parse one index file into entries; returns whether it was well-formed throughout. */
static int load_one(const char *pdir, cer_log__index *ix, uint64_t seg_size, bool time_index,
                    bool *complete, bool *sealed, char *errstr, size_t errstr_size)
{
    char path[CER_LOG__PATH_MAX];
    int rc = cer_log__index_path(path, pdir, ix->base, time_index);
    if (rc)
        return rc;
    char *data;
    size_t len;
    size_t esize = time_index ? CER_LOG__TENT : CER_LOG__OENT;
    /* An index holds at most one entry per record; records are at least REC_MIN bytes. */
    size_t cap = CER_LOG__IDX_HDR + (size_t)(seg_size / CER_LOG__REC_MIN + 1) * esize;
    rc = cer_log__read_small(path, cap, &data, &len, errstr, errstr_size);
    if (rc == CER_LOG_ENOTFOUND || rc == CER_LOG_ETOOBIG) {
        *complete = false;
        return 0;
    }
    if (rc)
        return rc;
    const uint8_t *d = (const uint8_t *)data;
    uint8_t hdr[CER_LOG__IDX_HDR];
    if (len < CER_LOG__IDX_HDR) {
        *complete = false;
        goto out;
    }
    cer_log__index_header(hdr, time_index ? CER_LOG__TIDX_MAGIC : CER_LOG__OIDX_MAGIC,
                          (uint16_t)esize, ix->base, cer_log__get32(d + 16));
    if (memcmp(hdr, d, CER_LOG__IDX_HDR) != 0) {
        *complete = false;
        goto out;
    }
    *sealed = *sealed && (cer_log__get32(d + 16) & CER_LOG__IDX_SEALED);
    if ((len - CER_LOG__IDX_HDR) % esize)
        *complete = false;
    size_t n = (len - CER_LOG__IDX_HDR) / esize;
    void **arr = time_index ? (void **)&ix->t : (void **)&ix->o;
    size_t *cnt = time_index ? &ix->tn : &ix->on, *cp = time_index ? &ix->tcap : &ix->ocap;
    rc = cer_log__grow(arr, cp, n ? n : 1, time_index ? sizeof *ix->t : sizeof *ix->o,
                       SIZE_MAX / 32);
    if (rc) {
        rc = cerx_errf(rc, errstr, errstr_size, "loading %s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = d + CER_LOG__IDX_HDR + i * esize;
        if (time_index) {
            cer_log__tent t = {(int64_t)cer_log__get64(e), cer_log__get32(e + 8),
                               cer_log__get32(e + 12)};
            const cer_log__tent *pv = *cnt ? &ix->t[*cnt - 1] : NULL;
            if (t.pos < CER_LOG__SEG_HDR || t.pos >= seg_size ||
                (pv && (t.ts <= pv->ts || t.rel < pv->rel || t.pos < pv->pos))) {
                *complete = false;
                break;
            }
            ix->t[(*cnt)++] = t;
        } else {
            cer_log__oent o = {cer_log__get32(e), cer_log__get32(e + 4)};
            const cer_log__oent *pv = *cnt ? &ix->o[*cnt - 1] : NULL;
            if (o.pos <= CER_LOG__SEG_HDR || o.pos >= seg_size ||
                (pv && (o.rel <= pv->rel || o.pos <= pv->pos))) {
                *complete = false;
                break;
            }
            ix->o[(*cnt)++] = o;
        }
    }
out:
    cer_log__free(data);
    return rc;
}

int cer_log__index_load(const char *pdir, int64_t base, uint64_t seg_size, cer_log__index *ix,
                        bool *complete, char *errstr, size_t errstr_size)
{
    cer_log__index_init(ix, base);
    *complete = true;
    bool sealed = true;
    int rc = load_one(pdir, ix, seg_size, false, complete, &sealed, errstr, errstr_size);
    if (rc == 0)
        rc = load_one(pdir, ix, seg_size, true, complete, &sealed, errstr, errstr_size);
    ix->sealed = *complete && sealed;
    if (ix->on)
        ix->last_entry_pos = ix->o[ix->on - 1].pos;
    if (rc)
        cer_log__index_free(ix);
    return rc;
}

const cer_log__oent *cer_log__index_find_offset(const cer_log__index *ix, int64_t offset)
{
    if (offset < ix->base)
        return NULL;
    size_t lo = 0, hi = ix->on; /* find the first entry with base+rel > offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->base + (int64_t)ix->o[mid].rel <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &ix->o[lo - 1] : NULL;
}

const cer_log__tent *cer_log__index_find_time(const cer_log__index *ix, int64_t t)
{
    size_t lo = 0, hi = ix->tn; /* find the first entry with ts >= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->t[mid].ts < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &ix->t[lo - 1] : NULL;
}
