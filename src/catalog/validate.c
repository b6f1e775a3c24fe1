/* Check a DOM value against a compiled schema, collecting messages that name the field and say
 * what was expected and what was found ("data.inputTokens: expected an integer >= 0, got -5").
 * A value of the wrong type gets one message and is not looked into further, so one mistake
 * gives one message. */
#include <stdio.h>
#include <string.h>

#include "catalog/internal.h"

#define PATH_MAX_BYTES 192
#define GOT_MAX_BYTES  40

void cer__result_add(cer_catalog_result *res, const char *fmt, ...)
{
    res->violations++;
    if (res->nmessages >= CER_CATALOG_MAX_MESSAGES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->messages[res->nmessages++], CER_CATALOG_MESSAGE_BYTES, fmt, ap);
    va_end(ap);
}

static unsigned node_types(const cer__jnode *n)
{
    switch (n->type) {
    case CER__J_NULL:
        return CER__T_NULL;
    case CER__J_BOOL:
        return CER__T_BOOLEAN;
    case CER__J_NUMBER:
        return CER__T_NUMBER | (n->is_int ? CER__T_INTEGER : 0);
    case CER__J_STRING:
        return CER__T_STRING;
    case CER__J_ARRAY:
        return CER__T_ARRAY;
    default:
        return CER__T_OBJECT;
    }
}

typedef struct sbuf {
    char *p;
    size_t cap, len;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) CER__PRINTF(2, 3);
static void put(sbuf *b, const char *fmt, ...)
{
    if (b->len >= b->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n < b->cap - b->len ? (size_t)n : b->cap - b->len - 1;
}

/* A short rendering of a value for messages: literals and numbers as written, strings quoted
 * (escaped, cut after GOT_MAX_BYTES at a character boundary), containers by kind. */
static void got(const cer__jnode *n, char *out, size_t cap)
{
    sbuf b = {out, cap, 0};
    out[0] = 0;
    switch (n->type) {
    case CER__J_NULL:
        put(&b, "null");
        return;
    case CER__J_BOOL:
        put(&b, "%s", n->boolean ? "true" : "false");
        return;
    case CER__J_NUMBER:
        put(&b, "%.*s%s", (int)(n->str.len > GOT_MAX_BYTES ? GOT_MAX_BYTES : n->str.len),
            n->str.ptr, n->str.len > GOT_MAX_BYTES ? "..." : "");
        return;
    case CER__J_ARRAY:
        put(&b, "an array");
        return;
    case CER__J_OBJECT:
        put(&b, "an object");
        return;
    default:
        break;
    }
    size_t lim = n->str.len;
    bool cut = false;
    if (lim > GOT_MAX_BYTES) {
        lim = GOT_MAX_BYTES;
        while (lim > 0 && ((unsigned char)n->str.ptr[lim] & 0xC0) == 0x80)
            lim--;
        cut = true;
    }
    put(&b, "\"");
    for (size_t i = 0; i < lim; i++) {
        unsigned char c = (unsigned char)n->str.ptr[i];
        if (c == '"' || c == '\\')
            put(&b, "\\%c", c);
        else if (c < 0x20)
            put(&b, "\\u%04x", c);
        else
            put(&b, "%c", c);
    }
    put(&b, "%s\"", cut ? "..." : "");
}

static const char *type_word(unsigned bit)
{
    switch (bit) {
    case CER__T_NULL:
        return "null";
    case CER__T_BOOLEAN:
        return "a boolean";
    case CER__T_INTEGER:
        return "an integer";
    case CER__T_NUMBER:
        return "a number";
    case CER__T_STRING:
        return "a string";
    case CER__T_ARRAY:
        return "an array";
    default:
        return "an object";
    }
}

/* "an integer >= 0", "a string of 1 to 128 characters or null", "an RFC 3339 date-time". */
static void expected(const cer__schema *s, char *out, size_t cap)
{
    static const unsigned order[] = {CER__T_INTEGER, CER__T_NUMBER, CER__T_STRING, CER__T_BOOLEAN,
                                     CER__T_OBJECT,  CER__T_ARRAY,  CER__T_NULL};
    sbuf b = {out, cap, 0};
    out[0] = 0;
    unsigned types = s->types ? s->types : 0x7f;
    if ((types & CER__T_NUMBER) && (types & CER__T_INTEGER))
        types &= ~(unsigned)CER__T_INTEGER;
    int words = 0;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        unsigned t = order[i];
        if (!(types & t))
            continue;
        put(&b, "%s", words++ ? " or " : "");
        if (t == CER__T_STRING && s->date_time) {
            put(&b, "an RFC 3339 date-time");
            continue;
        }
        put(&b, "%s", type_word(t));
        if ((t == CER__T_INTEGER || t == CER__T_NUMBER) && (s->has_min || s->has_max)) {
            char lo[40], hi[40];
            cer__fmt_double(s->min, lo);
            cer__fmt_double(s->max, hi);
            if (s->has_min)
                put(&b, " %s %s", s->excl_min ? ">" : ">=", lo);
            if (s->has_max)
                put(&b, "%s %s %s", s->has_min ? " and" : "", s->excl_max ? "<" : "<=", hi);
        }
        bool min_len = s->has_min_len && s->min_len > 0;
        if (t == CER__T_STRING && (min_len || s->has_max_len)) {
            if (min_len && s->has_max_len && s->min_len == s->max_len)
                put(&b, " of exactly %llu characters", (unsigned long long)s->min_len);
            else if (min_len && s->has_max_len)
                put(&b, " of %llu to %llu characters", (unsigned long long)s->min_len,
                    (unsigned long long)s->max_len);
            else if (min_len)
                put(&b, " of at least %llu character%s", (unsigned long long)s->min_len,
                    s->min_len == 1 ? "" : "s");
            else
                put(&b, " of at most %llu characters", (unsigned long long)s->max_len);
        }
    }
}

