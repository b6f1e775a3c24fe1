/* Tests for src/emitter/: delivery with the memory and disk buffers, back-pressure, recovery
 * of a backlog after SIGKILL, producer rebuild after a fatal error (librdkafka mock cluster),
 * and HTTP retries. Tests that need the real broker are in test_emitter_kafka.c. */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/emitter.h"
#include "cerelay/log.h"
#include "emitter/internal.h"
#include "harness.h"

typedef struct outcome {
    atomic_long ok, failed, persisted;
    atomic_long seen[4096]; /* per opaque index: number of final callbacks */
} outcome;

static void on_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    outcome *o = ctx;
    if (err)
        atomic_fetch_add(&o->failed, 1);
    else
        atomic_fetch_add(&o->ok, 1);
    uintptr_t i = (uintptr_t)opaque;
    if (i && i < 4096)
        atomic_fetch_add(&o->seen[i], 1);
}

static void on_persisted(void *ctx, void *opaque, int err)
{
    outcome *o = ctx;
    if (!err)
        atomic_fetch_add(&o->persisted, 1);
}

static char tmpdir[256];

static const char *mkdir_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cerelay-emitter-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
    return tmpdir;
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static ce_event *make_event(int i, const char *tenant)
{
    char err[256], id[32], data[128];
    ce_event *e = ce_event_new();
    snprintf(id, sizeof id, "evt-%d", i);
    snprintf(data, sizeof data, "{\"seq\":%d,\"tenantId\":\"%s\"}", i, tenant);
    ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
    ce_event_set_str(e, "id", id, err, sizeof err);
    ce_event_set_str(e, "source", "llm-orch-svc", err, sizeof err);
    ce_event_set_str(e, "type", "eventzr.llm.usage.v1", err, sizeof err);
    ce_event_set_str(e, "subject", tenant, err, sizeof err);
    ce_event_set_str(e, "datacontenttype", "application/json", err, sizeof err);
    ce_event_set_data(e, CE_DATA_JSON, data, strlen(data), err, sizeof err);
    return e;
}

static void set(cer_emitter_conf *c, const char *k, const char *v)
{
    char err[256];
    int rc = cer_emitter_conf_set(c, k, v, err, sizeof err);
    if (rc)
        fprintf(stderr, "conf %s=%s: %s\n", k, v, err);
    CHECK_EQ_INT(rc, 0);
}

/* Read topic/partition of a local log back: returns the count and checks seq order per key. */
static long count_log(const char *dir, const char *topic, int nparts)
{
    long n = 0;
    char err[256];
    for (int p = 0; p < nparts; p++) {
        cer_log_reader *r;
        if (cer_log_reader_open(&r, dir, topic, p, NULL, err, sizeof err) != 0)
            continue;
        cer_log_rec rec;
        while (cer_log_reader_next(r, &rec, 0, err, sizeof err) == 0)
            n++;
        cer_log_reader_close(r);
    }
    return n;
}

