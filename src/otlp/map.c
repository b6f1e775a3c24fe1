/* Mapping driver: resolves the configuration, walks the request (resource, scope, record),
 * builds one CloudEvent per record through map_log.c / map_usage.c, and reports each event or
 * rejection through the caller's callbacks. Also the attribute-setting helpers the builders
 * share (source, time, traceparent, id). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ce/json.h"
#include "otlp/map.h"

static const char *const default_tenant_attrs[] = {"tenant_id", "tenant.id", NULL};
static const char *const default_user_attrs[] = {"user_id", "user.id", NULL};

int cer__otlp_fail(cer__otlp_mapper *m, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return err;
}

int cer__otlp_set(cer__otlp_mapper *m, const char *name, const char *s, size_t n)
{
    char e[256];
    ce_type t = CE_TYPE_STRING;
    if (strcmp(name, "source") == 0)
        t = CE_TYPE_URI_REF;
    else if (strcmp(name, "time") == 0)
        t = CE_TYPE_TIMESTAMP;
    int rc = ce_event_set(m->ev, name, t, s, n, e, sizeof e);
    if (rc)
        return cer__otlp_fail(m, rc, "%s", e);
    return 0;
}

/* Resource attributes kept as extensions on every event made from the resource (docs/otlp.md,
 * "Resource extensions"): the first attribute of each row found with a text value. */
static const struct {
    const char *ext;
    const char *attrs[3];
} resource_exts[] = {
    {"servicename", {"service.name", NULL}},
    {"servicenamespace", {"service.namespace", NULL}},
    {"serviceinstanceid", {"service.instance.id", NULL}},
    {"serviceversion", {"service.version", NULL}},
    {"deploymentenv", {"deployment.environment.name", "deployment.environment", NULL}},
    {"hostname", {"host.name", NULL}},
};

static int set_resource_exts(cer__otlp_mapper *m)
{
    for (size_t i = 0; i < sizeof resource_exts / sizeof *resource_exts; i++) {
        for (const char *const *a = resource_exts[i].attrs; *a; a++) {
            char tmp[24];
            const char *s;
            size_t n;
            if (cer__otlp_any_text(cer__otlp_attr(m->res_attrs, m->n_res_attrs, *a), tmp, &s, &n) &&
                n > 0) {
                int rc = cer__otlp_set(m, resource_exts[i].ext, s, n);
                if (rc)
                    return rc;
                break;
            }
        }
    }
    return 0;
}

int cer__otlp_set_common(cer__otlp_mapper *m)
{
    int rc = cer__otlp_set(m, "specversion", "1.0", 3);
    if (!rc)
        rc = cer__otlp_set(m, "source", m->source.ptr, m->source.len - 1);
    if (!rc)
        rc = cer__otlp_set(m, "datacontenttype", "application/json", 16);
    if (!rc)
        rc = set_resource_exts(m);
    return rc;
}

int cer__otlp_set_time(cer__otlp_mapper *m, uint64_t ns, const char *what)
{
    if (ns == 0)
        return 0;
    if (ns > (uint64_t)INT64_MAX)
        return cer__otlp_fail(m, CE_ERANGE, "%s: %" PRIu64 " is beyond the year 2262", what, ns);
    char t[40];
    size_t n = ce_timestamp_format((int64_t)ns, 9, t);
    return cer__otlp_set(m, "time", t, n);
}

static bool all_zero(ProtobufCBinaryData b)
{
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i])
            return false;
    return true;
}

int cer__otlp_set_traceparent(cer__otlp_mapper *m, ProtobufCBinaryData trace,
                              ProtobufCBinaryData span, uint32_t flags)
{
    if (trace.len != 0 && trace.len != 16)
        return cer__otlp_fail(m, CE_EBADVALUE, "traceId: %zu bytes, expected 16", trace.len);
    if (span.len != 0 && span.len != 8)
        return cer__otlp_fail(m, CE_EBADVALUE, "spanId: %zu bytes, expected 8", span.len);
    if (!trace.len || !span.len || all_zero(trace) || all_zero(span))
        return 0;
    static const char hx[] = "0123456789abcdef";
    char tp[56];
    size_t n = 0;
    tp[n++] = '0';
    tp[n++] = '0';
    tp[n++] = '-';
    for (size_t i = 0; i < 16; i++) {
        tp[n++] = hx[trace.data[i] >> 4];
        tp[n++] = hx[trace.data[i] & 15];
    }
    tp[n++] = '-';
    for (size_t i = 0; i < 8; i++) {
        tp[n++] = hx[span.data[i] >> 4];
        tp[n++] = hx[span.data[i] & 15];
    }
    tp[n++] = '-';
    tp[n++] = hx[(flags >> 4) & 15];
    tp[n++] = hx[flags & 15];
    return cer__otlp_set(m, "traceparent", tp, n);
}

