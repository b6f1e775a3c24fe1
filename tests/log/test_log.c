/* The writer handle (src/log/log.c): directory lock, topic metadata, routing of appends to
 * partitions, reopening, and argument checks. */
#include <signal.h>
#include <sys/wait.h>

#include "logtest.h"

TEST(lock_contention_in_process_names_our_pid)
{
    char *dir = lt_tmpdir();
    cer_log *a = NULL, *b = NULL;
    char err[512];
    CHECK_EQ_INT(cer_log_open(&a, dir, NULL, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_open(&b, dir, NULL, err, sizeof err), CER_LOG_ELOCKED);
    CHECK(b == NULL);
    char want[64];
    snprintf(want, sizeof want, "pid %ld", (long)getpid());
    CHECK_CONTAINS(err, want);
    CHECK_CONTAINS(err, dir);
    CHECK_EQ_INT(cer_log_close(a, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_open(&b, dir, NULL, err, sizeof err), 0); /* released on close */
    cer_log_close(b, NULL, 0);
    lt_cleanup(dir);
}

TEST(lock_contention_across_processes)
{
    char *dir = lt_tmpdir();
    int up[2], down[2];
    CHECK_EQ_INT(pipe(up), 0);
    CHECK_EQ_INT(pipe(down), 0);
    pid_t pid = fork();
    if (pid == 0) {
        cer_log *l;
        char c = cer_log_open(&l, dir, NULL, NULL, 0) == 0 ? 'y' : 'n';
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
            _exit(3);
        cer_log_close(l, NULL, 0);
        _exit(0);
    }
    char c = 0;
    CHECK_EQ_INT(read(up[0], &c, 1), 1);
    CHECK_EQ_INT(c, 'y');
    cer_log *l = NULL;
    char err[512], want[64];
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), CER_LOG_ELOCKED);
    snprintf(want, sizeof want, "pid %ld", (long)pid);
    CHECK_CONTAINS(err, want);
    CHECK_EQ_INT(write(down[1], "x", 1), 1);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    cer_log_close(l, NULL, 0);
    /* A killed holder releases the lock too (flock dies with the process). */
    pid = fork();
    if (pid == 0) {
        cer_log *k;
        char ok = cer_log_open(&k, dir, NULL, NULL, 0) == 0 ? 'y' : 'n';
        if (write(up[1], &ok, 1) != 1)
            _exit(3);
        pause();
        _exit(0);
    }
    CHECK_EQ_INT(read(up[0], &c, 1), 1);
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), CER_LOG_ELOCKED);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    cer_log_close(l, NULL, 0);
    close(up[0]), close(up[1]), close(down[0]), close(down[1]);
    lt_cleanup(dir);
}