TEST(conf_errors_name_the_key)
{
    cer_emitter_conf *c = cer_emitter_conf_new();
    char err[256];
    CHECK_EQ_INT(cer_emitter_conf_set(c, "binding", "carrier-pigeon", err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "'binding'");
    CHECK_EQ_INT(cer_emitter_conf_set(c, "buffer.max_bytes", "lots", err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "'buffer.max_bytes'");
    CHECK_EQ_INT(cer_emitter_conf_set(c, "no.such", "1", err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "unknown property");
    CHECK_EQ_INT(cer_emitter_conf_set(c, "kafka.header.ce_type", "x", err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "'kafka.header.ce_type'");
    CHECK_CONTAINS(err, "CloudEvents binding's own");
    CHECK_EQ_INT(cer_emitter_conf_set(c, "kafka.header.x-t", "{open", err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "'kafka.header.x-t'");
    CHECK_EQ_INT(cer_emitter_conf_set(c, "kafka.header.x-t", "{tenantid}", err, sizeof err), 0);
    set(c, "binding", "kafka");
    cer_emitter *em = NULL;
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "kafka.brokers");
    set(c, "kafka.brokers", "127.0.0.1:9");
    set(c, "kafka.no.such.librdkafka.prop", "1");
    CHECK(cer_emitter_new(&em, c, err, sizeof err) != 0);
    CHECK_CONTAINS(err, "no.such.librdkafka.prop");
    cer_emitter_conf_destroy(c);
}

TEST(memory_buffer_delivers_to_log)
{
    const char *dir = mkdir_tmp();
    static outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    set(c, "log.dir", dir);
    set(c, "log.topic", "{type}");
    set(c, "log.partitions", "3");
    cer_emitter_conf_set_callbacks(c, on_delivery, on_persisted, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 1; i <= 1000; i++) {
        ce_event *e = make_event(i, i % 2 ? "tenant-a" : "tenant-b");
        CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)(uintptr_t)i, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    CHECK_EQ_INT(cer_emitter_flush(em, 10000), 0);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.emitted, 1000);
    CHECK_EQ_INT(st.delivered, 1000);
    CHECK_EQ_INT(o.persisted, 0); /* memory buffer: no persisted callbacks */
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(o.ok, 1000);
    CHECK_EQ_INT(o.failed, 0);
    for (int i = 1; i <= 1000; i++)
        CHECK_EQ_INT(o.seen[i], 1);
    CHECK_EQ_INT(count_log(dir, "eventzr.llm.usage.v1", 3), 1000);
    rm_rf(dir);
}

TEST(invalid_event_refused_with_attribute)
{
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    const char *dir = mkdir_tmp();
    set(c, "log.dir", dir);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    ce_event *e = make_event(1, "t");
    ce_event_unset(e, "source");
    CHECK_EQ_INT(cer_emitter_emit(em, e, NULL, err, sizeof err), CE_EMISSING);
    CHECK_CONTAINS(err, "source");
    ce_event_destroy(e);
    cer_emitter_destroy(em, 1000);
    rm_rf(dir);
}

TEST(queue_full_pushes_back)
{
    /* An unreachable broker: nothing drains, so the small queue fills and emit says so. */
    static outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "kafka");
    set(c, "kafka.brokers", "127.0.0.1:9");
    set(c, "kafka.topic", "t");
    set(c, "kafka.queue.buffering.max.messages", "10");
    set(c, "kafka.message.timeout.ms", "2000");
    set(c, "queue.max_bytes", "8192");
    cer_emitter_conf_set_callbacks(c, on_delivery, NULL, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    long accepted = 0, full = 0;
    for (int i = 1; i <= 2000; i++) {
        ce_event *e = make_event(i, "t");
        int rc = cer_emitter_emit(em, e, (void *)(uintptr_t)i, err, sizeof err);
        ce_event_destroy(e);
        if (rc == 0)
            accepted++;
        else if (rc == CER_EQUEUE_FULL)
            full++;
        else
            CHECK_EQ_INT(rc, 0);
    }
    CHECK(full > 0);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.rejected_full, full);
    cer_emitter_destroy(em, 3000);
    /* every accepted event got exactly one final outcome, none silently dropped */
    CHECK_EQ_INT(o.ok + o.failed, accepted);
    for (int i = 1; i <= 2000; i++)
        CHECK(o.seen[i] <= 1);
}

TEST(disk_buffer_persists_then_delivers)
{
    const char *dir = mkdir_tmp();
    char bufdir[300], dest[300];
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    snprintf(dest, sizeof dest, "%s/dest", dir);
    static outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    set(c, "log.dir", dest);
    set(c, "log.topic", "out");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    set(c, "buffer.fsync", "never");
    cer_emitter_conf_set_callbacks(c, on_delivery, on_persisted, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 1; i <= 2000; i++) {
        ce_event *e = make_event(i, i % 3 ? "tenant-a" : "tenant-b");
        CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)(uintptr_t)(i % 4096), err, sizeof err), 0);
        ce_event_destroy(e);
    }
    CHECK_EQ_INT(cer_emitter_flush(em, 20000), 0);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.persisted, 2000);
    CHECK_EQ_INT(st.delivered, 2000);
    CHECK_EQ_INT(st.buffer_events, 0);
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(o.persisted, 2000);
    CHECK_EQ_INT(o.ok, 2000);
    CHECK_EQ_INT(count_log(dest, "out", 1), 2000);
    rm_rf(dir);
}

/* The child buffers events for a broker that does not exist and is killed; the next process
 * (with a reachable destination) must drain the whole backlog. */
TEST(disk_buffer_backlog_survives_sigkill)
{
    const char *dir = mkdir_tmp();
    char bufdir[300], dest[300];
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    snprintf(dest, sizeof dest, "%s/dest", dir);
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        static outcome oc;
        cer_emitter_conf *c = cer_emitter_conf_new();
        char err[256];
        cer_emitter_conf_set(c, "binding", "kafka", err, sizeof err);
        cer_emitter_conf_set(c, "kafka.brokers", "127.0.0.1:9", err, sizeof err);
        cer_emitter_conf_set(c, "kafka.topic", "t", err, sizeof err);
        cer_emitter_conf_set(c, "buffer", "disk", err, sizeof err);
        cer_emitter_conf_set(c, "buffer.dir", bufdir, err, sizeof err);
        cer_emitter_conf_set_callbacks(c, NULL, on_persisted, NULL, &oc);
        cer_emitter *em;
        if (cer_emitter_new(&em, c, err, sizeof err) != 0)
            _exit(3);
        for (int i = 1; i <= 500; i++) {
            ce_event *e = make_event(i, "tenant-a");
            cer_emitter_emit(em, e, NULL, err, sizeof err);
            ce_event_destroy(e);
        }
        for (int k = 0; k < 500 && atomic_load(&oc.persisted) < 500; k++)
            usleep(10000);
        long n = atomic_load(&oc.persisted);
        if (write(fds[1], &n, sizeof n) != sizeof n)
            _exit(4);
        pause(); /* killed here, mid-flight */
        _exit(0);
    }
    long persisted = 0;
    CHECK(read(fds[0], &persisted, sizeof persisted) == sizeof persisted);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ_INT(persisted, 500);

    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    set(c, "log.dir", dest);
    set(c, "log.topic", "out");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    CHECK_EQ_INT(cer_emitter_flush(em, 20000), 0);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.delivered, 500);
    CHECK_EQ_INT(st.buffer_events, 0);
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(count_log(dest, "out", 1), 500);
    /* in order: seq 1..500 */
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dest, "out", 0, NULL, err, sizeof err), 0);
    cer_log_rec rec;
    int expect = 1;
    while (cer_log_reader_next(r, &rec, 0, err, sizeof err) == 0) {
        char want[32];
        snprintf(want, sizeof want, "{\"seq\":%d,", expect++);
        CHECK(rec.value_len > strlen(want) && memcmp(rec.value, want, strlen(want)) == 0);
    }
    cer_log_reader_close(r);
    rm_rf(dir);
}

