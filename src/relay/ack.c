/* The ack-timeout reaper: requests suspended while waiting for acknowledgements are answered
 * with 504 once they waited longer than the ack timeout, so a client never hangs on a broker
 * outage. One thread, waking every 100 ms. */
#include <microhttpd.h>
#include <time.h>

#include "relay/http.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static req *head;
static pthread_t thread;
static volatile int running;
static relay *the_relay;

void cer__relay_acks_track(req *q)
{
    pthread_mutex_lock(&mu);
    q->ack_prev = NULL;
    q->ack_next = head;
    if (head)
        head->ack_prev = q;
    head = q;
    pthread_mutex_unlock(&mu);
}

static void unlink_locked(req *q)
{
    if (q->ack_prev)
        q->ack_prev->ack_next = q->ack_next;
    else if (head == q)
        head = q->ack_next;
    if (q->ack_next)
        q->ack_next->ack_prev = q->ack_prev;
    q->ack_next = q->ack_prev = NULL;
}

void cer__relay_acks_forget(req *q)
{
    pthread_mutex_lock(&mu);
    if (q->ack_prev || head == q)
        unlink_locked(q);
    pthread_mutex_unlock(&mu);
}

static void *reap(void *arg)
{
    while (running) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        int64_t now = cer_mono_ns(), limit = (int64_t)the_relay->ack_timeout_ms * 1000000;
        pthread_mutex_lock(&mu);
        for (req *q = head; q;) {
            req *next = q->ack_next;
            if (now - q->t0 > limit) {
                unlink_locked(q);
                cer__relay_http_timeout(q);
            }
            q = next;
        }
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int cer__relay_acks_start(relay *r)
{
    the_relay = r;
    running = 1;
    return pthread_create(&thread, NULL, reap, NULL) == 0 ? 0 : -1;
}

void cer__relay_acks_stop(void)
{
    if (!running)
        return;
    running = 0;
    pthread_join(thread, NULL);
}
