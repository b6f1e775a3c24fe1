/* CESQL parser and compiler: recursive descent over the sql_lex tokens into the flat node
 * array of a ce_sql_prog, with the precedence of spec section 3.6 (see docs/cesql.md). */
#include <stdio.h>
#include <string.h>

#include "ce/internal.h"
#include "ce/sql_lex.h"
#include "ce/sql_prog.h"

#define NONE UINT32_MAX

typedef struct parser {
    const char *s;
    size_t len;
    sql_tok tok;
    uint32_t depth, max_depth;
    unsigned flags;
    sql_node *nodes;
    uint32_t nnodes, cap_nodes;
    uint32_t *kids;
    uint32_t nkids, cap_kids;
    uint32_t *tmp; /* operand stack for n-ary nodes */
    uint32_t ntmp, cap_tmp;
    char *pool;
    size_t npool, cap_pool;
    int err;
    size_t err_off;
    char msg[160];
} parser;

static void fail(parser *P, int code, size_t off, const char *fmt, ...) CE__PRINTF(4, 5);
static void fail(parser *P, int code, size_t off, const char *fmt, ...)
{
    if (P->err)
        return;
    P->err = code;
    P->err_off = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->msg, sizeof P->msg, fmt, ap);
    va_end(ap);
}

static void advance(parser *P)
{
    ce__sql_lex(P->s, P->len, P->tok.off + P->tok.len, &P->tok);
    if (P->tok.type == SQL_T_ERROR)
        fail(P, CE_ESYNTAX, P->tok.off, "%s", P->tok.err);
}

static void peek(const parser *P, sql_tok *next)
{
    ce__sql_lex(P->s, P->len, P->tok.off + P->tok.len, next);
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t ncap = *cap ? *cap * 2 : 32;
    while (ncap < need)
        ncap *= 2;
    void *q = ce__realloc(*p, (size_t)ncap * elem);
    if (!q)
        return CE_ENOMEM;
    *p = q;
    *cap = ncap;
    return 0;
}

/* Room for n more pool bytes; returns the offset or NONE. */
static uint32_t pool_room(parser *P, size_t n)
{
    if (P->npool + n > UINT32_MAX / 2) {
        fail(P, CE_ETOOBIG, P->tok.off, "expression too large");
        return NONE;
    }
    if (P->npool + n > P->cap_pool) {
        size_t ncap = P->cap_pool ? P->cap_pool * 2 : 256;
        while (ncap < P->npool + n)
            ncap *= 2;
        char *q = ce__realloc(P->pool, ncap);
        if (!q) {
            fail(P, CE_ENOMEM, 0, "out of memory");
            return NONE;
        }
        P->pool = q;
        P->cap_pool = ncap;
    }
    return (uint32_t)P->npool;
}

