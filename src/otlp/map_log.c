/* Log-shaped CloudEvents: one per log record, and one per non-GenAI span when the spans mode
 * is "all". data is an object of the record's attributes followed by the record's own fields
 * (docs/otlp.md, "Log records" and "Other spans"). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ce/json.h"
#include "otlp/map.h"

/* Append "tenant/<t>[/user/<u>]" with '/' and '%' in the ids percent-encoded, and set it. */
static int set_subject(cer__otlp_mapper *m, cer__otlp_kv *const *attrs, size_t n)
{
    char tb[24], ub[24];
    const char *t, *u;
    size_t tl, ul;
    if (!cer__otlp_lookup(m, attrs, n, m->tenant_attrs, tb, &t, &tl))
        return 0;
    bool user = cer__otlp_lookup(m, attrs, n, m->user_attrs, ub, &u, &ul);
    ce_buf *s = &m->subject;
    s->len = 0;
    int rc = ce_buf_append(s, "tenant/", 7);
    for (int part = 0; part < (user ? 2 : 1) && !rc; part++) {
        const char *p = part ? u : t;
        size_t pl = part ? ul : tl;
        if (part)
            rc = ce_buf_append(s, "/user/", 6);
        for (size_t i = 0; i < pl && !rc; i++) {
            if (p[i] == '/')
                rc = ce_buf_append(s, "%2F", 3);
            else if (p[i] == '%')
                rc = ce_buf_append(s, "%25", 3);
            else
                rc = ce_buf_append(s, p + i, 1);
        }
    }
    if (rc)
        return cer__otlp_fail(m, rc, "subject: %s", ce_strerror(rc));
    return cer__otlp_set(m, "subject", s->ptr, s->len);
}

/* A text attribute usable as a type, or NULL. */
static const char *text_attr(cer__otlp_kv *const *attrs, size_t n, const char *name)
{
    if (!name)
        return NULL;
    const cer__otlp_any *v = cer__otlp_attr(attrs, n, name);
    if (v && v->value_case == CER__OTLP_ANY(STRING_VALUE) && v->string_value && v->string_value[0])
        return v->string_value;
    return NULL;
}

/* ",\"key\":" (or without the comma). */
static int key(ce_buf *out, const char *k, bool *comma)
{
    int rc = *comma ? ce_buf_append(out, ",", 1) : 0;
    *comma = true;
    if (!rc)
        rc = ce__json_write_string(out, k, strlen(k));
    return rc ? rc : ce_buf_append(out, ":", 1);
}

static int str_member(ce_buf *out, const char *k, const char *v, bool *comma)
{
    int rc = key(out, k, comma);
    return rc ? rc : ce__json_write_string(out, v, strlen(v));
}

static int int_member(ce_buf *out, const char *k, int64_t v, bool *comma)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    int rc = key(out, k, comma);
    return rc ? rc : ce_buf_append(out, num, (size_t)n);
}

static int data_error(cer__otlp_mapper *m, int rc)
{
    if (rc == CE_ETOOBIG)
        return cer__otlp_fail(m, rc, "data: larger than %zu bytes", m->conf.max_event_bytes);
    if (rc == CE_EDEPTH)
        return cer__otlp_fail(m, rc, "data: values nested deeper than %u", m->lim->max_depth);
    return cer__otlp_fail(m, rc, "data: %s", ce_strerror(rc));
}

static bool id_set(ProtobufCBinaryData b)
{
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i])
            return true;
    return false;
}

int cer__otlp_build_log(cer__otlp_mapper *m, const cer__otlp_log *rec)
{
    ce_event_clear(m->ev);
    m->data.len = 0;
    int rc = cer__otlp_set_common(m);
    if (rc)
        return rc;
    cer__otlp_kv *const *attrs = rec->attributes;
    size_t n = rec->n_attributes;
    const char *type = rec->event_name && rec->event_name[0] ? rec->event_name : NULL;
    if (!type)
        type = text_attr(attrs, n, "event.name");
    if (!type)
        type = text_attr(attrs, n, m->conf.type_attr);
    bool named = type != NULL;
    if (!type)
        type = m->conf.log_type;
    rc = cer__otlp_set(m, "type", type, strlen(type));
    if (!rc)
        rc = rec->time_unix_nano
                 ? cer__otlp_set_time(m, rec->time_unix_nano, "timeUnixNano")
                 : cer__otlp_set_time(m, rec->observed_time_unix_nano, "observedTimeUnixNano");
    if (!rc)
        rc = set_subject(m, attrs, n);
    if (!rc)
        rc = cer__otlp_set_traceparent(m, rec->trace_id, rec->span_id, rec->flags & 0xffu);
    if (rc)
        return rc;

    /* Older GenAI events (gen_ai.user.message, gen_ai.choice, ...) carry content in the body. */
    bool body = rec->body && rec->body->value_case != CER__OTLP_ANY(_NOT_SET) &&
                rec->body->value_case != CER__OTLP_ANY(STRING_VALUE_STRINDEX) &&
                !(named && !m->conf.allow_content && strncmp(type, "gen_ai.", 7) == 0);
    bool sev_text = rec->severity_text && rec->severity_text[0];
    bool sev_num = rec->severity_number != 0;
    bool trace = id_set(rec->trace_id), span = id_set(rec->span_id);
    cer__otlp_keyset seen;
    rc = cer__otlp_keyset_init(&seen, n + 8);
    if (rc)
        return cer__otlp_fail(m, rc, "out of memory");
    /* The record's own fields win over attributes of the same name. */
    if (body)
        cer__otlp_keyset_add(&seen, "body", 4);
    if (sev_text)
        cer__otlp_keyset_add(&seen, "severity_text", 13);
    if (sev_num)
        cer__otlp_keyset_add(&seen, "severity_number", 15);
    if (trace)
        cer__otlp_keyset_add(&seen, "trace_id", 8);
    if (span)
        cer__otlp_keyset_add(&seen, "span_id", 7);
    if (m->n_res_attrs)
        cer__otlp_keyset_add(&seen, "resource", 8);
    bool comma = false;
    ce_buf *d = &m->data;
    rc = ce_buf_append(d, "{", 1);
    if (!rc)
        rc = cer__otlp_kvs_members(d, attrs, n, &seen, cer__otlp_drop_key, m, 1, m->lim->max_depth,
                                   &comma);
    cer__otlp_keyset_free(&seen);
    if (!rc && body) {
        rc = key(d, "body", &comma);
        if (!rc)
            rc = cer__otlp_any_json(d, rec->body, 1, m->lim->max_depth);
    }
    if (!rc && sev_text)
        rc = str_member(d, "severity_text", rec->severity_text, &comma);
    if (!rc && sev_num)
        rc = int_member(d, "severity_number", rec->severity_number, &comma);
    if (!rc)
        rc = cer__otlp_hex_member(d, "trace_id", rec->trace_id, &comma);
    if (!rc)
        rc = cer__otlp_hex_member(d, "span_id", rec->span_id, &comma);
    if (!rc)
        rc = cer__otlp_resource_member(m, &comma);
    if (!rc)
        rc = ce_buf_append(d, "}", 1);
    if (rc)
        return rc == CE_ENOMEM ? rc : data_error(m, rc);
    return cer__otlp_finish(m);
}

