/* AnyValue to JSON and the attribute helpers the mapping uses: lookup, text and integer views,
 * first-wins key de-duplication, lowercase hex and JSON doubles. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce/json.h"
#include "otlp/internal.h"

static uint64_t hash_key(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int cer__otlp_keyset_init(cer__otlp_keyset *s, size_t max_keys)
{
    memset(s, 0, sizeof *s);
    s->cap = max_keys;
    if (max_keys <= 32)
        return 0;
    size_t ns = 64;
    while (ns < max_keys * 2)
        ns *= 2;
    s->keys = cer__otlp_malloc(max_keys * sizeof *s->keys);
    s->lens = cer__otlp_malloc(max_keys * sizeof *s->lens);
    s->slots = cer__otlp_malloc(ns * sizeof *s->slots);
    if (!s->keys || !s->lens || !s->slots) {
        cer__otlp_keyset_free(s);
        return CE_ENOMEM;
    }
    memset(s->slots, 0, ns * sizeof *s->slots);
    s->nslots = ns;
    return 0;
}

void cer__otlp_keyset_free(cer__otlp_keyset *s)
{
    cer__otlp_free(s->keys);
    cer__otlp_free(s->lens);
    cer__otlp_free(s->slots);
    s->keys = NULL;
    s->lens = NULL;
    s->slots = NULL;
}

int cer__otlp_keyset_add(cer__otlp_keyset *s, const char *k, size_t len)
{
    if (!s->slots) {
        for (size_t i = 0; i < s->n; i++)
            if (s->il[i] == len && memcmp(s->ik[i], k, len) == 0)
                return 0;
        if (s->n >= 32)
            return 0;
        s->ik[s->n] = k;
        s->il[s->n] = len;
        s->n++;
        return 1;
    }
    size_t mask = s->nslots - 1, i = (size_t)hash_key(k, len) & mask;
    while (s->slots[i]) {
        size_t j = s->slots[i] - 1;
        if (s->lens[j] == len && memcmp(s->keys[j], k, len) == 0)
            return 0;
        i = (i + 1) & mask;
    }
    if (s->n >= s->cap)
        return 0;
    s->keys[s->n] = k;
    s->lens[s->n] = len;
    s->slots[i] = (uint32_t)(s->n + 1);
    s->n++;
    return 1;
}

int cer__otlp_double_json(ce_buf *out, double d)
{
    if (isnan(d))
        return ce_buf_append(out, "\"NaN\"", 5);
    if (isinf(d))
        return d > 0 ? ce_buf_append(out, "\"Infinity\"", 10)
                     : ce_buf_append(out, "\"-Infinity\"", 11);
    char b[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(b, sizeof b, "%.*g", prec, d);
        if (strtod(b, NULL) == d)
            break;
    }
    return ce_buf_append(out, b, (size_t)n);
}

int cer__otlp_hex(ce_buf *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    int rc = ce_buf_reserve(out, n * 2);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        out->ptr[out->len++] = digits[p[i] >> 4];
        out->ptr[out->len++] = digits[p[i] & 15];
    }
    return 0;
}

int cer__otlp_kvs_members(ce_buf *out, cer__otlp_kv *const *kvs, size_t n, cer__otlp_keyset *seen,
                          cer__otlp_key_drop drop, const void *drop_ctx, uint32_t depth,
                          uint32_t max_depth, bool *comma)
{
    for (size_t i = 0; i < n; i++) {
        const cer__otlp_kv *kv = kvs[i];
        if (!kv)
            continue;
        const char *k = kv->key ? kv->key : "";
        size_t kl = strlen(k);
        if (drop && drop(k, kl, drop_ctx))
            continue;
        if (!cer__otlp_keyset_add(seen, k, kl))
            continue;
        int rc = 0;
        if (*comma)
            rc = ce_buf_append(out, ",", 1);
        if (!rc)
            rc = ce__json_write_string(out, k, kl);
        if (!rc)
            rc = ce_buf_append(out, ":", 1);
        if (!rc)
            rc = cer__otlp_any_json(out, kv->value, depth, max_depth);
        if (rc)
            return rc;
        *comma = true;
    }
    return 0;
}

int cer__otlp_any_json(ce_buf *out, const cer__otlp_any *v, uint32_t depth, uint32_t max_depth)
{
    if (depth > max_depth)
        return CE_EDEPTH;
    if (!v)
        return ce_buf_append(out, "null", 4);
    char num[32];
    int rc;
    switch (v->value_case) {
    case CER__OTLP_ANY(STRING_VALUE): {
        const char *s = v->string_value ? v->string_value : "";
        return ce__json_write_string(out, s, strlen(s));
    }
    case CER__OTLP_ANY(BOOL_VALUE):
        return v->bool_value ? ce_buf_append(out, "true", 4) : ce_buf_append(out, "false", 5);
    case CER__OTLP_ANY(INT_VALUE): {
        int n = snprintf(num, sizeof num, "%" PRId64, v->int_value);
        return ce_buf_append(out, num, (size_t)n);
    }
    case CER__OTLP_ANY(DOUBLE_VALUE):
        return cer__otlp_double_json(out, v->double_value);
    case CER__OTLP_ANY(ARRAY_VALUE): {
        const cer__otlp_array *a = v->array_value;
        rc = ce_buf_append(out, "[", 1);
        for (size_t i = 0; !rc && a && i < a->n_values; i++) {
            if (i)
                rc = ce_buf_append(out, ",", 1);
            if (!rc)
                rc = cer__otlp_any_json(out, a->values[i], depth + 1, max_depth);
        }
        return rc ? rc : ce_buf_append(out, "]", 1);
    }
    case CER__OTLP_ANY(KVLIST_VALUE): {
        const cer__otlp_kvlist *l = v->kvlist_value;
        size_t n = l ? l->n_values : 0;
        cer__otlp_keyset seen;
        rc = cer__otlp_keyset_init(&seen, n);
        if (rc)
            return rc;
        bool comma = false;
        rc = ce_buf_append(out, "{", 1);
        if (!rc && n)
            rc = cer__otlp_kvs_members(out, l->values, n, &seen, NULL, NULL, depth + 1, max_depth,
                                       &comma);
        cer__otlp_keyset_free(&seen);
        return rc ? rc : ce_buf_append(out, "}", 1);
    }
    case CER__OTLP_ANY(BYTES_VALUE):
        rc = ce_buf_append(out, "\"", 1);
        if (!rc)
            rc = ce_base64_encode(v->bytes_value.data, v->bytes_value.len, out);
        return rc ? rc : ce_buf_append(out, "\"", 1);
    default: /* not set, or a profiles-only string_value_strindex: treated as absent */
        return ce_buf_append(out, "null", 4);
    }
}