bool cer__otlp_lookup(const cer__otlp_mapper *m, cer__otlp_kv *const *attrs, size_t n,
                      const char *const *names, char tmp[24], const char **s, size_t *len)
{
    for (const char *const *p = names; *p; p++)
        if (cer__otlp_any_text(cer__otlp_attr(attrs, n, *p), tmp, s, len))
            return true;
    for (const char *const *p = names; *p; p++)
        if (cer__otlp_any_text(cer__otlp_attr(m->res_attrs, m->n_res_attrs, *p), tmp, s, len))
            return true;
    return false;
}

int cer__otlp_hex_member(ce_buf *out, const char *key, ProtobufCBinaryData id, bool *comma)
{
    if (!id.len || all_zero(id))
        return 0;
    int rc = ce_buf_append(out, *comma ? ",\"" : "\"", *comma ? 2 : 1);
    if (!rc)
        rc = ce_buf_append(out, key, strlen(key));
    if (!rc)
        rc = ce_buf_append(out, "\":\"", 3);
    if (!rc)
        rc = cer__otlp_hex(out, id.data, id.len);
    if (!rc)
        rc = ce_buf_append(out, "\"", 1);
    *comma = true;
    return rc;
}

/* Prompt and response content (docs/otlp.md, "Content"): exact keys, and two prefixes that
 * cover the older indexed forms (gen_ai.prompt.0.content, gen_ai.completion.0.content). */
static bool is_content_key(const char *k, size_t n)
{
    static const char *const exact[] = {"gen_ai.input.messages",      "gen_ai.output.messages",
                                        "gen_ai.system_instructions", "gen_ai.tool.call.arguments",
                                        "gen_ai.tool.call.result",    "gen_ai.retrieval.query.text",
                                        "gen_ai.retrieval.documents", NULL};
    for (const char *const *p = exact; *p; p++)
        if (strlen(*p) == n && memcmp(*p, k, n) == 0)
            return true;
    return (n >= 13 && memcmp(k, "gen_ai.prompt", 13) == 0) ||
           (n >= 17 && memcmp(k, "gen_ai.completion", 17) == 0);
}

bool cer__otlp_drop_key(const char *key, size_t len, const void *ctx)
{
    const cer__otlp_mapper *m = ctx;
    return !m->conf.allow_content && is_content_key(key, len);
}

int cer__otlp_resource_member(cer__otlp_mapper *m, bool *comma)
{
    if (!m->n_res_attrs)
        return 0;
    cer__otlp_keyset seen;
    int rc = cer__otlp_keyset_init(&seen, m->n_res_attrs);
    if (rc)
        return cer__otlp_fail(m, rc, "out of memory");
    rc = ce_buf_append(&m->data, *comma ? ",\"resource\":{" : "\"resource\":{", *comma ? 13 : 12);
    bool inner = false;
    if (!rc)
        rc = cer__otlp_kvs_members(&m->data, m->res_attrs, m->n_res_attrs, &seen,
                                   cer__otlp_drop_key, m, 2, m->lim->max_depth + 1, &inner);
    if (!rc)
        rc = ce_buf_append(&m->data, "}", 1);
    cer__otlp_keyset_free(&seen);
    *comma = true;
    return rc;
}

int cer__otlp_finish(cer__otlp_mapper *m)
{
    char e[256];
    int rc = ce_event_set_data(m->ev, CE_DATA_JSON, m->data.ptr, m->data.len, e, sizeof e);
    if (rc)
        return cer__otlp_fail(m, rc, "%s", e); /* "data: ..." */
    char id[CER_OTLP_ID_MAX];
    if (m->conf.id_fn) {
        id[0] = 0;
        rc = m->conf.id_fn(m->conf.id_ctx, m->ev, id);
        if (rc)
            return cer__otlp_fail(m, rc < 0 ? rc : CE_EINVAL, "id: the id generator failed");
        id[CER_OTLP_ID_MAX - 1] = 0;
    } else if (m->conf.id_mode == CER_OTLP_ID_DETERMINISTIC) {
        cer__otlp_content_id(m->ev, id);
    } else {
        rc = cer__otlp_uuid7(&m->rand, id);
        if (rc)
            return cer__otlp_fail(m, rc, "id: no random bytes from the system");
    }
    rc = cer__otlp_set(m, "id", id, strlen(id));
    if (rc)
        return rc;
    rc = ce_event_validate(m->ev, e, sizeof e);
    if (rc)
        return cer__otlp_fail(m, rc, "%s", e);
    return 0;
}

