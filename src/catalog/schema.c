/* Compile the JSON Schema (draft 2020-12) subset the catalog uses from a DOM into a tree of
 * cer__schema nodes in the catalog's arena: type, properties, required, additionalProperties,
 * enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength,
 * items, minItems, maxItems, format (date-time is checked, other formats are annotations).
 * Annotations are ignored; any other keyword is an error, so that a schema never checks less
 * than it says (docs/catalog.md, "Validation"). */
#include <stdio.h>
#include <string.h>

#include "catalog/internal.h"

typedef struct comp {
    cer__arena *a;
    const cer__jdom *d;
    const char *label;
    char *errstr;
    size_t errstr_size;
} comp;

static const char *const annotations[] = {"$schema",    "$id",         "$comment",  "$anchor",
                                          "title",      "description", "examples",  "default",
                                          "deprecated", "readOnly",    "writeOnly", NULL};

static int fail(comp *c, const char *where, const char *fmt, const char *arg)
{
    char what[256];
    snprintf(what, sizeof what, fmt, arg);
    return cerx_errf(CE_EBADVALUE, c->errstr, c->errstr_size, "%s: %s%s%s", c->label, where,
                     *where ? ": " : "", what);
}

static int type_bit(const cer__jnode *n, unsigned *bit)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"null", CER__T_NULL},       {"boolean", CER__T_BOOLEAN},
                 {"integer", CER__T_INTEGER}, {"number", CER__T_NUMBER},
                 {"string", CER__T_STRING},   {"array", CER__T_ARRAY},
                 {"object", CER__T_OBJECT}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (cer__j_streq(n, names[i].name)) {
            *bit = names[i].bit;
            return 0;
        }
    return -1;
}

static int get_count(comp *c, const char *where, const cer__jnode *v, uint64_t *out)
{
    if (v->type != CER__J_NUMBER || !v->is_int || v->i64 < 0)
        return fail(c, where, "%s", "expected a non-negative integer");
    *out = (uint64_t)v->i64;
    return 0;
}

static int get_number(comp *c, const char *where, const cer__jnode *v, double *out)
{
    if (v->type != CER__J_NUMBER)
        return fail(c, where, "%s", "expected a number");
    *out = v->num;
    return 0;
}

static int literal(comp *c, const char *where, const cer__jnode *v, cer__slit *out)
{
    if (v->type == CER__J_OBJECT || v->type == CER__J_ARRAY)
        return fail(c, where, "%s", "only strings, numbers, booleans and null are supported");
    out->type = v->type;
    out->boolean = v->boolean;
    out->num = v->num;
    out->str.len = v->str.len;
    out->str.ptr = cer__arena_strndup(c->a, v->str.ptr, v->str.len);
    return out->str.ptr ? 0 : CE_ENOMEM;
}

static int compile(comp *c, const cer__jnode *n, const char *path, cer__schema **out);

static int compile_props(comp *c, cer__schema *s, const cer__jnode *v, const char *path)
{
    if (v->type != CER__J_OBJECT)
        return fail(c, path, "%s", "expected an object of schemas");
    s->props = cer__arena_alloc(c->a, (v->count ? v->count : 1) * sizeof *s->props);
    if (!s->props)
        return CE_ENOMEM;
    for (const cer__jnode *m = cer__j_first(c->d, v); m; m = cer__j_next(c->d, m)) {
        for (size_t i = 0; i < s->nprops; i++)
            if (s->props[i].len == m->key.len &&
                memcmp(s->props[i].name, m->key.ptr, m->key.len) == 0)
                return fail(c, path, "property '%s' given twice", s->props[i].name);
        char sub[512];
        snprintf(sub, sizeof sub, "%s.%.*s", path, (int)m->key.len, m->key.ptr);
        cer__sprop *p = &s->props[s->nprops];
        p->name = cer__arena_strndup(c->a, m->key.ptr, m->key.len);
        p->len = m->key.len;
        if (!p->name)
            return CE_ENOMEM;
        int rc = compile(c, m, sub, &p->schema);
        if (rc)
            return rc;
        s->nprops++;
    }
    return 0;
}

static int compile_required(comp *c, cer__schema *s, const cer__jnode *v, const char *path)
{
    if (v->type != CER__J_ARRAY)
        return fail(c, path, "%s", "expected an array of strings");
    s->required_extra = cer__arena_alloc(c->a, (v->count ? v->count : 1) * sizeof(char *));
    if (!s->required_extra)
        return CE_ENOMEM;
    for (const cer__jnode *e = cer__j_first(c->d, v); e; e = cer__j_next(c->d, e)) {
        if (e->type != CER__J_STRING)
            return fail(c, path, "%s", "expected an array of strings");
        s->required_extra[s->nrequired_extra] = cer__arena_strndup(c->a, e->str.ptr, e->str.len);
        if (!s->required_extra[s->nrequired_extra])
            return CE_ENOMEM;
        s->nrequired_extra++;
    }
    return 0;
}

/* Move required names that have a "properties" entry onto the entry. */
static void link_required(cer__schema *s)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->nrequired_extra; i++) {
        const char *name = s->required_extra[i];
        bool found = false;
        for (size_t j = 0; j < s->nprops && !found; j++)
            if (strlen(name) == s->props[j].len &&
                memcmp(name, s->props[j].name, s->props[j].len) == 0)
                found = s->props[j].required = true;
        if (!found)
            s->required_extra[kept++] = name;
    }
    s->nrequired_extra = kept;
}

