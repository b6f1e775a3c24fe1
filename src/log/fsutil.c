/* File-system helpers for the log: clocks, name rules, bounded paths, durable directory and
 * atomic file updates, full reads/writes, and listing the segments of a partition directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/internal.h"

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cer_log__now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}
int64_t cer_log__mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

bool cer_log__name_valid(const char *name)
{
    if (!name)
        return false;
    size_t n = strlen(name);
    if (n == 0 || n > CER_LOG__NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int cer_log__path(char *out, char *errstr, size_t errstr_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, CER_LOG__PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= CER_LOG__PATH_MAX)
        return cerx_errf(CER_LOG_EINVAL, errstr, errstr_size, "path too long (%d bytes)", n);
    return 0;
}

/* fsync the directory containing `path`. */
static int fsync_parent(const char *path, char *errstr, size_t errstr_size)
{
    char parent[CER_LOG__PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = 0;
    char *slash = strrchr(parent, '/');
    if (!slash)
        return cer_log__fsync_dir(".", errstr, errstr_size);
    if (slash == parent)
        slash[1] = 0;
    else
        *slash = 0;
    return cer_log__fsync_dir(parent, errstr, errstr_size);
}

int cer_log__mkdir(const char *path, char *errstr, size_t errstr_size)
{
    if (mkdir(path, 0755) == 0) /* a new directory entry: make it durable */
        return fsync_parent(path, errstr, errstr_size);
    if (errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) != 0)
            return cer_log__errno(errno, errstr, errstr_size, "stat", path);
        if (!S_ISDIR(st.st_mode))
            return cerx_errf(CER_LOG_EIO, errstr, errstr_size, "%s is not a directory", path);
        return 0;
    }
    return cer_log__errno(errno, errstr, errstr_size, "mkdir", path);
}

int cer_log__fsync_dir(const char *path, char *errstr, size_t errstr_size)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cer_log__errno(errno, errstr, errstr_size, "open directory", path);
    int rc = 0;
    if (fsync(fd) != 0)
        rc = cer_log__errno(errno, errstr, errstr_size, "fsync directory", path);
    close(fd);
    return rc;
}

int cer_log__write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int cer_log__pwrite_all(int fd, const void *p, size_t n, uint64_t pos)
{
    const char *c = p;
    while (n) {
        ssize_t w = pwrite(fd, c, n, (off_t)pos);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        c += w;
        n -= (size_t)w;
        pos += (uint64_t)w;
    }
    return 0;
}

ssize_t cer_log__pread_full(int fd, void *p, size_t n, uint64_t pos)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)p + got, n - got, (off_t)(pos + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int cer_log__write_atomic(const char *dir, const char *path, const void *data, size_t len,
                          bool durable, char *errstr, size_t errstr_size)
{
    char tmp[CER_LOG__PATH_MAX];
    int rc = cer_log__path(tmp, errstr, errstr_size, "%s.tmp.%ld", path, (long)getpid());
    if (rc)
        return rc;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return cer_log__errno(errno, errstr, errstr_size, "create", tmp);
    int e = cer_log__write_all(fd, data, len);
    if (e == 0 && durable && fsync(fd) != 0)
        e = -errno;
    close(fd);
    if (e == 0 && rename(tmp, path) != 0)
        e = -errno;
    if (e) {
        unlink(tmp);
        return cer_log__errno(-e, errstr, errstr_size, "write", path);
    }
    return durable ? cer_log__fsync_dir(dir, errstr, errstr_size) : 0;
}

int cer_log__read_small(const char *path, size_t cap, char **out, size_t *len, char *errstr,
                        size_t errstr_size)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return cerx_errf(CER_LOG_ENOTFOUND, errstr, errstr_size, "%s does not exist", path);
        return cer_log__errno(errno, errstr, errstr_size, "open", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return cer_log__errno(e, errstr, errstr_size, "stat", path);
    }
    if ((uint64_t)st.st_size > cap) {
        close(fd);
        return cerx_errf(CER_LOG_ETOOBIG, errstr, errstr_size,
                         "%s is %lld bytes, over the %zu byte limit", path, (long long)st.st_size,
                         cap);
    }
    char *buf = cer_log__malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return CER_LOG_ENOMEM;
    }
    ssize_t n = cer_log__pread_full(fd, buf, (size_t)st.st_size, 0);
    close(fd);
    if (n < 0) {
        cer_log__free(buf);
        return cer_log__errno((int)-n, errstr, errstr_size, "read", path);
    }
    buf[n] = 0;
    *out = buf;
    *len = (size_t)n;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int cer_log__list_segments(const char *pdir, int64_t **out, size_t *n, char *errstr,
                           size_t errstr_size)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(pdir);
    if (!d) {
        if (errno == ENOENT)
            return cerx_errf(CER_LOG_ENOTFOUND, errstr, errstr_size,
                             "partition directory %s does not exist", pdir);
        return cer_log__errno(errno, errstr, errstr_size, "opendir", pdir);
    }
    int64_t *arr = NULL;
    size_t cnt = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;
        if (strlen(s) != 24 || strcmp(s + 20, ".log") != 0)
            continue;
        int64_t v = 0;
        bool ok = true;
        for (int i = 0; i < 20; i++) {
            if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10) {
                ok = false;
                break;
            }
            v = v * 10 + (s[i] - '0');
        }
        if (!ok || v > CER_LOG__MAX_OFFSET)
            continue;
        rc = cer_log__grow((void **)&arr, &cap, cnt + 1, sizeof *arr, SIZE_MAX / 16);
        if (rc)
            break;
        arr[cnt++] = v;
    }
    closedir(d);
    if (rc) {
        cer_log__free(arr);
        return cerx_errf(rc, errstr, errstr_size, "listing %s: out of memory", pdir);
    }
    if (cnt)
        qsort(arr, cnt, sizeof *arr, cmp_i64);
    *out = arr;
    *n = cnt;
    return 0;
}