static uint32_t new_node(parser *P, uint8_t op, uint8_t type, size_t off, size_t end)
{
    if (P->err)
        return NONE;
    if (grow((void **)&P->nodes, &P->cap_nodes, P->nnodes + 1, sizeof(sql_node))) {
        fail(P, CE_ENOMEM, 0, "out of memory");
        return NONE;
    }
    sql_node *n = &P->nodes[P->nnodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->type = type;
    n->off = (uint32_t)off;
    n->len = (uint32_t)(end - off);
    n->depth = 1;
    return P->nnodes++;
}

static size_t node_end(const parser *P, uint32_t idx)
{
    return (size_t)P->nodes[idx].off + P->nodes[idx].len;
}

/* Account child `c` in the height of node `idx`, enforcing the nesting limit. */
static void add_child_depth(parser *P, uint32_t idx, uint32_t c)
{
    if (P->err)
        return;
    if (P->nodes[c].depth + 1 > P->nodes[idx].depth)
        P->nodes[idx].depth = P->nodes[c].depth + 1;
    if (P->nodes[idx].depth > P->max_depth)
        fail(P, CE_EDEPTH, P->nodes[idx].off, "expression nests deeper than %u levels",
             P->max_depth);
}

static void push_tmp(parser *P, uint32_t v)
{
    if (P->err)
        return;
    if (grow((void **)&P->tmp, &P->cap_tmp, P->ntmp + 1, sizeof(uint32_t))) {
        fail(P, CE_ENOMEM, 0, "out of memory");
        return;
    }
    P->tmp[P->ntmp++] = v;
}

/* Move tmp[base..] into kids as the children run of node idx. */
static void take_kids(parser *P, uint32_t idx, uint32_t base)
{
    uint32_t n = P->ntmp - base;
    if (!P->err && grow((void **)&P->kids, &P->cap_kids, P->nkids + n, sizeof(uint32_t)))
        fail(P, CE_ENOMEM, 0, "out of memory");
    if (P->err) {
        P->ntmp = base;
        return;
    }
    if (n)
        memcpy(P->kids + P->nkids, P->tmp + base, n * sizeof(uint32_t));
    P->nodes[idx].b = P->nkids;
    P->nodes[idx].n = n;
    P->nkids += n;
    P->ntmp = base;
    for (uint32_t k = 0; k < n; k++)
        add_child_depth(P, idx, P->kids[P->nodes[idx].b + k]);
}

static int enter(parser *P)
{
    if (++P->depth > P->max_depth) {
        fail(P, CE_EDEPTH, P->tok.off, "expression nests deeper than %u levels", P->max_depth);
        return 0;
    }
    return 1;
}

static uint32_t parse_expr(parser *P);
static uint32_t parse_unary(parser *P);

static uint32_t binary(parser *P, uint8_t op, uint8_t type, uint32_t l, uint32_t r)
{
    if (l == NONE || r == NONE)
        return NONE;
    uint32_t idx = new_node(P, op, type, P->nodes[l].off, node_end(P, r));
    if (idx == NONE)
        return NONE;
    P->nodes[idx].a = l;
    P->nodes[idx].b = r;
    add_child_depth(P, idx, l);
    add_child_depth(P, idx, r);
    return P->err ? NONE : idx;
}

static uint32_t lit_int(parser *P, int64_t v, size_t off, size_t end)
{
    uint32_t idx = new_node(P, SQL_LIT, CE_SQL_INTEGER, off, end);
    if (idx != NONE)
        P->nodes[idx].i = (int32_t)v;
    return idx;
}

static int is_ident(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return len > 0;
}

static int is_fn_name(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c == '_' && i > 0)))
            return 0;
    }
    return len > 0;
}

