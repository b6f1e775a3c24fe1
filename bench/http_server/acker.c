/* The ack thread for async mode: a mutex-protected FIFO drained by one thread, standing in
 * for the emitter's background thread that calls the relay's delivery callback. */
#include <pthread.h>
#include <stdlib.h>

#include "srv.h"

typedef struct tok {
    void *p;
    struct tok *next;
} tok;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static tok *head, *tail;
static void (*complete_fn)(void *);

static void *run(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (!head)
            pthread_cond_wait(&cv, &mu);
        tok *t = head;
        head = tail = NULL;
        pthread_mutex_unlock(&mu);
        while (t) {
            tok *n = t->next;
            complete_fn(t->p);
            free(t);
            t = n;
        }
    }
    return NULL;
}

void acker_start(void (*complete)(void *token))
{
    pthread_t th;
    complete_fn = complete;
    pthread_create(&th, NULL, run, NULL);
    pthread_detach(th);
}

void acker_push(void *token)
{
    tok *t = malloc(sizeof *t);
    if (!t)
        abort(); /* a benchmark: no recovery from OOM */
    t->p = token;
    t->next = NULL;
    pthread_mutex_lock(&mu);
    if (tail)
        tail->next = t;
    else
        head = t;
    tail = t;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}
