/* Validation of whole events against their catalog entry (envelope, data schema, partition
 * key and subject template), data-only validation, the partition key, and subject templates. */
#include <stdio.h>
#include <string.h>

#include "catalog/internal.h"

static void result_init(cer_catalog_result *res)
{
    res->verdict = CER_CATALOG_VALID;
    res->violations = 0;
    res->nmessages = 0;
    res->messages[0][0] = 0;
}

int cer__subject_render(const char *tmpl, const cer__jdom *d, const cer__jnode *obj, ce_buf *out,
                        char *errstr, size_t errstr_size)
{
    size_t group_start = 0;
    bool in_group = false, group_ok = true;
    for (const char *p = tmpl; *p; p++) {
        int rc = 0;
        if (*p == '[' && !in_group) {
            in_group = true;
            group_ok = true;
            group_start = out->len;
        } else if (*p == ']' && in_group) {
            if (!group_ok)
                out->len = group_start;
            in_group = false;
        } else if (*p == '{' && strchr(p, '}')) {
            const char *close = strchr(p, '}');
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
            const cer__jnode *v = cer__j_member(d, obj, name);
            if (v && v->type == CER__J_STRING)
                rc = ce_buf_append(out, v->str.ptr, v->str.len);
            else if (in_group)
                group_ok = false;
            else
                return cerx_errf(CE_EMISSING, errstr, errstr_size,
                                 "subject: the data has no string field '%s'", name);
            p = close;
        } else {
            rc = ce_buf_append(out, p, 1);
        }
        if (rc)
            return cerx_errf(rc, errstr, errstr_size, "subject: %s", ce_strerror(rc));
    }
    return 0;
}

static int check_data(const cer__ctype *t, const char *json, size_t len, bool envelope,
                      const ce_event *ev, cer_catalog_result *res)
{
    cer__jdom d;
    char why[200];
    int rc = cer__jdom_parse(&d, json, len, CER_CATALOG_MAX_DEPTH, CER_CATALOG_MAX_NODES, why,
                             sizeof why);
    if (rc == CE_ENOMEM) {
        cer__jdom_free(&d);
        return rc;
    }
    if (rc) {
        cer__result_add(res, "data: %s", why);
        cer__jdom_free(&d);
        return 0;
    }
    size_t before = res->violations;
    cer__schema_validate(t->schema, &d, d.nodes, "data", res);
    /* The subject is compared once the data is valid (a bad tenant field is one message). */
    ce_slice subj = envelope ? ce_event_get_str(ev, "subject") : (ce_slice){NULL, 0};
    if (envelope && t->pub.subject[0] && subj.ptr && res->violations == before &&
        d.nodes[0].type == CER__J_OBJECT) {
        ce_buf want = {0};
        rc = cer__subject_render(t->pub.subject, &d, d.nodes, &want, NULL, 0);
        if (rc == 0 && (want.len != subj.len || memcmp(want.ptr, subj.ptr, subj.len) != 0))
            cer__result_add(res, "subject: expected '%.*s' (from the data), got '%.*s'",
                            (int)(want.len > 100 ? 100 : want.len), want.ptr,
                            (int)(subj.len > 100 ? 100 : subj.len), subj.ptr);
        ce_buf_free(&want);
        rc = rc == CE_ENOMEM ? rc : 0; /* a missing field was reported by the schema */
    }
    cer__jdom_free(&d);
    return rc;
}

int cer__check_event(const cer__ctype *t, const ce_event *ev, cer_catalog_mode mode,
                     cer_catalog_result *res)
{
    result_init(res);
    if (mode == CER_CATALOG_OFF)
        return res->verdict = CER_CATALOG_SKIPPED;
    ce_slice dct = ce_event_get_str(ev, "datacontenttype");
    if (dct.ptr && !ce_media_type_is_json(dct.ptr, dct.len))
        cer__result_add(res, "datacontenttype: expected application/json, got '%.*s'",
                        (int)(dct.len > 100 ? 100 : dct.len), dct.ptr);
    ce_slice schema = ce_event_get_str(ev, "dataschema");
    size_t want_len = strlen(t->pub.dataschema);
    if (schema.ptr && want_len &&
        (schema.len != want_len || memcmp(schema.ptr, t->pub.dataschema, want_len) != 0))
        cer__result_add(res, "dataschema: expected '%s', got '%.*s'", t->pub.dataschema,
                        (int)(schema.len > 100 ? 100 : schema.len), schema.ptr);
    ce_value key;
    if (ce_event_get(ev, t->pub.partition_key, &key) != 0)
        cer__result_add(res, "%s: missing (the partition key)", t->pub.partition_key);
    switch (ce_event_data_kind(ev)) {
    case CE_DATA_NONE:
        cer__result_add(res, "data: missing (expected a JSON value)");
        break;
    case CE_DATA_TEXT:
    case CE_DATA_BINARY:
        cer__result_add(res, "data: expected JSON, got %s data",
                        ce_event_data_kind(ev) == CE_DATA_TEXT ? "text" : "binary");
        break;
    default: {
        ce_slice data = ce_event_data(ev);
        int rc = check_data(t, data.ptr, data.len, true, ev, res);
        if (rc)
            return rc;
    }
    }
    if (res->violations)
        res->verdict = mode == CER_CATALOG_WARN ? CER_CATALOG_WARNED : CER_CATALOG_REJECTED;
    return (int)res->verdict;
}

int cer_catalog_validate(const cer_catalog *cat, const ce_event *ev, cer_catalog_result *res)
{
    result_init(res);
    if (!cat || !ev)
        return CE_EINVAL;
    ce_slice type = ce_event_get_str(ev, "type");
    const cer__ctype *t = type.ptr ? cer__catalog_lookup(cat, type.ptr, type.len) : NULL;
    if (!t) {
        cer__result_add(res, "type: '%.*s' is not in the catalog",
                        (int)(type.len > 200 ? 200 : type.len), type.ptr ? type.ptr : "");
        return res->verdict = CER_CATALOG_UNKNOWN;
    }
    return cer__check_event(t, ev, t->pub.mode, res);
}

int cer_catalog_validate_data(const cer_catalog *cat, const char *type, const char *json,
                              size_t len, cer_catalog_result *res)
{
    result_init(res);
    if (!cat || !type || (!json && len))
        return CE_EINVAL;
    const cer__ctype *t = cer__catalog_lookup(cat, type, strlen(type));
    if (!t) {
        cer__result_add(res, "type: '%s' is not in the catalog", type);
        return res->verdict = CER_CATALOG_UNKNOWN;
    }
    int rc = check_data(t, json, len, false, NULL, res);
    if (rc)
        return rc;
    if (res->violations)
        res->verdict = CER_CATALOG_REJECTED;
    return (int)res->verdict;
}

int cer_catalog_partition_key(const cer_catalog *cat, const ce_event *ev, ce_slice *key)
{
    ce_slice type = ce_event_get_str(ev, "type");
    const cer__ctype *t = cat && type.ptr ? cer__catalog_lookup(cat, type.ptr, type.len) : NULL;
    ce_value v;
    if (ce_event_get(ev, t ? t->pub.partition_key : "subject", &v) != 0)
        return CE_ENOTFOUND;
    *key = v.str;
    return 0;
}