static void enum_fail(const cer__schema *s, const cer__jnode *n, const char *path,
                      cer_catalog_result *res);

static void mismatch(const cer__schema *s, const cer__jnode *n, const char *path,
                     cer_catalog_result *res)
{
    if (s->nenums) { /* the list of allowed values says more than the type */
        enum_fail(s, n, path, res);
        return;
    }
    char exp[160], g[GOT_MAX_BYTES * 2 + 16];
    expected(s, exp, sizeof exp);
    got(n, g, sizeof g);
    cer__result_add(res, "%s: expected %s, got %s", path, exp, g);
}

static bool lit_equal(const cer__slit *l, const cer__jnode *n)
{
    if (l->type != n->type)
        return false;
    switch (n->type) {
    case CER__J_NULL:
        return true;
    case CER__J_BOOL:
        return l->boolean == n->boolean;
    case CER__J_NUMBER:
        return l->num == n->num;
    case CER__J_STRING:
        return l->str.len == n->str.len && memcmp(l->str.ptr, n->str.ptr, n->str.len) == 0;
    default:
        return false;
    }
}

static void enum_fail(const cer__schema *s, const cer__jnode *n, const char *path,
                      cer_catalog_result *res)
{
    char list[160], g[GOT_MAX_BYTES * 2 + 16];
    sbuf b = {list, sizeof list, 0};
    list[0] = 0;
    for (size_t i = 0; i < s->nenums; i++) {
        const cer__slit *l = &s->enums[i];
        put(&b, "%s", i ? ", " : "");
        if (l->type == CER__J_STRING)
            put(&b, "\"%.*s\"", (int)l->str.len, l->str.ptr);
        else if (l->type == CER__J_NULL)
            put(&b, "null");
        else if (l->type == CER__J_BOOL)
            put(&b, "%s", l->boolean ? "true" : "false");
        else
            put(&b, "%.*s", (int)l->str.len, l->str.ptr);
    }
    got(n, g, sizeof g);
    if (s->nenums == 1)
        cer__result_add(res, "%s: expected %s, got %s", path, list, g);
    else
        cer__result_add(res, "%s: expected one of %s, got %s", path, list, g);
}

static uint64_t code_points(ce_slice s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        n += ((unsigned char)s.ptr[i] & 0xC0) != 0x80;
    return n;
}

