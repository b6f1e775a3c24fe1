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

/* Length of the UTF-8 sequence at s and its code point; 1 and the byte itself when invalid. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
    uint32_t c = n == 1 ? s[0] : s[0] & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = s[0];
            return 1;
        }
        c = c << 6 | (s[i] & 0x3F);
    }
    *cp = c;
    return n;
}

/* A YAML double-quoted scalar that reads back as exactly `s`: quotes, backslashes and every
 * character YAML does not print literally (controls, C1, line and paragraph separators, BOM,
 * U+FFFE/U+FFFF) are escaped; for a value (`value`), "${" is written "$${" so that reading it
 * back does not expand it. */
static void quoted(out *o, const char *str, bool value)
{
    const unsigned char *s = (const unsigned char *)str;
    put(o, "\"", 1);
    while (*s) {
        uint32_t cp;
        size_t n = utf8_next(s, &cp);
        char esc[16];
        if (cp == '"' || cp == '\\') {
            esc[0] = '\\', esc[1] = (char)cp;
            put(o, esc, 2);
        } else if (cp == '\n') {
            put(o, "\\n", 2);
        } else if (cp == '\t') {
            put(o, "\\t", 2);
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
            puts_(o, esc);
        } else if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF) {
            snprintf(esc, sizeof esc, "\\u%04X", (unsigned)cp);
            puts_(o, esc);
        } else if (value && cp == '$' && s[1] == '{') {
            put(o, "$$", 2);
        } else {
            put(o, (const char *)s, n);
        }
        s += n;
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
        quoted(o, s, true);
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
            quoted(o, l->v[i].name, false);
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
