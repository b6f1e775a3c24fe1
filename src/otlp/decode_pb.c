/* Binary protobuf decoding of OTLP requests. A schema-driven pre-scan walks the wire format
 * first (so a malformed body gets an error naming the field path and byte offset, nesting and
 * counts are capped before anything is allocated, and protobuf-c never recurses deeper than
 * the cap), then protobuf-c unpacks into the request's bounded arena. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "otlp/internal.h"

#define MAX_FIELDS 32 /* the most fields of any OTLP message this module decodes */

typedef struct pframe {
    const struct pframe *parent;
    const char *name;
    uint32_t index; /* element index of a repeated field, UINT32_MAX otherwise */
} pframe;

typedef struct pscan {
    const uint8_t *base;
    cer__otlp_walk *w;
    char *errstr;
    size_t errstr_size;
} pscan;

/* Render "a[0].b[1].c" for the frame chain ending at f. */
static size_t render_path(const pframe *f, char *out, size_t size)
{
    const pframe *chain[512];
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
        int w;
        if (chain[n]->index != UINT32_MAX)
            w = snprintf(out + len, size - len, "%s%s[%u]", len ? "." : "", chain[n]->name,
                         chain[n]->index);
        else
            w = snprintf(out + len, size - len, "%s%s", len ? "." : "", chain[n]->name);
        if (w < 0 || (size_t)w >= size - len)
            return size - 1;
        len += (size_t)w;
    }
    return len;
}

static int perr(pscan *s, const pframe *f, int err, const char *fmt, ...) CER__OTLP_PRINTF(4, 5);
static int perr(pscan *s, const pframe *f, int err, const char *fmt, ...)
{
    if (!s->errstr || s->errstr_size == 0)
        return err;
    char path[512];
    size_t n = render_path(f, path, sizeof path);
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(s->errstr, s->errstr_size, "%s%s%s", path, n ? ": " : "", msg);
    return err;
}

/* 0 ok, 1 truncated, 2 longer than 10 bytes. */
static int rd_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    uint64_t r = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end)
            return 1;
        uint8_t b = *p++;
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            *pp = p;
            return 0;
        }
    }
    return 2;
}

static int expected_wire_type(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_BOOL:
    case PROTOBUF_C_TYPE_ENUM:
        return 0;
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 1;
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return 5;
    default:
        return 2;
    }
}

bool cer__otlp_is_record_field(const ProtobufCMessageDescriptor *d,
                               const ProtobufCFieldDescriptor *f)
{
    return (d == &opentelemetry__proto__logs__v1__scope_logs__descriptor ||
            d == &opentelemetry__proto__trace__v1__scope_spans__descriptor) &&
           f->id == 2;
}

bool cer__otlp_is_list_field(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED)
        return false;
    return strcmp(f->name, "attributes") == 0 ||
           d == &opentelemetry__proto__common__v1__key_value_list__descriptor ||
           d == &opentelemetry__proto__common__v1__array_value__descriptor;
}

bool cer__otlp_is_hex_field(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_BYTES &&
           (strcmp(f->name, "trace_id") == 0 || strcmp(f->name, "span_id") == 0 ||
            strcmp(f->name, "parent_span_id") == 0);
}

