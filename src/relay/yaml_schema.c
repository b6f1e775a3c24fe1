/* Fills a C struct from a YAML node tree by walking a schema table (${VAR} expansion included).
 * Every problem is reported with its position and key path; filling never stops early. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "relay/yaml_schema.h"

#define EXPAND_MAX ((size_t)4 << 20) /* bytes all ${VAR} expansions of one load may produce */

/* ---------------------------------------------------------------------------------------------
 * Key paths and errors
 * ------------------------------------------------------------------------------------------ */
static size_t path_push(cer_yctx *c, const char *fmt, const char *s, size_t i)
{
    size_t old = c->pathlen, room = sizeof c->path - old;
    int n;
    if (s)
        n = snprintf(c->path + old, room, fmt, old ? "." : "", s);
    else
        n = snprintf(c->path + old, room, fmt, i);
    c->pathlen = n < 0 || (size_t)n >= room ? sizeof c->path - 1 : old + (size_t)n;
    return old;
}

static void path_pop(cer_yctx *c, size_t old)
{
    c->pathlen = old;
    c->path[old] = '\0';
}

static void err(cer_yctx *c, const cer_ynode *n, const char *fmt, ...) CER__PRINTF(3, 4);
static void err(cer_yctx *c, const cer_ynode *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cer__ydiag_add(c->diag, n ? n->line : 0, n ? n->col : 0, "key '%s': %s", c->path, msg);
}

static void nomem(cer_yctx *c)
{
    c->diag->nomem = true;
}

/* ---------------------------------------------------------------------------------------------
 * ${VAR} expansion
 * ------------------------------------------------------------------------------------------ */
/* One pass over s (cerx_expand_vars, with ${NAME:-default} and $${): with dst NULL, check and
 * measure (reporting errors); else write. Returns the expanded length, or SIZE_MAX after an
 * error. */
static size_t expand_pass(cer_yctx *c, const cer_ynode *n, const char *s, char *dst)
{
    char why[400];
    size_t len;
    if (cerx_expand_vars(s, dst, &len, CERX_VARS_DEFAULTS, c->getenv_fn, c->getenv_ctx, EXPAND_MAX,
                         why, sizeof why)) {
        if (!dst)
            err(c, n, "%s", why);
        return SIZE_MAX;
    }
    return len;
}

/* The text of scalar `n` after expansion (in c->tmp), or NULL after an error. */
static const char *expand(cer_yctx *c, const cer_ynode *n)
{
    if (!strchr(n->str, '$'))
        return n->str;
    size_t len = expand_pass(c, n, n->str, NULL);
    if (len == SIZE_MAX)
        return NULL;
    if (len > EXPAND_MAX - c->expanded) {
        err(c, n, "variables expand to more than %zu bytes in all", EXPAND_MAX);
        return NULL;
    }
    c->expanded += len;
    char *d = cer__yarena_alloc(c->tmp, len + 1);
    if (!d) {
        nomem(c);
        return NULL;
    }
    expand_pass(c, n, n->str, d);
    d[len] = '\0';
    if (strlen(d) != len) {
        err(c, n, "a variable's value contains a NUL character");
        return NULL;
    }
    return d;
}

/* 1: the (expanded) text of scalar `n` is in *s; 0: null; -1: error reported. `what` names the
 * expected type in errors ("a string"). */
static int get_text(cer_yctx *c, const cer_ynode *n, const char *what, const char **s)
{
    if (cer__yis_null(n))
        return 0;
    if (n->kind != CER_YSCALAR) {
        err(c, n, "expected %s, got %s", what, cer__ykind_name(n));
        return -1;
    }
    *s = expand(c, n);
    return *s ? 1 : -1;
}

/* ---------------------------------------------------------------------------------------------
 * Defaults
 * ------------------------------------------------------------------------------------------ */
static void *at(void *obj, size_t off)
{
    return (char *)obj + off;
}

static unsigned enum_all(const cer_yenum *e)
{
    unsigned m = 0;
    for (; e->name; e++)
        m |= (unsigned)e->value;
    return m;
}