static int keyword(comp *c, cer__schema *s, const cer__jnode *m, const char *path)
{
    char where[512];
    snprintf(where, sizeof where, "%s%s%.*s", path, *path ? "." : "", (int)m->key.len, m->key.ptr);
    const char *k = m->key.ptr;
    size_t kl = m->key.len;
#define IS(name) (kl == sizeof(name) - 1 && memcmp(k, name, kl) == 0)
    for (const char *const *a = annotations; *a; a++)
        if (strlen(*a) == kl && memcmp(*a, k, kl) == 0)
            return 0;
    if (IS("type")) {
        unsigned bit;
        if (m->type == CER__J_STRING) {
            if (type_bit(m, &bit)) {
                char t[64];
                snprintf(t, sizeof t, "%.*s", (int)m->str.len, m->str.ptr);
                return fail(c, where, "unknown type '%s'", t);
            }
            s->types = bit;
            return 0;
        }
        if (m->type != CER__J_ARRAY || m->count == 0)
            return fail(c, where, "%s", "expected a type name or an array of them");
        for (const cer__jnode *e = cer__j_first(c->d, m); e; e = cer__j_next(c->d, e)) {
            if (type_bit(e, &bit))
                return fail(c, where, "%s", "unknown type name");
            s->types |= bit;
        }
        return 0;
    }
    if (IS("properties"))
        return compile_props(c, s, m, where);
    if (IS("required"))
        return compile_required(c, s, m, where);
    if (IS("additionalProperties")) {
        if (m->type == CER__J_BOOL) {
            s->no_additional = !m->boolean;
            return 0;
        }
        return compile(c, m, where, &s->additional);
    }
    if (IS("items")) {
        if (m->type != CER__J_OBJECT && m->type != CER__J_BOOL)
            return fail(c, where, "%s", "expected a schema (the array form is prefixItems)");
        return compile(c, m, where, &s->items);
    }
    if (IS("enum") || IS("const")) {
        size_t n = IS("const") ? 1 : m->count;
        if (IS("enum") && (m->type != CER__J_ARRAY || n == 0))
            return fail(c, where, "%s", "expected a non-empty array");
        s->enums = cer__arena_alloc(c->a, n * sizeof *s->enums);
        if (!s->enums)
            return CE_ENOMEM;
        s->nenums = n;
        if (IS("const"))
            return literal(c, where, m, &s->enums[0]);
        size_t i = 0;
        for (const cer__jnode *e = cer__j_first(c->d, m); e; e = cer__j_next(c->d, e)) {
            int rc = literal(c, where, e, &s->enums[i++]);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (IS("minimum"))
        return s->has_min = true, s->excl_min = false, get_number(c, where, m, &s->min);
    if (IS("maximum"))
        return s->has_max = true, s->excl_max = false, get_number(c, where, m, &s->max);
    if (IS("exclusiveMinimum"))
        return s->has_min = s->excl_min = true, get_number(c, where, m, &s->min);
    if (IS("exclusiveMaximum"))
        return s->has_max = s->excl_max = true, get_number(c, where, m, &s->max);
    if (IS("minLength"))
        return s->has_min_len = true, get_count(c, where, m, &s->min_len);
    if (IS("maxLength"))
        return s->has_max_len = true, get_count(c, where, m, &s->max_len);
    if (IS("minItems"))
        return s->has_min_items = true, get_count(c, where, m, &s->min_items);
    if (IS("maxItems"))
        return s->has_max_items = true, get_count(c, where, m, &s->max_items);
    if (IS("format")) {
        if (m->type != CER__J_STRING)
            return fail(c, where, "%s", "expected a string");
        s->date_time = cer__j_streq(m, "date-time");
        return 0;
    }
#undef IS
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)kl, k);
    return fail(c, path, "keyword '%s' is not supported (docs/catalog.md lists the subset)", name);
}

static int compile(comp *c, const cer__jnode *n, const char *path, cer__schema **out)
{
    cer__schema *s = cer__arena_alloc(c->a, sizeof *s);
    if (!s)
        return CE_ENOMEM;
    *out = s;
    if (n->type == CER__J_BOOL) {
        s->never = !n->boolean;
        return 0;
    }
    if (n->type != CER__J_OBJECT)
        return fail(c, path, "%s", "a schema must be an object or a boolean");
    for (const cer__jnode *m = cer__j_first(c->d, n); m; m = cer__j_next(c->d, m)) {
        int rc = keyword(c, s, m, path);
        if (rc)
            return rc;
    }
    link_required(s);
    return 0;
}

int cer__schema_compile(cer__arena *a, const cer__jdom *d, const cer__jnode *n, const char *label,
                        cer__schema **out, char *errstr, size_t errstr_size)
{
    comp c = {a, d, label, errstr, errstr_size};
    int rc = compile(&c, n, "", out);
    if (rc == CE_ENOMEM)
        return cerx_errf(rc, errstr, errstr_size, "%s: out of memory", label);
    return rc;
}