const cer__otlp_any *cer__otlp_attr(cer__otlp_kv *const *attrs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (attrs[i] && attrs[i]->key && strcmp(attrs[i]->key, name) == 0)
            return attrs[i]->value;
    return NULL;
}

bool cer__otlp_any_text(const cer__otlp_any *v, char tmp[24], const char **s, size_t *len)
{
    if (!v)
        return false;
    if (v->value_case == CER__OTLP_ANY(STRING_VALUE) && v->string_value && v->string_value[0]) {
        *s = v->string_value;
        *len = strlen(v->string_value);
        return true;
    }
    if (v->value_case == CER__OTLP_ANY(INT_VALUE)) {
        *len = (size_t)snprintf(tmp, 24, "%" PRId64, v->int_value);
        *s = tmp;
        return true;
    }
    return false;
}

bool cer__otlp_any_int(const cer__otlp_any *v, int64_t *out)
{
    if (!v)
        return false;
    switch (v->value_case) {
    case CER__OTLP_ANY(INT_VALUE):
        *out = v->int_value;
        return true;
    case CER__OTLP_ANY(DOUBLE_VALUE):
        if (!isfinite(v->double_value) || v->double_value != floor(v->double_value) ||
            fabs(v->double_value) > 9.0e15)
            return false;
        *out = (int64_t)v->double_value;
        return true;
    case CER__OTLP_ANY(STRING_VALUE): {
        const char *s = v->string_value;
        if (!s || !*s)
            return false;
        char *end;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (*end || errno)
            return false;
        *out = x;
        return true;
    }
    default:
        return false;
    }
}
