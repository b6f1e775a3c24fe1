/* CESQL micro-benchmark: compiles a few typical filters once and reports the time per
 * evaluation (ce_sql_filter_ctx) against one event. Usage: bench_sql [iterations] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cerelay/ce.h"
#include "cerelay/ce_sql.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000000;
    static const char *const exprs[] = {
        "type = 'com.example.thing.created'",
        "type LIKE 'com.example.%' AND source LIKE 'https://%'",
        "myint > 40 AND mybool AND subject IN ('a', 'b', 'hello world')",
        "(id = 'x' AND type LIKE '%.success') OR (EXISTS subject AND myint % 2 = 0)",
        "UPPER(CONCAT_WS('/', type, subject, myint)) LIKE '%HELLO%'",
    };
    char err[256];
    ce_event *e = ce_event_new();
    int rc = ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
    rc |= ce_event_set_str(e, "id", "evt-1", err, sizeof err);
    rc |= ce_event_set_str(e, "source", "https://example.com/src", err, sizeof err);
    rc |= ce_event_set_str(e, "type", "com.example.thing.created", err, sizeof err);
    rc |= ce_event_set_str(e, "subject", "hello world", err, sizeof err);
    rc |= ce_event_set_int(e, "myint", 42, err, sizeof err);
    rc |= ce_event_set_bool(e, "mybool", 1, err, sizeof err);
    ce_sql_ctx *ctx = ce_sql_ctx_new(0);
    if (rc || !ctx) {
        fprintf(stderr, "bench_sql: setup failed\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        ce_sql_prog *p = NULL;
        if (ce_sql_compile(exprs[i], strlen(exprs[i]), &p, err, sizeof err)) {
            fprintf(stderr, "bench_sql: %s\n", err);
            return 1;
        }
        long pass = 0;
        double t0 = now();
        for (long k = 0; k < iters; k++)
            pass += ce_sql_filter_ctx(p, ctx, e);
        double dt = now() - t0;
        printf("%8.1f ns/eval  pass=%ld  %s\n", dt * 1e9 / (double)iters, pass / iters, exprs[i]);
        ce_sql_prog_destroy(p);
    }
    ce_sql_ctx_destroy(ctx);
    ce_event_destroy(e);
    return 0;
}
