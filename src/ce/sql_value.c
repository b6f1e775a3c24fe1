/* CESQL values and errors as text: type and error-kind names, the JSON literal printer
 * (for `cerelay sql`) and human-readable error descriptions. */
#include <stdio.h>
#include <string.h>

#include "ce/internal.h"
#include "ce/sql_prog.h"

const char *ce_sql_type_name(ce_sql_type t)
{
    switch (t) {
    case CE_SQL_BOOLEAN:
        return "Boolean";
    case CE_SQL_INTEGER:
        return "Integer";
    case CE_SQL_STRING:
        return "String";
    }
    return "unknown";
}

const char *ce_sql_error_kind_name(ce_sql_error_kind k)
{
    switch (k) {
    case CE_SQL_ERR_PARSE:
        return "parse";
    case CE_SQL_ERR_MATH:
        return "math";
    case CE_SQL_ERR_CAST:
        return "cast";
    case CE_SQL_ERR_MISSING_ATTRIBUTE:
        return "missingAttribute";
    case CE_SQL_ERR_MISSING_FUNCTION:
        return "missingFunction";
    case CE_SQL_ERR_FUNCTION_EVALUATION:
        return "functionEvaluation";
    case CE_SQL_ERR_GENERIC:
        return "generic";
    }
    return "generic";
}

/* RFC 8259 string: escape '"', '\\' and C0 controls; valid UTF-8 passes through, and any
 * byte that is not part of valid UTF-8 becomes U+FFFD. */
static int json_string(const char *s, size_t len, ce_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    int rc = ce_buf_append(out, "\"", 1);
    size_t i = 0, run = 0;
    while (!rc && i < len) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6];
        size_t elen = 0, step = 1;
        if (c == '"') {
            esc = "\\\"", elen = 2;
        } else if (c == '\\') {
            esc = "\\\\", elen = 2;
        } else if (c == '\n') {
            esc = "\\n", elen = 2;
        } else if (c == '\r') {
            esc = "\\r", elen = 2;
        } else if (c == '\t') {
            esc = "\\t", elen = 2;
        } else if (c == '\b') {
            esc = "\\b", elen = 2;
        } else if (c == '\f') {
            esc = "\\f", elen = 2;
        } else if (c < 0x20) {
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            esc = u, elen = 6;
        } else if (c >= 0x80) {
            size_t j = i;
            uint32_t cp = ce__sql_utf8_next(s, len, &j);
            step = j - i;
            if (cp == 0xFFFD && !ce__utf8_valid(s + i, step, NULL))
                esc = "\xEF\xBF\xBD", elen = 3;
        }
        if (esc) {
            rc = ce_buf_append(out, s + i - run, run);
            if (!rc)
                rc = ce_buf_append(out, esc, elen);
            run = 0;
        } else {
            run += step;
        }
        i += step;
    }
    if (!rc)
        rc = ce_buf_append(out, s + len - run, run);
    if (!rc)
        rc = ce_buf_append(out, "\"", 1);
    return rc;
}

int ce_sql_value_json(const ce_sql_value *v, ce_buf *out)
{
    if (!v || !out)
        return CE_EINVAL;
    char num[12];
    switch (v->type) {
    case CE_SQL_BOOLEAN:
        return v->i ? ce_buf_append(out, "true", 4) : ce_buf_append(out, "false", 5);
    case CE_SQL_INTEGER:
        return ce_buf_append(out, num, ce__sql_format_int(v->i, num));
    case CE_SQL_STRING:
        if (!v->str.ptr && v->str.len)
            return CE_EINVAL;
        return json_string(v->str.ptr ? v->str.ptr : "", v->str.len, out);
    }
    return CE_EINVAL;
}

size_t ce_sql_error_format(const ce_sql_prog *prog, const ce_sql_error *err, char *buf, size_t size)
{
    int n;
    if (!err) {
        n = snprintf(buf, size, "(no error)");
        return n < 0 ? 0 : (size_t)n;
    }
    const char *kind = ce_sql_error_kind_name(err->kind);
    const char *msg = err->msg ? err->msg : "";
    if (prog && (size_t)err->offset + err->len <= prog->src_len && err->len) {
        /* Excerpt of at most 40 bytes, cut at a character boundary. */
        size_t len = err->len, i = 0;
        const char *s = prog->src + err->offset;
        if (len > 40) {
            while (i < len) {
                size_t j = i;
                ce__sql_utf8_next(s, len, &j);
                if (j > 40)
                    break;
                i = j;
            }
            n = snprintf(buf, size, "%s at byte %u ('%.*s...'): %s", kind, err->offset, (int)i, s,
                         msg);
        } else {
            n = snprintf(buf, size, "%s at byte %u ('%.*s'): %s", kind, err->offset, (int)len, s,
                         msg);
        }
    } else {
        n = snprintf(buf, size, "%s at byte %u: %s", kind, err->offset, msg);
    }
    return n < 0 ? 0 : (size_t)n;
}
