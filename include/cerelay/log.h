/* cerelay local log: an append-only, checksummed, Kafka-like commit log on local disk. Topics are
 * split into partitions; each partition is a directory of segment files holding CRC32C-framed
 * records (key, headers, value, timestamp) with sparse offset and time indexes. One writer
 * process per log directory, any number of reader processes. Byte layouts: docs/log-format.md.
 * This header is the whole public surface of libcerelay-log; it depends on libc only and knows
 * nothing about CloudEvents (records are bytes). Its error codes are one family of cerelay's
 * error space (cerelay/err.h, a header of macros, which also names the core's codes). */
#ifndef CERELAY_LOG_H
#define CERELAY_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CER_LOG_EXTERN __attribute__((visibility("default")))
#else
#define CER_LOG_EXTERN
#endif

/* ------------------------------------------------------------------------------------------
 * Errors. Every function that can fail returns 0 (or a documented non-negative value) or one of
 * these negative codes. Human detail (the file, byte position, offset or config key at fault)
 * goes into a caller-supplied `char *errstr, size_t errstr_size`, always NUL-terminated when
 * errstr_size > 0. errstr may be NULL.
 * ------------------------------------------------------------------------------------------ */
/* The local log's family (-200..-299) of cerelay's one error space: CER_LOG_ERRNO_TABLE in
 * include/cerelay/err.h (until 2026-12 these were -1..-12 and overlapped the core's CE_E*
 * codes). CER_LOG_ERRNO_MAP(XX) calls XX(NAME, code, message). */
#define CER_LOG__ERRNO_SHORT(XX, prefix, name, code, msg) XX(name, code, msg)
#define CER_LOG_ERRNO_MAP(XX)                             CER_LOG_ERRNO_TABLE(CER_LOG__ERRNO_SHORT, XX)

typedef enum cer_log_err {
    CER_LOG_OK = 0,
#define CER_LOG__ERR_ENUM(name, code, msg) CER_LOG_E##name = (code),
    CER_LOG_ERRNO_MAP(CER_LOG__ERR_ENUM)
#undef CER_LOG__ERR_ENUM
} cer_log_err;

/* A static English description of `err`; never NULL. Thread-safe. */
CER_LOG_EXTERN const char *cer_log_strerror(int err);
/* The symbolic name of `err` ("CER_LOG_ECORRUPT"); never NULL. Thread-safe. */
CER_LOG_EXTERN const char *cer_log_err_name(int err);

/* ------------------------------------------------------------------------------------------
 * Records. One struct serves both directions:
 *  - append: the caller fills it; every pointer is borrowed for the duration of the call only.
 *  - read:   cer_log_reader_next fills it with pointers into the reader's buffer, valid until
 *            the next call on that reader (or its close).
 * key == NULL is a null key (key_len must be 0); value == NULL is a null value, a tombstone
 * (value_len must be 0). An empty but present key/value is a non-NULL pointer with length 0.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_log_header {
    const void *name; /* header name bytes (not NUL-terminated), at most 65535 */
    size_t name_len;
    const void *value; /* header value bytes; NULL only when value_len == 0 */
    size_t value_len;
} cer_log_header;

typedef struct cer_log_rec {
    int64_t offset;       /* read: the record's offset. append: ignored */
    int64_t timestamp_ms; /* Unix ms. append: 0 means "now" (wall clock); negative is invalid */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    const cer_log_header *headers; /* header_count entries, kept in order; names may repeat */
    size_t header_count;           /* at most 65535 */
} cer_log_rec;

/* ------------------------------------------------------------------------------------------
 * Partitioning, as the Java Kafka client's DefaultPartitioner / BuiltInPartitioner does it for
 * keyed records: toPositive(murmur2(key)) % partitions, toPositive(x) = x & 0x7fffffff. Records
 * appended with CER_LOG_PARTITION_AUTO use this when they have a key; keyless records go
 * round-robin over the topic's partitions (a per-topic counter in the writer).
 * ------------------------------------------------------------------------------------------ */

/* Kafka's org.apache.kafka.common.utils.Utils.murmur2 (seed 0x9747b28c), returned as the same
 * signed 32-bit value Java returns. Pure; thread-safe. `key` may be NULL when len == 0. */
