/* Appending to a partition with group commit. Appenders encode their records into a shared
 * pending buffer under the partition mutex and wait; whichever finds no write in progress
 * becomes the leader, takes the whole buffer, writes it with one pwrite (and, when the policy
 * asks, one fdatasync) with the mutex released, then wakes everyone it covered. Records that
 * arrive meanwhile form the next group. Segment rolls happen between groups. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log/partition.h"

#define INDEX_CHUNK 256 /* index entries copied per flush */

static int do_sync(cer_log__part *p, int fd)
{
    if (p->conf->sync_hook)
        return p->conf->sync_hook(p->conf->sync_ctx, fd);
    return fdatasync(fd) == 0 ? 0 : -errno;
}

static void fail(cer_log__part *p, int e, const char *what)
{
    char msg[128];
    const char *s = strerror_r(e, msg, sizeof msg);
    p->failed = CER_LOG_EFAILED;
    snprintf(p->failmsg, sizeof p->failmsg, "%s: %s of segment %020lld.log failed: %s", p->label,
             what, (long long)p->ix.base, s);
    cer_log__report(p->conf, CER_LOG_LEVEL_ERROR, "%s", p->failmsg);
}

void cer_log__part_lead(cer_log__part *p, bool sync)
{
    const cer_log_conf *c = p->conf;
    p->flushing = true;
    cer_log__buf buf = p->pending;
    p->pending = p->spare;
    p->pending.len = 0;
    int64_t end = p->next_offset;
    uint64_t wpos = p->size;
    int fd = p->fd, ofd = p->ofd, tfd = p->tfd;
    size_t o_from = p->o_done, t_from = p->t_done;
    size_t on = p->ix.on - o_from, tn = p->ix.tn - t_from;
    on = on > INDEX_CHUNK ? INDEX_CHUNK : on;
    tn = tn > INDEX_CHUNK ? INDEX_CHUNK : tn;
    uint8_t obuf[INDEX_CHUNK * CER_LOG__OENT], tbuf[INDEX_CHUNK * CER_LOG__TENT];
    for (size_t i = 0; i < on; i++)
        cer_log__oent_encode(obuf + i * CER_LOG__OENT, &p->ix.o[o_from + i]);
    for (size_t i = 0; i < tn; i++)
        cer_log__tent_encode(tbuf + i * CER_LOG__TENT, &p->ix.t[t_from + i]);
    int64_t now = cer_log__mono_ms();
    bool want_sync = sync || c->fsync_policy == CER_LOG__FSYNC_ALWAYS ||
                     (c->fsync_policy == CER_LOG__FSYNC_INTERVAL &&
                      now - p->last_sync_ms >= c->fsync_interval_ms);
    want_sync = want_sync && (buf.len || p->synced < p->written);
    pthread_mutex_unlock(&p->mu);

    int e = buf.len ? cer_log__pwrite_all(fd, buf.ptr, buf.len, wpos) : 0;
    const char *what = "write";
    bool synced = false;
    if (e == 0 && want_sync) {
        e = do_sync(p, fd);
        what = "fdatasync";
        synced = e == 0;
    }
    int ie = 0;
    if (e == 0 && on)
        ie = cer_log__pwrite_all(ofd, obuf, on * CER_LOG__OENT,
                                 CER_LOG__IDX_HDR + o_from * CER_LOG__OENT);
    if (e == 0 && ie == 0 && tn)
        ie = cer_log__pwrite_all(tfd, tbuf, tn * CER_LOG__TENT,
                                 CER_LOG__IDX_HDR + t_from * CER_LOG__TENT);

    pthread_mutex_lock(&p->mu);
    if (e) {
        fail(p, -e, what);
    } else {
        p->size = wpos + buf.len;
        p->written = end;
        if (buf.len)
            p->st.writes++;
        if (synced) {
            p->synced = end;
            p->last_sync_ms = now;
            p->st.fsyncs++;
        }
        if (ie == 0) {
            p->o_done += on;
            p->t_done += tn;
        } else {
            cer_log__report(c, CER_LOG_LEVEL_WARN,
                            "%s: writing index entries failed (%s); they are rebuilt on the "
                            "next open",
                            p->label, strerror(-ie));
        }
    }
    buf.len = 0;
    if (buf.cap > ((size_t)4 << 20)) /* do not keep a huge batch's buffer around */
        cer_log__buf_free(&buf);
    p->spare = buf;
    p->flushing = false;
    pthread_cond_broadcast(&p->cv);
}

