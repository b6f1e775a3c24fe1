/* libFuzzer target for CESQL: the input is an expression. When it compiles, it is evaluated
 * against a fixed event in complete and fail-fast mode, with a roomy and a tiny scratch
 * context, and as a filter; the results must agree with each other (else abort):
 *   - evaluation is deterministic and returns a well-typed value;
 *   - String results are valid UTF-8 (the expression and the event are);
 *   - fail-fast returns the program's zero value exactly when complete mode saw errors;
 *   - the filter passes exactly when complete mode gives true without errors;
 *   - error spans lie inside the expression. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ce/internal.h"
#include "cerelay/ce.h"
#include "cerelay/ce_sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ce_event *event;
static ce_sql_ctx *big, *tiny;

static void init(void)
{
    char err[128];
    event = ce_event_new();
    int rc = ce_event_set_str(event, "specversion", "1.0", err, sizeof err);
    rc |= ce_event_set_str(event, "id", "evt-1", err, sizeof err);
    rc |= ce_event_set_str(event, "source", "https://example.com/src", err, sizeof err);
    rc |= ce_event_set_str(event, "type", "com.example.thing.created", err, sizeof err);
    rc |= ce_event_set_str(event, "time", "2024-06-13T10:00:00Z", err, sizeof err);
    rc |= ce_event_set_str(event, "subject", "h\xC3\xA9llo w\xC3\xB6rld \xE6\x97\xA5", err,
                           sizeof err);
    rc |= ce_event_set_int(event, "myint", 42, err, sizeof err);
    rc |= ce_event_set_int(event, "minint", INT32_MIN, err, sizeof err);
    rc |= ce_event_set_bool(event, "mybool", 1, err, sizeof err);
    rc |= ce_event_set_str(event, "num", "17", err, sizeof err);
    rc |= ce_event_set_str(event, "empty", "", err, sizeof err);
    rc |= ce_event_set_binary(event, "mybin", "\x01\x02\x03", 3, err, sizeof err);
    big = ce_sql_ctx_new(0);
    tiny = ce_sql_ctx_new(24);
    if (rc || !big || !tiny)
        abort();
}

static int same(const ce_sql_value *a, const ce_sql_value *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type == CE_SQL_STRING)
        return a->str.len == b->str.len &&
               (a->str.len == 0 || memcmp(a->str.ptr, b->str.ptr, a->str.len) == 0);
    return a->i == b->i;
}

static void check_value(const ce_sql_value *v)
{
    if (v->type != CE_SQL_BOOLEAN && v->type != CE_SQL_INTEGER && v->type != CE_SQL_STRING)
        abort();
    if (v->type == CE_SQL_BOOLEAN && v->i != 0 && v->i != 1)
        abort();
    if (v->type == CE_SQL_STRING && (!v->str.ptr || !ce__utf8_valid(v->str.ptr, v->str.len, NULL)))
        abort();
    ce_buf b;
    ce_buf_init(&b);
    if (ce_sql_value_json(v, &b) != 0 || ce_json_check(b.ptr, b.len, 4, NULL, 0) != 0)
        abort();
    ce_buf_free(&b);
}

static void check_errors(const ce_sql_prog *prog, const ce_sql_ctx *ctx, int n)
{
    ce_slice src = ce_sql_prog_source(prog);
    if (n < 0 || (size_t)n != ce_sql_ctx_error_count(ctx))
        abort();
    for (int i = 0; i < n && i < (int)CE_SQL_MAX_ERRORS; i++) {
        const ce_sql_error *e = ce_sql_ctx_error(ctx, (size_t)i);
        char buf[256];
        if (!e || !e->msg || (size_t)e->offset + e->len > src.len || e->kind < CE_SQL_ERR_MATH ||
            e->kind > CE_SQL_ERR_GENERIC)
            abort();
        ce_sql_error_format(prog, e, buf, sizeof buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!event)
        init();
    ce_sql_prog *prog = NULL;
    char err[256];
    size_t off = 0;
    int rc = ce_sql_compile_ex((const char *)data, size, NULL, &prog, &off, err, sizeof err);
    if (rc) {
        if (prog || off > size || !memchr(err, '\0', sizeof err))
            abort();
        return 0;
    }
    ce_sql_value v1, v2, vf;
    int n1 = ce_sql_eval(prog, big, event, 0, &v1);
    check_errors(prog, big, n1);
    check_value(&v1);
    int n2 = ce_sql_eval(prog, big, event, 0, &v2);
    if (n2 != n1 || !same(&v1, &v2))
        abort();
    int pass = ce_sql_filter_ctx(prog, big, event);
    if (pass != (n1 == 0 && v1.type == CE_SQL_BOOLEAN && v1.i))
        abort();
    int nf = ce_sql_eval(prog, big, event, CE_SQL_FAIL_FAST, &vf);
    check_errors(prog, big, nf);
    check_value(&vf);
    if ((nf > 0) != (n1 > 0) || nf > 1)
        abort();
    if (nf == 0 && !same(&vf, &v1))
        abort();
    if (nf > 0) {
        ce_sql_type t = ce_sql_prog_type(prog);
        if (vf.type != (t ? t : CE_SQL_BOOLEAN) || vf.i != 0 || vf.str.len != 0)
            abort();
    }
    /* Tiny scratch: may raise GenericErrors, must stay well-formed. */
    int nt = ce_sql_eval(prog, tiny, event, 0, &vf);
    check_errors(prog, tiny, nt);
    check_value(&vf);
    if (nt == 0 && !same(&vf, &v1))
        abort();
    (void)ce_sql_filter(prog, event);
    (void)ce_sql_filter(prog, NULL);
    ce_sql_prog_destroy(prog);
    return 0;
}