/* An attribute name (for identifiers and EXISTS), lower-cased into the pool. */
static uint32_t attr_node(parser *P, uint8_t op, uint8_t type, size_t off, const sql_tok *name)
{
    if (!is_ident(P->s + name->off, name->len)) {
        fail(P, CE_ESYNTAX, name->off, "'%.*s' is not an attribute name (letters and digits only)",
             (int)name->len, P->s + name->off);
        return NONE;
    }
    uint32_t at = pool_room(P, name->len + 1);
    uint32_t idx = new_node(P, op, type, off, name->off + name->len);
    if (idx == NONE || at == NONE)
        return NONE;
    for (size_t i = 0; i < name->len; i++) {
        char c = P->s[name->off + i];
        P->pool[at + i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    P->pool[at + name->len] = '\0';
    P->npool += name->len + 1;
    P->nodes[idx].s = at;
    P->nodes[idx].n = (uint32_t)name->len;
    return idx;
}

static int expect(parser *P, enum sql_tok_type t, const char *what)
{
    if (P->err)
        return 0;
    if (P->tok.type != t) {
        fail(P, CE_ESYNTAX, P->tok.off, "expected %s %s, found %s", ce__sql_tok_name(t), what,
             ce__sql_tok_name(P->tok.type));
        return 0;
    }
    advance(P);
    return !P->err;
}

/* fn '(' args ')' with P->tok at '('. */
static uint32_t parse_call(parser *P, const sql_tok *name)
{
    if (!is_fn_name(P->s + name->off, name->len)) {
        fail(P, CE_ESYNTAX, name->off,
             "'%.*s' is not a function name (letters and '_', starting with a letter)",
             (int)name->len, P->s + name->off);
        return NONE;
    }
    advance(P); /* ( */
    uint32_t base = P->ntmp;
    if (!P->err && P->tok.type != SQL_T_RPAREN) {
        for (;;) {
            push_tmp(P, parse_expr(P));
            if (P->err || P->tok.type != SQL_T_COMMA)
                break;
            advance(P);
        }
    }
    size_t end = P->tok.off + P->tok.len;
    if (!expect(P, SQL_T_RPAREN, "to close the function's arguments")) {
        P->ntmp = base;
        return NONE;
    }
    uint32_t argc = P->ntmp - base;
    int fn = ce__sql_builtin_find(P->s + name->off, name->len, argc);
    if (fn < 0 && (P->flags & CE_SQL_STRICT_FUNCTIONS)) {
        fail(P, CE_ESYNTAX, name->off,
             fn == -1 ? "unknown function '%.*s'" : "function '%.*s' does not take %u arguments",
             (int)name->len, P->s + name->off, argc);
        P->ntmp = base;
        return NONE;
    }
    uint32_t idx;
    if (fn < 0) {
        idx = new_node(P, SQL_NOFUNC, CE_SQL_BOOLEAN, name->off, end);
        P->ntmp = base; /* arguments are never evaluated */
        return idx;
    }
    idx = new_node(P, SQL_CALL, ce__sql_builtins[fn].ret, name->off, end);
    if (idx == NONE) {
        P->ntmp = base;
        return NONE;
    }
    P->nodes[idx].fn = (uint8_t)fn;
    take_kids(P, idx, base);
    return P->err ? NONE : idx;
}

static uint32_t parse_primary(parser *P)
{
    if (P->err)
        return NONE;
    sql_tok t = P->tok;
    uint32_t idx;
    switch (t.type) {
    case SQL_T_INT:
        if (t.u > INT32_MAX) {
            fail(P, CE_ESYNTAX, t.off, "integer literal out of range (-2147483648..2147483647)");
            return NONE;
        }
        advance(P);
        return lit_int(P, (int64_t)t.u, t.off, t.off + t.len);
    case SQL_T_TRUE:
    case SQL_T_FALSE:
        advance(P);
        idx = new_node(P, SQL_LIT, CE_SQL_BOOLEAN, t.off, t.off + t.len);
        if (idx != NONE)
            P->nodes[idx].i = t.type == SQL_T_TRUE;
        return idx;
    case SQL_T_STRING: {
        uint32_t at = pool_room(P, t.len);
        idx = new_node(P, SQL_LIT, CE_SQL_STRING, t.off, t.off + t.len);
        if (idx == NONE || at == NONE)
            return NONE;
        size_t n = ce__sql_unquote(P->s, &t, P->pool + at);
        P->npool += n;
        P->nodes[idx].s = at;
        P->nodes[idx].n = (uint32_t)n;
        advance(P);
        return idx;
    }
    case SQL_T_EXISTS:
        advance(P);
        if (P->err)
            return NONE;
        if (P->tok.type != SQL_T_WORD) {
            fail(P, CE_ESYNTAX, P->tok.off, "expected an attribute name after EXISTS, found %s",
                 ce__sql_tok_name(P->tok.type));
            return NONE;
        }
        t.len = 0;
        idx = attr_node(P, SQL_EXISTS, CE_SQL_BOOLEAN, t.off, &P->tok);
        advance(P);
        return idx;
    case SQL_T_WORD: {
        sql_tok next;
        peek(P, &next);
        if (next.type == SQL_T_LPAREN) {
            advance(P);
            return parse_call(P, &t);
        }
        idx = attr_node(P, SQL_IDENT, 0, t.off, &t);
        advance(P);
        return idx;
    }
    case SQL_T_LPAREN:
        advance(P);
        idx = parse_expr(P);
        if (idx == NONE || P->tok.type != SQL_T_RPAREN) {
            expect(P, SQL_T_RPAREN, "to close the subexpression");
            return NONE;
        }
        /* The subexpression's span takes in its parentheses, for error excerpts. */
        P->nodes[idx].off = (uint32_t)t.off;
        P->nodes[idx].len = (uint32_t)(P->tok.off + 1 - t.off);
        advance(P);
        return P->err ? NONE : idx;
    default:
        fail(P, CE_ESYNTAX, t.off, "expected an expression, found %s", ce__sql_tok_name(t.type));
        return NONE;
    }
}

static uint32_t parse_unary(parser *P)
{
    if (P->err)
        return NONE;
    sql_tok t = P->tok, next;
    uint32_t idx, c;
    switch (t.type) {
    case SQL_T_NOT:
    case SQL_T_MINUS:
        if (t.type == SQL_T_MINUS) {
            peek(P, &next);
            if (next.type == SQL_T_INT) { /* a negative literal: allows -2147483648 */
                if (next.u > (uint64_t)INT32_MAX + 1) {
                    fail(P, CE_ESYNTAX, t.off,
                         "integer literal out of range (-2147483648..2147483647)");
                    return NONE;
                }
                advance(P);
                advance(P);
                return lit_int(P, -(int64_t)next.u, t.off, next.off + next.len);
            }
        }
        if (!enter(P))
            return NONE;
        advance(P);
        c = parse_unary(P);
        P->depth--;
        if (c == NONE)
            return NONE;
        idx =
            new_node(P, t.type == SQL_T_NOT ? SQL_NOT : SQL_NEG,
                     t.type == SQL_T_NOT ? CE_SQL_BOOLEAN : CE_SQL_INTEGER, t.off, node_end(P, c));
        if (idx == NONE)
            return NONE;
        P->nodes[idx].a = c;
        add_child_depth(P, idx, c);
        return P->err ? NONE : idx;
    case SQL_T_PLUS:
        /* integer-literal ::= ('+' | '-')? digit+ : a sign glued to the digits. */
        peek(P, &next);
        if (next.type == SQL_T_INT && next.off == t.off + 1) {
            if (next.u > INT32_MAX) {
                fail(P, CE_ESYNTAX, t.off,
                     "integer literal out of range (-2147483648..2147483647)");
                return NONE;
            }
            advance(P);
            advance(P);
            return lit_int(P, (int64_t)next.u, t.off, next.off + next.len);
        }
        fail(P, CE_ESYNTAX, t.off, "unexpected '+' (CESQL has no unary plus)");
        return NONE;
    default:
        return parse_primary(P);
    }
}

/* Unary expression followed by any number of [NOT] LIKE 'pattern' / [NOT] IN (set). */
static uint32_t parse_postfix(parser *P)
{
    uint32_t lhs = parse_unary(P);
    while (lhs != NONE && !P->err) {
        uint8_t neg = 0;
        if (P->tok.type == SQL_T_NOT) {
            sql_tok next;
            peek(P, &next);
            if (next.type != SQL_T_LIKE && next.type != SQL_T_IN)
                break;
            neg = 1;
            advance(P);
        }
        if (P->tok.type == SQL_T_LIKE) {
            advance(P);
            if (P->err)
                return NONE;
            sql_tok pt = P->tok;
            if (pt.type != SQL_T_STRING) {
                fail(P, CE_ESYNTAX, pt.off,
                     "the pattern of LIKE must be a string literal, found %s",
                     ce__sql_tok_name(pt.type));
                return NONE;
            }
            uint32_t at = pool_room(P, pt.len);
            uint32_t idx =
                new_node(P, SQL_LIKE, CE_SQL_BOOLEAN, P->nodes[lhs].off, pt.off + pt.len);
            if (idx == NONE || at == NONE)
                return NONE;
            size_t n = ce__sql_unquote(P->s, &pt, P->pool + at);
            n = ce__sql_like_compile(P->pool + at, n, P->pool + at);
            P->npool += n;
            P->nodes[idx].a = lhs;
            P->nodes[idx].s = at;
            P->nodes[idx].n = (uint32_t)n;
            P->nodes[idx].neg = neg;
            add_child_depth(P, idx, lhs);
            advance(P);
            lhs = idx;
        } else if (P->tok.type == SQL_T_IN) {
            advance(P);
            if (!expect(P, SQL_T_LPAREN, "to open the set of IN"))
                return NONE;
            uint32_t base = P->ntmp;
            for (;;) {
                push_tmp(P, parse_expr(P));
                if (P->err || P->tok.type != SQL_T_COMMA)
                    break;
                advance(P);
            }
            size_t end = P->tok.off + P->tok.len;
            if (!expect(P, SQL_T_RPAREN, "to close the set of IN")) {
                P->ntmp = base;
                return NONE;
            }
            uint32_t idx = new_node(P, SQL_IN, CE_SQL_BOOLEAN, P->nodes[lhs].off, end);
            if (idx == NONE) {
                P->ntmp = base;
                return NONE;
            }
            P->nodes[idx].a = lhs;
            P->nodes[idx].neg = neg;
            add_child_depth(P, idx, lhs);
            take_kids(P, idx, base);
            lhs = idx;
        } else {
            break;
        }
    }
    return P->err ? NONE : lhs;
}

static uint32_t parse_mul(parser *P)
{
    uint32_t lhs = parse_postfix(P);
    while (lhs != NONE && !P->err) {
        uint8_t op;
        switch (P->tok.type) {
        case SQL_T_STAR:
            op = SQL_MUL;
            break;
        case SQL_T_SLASH:
            op = SQL_DIV;
            break;
        case SQL_T_PERCENT:
            op = SQL_MOD;
            break;
        default:
            return lhs;
        }
        advance(P);
        lhs = binary(P, op, CE_SQL_INTEGER, lhs, parse_postfix(P));
    }
    return P->err ? NONE : lhs;
}

static uint32_t parse_add(parser *P)
{
    uint32_t lhs = parse_mul(P);
    while (lhs != NONE && !P->err) {
        if (P->tok.type != SQL_T_PLUS && P->tok.type != SQL_T_MINUS)
            return lhs;
        uint8_t op = P->tok.type == SQL_T_PLUS ? SQL_ADD : SQL_SUB;
        advance(P);
        lhs = binary(P, op, CE_SQL_INTEGER, lhs, parse_mul(P));
    }
    return P->err ? NONE : lhs;
}

static uint32_t parse_cmp(parser *P)
{
    uint32_t lhs = parse_add(P);
    while (lhs != NONE && !P->err) {
        uint8_t op;
        switch (P->tok.type) {
        case SQL_T_EQ:
            op = SQL_EQ;
            break;
        case SQL_T_NE:
        case SQL_T_LTGT:
            op = SQL_NE;
            break;
        case SQL_T_LT:
            op = SQL_LT;
            break;
        case SQL_T_LE:
            op = SQL_LE;
            break;
        case SQL_T_GT:
            op = SQL_GT;
            break;
        case SQL_T_GE:
            op = SQL_GE;
            break;
        default:
            return lhs;
        }
        advance(P);
        lhs = binary(P, op, CE_SQL_BOOLEAN, lhs, parse_add(P));
    }
    return P->err ? NONE : lhs;
}

/* AND, OR and XOR share one level, left to right (spec 3.6). A run of the same operator
 * becomes one n-ary node, which evaluates exactly like the left-nested binary chain. */
static uint32_t parse_logic(parser *P)
{
    uint32_t lhs = parse_cmp(P);
    while (lhs != NONE && !P->err) {
        enum sql_tok_type tt = P->tok.type;
        if (tt != SQL_T_AND && tt != SQL_T_OR && tt != SQL_T_XOR)
            return lhs;
        uint32_t base = P->ntmp;
        push_tmp(P, lhs);
        while (!P->err && P->tok.type == tt) {
            advance(P);
            push_tmp(P, parse_cmp(P));
        }
        if (P->err) {
            P->ntmp = base;
            return NONE;
        }
        uint8_t op = tt == SQL_T_AND ? SQL_AND : tt == SQL_T_OR ? SQL_OR : SQL_XOR;
        uint32_t last = P->tmp[P->ntmp - 1];
        uint32_t idx = new_node(P, op, CE_SQL_BOOLEAN, P->nodes[lhs].off, node_end(P, last));
        if (idx == NONE) {
            P->ntmp = base;
            return NONE;
        }
        take_kids(P, idx, base);
        lhs = idx;
    }
    return P->err ? NONE : lhs;
}

static uint32_t parse_expr(parser *P)
{
    if (!enter(P))
        return NONE;
    uint32_t idx = parse_logic(P);
    P->depth--;
    return P->err ? NONE : idx;
}

/* Line and column (1-based, in characters) of byte `off`. */
static void position(const char *s, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, start = 0;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            l++;
            start = i + 1;
        }
    }
    *line = l;
    *col = ce__sql_utf8_count(s + start, off - start) + 1;
}