/* Seal the active segment and start a new one at next_offset. mu held, !flushing, nothing
 * pending. Returns 0 or an error (the partition is then failed). */
static int roll(cer_log__part *p, int64_t now, char *errstr, size_t errstr_size)
{
    int rc =
        cer_log__grow((void **)&p->segs, &p->segcap, p->nsegs + 1, sizeof *p->segs, SIZE_MAX / 64);
    if (rc)
        return cerx_errf(rc, errstr, errstr_size, "%s: out of memory", p->label);
    char err[300] = "";
    p->flushing = true;
    cer_log__index old = p->ix;
    int fd = p->fd, ofd = p->ofd, tfd = p->tfd;
    uint64_t old_size = p->size;
    int64_t base = p->next_offset;
    pthread_mutex_unlock(&p->mu);

    /* 1. the old segment's data is durable before anything refers past it */
    int e = do_sync(p, fd);
    char ebuf[256] = "";
    /* 2. its indexes are rewritten sealed (a failure only costs a rebuild on the next open) */
    if (e == 0 && (cer_log__index_seal(&old) != 0 ||
                   cer_log__index_write(p->dir, &old, ebuf, sizeof ebuf) != 0))
        cer_log__report(p->conf, CER_LOG_LEVEL_WARN, "%s: sealing indexes failed: %s", p->label,
                        ebuf);
    /* 3. the new segment exists durably, with empty indexes, before records go to it */
    int nfd = -1, nofd = -1, ntfd = -1;
    cer_log__index nix;
    cer_log__index_init(&nix, base);
    if (e == 0)
        rc = cer_log__seg_create(p->dir, base, cer_log__now_ms(), &nfd, err, sizeof err);
    if (e == 0 && rc == 0)
        rc = cer_log__index_write(p->dir, &nix, err, sizeof err);
    char path[CER_LOG__PATH_MAX];
    if (e == 0 && rc == 0) {
        cer_log__index_path(path, p->dir, base, false);
        nofd = open(path, O_RDWR | O_CLOEXEC);
        cer_log__index_path(path, p->dir, base, true);
        ntfd = open(path, O_RDWR | O_CLOEXEC);
        if (nofd < 0 || ntfd < 0)
            rc = cer_log__errno(errno, err, sizeof err, "open", path);
    }

    pthread_mutex_lock(&p->mu);
    if (e || rc) {
        if (e)
            fail(p, -e, "fdatasync before roll");
        else
            snprintf(p->failmsg, sizeof p->failmsg, "%s: roll failed: %s", p->label, err);
        p->failed = CER_LOG_EFAILED;
        p->ix = old;
        if (nfd >= 0)
            close(nfd);
        if (nofd >= 0)
            close(nofd);
        if (ntfd >= 0)
            close(ntfd);
        p->flushing = false;
        pthread_cond_broadcast(&p->cv);
        return cerx_errf(CER_LOG_EFAILED, errstr, errstr_size, "%s", p->failmsg);
    }
    close(fd);
    close(ofd);
    close(tfd);
    p->segs[p->nsegs++] =
        (cer_log__seginfo){old.base, old_size, old.records ? old.max_ts : INT64_MIN, base};
    cer_log__index_free(&old);
    p->ix = nix;
    p->fd = nfd;
    p->ofd = nofd;
    p->tfd = ntfd;
    p->size = p->assigned = CER_LOG__SEG_HDR;
    p->o_done = p->t_done = 0;
    p->created_ms = now;
    p->synced = p->written = base;
    p->st.rolls++;
    p->retention_due = true;
    p->flushing = false;
    pthread_cond_broadcast(&p->cv);
    return 0;
}

