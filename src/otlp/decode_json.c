/* OTLP/JSON decoding: a schema-driven reader that fills the same protobuf-c structs as the
 * binary decoder, allocated in the request's bounded arena. It follows the OTLP JSON rules
 * (lowerCamelCase keys, unknown keys ignored, hex trace/span ids, integer enums, 64-bit
 * integers as strings or numbers) and names the field path in every type error. It scans with
 * the core's JSON primitives (ce/json.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce/json.h"
#include "otlp/internal.h"

typedef struct jframe {
    const struct jframe *parent;
    const char *name; /* snake_case field name from the descriptor; rendered in camelCase */
    uint32_t index;   /* element index, UINT32_MAX when not an element */
} jframe;

typedef struct jdec {
    const char *b;
    size_t len;
    cer__otlp_arena *a;
    cer__otlp_walk *w;
    uint32_t skip_depth; /* nesting cap for skipped (unknown) values */
    char *errstr;
    size_t errstr_size;
} jdec;

static size_t camel(const char *snake, char *out, size_t size)
{
    size_t n = 0;
    bool up = false;
    for (const char *p = snake; *p && n + 1 < size; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        out[n++] = (char)(up && *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        up = false;
    }
    out[n] = 0;
    return n;
}

/* True when key[0..n) is the lowerCamelCase form of snake. */
static bool camel_eq(const char *snake, const char *key, size_t n)
{
    size_t i = 0;
    bool up = false;
    for (const char *p = snake; *p; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        char c = (char)(up && *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        up = false;
        if (i >= n || key[i] != c)
            return false;
        i++;
    }
    return i == n;
}

static size_t render_path(const jframe *f, char *out, size_t size)
{
    const jframe *chain[512];
    size_t n = 0, len = 0;
    for (; f && n < 512; f = f->parent)
        if (f->name)
            chain[n++] = f;
    out[0] = 0;
    /* Very deep paths keep their first and last frames: "a.b[0]...y.z[3]". */
    size_t total = n, elide_from = n, elide_to = n;
    if (total > 16) {
        elide_from = total - 8; /* frames are rendered from chain[n-1] down to chain[0] */
        elide_to = 6;
    }
    while (n-- > 0) {
        if (n < elide_from && n >= elide_to) {
            if (n == elide_from - 1) {
                int w = snprintf(out + len, size - len, ".…");
                if (w < 0 || (size_t)w >= size - len)
                    return size - 1;
                len += (size_t)w;
            }
            continue;
        }
        char nm[128];
        camel(chain[n]->name, nm, sizeof nm);
        int w;
        if (chain[n]->index != UINT32_MAX)
            w = snprintf(out + len, size - len, "%s%s[%u]", len ? "." : "", nm, chain[n]->index);
        else
            w = snprintf(out + len, size - len, "%s%s", len ? "." : "", nm);
        if (w < 0 || (size_t)w >= size - len)
            return size - 1;
        len += (size_t)w;
    }
    return len;
}

static int jerr(jdec *d, const jframe *f, size_t at, int err, const char *fmt, ...)
    CER__OTLP_PRINTF(5, 6);
static int jerr(jdec *d, const jframe *f, size_t at, int err, const char *fmt, ...)
{
    if (!d->errstr || d->errstr_size == 0)
        return err;
    char path[512], msg[256];
    size_t n = render_path(f, path, sizeof path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(d->errstr, d->errstr_size, "%s%s%s, at byte %zu", n ? path : "", n ? ": " : "", msg,
             at);
    return err;
}

static int jsyntax(jdec *d, int rc, const ce__json_err *e)
{
    return cerx_errf(rc, d->errstr, d->errstr_size, "byte %zu: %s", e->off, e->what);
}

static int jnomem(jdec *d)
{
    if (d->a->hit_cap)
        return cerx_errf(CE_ETOOBIG, d->errstr, d->errstr_size,
                         "decoded request needs more than %zu bytes of memory", d->a->cap);
    return cerx_errf(CE_ENOMEM, d->errstr, d->errstr_size, "out of memory");
}

/* What a value looks like from its first byte. */
typedef enum { J_OBJECT, J_ARRAY, J_STRING, J_NUMBER, J_TRUE, J_FALSE, J_NULL, J_BAD } jkind;

static jkind peek(const jdec *d, size_t i)
{
    if (i >= d->len)
        return J_BAD;
    switch (d->b[i]) {
    case '{':
        return J_OBJECT;
    case '[':
        return J_ARRAY;
    case '"':
        return J_STRING;
    case 't':
        return J_TRUE;
    case 'f':
        return J_FALSE;
    case 'n':
        return J_NULL;
    default:
        return (d->b[i] == '-' || (d->b[i] >= '0' && d->b[i] <= '9')) ? J_NUMBER : J_BAD;
    }
}

static int literal(jdec *d, size_t *pos, const char *lit)
{
    size_t n = strlen(lit);
    if (d->len - *pos < n || memcmp(d->b + *pos, lit, n) != 0) {
        ce__json_err e = {*pos, "invalid literal"};
        return jsyntax(d, CE_ESYNTAX, &e);
    }
    *pos += n;
    return 0;
}

/* Skip any value (validating it). */
static int skip(jdec *d, size_t *pos, uint32_t depth)
{
    ce__json_err e;
    int rc = ce__json_skip(d->b, d->len, pos, depth, d->skip_depth, &e);
    return rc ? jsyntax(d, rc, &e) : 0;
}

/* Scan a string at *pos; on success *out is its decoded bytes, NUL-terminated, in the arena. */
static int string_value(jdec *d, size_t *pos, char **out, size_t *out_len)
{
    ce_slice body;
    bool escaped;
    ce__json_err e;
    int rc = ce__json_string(d->b, d->len, pos, &body, &escaped, &e);
    if (rc)
        return jsyntax(d, rc, &e);
    char *s = cer__otlp_arena_alloc(d->a, body.len + 1);
    if (!s)
        return jnomem(d);
    size_t n = body.len;
    if (escaped)
        n = ce__json_unescape(body.ptr, body.len, s);
    else
        memcpy(s, body.ptr, n);
    s[n] = 0;
    *out = s;
    *out_len = n;
    return 0;
}

/* Integer text (optional '-', digits) to sign and magnitude: 0 ok, 1 not an integer, 2 beyond
 * 64 bits. */
static int parse_int_text(const char *s, size_t n, bool *neg, uint64_t *mag)
{
    size_t i = 0;
    *neg = false;
    if (i < n && s[i] == '-') {
        *neg = true;
        i++;
    }
    if (i >= n)
        return 1;
    uint64_t v = 0;
    bool over = false;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 1;
        unsigned dgt = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            over = true;
        else
            v = v * 10 + dgt;
    }
    *mag = v;
    return over ? 2 : 0;
}

static bool is_64bit(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_INT64 || t == PROTOBUF_C_TYPE_SINT64 ||
           t == PROTOBUF_C_TYPE_SFIXED64 || t == PROTOBUF_C_TYPE_UINT64 ||
           t == PROTOBUF_C_TYPE_FIXED64;
}

static bool is_unsigned(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_UINT32 || t == PROTOBUF_C_TYPE_FIXED32 ||
           t == PROTOBUF_C_TYPE_UINT64 || t == PROTOBUF_C_TYPE_FIXED64;
}

/* An integer field: a JSON number with no fraction or exponent, or (not for enums) a string
 * holding one. */
static int int_value(jdec *d, size_t *pos, const ProtobufCFieldDescriptor *f, void *dst,
                     const jframe *fr)
{
    size_t at = *pos;
    jkind k = peek(d, at);
    bool enm = f->type == PROTOBUF_C_TYPE_ENUM;
    const char *want = enm                 ? "expected an integer enum value"
                       : is_64bit(f->type) ? "expected an integer string"
                                           : "expected an integer";
    const char *tok;
    size_t n;
    if (k == J_NUMBER) {
        bool is_int;
        ce__json_err e;
        int rc = ce__json_number(d->b, d->len, pos, &is_int, &e);
        if (rc)
            return jsyntax(d, rc, &e);
        if (!is_int)
            return jerr(d, fr, at, CE_ETYPE, "%s", want);
        tok = d->b + at;
        n = *pos - at;
    } else if (k == J_STRING && !enm) {
        ce_slice body;
        bool escaped;
        ce__json_err e;
        int rc = ce__json_string(d->b, d->len, pos, &body, &escaped, &e);
        if (rc)
            return jsyntax(d, rc, &e);
        if (escaped)
            return jerr(d, fr, at, CE_ETYPE, "%s", want);
        tok = body.ptr;
        n = body.len;
    } else {
        return jerr(d, fr, at, CE_ETYPE, "%s", want);
    }
    bool neg;
    uint64_t mag;
    int pr = parse_int_text(tok, n, &neg, &mag);
    if (pr == 2)
        return jerr(d, fr, at, CE_ERANGE, "integer out of range");
    if (pr)
        return jerr(d, fr, at, CE_ETYPE, "%s", want);
    if (neg && mag == 0)
        neg = false;
    if (is_64bit(f->type)) {
        if (is_unsigned(f->type)) {
            if (neg)
                return jerr(d, fr, at, CE_ERANGE, "negative value for an unsigned field");
            memcpy(dst, &mag, 8);
        } else {
            if ((!neg && mag > (uint64_t)INT64_MAX) || (neg && mag > (uint64_t)INT64_MAX + 1))
                return jerr(d, fr, at, CE_ERANGE, "integer out of range");
            int64_t v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
            memcpy(dst, &v, 8);
        }
    } else if (is_unsigned(f->type)) {
        if (neg || mag > UINT32_MAX)
            return jerr(d, fr, at, CE_ERANGE, "integer out of range");
        uint32_t v = (uint32_t)mag;
        memcpy(dst, &v, 4);
    } else {
        if ((!neg && mag > INT32_MAX) || (neg && mag > (uint64_t)INT32_MAX + 1))
            return jerr(d, fr, at, CE_ERANGE, "integer out of range");
        int32_t v = neg ? (int32_t)(0 - (int64_t)mag) : (int32_t)mag;
        memcpy(dst, &v, 4);
    }
    return 0;
}

static int double_value(jdec *d, size_t *pos, const ProtobufCFieldDescriptor *f, void *dst,
                        const jframe *fr)
{
    size_t at = *pos;
    jkind k = peek(d, at);
    double v;
    char tmp[64];
    if (k == J_NUMBER) {
        bool is_int;
        ce__json_err e;
        int rc = ce__json_number(d->b, d->len, pos, &is_int, &e);
        if (rc)
            return jsyntax(d, rc, &e);
        size_t n = *pos - at;
        char *buf = tmp;
        if (n >= sizeof tmp) {
            buf = cer__otlp_arena_alloc(d->a, n + 1);
            if (!buf)
                return jnomem(d);
        }
        memcpy(buf, d->b + at, n);
        buf[n] = 0;
        v = strtod(buf, NULL);
    } else if (k == J_STRING) {
        ce_slice body;
        bool escaped;
        ce__json_err e;
        int rc = ce__json_string(d->b, d->len, pos, &body, &escaped, &e);
        if (rc)
            return jsyntax(d, rc, &e);
        if (body.len == 3 && memcmp(body.ptr, "NaN", 3) == 0)
            v = NAN;
        else if (body.len == 8 && memcmp(body.ptr, "Infinity", 8) == 0)
            v = INFINITY;
        else if (body.len == 9 && memcmp(body.ptr, "-Infinity", 9) == 0)
            v = -INFINITY;
        else
            return jerr(d, fr, at, CE_ETYPE, "expected a number");
    } else {
        return jerr(d, fr, at, CE_ETYPE, "expected a number");
    }
    if (f->type == PROTOBUF_C_TYPE_FLOAT) {
        float fv = (float)v;
        memcpy(dst, &fv, 4);
    } else {
        memcpy(dst, &v, 8);
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int bytes_value(jdec *d, size_t *pos, const ProtobufCFieldDescriptor *f,
                       ProtobufCBinaryData *dst, const jframe *fr)
{
    size_t at = *pos;
    bool hex = cer__otlp_is_hex_field(f);
    if (peek(d, at) != J_STRING)
        return jerr(d, fr, at, CE_ETYPE,
                    hex ? "expected a hex string" : "expected a base64 string");
    char *s;
    size_t n;
    int rc = string_value(d, pos, &s, &n);
    if (rc)
        return rc;
    if (hex) {
        if (n % 2)
            return jerr(d, fr, at, CE_EBADVALUE, "odd number of hex digits");
        for (size_t i = 0; i < n; i += 2) {
            int hi = hexval(s[i]), lo = hexval(s[i + 1]);
            if (hi < 0 || lo < 0)
                return jerr(d, fr, at, CE_EBADVALUE, "expected a hex string");
            s[i / 2] = (char)(hi << 4 | lo); /* decode in place: the output is shorter */
        }
        dst->data = (uint8_t *)s;
        dst->len = n / 2;
        return 0;
    }
    ce_buf tmp;
    ce_buf_init(&tmp);
    rc = ce_base64_decode(s, n, &tmp);
    if (rc) {
        ce_buf_free(&tmp);
        return rc == CE_ENOMEM ? jnomem(d)
                               : jerr(d, fr, at, CE_EBADVALUE, "expected a base64 string");
    }
    uint8_t *p = cer__otlp_arena_alloc(d->a, tmp.len);
    if (!p) {
        ce_buf_free(&tmp);
        return jnomem(d);
    }
    if (tmp.len)
        memcpy(p, tmp.ptr, tmp.len);
    dst->data = p;
    dst->len = tmp.len;
    ce_buf_free(&tmp);
    return 0;
}

static int message(jdec *d, size_t *pos, const ProtobufCMessageDescriptor *desc,
                   ProtobufCMessage *m, const jframe *self, uint32_t anydepth);

/* Where a value should start but none does: a syntax error, not a type error. */
static int bad_value(jdec *d, size_t at)
{
    ce__json_err e = {at, at >= d->len ? "unexpected end of input" : "expected a value"};
    return jsyntax(d, CE_ESYNTAX, &e);
}

static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    default:
        return 4;
    }
}

/* One value of field f (not the array around a repeated field) into dst. */
static int field_value(jdec *d, size_t *pos, const ProtobufCFieldDescriptor *f, void *dst,
                       const jframe *fr, uint32_t anydepth)
{
    size_t at = *pos;
    jkind k = peek(d, at);
    if (k == J_BAD)
        return bad_value(d, at);
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL: {
        if (k != J_TRUE && k != J_FALSE)
            return jerr(d, fr, at, CE_ETYPE, "expected true or false");
        int rc = literal(d, pos, k == J_TRUE ? "true" : "false");
        if (rc)
            return rc;
        protobuf_c_boolean v = k == J_TRUE;
        memcpy(dst, &v, sizeof v);
        return 0;
    }
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_FLOAT:
        return double_value(d, pos, f, dst, fr);
    case PROTOBUF_C_TYPE_STRING: {
        if (k != J_STRING)
            return jerr(d, fr, at, CE_ETYPE, "expected a string");
        char *s;
        size_t n;
        int rc = string_value(d, pos, &s, &n);
        if (!rc)
            memcpy(dst, &s, sizeof s);
        return rc;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return bytes_value(d, pos, f, dst, fr);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *sub = f->descriptor;
        if (k != J_OBJECT)
            return jerr(d, fr, at, CE_ETYPE, "expected an object");
        if (sub == &opentelemetry__proto__common__v1__any_value__descriptor &&
            ++anydepth > d->w->lim->max_depth)
            return jerr(d, fr, at, CE_EDEPTH, "values nested deeper than %u", d->w->lim->max_depth);
        ProtobufCMessage *sm = cer__otlp_arena_alloc(d->a, sub->sizeof_message);
        if (!sm)
            return jnomem(d);
        protobuf_c_message_init(sub, sm);
        memcpy(dst, &sm, sizeof sm);
        return message(d, pos, sub, sm, fr, anydepth);
    }
    default:
        return int_value(d, pos, f, dst, fr);
    }
}

static int repeated(jdec *d, size_t *pos, const ProtobufCMessageDescriptor *desc,
                    const ProtobufCFieldDescriptor *f, ProtobufCMessage *m, const jframe *fr,
                    uint32_t anydepth)
{
    size_t at = *pos;
    if (peek(d, at) == J_BAD)
        return bad_value(d, at);
    if (peek(d, at) != J_ARRAY)
        return jerr(d, fr, at, CE_ETYPE, "expected an array");
    size_t es = elem_size(f->type), n = 0, cap = 0;
    char *arr = NULL;
    bool record = cer__otlp_is_record_field(desc, f), list = cer__otlp_is_list_field(desc, f);
    size_t i = ce__json_ws(d->b, d->len, *pos + 1);
    if (i < d->len && d->b[i] == ']') {
        *pos = i + 1;
        return 0;
    }
    for (;;) {
        jframe ef = {fr->parent, fr->name, (uint32_t)n};
        if (record && ++d->w->records > d->w->lim->max_records)
            return jerr(d, &ef, i, CE_ELIMIT, "more than %u records in one request",
                        d->w->lim->max_records);
        if (list && n >= d->w->lim->max_attributes)
            return jerr(d, &ef, i, CE_ELIMIT, "more than %u entries in one list",
                        d->w->lim->max_attributes);
        if (n == cap) {
            /* Doubling in the arena leaves the old block behind: at most as much again. */
            size_t ncap = cap ? cap * 2 : 4;
            char *na = cer__otlp_arena_alloc(d->a, ncap * es);
            if (!na)
                return jnomem(d);
            if (n)
                memcpy(na, arr, n * es);
            arr = na;
            cap = ncap;
        }
        int rc = field_value(d, &i, f, arr + n * es, &ef, anydepth);
        if (rc)
            return rc;
        n++;
        i = ce__json_ws(d->b, d->len, i);
        if (i < d->len && d->b[i] == ',') {
            i = ce__json_ws(d->b, d->len, i + 1);
            continue;
        }
        if (i < d->len && d->b[i] == ']')
            break;
        ce__json_err e = {i, "expected ',' or ']'"};
        return jsyntax(d, CE_ESYNTAX, &e);
    }
    *pos = i + 1;
    memcpy((char *)m + f->quantifier_offset, &n, sizeof n);
    memcpy((char *)m + f->offset, &arr, sizeof arr);
    return 0;
}

static int message(jdec *d, size_t *pos, const ProtobufCMessageDescriptor *desc,
                   ProtobufCMessage *m, const jframe *self, uint32_t anydepth)
{
    uint64_t seen = 0;
    size_t i = ce__json_ws(d->b, d->len, *pos + 1); /* past '{' */
    if (i < d->len && d->b[i] == '}') {
        *pos = i + 1;
        return 0;
    }
    for (;;) {
        if (peek(d, i) != J_STRING) {
            ce__json_err e = {i, "expected a member name"};
            return jsyntax(d, CE_ESYNTAX, &e);
        }
        size_t key_at = i;
        ce_slice key;
        bool escaped;
        ce__json_err e;
        int rc = ce__json_string(d->b, d->len, &i, &key, &escaped, &e);
        if (rc)
            return jsyntax(d, rc, &e);
        char kbuf[128];
        if (escaped) {
            if (key.len < sizeof kbuf) {
                key.len = ce__json_unescape(key.ptr, key.len, kbuf);
                key.ptr = kbuf;
            } else {
                key.len = 0; /* too long for any field name: unknown */
            }
        }
        i = ce__json_ws(d->b, d->len, i);
        if (i >= d->len || d->b[i] != ':') {
            ce__json_err ce = {i, "expected ':'"};
            return jsyntax(d, CE_ESYNTAX, &ce);
        }
        i = ce__json_ws(d->b, d->len, i + 1);
        const ProtobufCFieldDescriptor *f = NULL;
        for (unsigned k = 0; k < desc->n_fields && key.len; k++)
            if (camel_eq(desc->fields[k].name, key.ptr, key.len)) {
                f = &desc->fields[k];
                break;
            }
        if (!f) {
            rc = skip(d, &i, 1); /* unknown fields are ignored (OTLP JSON rule) */
            if (rc)
                return rc;
        } else {
            unsigned fi = (unsigned)(f - desc->fields);
            jframe fr = {self, f->name, UINT32_MAX};
            if (fi < 64) {
                if (seen & ((uint64_t)1 << fi))
                    return jerr(d, &fr, key_at, CE_EDUPLICATE, "field given twice");
                seen |= (uint64_t)1 << fi;
            }
            if (peek(d, i) == J_NULL) {
                rc = literal(d, &i, "null"); /* null is the field's default */
            } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                rc = repeated(d, &i, desc, f, m, &fr, anydepth);
            } else {
                if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                    uint32_t cs;
                    memcpy(&cs, (char *)m + f->quantifier_offset, sizeof cs);
                    if (cs != 0 && cs != f->id)
                        return jerr(d, &fr, key_at, CE_EDUPLICATE,
                                    "another member of the same oneof is already set");
                }
                rc = field_value(d, &i, f, (char *)m + f->offset, &fr, anydepth);
                if (!rc && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
                    uint32_t cs = f->id;
                    memcpy((char *)m + f->quantifier_offset, &cs, sizeof cs);
                } else if (!rc && f->label == PROTOBUF_C_LABEL_OPTIONAL &&
                           f->type != PROTOBUF_C_TYPE_MESSAGE &&
                           f->type != PROTOBUF_C_TYPE_STRING) {
                    protobuf_c_boolean has = 1;
                    memcpy((char *)m + f->quantifier_offset, &has, sizeof has);
                }
            }
            if (rc)
                return rc;
        }
        i = ce__json_ws(d->b, d->len, i);
        if (i < d->len && d->b[i] == ',') {
            i = ce__json_ws(d->b, d->len, i + 1);
            continue;
        }
        if (i < d->len && d->b[i] == '}')
            break;
        ce__json_err ce = {i, "expected ',' or '}'"};
        return jsyntax(d, CE_ESYNTAX, &ce);
    }
    *pos = i + 1;
    return 0;
}

int cer__otlp_decode_json(const ProtobufCMessageDescriptor *desc, const char *buf, size_t len,
                          cer__otlp_arena *arena, cer__otlp_walk *w, ProtobufCMessage **out,
                          char *errstr, size_t errstr_size)
{
    jdec d = {buf, len, arena, w, 16 + 3 * w->lim->max_depth, errstr, errstr_size};
    *out = NULL;
    size_t i = ce__json_ws(buf, len, 0);
    if (peek(&d, i) != J_OBJECT)
        return cerx_errf(CE_ETYPE, errstr, errstr_size, "byte %zu: expected a JSON object (%s)", i,
                         desc->short_name);
    ProtobufCMessage *m = cer__otlp_arena_alloc(arena, desc->sizeof_message);
    if (!m)
        return jnomem(&d);
    protobuf_c_message_init(desc, m);
    int rc = message(&d, &i, desc, m, NULL, 0);
    if (rc)
        return rc;
    i = ce__json_ws(buf, len, i);
    if (i != len)
        return cerx_errf(CE_ESYNTAX, errstr, errstr_size, "byte %zu: trailing characters", i);
    *out = m;
    return 0;
}