TEST(mock_cluster_fatal_error_rebuilds_producer)
{
    static outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "kafka");
    set(c, "kafka.brokers", "mock");
    set(c, "kafka.test.mock.num.brokers", "1");
    set(c, "kafka.topic", "mocktopic");
    cer_emitter_conf_set_callbacks(c, on_delivery, NULL, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 1; i <= 300; i++) {
        if (i == 150)
            cer__emitter_test_fatal(em);
        ce_event *e = make_event(i, "tenant-a");
        CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)(uintptr_t)i, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    CHECK_EQ_INT(cer_emitter_flush(em, 30000), 0);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK(st.producer_rebuilds >= 1);
    CHECK_EQ_INT(st.delivered, 300);
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(o.ok, 300);
    for (int i = 1; i <= 300; i++)
        CHECK_EQ_INT(o.seen[i], 1);
}

TEST(http_retry_then_delivers)
{
    const char *dir = mkdir_tmp();
    pid_t pid = fork();
    if (pid == 0) {
        execl(HTTP_STUB, HTTP_STUB, dir, "503,202", "--retry-after", "0", (char *)NULL);
        _exit(127);
    }
    char portfile[300];
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    for (int i = 0; i < 100 && access(portfile, F_OK) != 0; i++)
        usleep(20000);
    size_t len;
    char *port = cer_test_read_file(portfile, &len);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ingest", atoi(port ? port : "0"));
    free(port);
    static outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "http");
    set(c, "http.url", url);
    set(c, "http.batch_size", "10");
    set(c, "http.flush_interval_ms", "100");
    cer_emitter_conf_set_callbacks(c, on_delivery, NULL, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 1; i <= 25; i++) {
        ce_event *e = make_event(i, "t");
        CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)(uintptr_t)i, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    CHECK_EQ_INT(cer_emitter_flush(em, 20000), 0);
    cer_emitter_destroy(em, 1000);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    CHECK_EQ_INT(o.ok, 25);
    /* 3 batches (10+10+5) plus one retried request */
    char path[320];
    snprintf(path, sizeof path, "%s/3.body", dir);
    CHECK(access(path, F_OK) == 0);
    rm_rf(dir);
}

static int route_alpha(void *ctx, const ce_event *ev, const char **topic, const char **key)
{
    ce_slice t = ce_event_get_str(ev, "type");
    if (t.len >= 2 && memcmp(t.ptr, "a.", 2) == 0) {
        *topic = "alpha";
        *key = "{tenantid}";
    }
    return 0;
}

TEST(router_chooses_topic_per_event)
{
    const char *dir = mkdir_tmp();
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    set(c, "log.dir", dir);
    set(c, "log.topic", "{type}");
    cer_emitter_conf_set_router(c, route_alpha, NULL);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 0; i < 10; i++) {
        ce_event *e = make_event(i, "t");
        ce_event_set_str(e, "type", i % 2 ? "a.x" : "b.y", err, sizeof err);
        ce_event_set_str(e, "tenantid", "acme", err, sizeof err);
        CHECK_EQ_INT(cer_emitter_emit(em, e, NULL, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    CHECK_EQ_INT(cer_emitter_flush(em, 10000), 0);
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(count_log(dir, "alpha", 1), 5);
    CHECK_EQ_INT(count_log(dir, "b.y", 1), 5);
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dir, "alpha", 0, NULL, err, sizeof err), 0);
    cer_log_rec rec;
    CHECK_EQ_INT(cer_log_reader_next(r, &rec, 0, err, sizeof err), 0);
    CHECK_EQ_MEM(rec.key, rec.key_len, "acme", 4);
    cer_log_reader_close(r);
    rm_rf(dir);
}

TEST(emit_batch_is_all_or_nothing)
{
    const char *dir = mkdir_tmp();
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    set(c, "log.dir", dir);
    set(c, "queue.max_bytes", "4096");
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    ce_event *evs[50];
    for (int i = 0; i < 50; i++)
        evs[i] = make_event(i, "t");
    /* too big for the queue as a whole: nothing is taken */
    CHECK_EQ_INT(
        cer_emitter_emit_batch(em, (const ce_event *const *)evs, 50, NULL, err, sizeof err),
        CER_EQUEUE_FULL);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.emitted, 0);
    /* an invalid member rejects the batch and names it */
    ce_event_unset(evs[2], "type");
    CHECK_EQ_INT(cer_emitter_emit_batch(em, (const ce_event *const *)evs, 3, NULL, err, sizeof err),
                 CE_EMISSING);
    CHECK_CONTAINS(err, "event 2: attribute 'type'");
    CHECK_EQ_INT(cer_emitter_emit_batch(em, (const ce_event *const *)evs, 2, NULL, err, sizeof err),
                 0);
    CHECK_EQ_INT(cer_emitter_flush(em, 10000), 0);
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.delivered, 2);
    cer_emitter_destroy(em, 1000);
    for (int i = 0; i < 50; i++)
        ce_event_destroy(evs[i]);
    rm_rf(dir);
}

