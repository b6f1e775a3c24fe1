/* The catalog handle: loading catalog files (the embedded built-ins, or a file or buffer of the
 * same shape), the sorted type table, validation modes, and cer_catalog_validate, which checks
 * an event's envelope against its type's entry and its data against the schema. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"
#include "ce/internal.h"

static const char *const mode_names[] = {"off", "warn", "enforce"};
static const char *const verdict_names[] = {"valid", "skipped", "warned", "rejected", "unknown"};

const char *cer_catalog_mode_name(cer_catalog_mode m)
{
    return (unsigned)m < 3 ? mode_names[m] : "?";
}

int cer_catalog_mode_parse(const char *s, cer_catalog_mode *out)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, mode_names[i]) == 0) {
            *out = (cer_catalog_mode)i;
            return 0;
        }
    return CE_EINVAL;
}

const char *cer_catalog_verdict_name(cer_catalog_verdict v)
{
    return (unsigned)v < 5 ? verdict_names[v] : "?";
}

/* ---- lookup ---- */
static int cmp_name(const char *a, const char *b, size_t blen)
{
    int c = strncmp(a, b, blen);
    return c ? c : (a[blen] != 0);
}

static size_t lower_bound(const cer_catalog *cat, const char *type, size_t len, bool *found)
{
    size_t lo = 0, hi = cat->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_name(cat->types[mid].pub.type, type, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < cat->n && cmp_name(cat->types[lo].pub.type, type, len) == 0;
    return lo;
}

const cer__ctype *cer__catalog_lookup(const cer_catalog *cat, const char *type, size_t len)
{
    bool found;
    size_t i = lower_bound(cat, type, len, &found);
    return found ? &cat->types[i] : NULL;
}

size_t cer_catalog_count(const cer_catalog *cat)
{
    return cat ? cat->n : 0;
}

int cer_catalog_type_at(const cer_catalog *cat, size_t idx, cer_catalog_type *out)
{
    if (!cat || idx >= cat->n)
        return CE_ENOTFOUND;
    *out = cat->types[idx].pub;
    return 0;
}

int cer_catalog_find(const cer_catalog *cat, const char *type, cer_catalog_type *out)
{
    const cer__ctype *t = cat && type ? cer__catalog_lookup(cat, type, strlen(type)) : NULL;
    if (!t)
        return CE_ENOTFOUND;
    *out = t->pub;
    return 0;
}

int cer_catalog_set_mode(cer_catalog *cat, const char *type, cer_catalog_mode mode)
{
    if (!type) {
        for (size_t i = 0; i < cat->n; i++)
            cat->types[i].pub.mode = mode;
        cat->default_mode = mode;
        return 0;
    }
    bool found;
    size_t i = lower_bound(cat, type, strlen(type), &found);
    if (!found)
        return CE_ENOTFOUND;
    cat->types[i].pub.mode = mode;
    return 0;
}

/* ---- loading ---- */
typedef struct loader {
    cer__arena tmp; /* everything a load allocates; spliced into the catalog on success */
    const char *name, *base_dir;
    bool builtin;
    cer_catalog_mode default_mode;
    cer__ctype *staged;
    size_t nstaged;
    char *errstr;
    size_t errstr_size;
} loader;

static int read_file(cer__arena *a, const char *path, char **out, size_t *len, char *errstr,
                     size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cerx_errf(CE_EIO, errstr, errstr_size, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return cerx_errf(CE_EIO, errstr, errstr_size, "%s: not a regular file", path);
    }
    if ((size_t)size > CER_CATALOG_MAX_FILE_BYTES) {
        fclose(f);
        return cerx_errf(CE_ETOOBIG, errstr, errstr_size, "%s: larger than %zu bytes", path,
                         CER_CATALOG_MAX_FILE_BYTES);
    }
    buf = cer__arena_alloc(a, (size_t)size + 1);
    if (!buf) {
        fclose(f);
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != (size_t)size)
        return cerx_errf(CE_EIO, errstr, errstr_size, "%s: read error", path);
    *out = buf;
    *len = got;
    return 0;
}

static int load_err(loader *l, int rc, const char *type, const char *fmt, const char *arg)
{
    char what[400];
    snprintf(what, sizeof what, fmt, arg);
    if (type)
        return cerx_errf(rc, l->errstr, l->errstr_size, "%s: type '%s': %s", l->name, type, what);
    return cerx_errf(rc, l->errstr, l->errstr_size, "%s: %s", l->name, what);
}

static const char *dup_str(loader *l, const cer__jnode *v)
{
    return cer__arena_strndup(&l->tmp, v->str.ptr, v->str.len);
}

/* The schema text of an entry: a path (embedded file, or relative to base_dir) or inline. */
static int entry_schema(loader *l, cer__ctype *t, const cer__jdom *d, const cer__jnode *v)
{
    char label[600], why[400];
    if (v->type == CER__J_OBJECT || v->type == CER__J_BOOL) {
        t->pub.schema_path = "";
        t->pub.schema_json = (ce_slice){d->src + v->off, v->end - v->off};
        snprintf(label, sizeof label, "%s: type '%s': schema", l->name, t->pub.type);
        return cer__schema_compile(&l->tmp, d, v, label, &t->schema, l->errstr, l->errstr_size);
    }
    if (v->type != CER__J_STRING || v->str.len == 0)
        return load_err(l, CE_EINVAL, t->pub.type, "%s",
                        "schema: expected a file name or a schema");
    const char *rel = dup_str(l, v);
    if (!rel)
        return CE_ENOMEM;
    t->pub.schema_path = rel;
    const char *text = NULL;
    size_t len = 0;
    if (l->builtin) {
        for (size_t i = 0; i < cer__catalog_nfiles && !text; i++)
            if (strcmp(cer__catalog_files[i].path, rel) == 0) {
                text = (const char *)cer__catalog_files[i].bytes;
                len = cer__catalog_files[i].len;
            }
        if (!text)
            return load_err(l, CE_ENOTFOUND, t->pub.type, "schema '%s' is not embedded", rel);
    } else {
        if (!l->base_dir)
            return load_err(l, CE_EINVAL, t->pub.type, "schema '%s': no folder to read it from",
                            rel);
        char path[4096];
        if (rel[0] == '/')
            snprintf(path, sizeof path, "%s", rel);
        else
            snprintf(path, sizeof path, "%s/%s", l->base_dir, rel);
        char *buf;
        int rc = read_file(&l->tmp, path, &buf, &len, why, sizeof why);
        if (rc)
            return load_err(l, rc, t->pub.type, "schema: %s", why);
        text = buf;
    }
    t->pub.schema_json = (ce_slice){text, len};
    cer__jdom sd;
    int rc = cer__jdom_parse(&sd, text, len, CER_CATALOG_MAX_DEPTH, CER_CATALOG_MAX_NODES, why,
                             sizeof why);
    if (rc) {
        cer__jdom_free(&sd);
        return load_err(l, rc, t->pub.type, "schema: %s", why);
    }
    snprintf(label, sizeof label, "%s: type '%s': %s", l->name, t->pub.type, rel);
    rc = cer__schema_compile(&l->tmp, &sd, sd.nodes, label, &t->schema, l->errstr, l->errstr_size);
    cer__jdom_free(&sd);
    return rc;
}

/* The example must be a valid CloudEvent of this type whose data passes the schema. */
static int check_example(loader *l, const cer__ctype *t, ce_slice ex)
{
    char why[400];
    ce_event *ev = NULL;
    int rc = ce_json_decode(ex.ptr, ex.len, NULL, &ev, why, sizeof why);
    if (rc)
        return load_err(l, rc, t->pub.type, "example: %s", why);
    cer_catalog_result res;
    rc = cer__check_event(t, ev, CER_CATALOG_ENFORCE, &res);
    ce_event_destroy(ev);
    if (rc < 0)
        return load_err(l, rc, t->pub.type, "example: %s", ce_strerror(rc));
    if (res.verdict != CER_CATALOG_VALID)
        return load_err(l, CE_EBADVALUE, t->pub.type, "example: %s", res.messages[0]);
    return 0;
}

static int load_entry(loader *l, const cer__jdom *d, const cer__jnode *e, cer__ctype *t)
{
    static const char *const keys[] = {"type",       "description", "topic",    "partitionKey",
                                       "subject",    "source",      "schema",   "dataschema",
                                       "validation", "example",     "$comment", NULL};
    if (e->type != CER__J_OBJECT)
        return load_err(l, CE_EINVAL, NULL, "%s", "types: every entry must be an object");
    const cer__jnode *type = cer__j_member(d, e, "type");
    if (!type || type->type != CER__J_STRING || type->str.len == 0)
        return load_err(l, CE_EINVAL, NULL, "%s", "types: an entry has no \"type\" string");
    if (!(t->pub.type = dup_str(l, type)))
        return CE_ENOMEM;
    if (ce_check_value(CE_TYPE_STRING, t->pub.type, strlen(t->pub.type), NULL, 0))
        return load_err(l, CE_EINVAL, t->pub.type, "%s", "not a valid CloudEvents type");
    for (const cer__jnode *m = cer__j_first(d, e); m; m = cer__j_next(d, m)) {
        const char *const *k = keys;
        while (*k && !(strlen(*k) == m->key.len && memcmp(*k, m->key.ptr, m->key.len) == 0))
            k++;
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)m->key.len, m->key.ptr);
        if (!*k)
            return load_err(l, CE_EINVAL, t->pub.type, "unknown key '%s'", key);
        if (strcmp(key, "schema") && strcmp(key, "example") && strcmp(key, "$comment") &&
            m->type != CER__J_STRING)
            return load_err(l, CE_EINVAL, t->pub.type, "'%s' must be a string", key);
    }
    struct {
        const char *key;
        const char **dst;
        const char *def;
    } strs[] = {{"description", &t->pub.description, ""},
                {"topic", &t->pub.topic, t->pub.type},
                {"partitionKey", &t->pub.partition_key, "subject"},
                {"subject", &t->pub.subject, ""},
                {"source", &t->pub.source, "cerelay"},
                {"dataschema", &t->pub.dataschema, ""}};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        const cer__jnode *v = cer__j_member(d, e, strs[i].key);
        *strs[i].dst = v ? dup_str(l, v) : strs[i].def;
        if (!*strs[i].dst)
            return CE_ENOMEM;
    }
    if (ce_check_name(t->pub.partition_key, strlen(t->pub.partition_key), NULL, 0))
        return load_err(l, CE_EINVAL, t->pub.type, "partitionKey '%s' is not an attribute name",
                        t->pub.partition_key);
    if (t->pub.dataschema[0] &&
        ce_check_value(CE_TYPE_URI, t->pub.dataschema, strlen(t->pub.dataschema), NULL, 0))
        return load_err(l, CE_EINVAL, t->pub.type, "dataschema '%s' is not an absolute URI",
                        t->pub.dataschema);
    const cer__jnode *mode = cer__j_member(d, e, "validation");
    t->pub.mode = l->default_mode;
    if (mode) {
        char m[16];
        snprintf(m, sizeof m, "%.*s", (int)mode->str.len, mode->str.ptr);
        if (cer_catalog_mode_parse(m, &t->pub.mode))
            return load_err(l, CE_EINVAL, t->pub.type,
                            "validation '%s': expected off, warn or enforce", m);
        t->mode_set = true;
    }
    const cer__jnode *schema = cer__j_member(d, e, "schema");
    if (!schema)
        return load_err(l, CE_EINVAL, t->pub.type, "%s", "no \"schema\"");
    int rc = entry_schema(l, t, d, schema);
    if (rc)
        return rc;
    const cer__jnode *ex = cer__j_member(d, e, "example");
    if (ex) {
        if (ex->type != CER__J_OBJECT)
            return load_err(l, CE_EINVAL, t->pub.type, "%s", "example: expected an event object");
        t->pub.example_json = (ce_slice){d->src + ex->off, ex->end - ex->off};
        return check_example(l, t, t->pub.example_json);
    }
    return 0;
}