int cer__otlp_build_span(cer__otlp_mapper *m, const cer__otlp_span *sp)
{
    ce_event_clear(m->ev);
    m->data.len = 0;
    int rc = cer__otlp_set_common(m);
    if (rc)
        return rc;
    cer__otlp_kv *const *attrs = sp->attributes;
    size_t n = sp->n_attributes;
    rc = cer__otlp_set(m, "type", m->conf.span_type, strlen(m->conf.span_type));
    if (!rc)
        rc = sp->start_time_unix_nano
                 ? cer__otlp_set_time(m, sp->start_time_unix_nano, "startTimeUnixNano")
                 : cer__otlp_set_time(m, sp->end_time_unix_nano, "endTimeUnixNano");
    if (!rc)
        rc = set_subject(m, attrs, n);
    if (!rc)
        rc = cer__otlp_set_traceparent(m, sp->trace_id, sp->span_id, sp->flags & 0xffu);
    if (!rc && sp->parent_span_id.len != 0 && sp->parent_span_id.len != 8)
        rc = cer__otlp_fail(m, CE_EBADVALUE, "parentSpanId: %zu bytes, expected 8",
                            sp->parent_span_id.len);
    if (rc)
        return rc;

    bool name = sp->name && sp->name[0], kind = sp->kind != 0;
    bool st_code = sp->status && sp->status->code != 0;
    bool st_msg = sp->status && sp->status->message && sp->status->message[0];
    bool dur = sp->start_time_unix_nano && sp->end_time_unix_nano >= sp->start_time_unix_nano;
    bool trace = id_set(sp->trace_id), span = id_set(sp->span_id);
    bool parent = id_set(sp->parent_span_id);
    static const char *const fixed[] = {"name",           "kind",           "status_code",
                                        "status_message", "duration_ms",    "trace_id",
                                        "span_id",        "parent_span_id", "resource"};
    bool present[] = {name, kind, st_code, st_msg, dur, trace, span, parent, m->n_res_attrs > 0};
    cer__otlp_keyset seen;
    rc = cer__otlp_keyset_init(&seen, n + 10);
    if (rc)
        return cer__otlp_fail(m, rc, "out of memory");
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (present[i])
            cer__otlp_keyset_add(&seen, fixed[i], strlen(fixed[i]));
    bool comma = false;
    ce_buf *d = &m->data;
    rc = ce_buf_append(d, "{", 1);
    if (!rc)
        rc = cer__otlp_kvs_members(d, attrs, n, &seen, cer__otlp_drop_key, m, 1, m->lim->max_depth,
                                   &comma);
    cer__otlp_keyset_free(&seen);
    if (!rc && name)
        rc = str_member(d, "name", sp->name, &comma);
    if (!rc && kind)
        rc = int_member(d, "kind", sp->kind, &comma);
    if (!rc && st_code)
        rc = int_member(d, "status_code", sp->status->code, &comma);
    if (!rc && st_msg)
        rc = str_member(d, "status_message", sp->status->message, &comma);
    if (!rc && dur)
        rc = int_member(
            d, "duration_ms",
            (int64_t)((sp->end_time_unix_nano - sp->start_time_unix_nano + 500000u) / 1000000u),
            &comma);
    if (!rc)
        rc = cer__otlp_hex_member(d, "trace_id", sp->trace_id, &comma);
    if (!rc)
        rc = cer__otlp_hex_member(d, "span_id", sp->span_id, &comma);
    if (!rc)
        rc = cer__otlp_hex_member(d, "parent_span_id", sp->parent_span_id, &comma);
    if (!rc)
        rc = cer__otlp_resource_member(m, &comma);
    if (!rc)
        rc = ce_buf_append(d, "}", 1);
    if (rc)
        return rc == CE_ENOMEM ? rc : data_error(m, rc);
    return cer__otlp_finish(m);
}
