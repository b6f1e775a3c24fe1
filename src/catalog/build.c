/* Building catalog events: the envelope every builder shares (id, source, dataschema, subject,
 * time from cer_event_meta or the type's defaults), the generic cer_catalog_event, and the
 * compact JSON writer and number formatting the typed builders use. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "catalog/internal.h"
#include "ce/json.h"

#define EZ "llm-orch-svc"
#define CS "coresdk"

const cer__builtin_type cer__builtin_types[] = {
    {"eventzr.llm.budget.exceeded.v1", EZ},
    {"eventzr.llm.embeddings.generated.v1", EZ},
    {"eventzr.llm.inference.failed.v1", EZ},
    {"eventzr.llm.kg.synced.v1", EZ},
    {"eventzr.llm.provider.outage.v1", EZ},
    {"eventzr.llm.quota.low.v1", EZ},
    {"eventzr.llm.semantic-cache.hit.v1", EZ},
    {"eventzr.llm.usage.v1", EZ},
    {"io.coresdk.auth.denied", CS},
    {"io.coresdk.auth.verified", CS},
    {"io.coresdk.error", CS},
    {"io.coresdk.policy.decision", CS},
    {"io.coresdk.secret.rotated", CS},
    {"io.coresdk.tenant.created", CS},
    {"io.coresdk.tenant.suspended", CS},
};
const size_t cer__builtin_ntypes = sizeof cer__builtin_types / sizeof *cer__builtin_types;

/* ---- JSON writer ---- */
static void raw(cer__jw *w, const char *s, size_t n)
{
    if (!w->rc)
        w->rc = ce_buf_append(w->b, s, n);
}

void cer__jw_raw(cer__jw *w, const char *json)
{
    raw(w, json, strlen(json));
}

void cer__jw_begin(cer__jw *w, ce_buf *b)
{
    w->b = b;
    w->rc = 0;
    w->depth = 0;
    w->first[0] = true;
    w->close[0] = '}';
    raw(w, "{", 1);
}

void cer__jw_key(cer__jw *w, const char *k)
{
    if (!w->first[w->depth])
        raw(w, ",", 1);
    w->first[w->depth] = false;
    if (k) {
        if (!w->rc)
            w->rc = ce__json_write_string(w->b, k, strlen(k));
        raw(w, ":", 1);
    }
}

void cer__jw_open(cer__jw *w, const char *k, char bracket)
{
    cer__jw_key(w, k);
    raw(w, &bracket, 1);
    if (w->depth + 1 < (int)(sizeof w->first / sizeof *w->first)) {
        w->first[++w->depth] = true;
        w->close[w->depth] = bracket == '[' ? ']' : '}';
    } else if (!w->rc)
        w->rc = CE_EDEPTH;
}

void cer__jw_end(cer__jw *w)
{
    raw(w, &w->close[w->depth], 1);
    if (w->depth > 0)
        w->depth--;
}

void cer__jw_str(cer__jw *w, const char *k, const char *s)
{
    cer__jw_key(w, k);
    if (!s)
        raw(w, "null", 4);
    else if (!w->rc)
        w->rc = ce__json_write_string(w->b, s, strlen(s));
}

void cer__jw_int(cer__jw *w, const char *k, int64_t v)
{
    char num[24];
    cer__jw_key(w, k);
    raw(w, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)v));
}

void cer__jw_num(cer__jw *w, const char *k, double v)
{
    char num[40];
    cer__jw_key(w, k);
    if (!isfinite(v) && !w->rc)
        w->rc = CE_EINVAL;
    raw(w, num, cer__fmt_double(v, num));
}

void cer__jw_bool(cer__jw *w, const char *k, int v)
{
    cer__jw_key(w, k);
    raw(w, v ? "true" : "false", v ? 4 : 5);
}

void cer__jw_null(cer__jw *w, const char *k)
{
    cer__jw_key(w, k);
    raw(w, "null", 4);
}