static pid_t start_stub(const char *dir, const char *statuses, char *url, size_t urlsz)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl(HTTP_STUB, HTTP_STUB, dir, statuses, "--retry-after", "0", (char *)NULL);
        _exit(127);
    }
    char portfile[300];
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    for (int i = 0; i < 100 && access(portfile, F_OK) != 0; i++)
        usleep(20000);
    size_t len;
    char *port = cer_test_read_file(portfile, &len);
    snprintf(url, urlsz, "http://127.0.0.1:%d/ingest", atoi(port ? port : "0"));
    free(port);
    return pid;
}

typedef struct dl_outcome {
    atomic_long dead, ok, other;
} dl_outcome;

static void on_dl(void *ctx, void *opaque, int err, const char *reason)
{
    dl_outcome *o = ctx;
    if (err == CER_EDEADLETTER)
        atomic_fetch_add(&o->dead, 1);
    else if (err == 0)
        atomic_fetch_add(&o->ok, 1);
    else
        atomic_fetch_add(&o->other, 1);
}

TEST(permanent_rejection_goes_to_dead_letters)
{
    const char *dir = mkdir_tmp();
    char stubdir[300], bufdir[300], url[128], err[256];
    snprintf(stubdir, sizeof stubdir, "%s/stub", dir);
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    CHECK(mkdir(stubdir, 0755) == 0);
    pid_t pid = start_stub(stubdir, "400", url, sizeof url);
    static dl_outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "http");
    set(c, "http.url", url);
    set(c, "http.mode", "structured");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    cer_emitter_conf_set_callbacks(c, on_dl, NULL, NULL, &o);
    cer_emitter *em;
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 1; i <= 5; i++) {
        ce_event *e = make_event(i, "t");
        CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)(uintptr_t)i, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    CHECK_EQ_INT(cer_emitter_flush(em, 20000), 0);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.dead_lettered, 5);
    CHECK_EQ_INT(st.delivered, 0);
    cer_emitter_destroy(em, 1000);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    CHECK_EQ_INT(o.dead, 5);
    /* the dead letters are stored with the reason, and are readable CloudEvents */
    char dl[320];
    snprintf(dl, sizeof dl, "%s/dead-letter", bufdir);
    cer_log_reader *r;
    CHECK_EQ_INT(cer_log_reader_open(&r, dl, "dead-letter", 0, NULL, err, sizeof err), 0);
    cer_log_rec rec;
    int n = 0, with_reason = 0;
    while (cer_log_reader_next(r, &rec, 0, err, sizeof err) == 0) {
        n++;
        for (size_t h = 0; h < rec.header_count; h++)
            if (rec.headers[h].name_len == 19 &&
                memcmp(rec.headers[h].name, "ce_deadletterreason", 19) == 0 &&
                memmem(rec.headers[h].value, rec.headers[h].value_len, "status 400", 10))
                with_reason++;
    }
    cer_log_reader_close(r);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_INT(with_reason, 5);
    rm_rf(dir);
}

TEST(http_behind_disk_buffer_retries_past_the_attempt_limit)
{
    const char *dir = mkdir_tmp();
    char stubdir[300], bufdir[300], url[128], err[256];
    snprintf(stubdir, sizeof stubdir, "%s/stub", dir);
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    CHECK(mkdir(stubdir, 0755) == 0);
    /* nine failures: more than the 8 attempts a request gets without the disk buffer */
    pid_t pid = start_stub(stubdir, "503,503,503,503,503,503,503,503,503,202", url, sizeof url);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "http");
    set(c, "http.url", url);
    set(c, "http.mode", "structured");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    cer_emitter *em;
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    ce_event *e = make_event(1, "t");
    CHECK_EQ_INT(cer_emitter_emit(em, e, NULL, err, sizeof err), 0);
    ce_event_destroy(e);
    CHECK_EQ_INT(cer_emitter_flush(em, 60000), 0);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.delivered, 1);
    CHECK_EQ_INT(st.dead_lettered, 0);
    cer_emitter_destroy(em, 1000);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    rm_rf(dir);
}

TEST(disk_buffer_full_drop_oldest_and_block)
{
    const char *dir = mkdir_tmp();
    char bufdir[300], err[256];
    static outcome o;
    memset(&o, 0, sizeof o);
    snprintf(bufdir, sizeof bufdir, "%s/drop", dir);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "kafka");
    set(c, "kafka.brokers", "127.0.0.1:9"); /* nothing drains */
    set(c, "kafka.topic", "t");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    set(c, "buffer.fsync", "never");
    set(c, "buffer.max_bytes", "20000");
    set(c, "buffer.when_full", "drop_oldest");
    cer_emitter_conf_set_callbacks(c, on_delivery, on_persisted, NULL, &o);
    cer_emitter *em;
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 1; i <= 300; i++) {
        ce_event *e = make_event(i, "t");
        CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)(uintptr_t)i, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    for (int k = 0; k < 200 && atomic_load(&o.persisted) < 300; k++)
        usleep(10000);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.persisted, 300); /* everything was accepted onto disk... */
    CHECK(st.dropped > 0);           /* ...and the oldest were dropped, counted */
    CHECK(st.buffer_events < 300);
    cer_emitter_destroy(em, 0);
    CHECK(o.failed >= (long)st.dropped); /* dropped events got a final callback */

    /* block: the buffer stops taking events, the memory queue fills, emit pushes back */
    snprintf(bufdir, sizeof bufdir, "%s/block", dir);
    c = cer_emitter_conf_new();
    set(c, "binding", "kafka");
    set(c, "kafka.brokers", "127.0.0.1:9");
    set(c, "kafka.topic", "t");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    set(c, "buffer.fsync", "never");
    set(c, "buffer.max_bytes", "20000");
    set(c, "queue.max_bytes", "20000");
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    int full = 0;
    for (int i = 1; i <= 2000 && !full; i++) {
        ce_event *e = make_event(i, "t");
        int rc = cer_emitter_emit(em, e, NULL, err, sizeof err);
        ce_event_destroy(e);
        if (rc == CER_EQUEUE_FULL)
            full = 1;
        else
            CHECK_EQ_INT(rc, 0);
        if (i % 50 == 0)
            usleep(20000);
    }
    CHECK(full);
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.dropped, 0);
    cer_emitter_destroy(em, 0);
    rm_rf(dir);
}

