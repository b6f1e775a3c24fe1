/* Internal interfaces shared between the files of the local log (src/log/). Not installed.
 * Names carry the cer_log__ prefix; nothing here is part of the public ABI. The on-disk layouts
 * these constants describe are specified in docs/log-format.md. */
#ifndef CER_LOG_INTERNAL_H
#define CER_LOG_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/base.h"
#include "cerelay/log.h"

#if defined(__GNUC__) || defined(__clang__)
#define CER_LOG__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CER_LOG__PRINTF(a, b)
#endif

/* ---- limits ------------------------------------------------------------------------------ */
#define CER_LOG__PATH_MAX          4096
#define CER_LOG__NAME_MAX          200 /* topic and group names */
#define CER_LOG__MAX_TOPICS        10000
#define CER_LOG__MAX_PARTITIONS    10000
#define CER_LOG__MAX_GROUP_ENTRIES 100000
#define CER_LOG__RECORD_LIMIT      (64u << 20)        /* format limit for one encoded record */
#define CER_LOG__READ_CHUNK        (256u << 10)       /* bytes a cursor reads at a time */
#define CER_LOG__MAX_OFFSET        (INT64_C(1) << 62) /* largest segment base offset */

/* ---- on-disk constants (docs/log-format.md) ---------------------------------------------- */
#define CER_LOG__SEG_MAGIC       "CRLG"
#define CER_LOG__OIDX_MAGIC      "CRLI"
#define CER_LOG__TIDX_MAGIC      "CRLT"
#define CER_LOG__VERSION         1
#define CER_LOG__SEG_HDR         32u /* segment file header */
#define CER_LOG__IDX_HDR         24u /* index file header */
#define CER_LOG__OENT            8u  /* offset index entry: rel u32, pos u32 */
#define CER_LOG__TENT            16u /* time index entry: ts i64, rel u32, pos u32 */
#define CER_LOG__REC_FIXED       32u /* length .. key_len */
#define CER_LOG__REC_MIN         36u /* smallest whole record: fixed part + value_len */
#define CER_LOG__ATTR_KEY_NULL   0x1u
#define CER_LOG__ATTR_VALUE_NULL 0x2u
#define CER_LOG__IDX_SEALED      0x1u

enum { CER_LOG__FSYNC_ALWAYS = 0, CER_LOG__FSYNC_INTERVAL, CER_LOG__FSYNC_NEVER };

/* ---- little-endian helpers --------------------------------------------------------------- */
static inline void cer_log__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void cer_log__put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void cer_log__put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t cer_log__get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t cer_log__get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t cer_log__get64(const uint8_t *p)
{
    return (uint64_t)cer_log__get32(p) | ((uint64_t)cer_log__get32(p + 4) << 32);
}

/* ---- alloc.c ----------------------------------------------------------------------------- */
void *cer_log__malloc(size_t n);
void *cer_log__calloc(size_t n, size_t size);
void *cer_log__realloc(void *p, size_t n);
void cer_log__free(void *p);
char *cer_log__strdup(const char *s);
/* Grow *arr (element size `size`) to hold at least `need` elements, at most `max`.
 * Returns 0, CER_LOG_ENOMEM or CER_LOG_ELIMIT. */
int cer_log__grow(void **arr, size_t *cap, size_t need, size_t size, size_t max);

/* A growable byte buffer with a cap. */
typedef struct cer_log__buf {
    uint8_t *ptr;
    size_t len, cap, limit;
} cer_log__buf;
int cer_log__buf_reserve(cer_log__buf *b, size_t extra); /* 0, ENOMEM or ETOOBIG */
void cer_log__buf_free(cer_log__buf *b);

/* errstr formatting: cerx_errf (src/base/base.h). */
/* errstr = "<what> <path>: <strerror(e)>"; returns CER_LOG_EIO (or ENOMEM for ENOMEM). */
int cer_log__errno(int e, char *errstr, size_t errstr_size, const char *what, const char *path);
/* Deliver a report through the conf's callback, if any. */
void cer_log__report(const cer_log_conf *conf, int level, const char *fmt, ...)
    CER_LOG__PRINTF(3, 4);

