/* A small JSON DOM for validation and cost filling: one array of nodes in pre-order built by a
 * recursive-descent reader over the core's strict scanner (ce/json.h), with caps on depth and
 * on the number of values. Strings with escapes are decoded into one side buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"
#include "ce/internal.h"
#include "ce/json.h"

typedef struct reader {
    cer__jdom *d;
    uint32_t max_depth, max_nodes;
    ce__json_err err;
    const char *cap_what; /* set for CE_EDEPTH / CE_ETOOBIG */
} reader;

static int new_node(reader *r, uint8_t type, size_t off, uint32_t *idx)
{
    cer__jdom *d = r->d;
    if (d->n >= r->max_nodes) {
        r->err.off = off;
        r->cap_what = "too many JSON values";
        return CE_ETOOBIG;
    }
    if (d->n == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 32;
        if (cap > r->max_nodes)
            cap = r->max_nodes;
        cer__jnode *nn = ce__realloc(d->nodes, (size_t)cap * sizeof *nn);
        if (!nn)
            return CE_ENOMEM;
        d->nodes = nn;
        d->cap = cap;
    }
    cer__jnode *n = &d->nodes[d->n];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->off = off;
    *idx = d->n++;
    return 0;
}

/* Scan the string at *pos into a decoded slice. */
static int read_string(reader *r, size_t *pos, ce_slice *out)
{
    cer__jdom *d = r->d;
    bool escaped;
    int rc = ce__json_string(d->src, d->len, pos, out, &escaped, &r->err);
    if (rc)
        return rc;
    if (escaped) {
        if (!d->strbuf) {
            d->strbuf = ce__malloc(d->len ? d->len : 1);
            if (!d->strbuf)
                return CE_ENOMEM;
        }
        /* Decoding never grows, and all strings together fit in the source length. */
        char *dst = d->strbuf + d->strlen;
        size_t n = ce__json_unescape(out->ptr, out->len, dst);
        d->strlen += n;
        out->ptr = dst;
        out->len = n;
    }
    return 0;
}

static int number_value(cer__jnode *n, const char *tok, size_t len, bool is_int)
{
    char small[64], *buf = small;
    if (len >= sizeof small && !(buf = ce__malloc(len + 1)))
        return CE_ENOMEM;
    memcpy(buf, tok, len);
    buf[len] = 0;
    n->num = strtod(buf, NULL);
    if (is_int) {
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        if (errno == 0) {
            n->is_int = 1;
            n->i64 = v;
        }
    } else if (n->num >= -9.2e18 && n->num <= 9.2e18 && n->num == (double)(int64_t)n->num) {
        n->is_int = 1; /* 1.0 and 1e2 are integers to JSON Schema */
        n->i64 = (int64_t)n->num;
    }
    if (buf != small)
        ce__free(buf);
    return 0;
}

static int read_value(reader *r, size_t *pos, uint32_t depth, uint32_t *idx);

static int read_container(reader *r, size_t *pos, uint32_t depth, uint32_t self, bool obj)
{
    cer__jdom *d = r->d;
    const char *b = d->src;
    size_t len = d->len, i = *pos + 1;
    uint32_t prev = 0, count = 0;
    char close = obj ? '}' : ']';
    i = ce__json_ws(b, len, i);
    if (i < len && b[i] == close) {
        *pos = i + 1;
        return 0;
    }
    for (;;) {
        ce_slice key = {NULL, 0};
        size_t key_off = i;
        if (obj) {
            if (i >= len || b[i] != '"') {
                r->err = (ce__json_err){i, "expected a member name"};
                return CE_ESYNTAX;
            }
            int rc = read_string(r, &i, &key);
            if (rc)
                return rc;
            i = ce__json_ws(b, len, i);
            if (i >= len || b[i] != ':') {
                r->err = (ce__json_err){i, "expected ':'"};
                return CE_ESYNTAX;
            }
            i = ce__json_ws(b, len, i + 1);
        }
        uint32_t child;
        int rc = read_value(r, &i, depth + 1, &child);
        if (rc)
            return rc;
        d->nodes[child].key = key;
        d->nodes[child].key_off = key_off;
        if (prev)
            d->nodes[prev].next = child;
        prev = child;
        count++;
        i = ce__json_ws(b, len, i);
        if (i < len && b[i] == ',') {
            i = ce__json_ws(b, len, i + 1);
            continue;
        }
        if (i < len && b[i] == close)
            break;
        r->err = (ce__json_err){i, obj ? "expected ',' or '}'" : "expected ',' or ']'"};
        return CE_ESYNTAX;
    }
    d->nodes[self].count = count;
    *pos = i + 1;
    return 0;
}

