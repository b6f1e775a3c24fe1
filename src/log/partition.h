/* The writer's state for one partition, shared by partition.c (recovery, retention) and
 * append.c (group commit, roll, flush). Everything below `mu` is guarded by it. */
#ifndef CER_LOG_PARTITION_H
#define CER_LOG_PARTITION_H

#include "log/internal.h"

/* A sealed (no longer written) segment. */
typedef struct cer_log__seginfo {
    int64_t base;
    uint64_t size;
    int64_t max_ts;      /* newest record timestamp, INT64_MIN when empty */
    int64_t next_offset; /* one past its last record */
} cer_log__seginfo;

struct cer_log__part {
    const cer_log_conf *conf; /* the owning log's copy */
    char dir[CER_LOG__PATH_MAX];
    char label[CER_LOG__NAME_MAX + 16]; /* "<topic>-<id>" for messages */

    pthread_mutex_t mu;
    pthread_cond_t cv;

    cer_log__seginfo *segs; /* sealed segments, ascending */
    size_t nsegs, segcap;

    /* The active segment. */
    int fd, ofd, tfd; /* segment, offset index, time index */
    int64_t created_ms;
    uint64_t size;         /* bytes written to the segment file */
    uint64_t assigned;     /* size + bytes pending */
    cer_log__index ix;     /* includes pending records */
    size_t o_done, t_done; /* index entries already written to the index files */

    /* Group commit. Offsets < written are in the file, offsets < synced are fdatasync()ed. */
    cer_log__buf pending, spare;
    int64_t next_offset, written, synced;
    bool flushing; /* a leader is writing/syncing/rolling with mu released */
    int failed;    /* sticky: 0 or CER_LOG_EFAILED */
    char failmsg[512];
    int64_t last_sync_ms; /* monotonic */
    bool retention_due;

    cer_log_stats st;
};

/* append.c: write pending bytes (and maybe sync) as the leader; mu held, !flushing. */
void cer_log__part_lead(cer_log__part *p, bool sync);

#endif