static ce_sql_prog *build(parser *P, uint32_t root)
{
    size_t sz_nodes = (size_t)P->nnodes * sizeof(sql_node);
    size_t sz_kids = (size_t)P->nkids * sizeof(uint32_t);
    size_t total = sizeof(ce_sql_prog) + sz_nodes + sz_kids + P->npool + P->len + 1;
    char *mem = ce__malloc(total);
    if (!mem)
        return NULL;
    ce_sql_prog *prog = (ce_sql_prog *)mem;
    char *p = mem + sizeof(ce_sql_prog);
    prog->nodes = (sql_node *)p;
    memcpy(p, P->nodes, sz_nodes);
    p += sz_nodes;
    prog->kids = (uint32_t *)p;
    if (sz_kids)
        memcpy(p, P->kids, sz_kids);
    p += sz_kids;
    prog->pool = p;
    if (P->npool)
        memcpy(p, P->pool, P->npool);
    p += P->npool;
    prog->src = p;
    if (P->len)
        memcpy(p, P->s, P->len);
    p[P->len] = '\0';
    prog->src_len = P->len;
    prog->nnodes = P->nnodes;
    prog->root = root;
    prog->depth = P->nodes[root].depth;
    return prog;
}

int ce_sql_compile_ex(const char *expr, size_t len, const ce_sql_options *opts, ce_sql_prog **out,
                      size_t *err_offset, char *errstr, size_t errstr_size)
{
    if (err_offset)
        *err_offset = 0;
    if (out)
        *out = NULL;
    if (errstr && errstr_size)
        errstr[0] = '\0';
    if (!out || (!expr && len))
        return ce__errf(CE_EINVAL, errstr, errstr_size, "NULL argument");
    uint32_t max_depth = opts && opts->max_depth ? opts->max_depth : CE_SQL_DEFAULT_MAX_DEPTH;
    uint32_t max_len = opts && opts->max_length ? opts->max_length : CE_SQL_DEFAULT_MAX_LENGTH;
    if (max_depth > CE_SQL_MAX_DEPTH_CEILING || max_len > CE_SQL_MAX_LENGTH_CEILING)
        return ce__errf(CE_EINVAL, errstr, errstr_size,
                        "limits above the ceilings (depth %u, length %u)", CE_SQL_MAX_DEPTH_CEILING,
                        CE_SQL_MAX_LENGTH_CEILING);
    if (len > max_len)
        return ce__errf(CE_ETOOBIG, errstr, errstr_size,
                        "expression is %zu bytes long; the limit is %u bytes", len, max_len);
    size_t bad;
    if (!ce__utf8_valid(expr, len, &bad)) {
        if (err_offset)
            *err_offset = bad;
        return ce__errf(CE_EUTF8, errstr, errstr_size, "invalid UTF-8 at byte %zu", bad);
    }
    if (!expr)
        expr = "";

    parser P;
    memset(&P, 0, sizeof P);
    P.s = expr;
    P.len = len;
    P.max_depth = max_depth;
    P.flags = opts ? opts->flags : 0;
    ce__sql_lex(expr, len, 0, &P.tok);
    if (P.tok.type == SQL_T_ERROR)
        fail(&P, CE_ESYNTAX, P.tok.off, "%s", P.tok.err);
    uint32_t root = parse_expr(&P);
    if (!P.err && P.tok.type != SQL_T_EOF)
        fail(&P, CE_ESYNTAX, P.tok.off, "unexpected %s after the expression",
             ce__sql_tok_name(P.tok.type));
    ce_sql_prog *prog = NULL;
    if (!P.err && root != NONE) {
        prog = build(&P, root);
        if (!prog)
            fail(&P, CE_ENOMEM, 0, "out of memory");
    }
    ce__free(P.nodes);
    ce__free(P.kids);
    ce__free(P.tmp);
    ce__free(P.pool);
    if (P.err) {
        if (P.err == CE_ENOMEM)
            return ce__errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
        size_t line, col;
        position(expr, P.err_off, &line, &col);
        if (err_offset)
            *err_offset = P.err_off;
        return ce__errf(P.err, errstr, errstr_size, "%s at byte %zu (line %zu, column %zu)", P.msg,
                        P.err_off, line, col);
    }
    *out = prog;
    return 0;
}

int ce_sql_compile(const char *expr, size_t len, ce_sql_prog **out, char *errstr,
                   size_t errstr_size)
{
    return ce_sql_compile_ex(expr, len, NULL, out, NULL, errstr, errstr_size);
}

void ce_sql_prog_destroy(ce_sql_prog *prog)
{
    ce__free(prog);
}

ce_slice ce_sql_prog_source(const ce_sql_prog *prog)
{
    ce_slice s = {NULL, 0};
    if (prog) {
        s.ptr = prog->src;
        s.len = prog->src_len;
    }
    return s;
}

ce_sql_type ce_sql_prog_type(const ce_sql_prog *prog)
{
    return prog ? (ce_sql_type)prog->nodes[prog->root].type : (ce_sql_type)0;
}