/* Append s[0..n) to `out` with every byte outside RFC 3986 "unreserved" percent-encoded, which
 * always yields a valid relative-reference segment. */
static int append_encoded(ce_buf *out, const char *s, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            rc = ce_buf_append(out, s + i, 1);
        } else {
            char pe[3] = {'%', hx[c >> 4], hx[c & 15]};
            rc = ce_buf_append(out, pe, 3);
        }
    }
    return rc;
}

static const char *res_string(const cer__otlp_mapper *m, const char *key)
{
    const cer__otlp_any *v = cer__otlp_attr(m->res_attrs, m->n_res_attrs, key);
    if (v && v->value_case == CER__OTLP_ANY(STRING_VALUE) && v->string_value && v->string_value[0])
        return v->string_value;
    return NULL;
}

/* The source of every event from this resource into m->source (NUL-terminated): conf.source;
 * else service.name, with service.namespace before and service.instance.id after it
 * ("shop/checkout/pod-7", each part percent-encoded); else conf.default_source. */
static int resolve_source(cer__otlp_mapper *m)
{
    m->source.len = 0;
    const char *s = m->conf.source;
    const char *ns = NULL, *inst = NULL;
    if (!s) {
        s = res_string(m, "service.name");
        if (s) {
            ns = res_string(m, "service.namespace");
            inst = res_string(m, "service.instance.id");
        } else {
            s = m->conf.default_source;
        }
    }
    size_t n = strlen(s);
    int rc = 0;
    if (ns || inst) {
        if (ns)
            rc = append_encoded(&m->source, ns, strlen(ns));
        if (!rc && ns)
            rc = ce_buf_append(&m->source, "/", 1);
        if (!rc)
            rc = append_encoded(&m->source, s, n);
        if (!rc && inst)
            rc = ce_buf_append(&m->source, "/", 1);
        if (!rc && inst)
            rc = append_encoded(&m->source, inst, strlen(inst));
    } else if (ce_check_value(CE_TYPE_URI_REF, s, n, NULL, 0) == 0) {
        rc = ce_buf_append(&m->source, s, n);
    } else {
        rc = append_encoded(&m->source, s, n);
    }
    if (!rc)
        rc = ce_buf_append(&m->source, "", 1);
    return rc;
}

/* Report the current record: produced (rc 0) or rejected. Returns a callback's stop value. */
static int report(cer__otlp_mapper *m, int rc)
{
    if (rc == 0) {
        m->stats->produced++;
        return m->on_event(m->ctx, m->ev);
    }
    m->stats->rejected++;
    if (!m->stats->first_error[0])
        snprintf(m->stats->first_error, sizeof m->stats->first_error, "%.120s: %.120s", m->path,
                 m->err);
    return m->on_reject ? m->on_reject(m->ctx, m->path, rc, m->err) : 0;
}

static void set_resource(cer__otlp_mapper *m, const cer__otlp_resource *res)
{
    m->res_attrs = res ? res->attributes : NULL;
    m->n_res_attrs = res ? res->n_attributes : 0;
}