/* Regression (issue 18): the destination's local-log sink appends a full batch of 256 records
 * from inside its submit call, so the 256th record's delivery callback ran before the
 * forwarder had recorded that it submitted that offset; when that record was the last of its
 * partition, the buffer's position never moved past it and the event stayed in the buffer
 * until something else arrived. A backlog of exactly 256 events in one buffer partition makes
 * the boundary deterministic: the whole backlog is read and submitted in one pass. */
static void fill_backlog_parts(const char *bufdir, int n, const char *parts, int tenants);

static void fill_backlog(const char *bufdir, int n)
{
    fill_backlog_parts(bufdir, n, "1", 1);
}

static void fill_backlog_parts(const char *bufdir, int n, const char *parts, int tenants)
{
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "kafka");
    set(c, "kafka.brokers", "127.0.0.1:9"); /* nothing listens: everything stays on disk */
    set(c, "kafka.topic", "t");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    set(c, "buffer.fsync", "never");
    set(c, "buffer.partitions", parts);
    static outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf_set_callbacks(c, NULL, on_persisted, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 1; i <= n; i++) {
        char tenant[32];
        snprintf(tenant, sizeof tenant, "tenant-%d", i % tenants);
        ce_event *e = make_event(i, tenant);
        CHECK_EQ_INT(cer_emitter_emit(em, e, NULL, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    for (int i = 0; i < 2000 && atomic_load(&o.persisted) < n; i++)
        usleep(5000);
    CHECK_EQ_INT(atomic_load(&o.persisted), n);
    cer_emitter_destroy(em, 0);
}

TEST(disk_buffer_batch_boundary_is_not_stuck)
{
    static const int sizes[] = {255, 256, 257, 512};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        const char *dir = mkdir_tmp();
        char bufdir[300], dest[300];
        snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
        snprintf(dest, sizeof dest, "%s/dest", dir);
        fill_backlog(bufdir, sizes[k]);
        cer_emitter_conf *c = cer_emitter_conf_new();
        set(c, "binding", "log");
        set(c, "log.dir", dest);
        set(c, "log.topic", "out");
        set(c, "buffer", "disk");
        set(c, "buffer.dir", bufdir);
        set(c, "buffer.fsync", "never");
        set(c, "buffer.partitions", "1");
        cer_emitter *em;
        char err[256];
        CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
        cer_emitter_conf_destroy(c);
        int rc = cer_emitter_flush(em, 5000);
        if (rc)
            fprintf(stderr, "backlog of %d: flush timed out\n", sizes[k]);
        CHECK_EQ_INT(rc, 0);
        cer_emitter_stats st;
        cer_emitter_stats_get(em, &st);
        CHECK_EQ_INT(st.delivered, sizes[k]);
        CHECK_EQ_INT(st.buffer_events, 0);
        cer_emitter_destroy(em, 1000);
        CHECK_EQ_INT(count_log(dest, "out", 1), sizes[k]);
        rm_rf(dir);
    }
}

/* ---- the hand-off from the disk buffer to the destination (docs/emitter.md) ---------------- */

typedef struct lat {
    atomic_llong delivered_ns;
} lat;

static void on_lat_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    (void)opaque, (void)err, (void)reason;
    lat *l = ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    atomic_store(&l->delivered_ns, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* A single event emitted into an idle disk buffer reaches the destination without waiting for
 * anything else to happen: the forwarder is woken by the append. Seven rounds, each after the
 * buffer has been idle longer than the forwarder's idle wait (100 ms); the median must stay
 * under 50 ms (on an idle machine it is about 1 ms plus the fsync). */
TEST(disk_buffer_idle_event_forwarded_at_once)
{
    const char *dir = mkdir_tmp();
    char bufdir[300], dest[300];
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    snprintf(dest, sizeof dest, "%s/dest", dir);
    static lat l;
    atomic_store(&l.delivered_ns, 0);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    set(c, "log.dir", dest);
    set(c, "log.topic", "out");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    cer_emitter_conf_set_callbacks(c, on_lat_delivery, NULL, NULL, &l);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    enum { ROUNDS = 7 };
    long long ms[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        usleep(110000); /* a lost wake-up would cost about 90 ms: the next idle tick */
        atomic_store(&l.delivered_ns, 0);
        ce_event *e = make_event(i + 1, "tenant-a");
        long long t0 = mono_ns();
        CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)(uintptr_t)(i + 1), err, sizeof err), 0);
        ce_event_destroy(e);
        while (!atomic_load(&l.delivered_ns) && mono_ns() - t0 < 5000000000LL)
            usleep(200);
        CHECK(atomic_load(&l.delivered_ns) != 0);
        ms[i] = (atomic_load(&l.delivered_ns) - t0) / 1000000;
    }
    qsort(ms, ROUNDS, sizeof *ms, cmp_ll);
    fprintf(stderr, "emit -> delivered (ms), sorted: %lld %lld %lld %lld %lld %lld %lld\n", ms[0],
            ms[1], ms[2], ms[3], ms[4], ms[5], ms[6]);
    CHECK(ms[ROUNDS / 2] <= 50);
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(count_log(dest, "out", 1), ROUNDS);
    rm_rf(dir);
}

