/* Writes a struct described by a schema table back as YAML: every key present, strings double
 * quoted, sizes and durations in their shortest exact unit, secrets as "<redacted>". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "relay/yaml_schema.h"

static const void *cat(const void *obj, size_t off)
{
    return (const char *)obj + off;
}

typedef struct out {
    ce_buf *b;
    int rc;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (!o->rc && n)
        o->rc = ce_buf_append(o->b, s, n);
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void pad(out *o, unsigned n)
{
    static const char spaces[] = "                                ";
    while (n) {
        unsigned k = n < sizeof spaces - 1 ? n : (unsigned)sizeof spaces - 1;
        put(o, spaces, k);
        n -= k;
    }
}

/* A YAML double-quoted scalar (valid UTF-8 passes through; controls are escaped). */
static void quoted(out *o, const char *s)
{
    put(o, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\', esc[1] = (char)ch;
            put(o, esc, 2);
        } else if (ch == '\n') {
            put(o, "\\n", 2);
        } else if (ch == '\t') {
            put(o, "\\t", 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", ch);
            puts_(o, esc);
        } else {
            put(o, s, 1);
        }
    }
    put(o, "\"", 1);
}

static void secret_or(out *o, const char *s, bool secret)
{
    if (!s)
        puts_(o, "null");
    else if (secret)
        puts_(o, "\"<redacted>\"");
    else
        quoted(o, s);
}

static void dump_section(out *o, const cer_yschema *s, const void *obj, unsigned indent, bool dash);

static void dump_field(out *o, const cer_yfield *f, const void *obj, unsigned indent)
{
    const void *p = cat(obj, f->off);
    char num[64];
    bool secret = f->flags & CER_YF_SECRET;
    switch (f->type) {
    case CER_Y_STR:
        puts_(o, " ");
        secret_or(o, *(const char *const *)p, secret);
        break;
    case CER_Y_BOOL:
        puts_(o, *(const bool *)p ? " true" : " false");
        break;
    case CER_Y_INT:
        snprintf(num, sizeof num, " %" PRId64, *(const int64_t *)p);
        puts_(o, num);
        break;
    case CER_Y_SIZE:
    case CER_Y_DURATION:
        num[0] = ' ';
        if (f->type == CER_Y_SIZE)
            cer__yfmt_size(*(const uint64_t *)p, num + 1, sizeof num - 1);
        else
            cer__yfmt_duration(*(const uint64_t *)p, num + 1, sizeof num - 1);
        puts_(o, num);
        break;
    case CER_Y_ENUM: {
        const cer_yenum *e = f->enums;
        while (e->name && e->value != *(const int *)p)
            e++;
        puts_(o, " ");
        puts_(o, e->name ? e->name : "null");
        break;
    }
    case CER_Y_ENUMSET: {
        unsigned m = *(const unsigned *)p;
        puts_(o, " [");
        bool first = true;
        for (const cer_yenum *e = f->enums; e->name; e++) {
            if (m & (unsigned)e->value) {
                puts_(o, first ? "" : ", ");
                puts_(o, e->name);
                first = false;
            }
        }
        puts_(o, "]");
        break;
    }
    case CER_Y_STRLIST: {
        const cer_ystrlist *l = p;
        if (!l->n)
            puts_(o, " []");
        for (size_t i = 0; i < l->n; i++) {
            puts_(o, "\n");
            pad(o, indent + 2);
            puts_(o, "- ");
            secret_or(o, l->v[i], secret);
        }
        break;
    }
    case CER_Y_KVMAP: {
        const cer_ykvlist *l = p;
        if (!l->n)
            puts_(o, " {}");
        for (size_t i = 0; i < l->n; i++) {
            puts_(o, "\n");
            pad(o, indent + 2);
            quoted(o, l->v[i].name);
            puts_(o, ": ");
            secret_or(o, l->v[i].value, l->v[i].secret);
        }
        break;
    }
    case CER_Y_SECTION:
        if ((f->flags & CER_YF_BOOL) && !*(const bool *)cat(obj, f->aux)) {
            puts_(o, " false");
        } else {
            puts_(o, "\n");
            dump_section(o, f->sub, p, indent + 2, false);
            o->b->len -= o->b->len && !o->rc; /* dump_section ends with a newline */
        }
        break;
    case CER_Y_LIST: {
        const char *v;
        memcpy(&v, p, sizeof v);
        size_t n = *(const size_t *)cat(obj, f->aux);
        if (!n)
            puts_(o, " []");
        for (size_t i = 0; i < n; i++) {
            puts_(o, "\n");
            dump_section(o, f->sub, v + i * f->sub->size, indent + 4, true);
            o->b->len -= o->b->len && !o->rc;
        }
        break;
    }
    }
}

static void dump_section(out *o, const cer_yschema *s, const void *obj, unsigned indent, bool dash)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const cer_yfield *f = &s->fields[i];
        if (dash && i == 0) {
            pad(o, indent - 2);
            puts_(o, "- ");
        } else {
            pad(o, indent);
        }
        puts_(o, f->key);
        puts_(o, ":");
        dump_field(o, f, obj, indent);
        puts_(o, "\n");
    }
}

int cer__yschema_dump(const cer_yschema *s, const void *obj, unsigned indent, ce_buf *b)
{
    out o = {b, 0};
    dump_section(&o, s, obj, indent, false);
    return o.rc ? CE_ENOMEM : 0;
}