static int map_logs(cer__otlp_mapper *m, const cer__otlp_logs_req *req)
{
    for (size_t i = 0; i < req->n_resource_logs; i++) {
        const cer__otlp_res_logs *rl = req->resource_logs[i];
        set_resource(m, rl->resource);
        if (resolve_source(m)) {
            m->oom = true;
            return CE_ENOMEM;
        }
        for (size_t j = 0; j < rl->n_scope_logs; j++) {
            const cer__otlp_scope_logs *sl = rl->scope_logs[j];
            for (size_t k = 0; k < sl->n_log_records; k++) {
                snprintf(m->path, sizeof m->path,
                         "resourceLogs[%zu].scopeLogs[%zu].logRecords[%zu]", i, j, k);
                m->err[0] = 0;
                int rc = cer__otlp_build_log(m, sl->log_records[k]);
                if (rc == CE_ENOMEM) {
                    m->oom = true;
                    return rc;
                }
                rc = report(m, rc);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

static int map_traces(cer__otlp_mapper *m, const cer__otlp_trace_req *req)
{
    for (size_t i = 0; i < req->n_resource_spans; i++) {
        const cer__otlp_res_spans *rs = req->resource_spans[i];
        set_resource(m, rs->resource);
        if (resolve_source(m)) {
            m->oom = true;
            return CE_ENOMEM;
        }
        for (size_t j = 0; j < rs->n_scope_spans; j++) {
            const cer__otlp_scope_spans *ss = rs->scope_spans[j];
            for (size_t k = 0; k < ss->n_spans; k++) {
                const cer__otlp_span *sp = ss->spans[k];
                bool genai = m->conf.spans != CER_OTLP_SPANS_NONE && cer__otlp_is_genai_span(sp);
                if (!genai && m->conf.spans != CER_OTLP_SPANS_ALL) {
                    m->stats->skipped++;
                    continue;
                }
                snprintf(m->path, sizeof m->path, "resourceSpans[%zu].scopeSpans[%zu].spans[%zu]",
                         i, j, k);
                m->err[0] = 0;
                int rc = genai ? cer__otlp_build_usage(m, sp) : cer__otlp_build_span(m, sp);
                if (rc == CE_ENOMEM) {
                    m->oom = true;
                    return rc;
                }
                rc = report(m, rc);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

static int check_conf_str(const char *v, const char *field, ce_type t, char *errstr,
                          size_t errstr_size)
{
    char e[200];
    if (v && (!*v || ce_check_value(t, v, strlen(v), e, sizeof e)))
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "conf.%s: %s", field, *v ? e : "empty");
    return 0;
}

int cer_otlp_map(const cer_otlp_request *r, const cer_otlp_map_conf *conf,
                 cer_otlp_event_cb on_event, cer_otlp_reject_cb on_reject, void *ctx,
                 cer_otlp_map_stats *stats, char *errstr, size_t errstr_size)
{
    cer_otlp_map_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!r || !on_event)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "NULL request or on_event");
    cer__otlp_mapper m;
    memset(&m, 0, sizeof m);
    if (conf)
        m.conf = *conf;
    cer_otlp_map_conf *c = &m.conf;
    if (c->spans != CER_OTLP_SPANS_GENAI && c->spans != CER_OTLP_SPANS_ALL &&
        c->spans != CER_OTLP_SPANS_NONE)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "conf.spans: unknown mode %d",
                         (int)c->spans);
    if (c->id_mode != CER_OTLP_ID_UUID7 && c->id_mode != CER_OTLP_ID_DETERMINISTIC)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "conf.id_mode: unknown mode %d",
                         (int)c->id_mode);
    if (!c->default_source)
        c->default_source = CER_OTLP_DEFAULT_SOURCE;
    if (!c->log_type)
        c->log_type = CER_OTLP_DEFAULT_LOG_TYPE;
    if (!c->usage_type)
        c->usage_type = CER_OTLP_DEFAULT_USAGE_TYPE;
    if (!c->span_type)
        c->span_type = CER_OTLP_DEFAULT_SPAN_TYPE;
    if (!c->cached_attr)
        c->cached_attr = CER_OTLP_DEFAULT_CACHED_ATTR;
    if (!c->max_event_bytes)
        c->max_event_bytes = CE_DEFAULT_MAX_EVENT_BYTES;
    int rc = check_conf_str(c->source, "source", CE_TYPE_URI_REF, errstr, errstr_size);
    if (!rc)
        rc = check_conf_str(c->default_source, "default_source", CE_TYPE_STRING, errstr,
                            errstr_size);
    if (!rc)
        rc = check_conf_str(c->log_type, "log_type", CE_TYPE_STRING, errstr, errstr_size);
    if (!rc)
        rc = check_conf_str(c->usage_type, "usage_type", CE_TYPE_STRING, errstr, errstr_size);
    if (!rc)
        rc = check_conf_str(c->span_type, "span_type", CE_TYPE_STRING, errstr, errstr_size);
    if (rc)
        return rc;
    m.tenant_attrs = c->tenant_attrs ? c->tenant_attrs : default_tenant_attrs;
    m.user_attrs = c->user_attrs ? c->user_attrs : default_user_attrs;
    m.lim = &r->lim;
    m.on_event = on_event;
    m.on_reject = on_reject;
    m.ctx = ctx;
    m.stats = stats;
    m.data.cap_limit = c->max_event_bytes;
    m.ev = ce_event_new();
    if (!m.ev)
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    rc = r->sig == CER_OTLP_LOGS ? map_logs(&m, r->logs) : map_traces(&m, r->traces);
    if (m.oom)
        cerx_errf(rc, errstr, errstr_size, "out of memory");
    else if (errstr && errstr_size)
        errstr[0] = 0;
    ce_event_destroy(m.ev);
    ce_buf_free(&m.data);
    ce_buf_free(&m.source);
    ce_buf_free(&m.subject);
    return rc;
}