/* ---- crc32c.c ---------------------------------------------------------------------------- */
uint32_t cer_log__crc32c_sw(uint32_t crc, const void *data, size_t len);
/* Hardware path; only call when cer_log__crc32c_hw_available(). */
uint32_t cer_log__crc32c_hw(uint32_t crc, const void *data, size_t len);
bool cer_log__crc32c_hw_available(void);

/* ---- conf.c ------------------------------------------------------------------------------ */
/* Test hook: called instead of fdatasync() on segment files when set (see tests). */
typedef int (*cer_log__sync_hook)(void *ctx, int fd);

struct cer_log_conf {
    int64_t segment_bytes;
    int64_t segment_ms;
    int64_t index_interval;
    int fsync_policy;
    int64_t fsync_interval_ms;
    int64_t retention_bytes;
    int64_t retention_ms;
    int64_t max_record_bytes;
    int64_t max_pending_bytes;
    int64_t topic_partitions;
    cer_log_report_fn report;
    void *report_ctx;
    cer_log__sync_hook sync_hook;
    void *sync_ctx;
};
void cer_log__conf_defaults(cer_log_conf *c);
/* Install a sync hook (tests only). */
void cer_log__conf_set_sync_hook(cer_log_conf *c, cer_log__sync_hook fn, void *ctx);

/* ---- fsutil.c ---------------------------------------------------------------------------- */
int64_t cer_log__now_ms(void);  /* CLOCK_REALTIME */
int64_t cer_log__mono_ms(void); /* CLOCK_MONOTONIC */
bool cer_log__name_valid(const char *name);
/* snprintf into a path buffer of CER_LOG__PATH_MAX; CER_LOG_EINVAL when it does not fit. */
int cer_log__path(char *out, char *errstr, size_t errstr_size, const char *fmt, ...)
    CER_LOG__PRINTF(4, 5);
/* mkdir; fine if it exists as a directory; a new one is made durable (parent fsynced). */
int cer_log__mkdir(const char *path, char *errstr, size_t errstr_size);
int cer_log__fsync_dir(const char *path, char *errstr, size_t errstr_size);
/* Replace `path` atomically with data: temp file, write, rename. When `durable`, the temp file
 * is fsynced before the rename and the directory after it. */
int cer_log__write_atomic(const char *dir, const char *path, const void *data, size_t len,
                          bool durable, char *errstr, size_t errstr_size);
/* Read a whole file of at most `cap` bytes into a new NUL-terminated buffer (*out, caller
 * frees). CER_LOG_ENOTFOUND when absent, CER_LOG_ETOOBIG when larger than cap. */
int cer_log__read_small(const char *path, size_t cap, char **out, size_t *len, char *errstr,
                        size_t errstr_size);
int cer_log__pwrite_all(int fd, const void *p, size_t n, uint64_t pos);
int cer_log__write_all(int fd, const void *p, size_t n);
/* pread exactly n bytes unless EOF: returns bytes read (< n at EOF) or -errno. */
ssize_t cer_log__pread_full(int fd, void *p, size_t n, uint64_t pos);
/* List segment base offsets (files named %020lld.log) in a partition dir, ascending. *out is a
 * new array (caller frees, NULL when none). */
int cer_log__list_segments(const char *pdir, int64_t **out, size_t *n, char *errstr,
                           size_t errstr_size);

/* ---- record.c ---------------------------------------------------------------------------- */
/* Encoded size of a record including its length field, or 0 when it is malformed (NULL with a
 * length, too many headers) or larger than `max`. */
size_t cer_log__rec_size(const cer_log_rec *r, size_t max, int *err);
/* Encode into dst (cer_log__rec_size bytes) with the given offset and timestamp. */
void cer_log__rec_encode(uint8_t *dst, size_t size, const cer_log_rec *r, int64_t offset,
                         int64_t ts);

typedef enum {
    CER_LOG__FRAME_OK = 0, /* a whole record of *total bytes is in the buffer */
    CER_LOG__FRAME_SHORT,  /* fewer bytes than the record needs */
    CER_LOG__FRAME_BAD     /* impossible length field */
} cer_log__frame;
/* Look at the length field at buf (avail bytes). *total: whole record size when known. */
cer_log__frame cer_log__rec_frame(const uint8_t *buf, size_t avail, size_t max, size_t *total);
/* Check CRC and structure of a whole record buf[0..total); fills the fixed fields. Returns true
 * when valid. */