/* Memory is bounded while the destination is down (issue 11): every accepted event counts
 * against queue.max_bytes until its final outcome, including those handed to librdkafka, so
 * emit pushes back (CER_EQUEUE_FULL) instead of piling events up behind a full producer. */
TEST(memory_bounded_while_destination_down)
{
    static outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "kafka");
    set(c, "kafka.brokers", "127.0.0.1:9"); /* nothing listens */
    set(c, "kafka.topic", "t");
    set(c, "queue.max_bytes", "8388608");
    cer_emitter_conf_set_callbacks(c, on_delivery, NULL, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    static char big[10001];
    memset(big, 'x', sizeof big - 1);
    char data[10100];
    snprintf(data, sizeof data, "{\"pad\":\"%s\"}", big);
    long accepted = 0, full = 0;
    for (int i = 1; i <= 10000; i++) { /* 100 MB offered */
        ce_event *e = make_event(i, "tenant-a");
        ce_event_set_data(e, CE_DATA_JSON, data, strlen(data), err, sizeof err);
        int rc = cer_emitter_emit(em, e, (void *)(uintptr_t)(i % 4096), err, sizeof err);
        ce_event_destroy(e);
        if (rc == CER_EQUEUE_FULL)
            full++;
        else if (rc == 0)
            accepted++;
        else
            CHECK_EQ_INT(rc, 0);
        if (i % 500 == 0)
            usleep(20000); /* give the background thread turns to move events on */
    }
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    fprintf(stderr, "accepted %ld, refused %ld, held %llu bytes\n", accepted, full,
            (unsigned long long)st.queue_bytes);
    CHECK(full > 0);
    CHECK(accepted * 10000 <= 8L << 20);
    CHECK(st.queue_bytes <= 8u << 20);
    CHECK(st.queue_bytes > 0); /* the gauge tells the truth: events are held */
    cer_emitter_destroy(em, 0);
    CHECK_EQ_INT(o.ok + o.failed, accepted); /* each accepted event got its one outcome */
}

/* An event larger than the destination takes (librdkafka's message.max.bytes, 1,000,000 by
 * default) can never be delivered: it ends in the dead letters with the reason, or without
 * them as CER_EREJECTED, never as a retryable failure and never silently (issue 11). The
 * checks happen in the producer, so no broker is needed. */
typedef struct last_outcome {
    atomic_int n, err;
    char reason[512];
} last_outcome;

static void on_last(void *ctx, void *opaque, int err, const char *reason)
{
    (void)opaque;
    last_outcome *o = ctx;
    snprintf(o->reason, sizeof o->reason, "%s", reason ? reason : "");
    atomic_store(&o->err, err);
    atomic_fetch_add(&o->n, 1);
}

static ce_event *oversize_event(int i)
{
    size_t n = 1500000;
    char *data = malloc(n + 16), err[256];
    CHECK(data != NULL);
    int k = snprintf(data, n + 16, "{\"pad\":\"");
    memset(data + k, 'y', n);
    strcpy(data + k + n, "\"}");
    ce_event *e = make_event(i, "tenant-a");
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_JSON, data, strlen(data), err, sizeof err), 0);
    free(data);
    return e;
}

/* Read the dead-letter log: the count, and the last reason. */
static long read_dead_letters(const char *dir, char *reason, size_t cap)
{
    long n = 0;
    char err[256];
    cer_log_conf *lc = cer_log_conf_new();
    cer_log_conf_set(lc, "max.record.bytes", "4194304", err, sizeof err);
    cer_log_reader *r;
    if (cer_log_reader_open(&r, dir, "dead-letter", 0, lc, err, sizeof err) == 0) {
        cer_log_rec rec;
        while (cer_log_reader_next(r, &rec, 0, err, sizeof err) == 0) {
            n++;
            for (size_t h = 0; h < rec.header_count; h++)
                if (rec.headers[h].name_len == strlen("ce_deadletterreason") &&
                    memcmp(rec.headers[h].name, "ce_deadletterreason", rec.headers[h].name_len) ==
                        0)
                    snprintf(reason, cap, "%.*s", (int)rec.headers[h].value_len,
                             (const char *)rec.headers[h].value);
        }
        cer_log_reader_close(r);
    }
    cer_log_conf_destroy(lc);
    return n;
}