void cer__yschema_defaults(const cer_yschema *s, void *obj)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const cer_yfield *f = &s->fields[i];
        void *p = at(obj, f->off);
        int rc = 0;
        switch (f->type) {
        case CER_Y_STR:
            *(const char **)p = f->def;
            break;
        case CER_Y_BOOL:
            *(bool *)p = false;
            if (f->def)
                rc = cer__yparse_bool(f->def, p);
            break;
        case CER_Y_INT:
            *(int64_t *)p = 0;
            if (f->def)
                rc = cer__yparse_int(f->def, p);
            break;
        case CER_Y_SIZE:
            *(uint64_t *)p = 0;
            if (f->def)
                rc = cer__yparse_size(f->def, p);
            break;
        case CER_Y_DURATION:
            *(uint64_t *)p = 0;
            if (f->def)
                rc = cer__yparse_duration(f->def, p);
            break;
        case CER_Y_ENUM: {
            const cer_yenum *e = f->def ? cer__yenum_find(f->enums, f->def) : NULL;
            assert(!f->def || e);
            *(int *)p = e ? e->value : 0;
            break;
        }
        case CER_Y_ENUMSET:
            assert(!f->def || strcmp(f->def, "*") == 0);
            *(unsigned *)p = f->def ? enum_all(f->enums) : 0;
            break;
        case CER_Y_STRLIST:
            *(cer_ystrlist *)p = (cer_ystrlist){NULL, 0};
            break;
        case CER_Y_KVMAP:
            *(cer_ykvlist *)p = (cer_ykvlist){NULL, 0};
            break;
        case CER_Y_SECTION:
            cer__yschema_defaults(f->sub, p);
            if (f->flags & CER_YF_BOOL)
                *(bool *)at(obj, f->aux) = f->def && strcmp(f->def, "true") == 0;
            break;
        case CER_Y_LIST: {
            void *none = NULL;
            memcpy(p, &none, sizeof none);
            *(size_t *)at(obj, f->aux) = 0;
            break;
        }
        }
        assert(rc == 0);
        (void)rc;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Filling
 * ------------------------------------------------------------------------------------------ */
static bool check_str(cer_yctx *c, const cer_yfield *f, const cer_ynode *n, const char *s,
                      cer_ycheck_fn fn)
{
    if (!fn)
        return true;
    char why[256] = "";
    if (fn(s, why, sizeof why) == 0)
        return true;
    err(c, n, "%s", why);
    return false;
}

static void fill_str(cer_yctx *c, const cer_yfield *f, void *p, const cer_ynode *n)
{
    const char *s;
    int r = get_text(c, n, "a string", &s);
    if (r == 0 && (f->flags & CER_YF_REQUIRED))
        err(c, n, "required");
    if (r <= 0)
        return;
    if ((f->flags & (CER_YF_NONEMPTY | CER_YF_REQUIRED)) && *s == '\0') {
        err(c, n, "must not be empty");
        return;
    }
    if (!check_str(c, f, n, s, f->check))
        return;
    char *d = cer__yarena_strndup(c->out, s, strlen(s));
    if (!d)
        nomem(c);
    *(const char **)p = d;
}

static void range_err(cer_yctx *c, const cer_yfield *f, const cer_ynode *n, const char *got)
{
    char lo[32], hi[32];
    if (f->type == CER_Y_SIZE) {
        cer__yfmt_size((uint64_t)f->min, lo, sizeof lo);
        cer__yfmt_size((uint64_t)f->max, hi, sizeof hi);
    } else if (f->type == CER_Y_DURATION) {
        cer__yfmt_duration((uint64_t)f->min, lo, sizeof lo);
        cer__yfmt_duration((uint64_t)f->max, hi, sizeof hi);
    } else {
        snprintf(lo, sizeof lo, "%" PRId64, f->min);
        snprintf(hi, sizeof hi, "%" PRId64, f->max);
    }
    err(c, n, "must be between %s and %s, got %s", lo, hi, got);
}