static int read_value(reader *r, size_t *pos, uint32_t depth, uint32_t *idx)
{
    cer__jdom *d = r->d;
    const char *b = d->src;
    size_t len = d->len, i = *pos;
    if (i >= len) {
        r->err = (ce__json_err){i, "expected a value"};
        return CE_ESYNTAX;
    }
    int rc;
    uint32_t self;
    switch (b[i]) {
    case '{':
    case '[':
        if (depth + 1 > r->max_depth) {
            r->err.off = i;
            r->cap_what = "nesting too deep";
            return CE_EDEPTH;
        }
        if ((rc = new_node(r, b[i] == '{' ? CER__J_OBJECT : CER__J_ARRAY, i, &self)) != 0)
            return rc;
        if ((rc = read_container(r, &i, depth, self, b[*pos] == '{')) != 0)
            return rc;
        break;
    case '"': {
        ce_slice s;
        if ((rc = new_node(r, CER__J_STRING, i, &self)) != 0)
            return rc;
        if ((rc = read_string(r, &i, &s)) != 0)
            return rc;
        d->nodes[self].str = s;
        break;
    }
    case 't':
    case 'f':
    case 'n': {
        const char *word = b[i] == 't' ? "true" : b[i] == 'f' ? "false" : "null";
        size_t n = strlen(word);
        if (len - i < n || memcmp(b + i, word, n) != 0) {
            r->err = (ce__json_err){i, "invalid literal"};
            return CE_ESYNTAX;
        }
        if ((rc = new_node(r, b[i] == 'n' ? CER__J_NULL : CER__J_BOOL, i, &self)) != 0)
            return rc;
        d->nodes[self].boolean = b[i] == 't';
        i += n;
        break;
    }
    default: {
        bool is_int;
        size_t start = i;
        if (b[i] != '-' && (b[i] < '0' || b[i] > '9')) {
            r->err = (ce__json_err){i, "expected a value"};
            return CE_ESYNTAX;
        }
        if ((rc = ce__json_number(b, len, &i, &is_int, &r->err)) != 0)
            return rc;
        if ((rc = new_node(r, CER__J_NUMBER, start, &self)) != 0)
            return rc;
        d->nodes[self].str = (ce_slice){b + start, i - start};
        if ((rc = number_value(&d->nodes[self], b + start, i - start, is_int)) != 0)
            return rc;
        break;
    }
    }
    d->nodes[self].end = i;
    *pos = i;
    *idx = self;
    return 0;
}

int cer__jdom_parse(cer__jdom *d, const char *buf, size_t len, uint32_t max_depth,
                    uint32_t max_nodes, char *errstr, size_t errstr_size)
{
    memset(d, 0, sizeof *d);
    d->src = buf;
    d->len = len;
    reader r = {d, max_depth, max_nodes, {0, NULL}, NULL};
    size_t i = ce__json_ws(buf, len, 0);
    uint32_t root;
    int rc = read_value(&r, &i, 0, &root);
    if (!rc) {
        i = ce__json_ws(buf, len, i);
        if (i != len) {
            r.err = (ce__json_err){i, "trailing characters"};
            rc = CE_ESYNTAX;
        }
    }
    if (rc == CE_ENOMEM)
        return cerx_errf(rc, errstr, errstr_size, "out of memory");
    if (rc == CE_EDEPTH || rc == CE_ETOOBIG)
        return cerx_errf(rc, errstr, errstr_size, "byte %zu: %s (limit %u)", r.err.off, r.cap_what,
                         rc == CE_EDEPTH ? max_depth : max_nodes);
    if (rc)
        return cerx_errf(rc, errstr, errstr_size, "byte %zu: %s", r.err.off, r.err.what);
    return 0;
}

void cer__jdom_free(cer__jdom *d)
{
    ce__free(d->nodes);
    ce__free(d->strbuf);
    memset(d, 0, sizeof *d);
}

const cer__jnode *cer__j_member(const cer__jdom *d, const cer__jnode *obj, const char *name)
{
    if (!obj || obj->type != CER__J_OBJECT)
        return NULL;
    size_t n = strlen(name);
    const cer__jnode *found = NULL;
    for (const cer__jnode *c = cer__j_first(d, obj); c; c = cer__j_next(d, c))
        if (c->key.len == n && memcmp(c->key.ptr, name, n) == 0)
            found = c;
    return found;
}

bool cer__j_streq(const cer__jnode *n, const char *s)
{
    size_t len = strlen(s);
    return n && n->type == CER__J_STRING && n->str.len == len && memcmp(n->str.ptr, s, len) == 0;
}