TEST(oversize_event_rejected_permanently)
{
    for (int with_dlq = 0; with_dlq < 2; with_dlq++) {
        const char *dir = mkdir_tmp();
        char dlq[300];
        snprintf(dlq, sizeof dlq, "%s/dlq", dir);
        static last_outcome o;
        memset(&o, 0, sizeof o);
        cer_emitter_conf *c = cer_emitter_conf_new();
        set(c, "binding", "kafka");
        set(c, "kafka.brokers", "127.0.0.1:9");
        set(c, "kafka.topic", "t");
        if (with_dlq)
            set(c, "dead_letter.dir", dlq);
        cer_emitter_conf_set_callbacks(c, on_last, NULL, NULL, &o);
        cer_emitter *em;
        char err[256];
        CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
        cer_emitter_conf_destroy(c);
        ce_event *e = oversize_event(1);
        CHECK_EQ_INT(cer_emitter_emit(em, e, NULL, err, sizeof err), 0);
        ce_event_destroy(e);
        CHECK_EQ_INT(cer_emitter_flush(em, 10000), 0);
        CHECK_EQ_INT(atomic_load(&o.n), 1);
        CHECK_EQ_INT(atomic_load(&o.err), with_dlq ? CER_EDEADLETTER : CER_EREJECTED);
        CHECK_CONTAINS(o.reason, "message.max.bytes");
        cer_emitter_stats st;
        cer_emitter_stats_get(em, &st);
        CHECK_EQ_INT(with_dlq ? st.dead_lettered : st.rejected, 1);
        cer_emitter_destroy(em, 1000);
        if (with_dlq) {
            char reason[512] = "";
            CHECK_EQ_INT(read_dead_letters(dlq, reason, sizeof reason), 1);
            CHECK_CONTAINS(reason, "message.max.bytes");
        }
        rm_rf(dir);
    }
}

/* Through the disk buffer: the event is persisted (so ack: local answers 2xx), read back whole
 * (the buffer's reader applies no size limit of its own) and dead-lettered with its reason. */
TEST(oversize_event_through_disk_buffer_is_dead_lettered)
{
    const char *dir = mkdir_tmp();
    char bufdir[300], dlq[300];
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    snprintf(dlq, sizeof dlq, "%s/buffer/dead-letter", dir);
    static last_outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "kafka");
    set(c, "kafka.brokers", "127.0.0.1:9");
    set(c, "kafka.topic", "t");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    cer_emitter_conf_set_callbacks(c, on_last, NULL, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    ce_event *e = oversize_event(1);
    CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)1, err, sizeof err), 0);
    ce_event_destroy(e);
    CHECK_EQ_INT(cer_emitter_flush(em, 10000), 0);
    CHECK_EQ_INT(atomic_load(&o.n), 1);
    CHECK_EQ_INT(atomic_load(&o.err), CER_EDEADLETTER);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.persisted, 1);
    CHECK_EQ_INT(st.dead_lettered, 1);
    CHECK_EQ_INT(st.buffer_events, 0);
    cer_emitter_destroy(em, 1000);
    char reason[512] = "";
    CHECK_EQ_INT(read_dead_letters(dlq, reason, sizeof reason), 1);
    CHECK_CONTAINS(reason, "message.max.bytes");
    rm_rf(dir);
}

/* Outcomes of one buffer partition can arrive out of offset order (its events go to several
 * destination partitions; the local-log sink appends partition by partition): every event must
 * still get its one delivery callback. Before the fix the callbacks of events finishing after a
 * later offset were dropped (748 of 752 in the relay's test). */