static void fill_number(cer_yctx *c, const cer_yfield *f, void *p, const cer_ynode *n)
{
    static const char *const what[] = {
        [CER_Y_BOOL] = "true or false",
        [CER_Y_INT] = "an integer",
        [CER_Y_SIZE] = "a size (bytes, or a number with B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)",
        [CER_Y_DURATION] = "a duration (seconds, or a number with ms, s, m, h, d)"};
    const char *s;
    int r = get_text(c, n, what[f->type], &s);
    if (r == 0 && (f->flags & CER_YF_REQUIRED))
        err(c, n, "required");
    if (r <= 0)
        return;
    bool b;
    int64_t i;
    uint64_t u;
    switch (f->type) {
    case CER_Y_BOOL:
        if (cer__yparse_bool(s, &b) == 0)
            *(bool *)p = b;
        else
            err(c, n, "expected true or false, got '%.64s'", s);
        return;
    case CER_Y_INT:
        if (cer__yparse_int(s, &i)) {
            err(c, n, "expected an integer, got '%.64s'", s);
        } else if (i < f->min || (f->max && i > f->max)) {
            range_err(c, f, n, s);
        } else {
            *(int64_t *)p = i;
        }
        return;
    default:
        if (f->type == CER_Y_SIZE ? cer__yparse_size(s, &u) : cer__yparse_duration(s, &u)) {
            err(c, n, "expected %s, got '%.64s'", what[f->type], s);
        } else if (u < (uint64_t)f->min || (f->max && u > (uint64_t)f->max)) {
            range_err(c, f, n, s);
        } else {
            *(uint64_t *)p = u;
        }
        return;
    }
}

static void fill_enum(cer_yctx *c, const cer_yfield *f, void *p, const cer_ynode *n)
{
    const char *s;
    int r = get_text(c, n, "a string", &s);
    if (r == 0 && (f->flags & CER_YF_REQUIRED))
        err(c, n, "required");
    if (r == 0 && !f->def)
        *(int *)p = 0;
    if (r <= 0)
        return;
    const cer_yenum *e = cer__yenum_find(f->enums, s);
    if (e) {
        *(int *)p = e->value;
        return;
    }
    char list[512];
    cer__yenum_list(f->enums, list, sizeof list);
    err(c, n, "expected one of %s, got '%.64s'", list, s);
}

/* Items of a list, or of one comma-separated string when the field allows: calls item() with
 * each item's text and the node to blame. */
typedef void (*item_fn)(cer_yctx *c, const cer_yfield *f, const cer_ynode *n, const char *s,
                        void *acc);

static void each_item(cer_yctx *c, const cer_yfield *f, const cer_ynode *n, item_fn item, void *acc)
{
    if (cer__yis_null(n))
        return;
    if (n->kind == CER_YSEQ) {
        size_t i = 0;
        for (const cer_ynode *x = n->first; x; x = x->next, i++) {
            size_t old = path_push(c, "[%zu]", NULL, i);
            const char *s;
            int r = get_text(c, x, "a string", &s);
            if (r == 0)
                err(c, x, "expected a string, got null");
            else if (r > 0 && *s == '\0')
                err(c, x, "must not be empty");
            else if (r > 0)
                item(c, f, x, s, acc);
            path_pop(c, old);
        }
        return;
    }
    if (n->kind != CER_YSCALAR || !(f->flags & CER_YF_COMMA)) {
        err(c, n, "expected a list%s, got %s",
            f->flags & CER_YF_COMMA ? " or a comma-separated string" : "", cer__ykind_name(n));
        return;
    }
    const char *s = expand(c, n);
    if (!s || *s == '\0')
        return;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        const char *b = s, *e = s + len;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (b == e) {
            err(c, n, "empty item in the comma-separated list");
        } else {
            char *t = cer__yarena_strndup(c->tmp, b, (size_t)(e - b));
            if (!t) {
                nomem(c);
                return;
            }
            item(c, f, n, t, acc);
        }
        if (!comma)
            break;
        s = comma + 1;
    }
}

typedef struct str_acc {
    const char **v;
    size_t n, cap;
} str_acc;

