/* Tests of the rate-limited log lines (src/sink/ratelog.c): one line per key per interval,
 * and no occurrence lost from the counts, also from several threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sink/ratelog.h"

TEST(first_hit_then_one_line_per_interval_with_the_count)
{
    cer_ratelog *rl = cer_ratelog_new(200);
    CHECK_EQ_INT((long)cer_ratelog_hit(rl, "catalog", "a.v1", SIZE_MAX), 1);
    for (int i = 0; i < 999; i++)
        CHECK_EQ_INT((long)cer_ratelog_hit(rl, "catalog", "a.v1", SIZE_MAX), 0);
    /* another reason and another kind are other keys */
    CHECK_EQ_INT((long)cer_ratelog_hit(rl, "catalog", "b.v1", SIZE_MAX), 1);
    CHECK_EQ_INT((long)cer_ratelog_hit(rl, "policy", "a.v1", SIZE_MAX), 1);
    /* reason_len cuts the reason */
    CHECK_EQ_INT((long)cer_ratelog_hit(rl, "catalog", "a.v1-and-more", 4), 0);
    usleep(250000);
    CHECK_EQ_INT((long)cer_ratelog_hit(rl, "catalog", "a.v1", SIZE_MAX), 1000 + 1);
    CHECK_EQ_INT((long)cer_ratelog_hit(rl, "catalog", "a.v1", SIZE_MAX), 0);
    cer_ratelog_destroy(rl);
    /* NULL logs everything */
    CHECK_EQ_INT((long)cer_ratelog_hit(NULL, "x", "y", SIZE_MAX), 1);
}

static uint64_t flushed;
static void on_left(void *ctx, const char *kind, const char *reason, uint64_t n)
{
    (void)ctx, (void)kind, (void)reason;
    flushed += n;
}

typedef struct th {
    cer_ratelog *rl;
    uint64_t reported;
    int id;
} th;

static void *hammer(void *arg)
{
    th *t = arg;
    char reason[32];
    for (int i = 0; i < 200000; i++) {
        snprintf(reason, sizeof reason, "r%d", i % 3);
        t->reported += cer_ratelog_hit(t->rl, "kind", reason, SIZE_MAX);
    }
    return NULL;
}

TEST(threads_lose_no_count_and_the_table_overflows_to_other)
{
    cer_ratelog *rl = cer_ratelog_new(1);
    th t[4];
    pthread_t p[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (th){rl, 0, i};
        pthread_create(&p[i], NULL, hammer, &t[i]);
    }
    uint64_t reported = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(p[i], NULL);
        reported += t[i].reported;
    }
    flushed = 0;
    cer_ratelog_flush(rl, on_left, NULL);
    CHECK_EQ_INT((long)(reported + flushed), 4L * 200000);
    cer_ratelog_destroy(rl);
    /* more keys than the table holds: the rest share one key, still counted */
    rl = cer_ratelog_new(10000);
    char reason[32];
    uint64_t lines = 0, counted = 0;
    for (int i = 0; i < CER_RATELOG_KEYS + 100; i++) {
        snprintf(reason, sizeof reason, "many-%d", i);
        uint64_t n = cer_ratelog_hit(rl, "many", reason, SIZE_MAX);
        lines += n ? 1 : 0;
        counted += n;
    }
    CHECK_EQ_INT((long)lines, CER_RATELOG_KEYS + 1);
    flushed = 0;
    cer_ratelog_flush(rl, on_left, NULL);
    CHECK_EQ_INT((long)(counted + flushed), CER_RATELOG_KEYS + 100);
    cer_ratelog_destroy(rl);
}
