/* CESQL and memory: evaluation never allocates (a counting allocator installed around
 * thousands of evaluations), and compilation survives any allocation failing. */
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cerelay/ce_sql.h"
#include "harness.h"

static ce_event *test_event(void)
{
    ce_event *e = ce_event_new();
    char err[256];
    int rc = ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
    rc |= ce_event_set_str(e, "id", "evt-1", err, sizeof err);
    rc |= ce_event_set_str(e, "source", "https://example.com/src", err, sizeof err);
    rc |= ce_event_set_str(e, "type", "com.example.thing.created", err, sizeof err);
    rc |= ce_event_set_str(e, "time", "2024-06-13T10:00:00Z", err, sizeof err);
    rc |= ce_event_set_str(e, "subject", "h\xC3\xA9llo w\xC3\xB6rld", err, sizeof err);
    rc |= ce_event_set_int(e, "myint", 42, err, sizeof err);
    rc |= ce_event_set_bool(e, "mybool", 1, err, sizeof err);
    rc |= ce_event_set_str(e, "num", "17", err, sizeof err);
    rc |= ce_event_set_binary(e, "mybin", "\x01\x02\x03", 3, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    return e;
}

/* ---- compile once, evaluate many times, allocate nothing ---- */

static size_t n_allocs;
static void *count_malloc(size_t n)
{
    n_allocs++;
    return malloc(n);
}
static void *count_realloc(void *p, size_t n)
{
    n_allocs++;
    return realloc(p, n);
}

TEST(eval_does_not_allocate)
{
    ce_event *g_ev = test_event();
    ce_sql_ctx *g_ctx = ce_sql_ctx_new(0);
    static const char *const exprs[] = {
        "type LIKE 'com.example.%' AND myint > 40",
        "CONCAT_WS('/', UPPER(subject), LOWER(id), myint, mybool) LIKE '%W\xC3\x96RLD%'",
        "SUBSTRING(source, 9, 7) IN ('example', 'other', 1)",
        "STRING(myint) || 'x'",
        "nope + 1 / 0",
        "FOO(1) OR ABS(-2147483648) = 1",
        "TRIM('  a  ') = 'a' XOR RIGHT(id, 1) = '1'",
        "LENGTH(CONCAT(id, id, id, id)) + INT('12') * -num",
    };
    ce_sql_prog *progs[sizeof exprs / sizeof exprs[0]];
    size_t np = 0;
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        char err[256];
        if (ce_sql_compile(exprs[i], strlen(exprs[i]), &progs[np], err, sizeof err) == 0)
            np++;
    }
    CHECK_EQ_INT(np, sizeof exprs / sizeof exprs[0] - 1); /* "||" is not CESQL */
    ce_sql_value v;
    int sum = 0;
    ce_allocator counting = {count_malloc, count_realloc, free};
    n_allocs = 0;
    ce_set_allocator(&counting);
    for (int round = 0; round < 1000; round++) {
        for (size_t i = 0; i < np; i++) {
            sum += ce_sql_eval(progs[i], g_ctx, g_ev, round & 1 ? CE_SQL_FAIL_FAST : 0, &v);
            sum += ce_sql_filter(progs[i], g_ev);
            sum += ce_sql_filter_ctx(progs[i], g_ctx, g_ev);
        }
    }
    ce_set_allocator(NULL);
    CHECK_EQ_INT(n_allocs, 0);
    CHECK(sum > 0);
    /* The counting allocator does count: compiling allocates. */
    ce_set_allocator(&counting);
    ce_sql_prog *p = NULL;
    CHECK_EQ_INT(ce_sql_compile("1 + 1", 5, &p, NULL, 0), 0);
    ce_set_allocator(NULL);
    CHECK(n_allocs > 0);
    ce_sql_prog_destroy(p);
    for (size_t i = 0; i < np; i++)
        ce_sql_prog_destroy(progs[i]);
    ce_sql_ctx_destroy(g_ctx);
    ce_event_destroy(g_ev);
}

/* Every allocation of a compile can fail without a leak or a crash. */
static size_t fail_at;
static void *failing_malloc(size_t n)
{
    return ++n_allocs == fail_at ? NULL : malloc(n);
}
static void *failing_realloc(void *p, size_t n)
{
    return ++n_allocs == fail_at ? NULL : realloc(p, n);
}

TEST(compile_survives_allocation_failure)
{
    const char *src = "CONCAT_WS(',', 'a', id, UPPER(subject)) LIKE 'a%' AND myint IN (1, 2, 3) "
                      "OR NOT EXISTS time XOR -ABS(myint) < 0";
    ce_allocator failing = {failing_malloc, failing_realloc, free};
    int ok_seen = 0;
    for (fail_at = 1; fail_at < 200 && !ok_seen; fail_at++) {
        n_allocs = 0;
        ce_sql_prog *p = (ce_sql_prog *)1;
        char err[128];
        ce_set_allocator(&failing);
        int rc = ce_sql_compile(src, strlen(src), &p, err, sizeof err);
        ce_set_allocator(NULL);
        if (rc == 0) {
            ok_seen = 1;
            ce_sql_prog_destroy(p);
        } else {
            CHECK_EQ_INT(rc, CE_ENOMEM);
            CHECK(p == NULL);
        }
    }
    CHECK(ok_seen);
    ce_set_allocator(&failing);
    fail_at = 1;
    n_allocs = 0;
    CHECK(ce_sql_ctx_new(0) == NULL);
    fail_at = 2;
    n_allocs = 0;
    CHECK(ce_sql_ctx_new(0) == NULL);
    ce_set_allocator(NULL);
}