static int apply(cer_catalog *cat, loader *l)
{
    /* Room for every staged type first, so the merge below cannot fail half-way. */
    if (cat->n + l->nstaged > CER_CATALOG_MAX_TYPES)
        return cerx_errf(CE_ELIMIT, l->errstr, l->errstr_size, "%s: more than %u types", l->name,
                         CER_CATALOG_MAX_TYPES);
    if (cat->n + l->nstaged > cat->cap) {
        size_t cap = cat->n + l->nstaged + 16;
        cer__ctype *nt = ce__realloc(cat->types, cap * sizeof *nt);
        if (!nt)
            return cerx_errf(CE_ENOMEM, l->errstr, l->errstr_size, "out of memory");
        cat->types = nt;
        cat->cap = cap;
    }
    for (size_t i = 0; i < l->nstaged; i++) {
        const cer__ctype *t = &l->staged[i];
        bool found;
        size_t at = lower_bound(cat, t->pub.type, strlen(t->pub.type), &found);
        if (!found) {
            memmove(&cat->types[at + 1], &cat->types[at], (cat->n - at) * sizeof *cat->types);
            cat->n++;
        }
        cat->types[at] = *t;
    }
    cer__arena_take(&cat->arena, &l->tmp);
    return 0;
}

static int load(cer_catalog *cat, loader *l, const char *json, size_t len)
{
    cer__jdom d;
    char why[400];
    int rc = cer__jdom_parse(&d, json, len, CER_CATALOG_MAX_DEPTH, CER_CATALOG_MAX_NODES, why,
                             sizeof why);
    if (rc) {
        load_err(l, rc, NULL, "%s", why);
        goto out;
    }
    const cer__jnode *root = d.nodes, *types = cer__j_member(&d, root, "types");
    if (!types || types->type != CER__J_ARRAY) {
        rc = load_err(l, CE_EINVAL, NULL, "%s", "expected an object with a \"types\" array");
        goto out;
    }
    for (const cer__jnode *m = cer__j_first(&d, root); m; m = cer__j_next(&d, m))
        if (!(m->key.len == 5 && memcmp(m->key.ptr, "types", 5) == 0) &&
            !(m->key.len == 8 && memcmp(m->key.ptr, "$comment", 8) == 0)) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)m->key.len, m->key.ptr);
            rc = load_err(l, CE_EINVAL, NULL, "unknown key '%s'", key);
            goto out;
        }
    l->staged = cer__arena_alloc(&l->tmp, (types->count ? types->count : 1) * sizeof *l->staged);
    if (!l->staged) {
        rc = cerx_errf(CE_ENOMEM, l->errstr, l->errstr_size, "out of memory");
        goto out;
    }
    for (const cer__jnode *e = cer__j_first(&d, types); e; e = cer__j_next(&d, e)) {
        cer__ctype *t = &l->staged[l->nstaged];
        if ((rc = load_entry(l, &d, e, t)) != 0) {
            if (rc == CE_ENOMEM)
                cerx_errf(rc, l->errstr, l->errstr_size, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < l->nstaged; i++)
            if (strcmp(l->staged[i].pub.type, t->pub.type) == 0) {
                rc = load_err(l, CE_EDUPLICATE, t->pub.type, "%s", "listed twice");
                goto out;
            }
        l->nstaged++;
    }
    rc = apply(cat, l);
out:
    cer__jdom_free(&d);
    cer__arena_free(&l->tmp);
    return rc;
}