static void add_str(cer_yctx *c, const cer_yfield *f, const cer_ynode *n, const char *s, void *vacc)
{
    str_acc *a = vacc;
    if (!check_str(c, f, n, s, f->check))
        return;
    if (a->n == a->cap) { /* grow in the output arena; the old block is simply left there */
        size_t cap = a->cap ? a->cap * 2 : 4;
        const char **v = cer__yarena_alloc(c->out, cap * sizeof *v);
        if (!v) {
            nomem(c);
            return;
        }
        if (a->n)
            memcpy(v, a->v, a->n * sizeof *v);
        a->v = v;
        a->cap = cap;
    }
    const char *d = cer__yarena_strndup(c->out, s, strlen(s));
    if (!d) {
        nomem(c);
        return;
    }
    a->v[a->n++] = d;
}

static void add_flag(cer_yctx *c, const cer_yfield *f, const cer_ynode *n, const char *s,
                     void *vacc)
{
    const cer_yenum *e = cer__yenum_find(f->enums, s);
    if (e) {
        *(unsigned *)vacc |= (unsigned)e->value;
        return;
    }
    char list[512];
    cer__yenum_list(f->enums, list, sizeof list);
    err(c, n, "expected one of %s, got '%.64s'", list, s);
}

static void fill_kvmap(cer_yctx *c, const cer_yfield *f, void *p, const cer_ynode *n)
{
    if (cer__yis_null(n))
        return;
    if (n->kind != CER_YMAP) {
        err(c, n, "expected a map, got %s", cer__ykind_name(n));
        return;
    }
    cer_ykv *v = n->n ? cer__yarena_alloc(c->out, n->n * sizeof *v) : NULL;
    if (n->n && !v) {
        nomem(c);
        return;
    }
    size_t count = 0;
    for (const cer_ynode *k = n->first; k && k->next; k = k->next->next) {
        size_t old = path_push(c, "%s%s", k->str, 0);
        const char *s;
        if (k->len == 0) {
            err(c, k, "an empty name is not allowed");
        } else if (check_str(c, f, k, k->str, f->check_key)) {
            int r = get_text(c, k->next, "a string", &s);
            if (r == 0)
                err(c, k->next, "expected a string, got null");
            if (r > 0 && check_str(c, f, k->next, s, f->check)) {
                cer_ykv *kv = &v[count++];
                kv->name = cer__yarena_strndup(c->out, k->str, k->len);
                kv->value = cer__yarena_strndup(c->out, s, strlen(s));
                kv->secret = (f->flags & CER_YF_SECRET) ||
                             ((f->flags & CER_YF_SECRET_NAMES) && cer__ysecret_name(k->str));
                if (!kv->name || !kv->value)
                    nomem(c);
            }
        }
        path_pop(c, old);
    }
    *(cer_ykvlist *)p = (cer_ykvlist){count ? v : NULL, count};
}

static void fill_list(cer_yctx *c, const cer_yfield *f, void *obj, const cer_ynode *n)
{
    if (cer__yis_null(n))
        return;
    if (n->kind != CER_YSEQ) {
        err(c, n, "expected a list, got %s", cer__ykind_name(n));
        return;
    }
    size_t size = f->sub->size;
    char *v = n->n ? cer__yarena_alloc(c->out, n->n * size) : NULL;
    if (n->n && !v) {
        nomem(c);
        return;
    }
    size_t i = 0;
    for (const cer_ynode *x = n->first; x; x = x->next, i++) {
        size_t old = path_push(c, "[%zu]", NULL, i);
        cer__yschema_defaults(f->sub, v + i * size);
        if (x->kind != CER_YMAP)
            err(c, x, "expected a map, got %s", cer__ykind_name(x));
        else
            cer__yschema_fill(c, f->sub, v + i * size, x);
        path_pop(c, old);
    }
    void *vp = v;
    memcpy(at(obj, f->off), &vp, sizeof vp);
    *(size_t *)at(obj, f->aux) = n->n;
}

