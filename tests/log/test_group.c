/* Consumer groups (src/log/group.c): commit and fetch, persistence, the file format and its
 * checksum, argument checks, and commits from several processes at once. */
#include <sys/wait.h>

#include "logtest.h"

TEST(commit_and_fetch)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_group *g, *h;
    CHECK_EQ_INT(cer_log_group_open(&g, dir, "billing", err, sizeof err), 0);
    int64_t off = -1;
    CHECK_EQ_INT(cer_log_group_committed(g, "usage", 0, &off, err, sizeof err), CER_LOG_ENOTFOUND);
    CHECK_EQ_INT(cer_log_group_commit(g, "usage", 0, 5, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_commit(g, "usage", 1, 7, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_commit(g, "quota.low", 0, 3, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_commit(g, "usage", 0, 9, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_open(&h, dir, "billing", err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_committed(h, "usage", 0, &off, err, sizeof err), 0);
    CHECK_EQ_INT(off, 9);
    CHECK_EQ_INT(cer_log_group_committed(h, "usage", 1, &off, err, sizeof err), 0);
    CHECK_EQ_INT(off, 7);
    CHECK_EQ_INT(cer_log_group_committed(h, "quota.low", 0, &off, err, sizeof err), 0);
    CHECK_EQ_INT(off, 3);
    CHECK_EQ_INT(cer_log_group_committed(h, "usage", 2, &off, err, sizeof err), CER_LOG_ENOTFOUND);
    /* another group is separate */
    cer_log_group *o;
    CHECK_EQ_INT(cer_log_group_open(&o, dir, "audit", err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_committed(o, "usage", 0, &off, err, sizeof err), CER_LOG_ENOTFOUND);
    cer_log_group_close(o);
    /* the format is documented text ending in its CRC32C */
    char path[4096];
    snprintf(path, sizeof path, "%s/groups/billing.offsets", dir);
    size_t len;
    unsigned char *b = lt_slurp(path, &len);
    const char *body = "cerelay-group 1\n9 0 usage\n7 1 usage\n3 0 quota.low\n";
    size_t bl = strlen(body);
    CHECK(len == bl + 16);
    CHECK_EQ_MEM(b, bl, body, bl);
    char crc[32];
    snprintf(crc, sizeof crc, "crc32c %08x\n", (unsigned)cer_log_crc32c(0, body, bl));
    CHECK_EQ_MEM(b + bl, len - bl, crc, strlen(crc));
    free(b);
    cer_log_group_close(g);
    cer_log_group_close(h);
    cer_log_group_close(NULL);
    lt_cleanup(dir);
}

TEST(corrupt_group_file_is_detected_not_overwritten)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_group *g;
    CHECK_EQ_INT(cer_log_group_open(&g, dir, "g", err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_commit(g, "t", 0, 12345, err, sizeof err), 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/groups/g.offsets", dir);
    size_t len;
    unsigned char *b = lt_slurp(path, &len);
    b[17] ^= 0x01; /* '1' of 12345 becomes '0' */
    lt_spit(path, b, len);
    int64_t off;
    CHECK_EQ_INT(cer_log_group_committed(g, "t", 0, &off, err, sizeof err), CER_LOG_ECORRUPT);
    CHECK_CONTAINS(err, path);
    CHECK_EQ_INT(cer_log_group_commit(g, "t", 1, 1, err, sizeof err), CER_LOG_ECORRUPT);
    size_t len2;
    unsigned char *b2 = lt_slurp(path, &len2);
    CHECK(len2 == len && memcmp(b, b2, len) == 0);
    free(b);
    free(b2);
    /* a leftover temp file from a crashed commit does not matter */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.99999", path);
    lt_spit(tmp, "partial", 7);
    unlink(path);
    CHECK_EQ_INT(cer_log_group_committed(g, "t", 0, &off, err, sizeof err), CER_LOG_ENOTFOUND);
    CHECK_EQ_INT(cer_log_group_commit(g, "t", 0, 1, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_committed(g, "t", 0, &off, err, sizeof err), 0);
    CHECK_EQ_INT(off, 1);
    cer_log_group_close(g);
    lt_cleanup(dir);
}

TEST(argument_checks)
{
    char *dir = lt_tmpdir();
    char err[512];
    cer_log_group *g;
    CHECK_EQ_INT(cer_log_group_open(&g, dir, "bad name", err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_group_open(&g, dir, "", err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_group_open(&g, dir, "ok", err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_group_commit(g, "t", 0, -1, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_group_commit(g, "t", -1, 0, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_group_commit(g, "a b", 0, 0, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_group_committed(g, "t", 0, NULL, err, sizeof err), CER_LOG_EINVAL);
    cer_log_group_close(g);
    lt_cleanup(dir);
}

/* Four processes commit to their own partitions of one group while the parent keeps reading the
 * file: no commit is lost (the flock serialises read-modify-write) and no read sees a partial
 * file (rename is atomic). */
TEST(commits_from_several_processes)
{
    char *dir = lt_tmpdir();
    char err[512];
    enum { P = 4, N = 40 };
    pid_t pids[P];
    for (int p = 0; p < P; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            cer_log_group *g;
            if (cer_log_group_open(&g, dir, "shared", NULL, 0) != 0)
                _exit(10);
            for (int i = 1; i <= N; i++)
                if (cer_log_group_commit(g, "t", p, i, NULL, 0) != 0)
                    _exit(11);
            cer_log_group_close(g);
            _exit(0);
        }
    }
    cer_log_group *g;
    CHECK_EQ_INT(cer_log_group_open(&g, dir, "shared", err, sizeof err), 0);
    int reads = 0, corrupt = 0, running = P;
    while (running) {
        int64_t off;
        int rc = cer_log_group_committed(g, "t", 0, &off, err, sizeof err);
        corrupt += rc == CER_LOG_ECORRUPT || rc == CER_LOG_EIO;
        reads++;
        int st;
        pid_t w = waitpid(-1, &st, WNOHANG);
        if (w > 0) {
            running--;
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
    }
    fprintf(stderr, "%d concurrent reads\n", reads);
    CHECK_EQ_INT(corrupt, 0);
    for (int p = 0; p < P; p++) {
        int64_t off = -1;
        CHECK_EQ_INT(cer_log_group_committed(g, "t", p, &off, err, sizeof err), 0);
        CHECK_EQ_INT(off, N);
    }
    cer_log_group_close(g);
    lt_cleanup(dir);
}