bool cer_log__rec_check(const uint8_t *buf, size_t total, int64_t *offset, int64_t *ts,
                        size_t *nheaders);
/* Decode a checked record into out, pointing into buf; headers into hdrs (nheaders slots). */
void cer_log__rec_decode(const uint8_t *buf, size_t total, cer_log_rec *out, cer_log_header *hdrs);

/* ---- segment.c --------------------------------------------------------------------------- */
void cer_log__seg_header_encode(uint8_t out[CER_LOG__SEG_HDR], int64_t base, int64_t created_ms);
/* Returns 0, CER_LOG_ECORRUPT or CER_LOG_EVERSION. */
int cer_log__seg_header_decode(const uint8_t *in, int64_t *base, int64_t *created_ms);
/* Create a new segment file with its header, fsync it and the directory. Returns the fd. */
int cer_log__seg_create(const char *pdir, int64_t base, int64_t created_ms, int *fd_out,
                        char *errstr, size_t errstr_size);

/* A sequential reader over one segment file: yields valid records, skips corrupt ones. */
typedef struct cer_log__cursor {
    int fd;
    char path[CER_LOG__PATH_MAX];
    int64_t base;
    uint64_t pos;        /* file position of the next record */
    int64_t last_offset; /* offset of the last valid record seen (base - 1 before any) */
    size_t max_record;
    cer_log__buf buf; /* window of the file: buf.ptr[0] is at file position win_pos */
    uint64_t win_pos;
    cer_log_header *hdrs;
    size_t hdr_cap;
    const cer_log_conf *conf;
    /* The segment may still grow (the newest one): a record cut short at its end is a write in
     * progress or a torn write, not corruption. */
    bool open_tail;
    /* Set with CER_LOG__CUR_TAIL: the tail is a record cut short (vs bytes failing checks). */
    bool tail_short;
    /* Set by CER_LOG__CUR_SKIP: the corrupt byte range and the offset of the record after it. */
    uint64_t bad_pos, bad_end;
    int64_t skip_offset;
    /* Set by CER_LOG__CUR_BIG: the oversized record (checksum verified). */
    size_t big_size;
    int64_t big_offset, big_ts;
} cer_log__cursor;

typedef enum {
    CER_LOG__CUR_REC = 0, /* *out holds a valid record (at rec_pos, rec_size bytes) */
    CER_LOG__CUR_END,     /* pos == size: clean end of the data */
    CER_LOG__CUR_TAIL,    /* bytes at pos do not (yet) form a valid record, none follows */
    CER_LOG__CUR_SKIP,    /* bad bytes [bad_pos, bad_end) skipped; a valid record follows */
    CER_LOG__CUR_BIG,     /* the record at pos is larger than max_record */
    CER_LOG__CUR_ERR      /* I/O error or out of memory (err set) */
} cer_log__cur_status;

void cer_log__cursor_init(cer_log__cursor *c, const cer_log_conf *conf, size_t max_record);
/* Attach to an open segment fd (not owned). Positions at the first record. */
void cer_log__cursor_attach(cer_log__cursor *c, int fd, const char *path, int64_t base);
void cer_log__cursor_seek(cer_log__cursor *c, uint64_t pos, int64_t last_offset);
void cer_log__cursor_free(cer_log__cursor *c);
/* Next record given the current file size. rec_pos/rec_size describe a returned record. */
cer_log__cur_status cer_log__cursor_next(cer_log__cursor *c, uint64_t size, cer_log_rec *out,
                                         uint64_t *rec_pos, size_t *rec_size, int *err);
/* After CER_LOG__CUR_BIG: step over the oversized record. */
void cer_log__cursor_skip_big(cer_log__cursor *c);

/* ---- index.c ----------------------------------------------------------------------------- */
typedef struct cer_log__oent {
    uint32_t rel, pos;
} cer_log__oent;
typedef struct cer_log__tent {
    int64_t ts;
    uint32_t rel, pos;
} cer_log__tent;

/* The sparse indexes of one segment, plus the running state that decides when to add entries
 * (shared by the writer and by rebuilds, so both produce identical files). */