CER_LOG_EXTERN int32_t cer_log_murmur2(const void *key, size_t len);
/* The partition in [0, partitions) for a key. Returns CER_LOG_EINVAL if partitions <= 0.
 * Pure; thread-safe. */
CER_LOG_EXTERN int32_t cer_log_partition_for_key(const void *key, size_t len, int32_t partitions);

/* CRC32C (Castagnoli, reflected, as in iSCSI/RFC 3720 and Kafka record batches), continuing
 * from `crc` (start with 0). Uses SSE4.2 when the CPU has it. Pure; thread-safe. */
CER_LOG_EXTERN uint32_t cer_log_crc32c(uint32_t crc, const void *data, size_t len);

/* ------------------------------------------------------------------------------------------
 * Configuration. An opaque bag of settings with string keys (so config files and the CLI map
 * onto it directly). A conf is not thread-safe while being modified; open calls copy it, so it
 * can be destroyed or reused right after.
 *
 *   key                    default        meaning
 *   segment.bytes          134217728      roll the active segment when it would exceed this
 *                                         (1024 .. 2147483647)
 *   segment.ms             604800000      roll when the active segment is older than this
 *   index.interval.bytes   4096           bytes of records between offset index entries
 *   fsync                  always         always | interval | never (see below)
 *   fsync.interval.ms      1000           period of the background fsync for `interval`
 *   retention.bytes        -1             delete oldest segments while the partition exceeds
 *                                         this many bytes (-1 = no size limit)
 *   retention.ms           604800000      delete segments whose newest record is older than
 *                                         this (-1 = keep forever)
 *   max.record.bytes       2097152        largest encoded record accepted by append and by a
 *                                         reader (64 .. 67108864)
 *   max.pending.bytes      67108864       cap on bytes queued for one group-commit write; a
 *                                         batch larger than this is refused (CER_LOG_ETOOBIG)
 *   topic.partitions       1              partition count used when append auto-creates a topic
 *
 * fsync policies (what each risks):
 *   always    append returns only after the record is written and fdatasync()ed. Concurrent
 *             appends to a partition share one write and one fdatasync (group commit). Nothing
 *             acknowledged is lost on process crash, kernel crash or power loss.
 *   interval  append returns after write(); a background thread fdatasync()s every
 *             fsync.interval.ms. A process crash loses nothing acknowledged; a kernel crash or
 *             power loss can lose up to the last interval of acknowledged records.
 *   never     append returns after write(); data reaches disk when the kernel writes it back
 *             (segments are still fsynced when rolled and on close). A process crash loses
 *             nothing acknowledged; a kernel crash or power loss can lose any unsynced data.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_log_conf cer_log_conf;

/* Report levels passed to the report callback. */
enum { CER_LOG_LEVEL_ERROR = 3, CER_LOG_LEVEL_WARN = 4, CER_LOG_LEVEL_INFO = 6 };

/* Called for corruption found while recovering or reading (the message names the segment file,
 * byte position and offset), for truncated torn tails, rebuilt indexes and deleted segments.
 * May be called from any thread that calls into the library (and the interval fsync thread);
 * must not call back into the same handle. The library never prints. */
typedef void (*cer_log_report_fn)(void *ctx, int level, const char *msg);

/* New conf with the defaults above; NULL on allocation failure. Caller owns it. */
CER_LOG_EXTERN cer_log_conf *cer_log_conf_new(void);
/* Free. NULL is a no-op. */
CER_LOG_EXTERN void cer_log_conf_destroy(cer_log_conf *conf);
/* Set `key` from its string form. Returns 0, CER_LOG_ENOTFOUND (unknown key) or CER_LOG_EINVAL
 * (value not valid for the key; errstr names the key and the accepted range). On failure the
 * conf is unchanged. */
CER_LOG_EXTERN int cer_log_conf_set(cer_log_conf *conf, const char *key, const char *value,
                                    char *errstr, size_t errstr_size);
/* Write the current value of `key` as a string into out (NUL-terminated, truncated to
 * out_size). Returns 0 or CER_LOG_ENOTFOUND. */
CER_LOG_EXTERN int cer_log_conf_get(const cer_log_conf *conf, const char *key, char *out,
                                    size_t out_size);
