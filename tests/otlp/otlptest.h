/* Helpers shared by the OTLP tests: protobuf-c builders with one pool freed per test, event
 * collectors that write NDJSON, a fixed id generator, and golden-file comparison
 * (CER_OTLP_UPDATE_GOLDEN=1 rewrites a golden file instead of comparing). */
#ifndef CER_OTLP_TEST_H
#define CER_OTLP_TEST_H

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "otlp/internal.h"
#include "otlp/map.h"

#define T_FN static __attribute__((unused))

/* ---- allocation pool for payload builders ---- */
static void *pool[4096] __attribute__((unused));
static size_t npool __attribute__((unused));

T_FN void *t_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (npool < sizeof pool / sizeof pool[0])
        pool[npool++] = p;
    return p;
}

T_FN void t_free_all(void)
{
    while (npool)
        free(pool[--npool]);
}

T_FN char *t_str(const char *s)
{
    char *p = t_alloc(strlen(s) + 1);
    strcpy(p, s);
    return p;
}

T_FN cer__otlp_any *any_str(const char *s)
{
    cer__otlp_any *v = t_alloc(sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = CER__OTLP_ANY(STRING_VALUE);
    v->string_value = t_str(s);
    return v;
}

T_FN cer__otlp_any *any_int(int64_t i)
{
    cer__otlp_any *v = t_alloc(sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = CER__OTLP_ANY(INT_VALUE);
    v->int_value = i;
    return v;
}

T_FN cer__otlp_any *any_bool(int b)
{
    cer__otlp_any *v = t_alloc(sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = CER__OTLP_ANY(BOOL_VALUE);
    v->bool_value = b;
    return v;
}

T_FN cer__otlp_any *any_double(double d)
{
    cer__otlp_any *v = t_alloc(sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = CER__OTLP_ANY(DOUBLE_VALUE);
    v->double_value = d;
    return v;
}

T_FN cer__otlp_any *any_bytes(const void *p, size_t n)
{
    cer__otlp_any *v = t_alloc(sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = CER__OTLP_ANY(BYTES_VALUE);
    v->bytes_value.data = t_alloc(n);
    memcpy(v->bytes_value.data, p, n);
    v->bytes_value.len = n;
    return v;
}

/* An array AnyValue of n values. */
T_FN cer__otlp_any *any_array(size_t n, cer__otlp_any **vals)
{
    cer__otlp_any *v = t_alloc(sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    cer__otlp_array *a = t_alloc(sizeof *a);
    opentelemetry__proto__common__v1__array_value__init(a);
    a->n_values = n;
    a->values = t_alloc(n * sizeof *a->values);
    memcpy(a->values, vals, n * sizeof *vals);
    v->value_case = CER__OTLP_ANY(ARRAY_VALUE);
    v->array_value = a;
    return v;
}

T_FN cer__otlp_kv *kv(const char *k, cer__otlp_any *v)
{
    cer__otlp_kv *p = t_alloc(sizeof *p);
    opentelemetry__proto__common__v1__key_value__init(p);
    p->key = t_str(k);
    p->value = v;
    return p;
}

T_FN cer__otlp_any *any_kvlist(size_t n, cer__otlp_kv **kvs)
{
    cer__otlp_any *v = t_alloc(sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    cer__otlp_kvlist *l = t_alloc(sizeof *l);
    opentelemetry__proto__common__v1__key_value_list__init(l);
    l->n_values = n;
    l->values = t_alloc(n * sizeof *l->values);
    memcpy(l->values, kvs, n * sizeof *kvs);
    v->value_case = CER__OTLP_ANY(KVLIST_VALUE);
    v->kvlist_value = l;
    return v;
}

T_FN cer__otlp_kv **kvs(size_t n, cer__otlp_kv **src)
{
    cer__otlp_kv **p = t_alloc(n * sizeof *p);
    memcpy(p, src, n * sizeof *src);
    return p;
}

T_FN cer__otlp_resource *resource(size_t n, cer__otlp_kv **attrs)
{
    cer__otlp_resource *r = t_alloc(sizeof *r);
    opentelemetry__proto__resource__v1__resource__init(r);
    r->n_attributes = n;
    r->attributes = kvs(n, attrs);
    return r;
}

T_FN ProtobufCBinaryData hexbytes(const char *hex)
{
    size_t n = strlen(hex) / 2;
    uint8_t *p = t_alloc(n);
    for (size_t i = 0; i < n; i++) {
        unsigned b;
        sscanf(hex + 2 * i, "%2x", &b);
        p[i] = (uint8_t)b;
    }
    ProtobufCBinaryData d = {n, p};
    return d;
}

/* One request with one resource, one scope, and the given records. */
T_FN cer__otlp_logs_req *logs_req(cer__otlp_resource *res, size_t n, cer__otlp_log **recs)
{
    cer__otlp_logs_req *q = t_alloc(sizeof *q);
    opentelemetry__proto__collector__logs__v1__export_logs_service_request__init(q);
    cer__otlp_res_logs *rl = t_alloc(sizeof *rl);
    opentelemetry__proto__logs__v1__resource_logs__init(rl);
    cer__otlp_scope_logs *sl = t_alloc(sizeof *sl);
    opentelemetry__proto__logs__v1__scope_logs__init(sl);
    sl->n_log_records = n;
    sl->log_records = t_alloc(n * sizeof *recs);
    memcpy(sl->log_records, recs, n * sizeof *recs);
    rl->resource = res;
    rl->n_scope_logs = 1;
    rl->scope_logs = t_alloc(sizeof *rl->scope_logs);
    rl->scope_logs[0] = sl;
    q->n_resource_logs = 1;
    q->resource_logs = t_alloc(sizeof *q->resource_logs);
    q->resource_logs[0] = rl;
    return q;
}

T_FN cer__otlp_trace_req *trace_req(cer__otlp_resource *res, size_t n, cer__otlp_span **spans)
{
    cer__otlp_trace_req *q = t_alloc(sizeof *q);
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(q);
    cer__otlp_res_spans *rs = t_alloc(sizeof *rs);
    opentelemetry__proto__trace__v1__resource_spans__init(rs);
    cer__otlp_scope_spans *ss = t_alloc(sizeof *ss);
    opentelemetry__proto__trace__v1__scope_spans__init(ss);
    ss->n_spans = n;
    ss->spans = t_alloc(n * sizeof *spans);
    memcpy(ss->spans, spans, n * sizeof *spans);
    rs->resource = res;
    rs->n_scope_spans = 1;
    rs->scope_spans = t_alloc(sizeof *rs->scope_spans);
    rs->scope_spans[0] = ss;
    q->n_resource_spans = 1;
    q->resource_spans = t_alloc(sizeof *q->resource_spans);
    q->resource_spans[0] = rs;
    return q;
}

T_FN cer__otlp_log *log_rec(void)
{
    cer__otlp_log *r = t_alloc(sizeof *r);
    opentelemetry__proto__logs__v1__log_record__init(r);
    return r;
}

T_FN cer__otlp_span *span_new(void)
{
    cer__otlp_span *s = t_alloc(sizeof *s);
    opentelemetry__proto__trace__v1__span__init(s);
    return s;
}

/* Pack a message into a malloc'd buffer (pooled). */
T_FN uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *p = t_alloc(*len);
    protobuf_c_message_pack(m, p);
    return p;
}

/* ---- collecting mapped events ---- */
typedef struct collect {
    ce_buf out; /* NDJSON of the events */
    ce_buf rej; /* "path: err msg\n" per rejected record */
    int events;
    int stop_after; /* stop (return 7) after this many events; 0 = never */
} collect;

T_FN int on_event(void *ctx, const ce_event *ev)
{
    collect *c = ctx;
    char e[256];
    int rc = ce_json_encode(ev, CE_JSON_COMPACT_DATA, &c->out, e, sizeof e);
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "ce_json_encode: %s", e);
    ce_buf_append(&c->out, "\n", 1);
    c->events++;
    return c->stop_after && c->events >= c->stop_after ? 7 : 0;
}

T_FN int on_reject(void *ctx, const char *path, int err, const char *msg)
{
    collect *c = ctx;
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: %s %s\n", path, ce_err_name(err), msg);
    ce_buf_append(&c->rej, line, (size_t)n);
    return 0;
}

T_FN void collect_free(collect *c)
{
    ce_buf_free(&c->out);
    ce_buf_free(&c->rej);
}

/* "id-1", "id-2", ... */
T_FN int fixed_id(void *ctx, const ce_event *ev, char out[CER_OTLP_ID_MAX])
{
    (void)ev;
    int *n = ctx;
    snprintf(out, CER_OTLP_ID_MAX, "id-%d", ++*n);
    return 0;
}

/* A NUL-terminated copy of the buffer's bytes for string checks (pooled). */
T_FN const char *buf_str(const ce_buf *b)
{
    char *s = t_alloc(b->len + 1);
    if (b->len)
        memcpy(s, b->ptr, b->len);
    return s;
}

/* Compare got with the golden file tests/otlp/golden/<name> byte for byte. */
T_FN void check_golden(const char *name, const char *got, size_t len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/otlp/golden/%s", name);
    const char *path = cer_test_src_path(rel);
    if (getenv("CER_OTLP_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(got, 1, len, f) != len)
            cer_test_fail(__FILE__, __LINE__, "cannot write %s", path);
        if (f)
            fclose(f);
        fprintf(stderr, "updated %s\n", path);
        return;
    }
    size_t n;
    char *want = cer_test_read_file(path, &n);
    if (!want)
        return;
    if (n != len || memcmp(want, got, n) != 0)
        cer_test_fail(__FILE__, __LINE__, "%s differs:\n--- got\n%.*s--- expected\n%s", name,
                      (int)len, got, want);
    free(want);
}

/* Read a golden input file (malloc'd; caller frees). */
T_FN char *golden_input(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/otlp/golden/%s", name);
    return cer_test_read_file(cer_test_src_path(rel), len);
}

#endif