static int scan_msg(pscan *s, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                    const uint8_t *end, const pframe *self, uint32_t anydepth)
{
    uint32_t counts[MAX_FIELDS] = {0};
    while (p < end) {
        const size_t tag_at = (size_t)(p - s->base);
        size_t at = tag_at;
        uint64_t tag, v;
        int r = rd_varint(&p, end, &tag);
        if (r)
            return perr(s, self, CE_ESYNTAX, "%s field tag at byte %zu",
                        r == 1 ? "truncated" : "malformed", at);
        uint64_t num = tag >> 3;
        int wt = (int)(tag & 7);
        if (num == 0 || num > 536870911u)
            return perr(s, self, CE_ESYNTAX, "invalid field number %llu at byte %zu",
                        (unsigned long long)num, at);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, (unsigned)num);
        pframe leaf = {self, f ? f->name : NULL, UINT32_MAX};
        char unknown[32];
        if (!f) {
            snprintf(unknown, sizeof unknown, "<field %llu>", (unsigned long long)num);
            leaf.name = unknown;
        }
        if (f && f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t fi = (size_t)(f - d->fields);
            if (fi < MAX_FIELDS)
                leaf.index = counts[fi]++;
            if (cer__otlp_is_record_field(d, f) && ++s->w->records > s->w->lim->max_records)
                return perr(s, &leaf, CE_ELIMIT, "more than %u records in one request",
                            s->w->lim->max_records);
            if (cer__otlp_is_list_field(d, f) && leaf.index >= s->w->lim->max_attributes)
                return perr(s, &leaf, CE_ELIMIT, "more than %u entries in one list",
                            s->w->lim->max_attributes);
        }
        const uint8_t *val = p;
        size_t vlen = 0;
        switch (wt) {
        case 0:
            at = (size_t)(p - s->base);
            r = rd_varint(&p, end, &v);
            if (r)
                return perr(s, &leaf, CE_ESYNTAX, "%s varint at byte %zu",
                            r == 1 ? "truncated" : "malformed", at);
            break;
        case 1:
        case 5: {
            size_t need = wt == 1 ? 8 : 4;
            if ((size_t)(end - p) < need)
                return perr(s, &leaf, CE_ESYNTAX,
                            "truncated: %zu-byte fixed value at byte %zu runs past the end of "
                            "the enclosing message at byte %zu",
                            need, (size_t)(p - s->base), (size_t)(end - s->base));
            p += need;
            break;
        }
        case 2:
            at = (size_t)(p - s->base);
            r = rd_varint(&p, end, &v);
            if (r)
                return perr(s, &leaf, CE_ESYNTAX, "%s length at byte %zu",
                            r == 1 ? "truncated" : "malformed", at);
            if (v > (uint64_t)(end - p))
                return perr(s, &leaf, CE_ESYNTAX,
                            "truncated: length %llu at byte %zu runs past the end of the "
                            "enclosing message at byte %zu",
                            (unsigned long long)v, at, (size_t)(end - s->base));
            val = p;
            vlen = (size_t)v;
            p += vlen;
            break;
        case 3:
        case 4:
            return perr(s, &leaf, CE_ESYNTAX,
                        "groups (wire type %d) are not supported, at byte %zu", wt, at);
        default:
            return perr(s, &leaf, CE_ESYNTAX, "invalid wire type %d at byte %zu", wt, at);
        }
        if (!f)
            continue;
        int want = expected_wire_type(f->type);
        if (wt != want && !(wt == 2 && f->label == PROTOBUF_C_LABEL_REPEATED && want != 2))
            return perr(s, &leaf, CE_ESYNTAX, "wire type %d at byte %zu, expected %d", wt, tag_at,
                        want);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessageDescriptor *sub = f->descriptor;
            uint32_t nd = anydepth;
            if (sub == &opentelemetry__proto__common__v1__any_value__descriptor &&
                ++nd > s->w->lim->max_depth)
                return perr(s, &leaf, CE_EDEPTH, "values nested deeper than %u",
                            s->w->lim->max_depth);
            int rc = scan_msg(s, sub, val, val + vlen, &leaf, nd);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int cer__otlp_decode_pb(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                        cer__otlp_arena *arena, cer__otlp_walk *w, ProtobufCMessage **out,
                        char *errstr, size_t errstr_size)
{
    pscan s = {buf, w, errstr, errstr_size};
    *out = NULL;
    int rc = scan_msg(&s, desc, buf, buf + len, NULL, 0);
    if (rc)
        return rc;
    ProtobufCAllocator al = cer__otlp_arena_allocator(arena);
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, &al, len, buf);
    if (!m) {
        if (arena->hit_cap)
            return cerx_errf(CE_ETOOBIG, errstr, errstr_size,
                             "decoded request needs more than %zu bytes of memory", arena->cap);
        if (arena->oom)
            return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
        return cerx_errf(CE_ESYNTAX, errstr, errstr_size, "protobuf-c rejected the %s message",
                         desc->short_name);
    }
    *out = m;
    return 0;
}