/* Install the report callback (NULL: reports are dropped). */
CER_LOG_EXTERN void cer_log_conf_set_report_cb(cer_log_conf *conf, cer_log_report_fn fn, void *ctx);

/* ------------------------------------------------------------------------------------------
 * Allocation. All memory the library takes goes through one set of functions, replaceable once
 * at start-up before any other call (not thread-safe to change while handles exist).
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_log_allocator {
    void *(*malloc_fn)(size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
} cer_log_allocator;

/* Install `a` (NULL restores libc). */
CER_LOG_EXTERN void cer_log_set_allocator(const cer_log_allocator *a);

/* ------------------------------------------------------------------------------------------
 * The writer. Opening a log directory takes an exclusive flock() on DIR/.lock (holding the
 * writer's pid); a second writer, in this or any process, fails with CER_LOG_ELOCKED naming the
 * holder's pid. Opening recovers every partition: a torn tail is truncated at the last whole
 * valid record, corrupt records are reported (and skipped by readers, never returned), missing or
 * inconsistent indexes are rebuilt.
 *
 * A cer_log is thread-safe: any number of threads may append, flush and query concurrently.
 * close must not race with other calls on the same handle.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_log cer_log;

/* Append to the partition chosen by key hash or round-robin (see Partitioning). */
#define CER_LOG_PARTITION_AUTO (-1)

/* Open (creating if needed) the log directory `dir` for writing. `conf` may be NULL for defaults;
 * it is copied. On success *out is a handle the caller owns (release with cer_log_close).
 * Errors: CER_LOG_ELOCKED (errstr names the holder pid), CER_LOG_EIO, CER_LOG_ECORRUPT (a segment
 * whose header is unreadable and that still holds records; errstr names the file),
 * CER_LOG_EVERSION, CER_LOG_ENOMEM, CER_LOG_EINVAL. On failure *out is NULL and nothing is
 * held. */
CER_LOG_EXTERN int cer_log_open(cer_log **out, const char *dir, const cer_log_conf *conf,
                                char *errstr, size_t errstr_size);

/* Flush and fdatasync every partition, release the lock and free the handle (always freed, even
 * when the final flush fails). Returns 0 or the first error of the final flush. NULL is a
 * no-op returning 0. */
CER_LOG_EXTERN int cer_log_close(cer_log *log, char *errstr, size_t errstr_size);

/* Create topic `topic` with `partitions` partitions (1 .. 10000). Topic names are 1..200 of
 * [A-Za-z0-9._-], not "." or "..". Returns 0 (also when it exists with the same count),
 * CER_LOG_EEXISTS (exists with a different count), CER_LOG_EINVAL, CER_LOG_ELIMIT, CER_LOG_EIO.
 * Thread-safe. */
CER_LOG_EXTERN int cer_log_topic_create(cer_log *log, const char *topic, int32_t partitions,
                                        char *errstr, size_t errstr_size);
/* The partition count of `topic` (> 0), or CER_LOG_ENOTFOUND. Thread-safe. */
CER_LOG_EXTERN int32_t cer_log_topic_partitions(cer_log *log, const char *topic);

/* Append one record to `topic` (auto-created with topic.partitions partitions if missing) at
 * `partition` (or CER_LOG_PARTITION_AUTO). Blocks until the record is acknowledged under the
 * fsync policy. On success *partition_out and *offset_out (each may be NULL) hold where it went.
 * Errors: CER_LOG_EINVAL (bad partition, negative timestamp, key/value NULL with non-zero length),
 * CER_LOG_ETOOBIG (encoded record > max.record.bytes), CER_LOG_EIO, CER_LOG_EFAILED (an earlier
 * write or fsync on this partition failed: per POSIX the outcome of unsynced data is unknown, so
 * the partition refuses further appends until reopened), CER_LOG_ENOMEM. Thread-safe; concurrent
 * appends to one partition are group-committed. */
CER_LOG_EXTERN int cer_log_append(cer_log *log, const char *topic, int32_t partition,
                                  const cer_log_rec *rec, int32_t *partition_out,
                                  int64_t *offset_out, char *errstr, size_t errstr_size);