TEST(topic_metadata_persists)
{
    char *dir = lt_tmpdir();
    cer_log *l;
    char err[512];
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "usage.v1", 4, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "usage.v1", 4, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_create(l, "usage.v1", 3, err, sizeof err), CER_LOG_EEXISTS);
    CHECK_CONTAINS(err, "4 partitions");
    CHECK_EQ_INT(cer_log_topic_create(l, "bad/name", 1, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_topic_create(l, "..", 1, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_topic_create(l, "", 1, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 0, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_topic_create(l, "t", 10001, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_topic_partitions(l, "usage.v1"), 4);
    CHECK_EQ_INT(cer_log_topic_partitions(l, "nope"), CER_LOG_ENOTFOUND);
    cer_log_close(l, NULL, 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/usage.v1.topic", dir);
    size_t len = 0;
    unsigned char *meta = lt_slurp(path, &len);
    CHECK_EQ_MEM(meta, len, "cerelay-topic 1\npartitions 4\n", 29);
    free(meta);
    for (int p = 0; p < 4; p++)
        CHECK_EQ_INT(lt_file_size(lt_seg(dir, "usage.v1", p, 0, "log")), 32);
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_topic_partitions(l, "usage.v1"), 4);
    cer_log_close(l, NULL, 0);
    lt_cleanup(dir);
}

TEST(auto_partition_by_key_and_round_robin)
{
    char *dir = lt_tmpdir();
    cer_log_conf *c = lt_conf(NULL, "fsync", "never", "topic.partitions", "6", NULL);
    cer_log *l;
    char err[512];
    CHECK_EQ_INT(cer_log_open(&l, dir, c, err, sizeof err), 0);
    const char *keys[] = {"foobar", "kafka", "abc", "21", "a-little-bit-longer-string"};
    const int want[] = {0, 4, 3, 0, 5}; /* (murmur2 & 0x7fffffff) % 6, see test_murmur2.c */
    for (int i = 0; i < 5; i++) {
        cer_log_rec r = lt_rec(keys[i], "v", 0);
        int32_t p = -1;
        int64_t off = -1;
        CHECK_EQ_INT(
            cer_log_append(l, "auto", CER_LOG_PARTITION_AUTO, &r, &p, &off, err, sizeof err), 0);
        CHECK_EQ_INT(p, want[i]);
    }
    CHECK_EQ_INT(cer_log_topic_partitions(l, "auto"), 6);
    int counts[6] = {0};
    for (int i = 0; i < 12; i++) {
        cer_log_rec r = lt_rec(NULL, "keyless", 0);
        int32_t p = -1;
        CHECK_EQ_INT(
            cer_log_append(l, "auto", CER_LOG_PARTITION_AUTO, &r, &p, NULL, err, sizeof err), 0);
        CHECK_EQ_INT(p, i % 6);
        if (p >= 0 && p < 6)
            counts[p]++;
    }
    for (int p = 0; p < 6; p++)
        CHECK_EQ_INT(counts[p], 2);
    cer_log_rec r = lt_rec("k", "v", 0);
    CHECK_EQ_INT(cer_log_append(l, "auto", 6, &r, NULL, NULL, err, sizeof err), CER_LOG_EINVAL);
    CHECK_CONTAINS(err, "no partition 6");
    CHECK_EQ_INT(cer_log_append(l, "auto", -2, &r, NULL, NULL, err, sizeof err), CER_LOG_EINVAL);
    cer_log_close(l, NULL, 0);
    cer_log_conf_destroy(c);
    lt_cleanup(dir);
}

TEST(reopen_continues_offsets)
{
    char *dir = lt_tmpdir();
    char err[512];
    for (int round = 0; round < 3; round++) {
        cer_log *l;
        CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
        int64_t start = -1, end = -1;
        if (round > 0) {
            CHECK_EQ_INT(cer_log_offsets(l, "t", 0, &start, &end), 0);
            CHECK_EQ_INT(start, 0);
            CHECK_EQ_INT(end, round * 5);
        }
        for (int i = 0; i < 5; i++) {
            cer_log_rec r = lt_rec("k", "v", 0);
            int64_t off;
            CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, &off, err, sizeof err), 0);
            CHECK_EQ_INT(off, round * 5 + i);
        }
        CHECK_EQ_INT(cer_log_close(l, err, sizeof err), 0);
    }
    cer_log *l;
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    CHECK_EQ_INT(cer_log_offsets(l, "nope", 0, NULL, NULL), CER_LOG_ENOTFOUND);
    CHECK_EQ_INT(cer_log_offsets(l, "t", 1, NULL, NULL), CER_LOG_ENOTFOUND);
    cer_log_close(l, NULL, 0);
    lt_cleanup(dir);
}

TEST(argument_checks)
{
    char err[512];
    cer_log *l = (cer_log *)1;
    CHECK_EQ_INT(cer_log_open(&l, "", NULL, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_open(NULL, "x", NULL, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_close(NULL, err, sizeof err), 0);
    char *dir = lt_tmpdir();
    CHECK_EQ_INT(cer_log_open(&l, dir, NULL, err, sizeof err), 0);
    cer_log_rec r = lt_rec("k", "v", -5);
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), CER_LOG_EINVAL);
    CHECK_CONTAINS(err, "negative timestamp");
    r = lt_rec("k", NULL, 0);
    r.value_len = 3;
    CHECK_EQ_INT(cer_log_append(l, "t", 0, &r, NULL, NULL, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_append(l, "t", 0, NULL, NULL, NULL, err, sizeof err), CER_LOG_EINVAL);
    CHECK_EQ_INT(cer_log_append_batch(l, "t", 0, &r, 0, NULL, err, sizeof err), CER_LOG_EINVAL);
    r = lt_rec("k", "v", 0);
    CHECK_EQ_INT(cer_log_append_batch(l, "t", CER_LOG_PARTITION_AUTO, &r, 1, NULL, err, sizeof err),
                 CER_LOG_EINVAL);
    cer_log_close(l, NULL, 0);
    /* a regular file where the directory should be */
    char path[4096];
    snprintf(path, sizeof path, "%s/file", dir);
    lt_spit(path, "x", 1);
    CHECK_EQ_INT(cer_log_open(&l, path, NULL, err, sizeof err), CER_LOG_EIO);
    CHECK_CONTAINS(err, "not a directory");
    lt_cleanup(dir);
}

TEST(error_names_and_messages)
{
    CHECK_EQ_STR(cer_log_err_name(CER_LOG_ECORRUPT), "CER_LOG_ECORRUPT");
    CHECK_EQ_STR(cer_log_err_name(0), "CER_LOG_OK");
    CHECK_EQ_STR(cer_log_err_name(-999), "CER_LOG_EUNKNOWN");
    CHECK_EQ_STR(cer_log_strerror(CER_LOG_ELOCKED), "log directory is locked by another writer");
    CHECK_EQ_STR(cer_log_strerror(-999), "unknown error");
    CHECK_EQ_STR(cer_log_strerror(0), "success");
}