TEST(disk_buffer_out_of_order_outcomes_all_reported)
{
    const char *dir = mkdir_tmp();
    char bufdir[300], dest[300];
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    snprintf(dest, sizeof dest, "%s/dest", dir);
    static outcome o;
    memset(&o, 0, sizeof o);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    set(c, "log.dir", dest);
    set(c, "log.topic", "out");
    set(c, "log.partitions", "4");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    set(c, "buffer.fsync", "never");
    set(c, "buffer.partitions", "1");
    cer_emitter_conf_set_callbacks(c, on_delivery, NULL, NULL, &o);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    for (int i = 1; i <= 1000; i++) {
        char tenant[32];
        snprintf(tenant, sizeof tenant, "tenant-%d", i % 16);
        ce_event *e = make_event(i, tenant);
        CHECK_EQ_INT(cer_emitter_emit(em, e, (void *)(uintptr_t)i, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    CHECK_EQ_INT(cer_emitter_flush(em, 20000), 0);
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(o.ok, 1000);
    for (int i = 1; i <= 1000; i++)
        CHECK_EQ_INT(o.seen[i], 1);
    CHECK_EQ_INT(count_log(dest, "out", 4), 1000);
    rm_rf(dir);
}

/* A buffer written with 4 partitions (the old default) and reopened with the new default of 1
 * keeps its 4: every event of every partition is delivered, none stranded. */
TEST(disk_buffer_keeps_its_partition_count)
{
    const char *dir = mkdir_tmp();
    char bufdir[300], dest[300];
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    snprintf(dest, sizeof dest, "%s/dest", dir);
    fill_backlog_parts(bufdir, 200, "4", 16);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "log");
    set(c, "log.dir", dest);
    set(c, "log.topic", "out");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    CHECK_EQ_INT(cer_emitter_flush(em, 10000), 0);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    CHECK_EQ_INT(st.delivered, 200);
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(count_log(dest, "out", 1), 200);
    rm_rf(dir);
}

/* cer_emitter_emit_batch_routed (issue 11: route once): the destination rendered by the caller
 * is used as it is, in memory and through the disk buffer: the router is never called and the
 * templates are not applied (they would give another topic and key). */
static atomic_int router_calls;

static int counting_router(void *ctx, const ce_event *ev, const char **topic, const char **key)
{
    (void)ctx, (void)ev;
    atomic_fetch_add(&router_calls, 1);
    *topic = "wrong-topic";
    *key = "wrong-key";
    return 0;
}

TEST(routed_emit_is_not_routed_again)
{
    for (int disk = 0; disk < 2; disk++) {
        const char *dir = mkdir_tmp();
        char bufdir[300], dest[300];
        snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
        snprintf(dest, sizeof dest, "%s/dest", dir);
        atomic_store(&router_calls, 0);
        cer_emitter_conf *c = cer_emitter_conf_new();
        set(c, "binding", "log");
        set(c, "log.dir", dest);
        set(c, "log.topic", "{type}");
        if (disk) {
            set(c, "buffer", "disk");
            set(c, "buffer.dir", bufdir);
        }
        cer_emitter_conf_set_router(c, counting_router, NULL);
        cer_emitter *em;
        char err[256];
        CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
        cer_emitter_conf_destroy(c);
        enum { N = 10 };
        ce_event *evs[N];
        const char *topics[N];
        ce_slice keys[N];
        for (int i = 0; i < N; i++) {
            evs[i] = make_event(i + 1, "tenant-a");
            topics[i] = i % 2 ? "routed-odd" : "routed-even";
            keys[i] = i == 0 ? (ce_slice){NULL, 0} : (ce_slice){"k{1}", 4};
        }
        CHECK_EQ_INT(cer_emitter_emit_batch_routed(em, (const ce_event *const *)evs, N, NULL,
                                                   topics, keys, err, sizeof err),
                     0);
        for (int i = 0; i < N; i++)
            ce_event_destroy(evs[i]);
        CHECK_EQ_INT(cer_emitter_flush(em, 10000), 0);
        cer_emitter_destroy(em, 1000);
        CHECK_EQ_INT(atomic_load(&router_calls), 0);
        CHECK_EQ_INT(count_log(dest, "routed-even", 1), N / 2);
        CHECK_EQ_INT(count_log(dest, "routed-odd", 1), N / 2);
        CHECK_EQ_INT(count_log(dest, "wrong-topic", 1), 0);
        /* the keys as given: null for the first event, "k{1}" (not a template) for the rest */
        cer_log_reader *r;
        CHECK_EQ_INT(cer_log_reader_open(&r, dest, "routed-even", 0, NULL, err, sizeof err), 0);
        cer_log_rec rec;
        int n = 0;
        while (cer_log_reader_next(r, &rec, 0, err, sizeof err) == 0) {
            if (n++ == 0)
                CHECK(rec.key == NULL);
            else
                CHECK(rec.key_len == 4 && memcmp(rec.key, "k{1}", 4) == 0);
            for (size_t h = 0; h < rec.header_count; h++) /* the buffer's note stays behind */
                CHECK(rec.headers[h].name_len != strlen(EM_ROUTE_HEADER) ||
                      memcmp(rec.headers[h].name, EM_ROUTE_HEADER, rec.headers[h].name_len) != 0);
        }
        cer_log_reader_close(r);
        CHECK_EQ_INT(n, N / 2);
        rm_rf(dir);
    }
}

/* The disk buffer's forwarder keeps at most an eighth of queue.max_bytes in flight (counted in
 * the emitter's memory) when the destination takes events and never answers: the buffer on
 * disk holds the rest, memory stays bounded. A listening socket that never answers is the
 * destination. */
TEST(disk_buffer_forwarder_in_flight_is_bounded)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    for (int tries = 0; tries < 50 && !port; tries++) {
        int p = 20000 + (int)((getpid() * 131u + (unsigned)tries * 7919u) % 12000u);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 64) == 0)
            port = p;
    }
    CHECK(port != 0);
    const char *dir = mkdir_tmp();
    char bufdir[300], url[64];
    snprintf(bufdir, sizeof bufdir, "%s/buffer", dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    cer_emitter_conf *c = cer_emitter_conf_new();
    set(c, "binding", "http");
    set(c, "http.url", url);
    set(c, "http.mode", "structured");
    set(c, "buffer", "disk");
    set(c, "buffer.dir", bufdir);
    set(c, "buffer.fsync", "never");
    set(c, "queue.max_bytes", "1048576");
    cer_emitter *em;
    char err[256];
    CHECK_EQ_INT(cer_emitter_new(&em, c, err, sizeof err), 0);
    cer_emitter_conf_destroy(c);
    static char pad[2001];
    memset(pad, 'p', sizeof pad - 1);
    char data[2100];
    snprintf(data, sizeof data, "{\"pad\":\"%s\"}", pad);
    int accepted = 0;
    for (int i = 1; i <= 3000; i++) {
        ce_event *e = make_event(i, "tenant-a");
        ce_event_set_data(e, CE_DATA_JSON, data, strlen(data), err, sizeof err);
        if (cer_emitter_emit(em, e, NULL, err, sizeof err) == 0)
            accepted++;
        ce_event_destroy(e);
        if (i % 200 == 0)
            usleep(20000);
    }
    usleep(300000);
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    fprintf(stderr, "accepted %d, persisted %llu, in flight %llu, held %llu bytes\n", accepted,
            (unsigned long long)st.persisted, (unsigned long long)st.in_flight,
            (unsigned long long)st.queue_bytes);
    CHECK(st.persisted > 1000); /* the disk takes what the destination does not */
    CHECK(st.in_flight <= 100); /* 1 MiB / 8 of ~2.3 KB events: about 55 */
    CHECK(st.queue_bytes <= 1048576);
    cer_emitter_destroy(em, 0);
    close(ls);
    rm_rf(dir);
}
