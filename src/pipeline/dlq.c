/* The policy dead-letter writer. Request threads hand denied events over (cer__dlq_push) and
 * never touch the disk; one writer thread appends every group waiting, then flushes the local
 * log once (fsync=always: one fsync for all of them, a group commit), then reports each group
 * durable through its callback. What waits in memory is capped (max_bytes). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/internal.h"
#include "sink/sink.h"

typedef struct group {
    ce_event **evs;
    size_t n, bytes;
    cer_dlq_done_fn done;
    void *opaque;
    struct group *next;
} group;

struct cer_dlq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    group *head, *tail;
    size_t pending, max_bytes;
    atomic_size_t pending_pub;
    bool stop;
    pthread_t th;
    cer_sink_handle sink;
};

static void free_group(group *g)
{
    for (size_t i = 0; i < g->n; i++)
        ce_event_destroy(g->evs[i]);
    free(g->evs);
    free(g);
}

static void *writer(void *arg)
{
    cer_dlq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->head && !q->stop)
            pthread_cond_wait(&q->cv, &q->mu);
        if (!q->head && q->stop)
            break;
        group *gs = q->head;
        q->head = q->tail = NULL;
        pthread_mutex_unlock(&q->mu);
        /* append every waiting group, then one flush (one fsync) for all of them */
        char err[256] = "";
        size_t bytes = 0;
        for (group *g = gs; g; g = g->next) {
            for (size_t i = 0; i < g->n; i++) {
                char why[256];
                if (q->sink.ops->submit(q->sink.s, g->evs[i], NULL, why, sizeof why) != 0)
                    snprintf(err, sizeof err, "dead-letter append: %s", why);
            }
            bytes += g->bytes;
        }
        int rc = err[0] ? CE_EIO : 0;
        if (q->sink.ops->flush(q->sink.s, 30000) != 0 && !rc) {
            rc = CE_EIO;
            snprintf(err, sizeof err, "dead-letter log: flush (fsync) failed");
        }
        while (gs) {
            group *next = gs->next;
            if (gs->done)
                gs->done(gs->opaque, rc, rc ? err : NULL);
            free_group(gs);
            gs = next;
        }
        pthread_mutex_lock(&q->mu);
        q->pending -= bytes;
        atomic_store(&q->pending_pub, q->pending);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int cer_dlq_new(cer_dlq **out, const char *dir, size_t max_bytes, char *errstr, size_t errstr_size)
{
    *out = NULL;
    cer_dlq *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(errstr, errstr_size, "out of memory");
        return CE_ENOMEM;
    }
    mkdir(dir, 0755);
    cer_sink_conf sc = {0};
    sc.log_dir = dir;
    sc.topic = "policy-denied";
    sc.fsync = "always";
    q->sink.ops = &cer_sink_log;
    char why[256];
    if (q->sink.ops->open(&q->sink.s, &sc, why, sizeof why) != 0) {
        snprintf(errstr, errstr_size, "dead_letter.log_dir: %s", why);
        free(q);
        return CE_EIO;
    }
    q->max_bytes = max_bytes ? max_bytes : CER_DLQ_DEFAULT_MAX_BYTES;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    if (pthread_create(&q->th, NULL, writer, q) != 0) {
        q->sink.ops->close(q->sink.s);
        free(q);
        snprintf(errstr, errstr_size, "dead letters: cannot start the writer thread");
        return CE_ENOMEM;
    }
    *out = q;
    return 0;
}

void cer_dlq_destroy(cer_dlq *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    q->sink.ops->close(q->sink.s);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
}

size_t cer_dlq_pending_bytes(const cer_dlq *q)
{
    return q ? atomic_load(&((cer_dlq *)q)->pending_pub) : 0;
}

int cer__dlq_push(cer_dlq *q, ce_event **evs, size_t n, size_t bytes, cer_dlq_done_fn done,
                  void *opaque)
{
    group *g = calloc(1, sizeof *g);
    pthread_mutex_lock(&q->mu);
    bool full = q->stop || q->pending + bytes > q->max_bytes;
    if (!g || full) {
        pthread_mutex_unlock(&q->mu);
        for (size_t i = 0; i < n; i++)
            ce_event_destroy(evs[i]);
        free(evs);
        free(g);
        return CER_PIPELINE_DLQ_FULL;
    }
    *g = (group){evs, n, bytes, done, opaque, NULL};
    if (q->tail)
        q->tail->next = g;
    else
        q->head = g;
    q->tail = g;
    q->pending += bytes;
    atomic_store(&q->pending_pub, q->pending);
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 0;
}
