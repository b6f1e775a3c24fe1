/* Builds the configuration's YAML node tree from libyaml parser events, with every cap checked
 * as events arrive; plus the arena, allocation wrapper and error list of the config module. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "relay/config.h"
#include "relay/yaml_tree.h"

/* ---------------------------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------------------------ */
static ce_allocator current = {malloc, realloc, free};

void cer_config_set_allocator(const ce_allocator *a)
{
    current = a ? *a : (ce_allocator){malloc, realloc, free};
}

void *cer__ymalloc(size_t n)
{
    return current.malloc_fn(n ? n : 1);
}

void *cer__yrealloc(void *p, size_t n)
{
    return current.realloc_fn(p, n ? n : 1);
}

void cer__yfree(void *p)
{
    if (p)
        current.free_fn(p);
}

/* ---------------------------------------------------------------------------------------------
 * Arena
 * ------------------------------------------------------------------------------------------ */
#define CHUNK_BYTES 4096u
#define ALIGN       16u

typedef struct cer_ychunk {
    struct cer_ychunk *next;
    size_t used, cap;
    _Alignas(ALIGN) unsigned char data[];
} cer_ychunk;

void *cer__yarena_alloc(cer_yarena *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n == 0)
        n = ALIGN;
    cer_ychunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        cer_ychunk *nc = cer__ymalloc(sizeof *nc + cap);
        if (!nc)
            return NULL;
        nc->used = 0;
        nc->cap = cap;
        if (c && n > CHUNK_BYTES) { /* a big one: keep filling the current chunk afterwards */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *cer__yarena_strndup(cer_yarena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *d = cer__yarena_alloc(a, n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *vprintf_arena(cer_yarena *a, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *d = cer__yarena_alloc(a, (size_t)n + 1);
    if (!d)
        return NULL;
    if ((size_t)n < sizeof small)
        memcpy(d, small, (size_t)n + 1);
    else
        vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

char *cer__yarena_printf(cer_yarena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = vprintf_arena(a, fmt, ap);
    va_end(ap);
    return d;
}

void cer__yarena_free(cer_yarena *a)
{
    cer_ychunk *c = a->head;
    while (c) {
        cer_ychunk *next = c->next;
        cer__yfree(c);
        c = next;
    }
    a->head = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------ */
void cer__ydiag_add(cer_ydiag *d, uint32_t line, uint32_t col, const char *fmt, ...)
{
    d->count++;
    if (d->count > CER_YAML_MAX_ERRORS)
        return;
    cer_yerr *e = cer__yarena_alloc(d->arena, sizeof *e);
    va_list ap;
    va_start(ap, fmt);
    const char *msg = e ? vprintf_arena(d->arena, fmt, ap) : NULL;
    va_end(ap);
    if (!e || !msg) {
        d->nomem = true;
        d->count--;
        return;
    }
    e->line = line;
    e->col = col;
    e->seq = d->count;
    e->msg = msg;
    if (d->tail)
        d->tail->next = e;
    else
        d->head = e;
    d->tail = e;
}

static int err_cmp(const void *pa, const void *pb)
{
    const cer_yerr *a = *(const cer_yerr *const *)pa, *b = *(const cer_yerr *const *)pb;
    uint32_t la = a->line ? a->line : UINT32_MAX, lb = b->line ? b->line : UINT32_MAX;
    if (la != lb)
        return la < lb ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void cer__ydiag_format(cer_ydiag *d, const char *name, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    buf[0] = '\0';
    size_t kept = 0, used = 0, shown = 0;
    for (cer_yerr *e = d->head; e; e = e->next)
        kept++;
    cer_yerr **v = kept ? cer__ymalloc(kept * sizeof *v) : NULL;
    if (v) {
        size_t i = 0;
        for (cer_yerr *e = d->head; e; e = e->next)
            v[i++] = e;
        qsort(v, kept, sizeof *v, err_cmp);
    }
    /* Whole lines only, keeping room for the closing count while more are to come. */
    size_t reserve = strlen(name) + 48;
    cer_yerr *e = d->head;
    for (size_t i = 0; i < kept; i++, e = e->next) {
        const cer_yerr *x = v ? v[i] : e;
        char pos[64] = "";
        if (x->line)
            snprintf(pos, sizeof pos, ":%u:%u", (unsigned)x->line, (unsigned)x->col);
        const char *sep = used ? "\n" : "";
        int n = snprintf(NULL, 0, "%s%s%s: %s", sep, name, pos, x->msg);
        bool last = i + 1 == kept && d->count == kept && !d->nomem;
        if (n < 0 || used + (size_t)n + (last ? 0 : reserve) >= size)
            break;
        used += (size_t)snprintf(buf + used, size - used, "%s%s%s: %s", sep, name, pos, x->msg);
        shown++;
    }
    cer__yfree(v);
    const char *sep = used ? "\n" : "";
    if (d->count > shown)
        used += (size_t)snprintf(buf + used, size - used, "%s%s: %zu more error(s) not shown", sep,
                                 name, d->count - shown);
    if (d->nomem && used < size)
        snprintf(buf + used, size - used, "%s%s: out of memory", used ? "\n" : "", name);
}

/* ---------------------------------------------------------------------------------------------
 * Tree building
 * ------------------------------------------------------------------------------------------ */
#define DEPTH_CEILING 256u

typedef struct build {
    const cer_ylimits *lim;
    cer_yarena *arena;
    cer_ydiag *diag;
    cer_ynode *root;
    cer_ynode *stack[DEPTH_CEILING + 1];
    unsigned depth;
    size_t nodes;
    int rc;
} build;

/* Line and column (1-based) of byte `off`, for reader errors that carry only an offset. */
static void offset_pos(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n')
            l++, c = 1;
        else if ((ch & 0xC0) != 0x80)
            c++;
    }
    *line = l;
    *col = c;
}

static void refuse(build *b, const yaml_mark_t *m, const char *what, const char *sigil,
                   const unsigned char *name)
{
    const char *s = (const char *)name, *std = "tag:yaml.org,2002:";
    if (strncmp(s, std, strlen(std)) == 0) /* show "!!str" as written, not its expansion */
        s += strlen(std), sigil = "!!";
    cer__ydiag_add(b->diag, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
                   "%s are not supported (%s%.64s)", what, sigil, s);
    if (!b->rc)
        b->rc = CE_ESYNTAX;
}

/* Attach a new node for event `ev`; NULL when parsing must stop. */
static cer_ynode *add_node(build *b, const yaml_event_t *ev, cer_ykind kind)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1, col = (uint32_t)ev->start_mark.column + 1;
    if (++b->nodes > b->lim->max_nodes) {
        cer__ydiag_add(b->diag, line, col, "more than %zu YAML nodes", b->lim->max_nodes);
        b->rc = CE_ELIMIT;
        return NULL;
    }
    cer_ynode *n = cer__yarena_alloc(b->arena, sizeof *n);
    if (!n) {
        b->rc = CE_ENOMEM;
        return NULL;
    }
    n->kind = kind;
    n->line = line;
    n->col = col;
    if (b->depth == 0) {
        b->root = n;
        return n;
    }
    cer_ynode *parent = b->stack[b->depth - 1];
    if (parent->kind == CER_YMAP && parent->n % 2 == 0 && kind != CER_YSCALAR) {
        cer__ydiag_add(b->diag, line, col, "a map key must be a string, not %s",
                       kind == CER_YMAP ? "a map" : "a list");
        if (!b->rc)
            b->rc = CE_ESYNTAX;
    }
    if (parent->last)
        parent->last->next = n;
    else
        parent->first = n;
    parent->last = n;
    parent->n++;
    return n;
}

static int push(build *b, cer_ynode *n, const yaml_event_t *ev)
{
    if (b->depth >= b->lim->max_depth) {
        cer__ydiag_add(b->diag, n->line, n->col, "nesting deeper than %u levels",
                       b->lim->max_depth);
        b->rc = CE_EDEPTH;
        return -1;
    }
    b->stack[b->depth++] = n;
    return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
    const cer_ynode *a = *(const cer_ynode *const *)pa, *b = *(const cer_ynode *const *)pb;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    int c = memcmp(a->str, b->str, a->len);
    if (c)
        return c;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return a->col < b->col ? -1 : a->col > b->col;
}

/* A map is complete: count its entries and report duplicate keys (O(n log n)). */
static void close_map(build *b, cer_ynode *m)
{
    m->n /= 2;
    if (m->n < 2)
        return;
    cer_ynode **keys = cer__ymalloc(m->n * sizeof *keys);
    if (!keys) {
        b->rc = CE_ENOMEM;
        return;
    }
    size_t k = 0;
    for (cer_ynode *n = m->first; n && n->next; n = n->next->next)
        if (n->kind == CER_YSCALAR)
            keys[k++] = n;
    qsort(keys, k, sizeof *keys, key_cmp);
    for (size_t i = 1; i < k; i++) {
        if (keys[i]->len != keys[i - 1]->len ||
            memcmp(keys[i]->str, keys[i - 1]->str, keys[i]->len))
            continue;
        size_t first = i - 1;
        while (first > 0 && keys[first - 1]->len == keys[i]->len &&
               memcmp(keys[first - 1]->str, keys[i]->str, keys[i]->len) == 0)
            first--;
        cer__ydiag_add(b->diag, keys[i]->line, keys[i]->col,
                       "duplicate key '%.128s' (first at line %u, column %u)", keys[i]->str,
                       (unsigned)keys[first]->line, (unsigned)keys[first]->col);
        if (!b->rc)
            b->rc = CE_ESYNTAX;
    }
    cer__yfree(keys);
}

static void on_scalar(build *b, const yaml_event_t *ev)
{
    cer_ynode *n = add_node(b, ev, CER_YSCALAR);
    if (!n)
        return;
    const yaml_mark_t *m = &ev->start_mark;
    if (ev->data.scalar.anchor)
        refuse(b, m, "anchors", "&", ev->data.scalar.anchor);
    if (ev->data.scalar.tag)
        refuse(b, m, "tags", "", ev->data.scalar.tag);
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    n->len = ev->data.scalar.length;
    n->str = cer__yarena_strndup(b->arena, (const char *)ev->data.scalar.value, n->len);
    if (!n->str) {
        b->rc = CE_ENOMEM;
        return;
    }
    if (memchr(n->str, '\0', n->len)) {
        cer__ydiag_add(b->diag, n->line, n->col, "a string contains a NUL character");
        n->len = strlen(n->str);
        if (!b->rc)
            b->rc = CE_ESYNTAX;
    }
}

static void on_start(build *b, const yaml_event_t *ev, cer_ykind kind)
{
    cer_ynode *n = add_node(b, ev, kind);
    if (!n)
        return;
    const unsigned char *anchor, *tag;
    if (kind == CER_YMAP)
        anchor = ev->data.mapping_start.anchor, tag = ev->data.mapping_start.tag;
    else
        anchor = ev->data.sequence_start.anchor, tag = ev->data.sequence_start.tag;
    if (anchor)
        refuse(b, &ev->start_mark, "anchors", "&", anchor);
    if (tag)
        refuse(b, &ev->start_mark, "tags", "", tag);
    push(b, n, ev);
}

static void syntax_error(build *b, const yaml_parser_t *p, const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR) {
        b->rc = CE_ENOMEM;
        return;
    }
    uint32_t line, col;
    if (p->error == YAML_READER_ERROR) {
        offset_pos(text, len, p->problem_offset, &line, &col);
    } else {
        line = (uint32_t)p->problem_mark.line + 1;
        col = (uint32_t)p->problem_mark.column + 1;
    }
    const char *problem = p->problem ? p->problem : "syntax error";
    if (p->context)
        cer__ydiag_add(b->diag, line, col, "YAML: %s (%s at line %u, column %u)", problem,
                       p->context, (unsigned)p->context_mark.line + 1,
                       (unsigned)p->context_mark.column + 1);
    else
        cer__ydiag_add(b->diag, line, col, "YAML: %s", problem);
    b->rc = CE_ESYNTAX;
}

int cer__yparse(const char *text, size_t len, const cer_ylimits *lim, cer_yarena *arena,
                cer_ydiag *diag, cer_ynode **root)
{
    *root = NULL;
    cer_ylimits l = *lim;
    if (l.max_depth == 0 || l.max_depth > DEPTH_CEILING)
        l.max_depth = l.max_depth ? DEPTH_CEILING : CER_YAML_MAX_DEPTH;
    if (l.max_bytes == 0)
        l.max_bytes = CER_YAML_MAX_BYTES;
    if (l.max_nodes == 0)
        l.max_nodes = CER_YAML_MAX_NODES;
    if (len > l.max_bytes) {
        cer__ydiag_add(diag, 0, 0, "larger than %zu bytes", l.max_bytes);
        return CE_ETOOBIG;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return CE_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    build b = {.lim = &l, .arena = arena, .diag = diag};
    int docs = 0, fatal = 0;
    while (!fatal) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(&b, &p, text, len);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (docs++) {
                cer__ydiag_add(diag, (uint32_t)ev.start_mark.line + 1,
                               (uint32_t)ev.start_mark.column + 1,
                               "only one YAML document is allowed");
                b.rc = CE_ESYNTAX;
                fatal = 1;
            }
            break;
        case YAML_SCALAR_EVENT:
            on_scalar(&b, &ev);
            break;
        case YAML_ALIAS_EVENT: {
            cer_ynode *n = add_node(&b, &ev, CER_YSCALAR); /* a null stand-in keeps pairs aligned */
            if (n) {
                n->plain = true;
                n->str = "";
                refuse(&b, &ev.start_mark, "aliases", "*", ev.data.alias.anchor);
            }
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
            on_start(&b, &ev, CER_YSEQ);
            break;
        case YAML_MAPPING_START_EVENT:
            on_start(&b, &ev, CER_YMAP);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (b.depth > 0) {
                cer_ynode *n = b.stack[--b.depth];
                if (n->kind == CER_YMAP)
                    close_map(&b, n);
            }
            break;
        case YAML_STREAM_END_EVENT:
            fatal = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (b.rc == CE_ENOMEM || b.rc == CE_ELIMIT || b.rc == CE_EDEPTH)
            fatal = 1;
    }
    yaml_parser_delete(&p);
    if (b.rc == CE_ENOMEM)
        diag->nomem = true;
    *root = b.rc ? NULL : b.root;
    return b.rc;
}

/* ---------------------------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------------------------ */
const cer_ynode *cer__ymap_key(const cer_ynode *map, const char *key)
{
    if (!map || map->kind != CER_YMAP)
        return NULL;
    size_t klen = strlen(key);
    for (const cer_ynode *k = map->first; k && k->next; k = k->next->next)
        if (k->kind == CER_YSCALAR && k->len == klen && memcmp(k->str, key, klen) == 0)
            return k;
    return NULL;
}

const cer_ynode *cer__ymap_get(const cer_ynode *map, const char *key)
{
    const cer_ynode *k = cer__ymap_key(map, key);
    return k ? k->next : NULL;
}

bool cer__yis_null(const cer_ynode *n)
{
    if (!n || n->kind != CER_YSCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

const char *cer__ykind_name(const cer_ynode *n)
{
    if (!n || cer__yis_null(n))
        return "null";
    return n->kind == CER_YMAP ? "a map" : n->kind == CER_YSEQ ? "a list" : "a string";
}