static void fill_field(cer_yctx *c, const cer_yfield *f, void *obj, const cer_ynode *n)
{
    void *p = at(obj, f->off);
    switch (f->type) {
    case CER_Y_STR:
        fill_str(c, f, p, n);
        break;
    case CER_Y_BOOL:
    case CER_Y_INT:
    case CER_Y_SIZE:
    case CER_Y_DURATION:
        fill_number(c, f, p, n);
        break;
    case CER_Y_ENUM:
        fill_enum(c, f, p, n);
        break;
    case CER_Y_ENUMSET:
        if (!cer__yis_null(n)) {
            unsigned m = 0;
            each_item(c, f, n, add_flag, &m);
            *(unsigned *)p = m;
        }
        break;
    case CER_Y_STRLIST: {
        str_acc a = {0};
        each_item(c, f, n, add_str, &a);
        if (!cer__yis_null(n))
            *(cer_ystrlist *)p = (cer_ystrlist){a.v, a.n};
        break;
    }
    case CER_Y_KVMAP:
        fill_kvmap(c, f, p, n);
        break;
    case CER_Y_SECTION:
        if ((f->flags & CER_YF_BOOL) && n->kind == CER_YSCALAR && !cer__yis_null(n)) {
            const char *s;
            bool b;
            if (get_text(c, n, "a map", &s) > 0) {
                if (cer__yparse_bool(s, &b) == 0)
                    *(bool *)at(obj, f->aux) = b;
                else
                    err(c, n, "expected true, false or a map, got '%.64s'", s);
            }
        } else if (!cer__yis_null(n)) {
            if ((f->flags & CER_YF_BOOL) && n->kind == CER_YMAP)
                *(bool *)at(obj, f->aux) = true;
            if (n->kind != CER_YMAP)
                err(c, n, "expected %s, got %s",
                    f->flags & CER_YF_BOOL ? "true, false or a map" : "a map", cer__ykind_name(n));
            else
                cer__yschema_fill(c, f->sub, p, n);
        }
        break;
    case CER_Y_LIST:
        fill_list(c, f, obj, n);
        break;
    }
}

static void unknown_key(cer_yctx *c, const cer_yschema *s, const cer_ynode *k)
{
    const char *best = NULL;
    unsigned bestd = 3;
    for (size_t i = 0; i < s->nfields; i++) {
        unsigned d = cer__yedit_distance(k->str, s->fields[i].key, 2);
        if (d < bestd)
            bestd = d, best = s->fields[i].key;
    }
    const char *dot = c->pathlen ? "." : "";
    if (best)
        cer__ydiag_add(c->diag, k->line, k->col,
                       "unknown key '%s%s%.128s' (did you mean '%s%s%s'?)", c->path, dot, k->str,
                       c->path, dot, best);
    else
        cer__ydiag_add(c->diag, k->line, k->col, "unknown key '%s%s%.128s'", c->path, dot, k->str);
}

void cer__yschema_fill(cer_yctx *c, const cer_yschema *s, void *obj, const cer_ynode *map)
{
    if (!map || cer__yis_null(map))
        return;
    if (map->kind != CER_YMAP) {
        err(c, map, "expected a map, got %s", cer__ykind_name(map));
        return;
    }
    assert(s->nfields <= 64);
    uint64_t seen = 0;
    for (const cer_ynode *k = map->first; k && k->next; k = k->next->next) {
        size_t i;
        for (i = 0; i < s->nfields; i++)
            if (strcmp(s->fields[i].key, k->str) == 0)
                break;
        if (i == s->nfields) {
            unknown_key(c, s, k);
            continue;
        }
        seen |= 1ull << i;
        size_t old = path_push(c, "%s%s", s->fields[i].key, 0);
        fill_field(c, &s->fields[i], obj, k->next);
        path_pop(c, old);
    }
    for (size_t i = 0; i < s->nfields; i++) {
        if ((s->fields[i].flags & CER_YF_REQUIRED) && !(seen & (1ull << i))) {
            size_t old = path_push(c, "%s%s", s->fields[i].key, 0);
            err(c, map, "required");
            path_pop(c, old);
        }
    }
}