int cer_catalog_load_mem(cer_catalog *cat, const char *name, const char *json, size_t len,
                         const char *base_dir, char *errstr, size_t errstr_size)
{
    if (!cat || (!json && len))
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "cer_catalog_load_mem: NULL argument");
    loader l = {
        {NULL, 0, 0}, name ? name : "catalog", base_dir, false, cat->default_mode, NULL, 0, errstr,
        errstr_size};
    /* The text must outlive the call (schema and example slices point into it). */
    char *copy = cer__arena_strndup(&l.tmp, json, len);
    if (!copy)
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    return load(cat, &l, copy, len);
}

int cer_catalog_load_file(cer_catalog *cat, const char *path, char *errstr, size_t errstr_size)
{
    if (!cat || !path)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "cer_catalog_load_file: NULL argument");
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    loader l = {{NULL, 0, 0}, path, dir, false, cat->default_mode, NULL, 0, errstr, errstr_size};
    char *buf;
    size_t len;
    int rc = read_file(&l.tmp, path, &buf, &len, errstr, errstr_size);
    if (rc) {
        cer__arena_free(&l.tmp);
        return rc;
    }
    return load(cat, &l, buf, len);
}

int cer_catalog_new(cer_catalog **out, unsigned flags, char *errstr, size_t errstr_size)
{
    *out = NULL;
    cer_catalog *cat = ce__malloc(sizeof *cat);
    if (!cat)
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    memset(cat, 0, sizeof *cat);
    cat->default_mode = CER_CATALOG_ENFORCE;
    if (!(flags & CER_CATALOG_EMPTY)) {
        const cer__embedded *f = NULL;
        for (size_t i = 0; i < cer__catalog_nfiles && !f; i++)
            if (strcmp(cer__catalog_files[i].path, "catalog.json") == 0)
                f = &cer__catalog_files[i];
        loader l = {
            {NULL, 0, 0}, "built-in catalog.json", NULL, true, CER_CATALOG_ENFORCE, NULL, 0, errstr,
            errstr_size};
        int rc = f ? load(cat, &l, (const char *)f->bytes, f->len)
                   : cerx_errf(CE_ENOTFOUND, errstr, errstr_size, "catalog.json not embedded");
        if (rc) {
            cer_catalog_destroy(cat);
            return rc;
        }
    }
    *out = cat;
    return 0;
}

void cer_catalog_destroy(cer_catalog *cat)
{
    if (!cat)
        return;
    cer__arena_free(&cat->arena);
    ce__free(cat->types);
    ce__free(cat->prices);
    ce__free(cat);
}