/* Append n records to one explicit partition as one unit: they get consecutive offsets
 * *base_offset_out .. +n-1, are written with one write and (under `always`) one fdatasync.
 * Errors as cer_log_append, plus CER_LOG_ETOOBIG when the batch exceeds max.pending.bytes. If
 * any record is invalid nothing is appended. Thread-safe. */
CER_LOG_EXTERN int cer_log_append_batch(cer_log *log, const char *topic, int32_t partition,
                                        const cer_log_rec *recs, size_t n, int64_t *base_offset_out,
                                        char *errstr, size_t errstr_size);

/* Write and fdatasync everything appended so far on every partition, whatever the policy.
 * Returns 0 or the first error. Thread-safe. */
CER_LOG_EXTERN int cer_log_flush(cer_log *log, char *errstr, size_t errstr_size);

/* The log start offset (first offset still stored) and end offset (next offset to be assigned)
 * of a partition. Returns 0 or CER_LOG_ENOTFOUND. Thread-safe. */
CER_LOG_EXTERN int cer_log_offsets(cer_log *log, const char *topic, int32_t partition,
                                   int64_t *start, int64_t *end);

/* Apply retention.bytes and retention.ms (measured against `now_ms`, 0 = wall clock) to every
 * partition, deleting whole segments, oldest first, never the active one. Also runs on open and
 * after every segment roll; call it periodically if the log may sit idle. *deleted (may be NULL)
 * receives the number of segments removed. Returns 0 or CER_LOG_EIO. Thread-safe. */
CER_LOG_EXTERN int cer_log_retention_run(cer_log *log, int64_t now_ms, size_t *deleted,
                                         char *errstr, size_t errstr_size);

/* Delete the closed segments of topic/partition whose records all have offsets below
 * `before_offset` (the active segment is never deleted): how a consumer that owns the log, such
 * as the emitter's disk buffer, frees what it has finished with. *deleted (may be NULL) counts
 * the segments removed. Returns 0, CER_LOG_EINVAL, CER_LOG_ENOTFOUND, CER_LOG_EIO.
 * Thread-safe. */
CER_LOG_EXTERN int cer_log_delete_before(cer_log *log, const char *topic, int32_t partition,
                                         int64_t before_offset, size_t *deleted, char *errstr,
                                         size_t errstr_size);

/* Counters summed over all partitions since open. A plain value snapshot. */
typedef struct cer_log_stats {
    uint64_t records;  /* records appended */
    uint64_t bytes;    /* encoded bytes appended */
    uint64_t writes;   /* write() calls carrying records */
    uint64_t fsyncs;   /* fdatasync() calls on segment files */
    uint64_t rolls;    /* segment rolls */
    uint64_t segments; /* segment files currently stored */
} cer_log_stats;

/* Fill *out. Thread-safe. */
CER_LOG_EXTERN void cer_log_stats_get(cer_log *log, cer_log_stats *out);

/* ------------------------------------------------------------------------------------------
 * Readers. A reader follows one partition; it opens files read-only and takes no lock, so it
 * works from any process while the writer appends, rolls and deletes segments. It only returns
 * whole records whose CRC32C checks; a corrupt record is reported through the conf's report
 * callback (segment file, byte position, offset) and skipped. A record at the very tail that is
 * not yet complete is treated as "not yet written". Records written but not yet fsynced are
 * visible to readers.
 *
 * A reader is not thread-safe: use it from one thread at a time. Distinct readers are
 * independent.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_log_reader cer_log_reader;

typedef enum cer_log_whence {
    CER_LOG_SEEK_EARLIEST = 0, /* the first stored record */
    CER_LOG_SEEK_LATEST,       /* after the last stored record: only new records follow */
    CER_LOG_SEEK_OFFSET,       /* the record at offset `arg`, or the next one after it */
    CER_LOG_SEEK_TIME          /* the first record (by offset) whose timestamp >= `arg` ms */
} cer_log_whence;

/* Longest wait accepted by cer_log_reader_next. */
#define CER_LOG_MAX_WAIT_MS 3600000

/* Open a reader on DIR/<topic>-<partition>, positioned at the earliest record. `conf` may be NULL
 * (max.record.bytes and the report callback are used). Returns 0, CER_LOG_ENOTFOUND (no such
 * partition directory), CER_LOG_EINVAL, CER_LOG_EIO, CER_LOG_ENOMEM. Caller owns *out. */
