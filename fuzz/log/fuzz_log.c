/* libFuzzer target for the local log: the input is written as a partition's segment file, then
 * writer recovery (open), an append, close, and a reader scan run on it. Oracles: nothing
 * crashes or leaks; readers return strictly increasing offsets; the appended record reads back
 * last and intact; a second recovery changes nothing (same file, same records).
 * Input byte 0 selects the mode: bit 0 = the rest is the whole file (else a valid header is
 * supplied and the rest is the record area); bit 1 = recompute the CRC of every record whose
 * length fits, so structure checks get exercised; bit 2 = add an empty newer segment, making the
 * fuzzed one sealed (readers resynchronise instead of waiting at its end). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cerelay/log.h"
#include "log/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct digest {
    size_t n;
    uint32_t h;
    int64_t last_offset;
    char last_value[16];
} digest;

static char dir[256], pdir[300], seg0[400], seg1[400];

static void wipe(void);

static void teardown(void)
{
    char path[400];
    wipe();
    rmdir(pdir);
    snprintf(path, sizeof path, "%s/t.topic", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/.lock", dir);
    unlink(path);
    rmdir(dir);
}

static void setup(void)
{
    if (dir[0])
        return;
    atexit(teardown);
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/fuzz-log-%ld", base, (long)getpid());
    snprintf(pdir, sizeof pdir, "%s/t-0", dir);
    snprintf(seg0, sizeof seg0, "%s/00000000000000000000.log", pdir);
    mkdir(dir, 0755);
    mkdir(pdir, 0755);
    FILE *f = fopen(seg0, "w");
    fclose(f);
    char meta[400];
    snprintf(meta, sizeof meta, "%s/t.topic", dir);
    f = fopen(meta, "w");
    fputs("cerelay-topic 1\npartitions 1\n", f);
    fclose(f);
}

/* Remove every file of the partition (a roll may have created segments with any base). */
static void wipe(void)
{
    DIR *d = opendir(pdir);
    struct dirent *de;
    char path[700];
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", pdir, de->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
}

static void fix_crcs(uint8_t *b, size_t len)
{
    for (size_t pos = CER_LOG__SEG_HDR; pos + 8 <= len;) {
        uint64_t total = (uint64_t)cer_log__get32(b + pos) + 4;
        if (total < 8 || pos + total > len)
            break;
        cer_log__put32(b + pos + 4, cer_log_crc32c(0, b + pos + 8, (size_t)total - 8));
        pos += (size_t)total;
    }
}

static void silent(void *ctx, int level, const char *msg)
{
    (void)ctx, (void)level, (void)msg;
}

static digest scan(const cer_log_conf *c)
{
    digest d = {0, 2166136261u, -1, ""};
    cer_log_reader *r;
    if (cer_log_reader_open(&r, dir, "t", 0, c, NULL, 0) != 0)
        abort();
    for (;;) {
        cer_log_rec rec;
        int rc = cer_log_reader_next(r, &rec, 0, NULL, 0);
        if (rc == CER_LOG_EAGAIN)
            break;
        if (rc == CER_LOG_ETOOBIG)
            continue;
        if (rc != 0)
            abort();
        if (rec.offset <= d.last_offset)
            abort(); /* offsets must strictly increase */
        d.last_offset = rec.offset;
        d.n++;
        d.h = (d.h ^ (uint32_t)rec.offset) * 16777619u;
        d.h = cer_log_crc32c(d.h, rec.value, rec.value_len);
        size_t n = rec.value_len < sizeof d.last_value - 1 ? rec.value_len : 0;
        memcpy(d.last_value, rec.value ? rec.value : "", n);
        d.last_value[n] = 0;
        /* exercise seeks on the way */
        if (d.n == 3)
            cer_log_reader_seek(r, CER_LOG_SEEK_OFFSET, rec.offset + 1, NULL, 0);
    }
    cer_log_reader_seek(r, CER_LOG_SEEK_TIME, 1700000010000ll, NULL, 0);
    cer_log_reader_seek(r, CER_LOG_SEEK_LATEST, 0, NULL, 0);
    cer_log_reader_close(r);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1 << 20))
        return 0;
    setup();
    unsigned mode = data[0];
    data++, size--;
    size_t len = (mode & 1) ? size : CER_LOG__SEG_HDR + size;
    uint8_t *b = malloc(len ? len : 1);
    if (mode & 1) {
        memcpy(b, data, size);
    } else {
        cer_log__seg_header_encode(b, 0, 1700000000000ll);
        memcpy(b + CER_LOG__SEG_HDR, data, size);
    }
    if (mode & 2)
        fix_crcs(b, len);
    wipe();
    FILE *f = fopen(seg0, "w");
    fwrite(b, 1, len, f);
    fclose(f);
    free(b);
    if (mode & 4) {
        int64_t base = 1;
        snprintf(seg1, sizeof seg1, "%s/%020lld.log", pdir, (long long)base);
        uint8_t h[CER_LOG__SEG_HDR];
        cer_log__seg_header_encode(h, base, 1700000000000ll);
        f = fopen(seg1, "w");
        fwrite(h, 1, sizeof h, f);
        fclose(f);
    }
    cer_log_conf *c = cer_log_conf_new();
    cer_log_conf_set_report_cb(c, silent, NULL);
    cer_log_conf_set(c, "fsync", "never", NULL, 0);
    cer_log_conf_set(c, "retention.ms", "-1", NULL, 0);
    cer_log_conf_set(c, "index.interval.bytes", "64", NULL, 0);
    scan(c); /* a reader before any recovery */
    cer_log *l;
    if (cer_log_open(&l, dir, c, NULL, 0) == 0) {
        cer_log_rec r = {0};
        r.value = "fuzz-appended";
        r.value_len = 13;
        r.timestamp_ms = 1700000000000ll;
        int64_t off = -1;
        int rc = cer_log_append(l, "t", 0, &r, NULL, &off, NULL, 0);
        cer_log_close(l, NULL, 0);
        if (rc == 0) {
            /* the new record is after everything stored, so a reader reaches it */
            digest d1 = scan(c);
            if (d1.last_offset != off || strcmp(d1.last_value, "fuzz-appended") != 0)
                abort();
            struct stat s1, s2;
            stat(seg0, &s1);
            if (cer_log_open(&l, dir, c, NULL, 0) != 0)
                abort(); /* a recovered log must reopen */
            cer_log_close(l, NULL, 0);
            stat(seg0, &s2);
            digest d2 = scan(c);
            if (s1.st_size != s2.st_size || d1.n != d2.n || d1.h != d2.h)
                abort(); /* recovery is idempotent */
        }
    }
    cer_log_conf_destroy(c);
    wipe();
    return 0;
}