static void validate_object(const cer__schema *s, const cer__jdom *d, const cer__jnode *n,
                            const char *path, cer_catalog_result *res)
{
    uint64_t seen[4] = {0}; /* declared properties met so far (the first 256) */
    char sub[PATH_MAX_BYTES];
    for (const cer__jnode *m = cer__j_first(d, n); m; m = cer__j_next(d, m)) {
        snprintf(sub, sizeof sub, "%s.%.*s", path, (int)m->key.len, m->key.ptr);
        size_t i = 0;
        while (i < s->nprops && !(s->props[i].len == m->key.len &&
                                  memcmp(s->props[i].name, m->key.ptr, m->key.len) == 0))
            i++;
        if (i < s->nprops) {
            if (i < 256) {
                if (seen[i / 64] >> (i % 64) & 1) {
                    cer__result_add(res, "%s: duplicate field '%s'", path, s->props[i].name);
                    continue;
                }
                seen[i / 64] |= (uint64_t)1 << (i % 64);
            }
            cer__schema_validate(s->props[i].schema, d, m, sub, res);
        } else if (s->no_additional) {
            cer__result_add(res, "%s: unexpected field '%.*s'", path, (int)m->key.len, m->key.ptr);
        } else if (s->additional) {
            cer__schema_validate(s->additional, d, m, sub, res);
        }
    }
    for (size_t i = 0; i < s->nprops; i++) {
        if (!s->props[i].required)
            continue;
        bool present = i < 256 ? (seen[i / 64] >> (i % 64) & 1) != 0
                               : cer__j_member(d, n, s->props[i].name) != NULL;
        if (!present)
            cer__result_add(res, "%s: missing required field '%s'", path, s->props[i].name);
    }
    for (size_t i = 0; i < s->nrequired_extra; i++)
        if (!cer__j_member(d, n, s->required_extra[i]))
            cer__result_add(res, "%s: missing required field '%s'", path, s->required_extra[i]);
}

void cer__schema_validate(const cer__schema *s, const cer__jdom *d, const cer__jnode *n,
                          const char *path, cer_catalog_result *res)
{
    if (s->never) {
        cer__result_add(res, "%s: not allowed", path);
        return;
    }
    if (s->types && !(node_types(n) & s->types)) {
        mismatch(s, n, path, res);
        return;
    }
    if (s->nenums) {
        size_t i = 0;
        while (i < s->nenums && !lit_equal(&s->enums[i], n))
            i++;
        if (i == s->nenums) {
            enum_fail(s, n, path, res);
            return;
        }
    }
    switch (n->type) {
    case CER__J_NUMBER:
        if ((s->has_min && (s->excl_min ? n->num <= s->min : n->num < s->min)) ||
            (s->has_max && (s->excl_max ? n->num >= s->max : n->num > s->max)))
            mismatch(s, n, path, res);
        break;
    case CER__J_STRING: {
        uint64_t cp = (s->has_min_len || s->has_max_len) ? code_points(n->str) : 0;
        if ((s->has_min_len && cp < s->min_len) || (s->has_max_len && cp > s->max_len)) {
            mismatch(s, n, path, res);
            break;
        }
        int64_t ns;
        if (s->date_time && ce_timestamp_parse(n->str.ptr, n->str.len, &ns) != 0)
            mismatch(s, n, path, res);
        break;
    }
    case CER__J_ARRAY: {
        if ((s->has_min_items && n->count < s->min_items) ||
            (s->has_max_items && n->count > s->max_items)) {
            if (s->has_min_items && n->count < s->min_items)
                cer__result_add(res, "%s: expected at least %llu item%s, got %u", path,
                                (unsigned long long)s->min_items, s->min_items == 1 ? "" : "s",
                                n->count);
            else
                cer__result_add(res, "%s: expected at most %llu items, got %u", path,
                                (unsigned long long)s->max_items, n->count);
        }
        if (!s->items)
            break;
        char sub[PATH_MAX_BYTES];
        uint32_t i = 0;
        for (const cer__jnode *e = cer__j_first(d, n); e; e = cer__j_next(d, e), i++) {
            snprintf(sub, sizeof sub, "%s[%u]", path, i);
            cer__schema_validate(s->items, d, e, sub, res);
        }
        break;
    }
    case CER__J_OBJECT:
        validate_object(s, d, n, path, res);
        break;
    default:
        break;
    }
}