typedef struct cer_log__index {
    int64_t base;
    cer_log__oent *o;
    size_t on, ocap;
    cer_log__tent *t;
    size_t tn, tcap;
    bool sealed;
    uint64_t last_entry_pos; /* position of the last offset entry (header end if none) */
    int64_t max_ts;          /* newest timestamp seen, INT64_MIN if no record */
    uint32_t max_rel, max_pos;
    int64_t records;
    int64_t next_offset; /* one past the last record noted */
} cer_log__index;

void cer_log__index_init(cer_log__index *ix, int64_t base);
void cer_log__index_free(cer_log__index *ix);
/* Account for a record at pos; may add entries. Returns 0 or CER_LOG_ENOMEM. */
int cer_log__index_note(cer_log__index *ix, int64_t offset, uint64_t pos, int64_t ts,
                        uint64_t interval);
/* Append the final time entry (newest timestamp) if it is not yet indexed, and mark sealed. */
int cer_log__index_seal(cer_log__index *ix);
/* Encode the header of an index file. */
void cer_log__index_header(uint8_t out[CER_LOG__IDX_HDR], const char *magic, uint16_t esize,
                           int64_t base, uint32_t flags);
void cer_log__oent_encode(uint8_t out[CER_LOG__OENT], const cer_log__oent *e);
void cer_log__tent_encode(uint8_t out[CER_LOG__TENT], const cer_log__tent *e);
/* Write both index files from scratch, atomically but without fsync: indexes are checked on
 * open and rebuilt from the segment when they are missing or inconsistent. */
int cer_log__index_write(const char *pdir, const cer_log__index *ix, char *errstr,
                         size_t errstr_size);
/* Load both index files of segment `base` whose data is seg_size bytes. Entries that point past
 * seg_size or break monotonicity end the loaded list. *complete is true when both files were
 * well-formed throughout (headers, sizes, order). Missing files give empty lists. */
int cer_log__index_load(const char *pdir, int64_t base, uint64_t seg_size, cer_log__index *ix,
                        bool *complete, char *errstr, size_t errstr_size);
/* Last offset entry with base+rel <= offset (NULL: start at the header). */
const cer_log__oent *cer_log__index_find_offset(const cer_log__index *ix, int64_t offset);
/* Last time entry with ts < t (NULL: start at the header). */
const cer_log__tent *cer_log__index_find_time(const cer_log__index *ix, int64_t t);
/* Path of an index file. */
int cer_log__index_path(char *out, const char *pdir, int64_t base, bool time_index);

/* Scan a whole segment from its header: rebuild `ix` (fresh), report skipped corruption, and
 * return in *valid_end the end of the last valid record (where a torn tail would be cut), in
 * *tail_bad whether bytes after it failed to form records and in *tail_short whether those
 * bytes are a record cut short (a torn write) rather than a record failing its checks. */
int cer_log__seg_scan(const char *pdir, int fd, int64_t base, const cer_log_conf *conf,
                      uint64_t size, bool open_tail, cer_log__index *ix, uint64_t *valid_end,
                      bool *tail_bad, bool *tail_short, char *errstr, size_t errstr_size);

/* ---- partition.c (writer side) ----------------------------------------------------------- */
typedef struct cer_log__part cer_log__part;
int cer_log__part_open(cer_log__part **out, const char *logdir, const char *topic, int32_t id,
                       const cer_log_conf *conf, char *errstr, size_t errstr_size);
void cer_log__part_close(cer_log__part *p); /* flushes; frees */
/* Append n records (n >= 1). *base receives the first offset. */
int cer_log__part_append(cer_log__part *p, const cer_log_rec *recs, size_t n, int64_t *base,
                         char *errstr, size_t errstr_size);
int cer_log__part_flush(cer_log__part *p, bool force_sync, char *errstr, size_t errstr_size);
void cer_log__part_offsets(cer_log__part *p, int64_t *start, int64_t *end);
int cer_log__part_retention(cer_log__part *p, int64_t now_ms, size_t *deleted, char *errstr,
                            size_t errstr_size);
/* Delete closed segments whose records all lie below before_offset. */
int cer_log__part_delete_before(cer_log__part *p, int64_t before_offset, size_t *deleted,
                                char *errstr, size_t errstr_size);
void cer_log__part_stats(cer_log__part *p, cer_log_stats *acc);

#endif