int cer_log__part_append(cer_log__part *p, const cer_log_rec *recs, size_t n, int64_t *base,
                         char *errstr, size_t errstr_size)
{
    const cer_log_conf *c = p->conf;
    size_t small[16], *sizes = n <= 16 ? small : cer_log__calloc(n, sizeof *sizes);
    if (!sizes)
        return cerx_errf(CER_LOG_ENOMEM, errstr, errstr_size, "out of memory");
    size_t total = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int err;
        sizes[i] = cer_log__rec_size(&recs[i], (size_t)c->max_record_bytes, &err);
        if (recs[i].timestamp_ms < 0)
            rc = cerx_errf(CER_LOG_EINVAL, errstr, errstr_size,
                           "record %zu: negative timestamp %lld", i,
                           (long long)recs[i].timestamp_ms);
        else if (!sizes[i] && err == CER_LOG_ETOOBIG)
            rc = cerx_errf(err, errstr, errstr_size,
                           "record %zu: encoded size exceeds max.record.bytes (%lld)", i,
                           (long long)c->max_record_bytes);
        else if (!sizes[i])
            rc = cerx_errf(err, errstr, errstr_size,
                           "record %zu: NULL pointer with non-zero length or more than "
                           "65535 headers",
                           i);
        total += sizes[i];
    }
    if (rc == 0 && total > (uint64_t)c->max_pending_bytes)
        rc = cerx_errf(CER_LOG_ETOOBIG, errstr, errstr_size,
                       "batch of %zu bytes exceeds max.pending.bytes (%lld)", total,
                       (long long)c->max_pending_bytes);
    if (rc) {
        if (sizes != small)
            cer_log__free(sizes);
        return rc;
    }
    int64_t now = cer_log__now_ms();
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->failed) {
            rc = cerx_errf(p->failed, errstr, errstr_size, "%s", p->failmsg);
            goto out;
        }
        bool need_roll = p->ix.records > 0 && (p->assigned + total > (uint64_t)c->segment_bytes ||
                                               now - p->created_ms >= c->segment_ms);
        if (!need_roll && p->pending.len + total <= (uint64_t)c->max_pending_bytes)
            break;
        if (p->flushing)
            pthread_cond_wait(&p->cv, &p->mu);
        else if (p->pending.len)
            cer_log__part_lead(p, false);
        else if ((rc = roll(p, now, errstr, errstr_size)) != 0)
            goto out;
    }
    if (cer_log__buf_reserve(&p->pending, total) ||
        cer_log__grow((void **)&p->ix.o, &p->ix.ocap, p->ix.on + n, sizeof *p->ix.o,
                      SIZE_MAX / 32) ||
        cer_log__grow((void **)&p->ix.t, &p->ix.tcap, p->ix.tn + n, sizeof *p->ix.t,
                      SIZE_MAX / 32)) {
        rc = cerx_errf(CER_LOG_ENOMEM, errstr, errstr_size, "%s: out of memory", p->label);
        goto out;
    }
    int64_t first = p->next_offset;
    for (size_t i = 0; i < n; i++) {
        int64_t off = p->next_offset++;
        int64_t ts = recs[i].timestamp_ms ? recs[i].timestamp_ms : now;
        cer_log__rec_encode(p->pending.ptr + p->pending.len, sizes[i], &recs[i], off, ts);
        /* capacity reserved above: cannot fail */
        cer_log__index_note(&p->ix, off, p->assigned, ts, (uint64_t)c->index_interval);
        p->pending.len += sizes[i];
        p->assigned += sizes[i];
    }
    p->st.records += n;
    p->st.bytes += total;
    int64_t end = p->next_offset;
    bool always = c->fsync_policy == CER_LOG__FSYNC_ALWAYS;
    for (;;) {
        if ((always ? p->synced : p->written) >= end)
            break;
        if (p->failed) {
            rc = cerx_errf(p->failed, errstr, errstr_size, "%s", p->failmsg);
            goto out;
        }
        if (p->flushing)
            pthread_cond_wait(&p->cv, &p->mu);
        else
            cer_log__part_lead(p, always);
    }
    if (base)
        *base = first;
out:;
    bool ret = p->retention_due;
    p->retention_due = false;
    pthread_mutex_unlock(&p->mu);
    if (sizes != small)
        cer_log__free(sizes);
    if (ret)
        cer_log__part_retention(p, 0, NULL, NULL, 0);
    return rc;
}

int cer_log__part_flush(cer_log__part *p, bool force_sync, char *errstr, size_t errstr_size)
{
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    while (p->flushing)
        pthread_cond_wait(&p->cv, &p->mu);
    if (!p->failed && (p->pending.len || (force_sync && p->synced < p->written)))
        cer_log__part_lead(p, force_sync);
    if (p->failed)
        rc = cerx_errf(p->failed, errstr, errstr_size, "%s", p->failmsg);
    pthread_mutex_unlock(&p->mu);
    return rc;
}