CER_LOG_EXTERN int cer_log_reader_open(cer_log_reader **out, const char *dir, const char *topic,
                                       int32_t partition, const cer_log_conf *conf, char *errstr,
                                       size_t errstr_size);
/* Close and free. NULL is a no-op. */
CER_LOG_EXTERN void cer_log_reader_close(cer_log_reader *r);

/* Position the reader. An offset below the log start moves to the log start (reported at INFO
 * level); an offset past the end waits for that offset. SEEK_TIME uses the time index and lands
 * on SEEK_LATEST when no stored record is that recent. Returns 0, CER_LOG_EINVAL, CER_LOG_EIO. */
CER_LOG_EXTERN int cer_log_reader_seek(cer_log_reader *r, cer_log_whence whence, int64_t arg,
                                       char *errstr, size_t errstr_size);

/* Read the next record into *out (pointers valid until the next call on `r`). If none is
 * available, waits up to timeout_ms (0 = do not wait; at most CER_LOG_MAX_WAIT_MS) for the writer
 * to append one, sleeping on inotify (no busy loop). Returns 0 with a record, CER_LOG_EAGAIN when
 * none arrived in time, CER_LOG_ETOOBIG (a valid record larger than this reader's
 * max.record.bytes; errstr names its offset and size; the reader moves past it, so the next call
 * continues with the following record), CER_LOG_EIO, CER_LOG_ENOMEM, CER_LOG_EINVAL. */
CER_LOG_EXTERN int cer_log_reader_next(cer_log_reader *r, cer_log_rec *out, int timeout_ms,
                                       char *errstr, size_t errstr_size);

/* The offset the next call to cer_log_reader_next will return at the earliest (one past the
 * last record returned, or the seek target). */
CER_LOG_EXTERN int64_t cer_log_reader_position(const cer_log_reader *r);

/* ------------------------------------------------------------------------------------------
 * Consumer groups: named sets of committed positions stored in DIR/groups/<group>.offsets,
 * replaced atomically (temp file, fsync, rename, fsync of the directory) under an flock on
 * DIR/groups/<group>.lock, so processes sharing a group never lose each other's commits. The
 * committed value is, as in Kafka, the offset of the next record to consume. A group handle is
 * not thread-safe; use one per thread.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_log_group cer_log_group;

/* Open group `group` (name rules as topics) under log directory `dir`, creating DIR/groups if
 * needed. Returns 0, CER_LOG_EINVAL, CER_LOG_EIO, CER_LOG_ENOMEM. Caller owns *out. */
CER_LOG_EXTERN int cer_log_group_open(cer_log_group **out, const char *dir, const char *group,
                                      char *errstr, size_t errstr_size);
/* Free. NULL is a no-op. */
CER_LOG_EXTERN void cer_log_group_close(cer_log_group *g);
/* Durably record `next_offset` (>= 0) for topic/partition. Returns 0 once the new file and its
 * directory entry are fsynced; CER_LOG_EINVAL, CER_LOG_ECORRUPT (existing file fails its
 * checksum; errstr names it), CER_LOG_ELIMIT (more than 100000 entries), CER_LOG_EIO. */
CER_LOG_EXTERN int cer_log_group_commit(cer_log_group *g, const char *topic, int32_t partition,
                                        int64_t next_offset, char *errstr, size_t errstr_size);
/* As cer_log_group_commit for n partitions of one topic (partitions[i] -> next_offsets[i]) in
 * one replacement of the file: one lock, one write, one fsync. n == 0 is a no-op. */
CER_LOG_EXTERN int cer_log_group_commit_many(cer_log_group *g, const char *topic, size_t n,
                                             const int32_t *partitions, const int64_t *next_offsets,
                                             char *errstr, size_t errstr_size);
/* Read the committed offset from disk. Returns 0 with *next_offset set, CER_LOG_ENOTFOUND (never
 * committed), CER_LOG_ECORRUPT, CER_LOG_EIO. */
CER_LOG_EXTERN int cer_log_group_committed(cer_log_group *g, const char *topic, int32_t partition,
                                           int64_t *next_offset, char *errstr, size_t errstr_size);

#ifdef __cplusplus
}
#endif
#endif /* CERELAY_LOG_H */