/* ---- numbers ---- */
size_t cer__fmt_double(double v, char out[40])
{
    if (!isfinite(v) || v == 0) {
        memcpy(out, "0", 2);
        return 1;
    }
    char e[40];
    for (int p = 0; p < 17; p++) {
        snprintf(e, sizeof e, "%.*e", p, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is [-]d[.ddd]e[+-]xx: collect the digits and the exponent. */
    char digits[24];
    size_t nd = 0;
    const char *q = e;
    bool neg = *q == '-';
    q += neg;
    for (; *q && *q != 'e'; q++)
        if (*q != '.')
            digits[nd++] = *q;
    int x = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char *o = out;
    if (neg)
        *o++ = '-';
    if (x < -9 || x >= 17) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, nd - 1);
            o += nd - 1;
        }
        o += snprintf(o, 8, "e%d", x);
        return (size_t)(o - out);
    }
    if (x < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *o++ = '0';
        memcpy(o, digits, nd);
        o += nd;
    } else {
        for (int i = 0; i <= x; i++)
            *o++ = (size_t)i < nd ? digits[i] : '0';
        if (nd > (size_t)x + 1) {
            *o++ = '.';
            memcpy(o, digits + x + 1, nd - (size_t)x - 1);
            o += nd - (size_t)x - 1;
        }
    }
    *o = 0;
    return (size_t)(o - out);
}

/* ---- the envelope ---- */
const char *cer__event_time(const cer_event_meta *meta, char buf[40])
{
    if (meta && meta->time)
        return meta->time;
    cer_now_rfc3339(buf);
    return buf;
}

int cer__build_event(const char *type, const char *default_source, const char *dataschema,
                     const char *subject, const char *time, const ce_buf *data,
                     const cer_event_meta *meta, ce_event **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    char id[37], schema[512];
    if (!(meta && meta->id))
        cer_uuid7(id);
    if (!dataschema) {
        snprintf(schema, sizeof schema, "%s%s.json", CER_CATALOG_SCHEMA_BASE, type);
        dataschema = schema;
    }
    if (meta && meta->dataschema)
        dataschema = meta->dataschema[0] ? meta->dataschema : NULL;
    const char *attrs[][2] = {{"specversion", "1.0"},
                              {"id", meta && meta->id ? meta->id : id},
                              {"source", meta && meta->source ? meta->source : default_source},
                              {"type", type},
                              {"datacontenttype", "application/json"},
                              {"dataschema", dataschema},
                              {"subject", meta && meta->subject ? meta->subject : subject},
                              {"time", time}};
    ce_event *e = ce_event_new();
    if (!e)
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs && !rc; i++)
        if (attrs[i][1])
            rc = ce_event_set_str(e, attrs[i][0], attrs[i][1], errstr, errstr_size);
    if (!rc)
        rc = ce_event_set_data(e, CE_DATA_JSON, data->ptr, data->len, errstr, errstr_size);
    if (rc) {
        ce_event_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

int cer_catalog_event(const cer_catalog *cat, const char *type, const char *data_json, size_t len,
                      const cer_event_meta *meta, ce_event **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    if (!cat || !type || (!data_json && len))
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "cer_catalog_event: NULL argument");
    const cer__ctype *t = cer__catalog_lookup(cat, type, strlen(type));
    if (!t)
        return cerx_errf(CE_ENOTFOUND, errstr, errstr_size, "type '%s' is not in the catalog",
                         type);
    ce_buf subject = {0};
    int rc = 0;
    if (!(meta && meta->subject) && t->pub.subject[0]) {
        cer__jdom d;
        char why[256];
        rc = cer__jdom_parse(&d, data_json, len, CER_CATALOG_MAX_DEPTH, CER_CATALOG_MAX_NODES, why,
                             sizeof why);
        if (rc)
            cerx_errf(rc, errstr, errstr_size, "data: %s", why);
        else
            rc = cer__subject_render(t->pub.subject, &d, d.nodes, &subject, errstr, errstr_size);
        if (!rc)
            rc = ce_buf_append(&subject, "", 1);
        cer__jdom_free(&d);
    }
    if (!rc) {
        char now[40];
        ce_buf data = {(char *)data_json, len, len, 0};
        rc = cer__build_event(t->pub.type, t->pub.source, t->pub.dataschema,
                              subject.ptr ? subject.ptr : NULL, cer__event_time(meta, now), &data,
                              meta, out, errstr, errstr_size);
    }
    ce_buf_free(&subject);
    return rc;
}
